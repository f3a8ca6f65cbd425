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
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_L_ERROR, LOG_L_WARNING, LOG_L_INFO, LOG_L_DEBUG };

/* Bytes of one log line, NUL included; longer lines are cut.  syslog
 * daemons take 8 KB (rsyslog's default maxMessageSize). */
#define LOG_LINE_MAX	8192

/**
 * Configure: @foreground logs to stderr, otherwise to syslog with
 * @ident (kept, not copied: it must live as long as the process) and the
 * facility set by log_set_facility() before.
 */
void log_init(bool foreground, enum log_level level, const char *ident);
/** syslog facility for log_init() (LOG_DAEMON unless set). */
void log_set_facility(int facility);
/** "daemon", "user", "local0".."local7" -> LOG_*; -1 when unknown. */
int log_facility_parse(const char *name);
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

/*
 * Lines a flood can produce, limited by key: a key logs at most @burst
 * lines per @window_ms; the lines held back are counted and handed to
 * @report (key, count) when the key's window ends (at its next line) or
 * another key takes its slot.  The caller owns the table of @nslots
 * (zeroed before first use); keys longer than the slot's are cut.
 */
struct log_limit_slot {
	char		 key[64];
	uint64_t	 window_ms;	/* start of the current window */
	uint32_t	 lines;		/* logged in it */
	uint32_t	 suppressed;	/* held back since the last report */
};
typedef void log_limit_report_fn(const char *key, uint32_t suppressed);
bool log_limit_admit(struct log_limit_slot *slots, size_t nslots,
    const char *key, uint64_t now_ms, int64_t burst, uint64_t window_ms,
    log_limit_report_fn *report);

/*
 * Refusals (ACL, rate limit) are what a flood produces: one source may
 * have at most @burst lines logged per @interval_s (0: no limit).  The
 * table holds LOG_REFUSAL_SOURCES sources; a source that loses its slot
 * to another one has its suppressed count reported first.
 */
#define LOG_REFUSAL_SOURCES	256
void log_set_refusal_limit(int64_t burst, int64_t interval_s);
/**
 * May a refusal of @source be logged at @now_ms?  When a new interval
 * starts for a source whose lines were suppressed, logs "N more refusals
 * from SOURCE suppressed" first.
 */
bool log_refusal_admit(const char *source, uint64_t now_ms);

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
