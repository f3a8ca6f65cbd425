/*
 * tests/iw/iw_tool.c - the SIP<->XMPP translation functions on the
 * command line, so that tests/integration/test_iw_vectors.py can run
 * every "interworking_vectors" case of
 * tests/integration/vectors-public.json (and any other file in that
 * format) through the code imgated uses.
 *
 *	iw_tool KIND KEY=HEX ...    prints KEY=HEX lines
 *
 * Values travel hex-encoded both ways (bodies may hold any byte).
 * KIND: sip2jid uri | jid2sip jid | jid2sipfrom jid | jid2im jid |
 * xerr2sip condition | sip2xerr code | sip2xmpp (From, To, Request-URI,
 * Call-ID, Content-Type, Content-Language, Subject, body) | xmpp2sip
 * (from, to, type, thread, subject, xml:lang, body, limit) |
 * uri2ascii in (routing/idna) | sipnote2xmpp (Content-Type, body: what
 * xmppgw makes of a SIP body: text, IMDN -> receipt/marker, isComposing
 * -> chat state) | xmppnote2imdn (notification, ns, from, to, orig_id,
 * message_id, datetime: the IMDN an XMPP receipt/marker becomes, read
 * back with the CPIM and IMDN parsers) | chatstate2sip chatstate (the
 * isComposing MESSAGE an XEP-0085 chat state becomes).
 * Exit 0; a translation error prints error=<xlate status name>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/status.h"
#include "gateway/xlate/xlate.h"
#include "gateway/xlate/xlate_imdn.h"
#include "routing/idna.h"

#define MAXKV	16

static char	*keys[MAXKV], *vals[MAXKV];
static int	 nkv;

static char *
unhex(const char *h)
{
	size_t	 n = strlen(h) / 2;
	char	*o = malloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		sscanf(h + 2 * i, "%2x", &v);
		o[i] = (char)v;
	}
	o[n] = '\0';
	return o;
}

static const char *
arg(const char *k)
{
	for (int i = 0; i < nkv; i++)
		if (strcmp(keys[i], k) == 0)
			return vals[i];
	return NULL;
}

static void
out(const char *k, const char *v, size_t n)
{
	printf("%s=", k);
	for (size_t i = 0; i < n; i++)
		printf("%02x", (unsigned char)v[i]);
	putchar('\n');
}

static void
outs(const char *k, const char *v)
{
	if (v != NULL)
		out(k, v, strlen(v));
}

/* The SIP answer the one status table gives @why (gateway/status). */
static void
out_status(enum gw_reason why)
{
	struct gw_outcome	 o = { why == GW_R_DELIVERED ? GW_OK :
	    GW_PERMFAIL, why, why == GW_R_DELIVERED ? 200 : 0, NULL };
	struct gw_reply		 r;
	char			 code[8];

	status_reply(&o, &r);
	snprintf(code, sizeof(code), "%d", r.sip_code);
	outs("sip_status", code);
}

/*
 * What gateway/xmppgw send_message() makes of a SIP body: the mapper it
 * calls (xlate_sip_to_xmpp_msg(), gateway mode, as imgated runs it), then
 * for a notification the calls of send_imdn_as_xmpp() / send_chat_state():
 * a malformed notification document is a bad request, an IMDN with no
 * XMPP form is consumed (200), other media 415.
 */
