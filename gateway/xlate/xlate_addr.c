/*
 * gateway/xlate/xlate_addr.c - SIP <-> XMPP address and message translation.
 *
 * Used at both edges of the inbound -> route -> pick -> outbound flow: the
 * inbound sides name a sender in the other protocol, check and unwrap the
 * content, and the outbound sides name the recipient and size the SIP
 * request.  The rules come from RFC 7572, RFC 7247, RFC 3922, RFC 3862 and
 * XEP-0106 as digested in standards.md sections 5.5, 6 and 7.2.
 *
 * Everything is pure.  Output goes through a small writer (struct
 * xlate_buf) that keeps counting past the end of the caller's buffer, so a
 * too-small buffer is reported once at the end instead of being checked
 * at every byte, and the length limits of RFC 7622 can be told apart from
 * a short buffer.  Intermediate forms (a percent-decoded user part, an
 * unescaped localpart) live in stack buffers bounded by the same limits:
 * a JID part is at most 1023 octets, so nothing bigger is ever needed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gateway/xlate/xlate.h"
#include "routing/idna.h"
#include "routing/imaddr.h"

/* What xlate_sip_parse() extracts from a sip:/sips: URI (borrowed). */
struct xlate_sip_uri {
	struct xlate_span user;	/* raw user part, p NULL if none */
	struct xlate_span host;	/* brackets kept, final dot dropped */
	struct xlate_span port;	/* p NULL if none */
	struct xlate_span gr;	/* raw ;gr= value, p NULL if none */
	bool		  user_phone;
	bool		  user_param;	/* some ;user= was seen */
	bool		  gr_param;	/* some ;gr was seen */
};

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

static const char	 xlate_text_plain[] = "text/plain;charset=UTF-8";

static enum xlate_status xlate_buf_done(struct imaddr_buf *);
static enum xlate_status xlate_st(enum imaddr_status);
static enum xlate_status xlate_fail(char *, size_t, enum xlate_status);
static bool	xlate_is_alnum(int);
static bool	xlate_is_digit(int);
static int	xlate_lower(int);
static int	xlate_hexval(int);
static bool	xlate_in(int, const char *);
static bool	xlate_user_char(int);
static bool	xlate_param_char(int);
static bool	xlate_im_char(int);
static bool	xlate_ieq(const char *, size_t, const char *);
static bool	xlate_prefix(const char *, const char *);
static enum xlate_status xlate_text_check(const char *, size_t);
static enum xlate_status xlate_escape_to(struct imaddr_buf *, const char *,
		    size_t);
static enum xlate_status xlate_local_check(const char *, size_t);
static enum xlate_status xlate_unescape_to(struct imaddr_buf *,
		    const char *, size_t);
static enum xlate_status xlate_domain_check(const char *, size_t);
static enum xlate_status xlate_host_check(const char *, size_t);
static size_t	xlate_host_len(const char *, size_t);
static enum xlate_status xlate_hostport_check(const char *, size_t);
static void	xlate_put_pct_set(struct imaddr_buf *, const char *, size_t,
		    bool (*)(int));
static enum xlate_status xlate_pct_decode_to(struct imaddr_buf *,
		    const char *, size_t, bool (*)(int));
static enum xlate_status xlate_sip_parse(const char *,
		    struct xlate_sip_uri *);
static enum xlate_status xlate_sip_param(const char *, size_t *,
		    struct xlate_sip_uri *);
static enum xlate_status xlate_resource_to(struct imaddr_buf *,
		    struct xlate_span);
static enum xlate_status xlate_jid_to_sip_buf(struct imaddr_buf *,
		    const char *);
static bool	xlate_span_ieq(struct xlate_span, const char *);
static bool	xlate_host_eq(const char *, size_t, const char *);
static size_t	xlate_skip_ows(const char *, size_t, size_t);
static size_t	xlate_skip_token(const char *, size_t, size_t);
static bool	xlate_global_number(const char *, size_t);
static bool	xlate_name_char(int);
static bool	xlate_token_char(int);
static int	xlate_next_line(const char *, size_t, size_t *,
		    struct xlate_span *);
static enum xlate_status xlate_cpim_line(struct xlate_span,
		    struct xlate_hdr *);
static enum xlate_status xlate_cpim_addr(struct xlate_span,
		    struct xlate_span *, struct xlate_span *);
static bool	xlate_uri_like(struct xlate_span);
static bool	xlate_digits(const char *, size_t, int, int);
static bool	xlate_datetime_ok(struct xlate_span);
static enum xlate_status xlate_cpim_require(struct xlate_span);
static enum xlate_status xlate_cpim_ns(struct xlate_span, struct xlate_ns *);
static enum xlate_status xlate_cpim_block(const char *, size_t, size_t *,
		    struct xlate_cpim *);
static enum xlate_status xlate_mime_line(struct xlate_span,
		    struct xlate_span *, struct xlate_span *);
static enum xlate_status xlate_mime_block(const char *, size_t, size_t *,
		    struct xlate_span *);
static size_t	xlate_lang_tag(const char *, char *, size_t);
static bool	xlate_callid_ok(const char *);
static enum xlate_status xlate_sip_host_is(const char *, const char *,
		    bool *);


static enum xlate_status
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
static enum xlate_status
xlate_st(enum imaddr_status st)
{
	return (enum xlate_status)st;
}

static enum xlate_status
xlate_buf_done(struct imaddr_buf *b)
{
	return xlate_st(imaddr_buf_done(b));
}

static enum xlate_status
xlate_text_check(const char *s, size_t len)
{
	return xlate_st(imaddr_text_check(s, len));
}

static enum xlate_status
xlate_escape_to(struct imaddr_buf *b, const char *in, size_t inlen)
{
	return xlate_st(imaddr_escape_to(b, in, inlen));
}

static enum xlate_status
xlate_local_check(const char *s, size_t n)
{
	return xlate_st(imaddr_local_check(s, n));
}

static enum xlate_status
xlate_unescape_to(struct imaddr_buf *b, const char *in, size_t inlen)
{
	return xlate_st(imaddr_unescape_to(b, in, inlen));
}

static enum xlate_status
xlate_domain_check(const char *s, size_t n)
{
	return xlate_st(imaddr_domain_check(s, n));
}

