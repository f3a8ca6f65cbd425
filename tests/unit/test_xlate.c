/*
 * tests/unit/test_xlate.c - table-driven tests of gateway/xlate.
 *
 * The translation step at both edges of the flow: XEP-0106 escaping both
 * ways (all ten sequences, the \5c rule, round trips), SIP URI <-> JID
 * (RFC 7247 / RFC 7572, GRUU, parameters dropped, percent-encoding of
 * non-ASCII), the gateway-domain sender forms (docs/ARCHITECTURE.md,
 * "Addresses"), JID -> im: (RFC 3922), the message/cpim parser (RFC
 * 3862), content types, UTF-8/XML text checks, the 1300-byte rule and the
 * RFC 7572 message mapping.  Every public interworking vector of
 * tests/integration/vectors-public.json is a row below (IW-nnn in a
 * comment); the error
 * vectors run against gateway/status, which owns those tables.  TAP.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/status.h"
#include "gateway/xlate/xlate.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define GW		"gw.example.org"

/* One string-to-string mapping and its expected status. */
struct map_row {
	const char		*in;
	const char		*want;	/* "" when st != XLATE_OK */
	enum xlate_status	 st;
};

typedef enum xlate_status map_fn(const char *, char *, size_t);

static void	run_map(const char *, map_fn *, const struct map_row *,
		    size_t);
static enum xlate_status sender_to_gw(const char *, char *, size_t);
static enum xlate_status gw_to_sip(const char *, char *, size_t);
static enum xlate_status xsender_to_gw(const char *, char *, size_t);
static enum xlate_status gw_to_xmpp(const char *, char *, size_t);
static enum xlate_status esc_str(const char *, char *, size_t);
static enum xlate_status unesc_str(const char *, char *, size_t);
static void	test_escape(void);
static void	test_escape_roundtrip(void);
static void	test_split(void);
static void	test_addresses(void);
static void	test_gateway(void);
static void	test_im(void);
static void	test_no_space(void);
static void	test_cpim(void);
static void	test_cpim_unescape(void);
static void	test_ctype(void);
static void	test_utf8(void);
static void	test_size(void);
static void	test_status_vectors(void);
static void	test_sip_to_xmpp_msg(void);
static void	test_xmpp_to_sip_msg(void);
static void	test_strstatus(void);

static void
run_map(const char *what, map_fn *fn, const struct map_row *rows, size_t n)
{
	char			 out[XLATE_URI_SIZE];
	enum xlate_status	 st;

	for (size_t i = 0; i < n; i++) {
		memset(out, 'X', sizeof(out));
		st = fn(rows[i].in, out, sizeof(out));
		if (!is_int(st, rows[i].st, "%s(\"%s\") status %s", what,
		    rows[i].in, xlate_strstatus(rows[i].st)))
			diag("got %s", xlate_strstatus(st));
		is_str(out, rows[i].want, "%s(\"%s\") = \"%s\"", what,
		    rows[i].in, rows[i].want);
	}
}

static enum xlate_status
sender_to_gw(const char *in, char *out, size_t sz)
{
	return xlate_sip_sender_to_gw_jid(in, GW, out, sz);
}

static enum xlate_status
gw_to_sip(const char *in, char *out, size_t sz)
{
	return xlate_gw_jid_to_sip(in, GW, out, sz);
}

static enum xlate_status
xsender_to_gw(const char *in, char *out, size_t sz)
{
	return xlate_xmpp_sender_to_gw_sip(in, GW, out, sz);
}

static enum xlate_status
gw_to_xmpp(const char *in, char *out, size_t sz)
{
	return xlate_gw_sip_to_xmpp(in, GW, out, sz);
}

static enum xlate_status
esc_str(const char *in, char *out, size_t sz)
{
	return xlate_jid_escape(in, strlen(in), out, sz);
}

static enum xlate_status
unesc_str(const char *in, char *out, size_t sz)
{
	return xlate_jid_unescape(in, strlen(in), out, sz);
}

/*
 * XEP-0106.  Rows are (raw, escaped): escape maps raw to escaped, and
 * for the OK rows unescape maps escaped back to raw.
 */
static const struct map_row escape_rows[] = {
	/* the nine characters, one at a time */
	{ "a b", "a\\20b", XLATE_OK },
	{ "a\"b", "a\\22b", XLATE_OK },
	{ "a&b", "a\\26b", XLATE_OK },
	{ "a'b", "a\\27b", XLATE_OK },
	{ "a/b", "a\\2fb", XLATE_OK },
	{ "a:b", "a\\3ab", XLATE_OK },
	{ "a<b", "a\\3cb", XLATE_OK },
	{ "a>b", "a\\3eb", XLATE_OK },
	{ "a@b", "a\\40b", XLATE_OK },
	/* the backslash: escaped only before a sequence */
	{ "a\\5cb", "a\\5c5cb", XLATE_OK },
	{ "a\\20b", "a\\5c20b", XLATE_OK },
	{ "a\\40", "a\\5c40", XLATE_OK },
	{ "a\\b", "a\\b", XLATE_OK },
	{ "a\\", "a\\", XLATE_OK },
	{ "\\", "\\", XLATE_OK },
	{ "a\\2F", "a\\2F", XLATE_OK },		/* upper case: no sequence */
	{ "a\\41", "a\\41", XLATE_OK },
	{ "a\\2", "a\\2", XLATE_OK },
	{ "\\\\20", "\\\\5c20", XLATE_OK },
	{ "\\@", "\\\\40", XLATE_OK },
	/* XEP-0106 section 5 examples (localparts) */
	{ "space cadet", "space\\20cadet", XLATE_OK },
	{ "call me \"ishmael\"", "call\\20me\\20\\22ishmael\\22", XLATE_OK },
	{ "at&t guy", "at\\26t\\20guy", XLATE_OK },
	{ "d'artagnan", "d\\27artagnan", XLATE_OK },
	{ "/.fanboy", "\\2f.fanboy", XLATE_OK },
	{ "::foo::", "\\3a\\3afoo\\3a\\3a", XLATE_OK },
	{ "<foo>", "\\3cfoo\\3e", XLATE_OK },
	{ "user@host", "user\\40host", XLATE_OK },
	{ "c:\\net", "c\\3a\\net", XLATE_OK },
	{ "c:\\\\net", "c\\3a\\\\net", XLATE_OK },
	{ "c:\\cool stuff", "c\\3a\\cool\\20stuff", XLATE_OK },
	{ "c:\\5commas", "c\\3a\\5c5commas", XLATE_OK },
	{ "treville@musketeers.lit", "treville\\40musketeers.lit",
	    XLATE_OK },
	/* ordinary characters */
	{ "+12025550100", "+12025550100", XLATE_OK },
	{ "j\xc3\xbcrgen", "j\xc3\xbcrgen", XLATE_OK },
	{ "\xe5\xb0\x8f\xe7\x8e\x8b", "\xe5\xb0\x8f\xe7\x8e\x8b", XLATE_OK },
	{ "#26;", "#26;", XLATE_OK },
	{ "@", "\\40", XLATE_OK },
	{ "a  b", "a\\20\\20b", XLATE_OK },
	/* refused */
	{ "", "", XLATE_E_JID },
	{ " a", "", XLATE_E_EDGE_SPACE },
	{ "a ", "", XLATE_E_EDGE_SPACE },
	{ " ", "", XLATE_E_EDGE_SPACE },
	{ "a\x01" "b", "", XLATE_E_CHAR },
	{ "a\tb", "", XLATE_E_CHAR },
	{ "a\x7f", "", XLATE_E_CHAR },
	{ "a\xc2\x85", "", XLATE_E_CHAR },	/* C1 NEL */
	{ "\xff", "", XLATE_E_UTF8 },
	{ "a\xc3", "", XLATE_E_UTF8 },
	{ "\xc0\xaf", "", XLATE_E_UTF8 },	/* overlong '/' */
	{ "\xed\xa0\x80", "", XLATE_E_UTF8 },	/* surrogate */
	{ "\xef\xbf\xbe", "", XLATE_E_CHAR },	/* U+FFFE */
};

/* Escaped forms that only unescape is asked about. */
static const struct map_row unescape_rows[] = {
	{ "a\\2Fb", "a\\2Fb", XLATE_OK },	/* not a sequence */
	{ "a\\5Cb", "a\\5Cb", XLATE_OK },
	{ "a\\5cb", "a\\b", XLATE_OK },		/* needless \5c still ok */
	{ "a\\21b", "a\\21b", XLATE_OK },
	{ "\\5c", "\\", XLATE_OK },
	{ "a\\2", "a\\2", XLATE_OK },
	{ "a\\", "a\\", XLATE_OK },
	{ "\\40\\40", "@@", XLATE_OK },
	{ "\\2f\\3a\\3c\\3e\\22\\26\\27", "/:<>\"&'", XLATE_OK },
	{ "\\20a", "", XLATE_E_EDGE_SPACE },
	{ "a\\20", "", XLATE_E_EDGE_SPACE },
	{ "\\20", "", XLATE_E_EDGE_SPACE },
	{ "a\\20\\20b", "a  b", XLATE_OK },
	{ "", "", XLATE_E_JID },
	{ "a b", "", XLATE_E_JID },		/* raw disallowed */
	{ "a@b", "", XLATE_E_JID },
	{ "a'b", "", XLATE_E_JID },
	{ "a/b", "", XLATE_E_JID },
	{ "a:b", "", XLATE_E_JID },
	{ "a\x02", "", XLATE_E_CHAR },
	{ "a\xfe", "", XLATE_E_UTF8 },
};

static void
test_escape(void)
{
	char			 out[XLATE_URI_SIZE], big[2048];
	enum xlate_status	 st;

	run_map("escape", esc_str, escape_rows, NELEM(escape_rows));
	for (size_t i = 0; i < NELEM(escape_rows); i++) {
		if (escape_rows[i].st != XLATE_OK)
			continue;
		st = unesc_str(escape_rows[i].want, out, sizeof(out));
		ok(st == XLATE_OK && strcmp(out, escape_rows[i].in) == 0,
		    "unescape(\"%s\") = \"%s\"", escape_rows[i].want,
		    escape_rows[i].in);
	}
	run_map("unescape", unesc_str, unescape_rows, NELEM(unescape_rows));

	/* Length: 1023 octets of escaped localpart at most. */
	memset(big, 'a', sizeof(big));
	is_int(xlate_jid_escape(big, 1023, out, sizeof(out)), XLATE_OK,
	    "escape: 1023 octets fit");
	is_int(strlen(out), 1023, "escape: 1023 octets out");
	is_int(xlate_jid_escape(big, 1024, out, sizeof(out)), XLATE_E_LONG,
	    "escape: 1024 octets are too long");
	memset(big, '@', 341);
	is_int(xlate_jid_escape(big, 341, out, sizeof(out)), XLATE_OK,
	    "escape: 341 '@' -> 1023 octets");
	is_int(xlate_jid_escape(big, 342, out, sizeof(out)), XLATE_E_LONG,
	    "escape: 342 '@' -> 1026 octets, too long");
	is_int(xlate_jid_unescape(big, 341, out, sizeof(out)), XLATE_E_JID,
	    "unescape: raw '@' refused");
	memset(big, 'b', sizeof(big));
	is_int(xlate_jid_unescape(big, 1024, out, sizeof(out)), XLATE_E_LONG,
	    "unescape: 1024 octets are too long");
	/* Length-delimited input: a NUL inside is a control character. */
	is_int(xlate_jid_escape("a\0b", 3, out, sizeof(out)), XLATE_E_CHAR,
	    "escape: embedded NUL refused");
	is_int(xlate_jid_escape("abc", 2, out, sizeof(out)), XLATE_OK,
	    "escape: reads only inlen octets");
	is_str(out, "ab", "escape: \"ab\" from a 2-octet span");
}

/*
 * Exhaustive round trips over short strings from an alphabet that makes
 * every tricky case (backslash before hex digits, sequences straddling
 * each other, spaces inside): unescape(escape(x)) == x always, and
 * escape(unescape(y)) == y for every y that escape() produced.
 */
