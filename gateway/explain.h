/*
 * gateway/explain.h - the account of one routing decision, as
 * imgate-lookup prints it and as imgated's control socket returns it.
 *
 * The end of the flow seen from the outside: the policy's decision
 * (routing/route), the lookup's result and trace (routing/lookup) into
 * the readable text or the JSON object whose field names imgate-lookup(1)
 * documents.  One printer for both programs, so "explain" inside the
 * daemon and imgate-lookup cannot drift apart (style.md, one decision
 * path).
 */
#ifndef GATEWAY_EXPLAIN_H
#define GATEWAY_EXPLAIN_H

#include <stdio.h>

#include <jansson.h>

#include "conf/conf.h"
#include "routing/lookup.h"
#include "routing/policy.h"
#include "routing/route.h"

/* An explanation is complete: every argument is borrowed for the call. */
typedef void explain_done_fn(void *arg, const struct lookup_result *r,
    const struct lookup_trace *t, const struct route_decision *dec);

/**
 * Decide for @input sent by @src as imgated does (routing/route: dial
 * plan, first matching route), then resolve: ENUM and RFC 3861 through
 * @ops for an ENUM route, RFC 3861 for a static im: target, nothing for
 * a refusal or a static SIP/XMPP target.  @base is the lookup parameters
 * of the enum group, @per_route those of each configured route (both
 * borrowed until @cb has run, as are @c and @ops).  @cb runs exactly
 * once, possibly before this returns; r->input is @input.
 * @return 0, or -1 when memory is short (@cb is then not called).
 */
int explain_start(const struct gw_conf *c, const struct lookup_params *base,
    const struct lookup_params *per_route, const struct dnsq_ops *ops,
    const char *input, const struct policy_source *src,
    explain_done_fn *cb, void *arg);

/**
 * The JSON object for @r, @t, the policy's @dec and the configuration
 * @conf it indexes (all borrowed).  @dec may be NULL (no policy ran).
 * @return a new reference owned by the caller, or NULL on ENOMEM.
 */
json_t *explain_json(const struct lookup_result *r,
    const struct lookup_trace *t, const struct route_decision *dec,
    const struct gw_conf *conf);

/** The readable account of the same, to @f. */
void explain_text(FILE *f, const struct lookup_result *r,
    const struct lookup_trace *t, const struct route_decision *dec,
    const struct gw_conf *conf);

#endif /* GATEWAY_EXPLAIN_H */
