/*
 * routing/resolve.c - one destination decision (see resolve.h).
 *
 * A session is a small state machine over the stages it composes:
 *
 *   decided (routing/route) -> link -1: static target | ENUM lookup
 *     -> failed and the route's fallback_on says so -> link 0, 1, ...
 *        (at most CONF_MAX_FALLBACK, each a static target)
 *     -> routed: last checks -> SIP: target walk (routing/siptarget)
 *
 * The rules are the relay's as they stood when it composed the stages
 * itself: a chain, once started, goes on on any failure of a link (a
 * lookup error, or every target of the link unreachable); a delivery
 * failure of the route's own destination does not start one (fallback_on
 * names lookup outcomes only, imgate.conf(5)); an unusable configured
 * target, a loop or a TLS refusal ends the decision without a fallback,
 * since another link would not make the configuration right.
 *
 * Memory: the session is a few hundred bytes plus, once routed to SIP,
 * the targets (usually one or two); the 11 KB lookup result is never
 * kept, only borrowed by the callback, because a gateway holds a session
 * per message in flight.  Nothing is zeroed wholesale (the warm path
 * counts: bench/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enum/strcopy.h"
#include "routing/resolve.h"

struct resolve {
	struct resolve_params	 p;
	const struct dnsq_ops	*ops;
	resolve_cb		*cb;
	void			*arg;
	struct route_decision	 dec;
	bool			 direct;
	enum proto	 direct_proto;
	char			 input[LOOKUP_URI_MAX];	/* as received */
	/* in flight (at most one of the two) */
	struct lookup		*lk;
	struct siptarget	*st;
	/* links: in use (-1 the route itself), next (-1 no chain) */
	int			 link;
	int			 link_next;
	struct resolve_try	 tries[RESOLVE_MAX_TRIES];
	size_t			 ntries;
	size_t			 new_tries;	/* first of this call's */
	/* the target walk of a routed SIP destination */
	bool			 sip_routed;
	/* request_uri and targets share one allocation, owned: the
	 * targets, then the string; walk_clear() frees it from targets,
	 * or from request_uri when there are none */
	char			*request_uri;
	/* siptarget_dest_transport(request_uri), parsed once: every
	 * target of the walk asks for it */
	enum rfc3263_transport	 dest_tp;
	struct lookup_target	*targets;	/* in request_uri's block */
	size_t			 ntargets;
	size_t			 next_target;
	size_t			 cur_target;
	char			 cur_uri[LOOKUP_URI_MAX + 16];
	/* re-entrancy: frames of this module on the stack */
	unsigned		 depth;
	bool			 cancelled;
};

static void	 run_link(struct resolve *, const struct conf_target *);
static bool	 next_link(struct resolve *, enum lookup_error);

const char *
resolve_stroutcome(enum resolve_outcome o)
{
	switch (o) {
	case RESOLVE_ROUTED:
		return "routed";
	case RESOLVE_BAD_NUMBER:
		return "bad-number";
	case RESOLVE_NO_MATCH:
		return "no-match";
	case RESOLVE_DENIED:
		return "denied";
	case RESOLVE_LOOKUP_FAILED:
		return "lookup-failed";
	case RESOLVE_STATIC_UNUSABLE:
		return "static-unusable";
	case RESOLVE_LOOP:
		return "loop";
	case RESOLVE_NOT_SECURE:
		return "not-secure";
	case RESOLVE_NO_XMPP:
		return "no-xmpp";
	case RESOLVE_BAD_SIP_URI:
		return "bad-sip-uri";
	case RESOLVE_NOMEM:
		return "no-memory";
	}
	return "?";
}

static void
walk_clear(struct resolve *rs)
{
	free(rs->targets != NULL ? (void *)rs->targets :
	    (void *)rs->request_uri);
	rs->request_uri = NULL;
	rs->dest_tp = RFC3263_TP_NONE;
	rs->targets = NULL;
	rs->ntargets = rs->next_target = rs->cur_target = 0;
	rs->sip_routed = false;
}

