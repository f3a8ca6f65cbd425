/*
 * gateway/flow/relay.c - route, forward, answer: the transaction's life.
 *
 * relay_submit() starts routing/lookup with the transaction id as the
 * callback argument.  On a route: SIP destinations are tried target by
 * target in RFC 2782 order (at least two, RFC 3861 6); each target
 * becomes a list of hops (transport, address) through routing/siptarget,
 * the RFC 3263 client, on the same cached resolver (an E2U+sip URI is
 * one target located from the URI itself), then the outbound side sends
 * through each hop in turn.  A hop that does not answer in time or
 * whose transport fails (the edge's outcome says retry_elsewhere: for SIP
 * a 408 or 503, gateway/status) makes the relay try the next hop, then
 * the next target; any other answer is final and goes back to the sender
 * as it is.  The transaction deadline
 * bounds the whole thing below SIP Timer F.
 *
 * The relay sees no wire library: DNS comes through a struct dnsq_ops,
 * time and timers through the transaction's loop (gateway/flow/loop.h),
 * the far ends through struct relay_side, and their answers as struct
 * gw_outcome (gateway/status maps each protocol's).  A transaction ends
 * in txn_finish(), which calls whatever hook its creator set.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "gateway/flow/relay.h"
#include "gateway/log.h"
#include "gateway/setup.h"
#include "gateway/xlate_imdn.h"
#include "routing/ratelimit.h"
#include "routing/route.h"

static const struct dnsq_ops		*relay_dnsq;
static relay_store_fn			*relay_store;
static const struct relay_side		*relay_sip;
static const struct relay_side		*relay_xmpp;

static void	try_next_target(struct gw_txn *);
static void	try_next_hop(struct gw_txn *);
static void	on_deadline(struct gw_txn *);
static void	on_route(void *, const struct lookup_result *);
static bool	start_fallback(struct gw_txn *, enum lookup_error);
static struct ratelimit	*relay_rl;
/* RFC 3263 parameters of every SIP target lookup (borrowed by them). */
static struct siptarget_params	 relay_stp;
static uint64_t			 relay_seed;

static bool	more_to_try(const struct gw_txn *);

/* Time left below which no new hop is tried after a silent one. */
#define RELAY_MIN_ATTEMPT_MS	200

/* When the whole transaction must be answered (limits.txn_deadline_ms). */
static uint64_t
txn_end_ms(const struct gw_txn *t)
{
	return t->started_ms + (uint64_t)t->rt->conf.txn_deadline_ms;
}

/* Send to t->next_hop; a refusal that is about the message ends it. */
static void
start_sip_attempt(struct gw_txn *t)
{
	enum gw_reason	 why;
	uint64_t	 now = txn_now_ms(), end, wait;

	/*
	 * Each attempt waits sip.timeout_ms, but never past the deadline
	 * of the whole transaction: RFC 3263 may give many hops, and the
	 * sender must still get its answer before its own Timer F.
	 */
	end = txn_end_ms(t);
	if (now >= end) {
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_PEER_TIMEOUT, 0, NULL });
		return;
	}
	wait = (uint64_t)t->rt->conf.sip_timeout_ms;
	if (wait > end - now)
		wait = end - now;
	txn_enter_state(t, TXN_SENDING);
	txn_set_deadline(t, wait, on_deadline);
	t->out_proto = LOOKUP_PROTO_SIP;
	t->out_abort = relay_sip->abort;
	t->attempts++;
	why = relay_sip->send(t, t->route->dest, t->next_hop);
	if (why == GW_R_NONE)
		return;
	/* A target that is imgate itself: another one may be the peer. */
	if (why == GW_R_LOOP)
		t->looped = true;
	if (why == GW_R_TARGET_UNREACHABLE || why == GW_R_LOOP) {
		try_next_hop(t);
		return;
	}
	txn_finish(t, (struct gw_outcome){ GW_PERMFAIL, why, 0, NULL });
}

void
relay_init(const struct dnsq_ops *dnsq, const struct relay_side *sip,
    const struct relay_side *xmpp, relay_store_fn *store)
{
	relay_dnsq = dnsq;
	if (runtime_current() != NULL)
		relay_reconfigure(&runtime_current()->conf);
	relay_sip = sip;
	relay_xmpp = xmpp;
	relay_store = store;
}

/* Make the outbound edge drop the attempt in flight on @t, if any. */
static void
drop_attempt(struct gw_txn *t)
{
	txn_edge_fn	*abort = t->out_abort;

	t->out_abort = NULL;
	if (abort != NULL)
		abort(t);
}

