/*
 * tests/unit/test_xlate_imdn.c - table-driven tests of
 * gateway/xlate/xlate_imdn and of the IMDN parts of gateway/xlate (CPIM
 * imdn.* headers).
 *
 * IMDN documents (RFC 5438 7.2.1.1 / 7.2.1.2 examples and hostile
 * variants), Disposition-Notification values, the IMDN imgate writes
 * (parsed back with imgate's own CPIM and IMDN parsers), isComposing
 * documents (RFC 3994 3.1).  Output is TAP.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/xlate/xlate.h"
#include "gateway/xlate/xlate_imdn.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define XMLDECL	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
#define IMDN_NS	"urn:ietf:params:xml:ns:imdn"

struct imdn_row {
	const char		*doc;
	enum xlate_status	 st;
	const char		*id;
	enum xlate_imdn_kind	 kind;
	enum xlate_imdn_result	 result;
};

static const struct imdn_row imdn_rows[] = {
	/* RFC 5438 7.2.1.1 */
	{ XMLDECL "<imdn xmlns=\"" IMDN_NS "\">\r\n"
	    "  <message-id>34jk324j</message-id>\r\n"
	    "  <datetime>2008-04-04T12:16:49-05:00</datetime>\r\n"
	    "  <recipient-uri>im:bob@example.com</recipient-uri>\r\n"
	    "  <original-recipient-uri>im:bob@example.com"
	    "</original-recipient-uri>\r\n"
	    "  <delivery-notification>\r\n"
	    "    <status><delivered/></status>\r\n"
	    "  </delivery-notification>\r\n</imdn>\r\n",
	    XLATE_OK, "34jk324j", XLATE_IMDN_DELIVERY, XLATE_IMDN_DELIVERED },
	/* RFC 5438 7.2.1.2 */
	{ XMLDECL "<imdn xmlns=\"" IMDN_NS "\"><message-id>34jk324j"
	    "</message-id><datetime>2008-04-04T12:16:49-05:00</datetime>"
	    "<display-notification><status><displayed/></status>"
	    "</display-notification></imdn>",
	    XLATE_OK, "34jk324j", XLATE_IMDN_DISPLAY, XLATE_IMDN_DISPLAYED },
	/* Prefixed names, a comment, a failure. */
	{ "<i:imdn xmlns:i=\"" IMDN_NS "\"><!-- x --><i:message-id> a-1 "
	    "</i:message-id><i:delivery-notification><i:status><i:failed/>"
	    "</i:status></i:delivery-notification></i:imdn>",
	    XLATE_OK, "a-1", XLATE_IMDN_DELIVERY, XLATE_IMDN_FAILED },
	{ "<imdn><message-id>x</message-id><delivery-notification><status>"
	    "<stored/></status></delivery-notification></imdn>",
	    XLATE_OK, "x", XLATE_IMDN_DELIVERY, XLATE_IMDN_OTHER },
	/* Refused */
	{ "<imdn><message-id>x</message-id></imdn>", XLATE_E_MEDIA, "", 0,
	    0 },			/* no notification */
	{ "<imdn><delivery-notification><status><delivered/></status>"
	    "</delivery-notification></imdn>", XLATE_E_MEDIA, "", 0, 0 },
	{ "<isComposing><message-id>x</message-id></isComposing>",
	    XLATE_E_MEDIA, "", 0, 0 },	/* wrong root */
	{ "<!DOCTYPE imdn [<!ENTITY e \"x\">]><imdn><message-id>&e;"
	    "</message-id><delivery-notification><status><delivered/>"
	    "</status></delivery-notification></imdn>", XLATE_E_MEDIA, "",
	    0, 0 },			/* DTD */
	{ "<imdn><message-id>a&amp;b</message-id><delivery-notification>"
	    "<status><delivered/></status></delivery-notification></imdn>",
	    XLATE_E_MEDIA, "", 0, 0 },
	{ "<imdn><message-id>x</message-id><delivery-notification><status>"
	    "<delivered/></status></delivery-notification>", XLATE_E_MEDIA,
	    "", 0, 0 },			/* unbalanced */
	{ "<imdn><message-id>x</message-id><delivery-notification><status>"
	    "<delivered/></status></delivery-notification></imdn><imdn/>",
	    XLATE_E_MEDIA, "", 0, 0 },	/* two roots */
	{ "<imdn><message-id>x</message-id><delivery-notification><status>"
	    "<delivered/></status></delivery-notification></imdn",
	    XLATE_E_MEDIA, "", 0, 0 },	/* truncated */
	{ "<imdn><message-id>\xff</message-id></imdn>", XLATE_E_UTF8, "", 0,
	    0 },
	{ "", XLATE_E_MEDIA, "", 0, 0 },
	{ "delivered", XLATE_E_MEDIA, "", 0, 0 },
	{ "<a><b><c><d><e><f><g><h><i><j/></i></h></g></f></e></d></c></b>"
	    "</a>", XLATE_E_MEDIA, "", 0, 0 },	/* too deep */
};