static void
enter(struct resolve *rs)
{
	rs->depth++;
}

/* The last frame of the module out frees a session cancelled in it. */
static void
leave(struct resolve *rs)
{
	if (--rs->depth == 0 && rs->cancelled) {
		walk_clear(rs);
		free(rs);
	}
}

/* A failed result with only the number set (lookup.c's result_init). */
static void
failed_result(struct lookup_result *r, enum lookup_error e, const char *aus)
{
	memset(r, 0, sizeof(*r));
	r->error = e;
	r->negative_ttl = r->failure_ttl = r->min_ttl = -1;
	if (aus != NULL)
		str_copy(r->aus, sizeof(r->aus), aus);
}

static void
deliver_route(struct resolve *rs, enum resolve_outcome oc,
    const struct lookup_result *res)
{
	struct resolve_result	 r;
	const struct conf_route	*route;

	if (rs->cancelled)
		return;
	memset(&r, 0, sizeof(r));
	r.event = RESOLVE_EV_ROUTE;
	r.outcome = oc;
	r.dec = &rs->dec;
	r.res = res;
	r.link = rs->link;
	route = rs->dec.route >= 0 ? &rs->p.conf->routes[rs->dec.route] :
	    NULL;
	r.link_target = rs->link >= 0 && route != NULL ?
	    route->fallback[rs->link].text : NULL;
	r.tries = rs->tries;
	r.ntries = rs->ntries;
	r.new_tries = rs->new_tries;
	rs->new_tries = rs->ntries;
	rs->cb(rs->arg, rs, &r);
}

/*
 * Does @addr (a SIP URI or a JID) have @domain as its host?  A message
 * sent there comes back to imgate (the SIP domain it answers for, or the
 * XMPP component's own domain): a loop, refused before sending.
 */
static bool
is_own_domain(const char *addr, const char *domain)
{
	const char	*host, *at;
	size_t		 n, dl = strlen(domain);

	if (dl == 0)
		return false;
	if ((at = strchr(addr, '@')) != NULL)
		host = at + 1;
	else if (strncasecmp(addr, "sip:", 4) == 0)
		host = addr + 4;
	else if (strncasecmp(addr, "sips:", 5) == 0)
		host = addr + 5;
	else
		host = addr;
	n = strcspn(host, ":;?>/");
	if (n > 0 && host[n - 1] == '.')
		n--;
	return n == dl && strncasecmp(host, domain, dl) == 0;
}

/* A link gave a destination: the checks no fallback can mend. */
static void
routed(struct resolve *rs, const struct lookup_result *res)
{
	const struct gw_conf	*c = rs->p.conf;
	struct rfc3263_uri	 u;
	enum rfc3263_transport	 dest_tp;
	size_t			 n, ul;
	void			*block;

	walk_clear(rs);
	if (res->protocol == PROTO_XMPP) {
		/* Only protocols imgate speaks are looked up, but an
		 * E2U+xmpp URI names its protocol itself. */
		if (!rs->p.xmpp)
			deliver_route(rs, RESOLVE_NO_XMPP, res);
		else if (is_own_domain(res->xmpp_to, c->xmpp_domain))
			deliver_route(rs, RESOLVE_LOOP, res);
		else
			deliver_route(rs, RESOLVE_ROUTED, res);
		return;
	}
	if (is_own_domain(res->request_uri, c->domain)) {
		deliver_route(rs, RESOLVE_LOOP, res);
		return;
	}
	/* A sip: URI from E2U+sip without SRV targets is one target, the
	 * URI itself, located with the full RFC 3263 procedure. */
	if (res->ntargets == 0 && rfc3263_parse_uri(res->request_uri,
	    &u) != 0) {
		deliver_route(rs, RESOLVE_BAD_SIP_URI, res);
		return;
	}
	/* Nothing that asks for TLS goes out in clear (imgate.conf(5)). */
	dest_tp = siptarget_dest_transport(res->request_uri);
	if (rs->p.sip != NULL && dest_tp == RFC3263_TP_TLS &&
	    (rs->p.sip->transports &
	    RFC3263_TP_BIT(RFC3263_TP_TLS)) == 0) {
		deliver_route(rs, RESOLVE_NOT_SECURE, res);
		return;
	}
	/* One allocation, once per message: the targets, then the URI. */
	n = res->ntargets;
	ul = strlen(res->request_uri) + 1;
	if ((block = malloc(n * sizeof(*rs->targets) + ul)) == NULL) {
		deliver_route(rs, RESOLVE_NOMEM, res);
		return;
	}
	if (n > 0) {
		rs->targets = block;
		memcpy(rs->targets, res->targets, n * sizeof(*rs->targets));
	}
	rs->request_uri = (char *)block + n * sizeof(*rs->targets);
	memcpy(rs->request_uri, res->request_uri, ul);
	rs->dest_tp = dest_tp;
	rs->ntargets = n;
	rs->sip_routed = true;
	deliver_route(rs, RESOLVE_ROUTED, res);
}

