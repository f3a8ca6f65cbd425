/*
 * tests/unit/test_overload_sip.c - the stateless 503 written from a raw
 * request's bytes before parsing (gateway/overload_sip).
 *
 * Asserted: only MESSAGE requests with a top Via branch are classified
 * as such, and their key is the branch's; a refusal copies every Via
 * (the top one with received, rport's value when asked, RFC 7339 oc
 * parameters when asked and not otherwise), From, To (a tag added when
 * it had none, kept when it had one), Call-ID and CSeq, and adds
 * Retry-After, Server and Content-Length: 0; the answer goes to the
 * source port with rport, to the sent-by port (or 5060) without;
 * compact header names are understood; what the scanner cannot answer
 * (folded lines, a missing or repeated header, a Via over TCP or with
 * maddr, no branch, an answer that does not fit) gets -1 and is left to
 * the SIP stack.  TAP.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/overload_sip.h"
#include "tests/tap.h"

#define REQ(via, to)							\
	"MESSAGE sip:+4930123@gw.example SIP/2.0\r\n"			\
	via								\
	"Via: SIP/2.0/UDP proxy.example;branch=z9hG4bKold\r\n"		\
	"Max-Forwards: 70\r\n"						\
	"From: <sip:alice@example.org>;tag=a1\r\n"			\
	to								\
	"Call-ID: c1@example.org\r\n"					\
	"CSeq: 1 MESSAGE\r\n"						\
	"Content-Type: text/plain\r\n"					\
	"Content-Length: 2\r\n"						\
	"\r\n"								\
	"hi"

static ssize_t
refuse(const char *req, char *out, size_t outsz, uint16_t *port,
    const struct overload *ol)
{
	struct overload_sip_answer a = { "192.0.2.7", 40000, 5,
	    "imgate/test", ol };

	*port = 0;
	return overload_sip_refuse(req, strlen(req), &a, out, outsz, port);
}

static void
test_scan(void)
{
	struct overload_sip_req	 r;
	const char		*m = REQ("Via: SIP/2.0/UDP 192.0.2.7:5070"
	    ";branch=z9hG4bK-1;rport\r\n", "To: <sip:+4930123@gw>\r\n");
	const char		*opt = "OPTIONS sip:gw SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK-2\r\n\r\n";
	const char		*resp = "SIP/2.0 200 OK\r\n"
	    "Via: SIP/2.0/UDP h;branch=z9hG4bK-3\r\n\r\n";
	const char		*nobranch = "MESSAGE sip:x SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP h;rport\r\n\r\n";
	const char		*compact = "MESSAGE sip:x SIP/2.0\r\n"
	    "v : SIP/2.0/UDP h ; branch = z9hG4bK-4 , SIP/2.0/UDP g;"
	    "branch=z9hG4bK-5\r\n\r\n";

	is_int(overload_sip_scan(m, strlen(m), &r), OVERLOAD_SIP_MESSAGE,
	    "a MESSAGE request");
	ok(r.branchlen == 9 && memcmp(r.branch, "z9hG4bK-1", 9) == 0,
	    "its top Via branch");
	ok(r.key == overload_sip_key("z9hG4bK-1", 9) && r.key != 0,
	    "its key is the branch's");
	is_int(overload_sip_scan(opt, strlen(opt), &r), OVERLOAD_SIP_OTHER,
	    "OPTIONS: other");
	is_int(overload_sip_scan(resp, strlen(resp), &r), OVERLOAD_SIP_OTHER,
	    "a response: other");
	is_int(overload_sip_scan(nobranch, strlen(nobranch), &r),
	    OVERLOAD_SIP_OTHER, "no branch: other (the stack decides)");
	is_int(overload_sip_scan(compact, strlen(compact), &r),
	    OVERLOAD_SIP_MESSAGE, "compact Via, spaces, two values");
	ok(r.branchlen == 9 && memcmp(r.branch, "z9hG4bK-4", 9) == 0,
	    "the first value's branch (%.*s)", (int)r.branchlen, r.branch);
	is_int(overload_sip_scan("MESSAGE", 7, &r), OVERLOAD_SIP_OTHER,
	    "a runt: other");
}

static void
test_refuse(void)
{
	char		 out[OVERLOAD_SIP_MAX];
	uint16_t	 port;
	ssize_t		 n;
	struct overload	 ol;
	const char	*m = REQ("Via: SIP/2.0/UDP 192.0.2.7:5070"
	    ";branch=z9hG4bK-1;rport\r\n", "To: <sip:+4930123@gw>\r\n");

	n = refuse(m, out, sizeof(out), &port, NULL);
	ok(n > 0, "a MESSAGE is answered (%zd bytes)", n);
	out[n > 0 ? n : 0] = '\0';
	ok(strncmp(out, "SIP/2.0 503 Service Unavailable\r\n", 33) == 0,
	    "status line 503");
	ok(strstr(out, "\r\nVia: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK-1"
	    ";received=192.0.2.7;rport=40000\r\n") != NULL,
	    "top Via: received and the rport value");
	ok(strstr(out, "\r\nVia: SIP/2.0/UDP proxy.example;branch=z9hG4bKold"
	    "\r\n") != NULL, "the second Via as it was");
	ok(strstr(out, "\r\nFrom: <sip:alice@example.org>;tag=a1\r\n") !=
	    NULL, "From");
	ok(strstr(out, "\r\nTo: <sip:+4930123@gw>;tag=") != NULL,
	    "To gets a tag");
	ok(strstr(out, "\r\nCall-ID: c1@example.org\r\n") != NULL, "Call-ID");
	ok(strstr(out, "\r\nCSeq: 1 MESSAGE\r\n") != NULL, "CSeq");
	ok(strstr(out, "\r\nRetry-After: 5\r\n") != NULL, "Retry-After");
	ok(strstr(out, "\r\nServer: imgate/test\r\n") != NULL, "Server");
	ok(n > 24 && strcmp(out + n - 23, "Content-Length: 2\r\n\r\n") != 0 &&
	    strcmp(out + n - 23, "\r\nContent-Length: 0\r\n\r\n") == 0,
	    "Content-Length: 0 and the end of the headers, no body");
	ok(strstr(out, "Max-Forwards") == NULL &&
	    strstr(out, "Content-Type") == NULL && strstr(out, "hi") == NULL,
	    "nothing else copied");
	ok(strstr(out, "oc=") == NULL, "no oc when not asked");
	is_int(port, 40000, "rport: to the source port");

	m = REQ("Via: SIP/2.0/UDP [2001:db8::1]:5071;branch=z9hG4bK-2\r\n",
	    "To: \"Bob; tag=x\" <sip:+4930123@gw;tag=u>;tag=t9\r\n");
	n = refuse(m, out, sizeof(out), &port, NULL);
	out[n > 0 ? n : 0] = '\0';
	is_int(port, 5071, "no rport: to the sent-by port");
	ok(strstr(out, "\r\nTo: \"Bob; tag=x\" <sip:+4930123@gw;tag=u>;tag=t9"
	    "\r\n") != NULL, "a To with a tag is kept as it was");
	ok(strstr(out, ";branch=z9hG4bK-2;received=192.0.2.7\r\n") != NULL &&
	    strstr(out, "rport") == NULL, "no rport asked, none written");

	m = REQ("Via: SIP/2.0/UDP host.example;branch=z9hG4bK-3;oc;"
	    "oc-algo=\"loss,rate\";received=10.0.0.1\r\n",
	    "t: <sip:+4930123@gw>\r\n");
	overload_init(&ol, 100);
	ol.drop = 35;
	ol.seq = 12345678;
	n = refuse(m, out, sizeof(out), &port, &ol);
	out[n > 0 ? n : 0] = '\0';
	is_int(port, 5060, "no port in sent-by: 5060");
	ok(strstr(out, "\r\nVia: SIP/2.0/UDP host.example;branch=z9hG4bK-3"
	    ";received=192.0.2.7;oc=35;oc-validity=500;oc-seq=12345.678;"
	    "oc-algo=\"loss\"\r\n") != NULL,
	    "oc asked: the share in the top Via, the old received replaced");
	ok(strstr(out, "\r\nt: <sip:+4930123@gw>;tag=") != NULL,
	    "compact To gets its tag");

	m = REQ("Via: SIP/2.0/UDP h;branch=z9hG4bK-4;oc;oc-algo=\"rate\"\r\n",
	    "To: <sip:x@gw>\r\n");
	n = refuse(m, out, sizeof(out), &port, &ol);
	out[n > 0 ? n : 0] = '\0';
	ok(n > 0 && strstr(out, ";branch=z9hG4bK-4;oc;oc-algo=\"rate\";"
	    "received=192.0.2.7\r\n") != NULL,
	    "oc without loss: the parameters as they came, no feedback");

	/* An oc-algo without a value: nothing to copy (the copy from a
	 * NULL value was undefined behaviour, caught by UBSan). */
	m = REQ("Via: SIP/2.0/UDP h;branch=z9hG4bK-5;oc;oc-algo\r\n",
	    "To: <sip:x@gw>\r\n");
	n = refuse(m, out, sizeof(out), &port, &ol);
	out[n > 0 ? n : 0] = '\0';
	ok(n > 0 && strstr(out, ";branch=z9hG4bK-5;oc;oc-algo;"
	    "received=192.0.2.7\r\n") != NULL,
	    "oc-algo without a value: no algorithm in common, no feedback");
}

