/*
 * tests/unit/test_e164.c - table-driven tests of routing/e164.
 *
 * Covers the first stage of the flow (destination -> AUS -> first key):
 * every e164_status, every input form and the kind "enum" vectors of
 * tests/integration/vectors-public.json whose input e164_parse() decides
 * (ENUM-001, -003, -007, -009, -011, -013 and the "+12025550100" family).
 * Output is TAP.
 */
#include <stdio.h>
#include <string.h>

#include "enum/enumkey.h"
#include "routing/e164.h"
#include "tests/tap.h"
#include "tests/unit/e164_ref.h"
#include "tests/xorshift.h"

/* Forms as the vectors' defaults accept them: e164, tel, sip-user-phone. */
#define FORMS_DEF	(E164_FORM_PLAIN | E164_FORM_TEL | \
			    E164_FORM_SIP_USER_PHONE)

struct parse_case {
	const char		*in;
	unsigned		 forms;
	unsigned		 max_digits;
	enum e164_status	 st;
	const char		*aus;	/* "" when rejected */
};

static const struct parse_case parse_cases[] = {
	/* vectors-public.json */
	{ "+44-20-7946-0148", FORMS_DEF, 15, E164_OK, "+442079460148" },
	{ "+441632960083", FORMS_DEF, 15, E164_OK, "+441632960083" },
	{ "tel:+1-202-555-0100", FORMS_DEF, 15, E164_OK, "+12025550100" },
	{ "sip:+1-202-555-0100@gw.example.org;user=phone", FORMS_DEF, 15,
	    E164_OK, "+12025550100" },
	{ "+1234567890123456", FORMS_DEF, 15, E164_TOO_LONG, "" },
	{ "+1-800-FLOWERS", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "+12025550100", FORMS_DEF, 15, E164_OK, "+12025550100" },

	/* plain form: separators and spaces */
	{ "+1 (202) 555.0100", FORMS_DEF, 15, E164_OK, "+12025550100" },
	{ "  +1 202 555 0100  ", FORMS_DEF, 15, E164_OK, "+12025550100" },
	{ "+1-(202)-555-01.00", FORMS_DEF, 15, E164_OK, "+12025550100" },
	{ "+358 555 1234567", FORMS_DEF, 15, E164_OK, "+3585551234567" },
	{ "+1", FORMS_DEF, 15, E164_OK, "+1" },

	/* 15 vs 16 digits, and the limit is the caller's */
	{ "+123456789012345", FORMS_DEF, 15, E164_OK, "+123456789012345" },
	{ "+1-234-567-890-123-45", FORMS_DEF, 15, E164_OK,
	    "+123456789012345" },
	{ "+1-234-567-890-123-456", FORMS_DEF, 15, E164_TOO_LONG, "" },
	{ "+12025550100", FORMS_DEF, 10, E164_TOO_LONG, "" },
	{ "+12025550100", FORMS_DEF, 11, E164_OK, "+12025550100" },

	/* invalid numbers */
	{ "", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "+", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "+ - ( )", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "---", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "++12025550100", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "+1202+5550100", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "1+2025550100", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "(+1) 202 555 0100", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "+1202555010O", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "+1\t202", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "+12025550100;ext=1", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "+1234567890123456x", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "alice@example.com", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },

	/* dialled strings are not E.164 */
	{ "02025550100", FORMS_DEF, 15, E164_NOT_E164, "" },
	{ "00442079460148", FORMS_DEF, 15, E164_NOT_E164, "" },
	{ "(202) 555-0100", FORMS_DEF, 15, E164_NOT_E164, "" },

	/* tel: URIs */
	{ "tel:+12025550100;ext=123", FORMS_DEF, 15, E164_OK,
	    "+12025550100" },
	{ "TEL:+1.202.555.0100;isub=1411;foo", FORMS_DEF, 15, E164_OK,
	    "+12025550100" },
	{ "Tel:+(1)202-555-0100", FORMS_DEF, 15, E164_OK, "+12025550100" },
	{ "tel:%2B12025550100", FORMS_DEF, 15, E164_OK, "+12025550100" },
	{ "tel:7042;phone-context=example.com", FORMS_DEF, 15,
	    E164_NOT_E164, "" },
	{ "tel:5550100;phone-context=+1-202", FORMS_DEF, 15, E164_NOT_E164,
	    "" },
	{ "tel:+12025550100;Phone-Context=+1", FORMS_DEF, 15, E164_NOT_E164,
	    "" },
	{ "tel:*31#;phone-context=example.net", FORMS_DEF, 15,
	    E164_NOT_E164, "" },
	{ "tel:02025550100", FORMS_DEF, 15, E164_NOT_E164, "" },
	{ "tel:+1 202 555 0100", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "tel:+1-800-FLOWERS", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "tel:", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "tel:+", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "tel:%2", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "tel:%zz12025550100", FORMS_DEF, 15, E164_INVALID_NUMBER, "" },
	{ "tel:+1234567890123456", FORMS_DEF, 15, E164_TOO_LONG, "" },
	{ "tel:+12025550100", E164_FORM_PLAIN, 15, E164_NOT_E164, "" },

	/* sip: / sips: URIs */
	{ "sips:+12025550100@gw.example.org;user=phone", FORMS_DEF, 15,
	    E164_OK, "+12025550100" },
	{ "SIP:+12025550100@gw.example.org;transport=tcp;USER=Phone",
	    FORMS_DEF, 15, E164_OK, "+12025550100" },
	{ "sip:+358-555-1234567;postd=pp22@foo.com;user=phone", FORMS_DEF,
	    15, E164_OK, "+3585551234567" },
	{ "sip:+1-212-555-1212:1234@gateway.com;user=phone", FORMS_DEF, 15,
	    E164_OK, "+12125551212" },
	{ "sip:%2B12025550100@gw;user=phone", FORMS_DEF, 15, E164_OK,
	    "+12025550100" },
	{ "sip:+12025550100@gw;user=phone?subject=hi", FORMS_DEF, 15,
	    E164_OK, "+12025550100" },
	{ "sip:+12025550100@gw", FORMS_DEF, 15, E164_NOT_E164, "" },
	{ "sip:+12025550100@gw?user=phone", FORMS_DEF, 15, E164_NOT_E164,
	    "" },
	{ "sip:+12025550100@gw;user=phonex", FORMS_DEF, 15, E164_NOT_E164,
	    "" },
	{ "sip:+12025550100@gw;user=ip", FORMS_DEF, 15, E164_NOT_E164, "" },
	{ "sip:alice@example.com", FORMS_DEF, 15, E164_NOT_E164, "" },
	{ "sip:gw.example.org;user=phone", FORMS_DEF, 15, E164_NOT_E164,
	    "" },
	{ "sip:7042;phone-context=example.com@gw;user=phone", FORMS_DEF, 15,
	    E164_NOT_E164, "" },
	{ "sip:+1-800-FLOWERS@gw;user=phone", FORMS_DEF, 15,
	    E164_INVALID_NUMBER, "" },
	{ "sip:+1234567890123456@gw;user=phone", FORMS_DEF, 15,
	    E164_TOO_LONG, "" },
	{ "sip:+12025550100@gw;user=phone", E164_FORM_PLAIN | E164_FORM_TEL,
	    15, E164_NOT_E164, "" },

	/* E164_FORM_SIP_PLUS: local policy for a "+digits" user part */
	{ "sip:+12025550100@gw", E164_FORM_ALL, 15, E164_OK,
	    "+12025550100" },
	{ "sip:+1-202-555-0100;x=y@gw", E164_FORM_ALL, 15, E164_OK,
	    "+12025550100" },
	{ "sip:%2b12025550100@gw", E164_FORM_ALL, 15, E164_OK,
	    "+12025550100" },
	{ "sips:+12025550100@gw", E164_FORM_SIP_PLUS, 15, E164_OK,
	    "+12025550100" },
	{ "sip:12025550100@gw", E164_FORM_ALL, 15, E164_NOT_E164, "" },
	{ "sip:+1-800-FLOWERS@gw", E164_FORM_ALL, 15, E164_NOT_E164, "" },
	{ "sip:+alice@gw", E164_FORM_ALL, 15, E164_NOT_E164, "" },
	{ "sip:+1234567890123456@gw", E164_FORM_ALL, 15, E164_TOO_LONG, "" },

	/* other schemes and disabled forms */
	{ "im:alice@example.com", E164_FORM_ALL, 15, E164_NOT_E164, "" },
	{ "xmpp:+12025550100@gw", E164_FORM_ALL, 15, E164_NOT_E164, "" },
	{ "+12025550100", E164_FORM_TEL, 15, E164_NOT_E164, "" },
};

