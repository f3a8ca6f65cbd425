/*
 * gateway/explain.h - the account of one routing decision, as
 * imgate-lookup prints it and as imgated's control socket returns it.
 *
 * The end of the flow seen from the outside: one routing/resolve
 * session (the policy's decision, the lookup's result and trace, the
 * fallback link taken, the RFC 3263 hops of a SIP destination) into
 * the readable text or the JSON object whose field names imgate-lookup(1)
 * documents.  One printer for both programs, on the decision code the
 * relay runs, so "explain" inside the daemon, imgate-lookup and the
 * daemon itself cannot drift apart.
 */
#ifndef GATEWAY_EXPLAIN_H
#define GATEWAY_EXPLAIN_H

#include <stdio.h>

#include <jansson.h>

#include "conf/conf.h"
#include "routing/lookup.h"
#include "routing/policy.h"
#include "routing/resolve.h"
#include "routing/route.h"

/*
 * One decision as routing/resolve made it: the policy's verdict, the
 * result of the link in use (the route's own lookup, or the fallback
 * link taken, with the links tried before it), the lookup's trace (of
 * the route's own lookup) and, for SIP, the RFC 3263 steps of its
 * targets.
 */
struct explain_result {
	enum resolve_outcome	 outcome;
	struct route_decision	 dec;
	struct lookup_result	 res;
	struct lookup_trace	 trace;
	int			 link;		/* -1: the route itself */
	char			 link_target[CONF_STR_MAX];
	struct resolve_try	 tries[RESOLVE_MAX_TRIES];
	size_t			 ntries;
};

/* An explanation is complete: @x is borrowed for the call. */
typedef void explain_done_fn(void *arg, const struct explain_result *x);

/**
 * Decide for @input sent by @src as imgated does: one routing/resolve
 * session (policy, static target or ENUM and RFC 3861, fallback links),
 * then, for a SIP destination, the RFC 3263 steps of each target as the
 * relay takes them (skipped when @sp is NULL), into x->trace.sip; when
 * no target of a link has an address, the next fallback link, as the
 * relay does.  @base is the lookup parameters of the enum group,
 * @per_route those of each configured route, @xmpp whether the XMPP
 * side is on (all borrowed until @cb has run, as are @c and @ops).  An
 * im:/pres: @input is resolved as it is (RFC 3861 only).  @cb runs
 * exactly once, possibly before this returns; x->res.input is @input.
 * @return 0, or -1 when memory is short (@cb is then not called).
 */
int explain_start(const struct gw_conf *c, const struct lookup_params *base,
    const struct lookup_params *per_route, const struct siptarget_params *sp,
    bool xmpp, const struct dnsq_ops *ops, const char *input,
    const struct policy_source *src, explain_done_fn *cb, void *arg);

/**
 * The JSON object for @x and the configuration @conf it indexes (both
 * borrowed).  @return a new reference owned by the caller, or NULL on
 * ENOMEM.
 */
json_t *explain_json(const struct explain_result *x,
    const struct gw_conf *conf);

/** The readable account of the same, to @f. */
void explain_text(FILE *f, const struct explain_result *x,
    const struct gw_conf *conf);

/**
 * imgate-lookup's exit status for @x: 0 routed, 2 no route (refused,
 * nothing found, unusable), 3 temporary failure.
 */
int explain_exit_status(const struct explain_result *x);

#endif /* GATEWAY_EXPLAIN_H */
