/*
 * tests/unit/test_overload.c - the shedding share and the RFC 7339 "oc"
 * parameters (gateway/overload), with an injected clock.
 *
 * Asserted: no shedding while the signal stays under the limit, nor
 * for one interval over it (a stall); the share rises by
 * OVERLOAD_STEP_UP per interval over the limit from the second in a row,
 * from the worse of lag and queue age, up to OVERLOAD_MAX_DROP; it holds
 * between 3/4 of the limit and the limit and falls by OVERLOAD_STEP_DOWN
 * below 3/4; while shedding, an interval over the limit younger than the
 * one before holds the share (counted), a dropping socket never does;
 * limit 0 never sheds; overload_shed() refuses exactly the share
 * of any 100 requests; the queue age estimate; which Via asks for oc;
 * the oc parameters, oc-seq moving only when the share changes.
 * The wait rule (overload_shed_waited()), from a table of requests:
 * nothing refused at or under the target, nor over it before the limit
 * has passed (a burst), every request over it from then on, none from
 * the first one under it, at once again over it within a limit of
 * that, only after a whole limit again later; off with wait or limit 0;
 * its smoothed share in overload_share() and in oc.  A queue that stood
 * over the limit (the share) or the target (the wait rule) but got
 * younger since, the backlog of a stall draining, starts no shedding;
 * one that gets older does.  TAP.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/overload.h"
#include "tests/tap.h"

/* Feed one interval of ticks with @lag and @age; @return the share. */
static uint32_t
interval(struct overload *o, uint64_t *now, uint32_t lag, uint32_t age)
{
	for (int i = 0; i < OVERLOAD_INTERVAL_MS / OVERLOAD_TICK_MS; i++) {
		*now += OVERLOAD_TICK_MS;
		overload_tick(o, *now, lag, age);
	}
	return o->drop;
}

static void
test_share(void)
{
	struct overload	 o;
	uint64_t	 now = 1000;
	uint32_t	 d;
	int		 i;

	overload_init(&o, 100);
	interval(&o, &now, 50, 0);
	is_int(interval(&o, &now, 99, 99), 0, "under the limit: no shedding");
	is_int(interval(&o, &now, 150, 0), 0,
	    "one interval over the limit (a stall): no shedding yet");
	is_int(interval(&o, &now, 10, 10), 0, "... and the streak ends");
	is_int(interval(&o, &now, 150, 0), 0, "a new first interval over");
	is_int(interval(&o, &now, 150, 0), OVERLOAD_STEP_UP,
	    "lag over the limit a second interval in a row: share up a step");
	is_int(interval(&o, &now, 0, 150), 2 * OVERLOAD_STEP_UP,
	    "queue age over the limit counts the same");
	is_int(interval(&o, &now, 0, 250), 4 * OVERLOAD_STEP_UP,
	    "twice the limit: two steps");
	is_int(interval(&o, &now, 0, 5000), (4 + OVERLOAD_STEP_MULT_MAX) *
	    OVERLOAD_STEP_UP, "far over the limit: at most %d steps",
	    OVERLOAD_STEP_MULT_MAX);
	is_int(interval(&o, &now, 80, 80), (4 + OVERLOAD_STEP_MULT_MAX) *
	    OVERLOAD_STEP_UP,
	    "between 3/4 of the limit and the limit: the share holds");
	for (i = 0; i < 20; i++)
		d = interval(&o, &now, 500, 500);
	is_int(d, OVERLOAD_MAX_DROP, "the share stops at %d %%",
	    OVERLOAD_MAX_DROP);
	is_int(interval(&o, &now, 10, 10), OVERLOAD_MAX_DROP -
	    OVERLOAD_STEP_DOWN, "under 3/4 of the limit: share down one step");
	for (i = 0; i < 40; i++)
		d = interval(&o, &now, 0, 0);
	is_int(interval(&o, &now, 0, OVERLOAD_AGE_DROPPED),
	    OVERLOAD_STEP_MULT_MAX * OVERLOAD_STEP_UP,
	    "the kernel dropped requests: up at once, no streak needed");
	for (i = 0; i < 40; i++)
		d = interval(&o, &now, 0, 0);
	is_int(d, 0, "and back to nothing");
	overload_init(&o, 0);
	is_int(interval(&o, &now, 5000, 5000), 0, "limit 0: never sheds");
	overload_init(&o, 100);
	interval(&o, &now, 0, 0);
	interval(&o, &now, 500, 0);
	interval(&o, &now, 500, 0);
	ok(o.drop > 0, "shedding before the reload");
	overload_set_limit(&o, 0);
	is_int(o.drop, 0, "a reload to 0 stops shedding at once");
	/* 3/4 of a limit of 1-3 ms rounded down to 0 once: the share
	 * never fell again. */
	overload_init(&o, 1);
	interval(&o, &now, 0, 0);
	interval(&o, &now, 1, 0);
	is_int(interval(&o, &now, 1, 1), 0, "limit 1 ms: at the limit, not over");
	interval(&o, &now, 2, 0);
	is_int(interval(&o, &now, 2, 0), 2 * OVERLOAD_STEP_UP,
	    "limit 1 ms: sheds");
	interval(&o, &now, 0, 0);
	is_int(interval(&o, &now, 0, 0), 0, "limit 1 ms: falls again");
}

