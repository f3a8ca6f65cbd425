/*
 * routing/resolve.h - one destination decision, from the address as
 * received to the next hop, for imgated and imgate-lookup alike.
 *
 * The routing stages composed once: the policy's verdict (routing/route:
 * dial plan, first matching route), then a static target or ENUM and
 * RFC 3861 (routing/lookup), then the route's fallback links when the
 * lookup gives no route or fails for now, then the last checks on the
 * destination (imgate's own domain, TLS, a protocol imgate speaks).  For
 * a SIP destination the same session walks the targets: each target's
 * hops (transport, address) through routing/siptarget (RFC 3263, AAAA
 * and A).  imgated's relay (gateway/flow/relay) and imgate-lookup
 * (gateway/explain) both drive a session; neither composes the stages
 * itself, so the two cannot decide differently.
 *
 * Pure: no I/O, no logging, no globals; DNS goes through the caller's
 * struct dnsq_ops.  What a session did is data in struct resolve_result
 * (the caller logs it).
 *
 * Callbacks follow c-ares' rule: every accepted call (resolve_start(),
 * resolve_next_link() returning true, resolve_next_target() returning
 * true) is answered by exactly one call of the session's callback, also
 * on early errors, and that call MAY run before the submitting function
 * returns (a refusal, a static target, a cache hit, a numeric host).
 * The callback may call resolve_cancel() on its own session: the memory
 * is then reclaimed when the module's frame unwinds, so a caller must
 * not touch the session after a submitting call unless it knows the
 * session is still its own (it holds it in a structure that the
 * callback clears).  After resolve_cancel() no callback runs.
 */
#ifndef ROUTING_RESOLVE_H
#define ROUTING_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "enum/dnsq.h"
#include "routing/lookup.h"
#include "routing/policy.h"
#include "routing/route.h"
#include "routing/siptarget.h"

/* What a decision came to (RESOLVE_EV_ROUTE). */
enum resolve_outcome {
	RESOLVE_ROUTED,		/* res: protocol, request_uri / xmpp_to */
	RESOLVE_BAD_NUMBER,	/* dec.number_status says why */
	RESOLVE_NO_MATCH,	/* routes exist, none matches */
	RESOLVE_DENIED,		/* dec.deny_status */
	RESOLVE_LOOKUP_FAILED,	/* res->error; no (further) link applies */
	RESOLVE_STATIC_UNUSABLE, /* a configured target does not parse */
	RESOLVE_LOOP,		/* the destination is imgate's own domain */
	RESOLVE_NOT_SECURE,	/* sips:/TLS asked, no TLS transport */
	RESOLVE_NO_XMPP,	/* an XMPP destination, XMPP is off */
	RESOLVE_BAD_SIP_URI,	/* an E2U+sip URI RFC 3263 cannot use */
	RESOLVE_NOMEM
};

enum resolve_event {
	RESOLVE_EV_ROUTE,	/* a decision (start or next link) */
	RESOLVE_EV_HOPS		/* the hops of the next target */
};

/* Links one decision may try: the route's own target, then fallbacks. */
#define RESOLVE_MAX_TRIES	(CONF_MAX_FALLBACK + 1)

/* One link that was tried and gave no destination. */
struct resolve_try {
	int			 link;	/* -1: the route itself */
	enum lookup_error	 error;	/* LOOKUP_OK: not reached */
};

/*
 * Borrowed by the callback for the duration of the call.  @res is the
 * lookup result of the link in use (a static target's is filled
 * without DNS); for a refusal it is a failed result with only aus set.
 */
