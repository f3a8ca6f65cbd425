/*
 * tests/unit/test_rfc3861.c - RFC 3861 owner names, im: URI parsing and
 * the RFC 2782 target order.
 *
 * The order is random within a priority, so it is checked two ways: group
 * order exactly on every draw, and first-pick shares over many draws with
 * a seeded generator against the inclusive-zero expectations of the
 * vectors (weights 1 and 3 -> 0.4 / 0.6; a weight-0 member among weights
 * summing to S is first with probability 1/(S+1)).  TAP.
 */
#include <stdio.h>
#include <string.h>

#include "routing/rfc3861.h"
#include "tests/tap.h"
#include "tests/unit/rfc3861_ref.h"
#include "tests/xorshift.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	const char	*uri;
	int		 rc;
	const char	*user, *domain;
} uris[] = {
	{ "im:fred@example.com", 0, "fred", "example.com" },
	{ "IM:Fred@Example.COM?subject=hello", 0, "Fred", "example.com" },
	{ "im:fred@example.com.", 0, "fred", "example.com" },
	{ "pres:jon.peterson@example.net", 0, "jon.peterson", "example.net" },
	{ "im:example.com", -1, NULL, NULL },
	{ "im:@example.com", -1, NULL, NULL },
	{ "im:fred@", -1, NULL, NULL },
	{ "im:a@b@c.example", -1, NULL, NULL },
	{ "im:fred@exa mple.com", -1, NULL, NULL },
	{ "sip:fred@example.com", -1, NULL, NULL },
	{ "im:fred@-bad..example", -1, NULL, NULL },
};

static uint64_t rng_state;