static void
test_escape_roundtrip(void)
{
	static const char	 alpha[] = "a\\2053cf@ :'/";
	const size_t		 na = sizeof(alpha) - 1;
	char			 raw[8], esc[64], back[64], again[64];
	size_t			 total = 0, bad = 0, bad2 = 0, idx[5];

	for (size_t len = 1; len <= 5; len++) {
		size_t	 combos = 1;

		for (size_t k = 0; k < len; k++)
			combos *= na;
		for (size_t c = 0; c < combos; c++) {
			size_t	 v = c;

			for (size_t k = 0; k < len; k++) {
				idx[k] = v % na;
				v /= na;
				raw[k] = alpha[idx[k]];
			}
			raw[len] = '\0';
			if (raw[0] == ' ' || raw[len - 1] == ' ')
				continue;
			total++;
			if (xlate_jid_escape(raw, len, esc, sizeof(esc)) !=
			    XLATE_OK ||
			    xlate_jid_unescape(esc, strlen(esc), back,
			    sizeof(back)) != XLATE_OK ||
			    strcmp(back, raw) != 0) {
				if (bad++ == 0)
					diag("round trip broke on \"%s\"",
					    raw);
				continue;
			}
			if (xlate_jid_escape(back, strlen(back), again,
			    sizeof(again)) != XLATE_OK ||
			    strcmp(again, esc) != 0)
				bad2++;
		}
	}
	ok(total > 100000, "round trip: %zu strings tried", total);
	is_int(bad, 0, "round trip: unescape(escape(x)) == x");
	is_int(bad2, 0, "round trip: escape(unescape(y)) == y");
}

static void
test_split(void)
{
	static const struct {
		const char		*jid;
		enum xlate_status	 st;
		const char		*local, *domain, *res;
	} rows[] = {
		{ "a@b/c", XLATE_OK, "a", "b", "c" },
		{ "b", XLATE_OK, NULL, "b", NULL },
		{ "b/c", XLATE_OK, NULL, "b", "c" },
		{ "a@b./c", XLATE_OK, "a", "b", "c" },
		{ "a@b/c/d@e", XLATE_OK, "a", "b", "c/d@e" },
		{ "a@b/ x ", XLATE_OK, "a", "b", " x " },
		{ "d\\27artagnan@musketeers.lit", XLATE_OK,
		    "d\\27artagnan", "musketeers.lit", NULL },
		{ "", XLATE_E_JID, NULL, NULL, NULL },
		{ "@b", XLATE_E_JID, NULL, NULL, NULL },
		{ "a@", XLATE_E_JID, NULL, NULL, NULL },
		{ "a@b/", XLATE_E_JID, NULL, NULL, NULL },
		{ "/c", XLATE_E_JID, NULL, NULL, NULL },
		{ "a@.", XLATE_E_JID, NULL, NULL, NULL },
		{ "a@b..", XLATE_E_JID, NULL, NULL, NULL },
		{ "a@b..c", XLATE_E_JID, NULL, NULL, NULL },
		{ "a@.b", XLATE_E_JID, NULL, NULL, NULL },
		{ "a@b@c", XLATE_E_JID, NULL, NULL, NULL },
		{ "a b@c", XLATE_E_JID, NULL, NULL, NULL },
		{ "a'b@c", XLATE_E_JID, NULL, NULL, NULL },
		{ "a@b c", XLATE_E_JID, NULL, NULL, NULL },
		{ "a\x01@b", XLATE_E_CHAR, NULL, NULL, NULL },
		{ "a@b/\x01", XLATE_E_CHAR, NULL, NULL, NULL },
		{ "a@b\xff", XLATE_E_UTF8, NULL, NULL, NULL },
	};
	struct xlate_jid	 j;
	enum xlate_status	 st;
	char			 big[1100];

	for (size_t i = 0; i < NELEM(rows); i++) {
		st = xlate_jid_split(rows[i].jid, &j);
		is_int(st, rows[i].st, "split(\"%s\") status %s", rows[i].jid,
		    xlate_strstatus(rows[i].st));
		if (st != XLATE_OK)
			continue;
		ok((rows[i].local == NULL ? j.local.p == NULL :
		    j.local.len == strlen(rows[i].local) &&
		    memcmp(j.local.p, rows[i].local, j.local.len) == 0) &&
		    j.domain.len == strlen(rows[i].domain) &&
		    memcmp(j.domain.p, rows[i].domain, j.domain.len) == 0 &&
		    (rows[i].res == NULL ? j.resource.p == NULL :
		    j.resource.len == strlen(rows[i].res) &&
		    memcmp(j.resource.p, rows[i].res, j.resource.len) == 0),
		    "split(\"%s\") parts", rows[i].jid);
	}
	memset(big, 'a', sizeof(big));
	memcpy(big + 1024, "@b", 3);
	is_int(xlate_jid_split(big, &j), XLATE_E_LONG,
	    "split: 1024-octet localpart");
	memcpy(big + 1023, "@b", 3);
	is_int(xlate_jid_split(big, &j), XLATE_OK,
	    "split: 1023-octet localpart");
}

/* RFC 7247 / RFC 7572: domains map one to one. */
static const struct map_row sip_to_jid_rows[] = {
	{ "sip:romeo@example.net", "romeo@example.net", XLATE_OK }, /* 001 */
	/* A-labels become the U-labels of an RFC 7622 domainpart. */
	{ "sip:a@xn--bcher-kva.example", "a@b\xc3\xbc" "cher.example",
	    XLATE_OK },
	{ "sip:a@XN--BCHER-KVA.example", "a@b\xc3\xbc" "cher.example",
	    XLATE_OK },
	{ "sip:a@xn--zz.example", "", XLATE_E_IDNA },
	{ "sip:+12025550100@gw.example.org;user=phone",
	    "+12025550100@gw.example.org", XLATE_OK },		/* IW-005 */
	{ "sip:john%20doe@example.com", "john\\20doe@example.com",
	    XLATE_OK },						/* IW-007 */
	{ "sip:%20john@example.com", "", XLATE_E_EDGE_SPACE },	/* IW-007 */
	{ "sip:john%20@example.com", "", XLATE_E_EDGE_SPACE },
	{ "sip:juliet@example.com;gr=yn0cl4bnw0yr3vym",
	    "juliet@example.com/yn0cl4bnw0yr3vym", XLATE_OK },
	{ "sip:alice@a.example;gr=urn:uuid:f81d4fae-7dec-11d0-a765",
	    "alice@a.example/urn:uuid:f81d4fae-7dec-11d0-a765", XLATE_OK },
	{ "sip:alice@a.example;gr=a%20b", "alice@a.example/a b", XLATE_OK },
	{ "sip:alice@a.example;gr", "alice@a.example", XLATE_OK },
	{ "sip:alice@a.example;GR=x;lr", "alice@a.example/x", XLATE_OK },
	{ "SIP:Romeo@Example.NET", "Romeo@example.net", XLATE_OK },
	{ "sips:romeo@example.net:5061;transport=tls", "romeo@example.net",
	    XLATE_OK },
	{ "sip:romeo:secret@example.net", "romeo@example.net", XLATE_OK },
	{ "sip:romeo@example.net?subject=hi%20there", "romeo@example.net",
	    XLATE_OK },
	{ "sip:romeo@example.net;maddr=192.0.2.1;ttl=5",
	    "romeo@example.net", XLATE_OK },
	{ "sip:d%27artagnan@musketeers.lit", "d\\27artagnan@musketeers.lit",
	    XLATE_OK },
	{ "sip:d'artagnan@musketeers.lit", "d\\27artagnan@musketeers.lit",
	    XLATE_OK },
	{ "sip:j%C3%BCrgen@example.de", "j\xc3\xbcrgen@example.de",
	    XLATE_OK },
	{ "sip:j%c3%bcrgen@example.de", "j\xc3\xbcrgen@example.de",
	    XLATE_OK },
	{ "sip:a%40b@x.example", "a\\40b@x.example", XLATE_OK },
	{ "sip:a%5c20b@x.example", "a\\5c20b@x.example", XLATE_OK },
	{ "sip:a%2Fb%3Ac%22d%3Ce%3Ef%26g@x",
	    "a\\2fb\\3ac\\22d\\3ce\\3ef\\26g@x", XLATE_OK },
	{ "sip:a&b=c+d$e,f?g/h@x", "a\\26b=c+d$e,f?g\\2fh@x", XLATE_OK },
	{ "sip:example.com", "example.com", XLATE_OK },
	{ "sip:example.com;transport=tcp", "example.com", XLATE_OK },
	{ "sip:alice@[2001:db8::1]:5060", "alice@[2001:db8::1]", XLATE_OK },
	{ "sip:alice@192.0.2.7", "alice@192.0.2.7", XLATE_OK },
	{ "sip:alice@a.example.", "alice@a.example", XLATE_OK },
	{ "sip:+1-202-555-0100;isub=12@gw.example.org;user=phone",
	    "+1-202-555-0100@gw.example.org", XLATE_OK },
	{ "sip:+12025550100@gw.example.org;USER=Phone",
	    "+12025550100@gw.example.org", XLATE_OK },
	{ "sip:a;b@x.example", "a;b@x.example", XLATE_OK },
	{ "tel:+12025550100", "", XLATE_E_SCHEME },
	{ "mailto:a@b", "", XLATE_E_SCHEME },
	{ "im:a@b", "", XLATE_E_SCHEME },
	{ "", "", XLATE_E_SCHEME },
	{ "sip:", "", XLATE_E_URI },
	{ "sip:@x", "", XLATE_E_URI },
	{ "sip:a b@x", "", XLATE_E_URI },
	{ "sip:a%2@x", "", XLATE_E_URI },
	{ "sip:a%zz@x", "", XLATE_E_URI },
	{ "sip:a\"b@x", "", XLATE_E_URI },
	{ "sip:alice@", "", XLATE_E_URI },
	{ "sip:alice@a..b", "", XLATE_E_URI },
	{ "sip:alice@.a", "", XLATE_E_URI },
	{ "sip:alice@a_b.example", "", XLATE_E_URI },
	{ "sip:alice@exa mple", "", XLATE_E_URI },
	{ "sip:alice@a.example:", "", XLATE_E_URI },
	{ "sip:alice@a.example:123456", "", XLATE_E_URI },
	{ "sip:alice@[zz]", "", XLATE_E_URI },
	{ "sip:alice@[1..2]", "", XLATE_E_URI },
	{ "sip:alice@a.example;gr=1;gr=2", "", XLATE_E_URI },
	{ "sip:alice@a.example;user=phone;user=ip", "", XLATE_E_URI },
	{ "sip:alice@a.example;user=ip;user=phone", "", XLATE_E_URI },
	{ "sip:alice@a.example;gr;gr=x", "", XLATE_E_URI },
	{ "sip:+1;isub=2@a.example;user=ip", "+1;isub=2@a.example",
	    XLATE_OK },
	{ "sip:alice@a.example;", "", XLATE_E_URI },
	{ "sip:alice@a.example;gr=a b", "", XLATE_E_URI },
	{ "sip:alice@a.example?x=a b", "", XLATE_E_URI },
	{ "sip:a%00b@x", "", XLATE_E_CHAR },
	{ "sip:a%0Ab@x", "", XLATE_E_CHAR },
	{ "sip:a%ffb@x", "", XLATE_E_UTF8 },
	{ "sip:alice@a.example;gr=%00", "", XLATE_E_CHAR },
};

static const struct map_row jid_to_sip_rows[] = {
	{ "j\xc3\xbcrgen@example.de", "sip:j%C3%BCrgen@example.de",
	    XLATE_OK },						/* IW-009 */
	{ "romeo@example.net", "sip:romeo@example.net", XLATE_OK },
	{ "juliet@example.com/yn0cl4bnw0yr3vym",
	    "sip:juliet@example.com;gr=yn0cl4bnw0yr3vym", XLATE_OK },
	{ "john\\20doe@example.com", "sip:john%20doe@example.com",
	    XLATE_OK },
	{ "d\\27artagnan@musketeers.lit", "sip:d'artagnan@musketeers.lit",
	    XLATE_OK },
	{ "a\\40b@x.example", "sip:a%40b@x.example", XLATE_OK },
	{ "c\\3a\\5c5commas@example.com", "sip:c%3A%5C5commas@example.com",
	    XLATE_OK },
	{ "a\\26b\\2fc\\22d\\3ce\\3ef@x", "sip:a&b/c%22d%3Ce%3Ef@x",
	    XLATE_OK },
	{ "a\\b@x", "sip:a%5Cb@x", XLATE_OK },
	{ "a#b%c@x", "sip:a%23b%25c@x", XLATE_OK },
	{ "+12025550100@gw.example.org", "sip:+12025550100@gw.example.org",
	    XLATE_OK },
	{ "example.com", "sip:example.com", XLATE_OK },
	{ "example.com/x", "sip:example.com;gr=x", XLATE_OK },
	{ "Romeo@Example.NET", "sip:Romeo@example.net", XLATE_OK },
	{ "a@b.example.", "sip:a@b.example", XLATE_OK },
	{ "a@192.0.2.1", "sip:a@192.0.2.1", XLATE_OK },
	{ "a@[2001:db8::1]", "sip:a@[2001:db8::1]", XLATE_OK },
	{ "alice@example.com/a b/c", "sip:alice@example.com;gr=a%20b/c",
	    XLATE_OK },
	{ "alice@example.com/r\xc3\xa9s;x=y",
	    "sip:alice@example.com;gr=r%C3%A9s%3Bx%3Dy", XLATE_OK },
	{ "", "", XLATE_E_JID },
	{ "@x", "", XLATE_E_JID },
	{ "a@", "", XLATE_E_JID },
	{ "a@b/", "", XLATE_E_JID },
	{ "a b@x", "", XLATE_E_JID },
	{ "a@b@c", "", XLATE_E_JID },
	{ "\\20a@x", "", XLATE_E_EDGE_SPACE },
	{ "a\\20@x", "", XLATE_E_EDGE_SPACE },
	/* IDNA: U-labels go out as A-labels (routing/idna). */
	{ "a@b\xc3\xbc" "cher.example", "sip:a@xn--bcher-kva.example",
	    XLATE_OK },
	{ "a@B\xc3\x9c" "CHER.example", "sip:a@xn--bcher-kva.example",
	    XLATE_OK },					/* UTS #46 mapping */
	{ "a@b\xc3\xbc" "cher\xe3\x80\x82" "example",
	    "sip:a@xn--bcher-kva.example", XLATE_OK },	/* U+3002 dot */
	{ "a@xn--bcher-kva.example", "sip:a@xn--bcher-kva.example",
	    XLATE_OK },
	{ "a@xn--bcher-kva.example/r", "sip:a@xn--bcher-kva.example;gr=r",
	    XLATE_OK },
	{ "a@xn--zz.example", "", XLATE_E_IDNA },	/* not an A-label */
	{ "a@b\xc3\xbc" "cher-.example", "", XLATE_E_IDNA }, /* STD3 */
	{ "a@\xe2\x98\x83" ".example", "", XLATE_E_IDNA },
				/* U+2603: IDNA2008 disallows symbols */
	{ "a@a\xcd\xb8" "b.example", "", XLATE_E_IDNA }, /* unassigned */
	{ "a@exa_mple.com", "", XLATE_E_DOMAIN },
	{ "a@a..b", "", XLATE_E_JID },			/* empty label */
	{ "a@b:5060", "", XLATE_E_DOMAIN },
	{ "a\xff@b", "", XLATE_E_UTF8 },
};

