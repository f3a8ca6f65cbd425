/*
 * routing/ratelimit.h - per-source token buckets.
 *
 * Sits at the very start of the inbound -> route -> pick -> outbound flow:
 * gateway/flow/relay (admission, before the route is decided) calls
 * ratelimit_take() with the sender's key (SIP source IP, XMPP bare JID)
 * and refuses the message (SIP 503 with Retry-After, XMPP
 * <resource-constraint/>) when it says no.  The caller owns the clock:
 * time comes in as milliseconds, so tests and replays are repeatable.
 *
 * Memory is fixed at creation: at most @max_keys buckets, the least
 * recently used one recycled when a new key arrives on a full table.
 * No I/O, no globals, nothing allocated after ratelimit_new().
 */
#ifndef ROUTING_RATELIMIT_H
#define ROUTING_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Key bytes kept per bucket, NUL included.  A longer key is told apart by
 * its first RATELIMIT_KEY_MAX - 1 bytes, its length and a 64-bit hash of
 * all of it.
 */
#define RATELIMIT_KEY_MAX	128

struct ratelimit;

/**
 * Create a limiter: each key may send @burst messages at once, then
 * @rate_per_s per second on average.
 * @param rate_per_s  tokens added per second; 0 disables limiting
 * @param burst       bucket size in tokens; below 1 counts as 1
 * @param max_keys    buckets kept at most (>= 1)
 * @return a limiter owned by the caller, freed with ratelimit_free(), or
 *         NULL for a negative or non-finite rate or burst, max_keys 0,
 *         or when memory is short
 */
struct ratelimit *ratelimit_new(double rate_per_s, double burst,
    size_t max_keys);

/** Free @rl and every bucket.  NULL is accepted. */
void ratelimit_free(struct ratelimit *rl);

/**
 * Change rate and burst (configuration reload) keeping every bucket:
 * current tokens are capped to the new burst, and time elapsed since a
 * bucket was last used is credited at the new rate on its next take.
 * Values are taken as in ratelimit_new(); invalid ones leave @rl as is.
 * @return 0, or -1 for invalid values
 */
int ratelimit_set(struct ratelimit *rl, double rate_per_s, double burst);

/**
 * Take one token from @key's bucket.  A key not seen before (or whose
 * bucket was recycled) starts with a full bucket.  With rate 0 every call
 * is allowed and no bucket is touched.
 * @param rl             limiter
 * @param key            NUL-terminated source key, borrowed (copied)
 * @param now_ms         a monotonic clock in milliseconds; a clock that
 *                       goes back credits nothing and is not an error
 * @param retry_after_s  if not NULL, receives 0 when allowed, else the
 *                       whole seconds until a token is available (at
 *                       least 1), for Retry-After
 * @return 1 allowed, 0 refused
 */
int ratelimit_take(struct ratelimit *rl, const char *key, uint64_t now_ms,
    uint32_t *retry_after_s);

/** Number of buckets in use (at most max_keys), for stats and tests. */
size_t ratelimit_nkeys(const struct ratelimit *rl);

#endif /* ROUTING_RATELIMIT_H */
