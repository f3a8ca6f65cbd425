/*
 * enum/dnshealth.h - which DNS server a query goes to, and which are sick.
 *
 * gateway/dns keeps one c-ares channel per configured server and asks
 * this module where each query goes.  A server that fails
 * dns.health.failures queries in a row (no answer in time, SERVFAIL,
 * REFUSED, a refused connection) is taken out of service; after
 * dns.health.interval_ms it is sent the probe query, and only an answer
 * to the probe (any RCODE but SERVFAIL/REFUSED) puts it back.  NXDOMAIN
 * and NODATA are answers: they never count as failures, and they reset
 * the run of failures.  Selection is "hunt" (the first server in service,
 * in configured order) or "round-robin" (servers in service in turn); a
 * query moves to another server only when the one it went to gave no
 * usable answer.  When no server is in service, queries go to every
 * server in configured order rather than nowhere, and an answer from one
 * puts it back at once; otherwise only the probe does (a late answer to
 * a query sent before the server went out does not).
 * docs/imgate.conf.5 ("DNS server health") says the same.
 *
 * Pure: no I/O, no allocation, no globals; the caller gives the time.
 */
#ifndef ENUM_DNSHEALTH_H
#define ENUM_DNSHEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Servers one set can hold (the width of a query's "tried" mask). */
#define DNSHEALTH_MAX	16

enum dnshealth_mode {
	DNSHEALTH_HUNT,
	DNSHEALTH_ROUND_ROBIN
};

/* What one query, or one probe, got from a server. */
enum dnshealth_outcome {
	DNSHEALTH_ANSWER,	/* any RCODE but SERVFAIL/REFUSED */
	DNSHEALTH_FAILURE	/* timeout, SERVFAIL, REFUSED, refused */
};

/* A state change the caller should log. */
enum dnshealth_event {
	DNSHEALTH_EV_NONE,
	DNSHEALTH_EV_DOWN,	/* taken out of service */
	DNSHEALTH_EV_UP		/* back in service */
};

struct dnshealth_server {
	bool		 down;		/* out of service */
	bool		 probing;	/* probe in flight */
	unsigned	 consecutive;	/* failures in a row */
	uint64_t	 probe_at;	/* when down: next probe due (ms) */
	uint64_t	 since;		/* last state change (ms) */
	/* Counters since start. */
	uint64_t	 queries;	/* outcomes reported */
	uint64_t	 failures;
	uint64_t	 outages;	/* times taken out of service */
	uint64_t	 probes;	/* probes sent */
	uint64_t	 probe_failures;
};

struct dnshealth {
	struct dnshealth_server	 s[DNSHEALTH_MAX];
	size_t			 n;
	unsigned		 max_failures;	/* >= 1 */
	uint64_t		 interval_ms;
	enum dnshealth_mode	 mode;
	size_t			 next;	/* round-robin cursor */
};

/** @n servers (capped at DNSHEALTH_MAX), all in service at @now. */
void	dnshealth_init(struct dnshealth *h, size_t n, unsigned failures,
	    uint64_t interval_ms, enum dnshealth_mode mode, uint64_t now);

/*
 * New thresholds and mode (a reload).  A server already out of service
 * keeps its probe time; run lengths are kept.
 */
void	dnshealth_configure(struct dnshealth *h, unsigned failures,
	    uint64_t interval_ms, enum dnshealth_mode mode);

/*
 * The server for a query's next try: bit i of @tried set means server i
 * had this query already.  A first try (@tried 0) advances the
 * round-robin cursor.
 * @return a server index, or -1 when every server in service (or, with
 *	   none in service, every server) was tried
 */
int	dnshealth_pick(struct dnshealth *h, uint32_t tried);

/* A query to server @i ended with @o at @now. */
enum dnshealth_event dnshealth_report(struct dnshealth *h, size_t i,
	    enum dnshealth_outcome o, uint64_t now);

/*
 * A server out of service whose probe is due at @now, marked as being
 * probed (one probe at a time per server), or -1.
 */
int	dnshealth_probe_due(struct dnshealth *h, uint64_t now);

/*
 * The probe to server @i ended with @o: an answer puts it back, anything
 * else keeps it out for another interval.
 */
enum dnshealth_event dnshealth_probe_result(struct dnshealth *h, size_t i,
	    enum dnshealth_outcome o, uint64_t now);

/** Earliest probe due among servers out of service and not probing; 0. */
uint64_t dnshealth_next_probe(const struct dnshealth *h);

/** Servers in service. */
size_t	dnshealth_in_service(const struct dnshealth *h);

/** "up" or "down". */
const char *dnshealth_strstate(const struct dnshealth_server *s);

#endif /* ENUM_DNSHEALTH_H */
