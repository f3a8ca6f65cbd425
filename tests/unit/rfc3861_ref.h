/*
 * tests/unit/rfc3861_ref.h - the reference rfc3861_parse_uri()
 * (tests/unit/rfc3861_ref.c) that test_rfc3861 compares against.
 */
#ifndef TESTS_UNIT_RFC3861_REF_H
#define TESTS_UNIT_RFC3861_REF_H

#include <stddef.h>

/** rfc3861_parse_uri() as it was before the one-pass domain check. */
int rfc3861ref_parse_uri(const char *uri, char *user, size_t usersz,
    char *domain, size_t domainsz);

#endif /* TESTS_UNIT_RFC3861_REF_H */
