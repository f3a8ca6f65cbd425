/*
 * gateway/explain.c - print a routing decision (see explain.h).
 *
 * The JSON keeps the field names, order and value types imgate-lookup
 * has always printed (tests/integration/test_vectors.py reads them);
 * strings go through gateway/jsonout so any input bytes give a valid
 * document.
 */
#include <sys/socket.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/explain.h"
#include "gateway/jsonout.h"

/* A string field, or null when empty. */
static void
set_str(json_t *o, const char *k, const char *s)
{
	json_object_set_new(o, k, jsonout_str(s));
}

static void
set_opt(json_t *o, const char *k, const char *s)
{
	set_str(o, k, s != NULL && s[0] != '\0' ? s : NULL);
}

static void
set_int(json_t *o, const char *k, json_int_t v)
{
	json_object_set_new(o, k, json_integer(v));
}

static json_t *
str_array(const char (*v)[DNSMSG_NAME_MAX], size_t n)
{
	json_t	*a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, jsonout_str(v[i]));
	return a;
}

static json_t *
selected_json(const struct lookup_result *r)
{
	const struct enumq_selected	*s = &r->selected;
	json_t				*o;

	if (!r->enum_done || (o = json_object()) == NULL)
		return json_null();
	set_str(o, "owner", s->owner);
	set_int(o, "index", s->index);
	set_int(o, "order", s->order);
	set_int(o, "preference", s->preference);
	set_str(o, "flags", s->flags);
	set_str(o, "services", s->services);
	set_str(o, "regexp", s->regexp);
	set_str(o, "replacement", s->replacement);
	return o;
}

static json_t *
route_json(const struct route_decision *dec, const struct gw_conf *conf)
{
	json_t	*o;

	if (dec == NULL || (dec->route < 0 && dec->verdict !=
	    ROUTE_NO_MATCH) || (o = json_object()) == NULL)
		return json_null();
	if (dec->route >= 0) {
		const struct conf_route *rr = &conf->routes[dec->route];

		set_str(o, "name", rr->name);
		set_int(o, "line", rr->line);
		set_str(o, "action", route_strverdict(dec->verdict));
		set_str(o, "why", dec->why);
		if (dec->verdict == ROUTE_DENY)
			set_int(o, "status", dec->deny_status);
	} else {
		json_object_set_new(o, "name", json_null());
		set_str(o, "action", "no-match");
		set_str(o, "why", dec->why);
	}
	return o;
}

/* The "rfc3263" object of imgate-lookup(1). */
static json_t *
sip_json(const struct lookup_sip_trace *s)
{
	static const char *steps[] = { "numeric", "addresses", "srv",
	    "naptr" };
	json_t	*o, *a;
	size_t	 i;

	if ((o = json_object()) == NULL)
		return NULL;
	set_str(o, "uri", s->uri);
	set_str(o, "step", s->error == SIPTARGET_E_INVALID_URI ? NULL :
	    steps[s->plan.step]);
	a = json_array();
	for (i = 0; a != NULL && i < s->nqueries; i++) {
		json_t *e = json_object();

		set_str(e, "type", siptarget_strtype(s->queries[i].qtype));
		set_str(e, "name", s->queries[i].name);
		set_str(e, "result", s->queries[i].outcome);
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "queries", a);
	a = json_array();
	for (i = 0; a != NULL && i < s->nhops; i++) {
		const struct siptarget_hop *h = &s->hops[i];
		json_t *e = json_object();

		set_str(e, "transport", rfc3263_strtransport(h->transport));
		set_str(e, "address", h->ip);
		set_int(e, "port", h->port);
		set_str(e, "host", h->host);
		set_int(e, "priority", h->priority);
		set_int(e, "weight", h->weight);
		json_object_set_new(e, "naptr", json_boolean(h->via_naptr));
		json_object_set_new(e, "srv", json_boolean(h->via_srv));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "hops", a);
	set_str(o, "error", siptarget_strerror(s->error));
	return o;
}

