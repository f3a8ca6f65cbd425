/*
 * tests/unit/test_ratelimit.c - token buckets with an injected clock.
 *
 * Drives routing/ratelimit through scripted steps: at time T, key K takes
 * a token and is allowed or refused with a given Retry-After.  Scripts
 * cover a burst then refusal then refill, the cap at burst size, the
 * rounding of Retry-After for slow rates, independent keys, least
 * recently used eviction under max_keys, long keys, rate 0, reload with
 * ratelimit_set() and a clock that goes back.  TAP.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "routing/ratelimit.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct step {
	uint64_t	 now_ms;
	const char	*key;
	int		 want;		/* 1 allowed, 0 refused */
	uint32_t	 retry;		/* Retry-After when refused */
	size_t		 nkeys;		/* buckets after the step, 0 = skip */
};

struct script {
	const char	*name;
	double		 rate, burst;
	size_t		 max_keys;
	struct step	 steps[16];
	size_t		 nsteps;
};

#define S(t, k, w, r, n)	{ (t), (k), (w), (r), (n) }

static const struct script scripts[] = {
	{ "burst 3 at 1/s, refusal, refill", 1, 3, 16, {
	    S(0, "10.1.2.3", 1, 0, 1), S(0, "10.1.2.3", 1, 0, 1),
	    S(0, "10.1.2.3", 1, 0, 1), S(0, "10.1.2.3", 0, 1, 1),
	    S(999, "10.1.2.3", 0, 1, 1), S(1000, "10.1.2.3", 1, 0, 1),
	    S(1000, "10.1.2.3", 0, 1, 1), S(2500, "10.1.2.3", 1, 0, 1),
	    S(2500, "10.1.2.3", 0, 1, 1), S(3000, "10.1.2.3", 1, 0, 1),
	    S(3000, "10.1.2.3", 0, 1, 1) }, 11 },
	{ "refill caps at burst", 1, 2, 16, {
	    S(0, "k", 1, 0, 0), S(0, "k", 1, 0, 0), S(0, "k", 0, 1, 0),
	    S(3600000, "k", 1, 0, 0), S(3600000, "k", 1, 0, 0),
	    S(3600000, "k", 0, 1, 0) }, 6 },
	{ "0.5/s: Retry-After 2 then 1", 0.5, 1, 16, {
	    S(0, "k", 1, 0, 0), S(0, "k", 0, 2, 0), S(1000, "k", 0, 1, 0),
	    S(1999, "k", 0, 1, 0), S(2000, "k", 1, 0, 0),
	    S(2000, "k", 0, 2, 0) }, 6 },
	{ "0.25/s: Retry-After rounds up", 0.25, 1, 16, {
	    S(0, "k", 1, 0, 0), S(0, "k", 0, 4, 0), S(1500, "k", 0, 3, 0),
	    S(3999, "k", 0, 1, 0), S(4000, "k", 1, 0, 0) }, 5 },
	{ "0.1/s: Retry-After 10", 0.1, 1, 16, {
	    S(0, "k", 1, 0, 0), S(0, "k", 0, 10, 0), S(9000, "k", 0, 1, 0),
	    S(10000, "k", 1, 0, 0) }, 4 },
	{ "10/s: sub-second wait still says 1", 10, 5, 16, {
	    S(0, "k", 1, 0, 0), S(0, "k", 1, 0, 0), S(0, "k", 1, 0, 0),
	    S(0, "k", 1, 0, 0), S(0, "k", 1, 0, 0), S(0, "k", 0, 1, 0),
	    S(99, "k", 0, 1, 0), S(100, "k", 1, 0, 0),
	    S(100, "k", 0, 1, 0) }, 9 },
	{ "ten 100 ms steps at 1/s make a token", 1, 1, 16, {
	    S(0, "k", 1, 0, 0), S(100, "k", 0, 1, 0), S(200, "k", 0, 1, 0),
	    S(300, "k", 0, 1, 0), S(400, "k", 0, 1, 0), S(500, "k", 0, 1, 0),
	    S(600, "k", 0, 1, 0), S(700, "k", 0, 1, 0), S(800, "k", 0, 1, 0),
	    S(900, "k", 0, 1, 0), S(1000, "k", 1, 0, 0) }, 11 },
	{ "keys are independent", 1, 1, 16, {
	    S(0, "10.0.0.1", 1, 0, 1), S(0, "10.0.0.1", 0, 1, 1),
	    S(0, "10.0.0.2", 1, 0, 2), S(0, "alice@example.org", 1, 0, 3),
	    S(0, "10.0.0.2", 0, 1, 3), S(0, "ALICE@example.org", 1, 0, 4) },
	  6 },
	/* LRU order noted after each step, newest first */
	{ "eviction of the least recently used", 1, 1, 2, {
	    S(0, "a", 1, 0, 1),		/* a */
	    S(0, "b", 1, 0, 2),		/* b a */
	    S(0, "a", 0, 1, 2),		/* a b */
	    S(0, "c", 1, 0, 2),		/* c a (b evicted) */
	    S(0, "a", 0, 1, 2),		/* a c: a kept its state */
	    S(0, "b", 1, 0, 2),		/* b a (c evicted): b is fresh */
	    S(0, "c", 1, 0, 2),		/* c b (a evicted) */
	    S(0, "b", 0, 1, 2),		/* b c */
	    S(0, "a", 1, 0, 2) }, 9 },	/* a b: a was evicted, fresh */
	{ "one bucket only", 1, 1, 1, {
	    S(0, "a", 1, 0, 1), S(0, "a", 0, 1, 1), S(0, "b", 1, 0, 1),
	    S(0, "a", 1, 0, 1), S(0, "a", 0, 1, 1) }, 5 },
	{ "burst below 1 counts as 1", 1, 0, 16, {
	    S(0, "k", 1, 0, 0), S(0, "k", 0, 1, 0), S(1000, "k", 1, 0, 0) },
	  3 },
	{ "a clock going back credits nothing", 1, 1, 16, {
	    S(5000, "k", 1, 0, 0), S(1000, "k", 0, 1, 0),
	    S(1999, "k", 0, 1, 0), S(2000, "k", 1, 0, 0) }, 4 },
};

