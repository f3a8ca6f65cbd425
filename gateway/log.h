/*
 * gateway/log.h - logging and the two kinds of fatal error.
 *
 * Used by every stage of the flow.  Message outcomes are never logged as
 * errors of the daemon: a bad number is a warning about that message and
 * the daemon keeps serving.  fatal()/fatalx() are only for startup and
 * broken invariants, never for anything a peer sent.
 */
#ifndef GATEWAY_LOG_H
#define GATEWAY_LOG_H

#include <stdbool.h>

enum log_level { LOG_L_ERROR, LOG_L_WARNING, LOG_L_INFO, LOG_L_DEBUG };

/** Configure: @foreground logs to stderr, otherwise to syslog. */
void log_init(bool foreground, enum log_level level, const char *ident);
/**
 * With syslog (not @foreground): copy warnings and errors to stderr as
 * well while @on.  A daemon that is still starting has a terminal whose
 * user should read why it failed (gateway/detach).
 */
void log_set_stderr(bool on);
void log_set_level(enum log_level level);
/** Parse "error|warning|info|debug"; -1 when unknown. */
int log_level_parse(const char *s);
/** Cheap check for hot paths: is @level enabled? */
bool log_enabled(enum log_level level);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal() appends strerror(errno); both exit(1). */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif /* GATEWAY_LOG_H */
