/*
 * gateway/xlate/xlate_text.c - the checks under every mapping: UTF-8 and
 * XML text, XML escaping, content types, the SIP size limit, status names.
 *
 * Used by the rest of gateway/xlate on both edges of the inbound ->
 * route -> pick -> outbound flow, and by gateway/xmppgw to escape what
 * it writes into a stanza.  Also home of the small character-class and
 * writer helpers the other xlate files share (gateway/xlate/xlate_int.h).
 * Pure: no I/O, no allocation, no globals.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "gateway/xlate/xlate.h"
#include "gateway/xlate/xlate_int.h"
#include "routing/imaddr.h"

static size_t	xlate_skip_ows(const char *, size_t, size_t);
static size_t	xlate_skip_token(const char *, size_t, size_t);

enum xlate_status
xlate_fail(char *out, size_t outsz, enum xlate_status st)
{
	if (outsz > 0)
		out[0] = '\0';
	return st;
}

/*
 * routing/imaddr's checks and writers, with its status as ours: the first
 * nine values of enum xlate_status are enum imaddr_status's, value for
 * value (gateway/xlate/xlate.h).
 */
enum xlate_status
xlate_st(enum imaddr_status st)
{
	return (enum xlate_status)st;
}

enum xlate_status
xlate_buf_done(struct imaddr_buf *b)
{
	return xlate_st(imaddr_buf_done(b));
}

enum xlate_status
xlate_text_check(const char *s, size_t len)
{
	return xlate_st(imaddr_text_check(s, len));
}

/*
 * Character classes.  Every helper takes an unsigned char value.
 */

bool
xlate_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