static enum xlate_status
sipnote(const char *ct, const char *body)
{
	static struct xlate_xmpp_msg x;
	struct xlate_sip_msg	 in = {
		.from = "sip:alice@example.com", .to = "sip:bob@example.net",
		.content_type = ct, .body = body != NULL ? body : "",
		.xmpp_to = "bob@example.net",
	};
	const char		*name, *ns;
	struct xlate_imdn	 m;
	enum xlate_composing	 cs;
	enum xlate_status	 st;
	unsigned		 bit, dn = 0;

	in.body_len = strlen(in.body);
	if ((st = xlate_sip_to_xmpp_msg(&in, "gw.example.org", &x)) !=
	    XLATE_OK) {
		out_status(st == XLATE_E_UTF8 || st == XLATE_E_CHAR ?
		    GW_R_BAD_REQUEST : GW_R_UNSUPPORTED_MEDIA);
		return XLATE_OK;
	}
	if (x.cpim)
		dn = xlate_imdn_disp_parse(x.wrap.imdn_disp.p,
		    x.wrap.imdn_disp.len);
	switch (x.kind) {
	case XLATE_CT_TEXT:
		outs("kind", "text");
		out("body", x.body.p, x.body.len);
		outs("request", "true");	/* every message asks */
		outs("markable", dn & XLATE_DN_DISPLAY ? "true" : "false");
		if (x.cpim && x.wrap.imdn_message_id.p != NULL && dn != 0)
			out("imdn_message_id", x.wrap.imdn_message_id.p,
			    x.wrap.imdn_message_id.len);
		out_status(GW_R_DELIVERED);
		return XLATE_OK;
	case XLATE_CT_IMDN:
		if (xlate_imdn_parse(x.body.p, x.body.len, &m) != XLATE_OK) {
			out_status(GW_R_BAD_REQUEST);
			return XLATE_OK;
		}
		outs("kind", "imdn");
		if (xlate_imdn_to_xmpp(m.result, &name, &ns, &bit) ==
		    XLATE_OK) {
			outs("notification", name);
			outs("ns", ns);
		}
		outs("id", m.message_id);
		out_status(GW_R_DELIVERED);
		return XLATE_OK;
	case XLATE_CT_ISCOMPOSING:
		if (xlate_iscomposing_parse(x.body.p, x.body.len, &cs) !=
		    XLATE_OK) {
			out_status(GW_R_BAD_REQUEST);
			return XLATE_OK;
		}
		outs("kind", "iscomposing");
		outs("chatstate", xlate_composing_chatstate(cs));
		outs("ns", XLATE_NS_CHATSTATES);
		out_status(GW_R_DELIVERED);
		return XLATE_OK;
	default:
		out_status(GW_R_UNSUPPORTED_MEDIA);
		return XLATE_OK;
	}
}

/* As gateway/xmppgw notify_sip(): XMPP receipt/marker -> IMDN. */
static enum xlate_status
xmppnote(void)
{
	static char		 body[4096];
	static struct xlate_cpim c;
	struct xlate_imdn_out	 o;
	struct xlate_imdn	 m;
	enum xlate_status	 st;
	size_t			 n;

	memset(&o, 0, sizeof(o));
	if ((st = xlate_xmpp_to_imdn(arg("notification"), arg("ns"),
	    &o.kind, &o.result)) != XLATE_OK)
		return st;
	o.from = arg("from");
	o.to = arg("to");
	o.orig_id = arg("orig_id");
	o.message_id = arg("message_id");
	o.datetime = arg("datetime");
	if ((st = xlate_imdn_build(&o, body, sizeof(body), &n)) != XLATE_OK)
		return st;
	outs("Content-Type", "message/cpim");
	if ((st = xlate_cpim_parse(body, n, &c)) != XLATE_OK ||
	    (st = xlate_imdn_parse(c.body.p, c.body.len, &m)) != XLATE_OK)
		return st;
	out("cpim_from", c.from_uri.p, c.from_uri.len);
	out("cpim_to", c.to_uri.p, c.to_uri.len);
	out("inner_content_type", c.content_type.p, c.content_type.len);
	outs("imdn_kind", m.kind == XLATE_IMDN_DELIVERY ?
	    "delivery-notification" : "display-notification");
	outs("imdn_status", m.result == XLATE_IMDN_DELIVERED ? "delivered" :
	    "displayed");
	outs("message_id", m.message_id);
	return XLATE_OK;
}

