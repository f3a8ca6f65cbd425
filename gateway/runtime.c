/*
 * gateway/runtime.c - counted configuration snapshots (see runtime.h).
 *
 * The daemon is single-threaded, so a plain counter suffices: the
 * registry holds one reference, every transaction one more.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/runtime.h"
#include "gateway/setup.h"
#include "enum/e2u.h"

static struct gw_runtime	*current;
static uint64_t			 generations;
/* Compiled NAPTR rules, shared by every runtime (rules do not depend on
 * the configuration). */
static struct e2u_cache		*regex_cache;
#define RUNTIME_REGEX_SLOTS	4096

/* An enum route's own suffixes, enumservices and protocols, if any. */
static void
route_params(struct gw_runtime *rt, size_t i)
{
	const struct conf_route	*r = &rt->conf.routes[i];
	struct lookup_params	*p = &rt->route[i];
	size_t			 k;

	*p = rt->base;
	if (r->nsuffixes > 0) {
		p->enum_params.nsuffixes = 0;
		for (k = 0; k < r->nsuffixes && k < ENUMQ_MAX_SUFFIXES; k++)
			p->enum_params.suffixes[p->enum_params.nsuffixes++] =
			    r->suffixes[k];
	}
	if (r->nenumservices > 0) {
		p->policy.naccept = 0;
		for (k = 0; k < r->nenumservices && k < NAPTR_MAX_ACCEPT; k++)
			p->policy.accept[p->policy.naccept++] =
			    r->enumservices[k];
	}
	if (r->nprotocols > 0) {
		enum lookup_proto keep[2];
		size_t n = 0;

		for (k = 0; k < r->nprotocols && n < 2; k++) {
			enum lookup_proto pr = strcmp(r->protocols[k],
			    "xmpp") == 0 ? LOOKUP_PROTO_XMPP : LOOKUP_PROTO_SIP;

			/* Only what the daemon speaks. */
			for (size_t j = 0; j < rt->base.nprotocols; j++)
				if (rt->base.protocols[j] == pr)
					keep[n++] = pr;
		}
		memcpy(p->protocols, keep, sizeof(keep));
		p->nprotocols = n;
	}
}

struct gw_runtime *
runtime_build(const struct gw_conf *c, bool xmpp)
{
	struct gw_runtime	*rt;

	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		return NULL;
	rt->refs = 1;
	rt->generation = ++generations;
	rt->conf = *c;
	setup_lookup_params(&rt->conf, &rt->base);
	if (!xmpp) {
		/* RFC 3861: ask only for the protocols this daemon speaks. */
		rt->base.nprotocols = 0;
		for (size_t i = 0; i < rt->conf.nim_protocols; i++)
			if (strcmp(rt->conf.im_protocols[i], "sip") == 0)
				rt->base.protocols[rt->base.nprotocols++] =
				    LOOKUP_PROTO_SIP;
	}
	rt->rng = setup_seed();
	rt->base.rngarg = &rt->rng;
	if (regex_cache == NULL)
		regex_cache = e2u_cache_new(RUNTIME_REGEX_SLOTS);
	rt->base.policy.cache = regex_cache;
	for (size_t i = 0; i < rt->conf.nroutes; i++)
		route_params(rt, i);
	return rt;
}

struct gw_runtime *
runtime_ref(struct gw_runtime *rt)
{
	if (rt != NULL)
		rt->refs++;
	return rt;
}

void
runtime_unref(struct gw_runtime *rt)
{
	if (rt == NULL || --rt->refs > 0)
		return;
	log_debug("runtime %llu released",
	    (unsigned long long)rt->generation);
	free(rt);
}

struct gw_runtime *
runtime_current(void)
{
	return current;
}

void
runtime_install(struct gw_runtime *rt)
{
	struct gw_runtime	*old = current;

	current = rt;
	runtime_unref(old);
}

void
runtime_fini(void)
{
	e2u_cache_free(regex_cache);
	regex_cache = NULL;
}
