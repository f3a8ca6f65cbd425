/*
 * gateway/overload_sip.c - the stateless refusal of a shed request,
 * written from its raw bytes (gateway/overload_sip.h).
 *
 * The scanner reads what RFC 3261 section 7.3 allows a sender to write,
 * with two simplifications that send a request to the SIP stack instead
 * of refusing it here: folded header lines (continuation lines, 7.3.1)
 * and a top Via it cannot take apart.  Header names match without case
 * and in their compact forms (v, f, t, i; 7.3.3).
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

/*
 * RFC 3261 25.1 token characters, and ':' for unbracketed IPv6
 * (OSC_TOK: letters, digits and - . ! % * _ + ` ' ~ :); OSC_SENTBY adds
 * '[' and ']' (a bracketed IPv6 address).  Every byte of every scanned
 * Via goes through here, on every MESSAGE read: a table look-up costs a
 * few instructions where a call with a switch cost a dozen.  Bytes from
 * 128 up are in no class.
 */
#define OSC_TOK		0x01
#define OSC_SENTBY	0x02
static const unsigned char	 osc[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 3, 0, 0, 0, 3, 0, 3, 0, 0, 3, 3, 0, 3, 3, 0,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0,
	0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 0, 2, 0, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 3, 0,
};

static inline bool
in_class(unsigned cl, char c)
{
	return (osc[(unsigned char)c] & cl) != 0;
}

static inline bool
is_tokc(char c)
{
	return in_class(OSC_TOK, c);
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

/*
 * Does [s, s + n) spell the lower-case @name, its letters in any case
 * (ASCII, as strncasecmp() in the C locale)?  Inline: it runs on the
 * header lines before the top Via of every MESSAGE.
 */
static inline bool
name_is(const char *s, size_t n, const char *name, size_t namelen)
{
	if (n != namelen)
		return false;
	for (size_t i = 0; i < n; i++) {
		char	 c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != name[i])
			return false;
	}
	return true;
}

/* The header of the line [ls, le): its kind and where its value starts. */
static enum osh
header_of(const char *ls, const char *le, const char **val)
{
	const char	*c = memchr(ls, ':', (size_t)(le - ls)), *ne;
	enum osh	 h = OSH_OTHER;
	size_t		 n;

	if (c == NULL)
		return OSH_OTHER;
	for (ne = c; ne > ls && is_lws(ne[-1]); ne--)
		;
	/* By the name's length first: most lines are none of these. */
	switch (n = (size_t)(ne - ls)) {
	case 1:
		switch (*ls | 0x20) {
		case 'v':	h = OSH_VIA; break;
		case 'f':	h = OSH_FROM; break;
		case 't':	h = OSH_TO; break;
		case 'i':	h = OSH_CALLID; break;
		}
		break;
	case 2:
		if (name_is(ls, n, "to", 2))
			h = OSH_TO;
		break;
	case 3:
		if (name_is(ls, n, "via", 3))
			h = OSH_VIA;
		break;
	case 4:
		if (name_is(ls, n, "from", 4))
			h = OSH_FROM;
		else if (name_is(ls, n, "cseq", 4))
			h = OSH_CSEQ;
		break;
	case 7:
		if (name_is(ls, n, "call-id", 7))
			h = OSH_CALLID;
		break;
	}
	if (h != OSH_OTHER)
		*val = skip_lws(c + 1, le);
	return h;
}

/* One Via parameter: the raw text from its ';' to its end, name, value. */
struct osp {
	const char	*raw, *name, *val;
	size_t		 rawlen, namelen, vallen;
	bool		 has_val;
};

/*
 * The first value of a Via header value taken apart: transport,
 * sent-by and the parameters, at most OSV_PARAMS of them.
 */
#define OSV_PARAMS	16
struct osv {
	const char	*transport, *sentby;
	size_t		 transportlen, sentbylen;
	struct osp	 p[OSV_PARAMS];
	size_t		 np;
};

/*
 * skip_lws() within a Via value: LWS that runs up to the end of the
 * first value (its ',' or the line's end) belongs to no part of it, and
 * is not skipped.  Never called inside a quoted string.
 */
static const char *
via_lws(const char *p, const char *le)
{
	const char	*q = skip_lws(p, le);

	return q == le || *q == ',' ? p : q;
}

/*
 * The Via header value [vs, le) taken apart up to the end of its first
 * value (a ',' outside a quoted string, or @le), which is left in *fe.
 * One pass: the end is where the grammar meets a ',', not found first
 * by a scan of its own.  Only v->np and the fields of the parameters
 * found are set (no memset of all OSV_PARAMS).  @return -1 when the
 * first value is not "SIP/2.0/transport sent-by *(;param)".
 */