static const struct map_row jid_to_from_rows[] = {
	{ "juliet@example.com/yn0cl4bnw0yr3vym",
	    "<sip:juliet@example.com;gr=yn0cl4bnw0yr3vym>", XLATE_OK },
								/* IW-003 */
	{ "romeo@example.net", "<sip:romeo@example.net>", XLATE_OK },
	{ "j\xc3\xbcrgen@example.de", "<sip:j%C3%BCrgen@example.de>",
	    XLATE_OK },
	{ "a b@x", "", XLATE_E_JID },
};

static const struct map_row addr_rows[] = {
	{ "sip:romeo@example.net;tag=vwxyz", "sip:romeo@example.net",
	    XLATE_OK },						/* IW-019 */
	{ "<sip:a@b;gr=x>;tag=1", "sip:a@b;gr=x", XLATE_OK },
	{ "\"Bob <boss>\" <sip:bob@x>;tag=9", "sip:bob@x", XLATE_OK },
	{ "Bob <sip:bob@x>", "sip:bob@x", XLATE_OK },
	{ "  sip:bob@x  ", "sip:bob@x", XLATE_OK },
	{ "sip:+1;isub=2@h;tag=x", "sip:+1;isub=2@h", XLATE_OK },
	{ "sip:h;tag=x", "sip:h", XLATE_OK },
	{ "sip:juliet@example.com", "sip:juliet@example.com", XLATE_OK },
	{ "<>", "", XLATE_E_URI },
	{ "<sip:a@b", "", XLATE_E_URI },
	{ "\"unterminated <sip:a@b>", "", XLATE_E_URI },
	{ "", "", XLATE_E_URI },
	{ ";tag=1", "", XLATE_E_URI },
	{ "sip:a b@c", "", XLATE_E_URI },
};

static void
test_addresses(void)
{
	run_map("sip_to_jid", xlate_sip_to_jid, sip_to_jid_rows,
	    NELEM(sip_to_jid_rows));
	run_map("jid_to_sip", xlate_jid_to_sip, jid_to_sip_rows,
	    NELEM(jid_to_sip_rows));
	run_map("jid_to_sip_from", xlate_jid_to_sip_from, jid_to_from_rows,
	    NELEM(jid_to_from_rows));
	run_map("sip_addr_uri", xlate_sip_addr_uri, addr_rows,
	    NELEM(addr_rows));
}

/* docs/ARCHITECTURE.md "Addresses": SIP senders as JIDs at the gateway
 * domain. */
static const struct map_row sender_rows[] = {
	{ "sip:alice@a.example", "alice\\40a.example@" GW, XLATE_OK },
	{ "sip:+12025550100@x;user=phone", "+12025550100@" GW, XLATE_OK },
	{ "sip:+1-202-555-0100;isub=7@x;user=phone", "+1-202-555-0100@" GW,
	    XLATE_OK },
	{ "sip:romeo@example.net", "romeo\\40example.net@" GW, XLATE_OK },
	{ "sip:john%20doe@a.example", "john\\20doe\\40a.example@" GW,
	    XLATE_OK },
	{ "sip:alice@A.Example:5070", "alice\\40a.example\\3a5070@" GW,
	    XLATE_OK },
	{ "sip:alice@a.example;gr=dev1", "alice\\40a.example@" GW "/dev1",
	    XLATE_OK },
	{ "sip:alice@a.example;tag=x;transport=tcp",
	    "alice\\40a.example@" GW, XLATE_OK },
	{ "sip:a.example", "\\40a.example@" GW, XLATE_OK },
	{ "sip:alice@[2001:db8::1]", "alice\\40[2001\\3adb8\\3a\\3a1]@" GW,
	    XLATE_OK },
	{ "sip:d'art@m.lit", "d\\27art\\40m.lit@" GW, XLATE_OK },
	{ "sip:a%5c40b@m.lit", "a\\5c40b\\40m.lit@" GW, XLATE_OK },
	{ "sip:j%C3%BCrgen@example.de", "j\xc3\xbcrgen\\40example.de@" GW,
	    XLATE_OK },
	{ "sip:+12025550100@a.example", "+12025550100\\40a.example@" GW,
	    XLATE_OK },
	{ "sip:%20a@x", "", XLATE_E_EDGE_SPACE },
	{ "tel:+12025550100", "", XLATE_E_SCHEME },
	{ "sip:a@b c", "", XLATE_E_URI },
};

/* Reverse; the first rows are the exact inverses of sender_rows. */
static const struct map_row gw_jid_rows[] = {
	{ "alice\\40a.example@" GW, "sip:alice@a.example", XLATE_OK },
	{ "romeo\\40example.net@" GW, "sip:romeo@example.net", XLATE_OK },
	{ "john\\20doe\\40a.example@" GW, "sip:john%20doe@a.example",
	    XLATE_OK },
	{ "alice\\40a.example\\3a5070@" GW, "sip:alice@a.example:5070",
	    XLATE_OK },
	{ "alice\\40a.example@" GW "/dev1", "sip:alice@a.example;gr=dev1",
	    XLATE_OK },
	{ "\\40a.example@" GW, "sip:a.example", XLATE_OK },
	{ "alice\\40[2001\\3adb8\\3a\\3a1]@" GW, "sip:alice@[2001:db8::1]",
	    XLATE_OK },
	{ "d\\27art\\40m.lit@" GW, "sip:d'art@m.lit", XLATE_OK },
	{ "j\xc3\xbcrgen\\40example.de@" GW, "sip:j%C3%BCrgen@example.de",
	    XLATE_OK },
	{ "+12025550100\\40a.example@" GW, "sip:+12025550100@a.example",
	    XLATE_OK },
	/* IDNA: a U-label host typed by an XMPP user goes out as A-labels. */
	{ "carol\\40b\xc3\xbc" "cher.example\\3a5070@" GW,
	    "sip:carol@xn--bcher-kva.example:5070", XLATE_OK },
	{ "carol\\40B\xc3\x9c" "CHER.example@" GW,
	    "sip:carol@xn--bcher-kva.example", XLATE_OK },
	{ "carol\\40b\xc3\xbc" "cher-.example@" GW, "", XLATE_E_IDNA },
	/* An ASCII host is the sender's own: exact round trip, unchecked. */
	{ "carol\\40xn--zz.example@" GW, "sip:carol@xn--zz.example",
	    XLATE_OK },
	{ "+12025550100@" GW, "tel:+12025550100", XLATE_OK },
	{ "+1-202-555-0100@" GW, "tel:+1-202-555-0100", XLATE_OK },
	{ "alice\\40a.example@GW.Example.ORG", "sip:alice@a.example",
	    XLATE_OK },
	{ "alice\\40A.EXAMPLE@" GW, "sip:alice@a.example", XLATE_OK },
	{ "a\\40b\\40c.example@" GW, "sip:a%40b@c.example", XLATE_OK },
	{ "alice\\40a.example@other.example", "", XLATE_E_NOT_GW },
	{ "bob@" GW, "", XLATE_E_NOT_GW },
	{ "12025550100@" GW, "", XLATE_E_NOT_GW },
	{ GW, "", XLATE_E_NOT_GW },
	{ "alice\\40bad_host@" GW, "", XLATE_E_URI },
	{ "alice\\40a.example\\3a99x@" GW, "", XLATE_E_URI },
	{ "alice\\40@" GW, "", XLATE_E_URI },
	{ "\\20a\\40b@" GW, "", XLATE_E_EDGE_SPACE },
	{ "a b@" GW, "", XLATE_E_JID },
};

/* docs/ARCHITECTURE.md "Addresses": XMPP senders as SIP URIs at the
 * gateway. */
static const struct map_row xsender_rows[] = {
	/* RFC 7572 Table 1: the resource is the GRUU parameter. */
	{ "juliet@b.example/res", "sip:juliet%40b.example@" GW ";gr=res",
	    XLATE_OK },
	{ "juliet@b.example/a b", "sip:juliet%40b.example@" GW ";gr=a%20b",
	    XLATE_OK },
	{ "juliet@b.example", "sip:juliet%40b.example@" GW, XLATE_OK },
	{ "d\\27artagnan@musketeers.lit",
	    "sip:d'artagnan%40musketeers.lit@" GW, XLATE_OK },
	{ "john\\20doe@b.example", "sip:john%20doe%40b.example@" GW,
	    XLATE_OK },
	{ "a\\40x@b.example", "sip:a%40x%40b.example@" GW, XLATE_OK },
	{ "j\xc3\xbcrgen@example.de", "sip:j%C3%BCrgen%40example.de@" GW,
	    XLATE_OK },
	{ "b.example", "sip:%40b.example@" GW, XLATE_OK },
	{ "Juliet@B.Example", "sip:Juliet%40b.example@" GW, XLATE_OK },
	{ "a@b\xc3\xbc" "cher.example",
	    "sip:a%40b%C3%BCcher.example@" GW, XLATE_OK },
	{ "a b@x", "", XLATE_E_JID },
	{ "\\20a@x", "", XLATE_E_EDGE_SPACE },
	{ "", "", XLATE_E_JID },
};

static const struct map_row gw_sip_rows[] = {
	{ "sip:juliet%40b.example@" GW, "juliet@b.example", XLATE_OK },
	{ "sip:d'artagnan%40musketeers.lit@" GW,
	    "d\\27artagnan@musketeers.lit", XLATE_OK },
	{ "sip:john%20doe%40b.example@" GW, "john\\20doe@b.example",
	    XLATE_OK },
	{ "sip:a%40x%40b.example@" GW, "a\\40x@b.example", XLATE_OK },
	{ "sip:j%C3%BCrgen%40example.de@" GW, "j\xc3\xbcrgen@example.de",
	    XLATE_OK },
	{ "sip:%40b.example@" GW, "b.example", XLATE_OK },
	{ "sip:juliet%40b.example@GW.EXAMPLE.ORG;transport=tcp",
	    "juliet@b.example", XLATE_OK },
	{ "sip:juliet%40b.example@" GW ":5060", "juliet@b.example",
	    XLATE_OK },
	{ "sip:juliet%40b.example@" GW ";gr=abc", "juliet@b.example/abc",
	    XLATE_OK },
	{ "sip:juliet%40B.Example@" GW, "juliet@b.example", XLATE_OK },
	{ "sip:juliet%40b.example@other.example", "", XLATE_E_NOT_GW },
	{ "sip:+12025550100@" GW ";user=phone", "", XLATE_E_NOT_GW },
	{ "sip:" GW, "", XLATE_E_NOT_GW },
	{ "sip:juliet%40@" GW, "", XLATE_E_JID },
	{ "sip:juliet%40a%20b@" GW, "", XLATE_E_JID },
	{ "sip:%20j%40b@" GW, "", XLATE_E_EDGE_SPACE },
	{ "tel:+1", "", XLATE_E_SCHEME },
};