/* The "error" of imgate-lookup(1): why no destination, or null. */
static const char *
error_name(const struct explain_result *x)
{
	switch (x->outcome) {
	case RESOLVE_ROUTED:
		return NULL;
	case RESOLVE_DENIED:
		return "E_DENIED";
	case RESOLVE_NO_MATCH:
		return "E_NO_ROUTE_MATCH";
	case RESOLVE_STATIC_UNUSABLE:
		return "E_STATIC_TARGET";
	case RESOLVE_LOOP:
		return "E_LOOP";
	case RESOLVE_NOT_SECURE:
		return "E_NOT_SECURE";
	case RESOLVE_NO_XMPP:
		return "E_IM_NO_COMMON_PROTOCOL";
	case RESOLVE_BAD_SIP_URI:
		return "E_SIP_INVALID_URI";
	case RESOLVE_NOMEM:
		return "E_NO_MEMORY";
	case RESOLVE_BAD_NUMBER:
	case RESOLVE_LOOKUP_FAILED:
		break;
	}
	return lookup_strerror(x->res.error);
}

/* A link's target: the route's own (-1) or fallback @link. */
static const char *
link_name(const struct explain_result *x, const struct gw_conf *conf,
    int link)
{
	const struct conf_route	*r;

	if (x->dec.route < 0)
		return NULL;
	r = &conf->routes[x->dec.route];
	if (link < 0)
		return x->dec.verdict == ROUTE_STATIC ? r->target.text : NULL;
	return (size_t)link < r->nfallback ? r->fallback[link].text : NULL;
}

/* The "fallback" object: the link taken and what failed before it. */
static json_t *
fallback_json(const struct explain_result *x, const struct gw_conf *conf)
{
	json_t	*o, *a;

	if (x->link < 0 || (o = json_object()) == NULL)
		return json_null();
	set_int(o, "link", x->link);
	set_str(o, "target", x->link_target);
	a = json_array();
	for (size_t i = 0; a != NULL && i < x->ntries; i++) {
		json_t	*e = json_object();

		set_int(e, "link", x->tries[i].link);
		set_str(e, "target", link_name(x, conf, x->tries[i].link));
		set_str(e, "error", x->tries[i].error == LOOKUP_OK ?
		    "E_UNREACHABLE" : lookup_strerror(x->tries[i].error));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "after", a);
	return o;
}

json_t *
explain_json(const struct explain_result *x, const struct gw_conf *conf)
{
	const struct lookup_result	*r = &x->res;
	const struct lookup_trace	*t = &x->trace;
	const struct route_decision	*dec = &x->dec;
	json_t				*o, *a;
	size_t				 i;

	if ((o = json_object()) == NULL)
		return NULL;
	set_str(o, "input", r->input);
	set_opt(o, "aus", r->aus);
	set_opt(o, "first_key", r->first_key);
	json_object_set_new(o, "naptr_queries",
	    str_array(t->enumq.queries, t->enumq.nqueries));
	set_opt(o, "uri", r->uri);
	set_opt(o, "enumservice", r->enumservice);
	json_object_set_new(o, "selected_record", selected_json(r));
	a = json_array();
	for (i = 0; a != NULL && i < t->enumq.ndiscards; i++) {
		const struct enumq_discard *d = &t->enumq.discards[i];
		json_t *e = json_object();

		set_str(e, "owner", d->owner);
		set_int(e, "index", d->index);
		set_str(e, "reason", d->reason);
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "discards", a);
	set_str(o, "protocol", lookup_strproto(r->protocol));
	json_object_set_new(o, "srv_queries",
	    str_array(t->srv_queries, t->nsrv_queries));
	set_opt(o, "srv_owner", r->srv_owner);
	a = json_array();
	for (i = 0; a != NULL && i < r->ntargets; i++) {
		const struct lookup_target *tg = &r->targets[i];
		json_t *e = json_object();

		set_str(e, "host", tg->host);
		set_int(e, "port", tg->port);
		set_int(e, "priority", tg->priority);
		set_int(e, "weight", tg->weight);
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "targets", a);
	json_object_set_new(o, "implicit", json_boolean(r->implicit));
	set_opt(o, "request_uri", r->request_uri);
	set_opt(o, "xmpp_to", r->xmpp_to);
	json_object_set_new(o, "negative_cache_ttl",
	    r->error == LOOKUP_E_ENUM_NO_DATA && r->negative_ttl >= 0 ?
	    json_integer(r->negative_ttl) : json_null());
	json_object_set_new(o, "failure_cache_seconds",
	    r->error == LOOKUP_E_DNS_TEMPFAIL && r->failure_ttl >= 0 ?
	    json_integer(r->failure_ttl) : json_null());
	json_object_set_new(o, "ttl", r->error == LOOKUP_OK &&
	    r->min_ttl >= 0 ? json_integer(r->min_ttl) : json_null());
	set_str(o, "dnssec", lookup_strdnssec(r->dnssec));
	set_int(o, "dns_queries", r->nqueries);
	set_str(o, "dialplan", dec->dialplan >= 0 ?
	    conf->dialplans[dec->dialplan].name : NULL);
	json_object_set_new(o, "route", route_json(dec, conf));
	set_str(o, "error", error_name(x));
	json_object_set_new(o, "rfc3263", t->sip.ran ? sip_json(&t->sip) :
	    json_null());
	set_str(o, "outcome", resolve_stroutcome(x->outcome));
	json_object_set_new(o, "fallback", fallback_json(x, conf));
	return o;
}

