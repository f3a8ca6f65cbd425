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
 *      its bounds, and is then stored in its canonical form.  The
 *      routing policy ("routes", "dialplans", "identities": lists of
 *      groups; "acl") does not fit one row per field and is read
 *      against conf_keys[] instead, with checks across groups
 *      (duplicate names or addresses, a route an earlier one hides) at
 *      the end of each group.
 *
 * conf_reload_merge() compares two loaded configurations row by row for
 * a SIGHUP: it reports every change and keeps the running value of each
 * restart-only option.
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
 * The listen URI handed to sofia-sip: "sip:" or "sips:" (TLS), then
 * HOST [":" PORT] [";" params] where HOST is "*", an IPv4 address,
 * "[IPv6]" or a host name.  No user part.  Stored as written.
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
	if (strlen(in) >= outsz)
		goto bad;
	if (strncasecmp(in, "sip:", 4) == 0)
		p = in + 4;
	else if (strncasecmp(in, "sips:", 5) == 0)
		p = in + 5;
	else
		goto bad;
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
	conf_why(why, whysz, "%s is not sip:HOST[:PORT][;params] or "
	    "sips:HOST[:PORT][;params]", q);
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
	/* A string row with min 0 (a secret, an optional setting) may be
	 * empty; an empty one is not checked further. */
	if (len == 0 && !(row->type == CONF_TYPE_STRING && row->min == 0)) {
		conf_why(why, whysz, "empty string not allowed");
		return -1;
	}
	if (len == 0 && row->check != CONF_CHECK_NONE) {
		memset(dst, 0, row->size);
		return 0;
	}
	if (len > maxlen) {
		conf_why(why, whysz, "%s is longer than %zu bytes", q, maxlen);
		return -1;
	}
	/* Canonical bytes after the NUL too: conf_reload_merge()
	 * compares fields whole. */
	memset(dst, 0, row->size);
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

/*
 * The integer libconfig would have wrapped, reported against option
 * @path (bounds @min..@max); @who prefixes the message ("route 'x': ").
 */
static void
conf_report_wrap(struct conf_ctx *ctx, const char *who, const char *path,
    int64_t min, int64_t max, const config_setting_t *s)
{
	const char	*file = config_setting_source_file(s);
	unsigned int	 line = config_setting_source_line(s);
	long long	 v;
	char		*end;

	ctx->wrap_reported = 1;
	errno = 0;
	v = strtoll(ctx->wrap_text, &end, 0);
	if (errno == 0 && (*end == '\0' || *end == 'L' || *end == 'l') &&
	    v >= min && v <= max)
		conf_errorf(ctx, file, line, "%s%s: %s needs an L suffix "
		    "(libconfig 1.5 wraps integers beyond 32 bits)",
		    who, path, ctx->wrap_text);
	else
		conf_errorf(ctx, file, line, "%s%s: %s is out of range %"
		    PRId64 "..%" PRId64, who, path, ctx->wrap_text, min, max);
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
			conf_report_wrap(ctx, "", row->path, row->min,
			    row->max, s);
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
 * Routing policy: "routes", "dialplans" and "identities" are lists of
 * groups and "acl" is a group of address lists.  Telephone numbers cannot be libconfig
 * setting names, so a route table cannot be a group keyed by prefix;
 * each group in the list is one route (or dial plan) instead:
 *
 *	routes = ( { name = "uk"; prefix = "+44"; action = "static";
 *		     target = "sip:trunk.example.net"; }, ... );
 *
 * conf_keys[] says which keys a group may hold, their type, bounds,
 * default and (for routes) which actions accept them.  A group is read
 * in three steps: its name and action first (every later message names
 * the route), then each key in file order through conf_val_read(), which
 * applies the table, and a store function, which applies the key's own
 * syntax; last, the defaults of the keys left out and the checks that
 * involve several keys or several groups.
 */

#define CONF_VAL_MAX	16	/* entries of any conf_keys[] list */
#define CONF_WHO_MAX	(CONF_NAME_MAX + 32)

/* One key's value, read from the file or made from its default. */
struct conf_val {
	const struct conf_key_row *key;
	const char	*file;			/* where, for messages */
	unsigned int	 line;
	int64_t		 num;			/* CONF_TYPE_INT */
	const char	*str;			/* CONF_TYPE_STRING */
	int		 word;			/* index into key->allowed */
	const char	*items[CONF_VAL_MAX];	/* CONF_TYPE_LIST */
	int		 words[CONF_VAL_MAX];
	size_t		 n;
	char		 defbuf[CONF_STR_MAX];	/* a default list, split */
};

/* Store one value into the object a group describes. */
typedef int (*conf_store_fn)(struct conf_ctx *, const char *, void *,
    const struct conf_val *);

/* Turn a string into its canonical form, or say why it is wrong. */
typedef int (*conf_canon_fn)(const char *, char *, size_t, char *, size_t);

/*
 * One string (a STRING key or a LIST entry) against the key's table
 * row: one of the allowed words, not empty, not too long.
 */
static int
conf_val_text(const struct conf_key_row *key, const char *text, int *word,
    char *why, size_t whysz)
{
	char	q[96], words[128];
	size_t	len = strlen(text), minlen = 1, maxlen = CONF_STR_MAX - 1;

	conf_quote(text, q, sizeof(q));
	*word = -1;
	if (key->allowed != NULL &&
	    (*word = conf_in_list(key->allowed, text)) == -1) {
		conf_join(key->allowed, words, sizeof(words));
		conf_why(why, whysz, "%s is not one of %s", q, words);
		return -1;
	}
	if (key->type == CONF_TYPE_STRING) {
		minlen = (size_t)key->min;
		maxlen = (size_t)key->max;
	}
	if (len < minlen) {
		if (len == 0)
			conf_why(why, whysz, "empty string not allowed");
		else
			conf_why(why, whysz, "%s is shorter than %zu bytes",
			    q, minlen);
		return -1;
	}
	if (len > maxlen) {
		conf_why(why, whysz, "%s is longer than %zu bytes", q, maxlen);
		return -1;
	}
	return 0;
}

/* Read setting @s as the value of @key: type, bounds, allowed words. */
static int
conf_val_read(struct conf_ctx *ctx, const char *who,
    const struct conf_key_row *key, const config_setting_t *s,
    struct conf_val *v)
{
	const config_setting_t	*e;
	char			 why[CONF_WHY_MAX], q[96];
	int			 type = config_setting_type(s);
	size_t			 i, j, n;

	memset(v, 0, sizeof(*v));
	v->key = key;
	v->file = config_setting_source_file(s);
	v->line = config_setting_source_line(s);
	v->word = -1;
	switch (key->type) {
	case CONF_TYPE_INT:
		if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
			goto badtype;
		if (conf_setting_wrapped(ctx, s)) {
			conf_report_wrap(ctx, who, key->path, key->min,
			    key->max, s);
			return -1;
		}
		v->num = config_setting_get_int64(s);
		if (v->num < key->min || v->num > key->max) {
			conf_why(why, sizeof(why), "%" PRId64 " is out of "
			    "range %" PRId64 "..%" PRId64, v->num, key->min,
			    key->max);
			goto bad;
		}
		return 0;
	case CONF_TYPE_STRING:
		if (type != CONFIG_TYPE_STRING)
			goto badtype;
		v->str = config_setting_get_string(s);
		if (conf_val_text(key, v->str, &v->word, why,
		    sizeof(why)) == -1)
			goto bad;
		return 0;
	case CONF_TYPE_LIST:
		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			goto badtype;
		n = (size_t)config_setting_length(s);
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned int)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				goto badtype;
		}
		if (n < (size_t)key->min) {
			conf_why(why, sizeof(why), "needs at least %" PRId64
			    " entr%s", key->min, key->min == 1 ? "y" : "ies");
			goto bad;
		}
		if (n > (size_t)key->max || n > CONF_VAL_MAX) {
			conf_why(why, sizeof(why), "%zu entries, at most %"
			    PRId64 " allowed", n, key->max);
			goto bad;
		}
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(s, (unsigned int)i);
			v->items[i] = config_setting_get_string(e);
			if (conf_val_text(key, v->items[i], &v->words[i], why,
			    sizeof(why)) == -1) {
				conf_errorf(ctx, v->file, v->line, "%s%s: "
				    "entry %zu: %s", who, key->path, i + 1,
				    why);
				return -1;
			}
			for (j = 0; j < i; j++)
				if (strcmp(v->items[j], v->items[i]) == 0) {
					conf_quote(v->items[i], q, sizeof(q));
					conf_errorf(ctx, v->file, v->line,
					    "%s%s: entry %zu: duplicate entry "
					    "%s", who, key->path, i + 1, q);
					return -1;
				}
		}
		v->n = n;
		return 0;
	case CONF_TYPE_BOOL:
	case CONF_TYPE_ENUM:
		break;
	}
