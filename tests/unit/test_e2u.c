/*
 * tests/unit/test_e2u.c - table-driven tests of enum/e2u.
 *
 * The substitution step inside ENUM (REGEXP field + AUS -> URI): every
 * e2u_status, any delimiter including ERE metacharacters, escaped
 * delimiters in ERE and Repl, the "i" flag, \1-\9, unmatched groups,
 * sed-style residue, output bounds, and the regexps of the kind "enum"
 * vectors of tests/integration/vectors-public.json.  Output is TAP.
 */
#include <stdio.h>
#include <string.h>

#include "enum/e2u.h"
#include "tests/tap.h"

#define AUS_US	"+12025550100"
#define AUS_UK	"+441632960083"

struct apply_case {
	const char	*name;
	const char	*regexp;
	const char	*aus;
	enum e2u_status	 st;
	const char	*out;	/* "" unless E2U_OK */
};

static const struct apply_case apply_cases[] = {
	/* vectors-public.json regexps (wire values) */
	{ "ENUM-001", "!^.*$!im:info@example.co.uk!", "+442079460148",
	    E2U_OK, "im:info@example.co.uk" },
	{ "ENUM-003 sip", "!^(\\+441632960083)$!sip:\\1@example.com!",
	    AUS_UK, E2U_OK, "sip:+441632960083@example.com" },
	{ "ENUM-003 h323", "!^\\+441632960083$!h323:operator@example.com!",
	    AUS_UK, E2U_OK, "h323:operator@example.com" },
	{ "ENUM-019 case kept", "!^.*$!im:Alice@Example.COM!", AUS_US,
	    E2U_OK, "im:Alice@Example.COM" },
	{ "ENUM-027", "!^\\+1(.*)$!im:\\1@example.net!", AUS_US, E2U_OK,
	    "im:2025550100@example.net" },
	{ "ENUM-037 two delimiters", "!^.*$!im:broken@example.com", AUS_US,
	    E2U_DELIM_COUNT, "" },
	{ "ENUM-039 \\2 of one group", "!^\\+(.*)$!im:\\2@example.com!",
	    AUS_US, E2U_BAD_BACKREF, "" },
	{ "ENUM-041 '@' delimiter", "@^.*$@im:alice\\@example.com@", AUS_US,
	    E2U_OK, "im:alice@example.com" },
	{ "ENUM-043 flag g", "!^.*$!im:x@example.com!g", AUS_US,
	    E2U_BAD_FLAGS, "" },
	{ "ENUM-045 other number", "!^\\+441632960083$!im:other@example.com!",
	    AUS_US, E2U_NO_MATCH, "" },
	{ "ENUM-049 not a URI is still output",
	    "!^.*$!alice@example.com!", AUS_US, E2U_OK, "alice@example.com" },
	{ "ENUM-046 (.*) keeps +", "!^(.*)$!sip:\\1@example.com!", AUS_US,
	    E2U_OK, "sip:+12025550100@example.com" },
	{ "ENUM-046 \\+(.*) drops +", "!^\\+(.*)$!sip:\\1@example.com!",
	    AUS_US, E2U_OK, "sip:12025550100@example.com" },

	/* delimiter choice */
	{ "empty field", "", AUS_US, E2U_EMPTY, "" },
	{ "digit delimiter", "1^.*$1x:y1", AUS_US, E2U_BAD_DELIM, "" },
	{ "zero delimiter", "0^.*$0x:y0", AUS_US, E2U_BAD_DELIM, "" },
	{ "flag delimiter i", "i^.*$ix:yi", AUS_US, E2U_BAD_DELIM, "" },
	{ "flag delimiter I", "I^.*$Ix:yI", AUS_US, E2U_BAD_DELIM, "" },
	{ "backslash delimiter", "\\^.*$\\x:y\\", AUS_US, E2U_BAD_DELIM,
	    "" },
	{ "'/' delimiter", "/^.*$/im:a@b.example/", AUS_US, E2U_OK,
	    "im:a@b.example" },
	{ "'#' delimiter", "#^\\+(.*)$#tel:+\\1#", AUS_US, E2U_OK,
	    "tel:+12025550100" },
	{ "octet 0xC3 delimiter", "\xc3^.*$\xc3im:a@b\xc3", AUS_US, E2U_OK,
	    "im:a@b" },
	{ "'.' delimiter, \\. stays literal",
	    ".^\\+1([0-9]*)$.im:\\1@example\\.com.", AUS_US, E2U_OK,
	    "im:2025550100@example.com" },
	{ "'.' delimiter: \\. is not 'any char'", ".^\\+1202\\.$.x:y.",
	    "+12025", E2U_NO_MATCH, "" },

	/* escaped delimiters: ERE metacharacters stay literal */
	{ "'|' delimiter, \\| literal in ERE", "|^a\\|b$|x:ok|", "a|b",
	    E2U_OK, "x:ok" },
	{ "'|' delimiter, \\| is not alternation", "|^a\\|b$|x:ok|", "a",
	    E2U_NO_MATCH, "" },
	{ "'|' delimiter, \\| in Repl", "|^(.*)$|x:\\1\\|y|", AUS_US, E2U_OK,
	    "x:+12025550100|y" },
	{ "'+' delimiter, \\+ literal in ERE", "+^\\+1(.*)$+im:\\1@x+",
	    AUS_US, E2U_OK, "im:2025550100@x" },
	{ "'+' delimiter, \\+ is not repetition", "+^1\\+$+x:y+", "11",
	    E2U_NO_MATCH, "" },
	{ "'+' delimiter, \\+ in Repl", "+^(.*)$+sip:\\1\\+x@y+", AUS_US,
	    E2U_OK, "sip:+12025550100+x@y" },
	{ "'!' escaped in ERE", "!^a\\!b$!x:ok!", "a!b", E2U_OK, "x:ok" },
	{ "'!' escaped in Repl", "!^.*$!im:a\\!b@x!", AUS_US, E2U_OK,
	    "im:a!b@x" },
	{ "escaped backslash before delimiter", "!^a\\\\!x:y!", "a\\",
	    E2U_OK, "x:y" },

	/* delimiter count and flags */
	{ "one delimiter", "!^.*$", AUS_US, E2U_DELIM_COUNT, "" },
	{ "only the delimiter", "!", AUS_US, E2U_DELIM_COUNT, "" },
	{ "four delimiters", "!^.*$!x:y!z!", AUS_US, E2U_DELIM_COUNT, "" },
	{ "delimiter after flag", "!^.*$!x:y!i!", AUS_US, E2U_DELIM_COUNT,
	    "" },
	{ "escaped third delimiter", "!^.*$!x:y\\!", AUS_US,
	    E2U_DELIM_COUNT, "" },
	{ "flag i", "!^\\+1(.*)$!im:\\1@x!i", AUS_US, E2U_OK,
	    "im:2025550100@x" },
	{ "flag i matches case-insensitively", "!^\\+abc$!x:y!i", "+ABC",
	    E2U_OK, "x:y" },
	{ "no flag: case-sensitive", "!^\\+abc$!x:y!", "+ABC", E2U_NO_MATCH,
	    "" },
	{ "flag I (ABNF literal)", "!^\\+abc$!x:y!I", "+ABC", E2U_OK,
	    "x:y" },
	{ "flag ii", "!^.*$!x:y!ii", AUS_US, E2U_BAD_FLAGS, "" },
	{ "flags gi", "!^.*$!x:y!gi", AUS_US, E2U_BAD_FLAGS, "" },
	{ "flag space", "!^.*$!x:y! ", AUS_US, E2U_BAD_FLAGS, "" },

	/* backrefs */
	{ "\\1..\\9",
	    "!^\\+(1)(2)(0)(2)(5)(5)(5)(0)(1)00$!t:\\9\\8\\7\\6\\5\\4\\3\\2\\1!",
	    AUS_US, E2U_OK, "t:105552021" },
	{ "same group twice", "!^\\+1(...)(.*)$!t:\\1-\\1-\\2!", AUS_US,
	    E2U_OK, "t:202-202-5550100" },
	{ "unmatched optional group is empty",
	    "!^\\+1(x)?(.*)$!im:[\\1]\\2@x!", AUS_US, E2U_OK,
	    "im:[]2025550100@x" },
	{ "\\1 with no group", "!^.*$!x:\\1!", AUS_US, E2U_BAD_BACKREF, "" },
	{ "\\( is not a group", "!^\\(1$!x:\\1!", "(1", E2U_BAD_BACKREF,
	    "" },
	{ "bad backref wins over no-match", "!^9(.*)$!x:\\2!", AUS_US,
	    E2U_BAD_BACKREF, "" },
	{ "\\0 is not a backref", "!^.*$!x:\\0!", AUS_US, E2U_OK, "x:\\0" },
	{ "\\\\ is one backslash", "!^(.*)$!x:a\\\\\\1!", "+1", E2U_OK,
	    "x:a\\+1" },
	{ "other escapes kept", "!^.*$!x:\\q!", AUS_US, E2U_OK, "x:\\q" },
	{ "escaped delimiter ends Repl", "!^.*$!x:\\!!", AUS_US,
	    E2U_OK, "x:!" },
	{ "nested groups", "!^\\+((1)(2)02)(.*)$!x:\\1/\\2/\\3/\\4!", AUS_US,
	    E2U_OK, "x:1202/1/2/5550100" },

	/* ERE compile failures */
	{ "unclosed group", "!^(.*$!x:y!", AUS_US, E2U_COMPILE, "" },
	{ "unclosed bracket", "!^[0-9$!x:y!", AUS_US, E2U_COMPILE, "" },
	{ "bad interval", "!^a{2,1}$!x:y!", AUS_US, E2U_COMPILE, "" },
	{ "escaped delimiter moves the split", "!abc\\!x!y!", "abc!x",
	    E2U_OK, "y" },
	{ "backslash run escapes the delimiter", "!abc\\\\\\!x!", AUS_US,
	    E2U_DELIM_COUNT, "" },
	{ "runaway repetition", "!((a{255}){255}){255}!x:y!", AUS_US,
	    E2U_COMPILE, "" },
	{ "modest repetition", "!^(.{1,4}){1,4}$!x:y!", AUS_US, E2U_OK,
	    "x:y" },
	{ "intervals as ENUM uses them",
	    "!^\\+1([0-9]{3})([0-9]{3,4})([0-9]{4,})$!x:\\1.\\2.\\3!",
	    AUS_US, E2U_OK, "x:202.555.0100" },
	{ "repetition over budget", "!^(.{1,20}){1,20}$!x:y!", AUS_US,
	    E2U_COMPILE, "" },
	{ "stacked + on empty group", "!((((()))))+++++++++++!x:y!", AUS_US,
	    E2U_COMPILE, "" },
	{ "nested + on nullable group", "!((((((a*)+)+)+)+)+)+!x:y!",
	    AUS_US, E2U_COMPILE, "" },
	{ "adjacent duplication a**", "!^a**$!x:y!", AUS_US, E2U_COMPILE,
	    "" },
	{ "adjacent duplication .*{2}", "!^.*{2}$!x:y!", AUS_US,
	    E2U_COMPILE, "" },
	{ "back-reference inside the ERE", "!^\\+(1)\\1$!x:y!", "+11",
	    E2U_COMPILE, "" },
	{ "many stars stay cheap", "!(.*)*(.*)*(.*)*(.*)*(.*)*(.*)*(.*)*!x:y!",
	    AUS_US, E2U_OK, "x:y" },
	{ "nesting too deep",
	    "!((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))"
	    "))))))))!x:y!", "a", E2U_COMPILE, "" },
	{ "nesting allowed",
	    "!((((((((((a))))))))))!x:\\9!", "a", E2U_OK, "x:a" },
	{ "brackets hide parentheses", "!^[(]([0-9]+)[)]$!x:\\1!", "(42)",
	    E2U_OK, "x:42" },

	/* sed-style residue of unanchored EREs */
	{ "unanchored: first match only", "!555!666!", AUS_US, E2U_OK,
	    "+12026660100" },
	{ "unanchored: first of several", "!0!X!", AUS_US, E2U_OK,
	    "+12X25550100" },
	{ "empty ERE matches at start", "!!x:!", AUS_US, E2U_OK,
	    "x:+12025550100" },
	{ "empty Repl", "!^.*$!!", AUS_US, E2U_OK, "" },
};