void
explain_text(FILE *f, const struct explain_result *x,
    const struct gw_conf *conf)
{
	const struct lookup_result	*r = &x->res;
	const struct lookup_trace	*t = &x->trace;
	const struct route_decision	*dec = &x->dec;
	size_t				 i, k;

	fprintf(f, "input:      %s\n", r->input);
	if (dec != NULL && dec->dialplan >= 0)
		fprintf(f, "dial plan:  '%s' -> %s\n",
		    conf->dialplans[dec->dialplan].name, dec->aus);
	if (dec != NULL && (dec->route >= 0 ||
	    dec->verdict == ROUTE_NO_MATCH || conf->nroutes > 0))
		fprintf(f, "route:      %s\n", dec->why);
	if (dec != NULL && dec->verdict == ROUTE_DENY) {
		fprintf(f, "result:     denied (SIP %d)\n", dec->deny_status);
		return;
	}
	if (dec != NULL && dec->verdict == ROUTE_NO_MATCH) {
		fprintf(f, "result:     no route matches\n");
		return;
	}
	if (r->aus[0] != '\0')
		fprintf(f, "AUS:        %s (RFC 6116 3.1)\n", r->aus);
	if (r->first_key[0] != '\0')
		fprintf(f, "first key:  %s\n", r->first_key);
	for (i = 0; i < t->enumq.nqueries; i++) {
		fprintf(f, "NAPTR query %zu: %s\n", i + 1, t->enumq.queries[i]);
		for (k = 0; k < t->enumq.ndiscards; k++) {
			const struct enumq_discard *d = &t->enumq.discards[k];

			if (strcmp(d->owner, t->enumq.queries[i]) == 0)
				fprintf(f, "  record #%d discarded: %s\n",
				    d->index, d->reason);
		}
	}
	if (r->enum_done) {
		const struct enumq_selected *s = &r->selected;

		fprintf(f, "selected:   %s record #%d: %u %u \"%s\" \"%s\" "
		    "\"%s\" %s\n", s->owner, s->index, s->order,
		    s->preference, s->flags, s->services, s->regexp,
		    s->replacement);
	}
	if (r->uri[0] != '\0' && r->enumservice[0] != '\0')
		fprintf(f, "URI:        %s  (enumservice %s)\n", r->uri,
		    r->enumservice);
	else if (r->uri[0] != '\0')
		fprintf(f, "URI:        %s\n", r->uri);
	for (i = 0; i < t->nsrv_queries; i++)
		fprintf(f, "SRV query:  %s%s\n", t->srv_queries[i],
		    strcmp(t->srv_queries[i], r->srv_owner) == 0 ?
		    "  <- used" : "");
	if (r->protocol != PROTO_NONE)
		fprintf(f, "protocol:   %s%s\n", lookup_strproto(r->protocol),
		    r->implicit ? " (implicit A-record fallback)" : "");
	for (i = 0; i < r->ntargets; i++)
		fprintf(f, "target %zu:   %s port %u (priority %u weight %u)\n",
		    i + 1, r->targets[i].host, r->targets[i].port,
		    r->targets[i].priority, r->targets[i].weight);
	if (r->request_uri[0] != '\0')
		fprintf(f, "SIP Request-URI: %s\n", r->request_uri);
	for (i = 0; t->sip.ran && i < t->sip.nqueries; i++)
		fprintf(f, "RFC 3263 %-5s %s: %s\n",
		    siptarget_strtype(t->sip.queries[i].qtype),
		    t->sip.queries[i].name, t->sip.queries[i].outcome);
	for (i = 0; t->sip.ran && i < t->sip.nhops; i++) {
		const struct siptarget_hop *h = &t->sip.hops[i];

		fprintf(f, "hop %zu:      %s %s%s%s port %u (%s%s)\n", i + 1,
		    rfc3263_strtransport(h->transport),
		    h->family == AF_INET6 ? "[" : "", h->ip,
		    h->family == AF_INET6 ? "]" : "", h->port, h->host,
		    h->via_naptr ? ", from NAPTR" : h->via_srv ?
		    ", from SRV" : "");
	}
	if (t->sip.ran && t->sip.nhops == 0)
		fprintf(f, "hops:       none (%s)\n",
		    siptarget_strerror(t->sip.error));
	if (r->xmpp_to[0] != '\0')
		fprintf(f, "XMPP to:    %s\n", r->xmpp_to);
	fprintf(f, "DNSSEC:     %s\n", lookup_strdnssec(r->dnssec));
	for (i = 0; i < x->ntries && x->link >= 0; i++)
		fprintf(f, "fallback:   %s %s: %s\n", x->tries[i].link < 0 ?
		    "route" : "link", x->tries[i].link < 0 ? (dec->route >= 0 ?
		    conf->routes[dec->route].name : "-") :
		    link_name(x, conf, x->tries[i].link),
		    x->tries[i].error == LOOKUP_OK ? "E_UNREACHABLE" :
		    lookup_strerror(x->tries[i].error));
	if (x->link >= 0)
		fprintf(f, "fallback:   link %d taken: %s\n", x->link,
		    x->link_target);
	if (x->outcome != RESOLVE_ROUTED && x->outcome !=
	    RESOLVE_LOOKUP_FAILED && x->outcome != RESOLVE_BAD_NUMBER)
		fprintf(f, "result:     %s\n", error_name(x));
	else if (r->error != LOOKUP_OK) {
		fprintf(f, "result:     %s", lookup_strerror(r->error));
		if (r->error == LOOKUP_E_ENUM_NO_DATA && r->negative_ttl >= 0)
			fprintf(f, " (negative answer cacheable %" PRId64 " s)",
			    r->negative_ttl);
		if (r->error == LOOKUP_E_DNS_TEMPFAIL && r->failure_ttl >= 0)
			fprintf(f, " (failure remembered %" PRId64 " s)",
			    r->failure_ttl);
		fputc('\n', f);
	} else
		fprintf(f, "result:     routed\n");
}