static void
test_hold(void)
{
	struct overload	 o;
	uint64_t	 now = 1000;

	overload_init(&o, 100);
	interval(&o, &now, 0, 0);
	is_int(interval(&o, &now, 0, 300), 0, "hold: first interval over");
	is_int(interval(&o, &now, 0, 300), 3 * OVERLOAD_STEP_UP,
	    "hold: three times the limit, three steps");
	is_int(interval(&o, &now, 0, 200), 3 * OVERLOAD_STEP_UP,
	    "over the limit but younger than the interval before: held");
	is_int((long long)o.held, 1, "the hold is counted");
	is_int(interval(&o, &now, 0, 200), 5 * OVERLOAD_STEP_UP,
	    "no younger than the interval before: climbs again");
	is_int(interval(&o, &now, 0, 120), 5 * OVERLOAD_STEP_UP,
	    "younger again: held");
	is_int(interval(&o, &now, 0, OVERLOAD_AGE_DROPPED),
	    5 * OVERLOAD_STEP_UP + OVERLOAD_STEP_MULT_MAX * OVERLOAD_STEP_UP,
	    "the kernel dropped requests: climbs, never held");
	is_int(interval(&o, &now, 0, 50), 4 * OVERLOAD_STEP_UP +
	    OVERLOAD_STEP_MULT_MAX * OVERLOAD_STEP_UP,
	    "under 3/4 of the limit: falls as before");
	is_int((long long)o.held, 2, "two holds in all");
	/* Not shedding yet: a second interval over the limit younger than
	 * the first is a stall's backlog draining, and starts nothing; one
	 * no younger than the interval before does. */
	overload_init(&o, 100);
	interval(&o, &now, 0, 0);
	interval(&o, &now, 400, 0);
	is_int(interval(&o, &now, 0, 200), 0,
	    "not shedding: a stall (400 ms), then its backlog draining "
	    "(200 ms): nothing starts");
	is_int(interval(&o, &now, 0, 120), 0, "... still draining (120 ms)");
	is_int(interval(&o, &now, 0, 20), 0, "... drained");
	interval(&o, &now, 0, 150);
	is_int(interval(&o, &now, 0, 160), OVERLOAD_STEP_UP,
	    "a queue that gets older interval after interval: starts");
	overload_init(&o, 100);
	interval(&o, &now, 0, 0);
	interval(&o, &now, 0, 400);
	is_int(interval(&o, &now, 0, OVERLOAD_AGE_DROPPED),
	    OVERLOAD_STEP_MULT_MAX * OVERLOAD_STEP_UP,
	    "not shedding: the kernel dropped requests: starts at once");
}

static void
test_shed(void)
{
	struct overload	 o;
	uint32_t	 shares[] = { 0, 5, 10, 33, 50, 95 };

	for (size_t s = 0; s < sizeof(shares) / sizeof(shares[0]); s++) {
		int	 n = 0, run = 0, longest = 0;

		overload_init(&o, 100);
		o.drop = shares[s];
		for (int i = 0; i < 1000; i++) {
			if (overload_shed(&o)) {
				n++;
				run++;
				if (run > longest)
					longest = run;
			} else
				run = 0;
		}
		is_int(n, (int)shares[s] * 10,
		    "share %u %%: %u of 1000 refused", shares[s],
		    shares[s] * 10);
		ok(shares[s] > 50 || longest <= 1,
		    "share %u %%: refusals spread, not in bursts", shares[s]);
		is_int((long long)o.shed, n, "share %u %%: counted", shares[s]);
	}
}

static void
test_age(void)
{
	/* 100 datagrams of 232 bytes (1000 bytes each with the overhead)
	 * waiting; 10 read in the last 10 ms: 100 ms to reach the last. */
	is_int(overload_queue_age_ms(100 * (232 + OVERLOAD_DGRAM_OVERHEAD),
	    232, 10, 10), 100, "queue age: waiting / rate");
	is_int(overload_queue_age_ms(0, 0, 0, 10), 0, "empty queue: age 0");
	is_int(overload_queue_age_ms(5000, 200, 0, 30), 0,
	    "nothing read: no rate (the edge times an unread queue)");
	is_int(overload_queue_age_ms(10, 200, 5, 10), 2,
	    "less than one datagram's worth counts as one");
}

