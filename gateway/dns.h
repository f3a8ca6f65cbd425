/*
 * gateway/dns.h - the single c-ares channel, its cache, on the one loop.
 *
 * Serves every DNS question of the flow (ENUM NAPTR, RFC 3861 SRV, target
 * addresses) through struct dnsq_ops, so routing/ and enum/ never see
 * c-ares.  c-ares sockets are registered in the sofia-sip su_root and its
 * timeouts run on an su_timer: no thread, no blocking call.  Answers are
 * cached by (name, type) for their TTL, negative answers for the RFC 2308
 * time, failures briefly; identical queries in flight are coalesced.
 */
#ifndef GATEWAY_DNS_H
#define GATEWAY_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/su_wait.h>

#include "enum/dnsq.h"

struct dns_config {
	const char	*servers[16];	/* "IP", "IP:PORT", "[v6]:PORT" */
	size_t		 nservers;	/* 0: /etc/resolv.conf */
	int		 timeout_ms;	/* per try */
	int		 tries;
	bool		 want_ad;	/* set AD (and DO) in queries */
	size_t		 cache_entries;	/* 0: no cache */
	size_t		 cache_bytes;	/* memory cap of cached answers */
	uint32_t	 max_ttl;	/* caps positive TTLs */
	uint32_t	 negative_max_ttl;
	uint32_t	 failure_ttl;	/* SERVFAIL/timeout memory */
	bool		 serve_stale;	/* RFC 8767 on failure */
};

struct dns_stats {
	uint64_t	 queries_sent;	/* reached c-ares */
	uint64_t	 cache_hits;
	uint64_t	 coalesced;	/* joined a query in flight */
	uint64_t	 failures;
	size_t		 entries;
	size_t		 bytes;
};

struct dns;

/**
 * Create the resolver on @root.  @cfg is copied.
 * @return NULL on failure (logged).
 */
struct dns *dns_create(su_root_t *root, const struct dns_config *cfg);

/**
 * Take the reloadable settings of @cfg (want_ad, the TTL caps,
 * failure_ttl, serve_stale, cache_entries); servers, timeout_ms and
 * tries belong to the c-ares channel and stay as created.  Cached
 * entries are held to the new caps from now on; a change of want_ad
 * empties the cache (its answers were asked for the other way).
 * Never fails.  @cfg is borrowed for the call.
 */
void dns_reconfigure(struct dns *d, const struct dns_config *cfg);

/** Complete every pending query with DNSQ_TEMPFAIL ("shutdown") and free. */
void dns_destroy(struct dns *d);

/** The dnsq_ops for routing/lookup; valid as long as @d. */
const struct dnsq_ops *dns_ops(struct dns *d);

void dns_get_stats(const struct dns *d, struct dns_stats *st);
void dns_cache_flush(struct dns *d);

/** Pending queries (for tests and shutdown). */
size_t dns_pending(const struct dns *d);

/** Monotonic milliseconds. */
uint64_t dns_now_ms(void);

#endif /* GATEWAY_DNS_H */
