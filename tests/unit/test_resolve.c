/*
 * tests/unit/test_resolve.c - routing/resolve on a table DNS.
 *
 * One destination decision, driven through a fake struct dnsq_ops that
 * answers from the case's table, either at once (a cache hit: the
 * callback then runs inside resolve_start()) or when the test pumps it
 * (the network).  Each case gives the routes, the DNS data, the input
 * and what must come out: the outcome, the fallback link taken and the
 * links tried before it, the destination and the first hop of a SIP
 * target.  Then the contract: exactly one callback per accepted call,
 * also on early errors, none after resolve_cancel() (in flight or from
 * inside the callback), the delivery-failure rule of resolve_next_link()
 * and the target walk's cap.  TAP.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "enum/dnsq.h"
#include "routing/resolve.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define K	"0.0.1.0.5.5.5.2.0.2.1.e164.arpa."
#define NUM	"+12025550100"

/* One canned answer: NAPTR (one record), SRV (up to 3) or A. */
struct fake_answer {
	const char		*owner;
	uint16_t		 type;
	enum dnsq_status	 status;
	const char		*naptr_regexp;	/* E2U rule, "u" flag */
	const char		*naptr_service;
	const char		*srv[3];	/* targets, port 5060 */
	const char		*a;		/* IPv4 address */
};

/* A route of the case (action enum unless @target or @deny). */
struct rspec {
	const char	*prefix;
	const char	*target;	/* static */
	int		 deny;		/* deny status, 0: not a deny */
	bool		 noroute, tempfail;
	const char	*fallback[CONF_MAX_FALLBACK];
};

struct rcase {
	const char		*name;
	const char		*input;
	struct rspec		 routes[2];
	struct fake_answer	 dns[8];
	enum dnsq_status	 dflt;		/* for any other name */
	bool			 xmpp;
	bool			 tls;		/* TLS transport configured */
	/* expected */
	enum resolve_outcome	 want;
	const char		*want_error;	/* lookup error, or NULL */
	int			 want_link;
	const char		*want_tries;	/* "-1:E_DNS_TEMPFAIL,0:..." */
	const char		*want_dest;	/* Request-URI or JID */
	const char		*want_hop;	/* first hop "IP:PORT" */
	int			 want_status;	/* deny status */
};

#define ANY	{ NULL, NULL, 0, false, false, { NULL } }
#define NAPTR_SIP(uri)	{ K, 35, DNSQ_OK, "!^.*$!" uri "!", "E2U+sip", \
	{ NULL }, NULL }