/* A link's lookup failed: the next link, or the failure. */
static void
link_failed(struct resolve *rs, const struct lookup_result *res)
{
	if (rs->ntries < RESOLVE_MAX_TRIES)
		rs->tries[rs->ntries++] = (struct resolve_try){ rs->link,
		    res->error };
	if (next_link(rs, res->error))
		return;
	deliver_route(rs, RESOLVE_LOOKUP_FAILED, res);
}

static void
on_lookup(void *arg, const struct lookup_result *res)
{
	struct resolve	*rs = arg;

	enter(rs);
	rs->lk = NULL;
	if (res->error != LOOKUP_OK)
		link_failed(rs, res);
	else
		routed(rs, res);
	leave(rs);
}

static void
start_lookup(struct resolve *rs, const struct lookup_params *lp,
    const char *input)
{
	struct lookup	*lk;

	/* The trace is the route's own lookup: imgate-lookup shows the
	 * ENUM steps that failed, then the link taken. */
	lk = lookup_start(lp, rs->ops, input, rs->link < 0 ? rs->p.trace :
	    NULL, on_lookup, rs);
	/* NULL: on_lookup() has run (and may have started another). */
	if (lk != NULL)
		rs->lk = lk;
}

/*
 * A static target (a static route, or one fallback link): "sip:HOST"
 * carries the number as user part, "xmpp:DOMAIN" makes number@DOMAIN,
 * an im: URI goes through RFC 3861 with the enum group's parameters.
 */
static void
run_link(struct resolve *rs, const struct conf_target *target)
{
	struct lookup_result	 r;

	switch (route_static_result(target, rs->dec.aus, &r)) {
	case -1:
		deliver_route(rs, RESOLVE_STATIC_UNUSABLE, &r);
		return;
	case 1:
		start_lookup(rs, rs->p.base, r.uri);
		return;
	default:
		routed(rs, &r);
	}
}

/* The route's next fallback link for @why (see resolve_next_link()). */
static bool
next_link(struct resolve *rs, enum lookup_error why)
{
	const struct conf_route	*r;
	bool			 noroute, tempfail;

	if (rs->dec.route < 0 || rs->direct)
		return false;
	r = &rs->p.conf->routes[rs->dec.route];
	noroute = why == LOOKUP_E_ENUM_NO_DATA ||
	    why == LOOKUP_E_ENUM_NO_USABLE_RULE ||
	    why == LOOKUP_E_IM_NO_COMMON_PROTOCOL ||
	    why == LOOKUP_E_INVALID_IM_URI;
	tempfail = why == LOOKUP_E_DNS_TEMPFAIL;
	if (rs->link_next < 0) {
		if (!((noroute && r->fallback_noroute) ||
		    (tempfail && r->fallback_tempfail)))
			return false;
		rs->link_next = 0;
	}
	if ((size_t)rs->link_next >= r->nfallback)
		return false;
	rs->link = rs->link_next++;
	walk_clear(rs);
	run_link(rs, &r->fallback[rs->link]);
	return true;
}