badtype:
	conf_errorf(ctx, v->file, v->line, "%s%s: expected %s", who,
	    key->path, conf_schema_typename(key->type));
	return -1;
bad:
	conf_errorf(ctx, v->file, v->line, "%s%s: %s", who, key->path, why);
	return -1;
}

/* The value of @key when the group leaves it out: its default. */
static void
conf_val_default(const struct conf_key_row *key, const char *file,
    unsigned int line, struct conf_val *v)
{
	char	*p, *comma;

	memset(v, 0, sizeof(*v));
	v->key = key;
	v->file = file;
	v->line = line;
	v->word = -1;
	switch (key->type) {
	case CONF_TYPE_INT:
		v->num = strtoll(key->def, NULL, 10);
		break;
	case CONF_TYPE_STRING:
		v->str = key->def;
		if (key->allowed != NULL)
			v->word = conf_in_list(key->allowed, key->def);
		break;
	case CONF_TYPE_LIST:
		snprintf(v->defbuf, sizeof(v->defbuf), "%s", key->def);
		for (p = v->defbuf; *p != '\0' && v->n < CONF_VAL_MAX;
		    v->n++) {
			v->items[v->n] = p;
			v->words[v->n] = -1;
			if ((comma = strchr(p, ',')) != NULL)
				*comma++ = '\0';
			else
				comma = p + strlen(p);
			if (key->allowed != NULL)
				v->words[v->n] = conf_in_list(key->allowed, p);
			p = comma;
		}
		break;
	case CONF_TYPE_BOOL:
	case CONF_TYPE_ENUM:
		break;
	}
}

/* The part of "routes.prefix" after the dot. */
static const char *
conf_key_name(const struct conf_key_row *key)
{
	const char	*dot = strchr(key->path, '.');

	return dot != NULL ? dot + 1 : key->path;
}

/*
 * Store the entries of list @v through @canon into @base (entries of
 * @entsz bytes, room for @cap) and refuse duplicates after
 * canonicalisation ("E164.arpa" and "e164.arpa." collide).
 */
static int
conf_store_list(struct conf_ctx *ctx, const char *who,
    const struct conf_val *v, conf_canon_fn canon, char *base, size_t entsz,
    size_t cap, size_t *count)
{
	char	why[CONF_WHY_MAX], q[96];
	size_t	i, j;

	memset(base, 0, cap * entsz);
	*count = 0;
	if (v->n > cap) {
		conf_errorf(ctx, v->file, v->line, "%s%s: %zu entries, at "
		    "most %zu allowed", who, v->key->path, v->n, cap);
		return -1;
	}
	for (i = 0; i < v->n; i++) {
		if (canon(v->items[i], base + i * entsz, entsz, why,
		    sizeof(why)) == -1)
			goto bad;
		for (j = 0; j < i; j++)
			if (strcmp(base + j * entsz, base + i * entsz) == 0) {
				conf_quote(base + i * entsz, q, sizeof(q));
				conf_why(why, sizeof(why), "duplicate entry %s",
				    q);
				goto bad;
			}
	}
	*count = v->n;
	return 0;
bad:
	conf_errorf(ctx, v->file, v->line, "%s%s: entry %zu: %s", who,
	    v->key->path, i + 1, why);
	return -1;
}

/* A word already checked against the key's allowed list. */
static int
conf_canon_copy(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	if (snprintf(out, outsz, "%s", in) >= (int)outsz) {
		conf_why(why, whysz, "too long");
		return -1;
	}
	return 0;
}

static int
conf_canon_domain(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	return conf_check_host(in, 0, out, outsz, why, whysz);
}

static int
conf_canon_suffix(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	return conf_check_host(in, 1, out, outsz, why, whysz);
}

/*
 * "10.0.0.0/8", "2001:db8::/32" or a bare address (/32, /128).  Bits
 * beyond the length must be zero: "10.0.0.1/8" is refused, since it
 * usually means a mistyped length rather than the network 10.0.0.0/8.
 */
static int
conf_parse_net(const char *in, struct conf_net *net, char *why,
    size_t whysz)
{
	char		 addr[INET6_ADDRSTRLEN + 1], txt[INET6_ADDRSTRLEN];
	char		 q[96];
	const char	*slash = strchr(in, '/'), *len;
	uint8_t		 masked[16];
	size_t		 alen = slash != NULL ? (size_t)(slash - in) :
			    strlen(in);
	unsigned int	 max, bits, i;

	conf_quote(in, q, sizeof(q));
	memset(net, 0, sizeof(*net));
	if (alen == 0 || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, in, alen);
	addr[alen] = '\0';
	net->family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	max = net->family == AF_INET6 ? 128 : 32;
	if (inet_pton(net->family, addr, net->addr) != 1)
		goto bad;
	bits = max;
	if (slash != NULL) {
		len = slash + 1;
		if (len[0] == '\0' || strlen(len) > 3 ||
		    strspn(len, "0123456789") != strlen(len))
			goto bad;
		bits = (unsigned int)strtoul(len, NULL, 10);
		if (bits > max) {
			conf_why(why, whysz, "%s: length %u is more than %u",
			    q, bits, max);
			return -1;
		}
	}
	net->prefixlen = bits;
	memcpy(masked, net->addr, sizeof(masked));
	for (i = 0; i < max / 8; i++) {
		if (bits >= (i + 1) * 8)
			continue;
		masked[i] &= bits > i * 8 ?
		    (uint8_t)(0xffu << (8 - (bits - i * 8))) : 0;
	}
	if (memcmp(masked, net->addr, max / 8) != 0) {
		/* Safe to print unquoted: inet_pton() accepted it. */
		if (inet_ntop(net->family, masked, txt, sizeof(txt)) == NULL)
			txt[0] = '\0';
		conf_why(why, whysz, "%s has host bits set (the network is "
		    "%s/%u)", in, txt, bits);
		return -1;
	}
	return 0;
bad:
	conf_why(why, whysz, "%s is not ADDRESS/LENGTH or an IPv4 or IPv6 "
	    "address", q);
	return -1;
}

