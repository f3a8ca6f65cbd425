/*
 * gateway/log.c - log lines to stderr (imgated -d, imgate-lookup) or
 * syslog (daemon).  Every level check happens before formatting so that a
 * debug line on the message path costs one comparison when it is off.
 * stderr lines carry an ISO 8601 UTC timestamp with the date: a
 * foreground daemon's output is kept in files that span days.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "gateway/log.h"

static bool		 log_foreground = true;
static bool		 log_stderr_too;	/* daemon still starting */
static enum log_level	 log_level = LOG_L_INFO;
static const char	*log_ident = "imgate";
static int		 log_facility = LOG_DAEMON;

void
log_init(bool foreground, enum log_level level, const char *ident)
{
	log_foreground = foreground;
	log_level = level;
	log_ident = ident;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, log_facility);
}

void
log_set_facility(int facility)
{
	log_facility = facility;
}

int
log_facility_parse(const char *name)
{
	static const struct {
		const char	*name;
		int		 facility;
	} tab[] = {
		{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
		{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
		{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(name, tab[i].name) == 0)
			return tab[i].facility;
	return -1;
}

void
log_set_stderr(bool on)
{
	log_stderr_too = on;
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

int
log_level_parse(const char *s)
{
	static const char *const names[] = { "error", "warning", "info",
	    "debug" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_level;
}

static void
vlog(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	static const char *const tag[] = { "error", "warning", "info",
	    "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };
	char	 buf[LOG_LINE_MAX];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (!log_foreground)
		syslog(prio[level], "%s%s%s", buf, suffix ? ": " : "",
		    suffix ? suffix : "");
	if (log_foreground || (log_stderr_too && level <= LOG_L_WARNING)) {
		struct timespec	 ts;
		struct tm	 tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ "
		    "%s: %s: %s%s%s\n", tm.tm_year + 1900, tm.tm_mon + 1,
		    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		    ts.tv_nsec / 1000000, log_ident, tag[level], buf,
		    suffix ? ": " : "", suffix ? suffix : "");
		fflush(stderr);
	}
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (!log_enabled(LOG_L_WARNING))
		return;
	va_start(ap, fmt);
	vlog(LOG_L_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

#define LOG_FN(name, level)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	 ap;							\
									\
	if (!log_enabled(level))					\
		return;							\
	va_start(ap, fmt);						\
	vlog(level, fmt, ap, NULL);					\
	va_end(ap);							\
}

LOG_FN(log_warnx, LOG_L_WARNING)
LOG_FN(log_info, LOG_L_INFO)
LOG_FN(log_debug, LOG_L_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_L_ERROR, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_L_ERROR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

/* ------------------------------------------------------ limited lines */

/* FNV-1a: spreads keys over the slots; collisions only cost lines. */
static size_t
log_limit_slot(const char *key, size_t nslots)
{
	uint32_t	 h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % nslots;
}

static void
log_limit_report(struct log_limit_slot *s, log_limit_report_fn *report)
{
	if (s->suppressed > 0)
		report(s->key, s->suppressed);
	s->suppressed = 0;
}

bool
log_limit_admit(struct log_limit_slot *slots, size_t nslots,
    const char *key, uint64_t now_ms, int64_t burst, uint64_t window_ms,
    log_limit_report_fn *report)
{
	struct log_limit_slot	*s;

	if (burst <= 0)
		return true;
	s = &slots[log_limit_slot(key, nslots)];
	if (strncmp(s->key, key, sizeof(s->key) - 1) != 0 ||
	    s->key[0] == '\0') {
		log_limit_report(s, report);
		snprintf(s->key, sizeof(s->key), "%s", key);
		s->window_ms = now_ms;
		s->lines = 0;
	} else if (now_ms - s->window_ms >= window_ms) {
		log_limit_report(s, report);
		s->window_ms = now_ms;
		s->lines = 0;
	}
	if (s->lines < (uint64_t)burst) {
		s->lines++;
		return true;
	}
	s->suppressed++;
	return false;
}

/* ------------------------------------------------------------ refusals */

static struct log_limit_slot	 log_refusals[LOG_REFUSAL_SOURCES];
static int64_t			 log_refusal_burst = 10;
static uint64_t			 log_refusal_ms = 60000;

void
log_set_refusal_limit(int64_t burst, int64_t interval_s)
{
	log_refusal_burst = burst;
	log_refusal_ms = (uint64_t)interval_s * 1000;
}

static void
log_refusal_report(const char *source, uint32_t suppressed)
{
	log_warnx("%u more refusals from %s suppressed", suppressed, source);
}

bool
log_refusal_admit(const char *source, uint64_t now_ms)
{
	return log_limit_admit(log_refusals, LOG_REFUSAL_SOURCES, source,
	    now_ms, log_refusal_burst, log_refusal_ms, log_refusal_report);
}
