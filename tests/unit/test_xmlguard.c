/*
 * tests/unit/test_xmlguard.c - the caps on the component's XML stream
 * (gateway/xmlguard).
 *
 * Asserted, from a table of streams, each fed whole and again in pieces
 * of 1, 2, 3, 7 and 4096 bytes (the verdict and the bytes accepted must
 * not depend on how reads cut the stream):
 * a real stream (declaration, root, handshake, messages, whitespace
 * keepalives, the close) passes; a stanza nested XMLGUARD_MAX_DEPTH deep
 * passes and one level deeper is refused at that element's name, and so
 * are 200 000 levels, early; a stanza of exactly the byte cap passes, a
 * byte more is refused at that byte, in text and in markup, and so is a
 * stream header over the cap; whitespace between stanzas counts toward
 * no cap, and each stanza starts from 0; '>' and '/' inside quoted
 * attribute values, empty elements and CDATA sections (with "<a>" and
 * "]]]>" in them) do not move the depth; a comment, a processing
 * instruction inside the root, a DOCTYPE and a malformed "<![" are
 * restricted XML, the XML declaration before the root is not; once
 * refused, every later feed takes 0 bytes; a cap lowered mid-stanza
 * refuses the next byte; cap 0 means none; the explanations name the
 * cap.  And 3 000 random streams of XML pieces, well-formed or not,
 * under random caps: cut at random into reads, each gives the same
 * verdict, the same bytes taken and the same state as fed whole.  TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/xmlguard.h"
#include "tests/tap.h"
#include "tests/xorshift.h"

#define HDR	"<?xml version='1.0'?><stream:stream " \
		"xmlns='jabber:component:accept' " \
		"xmlns:stream='http://etherx.jabber.org/streams' " \
		"from='gw.test' id='s1'>"
/* A root start tag shorter than any stanza here, for the byte caps. */
#define ROOT	"<s>"
#define MSG	"<message to='+12025550100@gw.test' from='a@b/c' id='m1'>" \
		"<body>hello</body></message>"

/* Byte offset of @needle's @nth (from 1) occurrence in @hay, plus @add. */
static size_t
at(const char *hay, const char *needle, int nth, size_t add)
{
	const char	*p = hay;

	for (int i = 0; i < nth; i++) {
		if ((p = strstr(i == 0 ? p : p + 1, needle)) == NULL)
			abort();
	}
	return (size_t)(p - hay) + add;
}

/* A stanza nested @levels deep, its <message> included. */
static char *
nested(int levels, const char *tail)
{
	size_t	 cap = strlen(HDR) + (size_t)levels * 8 + 200 + strlen(tail);
	char	*s = malloc(cap);
	size_t	 n;

	if (s == NULL)
		abort();
	n = (size_t)snprintf(s, cap, "%s<message to='x@gw.test'>", HDR);
	for (int i = 1; i < levels; i++)
		n += (size_t)snprintf(s + n, cap - n, "<a>");
	for (int i = 1; i < levels; i++)
		n += (size_t)snprintf(s + n, cap - n, "</a>");
	snprintf(s + n, cap - n, "</message>%s", tail);
	return s;
}

/* Feed @s in pieces of @piece bytes (0: whole); @return bytes taken. */
static size_t
feed(struct xmlguard *g, const char *s, size_t len, size_t piece)
{
	size_t	 taken = 0;

	if (piece == 0)
		piece = len;
	for (size_t off = 0; off < len; off += piece) {
		size_t	 n = len - off < piece ? len - off : piece;
		size_t	 got = xmlguard_feed(g, s + off, n);

		taken += got;
		if (got < n)
			break;
	}
	return taken;
}

struct gcase {
	const char		*name;
	char			*stream;	/* owned */
	uint64_t		 max;
	enum xmlguard_verdict	 want;
	size_t			 taken;		/* (size_t)-1: all of it */
	uint32_t		 depth;		/* open after it, when OK */
};

static void
run(const struct gcase *c)
{
	static const size_t pieces[] = { 0, 1, 2, 3, 7, 4096 };
	size_t	 len = strlen(c->stream);
	size_t	 want = c->taken == (size_t)-1 ? len : c->taken;

	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		struct xmlguard	 g;
		size_t		 got;

		xmlguard_init(&g, c->max);
		got = feed(&g, c->stream, len, pieces[i]);
		if (i == 0) {
			is_int(xmlguard_verdict(&g), c->want, "%s: verdict",
			    c->name);
			is_int(got, want, "%s: %zu bytes taken", c->name,
			    want);
			if (c->want == XMLGUARD_OK)
				is_int(g.depth, c->depth, "%s: %u open after",
				    c->name, c->depth);
			else
				is_int(xmlguard_feed(&g, "<x/>", 4), 0,
				    "%s: nothing taken after", c->name);
		} else if (xmlguard_verdict(&g) != c->want || got != want) {
			ok(0, "%s: in pieces of %zu: verdict %d, %zu taken",
			    c->name, pieces[i], xmlguard_verdict(&g), got);
			return;
		}
	}
	ok(1, "%s: the same in pieces of 1, 2, 3, 7 and 4096 bytes",
	    c->name);
}

