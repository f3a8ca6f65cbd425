/*
 * gateway/lookup_main.c - imgate-lookup: resolve one destination exactly as
 * imgated would and explain the decision.
 *
 * Same configuration (conf/), same resolver (gateway/dns on an su_root),
 * same engine (routing/lookup); only the output differs: a readable
 * account of every step, or with --json one object whose field names are
 * documented in imgate-lookup(1).  Exit: 0 routed, 2 no route, 3
 * temporary failure, 1 usage or configuration error.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "conf/conf.h"
#include "gateway/dns.h"
#include "gateway/log.h"
#include "gateway/setup.h"
#include "routing/e164.h"
#include "routing/lookup.h"
#include "routing/policy.h"
#include "routing/route.h"
#include "routing/siptarget.h"
#include "gateway/runtime.h"

#define MAX_SAMPLES	100000

struct run {
	su_root_t		*root;
	bool			 done;
	struct lookup_result	 res;
	/* --srv-samples */
	const struct lookup_params *params;
	long			 nsamples;
	bool			 samples_done;
	char			(*samples)[LOOKUP_MAX_TARGETS][DNSMSG_NAME_MAX];
	size_t			*sample_len;
	/* the routing policy's decision */
	const struct route_decision *decision;
	const struct gw_conf	*conf;
	/* RFC 3263 for a SIP route: the steps of every target, in order */
	bool			 sip_done;
	bool			 sip_ran;
	struct siptarget_result	 sip_first;	/* the first target's */
	struct siptarget_query	 sip_queries[SIPTARGET_MAX_QUERIES * 2];
	size_t			 nsip_queries;
	struct siptarget_hop	 sip_hops[SIPTARGET_MAX_HOPS];
	size_t			 nsip_hops;
	enum siptarget_error	 sip_error;
	char			 sip_uri[LOOKUP_URI_MAX + 16];	/* first */
};

static void
usage_to(FILE *out, int status)
{
	fprintf(out,
	    "usage: imgate-lookup [-hVv] [-f CONFIG] [--server HOST:PORT]... "
	    "[--suffix S]...\n"
	    "       [--enumservices LIST] [--protocols LIST] "
	    "[--max-chain N]\n"
	    "       [--implicit-srv off|sip|xmpp] "
	    "[--dnssec off|prefer|require]\n"
	    "       [--allow-private] [--no-legacy] [--lax-delimiters] "
	    "[--no-scheme-check]\n"
	    "       [--max-digits N] [--input-forms LIST] [--seed N] "
	    "[--srv-samples N]\n"
	    "       [--json] [-v] INPUT\n");
	exit(status);
}

/* A bad command line: usage on stderr, exit 1. */
static void
usage(void)
{
	usage_to(stderr, 1);
}

static void
on_done(void *arg, const struct lookup_result *res)
{
	struct run	*r = arg;

	r->res = *res;
	r->done = true;
	su_root_break(r->root);
}

static void	json_str(const char *);

/* One target's RFC 3263 steps: appended to what the run shows. */
static void
on_sip_hops(void *arg, const struct siptarget_result *res)
{
	struct run	*r = arg;

	if (!r->sip_ran) {
		r->sip_first = *res;
		r->sip_error = res->error;
	} else if (r->nsip_hops == 0)
		r->sip_error = res->error;
	r->sip_ran = true;
	for (size_t i = 0; i < res->nqueries &&
	    r->nsip_queries < SIPTARGET_MAX_QUERIES * 2; i++) {
		struct siptarget_query *q = &r->sip_queries[r->nsip_queries++];

		*q = res->queries[i];
		if (res->queries[i].outcome == res->queries[i].outbuf)
			q->outcome = q->outbuf;
	}
	for (size_t i = 0; i < res->nhops && r->nsip_hops <
	    SIPTARGET_MAX_HOPS; i++)
		r->sip_hops[r->nsip_hops++] = res->hops[i];
	if (r->nsip_hops > 0)
		r->sip_error = SIPTARGET_OK;
	r->sip_done = true;
	su_root_break(r->root);
}

/*
 * The relay's next step for a SIP route (gateway/relay): the targets
 * in order, each resolved by routing/siptarget, the Request-URI itself
 * when ENUM gave a sip: URI (no SRV targets).
 */