static void
test_gateway(void)
{
	char	 jid[XLATE_JID_SIZE], uri[XLATE_URI_SIZE];
	char	 uri2[XLATE_URI_SIZE], jid2[XLATE_JID_SIZE];

	run_map("sip_sender_to_gw_jid", sender_to_gw, sender_rows,
	    NELEM(sender_rows));
	run_map("gw_jid_to_sip", gw_to_sip, gw_jid_rows, NELEM(gw_jid_rows));
	run_map("xmpp_sender_to_gw_sip", xsender_to_gw, xsender_rows,
	    NELEM(xsender_rows));
	run_map("gw_sip_to_xmpp", gw_to_xmpp, gw_sip_rows,
	    NELEM(gw_sip_rows));

	/* Exact round trips of canonical SIP senders: no user=phone (the
	 * host is dropped), no header parameters, lower-case host and
	 * upper-case %XX as the reverse mapping writes them. */
	for (size_t i = 0; i < NELEM(sender_rows); i++) {
		const char	*u = sender_rows[i].in;

		if (sender_rows[i].st != XLATE_OK ||
		    strstr(u, "user=phone") != NULL ||
		    strstr(u, ";tag") != NULL || strchr(u, 'A') != NULL ||
		    strstr(u, "%5c") != NULL)
			continue;
		ok(sender_to_gw(u, jid, sizeof(jid)) == XLATE_OK &&
		    gw_to_sip(jid, uri, sizeof(uri)) == XLATE_OK &&
		    strcmp(uri, u) == 0,
		    "round trip %s -> %s -> %s", u, jid, uri);
	}
	/* ... and of XMPP senders, resource included (;gr=, RFC 7572
	 * Table 1), also through a Request-URI at any host (sipgw). */
	for (size_t i = 0; i < NELEM(xsender_rows); i++) {
		const char	*j = xsender_rows[i].in;

		if (xsender_rows[i].st != XLATE_OK || strchr(j, 'J') != NULL)
			continue;
		ok(xsender_to_gw(j, uri, sizeof(uri)) == XLATE_OK &&
		    gw_to_xmpp(uri, jid, sizeof(jid)) == XLATE_OK &&
		    strcmp(jid, j) == 0,
		    "round trip %s -> %s -> %s", j, uri, jid);
		ok(xlate_gw_sip_to_xmpp(uri, NULL, jid2, sizeof(jid2)) ==
		    XLATE_OK && strcmp(jid2, j) == 0,
		    "any host: %s -> %s", uri, jid2);
	}
	is_int(xlate_gw_sip_to_xmpp("sip:+12025550100@x.example", NULL,
	    jid, sizeof(jid)), XLATE_E_NOT_GW,
	    "any host: a number is no XMPP user");
	/* Mapping a mapped address again is stable. */
	ok(sender_to_gw("sip:x%40y@z.example", jid, sizeof(jid)) ==
	    XLATE_OK && gw_to_sip(jid, uri, sizeof(uri)) == XLATE_OK &&
	    sender_to_gw(uri, jid2, sizeof(jid2)) == XLATE_OK &&
	    strcmp(jid, jid2) == 0 && gw_to_sip(jid2, uri2,
	    sizeof(uri2)) == XLATE_OK && strcmp(uri, uri2) == 0,
	    "gw mapping is idempotent (%s)", jid);
	is_int(xlate_sip_sender_to_gw_jid("sip:a@b", "", jid, sizeof(jid)),
	    XLATE_E_DOMAIN, "sender_to_gw_jid: empty gateway domain");
	is_int(xlate_xmpp_sender_to_gw_sip("a@b", "gw example", uri,
	    sizeof(uri)), XLATE_E_DOMAIN,
	    "xmpp_sender_to_gw_sip: bad gateway domain");
	is_int(xlate_gw_jid_to_sip("alice\\40a.example@gw.example.org.",
	    GW, uri, sizeof(uri)), XLATE_OK,
	    "gw_jid_to_sip: final dot of the domain ignored");
}

/* RFC 3922 3.2 / 3.3. */
static const struct map_row jid_to_im_rows[] = {
	{ "juliet@example.com/balcony", "im:juliet@example.com", XLATE_OK },
	{ "romeo@example.net", "im:romeo@example.net", XLATE_OK },
	{ "d\\27artagnan@musketeers.lit", "im:d%27artagnan@musketeers.lit",
	    XLATE_OK },
	{ "d#27;artagnan@musketeers.lit", "im:d%27artagnan@musketeers.lit",
	    XLATE_OK },
	{ "at#26;t@x.example", "im:at%26t@x.example", XLATE_OK },
	{ "a#2f;b@x", "im:a%2Fb@x", XLATE_OK },
	{ "a#2F;b@x", "im:a%232F%3Bb@x", XLATE_OK },
	{ "a#2fb@x", "im:a%232fb@x", XLATE_OK },
	{ "juliet-c@example.com", "im:juliet%2Dc@example.com", XLATE_OK },
	{ "a!$*.?_~+=b@x", "im:a!$*.?_~+=b@x", XLATE_OK },
	{ "a?b@c", "im:a?b@c", XLATE_OK },
	{ "a(b)c,d;e@x", "im:a%28b%29c%2Cd%3Be@x", XLATE_OK },
	{ "j\xc3\xbcrgen@example.de", "im:j%C3%BCrgen@example.de",
	    XLATE_OK },
	{ "john\\20doe@example.com", "im:john%20doe@example.com", XLATE_OK },
	{ "a\\40b@example.com", "im:a%40b@example.com", XLATE_OK },
	{ "a\\5c20@example.com", "im:a%5C20@example.com", XLATE_OK },
	{ "Juliet@Example.COM/r", "im:Juliet@example.com", XLATE_OK },
	{ "+12025550100@gw.example.org", "im:+12025550100@gw.example.org",
	    XLATE_OK },
	{ "a@b\xc3\xbc" "cher.example", "im:a@b%C3%BCcher.example",
	    XLATE_OK },
	{ "example.com", "", XLATE_E_JID },
	{ "a b@x", "", XLATE_E_JID },
	{ "\\20a@x", "", XLATE_E_EDGE_SPACE },
	{ "", "", XLATE_E_JID },
};

static const struct map_row im_to_jid_rows[] = {
	{ "im:juliet@example.com", "juliet@example.com", XLATE_OK },
	{ "im:d%27artagnan@musketeers.lit", "d\\27artagnan@musketeers.lit",
	    XLATE_OK },
	{ "im:john%20doe@example.com", "john\\20doe@example.com", XLATE_OK },
	{ "im:j%C3%BCrgen@example.de", "j\xc3\xbcrgen@example.de",
	    XLATE_OK },
	{ "IM:a@B.example", "a@b.example", XLATE_OK },
	{ "im:a@b?subject=x", "a@b", XLATE_OK },
	{ "im:a?b@c?subject=x", "a?b@c", XLATE_OK },
	{ "im:a?b@c", "a?b@c", XLATE_OK },
	{ "im:juliet%2Dc@example.com", "juliet-c@example.com", XLATE_OK },
	{ "sip:a@b", "", XLATE_E_SCHEME },
	{ "im:ab", "", XLATE_E_URI },
	{ "im:@b", "", XLATE_E_URI },
	{ "im:a@", "", XLATE_E_URI },
	{ "im:a b@c", "", XLATE_E_URI },
	{ "im:a%4@c", "", XLATE_E_URI },
	{ "im:%20a@c", "", XLATE_E_EDGE_SPACE },
	{ "im:a@b%20c", "", XLATE_E_JID },
};

static void
test_im(void)
{
	char	 im[XLATE_URI_SIZE], jid[XLATE_JID_SIZE];

	run_map("jid_to_im", xlate_jid_to_im, jid_to_im_rows,
	    NELEM(jid_to_im_rows));
	run_map("im_to_jid", xlate_im_to_jid, im_to_jid_rows,
	    NELEM(im_to_jid_rows));
	for (size_t i = 0; i < NELEM(im_to_jid_rows); i++) {
		if (im_to_jid_rows[i].st != XLATE_OK ||
		    strchr(im_to_jid_rows[i].in, '?') != NULL ||
		    strncmp(im_to_jid_rows[i].in, "im:", 3) != 0 ||
		    strstr(im_to_jid_rows[i].in, "%2D") != NULL)
			continue;
		ok(xlate_im_to_jid(im_to_jid_rows[i].in, jid, sizeof(jid)) ==
		    XLATE_OK && xlate_jid_to_im(jid, im, sizeof(im)) ==
		    XLATE_OK && strcmp(im, im_to_jid_rows[i].in) == 0,
		    "im round trip %s", im_to_jid_rows[i].in);
	}
}

/* Every writer reports a short buffer and leaves "" behind. */
static void
test_no_space(void)
{
	static const struct {
		const char	*what;
		map_fn		*fn;
		const char	*in;
		size_t		 need;	/* strlen of the result */
	} rows[] = {
		{ "escape", esc_str, "a@b", 5 },
		{ "unescape", unesc_str, "a\\40b", 3 },
		{ "sip_to_jid", xlate_sip_to_jid, "sip:a@b;gr=c", 5 },
		{ "jid_to_sip", xlate_jid_to_sip, "a@b/c", 12 },
		{ "jid_to_sip_from", xlate_jid_to_sip_from, "a@b", 9 },
		{ "sip_addr_uri", xlate_sip_addr_uri, "<sip:a@b>", 7 },
		{ "sender_to_gw", sender_to_gw, "sip:a@b", 20 },
		{ "gw_to_sip", gw_to_sip, "a\\40b@" GW, 7 },
		{ "xsender_to_gw", xsender_to_gw, "a@b", 24 },
		{ "gw_to_xmpp", gw_to_xmpp, "sip:a%40b@" GW, 3 },
		{ "jid_to_im", xlate_jid_to_im, "a@b", 6 },
		{ "im_to_jid", xlate_im_to_jid, "im:a@b", 3 },
	};
	char			 out[64];
	enum xlate_status	 st;

	for (size_t i = 0; i < NELEM(rows); i++) {
		memset(out, 'X', sizeof(out));
		st = rows[i].fn(rows[i].in, out, rows[i].need);
		ok(st == XLATE_E_NO_SPACE && out[0] == '\0',
		    "%s: %zu bytes are one too few", rows[i].what,
		    rows[i].need);
		st = rows[i].fn(rows[i].in, out, rows[i].need + 1);
		ok(st == XLATE_OK && strlen(out) == rows[i].need,
		    "%s: %zu bytes fit exactly", rows[i].what,
		    rows[i].need + 1);
		ok(rows[i].fn(rows[i].in, out, 0) == XLATE_E_NO_SPACE,
		    "%s: size 0", rows[i].what);
	}
}

/*
 * message/cpim.
 */

#define CPIM_HDRS \
	"From: MR SANDERS <im:piglet@100akerwood.com>\r\n" \
	"To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n" \
	"DateTime: 2000-12-13T13:40:00-08:00\r\n" \
	"Subject: the weather will be fine today\r\n" \
	"Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n"
#define CPIM_NS		"NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n"
#define CPIM_EXT	"MyFeatures.VitalMessageOption: " \
			    "Confirmation-requested\r\n" \
			"MyFeatures.WackyMessageOption: Use-silly-font\r\n"
#define CPIM_MIN	"From: <im:a@b.example>\r\nTo: <im:c@d.example>\r\n"
#define CPIM_PART	"\r\nContent-Type: text/plain; charset=utf-8\r\n" \
			"\r\nhello"

