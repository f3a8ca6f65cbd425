/*
 * gateway/log_sofia.c - sofia-sip's log redirected (gateway/log_sofia.h).
 *
 * sofia-sip calls the logger with pieces of a line (its own printf
 * calls); they are collected until the newline.  Its levels are set by
 * its environment variables (SOFIA_DEBUG, NTA_DEBUG, TPORT_DEBUG); what
 * it prints at its default levels are errors, so they are logged as
 * warnings, tagged "sofia su|nta|tport".
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sofia-sip/su_log.h>

#include "gateway/dns.h"
#include "gateway/log.h"
#include "gateway/log_sofia.h"

/* Exported by libsofia-sip-ua, declared only in its private headers. */
extern su_log_t	nta_log[];
extern su_log_t	tport_log[];

/* One line being collected per log (streams are the names). */
struct log_sofia_line {
	const char	*name;
	char		 buf[1024];
	size_t		 len;
};

static struct log_sofia_line	log_sofia_lines[] = {
	{ "su", "", 0 }, { "nta", "", 0 }, { "tport", "", 0 },
};

/* How often each kind of line was logged lately (log_sofia.h). */
static struct log_limit_slot	log_sofia_kinds[LOG_SOFIA_KINDS];

static void
log_sofia_report(const char *kind, uint32_t suppressed)
{
	log_warnx("sofia %s...: %u more lines like it suppressed", kind,
	    suppressed);
}

/* May the line @text of the log @name be logged now? */
static bool
log_sofia_admit(const char *name, const char *text)
{
	char	 key[sizeof(log_sofia_kinds[0].key)];
	size_t	 n;

	/* The kind: "nta: text up to the first digit". */
	n = (size_t)snprintf(key, sizeof(key), "%s: %s", name, text);
	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	for (size_t i = strlen(name) + 2; i < n; i++)
		if (key[i] >= '0' && key[i] <= '9') {
			key[i] = '\0';
			break;
		}
	return log_limit_admit(log_sofia_kinds, LOG_SOFIA_KINDS, key,
	    dns_now_ms(), LOG_SOFIA_BURST, LOG_SOFIA_WINDOW_MS,
	    log_sofia_report);
}

static void
log_sofia_flush(struct log_sofia_line *l)
{
	while (l->len > 0 && (l->buf[l->len - 1] == '\n' ||
	    l->buf[l->len - 1] == '\r'))
		l->len--;
	l->buf[l->len] = '\0';
	if (l->len > 0 && log_sofia_admit(l->name, l->buf))
		log_warnx("sofia %s: %s", l->name, l->buf);
	l->len = 0;
}

static void
log_sofia_logger(void *stream, const char *fmt, va_list ap)
{
	struct log_sofia_line	*l = stream;
	char			 piece[1024], *p, *nl;
	int			 n;

	n = vsnprintf(piece, sizeof(piece), fmt, ap);
	if (n < 0)
		return;
	for (p = piece; *p != '\0'; p = nl + 1) {
		size_t	 take;

		nl = strchr(p, '\n');
		take = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (take > sizeof(l->buf) - 1 - l->len)
			take = sizeof(l->buf) - 1 - l->len;
		memcpy(l->buf + l->len, p, take);
		l->len += take;
		if (nl == NULL) {
			/* A line too long for the buffer is cut there. */
			if (l->len == sizeof(l->buf) - 1)
				log_sofia_flush(l);
			break;
		}
		log_sofia_flush(l);
	}
}

void
log_sofia_redirect(void)
{
	su_log_redirect(su_log_default, log_sofia_logger,
	    &log_sofia_lines[0]);
	su_log_redirect(nta_log, log_sofia_logger, &log_sofia_lines[1]);
	su_log_redirect(tport_log, log_sofia_logger, &log_sofia_lines[2]);
}
