/*
 * tests/unit/test_notify.c - gateway/notify, the bounded correlation
 * table of delivery notifications: put/take by (kind, id), bits cleared
 * one by one, expiry, replacement, the hard cap with eviction of the
 * entry nearest expiry, and the disabled table.  Output is TAP.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/notify.h"
#include "tests/tap.h"

static struct notify_entry
entry(enum notify_kind kind, const char *key, unsigned bits)
{
	struct notify_entry	 e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	snprintf(e.key, sizeof(e.key), "%s", key);
	snprintf(e.peer, sizeof(e.peer), "sip:alice@a.example");
	snprintf(e.self, sizeof(e.self), "sip:+12025550101@gw.example");
	snprintf(e.orig_id, sizeof(e.orig_id), "orig-%s", key);
	e.bits = bits;
	return e;
}

int
main(void)
{
	struct notify_entry	 e, got;
	char			 k[16];

	ok(notify_init(0) == 0, "init 0: disabled");
	e = entry(NOTIFY_TO_SIP, "imgate-1", XLATE_DN_POSITIVE_DELIVERY);
	is_int(notify_put(&e, 0, 1000), -1, "disabled table keeps nothing");

	ok(notify_init(3) == 0, "init 3");
	ok(notify_put(&e, 0, 1000) == 0, "put");
	ok(!notify_take(NOTIFY_TO_XMPP, "imgate-1", 0, 1, &got),
	    "kind is part of the key");
	ok(!notify_take(NOTIFY_TO_SIP, "imgate-2", 0, 1, &got),
	    "unknown id");
	ok(notify_take(NOTIFY_TO_SIP, "imgate-1", 0, 1, &got) &&
	    strcmp(got.orig_id, "orig-imgate-1") == 0 &&
	    strcmp(got.peer, "sip:alice@a.example") == 0,
	    "take copies the entry out");
	ok(notify_take(NOTIFY_TO_SIP, "imgate-1", XLATE_DN_POSITIVE_DELIVERY,
	    1, &got) && got.bits == XLATE_DN_POSITIVE_DELIVERY,
	    "take returns the bits before clearing");
	ok(!notify_take(NOTIFY_TO_SIP, "imgate-1", 0, 1, &got),
	    "an entry with no bit left is gone");

	/* Two bits: the first notification leaves the second wanted. */
	e = entry(NOTIFY_TO_XMPP, "imgate-m-1",
	    XLATE_DN_POSITIVE_DELIVERY | XLATE_DN_DISPLAY);
	notify_put(&e, 0, 1000);
	notify_take(NOTIFY_TO_XMPP, "imgate-m-1", XLATE_DN_POSITIVE_DELIVERY,
	    1, &got);
	ok(notify_take(NOTIFY_TO_XMPP, "imgate-m-1", XLATE_DN_DISPLAY, 2,
	    &got) && got.bits == XLATE_DN_DISPLAY,
	    "display still wanted after delivery");
	is_int((long long)notify_count(2), 0, "then gone");

	/* Expiry */
	e = entry(NOTIFY_TO_SIP, "x", XLATE_DN_DISPLAY);
	notify_put(&e, 100, 50);
	ok(notify_take(NOTIFY_TO_SIP, "x", 0, 149, &got), "alive before");
	ok(!notify_take(NOTIFY_TO_SIP, "x", 0, 150, &got), "expired after");

	/* Replacement: same kind and key, one slot. */
	notify_init(3);
	e = entry(NOTIFY_TO_SIP, "r", XLATE_DN_DISPLAY);
	notify_put(&e, 0, 100);
	snprintf(e.peer, sizeof(e.peer), "sip:other@b.example");
	notify_put(&e, 0, 100);
	is_int((long long)notify_count(0), 1, "same key replaces");
	ok(notify_take(NOTIFY_TO_SIP, "r", 0, 0, &got) &&
	    strcmp(got.peer, "sip:other@b.example") == 0, "newest wins");

	/* The cap: a full table evicts the entry nearest expiry. */
	notify_init(3);
	for (int i = 0; i < 3; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		e = entry(NOTIFY_TO_SIP, k, XLATE_DN_DISPLAY);
		notify_put(&e, (uint64_t)i * 10, 1000);
	}
	e = entry(NOTIFY_TO_SIP, "k3", XLATE_DN_DISPLAY);
	ok(notify_put(&e, 30, 1000) == 0, "put into a full table");
	is_int((long long)notify_count(30), 3, "never more than the cap");
	ok(!notify_take(NOTIFY_TO_SIP, "k0", 0, 30, &got),
	    "the oldest (nearest expiry) was evicted");
	ok(notify_take(NOTIFY_TO_SIP, "k1", 0, 30, &got) &&
	    notify_take(NOTIFY_TO_SIP, "k3", 0, 30, &got),
	    "the others stay");
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof(k), "f%d", i);
		e = entry(NOTIFY_TO_SIP, k, XLATE_DN_DISPLAY);
		notify_put(&e, 40, 1000);
	}
	is_int((long long)notify_count(40), 3, "a flood stays within cap");

	/* Unterminated strings are refused, not read past. */
	e = entry(NOTIFY_TO_SIP, "u", XLATE_DN_DISPLAY);
	memset(e.peer, 'a', sizeof(e.peer));
	is_int(notify_put(&e, 0, 10), -1, "unterminated peer refused");
	e = entry(NOTIFY_TO_SIP, "z", 0);
	is_int(notify_put(&e, 0, 10), -1, "nothing asked: not kept");
	ok(!notify_take(NOTIFY_TO_SIP, NULL, 0, 0, &got), "NULL key");
	notify_fini();
	is_int((long long)notify_count(0), 0, "fini empties");
	return done_testing();
}
