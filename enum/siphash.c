/*
 * enum/siphash.c - SipHash-2-4 (see siphash.h for why and where from).
 *
 * The state is four 64-bit words initialised from the key and the
 * constants "somepseudorandomlygeneratedbytes"; each 8-byte little-endian
 * block is mixed in with two SipRounds, the last block carries the length
 * in its top byte, and four SipRounds finish.
 */
#include <endian.h>
#include <string.h>

#include "enum/siphash.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND(v0, v1, v2, v3) do {				\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/*
 * One load and, on a big-endian host, a byte swap: the byte-at-a-time
 * loop this replaces was half of SipHash's cost (~1 400 instructions a
 * relayed message, bench/README.md).  memcpy(): @p need not be aligned.
 */
static uint64_t
le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

uint64_t
siphash24(const uint8_t key[SIPHASH_KEY_SIZE], const void *in, size_t len)
{
	const uint8_t	*p = in;
	uint64_t	 k0 = le64(key), k1 = le64(key + 8);
	uint64_t	 v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t	 v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t	 v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t	 v3 = 0x7465646279746573ULL ^ k1;
	uint64_t	 m, b = (uint64_t)len << 56;
	size_t		 left = len & 7;
	const uint8_t	*end = p + (len - left);

	for (; p != end; p += 8) {
		m = le64(p);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t i = 0; i < left; i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}