static char *
dup(const char *s)
{
	char	*d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

/* @n copies of @unit between @pre and @post. */
static char *
repeat(const char *pre, const char *unit, size_t n, const char *post)
{
	size_t	 ul = strlen(unit), len = strlen(pre) + ul * n + strlen(post);
	char	*s = malloc(len + 1), *p;

	if (s == NULL)
		abort();
	p = s + strlen(strcpy(s, pre));
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	strcpy(p, post);
	return s;
}

static void
test_table(void)
{
	struct gcase	 cs[32];
	size_t		 n = 0, msglen = strlen(MSG);
	char		*s;

	cs[n++] = (struct gcase){ "a real stream", dup(HDR
	    "<handshake/>" MSG "\n  \n" MSG " "
	    "<presence from='a@b/c' to='x@gw.test' type='unavailable'/>"
	    "<iq type='get' id='q'><query xmlns='jabber:iq:version'/></iq>"
	    "</stream:stream>"), 10000, XMLGUARD_OK, (size_t)-1, 0 };
	cs[n++] = (struct gcase){ "the stream still open", dup(HDR MSG),
	    10000, XMLGUARD_OK, (size_t)-1, 1 };
	cs[n++] = (struct gcase){ "nested XMLGUARD_MAX_DEPTH deep",
	    nested(XMLGUARD_MAX_DEPTH, MSG), 0, XMLGUARD_OK, (size_t)-1, 1 };
	s = nested(XMLGUARD_MAX_DEPTH + 1, "");
	cs[n++] = (struct gcase){ "a level deeper", s, 0,
	    XMLGUARD_TOO_DEEP, at(s, "<a>", XMLGUARD_MAX_DEPTH, 1), 0 };
	s = nested(200000, "");
	cs[n++] = (struct gcase){ "200 000 levels: refused early", s, 0,
	    XMLGUARD_TOO_DEEP, at(s, "<a>", XMLGUARD_MAX_DEPTH, 1), 0 };
	cs[n++] = (struct gcase){ "a stanza of exactly the cap",
	    dup(ROOT MSG MSG), msglen, XMLGUARD_OK, (size_t)-1, 1 };
	s = dup(ROOT "<message><body>hello</body></message>");
	cs[n++] = (struct gcase){ "a byte over the cap, in markup", s, 10,
	    XMLGUARD_TOO_BIG, at(s, "<message>", 1, 10), 0 };
	s = repeat(HDR "<message><body>", "x", 100000, "</body></message>");
	cs[n++] = (struct gcase){ "a byte over the cap, in text", s, 1000,
	    XMLGUARD_TOO_BIG, strlen(HDR) + 1000, 0 };
	s = repeat(ROOT, "\n ", 100000, MSG MSG);
	cs[n++] = (struct gcase){ "keepalives count toward no cap", s,
	    msglen, XMLGUARD_OK, (size_t)-1, 1 };
	s = dup(HDR);
	cs[n++] = (struct gcase){ "a stream header over the cap", s, 50,
	    XMLGUARD_TOO_BIG, at(s, "<stream:stream", 1, 50), 0 };
	cs[n++] = (struct gcase){ "'>' and '/' in quoted values",
	    dup(HDR "<message to='a>b' id=\"c/>d\" x='\"'><body a=\"'>\">1"
	    "</body></message>" MSG), 10000, XMLGUARD_OK, (size_t)-1, 1 };
	s = repeat(HDR "<message>", "<x/><y a='1'/>", 1000, "</message>");
	cs[n++] = (struct gcase){ "empty elements open nothing", s, 0,
	    XMLGUARD_OK, (size_t)-1, 1 };
	cs[n++] = (struct gcase){ "CDATA: <a> and ]]]> inside",
	    dup(HDR "<message><body><![CDATA[<a><a><a> ]] ]]]>x</body>"
	    "</message>" MSG), 10000, XMLGUARD_OK, (size_t)-1, 1 };
	s = dup(HDR "<!-- hi -->" MSG);
	cs[n++] = (struct gcase){ "a comment between stanzas", s, 10000,
	    XMLGUARD_RESTRICTED, at(s, "<!--", 1, 2), 0 };
	s = dup(HDR "<message><!-- hi --></message>");
	cs[n++] = (struct gcase){ "a comment in a stanza", s, 10000,
	    XMLGUARD_RESTRICTED, at(s, "<!--", 1, 2), 0 };
	s = dup(HDR "<message><?pi x?></message>");
	cs[n++] = (struct gcase){ "a processing instruction in the root",
	    s, 10000, XMLGUARD_RESTRICTED, at(s, "<?pi", 1, 1), 0 };
	s = dup("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>" HDR);
	cs[n++] = (struct gcase){ "a DOCTYPE", s, 10000,
	    XMLGUARD_RESTRICTED, at(s, "<!DOCTYPE", 1, 2), 0 };
	s = dup(HDR "<message><![INCLUDE[x]]></message>");
	cs[n++] = (struct gcase){ "a malformed <![", s, 10000,
	    XMLGUARD_RESTRICTED, at(s, "<![", 1, 3), 0 };
	cs[n++] = (struct gcase){ "'/' not before '>' in a start tag",
	    dup(HDR "<message a='1'/ b='2'><body>x</body></message>"), 0,
	    XMLGUARD_OK, (size_t)-1, 1 };
	cs[n++] = (struct gcase){ "cap 0: no byte cap",
	    repeat(HDR "<message><body>", "x", 200000, "</body></message>"),
	    0, XMLGUARD_OK, (size_t)-1, 1 };

	for (size_t i = 0; i < n; i++) {
		run(&cs[i]);
		free(cs[i].stream);
	}
}

static void
test_lowered(void)
{
	struct xmlguard	 g;
	char		 why[128];

	xmlguard_init(&g, 1000);
	is_int(xmlguard_feed(&g, HDR "<message><body>", strlen(HDR) + 15),
	    strlen(HDR) + 15, "a stanza begins under a cap of 1000");
	xmlguard_set_max(&g, 10);
	is_int(xmlguard_feed(&g, "x", 1), 0,
	    "the cap lowered under what was read: the next byte refused");
	is_int(xmlguard_verdict(&g), XMLGUARD_TOO_BIG, "... too big");
	xmlguard_explain(&g, why, sizeof(why));
	is_str(why, "a stanza longer than 10 bytes (xmpp.max_stanza)",
	    "explained with the cap");

	xmlguard_init(&g, 0);
	xmlguard_explain(&g, why, sizeof(why));
	is_str(why, "within the caps", "nothing refused: said so");
	g.verdict = XMLGUARD_TOO_DEEP;
	xmlguard_explain(&g, why, sizeof(why));
	ok(strstr(why, "deeper than 64 elements") != NULL,
	    "too deep: explained with the depth (%s)", why);
	g.verdict = XMLGUARD_RESTRICTED;
	xmlguard_explain(&g, why, 12);
	is_int(strlen(why), 11, "explained into a short buffer: cut, ended");
}

/* Random streams: the verdict and state do not depend on the reads. */
static void
test_random_cuts(void)
{
	static const char *const piece[] = { "<a>", "</a>", "<b/>", "<c x='",
	    "\"", "'", "/", ">", "text ", "<![CDATA[", "]]>", "]", "<!--",
	    "<?x?>", "<", "\n", "<m to='a>b'>", "</m>", "&amp;" };
	char		 s[2048];
	int		 bad = 0;

	for (int round = 0; round < 3000 && !bad; round++) {
		struct xmlguard	 whole, cut;
		size_t		 len = 0, taken_w, taken_c = 0;
		uint64_t	 max = next_rand() % 4 == 0 ? 0 :
		    8 + next_rand() % 200;

		len = (size_t)snprintf(s, sizeof(s), "%s", ROOT);
		while (len < sizeof(s) - 32) {
			const char *p = piece[next_rand() %
			    (sizeof(piece) / sizeof(piece[0]))];

			memcpy(s + len, p, strlen(p));
			len += strlen(p);
			if (next_rand() % 64 == 0)
				break;
		}
		xmlguard_init(&whole, max);
		xmlguard_init(&cut, max);
		taken_w = xmlguard_feed(&whole, s, len);
		for (size_t off = 0; off < len; ) {
			size_t	 n = 1 + next_rand() % 9, got;

			if (n > len - off)
				n = len - off;
			got = xmlguard_feed(&cut, s + off, n);
			taken_c += got;
			if (got < n)
				break;
			off += n;
		}
		if (taken_w != taken_c || whole.verdict != cut.verdict ||
		    whole.depth != cut.depth || whole.state != cut.state ||
		    whole.stanza_bytes != cut.stanza_bytes ||
		    taken_w > len || (whole.verdict == XMLGUARD_OK) !=
		    (taken_w == len)) {
			diag("round %d, cap %llu: taken %zu/%zu, verdict "
			    "%d/%d, depth %u/%u, state %d/%d, bytes "
			    "%llu/%llu (whole/cut): %.*s", round,
			    (unsigned long long)max, taken_w, taken_c,
			    whole.verdict, cut.verdict, whole.depth,
			    cut.depth, whole.state, cut.state,
			    (unsigned long long)whole.stanza_bytes,
			    (unsigned long long)cut.stanza_bytes, (int)len, s);
			bad = 1;
		}
	}
	ok(!bad, "3 000 random streams: the same fed whole and in random "
	    "reads");
}

int
main(void)
{
	test_table();
	test_random_cuts();
	test_lowered();
	done_testing();
	return 0;
}
