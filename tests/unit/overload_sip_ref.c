/*
 * tests/unit/overload_sip_ref.c - gateway/overload_sip.c as it was
 * before its scanner was made cheaper (main at a072696): the reference
 * that tests/unit/test_overload_sip_diff.c compares the current code
 * with, byte for byte.  Included by that test only; its three public
 * functions are renamed ref_* and made static.  Do not "fix" it: it is
 * the old behaviour, bugs and all (one exception, marked: a memcpy()
 * from NULL of zero bytes, undefined behaviour without an effect).
 */
#include <string.h>
#include <strings.h>

#include "gateway/overload_sip.h"

/* A bounded writer: a write past the end sets over and writes nothing. */
struct osw {
	char	*p;
	size_t	 left;
	bool	 over;
};

static void
put(struct osw *w, const char *s, size_t n)
{
	if (w->over || n > w->left) {
		w->over = true;
		return;
	}
	memcpy(w->p, s, n);
	w->p += n;
	w->left -= n;
}

static void
puts_(struct osw *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
putu(struct osw *w, uint64_t v)
{
	char	 b[20];
	size_t	 i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(w, b + i, sizeof(b) - i);
}

static bool
is_lws(char c)
{
	return c == ' ' || c == '\t';
}

static const char *
skip_lws(const char *p, const char *end)
{
	while (p < end && is_lws(*p))
		p++;
	return p;
}

/* RFC 3261 25.1 token characters, and ':' for unbracketed IPv6 (every
 * byte of every scanned Via goes through here: no strchr()). */
static bool
is_tokc(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	switch (c) {
	case '-': case '.': case '!': case '%': case '*': case '_':
	case '+': case '`': case '\'': case '~': case ':':
		return true;
	default:
		return false;
	}
}

/*
 * The next line of [*p, end): its text without CR LF in [*ls, *le).
 * @return false at the end of the buffer.
 */
static bool
next_line(const char **p, const char *end, const char **ls, const char **le)
{
	const char	*nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*ls = *p;
	*le = nl != NULL ? nl : end;
	*p = nl != NULL ? nl + 1 : end;
	if (*le > *ls && (*le)[-1] == '\r')
		(*le)--;
	return true;
}

enum osh { OSH_OTHER, OSH_VIA, OSH_FROM, OSH_TO, OSH_CALLID, OSH_CSEQ };

/* The header of the line [ls, le): its kind and where its value starts. */
static enum osh
header_of(const char *ls, const char *le, const char **val)
{
	static const struct {
		const char	*name;
		enum osh	 h;
	} names[] = {
		{ "via", OSH_VIA }, { "v", OSH_VIA },
		{ "from", OSH_FROM }, { "f", OSH_FROM },
		{ "to", OSH_TO }, { "t", OSH_TO },
		{ "call-id", OSH_CALLID }, { "i", OSH_CALLID },
		{ "cseq", OSH_CSEQ },
	};
	const char	*c = memchr(ls, ':', (size_t)(le - ls)), *ne;

	if (c == NULL)
		return OSH_OTHER;
	for (ne = c; ne > ls && is_lws(ne[-1]); ne--)
		;
	*val = skip_lws(c + 1, le);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == (size_t)(ne - ls) &&
		    strncasecmp(names[i].name, ls, (size_t)(ne - ls)) == 0)
			return names[i].h;
	return OSH_OTHER;
}