static const struct {
	const char		*name;
	const char		*msg;
	enum xlate_status	 st;
	const char		*body;	/* for OK rows */
} cpim_rows[] = {
	{ "RFC 3862 example (no Require)", CPIM_HDRS CPIM_NS CPIM_EXT
	    "\r\nContent-type: text/xml; charset=utf-8\r\n"
	    "Content-ID: <1234567890@foo.com>\r\n\r\n"
	    "<body>\r\nHere is the text of my message.\r\n</body>\r\n",
	    XLATE_OK,
	    "<body>\r\nHere is the text of my message.\r\n</body>\r\n" },
	{ "RFC 3862 example with Require", CPIM_HDRS CPIM_NS
	    "Require: MyFeatures.VitalMessageOption\r\n" CPIM_EXT
	    "\r\nContent-type: text/xml; charset=utf-8\r\n\r\n<body/>",
	    XLATE_E_CPIM_REQUIRE, NULL },
	{ "Require of understood headers", CPIM_MIN
	    "Require: Subject,DateTime\r\n" CPIM_PART, XLATE_OK, "hello" },
	{ "Require empty element", CPIM_MIN "Require: Subject,\r\n"
	    CPIM_PART, XLATE_E_CPIM_HEADER, NULL },
	{ "minimal CRLF", CPIM_MIN CPIM_PART, XLATE_OK, "hello" },
	{ "minimal LF", "From: <im:a@b.example>\nTo: <im:c@d.example>\n\n"
	    "Content-Type: text/plain\n\nhello\nworld\n", XLATE_OK,
	    "hello\nworld\n" },
	{ "outer MIME block", "Content-Type: message/cpim\r\n\r\n"
	    CPIM_MIN CPIM_PART, XLATE_OK, "hello" },
	{ "outer MIME block, lower case", "content-type: Message/CPIM\r\n"
	    "Content-Length: 99\r\n\r\n" CPIM_MIN CPIM_PART, XLATE_OK,
	    "hello" },
	{ "outer type is not CPIM", "Content-Type: text/plain\r\n\r\n"
	    CPIM_MIN CPIM_PART, XLATE_E_CPIM_OUTER, NULL },
	{ "empty body", CPIM_MIN "\r\nContent-Type: text/plain\r\n\r\n",
	    XLATE_OK, "" },
	{ "quoted formal name",
	    "From: \"Juliet Capulet\" <im:juliet@example.com>\r\n"
	    "To: <im:romeo@example.net>\r\n" CPIM_PART, XLATE_OK, "hello" },
	{ "several To and cc", CPIM_MIN "To: <im:e@f.example>\r\n"
	    "cc: Carol <im:g@h.example>\r\n" CPIM_PART, XLATE_OK, "hello" },
	{ "lower-case from is another header", "from: <im:x@y>\r\n" CPIM_MIN
	    CPIM_PART, XLATE_OK, "hello" },
	{ "unknown header ignored", CPIM_MIN "X-Anything: goes here\r\n"
	    CPIM_PART, XLATE_OK, "hello" },
	{ "empty Subject", CPIM_MIN "Subject: \r\n" CPIM_PART, XLATE_OK,
	    "hello" },
	{ "DateTime Z and fraction", CPIM_MIN
	    "DateTime: 2000-02-29T23:59:60.123Z\r\n" CPIM_PART, XLATE_OK,
	    "hello" },
	{ "NS declared after use", CPIM_MIN "P.X: y\r\n"
	    "NS: P <urn:x:y>\r\n" CPIM_PART, XLATE_OK, "hello" },
	{ "default NS", CPIM_MIN "NS: <urn:ietf:params:cpim-headers:>\r\n"
	    CPIM_PART, XLATE_OK, "hello" },
	{ "UTF-8 value", CPIM_MIN "Subject: Nic z ob\xc3\xa9ho\r\n"
	    CPIM_PART, XLATE_OK, "hello" },
	{ "escaped value", CPIM_MIN "Subject: a\\tb\\u00e9\r\n" CPIM_PART,
	    XLATE_OK, "hello" },
	{ "binary body", CPIM_MIN "\r\nContent-Type: text/plain\r\n\r\n"
	    "\x01\xff", XLATE_OK, "\x01\xff" },
	/* refused */
	{ "empty buffer", "", XLATE_E_CPIM_TRUNCATED, NULL },
	{ "case-sensitive From", "from: <im:a@b.example>\r\n"
	    "To: <im:c@d.example>\r\n" CPIM_PART, XLATE_E_CPIM_NO_FROM, NULL },
	{ "no To", "From: <im:a@b.example>\r\n" CPIM_PART,
	    XLATE_E_CPIM_NO_TO, NULL },
	{ "no space after colon", "From:<im:a@b.example>\r\n"
	    "To: <im:c@d.example>\r\n" CPIM_PART, XLATE_E_CPIM_HEADER, NULL },
	{ "two spaces", "From:  <im:a@b.example>\r\n"
	    "To: <im:c@d.example>\r\n" CPIM_PART, XLATE_E_CPIM_HEADER, NULL },
	{ "trailing space", "From: <im:a@b.example> \r\n"
	    "To: <im:c@d.example>\r\n" CPIM_PART, XLATE_E_CPIM_HEADER, NULL },
	{ "no colon", "From <im:a@b.example>\r\n" CPIM_PART,
	    XLATE_E_CPIM_HEADER, NULL },
	{ "space before name", " From: <im:a@b.example>\r\n" CPIM_PART,
	    XLATE_E_CPIM_HEADER, NULL },
	{ "space before colon", "From : <im:a@b.example>\r\n" CPIM_PART,
	    XLATE_E_CPIM_HEADER, NULL },
	{ "folded header", CPIM_MIN "Subject: a\r\n b\r\n" CPIM_PART,
	    XLATE_E_CPIM_HEADER, NULL },
	{ "empty prefix", CPIM_MIN ".X: y\r\n" CPIM_PART,
	    XLATE_E_CPIM_HEADER, NULL },
	{ "bad lang param", CPIM_MIN "Subject:;lang fr x\r\n" CPIM_PART,
	    XLATE_E_CPIM_HEADER, NULL },
	{ "From twice", CPIM_MIN "From: <im:x@y.example>\r\n" CPIM_PART,
	    XLATE_E_CPIM_DUP, NULL },
	{ "DateTime twice", CPIM_MIN "DateTime: 2001-02-01T12:16:49Z\r\n"
	    "DateTime: 2001-02-01T12:16:49Z\r\n" CPIM_PART,
	    XLATE_E_CPIM_DUP, NULL },
	{ "address without <>", "From: im:a@b.example\r\n"
	    "To: <im:c@d.example>\r\n" CPIM_PART, XLATE_E_CPIM_ADDR, NULL },
	{ "name glued to <", "From: Bob<im:a@b.example>\r\n"
	    "To: <im:c@d.example>\r\n" CPIM_PART, XLATE_E_CPIM_ADDR, NULL },
	{ "URI without scheme", "From: <a@b.example>\r\n"
	    "To: <im:c@d.example>\r\n" CPIM_PART, XLATE_E_CPIM_ADDR, NULL },
	{ "empty URI", "From: <>\r\nTo: <im:c@d.example>\r\n" CPIM_PART,
	    XLATE_E_CPIM_ADDR, NULL },
	{ "bad cc", CPIM_MIN "cc: nobody\r\n" CPIM_PART, XLATE_E_CPIM_ADDR,
	    NULL },
	{ "Feb 30", CPIM_MIN "DateTime: 2001-02-30T10:00:00Z\r\n" CPIM_PART,
	    XLATE_E_CPIM_DATETIME, NULL },
	{ "Feb 29 of 1900", CPIM_MIN "DateTime: 1900-02-29T10:00:00Z\r\n"
	    CPIM_PART, XLATE_E_CPIM_DATETIME, NULL },
	{ "space for T", CPIM_MIN "DateTime: 2001-02-01 12:16:49Z\r\n"
	    CPIM_PART, XLATE_E_CPIM_DATETIME, NULL },
	{ "no zone", CPIM_MIN "DateTime: 2001-02-01T12:16:49\r\n"
	    CPIM_PART, XLATE_E_CPIM_DATETIME, NULL },
	{ "hour 24", CPIM_MIN "DateTime: 2001-02-01T24:00:00Z\r\n"
	    CPIM_PART, XLATE_E_CPIM_DATETIME, NULL },
	{ "empty fraction", CPIM_MIN "DateTime: 2001-02-01T12:16:49.Z\r\n"
	    CPIM_PART, XLATE_E_CPIM_DATETIME, NULL },
	{ "Require unknown", CPIM_MIN "Require: Foo\r\n" CPIM_PART,
	    XLATE_E_CPIM_REQUIRE, NULL },
	{ "undeclared prefix", CPIM_MIN "x.Foo: bar\r\n" CPIM_PART,
	    XLATE_E_CPIM_NS, NULL },
	{ "bare CR", "From: <im:a@b.example>\rTo: <im:c@d.example>\r\n"
	    CPIM_PART, XLATE_E_CPIM_LINE, NULL },
	{ "tab in value", CPIM_MIN "Subject: a\tb\r\n" CPIM_PART,
	    XLATE_E_CPIM_CHAR, NULL },
	{ "bad UTF-8 in value", CPIM_MIN "Subject: a\xff\r\n" CPIM_PART,
	    XLATE_E_CPIM_CHAR, NULL },
	{ "no blank line", CPIM_MIN, XLATE_E_CPIM_TRUNCATED, NULL },
	{ "no line end", "From: <im:a@b.example>", XLATE_E_CPIM_TRUNCATED,
	    NULL },
	{ "part without blank line", CPIM_MIN "\r\nContent-Type: text/plain",
	    XLATE_E_CPIM_TRUNCATED, NULL },
	{ "part without Content-Type", CPIM_MIN
	    "\r\nContent-ID: <1@x>\r\n\r\nhello", XLATE_E_CPIM_NO_CTYPE,
	    NULL },
	{ "empty part headers", CPIM_MIN "\r\n\r\nhello",
	    XLATE_E_CPIM_NO_CTYPE, NULL },
	{ "Content-Type twice", CPIM_MIN "\r\nContent-Type: text/plain\r\n"
	    "Content-Type: text/html\r\n\r\nx", XLATE_E_CPIM_DUP, NULL },
	{ "folded Content-Type", CPIM_MIN "\r\nContent-Type: text/plain;\r\n"
	    " charset=utf-8\r\n\r\nx", XLATE_E_CPIM_HEADER, NULL },
	{ "bare CR in part", CPIM_MIN "\r\nContent-Type: text/plain\r\r\n"
	    "\r\nx", XLATE_E_CPIM_LINE, NULL },
};

static void
test_cpim(void)
{
	struct xlate_cpim	 c;
	enum xlate_status	 st;
	char			 buf[2048];
	size_t			 n;

	for (size_t i = 0; i < NELEM(cpim_rows); i++) {
		st = xlate_cpim_parse(cpim_rows[i].msg,
		    strlen(cpim_rows[i].msg), &c);
		if (!is_int(st, cpim_rows[i].st, "cpim: %s -> %s",
		    cpim_rows[i].name, xlate_strstatus(cpim_rows[i].st)))
			diag("got %s", xlate_strstatus(st));
		if (cpim_rows[i].st != XLATE_OK) {
			ok(c.from.p == NULL && c.body.p == NULL,
			    "cpim: %s leaves nothing behind",
			    cpim_rows[i].name);
			continue;
		}
		ok(st == XLATE_OK && c.body.len == strlen(cpim_rows[i].body) &&
		    memcmp(c.body.p, cpim_rows[i].body, c.body.len) == 0,
		    "cpim: %s body", cpim_rows[i].name);
	}

	/* Fields of the RFC 3862 example. */
	st = xlate_cpim_parse(cpim_rows[0].msg, strlen(cpim_rows[0].msg), &c);
	ok(st == XLATE_OK && c.from_name.len == 10 &&
	    memcmp(c.from_name.p, "MR SANDERS", 10) == 0 &&
	    c.from_uri.len == 25 &&
	    memcmp(c.from_uri.p, "im:piglet@100akerwood.com", 25) == 0,
	    "cpim: From name and URI");
	ok(c.to_uri.len == 25 &&
	    memcmp(c.to_uri.p, "im:eeyore@100akerwood.com", 25) == 0 &&
	    c.to_name.len == 16 && c.nto == 1 && c.ncc == 0,
	    "cpim: To name and URI");
	ok(c.subject.len == 30 &&
	    memcmp(c.subject.p, "the weather will be fine today", 30) == 0 &&
	    c.subject_lang.p == NULL, "cpim: first Subject, no lang");
	ok(c.datetime.len == 25 &&
	    memcmp(c.datetime.p, "2000-12-13T13:40:00-08:00", 25) == 0,
	    "cpim: DateTime");
	ok(c.content_type.len == 23 &&
	    memcmp(c.content_type.p, "text/xml; charset=utf-8", 23) == 0 &&
	    !c.outer, "cpim: encapsulated Content-Type");

	/* Subject language. */
	n = (size_t)snprintf(buf, sizeof(buf), "%s%s%s", CPIM_MIN,
	    "Subject:;lang=fr Bonjour\r\n", CPIM_PART);
	st = xlate_cpim_parse(buf, n, &c);
	ok(st == XLATE_OK && c.subject_lang.len == 2 &&
	    memcmp(c.subject_lang.p, "fr", 2) == 0 && c.subject.len == 7 &&
	    memcmp(c.subject.p, "Bonjour", 7) == 0,
	    "cpim: Subject:;lang=fr Bonjour");
	n = (size_t)snprintf(buf, sizeof(buf), "%s%s%s", CPIM_MIN,
	    "Subject:;x=\"a b\";lang=en-GB Hi\r\n", CPIM_PART);
	st = xlate_cpim_parse(buf, n, &c);
	ok(st == XLATE_OK && c.subject_lang.len == 5 &&
	    memcmp(c.subject_lang.p, "en-GB", 5) == 0,
	    "cpim: quoted parameter before lang");

	/* Several To / cc counted, first To kept. */
	n = (size_t)snprintf(buf, sizeof(buf), "%s%s%s", CPIM_MIN,
	    "To: <im:e@f.example>\r\ncc: <im:g@h>\r\ncc: <im:i@j>\r\n",
	    CPIM_PART);
	st = xlate_cpim_parse(buf, n, &c);
	ok(st == XLATE_OK && c.nto == 2 && c.ncc == 2 &&
	    c.to_uri.len == 14 && memcmp(c.to_uri.p, "im:c@d.example", 14) ==
	    0 && c.to_name.p == NULL, "cpim: two To, two cc, first To kept");

	/* Outer block flag. */
	n = (size_t)snprintf(buf, sizeof(buf), "%s%s%s",
	    "Content-Type: message/cpim\r\n\r\n", CPIM_MIN, CPIM_PART);
	ok(xlate_cpim_parse(buf, n, &c) == XLATE_OK && c.outer,
	    "cpim: outer block reported");

	/* A NUL byte in the headers is a control character. */
	n = (size_t)snprintf(buf, sizeof(buf), "%s%s%s", CPIM_MIN,
	    "Subject: aXb\r\n", CPIM_PART);
	*strchr(buf, 'X') = '\0';
	is_int(xlate_cpim_parse(buf, n, &c), XLATE_E_CPIM_CHAR,
	    "cpim: NUL in a header");

	/* Length-delimited: parsing stops at len. */
	n = strlen(CPIM_MIN CPIM_PART);
	st = xlate_cpim_parse(CPIM_MIN CPIM_PART "trailing", n, &c);
	ok(st == XLATE_OK && c.body.len == 5, "cpim: reads only len bytes");

	/* At most XLATE_CPIM_NS_MAX prefixes. */
	n = (size_t)snprintf(buf, sizeof(buf), "%s", CPIM_MIN);
	for (int k = 0; k <= XLATE_CPIM_NS_MAX; k++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "NS: p%d <urn:x:%d>\r\n", k, k);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", CPIM_PART);
	is_int(xlate_cpim_parse(buf, n, &c), XLATE_E_CPIM_NS,
	    "cpim: %d NS headers are too many", XLATE_CPIM_NS_MAX + 1);
}

