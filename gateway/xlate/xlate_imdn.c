/*
 * gateway/xlate/xlate_imdn.c - IMDN and isComposing documents (RFC 5438,
 * RFC 3994), read and written for the SIP <-> XMPP notification mapping
 * (xlate_imdn.h says who calls what).
 *
 * The documents are tiny and flat, so they are read with a scanner of
 * tags rather than an XML library: it walks start and end tags, keeps the
 * local names of the open elements (at most XLATE_XML_DEPTH deep), skips
 * the XML declaration, processing instructions and comments, and refuses
 * any "<!" construct (DTD, CDATA): nothing is ever expanded.  Values
 * taken (message-id, state) must be plain text without '&'.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/xlate/xlate_imdn.h"

#define XLATE_XML_DEPTH	8

struct xlate_tag {
	struct xlate_span	 name;	/* local name (prefix dropped) */
	bool			 end;	/* </name> */
	bool			 empty;	/* <name/> */
	size_t			 after;	/* offset just past '>' */
};

static int
xlate_imdn_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
xlate_imdn_is(struct xlate_span s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/*
 * The next tag at or after *pos.  @return 1 and *t, 0 at the end of the
 * document, -1 on a construct refused (DTD, CDATA, unterminated tag).
 */
static int
xlate_next_tag(const char *b, size_t n, size_t *pos, struct xlate_tag *t)
{
	size_t		 i = *pos, s;
	const char	*e;
	char		 q;

	for (;;) {
		while (i < n && b[i] != '<')
			i++;
		if (i >= n)
			return 0;
		if (i + 1 < n && b[i + 1] == '?') {
			e = memmem(b + i, n - i, "?>", 2);
			if (e == NULL)
				return -1;
			i = (size_t)(e - b) + 2;
			continue;
		}
		if (i + 3 < n && memcmp(b + i, "<!--", 4) == 0) {
			e = memmem(b + i + 4, n - i - 4, "-->", 3);
			if (e == NULL)
				return -1;
			i = (size_t)(e - b) + 3;
			continue;
		}
		if (i + 1 < n && b[i + 1] == '!')
			return -1;
		break;
	}
	memset(t, 0, sizeof(*t));
	i++;
	if (i < n && b[i] == '/') {
		t->end = true;
		i++;
	}
	s = i;
	while (i < n && b[i] != '>' && b[i] != '/' && b[i] != ' ' &&
	    b[i] != '\t' && b[i] != '\r' && b[i] != '\n')
		i++;
	if (i == s)
		return -1;
	t->name.p = b + s;
	t->name.len = i - s;
	if ((e = memchr(t->name.p, ':', t->name.len)) != NULL) {
		t->name.len -= (size_t)(e + 1 - t->name.p);
		t->name.p = e + 1;
	}
	/* Attributes: skip, minding quotes (a '>' may sit in a value). */
	for (q = 0; i < n; i++) {
		if (q != 0) {
			if (b[i] == q)
				q = 0;
		} else if (b[i] == '"' || b[i] == '\'')
			q = b[i];
		else if (b[i] == '>')
			break;
	}
	if (i >= n)
		return -1;
	t->empty = !t->end && b[i - 1] == '/';
	t->after = i + 1;
	*pos = i + 1;
	return 1;
}

/* The text from @from up to the next '<', whitespace trimmed. */
static struct xlate_span
xlate_tag_text(const char *b, size_t n, size_t from)
{
	struct xlate_span	 sp;
	size_t			 e = from;

	while (e < n && b[e] != '<')
		e++;
	while (from < e && strchr(" \t\r\n", b[from]) != NULL)
		from++;
	while (e > from && strchr(" \t\r\n", b[e - 1]) != NULL)
		e--;
	sp.p = b + from;
	sp.len = e - from;
	return sp;
}

/*
 * Walk the document; @visit sees every start tag with its depth (root 0)
 * and the local names of its ancestors.  @return XLATE_OK or
 * XLATE_E_MEDIA (refused construct, unbalanced, too deep).
 */
typedef bool	xlate_visit_fn(void *, const struct xlate_tag *,
		    const struct xlate_span *, size_t);

static enum xlate_status
xlate_xml_walk(const char *b, size_t n, xlate_visit_fn *visit, void *arg)
{
	struct xlate_span	 stack[XLATE_XML_DEPTH];
	struct xlate_tag	 t;
	size_t			 depth = 0, pos = 0;
	bool			 root_seen = false;
	int			 r;
	enum xlate_status	 st;

	if ((st = xlate_utf8_check(b, n, NULL)) != XLATE_OK)
		return st;
	while ((r = xlate_next_tag(b, n, &pos, &t)) == 1) {
		if (t.end) {
			if (depth == 0 || stack[depth - 1].len != t.name.len ||
			    memcmp(stack[depth - 1].p, t.name.p,
			    t.name.len) != 0)
				return XLATE_E_MEDIA;
			depth--;
			continue;
		}
		if (depth == 0 && root_seen)
			return XLATE_E_MEDIA;	/* two roots */
		root_seen = true;
		if (!visit(arg, &t, stack, depth))
			return XLATE_E_MEDIA;
		if (t.empty)
			continue;
		if (depth >= XLATE_XML_DEPTH)
			return XLATE_E_MEDIA;
		stack[depth++] = t.name;
	}
	if (r < 0 || depth != 0 || !root_seen)
		return XLATE_E_MEDIA;
	return XLATE_OK;
}

struct xlate_imdn_walk {
	const char		*buf;
	size_t			 len;
	struct xlate_imdn	*out;
	bool			 root, have_id, have_kind, have_result;
	bool			 too_long;
};

static bool
xlate_imdn_visit(void *arg, const struct xlate_tag *t,
    const struct xlate_span *up, size_t depth)
{
	struct xlate_imdn_walk	*w = arg;
	struct xlate_span	 v;

	if (depth == 0) {
		w->root = xlate_imdn_is(t->name, "imdn");
		return w->root;
	}
	if (depth == 1 && xlate_imdn_is(t->name, "message-id") &&
	    !w->have_id) {
		v = xlate_tag_text(w->buf, w->len, t->after);
		if (v.len == 0 || memchr(v.p, '&', v.len) != NULL)
			return false;
		if (v.len >= sizeof(w->out->message_id)) {
			w->too_long = true;
			return false;
		}
		memcpy(w->out->message_id, v.p, v.len);
		w->out->message_id[v.len] = '\0';
		w->have_id = true;
	} else if (depth == 1 && !w->have_kind &&
	    (xlate_imdn_is(t->name, "delivery-notification") ||
	    xlate_imdn_is(t->name, "display-notification"))) {
		w->out->kind = t->name.p[1] == 'e' ? XLATE_IMDN_DELIVERY :
		    XLATE_IMDN_DISPLAY;
		w->have_kind = true;
	} else if (depth == 3 && w->have_kind && !w->have_result &&
	    xlate_imdn_is(up[2], "status") &&
	    (xlate_imdn_is(up[1], "delivery-notification") ||
	    xlate_imdn_is(up[1], "display-notification"))) {
		if (xlate_imdn_is(t->name, "delivered"))
			w->out->result = XLATE_IMDN_DELIVERED;
		else if (xlate_imdn_is(t->name, "displayed"))
			w->out->result = XLATE_IMDN_DISPLAYED;
		else if (xlate_imdn_is(t->name, "failed") ||
		    xlate_imdn_is(t->name, "forbidden") ||
		    xlate_imdn_is(t->name, "error"))
			w->out->result = XLATE_IMDN_FAILED;
		else
			w->out->result = XLATE_IMDN_OTHER;
		w->have_result = true;
	}
	return true;
}

enum xlate_status
xlate_imdn_parse(const char *buf, size_t len, struct xlate_imdn *out)
{
	struct xlate_imdn_walk	 w;
	enum xlate_status	 st;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	w.buf = buf;
	w.len = len;
	w.out = out;
	st = xlate_xml_walk(buf, len, xlate_imdn_visit, &w);
	if (w.too_long)
		st = XLATE_E_NO_SPACE;
	else if (st == XLATE_OK &&
	    (!w.root || !w.have_id || !w.have_kind || !w.have_result))
		st = XLATE_E_MEDIA;
	if (st != XLATE_OK)
		memset(out, 0, sizeof(*out));
	return st;
}

enum xlate_status
xlate_imdn_to_xmpp(enum xlate_imdn_result result, const char **name,
    const char **ns, unsigned *bit)
{
	switch (result) {
	case XLATE_IMDN_DELIVERED:
		*name = "received";
		*ns = XLATE_NS_RECEIPTS;
		*bit = XLATE_DN_POSITIVE_DELIVERY;
		return XLATE_OK;
	case XLATE_IMDN_DISPLAYED:
		*name = "displayed";
		*ns = XLATE_NS_MARKERS;
		*bit = XLATE_DN_DISPLAY;
		return XLATE_OK;
	default:
		*name = *ns = NULL;
		*bit = 0;
		return XLATE_E_MEDIA;
	}
}

enum xlate_status
xlate_xmpp_to_imdn(const char *name, const char *ns,
    enum xlate_imdn_kind *kind, enum xlate_imdn_result *result)
{
	if (name == NULL || ns == NULL)
		return XLATE_E_MEDIA;
	if (strcmp(name, "received") == 0 &&
	    (strcmp(ns, XLATE_NS_RECEIPTS) == 0 ||
	    strcmp(ns, XLATE_NS_MARKERS) == 0)) {
		*kind = XLATE_IMDN_DELIVERY;
		*result = XLATE_IMDN_DELIVERED;
		return XLATE_OK;
	}
	if (strcmp(name, "displayed") == 0 &&
	    strcmp(ns, XLATE_NS_MARKERS) == 0) {
		*kind = XLATE_IMDN_DISPLAY;
		*result = XLATE_IMDN_DISPLAYED;
		return XLATE_OK;
	}
	return XLATE_E_MEDIA;
}

unsigned
xlate_imdn_disp_parse(const char *v, size_t len)
{
	static const struct {
		const char	*tok;
		unsigned	 bit;
	} toks[] = {
		{ "positive-delivery", XLATE_DN_POSITIVE_DELIVERY },
		{ "negative-delivery", XLATE_DN_NEGATIVE_DELIVERY },
		{ "display", XLATE_DN_DISPLAY },
	};
	unsigned	 bits = 0;
	size_t		 i = 0, s, e;

	if (v == NULL)
		return 0;
	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		for (size_t k = 0; k < sizeof(toks) / sizeof(toks[0]); k++) {
			size_t	 tl = strlen(toks[k].tok), j;

			if (e - s != tl)
				continue;
			for (j = 0; j < tl; j++)
				if (xlate_imdn_lower((unsigned char)v[s + j]) !=
				    toks[k].tok[j])
					break;
			if (j == tl)
				bits |= toks[k].bit;
		}
	}
	return bits;
}

