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
#include "routing/route.h"

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