static int
conf_store_nets(struct conf_ctx *ctx, const char *who,
    const struct conf_val *v, struct conf_net *nets, size_t cap,
    size_t *count)
{
	char	why[CONF_WHY_MAX], q[96];
	size_t	i, j;

	memset(nets, 0, cap * sizeof(*nets));
	*count = 0;
	if (v->n > cap) {
		conf_errorf(ctx, v->file, v->line, "%s%s: %zu entries, at "
		    "most %zu allowed", who, v->key->path, v->n, cap);
		return -1;
	}
	for (i = 0; i < v->n; i++) {
		if (conf_parse_net(v->items[i], &nets[i], why,
		    sizeof(why)) == -1)
			goto bad;
		for (j = 0; j < i; j++)
			if (nets[j].family == nets[i].family &&
			    nets[j].prefixlen == nets[i].prefixlen &&
			    memcmp(nets[j].addr, nets[i].addr,
			    sizeof(nets[i].addr)) == 0) {
				conf_quote(v->items[i], q, sizeof(q));
				conf_why(why, sizeof(why), "duplicate entry "
				    "%s", q);
				goto bad;
			}
	}
	*count = v->n;
	return 0;
bad:
	conf_errorf(ctx, v->file, v->line, "%s%s: entry %zu: %s", who,
	    v->key->path, i + 1, why);
	return -1;
}

/* A SIP or IM user part: unreserved characters and %XX escapes. */
static int
conf_user_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (isalnum((unsigned char)s[i]) ||
		    strchr("-_.!~*'()&=+$,", s[i]) != NULL)
			continue;
		if (s[i] == '%' && i + 2 < len &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			i += 2;
			continue;
		}
		return 0;
	}
	return 1;
}

/*
 * HOST[:PORT]: an IPv4 address, "[IPv6]" or a host name (lower-cased).
 * @out gets the canonical "host[:port]"; @host, when not NULL, the host
 * alone (an IPv6 literal without its brackets) and @port its port, 0 when
 * none was written.
 */
static int
conf_hostport(const char *in, int port_ok, char *out, size_t outsz,
    char *hostout, size_t hostsz, unsigned int *portout)
{
	char		 host[CONF_STR_MAX], canon[CONF_STR_MAX], why[8];
	unsigned char	 bin[sizeof(struct in6_addr)];
	const char	*end, *rest, *bare;
	unsigned int	 port = 0;
	size_t		 hlen;

	if (in[0] == '[') {
		if ((end = strchr(in, ']')) == NULL)
			return -1;
		hlen = (size_t)(end - in - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, in + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1)
			return -1;
		snprintf(canon, sizeof(canon), "[%s]", host);
		bare = host;
		rest = end + 1;
	} else {
		rest = in + strcspn(in, ":");
		hlen = (size_t)(rest - in);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, in, hlen);
		host[hlen] = '\0';
		if (strspn(host, "0123456789.") == hlen) {
			if (inet_pton(AF_INET, host, bin) != 1)
				return -1;
			snprintf(canon, sizeof(canon), "%s", host);
		} else if (host[hlen - 1] == '.' ||
		    conf_check_host(host, 0, canon, sizeof(canon), why,
		    sizeof(why)) == -1)
			return -1;
		bare = canon;
	}
	if (*rest == ':') {
		if (!port_ok || conf_parse_port(rest + 1, &port) == -1)
			return -1;
	} else if (*rest != '\0')
		return -1;
	if (snprintf(out, outsz, "%s%s", canon, rest) >= (int)outsz)
		return -1;
	if (hostout != NULL &&
	    snprintf(hostout, hostsz, "%s", bare) >= (int)hostsz)
		return -1;
	if (portout != NULL)
		*portout = port;
	return 0;
}

/* ";transport=tls" among URI parameters @params (RFC 3261 19.1.2:
 * TLS defaults to port 5061). */
static bool
conf_transport_tls(const char *params)
{
	const char	*p;

	for (p = params; (p = strchr(p, ';')) != NULL; p++)
		if (strncasecmp(p, ";transport=tls", 14) == 0 &&
		    (p[14] == '\0' || p[14] == ';'))
			return true;
	return false;
}

/*
 * A static target: "sip:HOST[:PORT]", "sip:USER@HOST[:PORT]" (either
 * also sips:, either with URI parameters such as ";transport=tls"),
 * "xmpp:DOMAIN" or "im:USER@DOMAIN".  The text is kept with the scheme
 * and host in lower case, so that duplicates compare equal; parameters
 * as written.  This is the one parser of targets: routing/policy.c only
 * fills the number into what is stored here.
 */
int
conf_target_parse(const char *in, struct conf_target *t, char *why,
    size_t whysz)
{
	const char	*p, *at, *form, *params;
	char		 q[96], hp[CONF_STR_MAX];
	char		*out = t->text;
	size_t		 outsz = sizeof(t->text), o, i;
	unsigned int	 port;
	bool		 sips = strncasecmp(in, "sips:", 5) == 0;

	memset(t, 0, sizeof(*t));
	conf_quote(in, q, sizeof(q));
	if (strncasecmp(in, "sip:", 4) == 0 || sips) {
		form = "sip:HOST[:PORT][;params], "
		    "sip:USER@HOST[:PORT][;params] or the same with sips:";
		t->kind = CONF_TARGET_SIP;
		t->secure = sips;
		p = in + (sips ? 5 : 4);
		o = (size_t)snprintf(out, outsz, sips ? "sips:" : "sip:");
		if ((at = strchr(p, '@')) != NULL) {
			if (!conf_user_ok(p, (size_t)(at - p)) ||
			    o + (size_t)(at - p) + 1 >= outsz)
				goto bad;
			memcpy(out + o, p, (size_t)(at - p) + 1);
			memcpy(t->user, p, (size_t)(at - p));
			o += (size_t)(at - p) + 1;
			p = at + 1;
		}
		params = p + strcspn(p, ";");
		if ((size_t)(params - p) >= sizeof(hp))
			goto bad;
		memcpy(hp, p, (size_t)(params - p));
		hp[params - p] = '\0';
		if (conf_hostport(hp, 1, out + o, outsz - o, t->host,
		    sizeof(t->host), &port) == -1)
			goto bad;
		if (*params != '\0') {
			/* ";name[=value]" words only: nothing that ends the
			 * URI. */
			for (i = 1; params[i] != '\0'; i++)
				if (!isalnum((unsigned char)params[i]) &&
				    strchr("=;._-", params[i]) == NULL)
					goto bad;
			if (params[1] == '\0' ||
			    strstr(params, ";;") != NULL ||
			    (o = strlen(out)) + strlen(params) >= outsz)
				goto bad;
			memcpy(out + o, params, strlen(params) + 1);
			memcpy(t->params, params, strlen(params) + 1);
		}
		if (port != 0)
			t->port = (uint16_t)port;
		else
			t->port = sips || conf_transport_tls(t->params) ?
			    5061 : 5060;
		return 0;
	}
	if (strncasecmp(in, "xmpp:", 5) == 0) {
		form = "xmpp:DOMAIN";
		t->kind = CONF_TARGET_XMPP;
		p = in + 5;
		o = (size_t)snprintf(out, outsz, "xmpp:");
		if (strchr(p, '@') != NULL ||
		    conf_hostport(p, 0, out + o, outsz - o, t->host,
		    sizeof(t->host), NULL) == -1)
			goto bad;
		return 0;
	}
	if (strncasecmp(in, "im:", 3) == 0) {
		form = "im:USER@DOMAIN";
		t->kind = CONF_TARGET_IM;
		p = in + 3;
		o = (size_t)snprintf(out, outsz, "im:");
		if ((at = strchr(p, '@')) == NULL ||
		    !conf_user_ok(p, (size_t)(at - p)) ||
		    o + (size_t)(at - p) + 1 >= outsz)
			goto bad;
		memcpy(out + o, p, (size_t)(at - p) + 1);
		memcpy(t->user, p, (size_t)(at - p));
		o += (size_t)(at - p) + 1;
		if (conf_hostport(at + 1, 0, out + o, outsz - o, t->host,
		    sizeof(t->host), NULL) == -1)
			goto bad;
		return 0;
	}
	memset(t, 0, sizeof(*t));
	conf_why(why, whysz, "%s is not a sip:, xmpp: or im: URI", q);
	return -1;
bad:
	memset(t, 0, sizeof(*t));
	conf_why(why, whysz, "%s is not %s", q, form);
	return -1;
}

