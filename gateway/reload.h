/*
 * gateway/reload.h - SIGHUP: a new configuration, swapped in as one step.
 *
 * Beside the flow, not in it: main.c calls reload_run() from its signal
 * tick, between two events.  The file is loaded and checked aside; only
 * when everything that can fail has succeeded does the new runtime
 * become current and the shared layers (resolver, transaction table,
 * rate limiter, log level) take their new settings.  Messages in flight
 * keep the runtime they started with (gateway/runtime.h).
 */
#ifndef GATEWAY_RELOAD_H
#define GATEWAY_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

struct dns;
struct gw_conf;

/* What the command line overrides in every configuration loaded. */
typedef void reload_adjust_fn(struct gw_conf *);

/**
 * Remember what a reload reconfigures.  @dns is borrowed for the life
 * of the daemon; @keep_log_level (imgated -v) leaves the log level
 * alone on reload; @adjust (or NULL) is applied to each file loaded, as
 * it was to the first one (imgated -u).
 */
void reload_init(struct dns *dns, bool keep_log_level,
    reload_adjust_fn *adjust);

/**
 * Reload @path.  On any failure the running configuration stays in force
 * and a warning says why.  Every option that changes is logged: applied
 * ones at info level, restart-only ones as a warning that names the
 * option and says it takes effect at restart (its running value stays).
 * @param path	borrowed
 * @param verdict	NULL, or where the outcome's one line is written
 *			(the summary or the reason it failed), for
 *			imgatectl reload
 * @return 0 when the new configuration is in force, -1 when not
 */
int reload_run(const char *path, char *verdict, size_t verdictsz);

/**
 * Load @path for a reload into @c (the caller's, set to the defaults
 * first): conf_load(), but an empty file is refused.  A file read while
 * it is written in place (truncated, not yet written again) is empty,
 * and an empty file is a valid configuration of all defaults: every
 * route and setting would go.  At start-up an empty file stays valid.
 * @return 0, or -1 with the reason in @err
 */
int reload_load(const char *path, struct gw_conf *c, char *err,
    size_t errsz);

/**
 * As reload_run(), with @file loaded and checked already (by the
 * supervisor, gateway/workers: every worker applies the same one, and
 * the command line's adjustments are in it); @path names it in the log.
 */
int reload_apply(const struct gw_conf *file, const char *path,
    char *verdict, size_t verdictsz);

#endif /* GATEWAY_RELOAD_H */