static void
test_imdn_parse(void)
{
	struct xlate_imdn	 m;
	char			 big[400];

	for (size_t i = 0; i < NELEM(imdn_rows); i++) {
		const struct imdn_row *r = &imdn_rows[i];
		enum xlate_status st;

		st = xlate_imdn_parse(r->doc, strlen(r->doc), &m);
		is_int(st, r->st, "imdn_parse row %zu status", i);
		is_str(m.message_id, r->id, "imdn_parse row %zu id", i);
		if (st == XLATE_OK) {
			is_int(m.kind, r->kind, "imdn_parse row %zu kind", i);
			is_int(m.result, r->result, "imdn_parse row %zu "
			    "result", i);
		}
	}
	snprintf(big, sizeof(big), "<imdn><message-id>%0200d</message-id>"
	    "<delivery-notification><status><delivered/></status>"
	    "</delivery-notification></imdn>", 7);
	is_int(xlate_imdn_parse(big, strlen(big), &m), XLATE_E_NO_SPACE,
	    "imdn_parse: message-id over XLATE_IMDN_ID_SIZE");
}

static void
test_disp(void)
{
	static const struct {
		const char	*v;
		unsigned	 bits;
	} rows[] = {
		{ "positive-delivery", XLATE_DN_POSITIVE_DELIVERY },
		{ "positive-delivery, display", XLATE_DN_POSITIVE_DELIVERY |
		    XLATE_DN_DISPLAY },
		{ "Negative-Delivery,Positive-Delivery ,display",
		    XLATE_DN_POSITIVE_DELIVERY | XLATE_DN_NEGATIVE_DELIVERY |
		    XLATE_DN_DISPLAY },
		{ "processing", 0 },
		{ "positive-deliveryx", 0 },
		{ "", 0 },
	};

	for (size_t i = 0; i < NELEM(rows); i++)
		is_int(xlate_imdn_disp_parse(rows[i].v, strlen(rows[i].v)),
		    rows[i].bits, "disp_parse(\"%s\")", rows[i].v);
	is_int(xlate_imdn_disp_parse(NULL, 0), 0, "disp_parse(NULL)");
}

/* The CPIM of a SIP client asking for notifications (RFC 5438 7.1.1). */
#define CPIM_REQ \
	"From: <sip:alice@a.example>\r\n" \
	"To: <sip:+12025550100@gw.example.org>\r\n" \
	"NS: imdn <urn:ietf:params:imdn>\r\n" \
	"imdn.Message-ID: 34jk324j\r\n" \
	"DateTime: 2008-04-04T12:16:49-05:00\r\n" \
	"imdn.Disposition-Notification: positive-delivery, display\r\n" \
	"\r\n" \
	"Content-Type: text/plain\r\n" \
	"\r\n" \
	"Hello"

#define CPIM_IMDN \
	"From: <sip:b@b.example>\r\nTo: <sip:a@a.example>\r\n\r\n" \
	"Content-Type: message/imdn+xml\r\n\r\n<imdn/>"

static void
test_cpim_headers(void)
{
	struct xlate_cpim	 c;
	const char		*other =
	    "From: <sip:a@a.example>\r\nTo: <sip:b@b.example>\r\n"
	    "NS: x <urn:ietf:params:imdn>\r\nNS: y <urn:example:other>\r\n"
	    "y.Message-ID: nope\r\nx.Message-ID: yes-1\r\n\r\n"
	    "Content-Type: text/plain\r\n\r\nhi";

	is_int(xlate_cpim_parse(CPIM_REQ, strlen(CPIM_REQ), &c), XLATE_OK,
	    "cpim with imdn headers parses");
	ok(c.imdn_message_id.p != NULL && c.imdn_message_id.len == 8 &&
	    memcmp(c.imdn_message_id.p, "34jk324j", 8) == 0,
	    "cpim: imdn.Message-ID found");
	is_int(xlate_imdn_disp_parse(c.imdn_disp.p, c.imdn_disp.len),
	    XLATE_DN_POSITIVE_DELIVERY | XLATE_DN_DISPLAY,
	    "cpim: imdn.Disposition-Notification found");
	is_int(xlate_cpim_parse(other, strlen(other), &c), XLATE_OK,
	    "cpim with two namespaces parses");
	ok(c.imdn_message_id.p != NULL && c.imdn_message_id.len == 5 &&
	    memcmp(c.imdn_message_id.p, "yes-1", 5) == 0,
	    "cpim: the IMDN header is found by namespace, not by prefix");
	ok(c.imdn_disp.p == NULL, "cpim: no Disposition-Notification");
}

