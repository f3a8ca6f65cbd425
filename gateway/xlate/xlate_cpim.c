/*
 * gateway/xlate/xlate_cpim.c - message/cpim (RFC 3862) read strictly.
 *
 * Used where a SIP body enters the XMPP side (xlate_sip_to_xmpp_msg()
 * unwraps it) and by gateway/xlate/xlate_imdn, which finds IMDN headers
 * in it.  Pure: spans into the caller's buffer, no copies, no allocation.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "gateway/xlate/xlate.h"
#include "gateway/xlate/xlate_int.h"
#include "routing/imaddr.h"

/* One RFC 3862 header line, split. */
struct xlate_hdr {
	struct xlate_span prefix;	/* p NULL: default namespace */
	struct xlate_span name;
	struct xlate_span lang;		/* ;lang= value, p NULL if none */
	struct xlate_span value;
};

/* NS prefixes declared in one message/cpim. */
struct xlate_ns {
	struct xlate_span prefix[XLATE_CPIM_NS_MAX];
	struct xlate_span uri[XLATE_CPIM_NS_MAX];
	size_t		  n;
};

static bool	xlate_name_char(int);
static int	xlate_next_line(const char *, size_t, size_t *,
		    struct xlate_span *);
static enum xlate_status xlate_cpim_line(struct xlate_span,
		    struct xlate_hdr *);
static bool	xlate_uri_like(struct xlate_span);
static enum xlate_status xlate_cpim_addr(struct xlate_span,
		    struct xlate_span *, struct xlate_span *);
static bool	xlate_datetime_ok(struct xlate_span);
static enum xlate_status xlate_cpim_require(struct xlate_span);
static enum xlate_status xlate_cpim_ns(struct xlate_span, struct xlate_ns *);
static enum xlate_status xlate_cpim_block(const char *, size_t, size_t *,
		    struct xlate_cpim *);
static enum xlate_status xlate_mime_line(struct xlate_span,
		    struct xlate_span *, struct xlate_span *);
static enum xlate_status xlate_mime_block(const char *, size_t, size_t *,
		    struct xlate_span *);

/*
 * message/cpim (RFC 3862).
 */

/* RFC 3862 3.6 NAMECHAR (a token without '.', which splits a prefix). */
static bool
xlate_name_char(int c)
{
	return xlate_is_alnum(c) || xlate_in(c, "!#$%&'*+-^_`|~");
}

/* RFC 2045 token character. */
bool
xlate_token_char(int c)
{
	return c > ' ' && c < 0x7f && !xlate_in(c, "()<>@,;:\\\"/[]?=");
}

/*
 * The line at buf[*pos]: 1 and the line without its LF (or CRLF), 0 at
 * the end of the buffer, -1 when the buffer ends without a line end.
 */
static int
xlate_next_line(const char *buf, size_t len, size_t *pos,
    struct xlate_span *line)
{
	const char	*nl;

	if (*pos >= len)
		return 0;
	nl = memchr(buf + *pos, '\n', len - *pos);
	if (nl == NULL)
		return -1;
	line->p = buf + *pos;
	line->len = (size_t)(nl - line->p);
	if (line->len > 0 && line->p[line->len - 1] == '\r')
		line->len--;
	*pos = (size_t)(nl - buf) + 1;
	return 1;
}

/*
 * Split one message header line:
 *	[prefix "."] Name ":" *(";" param "=" value) SP value
 * with no control characters, no leading or trailing whitespace in the
 * value, UTF-8 throughout.
 */
