/*
 * gateway/promtext.c - Prometheus text format writer (see promtext.h).
 *
 * Label values escape backslash, double quote and newline; HELP text
 * escapes backslash and newline (the exposition format's only escapes).
 * Values are integers where they are counts, and otherwise the shortest
 * decimal that reads back as the same double (or +Inf/-Inf/NaN).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/promtext.h"

void
promtext_init(struct promtext *p, char *buf, size_t cap)
{
	p->buf = buf;
	p->cap = cap;
	p->len = 0;
	p->truncated = false;
	if (cap > 0)
		buf[0] = '\0';
}

static void
put(struct promtext *p, const char *s, size_t n)
{
	if (p->truncated || p->cap == 0)
		return;
	if (n >= p->cap - p->len) {
		p->truncated = true;
		return;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void
puts_(struct promtext *p, const char *s)
{
	put(p, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
putf(struct promtext *p, const char *fmt, ...)
{
	char	 tmp[64];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		p->truncated = true;
		return;
	}
	put(p, tmp, (size_t)n);
}

/* @s with backslash, newline and (when @quote) '"' escaped. */
static void
put_escaped(struct promtext *p, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			puts_(p, "\\\\");
		else if (*s == '\n')
			puts_(p, "\\n");
		else if (*s == '"' && quote)
			puts_(p, "\\\"");
		else
			put(p, s, 1);
	}
}

void
promtext_family(struct promtext *p, const char *name, const char *help,
    const char *type)
{
	puts_(p, "# HELP ");
	puts_(p, name);
	puts_(p, " ");
	put_escaped(p, help, false);
	puts_(p, "\n# TYPE ");
	puts_(p, name);
	puts_(p, " ");
	puts_(p, type);
	puts_(p, "\n");
}

/* name{a="x",b="y"[,le="B"]} - the value follows. */
static void
put_series(struct promtext *p, const char *name, const char *suffix,
    const struct promtext_label *l, size_t nl, const char *le)
{
	size_t	 i;

	puts_(p, name);
	puts_(p, suffix);
	if (nl == 0 && le == NULL) {
		puts_(p, " ");
		return;
	}
	puts_(p, "{");
	for (i = 0; i < nl; i++) {
		if (i > 0)
			puts_(p, ",");
		puts_(p, l[i].name);
		puts_(p, "=\"");
		put_escaped(p, l[i].value, true);
		puts_(p, "\"");
	}
	if (le != NULL) {
		puts_(p, nl > 0 ? ",le=\"" : "le=\"");
		puts_(p, le);
		puts_(p, "\"");
	}
	puts_(p, "} ");
}

/* The shortest "%.Ng" that reads back as @v (0.005, not
 * 0.0050000000000000001). */
static void
fmt_double(char *out, size_t outsz, double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, outsz, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static void
put_double(struct promtext *p, double v)
{
	char	 tmp[32];

	if (isnan(v))
		puts_(p, "NaN");
	else if (isinf(v))
		puts_(p, v > 0 ? "+Inf" : "-Inf");
	else {
		fmt_double(tmp, sizeof(tmp), v);
		puts_(p, tmp);
	}
}

void
promtext_uint(struct promtext *p, const char *name,
    const struct promtext_label *l, size_t nl, uint64_t v)
{
	put_series(p, name, "", l, nl, NULL);
	putf(p, "%llu\n", (unsigned long long)v);
}

void
promtext_double(struct promtext *p, const char *name,
    const struct promtext_label *l, size_t nl, double v)
{
	put_series(p, name, "", l, nl, NULL);
	put_double(p, v);
	puts_(p, "\n");
}

void
promtext_histogram(struct promtext *p, const char *name,
    const struct promtext_label *l, size_t nl, const double *bounds,
    const uint64_t *counts, size_t nb, double sum)
{
	char		 le[32];
	uint64_t	 cum = 0;
	size_t		 i;

	for (i = 0; i < nb; i++) {
		cum += counts[i];
		fmt_double(le, sizeof(le), bounds[i]);
		put_series(p, name, "_bucket", l, nl, le);
		putf(p, "%llu\n", (unsigned long long)cum);
	}
	cum += counts[nb];
	put_series(p, name, "_bucket", l, nl, "+Inf");
	putf(p, "%llu\n", (unsigned long long)cum);
	put_series(p, name, "_sum", l, nl, NULL);
	put_double(p, sum);
	puts_(p, "\n");
	put_series(p, name, "_count", l, nl, NULL);
	putf(p, "%llu\n", (unsigned long long)cum);
}