/* RFC 5438 6.3: Message-ID is a token of letters, digits and -._~ etc. */
static bool
xlate_imdn_id_ok(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n >= XLATE_IMDN_ID_SIZE)
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~!$*+", c) != NULL))
			return false;
	}
	return true;
}

static bool
xlate_imdn_uri_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == '<' || *s == '>' ||
		    *s == '&' || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

enum xlate_status
xlate_imdn_build(const struct xlate_imdn_out *in, char *out, size_t outsz,
    size_t *outlen)
{
	char		 xml[1024];
	const char	*kind, *status;
	int		 xl, n;

	*outlen = 0;
	if (outsz > 0)
		out[0] = '\0';
	if (!xlate_imdn_uri_ok(in->from) || !xlate_imdn_uri_ok(in->to) ||
	    !xlate_imdn_id_ok(in->message_id) ||
	    !xlate_imdn_id_ok(in->orig_id) || in->datetime == NULL ||
	    strlen(in->datetime) > 64 ||
	    strpbrk(in->datetime, "<>&\r\n") != NULL)
		return XLATE_E_URI;
	kind = in->kind == XLATE_IMDN_DELIVERY ? "delivery-notification" :
	    "display-notification";
	switch (in->result) {
	case XLATE_IMDN_DELIVERED:
		status = "delivered";
		break;
	case XLATE_IMDN_DISPLAYED:
		status = "displayed";
		break;
	case XLATE_IMDN_FAILED:
		status = "failed";
		break;
	default:
		return XLATE_E_URI;
	}
	xl = snprintf(xml, sizeof(xml),
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
	    "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">"
	    "<message-id>%s</message-id>"
	    "<datetime>%s</datetime>"
	    "<%s><status><%s/></status></%s>"
	    "</imdn>\r\n",
	    in->orig_id, in->datetime, kind, status, kind);
	if (xl < 0 || (size_t)xl >= sizeof(xml))
		return XLATE_E_NO_SPACE;
	/* RFC 5438 7.2.1.1 example layout; Content-Length of the part. */
	n = snprintf(out, outsz,
	    "From: <%s>\r\n"
	    "To: <%s>\r\n"
	    "NS: imdn <" XLATE_IMDN_NS ">\r\n"
	    "imdn.Message-ID: %s\r\n"
	    "DateTime: %s\r\n"
	    "\r\n"
	    "Content-Type: message/imdn+xml\r\n"
	    "Content-Disposition: notification\r\n"
	    "Content-Length: %d\r\n"
	    "\r\n"
	    "%s",
	    in->from, in->to, in->message_id, in->datetime, xl, xml);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return XLATE_E_NO_SPACE;
	}
	*outlen = (size_t)n;
	return XLATE_OK;
}