/* routes.fallback: a list of targets, each parsed, no two the same. */
static int
conf_store_targets(struct conf_ctx *ctx, const char *who,
    const struct conf_val *v, struct conf_target *base, size_t cap,
    size_t *count)
{
	char	why[CONF_WHY_MAX], q[96];
	size_t	i, j;

	memset(base, 0, cap * sizeof(*base));
	*count = 0;
	if (v->n > cap) {
		conf_errorf(ctx, v->file, v->line, "%s%s: %zu entries, at "
		    "most %zu allowed", who, v->key->path, v->n, cap);
		return -1;
	}
	for (i = 0; i < v->n; i++) {
		if (conf_target_parse(v->items[i], &base[i], why,
		    sizeof(why)) == -1)
			goto bad;
		for (j = 0; j < i; j++)
			if (strcmp(base[j].text, base[i].text) == 0) {
				conf_quote(base[i].text, q, sizeof(q));
				conf_why(why, sizeof(why), "duplicate entry %s",
				    q);
				goto bad;
			}
	}
	*count = v->n;
	return 0;
bad:
	memset(base, 0, cap * sizeof(*base));
	conf_errorf(ctx, v->file, v->line, "%s%s: entry %zu: %s", who,
	    v->key->path, i + 1, why);
	return -1;
}

/* A route or dial plan name: it appears in logs and messages. */
static int
conf_check_name(const char *s, char *why, size_t whysz)
{
	char	q[96];
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("_.-", s[i]) == NULL) {
			conf_quote(s, q, sizeof(q));
			conf_why(why, whysz, "%s: only letters, digits, "
			    "'_', '.' and '-' are allowed", q);
			return -1;
		}
	return 0;
}

