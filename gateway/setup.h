/*
 * gateway/setup.h - from the configuration to the engine's parameters.
 *
 * imgated and imgate-lookup build their resolver and lookup parameters
 * here, from the same struct gw_conf, so that a lookup answers exactly
 * what the daemon would do.
 */
#ifndef GATEWAY_SETUP_H
#define GATEWAY_SETUP_H

#include <stdint.h>

#include "conf/conf.h"
#include "routing/lookup.h"
#include "routing/siptarget.h"

struct dns_config;

/**
 * Fill @p from @c.  @p borrows strings from @c: @c must outlive @p.
 */
void setup_lookup_params(const struct gw_conf *c, struct lookup_params *p);

/**
 * Fill @p, the RFC 3263 parameters of SIP target lookups, from @c: the
 * transports the SIP side speaks, the SRV target cap, and the address
 * family to try first (IPv6 when sip.listen names an IPv6 address, so
 * that a target is first tried on the family imgate has a socket of).
 * @p->rngarg is left to the caller.
 */
void setup_siptarget_params(const struct gw_conf *c,
    struct siptarget_params *p);

/** Fill @dc from @c; @dc borrows strings from @c. */
void setup_dns_config(const struct gw_conf *c, struct dns_config *dc);

/** xorshift64* generator for RFC 2782 draws; @arg is a uint64_t state. */
uint32_t setup_rng(void *arg);

/** Seed from the clock and pid (not for secrets: server selection). */
uint64_t setup_seed(void);

#endif /* GATEWAY_SETUP_H */