static void
run_script(const struct script *sc)
{
	struct ratelimit	*rl;
	uint32_t		 retry;
	size_t			 i;
	int			 got;

	rl = ratelimit_new(sc->rate, sc->burst, sc->max_keys);
	if (!ok(rl != NULL, "%s: created", sc->name))
		return;
	for (i = 0; i < sc->nsteps; i++) {
		const struct step *st = &sc->steps[i];

		retry = 12345;
		got = ratelimit_take(rl, st->key, st->now_ms, &retry);
		is_int(got, st->want, "%s: step %zu, %s at %llu ms %s",
		    sc->name, i, st->key, (unsigned long long)st->now_ms,
		    st->want ? "allowed" : "refused");
		is_int(retry, st->want ? 0 : st->retry,
		    "%s: step %zu, Retry-After", sc->name, i);
		if (st->nkeys > 0)
			is_int(ratelimit_nkeys(rl), st->nkeys,
			    "%s: step %zu, %zu buckets", sc->name, i,
			    st->nkeys);
	}
	ratelimit_free(rl);
}

static void
test_new(void)
{
	struct ratelimit	*rl;

	ok(ratelimit_new(-1, 5, 10) == NULL, "new: negative rate refused");
	ok(ratelimit_new(1, -1, 10) == NULL, "new: negative burst refused");
	ok(ratelimit_new(NAN, 5, 10) == NULL, "new: NaN rate refused");
	ok(ratelimit_new(1, INFINITY, 10) == NULL,
	    "new: infinite burst refused");
	ok(ratelimit_new(1, 5, 0) == NULL, "new: max_keys 0 refused");
	ok(ratelimit_new(1, 5, SIZE_MAX) == NULL,
	    "new: absurd max_keys refused");
	rl = ratelimit_new(1, 5, 1);
	ok(rl != NULL, "new: one bucket is fine");
	is_int(ratelimit_nkeys(rl), 0, "new: no bucket in use");
	ratelimit_free(rl);
	ratelimit_free(NULL);
	ok(1, "free: NULL accepted");
}

static void
test_rate_zero(void)
{
	struct ratelimit	*rl;
	uint32_t		 retry;
	int			 i, allowed;

	rl = ratelimit_new(0, 1, 4);
	allowed = 0;
	retry = 7;
	for (i = 0; i < 1000; i++)
		allowed += ratelimit_take(rl, i % 2 ? "a" : "b", 0, &retry);
	is_int(allowed, 1000, "rate 0: everything allowed");
	is_int(retry, 0, "rate 0: Retry-After 0");
	is_int(ratelimit_nkeys(rl), 0, "rate 0: no bucket created");
	ratelimit_free(rl);
}

/*
 * Many more keys than buckets: the table keeps the last max_keys, and
 * chains stay consistent through every recycling.
 */
static void
test_many_keys(void)
{
	struct ratelimit	*rl;
	char			 key[32];
	int			 i, allowed, refused;

	rl = ratelimit_new(1, 1, 100);
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "192.0.2.%d:%d", i % 256, i);
		ratelimit_take(rl, key, 0, NULL);
	}
	is_int(ratelimit_nkeys(rl), 100, "many keys: table full at 100");
	refused = 0;
	for (i = 900; i < 1000; i++) {
		snprintf(key, sizeof(key), "192.0.2.%d:%d", i % 256, i);
		refused += !ratelimit_take(rl, key, 0, NULL);
	}
	is_int(refused, 100, "many keys: the last 100 kept their state");
	allowed = 0;
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "192.0.2.%d:%d", i % 256, i);
		allowed += ratelimit_take(rl, key, 0, NULL);
	}
	is_int(allowed, 100, "many keys: the first 100 were recycled");
	is_int(ratelimit_nkeys(rl), 100, "many keys: still 100 buckets");
	ratelimit_free(rl);
}