struct resolve_result {
	enum resolve_event		 event;
	enum resolve_outcome		 outcome;	/* EV_ROUTE */
	const struct route_decision	*dec;
	const struct lookup_result	*res;		/* EV_ROUTE */
	/* The fallback link in use: -1 the route itself, else an index
	 * into the route's fallback list, with @link_target its target
	 * and @tries what came before (first the route's own lookup). */
	int				 link;
	const char			*link_target;
	const struct resolve_try	*tries;
	size_t				 ntries;
	size_t				 new_tries;	/* first of this call */
	/* EV_HOPS: the target (0-based) and its RFC 3263 result. */
	size_t				 target;
	const char			*target_uri;
	const struct siptarget_result	*hops;
};

struct resolve;

typedef void resolve_cb(void *arg, struct resolve *rs,
    const struct resolve_result *r);

/*
 * What a session decides with; copied by resolve_new(), but everything
 * pointed to is borrowed until the session is cancelled.
 */
struct resolve_params {
	const struct gw_conf		*conf;
	const struct lookup_params	*base;		/* enum group */
	const struct lookup_params	*per_route;	/* conf->nroutes */
	const struct siptarget_params	*sip;
	bool				 xmpp;		/* XMPP side is on */
	/* imgate-lookup: an im:/pres: input is resolved as it is with
	 * RFC 3861, without the policy (imgated never gets one). */
	bool				 uri_input;
	/* imgate-lookup: the lookup's trace (may be NULL). */
	struct lookup_trace		*trace;
};

/**
 * A session for @dest sent by @src (borrowed for the call): the policy
 * decides at once (pure, synchronous; resolve_decision()); nothing is
 * resolved until resolve_start().  @cb and @arg receive every event.
 * @return the session, owned by the caller until resolve_cancel(), or
 *         NULL when memory is short (no callback then).
 */
struct resolve *resolve_new(const struct resolve_params *p,
    const struct dnsq_ops *ops, const char *dest,
    const struct policy_source *src, resolve_cb *cb, void *arg);

/**
 * A session whose destination is known already (a reply to an address
 * imgate presented, a spooled notice): @dest is a SIP Request-URI or a
 * bare JID for @proto.  resolve_start() then reports it as routed after
 * the same last checks.  @return as resolve_new().
 */
struct resolve *resolve_new_direct(const struct resolve_params *p,
    const struct dnsq_ops *ops, enum proto proto, const char *dest,
    resolve_cb *cb, void *arg);

/** The policy's decision (valid for the session's life). */
const struct route_decision *resolve_decision(const struct resolve *rs);

/**
 * Resolve the decision: a refusal, a static target, or ENUM; when the
 * route's fallback_on matches the failure, its fallback links in turn.
 * One RESOLVE_EV_ROUTE follows (maybe before this returns).
 */
void resolve_start(struct resolve *rs);

/**
 * The link in use could not deliver: take the route's next fallback
 * link.  @why is the failure: a lookup error starts the chain only as
 * the route's fallback_on says; LOOKUP_OK (every target unreachable)
 * only goes on with a chain already in progress.
 * @return true when a link was started (one RESOLVE_EV_ROUTE follows),
 *         false when none applies (no callback).
 */
bool resolve_next_link(struct resolve *rs, enum lookup_error why);

/**
 * Locate the next target of a routed SIP destination (RFC 2782 order,
 * at most conf->srv_max_targets of them; the Request-URI itself when
 * ENUM gave a sip: URI without SRV targets).  @return true when one is
 * being located (one RESOLVE_EV_HOPS follows, its hops possibly none),
 * false when no target is left (no callback).
 */
bool resolve_next_target(struct resolve *rs);

/** Another target is left for resolve_next_target(). */
bool resolve_more_targets(const struct resolve *rs);

/** The fallback link in use: -1 none, else its index. */
int resolve_link(const struct resolve *rs);

/**
 * End the session (NULL is fine): no callback runs after this; a query
 * in flight is abandoned (its memory reclaimed when it completes).
 */
void resolve_cancel(struct resolve *rs);

/** "routed", "bad-number", "no-match", "denied", ... */
const char *resolve_stroutcome(enum resolve_outcome o);

#endif /* ROUTING_RESOLVE_H */