/* The read rate leaves idle ticks out (overload_read_rate()). */
static void
test_read_rate(void)
{
	static const struct {
		uint32_t	 n[OVERLOAD_RATE_TICKS], ms[OVERLOAD_RATE_TICKS];
		uint32_t	 win_n, win_ms;
		const char	*what;
	} rows[] = {
		{ { 0 }, { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 }, 0, 0,
		  "idle: no rate" },
		{ { 20 }, { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 }, 20, 10,
		  "the first busy tick after idle ones: its own rate" },
		{ { 20, 0, 200 }, { 10, 12, 10, 10, 10, 10, 10, 10, 10, 10 },
		  220, 20, "busy ticks summed, the idle one between left out" },
		{ { 5, 5, 5, 5, 5, 5, 5, 5, 5, 5 },
		  { 10, 10, 10, 10, 10, 10, 10, 10, 10, 10 }, 50, 100,
		  "all busy: the whole window" },
		{ { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
		  { 300, 10, 10, 10, 10, 10, 10, 10, 10, 10 }, 1, 300,
		  "a long tick (the loop stalled) keeps its length" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint32_t	 n, ms;

		overload_read_rate(rows[i].n, rows[i].ms, OVERLOAD_RATE_TICKS,
		    &n, &ms);
		is_int(n, rows[i].win_n, "read rate, requests: %s",
		    rows[i].what);
		is_int(ms, rows[i].win_ms, "read rate, ms: %s", rows[i].what);
	}
	/* The start of a burst: 20 requests queued (one millisecond of
	 * 20,000/s), 20 read in the one busy tick, 9 idle ones before it:
	 * 10 ms old, where the whole window's rate made it 100. */
	{
		uint32_t n[OVERLOAD_RATE_TICKS] = { 20 }, ms[OVERLOAD_RATE_TICKS],
		    wn, wm;

		for (size_t i = 0; i < OVERLOAD_RATE_TICKS; i++)
			ms[i] = 10;
		overload_read_rate(n, ms, OVERLOAD_RATE_TICKS, &wn, &wm);
		is_int(overload_queue_age_ms(20 * (232 +
		    OVERLOAD_DGRAM_OVERHEAD), 232, wn, wm), 10,
		    "a burst's first queue after idle ticks: 10 ms, not 100");
	}
}

static void
test_oc(void)
{
	struct overload	 o;
	char		 p[4][40];
	uint64_t	 now = 5000, seq;

	ok(!overload_via_asks(false, NULL), "no oc parameter: no feedback");
	ok(overload_via_asks(true, NULL), "oc without oc-algo: loss implied");
	ok(overload_via_asks(true, "\"loss,rate\""), "oc-algo lists loss");
	ok(overload_via_asks(true, "\"rate, LOSS\""), "... in any case");
	ok(!overload_via_asks(true, "\"rate\""), "oc-algo without loss: no");
	ok(!overload_via_asks(true, "\"lossy\""), "a token, not a prefix");

	overload_init(&o, 100);
	interval(&o, &now, 0, 0);
	interval(&o, &now, 150, 0);
	interval(&o, &now, 150, 0);
	is_int(overload_oc_params(&o, p), 0, "oc parameters fit");
	is_str(p[0], "oc=5", "oc is the share");
	is_str(p[1], "oc-validity=500", "oc-validity");
	ok(strncmp(p[2], "oc-seq=", 7) == 0 && strchr(p[2], '.') != NULL,
	    "oc-seq is seconds.milliseconds (%s)", p[2]);
	is_str(p[3], "oc-algo=\"loss\"", "oc-algo=\"loss\"");
	seq = o.seq;
	interval(&o, &now, 80, 0);
	is_int((long long)o.seq, (long long)seq, "oc-seq holds with the share");
	interval(&o, &now, 300, 0);
	interval(&o, &now, 300, 0);
	ok(o.seq > seq, "oc-seq moves when the share changes");
}

/* One request of a wait-rule table: read at @at_ms, waited @waited_ms
 * (tenths of a millisecond: @waited_01ms), refused or not. */
struct waited_case {
	uint32_t	 at_ms;
	uint32_t	 waited_01ms;
	bool		 refused;
	const char	*why;
};

static void
test_waited(void)
{
	/* limit 100 ms, target 10 ms */
	static const struct waited_case cases[] = {
		{ 0, 50, false, "under the target" },
		{ 1, 100, false, "at the target" },
		{ 2, 101, false, "over it: a standing queue starts" },
		{ 50, 900, false, "over it for 48 ms: a burst, not refused" },
		{ 101, 300, false, "99 ms over it: not yet" },
		{ 102, 300, true, "a whole limit over it: refused" },
		{ 103, 120, true, "every request over the target" },
		{ 104, 99, false, "one under it ends the refusing" },
		{ 150, 200, true, "over it again within a limit: refused "
		    "at once" },
		{ 151, 10, false, "under it: ends" },
		{ 300, 200, false, "over it a limit and more later: a new "
		    "standing queue must last" },
		{ 399, 200, false, "... 99 ms" },
		{ 400, 200, true, "... a whole limit" },
		{ 401, 50, false, "under it: ends" },
		/* A stall: the loop stopped 120 ms, then reads what waited,
		 * oldest first; the waits fall as it catches up. */
		{ 700, 1200, false, "after a stall of 120 ms: over it" },
		{ 760, 700, false, "... its backlog draining" },
		{ 800, 400, false, "a whole limit over it, but younger than "
		    "when it crossed: draining, not refused" },
		{ 850, 300, false, "... still draining" },
		{ 899, 250, false, "... 99 ms from the new start" },
		{ 900, 260, false, "a whole limit from there, younger than "
		    "then (40 ms): still draining, a new start" },
		{ 1000, 270, true, "a whole limit from there and no younger "
		    "(26 to 27 ms): standing, refused" },
		{ 1001, 90, false, "under it: ends" },
		/* A load the gateway cannot carry: older and older. */
		{ 1300, 110, false, "a queue growing: over it" },
		{ 1399, 800, false, "... 99 ms" },
		{ 1400, 900, true, "... a whole limit, older than when it "
		    "crossed: refused" },
	};
	struct overload	 o;
	uint64_t	 base = 5000000;	/* us */
	uint64_t	 shed;
	char		 p[4][40];
	size_t		 i;

	overload_init(&o, 100);
	ok(!overload_shed_waited(&o, base, 1000000),
	    "no target set (overload_init()): a second's wait not refused");
	overload_set_wait(&o, 10);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct waited_case *c = &cases[i];

		is_int(overload_shed_waited(&o, base + c->at_ms * 1000ull,
		    c->waited_01ms * 100ull), c->refused, "%u ms, waited "
		    "%u.%u ms: %s", c->at_ms, c->waited_01ms / 10,
		    c->waited_01ms % 10, c->why);
	}
	is_int((long long)o.shed, 6, "refusals counted in shed");

	/* The share it reports: the refused share of an interval, down a
	 * step an interval. */
	overload_init(&o, 100);
	overload_set_wait(&o, 10);
	{
		uint64_t now_ms = 1000, t = 1000000;

		interval(&o, &now_ms, 0, 0);
		overload_shed_waited(&o, t, 50000);
		overload_shed_waited(&o, t + 100000, 50000);
		for (i = 0; i < 100; i++)
			overload_shed_waited(&o, t + 100001 + i,
			    i % 5 == 0 ? 1000 : 50000);
		interval(&o, &now_ms, 0, 0);
		is_int(overload_share(&o), 79,
		    "share: 81 of 102 requests refused by wait");
		is_int(o.drop, 0, "... the lag share stays 0");
		is_int(overload_oc_params(&o, p), 0, "oc parameters fit");
		is_str(p[0], "oc=79", "oc carries it");
		interval(&o, &now_ms, 0, 0);
		is_int(overload_share(&o), 79 - OVERLOAD_STEP_DOWN,
		    "nothing judged: down a step");
		for (i = 0; i < 20; i++)
			interval(&o, &now_ms, 0, 0);
		is_int(overload_share(&o), 0, "... to 0");
	}

	/* Off. */
	overload_init(&o, 100);
	overload_set_wait(&o, 10);
	shed = 0;
	for (i = 0; i < 300; i++)
		shed += overload_shed_waited(&o, base + i * 1000, 500000);
	ok(shed > 0, "a standing queue of 500 ms is refused (%llu)",
	    (unsigned long long)shed);
	overload_set_wait(&o, 0);
	ok(!overload_shed_waited(&o, base + 400000, 500000),
	    "wait 0: the rule is off");
	overload_set_wait(&o, 10);
	overload_set_limit(&o, 0);
	ok(!overload_shed_waited(&o, base + 500000, 500000),
	    "limit 0: never");
}

int
main(void)
{
	test_share();
	test_hold();
	test_shed();
	test_age();
	test_read_rate();
	test_oc();
	test_waited();
	return done_testing();
}
