/*
 * enum/siphash.h - SipHash-2-4, a keyed hash for tables whose keys an
 * attacker chooses.
 *
 * gateway/dns keys its cache's hash table by names that come from the
 * network (anyone can publish a NAPTR pointing at any name): with an
 * unkeyed hash such as FNV-1a, names that all land in one bucket are easy
 * to compute and turn every lookup into a list walk.  With a secret
 * 128-bit key drawn at start-up they are not (Aumasson and Bernstein,
 * "SipHash: a fast short-input PRF", 2012; written here from the
 * algorithm as published there).  Pure: no I/O, no globals.
 */
#ifndef ENUM_SIPHASH_H
#define ENUM_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_SIZE	16

/** SipHash-2-4 of @len bytes at @in under @key (little-endian words). */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_SIZE], const void *in,
    size_t len);

#endif /* ENUM_SIPHASH_H */
