/*
 * tests/unit/rfc3263_ref.h - the reference rfc3263_parse_uri()
 * (tests/unit/rfc3263_ref.c) that test_rfc3263 compares against.
 */
#ifndef TESTS_UNIT_RFC3263_REF_H
#define TESTS_UNIT_RFC3263_REF_H

#include "routing/rfc3263.h"

/** rfc3263_parse_uri() as it was before the single-scan parser. */
int rfc3263ref_parse_uri(const char *uri, struct rfc3263_uri *out);

#endif /* TESTS_UNIT_RFC3263_REF_H */
