/*
 * gateway/lookup_main.c - imgate-lookup: resolve one destination exactly as
 * imgated would and explain the decision.
 *
 * argv -> conf -> dns -> resolve -> print: the same configuration
 * (conf/, the daemon's runtime), the same resolver (gateway/dns on an
 * su_root) and the same decision (one routing/resolve session through
 * gateway/explain: routes, ENUM, fallback links, RFC 3263 hops); only
 * the output differs: a readable account of every step, or with --json
 * one object whose field names are documented in imgate-lookup(1).
 * Exit: 0 routed, 2 no route, 3 temporary failure, 1 usage or
 * configuration error (explain_exit_status()).
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
#include "gateway/explain.h"
#include "gateway/jsonout.h"
#include "gateway/log.h"
#include "routing/e164.h"
#include "routing/lookup.h"
#include "routing/policy.h"
#include "gateway/runtime.h"

#define MAX_SAMPLES	100000

struct run {
	su_root_t		*root;
	bool			 done;
	struct explain_result	 x;
	/* --srv-samples */
	const struct lookup_params *params;
	long			 nsamples;
	bool			 samples_done;
	char			(*samples)[LOOKUP_MAX_TARGETS][DNSMSG_NAME_MAX];
	size_t			*sample_len;
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
on_explained(void *arg, const struct explain_result *x)
{
	struct run	*r = arg;

	r->x = *x;
	r->done = true;
	su_root_break(r->root);
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

/* --srv-samples: the orders seen, as "srv_order_samples" (last field). */
static void
add_samples(json_t *doc, const struct run *run)
{
	json_t	*all = json_array(), *one;

	for (long s = 0; all != NULL && s < run->nsamples &&
	    run->samples_done; s++) {
		one = json_array();
		for (size_t i = 0; one != NULL && i < run->sample_len[s]; i++)
			json_array_append_new(one,
			    jsonout_str(run->samples[s][i]));
		json_array_append_new(all, one);
	}
	json_object_set_new(doc, "srv_order_samples", all);
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
	struct siptarget_params	 sparams;
	struct dns_config	 dcfg;
	static struct run	 run;
	struct dns		*dns;
	const char		*config = NULL;
	char			 err[512];
	char			 servers[16][CONF_STR_MAX];
	char			 suffixes[16][CONF_STR_MAX];
	int			 nservers = 0, nsuffixes = 0, ch, verbose = 0;
	int			 rc;
	bool			 json = false, seeded = false, xmpp;
	uint64_t		 seed = 0;
	long			 nsamples = 0;
	unsigned		 forms = 0;
	/* Overrides, applied after the configuration is loaded. */
	const char		*o_services = NULL, *o_protocols = NULL;
	long			 o_maxchain = -1, o_maxdigits = -1;
	int			 o_implicit = -1, o_dnssec = -1;
	bool			 o_private = false, o_nolegacy = false;
	bool			 o_lax = false, o_noscheme = false;
	struct policy_source	 src = { .proto = PROTO_NONE };
	struct gw_runtime	*rt;

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
			    PROTO_NONE : strcmp(optarg, "sip") == 0 ?
			    PROTO_SIP : strcmp(optarg, "xmpp") == 0 ?
			    PROTO_XMPP : -2;
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
			src.proto = PROTO_SIP;
			if (inet_pton(AF_INET, optarg, src.addr) == 1)
				src.family = AF_INET;
			else if (inet_pton(AF_INET6, optarg, src.addr) == 1)
				src.family = AF_INET6;
			else
				usage();
			src.has_addr = true;
			break;
		case OPT_FROM_XMPP:
			src.proto = PROTO_XMPP;
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
		conf.implicit_srv = (enum proto)o_implicit;
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

	runtime_dns_config(&conf, &dcfg);
	if (!seeded)
		seed = runtime_seed();
	if (seed == 0)
		seed = 0x9e3779b97f4a7c15ULL;
	su_init();
	memset(&run, 0, sizeof(run));
	if ((run.root = su_root_create(NULL)) == NULL) {
		fprintf(stderr, "imgate-lookup: su_root_create failed\n");
		return 1;
	}
	if ((dns = dns_create(run.root, &dcfg)) == NULL) {
		fprintf(stderr, "imgate-lookup: cannot set up DNS\n");
		return 1;
	}
	/*
	 * The daemon's runtime and its decision code (routing/resolve via
	 * gateway/explain).  With a configuration, XMPP is what it says;
	 * without one, imgate-lookup answers for both protocols (the SIP
	 * transports are the default listener's: UDP and TCP).  The
	 * command line's input forms and seed apply to every route's
	 * parameters too.
	 */
	xmpp = config == NULL || conf.xmpp_enable;
	if ((rt = runtime_build(&conf, xmpp)) == NULL) {
		fprintf(stderr, "imgate-lookup: out of memory\n");
		return 1;
	}
	if (forms != 0)
		rt->base.input_forms = forms;
	rt->base.rngarg = &seed;
	for (size_t i = 0; i < conf.nroutes; i++) {
		rt->route[i].input_forms = rt->base.input_forms;
		rt->route[i].rngarg = &seed;
	}
	run.params = &rt->base;
	runtime_siptarget_params(&conf, &sparams);
	sparams.rngarg = &seed;
	if (explain_start(&rt->conf, &rt->base, rt->route, &sparams, xmpp,
	    dns_ops(dns), argv[optind], &src, on_explained, &run) != 0) {
		fprintf(stderr, "imgate-lookup: out of memory\n");
		return 1;
	}
	while (!run.done)
		su_root_run(run.root);

	if (nsamples > 0 && run.x.res.srv_owner[0] != '\0') {
		run.nsamples = nsamples;
		run.samples = calloc((size_t)nsamples, sizeof(*run.samples));
		run.sample_len = calloc((size_t)nsamples, sizeof(size_t));
		if (run.samples == NULL || run.sample_len == NULL) {
			fprintf(stderr, "imgate-lookup: out of memory\n");
			return 1;
		}
		if (dns_ops(dns)->query(dns, run.x.res.srv_owner, DNSMSG_T_SRV,
		    on_srv_rrset, &run) == 0)
			while (!run.samples_done)
				su_root_run(run.root);
	}

	if (json) {
		json_t	*doc = explain_json(&run.x, &conf);

		if (doc != NULL && run.nsamples > 0)
			add_samples(doc, &run);
		if (doc == NULL || jsonout_dump(doc, stdout) != 0) {
			fprintf(stderr, "imgate-lookup: cannot write JSON\n");
			return 1;
		}
		json_decref(doc);
	} else
		explain_text(stdout, &run.x, &conf);

	dns_destroy(dns);
	runtime_unref(rt);
	runtime_fini();
	su_root_destroy(run.root);
	su_deinit();
	free(run.samples);
	free(run.sample_len);

	return explain_exit_status(&run.x);
}