static enum xlate_status
xlate_cpim_line(struct xlate_span line, struct xlate_hdr *h)
{
	const char	*s = line.p;
	size_t		 n = line.len, i = 0, start;
	struct xlate_span pname;

	memset(h, 0, sizeof(*h));
	if (memchr(s, '\r', n) != NULL)
		return XLATE_E_CPIM_LINE;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return XLATE_E_CPIM_CHAR;
	if (xlate_utf8_check(s, n, NULL) != XLATE_OK)
		return XLATE_E_CPIM_CHAR;
	for (i = 0; i < n && xlate_name_char((unsigned char)s[i]); i++)
		;
	h->name.p = s;
	h->name.len = i;
	if (i < n && s[i] == '.') {
		h->prefix = h->name;
		start = ++i;
		while (i < n && xlate_name_char((unsigned char)s[i]))
			i++;
		h->name.p = s + start;
		h->name.len = i - start;
		if (h->prefix.len == 0)
			return XLATE_E_CPIM_HEADER;
	}
	if (h->name.len == 0 || i >= n || s[i] != ':')
		return XLATE_E_CPIM_HEADER;
	i++;
	while (i < n && s[i] == ';') {
		pname.p = s + ++i;
		while (i < n && xlate_name_char((unsigned char)s[i]))
			i++;
		pname.len = (size_t)(s + i - pname.p);
		if (pname.len == 0 || i >= n || s[i] != '=')
			return XLATE_E_CPIM_HEADER;
		start = ++i;
		if (i < n && s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (i >= n)
				return XLATE_E_CPIM_HEADER;
			i++;
		} else
			while (i < n && xlate_name_char((unsigned char)s[i]))
				i++;
		if (i == start)
			return XLATE_E_CPIM_HEADER;
		if (xlate_ieq(pname.p, pname.len, "lang")) {
			h->lang.p = s + start;
			h->lang.len = i - start;
		}
	}
	if (i >= n || s[i] != ' ')
		return XLATE_E_CPIM_HEADER;
	i++;
	h->value.p = s + i;
	h->value.len = n - i;
	if (h->value.len > 0 && (s[i] == ' ' || s[n - 1] == ' '))
		return XLATE_E_CPIM_HEADER;
	return XLATE_OK;
}

/* "scheme:rest", no spaces or angle brackets (RFC 3986 3.1 scheme). */
static bool
xlate_uri_like(struct xlate_span u)
{
	size_t	 i;

	if (u.len < 2 || !((u.p[0] >= 'a' && u.p[0] <= 'z') ||
	    (u.p[0] >= 'A' && u.p[0] <= 'Z')))
		return false;
	for (i = 1; i < u.len && (xlate_is_alnum((unsigned char)u.p[i]) ||
	    xlate_in((unsigned char)u.p[i], "+-.")); i++)
		;
	if (i >= u.len - 1 || u.p[i] != ':')
		return false;
	for (i = 0; i < u.len; i++)
		if (xlate_in((unsigned char)u.p[i], " <>\""))
			return false;
	return true;
}

/* From / To / cc: [ Formal-name SP ] "<" URI ">". */
static enum xlate_status
xlate_cpim_addr(struct xlate_span v, struct xlate_span *name,
    struct xlate_span *uri)
{
	const char	*s = v.p, *lt;
	size_t		 n = v.len, i;