struct key_case {
	const char	*aus;
	const char	*suffix;
	size_t		 outsz;
	int		 rc;
	const char	*key;
};

static const struct key_case key_cases[] = {
	{ "+442079460148", "e164.arpa.", ENUMKEY_MAX, 0,
	    "8.4.1.0.6.4.9.7.0.2.4.4.e164.arpa." },
	{ "+441632960083", "e164.arpa", ENUMKEY_MAX, 0,
	    "3.8.0.0.6.9.2.3.6.1.4.4.e164.arpa." },
	{ "+12025550100", "e164.arpa.", ENUMKEY_MAX, 0,
	    "0.0.1.0.5.5.5.2.0.2.1.e164.arpa." },
	{ "+12025550100", "E164.Example.", ENUMKEY_MAX, 0,
	    "0.0.1.0.5.5.5.2.0.2.1.E164.Example." },
	{ "+1", "e164.arpa.", ENUMKEY_MAX, 0, "1.e164.arpa." },
	{ "+12", ".", ENUMKEY_MAX, 0, "2.1." },
	{ "+12", "", ENUMKEY_MAX, 0, "2.1." },
	/* exact fit: "2.1.e164.arpa." is 14 bytes + NUL */
	{ "+12", "e164.arpa.", 15, 0, "2.1.e164.arpa." },
	{ "+12", "e164.arpa.", 14, -1, "" },
	{ "+12", "e164.arpa", 14, -1, "" },
	{ "12025550100", "e164.arpa.", ENUMKEY_MAX, -1, "" },
	{ "+", "e164.arpa.", ENUMKEY_MAX, -1, "" },
	{ "+1-202", "e164.arpa.", ENUMKEY_MAX, -1, "" },
	{ "", "e164.arpa.", ENUMKEY_MAX, -1, "" },
	{ "+12", ".e164.arpa.", ENUMKEY_MAX, -1, "" },
	{ "+12", "e164..arpa.", ENUMKEY_MAX, -1, "" },
};