/* One explanation in flight (heap: the session may outlive the
 * caller's stack frame). */
struct explain_req {
	bool			 sip;		/* walk SIP targets */
	struct explain_result	 x;
	char			 input[LOOKUP_URI_MAX];
	explain_done_fn		*cb;
	void			*arg;
};

static void
explain_finish(struct explain_req *q, struct resolve *rs)
{
	/* From inside the session's callback: freed as it unwinds. */
	resolve_cancel(rs);
	snprintf(q->x.res.input, sizeof(q->x.res.input), "%s", q->input);
	q->cb(q->arg, &q->x);
	free(q);
}

/*
 * The relay's walk of a SIP destination: each target located in turn
 * (imgated tries the next one when a target's hops fail; here every
 * target's steps are shown); when no target of the link has an
 * address, the relay takes the route's next fallback link, and so
 * does this.
 */
static void
sip_walk(struct explain_req *q, struct resolve *rs)
{
	if (resolve_next_target(rs))
		return;
	if (q->x.trace.sip.nhops == 0 && resolve_next_link(rs, LOOKUP_OK))
		return;
	explain_finish(q, rs);
}

/* One target's RFC 3263 steps, appended to the trace. */
static void
add_hops(struct explain_req *q, const struct resolve_result *rr)
{
	const struct siptarget_result	*res = rr->hops;
	struct lookup_sip_trace		*s = &q->x.trace.sip;

	if (!s->ran) {
		snprintf(s->uri, sizeof(s->uri), "%s", rr->target_uri);
		s->plan = res->plan;
		s->error = res->error;
	} else if (s->nhops == 0)
		s->error = res->error;
	s->ran = true;
	for (size_t i = 0; i < res->nqueries && s->nqueries <
	    SIPTARGET_MAX_QUERIES * 2; i++)
		s->queries[s->nqueries++] = res->queries[i];
	for (size_t i = 0; i < res->nhops && s->nhops < SIPTARGET_MAX_HOPS;
	    i++)
		s->hops[s->nhops++] = res->hops[i];
	if (s->nhops > 0)
		s->error = SIPTARGET_OK;
}