static void
test_cpim_unescape(void)
{
	static const struct {
		const char		*in;
		const char		*want;
		enum xlate_status	 st;
	} rows[] = {
		{ "plain", "plain", XLATE_OK },
		{ "a\\tb", "a\tb", XLATE_OK },
		{ "\\r\\n\\b", "\r\n\b", XLATE_OK },
		{ "\\\\ \\\" \\'", "\\ \" '", XLATE_OK },
		{ "caf\\u00e9", "caf\xc3\xa9", XLATE_OK },
		{ "\\u00E9", "\xc3\xa9", XLATE_OK },
		{ "\\u20AC", "\xe2\x82\xac", XLATE_OK },
		{ "\\uD83D\\uDE00", "\xf0\x9f\x98\x80", XLATE_OK },
		{ "\\u0041", "A", XLATE_OK },
		{ "\\x", "", XLATE_E_CPIM_ESCAPE },
		{ "\\", "", XLATE_E_CPIM_ESCAPE },
		{ "\\u12", "", XLATE_E_CPIM_ESCAPE },
		{ "\\u12G4", "", XLATE_E_CPIM_ESCAPE },
		{ "\\uDC00", "", XLATE_E_CPIM_ESCAPE },
		{ "\\uD83D", "", XLATE_E_CPIM_ESCAPE },
		{ "\\uD83Dx\\uDE00", "", XLATE_E_CPIM_ESCAPE },
		{ "\\uD83D\\u0041", "", XLATE_E_CPIM_ESCAPE },
		{ "\\u0000", "", XLATE_E_CPIM_ESCAPE },
	};
	char			 out[64];
	enum xlate_status	 st;

	for (size_t i = 0; i < NELEM(rows); i++) {
		st = xlate_cpim_unescape(rows[i].in, strlen(rows[i].in), out,
		    sizeof(out));
		is_int(st, rows[i].st, "cpim_unescape(\"%s\") status",
		    rows[i].in);
		is_str(out, rows[i].want, "cpim_unescape(\"%s\")",
		    rows[i].in);
	}
	is_int(xlate_cpim_unescape("\\u20AC", 6, out, 3), XLATE_E_NO_SPACE,
	    "cpim_unescape: short buffer");
}

static void
test_ctype(void)
{
	static const struct {
		const char		*ct;
		enum xlate_ctype	 want;
	} rows[] = {
		{ "text/plain", XLATE_CT_TEXT },
		{ "text/plain;charset=UTF-8", XLATE_CT_TEXT },
		{ "text/plain; charset=utf-8", XLATE_CT_TEXT },
		{ "Text/Plain; Charset=\"UTF-8\"", XLATE_CT_TEXT },
		{ "text/plain ; charset = us-ascii", XLATE_CT_TEXT },
		{ "TEXT/PLAIN;CHARSET=US-ASCII", XLATE_CT_TEXT },
		{ "text/plain;format=flowed;charset=utf-8", XLATE_CT_TEXT },
		{ "text/plain;", XLATE_CT_TEXT },
		{ " text/plain ", XLATE_CT_TEXT },
		{ "text/plain;charset=iso-8859-1", XLATE_CT_UNSUPPORTED },
		{ "text/plain;charset=utf-16", XLATE_CT_UNSUPPORTED },
		{ "text/plain;charset=utf8", XLATE_CT_UNSUPPORTED },
		{ "text/plain;charset=utf-8;charset=utf-8",
		    XLATE_CT_UNSUPPORTED },
		{ "text/plain;charset", XLATE_CT_UNSUPPORTED },
		{ "text/plain;charset=", XLATE_CT_UNSUPPORTED },
		{ "text/plain;charset=\"utf-8", XLATE_CT_UNSUPPORTED },
		{ "text/plain junk", XLATE_CT_UNSUPPORTED },
		{ "text/plainx", XLATE_CT_UNSUPPORTED },
		{ "message/cpim", XLATE_CT_CPIM },
		{ "Message/CPIM", XLATE_CT_CPIM },
		{ "message/cpim; charset=iso-8859-1", XLATE_CT_CPIM },
		{ "text/html", XLATE_CT_UNSUPPORTED },
		{ "application/im-iscomposing+xml", XLATE_CT_ISCOMPOSING },
		{ "Application/IM-isComposing+XML", XLATE_CT_ISCOMPOSING },
		{ "message/imdn+xml", XLATE_CT_IMDN },
		{ "message/imdn+xml; charset=utf-8", XLATE_CT_IMDN },
		{ "message/imdn", XLATE_CT_UNSUPPORTED },
		{ "text", XLATE_CT_UNSUPPORTED },
		{ "text/", XLATE_CT_UNSUPPORTED },
		{ "/plain", XLATE_CT_UNSUPPORTED },
		{ "", XLATE_CT_UNSUPPORTED },
	};

	for (size_t i = 0; i < NELEM(rows); i++)
		is_int(xlate_content_type_ok(rows[i].ct), rows[i].want,
		    "content_type_ok(\"%s\")", rows[i].ct);
	is_int(xlate_content_type_ok(NULL), XLATE_CT_UNSUPPORTED,
	    "content_type_ok(NULL)");
	is_int(xlate_content_type_okn("text/plainXYZ", 10), XLATE_CT_TEXT,
	    "content_type_okn reads only len bytes");
}

static void
test_utf8(void)
{
	static const struct {
		const char		*s;
		size_t			 len;	/* 0: strlen */
		enum xlate_status	 st;
		size_t			 off;
	} rows[] = {
		{ "hello", 0, XLATE_OK, 0 },
		{ "Nic z ob\xc3\xa9ho", 0, XLATE_OK, 0 },
		{ "\xe2\x82\xac \xf0\x9f\x98\x80", 0, XLATE_OK, 0 },
		{ "tab\tLF\nCR\r", 0, XLATE_OK, 0 },
		{ "\x7f\xc2\x85", 0, XLATE_OK, 0 },	/* XML allows these */
		{ "\xef\xbf\xbd", 0, XLATE_OK, 0 },	/* U+FFFD */
		{ "\xf4\x8f\xbf\xbd", 0, XLATE_OK, 0 },	/* U+10FFFD */
		{ "a\x01" "b", 0, XLATE_E_CHAR, 1 },
		{ "ab\x1b", 0, XLATE_E_CHAR, 2 },
		{ "a\0b", 3, XLATE_E_CHAR, 1 },
		{ "\xef\xbf\xbe", 0, XLATE_E_CHAR, 0 },	/* U+FFFE */
		{ "x\xef\xbf\xbf", 0, XLATE_E_CHAR, 1 },	/* U+FFFF */
		{ "\xed\xa0\x80", 0, XLATE_E_UTF8, 0 },	/* surrogate */
		{ "\xc0\x80", 0, XLATE_E_UTF8, 0 },	/* overlong NUL */
		{ "\xe0\x80\xaf", 0, XLATE_E_UTF8, 0 },	/* overlong */
		{ "\xf4\x90\x80\x80", 0, XLATE_E_UTF8, 0 }, /* > U+10FFFF */
		{ "ok\xe2\x82", 0, XLATE_E_UTF8, 2 },	/* truncated */
		{ "\x80", 0, XLATE_E_UTF8, 0 },
		{ "a\xc3(", 0, XLATE_E_UTF8, 1 },
		{ "\xf8\x88\x80\x80\x80", 0, XLATE_E_UTF8, 0 },
		{ "", 0, XLATE_OK, 0 },
	};
	size_t		 off;

	for (size_t i = 0; i < NELEM(rows); i++) {
		size_t	 len = rows[i].len ? rows[i].len : strlen(rows[i].s);

		off = 99;
		is_int(xlate_utf8_check(rows[i].s, len, &off), rows[i].st,
		    "utf8_check row %zu -> %s", i,
		    xlate_strstatus(rows[i].st));
		is_int(off, rows[i].off, "utf8_check row %zu offset", i);
	}
	is_int(xlate_utf8_check("\xff", 1, NULL), XLATE_E_UTF8,
	    "utf8_check without erroff");
}

/* RFC 3428 8 / RFC 7572 6 (IW-018: the size_limit kind). */
static void
test_size(void)
{
	static const struct {
		size_t	 size, limit;
		bool	 ok;
	} rows[] = {
		{ 0, 0, true }, { 1300, 0, true }, { 1301, 0, false },
		{ 1299, 1300, true }, { 1300, 1300, true },
		{ 1301, 1300, false }, { 4000, 4000, true },
		{ 4001, 4000, false }, { 10000, 0, false },
	};
	struct gw_outcome	 o = { GW_PERMFAIL, GW_R_TOO_LARGE, 0 };
	struct gw_reply		 r;

	for (size_t i = 0; i < NELEM(rows); i++)
		is_int(xlate_sip_size_ok(rows[i].size, rows[i].limit),
		    rows[i].ok, "sip_size_ok(%zu, %zu)", rows[i].size,
		    rows[i].limit);
	/* What an XMPP sender is told when the MESSAGE would be too big. */
	status_reply(&o, &r);
	is_str(r.xmpp_condition, "policy-violation",
	    "too large -> <policy-violation/> (RFC 7572 6)");
	is_str(r.xmpp_type, "modify", "too large -> type modify");
}

