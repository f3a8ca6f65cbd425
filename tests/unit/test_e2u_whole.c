/*
 * tests/unit/test_e2u_whole.c - the whole-match fast path of enum/e2u.
 *
 * A cached rule whose ERE matches every AUS whole ("^.*$" and the forms
 * e2u_ere_whole() accepts) answers from a result worked out once; every
 * rule here, fast or not, is run through e2u_apply() (regexec() every
 * time) and through the cache (a miss, then a hit), on many AUS and
 * output sizes, and the two must agree byte for byte, status included.
 * The fast path must also really be taken where it should, and not
 * where it should not.  TAP.
 */
#include <string.h>

#include "enum/e2u.h"
#include "tests/tap.h"

static const struct {
	const char	*re;
	int		 whole;	/* 1: fast for a plain AUS */
} rules[] = {
	{ "!^.*$!sip:bench@sip.bench!", 1 },
	{ "!^.*$!im:alice@example.com!", 1 },
	{ "!.*!sip:a@b.example!", 1 },
	{ "!^.*!sip:a@b.example!", 1 },
	{ "!.*$!sip:a@b.example!", 1 },
	{ "!^.*$!im:ICASE@Example.COM!i", 1 },
	{ "!^.*$!im:ICASE@Example.COM!I", 1 },
	{ "!^.*$!\\0@x.example!", 1 },		/* \0: not a backref */
	{ "!^.*$!a\\!b@x.example!", 1 },		/* escaped delimiter */
	{ "!^.*$!a\\\\b@x.example!", 1 },	/* escaped backslash */
	{ "!^.*$!a\\zb\\!", 0 },		/* delimiter count */
	{ "!^.*$!a\\zb!", 1 },			/* other backslash kept */
	{ "!^.*$!!", 1 },			/* empty Repl */
	{ "!^.*$!x\\!", 0 },			/* two delimiters */
	{ "|^.*$|sip:pipe@x.example|", 1 },
	{ "@^.*$@im:alice\\@example.com@", 1 },
	{ "#^.*$#sip:hash@x.example#", 1 },
	{ "!^.*$!\\1@x.example!", 1 },		/* bad backref, always */
	{ "!^.*$!\\9!", 1 },
	{ "!^.*$!trail\\!", 0 },
	{ "!^.*$!x!ii", 0 },			/* bad flags */
	{ "!^.*$!x!g", 0 },
	{ ".^.*$.x.", 0 },			/* "." is the delimiter */
	{ "!^.+$!sip:plus@x.example!", 0 },	/* not every AUS */
	{ "!^.*x$!sip:x@x.example!", 0 },
	{ "!^(.*)$!sip:\\1@x.example!", 0 },
	{ "!^\\+(.*)$!sip:\\1@x.example!", 0 },
	{ "!^.*$$!sip:d@x.example!", 0 },
	{ "!^^.*$!sip:d@x.example!", 0 },
	{ "!.*.*!sip:d@x.example!", 0 },
	{ "!(.*)!\\1!", 0 },
	{ "!^.*$!sip:\\1!", 1 },
	{ "!^\\.*$!sip:dots@x.example!", 0 },
	{ "!^[.]*$!sip:dots@x.example!", 0 },
};

static const char *auses[] = {
	"+4930000000", "+12025550100", "", "+", "abc", "line\nbreak",
	"\ttab and space ", "\xc3\xa9t\xc3\xa9", "\xff\xfe", "x\x7f",
	"..........", "$^.*",
};

static const size_t outsizes[] = { 1, 2, 5, 12, 30, E2U_MAX_LEN + 1 };

