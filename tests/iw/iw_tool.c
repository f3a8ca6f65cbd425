/*
 * tests/iw/iw_tool.c - the SIP<->XMPP translation functions on the
 * command line, so that tests/integration/test_iw_vectors.py can run
 * every "interworking_vectors" case of vectors-public.json (and any other
 * file in that format) through the code imgated uses.
 *
 *	iw_tool KIND KEY=HEX ...    prints KEY=HEX lines
 *
 * Values travel hex-encoded both ways (bodies may hold any byte).
 * KIND: sip2jid uri | jid2sip jid | jid2sipfrom jid | jid2im jid |
 * xerr2sip condition | sip2xerr code | sip2xmpp (From, To, Request-URI,
 * Call-ID, Content-Type, Content-Language, Subject, body) | xmpp2sip
 * (from, to, type, thread, subject, xml:lang, body, limit).
 * Exit 0; a translation error prints error=<xlate status name>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/status.h"
#include "gateway/xlate.h"

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
	} else
		return 1;
	if (st != XLATE_OK)
		outs("error", xlate_strstatus(st));
	return 0;
}