/* The error vectors, against the one table in gateway/status. */
static void
test_status_vectors(void)
{
	static const struct {
		const char	*id;
		const char	*type;
		const char	*cond;
		int		 sip;
	} x2s[] = {
		{ "IW-011", "cancel", "item-not-found", 404 },
		{ "IW-013", "wait", "remote-server-timeout", 408 },
		{ "-", "modify", "bad-request", 400 },
		{ "-", "auth", "forbidden", 403 },
		{ "-", "cancel", "service-unavailable", 503 },
		{ "-", "wait", "recipient-unavailable", 480 },
		{ "-", "modify", "policy-violation", 403 },
		{ "-", "modify", "jid-malformed", 400 },
		{ "-", "cancel", "internal-server-error", 500 },
		{ "-", "cancel", "feature-not-implemented", 405 },
		{ "-", "cancel", "gone", 410 },
		{ "-", "modify", "not-acceptable", 406 },
		{ "-", "auth", "not-authorized", 401 },
		{ "-", "cancel", "remote-server-not-found", 404 },
		{ "-", "wait", "resource-constraint", 500 },
		{ "-", "modify", "redirect", 302 },
	};
	static const struct {
		const char	*id;
		int		 sip;
		const char	*cond;
		const char	*type;
	} s2x[] = {
		{ "IW-015", 404, "item-not-found", "cancel" },
		{ "IW-017", 503, "service-unavailable", "cancel" },
		{ "-", 400, "bad-request", "modify" },
		{ "-", 403, "forbidden", "auth" },
		{ "-", 408, "remote-server-timeout", "wait" },
		{ "-", 413, "policy-violation", "modify" },
		{ "-", 415, "bad-request", "modify" },
		{ "-", 480, "recipient-unavailable", "wait" },
		{ "-", 486, "recipient-unavailable", "wait" },
		{ "-", 500, "internal-server-error", "cancel" },
		{ "-", 504, "remote-server-timeout", "wait" },
		{ "-", 603, "service-unavailable", "cancel" },
	};

	for (size_t i = 0; i < NELEM(x2s); i++) {
		is_int(status_xmpp_to_sip(x2s[i].cond), x2s[i].sip,
		    "%s xmpp_error_to_sip %s/%s -> %d", x2s[i].id,
		    x2s[i].type, x2s[i].cond, x2s[i].sip);
		is_str(status_xmpp_type(x2s[i].cond), x2s[i].type,
		    "%s default type of %s", x2s[i].id, x2s[i].cond);
	}
	for (size_t i = 0; i < NELEM(s2x); i++) {
		is_str(status_sip_to_xmpp(s2x[i].sip), s2x[i].cond,
		    "%s sip_response_to_xmpp %d -> %s", s2x[i].id,
		    s2x[i].sip, s2x[i].cond);
		is_str(status_xmpp_type(status_sip_to_xmpp(s2x[i].sip)),
		    s2x[i].type, "%s %d -> type %s", s2x[i].id, s2x[i].sip,
		    s2x[i].type);
	}
}

/* RFC 7572 Table 2 (IW-019 and friends). */
static void
test_sip_to_xmpp_msg(void)
{
	static const char	 cpim_body[] =
	    "From: <im:romeo@example.net>\r\n"
	    "To: <im:juliet@example.com>\r\n"
	    "Subject:;lang=en Hi \\u00e9\r\n"
	    "\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "\r\n"
	    "Wherefore art thou";
	static const char	 cpim_html[] =
	    "From: <im:romeo@example.net>\r\nTo: <im:j@example.com>\r\n\r\n"
	    "Content-Type: text/html\r\n\r\n<p>x</p>";
	struct xlate_sip_msg	 m, m0 = {
		.from = "sip:romeo@example.net;tag=vwxyz",
		.to = "sip:juliet@example.com",
		.call_id = "5A37A65D-304B-470A-B718-3F3E6770ACAF",
		.content_type = "text/plain",
		.content_language = "cs",
		.subject = "Ahoj",
		.body = "Nic z ob\xc3\xa9ho",
	};
	struct xlate_xmpp_msg	 x;
	enum xlate_status	 st;

	m0.body_len = strlen(m0.body);

	/* IW-019 */
	st = xlate_sip_to_xmpp_msg(&m0, NULL, &x);
	is_int(st, XLATE_OK, "IW-019 maps");
	is_str(x.from, "romeo@example.net", "IW-019 from (tag dropped)");
	is_str(x.to, "juliet@example.com", "IW-019 to");
	ok(x.type == NULL, "IW-019 no type");
	is_str(x.lang, "cs", "IW-019 xml:lang");
	is_str(x.thread, "5A37A65D-304B-470A-B718-3F3E6770ACAF",
	    "IW-019 thread = Call-ID");
	is_str(x.subject, "Ahoj", "IW-019 subject");
	ok(x.body.len == m0.body_len && x.body.p == m0.body && !x.cpim,
	    "IW-019 body, borrowed from the SIP body");

	/* The same behind a gateway domain. */
	st = xlate_sip_to_xmpp_msg(&m0, GW, &x);
	ok(st == XLATE_OK &&
	    strcmp(x.from, "romeo\\40example.net@" GW) == 0 &&
	    strcmp(x.to, "juliet@example.com") == 0,
	    "gateway mode: sender at the gateway domain (%s)", x.from);

	/* Request-URI wins over To; name-addr From. */
	m = m0;
	m.from = "\"Romeo\" <sip:romeo@example.net;gr=pc1>;tag=1";
	m.request_uri = "sip:juliet@example.com;transport=tcp";
	m.to = "<sip:someone@else.example>";
	st = xlate_sip_to_xmpp_msg(&m, NULL, &x);
	ok(st == XLATE_OK && strcmp(x.from, "romeo@example.net/pc1") == 0 &&
	    strcmp(x.to, "juliet@example.com") == 0,
	    "Request-URI -> to, GRUU -> resource (%s -> %s)", x.from, x.to);

	/* A reply to an XMPP user through the gateway. */
	m = m0;
	m.to = "<sip:juliet%40b.example@" GW ">";
	st = xlate_sip_to_xmpp_msg(&m, GW, &x);
	ok(st == XLATE_OK && strcmp(x.to, "juliet@b.example") == 0,
	    "gateway mode: To at the gateway maps back (%s)", x.to);
	m.request_uri = "sip:+12025550100@" GW ";user=phone";
	st = xlate_sip_to_xmpp_msg(&m, GW, &x);
	ok(st == XLATE_OK && strcmp(x.to, "+12025550100@" GW) == 0,
	    "gateway mode: number at the gateway (%s)", x.to);
	m.request_uri = "tel:+12025550100";
	st = xlate_sip_to_xmpp_msg(&m, GW, &x);
	ok(st == XLATE_OK && x.to[0] == '\0',
	    "gateway mode: tel: Request-URI leaves to for the router");
	st = xlate_sip_to_xmpp_msg(&m, NULL, &x);
	is_int(st, XLATE_E_SCHEME, "direct mode: tel: Request-URI refused");

	/* Languages. */
	m = m0;
	m.content_language = "en-US, fr";
	ok(xlate_sip_to_xmpp_msg(&m, NULL, &x) == XLATE_OK &&
	    strcmp(x.lang, "en-US") == 0, "Content-Language list -> first");
	m.content_language = "1x";
	ok(xlate_sip_to_xmpp_msg(&m, NULL, &x) == XLATE_OK &&
	    x.lang[0] == '\0', "bad Content-Language dropped");
	m.content_language = "toolongsubtag";
	ok(xlate_sip_to_xmpp_msg(&m, NULL, &x) == XLATE_OK &&
	    x.lang[0] == '\0', "9-letter subtag dropped");
	m.content_language = NULL;
	m.subject = NULL;
	m.call_id = NULL;
	ok(xlate_sip_to_xmpp_msg(&m, NULL, &x) == XLATE_OK &&
	    x.lang[0] == '\0' && x.subject[0] == '\0' &&
	    x.thread[0] == '\0', "absent headers -> absent elements");

	/* Content types. */
	m = m0;
	m.content_type = "text/plain;charset=UTF-8";
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_OK,
	    "text/plain;charset=UTF-8 relayed");
	m.content_type = "text/html";
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_MEDIA,
	    "text/html -> 415");
	m.content_type = "text/plain;charset=iso-8859-1";
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_MEDIA,
	    "latin-1 -> 415");
	m.content_type = NULL;
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_MEDIA,
	    "body without Content-Type -> 415");
	m.body = NULL;
	m.body_len = 0;
	ok(xlate_sip_to_xmpp_msg(&m, NULL, &x) == XLATE_OK &&
	    x.body.len == 0, "no body, no Content-Type: empty body");

	/* Bodies must be XML text. */
	m = m0;
	m.body = "bad \xff";
	m.body_len = 5;
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_UTF8,
	    "invalid UTF-8 body");
	m.body = "bell \x07";
	m.body_len = 6;
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_CHAR,
	    "control character in body");
	m = m0;
	m.subject = "x\x01";
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_CHAR,
	    "control character in Subject");

	/* message/cpim is unwrapped. */
	m = m0;
	m.content_type = "message/cpim";
	m.subject = NULL;
	m.body = cpim_body;
	m.body_len = sizeof(cpim_body) - 1;
	st = xlate_sip_to_xmpp_msg(&m, NULL, &x);
	ok(st == XLATE_OK && x.cpim && x.body.len == 18 &&
	    memcmp(x.body.p, "Wherefore art thou", 18) == 0,
	    "message/cpim: text/plain part is the body");
	is_str(x.subject, "Hi \xc3\xa9", "message/cpim: Subject decoded");
	m.subject = "SIP wins";
	ok(xlate_sip_to_xmpp_msg(&m, NULL, &x) == XLATE_OK &&
	    strcmp(x.subject, "SIP wins") == 0,
	    "message/cpim: SIP Subject preferred");
	m.body = cpim_html;
	m.body_len = sizeof(cpim_html) - 1;
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_MEDIA,
	    "message/cpim with text/html part -> 415");
	m.body = "garbage";
	m.body_len = 7;
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_CPIM_TRUNCATED,
	    "malformed message/cpim");

	/* Addresses that cannot be mapped. */
	m = m0;
	m.from = "sip:%20romeo@example.net";
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_EDGE_SPACE,
	    "From with leading space");
	m.from = NULL;
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_URI,
	    "no From");
}

/*
 * RFC 7572 Table 1 (IW-003 shape, IW-018).  Message types as RFC 6121
 * section 5.2.2 lists them: an error stanza never becomes a MESSAGE (it
 * answers something; RFC 6120 section 8.3.1), groupchat is refused,
 * normal, chat and headline are relayed alike.
 */
static void
test_xmpp_to_sip_msg(void)
{
	static char		 big[1400];
	struct xlate_xmpp_in	 in, in0 = {
		.from = "juliet@example.com/yn0cl4bnw0yr3vym",
		.to = "romeo@example.net",
		.body = "Art thou not Romeo, and a Montague?",
	};
	struct xlate_sip_out	 s;
	enum xlate_status	 st;

	in0.body_len = strlen(in0.body);
	st = xlate_xmpp_to_sip_msg(&in0, NULL, 0, &s);
	is_int(st, XLATE_OK, "RFC 7572 example 1 maps");
	is_str(s.request_uri, "sip:romeo@example.net", "Request-URI / To");
	is_str(s.from, "<sip:juliet@example.com;gr=yn0cl4bnw0yr3vym>",
	    "IW-003 From with GRUU");
	is_str(s.content_type, "text/plain;charset=UTF-8", "text/plain");
	ok(s.call_id == NULL && s.subject[0] == '\0' &&
	    s.content_language[0] == '\0', "no thread/subject/lang");
	ok(s.body.p == in0.body && s.body.len == in0.body_len,
	    "body borrowed");
	ok(s.size_estimate > XLATE_SIP_OVERHEAD &&
	    s.size_estimate < XLATE_SIP_LIMIT, "size estimate %zu",
	    s.size_estimate);

	in = in0;
	in.thread = "thread-1@example.com";
	in.subject = "two\r\nlines\tx";
	in.lang = "cs";
	in.type = "chat";
	st = xlate_xmpp_to_sip_msg(&in, NULL, 0, &s);
	ok(st == XLATE_OK && s.call_id == in.thread,
	    "thread -> Call-ID");
	is_str(s.subject, "two  lines x", "subject: one header line");
	is_str(s.content_language, "cs", "xml:lang -> Content-Language");
	in.thread = "has space";
	ok(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s) == XLATE_OK &&
	    s.call_id == NULL, "thread that is no Call-ID: make one");
	in.lang = "not a tag";
	ok(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s) == XLATE_OK &&
	    s.content_language[0] == '\0', "bad xml:lang dropped");

	/* Types. */
	in = in0;
	in.type = "error";
	is_int(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s),
	    XLATE_E_ERROR_STANZA, "type='error' never becomes a MESSAGE");
	in.type = "groupchat";
	is_int(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s), XLATE_E_TYPE,
	    "groupchat refused");
	in.type = "bogus";
	is_int(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s), XLATE_E_TYPE,
	    "unknown type refused");
	in.type = "normal";
	is_int(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s), XLATE_OK,
	    "normal relayed");
	in.type = "headline";
	is_int(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s), XLATE_OK,
	    "headline relayed");
	in = in0;
	in.body = NULL;
	in.body_len = 0;
	is_int(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s), XLATE_E_EMPTY,
	    "no body, no subject: nothing to send");
	in.subject = "only a subject";
	ok(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s) == XLATE_OK &&
	    s.body.len == 0, "subject only: empty body");

	/* IW-018: over 1300 bytes -> <policy-violation/>. */
	in = in0;
	memset(big, 'x', sizeof(big));
	in.body = big;
	in.body_len = sizeof(big);
	st = xlate_xmpp_to_sip_msg(&in, NULL, 0, &s);
	ok(st == XLATE_E_TOO_LARGE && s.size_estimate > XLATE_SIP_LIMIT,
	    "IW-018 1400-byte body is too large (%zu)", s.size_estimate);
	is_str(status_sip_to_xmpp(413), "policy-violation",
	    "IW-018 -> policy-violation");
	ok(xlate_xmpp_to_sip_msg(&in, NULL, 4000, &s) == XLATE_OK,
	    "a configured limit of 4000 lets it through");
	in.body_len = 900;
	ok(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s) == XLATE_E_TOO_LARGE,
	    "900 bytes + headers + overhead is over 1300 (%zu)",
	    s.size_estimate);
	in.body_len = 700;
	ok(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s) == XLATE_OK,
	    "700 bytes fit (%zu)", s.size_estimate);

	/* Bodies. */
	in = in0;
	in.body = "\xc3";
	in.body_len = 1;
	is_int(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s), XLATE_E_UTF8,
	    "broken UTF-8 body");
	in = in0;
	in.subject = "\xff";
	is_int(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s), XLATE_E_UTF8,
	    "broken UTF-8 subject");

	/* Gateway mode. */
	in = in0;
	in.from = "juliet@b.example/res";
	in.to = "alice\\40a.example@" GW;
	st = xlate_xmpp_to_sip_msg(&in, GW, 0, &s);
	ok(st == XLATE_OK && strcmp(s.from,
	    "<sip:juliet%40b.example@" GW ";gr=res>") == 0 &&
	    strcmp(s.request_uri, "sip:alice@a.example") == 0,
	    "gateway mode: %s -> %s", s.from, s.request_uri);
	in.to = "+12025550100@" GW;
	ok(xlate_xmpp_to_sip_msg(&in, GW, 0, &s) == XLATE_OK &&
	    strcmp(s.request_uri, "tel:+12025550100") == 0,
	    "gateway mode: number -> tel: for the router");
	in.to = "bob@" GW;
	is_int(xlate_xmpp_to_sip_msg(&in, GW, 0, &s), XLATE_E_NOT_GW,
	    "gateway mode: unknown local user at the gateway");
	in.to = "romeo@example.net";
	ok(xlate_xmpp_to_sip_msg(&in, GW, 0, &s) == XLATE_OK &&
	    strcmp(s.request_uri, "sip:romeo@example.net") == 0,
	    "gateway mode: foreign domain maps directly");
	in.from = "a b@x";
	is_int(xlate_xmpp_to_sip_msg(&in, GW, 0, &s), XLATE_E_JID,
	    "gateway mode: malformed sender");
	in = in0;
	in.to = "romeo@b\xc3\xbc" "cher.example";
	ok(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s) == XLATE_OK &&
	    strcmp(s.request_uri, "sip:romeo@xn--bcher-kva.example") == 0,
	    "IDN recipient: A-label Request-URI");
	in.to = "romeo@xn--zz.example";
	is_int(xlate_xmpp_to_sip_msg(&in, NULL, 0, &s), XLATE_E_IDNA,
	    "bad A-label recipient refused");
}