/* Keys longer than RATELIMIT_KEY_MAX that share the stored prefix. */
static void
test_long_keys(void)
{
	struct ratelimit	*rl;
	char			 k1[300], k2[300], k3[400];

	memset(k1, 'j', sizeof(k1));
	k1[sizeof(k1) - 1] = '\0';
	memcpy(k2, k1, sizeof(k2));
	k2[sizeof(k2) - 2] = 'k';
	memset(k3, 'j', sizeof(k3));
	k3[sizeof(k3) - 1] = '\0';

	rl = ratelimit_new(1, 1, 8);
	is_int(ratelimit_take(rl, k1, 0, NULL), 1, "long key 1 allowed");
	is_int(ratelimit_take(rl, k1, 0, NULL), 0, "long key 1 refused");
	is_int(ratelimit_take(rl, k2, 0, NULL), 1,
	    "long key 2 (differs at the end) has its own bucket");
	is_int(ratelimit_take(rl, k3, 0, NULL), 1,
	    "long key 3 (longer, same prefix) has its own bucket");
	is_int(ratelimit_nkeys(rl), 3, "three long keys, three buckets");
	ratelimit_free(rl);
}

static void
test_set(void)
{
	struct ratelimit	*rl;
	uint32_t		 retry;
	int			 i, n;

	rl = ratelimit_new(1, 5, 8);
	for (n = 0, i = 0; i < 10; i++)
		n += ratelimit_take(rl, "k", 0, NULL);
	is_int(n, 5, "set: burst of 5 before reload");

	is_int(ratelimit_set(rl, 1, 2), 0, "set: rate 1 burst 2");
	is_int(ratelimit_take(rl, "k", 0, &retry), 0,
	    "set: an empty bucket stays empty");
	for (n = 0, i = 0; i < 10; i++)
		n += ratelimit_take(rl, "k", 10000, NULL);
	is_int(n, 2, "set: refill capped to the new burst");

	/* a full bucket is cut down to the new, smaller burst */
	is_int(ratelimit_set(rl, 1, 5), 0, "set: burst back to 5");
	for (n = 0, i = 0; i < 10; i++)
		n += ratelimit_take(rl, "full", 20000, NULL);
	is_int(n, 5, "set: new key gets the burst of 5");
	ratelimit_take(rl, "k", 100000, NULL);		/* k: 4 left */
	is_int(ratelimit_set(rl, 1, 2), 0, "set: burst 2 again");
	for (n = 0, i = 0; i < 10; i++)
		n += ratelimit_take(rl, "k", 100000, NULL);
	is_int(n, 2, "set: tokens above the new burst are dropped");

	is_int(ratelimit_set(rl, 0, 2), 0, "set: rate 0");
	for (n = 0, i = 0; i < 10; i++)
		n += ratelimit_take(rl, "k", 100000, NULL);
	is_int(n, 10, "set: rate 0 allows everything");
	is_int(ratelimit_set(rl, 1, 2), 0, "set: rate 1 again");
	is_int(ratelimit_take(rl, "k", 100000, &retry), 0,
	    "set: state kept across rate 0");
	is_int(retry, 1, "set: Retry-After after rate 0");

	is_int(ratelimit_set(rl, -1, 2), -1, "set: negative rate refused");
	is_int(ratelimit_set(rl, 1, NAN), -1, "set: NaN burst refused");
	is_int(ratelimit_take(rl, "k", 100000, NULL), 0,
	    "set: refused values left the limiter alone");
	is_int(ratelimit_take(rl, "k", 101000, NULL), 1,
	    "set: rate still 1/s");
	ratelimit_free(rl);
}

static void
test_tiny_rate(void)
{
	struct ratelimit	*rl;
	uint32_t		 retry;

	rl = ratelimit_new(1e-12, 1, 4);
	ratelimit_take(rl, "k", 0, NULL);
	is_int(ratelimit_take(rl, "k", 0, &retry), 0, "tiny rate: refused");
	is_int(retry, UINT32_MAX, "tiny rate: Retry-After saturates");
	ratelimit_free(rl);
}

int
main(void)
{
	size_t	 i;

	test_new();
	for (i = 0; i < NELEM(scripts); i++)
		run_script(&scripts[i]);
	test_rate_zero();
	test_many_keys();
	test_long_keys();
	test_set();
	test_tiny_rate();
	return done_testing();
}
