/*
 * tests/unit/test_sipgw_screen.c - the SIP edge's caps and hop count.
 *
 * Raw requests, as bytes, go through sofia-sip's parser (msg_make with
 * the default SIP message class, as nta parses what it reads) and then
 * through sipgw_screen(), the function imgated runs on every request
 * before anything is copied or relayed.  Each row says what the sender
 * must get and, for a request that may go on, the Max-Forwards of the
 * forwarded copy.  TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>

#include "gateway/sipgw_screen.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct sipgw_caps caps = { 100, 300, 1200, 20 };

/* A MESSAGE with @extra header lines and @body. */
static size_t
request(char *buf, size_t bufsz, const char *method, const char *extra,
    const char *body)
{
	int	 n;

	n = snprintf(buf, bufsz,
	    "%s sip:+12025550100@gw.test SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
	    "From: <sip:a@127.0.0.1>;tag=1\r\n"
	    "To: <sip:+12025550100@gw.test>\r\n"
	    "Call-ID: 1@test\r\n"
	    "CSeq: 1 %s\r\n"
	    "%s"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    method, method, extra, strlen(body), body);
	return n < 0 || (size_t)n >= bufsz ? 0 : (size_t)n;
}

static int
screen(const char *raw, size_t len, struct sipgw_verdict *v)
{
	msg_t	*msg = msg_make(sip_default_mclass(), 0, raw, (ssize_t)len);
	sip_t	*sip = msg != NULL ? sip_object(msg) : NULL;
	int	 code = -1;

	if (sip != NULL && sip->sip_request != NULL)
		code = sipgw_screen(sip, (size_t)msg_size(msg), &caps, v);
	msg_destroy(msg);
	return code;
}

static char	 many[4096];
static char	 longline[512];
static char	 bigblock[2048];

static const struct row {
	const char	*what;
	const char	*method;
	const char	*extra;
	const char	*body;
	int		 code;
	int		 max_forwards;	/* when code is 0 */
} rows[] = {
	{ "no Max-Forwards: 70 forwarded", "MESSAGE", "", "hi", 0, 70 },
	{ "Max-Forwards 70 -> 69", "MESSAGE", "Max-Forwards: 70\r\n", "hi",
	    0, 69 },
	{ "Max-Forwards 1 -> 0", "MESSAGE", "Max-Forwards: 1\r\n", "hi", 0,
	    0 },
	{ "Max-Forwards 255 -> 254", "MESSAGE", "Max-Forwards: 255\r\n", "",
	    0, 254 },
	{ "Max-Forwards 0 -> 483", "MESSAGE", "Max-Forwards: 0\r\n", "hi",
	    483, 0 },
	{ "Max-Forwards 256 -> 400", "MESSAGE", "Max-Forwards: 256\r\n",
	    "hi", 400, 0 },
	{ "Max-Forwards -1 -> 400", "MESSAGE", "Max-Forwards: -1\r\n", "hi",
	    400, 0 },
	{ "Max-Forwards letters -> 400", "MESSAGE", "Max-Forwards: ten\r\n",
	    "hi", 400, 0 },
	{ "Max-Forwards huge -> 400", "MESSAGE",
	    "Max-Forwards: 99999999999999999999999\r\n", "hi", 400, 0 },
	{ "two Max-Forwards -> 400", "MESSAGE",
	    "Max-Forwards: 5\r\nMax-Forwards: 6\r\n", "hi", 400, 0 },
	{ "OPTIONS with Max-Forwards 0 is answered by imgate", "OPTIONS",
	    "Max-Forwards: 0\r\n", "", 0, 70 },
	{ "body over the cap -> 413", "MESSAGE", "",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890", 413, 0 },
	{ "body at the cap passes", "MESSAGE", "",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "123456789012345678901234567890123456789", 0, 70 },
	{ "too many headers -> 513", "MESSAGE", many, "hi", 513, 0 },
	{ "a header line over the cap -> 513", "MESSAGE", longline, "hi",
	    513, 0 },
	{ "a header block over the cap -> 513", "MESSAGE", bigblock, "hi",
	    513, 0 },
};

int
main(void)
{
	char			 buf[8192];
	struct sipgw_verdict	 v;
	size_t			 i, n;
	int			 code;

	/* 30 small headers: over 20, under every size cap. */
	for (i = 0, n = 0; i < 30; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n,
		    "X-%zu: a\r\n", i);
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "Subject: ", 9);
	memcpy(longline + 400, "\r\n", 3);
	/* 5 lines of 250 bytes: each under 300, 1250 together. */
	for (i = 0, n = 0; i < 5; i++) {
		n += (size_t)snprintf(bigblock + n, sizeof(bigblock) - n,
		    "X-B%zu: ", i);
		memset(bigblock + n, 'b', 240);
		n += 240;
		n += (size_t)snprintf(bigblock + n, sizeof(bigblock) - n,
		    "\r\n");
	}
	plan((int)(2 * NELEM(rows) + 2));
	for (i = 0; i < NELEM(rows); i++) {
		const struct row *r = &rows[i];

		n = request(buf, sizeof(buf), r->method, r->extra, r->body);
		code = screen(buf, n, &v);
		is_int(code, r->code, "%s: status", r->what);
		if (r->code == 0)
			is_int(v.max_forwards, r->max_forwards,
			    "%s: Max-Forwards forwarded", r->what);
		else
			ok(v.why != NULL && v.phrase != NULL,
			    "%s: says why (%s)", r->what,
			    v.why != NULL ? v.why : "-");
	}
	/* The message as received counts, not what sofia kept of it. */
	n = request(buf, sizeof(buf), "MESSAGE", longline, "hi");
	/* (screen() first: argument evaluation order is unspecified.) */
	code = screen(buf, n, &v);
	ok(code == 513 && v.value > 300 && v.limit == 300,
	    "the refusal reports the size and the cap (%lld > %lld)",
	    (long long)v.value, (long long)v.limit);
	n = request(buf, sizeof(buf), "MESSAGE", "Max-Forwards: 0\r\n",
	    "hi");
	code = screen(buf, n, &v);
	ok(code == 483 && v.phrase != NULL &&
	    strlen(v.phrase) > 0, "483 carries a phrase (%s)",
	    v.phrase != NULL ? v.phrase : "-");
	return done_testing();
}