static void
on_deadline(struct gw_txn *t)
{
	struct gw_outcome o = { GW_TEMPFAIL, GW_R_PEER_TIMEOUT, 0 };

	/*
	 * A SIP hop that stays silent for sip.timeout_ms is a failed
	 * attempt (RFC 3263 4.3), whichever of this timer and the stack's
	 * own 408 comes first: the next hop, while time is left.
	 */
	if (t->state == TXN_SENDING && t->out_proto == LOOKUP_PROTO_SIP &&
	    t->route != NULL && more_to_try(t) && txn_now_ms() +
	    RELAY_MIN_ATTEMPT_MS < txn_end_ms(t)) {
		log_info("txn %llu: %s (%s) did not answer in time, trying "
		    "the next hop", (unsigned long long)t->id, t->next_hop,
		    rfc3263_strtransport(t->next_transport));
		drop_attempt(t);
		try_next_hop(t);
		return;
	}

	/* Still routing: the DNS did not answer in time. */
	if (t->state == TXN_ROUTING || t->state == TXN_RESOLVING)
		o.reason = GW_R_DNS_TEMPFAIL;
	txn_finish(t, o);
}

/* The hops of the current target are known: try them in order. */
static void
on_hops(void *arg, const struct siptarget_result *res)
{
	struct gw_txn	*t = txn_get((uint64_t)(uintptr_t)arg);

	if (t == NULL || t->state != TXN_RESOLVING)
		return;		/* finished meanwhile: drop quietly */
	t->siptarget = NULL;
	if (res->error == SIPTARGET_OK && res->nhops > 0) {
		size_t	 len = res->nhops * sizeof(*t->hops);

		/* One block: the hops, then their host names. */
		for (size_t i = 0; i < res->nhops; i++)
			len += strlen(res->hops[i].host) + 3;
		t->hops = calloc(1, len);
	}
	if (res->error != SIPTARGET_OK || res->nhops == 0 || t->hops == NULL) {
		log_info("txn %llu: target %zu: no address (%s)",
		    (unsigned long long)t->id, t->target,
		    res->error != SIPTARGET_OK ?
		    siptarget_strerror(res->error) : "out of memory");
		try_next_target(t);
		return;
	}
	{
		char	*p = (char *)(t->hops + res->nhops);

		for (size_t i = 0; i < res->nhops; i++) {
			const struct siptarget_hop *h = &res->hops[i];
			size_t	 hl = strlen(h->host) + 3;

			t->hops[i].transport = h->transport;
			snprintf(t->hops[i].addr, sizeof(t->hops[i].addr),
			    h->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			    h->ip, h->port);
			/* An IPv6 literal is named as in a URI: bracketed. */
			snprintf(p, hl, strchr(h->host, ':') != NULL ?
			    "[%s]" : "%s", h->host);
			t->hops[i].host = p;
			p += hl;
			log_debug("txn %llu: target %zu hop %zu: %s %s (%s)",
			    (unsigned long long)t->id, t->target, i + 1,
			    rfc3263_strtransport(h->transport),
			    t->hops[i].addr, t->hops[i].host);
		}
	}
	t->nhops = res->nhops;
	t->hop = 0;
	try_next_hop(t);
}

/* The next address of the current target, or the next target. */
static void
try_next_hop(struct gw_txn *t)
{
	const struct txn_hop	*h;

	if (t->hop >= t->nhops) {
		try_next_target(t);
		return;
	}
	h = &t->hops[t->hop++];
	snprintf(t->next_hop, sizeof(t->next_hop), "%s", h->addr);
	t->next_transport = h->transport;
	start_sip_attempt(t);
}

/* Another hop or target is left to try after a failed attempt. */
static bool
more_to_try(const struct gw_txn *t)
{
	return t->hop < t->nhops || (t->target < t->route->ntargets &&
	    t->target < (size_t)t->rt->conf.srv_max_targets);
}

