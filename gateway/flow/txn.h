/*
 * gateway/flow/txn.h - one inbound message, from arrival to the sender's reply.
 *
 * Every message that enters (gateway/sipgw, gateway/xmppgw, a spool
 * delivery, a handoff from another worker) becomes a struct gw_txn with a
 * 64-bit id, a state and a deadline.  Callbacks from the resolver and
 * from the edges carry the id, never the pointer, and find the
 * transaction with txn_get(): a late answer for a finished transaction
 * finds nothing and is dropped quietly.
 *
 * Whoever creates a transaction sets its completion hook (t->done): the
 * inbound edge that answers the sender, the spool that records a
 * delivery's outcome, the handoff that sends it back to another worker.
 * txn_finish() maps the outcome once (gateway/status), calls the hook
 * exactly once and frees the transaction, so the middle never needs to
 * know who is waiting.
 */
#ifndef GATEWAY_FLOW_TXN_H
#define GATEWAY_FLOW_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/proto.h"
#include "gateway/flow/loop.h"
#include "gateway/runtime.h"
#include "gateway/status.h"
#include "routing/siptarget.h"
#include "routing/lookup.h"
#include "routing/resolve.h"

enum txn_state {
	TXN_NEW,	/* accepted, not yet routed */
	TXN_ROUTING,	/* ENUM / RFC 3861 lookup in flight */
	TXN_RESOLVING,	/* target address lookup in flight */
	TXN_SENDING,	/* forwarded, waiting for the far end */
	TXN_SPOOLING,	/* store-and-forward: waiting for the group commit */
	TXN_REPLIED,	/* the sender has its answer */
	TXN_DONE
};

/* RFC 3261 8.1.1.6: the hop count of a request imgate starts. */
#define TXN_MAX_FORWARDS	70

struct gw_txn;

/*
 * What a transaction keeps of its routing result: the protocol, the
 * destination and the SIP targets in RFC 2782 order.  A struct
 * lookup_result is about 11 KB, and in-flight transactions are what a
 * gateway holds most of; this is one allocation sized to its strings
 * (typically under 200 bytes).  Owned by the transaction, freed by
 * txn_free().
 */
struct txn_route {
	enum proto	 proto;
	size_t			 ntargets;
	const char		*dest;		/* Request-URI / XMPP to */
	struct txn_target {
		const char	*host;		/* absolute name or IP literal */
		uint16_t	 port;
	}			 targets[];	/* the strings follow */
};

/* Called when the deadline passes (state unchanged, caller decides). */
typedef void txn_timeout_cb(struct gw_txn *t);

/* The completion hook: the outcome @o, mapped once into @r. */
typedef void txn_done_fn(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r);

/* An edge's hook on its own part of @t (drop an attempt, free state). */
typedef void txn_edge_fn(struct gw_txn *t);

/*
 * Edge state.  Each edge defines its own struct (the middle only passes
 * pointers) and frees what it allocated; the owner is named beside each.
 */
struct sipgw_in;	/* gateway/sipgw.c: the server transaction */
struct sipgw_out;	/* gateway/sipgw.c: the client transaction */
struct xmppgw_in;	/* gateway/xmppgw.c: the address written to */
struct xmppgw_out;	/* gateway/xmppgw.c: queued or sent (static) */
struct handoff_out;	/* gateway/handoff.c: at worker 0 (static) */

