/*
 * tests/unit/test_spool.c - the pure parts of gateway/flow/spool: the retry
 * schedule and the failure notice text.
 *
 * The schedule: table rows of (initial, max, attempts) with the exact
 * wait for the extreme jitter draws (0 and UINT32_MAX) and bounds for a
 * middle one; doubling, the cap, attempts 0, huge attempt counts (no
 * overflow) and initial above max.  The notice: the fields a sender needs
 * are in it, and a small buffer cuts it NUL-terminated.  TAP.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/flow/spool.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	uint64_t	 initial, max;
	unsigned	 attempts;
	uint64_t	 full;		/* wait with rnd = 0 (no jitter) */
} rows[] = {
	{ 30000, 3600000, 0, 30000 },		/* 0 counts as 1 */
	{ 30000, 3600000, 1, 30000 },
	{ 30000, 3600000, 2, 60000 },
	{ 30000, 3600000, 3, 120000 },
	{ 30000, 3600000, 7, 1920000 },
	{ 30000, 3600000, 8, 3600000 },		/* 3840000 capped */
	{ 30000, 3600000, 1000, 3600000 },	/* no overflow */
	{ 30000, 3600000, 4000000000u, 3600000 },
	{ 400, 800, 2, 800 },
	{ 400, 800, 3, 800 },
	{ 1000, 1000, 5, 1000 },
	{ 5000, 1000, 1, 1000 },		/* cap wins */
	{ 100, 86400000, 64, 86400000 },
};

int
main(void)
{
	struct gw_reply	 r = { 404, "Not Found", false, "item-not-found",
	    "cancel" };
	char		 buf[512], small[40];
	size_t		 i, n;

	plan((int)NELEM(rows) * 3 + 7);
	for (i = 0; i < NELEM(rows); i++) {
		uint64_t lo = spool_backoff_ms(rows[i].initial, rows[i].max,
		    rows[i].attempts, UINT32_MAX);
		uint64_t hi = spool_backoff_ms(rows[i].initial, rows[i].max,
		    rows[i].attempts, 0);
		uint64_t mid = spool_backoff_ms(rows[i].initial, rows[i].max,
		    rows[i].attempts, 0x80000000u);

		is_int(hi, rows[i].full, "row %zu: no jitter -> %llu ms", i,
		    (unsigned long long)rows[i].full);
		is_int(lo, rows[i].full - rows[i].full / 4, "row %zu: most "
		    "jitter takes a quarter off", i);
		ok(mid > lo && mid < hi, "row %zu: a middle draw lies between "
		    "(%llu)", i, (unsigned long long)mid);
	}
	ok(spool_backoff_ms(30000, 3600000, 2, 0) >
	    spool_backoff_ms(30000, 3600000, 1, 0), "the wait grows");

	n = spool_notice_text(buf, sizeof(buf), "sip:+33123456789@gw.test",
	    "0123456789abcdef0123456789abcdef", 0, 3, &r, "downstream error");
	ok(n == strlen(buf) && n > 0, "notice: length returned");
	ok(strstr(buf, "sip:+33123456789@gw.test") != NULL,
	    "notice: names the destination");
	ok(strstr(buf, "404 Not Found (downstream error)") != NULL,
	    "notice: the status and the reason");
	ok(strstr(buf, "0123456789abcdef0123456789abcdef") != NULL &&
	    strstr(buf, "1970-01-01 00:00:00 UTC") != NULL &&
	    strstr(buf, "after 3 attempts") != NULL,
	    "notice: message id, time accepted, attempts");
	diag("%s", buf);
	n = spool_notice_text(small, sizeof(small), "sip:x@y", "id", 0, 1,
	    &r, "why");
	ok(n == sizeof(small) - 1 && small[n] == '\0', "notice: cut to the "
	    "buffer, NUL-terminated");
	ok(spool_notice_text(small, 0, "d", "i", 0, 1, &r, "w") == 0,
	    "notice: a zero-size buffer is left alone");
	return done_testing();
}
