/*
 * tests/unit/test_overload_sip_diff.c - gateway/overload_sip's scanner
 * and refusal against the code they replaced (tests/unit/
 * overload_sip_ref.c), on generated requests.
 *
 * The scanner runs on every MESSAGE read and was rewritten to cost
 * fewer instructions (a class table, the first Via value's end found
 * by the Via parser itself, no memset of unused parameter slots); what
 * it decides must not change.  Seed requests (Via values with quoted
 * parameters, commas, IPv6 sent-bys, LWS in odd places, compact names,
 * several Vias, oc parameters) are mutated at random (a fixed seed, so
 * every run tries the same inputs): bytes inserted, deleted or replaced,
 * mostly in the top Via and from an alphabet of the characters the
 * grammar cares about.  For each, both overload_sip_scan() results
 * (kind, branch position and length, key) and both
 * overload_sip_refuse() results (length, port, every byte, with and
 * without an overload state that answers oc) must be equal.  The counts
 * of requests classified MESSAGE, refused and not refused are asserted
 * to be large, so that the comparison cannot pass on inputs that all
 * fail early.  TAP.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/overload_sip.h"
#include "tests/tap.h"

#include "tests/unit/overload_sip_ref.c"

#define HEAD	"MESSAGE sip:+4930123@gw.example SIP/2.0\r\n"
#define TAIL							\
	"Max-Forwards: 70\r\n"					\
	"From: <sip:alice@example.org>;tag=a1\r\n"		\
	"To: <sip:+4930123@gw>\r\n"				\
	"Call-ID: c1@example.org\r\n"				\
	"CSeq: 1 MESSAGE\r\n"					\
	"Content-Length: 2\r\n"					\
	"\r\n"							\
	"hi"

static const char *const seeds[] = {
	HEAD "Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK-1;rport\r\n"
	    TAIL,
	HEAD "Via: SIP/2.0/UDP h.example;branch=z9hG4bK-2 , SIP/2.0/UDP "
	    "p;branch=z9hG4bKx\r\n" TAIL,
	HEAD "v: SIP/2.0/UDP [2001:db8::1]:5062 ;branch = z9hG4bK-3 ;"
	    "received=10.0.0.1\r\nVia: SIP/2.0/UDP p;branch=z9hG4bKo\r\n"
	    TAIL,
	HEAD "Via:SIP/2.0/UDP host.example;branch=z9hG4bK-4;oc;"
	    "oc-algo=\"loss,rate\";x=\"a\\\"b,c\"  \r\n" TAIL,
	HEAD "VIA :  sip/2.0/udp 2001:db8::2;rport=1;branch=z9hG4bK-5;"
	    "maddr=1.2.3.4\r\n" TAIL,
	HEAD "Via: SIP/2.0/UDP h;branch=\"z9hG4bK-6\";oc=5;oc-seq=1.2 ,"
	    "SIP/2.0/TCP q\r\n" TAIL,
	HEAD "Via: SIP/2.0/UDP h\t;\tbranch\t=\tz9hG4bK-7\t;\tfoo\t;bar="
	    "[::1]\t\r\n" TAIL,
	HEAD "Via: SIP/2.0/UDP h:5070;branch=z9hG4bK-8\r\n"
	    "f: <sip:a@b>;tag=1\r\nt: \"Bob; tag=x\" <sip:c@d;tag=u>\r\n"
	    "i: c8\r\nCSeq: 8 MESSAGE\r\n\r\n",
	HEAD "VIA: sip/2.0/Udp H;BRANCH=z9hG4bK-b;RPORT\r\nFROM: <sip:a@b>;"
	    "TAG=1\r\ntO: <sip:c@d>\r\nCALL-ID: cb\r\ncSeQ: 9 MESSAGE\r\n"
	    "\r\n",
	"OPTIONS sip:gw SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-9\r\n"
	    "\r\n",
	"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-a\r\n\r\n",
};

/* What the grammar looks at, and some bytes it does not. */
static const char	 alphabet[] =
    ",;=\"\\ \t:[]/.-abcvVZ09IDSP\r\n\x80\xff\0";

static uint64_t		 rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Where the top Via's line is in @b (the second line), for bias. */
static void
via_span(const char *b, size_t n, size_t *s, size_t *e)
{
	const char	*l1 = memchr(b, '\n', n), *l2;

	*s = l1 != NULL ? (size_t)(l1 - b) + 1 : 0;
	l2 = *s < n ? memchr(b + *s, '\n', n - *s) : NULL;
	*e = l2 != NULL ? (size_t)(l2 - b) : n;
}