static int
via_parse(const char *vs, const char *le, struct osv *v, const char **fe)
{
	const char	*p = vs, *q;

	v->np = 0;
	if ((size_t)(le - p) < 8 || !name_is(p, 8, "sip/2.0/", 8))
		return -1;
	p += 8;
	v->transport = p;
	while (p < le && is_tokc(*p))
		p++;
	v->transportlen = (size_t)(p - v->transport);
	if (v->transportlen == 0 || p == le || !is_lws(*p))
		return -1;
	v->sentby = p = skip_lws(p, le);
	while (p < le && in_class(OSC_SENTBY, *p))
		p++;
	if ((v->sentbylen = (size_t)(p - v->sentby)) == 0)
		return -1;
	for (;;) {
		struct osp	*o;

		q = skip_lws(p, le);
		if (q == le || *q == ',') {
			*fe = q;
			return 0;
		}
		p = q;
		if (*p != ';' || v->np == OSV_PARAMS)
			return -1;
		o = &v->p[v->np++];
		o->raw = p++;
		o->val = NULL;
		o->vallen = 0;
		o->has_val = false;
		o->name = p = via_lws(p, le);
		while (p < le && is_tokc(*p) && *p != ':')
			p++;
		if ((o->namelen = (size_t)(p - o->name)) == 0)
			return -1;
		p = via_lws(p, le);
		if (p < le && *p == '=') {
			o->has_val = true;
			o->val = p = via_lws(p + 1, le);
			if (p < le && *p == '"') {
				for (p++; p < le && *p != '"'; p++)
					if (*p == '\\' && p + 1 < le)
						p++;
				if (p == le)
					return -1;
				p++;
			} else
				while (p < le && in_class(OSC_SENTBY, *p))
					p++;
			o->vallen = (size_t)(p - o->val);
		}
		o->rawlen = (size_t)(p - o->raw);
	}
}

/* The parameter called @name (lower case), or NULL. */
static const struct osp *
via_param(const struct osv *v, const char *name)
{
	for (size_t i = 0; i < v->np; i++)
		if (name_is(v->p[i].name, v->p[i].namelen, name,
		    strlen(name)))
			return &v->p[i];
	return NULL;
}

/* The request line: a MESSAGE request?  Anything else is "other". */
static bool
is_message(const char *ls, const char *le)
{
	return (size_t)(le - ls) > 8 && memcmp(ls, "MESSAGE ", 8) == 0;
}

uint64_t
overload_sip_key(const char *b, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)b[i];
		h *= 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}

/*
 * The top Via's value [*vs, *vle): the header block from @p (after the
 * request line) to @end scanned; @return -1 on a folded line or no Via.
 */
static int
top_via(const char *p, const char *end, const char **vs, const char **vle)
{
	const char	*ls, *le, *val;

	while (next_line(&p, end, &ls, &le) && le > ls) {
		if (is_lws(*ls))
			return -1;
		if (header_of(ls, le, &val) == OSH_VIA) {
			*vs = val;
			*vle = le;
			return 0;
		}
	}
	return -1;
}

enum overload_sip_kind
overload_sip_scan(const char *buf, size_t len, struct overload_sip_req *r)
{
	const char	*p = buf, *end = buf + len, *ls, *le, *vs, *fe;
	const struct osp *b;
	struct osv	 v;

	memset(r, 0, sizeof(*r));
	/* A response or another method (half the datagrams read) is
	 * told by its first bytes, before its line is looked for. */
	if (len <= 8 || memcmp(buf, "MESSAGE ", 8) != 0 ||
	    !next_line(&p, end, &ls, &le) || !is_message(ls, le) ||
	    top_via(p, end, &vs, &le) != 0 ||
	    via_parse(vs, le, &v, &fe) != 0 ||
	    (b = via_param(&v, "branch")) == NULL || b->vallen == 0)
		return OVERLOAD_SIP_OTHER;
	r->branch = b->val;
	r->branchlen = b->vallen;
	r->key = overload_sip_key(b->val, b->vallen);
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
	/* An oc-algo without a value has no val (NULL) to copy. */
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

ssize_t
overload_sip_refuse(const char *buf, size_t len,
    const struct overload_sip_answer *a, char *out, size_t outsz,
    uint16_t *port)
{
	const char	*p = buf, *end = buf + len, *ls, *le, *val;
	struct osw	 w = { out, outsz, false };
	struct overload_sip_req r;
	unsigned	 seen[OSH_CSEQ + 1] = { 0 };
	bool		 top = true;

	if (overload_sip_scan(buf, len, &r) != OVERLOAD_SIP_MESSAGE)
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
			const char	*fe;
			struct osv	 v;

			top = false;
			if (via_parse(val, le, &v, &fe) != 0 ||
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
