/*
 * routing/ratelimit.c - per-source token buckets in a fixed-size table.
 *
 * First check of the inbound -> route -> pick -> outbound flow, before a
 * transaction exists: one bucket per sender key, holding up to "burst"
 * tokens and gaining "rate" tokens a second; a message costs one token.
 *
 * Everything is allocated by ratelimit_new(): an array of max_keys
 * buckets, a free list threaded through it, and a power-of-two array of
 * hash chain heads at most half full, so a lookup costs O(1) on average.
 * When a new key arrives and every bucket is taken, the least recently
 * used bucket is recycled.  That one has been idle the longest, so it is
 * the most likely to have refilled completely, in which case forgetting
 * it loses nothing: a new bucket starts full anyway.  The price of bounded
 * memory is that a sender cycling through more than max_keys keys gets
 * fresh buckets; size max_keys above the number of concurrent senders.
 *
 * Keys come from the network (IP addresses, JIDs), so the hash is seeded
 * per table from the table's own address; that is cheap, needs no I/O,
 * and with ASLR makes it harder to aim many keys at one chain.  Chains
 * cannot grow past max_keys in any case.
 *
 * No I/O and no globals; time is given by the caller.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routing/ratelimit.h"

/* Token arithmetic is in doubles; this absorbs their rounding so that,
 * say, ten 100 ms refills at 1 token/s make a whole token. */
#define RATELIMIT_EPSILON	1e-9

struct ratelimit_bucket {
	char			 key[RATELIMIT_KEY_MAX]; /* maybe cut */
	size_t			 keylen;	/* of the whole key */
	uint64_t		 hash;		/* of the whole key */
	double			 tokens;
	uint64_t		 last_ms;	/* last refill */
	struct ratelimit_bucket	*hnext;		/* chain, or free list */
	struct ratelimit_bucket	*prev;		/* LRU, toward newest */
	struct ratelimit_bucket	*next;		/* LRU, toward oldest */
};

struct ratelimit {
	double			  rate;		/* tokens per second */
	double			  burst;	/* >= 1 */
	size_t			  max_keys;
	size_t			  nkeys;
	uint64_t		  seed;
	struct ratelimit_bucket	 *buckets;	/* max_keys of them */
	struct ratelimit_bucket	**heads;	/* mask + 1 chains */
	size_t			  mask;
	struct ratelimit_bucket	 *free;
	struct ratelimit_bucket	 *newest;
	struct ratelimit_bucket	 *oldest;
};

static bool	ratelimit_valid(double, double);
static uint64_t	ratelimit_hash(uint64_t, const char *, size_t *);
static struct ratelimit_bucket *ratelimit_find(struct ratelimit *,
		    const char *, size_t, uint64_t);
static void	ratelimit_lru_unlink(struct ratelimit *,
		    struct ratelimit_bucket *);
static void	ratelimit_lru_push(struct ratelimit *,
		    struct ratelimit_bucket *);
static void	ratelimit_chain_unlink(struct ratelimit *,
		    struct ratelimit_bucket *);
static struct ratelimit_bucket *ratelimit_insert(struct ratelimit *,
		    const char *, size_t, uint64_t, uint64_t);
static uint32_t	ratelimit_retry(double, double);

static bool
ratelimit_valid(double rate, double burst)
{
	return isfinite(rate) && isfinite(burst) && rate >= 0 && burst >= 0;
}

/* FNV-1a over the whole key, then a murmur3 finaliser so the low bits,
 * which pick the chain, depend on every input byte. */
static uint64_t
ratelimit_hash(uint64_t seed, const char *key, size_t *len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ seed;
	size_t		 i;

	for (i = 0; key[i] != '\0'; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ULL;
	}
	*len = i;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb3f97c5d4e53ULL;
	h ^= h >> 33;
	return h;
}

struct ratelimit *
ratelimit_new(double rate_per_s, double burst, size_t max_keys)
{
	struct ratelimit	*rl;
	size_t			 nheads, i;
	uintptr_t		 self;

	if (!ratelimit_valid(rate_per_s, burst) || max_keys == 0 ||
	    max_keys > SIZE_MAX / 4 / sizeof(struct ratelimit_bucket))
		return NULL;
	for (nheads = 1; nheads < 2 * max_keys; nheads <<= 1)
		;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	rl->buckets = calloc(max_keys, sizeof(*rl->buckets));
	rl->heads = calloc(nheads, sizeof(*rl->heads));
	if (rl->buckets == NULL || rl->heads == NULL) {
		ratelimit_free(rl);
		return NULL;
	}
	rl->rate = rate_per_s;
	rl->burst = burst < 1 ? 1 : burst;
	rl->max_keys = max_keys;
	rl->mask = nheads - 1;
	self = (uintptr_t)rl ^ (uintptr_t)rl->buckets;
	rl->seed = (uint64_t)self * 0x9e3779b97f4a7c15ULL;
	for (i = max_keys; i > 0; i--) {
		rl->buckets[i - 1].hnext = rl->free;
		rl->free = &rl->buckets[i - 1];
	}
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->buckets);
	free(rl->heads);
	free(rl);
}