static void
try_next_target(struct gw_txn *t)
{
	const struct txn_route		*r = t->route;
	const struct txn_target		*tg;
	size_t				 max;
	char				 uri[LOOKUP_URI_MAX + 16];
	struct siptarget		*st;

	max = (size_t)t->rt->conf.srv_max_targets;
	free(t->hops);
	t->hops = NULL;
	t->nhops = t->hop = 0;
	if (t->target >= r->ntargets || t->target >= max) {
		struct gw_outcome o = { GW_TEMPFAIL, GW_R_TARGET_UNREACHABLE,
		    0 };

		if (t->looped)
			o = (struct gw_outcome){ GW_PERMFAIL, GW_R_LOOP, 0,
			    NULL };

		/* A fallback chain in progress goes on to its next link. */
		if (t->fallback_next >= 0 &&
		    start_fallback(t, LOOKUP_E_DNS_TEMPFAIL))
			return;
		txn_finish(t, o);
		return;
	}
	tg = &r->targets[t->target++];
	txn_enter_state(t, TXN_RESOLVING);
	/*
	 * A target without a port is the Request-URI itself (an E2U+sip
	 * URI): the full RFC 3263 procedure.  An SRV target (RFC 3861) has
	 * its port: addresses only.
	 */
	if (tg->port == 0)
		snprintf(uri, sizeof(uri), "%s", r->dest);
	else if (siptarget_uri(tg->host, tg->port,
	    siptarget_dest_transport(r->dest), uri, sizeof(uri)) != 0) {
		try_next_target(t);
		return;
	}
	st = siptarget_start(&relay_stp, relay_dnsq, uri, on_hops,
	    (void *)(uintptr_t)t->id);
	/* NULL: on_hops() already ran, and t may be gone. */
	if (st != NULL)
		t->siptarget = st;
}

/* Replace t->route; false (and the sender answered) without memory. */
static bool
keep_route(struct gw_txn *t, enum lookup_proto proto, const char *dest,
    const struct lookup_target *tg, size_t n)
{
	free(t->route);
	if ((t->route = txn_route_new(proto, dest, tg, n)) == NULL) {
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_OVERLOAD, 0, NULL });
		return false;
	}
	return true;
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

static void
on_route(void *arg, const struct lookup_result *res)
{
	struct gw_txn	*t = txn_get((uint64_t)(uintptr_t)arg);

	if (t == NULL)
		return;
	t->lookup = NULL;
	if (txn_observer()->lookup_done != NULL)
		txn_observer()->lookup_done(res->error);
	if (res->error != LOOKUP_OK) {
		/* Say which URI was unusable (a bad IDNA label, say). */
		if (res->error == LOOKUP_E_INVALID_IM_URI &&
		    res->uri[0] != '\0')
			log_warnx("txn %llu: ENUM gave %s: not a usable URI "
			    "(syntax or IDNA)", (unsigned long long)t->id,
			    res->uri);
		if (start_fallback(t, res->error))
			return;
		txn_finish(t, status_from_lookup(res->error));
		return;
	}
	log_info("txn %llu: %s -> %s%s%s -> %s %s", (unsigned long long)t->id,
	    t->dest, res->aus[0] ? res->aus : "", res->aus[0] ? " -> " : "",
	    res->uri[0] ? res->uri : "-", lookup_strproto(res->protocol),
	    res->protocol == LOOKUP_PROTO_SIP ? res->request_uri :
	    res->xmpp_to);
	if (res->protocol == LOOKUP_PROTO_XMPP) {
		enum gw_reason	 why;

		/* Only protocols the daemon speaks are looked up, but an
		 * E2U+xmpp URI names its protocol itself. */
		if (relay_xmpp == NULL) {
			txn_finish(t, (struct gw_outcome){ GW_PERMFAIL,
			    GW_R_NO_COMMON_PROTOCOL, 0, NULL });
			return;
		}
		if (is_own_domain(res->xmpp_to, t->rt->conf.xmpp_domain)) {
			log_warnx("txn %llu: %s is the component's own domain",
			    (unsigned long long)t->id, res->xmpp_to);
			txn_finish(t, (struct gw_outcome){ GW_PERMFAIL,
			    GW_R_LOOP, 0, NULL });
			return;
		}
		if (!keep_route(t, res->protocol, res->xmpp_to, NULL, 0))
			return;
		txn_enter_state(t, TXN_SENDING);
		t->out_proto = LOOKUP_PROTO_XMPP;
		t->out_abort = relay_xmpp->abort;
		t->attempts++;
		why = relay_xmpp->send(t, t->route->dest, NULL);
		if (why != GW_R_NONE)
			txn_finish(t, (struct gw_outcome){ why ==
			    GW_R_XMPP_DOWN ? GW_TEMPFAIL : GW_PERMFAIL, why, 0,
			    NULL });
		return;
	}
	if (is_own_domain(res->request_uri, t->rt->conf.domain)) {
		log_warnx("txn %llu: %s names imgate's own domain",
		    (unsigned long long)t->id, res->request_uri);
		txn_finish(t, (struct gw_outcome){ GW_PERMFAIL, GW_R_LOOP,
		    0, NULL });
		return;
	}
	/*
	 * A sip: URI from E2U+sip without SRV targets: one target without
	 * a port, resolved by RFC 3263 from the URI (routing/siptarget).
	 */
	if (res->ntargets == 0) {
		struct lookup_target	 one;
		struct rfc3263_uri	 u;

		if (rfc3263_parse_uri(res->request_uri, &u) != 0) {
			log_warnx("txn %llu: %s: not a usable SIP URI",
			    (unsigned long long)t->id, res->request_uri);
			free(t->route);	/* an earlier link's, if any */
			t->route = NULL;
			txn_finish(t, (struct gw_outcome){ GW_PERMFAIL,
			    GW_R_INVALID_IM_URI, 0, NULL });
			return;
		}
		memset(&one, 0, sizeof(one));
		if (!keep_route(t, res->protocol, res->request_uri, &one, 1))
			return;
	} else if (!keep_route(t, res->protocol, res->request_uri,
	    res->targets, res->ntargets))
		return;
	/* Nothing that asks for TLS goes out in clear (imgate.conf(5)). */
	if (siptarget_dest_transport(res->request_uri) == RFC3263_TP_TLS &&
	    (relay_stp.transports & RFC3263_TP_BIT(RFC3263_TP_TLS)) == 0) {
		log_warnx("txn %llu: %s needs TLS and no TLS transport is "
		    "configured (sip.tls)", (unsigned long long)t->id,
		    res->request_uri);
		txn_finish(t, (struct gw_outcome){ GW_PERMFAIL,
		    GW_R_NOT_SECURE, 0, NULL });
		return;
	}
	t->target = 0;
	try_next_target(t);
}

