/*
 * tests/unit/test_siphash.c - SipHash-2-4 (enum/siphash) and what the DNS
 * cache needs of it.
 *
 * The reference vectors of the SipHash paper (key 00..0f, messages
 * 00 01 .. of each length), then the properties gateway/dns relies on:
 * the same key puts a name in the same bucket every time, and another
 * key (another run) spreads the same names differently, so bucket
 * collisions computed against one run are useless against the next.  TAP.
 */
#include <stdio.h>
#include <string.h>

#include "enum/siphash.h"
#include "tests/tap.h"

#define BUCKETS	(1u << 16)

int
main(void)
{
	uint8_t		 key[SIPHASH_KEY_SIZE], key2[SIPHASH_KEY_SIZE];
	uint8_t		 msg[64];
	/* SipHash-2-4 64-bit outputs for lengths 0, 1, 7, 8, 15 (paper). */
	static const struct {
		size_t		 len;
		uint64_t	 want;
	} vec[] = {
		{ 0, 0x726fdb47dd0e0e31ULL },
		{ 1, 0x74f839c593dc67fdULL },
		{ 7, 0xab0200f58b01d137ULL },
		{ 8, 0x93f5f5799a932462ULL },
		{ 15, 0xa129ca6149be45e5ULL },
	};
	char		 name[64];
	unsigned	 same = 0, moved = 0, b1, b2;
	static uint16_t	 load[BUCKETS];
	unsigned	 maxload = 0;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		uint64_t got = siphash24(key, msg, vec[i].len);

		ok(got == vec[i].want, "reference vector, %zu bytes "
		    "(got %016llx)", vec[i].len, (unsigned long long)got);
	}

	for (size_t i = 0; i < sizeof(key2); i++)
		key2[i] = (uint8_t)(0xa5 ^ (i * 29));
	for (unsigned i = 0; i < 1000; i++) {
		int n = snprintf(name, sizeof(name),
		    "%u.0.5.5.5.2.0.2.1.e164.arpa.", i);

		b1 = (unsigned)siphash24(key, name, (size_t)n) & (BUCKETS - 1);
		if (((unsigned)siphash24(key, name, (size_t)n) &
		    (BUCKETS - 1)) == b1)
			same++;
		b2 = (unsigned)siphash24(key2, name, (size_t)n) &
		    (BUCKETS - 1);
		if (b1 != b2)
			moved++;
		if (++load[b1] > maxload)
			maxload = load[b1];
	}
	is_int(same, 1000, "same key: every name hashes to the same bucket "
	    "again");
	ok(moved >= 990, "another key: %u of 1000 names change bucket",
	    moved);
	ok(maxload <= 4, "1000 similar names over 65536 buckets: at most "
	    "%u in one", maxload);
	ok(siphash24(key, "a.", 2) != siphash24(key, "A.", 2),
	    "input bytes matter (the cache lower-cases names before)");
	return done_testing();
}