/* The end of the first value of a comma-separated header value. */
static const char *
first_value_end(const char *p, const char *end)
{
	bool	 q = false;

	for (; p < end; p++) {
		if (q && *p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			q = !q;
		else if (!q && *p == ',')
			break;
	}
	return p;
}

/* One Via parameter: the raw text from its ';' to its end, name, value. */
struct osp {
	const char	*raw, *name, *val;
	size_t		 rawlen, namelen, vallen;
	bool		 has_val;
};

/*
 * The Via value [vs, ve) taken apart: transport, sent-by and the
 * parameters, at most OSV_PARAMS of them.  @return -1 when it is not
 * "SIP/2.0/transport sent-by *(;param)".
 */
#define OSV_PARAMS	16
struct osv {
	const char	*transport, *sentby;
	size_t		 transportlen, sentbylen;
	struct osp	 p[OSV_PARAMS];
	size_t		 np;
};

static int
via_parse(const char *vs, const char *ve, struct osv *v)
{
	const char	*p = vs;

	while (ve > vs && is_lws(ve[-1]))
		ve--;
	memset(v, 0, sizeof(*v));
	if ((size_t)(ve - p) < 8 || strncasecmp(p, "SIP/2.0/", 8) != 0)
		return -1;
	p += 8;
	v->transport = p;
	while (p < ve && is_tokc(*p))
		p++;
	v->transportlen = (size_t)(p - v->transport);
	if (v->transportlen == 0 || p == ve || !is_lws(*p))
		return -1;
	v->sentby = p = skip_lws(p, ve);
	while (p < ve && (is_tokc(*p) || *p == '[' || *p == ']'))
		p++;
	if ((v->sentbylen = (size_t)(p - v->sentby)) == 0)
		return -1;
	for (;;) {
		struct osp	*o;

		p = skip_lws(p, ve);
		if (p == ve)
			return 0;
		if (*p != ';' || v->np == OSV_PARAMS)
			return -1;
		o = &v->p[v->np++];
		o->raw = p++;
		o->name = p = skip_lws(p, ve);
		while (p < ve && is_tokc(*p) && *p != ':')
			p++;
		if ((o->namelen = (size_t)(p - o->name)) == 0)
			return -1;
		p = skip_lws(p, ve);
		if (p < ve && *p == '=') {
			o->has_val = true;
			o->val = p = skip_lws(p + 1, ve);
			if (p < ve && *p == '"') {
				for (p++; p < ve && *p != '"'; p++)
					if (*p == '\\' && p + 1 < ve)
						p++;
				if (p == ve)
					return -1;
				p++;
			} else
				while (p < ve && (is_tokc(*p) || *p == '[' ||
				    *p == ']'))
					p++;
			o->vallen = (size_t)(p - o->val);
		}
		o->rawlen = (size_t)(p - o->raw);
	}
}

static const struct osp *
via_param(const struct osv *v, const char *name)
{
	for (size_t i = 0; i < v->np; i++)
		if (v->p[i].namelen == strlen(name) &&
		    strncasecmp(v->p[i].name, name, v->p[i].namelen) == 0)
			return &v->p[i];
	return NULL;
}

/* The request line: a MESSAGE request?  Anything else is "other". */
static bool
is_message(const char *ls, const char *le)
{
	return (size_t)(le - ls) > 8 && memcmp(ls, "MESSAGE ", 8) == 0;
}

static uint64_t
ref_overload_sip_key(const char *b, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)b[i];
		h *= 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

/*
 * The top Via's value [*vs, *ve) and its first value's end *fe, scanning
 * the header block of @buf; @return -1 on a folded line or no Via.
 */
static int
top_via(const char *buf, size_t len, const char **vs, const char **fe,
    const char **ve)
{
	const char	*p = buf, *end = buf + len, *ls, *le, *val;

	if (!next_line(&p, end, &ls, &le))
		return -1;
	while (next_line(&p, end, &ls, &le) && le > ls) {
		if (is_lws(*ls))
			return -1;
		if (header_of(ls, le, &val) == OSH_VIA) {
			*vs = val;
			*ve = le;
			*fe = first_value_end(val, le);
			return 0;
		}
	}
	return -1;
}

static enum overload_sip_kind
ref_overload_sip_scan(const char *buf, size_t len, struct overload_sip_req *r)
{
	const char	*p = buf, *ls, *le, *vs, *fe, *ve;
	const struct osp *b;
	struct osv	 v;

	memset(r, 0, sizeof(*r));
	if (!next_line(&p, buf + len, &ls, &le) || !is_message(ls, le) ||
	    top_via(buf, len, &vs, &fe, &ve) != 0 ||
	    via_parse(vs, fe, &v) != 0 ||
	    (b = via_param(&v, "branch")) == NULL || b->vallen == 0)
		return OVERLOAD_SIP_OTHER;
	r->branch = b->val;
	r->branchlen = b->vallen;
	r->key = ref_overload_sip_key(b->val, b->vallen);
	return r->kind = OVERLOAD_SIP_MESSAGE;
}

/* The sent-by port, 5060 when it has none (RFC 3261 18.2.2); 0: bad. */
static uint16_t
sentby_port(const struct osv *v)
{
	const char	*s = v->sentby, *e = s + v->sentbylen, *c;
	unsigned long	 port = 0;

	if (*s == '[') {
		if ((c = memchr(s, ']', v->sentbylen)) == NULL)
			return 0;
		c++;
		if (c == e)
			return 5060;
		if (*c != ':')
			return 0;
	} else {
		if ((c = memchr(s, ':', v->sentbylen)) == NULL)
			return 5060;
		if (memchr(c + 1, ':', (size_t)(e - c - 1)) != NULL)
			return 0;	/* IPv6 without brackets */
	}
	for (c++; c < e; c++) {
		if (*c < '0' || *c > '9' || (port = port * 10 +
		    (unsigned long)(*c - '0')) > 65535)
			return 0;
	}
	return (uint16_t)port;
}

/* The top Via, written again with received, rport and oc. */
static int
write_top_via(struct osw *w, const struct osv *v,
    const struct overload_sip_answer *a, uint16_t *port)
{
	const struct osp *rport = via_param(v, "rport");
	const struct osp *oc = via_param(v, "oc");
	const struct osp *algo = via_param(v, "oc-algo");
	char		 algobuf[64] = "";
	bool		 asks;
	char		 ocp[4][40];

	if (v->transportlen != 3 || strncasecmp(v->transport, "UDP", 3) != 0 ||
	    via_param(v, "maddr") != NULL)
		return -1;
	if (rport != NULL)
		*port = a->src_port;
	else if ((*port = sentby_port(v)) == 0)
		return -1;
	/* The one change: no memcpy() from NULL (undefined, caught by
	 * UBSan) for an oc-algo without a value; it copied nothing. */
	if (algo != NULL && algo->vallen > 0 &&
	    algo->vallen < sizeof(algobuf)) {
		memcpy(algobuf, algo->val, algo->vallen);
		algobuf[algo->vallen] = '\0';
	}
	asks = a->ol != NULL && overload_via_asks(oc != NULL, algo != NULL ?
	    algobuf : NULL) && overload_oc_params(a->ol, ocp) == 0;
	puts_(w, "Via: SIP/2.0/");
	put(w, v->transport, v->transportlen);
	puts_(w, " ");
	put(w, v->sentby, v->sentbylen);
	for (size_t i = 0; i < v->np; i++) {
		const struct osp *o = &v->p[i];

		if (o == rport || (o->namelen == 8 &&
		    strncasecmp(o->name, "received", 8) == 0))
			continue;
		if (asks && o->namelen >= 2 &&
		    strncasecmp(o->name, "oc", 2) == 0 &&
		    (o->namelen == 2 || o->name[2] == '-'))
			continue;
		put(w, o->raw, o->rawlen);
	}
	puts_(w, ";received=");
	puts_(w, a->src_ip);
	if (rport != NULL) {
		puts_(w, ";rport=");
		putu(w, a->src_port);
	}
	if (asks)
		for (size_t i = 0; i < 4; i++) {
			puts_(w, ";");
			puts_(w, ocp[i]);
		}
	return 0;
}

/* Does the To value [vs, ve) carry a tag parameter? */
static bool
has_tag(const char *vs, const char *ve)
{
	const char	*p = vs;
	bool		 q = false;

	/* After a name-addr's '>': the URI's own parameters do not count. */
	for (const char *s = vs; s < ve; s++)
		if (*s == '>')
			p = s + 1;
	for (; p < ve; p++) {
		if (*p == '"')
			q = !q;
		if (q || *p != ';')
			continue;
		{
			const char *n = skip_lws(p + 1, ve);

			if (ve - n >= 3 && strncasecmp(n, "tag", 3) == 0) {
				n = skip_lws(n + 3, ve);
				if (n < ve && *n == '=')
					return true;
			}
		}
	}
	return false;
}

static const char	 hex[] = "0123456789abcdef";

static ssize_t
ref_overload_sip_refuse(const char *buf, size_t len,
    const struct overload_sip_answer *a, char *out, size_t outsz,
    uint16_t *port)
{
	const char	*p = buf, *end = buf + len, *ls, *le, *val;
	struct osw	 w = { out, outsz, false };
	struct overload_sip_req r;
	unsigned	 seen[OSH_CSEQ + 1] = { 0 };
	bool		 top = true;

	if (ref_overload_sip_scan(buf, len, &r) != OVERLOAD_SIP_MESSAGE)
		return -1;
	(void)next_line(&p, end, &ls, &le);
	puts_(&w, "SIP/2.0 503 Service Unavailable\r\n");
	while (next_line(&p, end, &ls, &le) && le > ls) {
		enum osh h = header_of(ls, le, &val);

		if (is_lws(*ls))
			return -1;
		if (h == OSH_OTHER)
			continue;
		if (h != OSH_VIA && seen[h] > 0)
			return -1;	/* two From, To, Call-ID or CSeq */
		seen[h]++;
		if (h == OSH_VIA && top) {
			const char	*fe = first_value_end(val, le);
			struct osv	 v;

			top = false;
			if (via_parse(val, fe, &v) != 0 ||
			    write_top_via(&w, &v, a, port) != 0)
				return -1;
			put(&w, fe, (size_t)(le - fe));
		} else if (h == OSH_TO && !has_tag(val, le)) {
			const char *e = le;

			while (e > ls && is_lws(e[-1]))
				e--;
			put(&w, ls, (size_t)(e - ls));
			puts_(&w, ";tag=");
			for (int i = 60; i >= 0; i -= 4)
				put(&w, &hex[(r.key >> i) & 0xf], 1);
		} else
			put(&w, ls, (size_t)(le - ls));
		puts_(&w, "\r\n");
	}
	if (seen[OSH_FROM] != 1 || seen[OSH_TO] != 1 ||
	    seen[OSH_CALLID] != 1 || seen[OSH_CSEQ] != 1)
		return -1;
	puts_(&w, "Retry-After: ");
	putu(&w, a->retry_after_s);
	puts_(&w, "\r\nServer: ");
	puts_(&w, a->server);
	puts_(&w, "\r\nContent-Length: 0\r\n\r\n");
	if (w.over)
		return -1;
	return (ssize_t)(outsz - w.left);
}