int
main(void)
{
	struct e2u_cache *c;
	char	 a[E2U_MAX_LEN + 1], b[E2U_MAX_LEN + 1];
	char	 longaus[E2U_MAX_LEN + 200], longre[E2U_MAX_LEN + 1];
	size_t	 nr = sizeof(rules) / sizeof(rules[0]);
	size_t	 na = sizeof(auses) / sizeof(auses[0]);
	size_t	 no = sizeof(outsizes) / sizeof(outsizes[0]);
	int	 bad = 0, n = 0;
	uint64_t before;

	memset(longaus, '7', sizeof(longaus) - 1);
	longaus[0] = '+';
	longaus[sizeof(longaus) - 1] = '\0';
	for (size_t r = 0; r < nr; r++) {
		for (size_t i = 0; i <= na; i++)
			for (size_t o = 0; o < no; o++) {
				const char	*aus;
				enum e2u_status	 s1, s2, s3;
				size_t		 rl = strlen(rules[r].re);

				aus = i < na ? auses[i] : longaus;
				/* A fresh cache: a miss, then a hit. */
				c = e2u_cache_new(8);
				memset(a, 'A', sizeof(a));
				memset(b, 'B', sizeof(b));
				s1 = e2u_apply(rules[r].re, rl, aus, a,
				    outsizes[o]);
				s2 = e2u_apply_cached(c, rules[r].re, rl, aus,
				    b, outsizes[o]);
				s3 = e2u_apply_cached(c, rules[r].re, rl, aus,
				    b, outsizes[o]);
				n++;
				if (s1 != s2 || s1 != s3 ||
				    strcmp(a, b) != 0) {
					bad++;
					tap_diag("%s on \"%s\" out %zu: "
					    "regexec %s \"%s\", cached %s/%s "
					    "\"%s\"", rules[r].re, aus,
					    outsizes[o], e2u_strstatus(s1), a,
					    e2u_strstatus(s2),
					    e2u_strstatus(s3), b);
				}
				e2u_cache_free(c);
			}
	}
	ok(bad == 0, "%d rule x AUS x size cases: cache (miss and hit) "
	    "== regexec() byte for byte (%d differ)", n, bad);

	/* The fast path answers exactly the rules it should. */
	for (size_t r = 0; r < nr; r++) {
		c = e2u_cache_new(8);
		for (int k = 0; k < 3; k++)
			(void)e2u_apply_cached(c, rules[r].re,
			    strlen(rules[r].re), "+4930000000", b, sizeof(b));
		is_int(e2u_cache_whole(c), rules[r].whole ? 3 : 0,
		    "%s: %s", rules[r].re, rules[r].whole ?
		    "answered without regexec()" : "goes through regexec()");
		e2u_cache_free(c);
	}

	/* Not plain ASCII: regexec() decides, the answer is the same. */
	c = e2u_cache_new(8);
	(void)e2u_apply_cached(c, rules[0].re, strlen(rules[0].re),
	    "\xc3\xa9", b, sizeof(b));
	before = e2u_cache_whole(c);
	(void)e2u_apply_cached(c, rules[0].re, strlen(rules[0].re),
	    "\xc3\xa9", b, sizeof(b));
	ok(before == 0 && e2u_cache_whole(c) == 0,
	    "an AUS with octets >= 0x80 is left to regexec()");
	is_str(b, "sip:bench@sip.bench", "... with the same result");
	(void)e2u_apply_cached(c, rules[0].re, strlen(rules[0].re),
	    "+4930000000", b, sizeof(b));
	ok(e2u_cache_whole(c) == 1, "a plain AUS after it: fast again");
	is_str(b, "sip:bench@sip.bench", "the bench zone's URI");
	e2u_cache_free(c);

	/* The longest Repl that fits, with a cap one short and one exact. */
	{
		/* "!^.*$!" + Repl + "!" */
		size_t	 rl = E2U_MAX_LEN - 5;
		size_t	 repl = rl - 7;

		memcpy(longre, "!^.*$!", 6);
		memset(longre + 6, 'u', repl);
		longre[6 + repl] = '!';
		longre[rl] = '\0';
		c = e2u_cache_new(8);
		for (int k = 0; k < 2; k++) {
			enum e2u_status	 s1, s2;

			s1 = e2u_apply(longre, rl, "+1", a, repl);
			s2 = e2u_apply_cached(c, longre, rl, "+1", b, repl);
			ok(s1 == E2U_TOO_LONG && s2 == s1 && b[0] == '\0',
			    "long Repl, out one short: %s == %s",
			    e2u_strstatus(s2), e2u_strstatus(s1));
			s1 = e2u_apply(longre, rl, "+1", a, repl + 1);
			s2 = e2u_apply_cached(c, longre, rl, "+1", b,
			    repl + 1);
			ok(s1 == E2U_OK && s2 == s1 && strcmp(a, b) == 0 &&
			    strlen(b) == repl, "long Repl, out exact: %s",
			    e2u_strstatus(s2));
		}
		ok(e2u_cache_whole(c) == 4, "all four answered fast");
		e2u_cache_free(c);
	}
	return done_testing();
}
