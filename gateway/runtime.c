/*
 * gateway/runtime.c - counted configuration snapshots (see runtime.h),
 * and the translation of struct gw_conf into lookup, RFC 3263 and DNS
 * parameters.
 *
 * The daemon is single-threaded, so a plain counter suffices: the
 * registry holds one reference, every transaction one more.  The
 * translation is shared by imgated and imgate-lookup so that "what would
 * the daemon do" has one answer.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "enum/dnsmsg.h"
#include "enum/e2u.h"
#include "gateway/dns.h"
#include "gateway/log.h"
#include "gateway/runtime.h"
#include "routing/e164.h"

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
		enum proto keep[2];
		size_t n = 0;

		for (k = 0; k < r->nprotocols && n < 2; k++) {
			enum proto pr = strcmp(r->protocols[k],
			    "xmpp") == 0 ? PROTO_XMPP : PROTO_SIP;

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
	runtime_lookup_params(&rt->conf, &rt->base);
	if (!xmpp) {
		/* RFC 3861: ask only for the protocols this daemon speaks. */
		rt->base.nprotocols = 0;
		for (size_t i = 0; i < rt->conf.nim_protocols; i++)
			if (strcmp(rt->conf.im_protocols[i], "sip") == 0)
				rt->base.protocols[rt->base.nprotocols++] =
				    PROTO_SIP;
	}
	rt->rng = runtime_seed();
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

/* ---- struct gw_conf -> engine parameters ---------------------------- */

void
runtime_lookup_params(const struct gw_conf *c, struct lookup_params *p)
{
	size_t	 i;

	lookup_params_default(p);
	p->policy.naccept = 0;
	for (i = 0; i < c->nenum_services && i < NAPTR_MAX_ACCEPT; i++)
		p->policy.accept[p->policy.naccept++] = c->enum_services[i];
	p->policy.accept_legacy = c->enum_legacy_syntax;
	p->policy.allow_private = c->enum_allow_private;
	p->policy.require_scheme_match = c->enum_scheme_check;
	p->policy.strict_delimiters = c->enum_strict_delimiters;
	p->policy.max_chain = (unsigned)c->enum_max_chain;

	p->enum_params.nsuffixes = 0;
	for (i = 0; i < c->nenum_suffixes && i < ENUMQ_MAX_SUFFIXES; i++)
		p->enum_params.suffixes[p->enum_params.nsuffixes++] =
		    c->enum_suffixes[i];
	p->enum_params.max_queries = (unsigned)c->enum_max_queries;
	p->max_queries = (unsigned)c->enum_max_queries;
	p->max_digits = (unsigned)c->max_digits;
	p->input_forms = E164_FORM_PLAIN | E164_FORM_TEL |
	    E164_FORM_SIP_USER_PHONE;
	if (c->sip_plus_without_user_phone)
		p->input_forms |= E164_FORM_SIP_PLUS;

	p->nprotocols = 0;
	for (i = 0; i < c->nim_protocols && p->nprotocols < 2; i++) {
		if (strcmp(c->im_protocols[i], "sip") == 0)
			p->protocols[p->nprotocols++] = PROTO_SIP;
		else if (strcmp(c->im_protocols[i], "xmpp") == 0)
			p->protocols[p->nprotocols++] = PROTO_XMPP;
	}
	p->implicit = c->implicit_srv;
	p->max_targets = LOOKUP_MAX_TARGETS;
	p->dnssec = c->dnssec == CONF_DNSSEC_REQUIRE ? LOOKUP_DNSSEC_REQUIRE :
	    c->dnssec == CONF_DNSSEC_PREFER ? LOOKUP_DNSSEC_PREFER :
	    LOOKUP_DNSSEC_OFF;
	p->rng = runtime_rng;
}

/* DNS record types by enum conf_dns_probe_type. */
static const uint16_t runtime_probe_types[] = {
	DNSMSG_T_SOA, 2 /* NS */, DNSMSG_T_NAPTR, DNSMSG_T_A, DNSMSG_T_AAAA,
	DNSMSG_T_SRV
};

void
runtime_dns_config(const struct gw_conf *c, struct dns_config *dc)
{
	memset(dc, 0, sizeof(*dc));
	for (size_t i = 0; i < c->ndns_servers && i < 16; i++)
		dc->servers[dc->nservers++] = c->dns_servers[i];
	dc->timeout_ms = (int)c->dns_timeout_ms;
	dc->tries = (int)c->dns_tries;
	dc->want_ad = c->dnssec != CONF_DNSSEC_OFF;
	dc->cache_entries = (size_t)c->dns_cache_entries;
	dc->cache_bytes = 64u << 20;
	dc->max_ttl = (uint32_t)c->dns_cache_max_ttl;
	dc->negative_max_ttl = (uint32_t)c->dns_negative_max_ttl;
	dc->failure_ttl = (uint32_t)c->dns_servfail_ttl;
	dc->serve_stale = c->dns_serve_stale;
	dc->case_randomization = c->dns_case_randomization;
	dc->udp_max_queries = (unsigned)c->dns_udp_max_queries;
	dc->health_failures = (unsigned)c->dns_health_failures;
	dc->health_interval_ms = (uint64_t)c->dns_health_interval_ms;
	dc->health_mode = c->dns_health_mode == CONF_DNS_ROUND_ROBIN ?
	    DNSHEALTH_ROUND_ROBIN : DNSHEALTH_HUNT;
	dc->probe_name = c->dns_health_probe_name;
	dc->probe_type = runtime_probe_types[c->dns_health_probe_type];
}

uint32_t
runtime_rng(void *arg)
{
	uint64_t	*s = arg;
	uint64_t	 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

uint64_t
runtime_seed(void)
{
	struct timespec	 ts;
	uint64_t	 s;

	clock_gettime(CLOCK_REALTIME, &ts);
	s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
	    ((uint64_t)getpid() << 40);
	return s != 0 ? s : 0x9e3779b97f4a7c15ULL;
}

void
runtime_siptarget_params(const struct gw_conf *c, struct siptarget_params *p)
{
	const char	*h = c->sip_listen;

	/*
	 * What gateway/sipgw opens: UDP and TCP on a sip: listener, TLS
	 * only on a sips: one, TLS besides with sip.tls.listen.  A hop on
	 * another transport could not be sent to.
	 */
	if (strncasecmp(h, "sips:", 5) == 0)
		p->transports = RFC3263_TP_BIT(RFC3263_TP_TLS);
	else
		p->transports = RFC3263_TP_BIT(RFC3263_TP_UDP) |
		    RFC3263_TP_BIT(RFC3263_TP_TCP);
	if (c->sip_tls_listen[0] != '\0')
		p->transports |= RFC3263_TP_BIT(RFC3263_TP_TLS);
	p->max_targets = (size_t)c->srv_max_targets;
	p->max_queries = SIPTARGET_MAX_QUERIES;
	if (strncasecmp(h, "sips:", 5) == 0)
		h += 5;
	else if (strncasecmp(h, "sip:", 4) == 0)
		h += 4;
	p->prefer_v6 = h[0] == '[';
	p->rng = runtime_rng;
}