struct name_case {
	enum e2u_status	 st;
	const char	*name;
};

static const struct name_case name_cases[] = {
	{ E2U_OK, "ok" },
	{ E2U_EMPTY, "empty-regexp" },
	{ E2U_BAD_DELIM, "regexp-bad-delimiter" },
	{ E2U_DELIM_COUNT, "regexp-delimiter-count" },
	{ E2U_BAD_FLAGS, "regexp-bad-flags" },
	{ E2U_COMPILE, "regexp-compile" },
	{ E2U_BAD_BACKREF, "bad-backref" },
	{ E2U_NO_MATCH, "no-match" },
	{ E2U_TOO_LONG, "uri-too-long" },
	{ (enum e2u_status)99, "regexp-unknown" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void	test_apply(void);
static void	test_bounds(void);
static void	test_names(void);

static void
test_apply(void)
{
	const struct apply_case	*c;
	enum e2u_status		 st;
	char			 out[E2U_MAX_LEN + 1];
	size_t			 i;

	for (i = 0; i < NELEM(apply_cases); i++) {
		c = &apply_cases[i];
		memset(out, 'X', sizeof(out));
		st = e2u_apply(c->regexp, strlen(c->regexp), c->aus, out,
		    sizeof(out));
		is_str(e2u_strstatus(st), e2u_strstatus(c->st), "%s: status",
		    c->name);
		is_str(out, c->out, "%s: output", c->name);
	}
}

/* Length-delimited input, embedded NUL, caller buffer and hard caps. */
static void
test_bounds(void)
{
	static const char	 uri_re[] = "!^.*$!im:alice@example.com!";
	char			 copy[sizeof(uri_re)];
	char			 big[E2U_MAX_LEN + 2];
	char			 out[E2U_MAX_LEN + 1];
	enum e2u_status		 st;
	size_t			 n, i;

	memcpy(copy, uri_re, sizeof(uri_re));
	st = e2u_apply(copy, strlen(copy), AUS_US, out, 21);
	is_int(st, E2U_OK, "outsz exactly strlen + 1 fits");
	is_str(out, "im:alice@example.com", "exact-fit output");
	ok(memcmp(copy, uri_re, sizeof(uri_re)) == 0, "regexp untouched");

	memset(out, 'X', sizeof(out));
	st = e2u_apply(uri_re, strlen(uri_re), AUS_US, out, 20);
	is_int(st, E2U_TOO_LONG, "outsz one short: E2U_TOO_LONG");
	is_str(out, "", "output emptied on E2U_TOO_LONG");

	st = e2u_apply(uri_re, strlen(uri_re), AUS_US, NULL, 0);
	is_int(st, E2U_TOO_LONG, "no output buffer: E2U_TOO_LONG");

	st = e2u_apply("!^.*$!x:y!trailing", 10, AUS_US, out, sizeof(out));
	is_int(st, E2U_OK, "rlen bounds the field");
	is_str(out, "x:y", "bytes past rlen ignored");

	st = e2u_apply("!^.*$\0!x:y!", 11, AUS_US, out, sizeof(out));
	is_int(st, E2U_COMPILE, "NUL inside the ERE: E2U_COMPILE");
	st = e2u_apply("!^.*$!x:\0y!", 11, AUS_US, out, sizeof(out));
	is_int(st, E2U_COMPILE, "NUL inside Repl: E2U_COMPILE");
	st = e2u_apply("\0^.*$\0x:y\0", 11, AUS_US, out, sizeof(out));
	is_int(st, E2U_BAD_DELIM, "NUL delimiter: E2U_BAD_DELIM");
	st = e2u_apply(NULL, 0, AUS_US, out, sizeof(out));
	is_int(st, E2U_EMPTY, "NULL regexp: E2U_EMPTY");

	/* a field longer than E2U_MAX_LEN is refused outright */
	memset(big, 'a', sizeof(big));
	memcpy(big, "!^.*$!x:", 8);
	big[E2U_MAX_LEN] = '!';
	st = e2u_apply(big, E2U_MAX_LEN + 1, AUS_US, out, sizeof(out));
	is_int(st, E2U_TOO_LONG, "field over E2U_MAX_LEN: E2U_TOO_LONG");
	st = e2u_apply(big, E2U_MAX_LEN, AUS_US, out, sizeof(out));
	is_int(st, E2U_DELIM_COUNT, "field at E2U_MAX_LEN is parsed");
	big[E2U_MAX_LEN - 1] = '!';
	st = e2u_apply(big, E2U_MAX_LEN, AUS_US, out, sizeof(out));
	is_int(st, E2U_OK, "field of exactly E2U_MAX_LEN works");
	is_int(strlen(out), E2U_MAX_LEN - 7, "its output length");

	/* output is capped at E2U_MAX_LEN even with a bigger buffer */
	n = 0;
	n += (size_t)snprintf(big + n, sizeof(big) - n, "!^(.*)$!x:");
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "\\1");
	n += (size_t)snprintf(big + n, sizeof(big) - n, "!");
	st = e2u_apply(big, n, AUS_US, out, sizeof(out));
	is_int(st, E2U_TOO_LONG, "1202-byte expansion: E2U_TOO_LONG");
	st = e2u_apply(big, n, "+1234567", out, sizeof(out));
	is_int(st, E2U_OK, "802-byte expansion fits");
	is_int(strlen(out), 802, "expansion length");

	st = e2u_apply("!^$!x:empty!", 12, NULL, out, sizeof(out));
	is_int(st, E2U_OK, "NULL aus reads as \"\"");
}

static void
test_names(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(name_cases); i++)
		is_str(e2u_strstatus(name_cases[i].st), name_cases[i].name,
		    "strstatus(%d)", (int)name_cases[i].st);
}

int
main(void)
{
	test_apply();
	test_bounds();
	test_names();
	return done_testing();
}