/* Resolve an im: URI, or run ENUM for an AUS, with @params. */
static void
start_lookup(struct gw_txn *t, const struct lookup_params *params,
    const char *input)
{
	uint64_t	 id = t->id;
	struct lookup	*lk;

	lk = lookup_start(params, relay_dnsq, input, NULL, on_route,
	    (void *)(uintptr_t)id);
	/*
	 * NULL means the lookup already completed and on_route() may have
	 * freed t: touch t only while the lookup is still in flight.
	 */
	if (lk != NULL)
		t->lookup = lk;
}

/*
 * A static target (a static route, or one link of a fallback chain):
 * "sip:HOST" carries the number as user part, "xmpp:DOMAIN" makes
 * number@DOMAIN, an im: URI goes through RFC 3861.
 */
static void
route_static(struct gw_txn *t, const char *target, const char *aus)
{
	struct lookup_result	 r;

	switch (route_static_result(target, aus, &r)) {
	case -1:
		log_warnx("txn %llu: static target \"%s\" unusable",
		    (unsigned long long)t->id, target);
		txn_finish(t, (struct gw_outcome){ GW_PERMFAIL,
		    GW_R_NO_ROUTE, 0, NULL });
		return;
	case 1:
		start_lookup(t, &t->rt->base, r.uri);
		return;
	default:
		on_route((void *)(uintptr_t)t->id, &r);
	}
}

/*
 * ENUM gave no route (or failed for now) on a route with a fallback
 * chain for that case: take the next link.  @return true when a
 * fallback was started (t may be gone by then).
 */
static bool
start_fallback(struct gw_txn *t, enum lookup_error e)
{
	const struct conf_route	*r;
	bool			 noroute, tempfail;
	int			 i;

	if (t->route_idx < 0)
		return false;
	r = &t->rt->conf.routes[t->route_idx];
	noroute = e == LOOKUP_E_ENUM_NO_DATA ||
	    e == LOOKUP_E_ENUM_NO_USABLE_RULE ||
	    e == LOOKUP_E_IM_NO_COMMON_PROTOCOL ||
	    e == LOOKUP_E_INVALID_IM_URI;
	tempfail = e == LOOKUP_E_DNS_TEMPFAIL;
	if (t->fallback_next < 0) {
		if (!((noroute && r->fallback_noroute) ||
		    (tempfail && r->fallback_tempfail)))
			return false;
		t->fallback_next = 0;
	}
	if ((size_t)t->fallback_next >= r->nfallback)
		return false;
	i = t->fallback_next++;
	log_info("txn %llu: %s; route '%s' falls back to %s",
	    (unsigned long long)t->id, lookup_strerror(e) ? lookup_strerror(e) :
	    "delivery failed", r->name, r->fallback[i]);
	route_static(t, r->fallback[i], t->aus);
	return true;
}