static size_t
mutate(char *b, size_t n, size_t cap)
{
	unsigned	 k = 1 + rnd(4);

	for (unsigned i = 0; i < k && n > 0; i++) {
		size_t	 s, e, at;
		char	 c = alphabet[rnd(sizeof(alphabet) - 1)];

		via_span(b, n, &s, &e);
		at = rnd(4) != 0 && e > s ? s + rnd((uint32_t)(e - s)) :
		    rnd((uint32_t)n);
		switch (rnd(3)) {
		case 0:			/* insert */
			if (n + 1 > cap)
				break;
			memmove(b + at + 1, b + at, n - at);
			b[at] = c;
			n++;
			break;
		case 1:			/* delete */
			memmove(b + at, b + at + 1, n - at - 1);
			n--;
			break;
		default:		/* replace */
			b[at] = c;
			break;
		}
	}
	return n;
}

/* @b as one printable line, for a diagnostic. */
static const char *
shown(const char *b, size_t n)
{
	static char	 out[4 * 1024 + 1];
	size_t		 o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof(out); i++) {
		unsigned char	 c = (unsigned char)b[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
	}
	out[o] = '\0';
	return out;
}

int
main(void)
{
	struct overload		 ol;
	unsigned long		 runs = 0, scan_diff = 0, ref_diff = 0;
	unsigned long		 messages = 0, refused = 0, unrefused = 0;
	char			 buf[1024];

	overload_init(&ol, 100);
	ol.drop = 35;
	ol.seq = 12345678;
	for (unsigned i = 0; i < 300000; i++) {
		const char	*seed = seeds[rnd(sizeof(seeds) /
		    sizeof(seeds[0]))];
		size_t		 n = strlen(seed);
		struct overload_sip_req a, b;
		struct overload_sip_answer an = { "192.0.2.7", 40000, 5,
		    "imgate/test", NULL };
		char		 o1[1500], o2[1500];
		uint16_t	 p1 = 0, p2 = 0;
		ssize_t		 n1, n2;

		memcpy(buf, seed, n);
		if (i > 0)
			n = mutate(buf, n, sizeof(buf));
		runs++;
		if (overload_sip_scan(buf, n, &a) !=
		    ref_overload_sip_scan(buf, n, &b) ||
		    a.kind != b.kind || a.branch != b.branch ||
		    a.branchlen != b.branchlen || a.key != b.key) {
			if (scan_diff++ < 5)
				diag("scan differs on: %s", shown(buf, n));
		}
		if (b.kind == OVERLOAD_SIP_MESSAGE)
			messages++;
		an.ol = (i & 1) != 0 ? &ol : NULL;
		/* An output a little short at times: the cap's path too. */
		n1 = overload_sip_refuse(buf, n, &an, o1, (i % 7) == 0 ?
		    200 : sizeof(o1), &p1);
		n2 = ref_overload_sip_refuse(buf, n, &an, o2, (i % 7) == 0 ?
		    200 : sizeof(o2), &p2);
		/* On -1 the caller uses neither the port nor the bytes. */
		if (n1 != n2 || (n1 >= 0 && (p1 != p2 ||
		    memcmp(o1, o2, (size_t)n1) != 0))) {
			if (ref_diff++ < 5)
				diag("refusal differs (%zd, %zd) on: %s",
				    n1, n2, shown(buf, n));
		}
		if (n2 > 0)
			refused++;
		else if (b.kind == OVERLOAD_SIP_MESSAGE)
			unrefused++;
	}
	diag("%lu requests, %lu MESSAGE, %lu refused, %lu MESSAGE not "
	    "refused", runs, messages, refused, unrefused);
	is_int((long)scan_diff, 0, "overload_sip_scan() as before on %lu "
	    "generated requests", runs);
	is_int((long)ref_diff, 0, "overload_sip_refuse() as before, byte "
	    "for byte");
	ok(messages > runs / 10, "many of them MESSAGE with a branch (%lu)",
	    messages);
	ok(refused > runs / 20, "many refused (%lu)", refused);
	ok(unrefused > runs / 50, "many MESSAGE not refusable (%lu)",
	    unrefused);
	return done_testing();
}
