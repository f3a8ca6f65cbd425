/*
 * gateway/metrics.h - counters of what the daemon did, and their
 * Prometheus rendering.
 *
 * Beside the flow: txn_finish() (gateway/flow/txn), where every
 * transaction ends, calls metrics_txn_done() once per transaction;
 * the lookup callback calls metrics_lookup_done().  Counting is a few
 * integer increments in this process's slot of the workers' shared
 * region (gateway/workers_shm; a single process has a region of one
 * slot): no allocation, no lock (one writer per slot), no I/O.  The
 * loop's tick calls metrics_publish(), which copies the gauges (in
 * flight, DNS statistics, loop lag, CPU) into the slot.  /metrics
 * (gateway/metrics_http) and the control socket (gateway/ctl), which
 * worker 0 serves, sum the slots of every worker.
 */
#ifndef GATEWAY_METRICS_H
#define GATEWAY_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "gateway/flow/txn.h"
#include "gateway/metrics_counters.h"
#include "gateway/promtext.h"
#include "gateway/status.h"

struct dns;
struct dns_server_stats;
struct dns_stats;

/**
 * Remember @dns (borrowed for the daemon's life) for its statistics, and
 * count into slot @k of the workers' region (gateway/workers_shm, which
 * must exist): this process's worker number, 0 in a single process.
 */
void metrics_init(struct dns *dns, int k);

/**
 * The loop's tick: copy the gauges into this process's slot; @lag_ms is
 * how late the tick ran.
 */
void metrics_publish(uint64_t lag_ms);

/** The messages worker @k received (all protocols and answers). */
uint64_t metrics_worker_in(int k);

/**
 * The resolver statistics summed over every worker (the retired ones of
 * restarted workers included); this process's are read fresh.
 */
void metrics_dns_sum(struct dns_stats *st);

/**
 * The DNS servers of every running worker, merged by name into @sv (at
 * most @cap): in service while every worker has it in service, counters
 * summed.  @return how many.
 */
size_t metrics_dns_servers(struct dns_server_stats *sv, size_t cap);

/** Transactions in flight in every running worker. */
uint64_t metrics_transactions(void);

/** @t finished with @o answered as @r (all borrowed for the call). */
void metrics_txn_done(const struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r);

/** A routing lookup (ENUM, RFC 3861) ended with @e. */
void metrics_lookup_done(enum lookup_error e);

/**
 * The XMPP edge (gateway/xmppgw) says its component connection is up
 * (@up: (re)established, counted) or down; the gauge shows the last word.
 * Pushed by the edge so that this module need not know it.
 */
void metrics_component_state(bool up);

/** The component closed the server's stream for cap @cap (0: depth, 1:
 * size, 2: restricted XML; gateway/xmlguard.h). */
void metrics_component_refused(unsigned cap);

/** @n stanzas were taken back from a broken component connection. */
void metrics_component_taken_back(uint64_t n);

/**
 * Render every metric into @p (the caller's buffer; a full buffer leaves
 * p->truncated set).
 */
void metrics_render(struct promtext *p);

/**
 * The message counters, summed over every worker, as JSON (imgatectl
 * stats): {"in": {"sip":
 * {"2xx": N, ...}, "xmpp": {...}}, "out": {...}, "outcomes": {REASON:
 * N, ...}}, zero counts left out.  A new reference owned by the caller.
 */
json_t *metrics_json(void);

#endif /* GATEWAY_METRICS_H */
