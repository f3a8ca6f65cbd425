/*
 * gateway/metrics.h - counters of what the daemon did, and their
 * Prometheus rendering.
 *
 * Beside the flow: txn_finish() (gateway/flow/txn), where every
 * transaction ends, calls metrics_txn_done() once per transaction;
 * the lookup callback calls metrics_lookup_done().  Counting is a few
 * integer increments in static arrays: no allocation, no lock (one
 * thread), no I/O.  The gauges (in flight, spool, DNS cache, process)
 * are read when /metrics is scraped (gateway/metrics_http) or the
 * control socket asks (gateway/ctl).
 */
#ifndef GATEWAY_METRICS_H
#define GATEWAY_METRICS_H

#include <stddef.h>

#include <jansson.h>

#include "gateway/flow/txn.h"
#include "gateway/promtext.h"
#include "gateway/status.h"

struct dns;

/** Remember @dns (borrowed for the daemon's life) for its statistics. */
void metrics_init(struct dns *dns);

/** @t finished with @o answered as @r (all borrowed for the call). */
void metrics_txn_done(const struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r);

/** A routing lookup (ENUM, RFC 3861) ended with @e. */
void metrics_lookup_done(enum lookup_error e);

/** The component connection was (re)established. */
void metrics_component_connected(void);

/**
 * Render every metric into @p (the caller's buffer; a full buffer leaves
 * p->truncated set).
 */
void metrics_render(struct promtext *p);

/**
 * The message counters as JSON (imgatectl stats): {"in": {"sip":
 * {"2xx": N, ...}, "xmpp": {...}}, "out": {...}, "outcomes": {REASON:
 * N, ...}}, zero counts left out.  A new reference owned by the caller.
 */
json_t *metrics_json(void);

#endif /* GATEWAY_METRICS_H */
