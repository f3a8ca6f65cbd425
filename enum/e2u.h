/*
 * enum/e2u.h - apply a NAPTR REGEXP field (RFC 3402 section 3.2) to an AUS.
 *
 * Sits inside the ENUM step (enum/enumq drives it, enum/naptr decides which
 * record to try): given the wire value of a terminal rule's REGEXP and the
 * original AUS, produce the URI.  Any delimiter, escaped delimiters, exactly
 * three delimiters, POSIX ERE, \1-\9, trailing "i" flag.  Pure: no I/O, no
 * globals; the ERE is compiled with regcomp() and freed before returning.
 */
#ifndef ENUM_E2U_H
#define ENUM_E2U_H

#include <stddef.h>
#include <stdint.h>

enum e2u_status {
	E2U_OK = 0,
	E2U_EMPTY,		/* empty regexp field */
	E2U_BAD_DELIM,		/* delimiter is a digit, 'i', '\\' or NUL */
	E2U_DELIM_COUNT,	/* not exactly three unescaped delimiters */
	E2U_BAD_FLAGS,		/* anything but "" or "i" after the 3rd */
	E2U_COMPILE,		/* regcomp() refused the ERE */
	E2U_BAD_BACKREF,	/* \N names a group the ERE does not have */
	E2U_NO_MATCH,		/* the ERE does not match the AUS */
	E2U_TOO_LONG		/* result does not fit in the caller buffer */
};

/** Hard cap on a REGEXP field and on a produced URI (bytes, no NUL). */
#define E2U_MAX_LEN	1024

/**
 * Apply @regexp to @aus ("sed-style": the first match is replaced by the
 * expanded Repl; with the usual ^...$ anchoring the output is just Repl).
 * Unmatched optional groups expand to "".  A literal "\\<delim>" in Repl
 * yields the delimiter; inside the ERE it becomes a literal (escaped when
 * the delimiter is an ERE metacharacter).
 *
 * @param regexp  wire value of the field, borrowed, length @rlen
 * @param aus     NUL-terminated AUS, borrowed
 * @param out     caller buffer for the NUL-terminated result
 * @param outsz   size of @out
 * @return E2U_OK or why the record must be discarded
 */
enum e2u_status e2u_apply(const char *regexp, size_t rlen, const char *aus,
    char *out, size_t outsz);

/*
 * A bounded cache of compiled rules for the daemon, so a cached NAPTR is
 * not compiled again for every message.  Owned by the caller; not
 * thread-safe (imgated has one thread).
 */
struct e2u_cache;

/** @return a cache of @nslots entries, or NULL; free with e2u_cache_free. */
struct e2u_cache *e2u_cache_new(size_t nslots);
void e2u_cache_free(struct e2u_cache *c);
void e2u_cache_stats(const struct e2u_cache *c, uint64_t *hits,
    uint64_t *misses);
/** How many answers came from a whole-match rule's kept result (see
 * e2u_apply_cached()), not from regexec(). */
uint64_t e2u_cache_whole(const struct e2u_cache *c);

/**
 * As e2u_apply(), compiling through @c (NULL: no cache).  A cached rule
 * whose ERE matches every AUS whole ("^.*$", ".*", "^.*", ".*$") keeps
 * its one result and answers an ASCII AUS without regexec(); e2u_apply()
 * always runs regexec(), and tests/unit/test_e2u_whole holds the two to
 * the same output.
 */
enum e2u_status e2u_apply_cached(struct e2u_cache *c, const char *regexp,
    size_t rlen, const char *aus, char *out, size_t outsz);

/** Discard reason as reported by imgate-lookup, e.g.
 * "regexp-delimiter-count", "regexp-bad-flags", "bad-backref", "no-match",
 * "regexp-compile" (never NULL). */
const char *e2u_strstatus(enum e2u_status st);

#endif /* ENUM_E2U_H */