int
main(int argc, char *argv[])
{
	static char	 buf[XLATE_URI_SIZE];
	enum xlate_status st = XLATE_OK;
	const char	*kind;

	if (argc < 2)
		return 1;
	kind = argv[1];
	for (int i = 2; i < argc && nkv < MAXKV; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		keys[nkv] = argv[i];
		vals[nkv++] = unhex(eq + 1);
	}
	if (strcmp(kind, "sip2jid") == 0) {
		if ((st = xlate_sip_to_jid(arg("in"), buf, sizeof(buf))) ==
		    XLATE_OK)
			outs("jid", buf);
	} else if (strcmp(kind, "jid2sip") == 0) {
		if ((st = xlate_jid_to_sip(arg("in"), buf, sizeof(buf))) ==
		    XLATE_OK)
			outs("request_uri", buf);
	} else if (strcmp(kind, "jid2sipfrom") == 0) {
		if ((st = xlate_jid_to_sip_from(arg("in"), buf,
		    sizeof(buf))) == XLATE_OK)
			outs("sip_from", buf);
	} else if (strcmp(kind, "jid2im") == 0) {
		if ((st = xlate_jid_to_im(arg("in"), buf, sizeof(buf))) ==
		    XLATE_OK)
			outs("im", buf);
	} else if (strcmp(kind, "xerr2sip") == 0) {
		snprintf(buf, sizeof(buf), "%d",
		    status_xmpp_to_sip(arg("condition")));
		outs("sip_status", buf);
	} else if (strcmp(kind, "sip2xerr") == 0) {
		const char *c = status_sip_to_xmpp(atoi(arg("code")));

		outs("condition", c);
		outs("error_type", status_xmpp_type(c));
	} else if (strcmp(kind, "sip2xmpp") == 0) {
		static struct xlate_xmpp_msg m;
		struct xlate_sip_msg in = {
			.from = arg("From"), .to = arg("To"),
			.request_uri = arg("Request-URI"),
			.call_id = arg("Call-ID"),
			.content_type = arg("Content-Type"),
			.content_language = arg("Content-Language"),
			.subject = arg("Subject"), .body = arg("body"),
		};

		in.body_len = in.body != NULL ? strlen(in.body) : 0;
		if ((st = xlate_sip_to_xmpp_msg(&in, NULL, &m)) == XLATE_OK) {
			outs("from", m.from);
			outs("to", m.to);
			outs("thread", m.thread);
			outs("subject", m.subject);
			outs("xml:lang", m.lang);
			out("body", m.body.p != NULL ? m.body.p : "", m.body.len);
		}
	} else if (strcmp(kind, "xmpp2sip") == 0) {
		static struct xlate_sip_out m;
		struct xlate_xmpp_in in = {
			.from = arg("from"), .to = arg("to"), .type = arg("type"),
			.thread = arg("thread"), .subject = arg("subject"),
			.lang = arg("xml:lang"), .body = arg("body"),
		};
		size_t limit = arg("limit") ? (size_t)atol(arg("limit")) : 0;

		in.body_len = in.body != NULL ? strlen(in.body) : 0;
		st = xlate_xmpp_to_sip_msg(&in, NULL, limit, &m);
		if (st == XLATE_OK) {
			outs("Request-URI", m.request_uri);
			outs("To", m.request_uri);
			outs("From", m.from);
			outs("Call-ID", m.call_id);
			outs("Subject", m.subject);
			outs("Content-Language", m.content_language);
			outs("Content-Type", m.content_type);
			out("body", m.body.p != NULL ? m.body.p : "", m.body.len);
		} else if (st == XLATE_E_TOO_LARGE) {
			outs("condition", "policy-violation");
			outs("error_type", status_xmpp_type("policy-violation"));
		}
	} else if (strcmp(kind, "uri2ascii") == 0) {
		enum idna_status ist = idna_uri_to_ascii(arg("in"), buf,
		    sizeof(buf));

		if (ist == IDNA_OK)
			outs("uri", buf);
		else
			outs("error", idna_strstatus(ist));
	} else if (strcmp(kind, "sipnote2xmpp") == 0) {
		st = sipnote(arg("Content-Type"), arg("body"));
	} else if (strcmp(kind, "xmppnote2imdn") == 0) {
		st = xmppnote();
	} else if (strcmp(kind, "chatstate2sip") == 0) {
		enum xlate_composing	 cs;
		size_t			 n;

		/* As xmppgw on_message(): chat state -> isComposing. */
		if ((st = xlate_chatstate_composing(arg("chatstate"), &cs)) ==
		    XLATE_OK && (st = xlate_iscomposing_build(cs, buf,
		    sizeof(buf), &n)) == XLATE_OK) {
			outs("Content-Type", "application/im-iscomposing+xml");
			outs("state", cs == XLATE_COMPOSING_ACTIVE ? "active" :
			    "idle");
			out("body", buf, n);
		}
	} else
		return 1;
	if (st != XLATE_OK)
		outs("error", xlate_strstatus(st));
	return 0;
}