static const char *
source_key(const struct gw_txn *t, const struct policy_source *src,
    char *buf, size_t bufsz)
{
	if (src->proto == CONF_SRC_SIP && src->has_addr) {
		inet_ntop(src->family, src->addr, buf, (socklen_t)bufsz);
		return buf;
	}
	/* XMPP: the sender's bare JID */
	snprintf(buf, bufsz, "%.*s", (int)strcspn(t->xmpp_from != NULL ?
	    t->xmpp_from : "?", "/"), t->xmpp_from != NULL ? t->xmpp_from :
	    "?");
	return buf;
}

/*
 * ACL and rate limit: every message from outside passes here, whether it
 * is routed by number or is a reply to an escaped address.  @return false
 * when @t was answered (and freed).
 */
static bool
admit(struct gw_txn *t, const struct policy_source *src)
{
	const struct gw_conf	*c = &t->rt->conf;
	const char		*why = NULL;
	char			 key[XLATE_JID_SIZE];
	uint32_t		 retry = 0;

	snprintf(t->source, sizeof(t->source), "%s",
	    source_key(t, src, key, sizeof(key)));
	if (!policy_acl_allows(c, src, &why)) {
		/* The transaction line says "forbidden", rate-limited per
		 * source (gateway/txnlog); this says which rule. */
		log_debug("txn %llu: refused by the ACL: %s",
		    (unsigned long long)t->id, why != NULL ? why : "");
		txn_finish(t, (struct gw_outcome){ GW_PERMFAIL,
		    GW_R_FORBIDDEN, 0, NULL });
		return false;
	}
	if (relay_rl != NULL && c->ratelimit_rate > 0 &&
	    !ratelimit_take(relay_rl, source_key(t, src, key, sizeof(key)),
	    txn_now_ms(), &retry)) {
		t->retry_after_s = retry;
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_RATE_LIMITED, 0, NULL });
		return false;
	}
	return true;
}

/*
 * Dial plan, routes, then ENUM, a static target or a refusal.  A message
 * from outside (@spooled false) whose route is store-and-forward goes to
 * the spool instead; a spool delivery (@spooled) is forwarded.
 */
static void
route_message(struct gw_txn *t, const struct policy_source *src,
    bool spooled)
{
	const struct gw_runtime	*rt = t->rt;
	const struct gw_conf	*c = &rt->conf;
	struct route_decision	 d;

	route_decide(c, rt->base.input_forms, rt->base.max_digits, t->dest,
	    src, &d);
	t->route_idx = d.route;
	snprintf(t->aus, sizeof(t->aus), "%s", d.aus);
	if (log_enabled(LOG_L_DEBUG))
		log_debug("txn %llu: %s%s%s: %s", (unsigned long long)t->id,
		    t->dest, d.dialplan >= 0 ? " -> " : "",
		    d.dialplan >= 0 ? d.aus : "", d.why);
	switch (d.verdict) {
	case ROUTE_BAD_NUMBER:
		txn_finish(t, status_from_lookup(d.number_status ==
		    E164_NOT_E164 ? LOOKUP_E_NOT_E164 : d.number_status ==
		    E164_TOO_LONG ? LOOKUP_E_NUMBER_TOO_LONG :
		    LOOKUP_E_INVALID_NUMBER));
		return;
	case ROUTE_NO_MATCH:
		log_warnx("txn %llu: %s", (unsigned long long)t->id, d.why);
		txn_finish(t, (struct gw_outcome){ GW_PERMFAIL,
		    GW_R_NO_ROUTE, 0, NULL });
		return;
	case ROUTE_DENY:
		log_warnx("txn %llu: %s", (unsigned long long)t->id, d.why);
		txn_finish(t, (struct gw_outcome){ GW_PERMFAIL, GW_R_DENIED,
		    d.deny_status, NULL });
		return;
	case ROUTE_STATIC:
	case ROUTE_ENUM:
		break;
	}
	/* A notification (IMDN, isComposing) late is worth nothing: it is
	 * relayed now or not at all, never stored (docs/ARCHITECTURE.md). */
	if (!spooled && d.route >= 0 && c->routes[d.route].mode ==
	    CONF_MODE_SAF) {
		if (!xlate_is_notification(t->content_type, t->body,
		    t->body_len)) {
			if (relay_store != NULL)
				relay_store(t, src);
			else
				txn_finish(t, (struct gw_outcome){
				    GW_TEMPFAIL, GW_R_SPOOL_ERROR, 0, NULL,
				    false });
			return;
		}
		log_debug("txn %llu: a notification: relayed, not stored",
		    (unsigned long long)t->id);
	}
	if (d.verdict == ROUTE_STATIC)
		route_static(t, c->routes[d.route].target, d.aus);
	else
		start_lookup(t, d.route >= 0 ? &rt->route[d.route] :
		    &rt->base, d.aus);
}