static void
test_strstatus(void)
{
	const char	*a, *b;
	bool		 distinct = true;

	for (int i = XLATE_OK; i <= XLATE_E_IDNA; i++) {
		a = xlate_strstatus((enum xlate_status)i);
		if (a == NULL || strncmp(a, "XLATE_", 6) != 0)
			distinct = false;
		for (int k = XLATE_OK; a != NULL && k < i; k++) {
			b = xlate_strstatus((enum xlate_status)k);
			if (strcmp(a, b) == 0)
				distinct = false;
		}
	}
	ok(distinct, "strstatus: one distinct name per status");
	is_str(xlate_strstatus(XLATE_E_EDGE_SPACE), "XLATE_E_EDGE_SPACE",
	    "strstatus(XLATE_E_EDGE_SPACE)");
	is_str(xlate_strstatus((enum xlate_status)999), "XLATE_E_UNKNOWN",
	    "strstatus out of range");
}

/* XML escaping of stanza text and attribute values. */
static void
test_xml_escape(void)
{
	static const struct {
		const char	*in;
		bool		 attr;
		const char	*out;
	} rows[] = {
		{ "", false, "" },
		{ "plain text", false, "plain text" },
		{ "a < b & c > d", false, "a &lt; b &amp; c &gt; d" },
		{ "it's \"quoted\"", false, "it's \"quoted\"" },
		{ "it's \"quoted\"", true, "it&apos;s &quot;quoted&quot;" },
		{ "&amp;", false, "&amp;amp;" },
		{ "\xd0\x9f\xf0\x9f\x98\x80<", false,
		    "\xd0\x9f\xf0\x9f\x98\x80&lt;" },
		{ "'''''", true, "&apos;&apos;&apos;&apos;&apos;" },
	};
	char	 out[128];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t	 len = strlen(rows[i].in), n;

		/* The bound is what callers size their buffers by. */
		ok(XLATE_XML_ESCAPED_MAX(len) <= sizeof(out),
		    "xml_escape row %zu fits the test buffer", i);
		n = xlate_xml_escape(rows[i].in, len, rows[i].attr, out);
		ok(n <= XLATE_XML_ESCAPED_MAX(len),
		    "xml_escape row %zu within XLATE_XML_ESCAPED_MAX", i);
		out[n] = '\0';
		is_str(out, rows[i].out, "xml_escape row %zu", i);
	}
}

/*
 * What imgated passes besides the headers (gateway/xmppgw): the JID
 * routing chose, the identity table's number, an XMPP sender going back
 * to XMPP, a recipient routing names later; and what it reads back:
 * the body kind and the CPIM wrapper's IMDN headers, an unfolded Subject.
 */
static void
test_daemon_mapping(void)
{
	static const char	 imdn_cpim[] =
	    "From: <sip:a@x.example>\r\nTo: <sip:b@y.example>\r\n"
	    "NS: imdn <urn:ietf:params:imdn>\r\n"
	    "imdn.Message-ID: m-1\r\n"
	    "imdn.Disposition-Notification: positive-delivery, display\r\n"
	    "\r\nContent-Type: text/plain\r\n\r\nhello";
	struct xlate_sip_msg	 m, m0 = {
		.from = "sip:romeo@example.net;tag=1",
		.to = "sip:+12025550100@gw.example.org;user=phone",
		.content_type = "text/plain",
		.body = "hi",
		.body_len = 2,
		.xmpp_to = "d\\27artagnan@example.net",
	};
	struct xlate_xmpp_in	 in, in0 = {
		.from = "juliet@b.example/balcony", .to = "+1@" GW,
		.body = "hi", .body_len = 2, .to_routed = true,
	};
	static struct xlate_xmpp_msg x;
	static struct xlate_sip_out s;

	m = m0;
	ok(xlate_sip_to_xmpp_msg(&m, GW, &x) == XLATE_OK &&
	    strcmp(x.to, m0.xmpp_to) == 0 &&
	    strcmp(x.from, "romeo\\40example.net@" GW) == 0 &&
	    x.kind == XLATE_CT_TEXT && !x.cpim,
	    "daemon: routing's JID is the to (%s)", x.to);
	m.sender_number = "+12025550177";
	ok(xlate_sip_to_xmpp_msg(&m, GW, &x) == XLATE_OK &&
	    strcmp(x.from, "+12025550177@" GW) == 0,
	    "daemon: identity number is the from (%s)", x.from);
	m = m0;
	m.from = NULL;
	m.sender_jid = "juliet@b.example/balcony";
	ok(xlate_sip_to_xmpp_msg(&m, GW, &x) == XLATE_OK &&
	    strcmp(x.from, "juliet\\40b.example@" GW) == 0,
	    "daemon: XMPP sender back to XMPP (%s)", x.from);
	is_int(xlate_sip_to_xmpp_msg(&m, NULL, &x), XLATE_E_DOMAIN,
	    "daemon: sender_jid needs a gateway domain");
	m = m0;
	m.subject = "first\r\n  second\n\tthird \r\n";
	ok(xlate_sip_to_xmpp_msg(&m, GW, &x) == XLATE_OK &&
	    strcmp(x.subject, "first second third") == 0,
	    "daemon: folded Subject unfolded (%s)", x.subject);
	{
		static char	 cid[XLATE_THREAD_SIZE + 1];

		memset(cid, 'c', sizeof(cid) - 1);
		m.call_id = cid;
		ok(xlate_sip_to_xmpp_msg(&m, GW, &x) == XLATE_OK &&
		    x.thread[0] == '\0',
		    "daemon: a Call-ID too long for a thread: no <thread/>");
		m.call_id = NULL;
	}
	m.subject = "tab\tkept";
	ok(xlate_sip_to_xmpp_msg(&m, GW, &x) == XLATE_OK &&
	    strcmp(x.subject, "tab\tkept") == 0,
	    "daemon: a TAB without a line break stays");
	m = m0;
	m.content_type = "message/imdn+xml";
	m.body = "<imdn/>";
	m.body_len = 7;
	ok(xlate_sip_to_xmpp_msg(&m, GW, &x) == XLATE_OK &&
	    x.kind == XLATE_CT_IMDN && x.body.p == m.body,
	    "daemon: IMDN is a notification, not text");
	m.content_type = "application/im-iscomposing+xml";
	ok(xlate_sip_to_xmpp_msg(&m, GW, &x) == XLATE_OK &&
	    x.kind == XLATE_CT_ISCOMPOSING,
	    "daemon: isComposing is a notification, not text");
	m.content_type = "message/cpim";
	m.body = imdn_cpim;
	m.body_len = sizeof(imdn_cpim) - 1;
	ok(xlate_sip_to_xmpp_msg(&m, GW, &x) == XLATE_OK && x.cpim &&
	    x.kind == XLATE_CT_TEXT && x.body.len == 5 &&
	    x.wrap.imdn_message_id.len == 3 &&
	    memcmp(x.wrap.imdn_message_id.p, "m-1", 3) == 0 &&
	    x.wrap.imdn_disp.p != NULL,
	    "daemon: the CPIM wrapper's imdn.* headers are kept");

	in = in0;
	ok(xlate_xmpp_to_sip_msg(&in, GW, SIZE_MAX, &s) == XLATE_OK &&
	    s.request_uri[0] == '\0' &&
	    strcmp(s.from, "<sip:juliet%40b.example@" GW ";gr=balcony>") ==
	    0, "daemon: to_routed leaves the Request-URI to routing (%s)",
	    s.from);
	in.sender_number = "+12025550178";
	ok(xlate_xmpp_to_sip_msg(&in, GW, SIZE_MAX, &s) == XLATE_OK &&
	    strcmp(s.from, "<sip:+12025550178@" GW ";user=phone>") == 0,
	    "daemon: identity number is the From (%s)", s.from);
	in = in0;
	in.thread = "a@b@c";
	ok(xlate_xmpp_to_sip_msg(&in, GW, SIZE_MAX, &s) == XLATE_OK &&
	    s.call_id == NULL, "daemon: a thread with two '@' is no Call-ID");
	in.thread = "x@y";
	ok(xlate_xmpp_to_sip_msg(&in, GW, SIZE_MAX, &s) == XLATE_OK &&
	    s.call_id == in.thread, "daemon: word@word is a Call-ID");
	{
		/* The cap is XLATE_THREAD_SIZE, as SIP -> XMPP's. */
		char	 th[XLATE_THREAD_SIZE + 1];

		memset(th, 'a', sizeof(th) - 1);
		th[XLATE_THREAD_SIZE - 1] = '\0';
		in.thread = th;
		ok(xlate_xmpp_to_sip_msg(&in, GW, SIZE_MAX, &s) ==
		    XLATE_OK && s.call_id == in.thread,
		    "daemon: a %d-character thread is a Call-ID",
		    XLATE_THREAD_SIZE - 1);
		th[XLATE_THREAD_SIZE - 1] = 'a';
		th[XLATE_THREAD_SIZE] = '\0';
		ok(xlate_xmpp_to_sip_msg(&in, GW, SIZE_MAX, &s) ==
		    XLATE_OK && s.call_id == NULL,
		    "daemon: a %d-character thread is no Call-ID: make one",
		    XLATE_THREAD_SIZE);
		in.thread = "x@y";
	}
	in.lang = "en-GB";
	in.subject = "a\nb";
	ok(xlate_xmpp_to_sip_msg(&in, GW, SIZE_MAX, &s) == XLATE_OK &&
	    strcmp(s.content_language, "en-GB") == 0 &&
	    strcmp(s.subject, "a b") == 0,
	    "daemon: xml:lang and a one-line subject");
}

int
main(void)
{
	test_xml_escape();
	test_escape();
	test_escape_roundtrip();
	test_split();
	test_addresses();
	test_gateway();
	test_im();
	test_no_space();
	test_cpim();
	test_cpim_unescape();
	test_ctype();
	test_utf8();
	test_size();
	test_status_vectors();
	test_sip_to_xmpp_msg();
	test_daemon_mapping();
	test_xmpp_to_sip_msg();
	test_strstatus();
	return done_testing();
}
