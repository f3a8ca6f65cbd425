/*
 * gateway/xlate/xlate_addr.c - SIP <-> XMPP addresses.
 *
 * Used at both edges of the inbound -> route -> pick -> outbound flow: the
 * inbound sides name a sender in the other protocol, the outbound sides
 * name the recipient.  The rules come from RFC 7247 (addresses), RFC 7572
 * (the gateway's own address forms), RFC 3922 (im:), RFC 5627 (;gr=) and
 * XEP-0106 (JID escaping, routing/imaddr).
 *
 * Everything is pure.  Output goes through routing/imaddr's bounded
 * writer, which keeps counting past the end of the caller's buffer, so a
 * too-small buffer is reported once at the end instead of being checked
 * at every byte, and the length limits of RFC 7622 can be told apart from
 * a short buffer.  Intermediate forms (a percent-decoded user part, an
 * unescaped localpart) live in stack buffers bounded by the same limits:
 * a JID part is at most 1023 octets, so nothing bigger is ever needed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "gateway/xlate/xlate.h"
#include "gateway/xlate/xlate_int.h"
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

static enum xlate_status xlate_escape_to(struct imaddr_buf *, const char *,
		    size_t);
static enum xlate_status xlate_local_check(const char *, size_t);
static enum xlate_status xlate_unescape_to(struct imaddr_buf *,
		    const char *, size_t);
static enum xlate_status xlate_domain_check(const char *, size_t);
static enum xlate_status xlate_pct_decode_to(struct imaddr_buf *,
		    const char *, size_t, bool (*)(int));
static bool	xlate_user_char(int);
static bool	xlate_param_char(int);
static bool	xlate_im_char(int);
static size_t	xlate_host_len(const char *, size_t);
static enum xlate_status xlate_host_check(const char *, size_t);
static enum xlate_status xlate_hostport_check(const char *, size_t);
static void	xlate_put_pct_set(struct imaddr_buf *, const char *, size_t,
		    bool (*)(int));
static enum xlate_status xlate_sip_param(const char *, size_t *,
		    struct xlate_sip_uri *);
static enum xlate_status xlate_sip_parse(const char *,
		    struct xlate_sip_uri *);
static enum xlate_status xlate_resource_to(struct imaddr_buf *,
		    struct xlate_span);
static enum xlate_status xlate_jid_to_sip_buf(struct imaddr_buf *,
		    const char *);
static bool	xlate_global_number(const char *, size_t);

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
	/* RFC 7572 Table 1: the resource travels as a GRUU parameter. */
	if (j.resource.p != NULL) {
		imaddr_put_str(&b, ";gr=");
		xlate_put_pct_set(&b, j.resource.p, j.resource.len,
		    xlate_param_char);
	}
	return xlate_buf_done(&b);
}

/* Is the host of @sip_uri @gw_domain?  (Parse errors are returned.) */
enum xlate_status
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
	/*
	 * The user part of this form holds an '@', which a URI can only
	 * carry as "%40": a sip: URI without one is none of ours, and needs
	 * no parsing.  sipgw asks this of every MESSAGE it receives, most of
	 * them numbers.
	 */
	if (strstr(sip_uri, "%40") == NULL && (xlate_prefix(sip_uri, "sip:") ||
	    xlate_prefix(sip_uri, "sips:")))
		return xlate_fail(jid, jidsz, XLATE_E_NOT_GW);
	if ((st = xlate_sip_parse(sip_uri, &u)) != XLATE_OK)
		return xlate_fail(jid, jidsz, st);
	if ((gw_domain != NULL &&
	    !xlate_host_eq(u.host.p, u.host.len, gw_domain)) ||
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