bool
xlate_is_alnum(int c)
{
	return xlate_is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

int
xlate_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int
xlate_hexval(int c)
{
	if (xlate_is_digit(c))
		return c - '0';
	c = xlate_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* strchr() that does not match the terminating NUL. */
bool
xlate_in(int c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* s[0..n) equals the lower-case literal @lit, ignoring ASCII case. */
bool
xlate_ieq(const char *s, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (xlate_lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

bool
xlate_span_ieq(struct xlate_span sp, const char *lit)
{
	return sp.p != NULL && xlate_ieq(sp.p, sp.len, lit);
}

/* s[0..n) and the NUL-terminated domain @d (final dot ignored) are the
 * same host name, ignoring ASCII case. */
bool
xlate_host_eq(const char *s, size_t n, const char *d)
{
	size_t	 dl = strlen(d);

	if (dl > 0 && d[dl - 1] == '.')
		dl--;
	if (dl != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (xlate_lower((unsigned char)s[i]) !=
		    xlate_lower((unsigned char)d[i]))
			return false;
	return true;
}

/* Case-insensitive "does NUL-terminated s start with lower-case lit". */
bool
xlate_prefix(const char *s, const char *lit)
{
	size_t	 n = strlen(lit);

	for (size_t i = 0; i < n; i++)
		if (xlate_lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

size_t
xlate_xml_escape(const char *in, size_t len, bool attr, char *out)
{
	char	*o = out;

	for (size_t i = 0; i < len; i++) {
		const char	*rep;
		size_t		 n;

		switch (in[i]) {
		case '&':
			rep = "&amp;", n = 5;
			break;
		case '<':
			rep = "&lt;", n = 4;
			break;
		case '>':
			rep = "&gt;", n = 4;
			break;
		case '\'':
			rep = attr ? "&apos;" : NULL, n = 6;
			break;
		case '"':
			rep = attr ? "&quot;" : NULL, n = 6;
			break;
		default:
			rep = NULL, n = 0;
			break;
		}
		if (rep == NULL)
			*o++ = in[i];
		else {
			memcpy(o, rep, n);
			o += n;
		}
	}
	return (size_t)(o - out);
}

enum xlate_status
xlate_utf8_check(const char *s, size_t len, size_t *erroff)
{
	const unsigned char	*u = (const unsigned char *)s;
	unsigned long		 c;
	size_t			 i = 0, at;

	if (erroff != NULL)
		*erroff = 0;
	while (i < len) {
		at = i;
		/*
		 * ASCII without a call: every body passes here, and
		 * routing/imaddr's decoder is in another file.
		 */
		if (u[i] >= 0x20 && u[i] < 0x80) {
			i++;
			continue;
		}
		if (imaddr_utf8_next(u, len, &i, &c) < 0) {
			if (erroff != NULL)
				*erroff = at;
			return XLATE_E_UTF8;
		}
		if (!imaddr_xml_char(c)) {
			if (erroff != NULL)
				*erroff = at;
			return XLATE_E_CHAR;
		}
	}
	return XLATE_OK;
}

/*
 * Content types.
 */

static size_t
xlate_skip_ows(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

static size_t
xlate_skip_token(const char *s, size_t n, size_t i)
{
	while (i < n && xlate_token_char((unsigned char)s[i]))
		i++;
	return i;
}

/*
 * type "/" subtype *( OWS ";" OWS name OWS "=" OWS value ) (RFC 2045 5.1
 * with the whitespace RFC 3261 allows around ';' and '=').  Only charset
 * matters, and only for text/plain: UTF-8 is what XMPP carries, US-ASCII
 * is a subset of it, and nothing else is transcoded.
 */
enum xlate_ctype
xlate_content_type_okn(const char *s, size_t n)
{
	enum xlate_ctype	 kind;
	size_t			 i, t0, s0, p0, p1, v0, v1;
	bool			 charset = false;

	if (s == NULL)
		return XLATE_CT_UNSUPPORTED;
	t0 = xlate_skip_ows(s, n, 0);
	i = xlate_skip_token(s, n, t0);
	if (i == t0 || i >= n || s[i] != '/')
		return XLATE_CT_UNSUPPORTED;
	s0 = i + 1;
	i = xlate_skip_token(s, n, s0);
	if (i == s0)
		return XLATE_CT_UNSUPPORTED;
	if (xlate_ieq(s + t0, s0 - 1 - t0, "text") &&
	    xlate_ieq(s + s0, i - s0, "plain"))
		kind = XLATE_CT_TEXT;
	else if (xlate_ieq(s + t0, s0 - 1 - t0, "message") &&
	    xlate_ieq(s + s0, i - s0, "cpim"))
		kind = XLATE_CT_CPIM;
	else if (xlate_ieq(s + t0, s0 - 1 - t0, "message") &&
	    xlate_ieq(s + s0, i - s0, "imdn+xml"))
		kind = XLATE_CT_IMDN;
	else if (xlate_ieq(s + t0, s0 - 1 - t0, "application") &&
	    xlate_ieq(s + s0, i - s0, "im-iscomposing+xml"))
		kind = XLATE_CT_ISCOMPOSING;
	else
		return XLATE_CT_UNSUPPORTED;
	i = xlate_skip_ows(s, n, i);
	while (i < n) {
		if (s[i] != ';')
			return XLATE_CT_UNSUPPORTED;
		p0 = xlate_skip_ows(s, n, i + 1);
		if (p0 == n)
			break;	/* a trailing ';' is harmless */
		p1 = xlate_skip_token(s, n, p0);
		i = xlate_skip_ows(s, n, p1);
		if (p1 == p0 || i >= n || s[i] != '=')
			return XLATE_CT_UNSUPPORTED;
		i = xlate_skip_ows(s, n, i + 1);
		if (i < n && s[i] == '"') {
			v0 = ++i;
			while (i < n && s[i] != '"' && s[i] != '\\')
				i++;
			if (i >= n || s[i] != '"')
				return XLATE_CT_UNSUPPORTED;
			v1 = i++;
		} else {
			v0 = i;
			v1 = i = xlate_skip_token(s, n, i);
			if (v1 == v0)
				return XLATE_CT_UNSUPPORTED;
		}
		i = xlate_skip_ows(s, n, i);
		if (kind == XLATE_CT_TEXT &&
		    xlate_ieq(s + p0, p1 - p0, "charset")) {
			if (charset)
				return XLATE_CT_UNSUPPORTED;
			charset = true;
			if (!xlate_ieq(s + v0, v1 - v0, "utf-8") &&
			    !xlate_ieq(s + v0, v1 - v0, "us-ascii"))
				return XLATE_CT_UNSUPPORTED;
		}
	}
	return kind;
}

enum xlate_ctype
xlate_content_type_ok(const char *ctype)
{
	if (ctype == NULL)
		return XLATE_CT_UNSUPPORTED;
	return xlate_content_type_okn(ctype, strlen(ctype));
}

bool
xlate_sip_size_ok(size_t size, size_t limit)
{
	return size <= (limit != 0 ? limit : XLATE_SIP_LIMIT);
}

const char *
xlate_strstatus(enum xlate_status st)
{
	static const char	*names[] = {
		"XLATE_OK", "XLATE_E_NO_SPACE", "XLATE_E_SCHEME",
		"XLATE_E_URI", "XLATE_E_JID", "XLATE_E_LONG",
		"XLATE_E_EDGE_SPACE", "XLATE_E_UTF8", "XLATE_E_CHAR",
		"XLATE_E_DOMAIN", "XLATE_E_NOT_GW", "XLATE_E_MEDIA",
		"XLATE_E_TOO_LARGE", "XLATE_E_ERROR_STANZA", "XLATE_E_TYPE",
		"XLATE_E_EMPTY", "XLATE_E_CPIM_LINE", "XLATE_E_CPIM_HEADER",
		"XLATE_E_CPIM_CHAR", "XLATE_E_CPIM_DUP",
		"XLATE_E_CPIM_NO_FROM", "XLATE_E_CPIM_NO_TO",
		"XLATE_E_CPIM_ADDR", "XLATE_E_CPIM_DATETIME",
		"XLATE_E_CPIM_REQUIRE", "XLATE_E_CPIM_NS",
		"XLATE_E_CPIM_NO_CTYPE", "XLATE_E_CPIM_TRUNCATED",
		"XLATE_E_CPIM_ESCAPE", "XLATE_E_CPIM_OUTER", "XLATE_E_IDNA"
	};

	_Static_assert(sizeof(names) / sizeof(names[0]) ==
	    XLATE_E_IDNA + 1, "xlate_strstatus: one name per status");

	if ((size_t)st >= sizeof(names) / sizeof(names[0]))
		return "XLATE_E_UNKNOWN";
	return names[st];
}
