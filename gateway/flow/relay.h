/*
 * gateway/flow/relay.h - the middle of the flow: route a transaction, forward
 * it, report the outcome to the sender.
 *
 * An inbound side (gateway/sipgw, gateway/xmppgw) builds a struct gw_txn,
 * sets its completion hook and calls relay_submit().  relay runs one
 * routing/resolve session on the resolver behind a struct dnsq_ops (the
 * destination decision and its targets' addresses), hands the message
 * to an outbound side, and, when the far end answers or something
 * fails, calls txn_finish() (gateway/flow/txn), which maps the outcome
 * once (gateway/status) and calls the hook.  Nothing here knows a wire
 * library.
 */
#ifndef GATEWAY_FLOW_RELAY_H
#define GATEWAY_FLOW_RELAY_H

#include "conf/conf.h"
#include "enum/dnsq.h"
#include "gateway/flow/txn.h"
#include "gateway/status.h"
#include "routing/lookup.h"
#include "routing/policy.h"

/* An inbound side answers its sender: its transactions' t->done. */
typedef txn_done_fn relay_reply_fn;

/*
 * An outbound side forwards @t to @dest (SIP Request-URI or XMPP "to"),
 * through @next_hop ("IP:PORT" or "[IPv6]:PORT", SIP only; its transport
 * is t->next_transport).  Returns GW_R_NONE when the
 * attempt started (its result comes back through relay_attempt_done()),
 * otherwise why it could not start (the relay then answers the sender).
 */
typedef enum gw_reason relay_send_fn(struct gw_txn *t, const char *dest,
    const char *next_hop);

/* An outbound side drops the attempt in flight on @t (its t->out). */
typedef txn_edge_fn relay_abort_fn;

/*
 * A spool delivery of a message this side received: give @t the
 * inbound state its reply needs (@self: the address the sender wrote
 * to); 0, or -1 when memory is short.  NULL for a side that needs none.
 */
typedef int relay_adopt_fn(struct gw_txn *t, const char *self);

/* One protocol's edge as the relay sees it. */
struct relay_side {
	relay_reply_fn	*reply;
	relay_send_fn	*send;
	relay_abort_fn	*abort;
	relay_adopt_fn	*adopt;
};

/* Store-and-forward: take @t (accepted, not yet stored) and finish it
 * when it is stored or refused; @src borrowed for the call. */
typedef void relay_store_fn(struct gw_txn *t,
    const struct policy_source *src);

/**
 * Wire the relay.  @dnsq, the sides and @store (the spool, or the
 * handoff to the worker that owns it; NULL: store-and-forward routes
 * are refused as "spool error") are borrowed for the life of the daemon;
 * @xmpp is NULL when XMPP is not enabled.  The configuration comes from
 * each transaction's runtime (gateway/runtime).
 */
void relay_init(const struct dnsq_ops *dnsq, const struct relay_side *sip,
    const struct relay_side *xmpp, relay_store_fn *store);

/**
 * Start routing @t (state TXN_NEW) sent by @src (borrowed for the call):
 * ACL, rate limit, dial plan, routes (routing/route), then ENUM, a static
 * target or a refusal.  The relay owns @t from here on.
 */
void relay_submit(struct gw_txn *t, const struct policy_source *src);

/** The RFC 3263 parameters SIP targets are located with (for explain). */
const struct siptarget_params *relay_siptarget_params(void);

/**
 * Worker 0: @t, handed over by another worker (gateway/handoff) that
 * admitted it already, routed as relay_submit() does without the ACL and
 * the rate limit.
 */
void relay_submit_handed(struct gw_txn *t, const struct policy_source *src);

/** Free what relay_init()/relay_reconfigure() took (at shutdown). */
void relay_fini(void);

/** Apply a (re)loaded configuration's rate limits, keeping buckets. */
void relay_reconfigure(const struct gw_conf *c);

/**
 * Route @t to @dest without ENUM: a reply to an address imgate itself
 * presented (a SIP user as alice\40a.example@gw, an XMPP user as
 * sip:juliet%40b.example@gw).  @dest is a SIP URI or a bare JID.  The
 * ACL and rate limit apply as for relay_submit().
 */
void relay_submit_direct(struct gw_txn *t, const struct policy_source *src,
    enum proto proto, const char *dest);

/**
 * Deliver @t, a message taken out of the spool (gateway/flow/spool;
 * t->spool_row set): routed and sent as relay_submit() does, without the
 * ACL and the rate limit (it passed them when it was accepted) and
 * without spooling it again.  The outcome goes to the spool's hook, not
 * to a sender.  @src (borrowed for the call) is the original sender's
 * description.
 */
void relay_resubmit(struct gw_txn *t, const struct policy_source *src);

/** As relay_resubmit(), straight to @dest (a spooled failure notice). */
void relay_resubmit_direct(struct gw_txn *t, enum proto proto,
    const char *dest);

/**
 * The attempt on @t ended with @o, mapped from the far end's answer by
 * gateway/status (status_from_sip(), status_from_xmpp_*()).  An outcome
 * with retry_elsewhere goes on to the next hop, target or fallback link
 * while there is one; any other ends @t (txn_finish).  The edge has
 * cleared its t->out.
 */
void relay_attempt_done(struct gw_txn *t, struct gw_outcome o);

#endif /* GATEWAY_FLOW_RELAY_H */
