/*
 * tests/unit/test_dnshealth.c - DNS server selection and the health state
 * machine (enum/dnshealth): hunt and round-robin order, N failures in a
 * row take a server out, answers (NXDOMAIN/NODATA among them) reset the
 * run, a server out of service is probed after the interval and only an
 * answered probe puts it back, retries skip tried servers, and with no
 * server in service every server is still tried.  TAP.
 */
#include "enum/dnshealth.h"
#include "tests/tap.h"

#define F	DNSHEALTH_FAILURE
#define A	DNSHEALTH_ANSWER

int
main(void)
{
	struct dnshealth	 h;
	int			 i, seen[3] = { 0, 0, 0 };

	/* hunt: always the first in service */
	dnshealth_init(&h, 3, 3, 1000, DNSHEALTH_HUNT, 100);
	is_int(dnshealth_pick(&h, 0), 0, "hunt: first server");
	is_int(dnshealth_pick(&h, 0), 0, "hunt: first server again");
	is_int(dnshealth_pick(&h, 1u << 0), 1, "retry skips the tried one");
	is_int(dnshealth_pick(&h, 7), -1, "all tried: -1");

	/* two failures, an answer (say NXDOMAIN), two failures: still up */
	dnshealth_report(&h, 0, F, 110);
	dnshealth_report(&h, 0, F, 120);
	is_int(dnshealth_report(&h, 0, A, 130), DNSHEALTH_EV_NONE,
	    "an answer is no event");
	dnshealth_report(&h, 0, F, 140);
	is_int(dnshealth_report(&h, 0, F, 150), DNSHEALTH_EV_NONE,
	    "2 failures after an answer: no event");
	ok(!h.s[0].down, "answers reset the run: still in service");
	is_int(h.s[0].failures, 4, "failures counted");
	is_int(dnshealth_report(&h, 0, F, 160), DNSHEALTH_EV_DOWN,
	    "third failure in a row: out of service");
	ok(h.s[0].down, "server 0 is down");
	is_str(dnshealth_strstate(&h.s[0]), "down", "strstate down");
	is_int(h.s[0].outages, 1, "one outage");
	is_int(dnshealth_in_service(&h), 2, "two in service");
	is_int(dnshealth_pick(&h, 0), 1, "hunt skips the server that is out");
	is_int(dnshealth_pick(&h, 1u << 1), 2, "then the third");
	is_int(dnshealth_pick(&h, (1u << 1) | (1u << 2)), -1,
	    "a down server is not retried while others are in service");
	is_int(dnshealth_report(&h, 0, F, 170), DNSHEALTH_EV_NONE,
	    "more failures while down: no event");
	is_int(dnshealth_report(&h, 0, A, 180), DNSHEALTH_EV_NONE,
	    "a late answer while others serve: still out, the probe decides");
	ok(h.s[0].down, "still down after a late answer");

	/* probing */
	is_int(dnshealth_next_probe(&h), 1160, "probe due one interval on");
	is_int(dnshealth_probe_due(&h, 1159), -1, "no probe before it is due");
	is_int(dnshealth_probe_due(&h, 1160), 0, "probe due for server 0");
	is_int(dnshealth_probe_due(&h, 1160), -1, "one probe at a time");
	is_int(dnshealth_next_probe(&h), 0, "none due while probing");
	is_int(dnshealth_probe_result(&h, 0, F, 1200), DNSHEALTH_EV_NONE,
	    "failed probe: no event");
	ok(h.s[0].down, "failed probe: still down");
	is_int(dnshealth_next_probe(&h), 2200, "next probe an interval on");
	is_int(dnshealth_probe_due(&h, 2200), 0, "second probe");
	is_int(dnshealth_probe_result(&h, 0, A, 2210), DNSHEALTH_EV_UP,
	    "answered probe: back in service");
	ok(!h.s[0].down && h.s[0].consecutive == 0, "up with a fresh run");
	is_int(h.s[0].probes, 2, "two probes counted");
	is_int(h.s[0].probe_failures, 1, "one failed probe counted");
	is_int(dnshealth_pick(&h, 0), 0, "hunt: first server again");

	/* none in service: every server is tried, in order */
	for (i = 0; i < 3; i++) {
		dnshealth_report(&h, (size_t)i, F, 3000);
		dnshealth_report(&h, (size_t)i, F, 3000);
		dnshealth_report(&h, (size_t)i, F, 3000);
	}
	is_int(dnshealth_in_service(&h), 0, "all out of service");
	is_int(dnshealth_pick(&h, 0), 0, "none in service: first server");
	is_int(dnshealth_pick(&h, 1), 1, "none in service: then the second");
	is_int(dnshealth_report(&h, 1, A, 3100), DNSHEALTH_EV_UP,
	    "an answer while all were down puts the server back");
	is_int(dnshealth_pick(&h, 0), 1, "hunt: the one back in service");

	/* round-robin */
	dnshealth_init(&h, 3, 2, 500, DNSHEALTH_ROUND_ROBIN, 0);
	for (i = 0; i < 6; i++)
		seen[dnshealth_pick(&h, 0)]++;
	ok(seen[0] == 2 && seen[1] == 2 && seen[2] == 2,
	    "round-robin: each server in turn (%d %d %d)", seen[0], seen[1],
	    seen[2]);
	dnshealth_report(&h, 1, F, 10);
	is_int(dnshealth_report(&h, 1, F, 20), DNSHEALTH_EV_DOWN,
	    "round-robin: 2 failures take server 1 out");
	seen[0] = seen[1] = seen[2] = 0;
	for (i = 0; i < 6; i++)
		seen[dnshealth_pick(&h, 0)]++;
	ok(seen[0] == 3 && seen[1] == 0 && seen[2] == 3,
	    "round-robin skips the server out of service (%d %d %d)",
	    seen[0], seen[1], seen[2]);
	i = dnshealth_pick(&h, 0);
	ok(dnshealth_pick(&h, 1u << i) == (i == 0 ? 2 : 0),
	    "round-robin retry goes to the other server in service");

	/* reload keeps state */
	dnshealth_configure(&h, 5, 100, DNSHEALTH_HUNT);
	ok(h.s[1].down && h.max_failures == 5 && h.mode == DNSHEALTH_HUNT,
	    "configure keeps the state, takes the new settings");
	dnshealth_configure(&h, 0, 100, DNSHEALTH_HUNT);
	is_int(h.max_failures, 1, "failures 0 means 1");
	dnshealth_init(&h, 40, 1, 1, DNSHEALTH_HUNT, 0);
	is_int(h.n, DNSHEALTH_MAX, "server count capped");
	is_int(dnshealth_report(&h, 99, F, 0), DNSHEALTH_EV_NONE,
	    "an index out of range is ignored");
	return done_testing();
}