static void
test_left_to_the_stack(void)
{
	char		 out[OVERLOAD_SIP_MAX];
	uint16_t	 port;
	const struct {
		const char	*req, *why;
	} t[] = {
		{ REQ("Via: SIP/2.0/TCP h;branch=z9hG4bK-1\r\n",
		    "To: <sip:x@gw>\r\n"), "a Via over TCP" },
		{ REQ("Via: SIP/2.0/UDP h;branch=z9hG4bK-1;maddr=224.0.0.1\r\n",
		    "To: <sip:x@gw>\r\n"), "maddr" },
		{ REQ("Via: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n",
		    "To: <sip:x@gw>\r\nTo: <sip:y@gw>\r\n"), "two To" },
		{ REQ("Via: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n",
		    "To: <sip:x@gw>\r\n  ;tag=folded\r\n"), "a folded line" },
		{ REQ("Via: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n", ""),
		    "no To" },
		{ REQ("Via: SIP/2.0/UDP h:99999;branch=z9hG4bK-1\r\n",
		    "To: <sip:x@gw>\r\n"), "a bad sent-by port" },
		{ "MESSAGE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=b\r\n"
		    "From: <sip:a@b>;tag=1\r\nTo: <sip:x@gw>\r\n"
		    "CSeq: 1 MESSAGE\r\n\r\n", "no Call-ID" },
		{ "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=b\r\n"
		    "From: <sip:a@b>;tag=1\r\nTo: <sip:x@gw>\r\n"
		    "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n", "not a MESSAGE" },
	};
	const char	*m = REQ("Via: SIP/2.0/UDP h;branch=z9hG4bK-1\r\n",
	    "To: <sip:x@gw>\r\n");

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(refuse(t[i].req, out, sizeof(out), &port, NULL), -1,
		    "left to the stack: %s", t[i].why);
	is_int(refuse(m, out, 100, &port, NULL), -1,
	    "an answer that does not fit: -1");
	ok(refuse(m, out, sizeof(out), &port, NULL) > 0,
	    "... and the same request fits a full buffer");
}

int
main(void)
{
	test_scan();
	test_refuse();
	test_left_to_the_stack();
	return done_testing();
}