static void
test_build(void)
{
	struct xlate_imdn_out	 o = {
		.from = "sip:juliet%40b.example@gw.example.org",
		.to = "sip:alice@a.example",
		.message_id = "imgate-n-17",
		.orig_id = "34jk324j",
		.datetime = "2026-12-06T18:00:00Z",
		.kind = XLATE_IMDN_DELIVERY,
		.result = XLATE_IMDN_DELIVERED,
	};
	struct xlate_cpim	 c;
	struct xlate_imdn	 m;
	char			 out[2048];
	size_t			 n;

	is_int(xlate_imdn_build(&o, out, sizeof(out), &n), XLATE_OK,
	    "imdn_build: delivered");
	is_int((long long)n, (long long)strlen(out), "imdn_build: length");
	/* What imgate writes, imgate (and so a SIP client) reads back. */
	is_int(xlate_cpim_parse(out, n, &c), XLATE_OK,
	    "imdn_build: output is valid message/cpim");
	is_int(xlate_content_type_okn(c.content_type.p, c.content_type.len),
	    XLATE_CT_IMDN, "imdn_build: inner part is message/imdn+xml");
	ok(c.imdn_message_id.len == 11 &&
	    memcmp(c.imdn_message_id.p, "imgate-n-17", 11) == 0,
	    "imdn_build: its own imdn.Message-ID");
	ok(c.datetime.p != NULL, "imdn_build: DateTime present");
	is_int(xlate_imdn_parse(c.body.p, c.body.len, &m), XLATE_OK,
	    "imdn_build: body is an IMDN document");
	is_str(m.message_id, "34jk324j", "imdn_build: reports on the id");
	is_int(m.result, XLATE_IMDN_DELIVERED, "imdn_build: delivered");
	ok(strstr(out, "Content-Disposition: notification\r\n") != NULL,
	    "imdn_build: Content-Disposition notification");
	o.kind = XLATE_IMDN_DISPLAY;
	o.result = XLATE_IMDN_DISPLAYED;
	ok(xlate_imdn_build(&o, out, sizeof(out), &n) == XLATE_OK &&
	    strstr(out, "<display-notification><status><displayed/>") !=
	    NULL, "imdn_build: displayed");
	is_int(xlate_imdn_build(&o, out, 100, &n), XLATE_E_NO_SPACE,
	    "imdn_build: small buffer");
	is_str(out, "", "imdn_build: small buffer leaves \"\"");
	o.orig_id = "a b";
	is_int(xlate_imdn_build(&o, out, sizeof(out), &n), XLATE_E_URI,
	    "imdn_build: id with a space refused");
	o.orig_id = "34jk324j";
	o.to = "sip:a@b>\r\nX: y";
	is_int(xlate_imdn_build(&o, out, sizeof(out), &n), XLATE_E_URI,
	    "imdn_build: header injection refused");
}