void
relay_submit(struct gw_txn *t, const struct policy_source *src)
{
	txn_enter_state(t, TXN_ROUTING);
	txn_set_deadline(t, (uint64_t)t->rt->conf.txn_deadline_ms,
	    on_deadline);
	if (!admit(t, src))
		return;
	route_message(t, src, false);
}

void
relay_submit_handed(struct gw_txn *t, const struct policy_source *src)
{
	txn_enter_state(t, TXN_ROUTING);
	txn_set_deadline(t, (uint64_t)t->rt->conf.txn_deadline_ms,
	    on_deadline);
	route_message(t, src, false);
}

void
relay_resubmit(struct gw_txn *t, const struct policy_source *src)
{
	txn_enter_state(t, TXN_ROUTING);
	txn_set_deadline(t, (uint64_t)t->rt->conf.txn_deadline_ms,
	    on_deadline);
	route_message(t, src, true);
}

void
relay_resubmit_direct(struct gw_txn *t, enum lookup_proto proto,
    const char *dest)
{
	struct lookup_result	 r;

	route_direct_result(&r, proto, dest, NULL, 0, NULL);
	txn_enter_state(t, TXN_ROUTING);
	txn_set_deadline(t, (uint64_t)t->rt->conf.txn_deadline_ms,
	    on_deadline);
	on_route((void *)(uintptr_t)t->id, &r);
}

const struct siptarget_params *
relay_siptarget_params(void)
{
	return &relay_stp;
}

void
relay_fini(void)
{
	ratelimit_free(relay_rl);
	relay_rl = NULL;
}

/* Sources remembered by the limiter (memory is taken at creation). */
#define RELAY_RATELIMIT_KEYS	10000

void
relay_reconfigure(const struct gw_conf *c)
{
	if (relay_seed == 0)
		relay_seed = setup_seed();
	setup_siptarget_params(c, &relay_stp);
	relay_stp.rngarg = &relay_seed;
	/* Created on first use: no memory for a limiter that is off. */
	if (relay_rl == NULL && c->ratelimit_rate > 0)
		relay_rl = ratelimit_new((double)c->ratelimit_rate,
		    (double)c->ratelimit_burst, RELAY_RATELIMIT_KEYS);
	else if (relay_rl != NULL)
		ratelimit_set(relay_rl, (double)c->ratelimit_rate,
		    (double)c->ratelimit_burst);
}

void
relay_submit_direct(struct gw_txn *t, const struct policy_source *src,
    enum lookup_proto proto, const char *dest)
{
	struct lookup_result	 r;

	route_direct_result(&r, proto, dest, NULL, 0, NULL);
	txn_enter_state(t, TXN_ROUTING);
	txn_set_deadline(t, (uint64_t)t->rt->conf.txn_deadline_ms,
	    on_deadline);
	if (!admit(t, src))
		return;
	on_route((void *)(uintptr_t)t->id, &r);
}

void
relay_attempt_done(struct gw_txn *t, struct gw_outcome o)
{
	/* The edge reports the attempt it ran: nothing left to drop. */
	t->out_abort = NULL;
	if (t->out_proto == LOOKUP_PROTO_SIP && o.retry_elsewhere) {
		/* No answer or transport failure: the next server may do. */
		if (more_to_try(t)) {
			struct gw_reply	 r;

			/* The log says it in SIP's words, as the hop
			 * spoke them (gateway/status maps it). */
			status_reply(&o, &r);
			log_info("txn %llu: %s (%s) gave %d, trying the next "
			    "hop", (unsigned long long)t->id, t->next_hop,
			    rfc3263_strtransport(t->next_transport),
			    r.sip_code);
			try_next_hop(t);
			return;
		}
		/* ...and a fallback chain in progress its next link. */
		if (t->fallback_next >= 0 &&
		    start_fallback(t, LOOKUP_E_DNS_TEMPFAIL))
			return;
	}
	txn_finish(t, o);
}
