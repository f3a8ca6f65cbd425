/*
 * gateway/runtime.h - the configuration in force, as a counted object.
 *
 * Every transaction takes a reference to the runtime current when it
 * arrives and keeps it to the end, so a SIGHUP reload (build the new one
 * aside, swap) never changes the rules under a message in flight.  The
 * runtime holds the parsed configuration and what is derived from it:
 * the lookup parameters of the enum group and of every enum route.
 * imgated and imgate-lookup build their resolver, lookup and RFC 3263
 * parameters here too, from the same struct gw_conf, so that a lookup
 * answers exactly what the daemon would do.
 */
#ifndef GATEWAY_RUNTIME_H
#define GATEWAY_RUNTIME_H

#include <stdint.h>

#include "conf/conf.h"
#include "routing/lookup.h"
#include "routing/siptarget.h"

/* gateway/dns's; only a pointer here, so gateway/flow, which includes
 * this header, sees no resolver library. */
struct dns_config;

struct gw_runtime {
	unsigned		 refs;
	uint64_t		 generation;	/* 1, 2, ... per reload */
	struct gw_conf		 conf;
	struct lookup_params	 base;		/* enum group */
	struct lookup_params	 route[CONF_MAX_ROUTES];	/* per route */
	uint64_t		 rng;		/* RFC 2782 draws */
};

/**
 * Build a runtime from @c (copied).  @xmpp tells whether the daemon
 * speaks XMPP (RFC 3861 then asks for both protocols).
 * @return a runtime with one reference, or NULL (out of memory).
 */
struct gw_runtime *runtime_build(const struct gw_conf *c, bool xmpp);

struct gw_runtime *runtime_ref(struct gw_runtime *rt);
void runtime_unref(struct gw_runtime *rt);

/** The runtime new transactions get (never NULL once installed). */
struct gw_runtime *runtime_current(void);

/** Make @rt current; the runtime's reference passes to the registry and
 * the previous one is released (freed once its last txn ends). */
void runtime_install(struct gw_runtime *rt);

/** At exit, after the last runtime is released: free shared caches. */
void runtime_fini(void);

/**
 * Fill @p from @c.  @p borrows strings from @c: @c must outlive @p.
 */
void runtime_lookup_params(const struct gw_conf *c, struct lookup_params *p);

/**
 * Fill @p, the RFC 3263 parameters of SIP target lookups, from @c: the
 * transports the SIP side speaks, the SRV target cap, and the address
 * family to try first (IPv6 when sip.listen names an IPv6 address, so
 * that a target is first tried on the family imgate has a socket of).
 * @p->rngarg is left to the caller.
 */
void runtime_siptarget_params(const struct gw_conf *c,
    struct siptarget_params *p);

/** Fill @dc from @c; @dc borrows strings from @c. */
void runtime_dns_config(const struct gw_conf *c, struct dns_config *dc);

/** xorshift64* generator for RFC 2782 draws; @arg is a uint64_t state. */
uint32_t runtime_rng(void *arg);

/** Seed from the clock and pid (not for secrets: server selection). */
uint64_t runtime_seed(void);

#endif /* GATEWAY_RUNTIME_H */