static struct resolve *
session_new(const struct resolve_params *p, const struct dnsq_ops *ops,
    const char *dest, resolve_cb *cb, void *arg)
{
	struct resolve	*rs;

	if ((rs = malloc(sizeof(*rs))) == NULL)
		return NULL;
	rs->p = *p;
	rs->ops = ops;
	rs->cb = cb;
	rs->arg = arg;
	rs->direct = false;
	rs->direct_proto = PROTO_NONE;
	str_copy(rs->input, sizeof(rs->input), dest);
	rs->lk = NULL;
	rs->st = NULL;
	rs->link = rs->link_next = -1;
	rs->ntries = rs->new_tries = 0;
	rs->sip_routed = false;
	rs->request_uri = NULL;
	rs->dest_tp = RFC3263_TP_NONE;
	rs->targets = NULL;
	rs->ntargets = rs->next_target = rs->cur_target = 0;
	rs->depth = 0;
	rs->cancelled = false;
	rs->dec.verdict = ROUTE_ENUM;
	rs->dec.number_status = E164_OK;
	rs->dec.aus[0] = rs->dec.why[0] = '\0';
	rs->dec.dialplan = rs->dec.route = -1;
	rs->dec.deny_status = 0;
	return rs;
}

struct resolve *
resolve_new(const struct resolve_params *p, const struct dnsq_ops *ops,
    const char *dest, const struct policy_source *src, resolve_cb *cb,
    void *arg)
{
	struct resolve	*rs;

	if ((rs = session_new(p, ops, dest, cb, arg)) == NULL)
		return NULL;
	if (p->uri_input && (strncasecmp(dest, "im:", 3) == 0 ||
	    strncasecmp(dest, "pres:", 5) == 0))
		return rs;	/* RFC 3861 only, with the enum group's */
	route_decide(p->conf, p->base->input_forms, p->base->max_digits,
	    dest, src, &rs->dec);
	return rs;
}

struct resolve *
resolve_new_direct(const struct resolve_params *p,
    const struct dnsq_ops *ops, enum proto proto, const char *dest,
    resolve_cb *cb, void *arg)
{
	struct resolve	*rs;

	if ((rs = session_new(p, ops, dest, cb, arg)) == NULL)
		return NULL;
	rs->direct = true;
	rs->direct_proto = proto;
	snprintf(rs->dec.why, sizeof(rs->dec.why), "direct");
	return rs;
}

const struct route_decision *
resolve_decision(const struct resolve *rs)
{
	return &rs->dec;
}

void
resolve_start(struct resolve *rs)
{
	const struct route_decision	*d = &rs->dec;
	struct lookup_result		 r;

	enter(rs);
	if (rs->direct) {
		route_direct_result(&r, rs->direct_proto, rs->input, NULL, 0,
		    NULL);
		routed(rs, &r);
		leave(rs);
		return;
	}
	switch (d->verdict) {
	case ROUTE_BAD_NUMBER:
		failed_result(&r, d->number_status == E164_NOT_E164 ?
		    LOOKUP_E_NOT_E164 : d->number_status == E164_TOO_LONG ?
		    LOOKUP_E_NUMBER_TOO_LONG : LOOKUP_E_INVALID_NUMBER, NULL);
		str_copy(r.input, sizeof(r.input), rs->input);
		deliver_route(rs, RESOLVE_BAD_NUMBER, &r);
		break;
	case ROUTE_NO_MATCH:
	case ROUTE_DENY:
		/* No DNS was asked: "no data" for the lookup's part. */
		failed_result(&r, LOOKUP_E_ENUM_NO_DATA, d->aus);
		str_copy(r.input, sizeof(r.input), rs->input);
		deliver_route(rs, d->verdict == ROUTE_DENY ? RESOLVE_DENIED :
		    RESOLVE_NO_MATCH, &r);
		break;
	case ROUTE_STATIC:
		run_link(rs, &rs->p.conf->routes[d->route].target);
		break;
	case ROUTE_ENUM:
		if (d->aus[0] == '\0')	/* uri_input: an im: URI */
			start_lookup(rs, rs->p.base, rs->input);
		else
			start_lookup(rs, d->route >= 0 ?
			    &rs->p.per_route[d->route] : rs->p.base, d->aus);
		break;
	}
	leave(rs);
}