static const struct rcase cases[] = {
	{ "ENUM gives a sip: URI: routed, its numeric host is the hop",
	  NUM, { ANY }, { NAPTR_SIP("sip:alice@192.0.2.10") },
	  DNSQ_NXDOMAIN, true, false,
	  RESOLVE_ROUTED, NULL, -1, "", "sip:alice@192.0.2.10",
	  "192.0.2.10:5060", 0 },
	{ "ENUM SERVFAIL, fallback_on tempfail: link 0 (static sip:)",
	  NUM, { { "", NULL, 0, false, true, { "sip:192.0.2.20:5070" } } },
	  { { K, 35, DNSQ_TEMPFAIL, NULL, NULL, { NULL }, NULL } },
	  DNSQ_NXDOMAIN, true, false,
	  RESOLVE_ROUTED, NULL, 0, "-1:E_DNS_TEMPFAIL",
	  "sip:" NUM "@192.0.2.20:5070;user=phone", "192.0.2.20:5070", 0 },
	{ "ENUM no data, fallback_on tempfail only: no link, no route",
	  NUM, { { "", NULL, 0, false, true, { "sip:192.0.2.20" } } },
	  { { K, 35, DNSQ_NODATA, NULL, NULL, { NULL }, NULL } },
	  DNSQ_NXDOMAIN, true, false,
	  RESOLVE_LOOKUP_FAILED, "E_ENUM_NO_DATA", -1, "-1:E_ENUM_NO_DATA",
	  NULL, NULL, 0 },
	{ "no data, link 0 (im:) fails for now, link 1 (xmpp:) taken",
	  NUM, { { "", NULL, 0, true, false, { "im:bob@x.example",
	  "xmpp:xmpp.example" } } },
	  { { K, 35, DNSQ_NODATA, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, false,
	  RESOLVE_ROUTED, NULL, 1, "-1:E_ENUM_NO_DATA,0:E_DNS_TEMPFAIL",
	  NUM "@xmpp.example", NULL, 0 },
	{ "every link fails: the last link's failure",
	  NUM, { { "", NULL, 0, true, true, { "im:bob@x.example",
	  "im:carol@y.example" } } },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, false,
	  RESOLVE_LOOKUP_FAILED, "E_DNS_TEMPFAIL", 1,
	  "-1:E_DNS_TEMPFAIL,0:E_DNS_TEMPFAIL,1:E_DNS_TEMPFAIL", NULL, NULL,
	  0 },
	{ "deny route: refused without DNS",
	  NUM, { { "+1202", NULL, 403, false, false, { NULL } } },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, false,
	  RESOLVE_DENIED, NULL, -1, "", NULL, NULL, 403 },
	{ "no route matches",
	  NUM, { { "+44", NULL, 0, false, false, { NULL } } },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, false,
	  RESOLVE_NO_MATCH, NULL, -1, "", NULL, NULL, 0 },
	{ "not a number", "abc", { ANY },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, false,
	  RESOLVE_BAD_NUMBER, "E_INVALID_NUMBER", -1, "", NULL, NULL, 0 },
	{ "static xmpp: target, XMPP on",
	  NUM, { { "", "xmpp:chat.example", 0, false, false, { NULL } } },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, false,
	  RESOLVE_ROUTED, NULL, -1, "", NUM "@chat.example", NULL, 0 },
	{ "static xmpp: target, XMPP off",
	  NUM, { { "", "xmpp:chat.example", 0, false, false, { NULL } } },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, false, false,
	  RESOLVE_NO_XMPP, NULL, -1, "", NULL, NULL, 0 },
	{ "static target in imgate's own domain: a loop, no fallback",
	  NUM, { { "", "sip:gw.imgate.test", 0, true, true,
	  { "sip:192.0.2.20" } } },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, false,
	  RESOLVE_LOOP, NULL, -1, "", NULL, NULL, 0 },
	{ "sips: target without a TLS transport",
	  NUM, { { "", "sips:192.0.2.30", 0, false, false, { NULL } } },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, false,
	  RESOLVE_NOT_SECURE, NULL, -1, "", NULL, NULL, 0 },
	{ "sips: target with TLS: routed",
	  NUM, { { "", "sips:192.0.2.30", 0, false, false, { NULL } } },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, true,
	  RESOLVE_ROUTED, NULL, -1, "", "sips:" NUM "@192.0.2.30;user=phone",
	  "192.0.2.30:5061", 0 },
	{ "unusable (corrupt) static target: no fallback mends it",
	  NUM, { { "", "!ftp:x", 0, true, true, { "sip:192.0.2.20" } } },
	  { { NULL, 0, 0, NULL, NULL, { NULL }, NULL } },
	  DNSQ_TEMPFAIL, true, false,
	  RESOLVE_STATIC_UNUSABLE, NULL, -1, "", NULL, NULL, 0 },
	{ "E2U+sip \"sip:\" (no host): ENUM has no usable rule",
	  NUM, { ANY }, { NAPTR_SIP("sip:") },
	  DNSQ_NXDOMAIN, true, false,
	  RESOLVE_LOOKUP_FAILED, "E_ENUM_NO_USABLE_RULE", -1,
	  "-1:E_ENUM_NO_USABLE_RULE", NULL, NULL, 0 },
	{ "im: from ENUM, SRV _im._sip: target's address by A",
	  NUM, { ANY },
	  { { K, 35, DNSQ_OK, "!^.*$!im:bob@b.example!", "E2U+im",
	      { NULL }, NULL },
	    { "_im._sip.b.example.", 33, DNSQ_OK, NULL, NULL,
	      { "sip1.b.example." }, NULL },
	    { "sip1.b.example.", 1, DNSQ_OK, NULL, NULL, { NULL },
	      "192.0.2.40" } },
	  DNSQ_NXDOMAIN, true, false,
	  RESOLVE_ROUTED, NULL, -1, "", "sip:bob@b.example",
	  "192.0.2.40:5060", 0 },
};

/* The fake resolver: one query in flight at most (a session asks one
 * thing at a time), answered at once or by pump(). */
struct fake {
	const struct rcase	*c;
	bool			 deferred;
	dnsq_cb			*cb;
	void			*arg;
	char			 name[DNSMSG_NAME_MAX];
	uint16_t		 type;
	bool			 pending;
	int			 calls;
};

static void
answer(struct fake *f)
{
	const struct fake_answer	*a = NULL;
	struct dnsmsg_answer		 ans;
	struct naptr_rr			 naptr[1];
	struct srv_rr			 srv[3];
	struct dns_addr			 addr[1];
	struct dnsq_result		 res;
	size_t				 i;

	f->pending = false;
	for (i = 0; i < NELEM(f->c->dns); i++)
		if (f->c->dns[i].owner != NULL &&
		    strcasecmp(f->c->dns[i].owner, f->name) == 0 &&
		    f->c->dns[i].type == f->type)
			a = &f->c->dns[i];
	memset(&ans, 0, sizeof(ans));
	memset(&res, 0, sizeof(res));
	ans.qname = ans.final_name = f->name;
	ans.qtype = f->type;
	ans.ttl = 60;
	res.negative_ttl = res.failure_ttl = -1;
	res.status = a != NULL ? a->status : f->c->dflt;
	res.rcode = res.status == DNSQ_TEMPFAIL ? 2 : 0;
	if (res.status == DNSQ_TEMPFAIL)
		res.failure_ttl = 5;
	if (a != NULL && a->status == DNSQ_OK) {
		if (a->type == 35) {
			naptr[0] = (struct naptr_rr){ 10, 10, 0, "u",
			    a->naptr_service, a->naptr_regexp, "." };
			ans.naptr = naptr;
			ans.nnaptr = 1;
		} else if (a->type == 33) {
			for (i = 0; i < 3 && a->srv[i] != NULL; i++)
				srv[i] = (struct srv_rr){ 10, 0, 5060,
				    (uint16_t)i, a->srv[i] };
			ans.srv = srv;
			ans.nsrv = i;
		} else if (a->type == 1) {
			addr[0].family = AF_INET;
			inet_pton(AF_INET, a->a, addr[0].bytes);
			ans.addr = addr;
			ans.naddr = 1;
		}
	} else if (res.status == DNSQ_OK)
		res.status = DNSQ_NXDOMAIN;
	res.ans = res.status == DNSQ_TEMPFAIL ? NULL : &ans;
	f->cb(f->arg, &res);
}

static int
fake_query(void *ctx, const char *name, uint16_t type, dnsq_cb *cb,
    void *arg)
{
	struct fake	*f = ctx;

	if (f->pending)
		return -1;	/* one at a time: a second is a bug */
	f->calls++;
	f->cb = cb;
	f->arg = arg;
	f->type = type;
	f->pending = true;
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (!f->deferred)
		answer(f);
	return 0;
}

/* Answer queries until none is left (the network, in order). */
static void
pump(struct fake *f)
{
	for (int n = 0; f->pending && n < 64; n++)
		answer(f);
}

/* What the callback saw. */
struct seen {
	int			 routes, hops;
	bool			 cancel_in_cb;
	enum resolve_outcome	 outcome;
	enum lookup_error	 error;
	int			 link;
	char			 tries[160];
	char			 dest[LOOKUP_URI_MAX + 8];
	int			 status;
	char			 hop[80];
	bool			 hop_seen;
};

static void
on_event(void *arg, struct resolve *rs, const struct resolve_result *r)
{
	struct seen	*s = arg;

	if (r->event == RESOLVE_EV_HOPS) {
		s->hops++;
		if (!s->hop_seen && r->hops->nhops > 0) {
			snprintf(s->hop, sizeof(s->hop), "%s:%u",
			    r->hops->hops[0].ip, r->hops->hops[0].port);
			s->hop_seen = true;
		}
	} else {
		s->routes++;
		s->outcome = r->outcome;
		s->error = r->res->error;
		s->link = r->link;
		s->status = r->dec->deny_status;
		s->tries[0] = '\0';
		for (size_t i = 0; i < r->ntries; i++) {
			size_t	 n = strlen(s->tries);

			snprintf(s->tries + n, sizeof(s->tries) - n, "%s%d:%s",
			    i > 0 ? "," : "", r->tries[i].link,
			    lookup_strerror(r->tries[i].error) != NULL ?
			    lookup_strerror(r->tries[i].error) : "OK");
		}
		snprintf(s->dest, sizeof(s->dest), "%s",
		    r->res->protocol == PROTO_XMPP ? r->res->xmpp_to :
		    r->res->request_uri);
	}
	if (s->cancel_in_cb)
		resolve_cancel(rs);
}

static uint32_t
fixed_rng(void *arg)
{
	(void)arg;
	return 0;
}

/* The case's configuration and parameters (static: borrowed). */
static struct gw_conf		 conf;
static struct lookup_params	 base, per_route[CONF_MAX_ROUTES];
static struct siptarget_params	 sip;

/*
 * A table target the loader would refuse is a broken table, except one
 * written "!...": stored unparsed with no kind, what only a corrupt
 * configuration could hold (the loader parses every target), to reach
 * the defensive RESOLVE_STATIC_UNUSABLE path.
 */
static void
parse_target(const char *text, struct conf_target *t)
{
	char	 why[256];

	if (text[0] == '!') {
		memset(t, 0, sizeof(*t));
		t->kind = (enum conf_target_kind)-1;
		snprintf(t->text, sizeof(t->text), "%s", text + 1);
		return;
	}
	if (conf_target_parse(text, t, why, sizeof(why)) != 0) {
		printf("Bail out! target \"%s\": %s\n", text, why);
		exit(1);
	}
}

static void
setup(const struct rcase *c, struct resolve_params *p)
{
	conf_defaults(&conf);
	snprintf(conf.domain, sizeof(conf.domain), "gw.imgate.test");
	conf.srv_max_targets = 2;
	conf.nroutes = 0;
	for (size_t i = 0; i < NELEM(c->routes); i++) {
		const struct rspec	*s = &c->routes[i];
		struct conf_route	*r = &conf.routes[conf.nroutes];

		if (s->prefix == NULL)
			break;
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "r%zu", i);
		snprintf(r->prefix, sizeof(r->prefix), "%s", s->prefix);
		r->action = s->deny ? CONF_ROUTE_DENY : s->target != NULL ?
		    CONF_ROUTE_STATIC : CONF_ROUTE_ENUM;
		r->deny_status = s->deny;
		/* Targets parsed as the loader does (conf_target_parse). */
		if (s->target != NULL)
			parse_target(s->target, &r->target);
		for (size_t k = 0; k < CONF_MAX_FALLBACK &&
		    s->fallback[k] != NULL; k++)
			parse_target(s->fallback[k],
			    &r->fallback[r->nfallback++]);
		r->fallback_noroute = s->noroute;
		r->fallback_tempfail = s->tempfail;
		conf.nroutes++;
	}
	lookup_params_default(&base);
	base.rng = fixed_rng;
	base.policy.accept[1] = "sip";	/* E2U+sip too */
	base.policy.naccept = 2;
	for (size_t i = 0; i < CONF_MAX_ROUTES; i++)
		per_route[i] = base;
	memset(&sip, 0, sizeof(sip));
	sip.transports = RFC3263_TP_BIT(RFC3263_TP_UDP) |
	    RFC3263_TP_BIT(RFC3263_TP_TCP);
	if (c->tls)
		sip.transports |= RFC3263_TP_BIT(RFC3263_TP_TLS);
	sip.max_targets = 4;
	sip.max_queries = SIPTARGET_MAX_QUERIES;
	sip.rng = fixed_rng;
	memset(p, 0, sizeof(*p));
	p->conf = &conf;
	p->base = &base;
	p->per_route = per_route;
	p->sip = &sip;
	p->xmpp = c->xmpp;
}

static void
run_case(const struct rcase *c, bool deferred)
{
	struct resolve_params	 p;
	struct fake		 f;
	struct dnsq_ops		 ops = { fake_query, &f };
	struct seen		 s;
	struct resolve		*rs;
	const char		*mode = deferred ? "async" : "sync";

	setup(c, &p);
	memset(&f, 0, sizeof(f));
	f.c = c;
	f.deferred = deferred;
	memset(&s, 0, sizeof(s));
	rs = resolve_new(&p, &ops, c->input,
	    &(struct policy_source){ .proto = PROTO_NONE }, on_event, &s);
	if (rs == NULL) {
		ok(0, "%s (%s): session", c->name, mode);
		return;
	}
	{
		resolve_start(rs);
		pump(&f);
		ok(s.routes == 1, "%s (%s): one decision (%d)", c->name, mode,
		    s.routes);
		ok(s.outcome == c->want, "%s (%s): outcome %s (want %s)",
		    c->name, mode, resolve_stroutcome(s.outcome),
		    resolve_stroutcome(c->want));
		if (c->want_error != NULL)
			ok(lookup_strerror(s.error) != NULL &&
			    strcmp(lookup_strerror(s.error),
			    c->want_error) == 0, "%s (%s): error %s", c->name,
			    mode, lookup_strerror(s.error) ?
			    lookup_strerror(s.error) : "none");
		ok(s.link == c->want_link, "%s (%s): link %d (want %d)",
		    c->name, mode, s.link, c->want_link);
		ok(strcmp(s.tries, c->want_tries) == 0,
		    "%s (%s): tries \"%s\" (want \"%s\")", c->name, mode,
		    s.tries, c->want_tries);
		if (c->want_dest != NULL)
			ok(strcmp(s.dest, c->want_dest) == 0,
			    "%s (%s): destination %s (want %s)", c->name, mode,
			    s.dest, c->want_dest);
		if (c->want_status != 0)
			ok(s.status == c->want_status, "%s (%s): status %d",
			    c->name, mode, s.status);
		if (c->want_hop != NULL) {
			bool	 started = resolve_next_target(rs);

			pump(&f);
			ok(started && s.hops == 1 && strcmp(s.hop,
			    c->want_hop) == 0, "%s (%s): first hop %s (want "
			    "%s)", c->name, mode, s.hop, c->want_hop);
		}
		resolve_cancel(rs);
	}
}

/* Exactly once on an early error: before resolve_start() returns. */
static void
test_early_error(void)
{
	struct resolve_params	 p;
	struct fake		 f = { 0 };
	struct dnsq_ops		 ops = { fake_query, &f };
	struct seen		 s = { 0 };
	struct resolve		*rs;

	f.c = &cases[5];	/* deny */
	setup(f.c, &p);
	rs = resolve_new(&p, &ops, NUM, &(struct policy_source){
	    .proto = PROTO_NONE }, on_event, &s);
	resolve_start(rs);
	ok(s.routes == 1 && f.calls == 0, "deny: callback ran once inside "
	    "resolve_start, no DNS (%d, %d)", s.routes, f.calls);
	ok(!resolve_next_target(rs) && !resolve_next_link(rs,
	    LOOKUP_E_DNS_TEMPFAIL) && s.routes == 1 && s.hops == 0,
	    "deny: no target, no link, no further callback");
	resolve_cancel(rs);
}

/* Cancelled with the lookup in flight: no callback, ever. */
static void
test_cancel_in_flight(void)
{
	struct resolve_params	 p;
	struct fake		 f = { 0 };
	struct dnsq_ops		 ops = { fake_query, &f };
	struct seen		 s = { 0 };
	struct resolve		*rs;

	f.c = &cases[1];	/* SERVFAIL, then link 0 */
	f.deferred = true;
	setup(f.c, &p);
	rs = resolve_new(&p, &ops, NUM, &(struct policy_source){
	    .proto = PROTO_NONE }, on_event, &s);
	resolve_start(rs);
	ok(s.routes == 0 && f.pending, "in flight: no callback yet");
	resolve_cancel(rs);
	pump(&f);	/* the answer comes anyway */
	ok(s.routes == 0 && s.hops == 0, "cancelled: the late answer runs "
	    "no callback");
}

/* Cancelled from inside its own callback, synchronously and not. */
static void
test_cancel_in_callback(bool deferred)
{
	struct resolve_params	 p;
	struct fake		 f = { 0 };
	struct dnsq_ops		 ops = { fake_query, &f };
	struct seen		 s = { 0 };
	struct resolve		*rs;

	f.c = &cases[3];	/* two links */
	f.deferred = deferred;
	setup(f.c, &p);
	s.cancel_in_cb = true;
	rs = resolve_new(&p, &ops, NUM, &(struct policy_source){
	    .proto = PROTO_NONE }, on_event, &s);
	resolve_start(rs);	/* rs may be gone from here on */
	pump(&f);
	ok(s.routes == 1 && s.outcome == RESOLVE_ROUTED && s.link == 1,
	    "cancel inside the callback (%s): one decision, the session "
	    "freed after it (ASan watches)", deferred ? "async" : "sync");
}

/*
 * Delivery failed (LOOKUP_OK): the chain goes on only once started; the
 * route's own destination failing does not start one.
 */
static void
test_next_link(void)
{
	struct resolve_params	 p;
	struct fake		 f = { 0 };
	struct dnsq_ops		 ops = { fake_query, &f };
	struct seen		 s = { 0 };
	struct resolve		*rs;
	static const struct rcase chain = {
	    "chain", NUM, { { "", NULL, 0, false, true,
	    { "sip:192.0.2.20", "xmpp:xmpp.example" } } },
	    { { K, 35, DNSQ_TEMPFAIL, NULL, NULL, { NULL }, NULL } },
	    DNSQ_NXDOMAIN, true, false, RESOLVE_ROUTED, NULL, 0, "",
	    NULL, NULL, 0 };

	f.c = &cases[0];	/* routed by ENUM, route has no chain */
	setup(f.c, &p);
	rs = resolve_new(&p, &ops, NUM, &(struct policy_source){
	    .proto = PROTO_NONE }, on_event, &s);
	resolve_start(rs);
	ok(!resolve_next_link(rs, LOOKUP_OK) && s.routes == 1,
	    "delivery failure without a chain: no link, no callback");
	resolve_cancel(rs);

	memset(&s, 0, sizeof(s));
	f.c = &chain;
	setup(f.c, &p);
	rs = resolve_new(&p, &ops, NUM, &(struct policy_source){
	    .proto = PROTO_NONE }, on_event, &s);
	resolve_start(rs);
	ok(s.routes == 1 && s.link == 0, "chain: link 0 after SERVFAIL");
	ok(resolve_next_target(rs) && s.hops == 1 &&
	    !resolve_more_targets(rs), "chain: link 0's one target");
	ok(!resolve_next_target(rs), "chain: no second target");
	ok(resolve_next_link(rs, LOOKUP_OK) && s.routes == 2 &&
	    s.link == 1 && strcmp(s.dest, NUM "@xmpp.example") == 0 &&
	    strcmp(s.tries, "-1:E_DNS_TEMPFAIL,0:OK") == 0,
	    "chain: delivery failure on link 0 takes link 1 (%s, %s)",
	    s.dest, s.tries);
	ok(!resolve_next_link(rs, LOOKUP_OK) && s.routes == 2,
	    "chain: no link after the last");
	resolve_cancel(rs);
}

/* The walk stops at conf->srv_max_targets (2 here) of 3 SRV targets. */
static void
test_walk_cap(void)
{
	struct resolve_params	 p;
	struct fake		 f = { 0 };
	struct dnsq_ops		 ops = { fake_query, &f };
	struct seen		 s = { 0 };
	struct resolve		*rs;
	int			 n = 0;
	static const struct rcase three = {
	    "three", NUM, { ANY },
	    { { K, 35, DNSQ_OK, "!^.*$!im:bob@b.example!", "E2U+im",
	      { NULL }, NULL },
	      { "_im._sip.b.example.", 33, DNSQ_OK, NULL, NULL,
	        { "s1.b.example.", "s2.b.example.", "s3.b.example." },
	        NULL } },
	    DNSQ_NXDOMAIN, true, false, RESOLVE_ROUTED, NULL, -1, "",
	    NULL, NULL, 0 };

	f.c = &three;
	setup(f.c, &p);
	rs = resolve_new(&p, &ops, NUM, &(struct policy_source){
	    .proto = PROTO_NONE }, on_event, &s);
	resolve_start(rs);
	while (resolve_next_target(rs) && n < 10)
		n++;
	ok(s.routes == 1 && n == 2 && s.hops == 2,
	    "walk: 2 of 3 targets (srv_max_targets), one event each (%d)",
	    n);
	resolve_cancel(rs);
}

/* A direct destination: the same last checks, no policy, no link. */
static void
test_direct(void)
{
	struct resolve_params	 p;
	struct fake		 f = { 0 };
	struct dnsq_ops		 ops = { fake_query, &f };
	struct seen		 s = { 0 };
	struct resolve		*rs;

	f.c = &cases[0];
	setup(f.c, &p);
	rs = resolve_new_direct(&p, &ops, PROTO_SIP, "sip:", on_event,
	    &s);
	resolve_start(rs);
	ok(s.routes == 1 && s.outcome == RESOLVE_BAD_SIP_URI &&
	    !resolve_next_link(rs, LOOKUP_E_DNS_TEMPFAIL),
	    "direct \"sip:\": bad SIP URI, no link (%s)",
	    resolve_stroutcome(s.outcome));
	resolve_cancel(rs);
	memset(&s, 0, sizeof(s));
	rs = resolve_new_direct(&p, &ops, PROTO_SIP,
	    "sip:bob@192.0.2.50:5080", on_event, &s);
	resolve_start(rs);
	ok(s.routes == 1 && s.outcome == RESOLVE_ROUTED &&
	    resolve_next_target(rs) && strcmp(s.hop, "192.0.2.50:5080") == 0,
	    "direct sip: URI: routed, RFC 3263 from the URI (%s)", s.hop);
	resolve_cancel(rs);
	memset(&s, 0, sizeof(s));
	rs = resolve_new_direct(&p, &ops, PROTO_XMPP,
	    "juliet@gw.imgate.test", on_event, &s);
	conf.xmpp_domain[0] = '\0';
	snprintf(conf.xmpp_domain, sizeof(conf.xmpp_domain),
	    "gw.imgate.test");
	resolve_start(rs);
	ok(s.routes == 1 && s.outcome == RESOLVE_LOOP,
	    "direct JID in the component's own domain: a loop (%s)",
	    resolve_stroutcome(s.outcome));
	resolve_cancel(rs);
}

int
main(void)
{
	for (size_t i = 0; i < NELEM(cases); i++) {
		run_case(&cases[i], false);
		run_case(&cases[i], true);
	}
	test_early_error();
	test_cancel_in_flight();
	test_cancel_in_callback(false);
	test_cancel_in_callback(true);
	test_next_link();
	test_walk_cap();
	test_direct();
	return tap_done();
}