int
ratelimit_set(struct ratelimit *rl, double rate_per_s, double burst)
{
	struct ratelimit_bucket	*b;

	if (!ratelimit_valid(rate_per_s, burst))
		return -1;
	rl->rate = rate_per_s;
	rl->burst = burst < 1 ? 1 : burst;
	for (b = rl->newest; b != NULL; b = b->next)
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
	return 0;
}

/*
 * Keys longer than the stored prefix are matched on prefix, length and
 * hash together; two such keys would have to agree on all three (and on
 * the seeded hash) to share a bucket.
 */
static struct ratelimit_bucket *
ratelimit_find(struct ratelimit *rl, const char *key, size_t len,
    uint64_t h)
{
	struct ratelimit_bucket	*b;
	size_t			 cmp;

	cmp = len < RATELIMIT_KEY_MAX - 1 ? len : RATELIMIT_KEY_MAX - 1;
	for (b = rl->heads[h & rl->mask]; b != NULL; b = b->hnext)
		if (b->hash == h && b->keylen == len &&
		    memcmp(b->key, key, cmp) == 0)
			return b;
	return NULL;
}

static void
ratelimit_lru_unlink(struct ratelimit *rl, struct ratelimit_bucket *b)
{
	if (b->prev != NULL)
		b->prev->next = b->next;
	else
		rl->newest = b->next;
	if (b->next != NULL)
		b->next->prev = b->prev;
	else
		rl->oldest = b->prev;
	b->prev = b->next = NULL;
}

static void
ratelimit_lru_push(struct ratelimit *rl, struct ratelimit_bucket *b)
{
	b->prev = NULL;
	b->next = rl->newest;
	if (rl->newest != NULL)
		rl->newest->prev = b;
	else
		rl->oldest = b;
	rl->newest = b;
}

static void
ratelimit_chain_unlink(struct ratelimit *rl, struct ratelimit_bucket *b)
{
	struct ratelimit_bucket	**pp;

	for (pp = &rl->heads[b->hash & rl->mask]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == b) {
			*pp = b->hnext;
			break;
		}
	b->hnext = NULL;
}

/* A full bucket for a new key: from the free list, else the LRU one. */
static struct ratelimit_bucket *
ratelimit_insert(struct ratelimit *rl, const char *key, size_t len,
    uint64_t h, uint64_t now_ms)
{
	struct ratelimit_bucket	*b;
	size_t			 keep;

	if (rl->free != NULL) {
		b = rl->free;
		rl->free = b->hnext;
		rl->nkeys++;
	} else {
		b = rl->oldest;
		ratelimit_lru_unlink(rl, b);
		ratelimit_chain_unlink(rl, b);
	}
	keep = len < RATELIMIT_KEY_MAX - 1 ? len : RATELIMIT_KEY_MAX - 1;
	memcpy(b->key, key, keep);
	b->key[keep] = '\0';
	b->keylen = len;
	b->hash = h;
	b->tokens = rl->burst;
	b->last_ms = now_ms;
	b->hnext = rl->heads[h & rl->mask];
	rl->heads[h & rl->mask] = b;
	ratelimit_lru_push(rl, b);
	return b;
}

/* Whole seconds until @tokens reaches 1 at @rate, at least 1. */
static uint32_t
ratelimit_retry(double tokens, double rate)
{
	double		 s;
	uint32_t	 u;

	s = (1.0 - tokens) / rate;
	if (!(s < 4294967295.0))
		return UINT32_MAX;
	u = (uint32_t)s;
	if ((double)u < s - RATELIMIT_EPSILON)
		u++;
	return u < 1 ? 1 : u;
}

int
ratelimit_take(struct ratelimit *rl, const char *key, uint64_t now_ms,
    uint32_t *retry_after_s)
{
	struct ratelimit_bucket	*b;
	uint64_t		 h;
	size_t			 len;

	if (retry_after_s != NULL)
		*retry_after_s = 0;
	if (rl->rate <= 0)
		return 1;

	h = ratelimit_hash(rl->seed, key, &len);
	if ((b = ratelimit_find(rl, key, len, h)) != NULL) {
		ratelimit_lru_unlink(rl, b);
		ratelimit_lru_push(rl, b);
		if (now_ms > b->last_ms) {
			b->tokens += (double)(now_ms - b->last_ms) *
			    rl->rate / 1000.0;
			if (b->tokens > rl->burst)
				b->tokens = rl->burst;
		}
		b->last_ms = now_ms;
	} else
		b = ratelimit_insert(rl, key, len, h, now_ms);

	if (b->tokens + RATELIMIT_EPSILON >= 1.0) {
		b->tokens -= 1.0;
		if (b->tokens < 0)
			b->tokens = 0;
		return 1;
	}
	if (retry_after_s != NULL)
		*retry_after_s = ratelimit_retry(b->tokens, rl->rate);
	return 0;
}

size_t
ratelimit_nkeys(const struct ratelimit *rl)
{
	return rl->nkeys;
}