enum xlate_status
xlate_cpim_wrap(const struct xlate_cpim_req *in, char *out, size_t outsz,
    size_t *outlen)
{
	char	 disp[64];
	int	 n;

	*outlen = 0;
	if (outsz > 0)
		out[0] = '\0';
	if (!xlate_imdn_uri_ok(in->from) || !xlate_imdn_uri_ok(in->to) ||
	    !xlate_imdn_id_ok(in->message_id) || in->datetime == NULL ||
	    strpbrk(in->datetime, "<>&\r\n") != NULL ||
	    (in->disp & (XLATE_DN_POSITIVE_DELIVERY | XLATE_DN_DISPLAY)) == 0)
		return XLATE_E_URI;
	snprintf(disp, sizeof(disp), "%s%s%s",
	    in->disp & XLATE_DN_POSITIVE_DELIVERY ? "positive-delivery" : "",
	    (in->disp & XLATE_DN_POSITIVE_DELIVERY) &&
	    (in->disp & XLATE_DN_DISPLAY) ? ", " : "",
	    in->disp & XLATE_DN_DISPLAY ? "display" : "");
	n = snprintf(out, outsz,
	    "From: <%s>\r\n"
	    "To: <%s>\r\n"
	    "NS: imdn <" XLATE_IMDN_NS ">\r\n"
	    "imdn.Message-ID: %s\r\n"
	    "DateTime: %s\r\n"
	    "imdn.Disposition-Notification: %s\r\n"
	    "\r\n"
	    "Content-Type: text/plain;charset=UTF-8\r\n"
	    "\r\n",
	    in->from, in->to, in->message_id, in->datetime, disp);
	if (n < 0 || (size_t)n + in->body_len >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return XLATE_E_NO_SPACE;
	}
	memcpy(out + n, in->body, in->body_len);
	out[(size_t)n + in->body_len] = '\0';
	*outlen = (size_t)n + in->body_len;
	return XLATE_OK;
}

