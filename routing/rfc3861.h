/*
 * routing/rfc3861.h - from an im: URI to an IM protocol and its servers.
 *
 * Third stage of the flow, after ENUM (enum/enumq) produced a URI:
 * RFC 3861 says which SRV owner names to ask (_im._sip.<domain>,
 * _im._xmpp.<domain>) and RFC 2782 how to order what comes back.  These
 * functions are pure (the random draw is injected); routing/lookup does
 * the querying.
 */
#ifndef ROUTING_RFC3861_H
#define ROUTING_RFC3861_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enum/dnsmsg.h"

/** Random source: returns a uniformly distributed 32-bit value. */
typedef uint32_t rfc3861_rng(void *arg);

/**
 * Split an im: (or pres:) URI into user and lower-cased domain; URI
 * headers ("?subject=...") are dropped.  The domain must be a host name.
 * @return 0, or -1 when there is no "user@domain" (E_INVALID_IM_URI)
 */
int rfc3861_parse_uri(const char *uri, char *user, size_t usersz,
    char *domain, size_t domainsz);

/** "_im._sip.example.com." from ("im", "sip", "example.com"). */
int rfc3861_srv_owner(const char *service, const char *proto,
    const char *domain, char *out, size_t outsz);

/** RFC 2782: exactly one record whose target is "." means "not offered". */
bool rfc3861_not_offered(const struct srv_rr *rrs, size_t n);

/**
 * Order @rrs for trying: priority ascending, within a priority the RFC
 * 2782 weighted random order (weight-0 records first in the running sum,
 * draw uniform in [0, sum] inclusive).  Records with target "." are
 * left out.  @out receives pointers into @rrs.
 * @return number of entries written (<= @outmax)
 */
size_t rfc3861_order(const struct srv_rr *rrs, size_t n, rfc3861_rng *rng,
    void *rngarg, const struct srv_rr **out, size_t outmax);

#endif /* ROUTING_RFC3861_H */
