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

/* The paper's algorithm read byte by byte, as enum/siphash.c did before
 * it loaded whole words: any length, any alignment must agree. */
#define REF_ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define REF_ROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = REF_ROTL(v1, 13); v1 ^= v0; v0 = REF_ROTL(v0, 32); \
	v2 += v3; v3 = REF_ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = REF_ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = REF_ROTL(v1, 17); v1 ^= v2; v2 = REF_ROTL(v2, 32); \
} while (0)

static uint64_t
ref_le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

static uint64_t
ref_siphash24(const uint8_t *key, const uint8_t *p, size_t len)
{
	uint64_t k0 = ref_le64(key, 8), k1 = ref_le64(key + 8, 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	uint64_t m;
	size_t	 i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = ref_le64(p + i, 8);
		v3 ^= m;
		REF_ROUND(v0, v1, v2, v3);
		REF_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = ref_le64(p + i, len - i) | (uint64_t)len << 56;
	v3 ^= m;
	REF_ROUND(v0, v1, v2, v3);
	REF_ROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		REF_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

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

	{
		/* Every length 0..64 at every alignment 0..7, two keys. */
		static uint8_t	 buf[64 + 8 + 1];
		unsigned	 differ = 0, n = 0;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * 151 + 7);
		for (size_t off = 0; off < 8; off++)
			for (size_t len = 0; len <= 64; len++) {
				n += 2;
				if (siphash24(key, buf + off, len) !=
				    ref_siphash24(key, buf + off, len))
					differ++;
				if (siphash24(key2, buf + off, len) !=
				    ref_siphash24(key2, buf + off, len))
					differ++;
			}
		ok(differ == 0, "%u lengths x alignments x keys agree with "
		    "the byte-by-byte reference (%u differ)", n, differ);
		ok(ref_siphash24(key, msg, 15) == vec[4].want,
		    "the reference itself gives the paper's vector");
	}
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