static enum xlate_status
xlate_pct_decode_to(struct imaddr_buf *b, const char *s, size_t n,
    bool (*ok)(int))
{
	return xlate_st(imaddr_pct_decode_to(b, s, n, ok));
}

enum xlate_status
xlate_jid_escape(const char *in, size_t inlen, char *out, size_t outsz)
{
	return xlate_st(imaddr_jid_escape(in, inlen, out, outsz));
}

enum xlate_status
xlate_jid_unescape(const char *in, size_t inlen, char *out, size_t outsz)
{
	return xlate_st(imaddr_jid_unescape(in, inlen, out, outsz));
}

enum xlate_status
xlate_im_to_jid(const char *im, char *jid, size_t jidsz)
{
	return xlate_st(imaddr_im_to_jid(im, jid, jidsz));
}

/*
 * Character classes.  Every helper takes an unsigned char value.
 */

static bool
xlate_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
xlate_is_alnum(int c)
{
	return xlate_is_digit(c) || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
xlate_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
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
static bool
xlate_in(int c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* RFC 3261 25.1: user = 1*( unreserved / escaped / user-unreserved ). */
static bool
xlate_user_char(int c)
{
	return xlate_is_alnum(c) || xlate_in(c, "-_.!~*'()&=+$,;?/");
}

/* RFC 3261 25.1: paramchar = param-unreserved / unreserved / escaped. */
static bool
xlate_param_char(int c)
{
	return xlate_is_alnum(c) || xlate_in(c, "-_.!~*'()[]/:&+$");
}

/* RFC 3922 3.2 step 4: the octets an im: localpart keeps as they are. */
static bool
xlate_im_char(int c)
{
	return xlate_is_alnum(c) || xlate_in(c, "!$*.?_~+=");
}

/* s[0..n) equals the lower-case literal @lit, ignoring ASCII case. */
static bool
xlate_ieq(const char *s, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (xlate_lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

static bool
xlate_span_ieq(struct xlate_span sp, const char *lit)
{
	return sp.p != NULL && xlate_ieq(sp.p, sp.len, lit);
}

/* s[0..n) and the NUL-terminated domain @d (final dot ignored) are the
 * same host name, ignoring ASCII case. */
static bool
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
static bool
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
 * JIDs.
 */


enum xlate_status
xlate_jid_split(const char *jid, struct xlate_jid *j)
{
	enum xlate_status	 st;
	const char		*slash, *at;
	size_t			 len, head;

	memset(j, 0, sizeof(*j));
	len = strlen(jid);
	if (len == 0)
		return XLATE_E_JID;
	slash = memchr(jid, '/', len);
	head = slash != NULL ? (size_t)(slash - jid) : len;
	at = memchr(jid, '@', head);
	if (at != NULL) {
		j->local.p = jid;
		j->local.len = (size_t)(at - jid);
		j->domain.p = at + 1;
		j->domain.len = head - j->local.len - 1;
	} else {
		j->domain.p = jid;
		j->domain.len = head;
	}
	/* RFC 7622 3.2: a final label separator is stripped. */
	if (j->domain.len > 0 && j->domain.p[j->domain.len - 1] == '.')
		j->domain.len--;
	if (slash != NULL) {
		j->resource.p = slash + 1;
		j->resource.len = len - head - 1;
	}
	st = XLATE_OK;
	if (j->local.p != NULL) {
		if (j->local.len == 0)
			st = XLATE_E_JID;
		else if (j->local.len > XLATE_PART_MAX)
			st = XLATE_E_LONG;
		else
			st = xlate_text_check(j->local.p, j->local.len);
		for (size_t i = 0; st == XLATE_OK && i < j->local.len; i++)
			if (xlate_in((unsigned char)j->local.p[i],
			    " \"&'/:<>@"))
				st = XLATE_E_JID;
	}
	if (st == XLATE_OK)
		st = xlate_domain_check(j->domain.p, j->domain.len);
	if (st == XLATE_OK && j->resource.p != NULL) {
		if (j->resource.len == 0)
			st = XLATE_E_JID;
		else if (j->resource.len > XLATE_PART_MAX)
			st = XLATE_E_LONG;
		else
			st = xlate_text_check(j->resource.p, j->resource.len);
	}
	if (st != XLATE_OK)
		memset(j, 0, sizeof(*j));
	return st;
}

/*
 * SIP hosts (RFC 3261 25.1): a host name or IPv4 address (labels of
 * letters, digits and '-'), or an IPv6 reference in brackets.  Returns
 * the length of the host at the start of s[0..n), 0 if there is none.
 */
static size_t
xlate_host_len(const char *s, size_t n)
{
	size_t	 i = 0;

	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!xlate_in((unsigned char)s[i],
			    "0123456789abcdefABCDEF:.") ||
			    (s[i] == '.' && s[i - 1] == '.'))
				return 0;
		return (i < n && i > 1) ? i + 1 : 0;
	}
	while (i < n && (xlate_is_alnum((unsigned char)s[i]) ||
	    s[i] == '-' || s[i] == '.'))
		i++;
	return i;
}

/* The whole of s[0..n) is one SIP host without empty labels. */
static enum xlate_status
xlate_host_check(const char *s, size_t n)
{
	if (n == 0 || xlate_host_len(s, n) != n)
		return XLATE_E_DOMAIN;
	if (s[0] == '[')
		return XLATE_OK;
	if (s[0] == '.' || s[n - 1] == '.')
		return XLATE_E_DOMAIN;
	for (size_t i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return XLATE_E_DOMAIN;
	return XLATE_OK;
}

/* host [ ":" port ] as it sits inside a gateway localpart. */
static enum xlate_status
xlate_hostport_check(const char *s, size_t n)
{
	size_t	 h = xlate_host_len(s, n);

	if (h == 0 || xlate_host_check(s, h) != XLATE_OK)
		return XLATE_E_URI;
	if (h == n)
		return XLATE_OK;
	if (s[h] != ':' || !xlate_digits(s + h + 1, n - h - 1, 1, 5))
		return XLATE_E_URI;
	return XLATE_OK;
}

/* Append s[0..n), percent-encoding every octet @ok does not accept. */
static void
xlate_put_pct_set(struct imaddr_buf *b, const char *s, size_t n,
    bool (*ok)(int))
{
	int	 c;

	for (size_t i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (ok(c))
			imaddr_put(b, c);
		else
			imaddr_put_pct(b, c);
	}
}


/*
 * One ";name[=value]" URI parameter at uri[*pos] (which is ';').  Only
 * user= and gr= mean anything here; RFC 3261 19.1.4 allows each
 * parameter once, so a repeated one is an error.
 */
static enum xlate_status
xlate_sip_param(const char *uri, size_t *pos, struct xlate_sip_uri *u)
{
	struct xlate_span	 name, value = { NULL, 0 };
	size_t			 i = *pos + 1;
	bool			 pct;

	name.p = uri + i;
	while (xlate_param_char((unsigned char)uri[i]) || uri[i] == '%')
		i++;
	name.len = (size_t)(uri + i - name.p);
	if (name.len == 0)
		return XLATE_E_URI;
	if (uri[i] == '=') {
		value.p = uri + ++i;
		while (xlate_param_char((unsigned char)uri[i]) ||
		    uri[i] == '%')
			i++;
		value.len = (size_t)(uri + i - value.p);
	}
	*pos = i;
	pct = memchr(name.p, '%', name.len) != NULL;
	if (!pct && xlate_ieq(name.p, name.len, "user")) {
		if (u->user_param)
			return XLATE_E_URI;
		u->user_param = true;
		u->user_phone = xlate_span_ieq(value, "phone");
	} else if (!pct && xlate_ieq(name.p, name.len, "gr")) {
		if (u->gr_param)
			return XLATE_E_URI;
		u->gr_param = true;
		/* A bare ";gr" names no instance: no resource then. */
		if (value.p != NULL && value.len > 0)
			u->gr = value;
	}
	return XLATE_OK;
}

/*
 * Parse sip:[user[:password]@]host[:port][;params][?headers].  The user
 * part ends at the first '@': neither host, parameters nor headers may
 * hold a raw '@' (RFC 3261 25.1).
 */
static enum xlate_status
xlate_sip_parse(const char *uri, struct xlate_sip_uri *u)
{
	enum xlate_status	 st;
	const char		*rest, *at, *colon;
	size_t			 i, n, h;

	memset(u, 0, sizeof(*u));
	if (xlate_prefix(uri, "sip:"))
		rest = uri + 4;
	else if (xlate_prefix(uri, "sips:"))
		rest = uri + 5;
	else
		return XLATE_E_SCHEME;
	n = strlen(rest);
	at = memchr(rest, '@', n);
	if (at != NULL) {
		colon = memchr(rest, ':', (size_t)(at - rest));
		u->user.p = rest;
		u->user.len = (size_t)((colon != NULL ? colon : at) - rest);
		if (u->user.len == 0)
			return XLATE_E_URI;
		for (const char *p = rest; p < at; p++)
			if (!xlate_user_char((unsigned char)*p) &&
			    *p != '%' && *p != ':')
				return XLATE_E_URI;
		rest = at + 1;
		n = strlen(rest);
	}
	h = xlate_host_len(rest, n);
	if (h == 0)
		return XLATE_E_URI;
	u->host.p = rest;
	u->host.len = h;
	if (rest[0] != '[' && h > 1 && rest[h - 1] == '.')
		u->host.len--;
	if (xlate_host_check(u->host.p, u->host.len) != XLATE_OK)
		return XLATE_E_URI;
	i = h;
	if (rest[i] == ':') {
		u->port.p = rest + i + 1;
		while (xlate_is_digit((unsigned char)rest[++i]))
			;
		u->port.len = (size_t)(rest + i - u->port.p);
		if (!xlate_digits(u->port.p, u->port.len, 1, 5))
			return XLATE_E_URI;
	}
	while (rest[i] == ';')
		if ((st = xlate_sip_param(rest, &i, u)) != XLATE_OK)
			return st;
	/* Headers ("?subject=...") never survive a translation. */
	if (rest[i] == '?') {
		for (i++; rest[i] != '\0'; i++)
			if ((unsigned char)rest[i] <= ' ' ||
			    (unsigned char)rest[i] >= 0x7f)
				return XLATE_E_URI;
	}
	if (rest[i] != '\0')
		return XLATE_E_URI;
	return XLATE_OK;
}

/* Append "/" and the decoded ;gr= value as a resourcepart. */
static enum xlate_status
xlate_resource_to(struct imaddr_buf *b, struct xlate_span gr)
{
	enum xlate_status	 st;
	size_t			 start;

	imaddr_put(b, '/');
	start = b->len;
	if ((st = xlate_pct_decode_to(b, gr.p, gr.len, xlate_param_char)) !=
	    XLATE_OK)
		return st;
	if (b->len - start > XLATE_PART_MAX)
		return XLATE_E_LONG;
	if (b->len < b->size)
		return xlate_text_check(b->p + start, b->len - start);
	return XLATE_OK;
}

enum xlate_status
xlate_sip_to_jid(const char *sip_uri, char *jid, size_t jidsz)
{
	struct xlate_sip_uri	 u;
	struct imaddr_buf	 b, t;
	enum xlate_status	 st;
	char			 tmp[XLATE_PART_MAX + 1];
	char			 host[IDNA_HOST_MAX + 1];
	size_t			 ulen;
	const char		*semi;

	imaddr_buf_init(&b, jid, jidsz);
	if ((st = xlate_sip_parse(sip_uri, &u)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	if (u.user.p != NULL) {
		ulen = u.user.len;
		/* A telephone-subscriber's ";isub=" is not the number. */
		if (u.user_phone &&
		    (semi = memchr(u.user.p, ';', u.user.len)) != NULL)
			ulen = (size_t)(semi - u.user.p);
		imaddr_buf_init(&t, tmp, sizeof(tmp));
		if ((st = xlate_pct_decode_to(&t, u.user.p, ulen,
		    xlate_user_char)) != XLATE_OK)
			return xlate_fail(jid, jidsz, st);
		if (xlate_buf_done(&t) != XLATE_OK)
			return xlate_fail(jid, jidsz, XLATE_E_LONG);
		if ((st = xlate_escape_to(&b, tmp, t.len)) != XLATE_OK)
			return xlate_fail(jid, jidsz, st);
		imaddr_put(&b, '@');
	}
	/* RFC 7622 3.2: a domainpart is written with U-labels. */
	switch (idna_to_unicode(u.host.p, u.host.len, host, sizeof(host))) {
	case IDNA_OK:
		break;
	case IDNA_E_NO_SPACE:
		return xlate_fail(jid, jidsz, XLATE_E_LONG);
	default:
		return xlate_fail(jid, jidsz, XLATE_E_IDNA);
	}
	imaddr_put_str(&b, host);
	if (u.gr.p != NULL &&
	    (st = xlate_resource_to(&b, u.gr)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	return xlate_buf_done(&b);
}

/* The body of xlate_jid_to_sip(), appending to @b. */
static enum xlate_status
xlate_jid_to_sip_buf(struct imaddr_buf *b, const char *jid)
{
	struct xlate_jid	 j;
	struct imaddr_buf	 t;
	enum xlate_status	 st;
	char			 tmp[XLATE_PART_MAX + 1];
	char			 host[IDNA_HOST_MAX + 1];

	if ((st = xlate_jid_split(jid, &j)) != XLATE_OK)
		return st;
	/* SIP hosts are ASCII: U-labels go on the wire as A-labels. */
	switch (idna_to_ascii(j.domain.p, j.domain.len, host, sizeof(host))) {
	case IDNA_OK:
		break;
	case IDNA_E_NO_SPACE:
		return XLATE_E_LONG;
	default:
		return XLATE_E_IDNA;
	}
	if ((st = xlate_host_check(host, strlen(host))) != XLATE_OK)
		return st;
	imaddr_put_str(b, "sip:");
	if (j.local.p != NULL) {
		imaddr_buf_init(&t, tmp, sizeof(tmp));
		if ((st = xlate_unescape_to(&t, j.local.p, j.local.len)) !=
		    XLATE_OK)
			return st;
		/* Unescaping never grows a localpart: t fits. */
		xlate_put_pct_set(b, tmp, t.len, xlate_user_char);
		imaddr_put(b, '@');
	}
	imaddr_put_str(b, host);
	if (j.resource.p != NULL) {
		imaddr_put_str(b, ";gr=");
		xlate_put_pct_set(b, j.resource.p, j.resource.len,
		    xlate_param_char);
	}
	return XLATE_OK;
}

enum xlate_status
xlate_jid_to_sip(const char *jid, char *uri, size_t urisz)
{
	struct imaddr_buf	 b;
	enum xlate_status	 st;

	imaddr_buf_init(&b, uri, urisz);
	if ((st = xlate_jid_to_sip_buf(&b, jid)) != XLATE_OK)
		return xlate_fail(uri, urisz, st);
	return xlate_buf_done(&b);
}

enum xlate_status
xlate_jid_to_sip_from(const char *jid, char *out, size_t outsz)
{
	struct imaddr_buf	 b;
	enum xlate_status	 st;

	imaddr_buf_init(&b, out, outsz);
	imaddr_put(&b, '<');
	if ((st = xlate_jid_to_sip_buf(&b, jid)) != XLATE_OK)
		return xlate_fail(out, outsz, st);
	imaddr_put(&b, '>');
	return xlate_buf_done(&b);
}

enum xlate_status
xlate_sip_addr_uri(const char *hvalue, char *uri, size_t urisz)
{
	struct imaddr_buf	 b;
	const char		*s = hvalue, *e, *lt, *gt, *at, *semi;

	imaddr_buf_init(&b, uri, urisz);
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && xlate_in((unsigned char)e[-1], " \t\r\n"))
		e--;
	lt = s;
	if (*lt == '"') {
		/* Skip a quoted display name: it may hold '<'. */
		for (lt++; lt < e && *lt != '"'; lt++)
			if (*lt == '\\' && lt + 1 < e)
				lt++;
		if (lt >= e)
			return xlate_fail(uri, urisz, XLATE_E_URI);
	}
	lt = memchr(lt, '<', (size_t)(e - lt));
	if (lt != NULL) {
		gt = memchr(lt, '>', (size_t)(e - lt));
		if (gt == NULL || gt == lt + 1)
			return xlate_fail(uri, urisz, XLATE_E_URI);
		imaddr_put_mem(&b, lt + 1, (size_t)(gt - lt - 1));
		return xlate_buf_done(&b);
	}
	/* addr-spec: header parameters start at the first ';' after the
	 * user part, which may itself hold ';' (telephone-subscriber). */
	at = memchr(s, '@', (size_t)(e - s));
	semi = memchr(at != NULL ? at : s, ';',
	    (size_t)(e - (at != NULL ? at : s)));
	if (semi != NULL)
		e = semi;
	if (e == s || memchr(s, ' ', (size_t)(e - s)) != NULL)
		return xlate_fail(uri, urisz, XLATE_E_URI);
	imaddr_put_mem(&b, s, (size_t)(e - s));
	return xlate_buf_done(&b);
}

/*
 * Senders at the gateway domain.
 */

/* "+" and at least one digit, with RFC 3966 visual separators. */
static bool
xlate_global_number(const char *s, size_t n)
{
	bool	 digit = false;

	if (n < 2 || s[0] != '+')
		return false;
	for (size_t i = 1; i < n; i++) {
		if (xlate_is_digit((unsigned char)s[i]))
			digit = true;
		else if (!xlate_in((unsigned char)s[i], "-.()"))
			return false;
	}
	return digit;
}

enum xlate_status
xlate_sip_sender_to_gw_jid(const char *sip_uri, const char *gw_domain,
    char *jid, size_t jidsz)
{
	struct xlate_sip_uri	 u;
	struct imaddr_buf	 b, t;
	enum xlate_status	 st;
	char			 tmp[XLATE_PART_MAX + 1];
	size_t			 ulen;
	const char		*semi;

	imaddr_buf_init(&b, jid, jidsz);
	if (xlate_host_check(gw_domain, strlen(gw_domain)) != XLATE_OK)
		return xlate_fail(jid, jidsz, XLATE_E_DOMAIN);
	if ((st = xlate_sip_parse(sip_uri, &u)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	imaddr_buf_init(&t, tmp, sizeof(tmp));
	if (u.user_phone && u.user.p != NULL) {
		/* A number stands for itself: "+12025550100@gw". */
		ulen = u.user.len;
		if ((semi = memchr(u.user.p, ';', ulen)) != NULL)
			ulen = (size_t)(semi - u.user.p);
		st = xlate_pct_decode_to(&t, u.user.p, ulen,
		    xlate_user_char);
	} else {
		/* Everything needed to answer: "user@host[:port]". */
		st = XLATE_OK;
		if (u.user.p != NULL)
			st = xlate_pct_decode_to(&t, u.user.p, u.user.len,
			    xlate_user_char);
		imaddr_put(&t, '@');
		imaddr_put_lower(&t, u.host.p, u.host.len);
		if (u.port.p != NULL) {
			imaddr_put(&t, ':');
			imaddr_put_mem(&t, u.port.p, u.port.len);
		}
	}
	if (st != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	if (xlate_buf_done(&t) != XLATE_OK)
		return xlate_fail(jid, jidsz, XLATE_E_LONG);
	if ((st = xlate_escape_to(&b, tmp, t.len)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	imaddr_put(&b, '@');
	imaddr_put_lower(&b, gw_domain, strlen(gw_domain));
	if (u.gr.p != NULL &&
	    (st = xlate_resource_to(&b, u.gr)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	return xlate_buf_done(&b);
}

enum xlate_status
xlate_gw_jid_to_sip(const char *jid, const char *gw_domain, char *uri,
    size_t urisz)
{
	struct xlate_jid	 j;
	struct imaddr_buf	 b, t;
	enum xlate_status	 st;
	char			 tmp[XLATE_PART_MAX + 1];
	char			 host[IDNA_HOST_MAX + 1];
	const char		*at = NULL, *hp;
	size_t			 hl, pl, n;

	imaddr_buf_init(&b, uri, urisz);
	if ((st = xlate_jid_split(jid, &j)) != XLATE_OK)
		return xlate_fail(uri, urisz, st);
	if (!xlate_host_eq(j.domain.p, j.domain.len, gw_domain) ||
	    j.local.p == NULL)
		return xlate_fail(uri, urisz, XLATE_E_NOT_GW);
	imaddr_buf_init(&t, tmp, sizeof(tmp));
	if ((st = xlate_unescape_to(&t, j.local.p, j.local.len)) != XLATE_OK)
		return xlate_fail(uri, urisz, st);
	for (size_t i = 0; i < t.len; i++)
		if (tmp[i] == '@')
			at = tmp + i;
	if (at == NULL) {
		/* The host was dropped on the way in: let ENUM decide. */
		if (!xlate_global_number(tmp, t.len))
			return xlate_fail(uri, urisz, XLATE_E_NOT_GW);
		imaddr_put_str(&b, "tel:");
		imaddr_put_mem(&b, tmp, t.len);
		return xlate_buf_done(&b);
	}
	/* A U-label host typed by an XMPP user goes out as A-labels. */
	hp = at + 1;
	hl = t.len - (size_t)(hp - tmp);
	pl = hl;
	if (hl > 0 && hp[0] != '[' && memchr(hp, ':', hl) != NULL)
		pl = (size_t)((const char *)memchr(hp, ':', hl) - hp);
	/* An ASCII host is the SIP sender's own: back exactly as it was. */
	for (n = 0; n < pl && (unsigned char)hp[n] < 0x80; n++)
		;
	if (hl == 0 || hp[0] == '[' || n == pl) {
		if (hl >= sizeof(host))
			return xlate_fail(uri, urisz, XLATE_E_LONG);
		memcpy(host, hp, hl);
		host[hl] = '\0';
	} else {
		if (idna_to_ascii(hp, pl, host, sizeof(host)) != IDNA_OK)
			return xlate_fail(uri, urisz, XLATE_E_IDNA);
		n = strlen(host);
		if (n + (hl - pl) >= sizeof(host))
			return xlate_fail(uri, urisz, XLATE_E_LONG);
		memcpy(host + n, hp + pl, hl - pl);
		host[n + (hl - pl)] = '\0';
	}
	if ((st = xlate_hostport_check(host, strlen(host))) != XLATE_OK)
		return xlate_fail(uri, urisz, st);
	imaddr_put_str(&b, "sip:");
	if (at > tmp) {
		xlate_put_pct_set(&b, tmp, (size_t)(at - tmp),
		    xlate_user_char);
		imaddr_put(&b, '@');
	}
	imaddr_put_lower(&b, host, strlen(host));
	if (j.resource.p != NULL) {
		imaddr_put_str(&b, ";gr=");
		xlate_put_pct_set(&b, j.resource.p, j.resource.len,
		    xlate_param_char);
	}
	return xlate_buf_done(&b);
}

enum xlate_status
xlate_xmpp_sender_to_gw_sip(const char *jid, const char *gw_domain,
    char *uri, size_t urisz)
{
	struct xlate_jid	 j;
	struct imaddr_buf	 b, t;
	enum xlate_status	 st;
	char			 tmp[XLATE_PART_MAX + 1];

	imaddr_buf_init(&b, uri, urisz);
	if (xlate_host_check(gw_domain, strlen(gw_domain)) != XLATE_OK)
		return xlate_fail(uri, urisz, XLATE_E_DOMAIN);
	if ((st = xlate_jid_split(jid, &j)) != XLATE_OK)
		return xlate_fail(uri, urisz, st);
	imaddr_put_str(&b, "sip:");
	if (j.local.p != NULL) {
		imaddr_buf_init(&t, tmp, sizeof(tmp));
		if ((st = xlate_unescape_to(&t, j.local.p, j.local.len)) !=
		    XLATE_OK)
			return xlate_fail(uri, urisz, st);
		xlate_put_pct_set(&b, tmp, t.len, xlate_user_char);
	}
	imaddr_put_str(&b, "%40");
	for (size_t i = 0; i < j.domain.len; i++) {
		int c = xlate_lower((unsigned char)j.domain.p[i]);

		if (xlate_user_char(c))
			imaddr_put(&b, c);
		else
			imaddr_put_pct(&b, c);
	}
	imaddr_put(&b, '@');
	imaddr_put_lower(&b, gw_domain, strlen(gw_domain));
	return xlate_buf_done(&b);
}

/* Is the host of @sip_uri @gw_domain?  (Parse errors are returned.) */
static enum xlate_status
xlate_sip_host_is(const char *sip_uri, const char *gw_domain, bool *yes)
{
	struct xlate_sip_uri	 u;
	enum xlate_status	 st;

	*yes = false;
	if ((st = xlate_sip_parse(sip_uri, &u)) != XLATE_OK)
		return st;
	*yes = xlate_host_eq(u.host.p, u.host.len, gw_domain);
	return XLATE_OK;
}

enum xlate_status
xlate_xmpp_sender_to_gw_jid(const char *jid, const char *gw_domain,
    char *out, size_t outsz)
{
	struct imaddr_buf	 b;
	enum xlate_status	 st;
	size_t			 n = strcspn(jid, "/");

	imaddr_buf_init(&b, out, outsz);
	if (n == 0)
		return xlate_fail(out, outsz, XLATE_E_JID);
	if ((st = xlate_escape_to(&b, jid, n)) != XLATE_OK)
		return xlate_fail(out, outsz, st);
	imaddr_put(&b, '@');
	imaddr_put_str(&b, gw_domain);
	return xlate_buf_done(&b);
}

enum xlate_status
xlate_gw_sip_to_xmpp(const char *sip_uri, const char *gw_domain,
    char *jid, size_t jidsz)
{
	struct xlate_sip_uri	 u;
	struct imaddr_buf	 b, t;
	enum xlate_status	 st;
	char			 tmp[XLATE_JID_SIZE];
	const char		*at = NULL, *dom;
	size_t			 dlen;

	imaddr_buf_init(&b, jid, jidsz);
	if ((st = xlate_sip_parse(sip_uri, &u)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	if (!xlate_host_eq(u.host.p, u.host.len, gw_domain) ||
	    u.user.p == NULL)
		return xlate_fail(jid, jidsz, XLATE_E_NOT_GW);
	imaddr_buf_init(&t, tmp, sizeof(tmp));
	if ((st = xlate_pct_decode_to(&t, u.user.p, u.user.len,
	    xlate_user_char)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	if (xlate_buf_done(&t) != XLATE_OK)
		return xlate_fail(jid, jidsz, XLATE_E_LONG);
	for (size_t i = 0; i < t.len; i++)
		if (tmp[i] == '@')
			at = tmp + i;
	if (at == NULL)
		return xlate_fail(jid, jidsz, XLATE_E_NOT_GW);
	dom = at + 1;
	dlen = t.len - (size_t)(dom - tmp);
	if (dlen > 0 && dom[dlen - 1] == '.')
		dlen--;
	if ((st = xlate_domain_check(dom, dlen)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	if (at > tmp) {
		if ((st = xlate_escape_to(&b, tmp, (size_t)(at - tmp))) !=
		    XLATE_OK)
			return xlate_fail(jid, jidsz, st);
		imaddr_put(&b, '@');
	}
	imaddr_put_lower(&b, dom, dlen);
	if (u.gr.p != NULL &&
	    (st = xlate_resource_to(&b, u.gr)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	return xlate_buf_done(&b);
}

/*
 * im: (RFC 3922).
 */

enum xlate_status
xlate_jid_to_im(const char *jid, char *im, size_t imsz)
{
	struct xlate_jid	 j;
	struct imaddr_buf	 b;
	enum xlate_status	 st;
	const char		*s;
	size_t			 n;
	int			 c;

	imaddr_buf_init(&b, im, imsz);
	if ((st = xlate_jid_split(jid, &j)) != XLATE_OK)
		return xlate_fail(im, imsz, st);
	if (j.local.p == NULL)
		return xlate_fail(im, imsz, XLATE_E_JID);
	if ((st = xlate_local_check(j.local.p, j.local.len)) != XLATE_OK)
		return xlate_fail(im, imsz, st);
	s = j.local.p;
	n = j.local.len;
	imaddr_put_str(&b, "im:");
	for (size_t i = 0; i < n; i++) {
		c = imaddr_esc_seq(s + i, n - i);
		if (c >= 0)
			i += 2;
		else if (n - i >= 4 && s[i] == '#' && s[i + 3] == ';' &&
		    (memcmp(s + i, "#26", 3) == 0 ||
		    memcmp(s + i, "#27", 3) == 0 ||
		    memcmp(s + i, "#2f", 3) == 0)) {
			/* RFC 3922 3.2 step 3, its own older escaping. */
			c = xlate_hexval((unsigned char)s[i + 1]) * 16 +
			    xlate_hexval((unsigned char)s[i + 2]);
			i += 3;
		} else
			c = (unsigned char)s[i];
		if (xlate_im_char(c))
			imaddr_put(&b, c);
		else
			imaddr_put_pct(&b, c);
	}
	imaddr_put(&b, '@');
	for (size_t i = 0; i < j.domain.len; i++) {
		c = xlate_lower((unsigned char)j.domain.p[i]);
		if (xlate_is_alnum(c) || c == '.' || c == '-')
			imaddr_put(&b, c);
		else
			imaddr_put_pct(&b, c);
	}
	return xlate_buf_done(&b);
}


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
static bool
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
static bool
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

/*
 * Message mapping.
 */

/*
 * The first language tag of a Content-Language list or an xml:lang
 * value, when it is a plausible BCP 47 tag (subtags of 1..8 letters or
 * digits, the first one letters only).  Returns its length, or 0 and ""
 * when there is none: the message then carries no language at all,
 * since a bad optional header is no reason to refuse it.
 */
static size_t
xlate_lang_tag(const char *in, char *out, size_t outsz)
{
	size_t	 i = 0, n = 0, sub = 0;
	bool	 first = true;
	int	 c;

	out[0] = '\0';
	if (in == NULL)
		return 0;
	while (in[i] == ' ' || in[i] == '\t')
		i++;
	for (; in[i] != '\0' && in[i] != ',' && in[i] != ' ' &&
	    in[i] != '\t'; i++) {
		c = (unsigned char)in[i];
		if (c == '-') {
			if (sub == 0)
				goto bad;
			sub = 0;
			first = false;
		} else if (!xlate_is_alnum(c) || ++sub > 8 ||
		    (first && xlate_is_digit(c)))
			goto bad;
		if (n + 1 >= outsz)
			goto bad;
		out[n++] = (char)c;
	}
	while (in[i] == ' ' || in[i] == '\t')
		i++;
	if (n == 0 || sub == 0 || (in[i] != '\0' && in[i] != ','))
		goto bad;
	out[n] = '\0';
	return n;
bad:
	out[0] = '\0';
	return 0;
}

/* RFC 3261 25.1: callid = word [ "@" word ]. */
static bool
xlate_callid_ok(const char *s)
{
	size_t	 w = 0;
	bool	 at = false;

	for (; *s != '\0'; s++) {
		if (*s == '@') {
			if (at || w == 0)
				return false;
			at = true;
			w = 0;
		} else if (xlate_is_alnum((unsigned char)*s) ||
		    xlate_in((unsigned char)*s, "-.!%*_+`'~()<>:\\\"/[]?{}"))
			w++;
		else
			return false;
	}
	return w > 0;
}

/*
 * RFC 3261 7.3.1: a header value folded over lines is one line; each run
 * of CR/LF with the white space around it reads as one SP.  XMPP would
 * keep the line breaks, so the value is unfolded on the way.
 * @return XLATE_OK, XLATE_E_NO_SPACE (over @outsz - 1 octets), or the
 *         errors of xlate_utf8_check()
 */
static enum xlate_status
xlate_unfold(const char *in, char *out, size_t outsz)
{
	enum xlate_status	 st;
	size_t			 i, n = 0, len = strlen(in);

	if ((st = xlate_utf8_check(in, len, NULL)) != XLATE_OK)
		return st;
	for (i = 0; i < len; i++) {
		if (in[i] == '\r' || in[i] == '\n') {
			while (n > 0 && (out[n - 1] == ' ' ||
			    out[n - 1] == '\t'))
				n--;
			while (i + 1 < len && (in[i + 1] == '\r' ||
			    in[i + 1] == '\n' || in[i + 1] == ' ' ||
			    in[i + 1] == '\t'))
				i++;
			if (n + 1 >= outsz)
				return xlate_fail(out, outsz, XLATE_E_NO_SPACE);
			out[n++] = ' ';
			continue;
		}
		if (n + 1 >= outsz)
			return xlate_fail(out, outsz, XLATE_E_NO_SPACE);
		out[n++] = in[i];
	}
	out[n] = '\0';
	return XLATE_OK;
}

enum xlate_status
xlate_sip_to_xmpp_msg(const struct xlate_sip_msg *in, const char *gw_domain,
    struct xlate_xmpp_msg *out)
{
	const struct xlate_cpim	*cpim;
	enum xlate_status	 st;
	enum xlate_ctype	 ct;
	char			 uri[XLATE_URI_SIZE];
	const char		*dest;
	size_t			 n;
	bool			 mine;

	/*
	 * Field by field, not memset(): the struct holds 7 kB of buffers
	 * and this runs for every message to XMPP.
	 */
	out->from[0] = out->to[0] = out->thread[0] = out->subject[0] =
	    out->lang[0] = '\0';
	out->type = NULL;
	out->body.p = NULL;
	out->body.len = 0;
	out->cpim = false;
	out->kind = XLATE_CT_TEXT;
	/* from: the number the identity table gives, an XMPP sender seen
	 * at the gateway, or the URI of the From header, never its tag. */
	if (in->sender_number != NULL) {
		if (gw_domain == NULL)
			return XLATE_E_DOMAIN;
		n = (size_t)snprintf(out->from, sizeof(out->from), "%s@%s",
		    in->sender_number, gw_domain);
		if (n >= sizeof(out->from))
			return xlate_fail(out->from, sizeof(out->from),
			    XLATE_E_NO_SPACE);
	} else if (in->sender_jid != NULL) {
		if (gw_domain == NULL)
			return XLATE_E_DOMAIN;
		if ((st = xlate_xmpp_sender_to_gw_jid(in->sender_jid,
		    gw_domain, out->from, sizeof(out->from))) != XLATE_OK)
			return st;
	} else {
		if (in->from == NULL)
			return XLATE_E_URI;
		if ((st = xlate_sip_addr_uri(in->from, uri, sizeof(uri))) !=
		    XLATE_OK)
			return st;
		st = gw_domain != NULL ?
		    xlate_sip_sender_to_gw_jid(uri, gw_domain, out->from,
		    sizeof(out->from)) :
		    xlate_sip_to_jid(uri, out->from, sizeof(out->from));
		if (st != XLATE_OK)
			return st;
	}

	/* to: the JID routing chose, else Request-URI, else To. */
	if (in->xmpp_to != NULL) {
		n = strlen(in->xmpp_to);
		if (n >= sizeof(out->to))
			return XLATE_E_NO_SPACE;
		memcpy(out->to, in->xmpp_to, n + 1);
	} else {
		if (in->to == NULL)
			return XLATE_E_URI;
		dest = in->request_uri != NULL ? in->request_uri : in->to;
		mine = false;
		st = xlate_sip_addr_uri(dest, uri, sizeof(uri));
		if (st == XLATE_OK && gw_domain != NULL)
			st = xlate_sip_host_is(uri, gw_domain, &mine);
		if (st == XLATE_OK) {
			st = mine ? xlate_gw_sip_to_xmpp(uri, gw_domain,
			    out->to, sizeof(out->to)) : XLATE_E_NOT_GW;
			if (st == XLATE_E_NOT_GW)
				st = xlate_sip_to_jid(uri, out->to,
				    sizeof(out->to));
		}
		/* Behind a gateway domain the router names the recipient
		 * anyway (tel:, im: and numbers reach it here): leave "to"
		 * empty. */
		if (st != XLATE_OK) {
			if (gw_domain == NULL)
				return st;
			out->to[0] = '\0';
		}
	}

	if (in->call_id != NULL) {
		n = strlen(in->call_id);
		if (n >= sizeof(out->thread))
			return XLATE_E_NO_SPACE;
		if ((st = xlate_text_check(in->call_id, n)) != XLATE_OK)
			return st;
		memcpy(out->thread, in->call_id, n + 1);
	}
	(void)xlate_lang_tag(in->content_language, out->lang,
	    sizeof(out->lang));
	if (in->subject != NULL && (st = xlate_unfold(in->subject,
	    out->subject, sizeof(out->subject))) != XLATE_OK)
		return st;

	if (in->content_type == NULL && in->body_len == 0) {
		out->body.p = in->body != NULL ? in->body : "";
		out->body.len = 0;
		return XLATE_OK;
	}
	ct = xlate_content_type_ok(in->content_type);
	if (ct == XLATE_CT_UNSUPPORTED)
		return XLATE_E_MEDIA;
	out->body.p = in->body != NULL ? in->body : "";
	out->body.len = in->body != NULL ? in->body_len : 0;
	if (ct == XLATE_CT_CPIM) {
		if ((st = xlate_cpim_parse(in->body, in->body_len,
		    &out->wrap)) != XLATE_OK)
			return st;
		cpim = &out->wrap;
		ct = xlate_content_type_okn(cpim->content_type.p,
		    cpim->content_type.len);
		if (ct == XLATE_CT_CPIM || ct == XLATE_CT_UNSUPPORTED)
			return XLATE_E_MEDIA;
		out->body = cpim->body;
		out->cpim = true;
		/* RFC 3922 4.1: Subject <-> <subject/>; a subject that
		 * does not decode to XML text is dropped, not fatal. */
		if (in->subject == NULL && cpim->subject.p != NULL &&
		    (xlate_cpim_unescape(cpim->subject.p, cpim->subject.len,
		    out->subject, sizeof(out->subject)) != XLATE_OK ||
		    xlate_utf8_check(out->subject, strlen(out->subject),
		    NULL) != XLATE_OK))
			out->subject[0] = '\0';
	}
	/* RFC 5438 / RFC 3994 documents are notifications, not text: the
	 * caller maps them (gateway/xlate/xlate_imdn.h). */
	out->kind = ct;
	return xlate_utf8_check(out->body.p, out->body.len, NULL);
}

enum xlate_status
xlate_xmpp_to_sip_msg(const struct xlate_xmpp_in *in, const char *gw_domain,
    size_t limit, struct xlate_sip_out *out)
{
	struct xlate_jid	 j;
	enum xlate_status	 st;
	size_t			 n, est;
	char			 c;

	/* Field by field, not memset(): 17 kB of buffers, every message. */
	out->request_uri[0] = out->from[0] = out->subject[0] =
	    out->content_language[0] = '\0';
	out->call_id = NULL;
	out->body.p = NULL;
	out->body.len = 0;
	out->size_estimate = 0;
	out->content_type = xlate_text_plain;
	/* RFC 6120 8.3.1 / standards.md 6.4: errors are never relayed. */
	if (in->type != NULL && strcmp(in->type, "error") == 0)
		return XLATE_E_ERROR_STANZA;
	if (in->type != NULL && strcmp(in->type, "normal") != 0 &&
	    strcmp(in->type, "chat") != 0 &&
	    strcmp(in->type, "headline") != 0)
		return XLATE_E_TYPE;
	if (in->body == NULL && in->subject == NULL)
		return XLATE_E_EMPTY;
	if (in->from == NULL || (in->to == NULL && !in->to_routed))
		return XLATE_E_JID;

	if (in->sender_number != NULL) {
		if (gw_domain == NULL)
			return XLATE_E_DOMAIN;
		n = (size_t)snprintf(out->from, sizeof(out->from),
		    "<sip:%s@%s;user=phone>", in->sender_number, gw_domain);
		if (n >= sizeof(out->from))
			return xlate_fail(out->from, sizeof(out->from),
			    XLATE_E_NO_SPACE);
	} else if (gw_domain != NULL) {
		/* "<" + URI + ">": the URI gets the middle of the buffer. */
		st = xlate_xmpp_sender_to_gw_sip(in->from, gw_domain,
		    out->from + 1, sizeof(out->from) - 2);
		if (st != XLATE_OK)
			return xlate_fail(out->from, sizeof(out->from), st);
		out->from[0] = '<';
		n = strlen(out->from);
		out->from[n] = '>';
		out->from[n + 1] = '\0';
	} else if ((st = xlate_jid_to_sip_from(in->from, out->from,
	    sizeof(out->from))) != XLATE_OK)
		return st;

	st = XLATE_E_NOT_GW;
	if (in->to_routed)
		st = XLATE_OK;	/* routing writes the Request-URI */
	else if (gw_domain != NULL) {
		if ((st = xlate_jid_split(in->to, &j)) != XLATE_OK)
			return st;
		if (xlate_host_eq(j.domain.p, j.domain.len, gw_domain)) {
			st = xlate_gw_jid_to_sip(in->to, gw_domain,
			    out->request_uri, sizeof(out->request_uri));
			if (st != XLATE_OK)
				return st;
		} else
			st = XLATE_E_NOT_GW;
	}
	if (st == XLATE_E_NOT_GW &&
	    (st = xlate_jid_to_sip(in->to, out->request_uri,
	    sizeof(out->request_uri))) != XLATE_OK)
		return st;

	if (in->thread != NULL && xlate_callid_ok(in->thread))
		out->call_id = in->thread;
	if (in->subject != NULL) {
		n = strlen(in->subject);
		if (n >= sizeof(out->subject))
			return XLATE_E_TOO_LARGE;
		if ((st = xlate_utf8_check(in->subject, n, NULL)) != XLATE_OK)
			return st;
		/* A header holds one line (RFC 3261 7.3.1). */
		for (size_t i = 0; i <= n; i++) {
			c = in->subject[i];
			out->subject[i] = (c == '\r' || c == '\n' ||
			    c == '\t') ? ' ' : c;
		}
	}
	(void)xlate_lang_tag(in->lang, out->content_language,
	    sizeof(out->content_language));
	if (in->body != NULL) {
		if ((st = xlate_utf8_check(in->body, in->body_len, NULL)) !=
		    XLATE_OK)
			return st;
		out->body.p = in->body;
		out->body.len = in->body_len;
	} else {
		out->body.p = "";
		out->body.len = 0;
	}

	/* RFC 7572 6: estimate the request the SIP side will write. */
	n = strlen(out->request_uri);
	est = sizeof("MESSAGE  SIP/2.0\r\n") - 1 + n;
	est += sizeof("To: <>\r\n") - 1 + n;
	est += sizeof("From: \r\n") - 1 + strlen(out->from);
	est += sizeof("Call-ID: \r\n") - 1 +
	    (out->call_id != NULL ? strlen(out->call_id) : 36);
	if (out->subject[0] != '\0')
		est += sizeof("Subject: \r\n") - 1 + strlen(out->subject);
	if (out->content_language[0] != '\0')
		est += sizeof("Content-Language: \r\n") - 1 +
		    strlen(out->content_language);
	est += sizeof("Content-Type: \r\n") - 1 + strlen(out->content_type);
	est += 2 + out->body.len + XLATE_SIP_OVERHEAD;
	out->size_estimate = est;
	if (!xlate_sip_size_ok(est, limit))
		return XLATE_E_TOO_LARGE;
	return XLATE_OK;
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