static void
resolve_sip_targets(struct run *run, struct dns *dns,
    const struct siptarget_params *sp)
{
	const struct lookup_result	*r = &run->res;
	size_t				 n = r->ntargets > 0 ? r->ntargets : 1;
	size_t				 max;

	max = (size_t)run->conf->srv_max_targets;
	for (size_t i = 0; i < n && i < max; i++) {
		char	 uri[LOOKUP_URI_MAX + 16];

		if (r->ntargets == 0)
			snprintf(uri, sizeof(uri), "%s", r->request_uri);
		else if (siptarget_uri(r->targets[i].host, r->targets[i].port,
		    siptarget_dest_transport(r->request_uri), uri,
		    sizeof(uri)) != 0)
			continue;
		if (!run->sip_ran)
			snprintf(run->sip_uri, sizeof(run->sip_uri), "%s",
			    uri);
		run->sip_done = false;
		if (siptarget_start(sp, dns_ops(dns), uri, on_sip_hops, run) !=
		    NULL)
			while (!run->sip_done)
				su_root_run(run->root);
	}
}

static void
json_rfc3263(const struct run *run)
{
	const struct siptarget_result	*f = &run->sip_first;
	static const char *steps[] = { "numeric", "addresses", "srv",
	    "naptr" };
	size_t				 i;

	fputs("{\"uri\": ", stdout);
	json_str(run->sip_uri);
	fputs(", \"step\": ", stdout);
	json_str(f->error == SIPTARGET_E_INVALID_URI ? NULL :
	    steps[f->plan.step]);
	fputs(", \"queries\": [", stdout);
	for (i = 0; i < run->nsip_queries; i++) {
		const struct siptarget_query *q = &run->sip_queries[i];

		fputs(i > 0 ? ", {\"type\": " : "{\"type\": ", stdout);
		json_str(siptarget_strtype(q->qtype));
		fputs(", \"name\": ", stdout);
		json_str(q->name);
		fputs(", \"result\": ", stdout);
		json_str(q->outcome);
		putchar('}');
	}
	fputs("], \"hops\": [", stdout);
	for (i = 0; i < run->nsip_hops; i++) {
		const struct siptarget_hop *h = &run->sip_hops[i];

		fputs(i > 0 ? ", {\"transport\": " : "{\"transport\": ",
		    stdout);
		json_str(rfc3263_strtransport(h->transport));
		fputs(", \"address\": ", stdout);
		json_str(h->ip);
		printf(", \"port\": %u, \"host\": ", h->port);
		json_str(h->host);
		printf(", \"priority\": %u, \"weight\": %u, \"naptr\": %s, "
		    "\"srv\": %s}", h->priority, h->weight,
		    h->via_naptr ? "true" : "false",
		    h->via_srv ? "true" : "false");
	}
	fputs("], \"error\": ", stdout);
	json_str(siptarget_strerror(run->sip_error));
	putchar('}');
}

/* Re-apply the RFC 2782 order to the SRV RRset (a cache hit) N times. */
static void
on_srv_rrset(void *arg, const struct dnsq_result *res)
{
	struct run	*r = arg;

	if (res->status == DNSQ_OK && res->ans != NULL)
		for (long i = 0; i < r->nsamples; i++) {
			const struct srv_rr *order[LOOKUP_MAX_TARGETS];
			size_t n = rfc3861_order(res->ans->srv,
			    res->ans->nsrv, r->params->rng,
			    r->params->rngarg, order, LOOKUP_MAX_TARGETS);

			for (size_t k = 0; k < n; k++)
				snprintf(r->samples[i][k], DNSMSG_NAME_MAX,
				    "%s", order[k]->target);
			r->sample_len[i] = n;
		}
	r->samples_done = true;
	su_root_break(r->root);
}

/* "a,b,c" into @max rows of @width bytes at @out. */
static int
split_list(const char *s, char *out, size_t max, size_t width)
{
	size_t	 n = 0;
	char	 buf[1024], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n >= max || strlen(tok) >= width)
			return -1;
		snprintf(out + n * width, width, "%s", tok);
		n++;
	}
	return (int)n;
}