/* "+" and up to 15 digits, or "" (any number); "+" alone is stored "". */
static int
conf_check_prefix(const char *s, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char	q[96];
	size_t	len = strlen(s);

	if (len == 0 || strcmp(s, "+") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (s[0] != '+' || len - 1 > 15 ||
	    strspn(s + 1, "0123456789") != len - 1 || len >= outsz) {
		conf_quote(s, q, sizeof(q));
		conf_why(why, whysz, "%s is not \"+\" followed by up to 15 "
		    "digits", q);
		return -1;
	}
	memcpy(out, s, len + 1);
	return 0;
}

/* Digits only, as the key's length bounds allow (checked already). */
static int
conf_check_digits(const char *s, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char	q[96];

	if (strspn(s, "0123456789") != strlen(s) || strlen(s) >= outsz) {
		conf_quote(s, q, sizeof(q));
		conf_why(why, whysz, "%s is not a string of digits", q);
		return -1;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* An E.164 number: "+" and 1..15 digits. */
static int
conf_check_e164(const char *s, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char	q[96];
	size_t	len = strlen(s);

	if (len < 2 || s[0] != '+' || len - 1 > 15 ||
	    strspn(s + 1, "0123456789") != len - 1 || len >= outsz) {
		conf_quote(s, q, sizeof(q));
		conf_why(why, whysz, "%s is not \"+\" followed by 1 to 15 "
		    "digits", q);
		return -1;
	}
	memcpy(out, s, len + 1);
	return 0;
}

/*
 * An identity's SIP address: "sip:USER@HOST[:PORT]", no parameters or
 * headers.  Scheme and host are stored lower-case, the user as written
 * (SIP user parts are case-sensitive).
 */
static int
conf_canon_id_sip(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	const char	*p, *at;
	char		 q[96];
	size_t		 ulen, o;

	if (strncasecmp(in, "sip:", 4) != 0)
		goto bad;
	p = in + 4;
	if ((at = strchr(p, '@')) == NULL)
		goto bad;
	ulen = (size_t)(at - p);
	if (!conf_user_ok(p, ulen) || 4 + ulen + 1 >= outsz)
		goto bad;
	memcpy(out, "sip:", 4);
	memcpy(out + 4, p, ulen + 1);
	o = 4 + ulen + 1;
	if (conf_hostport(at + 1, 1, out + o, outsz - o, NULL, 0, NULL) == -1)
		goto bad;
	for (; out[o] != '\0'; o++)		/* "[2001:DB8::1]" too */
		out[o] = (char)tolower((unsigned char)out[o]);
	return 0;
bad:
	conf_quote(in, q, sizeof(q));
	conf_why(why, whysz, "%s is not sip:USER@HOST[:PORT]", q);
	return -1;
}

/*
 * An identity's XMPP address: a bare JID "local@domain" (RFC 7622), no
 * resource.  The domain is a host name, stored lower-case; the local
 * part is kept as written.
 */
static int
conf_canon_jid(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	const char	*at, *slash;
	char		 q[96];
	size_t		 llen, i;

	conf_quote(in, q, sizeof(q));
	if ((slash = strchr(in, '/')) != NULL) {
		conf_why(why, whysz, "%s is a full JID: give the bare JID "
		    "local@domain, without \"/resource\"", q);
		return -1;
	}
	if ((at = strchr(in, '@')) == NULL)
		goto bad;
	llen = (size_t)(at - in);
	if (llen == 0 || llen > 1023 || llen + 1 >= outsz)
		goto bad;
	for (i = 0; i < llen; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch <= 0x20 || ch == 0x7f || strchr("\"&'/:<>@",
		    ch) != NULL)
			goto bad;
	}
	memcpy(out, in, llen + 1);
	if (conf_check_host(at + 1, 0, out + llen + 1, outsz - llen - 1,
	    why, whysz) == -1)
		goto bad;
	return 0;
bad:
	conf_why(why, whysz, "%s is not a bare JID local@domain", q);
	return -1;
}

/* Report @why against value @v of the group @who. */
static int
conf_val_fail(struct conf_ctx *ctx, const char *who,
    const struct conf_val *v, const char *why)
{
	conf_errorf(ctx, v->file, v->line, "%s%s: %s", who, v->key->path,
	    why);
	return -1;
}

static int
conf_route_store(struct conf_ctx *ctx, const char *who, void *obj,
    const struct conf_val *v)
{
	struct conf_route	*r = obj;
	const char		*k = conf_key_name(v->key);
	char			 why[CONF_WHY_MAX];
	size_t			 i;

	if (strcmp(k, "name") == 0)
		snprintf(r->name, sizeof(r->name), "%s", v->str);
	else if (strcmp(k, "prefix") == 0) {
		if (conf_check_prefix(v->str, r->prefix, sizeof(r->prefix),
		    why, sizeof(why)) == -1)
			return conf_val_fail(ctx, who, v, why);
	} else if (strcmp(k, "from") == 0)
		r->from = (enum conf_src_proto)v->word;
	else if (strcmp(k, "networks") == 0)
		return conf_store_nets(ctx, who, v, r->nets, CONF_MAX_NETS,
		    &r->nnets);
	else if (strcmp(k, "domains") == 0)
		return conf_store_list(ctx, who, v, conf_canon_domain,
		    r->domains[0], sizeof(r->domains[0]), CONF_MAX_DOMAINS,
		    &r->ndomains);
	else if (strcmp(k, "action") == 0)
		r->action = (enum conf_route_action)v->word;
	else if (strcmp(k, "mode") == 0)
		r->mode = (enum conf_route_mode)v->word;
	else if (strcmp(k, "suffixes") == 0)
		return conf_store_list(ctx, who, v, conf_canon_suffix,
		    r->suffixes[0], sizeof(r->suffixes[0]),
		    sizeof(r->suffixes) / sizeof(r->suffixes[0]),
		    &r->nsuffixes);
	else if (strcmp(k, "enumservices") == 0)
		return conf_store_list(ctx, who, v, conf_canon_copy,
		    r->enumservices[0], sizeof(r->enumservices[0]),
		    sizeof(r->enumservices) / sizeof(r->enumservices[0]),
		    &r->nenumservices);
	else if (strcmp(k, "protocols") == 0)
		return conf_store_list(ctx, who, v, conf_canon_copy,
		    r->protocols[0], sizeof(r->protocols[0]),
		    sizeof(r->protocols) / sizeof(r->protocols[0]),
		    &r->nprotocols);
	else if (strcmp(k, "target") == 0) {
		if (conf_target_parse(v->str, &r->target, why,
		    sizeof(why)) == -1)
			return conf_val_fail(ctx, who, v, why);
	} else if (strcmp(k, "status") == 0)
		r->deny_status = (int)v->num;
	else if (strcmp(k, "fallback") == 0)
		return conf_store_targets(ctx, who, v, r->fallback,
		    CONF_MAX_FALLBACK, &r->nfallback);
	else if (strcmp(k, "fallback_on") == 0) {
		r->fallback_noroute = r->fallback_tempfail = false;
		for (i = 0; i < v->n; i++) {
			if (v->words[i] == 0)
				r->fallback_noroute = true;
			else if (v->words[i] == 1)
				r->fallback_tempfail = true;
		}
	} else
		return conf_val_fail(ctx, who, v, "no storage (schema bug)");
	return 0;
}

static int
conf_dialplan_store(struct conf_ctx *ctx, const char *who, void *obj,
    const struct conf_val *v)
{
	struct conf_dialplan	*d = obj;
	const char		*k = conf_key_name(v->key);
	char			 why[CONF_WHY_MAX], q[96];
	int			 rc = 0;

	if (strcmp(k, "name") == 0)
		snprintf(d->name, sizeof(d->name), "%s", v->str);
	else if (strcmp(k, "networks") == 0)
		return conf_store_nets(ctx, who, v, d->nets, CONF_MAX_NETS,
		    &d->nnets);
	else if (strcmp(k, "domains") == 0)
		return conf_store_list(ctx, who, v, conf_canon_domain,
		    d->domains[0], sizeof(d->domains[0]), CONF_MAX_DOMAINS,
		    &d->ndomains);
	else if (strcmp(k, "country_code") == 0) {
		rc = conf_check_digits(v->str, d->country_code,
		    sizeof(d->country_code), why, sizeof(why));
		if (rc == 0 && d->country_code[0] == '0') {
			conf_quote(v->str, q, sizeof(q));
			conf_why(why, sizeof(why), "%s: country codes do not "
			    "start with 0", q);
			rc = -1;
		}
	} else if (strcmp(k, "national_prefix") == 0)
		rc = conf_check_digits(v->str, d->national_prefix,
		    sizeof(d->national_prefix), why, sizeof(why));
	else if (strcmp(k, "international_prefix") == 0)
		rc = conf_check_digits(v->str, d->international_prefix,
		    sizeof(d->international_prefix), why, sizeof(why));
	else if (strcmp(k, "min_length") == 0)
		d->min_length = (int)v->num;
	else if (strcmp(k, "max_length") == 0)
		d->max_length = (int)v->num;
	else
		return conf_val_fail(ctx, who, v, "no storage (schema bug)");
	return rc == 0 ? 0 : conf_val_fail(ctx, who, v, why);
}

static int
conf_acl_store(struct conf_ctx *ctx, const char *who, void *obj,
    const struct conf_val *v)
{
	struct gw_conf	*c = obj;
	const char	*k = conf_key_name(v->key);

	if (strcmp(k, "sip_networks") == 0)
		return conf_store_nets(ctx, who, v, c->acl_sip_nets,
		    CONF_MAX_NETS, &c->nacl_sip_nets);
	if (strcmp(k, "trusted_proxies") == 0)
		return conf_store_nets(ctx, who, v, c->acl_trusted_proxies,
		    CONF_MAX_NETS, &c->nacl_trusted_proxies);
	if (strcmp(k, "xmpp_domains") == 0)
		return conf_store_list(ctx, who, v, conf_canon_domain,
		    c->acl_xmpp_domains[0], sizeof(c->acl_xmpp_domains[0]),
		    CONF_MAX_DOMAINS, &c->nacl_xmpp_domains);
	return conf_val_fail(ctx, who, v, "no storage (schema bug)");
}

static int
conf_identity_store(struct conf_ctx *ctx, const char *who, void *obj,
    const struct conf_val *v)
{
	struct conf_identity	*id = obj;
	const char		*k = conf_key_name(v->key);
	char			 why[CONF_WHY_MAX];
	int			 rc = 0;

	/* sip and xmpp default to "": left out, nothing to store */
	if (strcmp(k, "sip") == 0) {
		if (v->str[0] != '\0')
			rc = conf_canon_id_sip(v->str, id->sip,
			    sizeof(id->sip), why, sizeof(why));
	} else if (strcmp(k, "xmpp") == 0) {
		if (v->str[0] != '\0')
			rc = conf_canon_jid(v->str, id->xmpp,
			    sizeof(id->xmpp), why, sizeof(why));
	} else if (strcmp(k, "number") == 0)
		rc = conf_check_e164(v->str, id->number, sizeof(id->number),
		    why, sizeof(why));
	else
		return conf_val_fail(ctx, who, v, "no storage (schema bug)");
	return rc == 0 ? 0 : conf_val_fail(ctx, who, v, why);
}

/* Whether @key belongs to list @list ("routes.x" to "routes"). */
static int
conf_key_in(const struct conf_key_row *key, const char *list)
{
	size_t	len = strlen(list);

	return strncmp(key->path, list, len) == 0 && key->path[len] == '.';
}

/* The words of the actions in @mask, for messages: "deny". */
static void
conf_action_words(unsigned int mask, char *out, size_t outsz)
{
	size_t	i, o = 0;
	int	n;

	out[0] = '\0';
	for (i = 0; conf_route_actions[i] != NULL && o < outsz; i++) {
		if ((mask & (1u << i)) == 0)
			continue;
		n = snprintf(out + o, outsz - o, "%s\"%s\"", o ? " or " : "",
		    conf_route_actions[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/*
 * Load group @g of list @list into @obj through @store: every key in
 * file order, then the defaults of the keys left out.  @action is the
 * route's enum conf_route_action (keys only other actions accept are
 * refused), -1 for groups without actions.
 */
static int
conf_load_group(struct conf_ctx *ctx, const char *list,
    const config_setting_t *g, const char *who, int action,
    conf_store_fn store, void *obj)
{
	const struct conf_key_row	*key;
	const config_setting_t		*m;
	struct conf_val			 v;
	const char			*name;
	char				 path[128], words[64];
	size_t				 i, n;

	n = (size_t)config_setting_length(g);
	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(g, (unsigned int)i);
		name = config_setting_name(m);
		key = NULL;
		if (snprintf(path, sizeof(path), "%s.%s", list,
		    name != NULL ? name : "") < (int)sizeof(path))
			key = conf_keys_find(path);
		if (key == NULL) {
			conf_errorf(ctx, config_setting_source_file(m),
			    config_setting_source_line(m), "%sunknown %s "
			    "'%s'", who, config_setting_is_group(m) ?
			    "group" : "setting", path);
			return -1;
		}
		if (action >= 0 && (key->actions & (1u << action)) == 0) {
			conf_action_words(key->actions, words, sizeof(words));
			conf_errorf(ctx, config_setting_source_file(m),
			    config_setting_source_line(m), "%s%s is not "
			    "allowed with action \"%s\" (only with %s)", who,
			    path, conf_route_actions[action], words);
			return -1;
		}
		if (conf_val_read(ctx, who, key, m, &v) == -1 ||
		    store(ctx, who, obj, &v) == -1)
			return -1;
	}
	for (i = 0; i < conf_keys_len; i++) {
		key = &conf_keys[i];
		if (!conf_key_in(key, list) ||
		    (action >= 0 && (key->actions & (1u << action)) == 0) ||
		    config_setting_get_member(g, conf_key_name(key)) != NULL)
			continue;
		if (key->def == NULL) {
			conf_errorf(ctx, config_setting_source_file(g),
			    config_setting_source_line(g), "%s%s is required",
			    who, key->path);
			return -1;
		}
		conf_val_default(key, config_setting_source_file(g),
		    config_setting_source_line(g), &v);
		if (store(ctx, who, obj, &v) == -1)
			return -1;
	}
	return 0;
}

/*
 * The name of route or dial plan number @idx (from 1), which every
 * later message shows: "route 'uk': ".  Until it is known, "route 3: ".
 */
static int
conf_group_name(struct conf_ctx *ctx, const char *list, const char *label,
    const config_setting_t *g, size_t idx, char *who, size_t whosz,
    char *name, size_t namesz)
{
	const struct conf_key_row	*key;
	const config_setting_t		*m;
	struct conf_val			 v;
	char				 path[64], why[CONF_WHY_MAX];

	snprintf(who, whosz, "%s %zu: ", label, idx);
	snprintf(path, sizeof(path), "%s.name", list);
	key = conf_keys_find(path);
	if (key == NULL || (m = config_setting_get_member(g, "name")) ==
	    NULL) {
		conf_errorf(ctx, config_setting_source_file(g),
		    config_setting_source_line(g), "%s%s is required", who,
		    path);
		return -1;
	}
	if (conf_val_read(ctx, who, key, m, &v) == -1)
		return -1;
	if (conf_check_name(v.str, why, sizeof(why)) == -1)
		return conf_val_fail(ctx, who, &v, why);
	snprintf(name, namesz, "%s", v.str);
	snprintf(who, whosz, "%s '%s': ", label, v.str);
	return 0;
}

/* @g must be a list of groups of at most @max entries. */
static int
conf_check_group_list(struct conf_ctx *ctx, const config_setting_t *s,
    const char *list, size_t max)
{
	const config_setting_t	*e;
	size_t			 i, n;

	if (!config_setting_is_list(s)) {
		conf_errorf(ctx, config_setting_source_file(s),
		    config_setting_source_line(s), "%s: expected a list of "
		    "groups: %s = ( { ... }, { ... } );", list, list);
		return -1;
	}
	n = (size_t)config_setting_length(s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, (unsigned int)i);
		if (!config_setting_is_group(e)) {
			conf_errorf(ctx, config_setting_source_file(e),
			    config_setting_source_line(e), "%s: entry %zu: "
			    "expected a group { ... }", list, i + 1);
			return -1;
		}
	}
	if (n > max) {
		conf_errorf(ctx, config_setting_source_file(s),
		    config_setting_source_line(s), "%s: %zu entries, at most "
		    "%zu allowed", list, n, max);
		return -1;
	}
	return 0;
}

/* The line of key @name in group @g, else the group's own line. */
static unsigned int
conf_member_line(const config_setting_t *g, const char *name)
{
	const config_setting_t	*m = config_setting_get_member(g, name);

	return config_setting_source_line(m != NULL ? m : g);
}

/* Whether route @a matches every message route @b would match. */
static int
conf_route_covers(const struct conf_route *a, const struct conf_route *b)
{
	return a->nnets == 0 && a->ndomains == 0 &&
	    (a->from == CONF_SRC_ANY || a->from == b->from) &&
	    strncmp(a->prefix, b->prefix, strlen(a->prefix)) == 0;
}

static int
conf_load_routes(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c)
{
	const struct conf_key_row	*akey;
	const config_setting_t		*g, *m;
	struct conf_route		*r;
	struct conf_val			 v;
	const char			*file;
	char				 who[CONF_WHO_MAX];
	char				 name[CONF_NAME_MAX];
	size_t				 i, j, n;

	if (conf_check_group_list(ctx, s, "routes", CONF_MAX_ROUTES) == -1)
		return -1;
	memset(c->routes, 0, sizeof(c->routes));
	c->nroutes = 0;
	akey = conf_keys_find("routes.action");
	n = (size_t)config_setting_length(s);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, (unsigned int)i);
		file = config_setting_source_file(g);
		r = &c->routes[i];
		r->line = (int)config_setting_source_line(g);
		if (conf_group_name(ctx, "routes", "route", g, i + 1, who,
		    sizeof(who), name, sizeof(name)) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(c->routes[j].name, name) == 0) {
				conf_errorf(ctx, file, conf_member_line(g,
				    "name"), "duplicate route name '%s' "
				    "(route at line %d)", name,
				    c->routes[j].line);
				return -1;
			}
		if ((m = config_setting_get_member(g, "action")) == NULL) {
			conf_errorf(ctx, file, (unsigned int)r->line,
			    "%sroutes.action is required", who);
			return -1;
		}
		if (akey == NULL || conf_val_read(ctx, who, akey, m,
		    &v) == -1)
			return -1;
		if (conf_load_group(ctx, "routes", g, who, v.word,
		    conf_route_store, r) == -1)
			return -1;

		/* Checks that involve several keys. */
		if (r->from == CONF_SRC_XMPP && r->nnets > 0) {
			conf_errorf(ctx, file, conf_member_line(g,
			    "networks"), "%sroutes.networks: only SIP senders "
			    "have networks, and from is \"xmpp\"", who);
			return -1;
		}
		if (r->from == CONF_SRC_SIP && r->ndomains > 0) {
			conf_errorf(ctx, file, conf_member_line(g, "domains"),
			    "%sroutes.domains: only XMPP senders have domains, "
			    "and from is \"sip\"", who);
			return -1;
		}
		/* All conditions must hold, and a sender is either SIP
		 * (an address) or XMPP (a domain). */
		if (r->nnets > 0 && r->ndomains > 0) {
			conf_errorf(ctx, file, conf_member_line(g, "domains"),
			    "route '%s' can never match: a sender is SIP "
			    "(routes.networks) or XMPP (routes.domains), not "
			    "both; make it two routes", r->name);
			return -1;
		}
		if (r->nfallback == 0 &&
		    config_setting_get_member(g, "fallback_on") != NULL) {
			conf_errorf(ctx, file, conf_member_line(g,
			    "fallback_on"), "%sroutes.fallback_on: no "
			    "routes.fallback to fall back to", who);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (conf_route_covers(&c->routes[j], r)) {
				conf_errorf(ctx, file, (unsigned int)r->line,
				    "route '%s' can never match: route '%s' "
				    "(line %d) catches everything it would",
				    r->name, c->routes[j].name,
				    c->routes[j].line);
				return -1;
			}
		c->nroutes = i + 1;
	}
	return 0;
}

static int
conf_load_dialplans(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c)
{
	const config_setting_t	*g;
	struct conf_dialplan	*d;
	const char		*file;
	char			 who[CONF_WHO_MAX];
	char			 name[CONF_NAME_MAX];
	size_t			 i, j, n;

	if (conf_check_group_list(ctx, s, "dialplans",
	    CONF_MAX_DIALPLANS) == -1)
		return -1;
	memset(c->dialplans, 0, sizeof(c->dialplans));
	c->ndialplans = 0;
	n = (size_t)config_setting_length(s);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, (unsigned int)i);
		file = config_setting_source_file(g);
		d = &c->dialplans[i];
		d->line = (int)config_setting_source_line(g);
		if (conf_group_name(ctx, "dialplans", "dial plan", g, i + 1,
		    who, sizeof(who), name, sizeof(name)) == -1)
			return -1;
		for (j = 0; j < i; j++)
			if (strcmp(c->dialplans[j].name, name) == 0) {
				conf_errorf(ctx, file, conf_member_line(g,
				    "name"), "duplicate dial plan name '%s' "
				    "(dial plan at line %d)", name,
				    c->dialplans[j].line);
				return -1;
			}
		if (conf_load_group(ctx, "dialplans", g, who, -1,
		    conf_dialplan_store, d) == -1)
			return -1;

		/* Checks that involve several keys. */
		if (d->min_length > d->max_length) {
			conf_errorf(ctx, file, conf_member_line(g,
			    config_setting_get_member(g, "max_length") ?
			    "max_length" : "min_length"), "%sdialplans."
			    "min_length %d is more than dialplans.max_length "
			    "%d", who, d->min_length, d->max_length);
			return -1;
		}
		if (strlen(d->country_code) + (size_t)d->max_length > 15) {
			conf_errorf(ctx, file, conf_member_line(g,
			    config_setting_get_member(g, "max_length") ?
			    "max_length" : "country_code"), "%scountry code "
			    "%s and dialplans.max_length %d make %zu digits, "
			    "E.164 allows 15", who, d->country_code,
			    d->max_length, strlen(d->country_code) +
			    (size_t)d->max_length);
			return -1;
		}
		if (strcmp(d->national_prefix, d->international_prefix) ==
		    0) {
			conf_errorf(ctx, file, conf_member_line(g,
			    "international_prefix"), "%sdialplans."
			    "international_prefix \"%s\" is also the "
			    "national_prefix", who, d->international_prefix);
			return -1;
		}
		c->ndialplans = i + 1;
	}
	return 0;
}

/*
 * identities = ( { sip = "sip:alice@a.example"; number = "+1202..."; },
 *		  { xmpp = "juliet@b.example"; number = "+1202..."; } );
 * Each group names one sender, SIP or XMPP, and no sender twice: the
 * canonical forms differ (hosts and domains lower-case, users and local
 * parts as written, as routing/policy.c compares them).
 */
static int
conf_load_identities(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c)
{
	const config_setting_t	*g, *msip, *mxmpp;
	struct conf_identity	*id;
	const char		*file;
	char			 who[CONF_WHO_MAX], q[96];
	size_t			 i, j, n;

	if (conf_check_group_list(ctx, s, "identities",
	    CONF_MAX_IDENTITIES) == -1)
		return -1;
	memset(c->identities, 0, sizeof(c->identities));
	c->nidentities = 0;
	n = (size_t)config_setting_length(s);
	for (i = 0; i < n; i++) {
		g = config_setting_get_elem(s, (unsigned int)i);
		file = config_setting_source_file(g);
		id = &c->identities[i];
		id->line = (int)config_setting_source_line(g);
		snprintf(who, sizeof(who), "identity %zu: ", i + 1);
		if (conf_load_group(ctx, "identities", g, who, -1,
		    conf_identity_store, id) == -1)
			return -1;

		/* Checks that involve several keys. */
		msip = config_setting_get_member(g, "sip");
		mxmpp = config_setting_get_member(g, "xmpp");
		if (msip != NULL && mxmpp != NULL) {
			conf_errorf(ctx, file, config_setting_source_line(
			    config_setting_source_line(msip) >
			    config_setting_source_line(mxmpp) ? msip : mxmpp),
			    "%sidentities.sip and identities.xmpp are both "
			    "set; an identity is one SIP or one XMPP sender "
			    "(make it two identities)", who);
			return -1;
		}
		if (msip == NULL && mxmpp == NULL) {
			conf_errorf(ctx, file, (unsigned int)id->line,
			    "%sidentities.sip or identities.xmpp is required",
			    who);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (id->sip[0] != '\0' &&
			    strcmp(c->identities[j].sip, id->sip) == 0)
				conf_quote(id->sip, q, sizeof(q));
			else if (id->xmpp[0] != '\0' &&
			    strcmp(c->identities[j].xmpp, id->xmpp) == 0)
				conf_quote(id->xmpp, q, sizeof(q));
			else
				continue;
			conf_errorf(ctx, file, conf_member_line(g,
			    id->sip[0] != '\0' ? "sip" : "xmpp"),
			    "%sduplicate identities.%s %s (identity at line "
			    "%d)", who, id->sip[0] != '\0' ? "sip" : "xmpp",
			    q, c->identities[j].line);
			return -1;
		}
		c->nidentities = i + 1;
	}
	return 0;
}

static int
conf_load_acl(struct conf_ctx *ctx, const config_setting_t *s,
    struct gw_conf *c)
{
	if (!config_setting_is_group(s)) {
		conf_errorf(ctx, config_setting_source_file(s),
		    config_setting_source_line(s), "acl: expected group");
		return -1;
	}
	return conf_load_group(ctx, "acl", s, "", -1, conf_acl_store, c);
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
		if (prefix[0] == '\0' && strcmp(path, "routes") == 0) {
			if (conf_load_routes(ctx, s, c) == -1)
				return -1;
			continue;
		}
		if (prefix[0] == '\0' && strcmp(path, "dialplans") == 0) {
			if (conf_load_dialplans(ctx, s, c) == -1)
				return -1;
			continue;
		}
		if (prefix[0] == '\0' && strcmp(path, "identities") == 0) {
			if (conf_load_identities(ctx, s, c) == -1)
				return -1;
			continue;
		}
		if (prefix[0] == '\0' && strcmp(path, "acl") == 0) {
			if (conf_load_acl(ctx, s, c) == -1)
				return -1;
			continue;
		}
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

/*
 * Checks of the spool group that involve several keys: the backoff cap
 * may not be below the first interval (the schedule would shrink).
 */
static int
conf_check_spool(struct conf_ctx *ctx, const config_t *cf,
    const struct gw_conf *c)
{
	const config_setting_t	*s;

	if (c->spool_backend == CONF_SPOOL_POSTGRESQL) {
		s = config_lookup(cf, "spool.backend");
		if (c->spool_conninfo[0] == '\0') {
			conf_errorf(ctx, s != NULL ?
			    config_setting_source_file(s) : ctx->path,
			    s != NULL ? config_setting_source_line(s) : 0,
			    "spool.backend \"postgresql\" needs "
			    "spool.conninfo");
			return -1;
		}
		/* A lease must outlive the delivery it covers, or a second
		 * node starts the same message while the first still
		 * waits for its answer (gateway/spool_pg.c). */
		if (c->spool_lease_s * 1000 <= c->txn_deadline_ms) {
			conf_errorf(ctx, s != NULL ?
			    config_setting_source_file(s) : ctx->path,
			    s != NULL ? config_setting_source_line(s) : 0,
			    "spool.lease_s %lld must be longer than "
			    "limits.txn_deadline_ms %lld", (long long)
			    c->spool_lease_s, (long long)c->txn_deadline_ms);
			return -1;
		}
	}
	if (c->spool_retry_max_ms >= c->spool_retry_initial_ms)
		return 0;
	s = config_lookup(cf, "spool.retry_max_ms");
	if (s == NULL)
		s = config_lookup(cf, "spool.retry_initial_ms");
	conf_errorf(ctx, s != NULL ? config_setting_source_file(s) :
	    ctx->path, s != NULL ? config_setting_source_line(s) : 0,
	    "spool.retry_max_ms %lld is less than spool.retry_initial_ms "
	    "%lld", (long long)c->spool_retry_max_ms,
	    (long long)c->spool_retry_initial_ms);
	return -1;
}

/*
 * The sip.tls group: a TLS listener (sip.listen or sip.tls.listen a
 * sips: URI) needs a certificate, its key and the CA file that peers are
 * verified against; TLS files without a TLS listener are a mistake (no
 * TLS transport would exist to use them), not something to ignore.
 */
static int
conf_check_tls(struct conf_ctx *ctx, const config_t *cf,
    const struct gw_conf *c)
{
	const config_setting_t	*s;
	const char		*why = NULL, *key = "sip.tls";
	bool			 tls;

	tls = strncasecmp(c->sip_listen, "sips:", 5) == 0 ||
	    c->sip_tls_listen[0] != '\0';
	if (c->sip_tls_listen[0] != '\0' &&
	    strncasecmp(c->sip_tls_listen, "sips:", 5) != 0) {
		key = "sip.tls.listen";
		why = "sip.tls.listen must be a sips: URI";
	} else if (tls && c->sip_tls_certificate[0] == '\0') {
		why = "a TLS listener needs sip.tls.certificate";
	} else if (tls && c->sip_tls_key[0] == '\0') {
		why = "a TLS listener needs sip.tls.key";
	} else if (tls && c->sip_tls_ca_file[0] == '\0') {
		why = "a TLS listener needs sip.tls.ca_file (peers' "
		    "certificates are verified against it)";
	} else if (!tls && (c->sip_tls_certificate[0] != '\0' ||
	    c->sip_tls_key[0] != '\0' || c->sip_tls_ca_file[0] != '\0' ||
	    c->sip_tls_verify_client)) {
		why = "sip.tls settings without a TLS listener: set "
		    "sip.tls.listen (or a sips: sip.listen)";
	}
	if (why == NULL)
		return 0;
	if ((s = config_lookup(cf, key)) == NULL)
		s = config_lookup(cf, "sip.listen");
	conf_errorf(ctx, s != NULL ? config_setting_source_file(s) :
	    ctx->path, s != NULL ? config_setting_source_line(s) : 0, "%s",
	    why);
	return -1;
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
	if (conf_check_spool(&ctx, &cf, c) == -1)
		goto done;
	if (conf_check_tls(&ctx, &cf, c) == -1)
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

/* Whether option @row holds the same value in @a and @b. */
static bool
conf_row_equal(const struct conf_schema_row *row, const struct gw_conf *a,
    const struct gw_conf *b)
{
	const char	*pa = (const char *)a + row->off;
	const char	*pb = (const char *)b + row->off;
	size_t		 na, nb, i;

	switch (row->type) {
	case CONF_TYPE_STRING:
		return strncmp(pa, pb, row->size) == 0;
	case CONF_TYPE_LIST:
		memcpy(&na, (const char *)a + row->count_off, sizeof(na));
		memcpy(&nb, (const char *)b + row->count_off, sizeof(nb));
		if (na != nb)
			return false;
		for (i = 0; i < na; i++)
			if (strncmp(pa + i * row->size, pb + i * row->size,
			    row->size) != 0)
				return false;
		return true;
	case CONF_TYPE_INT:
	case CONF_TYPE_BOOL:
	case CONF_TYPE_ENUM:
		break;
	}
	return memcmp(pa, pb, row->size) == 0;
}

/*
 * Where the values of conf_keys[] rows live, for the reload check: a
 * whole list (or the acl group) changes or not as one.
 */
static const struct {
	const char	*list;
	size_t		 off, size;
} conf_key_regions[] = {
	{ "routes", offsetof(struct gw_conf, routes),
	  offsetof(struct gw_conf, nroutes) + sizeof(size_t) -
	  offsetof(struct gw_conf, routes) },
	{ "dialplans", offsetof(struct gw_conf, dialplans),
	  offsetof(struct gw_conf, ndialplans) + sizeof(size_t) -
	  offsetof(struct gw_conf, dialplans) },
	{ "acl", offsetof(struct gw_conf, acl_sip_nets),
	  offsetof(struct gw_conf, nacl_trusted_proxies) + sizeof(size_t) -
	  offsetof(struct gw_conf, acl_sip_nets) },
	{ "identities", offsetof(struct gw_conf, identities),
	  offsetof(struct gw_conf, nidentities) + sizeof(size_t) -
	  offsetof(struct gw_conf, identities) },
};

/*
 * The value of @row in @c as the file would write it, for the reload
 * report.  Secrets are not written out.
 */
static void
conf_row_text(const struct conf_schema_row *row, const struct gw_conf *c,
    char *buf, size_t bufsz)
{
	const char	*p = (const char *)c + row->off;
	size_t		 n, i, len;
	int64_t		 v;
	int		 e;
	bool		 b;

	if (strstr(row->path, "secret") != NULL) {
		snprintf(buf, bufsz, "(not shown)");
		return;
	}
	switch (row->type) {
	case CONF_TYPE_STRING:
		snprintf(buf, bufsz, "\"%.*s\"", (int)row->size, p);
		return;
	case CONF_TYPE_INT:
		memcpy(&v, p, sizeof(v));
		snprintf(buf, bufsz, "%" PRId64, v);
		return;
	case CONF_TYPE_BOOL:
		memcpy(&b, p, sizeof(b));
		snprintf(buf, bufsz, "%s", b ? "true" : "false");
		return;
	case CONF_TYPE_ENUM:
		memcpy(&e, p, sizeof(e));
		snprintf(buf, bufsz, "\"%s\"", row->allowed != NULL &&
		    e >= 0 ? row->allowed[e] : "?");
		return;
	case CONF_TYPE_LIST:
		memcpy(&n, (const char *)c + row->count_off, sizeof(n));
		snprintf(buf, bufsz, "[");
		for (i = 0; i < n; i++) {
			len = strlen(buf);
			snprintf(buf + len, bufsz - len, "%s\"%.*s\"",
			    i > 0 ? ", " : " ", (int)row->size,
			    p + i * row->size);
		}
		len = strlen(buf);
		snprintf(buf + len, bufsz - len, "%s]", n > 0 ? " " : "");
		return;
	}
}

size_t
conf_reload_merge(const struct gw_conf *old, struct gw_conf *new,
    conf_change_fn *fn, void *arg)
{
	const struct conf_schema_row	*row;
	char				 was[CONF_VALUE_TEXT], now[CONF_VALUE_TEXT];
	size_t				 i, j, changed = 0;
	bool				 reload;

	for (i = 0; i < conf_schema_len; i++) {
		row = &conf_schema[i];
		if (conf_row_equal(row, old, new))
			continue;
		changed++;
		conf_row_text(row, old, was, sizeof(was));
		conf_row_text(row, new, now, sizeof(now));
		/*
		 * A restart-only option keeps its running value, so the
		 * configuration in force says what the daemon really does.
		 */
		if (!row->reload && row->type == CONF_TYPE_LIST) {
			size_t	 n;

			memcpy(&n, (const char *)old + row->count_off,
			    sizeof(n));
			memcpy((char *)new + row->off, (const char *)old +
			    row->off, n * row->size);
			memcpy((char *)new + row->count_off, &n, sizeof(n));
		} else if (!row->reload)
			memcpy((char *)new + row->off, (const char *)old +
			    row->off, row->size);
		if (fn != NULL)
			fn(arg, row->path, row->reload, was, now);
	}
	/* The policy groups change as a whole; every key of theirs
	 * reloads (a key that did not would need its region kept). */
	for (j = 0; j < sizeof(conf_key_regions) /
	    sizeof(conf_key_regions[0]); j++) {
		if (memcmp((const char *)old + conf_key_regions[j].off,
		    (const char *)new + conf_key_regions[j].off,
		    conf_key_regions[j].size) == 0)
			continue;
		reload = true;
		for (i = 0; i < conf_keys_len; i++)
			if (conf_key_in(&conf_keys[i],
			    conf_key_regions[j].list) && !conf_keys[i].reload)
				reload = false;
		if (!reload)
			memcpy((char *)new + conf_key_regions[j].off,
			    (const char *)old + conf_key_regions[j].off,
			    conf_key_regions[j].size);
		changed++;
		if (fn != NULL)
			fn(arg, conf_key_regions[j].list, reload, "(old)",
			    "(new)");
	}
	return changed;
}
