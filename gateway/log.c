/*
 * gateway/log.c - log lines to stderr (imgated -d, imgate-lookup) or
 * syslog (daemon).  Every level check happens before formatting so that a
 * debug line on the message path costs one comparison when it is off.
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

void
log_init(bool foreground, enum log_level level, const char *ident)
{
	log_foreground = foreground;
	log_level = level;
	log_ident = ident;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
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
	char	 buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (!log_foreground)
		syslog(prio[level], "%s%s%s", buf, suffix ? ": " : "",
		    suffix ? suffix : "");
	if (log_foreground || (log_stderr_too && level <= LOG_L_WARNING)) {
		struct timespec	 ts;
		struct tm	 tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		fprintf(stderr, "%02d:%02d:%02d.%03ld %s: %s: %s%s%s\n",
		    tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		    log_ident, tag[level], buf, suffix ? ": " : "",
		    suffix ? suffix : "");
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