static uint32_t
order_rng(void *arg)
{
	uint64_t x = rng_state;

	(void)arg;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

static void
test_uris(void)
{
	char	 user[64], domain[64];

	for (size_t i = 0; i < NELEM(uris); i++) {
		int rc = rfc3861_parse_uri(uris[i].uri, user, sizeof(user),
		    domain, sizeof(domain));

		is_int(rc, uris[i].rc, "parse %s", uris[i].uri);
		if (rc == 0 && uris[i].rc == 0) {
			is_str(user, uris[i].user, "user of %s", uris[i].uri);
			is_str(domain, uris[i].domain, "domain of %s",
			    uris[i].uri);
		}
	}
}

static void
test_owner(void)
{
	char	 out[64];

	ok(rfc3861_srv_owner("im", "sip", "example.com", out,
	    sizeof(out)) == 0 && strcmp(out, "_im._sip.example.com.") == 0,
	    "owner _im._sip.example.com.");
	ok(rfc3861_srv_owner("im", "xmpp", "example.net.", out,
	    sizeof(out)) == 0 && strcmp(out, "_im._xmpp.example.net.") == 0,
	    "owner keeps a single trailing dot");
	ok(rfc3861_srv_owner("im", "sip", "a-very-long-domain.example",
	    out, 16) == -1, "owner too long for the buffer is refused");
}

static void
test_not_offered(void)
{
	struct srv_rr	 dot = { 0, 0, 0, 0, "." };
	struct srv_rr	 two[2] = { { 0, 0, 0, 0, "." },
	    { 10, 0, 5060, 1, "sip.example.com." } };

	ok(rfc3861_not_offered(&dot, 1), "single '.' target: not offered");
	ok(!rfc3861_not_offered(two, 2), "'.' among others: offered");
	ok(!rfc3861_not_offered(&two[1], 1), "normal target: offered");
}

/* Share of first picks over @n draws, per member index. */
static void
shares(const struct srv_rr *rrs, size_t nrr, int n, double *share,
    int *order_ok)
{
	int	 count[8] = { 0 };

	*order_ok = 1;
	for (int i = 0; i < n; i++) {
		const struct srv_rr *out[8];
		size_t	 k = rfc3861_order(rrs, nrr, order_rng, NULL, out, 8);

		for (size_t j = 1; j < k; j++)
			if (out[j - 1]->priority > out[j]->priority)
				*order_ok = 0;
		if (k > 0)
			count[out[0]->index]++;
	}
	for (size_t j = 0; j < nrr; j++)
		share[j] = (double)count[j] / n;
}

static void
test_order(void)
{
	/* SRV-005: RFC 2782's own example. */
	struct srv_rr	 ex[4] = {
	    { 0, 1, 5060, 0, "old-slow-box.example.com." },
	    { 0, 3, 5060, 1, "new-fast-box.example.com." },
	    { 1, 0, 5060, 2, "sysadmins-box.example.com." },
	    { 1, 0, 5060, 3, "server.example.com." } };
	struct srv_rr	 w0[3] = {
	    { 10, 5, 5060, 0, "a.example." },
	    { 10, 0, 5060, 1, "zero.example." },
	    { 10, 5, 5060, 2, "b.example." } };
	struct srv_rr	 dots[3] = {
	    { 10, 0, 5060, 0, "." },
	    { 20, 0, 5060, 1, "late.example." },
	    { 10, 0, 5060, 2, "early.example." } };
	const struct srv_rr *out[8];
	double		 sh[8];
	int		 order_ok;
	size_t		 k;

	rng_state = 42;
	shares(ex, 4, 20000, sh, &order_ok);
	ok(order_ok, "priority groups are tried in ascending order");
	ok(sh[0] > 0.37 && sh[0] < 0.43, "weight 1 of 1+3 first %.3f ~ 0.4",
	    sh[0]);
	ok(sh[1] > 0.57 && sh[1] < 0.63, "weight 3 of 1+3 first %.3f ~ 0.6",
	    sh[1]);
	ok(sh[2] == 0 && sh[3] == 0, "priority 1 is never first");
	k = rfc3861_order(ex, 4, order_rng, NULL, out, 8);
	is_int(k, 4, "all four records ordered");
	ok(out[2]->priority == 1 && out[3]->priority == 1,
	    "both priority-1 records come last");

	shares(w0, 3, 20000, sh, &order_ok);
	ok(sh[1] < 1.0 / 11 + 0.02, "weight-0 member first %.3f <= 1/11",
	    sh[1]);
	ok(sh[1] > 0.05, "weight-0 member still first sometimes (%.3f)",
	    sh[1]);

	k = rfc3861_order(dots, 3, order_rng, NULL, out, 8);
	is_int(k, 2, "'.' targets are left out");
	is_str(k > 0 ? out[0]->target : NULL, "early.example.",
	    "lower priority first");
	k = rfc3861_order(ex, 4, order_rng, NULL, out, 2);
	is_int(k, 2, "output capped at outmax");

	/* All weights 0: every member can come first. */
	{
		struct srv_rr z[2] = { { 10, 0, 5060, 0, "a.example." },
		    { 10, 0, 5060, 1, "b.example." } };

		shares(z, 2, 4000, sh, &order_ok);
		ok(sh[0] > 0.4 && sh[1] > 0.4, "all-zero weights: both first "
		    "about half the time (%.2f/%.2f)", sh[0], sh[1]);
	}
}

/*
 * rfc3861_parse_uri() against the parser it replaced
 * (tests/unit/rfc3861_ref.c) on generated URIs, and on domains around
 * the label and name limits.  Verdict, user and domain must agree.
 */
static void
test_parse_against_reference(void)
{
	static const char *const pieces[] = {
	    "im:", "pres:", "IM:", "Pres:", "xmpp:", "alice", "@", "@@",
	    "Example.COM", "example.com.", ".", "..", "a-b_c", "-", "_",
	    "?x=y", "?", "%40", "\xc3\xa9", " ", "1", "xn--bcher-kva",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	};
	const size_t	 npieces = sizeof(pieces) / sizeof(pieces[0]);
	unsigned long	 bad = 0, n = 0, accepted = 0;

	rng = 3861ULL;	/* the same inputs on every run */

	for (int i = 0; i < 100000 + 2 * 3 * 11; i++) {
		char	 in[512], gu[64], wu[64], gd[300], wd[300];
		size_t	 len = 0;
		int	 gr, wr;

		if (i < 100000) {
			int	 k = 1 + (int)(next_rand() % 7);

			if (next_rand() % 4 != 0) {
				memcpy(in, "im:a@", 5);
				len = 5;
			}
			for (; k > 0; k--) {
				const char *pc = pieces[next_rand() %
				    npieces];

				if (len + strlen(pc) < sizeof(in)) {
					memcpy(in + len, pc, strlen(pc));
					len += strlen(pc);
				}
			}
		} else {
			/* labels of 62..64 octets, names of 248..258 */
			int	 j = i - 100000;
			size_t	 lab = 62 + (size_t)(j / 22);
			size_t	 total = 248 + (size_t)(j % 11);

			memcpy(in, "im:a@", 5);
			len = 5;
			for (size_t m = 0; m < total; m++)
				in[len++] = (m + 1) % (lab + 1) == 0 ? '.' :
				    'A';
			if ((j / 11) % 2)
				in[len++] = '.';
		}
		in[len] = '\0';
		memset(gd, 'g', sizeof(gd));
		memset(wd, 'w', sizeof(wd));
		gr = rfc3861_parse_uri(in, gu, sizeof(gu), gd, sizeof(gd));
		wr = rfc3861ref_parse_uri(in, wu, sizeof(wu), wd, sizeof(wd));
		n++;
		accepted += wr == 0;
		if (gr != wr || (gr == 0 && (strcmp(gu, wu) != 0 ||
		    strcmp(gd, wd) != 0))) {
			if (bad++ < 5)
				diag("\"%s\": %d \"%s\", reference %d "
				    "\"%s\"", in, gr, gr == 0 ? gd : "", wr,
				    wr == 0 ? wd : "");
		}
	}
	is_int((long)bad, 0, "%lu generated URIs (%lu valid) parse as the "
	    "reference parses them", n, accepted);
}

int
main(void)
{
	test_uris();
	test_owner();
	test_not_offered();
	test_order();
	test_parse_against_reference();
	return done_testing();
}