struct gw_txn {
	uint64_t		 id;
	enum txn_state		 state;
	enum proto		 origin;
	uint64_t		 started_ms;
	/* What the sender asked (copied out of library structures). */
	char			*dest;		/* Request-URI / to */
	char			*from;		/* sender URI */
	char			*from_display;	/* full From header value */
	char			*call_id;
	char			*content_type;
	char			*body;
	size_t			 body_len;
	char			*subject;	/* Subject / <subject/> */
	char			*lang;		/* Content-Language / xml:lang */
	/* XMPP origin: the sender's full JID, the stanza id and whether it
	 * asked for an XEP-0184 receipt. */
	char			*xmpp_from;
	char			*xmpp_id;
	bool			 want_receipt;
	/* Who sent it, as the ACL and rate limit saw it (SIP: the IP
	 * address, XMPP: the bare JID; truncated), for the transaction
	 * log line (gateway/txnlog).  "" for a spool delivery. */
	char			 source[64];
	unsigned		 attempts;	/* sends to a next hop */
	/* What identifies the sender's transaction (gateway/spool_key):
	 * a store-and-forward route stores a message once per key.  NULL
	 * when the request carries too little to tell a resend. */
	char			*accept_key;
	/* Routing. */
	/* The destination decision and target walk (routing/resolve):
	 * owned, cancelled by txn_free(). */
	struct resolve		*resolve;
	struct txn_route	*route;		/* owned, after routing */
	size_t			 target;	/* next SRV target to try */
	int			 route_idx;	/* conf route used, or -1 */
	char			 aus[32];	/* normalised number, or "" */
	int			 fallback_link;	/* link in use, -1: none */
	uint32_t		 retry_after_s;	/* Retry-After, 0: default */
	char			 next_hop[80];	/* "IP:PORT" being tried */
	/* The current target's hops (routing/siptarget, RFC 3263): each a
	 * transport, "IP:PORT" and the name it came from (what a TLS
	 * certificate must name; the strings follow the array in the same
	 * allocation), tried in order before the next target. */
	struct txn_hop {
		enum rfc3263_transport	 transport;
		char			 addr[INET6_ADDRSTRLEN + 8];
		const char		*host;
	}			*hops;		/* owned, nhops of them */
	size_t			 nhops, hop;	/* hop: next to try */
	enum rfc3263_transport	 next_transport;	/* of next_hop */
	/* Max-Forwards of the forwarded SIP request: the inbound value
	 * minus one, TXN_MAX_FORWARDS for a message born at imgate
	 * (RFC 3261 16.6 step 3, 8.1.1.6). */
	int			 max_forwards;
	bool			 looped;	/* a target was imgate */
	/* Store-and-forward (gateway/flow/spool): on a delivery attempt, the
	 * spool row it delivers (0: not a spool delivery) and the Call-ID
	 * every attempt of that message uses ("<message id>@<domain>"). */
	int64_t			 spool_row;
	char			*stable_call_id;
	/* Handed over by another worker (gateway/handoff): its number
	 * (0: not handed over), its transaction's id and its generation;
	 * the outcome goes back to it instead of to an inbound side. */
	int			 handoff_from;
	uint64_t		 handoff_id;
	uint32_t		 handoff_gen;
	/* Who hears the outcome (see above); NULL: nobody. */
	txn_done_fn		*done;
	/* The inbound edge's state (at most one set, by t->origin's
	 * edge).  The edge frees it when it answers; in_free, set by the
	 * edge with it, frees what is left when the transaction ends
	 * without an answer (a spool delivery retried later). */
	struct {
		struct sipgw_in		*sip;
		struct xmppgw_in	*xmpp;
		txn_edge_fn		*free;
	}			 in;
	/* The attempt in flight, set and cleared by the outbound edge
	 * that runs it (out_proto names the relay's side); out_abort, set
	 * by the relay when it starts an attempt, makes that edge drop it
	 * when the transaction ends first. */
	struct {
		struct sipgw_out	*sip;
		const struct xmppgw_out	*xmpp;
		const struct handoff_out *handoff;
	}			 out;
	enum proto		 out_proto;
	txn_edge_fn		*out_abort;
	/* The configuration this message is handled with (counted). */
	struct gw_runtime	*rt;
	/* Deadline: when (the loop's ms clock), what then, and the place
	 * in the registry's deadline heap (index + 1; 0: none set). */
	uint64_t		 deadline_ms;
	txn_timeout_cb		*on_timeout;
	size_t			 dl_pos;
	/* Registry link. */
	struct gw_txn		*hnext;
};

/*
 * Who watches transactions end: the daemon counts them (gateway/metrics)
 * and logs their one line (gateway/txnlog); a test may count them too.
 * The middle calls these and includes neither.  Either may be NULL.
 */
struct txn_observer {
	/* Every transaction, as it ends, before its completion hook. */
	txn_done_fn	*finished;
	/* Every ENUM / RFC 3861 lookup result the relay gets. */
	void		(*lookup_done)(enum lookup_error e);
};

/** Watch with @obs (borrowed until txn_fini; NULL: nobody). */
void txn_set_observer(const struct txn_observer *obs);

/** The observer (never NULL: one with no hooks when none is set). */
const struct txn_observer *txn_observer(void);

/** Create the registry on @loop (borrowed, for the time and the
 * deadlines).  @return 0 or -1. */
int txn_init(const struct flow_loop *loop, size_t max);

/** The registry's loop (what txn_init() was given). */
const struct flow_loop *txn_loop(void);

/** The loop's monotonic time in milliseconds. */
uint64_t txn_now_ms(void);
void txn_fini(void);

/** New cap on transactions in flight (reload); those above it finish. */
void txn_set_max(size_t max);

/**
 * New transaction in TXN_NEW, holding a reference to the current runtime;
 * NULL when the table is full (the caller answers "overloaded") or memory
 * is short.  The strings of the struct are filled by the caller with
 * txn_strndup().
 */
struct gw_txn *txn_new(enum proto origin);

/** Find by id; NULL when it is gone (stale callback: drop quietly). */
struct gw_txn *txn_get(uint64_t id);

/** Arm (or re-arm) the deadline @ms from now. */
void txn_set_deadline(struct gw_txn *t, uint64_t ms, txn_timeout_cb *cb);

/** Move to @st, logging "txn N: old -> new" at debug level. */
void txn_enter_state(struct gw_txn *t, enum txn_state st);
const char *txn_strstate(enum txn_state st);

/** Copy @len bytes into a NUL-terminated heap string (NULL on ENOMEM). */
char *txn_strndup(const char *s, size_t len);

/**
 * End @t with @o: map it once (status_reply), count and log it, make
 * the outbound edge drop an attempt still in flight, call the completion
 * hook (exactly once: @t is freed after it) and free @t.
 */
void txn_finish(struct gw_txn *t, struct gw_outcome o);

/**
 * Unregister and free @t and everything it owns (cancels the resolve
 * session and the timer, calls t->in.free); nobody is answered:
 * txn_finish() is the way to end a transaction, this is for one that
 * never started.
 */
void txn_free(struct gw_txn *t);

/**
 * A route for @proto to @dest through @n targets (copied; @n at most
 * LOOKUP_MAX_TARGETS).  @return NULL when memory is short.
 */
struct txn_route *txn_route_new(enum proto proto, const char *dest,
    const struct lookup_target *targets, size_t n);

/** Transactions in flight. */
size_t txn_count(void);

/** Visit every transaction (shutdown); @fn may free the one it gets. */
void txn_foreach(void (*fn)(struct gw_txn *));

#endif /* GATEWAY_FLOW_TXN_H */