	name->p = NULL;
	name->len = 0;
	if (n < 3 || s[n - 1] != '>')
		return XLATE_E_CPIM_ADDR;
	if (s[0] == '"') {
		for (i = 1; i < n && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		if (i + 2 >= n || s[i + 1] != ' ' || s[i + 2] != '<')
			return XLATE_E_CPIM_ADDR;
		lt = s + i + 2;
	} else if ((lt = memchr(s, '<', n)) == NULL)
		return XLATE_E_CPIM_ADDR;
	if (lt > s) {
		if (lt - s < 2 || lt[-1] != ' ' || lt[-2] == ' ')
			return XLATE_E_CPIM_ADDR;
		name->p = s;
		name->len = (size_t)(lt - s - 1);
	}
	uri->p = lt + 1;
	uri->len = (size_t)(s + n - 1 - uri->p);
	if (!xlate_uri_like(*uri))
		return XLATE_E_CPIM_ADDR;
	return XLATE_OK;
}

/* s[0..n) is @min..@max decimal digits. */
bool
xlate_digits(const char *s, size_t n, int min, int max)
{
	if (n < (size_t)min || n > (size_t)max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!xlate_is_digit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * RFC 3339 5.6 date-time: full-date "T" full-time, "T" and "Z" in either
 * case, fractional seconds allowed, second 60 allowed (leap second).
 */
static bool
xlate_datetime_ok(struct xlate_span v)
{
	static const int	 mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	const char		*s = v.p;
	size_t			 n = v.len, i;
	int			 y, mo, d;

	if (n < 20 || !xlate_digits(s, 4, 4, 4) || s[4] != '-' ||
	    !xlate_digits(s + 5, 2, 2, 2) || s[7] != '-' ||
	    !xlate_digits(s + 8, 2, 2, 2) || (s[10] != 'T' && s[10] != 't') ||
	    !xlate_digits(s + 11, 2, 2, 2) || s[13] != ':' ||
	    !xlate_digits(s + 14, 2, 2, 2) || s[16] != ':' ||
	    !xlate_digits(s + 17, 2, 2, 2))
		return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	mo = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return false;
	if (mo == 2 && d == 29 &&
	    !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	if ((s[11] - '0') * 10 + (s[12] - '0') > 23 ||
	    (s[14] - '0') * 10 + (s[15] - '0') > 59 ||
	    (s[17] - '0') * 10 + (s[18] - '0') > 60)
		return false;
	i = 19;
	if (s[i] == '.') {
		for (i++; i < n && xlate_is_digit((unsigned char)s[i]); i++)
			;
		if (i == 20)
			return false;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z'))
		return i + 1 == n;
	if (n - i != 6 || (s[i] != '+' && s[i] != '-') ||
	    !xlate_digits(s + i + 1, 2, 2, 2) || s[i + 3] != ':' ||
	    !xlate_digits(s + i + 4, 2, 2, 2))
		return false;
	return (s[i + 1] - '0') * 10 + (s[i + 2] - '0') <= 23 &&
	    (s[i + 4] - '0') * 10 + (s[i + 5] - '0') <= 59;
}

/*
 * Require: Header-name *("," Header-name).  This parser understands the
 * headers of RFC 3862 section 4 in the default namespace and nothing
 * else, so any other required name makes the message unprocessable.
 */
static enum xlate_status
xlate_cpim_require(struct xlate_span v)
{
	static const char	*known[] = {
		"From", "To", "cc", "DateTime", "Subject", "NS", "Require"
	};
	size_t			 i = 0, start, k;
	bool			 ok;

	for (;;) {
		start = i;
		while (i < v.len && v.p[i] != ',')
			i++;
		if (i == start)
			return XLATE_E_CPIM_HEADER;
		ok = false;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strlen(known[k]) == i - start &&
			    memcmp(known[k], v.p + start, i - start) == 0)
				ok = true;
		if (!ok)
			return XLATE_E_CPIM_REQUIRE;
		if (i == v.len)
			return XLATE_OK;
		i++;
	}
}

/* NS: [ Name-prefix SP ] "<" URI ">"; remembers the prefix. */
static enum xlate_status
xlate_cpim_ns(struct xlate_span v, struct xlate_ns *ns)
{
	struct xlate_span	 name, uri;

	if (xlate_cpim_addr(v, &name, &uri) != XLATE_OK)
		return XLATE_E_CPIM_ADDR;
	if (name.p == NULL)
		return XLATE_OK;
	for (size_t i = 0; i < name.len; i++)
		if (!xlate_name_char((unsigned char)name.p[i]))
			return XLATE_E_CPIM_HEADER;
	if (ns->n >= XLATE_CPIM_NS_MAX)
		return XLATE_E_CPIM_NS;
	ns->uri[ns->n] = uri;
	ns->prefix[ns->n++] = name;
	return XLATE_OK;
}

/*
 * The message header block starting at buf[*pos], up to and including
 * its blank line.  Two passes over the lines: the first checks syntax
 * and collects NS prefixes (a prefix may be used before or after its
 * declaration), the second interprets the headers.
 */
static enum xlate_status
xlate_cpim_block(const char *buf, size_t len, size_t *pos,
    struct xlate_cpim *out)
{
	struct xlate_ns		 ns;
	struct xlate_hdr	 h;
	struct xlate_span	 line, name, uri;
	enum xlate_status	 st;
	size_t			 p, end;
	int			 r;
	bool			 found, have_from = false, have_dt = false;

	ns.n = 0;
	p = *pos;
	for (;;) {
		r = xlate_next_line(buf, len, &p, &line);
		if (r <= 0)
			return XLATE_E_CPIM_TRUNCATED;
		if (line.len == 0)
			break;
		if ((st = xlate_cpim_line(line, &h)) != XLATE_OK)
			return st;
		if (h.prefix.p == NULL && h.name.len == 2 &&
		    memcmp(h.name.p, "NS", 2) == 0 &&
		    (st = xlate_cpim_ns(h.value, &ns)) != XLATE_OK)
			return st;
	}
	end = p;
	p = *pos;
	while (xlate_next_line(buf, len, &p, &line) == 1 && line.len > 0) {
		(void)xlate_cpim_line(line, &h);
		if (h.prefix.p != NULL) {
			found = false;
			for (size_t k = 0; k < ns.n && !found; k++)
				if (ns.prefix[k].len == h.prefix.len &&
				    memcmp(ns.prefix[k].p, h.prefix.p,
				    h.prefix.len) == 0) {
					found = true;
					uri = ns.uri[k];
				}
			if (!found)
				return XLATE_E_CPIM_NS;
			/* RFC 5438 6.3 / 7.1.1: the IMDN headers, found by
			 * the namespace URI whatever the prefix. */
			if (!xlate_span_ieq(uri, XLATE_IMDN_NS))
				continue;
			if (xlate_ieq(h.name.p, h.name.len, "message-id") &&
			    out->imdn_message_id.p == NULL)
				out->imdn_message_id = h.value;
			else if (xlate_ieq(h.name.p, h.name.len,
			    "disposition-notification") &&
			    out->imdn_disp.p == NULL)
				out->imdn_disp = h.value;
			continue;
		}
#define XLATE_IS(lit)	(h.name.len == sizeof(lit) - 1 && \
			    memcmp(h.name.p, lit, sizeof(lit) - 1) == 0)
		if (XLATE_IS("From")) {
			if (have_from)
				return XLATE_E_CPIM_DUP;
			have_from = true;
			if ((st = xlate_cpim_addr(h.value, &out->from_name,
			    &out->from_uri)) != XLATE_OK)
				return st;
			out->from = h.value;
		} else if (XLATE_IS("To") || XLATE_IS("cc")) {
			if ((st = xlate_cpim_addr(h.value, &name, &uri)) !=
			    XLATE_OK)
				return st;
			if (XLATE_IS("cc"))
				out->ncc++;
			else if (out->nto++ == 0) {
				out->to = h.value;
				out->to_name = name;
				out->to_uri = uri;
			}
		} else if (XLATE_IS("DateTime")) {
			if (have_dt)
				return XLATE_E_CPIM_DUP;
			have_dt = true;
			if (!xlate_datetime_ok(h.value))
				return XLATE_E_CPIM_DATETIME;
			out->datetime = h.value;
		} else if (XLATE_IS("Subject")) {
			if (out->subject.p == NULL) {
				out->subject = h.value;
				out->subject_lang = h.lang;
			}
		} else if (XLATE_IS("Require")) {
			if ((st = xlate_cpim_require(h.value)) != XLATE_OK)
				return st;
		}
		/* NS was handled above; anything else is ignored. */
#undef XLATE_IS
	}
	if (!have_from)
		return XLATE_E_CPIM_NO_FROM;
	if (out->nto == 0)
		return XLATE_E_CPIM_NO_TO;
	*pos = end;
	return XLATE_OK;
}

/* A MIME header line: token ":" OWS value OWS (RFC 2045 / 5322). */
static enum xlate_status
xlate_mime_line(struct xlate_span line, struct xlate_span *name,
    struct xlate_span *value)
{
	const char	*s = line.p;
	size_t		 n = line.len, i, e;

	if (memchr(s, '\r', n) != NULL)
		return XLATE_E_CPIM_LINE;
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
		    s[i] == 0x7f)
			return XLATE_E_CPIM_CHAR;
	if (xlate_utf8_check(s, n, NULL) != XLATE_OK)
		return XLATE_E_CPIM_CHAR;
	for (i = 0; i < n && xlate_token_char((unsigned char)s[i]); i++)
		;
	/* No folding: a continuation line has no name. */
	if (i == 0 || i >= n || s[i] != ':')
		return XLATE_E_CPIM_HEADER;
	name->p = s;
	name->len = i;
	for (i++; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	for (e = n; e > i && (s[e - 1] == ' ' || s[e - 1] == '\t'); e--)
		;
	value->p = s + i;
	value->len = e - i;
	return XLATE_OK;
}

/* A MIME header block; returns its Content-Type (p NULL if none). */
static enum xlate_status
xlate_mime_block(const char *buf, size_t len, size_t *pos,
    struct xlate_span *ctype)
{
	struct xlate_span	 line, name, value;
	enum xlate_status	 st;
	int			 r;

	ctype->p = NULL;
	ctype->len = 0;
	for (;;) {
		r = xlate_next_line(buf, len, pos, &line);
		if (r <= 0)
			return XLATE_E_CPIM_TRUNCATED;
		if (line.len == 0)
			return XLATE_OK;
		if ((st = xlate_mime_line(line, &name, &value)) != XLATE_OK)
			return st;
		if (xlate_ieq(name.p, name.len, "content-type")) {
			if (ctype->p != NULL)
				return XLATE_E_CPIM_DUP;
			*ctype = value;
		}
	}
}

enum xlate_status
xlate_cpim_parse(const char *buf, size_t len, struct xlate_cpim *out)
{
	struct xlate_span	 ct;
	enum xlate_status	 st;
	size_t			 pos = 0;

	memset(out, 0, sizeof(*out));
	/* An outer MIME block: the first line names Content-Type, which is
	 * never a CPIM message header (those are case-sensitive and
	 * Content-Type is not among them). */
	if (len >= 13 && xlate_ieq(buf, 13, "content-type:")) {
		if ((st = xlate_mime_block(buf, len, &pos, &ct)) != XLATE_OK)
			goto fail;
		if (xlate_content_type_okn(ct.p, ct.len) != XLATE_CT_CPIM) {
			st = XLATE_E_CPIM_OUTER;
			goto fail;
		}
		out->outer = true;
	}
	if ((st = xlate_cpim_block(buf, len, &pos, out)) != XLATE_OK)
		goto fail;
	if ((st = xlate_mime_block(buf, len, &pos, &ct)) != XLATE_OK)
		goto fail;
	if (ct.p == NULL || ct.len == 0) {
		st = XLATE_E_CPIM_NO_CTYPE;
		goto fail;
	}
	out->content_type = ct;
	out->body.p = buf + pos;
	out->body.len = len - pos;
	return XLATE_OK;
fail:
	memset(out, 0, sizeof(*out));
	return st;
}

enum xlate_status
xlate_cpim_unescape(const char *v, size_t len, char *out, size_t outsz)
{
	struct imaddr_buf	 b;
	unsigned long		 c, lo;
	int			 h;

	imaddr_buf_init(&b, out, outsz);
	for (size_t i = 0; i < len; i++) {
		if (v[i] != '\\') {
			imaddr_put(&b, (unsigned char)v[i]);
			continue;
		}
		if (++i >= len)
			return xlate_fail(out, outsz, XLATE_E_CPIM_ESCAPE);
		switch (v[i]) {
		case '\\': case '"': case '\'':
			imaddr_put(&b, v[i]);
			continue;
		case 'b':
			imaddr_put(&b, '\b');
			continue;
		case 't':
			imaddr_put(&b, '\t');
			continue;
		case 'n':
			imaddr_put(&b, '\n');
			continue;
		case 'r':
			imaddr_put(&b, '\r');
			continue;
		case 'u':
			break;
		default:
			return xlate_fail(out, outsz, XLATE_E_CPIM_ESCAPE);
		}
		c = 0;
		for (size_t k = 0; k < 4; k++) {
			if (++i >= len ||
			    (h = xlate_hexval((unsigned char)v[i])) < 0)
				return xlate_fail(out, outsz,
				    XLATE_E_CPIM_ESCAPE);
			c = c * 16 + (unsigned long)h;
		}
		if (c >= 0xd800 && c <= 0xdbff) {
			/* A high surrogate needs "\uDC00".."\uDFFF" next. */
			if (len - i < 7 || v[i + 1] != '\\' || v[i + 2] != 'u')
				return xlate_fail(out, outsz,
				    XLATE_E_CPIM_ESCAPE);
			lo = 0;
			for (size_t k = 0; k < 4; k++) {
				h = xlate_hexval((unsigned char)v[i + 3 + k]);
				if (h < 0)
					return xlate_fail(out, outsz,
					    XLATE_E_CPIM_ESCAPE);
				lo = lo * 16 + (unsigned long)h;
			}
			if (lo < 0xdc00 || lo > 0xdfff)
				return xlate_fail(out, outsz,
				    XLATE_E_CPIM_ESCAPE);
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		} else if ((c >= 0xdc00 && c <= 0xdfff) || c == 0)
			return xlate_fail(out, outsz, XLATE_E_CPIM_ESCAPE);
		if (c < 0x80)
			imaddr_put(&b, (int)c);
		else if (c < 0x800) {
			imaddr_put(&b, (int)(0xc0 | (c >> 6)));
			imaddr_put(&b, (int)(0x80 | (c & 0x3f)));
		} else if (c < 0x10000) {
			imaddr_put(&b, (int)(0xe0 | (c >> 12)));
			imaddr_put(&b, (int)(0x80 | ((c >> 6) & 0x3f)));
			imaddr_put(&b, (int)(0x80 | (c & 0x3f)));
		} else {
			imaddr_put(&b, (int)(0xf0 | (c >> 18)));
			imaddr_put(&b, (int)(0x80 | ((c >> 12) & 0x3f)));
			imaddr_put(&b, (int)(0x80 | ((c >> 6) & 0x3f)));
			imaddr_put(&b, (int)(0x80 | (c & 0x3f)));
		}
	}
	return xlate_buf_done(&b);
}
