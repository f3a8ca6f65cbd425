/*
 * gateway/relay.h - the middle of the flow: route a transaction, forward
 * it, report the outcome to the sender.
 *
 * An inbound side (gateway/sipgw) builds a struct gw_txn and calls
 * relay_submit().  relay runs routing/lookup on the shared resolver,
 * resolves the chosen server's address, hands the message to an outbound
 * side, and, when the far end answers or something fails, calls
 * relay_finish(), which maps the outcome once (gateway/status) and asks
 * the inbound side to answer the sender.
 */
#ifndef GATEWAY_RELAY_H
#define GATEWAY_RELAY_H

#include "conf/conf.h"
#include "gateway/dns.h"
#include "gateway/status.h"
#include "gateway/txn.h"
#include "routing/lookup.h"
#include "routing/policy.h"

/* An inbound side answers its sender; called exactly once per txn. */
typedef void relay_reply_fn(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r);

/*
 * An outbound side forwards @t to @dest (SIP Request-URI or XMPP "to"),
 * through @next_hop ("IP:PORT" or "[IPv6]:PORT", SIP only; its transport
 * is t->next_transport).  Returns GW_R_NONE when the
 * attempt started (its result comes back through relay_attempt_done()),
 * otherwise why it could not start (the relay then answers the sender).
 */
typedef enum gw_reason relay_send_fn(struct gw_txn *t, const char *dest,
    const char *next_hop);

/* An outbound side drops the attempt in flight on @t (t->out). */
typedef void relay_abort_fn(struct gw_txn *t);

/* One protocol's edge as the relay sees it. */
struct relay_side {
	relay_reply_fn	*reply;
	relay_send_fn	*send;
	relay_abort_fn	*abort;
};

/**
 * Wire the relay.  @dns and the sides are borrowed for the life of the
 * daemon; @xmpp is NULL when XMPP is not enabled.  The configuration
 * comes from each transaction's runtime (gateway/runtime).
 */
void relay_init(struct dns *dns, const struct relay_side *sip,
    const struct relay_side *xmpp);

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
 * Deliver @t, a message taken out of the spool (gateway/spool; t->spool_row
 * set): routed and sent as relay_submit() does, without the ACL and the
 * rate limit (it passed them when it was accepted) and without spooling
 * it again.  The outcome goes to spool_delivery_done(), not to a sender.
 * @src (borrowed for the call) is the original sender's description.
 */
void relay_resubmit(struct gw_txn *t, const struct policy_source *src);

/** As relay_resubmit(), straight to @dest (a spooled failure notice). */
void relay_resubmit_direct(struct gw_txn *t, enum proto proto,
    const char *dest);

/**
 * The far end answered attempt on @t with @code (a SIP final status;
 * 408/503 generated locally mean "no answer" / "transport failed").
 */
void relay_attempt_done(struct gw_txn *t, int code);

/** The far XMPP end refused with @condition (a static string). */
void relay_attempt_failed_xmpp(struct gw_txn *t, const char *condition);

/** Answer the sender with @o and free @t. */
void relay_finish(struct gw_txn *t, struct gw_outcome o);

#endif /* GATEWAY_RELAY_H */
