/*
 * tests/unit/test_e2u_cache.c - the compiled-rule cache of enum/e2u.
 *
 * Cached application must give exactly what e2u_apply() gives, for hits
 * and misses, for good and refused rules, through slot collisions; and a
 * hit must not compile again.  TAP.
 */
#include <string.h>

#include "enum/e2u.h"
#include "tests/tap.h"

static const struct {
	const char	*re;
	const char	*aus;
} cases[] = {
	{ "!^.*$!im:alice@example.com!", "+12025550100" },
	{ "!^\\+(.*)$!sip:\\1@example.com!", "+12025550100" },
	{ "!^\\+(.*)$!sip:\\1@example.com!", "+441632960083" },
	{ "!^\\+1(...)(.*)$!im:\\2@\\1.example!", "+12025550100" },
	{ "!^\\+(.*)$!im:\\2@example.com!", "+12025550100" },
	{ "!^.*$!im:x@example.com", "+12025550100" },
	{ "!((((()))))+++++++++++!x!", "+12025550100" },
	{ "@^.*$@im:alice\\@example.com@", "+12025550100" },
	{ "!^\\+44.*$!im:uk@example.com!", "+12025550100" },
	{ "!^.*$!im:ICASE@example.com!i", "+12025550100" },
};

int
main(void)
{
	struct e2u_cache *c = e2u_cache_new(3);	/* small: collisions */
	char	 a[E2U_MAX_LEN + 1], b[E2U_MAX_LEN + 1];
	uint64_t hits, misses, h0, m0;

	ok(c != NULL, "cache created");
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			enum e2u_status s1, s2;

			s1 = e2u_apply(cases[i].re, strlen(cases[i].re),
			    cases[i].aus, a, sizeof(a));
			s2 = e2u_apply_cached(c, cases[i].re,
			    strlen(cases[i].re), cases[i].aus, b, sizeof(b));
			ok(s1 == s2 && strcmp(a, b) == 0, "round %d: %s on %s: "
			    "cached %s \"%s\" == plain %s \"%s\"", round,
			    cases[i].re, cases[i].aus, e2u_strstatus(s2), b,
			    e2u_strstatus(s1), a);
		}
	e2u_cache_stats(c, &h0, &m0);
	e2u_cache_free(c);

	c = e2u_cache_new(64);
	e2u_apply_cached(c, cases[1].re, strlen(cases[1].re), "+1", a,
	    sizeof(a));
	e2u_cache_stats(c, &hits, &misses);
	is_int(misses, 1, "first use compiles (miss)");
	for (int i = 0; i < 5; i++)
		e2u_apply_cached(c, cases[1].re, strlen(cases[1].re),
		    "+12025550100", a, sizeof(a));
	e2u_cache_stats(c, &hits, &misses);
	ok(hits == 5 && misses == 1, "five more uses: hits only (%llu/%llu)",
	    (unsigned long long)hits, (unsigned long long)misses);
	is_str(a, "sip:12025550100@example.com", "hit gives the right URI");
	e2u_apply_cached(c, cases[6].re, strlen(cases[6].re), "+1", a,
	    sizeof(a));
	e2u_apply_cached(c, cases[6].re, strlen(cases[6].re), "+1", a,
	    sizeof(a));
	e2u_cache_stats(c, &hits, &misses);
	ok(misses == 2 && hits == 6, "a refused rule is cached too");
	ok(e2u_apply_cached(c, cases[6].re, 0, "+1", a, sizeof(a)) ==
	    E2U_EMPTY, "empty field refused before the cache");
	e2u_cache_free(c);
	e2u_cache_free(NULL);
	return done_testing();
}
