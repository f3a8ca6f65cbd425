/*
 * gateway/runtime.h - the configuration in force, as a counted object.
 *
 * Every transaction takes a reference to the runtime current when it
 * arrives and keeps it to the end, so a SIGHUP reload (build the new one
 * aside, swap) never changes the rules under a message in flight.  The
 * runtime holds the parsed configuration and what is derived from it:
 * the lookup parameters of the enum group and of every enum route.
 */
#ifndef GATEWAY_RUNTIME_H
#define GATEWAY_RUNTIME_H

#include <stdint.h>

#include "conf/conf.h"
#include "routing/lookup.h"

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

#endif /* GATEWAY_RUNTIME_H */