static void
json_str(const char *s)
{
	if (s == NULL) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
json_key(const char *k, bool *first)
{
	printf("%s\n  ", *first ? "" : ",");
	*first = false;
	json_str(k);
	fputs(": ", stdout);
}

static void
print_json(const struct lookup_result *r, const struct lookup_trace *t,
    const struct run *run)
{
	bool	 first = true;
	size_t	 i;

	putchar('{');
	json_key("input", &first);
	json_str(r->input);
	json_key("aus", &first);
	json_str(r->aus[0] != '\0' ? r->aus : NULL);
	json_key("first_key", &first);
	json_str(r->first_key[0] != '\0' ? r->first_key : NULL);
	json_key("naptr_queries", &first);
	putchar('[');
	for (i = 0; i < t->enumq.nqueries; i++) {
		if (i > 0)
			fputs(", ", stdout);
		json_str(t->enumq.queries[i]);
	}
	putchar(']');
	json_key("uri", &first);
	json_str(r->uri[0] != '\0' ? r->uri : NULL);
	json_key("enumservice", &first);
	json_str(r->enumservice[0] != '\0' ? r->enumservice : NULL);
	json_key("selected_record", &first);
	if (r->enum_done) {
		const struct enumq_selected *s = &r->selected;

		fputs("{\"owner\": ", stdout);
		json_str(s->owner);
		printf(", \"index\": %d, \"order\": %u, \"preference\": %u, "
		    "\"flags\": ", s->index, s->order, s->preference);
		json_str(s->flags);
		fputs(", \"services\": ", stdout);
		json_str(s->services);
		fputs(", \"regexp\": ", stdout);
		json_str(s->regexp);
		fputs(", \"replacement\": ", stdout);
		json_str(s->replacement);
		putchar('}');
	} else
		fputs("null", stdout);
	json_key("discards", &first);
	putchar('[');
	for (i = 0; i < t->enumq.ndiscards; i++) {
		const struct enumq_discard *d = &t->enumq.discards[i];

		fputs(i > 0 ? ", {\"owner\": " : "{\"owner\": ", stdout);
		json_str(d->owner);
		printf(", \"index\": %d, \"reason\": ", d->index);
		json_str(d->reason);
		putchar('}');
	}
	putchar(']');
	json_key("protocol", &first);
	json_str(lookup_strproto(r->protocol));
	json_key("srv_queries", &first);
	putchar('[');
	for (i = 0; i < t->nsrv_queries; i++) {
		if (i > 0)
			fputs(", ", stdout);
		json_str(t->srv_queries[i]);
	}
	putchar(']');
	json_key("srv_owner", &first);
	json_str(r->srv_owner[0] != '\0' ? r->srv_owner : NULL);
	json_key("targets", &first);
	putchar('[');
	for (i = 0; i < r->ntargets; i++) {
		const struct lookup_target *tg = &r->targets[i];

		fputs(i > 0 ? ", {\"host\": " : "{\"host\": ", stdout);
		json_str(tg->host);
		printf(", \"port\": %u, \"priority\": %u, \"weight\": %u}",
		    tg->port, tg->priority, tg->weight);
	}
	putchar(']');
	json_key("implicit", &first);
	fputs(r->implicit ? "true" : "false", stdout);
	json_key("request_uri", &first);
	json_str(r->request_uri[0] != '\0' ? r->request_uri : NULL);
	json_key("xmpp_to", &first);
	json_str(r->xmpp_to[0] != '\0' ? r->xmpp_to : NULL);
	json_key("negative_cache_ttl", &first);
	if (r->error == LOOKUP_E_ENUM_NO_DATA && r->negative_ttl >= 0)
		printf("%" PRId64, r->negative_ttl);
	else
		fputs("null", stdout);
	json_key("failure_cache_seconds", &first);
	if (r->error == LOOKUP_E_DNS_TEMPFAIL && r->failure_ttl >= 0)
		printf("%" PRId64, r->failure_ttl);
	else
		fputs("null", stdout);
	json_key("ttl", &first);
	if (r->error == LOOKUP_OK && r->min_ttl >= 0)
		printf("%" PRId64, r->min_ttl);
	else
		fputs("null", stdout);
	json_key("dnssec", &first);
	json_str(lookup_strdnssec(r->dnssec));
	json_key("dns_queries", &first);
	printf("%u", r->nqueries);
	json_key("dialplan", &first);
	json_str(run->decision != NULL && run->decision->dialplan >= 0 ?
	    run->conf->dialplans[run->decision->dialplan].name : NULL);
	json_key("route", &first);
	if (run->decision != NULL && run->decision->route >= 0) {
		const struct conf_route *rr =
		    &run->conf->routes[run->decision->route];

		fputs("{\"name\": ", stdout);
		json_str(rr->name);
		printf(", \"line\": %d, \"action\": ", rr->line);
		json_str(route_strverdict(run->decision->verdict));
		fputs(", \"why\": ", stdout);
		json_str(run->decision->why);
		if (run->decision->verdict == ROUTE_DENY)
			printf(", \"status\": %d", run->decision->deny_status);
		putchar('}');
	} else if (run->decision != NULL && run->decision->verdict ==
	    ROUTE_NO_MATCH) {
		fputs("{\"name\": null, \"action\": \"no-match\", "
		    "\"why\": ", stdout);
		json_str(run->decision->why);
		putchar('}');
	} else
		fputs("null", stdout);
	json_key("error", &first);
	if (run->decision != NULL && run->decision->verdict == ROUTE_DENY)
		json_str("E_DENIED");
	else if (run->decision != NULL && run->decision->verdict ==
	    ROUTE_NO_MATCH)
		json_str("E_NO_ROUTE_MATCH");
	else
		json_str(lookup_strerror(r->error));
	json_key("rfc3263", &first);
	if (run->sip_ran)
		json_rfc3263(run);
	else
		fputs("null", stdout);
	if (run->nsamples > 0) {
		json_key("srv_order_samples", &first);
		putchar('[');
		for (long s = 0; s < run->nsamples && run->samples_done; s++) {
			fputs(s > 0 ? ", [" : "[", stdout);
			for (i = 0; i < run->sample_len[s]; i++) {
				if (i > 0)
					fputs(", ", stdout);
				json_str(run->samples[s][i]);
			}
			putchar(']');
		}
		putchar(']');
	}
	fputs("\n}\n", stdout);
}

static void
print_human(const struct lookup_result *r, const struct lookup_trace *t,
    const struct run *run)
{
	size_t	 i, k;
	const struct route_decision *dec = run->decision;

	printf("input:      %s\n", r->input);
	if (dec != NULL && dec->dialplan >= 0)
		printf("dial plan:  '%s' -> %s\n",
		    run->conf->dialplans[dec->dialplan].name, dec->aus);
	if (dec != NULL && (dec->route >= 0 ||
	    dec->verdict == ROUTE_NO_MATCH || run->conf->nroutes > 0))
		printf("route:      %s\n", dec->why);
	if (dec != NULL && dec->verdict == ROUTE_DENY) {
		printf("result:     denied (SIP %d)\n", dec->deny_status);
		return;
	}
	if (dec != NULL && dec->verdict == ROUTE_NO_MATCH) {
		printf("result:     no route matches\n");
		return;
	}
	if (r->aus[0] != '\0')
		printf("AUS:        %s (RFC 6116 3.1)\n", r->aus);
	if (r->first_key[0] != '\0')
		printf("first key:  %s\n", r->first_key);
	for (i = 0; i < t->enumq.nqueries; i++) {
		printf("NAPTR query %zu: %s\n", i + 1, t->enumq.queries[i]);
		for (k = 0; k < t->enumq.ndiscards; k++) {
			const struct enumq_discard *d = &t->enumq.discards[k];

			if (strcmp(d->owner, t->enumq.queries[i]) == 0)
				printf("  record #%d discarded: %s\n",
				    d->index, d->reason);
		}
	}
	if (r->enum_done) {
		const struct enumq_selected *s = &r->selected;

		printf("selected:   %s record #%d: %u %u \"%s\" \"%s\" "
		    "\"%s\" %s\n", s->owner, s->index, s->order,
		    s->preference, s->flags, s->services, s->regexp,
		    s->replacement);
	}
	if (r->uri[0] != '\0' && r->enumservice[0] != '\0')
		printf("URI:        %s  (enumservice %s)\n", r->uri,
		    r->enumservice);
	else if (r->uri[0] != '\0')
		printf("URI:        %s\n", r->uri);
	for (i = 0; i < t->nsrv_queries; i++)
		printf("SRV query:  %s%s\n", t->srv_queries[i],
		    strcmp(t->srv_queries[i], r->srv_owner) == 0 ?
		    "  <- used" : "");
	if (r->protocol != LOOKUP_PROTO_NONE)
		printf("protocol:   %s%s\n", lookup_strproto(r->protocol),
		    r->implicit ? " (implicit A-record fallback)" : "");
	for (i = 0; i < r->ntargets; i++)
		printf("target %zu:   %s port %u (priority %u weight %u)\n",
		    i + 1, r->targets[i].host, r->targets[i].port,
		    r->targets[i].priority, r->targets[i].weight);
	if (r->request_uri[0] != '\0')
		printf("SIP Request-URI: %s\n", r->request_uri);
	for (i = 0; run->sip_ran && i < run->nsip_queries; i++)
		printf("RFC 3263 %-5s %s: %s\n",
		    siptarget_strtype(run->sip_queries[i].qtype),
		    run->sip_queries[i].name, run->sip_queries[i].outcome);
	for (i = 0; run->sip_ran && i < run->nsip_hops; i++) {
		const struct siptarget_hop *h = &run->sip_hops[i];

		printf("hop %zu:      %s %s%s%s port %u (%s%s)\n", i + 1,
		    rfc3263_strtransport(h->transport),
		    h->family == AF_INET6 ? "[" : "", h->ip,
		    h->family == AF_INET6 ? "]" : "", h->port, h->host,
		    h->via_naptr ? ", from NAPTR" : h->via_srv ?
		    ", from SRV" : "");
	}
	if (run->sip_ran && run->nsip_hops == 0)
		printf("hops:       none (%s)\n",
		    siptarget_strerror(run->sip_error));
	if (r->xmpp_to[0] != '\0')
		printf("XMPP to:    %s\n", r->xmpp_to);
	printf("DNSSEC:     %s\n", lookup_strdnssec(r->dnssec));
	if (r->error != LOOKUP_OK) {
		printf("result:     %s", lookup_strerror(r->error));
		if (r->error == LOOKUP_E_ENUM_NO_DATA && r->negative_ttl >= 0)
			printf(" (negative answer cacheable %" PRId64 " s)",
			    r->negative_ttl);
		if (r->error == LOOKUP_E_DNS_TEMPFAIL && r->failure_ttl >= 0)
			printf(" (failure remembered %" PRId64 " s)",
			    r->failure_ttl);
		putchar('\n');
	} else
		printf("result:     routed\n");
}

enum {
	OPT_SERVER = 256, OPT_SUFFIX, OPT_SERVICES, OPT_PROTOCOLS,
	OPT_MAXCHAIN, OPT_IMPLICIT, OPT_DNSSEC, OPT_JSON, OPT_SEED,
	OPT_SAMPLES, OPT_PRIVATE, OPT_NOLEGACY, OPT_LAX, OPT_NOSCHEME,
	OPT_MAXDIGITS, OPT_FORMS, OPT_FROM_SIP, OPT_FROM_XMPP
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "suffix", required_argument, NULL, OPT_SUFFIX },
		{ "enumservices", required_argument, NULL, OPT_SERVICES },
		{ "services", required_argument, NULL, OPT_SERVICES },
		{ "protocols", required_argument, NULL, OPT_PROTOCOLS },
		{ "max-chain", required_argument, NULL, OPT_MAXCHAIN },
		{ "implicit-srv", required_argument, NULL, OPT_IMPLICIT },
		{ "dnssec", required_argument, NULL, OPT_DNSSEC },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "srv-samples", required_argument, NULL, OPT_SAMPLES },
		{ "allow-private", no_argument, NULL, OPT_PRIVATE },
		{ "no-legacy", no_argument, NULL, OPT_NOLEGACY },
		{ "lax-delimiters", no_argument, NULL, OPT_LAX },
		{ "no-scheme-check", no_argument, NULL, OPT_NOSCHEME },
		{ "max-digits", required_argument, NULL, OPT_MAXDIGITS },
		{ "input-forms", required_argument, NULL, OPT_FORMS },
		{ "from-sip", required_argument, NULL, OPT_FROM_SIP },
		{ "from-xmpp", required_argument, NULL, OPT_FROM_XMPP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct gw_conf	 conf;
	struct lookup_params	 params;
	struct siptarget_params	 sparams;
	struct dns_config	 dcfg;
	static struct lookup_trace trace;
	static struct run	 run;
	struct dns		*dns;
	const char		*config = NULL;
	char			 err[512];
	char			 servers[16][CONF_STR_MAX];
	char			 suffixes[16][CONF_STR_MAX];
	int			 nservers = 0, nsuffixes = 0, ch, verbose = 0;
	int			 rc;
	bool			 json = false, seeded = false;
	uint64_t		 seed = 0;
	long			 nsamples = 0;
	unsigned		 forms = 0;
	/* Overrides, applied after the configuration is loaded. */
	const char		*o_services = NULL, *o_protocols = NULL;
	long			 o_maxchain = -1, o_maxdigits = -1;
	int			 o_implicit = -1, o_dnssec = -1;
	bool			 o_private = false, o_nolegacy = false;
	bool			 o_lax = false, o_noscheme = false;
	struct policy_source	 src = { .proto = CONF_SRC_ANY };
	struct route_decision	 dec;
	struct gw_runtime	*rt;
	const struct lookup_params *lp;
	const char		*lookup_input;
	int			 static_kind;
	char			 im_target[LOOKUP_URI_MAX];

	while ((ch = getopt_long(argc, argv, "f:hvV", longopts, NULL)) != -1) {
		char	*end;

		switch (ch) {
		case 'f':
			config = optarg;
			break;
		case 'h':
			usage_to(stdout, 0);
			break;
		case 'V':
			printf("imgate-lookup %s\n", PACKAGE_VERSION);
			return 0;
		case 'v':
			verbose++;
			break;
		case OPT_SERVER:
			if (nservers >= 16)
				usage();
			snprintf(servers[nservers++], CONF_STR_MAX, "%s",
			    optarg);
			break;
		case OPT_SUFFIX:
			if (nsuffixes >= 16)
				usage();
			snprintf(suffixes[nsuffixes++], CONF_STR_MAX, "%s",
			    optarg);
			break;
		case OPT_SERVICES:
			o_services = optarg;
			break;
		case OPT_PROTOCOLS:
			o_protocols = optarg;
			break;
		case OPT_MAXCHAIN:
			o_maxchain = strtol(optarg, &end, 10);
			if (*end != '\0' || o_maxchain < 0 || o_maxchain > 16)
				usage();
			break;
		case OPT_MAXDIGITS:
			o_maxdigits = strtol(optarg, &end, 10);
			if (*end != '\0' || o_maxdigits < 1 ||
			    o_maxdigits > 15)
				usage();
			break;
		case OPT_IMPLICIT:
			o_implicit = strcmp(optarg, "off") == 0 ?
			    CONF_IMPLICIT_OFF : strcmp(optarg, "sip") == 0 ?
			    CONF_IMPLICIT_SIP : strcmp(optarg, "xmpp") == 0 ?
			    CONF_IMPLICIT_XMPP : -2;
			if (o_implicit == -2)
				usage();
			break;
		case OPT_DNSSEC:
			o_dnssec = strcmp(optarg, "off") == 0 ?
			    CONF_DNSSEC_OFF : strcmp(optarg, "prefer") == 0 ?
			    CONF_DNSSEC_PREFER : strcmp(optarg, "require") ==
			    0 ? CONF_DNSSEC_REQUIRE : -2;
			if (o_dnssec == -2)
				usage();
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_SEED:
			seed = strtoull(optarg, &end, 10);
			if (*end != '\0')
				usage();
			seeded = true;
			break;
		case OPT_SAMPLES:
			nsamples = strtol(optarg, &end, 10);
			if (*end != '\0' || nsamples < 0 ||
			    nsamples > MAX_SAMPLES)
				usage();
			break;
		case OPT_PRIVATE:
			o_private = true;
			break;
		case OPT_FROM_SIP:
			src.proto = CONF_SRC_SIP;
			if (inet_pton(AF_INET, optarg, src.addr) == 1)
				src.family = AF_INET;
			else if (inet_pton(AF_INET6, optarg, src.addr) == 1)
				src.family = AF_INET6;
			else
				usage();
			src.has_addr = true;
			break;
		case OPT_FROM_XMPP:
			src.proto = CONF_SRC_XMPP;
			src.xmpp_domain = optarg;
			break;
		case OPT_NOLEGACY:
			o_nolegacy = true;
			break;
		case OPT_LAX:
			o_lax = true;
			break;
		case OPT_NOSCHEME:
			o_noscheme = true;
			break;
		case OPT_FORMS: {
			char	 buf[256], *save = NULL, *tok;

			snprintf(buf, sizeof(buf), "%s", optarg);
			forms = 0;
			for (tok = strtok_r(buf, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				if (strcmp(tok, "e164") == 0)
					forms |= E164_FORM_PLAIN;
				else if (strcmp(tok, "tel") == 0)
					forms |= E164_FORM_TEL;
				else if (strcmp(tok, "sip-user-phone") == 0)
					forms |= E164_FORM_SIP_USER_PHONE;
				else if (strcmp(tok, "sip-plus") == 0)
					forms |= E164_FORM_SIP_PLUS;
				else
					usage();
			}
			break;
		}
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	log_init(true, verbose > 0 ? LOG_L_DEBUG : LOG_L_WARNING,
	    "imgate-lookup");

	conf_defaults(&conf);
	if (config != NULL && conf_load(config, &conf, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "imgate-lookup: %s\n", err);
		return 1;
	}
	if (nservers > 0) {
		conf.ndns_servers = 0;
		for (int i = 0; i < nservers; i++)
			snprintf(conf.dns_servers[conf.ndns_servers++],
			    CONF_STR_MAX, "%s", servers[i]);
	}
	if (nsuffixes > 0) {
		conf.nenum_suffixes = 0;
		for (int i = 0; i < nsuffixes; i++)
			snprintf(conf.enum_suffixes[conf.nenum_suffixes++],
			    CONF_STR_MAX, "%s", suffixes[i]);
	}
	if (o_services != NULL) {
		rc = split_list(o_services, &conf.enum_services[0][0],
		    CONF_MAX_LIST,
		    sizeof(conf.enum_services[0]));
		if (rc < 0)
			usage();
		conf.nenum_services = (size_t)rc;
	}
	if (o_protocols != NULL) {
		rc = split_list(o_protocols, &conf.im_protocols[0][0],
		    CONF_MAX_LIST,
		    sizeof(conf.im_protocols[0]));
		if (rc < 0)
			usage();
		conf.nim_protocols = (size_t)rc;
	}
	if (o_maxchain >= 0)
		conf.enum_max_chain = o_maxchain;
	if (o_maxdigits >= 0)
		conf.max_digits = o_maxdigits;
	if (o_implicit >= 0)
		conf.implicit_srv = (enum conf_implicit)o_implicit;
	if (o_dnssec >= 0)
		conf.dnssec = (enum conf_dnssec)o_dnssec;
	if (o_private)
		conf.enum_allow_private = true;
	if (o_nolegacy)
		conf.enum_legacy_syntax = false;
	if (o_lax)
		conf.enum_strict_delimiters = false;
	if (o_noscheme)
		conf.enum_scheme_check = false;

	setup_lookup_params(&conf, &params);
	if (forms != 0)
		params.input_forms = forms;
	if (!seeded)
		seed = setup_seed();
	if (seed == 0)
		seed = 0x9e3779b97f4a7c15ULL;
	params.rngarg = &seed;
	setup_dns_config(&conf, &dcfg);

	su_init();
	memset(&run, 0, sizeof(run));
	run.params = &params;
	if ((run.root = su_root_create(NULL)) == NULL) {
		fprintf(stderr, "imgate-lookup: su_root_create failed\n");
		return 1;
	}
	if ((dns = dns_create(run.root, &dcfg)) == NULL) {
		fprintf(stderr, "imgate-lookup: cannot set up DNS\n");
		return 1;
	}
	/*
	 * The routing policy first, as imgated applies it (routing/route):
	 * dial plan, first matching route.  An im: URI is resolved as it is.
	 */
	lookup_input = argv[optind];
	lp = &params;
	memset(&dec, 0, sizeof(dec));
	dec.route = dec.dialplan = -1;
	dec.verdict = ROUTE_ENUM;
	if ((rt = runtime_build(&conf, true)) == NULL) {
		fprintf(stderr, "imgate-lookup: out of memory\n");
		return 1;
	}
	if (strncasecmp(lookup_input, "im:", 3) != 0 &&
	    strncasecmp(lookup_input, "pres:", 5) != 0) {
		route_decide(&conf, params.input_forms, params.max_digits,
		    lookup_input, &src, &dec);
		if (dec.verdict != ROUTE_BAD_NUMBER)
			lookup_input = dec.aus;
		if (dec.verdict == ROUTE_ENUM && dec.route >= 0) {
			rt->route[dec.route].input_forms = params.input_forms;
			rt->route[dec.route].rngarg = &seed;
			lp = &rt->route[dec.route];
		}
	}
	run.decision = &dec;
	run.conf = &conf;
	/*
	 * The policy decided without DNS: a refusal, or a static target
	 * (only an im: target still needs RFC 3861).
	 */
	static_kind = dec.verdict == ROUTE_STATIC ?
	    route_static_result(conf.routes[dec.route].target, dec.aus,
	    &run.res) : 0;
	if (static_kind == 1) {
		snprintf(im_target, sizeof(im_target), "%s", run.res.uri);
		lookup_input = im_target;
	}
	if (dec.verdict == ROUTE_DENY || dec.verdict == ROUTE_NO_MATCH) {
		memset(&run.res, 0, sizeof(run.res));
		run.res.error = LOOKUP_E_ENUM_NO_DATA;
		run.res.negative_ttl = run.res.failure_ttl = -1;
		run.res.min_ttl = -1;
		snprintf(run.res.aus, sizeof(run.res.aus), "%s", dec.aus);
		run.done = true;
	} else if (dec.verdict == ROUTE_STATIC && static_kind != 1)
		run.done = true;
	else
		(void)lookup_start(lp, dns_ops(dns), lookup_input, &trace,
		    on_done, &run);
	while (!run.done)
		su_root_run(run.root);
	snprintf(run.res.input, sizeof(run.res.input), "%s", argv[optind]);
	if (run.res.error == LOOKUP_OK && run.res.protocol ==
	    LOOKUP_PROTO_SIP && dec.verdict != ROUTE_DENY &&
	    dec.verdict != ROUTE_NO_MATCH) {
		setup_siptarget_params(&conf, &sparams);
		sparams.rngarg = &seed;
		resolve_sip_targets(&run, dns, &sparams);
	}

	if (nsamples > 0 && run.res.srv_owner[0] != '\0') {
		run.nsamples = nsamples;
		run.samples = calloc((size_t)nsamples, sizeof(*run.samples));
		run.sample_len = calloc((size_t)nsamples, sizeof(size_t));
		if (run.samples == NULL || run.sample_len == NULL) {
			fprintf(stderr, "imgate-lookup: out of memory\n");
			return 1;
		}
		if (dns_ops(dns)->query(dns, run.res.srv_owner, DNSMSG_T_SRV,
		    on_srv_rrset, &run) == 0)
			while (!run.samples_done)
				su_root_run(run.root);
	}

	if (json)
		print_json(&run.res, &trace, &run);
	else
		print_human(&run.res, &trace, &run);

	dns_destroy(dns);
	runtime_unref(rt);
	runtime_fini();
	su_root_destroy(run.root);
	su_deinit();
	free(run.samples);
	free(run.sample_len);

	if (dec.verdict == ROUTE_DENY || dec.verdict == ROUTE_NO_MATCH)
		return 2;
	switch (run.res.error) {
	case LOOKUP_OK:
		return 0;
	case LOOKUP_E_DNS_TEMPFAIL:
		return 3;
	default:
		return 2;
	}
}
