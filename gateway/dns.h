/*
 * gateway/dns.h - the single c-ares channel, its cache, on the one loop.
 *
 * Serves every DNS question of the flow (ENUM NAPTR, RFC 3861 SRV, target
 * addresses) through struct dnsq_ops, so routing/ and enum/ never see
 * c-ares.  c-ares sockets are registered in the sofia-sip su_root and its
 * timeouts run on an su_timer: no thread, no blocking call.  Answers are
 * cached by (name, type) for their TTL, negative answers for the RFC 2308
 * time, failures briefly; identical queries in flight are coalesced.
 * Every UDP answer is checked against the queries in flight (random ID,
 * byte-exact question, optional 0x20 case) before c-ares sees it.
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
	bool		 case_randomization; /* DNS 0x20 on query names */
	unsigned	 udp_max_queries; /* new source port after N; 0 never */
};

/* Upper bounds (ms) of the answer latency histogram of struct dns_stats;
 * one more bucket counts everything slower. */
#define DNS_LATENCY_BOUNDS_MS	{ 1, 5, 10, 25, 50, 100, 250, 500, 1000, \
				  2500, 5000 }
#define DNS_LATENCY_NB		11

struct dns_stats {
	uint64_t	 queries_sent;	/* reached c-ares */
	/* Queries completed, by outcome (enum dnsq_status), and how long
	 * each took from ares_send() to the answer or the give-up. */
	uint64_t	 answers[DNSQ_TEMPFAIL + 1];
	uint64_t	 latency[DNS_LATENCY_NB + 1];
	uint64_t	 latency_sum_ms;
	uint64_t	 cache_hits;
	uint64_t	 coalesced;	/* joined a query in flight */
	uint64_t	 failures;
	/* UDP datagrams dropped before c-ares saw them, by reason. */
	uint64_t	 dropped_unknown_id;
	uint64_t	 dropped_question;	/* other name/type/class */
	uint64_t	 dropped_case;		/* 0x20 case not echoed */
	uint64_t	 dropped_malformed;
	uint64_t	 case_fallbacks;	/* query resent lower-case */
	uint64_t	 refused;		/* no free ID / no randomness */
	uint64_t	 port_changes;		/* new UDP source ports */
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

/** Turn DNS 0x20 on or off for queries sent from now on (reload). */
void dns_set_case_randomization(struct dns *d, bool on);

/** Change the UDP source port after @n queries from it (0: never). */
void dns_set_udp_max_queries(struct dns *d, unsigned n);

/** The dnsq_ops for routing/lookup; valid as long as @d. */
const struct dnsq_ops *dns_ops(struct dns *d);

void dns_get_stats(const struct dns *d, struct dns_stats *st);
void dns_cache_flush(struct dns *d);

/* One cache entry as dns_cache_foreach() shows it (all borrowed). */
struct dns_cache_info {
	const char		*name;		/* absolute, lower-case */
	uint16_t		 type;		/* DNSMSG_T_* */
	bool			 pending;	/* query in flight */
	enum dnsq_status	 status;	/* when !pending */
	int64_t			 ttl_s;		/* seconds left, >= 0 */
};

typedef void dns_cache_visit_fn(void *arg, const struct dns_cache_info *ci);

/** Visit every cache entry, most recently used first (the control
 * socket's "cache dump"); @fn must not change the cache. */
void dns_cache_foreach(const struct dns *d, dns_cache_visit_fn *fn,
    void *arg);

/**
 * Forget every cached answer for @name (any type; case-insensitive, a
 * missing final dot allowed); entries with a query in flight stay.
 * @return how many entries were dropped.
 */
size_t dns_cache_flush_name(struct dns *d, const char *name);

/** Pending queries (for tests and shutdown). */
size_t dns_pending(const struct dns *d);

/** Monotonic milliseconds. */
uint64_t dns_now_ms(void);

#endif /* GATEWAY_DNS_H */
