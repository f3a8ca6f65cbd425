/*
 * conf/conf_prescan.c - the pre-scanner: what libconfig 1.5 lets through.
 *
 * Before the tree is walked, the text of the file (and of every
 * @include, to the same depth libconfig allows) is read once more for
 * integer literals libconfig wraps silently and for a stray quote or
 * comment that hides the rest of the file.  A wrapped literal is
 * remembered in the struct conf_ctx and reported when the walk reaches
 * the setting that holds it (conf_prescan_report()).
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
#include "conf/conf_int.h"
#include "conf/conf_schema.h"

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
int
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

int
conf_prescan_wrapped(const struct conf_ctx *ctx, const config_setting_t *s)
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
void
conf_prescan_report(struct conf_ctx *ctx, const char *who, const char *path,
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