bool
resolve_next_link(struct resolve *rs, enum lookup_error why)
{
	bool	 started;

	if (why == LOOKUP_OK && rs->link_next < 0)
		return false;	/* a chain goes on; none starts here */
	enter(rs);
	if (rs->ntries < RESOLVE_MAX_TRIES)
		rs->tries[rs->ntries++] = (struct resolve_try){ rs->link,
		    why };
	started = next_link(rs, why);
	leave(rs);
	return started;
}

static size_t
walk_len(const struct resolve *rs)
{
	size_t	 n = rs->ntargets > 0 ? rs->ntargets : 1;
	size_t	 max = (size_t)rs->p.conf->srv_max_targets;

	if (!rs->sip_routed)
		return 0;
	return n < max ? n : max;
}

bool
resolve_more_targets(const struct resolve *rs)
{
	return rs->next_target < walk_len(rs);
}

int
resolve_link(const struct resolve *rs)
{
	return rs->link;
}

static void
on_hops(void *arg, const struct siptarget_result *res)
{
	struct resolve		*rs = arg;
	struct resolve_result	 r;

	enter(rs);
	rs->st = NULL;
	if (!rs->cancelled) {
		memset(&r, 0, sizeof(r));
		r.event = RESOLVE_EV_HOPS;
		r.dec = &rs->dec;
		r.link = rs->link;
		r.target = rs->cur_target;
		r.target_uri = rs->cur_uri;
		r.hops = res;
		rs->cb(rs->arg, rs, &r);
	}
	leave(rs);
}

bool
resolve_next_target(struct resolve *rs)
{
	char			 uri[LOOKUP_URI_MAX + 16];
	struct siptarget	*st;

	while (rs->next_target < walk_len(rs)) {
		const struct lookup_target *tg;
		size_t	 i = rs->next_target++;

		/*
		 * A target without a port is the Request-URI itself (an
		 * E2U+sip URI): the full RFC 3263 procedure.  An SRV
		 * target (RFC 3861) or a static host:port has its port:
		 * addresses only, over what the Request-URI asks for.
		 */
		if (rs->ntargets == 0 || rs->targets[i].port == 0)
			str_copy(uri, sizeof(uri), rs->request_uri);
		else {
			tg = &rs->targets[i];
			if (siptarget_uri(tg->host, tg->port, rs->dest_tp,
			    uri, sizeof(uri)) != 0)
				continue;
		}
		rs->cur_target = i;
		str_copy(rs->cur_uri, sizeof(rs->cur_uri), uri);
		enter(rs);
		st = siptarget_start(rs->p.sip, rs->ops, uri, on_hops, rs);
		/* NULL: on_hops() has run. */
		if (st != NULL)
			rs->st = st;
		leave(rs);
		return true;
	}
	return false;
}

void
resolve_cancel(struct resolve *rs)
{
	if (rs == NULL || rs->cancelled)
		return;
	rs->cancelled = true;
	lookup_cancel(rs->lk);
	siptarget_cancel(rs->st);
	rs->lk = NULL;
	rs->st = NULL;
	if (rs->depth == 0) {
		walk_clear(rs);
		free(rs);
	}
}
