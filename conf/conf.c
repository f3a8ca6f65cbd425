/*
 * conf/conf.c - read imgate.conf into an immutable struct gw_conf.
 *
 * This runs before any message flows (startup, imgated -n) and again on
 * SIGHUP, when the new configuration is built aside and swapped in by the
 * caller.  It is the only file that talks to libconfig.  What an option
 * is lives in conf/conf_schema.c; this file turns rows into checks:
 *
 *   1. libconfig parses the file, @include directives resolved against
 *      the configuration file's own folder;
 *   2. a small scanner re-reads the text for what libconfig 1.5 lets
 *      through silently: integer literals it wraps, a stray quote or
 *      comment that hides the rest of the file (see conf_prescan below);
 *   3. the whole tree is walked once: every setting must match a schema
 *      row or a group that holds rows, have the row's type and satisfy
 *      its bounds, and is then stored in its canonical form.
 *
 * The first problem stops the load and is reported as "FILE:LINE: what".
 * There is no global state: every call works on its own config_t and on
 * the caller's struct, so loads may be repeated at will.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "conf/conf.h"
#include "conf/conf_schema.h"

#define CONF_PATH_MAX		4096	/* file names, include directory */
#define CONF_WHY_MAX		256	/* a problem, without its location */
#define CONF_TOKEN_MAX		64	/* integer literal kept for messages */
#define CONF_INCLUDE_DEPTH	10	/* libconfig 1.5 refuses deeper */
#define CONF_LINE_MAX		65535	/* libconfig keeps lines in a short */

/* State of one conf_load() call; lives on its stack. */
struct conf_ctx {
	const char	*path;			/* main file, as given */
	char		 dir[CONF_PATH_MAX];	/* where @include looks */
	char		*err;
	size_t		 errsz;

	/*
	 * The first integer literal libconfig has wrapped, if any: the
	 * file as libconfig names it, the line, the setting name written
	 * before it and the literal itself.
	 */
	int		 wrap_found;
	int		 wrap_reported;
	char		 wrap_file[CONF_PATH_MAX];
	unsigned int	 wrap_line;
	char		 wrap_name[CONF_TOKEN_MAX];
	char		 wrap_text[CONF_TOKEN_MAX + 4];
};