static void
test_iscomposing(void)
{
	static const struct {
		const char		*doc;
		enum xlate_status	 st;
		enum xlate_composing	 state;
	} rows[] = {
		/* RFC 3994 3.1 example */
		{ XMLDECL "<isComposing xmlns=\"urn:ietf:params:xml:ns:"
		    "im-iscomposing\" xmlns:xsi=\"http://www.w3.org/2001/"
		    "XMLSchema-instance\">\r\n  <state>active</state>\r\n"
		    "  <contenttype>text/plain</contenttype>\r\n"
		    "  <refresh>60</refresh>\r\n</isComposing>\r\n",
		    XLATE_OK, XLATE_COMPOSING_ACTIVE },
		{ "<isComposing><state> idle </state></isComposing>",
		    XLATE_OK, XLATE_COMPOSING_IDLE },
		{ "<isComposing><state>typing</state></isComposing>",
		    XLATE_E_MEDIA, XLATE_COMPOSING_IDLE },
		{ "<isComposing></isComposing>", XLATE_E_MEDIA,
		    XLATE_COMPOSING_IDLE },
		{ "<imdn><state>active</state></imdn>", XLATE_E_MEDIA,
		    XLATE_COMPOSING_IDLE },
		{ "<isComposing><state>active</state>", XLATE_E_MEDIA,
		    XLATE_COMPOSING_IDLE },
	};
	enum xlate_composing	 s;

	for (size_t i = 0; i < NELEM(rows); i++) {
		is_int(xlate_iscomposing_parse(rows[i].doc,
		    strlen(rows[i].doc), &s), rows[i].st,
		    "iscomposing row %zu status", i);
		is_int(s, rows[i].state, "iscomposing row %zu state", i);
	}
	{
		static const struct {
			const char		*name;
			enum xlate_status	 st;
			enum xlate_composing	 state;
		} cs[] = {
			{ "composing", XLATE_OK, XLATE_COMPOSING_ACTIVE },
			{ "paused", XLATE_OK, XLATE_COMPOSING_IDLE },
			{ "active", XLATE_OK, XLATE_COMPOSING_IDLE },
			{ "inactive", XLATE_OK, XLATE_COMPOSING_IDLE },
			{ "gone", XLATE_OK, XLATE_COMPOSING_IDLE },
			{ "typing", XLATE_E_MEDIA, XLATE_COMPOSING_IDLE },
		};
		char	 doc[512];
		size_t	 n;

		for (size_t i = 0; i < NELEM(cs); i++) {
			s = XLATE_COMPOSING_IDLE;
			is_int(xlate_chatstate_composing(cs[i].name, &s),
			    cs[i].st, "chatstate <%s/> status", cs[i].name);
			is_int(s, cs[i].state, "chatstate <%s/> state",
			    cs[i].name);
		}
		is_int(xlate_chatstate_composing(NULL, &s), XLATE_E_MEDIA,
		    "chatstate NULL");
		/* What imgate writes, imgate reads back. */
		for (int k = 0; k < 2; k++) {
			enum xlate_composing want = k == 0 ?
			    XLATE_COMPOSING_ACTIVE : XLATE_COMPOSING_IDLE;

			ok(xlate_iscomposing_build(want, doc, sizeof(doc),
			    &n) == XLATE_OK && n == strlen(doc) &&
			    xlate_iscomposing_parse(doc, n, &s) == XLATE_OK &&
			    s == want, "iscomposing_build %d round trip", k);
		}
		is_int(xlate_iscomposing_build(XLATE_COMPOSING_ACTIVE, doc, 20,
		    &n), XLATE_E_NO_SPACE, "iscomposing_build small buffer");
	}
	is_str(xlate_composing_chatstate(XLATE_COMPOSING_ACTIVE), "composing",
	    "active -> <composing/>");
	is_str(xlate_composing_chatstate(XLATE_COMPOSING_IDLE), "paused",
	    "idle -> <paused/>");
}

static void
test_mappings(void)
{
	const char		*name, *ns;
	unsigned		 bit;
	enum xlate_imdn_kind	 k;
	enum xlate_imdn_result	 r;

	ok(xlate_imdn_to_xmpp(XLATE_IMDN_DELIVERED, &name, &ns, &bit) ==
	    XLATE_OK && strcmp(name, "received") == 0 &&
	    strcmp(ns, XLATE_NS_RECEIPTS) == 0 &&
	    bit == XLATE_DN_POSITIVE_DELIVERY,
	    "delivered -> XEP-0184 <received/>");
	ok(xlate_imdn_to_xmpp(XLATE_IMDN_DISPLAYED, &name, &ns, &bit) ==
	    XLATE_OK && strcmp(name, "displayed") == 0 &&
	    strcmp(ns, XLATE_NS_MARKERS) == 0 && bit == XLATE_DN_DISPLAY,
	    "displayed -> XEP-0333 <displayed/>");
	is_int(xlate_imdn_to_xmpp(XLATE_IMDN_FAILED, &name, &ns, &bit),
	    XLATE_E_MEDIA, "failed has no XMPP form");
	is_int(xlate_imdn_to_xmpp(XLATE_IMDN_OTHER, &name, &ns, &bit),
	    XLATE_E_MEDIA, "stored/processed have no XMPP form");
	ok(xlate_xmpp_to_imdn("received", XLATE_NS_RECEIPTS, &k, &r) ==
	    XLATE_OK && k == XLATE_IMDN_DELIVERY &&
	    r == XLATE_IMDN_DELIVERED, "XEP-0184 <received/> -> delivered");
	ok(xlate_xmpp_to_imdn("received", XLATE_NS_MARKERS, &k, &r) ==
	    XLATE_OK && r == XLATE_IMDN_DELIVERED,
	    "XEP-0333 <received/> -> delivered");
	ok(xlate_xmpp_to_imdn("displayed", XLATE_NS_MARKERS, &k, &r) ==
	    XLATE_OK && k == XLATE_IMDN_DISPLAY &&
	    r == XLATE_IMDN_DISPLAYED, "XEP-0333 <displayed/> -> displayed");
	is_int(xlate_xmpp_to_imdn("displayed", XLATE_NS_RECEIPTS, &k, &r),
	    XLATE_E_MEDIA, "<displayed/> in the receipts namespace: none");
	is_int(xlate_xmpp_to_imdn("acknowledged", XLATE_NS_MARKERS, &k, &r),
	    XLATE_E_MEDIA, "<acknowledged/>: no IMDN");
	is_int(xlate_xmpp_to_imdn(NULL, XLATE_NS_MARKERS, &k, &r),
	    XLATE_E_MEDIA, "NULL name");
}

