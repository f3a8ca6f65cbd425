/*
 * tests/xorshift.h - random inputs for the unit tests that compare a
 * function with the C library's on many cases: xorshift64 (Marsaglia,
 * 2003), a fixed seed unless the test sets @rng, so that a failing case
 * comes back on the next run.  File-scope state: include it from one
 * test program's main file only.
 */
#ifndef TESTS_XORSHIFT_H
#define TESTS_XORSHIFT_H

#include <stdint.h>

static uint64_t	 rng = 0x9e3779b97f4a7c15ULL;

static inline uint64_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#endif