static void	conf_errorf(struct conf_ctx *, const char *, unsigned int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static void	conf_why(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Messages quote values from the file.  Keep them short and printable so
 * a hostile or broken file cannot put control characters into logs.
 */
static void
conf_quote(const char *in, char *out, size_t outsz)
{
	size_t	i, o = 0;

	if (outsz < 8) {
		if (outsz > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (i = 0; in[i] != '\0'; i++) {
		if (o + 5 >= outsz || i >= 64) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		out[o++] = isprint((unsigned char)in[i]) ? in[i] : '?';
	}
	out[o++] = '"';
	out[o] = '\0';
}

static void
conf_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/*
 * The name to show for a file libconfig recorded.  libconfig 1.5 keeps
 * an included file under the name written in the @include line, but it
 * opened it relative to the include directory; show the path it opened.
 */
static void
conf_display_file(const struct conf_ctx *ctx, const char *file, char *out,
    size_t outsz)
{
	if (file == NULL)
		file = ctx->path;
	if (strcmp(file, ctx->path) == 0 || file[0] == '/' ||
	    strcmp(ctx->dir, ".") == 0 ||
	    snprintf(out, outsz, "%s/%s", ctx->dir, file) >= (int)outsz)
		snprintf(out, outsz, "%s", file);
}

static void
conf_errorf(struct conf_ctx *ctx, const char *file, unsigned int line,
    const char *fmt, ...)
{
	char	shown[CONF_PATH_MAX], what[CONF_WHY_MAX * 2];
	va_list	ap;

	if (ctx->err == NULL || ctx->errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	conf_display_file(ctx, file, shown, sizeof(shown));
	if (line > 0)
		snprintf(ctx->err, ctx->errsz, "%s:%u: %s", shown, line, what);
	else
		snprintf(ctx->err, ctx->errsz, "%s: %s", shown, what);
}

static int
conf_in_list(const char *const *words, const char *s)
{
	int	i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(words[i], s) == 0)
			return i;
	return -1;
}

/* "off, prefer, require" for messages. */
static void
conf_join(const char *const *words, char *out, size_t outsz)
{
	size_t	i, o = 0;
	int	n;

	out[0] = '\0';
	for (i = 0; words[i] != NULL && o < outsz; i++) {
		n = snprintf(out + o, outsz - o, "%s%s", i ? ", " : "",
		    words[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/*
 * A DNS host name: dot-separated labels of letters, digits and inner
 * hyphens, 1..63 bytes each, 253 in all.  One trailing dot is accepted.
 * The result is lower-case, with a trailing dot only if @absolute.
 */
static int
conf_check_host(const char *in, int absolute, char *out, size_t outsz,
    char *why, size_t whysz)
{
	char	q[96];
	size_t	len = strlen(in), i, label = 0;

	conf_quote(in, q, sizeof(q));
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || len + 2 > outsz) {
		conf_why(why, whysz, "%s is not a domain name", q);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '.') {
			if (label == 0 || in[i - 1] == '-')
				goto bad;
			label = 0;
		} else if (isalnum(ch) || ch == '-') {
			if (label == 0 && ch == '-')
				goto bad;
			if (++label > 63)
				goto bad;
		} else
			goto bad;
		out[i] = (char)tolower(ch);
	}
	if (in[len - 1] == '-')
		goto bad;
	if (absolute)
		out[len++] = '.';
	out[len] = '\0';
	return 0;
bad:
	conf_why(why, whysz, "%s is not a domain name", q);
	return -1;
}

/* Decimal 1..65535, nothing else. */
static int
conf_parse_port(const char *s, unsigned int *port)
{
	unsigned long	v = 0;
	size_t		i;

	if (s[0] == '\0' || strlen(s) > 5)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (unsigned int)v;
	return 0;
}

/*
 * A resolver address: "192.0.2.1", "192.0.2.1:5353", "2001:db8::1" or
 * "[2001:db8::1]:5353".  Stored as "IP:PORT" with the address in the
 * form inet_ntop() prints, so that duplicates compare equal.
 */
static int
conf_check_server(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char		 host[INET6_ADDRSTRLEN + 1], txt[INET6_ADDRSTRLEN];
	char		 q[96];
	const char	*port = NULL, *colon, *end;
	unsigned char	 bin[sizeof(struct in6_addr)];
	unsigned int	 portnum = 53;
	size_t		 hlen;
	int		 af;

	conf_quote(in, q, sizeof(q));
	if (in[0] == '[') {
		if ((end = strchr(in, ']')) == NULL)
			goto bad;
		hlen = (size_t)(end - in - 1);
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, in + 1, hlen);
		host[hlen] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto bad;
		af = AF_INET6;
	} else if ((colon = strchr(in, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - in);
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, in, hlen);
		host[hlen] = '\0';
		port = colon + 1;
		af = AF_INET;
	} else {
		if (strlen(in) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%s", in);
		af = colon != NULL ? AF_INET6 : AF_INET;
	}
	if (inet_pton(af, host, bin) != 1)
		goto bad;
	if (port != NULL && conf_parse_port(port, &portnum) == -1)
		goto bad;
	if (inet_ntop(af, bin, txt, sizeof(txt)) == NULL)
		goto bad;
	if (snprintf(out, outsz, af == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    txt, portnum) >= (int)outsz)
		goto bad;
	return 0;
bad:
	conf_why(why, whysz, "%s is not IP, IP:PORT or [IPv6]:PORT", q);
	return -1;
}

/* An address literal: libstrophe is given IPs only (its lookup blocks). */
static int
conf_check_ip(const char *in, char *why, size_t whysz)
{
	unsigned char	 bin[sizeof(struct in6_addr)];
	char		 q[96];

	if (inet_pton(AF_INET, in, bin) == 1 ||
	    inet_pton(AF_INET6, in, bin) == 1)
		return 0;
	conf_quote(in, q, sizeof(q));
	conf_why(why, whysz, "%s is not an IPv4 or IPv6 address", q);
	return -1;
}

/*
 * The listen URI handed to sofia-sip: "sip:" HOST [":" PORT] [";" params]
 * where HOST is "*", an IPv4 address, "[IPv6]" or a host name.  No user
 * part.  Stored as written.
 */
static int
conf_check_sip_uri(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char		 host[CONF_STR_MAX], tmp[CONF_STR_MAX], q[96];
	unsigned char	 bin[sizeof(struct in6_addr)];
	const char	*p, *hend, *params;
	unsigned int	 port;
	size_t		 hlen, i;

	conf_quote(in, q, sizeof(q));
	if (strncasecmp(in, "sip:", 4) != 0 || strlen(in) >= outsz)
		goto bad;
	p = in + 4;
	params = strchr(p, ';');
	if (p[0] == '[') {
		if ((hend = strchr(p, ']')) == NULL ||
		    (params != NULL && params < hend))
			goto bad;
		hlen = (size_t)(hend - p - 1);
		memcpy(host, p + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1)
			goto bad;
		hend++;
	} else {
		hend = p + strcspn(p, ":;");
		hlen = (size_t)(hend - p);
		memcpy(host, p, hlen);
		host[hlen] = '\0';
		if (strcmp(host, "*") == 0)
			;
		else if (strspn(host, "0123456789.") == hlen) {
			if (inet_pton(AF_INET, host, bin) != 1)
				goto bad;
		} else if (conf_check_host(host, 0, tmp, sizeof(tmp), why,
		    whysz) == -1 || host[hlen - 1] == '.')
			goto bad;
	}
	if (*hend == ':') {
		hlen = params != NULL ? (size_t)(params - hend - 1) :
		    strlen(hend + 1);
		if (hlen >= sizeof(tmp))
			goto bad;
		memcpy(tmp, hend + 1, hlen);
		tmp[hlen] = '\0';
		if (conf_parse_port(tmp, &port) == -1)
			goto bad;
	} else if (*hend != '\0' && *hend != ';')
		goto bad;
	if (params != NULL) {
		for (i = 1; params[i] != '\0'; i++)
			if (!isalnum((unsigned char)params[i]) &&
			    strchr("=;._-", params[i]) == NULL)
				goto bad;
	}
	snprintf(out, outsz, "%s", in);
	return 0;
bad:
	conf_why(why, whysz, "%s is not sip:HOST[:PORT][;params]", q);
	return -1;
}

/*
 * Check one string value (a string option, an enum or a list entry) and
 * store its canonical form: list entry @idx for lists.  Used for the
 * file and for the schema defaults alike, so defaults obey the rules.
 */
static int
conf_store_text(const struct conf_schema_row *row, struct gw_conf *c,
    size_t idx, const char *text, char *why, size_t whysz)
{
	char	*dst = (char *)c + row->off;
	char	 q[96], words[128];
	size_t	 len = strlen(text), maxlen;
	int	 pick;

	conf_quote(text, q, sizeof(q));
	if (row->type == CONF_TYPE_LIST)
		dst += idx * row->size;
	if (row->allowed != NULL) {
		if ((pick = conf_in_list(row->allowed, text)) == -1) {
			conf_join(row->allowed, words, sizeof(words));
			conf_why(why, whysz, "%s is not one of %s", q, words);
			return -1;
		}
		if (row->type == CONF_TYPE_ENUM) {
			memcpy(dst, &pick, sizeof(pick));
			return 0;
		}
	}
	maxlen = row->size - 1;
	if (row->type == CONF_TYPE_STRING && row->max > 0 &&
	    (size_t)row->max < maxlen)
		maxlen = (size_t)row->max;
	/* A string row with min 0 (a secret) may be empty. */
	if (len == 0 && !(row->type == CONF_TYPE_STRING && row->min == 0 &&
	    row->check == CONF_CHECK_NONE)) {
		conf_why(why, whysz, "empty string not allowed");
		return -1;
	}
	if (len > maxlen) {
		conf_why(why, whysz, "%s is longer than %zu bytes", q, maxlen);
		return -1;
	}
	switch (row->check) {
	case CONF_CHECK_HOST:
		return conf_check_host(text, 0, dst, row->size, why, whysz);
	case CONF_CHECK_SUFFIX:
		return conf_check_host(text, 1, dst, row->size, why, whysz);
	case CONF_CHECK_SERVER:
		return conf_check_server(text, dst, row->size, why, whysz);
	case CONF_CHECK_SIP_URI:
		return conf_check_sip_uri(text, dst, row->size, why, whysz);
	case CONF_CHECK_IP:
		if (conf_check_ip(text, why, whysz) != 0)
			return -1;
		break;
	case CONF_CHECK_NONE:
		break;
	}
	memcpy(dst, text, len + 1);
	return 0;
}

/* List entry @idx has been stored; refuse it if an earlier one is equal
 * (after canonicalisation, so "::1" and "[::1]:53" collide). */
static int
conf_check_duplicate(const struct conf_schema_row *row,
    const struct gw_conf *c, size_t idx, char *why, size_t whysz)
{
	const char	*base = (const char *)c + row->off;
	const char	*entry = base + idx * row->size;
	char		 q[96];
	size_t		 i;

	for (i = 0; i < idx; i++)
		if (strcmp(base + i * row->size, entry) == 0) {
			conf_quote(entry, q, sizeof(q));
			conf_why(why, whysz, "duplicate entry %s", q);
			return -1;
		}
	return 0;
}

static int
conf_store_int(const struct conf_schema_row *row, struct gw_conf *c,
    int64_t v, char *why, size_t whysz)
{
	if (v < row->min || v > row->max) {
		conf_why(why, whysz, "%" PRId64 " is out of range %" PRId64
		    "..%" PRId64, v, row->min, row->max);
		return -1;
	}
	memcpy((char *)c + row->off, &v, sizeof(v));
	return 0;
}

static void
conf_clear_list(const struct conf_schema_row *row, struct gw_conf *c)
{
	size_t	zero = 0;

	memset((char *)c + row->off, 0, (size_t)row->max * row->size);
	memcpy((char *)c + row->count_off, &zero, sizeof(zero));
}

/*
 * A schema default that does not pass its own row is a programming
 * error caught by the first test run; there is nothing to recover.
 */
static void
conf_default_row(const struct conf_schema_row *row, struct gw_conf *c)
{
	char		 why[CONF_WHY_MAX], item[CONF_STR_MAX];
	const char	*p, *comma;
	size_t		 n = 0, len;
	bool		 b;
	int		 rc = 0;

	switch (row->type) {
	case CONF_TYPE_INT:
		rc = conf_store_int(row, c, strtoll(row->def, NULL, 10), why,
		    sizeof(why));
		break;
	case CONF_TYPE_BOOL:
		b = strcmp(row->def, "true") == 0;
		memcpy((char *)c + row->off, &b, sizeof(b));
		break;
	case CONF_TYPE_STRING:
	case CONF_TYPE_ENUM:
		rc = conf_store_text(row, c, 0, row->def, why, sizeof(why));
		break;
	case CONF_TYPE_LIST:
		conf_clear_list(row, c);
		for (p = row->def; rc == 0 && *p != '\0'; n++) {
			comma = strchr(p, ',');
			len = comma ? (size_t)(comma - p) : strlen(p);
			snprintf(item, sizeof(item), "%.*s", (int)len, p);
			p += len + (comma != NULL);
			if (n >= (size_t)row->max)
				rc = -1;
			else if ((rc = conf_store_text(row, c, n, item, why,
			    sizeof(why))) == 0)
				rc = conf_check_duplicate(row, c, n, why,
				    sizeof(why));
		}
		memcpy((char *)c + row->count_off, &n, sizeof(n));
		break;
	}
	if (rc != 0) {
		fprintf(stderr, "imgate: schema default of %s is invalid\n",
		    row->path);
		abort();
	}
}

void
conf_defaults(struct gw_conf *c)
{
	size_t	i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < conf_schema_len; i++)
		conf_default_row(&conf_schema[i], c);
}

/*
 * libconfig 1.5 integer quirks, found by experiment on Debian's 1.5:
 *
 *   99999999999   -> CONFIG_TYPE_INT 1215752191   (decimal: wraps mod 2^32)
 *   4294967296    -> CONFIG_TYPE_INT 0
 *   2147483648    -> CONFIG_TYPE_INT -2147483648
 *   -2147483649   -> CONFIG_TYPE_INT 2147483647
 *   0xFFFFFFFFFF  -> CONFIG_TYPE_INT -1           (hex: truncated)
 *   0x80000000    -> CONFIG_TYPE_INT -2147483648
 *   4294967296L   -> CONFIG_TYPE_INT64 4294967296 (correct)
 *   9223372036854775808L -> INT64 9223372036854775807 (saturates)
 *   0xFFFFFFFFFFFFFFFFFL -> INT64 -1
 *
 * Once parsed, a wrapped value is indistinguishable from a legitimate
 * one (the type stays CONFIG_TYPE_INT), so no check on the tree can
 * catch "dns.cache_entries = 4294967296;" turning into 0.  Instead the
 * text is scanned again after a successful parse: every integer literal
 * is read with strtoll/strtoull and compared with what libconfig can
 * represent.  The first literal that does not fit is remembered with its
 * file, line and the setting name before it; the tree walk reports it
 * against that setting.  The parse has succeeded at this point, so the
 * scanner only needs to tell comments, strings, names, numbers and
 * @include apart; everything else is punctuation.
 *
 * The same pass catches two more silent failures of libconfig 1.5:
 *
 *   - a string or a comment left open at the top level, between
 *     settings, makes the scanner swallow the rest of the file and the
 *     parse succeed with whatever came before ("a = 1;\n\"\nb = 2;"
 *     loads as a = 1 alone); the scanner refuses an open string, block
 *     comment or @include name at end of file;
 *   - line numbers are kept in an unsigned short, so locations in a file
 *     of more than CONF_LINE_MAX lines would be wrong; such a file is
 *     refused.
 */
static int
conf_literal_wraps(const char *tok, size_t len, int floating)
{
	const char		*body = tok;
	char			*end;
	char			 digits[CONF_TOKEN_MAX];
	size_t			 n;
	int			 hex, is64 = 0;
	long long		 v;
	unsigned long long	 u;

	if (*body == '+' || *body == '-')
		body++;
	hex = body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
	if (floating && !hex)
		return 0;
	if (len >= CONF_TOKEN_MAX)
		return 1;
	n = len;
	while (n > 0 && (tok[n - 1] == 'L' || tok[n - 1] == 'l')) {
		is64 = 1;
		n--;
	}
	memcpy(digits, tok, n);
	digits[n] = '\0';
	errno = 0;
	if (hex) {
		u = strtoull(digits + (body - tok) + 2, &end, 16);
		if (errno == ERANGE || *end != '\0')
			return 1;
		return u > (is64 ? (unsigned long long)INT64_MAX :
		    (unsigned long long)INT32_MAX);
	}
	v = strtoll(digits, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return 1;
	return !is64 && (v < INT32_MIN || v > INT32_MAX);
}

static int
conf_is_name_start(int ch)
{
	return isalpha(ch) || ch == '*';
}

static int
conf_is_name_char(int ch)
{
	return isalnum(ch) || ch == '*' || ch == '-' || ch == '_';
}

static int	conf_prescan(struct conf_ctx *, const char *, int);

/* Scan one number whose first character @ch has been read. */
static void
conf_prescan_number(struct conf_ctx *ctx, FILE *fp, int ch,
    const char *file, unsigned int line, const char *name)
{
	char	tok[CONF_TOKEN_MAX];
	size_t	len = 0;
	int	floating = 0, hex = 0, prev = 0;

	for (;;) {
		if (ch == '.' || ((ch == 'e' || ch == 'E') && !hex))
			floating = 1;
		if (len < sizeof(tok) - 1)
			tok[len] = (char)ch;
		len++;
		if (len == 2 && tok[0] == '0' && (ch == 'x' || ch == 'X'))
			hex = 1;
		if (len == 3 && (tok[0] == '+' || tok[0] == '-') &&
		    tok[1] == '0' && (ch == 'x' || ch == 'X'))
			hex = 1;
		prev = ch;
		ch = getc(fp);
		if (isalnum(ch) || ch == '.')
			continue;
		if ((ch == '+' || ch == '-') && !hex &&
		    (prev == 'e' || prev == 'E'))
			continue;
		break;
	}
	if (ch != EOF)
		ungetc(ch, fp);
	tok[len < sizeof(tok) ? len : sizeof(tok) - 1] = '\0';
	if (ctx->wrap_found || !conf_literal_wraps(tok, len, floating))
		return;
	ctx->wrap_found = 1;
	snprintf(ctx->wrap_file, sizeof(ctx->wrap_file), "%s", file);
	snprintf(ctx->wrap_name, sizeof(ctx->wrap_name), "%s", name);
	snprintf(ctx->wrap_text, sizeof(ctx->wrap_text), "%s%s", tok,
	    len >= sizeof(tok) ? "..." : "");
	ctx->wrap_line = line;
}

/* The text after '@' on @line of @file; recurse into "@include". */
static int
conf_prescan_directive(struct conf_ctx *ctx, FILE *fp, const char *file,
    unsigned int line, int depth)
{
	char	word[16], inc[CONF_PATH_MAX];
	size_t	n = 0;
	int	ch;

	while ((ch = getc(fp)) != EOF && isalpha(ch))
		if (n < sizeof(word) - 1)
			word[n++] = (char)ch;
	word[n] = '\0';
	while (ch == ' ' || ch == '\t')
		ch = getc(fp);
	if (strcmp(word, "include") != 0 || ch != '"') {
		if (ch != EOF)
			ungetc(ch, fp);
		return 0;
	}
	n = 0;
	while ((ch = getc(fp)) != EOF && ch != '"' && ch != '\n')
		if (n < sizeof(inc) - 1)
			inc[n++] = (char)ch;
	inc[n] = '\0';
	if (ch != '"') {
		conf_errorf(ctx, file, line, "unterminated @include");
		return -1;
	}
	return conf_prescan(ctx, inc, depth + 1);
}

/*
 * Scan @file (the main file, or an @include name which libconfig opened
 * as "<dir>/<name>").
 */
static int
conf_prescan(struct conf_ctx *ctx, const char *file, int depth)
{
	char		 open_path[CONF_PATH_MAX], name[CONF_TOKEN_MAX] = "";
	FILE		*fp;
	unsigned int	 line = 1, start;
	size_t		 n;
	int		 ch, next = 0, rc = 0;

	if (depth > CONF_INCLUDE_DEPTH) {
		conf_errorf(ctx, file, 0, "@include nested too deeply");
		return -1;
	}
	if (depth == 0)
		n = (size_t)snprintf(open_path, sizeof(open_path), "%s", file);
	else
		n = (size_t)snprintf(open_path, sizeof(open_path), "%s/%s",
		    ctx->dir, file);
	if (n >= sizeof(open_path)) {
		conf_errorf(ctx, file, 0, "file name too long");
		return -1;
	}
	if ((fp = fopen(open_path, "r")) == NULL) {
		conf_errorf(ctx, file, 0, "%s", strerror(errno));
		return -1;
	}
	while (rc == 0 && (ch = getc(fp)) != EOF) {
		if (ch == '\n') {
			if (++line > CONF_LINE_MAX) {
				conf_errorf(ctx, file, 0, "more than %d lines",
				    CONF_LINE_MAX);
				rc = -1;
			}
		} else if (ch == '#') {
			while ((ch = getc(fp)) != EOF && ch != '\n')
				;
			if (ch == '\n')
				ungetc(ch, fp);
		} else if (ch == '/' && (next = getc(fp)) == '/') {
			while ((ch = getc(fp)) != EOF && ch != '\n')
				;
			if (ch == '\n')
				ungetc(ch, fp);
		} else if (ch == '/' && next == '*') {
			start = line;
			for (next = 0; (ch = getc(fp)) != EOF; next = ch) {
				if (ch == '\n')
					line++;
				if (next == '*' && ch == '/')
					break;
			}
			if (ch == EOF) {
				conf_errorf(ctx, file, start, "unterminated "
				    "comment hides the rest of the file");
				rc = -1;
			}
		} else if (ch == '/') {
			if (next != EOF)
				ungetc(next, fp);
		} else if (ch == '"') {
			start = line;
			while ((ch = getc(fp)) != EOF && ch != '"') {
				if (ch == '\\' && (ch = getc(fp)) == EOF)
					break;
				if (ch == '\n')
					line++;
			}
			if (ch == EOF) {
				conf_errorf(ctx, file, start, "unterminated "
				    "string hides the rest of the file");
				rc = -1;
			}
		} else if (ch == '@') {
			rc = conf_prescan_directive(ctx, fp, file, line,
			    depth);
		} else if (conf_is_name_start(ch)) {
			n = 0;
			do {
				if (n < sizeof(name) - 1)
					name[n++] = (char)ch;
			} while ((ch = getc(fp)) != EOF &&
			    conf_is_name_char(ch));
			name[n] = '\0';
			if (ch != EOF)
				ungetc(ch, fp);
		} else if (isdigit(ch) || ch == '+' || ch == '-' ||
		    ch == '.') {
			next = getc(fp);
			if (next != EOF)
				ungetc(next, fp);
			if (isdigit(ch) || isdigit(next))
				conf_prescan_number(ctx, fp, ch, file, line,
				    name);
		}
	}
	fclose(fp);
	return rc;
}

static int
conf_setting_wrapped(const struct conf_ctx *ctx, const config_setting_t *s)
{
	const char	*file = config_setting_source_file(s);
	const char	*name = config_setting_name(s);

	return ctx->wrap_found && !ctx->wrap_reported &&
	    config_setting_source_line(s) == ctx->wrap_line &&
	    name != NULL && strcmp(name, ctx->wrap_name) == 0 &&
	    strcmp(file != NULL ? file : ctx->path, ctx->wrap_file) == 0;
}

/* The integer libconfig would have wrapped, reported against @row. */
static void
conf_report_wrap(struct conf_ctx *ctx, const struct conf_schema_row *row,
    const config_setting_t *s)
{
	const char	*file = config_setting_source_file(s);
	unsigned int	 line = config_setting_source_line(s);
	long long	 v;
	char		*end;

	ctx->wrap_reported = 1;
	errno = 0;
	v = strtoll(ctx->wrap_text, &end, 0);
	if (errno == 0 && (*end == '\0' || *end == 'L' || *end == 'l') &&
	    v >= row->min && v <= row->max)
		conf_errorf(ctx, file, line, "%s: %s needs an L suffix "
		    "(libconfig 1.5 wraps integers beyond 32 bits)",
		    row->path, ctx->wrap_text);
	else
		conf_errorf(ctx, file, line, "%s: %s is out of range %"
		    PRId64 "..%" PRId64, row->path, ctx->wrap_text, row->min,
		    row->max);
}

/* Load setting @s, which the schema knows as @row. */
static int
conf_load_setting(struct conf_ctx *ctx, const struct conf_schema_row *row,
    const config_setting_t *s, struct gw_conf *c)
{
	config_setting_t	*e;
	const char		*file = config_setting_source_file(s);
	const char		*text;
	unsigned int		 line = config_setting_source_line(s);
	char			 why[CONF_WHY_MAX];
	int			 type = config_setting_type(s);
	size_t			 i, n;
	bool			 b;

	switch (row->type) {
	case CONF_TYPE_INT:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			break;
		if (conf_setting_wrapped(ctx, s)) {
			conf_report_wrap(ctx, row, s);
			return -1;
		}
		if (conf_store_int(row, c, config_setting_get_int64(s), why,
		    sizeof(why)) == -1)
			goto bad;
		return 0;
	case CONF_TYPE_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			break;
		b = config_setting_get_bool(s) != 0;
		memcpy((char *)c + row->off, &b, sizeof(b));
		return 0;
	case CONF_TYPE_STRING:
	case CONF_TYPE_ENUM:
		if (type != CONFIG_TYPE_STRING)
			break;
		text = config_setting_get_string(s);
		if (conf_store_text(row, c, 0, text, why, sizeof(why)) == -1)
			goto bad;
		return 0;
	case CONF_TYPE_LIST:
		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			break;
		n = (size_t)config_setting_length(s);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned int)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				goto badtype;
		}
		if (n < (size_t)row->min) {
			conf_errorf(ctx, file, line, "%s: needs at least %"
			    PRId64 " entr%s", row->path, row->min,
			    row->min == 1 ? "y" : "ies");
			return -1;
		}
		if (n > (size_t)row->max) {
			conf_errorf(ctx, file, line, "%s: %zu entries, at "
			    "most %" PRId64 " allowed", row->path, n,
			    row->max);
			return -1;
		}
		conf_clear_list(row, c);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned int)i);
			text = config_setting_get_string(e);
			if (conf_store_text(row, c, i, text, why,
			    sizeof(why)) == -1 ||
			    conf_check_duplicate(row, c, i, why,
			    sizeof(why)) == -1) {
				conf_errorf(ctx, file, line,
				    "%s: entry %zu: %s", row->path, i + 1,
				    why);
				return -1;
			}
		}
		memcpy((char *)c + row->count_off, &n, sizeof(n));
		return 0;
	}
badtype:
	conf_errorf(ctx, file, line, "%s: expected %s", row->path,
	    conf_schema_typename(row->type));
	return -1;
bad:
	conf_errorf(ctx, file, line, "%s: %s", row->path, why);
	return -1;
}

/*
 * Every setting under @group must be an option or a group of options.
 * Settings come in file order (included files where they were
 * included), so the first problem reported is the first in the text.
 */
static int
conf_walk(struct conf_ctx *ctx, const config_setting_t *group,
    const char *prefix, struct gw_conf *c)
{
	const struct conf_schema_row	*row;
	config_setting_t		*s;
	const char			*name;
	char				 path[128];
	int				 i, n, len;

	n = config_setting_length(group);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(group, (unsigned int)i);
		name = config_setting_name(s);
		len = snprintf(path, sizeof(path), "%s%s%s", prefix,
		    prefix[0] != '\0' ? "." : "", name != NULL ? name : "");
		row = NULL;
		if (len > 0 && (size_t)len < sizeof(path))
			row = conf_schema_find(path);
		if (row != NULL) {
			if (conf_load_setting(ctx, row, s, c) == -1)
				return -1;
			continue;
		}
		if (len > 0 && (size_t)len < sizeof(path) &&
		    conf_schema_is_group(path)) {
			if (!config_setting_is_group(s)) {
				conf_errorf(ctx, config_setting_source_file(s),
				    config_setting_source_line(s),
				    "%s: expected group", path);
				return -1;
			}
			if (conf_walk(ctx, s, path, c) == -1)
				return -1;
			continue;
		}
		conf_errorf(ctx, config_setting_source_file(s),
		    config_setting_source_line(s), "unknown %s '%s'",
		    config_setting_is_group(s) ? "group" : "setting", path);
		return -1;
	}
	return 0;
}

