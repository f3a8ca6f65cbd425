/*
 * tests/unit/e164_ref.h - the reference e164_parse() and enumkey_first()
 * (tests/unit/e164_ref.c) that test_e164 compares against.
 */
#ifndef TESTS_UNIT_E164_REF_H
#define TESTS_UNIT_E164_REF_H

#include <stddef.h>

#include "routing/e164.h"

/** e164_parse() as it was before the single-pass scanners. */
enum e164_status e164ref_parse(const char *in, size_t inlen, unsigned forms,
    unsigned max_digits, char *aus, size_t aussz);

/** enumkey_first() as it was before the one-pass digit check. */
int enumkeyref_first(const char *aus, const char *suffix, char *out,
    size_t outsz);

#endif /* TESTS_UNIT_E164_REF_H */