static void
test_wrap(void)
{
	struct xlate_cpim_req	 r = {
		.from = "sip:alice%40localhost@gw.test",
		.to = "tel:+12025550100",
		.message_id = "imgate-m-4",
		.datetime = "2026-12-06T18:00:00Z",
		.disp = XLATE_DN_POSITIVE_DELIVERY | XLATE_DN_DISPLAY,
		.body = "Hi \xc3\xa9", .body_len = 5,
	};
	struct xlate_cpim	 c;
	char			 out[1024];
	size_t			 n;

	is_int(xlate_cpim_wrap(&r, out, sizeof(out), &n), XLATE_OK,
	    "cpim_wrap");
	is_int(xlate_cpim_parse(out, n, &c), XLATE_OK,
	    "cpim_wrap: valid message/cpim");
	ok(c.body.len == 5 && memcmp(c.body.p, "Hi \xc3\xa9", 5) == 0,
	    "cpim_wrap: the text is the part");
	is_int(xlate_content_type_okn(c.content_type.p, c.content_type.len),
	    XLATE_CT_TEXT, "cpim_wrap: text/plain part");
	is_int(xlate_imdn_disp_parse(c.imdn_disp.p, c.imdn_disp.len),
	    XLATE_DN_POSITIVE_DELIVERY | XLATE_DN_DISPLAY,
	    "cpim_wrap: Disposition-Notification round trip");
	ok(c.imdn_message_id.len == 10 &&
	    memcmp(c.imdn_message_id.p, "imgate-m-4", 10) == 0,
	    "cpim_wrap: imdn.Message-ID round trip");
	r.disp = XLATE_DN_POSITIVE_DELIVERY;
	ok(xlate_cpim_wrap(&r, out, sizeof(out), &n) == XLATE_OK &&
	    strstr(out, "Disposition-Notification: positive-delivery\r\n") !=
	    NULL, "cpim_wrap: positive-delivery alone");
	r.disp = 0;
	is_int(xlate_cpim_wrap(&r, out, sizeof(out), &n), XLATE_E_URI,
	    "cpim_wrap: nothing asked is refused");
	r.disp = XLATE_DN_DISPLAY;
	is_int(xlate_cpim_wrap(&r, out, 60, &n), XLATE_E_NO_SPACE,
	    "cpim_wrap: small buffer");
	r.from = "sip:a@b>\r\nX: 1";
	is_int(xlate_cpim_wrap(&r, out, sizeof(out), &n), XLATE_E_URI,
	    "cpim_wrap: header injection refused");
}

static void
test_is_notification(void)
{
	ok(xlate_is_notification("message/imdn+xml", "<imdn/>", 7),
	    "bare IMDN is a notification");
	ok(xlate_is_notification("application/im-iscomposing+xml", "", 0),
	    "isComposing is a notification");
	ok(xlate_is_notification("message/cpim", CPIM_IMDN,
	    strlen(CPIM_IMDN)), "IMDN in CPIM is a notification");
	ok(!xlate_is_notification("message/cpim", CPIM_REQ,
	    strlen(CPIM_REQ)), "text in CPIM is a message");
	ok(!xlate_is_notification("text/plain", "hi", 2), "text is not");
	ok(!xlate_is_notification("message/cpim", "garbage", 7),
	    "broken CPIM is not");
	ok(!xlate_is_notification(NULL, NULL, 0), "NULL is not");
}

int
main(void)
{
	test_is_notification();
	test_mappings();
	test_wrap();
	test_imdn_parse();
	test_disp();
	test_cpim_headers();
	test_build();
	test_iscomposing();
	return done_testing();
}