static void
on_resolve(void *arg, struct resolve *rs, const struct resolve_result *rr)
{
	struct explain_req	*q = arg;
	struct explain_result	*x = &q->x;

	if (rr->event == RESOLVE_EV_HOPS) {
		add_hops(q, rr);
		sip_walk(q, rs);
		return;
	}
	x->outcome = rr->outcome;
	x->dec = *rr->dec;
	x->res = *rr->res;
	/* A fallback link's own lookup knows no number: the route's. */
	if (x->res.aus[0] == '\0' && rr->outcome != RESOLVE_BAD_NUMBER)
		snprintf(x->res.aus, sizeof(x->res.aus), "%s", x->dec.aus);
	x->link = rr->link;
	snprintf(x->link_target, sizeof(x->link_target), "%s",
	    rr->link_target != NULL ? rr->link_target : "");
	x->ntries = rr->ntries;
	memcpy(x->tries, rr->tries, rr->ntries * sizeof(*rr->tries));
	memset(&x->trace.sip, 0, sizeof(x->trace.sip));
	if (q->sip && rr->outcome == RESOLVE_ROUTED &&
	    rr->res->protocol == PROTO_SIP) {
		sip_walk(q, rs);
		return;
	}
	explain_finish(q, rs);
}

int
explain_start(const struct gw_conf *c, const struct lookup_params *base,
    const struct lookup_params *per_route, const struct siptarget_params *sp,
    bool xmpp, const struct dnsq_ops *ops, const char *input,
    const struct policy_source *src, explain_done_fn *cb, void *arg)
{
	struct explain_req	*q;
	struct resolve_params	 p;
	struct resolve		*rs;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	q->cb = cb;
	q->arg = arg;
	q->sip = sp != NULL;
	q->x.link = -1;
	snprintf(q->input, sizeof(q->input), "%s", input);
	p.conf = c;
	p.base = base;
	p.per_route = per_route;
	p.sip = sp;
	p.xmpp = xmpp;
	p.uri_input = true;
	p.trace = &q->x.trace;
	if ((rs = resolve_new(&p, ops, input, src, on_resolve, q)) == NULL) {
		free(q);
		return -1;
	}
	resolve_start(rs);	/* q may be gone when this returns */
	return 0;
}

int
explain_exit_status(const struct explain_result *x)
{
	switch (x->outcome) {
	case RESOLVE_ROUTED:
		return 0;
	case RESOLVE_NOMEM:
		return 3;
	case RESOLVE_BAD_NUMBER:
	case RESOLVE_LOOKUP_FAILED:
		return x->res.error == LOOKUP_E_DNS_TEMPFAIL ? 3 : 2;
	default:
		return 2;
	}
}