/* The folder @path lives in, which libconfig uses for @include. */
static int
conf_set_dir(struct conf_ctx *ctx)
{
	const char	*slash = strrchr(ctx->path, '/');
	size_t		 len;

	if (slash == NULL) {
		snprintf(ctx->dir, sizeof(ctx->dir), ".");
		return 0;
	}
	len = slash == ctx->path ? 1 : (size_t)(slash - ctx->path);
	if (len >= sizeof(ctx->dir))
		return -1;
	memcpy(ctx->dir, ctx->path, len);
	ctx->dir[len] = '\0';
	return 0;
}

int
conf_load(const char *path, struct gw_conf *c, char *err, size_t errsz)
{
	struct conf_ctx	 ctx;
	config_t	 cf;
	const char	*efile;
	int		 rc = -1, saved;

	memset(&ctx, 0, sizeof(ctx));
	ctx.path = path;
	ctx.err = err;
	ctx.errsz = errsz;
	if (err != NULL && errsz > 0)
		err[0] = '\0';
	conf_defaults(c);
	if (strlen(path) >= CONF_PATH_MAX || conf_set_dir(&ctx) == -1) {
		conf_errorf(&ctx, path, 0, "file name too long");
		return -1;
	}

	config_init(&cf);
	config_set_include_dir(&cf, ctx.dir);
	errno = 0;
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		saved = errno;
		efile = config_error_file(&cf);
		if (config_error_line(&cf) > 0)
			conf_errorf(&ctx, efile, (unsigned int)
			    config_error_line(&cf), "%s",
			    config_error_text(&cf));
		else if (config_error_type(&cf) == CONFIG_ERR_FILE_IO &&
		    saved != 0)
			conf_errorf(&ctx, efile, 0, "%s",
			    strerror(saved));
		else
			conf_errorf(&ctx, efile, 0, "%s",
			    config_error_text(&cf));
		goto done;
	}
	if (conf_prescan(&ctx, path, 0) == -1)
		goto done;
	if (conf_walk(&ctx, config_root_setting(&cf), "", c) == -1)
		goto done;
	if (ctx.wrap_found && !ctx.wrap_reported) {
		conf_errorf(&ctx, ctx.wrap_file, ctx.wrap_line,
		    "integer %s does not fit (libconfig 1.5 would wrap it)",
		    ctx.wrap_text);
		goto done;
	}
	rc = 0;
done:
	config_destroy(&cf);
	return rc;
}