struct name_case {
	enum e164_status	 st;
	const char		*name;
};

static const struct name_case name_cases[] = {
	{ E164_OK, "OK" },
	{ E164_INVALID_NUMBER, "E_INVALID_NUMBER" },
	{ E164_NOT_E164, "E_NOT_E164" },
	{ E164_TOO_LONG, "E_NUMBER_TOO_LONG" },
	{ E164_NO_SPACE, "E_NO_SPACE" },
	{ (enum e164_status)99, "E_UNKNOWN" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void	test_parse(void);
static void	test_parse_buffers(void);
static void	test_first_key(void);
static void	test_names(void);

static void
test_parse(void)
{
	const struct parse_case	*c;
	enum e164_status	 st;
	char			 aus[E164_AUS_MAX];
	size_t			 i;

	for (i = 0; i < NELEM(parse_cases); i++) {
		c = &parse_cases[i];
		memset(aus, 'X', sizeof(aus));
		st = e164_parse(c->in, strlen(c->in), c->forms, c->max_digits,
		    aus, sizeof(aus));
		is_str(e164_strstatus(st), e164_strstatus(c->st),
		    "parse \"%s\" forms 0x%x max %u: status", c->in, c->forms,
		    c->max_digits);
		is_str(aus, c->aus, "parse \"%s\": aus", c->in);
	}
}

/*
 * Things a table of NUL-terminated strings cannot say: the input is
 * length-delimited (not NUL-terminated, may hold NUL), the output buffer
 * may be too small, and the input is never written to.
 */
static void
test_parse_buffers(void)
{
	static const char	 in[] = "+12025550100";
	char			 copy[sizeof(in)];
	char			 aus[E164_AUS_MAX];
	enum e164_status	 st;

	memcpy(copy, in, sizeof(in));
	st = e164_parse(copy, 4, E164_FORM_ALL, 15, aus, sizeof(aus));
	is_int(st, E164_OK, "inlen bounds the input");
	is_str(aus, "+120", "only inlen bytes are read");
	ok(memcmp(copy, in, sizeof(in)) == 0, "input left untouched");

	st = e164_parse("+1202\0" "5550100", 12, E164_FORM_ALL, 15, aus,
	    sizeof(aus));
	is_int(st, E164_INVALID_NUMBER, "embedded NUL is junk");

	st = e164_parse("+12025550100", 12, E164_FORM_ALL, 15, aus, 13);
	is_int(st, E164_OK, "aussz exactly digits + 2 fits");
	is_str(aus, "+12025550100", "exact fit output");

	memset(aus, 'X', sizeof(aus));
	st = e164_parse("+12025550100", 12, E164_FORM_ALL, 15, aus, 12);
	is_int(st, E164_NO_SPACE, "aussz one short: E164_NO_SPACE");
	is_str(aus, "", "aus emptied on E164_NO_SPACE");

	st = e164_parse("+12025550100", 12, E164_FORM_ALL, 15, NULL, 0);
	is_int(st, E164_NO_SPACE, "NULL aus: E164_NO_SPACE");

	st = e164_parse(NULL, 0, E164_FORM_ALL, 15, aus, sizeof(aus));
	is_int(st, E164_INVALID_NUMBER, "NULL input: E164_INVALID_NUMBER");

	st = e164_parse("+12025550100", 12, 0, 15, aus, sizeof(aus));
	is_int(st, E164_NOT_E164, "no accepted form: E164_NOT_E164");
}

static void
test_first_key(void)
{
	const struct key_case	*c;
	char			 out[ENUMKEY_MAX];
	size_t			 i;
	int			 rc;

	for (i = 0; i < NELEM(key_cases); i++) {
		c = &key_cases[i];
		memset(out, 'X', sizeof(out));
		rc = enumkey_first(c->aus, c->suffix, out, c->outsz);
		is_int(rc, c->rc, "first_key(\"%s\", \"%s\", %zu): rc",
		    c->aus, c->suffix, c->outsz);
		is_str(out, c->key, "first_key(\"%s\", \"%s\"): key", c->aus,
		    c->suffix);
	}
	rc = enumkey_first("+1", NULL, out, sizeof(out));
	is_int(rc, -1, "first_key: NULL suffix refused");
	rc = enumkey_first("+1", "e164.arpa.", out, 0);
	is_int(rc, -1, "first_key: zero-size buffer refused");
}

static void
test_names(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(name_cases); i++)
		is_str(e164_strstatus(name_cases[i].st), name_cases[i].name,
		    "strstatus(%d)", (int)name_cases[i].st);
}

/*
 * The current scanners against the implementation they replaced
 * (tests/unit/e164_ref.c) on generated destinations: pieces of every
 * form glued at random, so that separators, escapes (good and broken),
 * parameters, schemes and junk land everywhere.  Status and AUS must
 * agree for every form set, digit limit and buffer size.
 */
static void
test_against_reference(void)
{
	static const char *const pieces[] = {
	    "+", "1", "2", "0", "9", "12025550100", "-", ".", "(", ")", " ",
	    "%2B", "%2b", "%31", "%", "%2", "%G1", "%20", "a", "F", "x",
	    "*", "#", ";", ":", "@", "?", "=", "tel:", "sip:", "sips:",
	    "SIP:", "Tel:", "im:", "xmpp:", "user=phone", ";user=phone",
	    ";USER=Phone", ";user=phonex", ";user", "phone-context=",
	    ";phone-context=+1", ";ext=1", "@gw.example.org", "@h;user=phone",
	    "@h?user=phone", ":pw", "\xc3\xa9", "\t", "123456789012345",
	    "+44", "ab-cd", "."
	};
	static const unsigned forms[] = { E164_FORM_ALL, E164_FORM_PLAIN,
	    E164_FORM_TEL, E164_FORM_SIP_USER_PHONE, E164_FORM_SIP_PLUS,
	    E164_FORM_TEL | E164_FORM_SIP_PLUS, 0 };
	static const size_t sizes[] = { 0, 1, 2, 3, 5, 8, 13, 16, 17, 32 };
	const size_t	 npieces = sizeof(pieces) / sizeof(pieces[0]);
	unsigned long	 bad = 0, n = 0;

	rng = 20261207ULL;	/* the same inputs on every run */

	for (int i = 0; i < 60000; i++) {
		char	 in[256], got[64], want[64];
		size_t	 len = 0, sz;
		int	 k = 1 + (int)(next_rand() % 7);
		unsigned fm, md;
		enum e164_status gs, ws;

		for (; k > 0; k--) {
			const char *pc;

			pc = pieces[next_rand() % npieces];
			if (len + strlen(pc) < sizeof(in)) {
				memcpy(in + len, pc, strlen(pc));
				len += strlen(pc);
			}
		}
		in[len] = '\0';
		fm = forms[next_rand() % (sizeof(forms) /
		    sizeof(forms[0]))];
		md = (unsigned)(next_rand() % 18);
		sz = sizes[next_rand() % (sizeof(sizes) /
		    sizeof(sizes[0]))];
		memset(got, 'g', sizeof(got));
		memset(want, 'w', sizeof(want));
		gs = e164_parse(in, len, fm, md, got, sz);
		ws = e164ref_parse(in, len, fm, md, want, sz);
		n++;
		if (gs != ws || (sz > 0 && strcmp(got, want) != 0)) {
			if (bad++ < 5)
				diag("\"%s\" forms %#x max %u size %zu: "
				    "%s \"%s\", reference %s \"%s\"", in, fm,
				    md, sz, e164_strstatus(gs),
				    sz > 0 ? got : "", e164_strstatus(ws),
				    sz > 0 ? want : "");
		}
	}
	is_int((long)bad, 0, "%lu generated destinations agree with the "
	    "reference", n);
}

/* enumkey_first() against its reference on generated AUS and suffixes,
 * every output size up to past the fit. */
static void
test_key_against_reference(void)
{
	static const char *const auses[] = { "+1", "+12025550100", "+",
	    "1202", "+12a4", "+1 2", "+123456789012345", "+9x", "",
	    "+0000000000000000000000000000001" };
	static const char *const suffixes[] = { "e164.arpa.", "e164.arpa",
	    "", ".", ".e164.arpa", "e164..arpa", "a.", "x" };
	const size_t	 na = sizeof(auses) / sizeof(auses[0]);
	const size_t	 ns = sizeof(suffixes) / sizeof(suffixes[0]);
	unsigned long	 bad = 0, n = 0;

	for (size_t i = 0; i < na * ns * 80; i++) {
		const char	*a = auses[i / 80 / ns];
		const char	*sf = suffixes[i / 80 % ns];
		size_t		 sz = i % 80;
		char		 got[100], want[100];
		int		 gr, wr;

		memset(got, 'g', sizeof(got));
		memset(want, 'w', sizeof(want));
		gr = enumkey_first(a, sf, got, sz);
		wr = enumkeyref_first(a, sf, want, sz);
		n++;
		if (gr != wr || (sz > 0 && strcmp(got, want) != 0)) {
			if (bad++ < 5)
				diag("\"%s\" \"%s\" size %zu: %d, "
				    "reference %d", a, sf, sz, gr, wr);
		}
	}
	is_int((long)bad, 0, "%lu first keys agree with the reference", n);
}

int
main(void)
{
	test_parse();
	test_parse_buffers();
	test_first_key();
	test_names();
	test_against_reference();
	test_key_against_reference();
	return done_testing();
}
