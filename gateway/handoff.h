/*
 * gateway/handoff.h - what a worker cannot do itself, done by worker 0
 * (imgate.conf(5) gateway.workers).
 *
 * Worker 0 owns the XMPP component connection and the spool.  Another
 * worker hands it a message routed to XMPP (handoff_side, its XMPP
 * outbound side) or to a store-and-forward route (handoff_spool()) over
 * a SOCK_SEQPACKET socket from the supervisor (gateway/workers), and
 * answers its sender with the outcome worker 0 sends back.  Worker 0
 * handles a handed message as a transaction of its own, with
 * t->handoff_from set: its completion hook gives its outcome to
 * handoff_reply() instead of an inbound side.
 *
 * A message of at most HANDOFF_MAX bytes carries the transaction's
 * strings; a worker that dies leaves its messages queued for its
 * successor, which drops answers meant for its predecessor (generation).
 */
#ifndef GATEWAY_HANDOFF_H
#define GATEWAY_HANDOFF_H

#include <sofia-sip/su_wait.h>

#include "gateway/flow/relay.h"
#include "gateway/flow/txn.h"
#include "routing/policy.h"

#define HANDOFF_MAX	(256 * 1024)

/* The outbound XMPP side of a worker other than 0. */
extern const struct relay_side handoff_side;

/** Watch the handoff sockets on @root (workers only).  @return 0 or -1. */
int handoff_init(su_root_t *root);

/** Close what handoff_init() opened. */
void handoff_fini(void);

/** Is this a worker that hands messages to worker 0? */
bool handoff_active(void);

/** Hand @t, accepted from @src for a store-and-forward route, over. */
void handoff_spool(struct gw_txn *t, const struct policy_source *src);

/** Worker 0: send @o for a handed transaction @t back to its worker. */
void handoff_reply(struct gw_txn *t, const struct gw_outcome *o);

#endif /* GATEWAY_HANDOFF_H */