struct xlate_comp_walk {
	const char		*buf;
	size_t			 len;
	bool			 root, have;
	enum xlate_composing	 state;
	bool			 bad;
};

static bool
xlate_comp_visit(void *arg, const struct xlate_tag *t,
    const struct xlate_span *up, size_t depth)
{
	struct xlate_comp_walk	*w = arg;
	struct xlate_span	 v;

	(void)up;
	if (depth == 0) {
		w->root = xlate_imdn_is(t->name, "isComposing");
		return w->root;
	}
	if (depth == 1 && xlate_imdn_is(t->name, "state") && !w->have) {
		v = xlate_tag_text(w->buf, w->len, t->after);
		if (xlate_imdn_is(v, "active"))
			w->state = XLATE_COMPOSING_ACTIVE;
		else if (xlate_imdn_is(v, "idle"))
			w->state = XLATE_COMPOSING_IDLE;
		else
			return false;
		w->have = true;
	}
	return true;
}

enum xlate_status
xlate_iscomposing_parse(const char *buf, size_t len,
    enum xlate_composing *state)
{
	struct xlate_comp_walk	 w;
	enum xlate_status	 st;

	memset(&w, 0, sizeof(w));
	w.buf = buf;
	w.len = len;
	st = xlate_xml_walk(buf, len, xlate_comp_visit, &w);
	if (st == XLATE_OK && (!w.root || !w.have))
		st = XLATE_E_MEDIA;
	*state = st == XLATE_OK ? w.state : XLATE_COMPOSING_IDLE;
	return st;
}

const char *
xlate_composing_chatstate(enum xlate_composing state)
{
	return state == XLATE_COMPOSING_ACTIVE ? "composing" : "paused";
}

enum xlate_status
xlate_chatstate_composing(const char *name, enum xlate_composing *state)
{
	static const char *const idle[] = {
		"paused", "active", "inactive", "gone"
	};

	if (name == NULL)
		return XLATE_E_MEDIA;
	if (strcmp(name, "composing") == 0) {
		*state = XLATE_COMPOSING_ACTIVE;
		return XLATE_OK;
	}
	for (size_t i = 0; i < sizeof(idle) / sizeof(idle[0]); i++)
		if (strcmp(name, idle[i]) == 0) {
			*state = XLATE_COMPOSING_IDLE;
			return XLATE_OK;
		}
	return XLATE_E_MEDIA;
}

enum xlate_status
xlate_iscomposing_build(enum xlate_composing state, char *out,
    size_t outsz, size_t *outlen)
{
	int	 n;

	n = snprintf(out, outsz,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
	    "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">"
	    "<state>%s</state><contenttype>text/plain</contenttype>%s"
	    "</isComposing>\r\n",
	    state == XLATE_COMPOSING_ACTIVE ? "active" : "idle",
	    state == XLATE_COMPOSING_ACTIVE ? "<refresh>120</refresh>" : "");
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		*outlen = 0;
		return XLATE_E_NO_SPACE;
	}
	*outlen = (size_t)n;
	return XLATE_OK;
}

bool
xlate_is_notification(const char *ctype, const char *body, size_t len)
{
	struct xlate_cpim	 c;
	enum xlate_ctype	 k = xlate_content_type_ok(ctype);

	if (k == XLATE_CT_CPIM && body != NULL &&
	    xlate_cpim_parse(body, len, &c) == XLATE_OK)
		k = xlate_content_type_okn(c.content_type.p,
		    c.content_type.len);
	return k == XLATE_CT_IMDN || k == XLATE_CT_ISCOMPOSING;
}
