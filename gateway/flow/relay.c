/*
 * gateway/flow/relay.c - route, forward, answer: the transaction's life.
 *
 * relay_submit() opens a routing/resolve session (t->resolve) with the
 * transaction id as the callback argument: the policy, a static target
 * or ENUM, the route's fallback links, the last checks, all decided
 * there, in the same code imgate-lookup runs.  On a route: SIP
 * destinations are tried target by target in RFC 2782 order (at least
 * two, RFC 3861 6); the session locates each target's hops (transport,
 * address) through routing/siptarget, the RFC 3263 client, on the same
 * cached resolver (an E2U+sip URI is one target located from the URI
 * itself), then the outbound side sends through each hop in turn.  A
 * hop that does not answer in time or whose transport fails (the edge's
 * outcome says retry_elsewhere: for SIP a 408 or 503, gateway/status)
 * makes the relay try the next hop, then the next target; any other
 * answer is final and goes back to the sender as it is.  When every
 * target of a fallback link has failed, the session takes the chain's
 * next link.  The transaction deadline bounds the whole thing below SIP
 * Timer F.
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

#include "enum/iptext.h"
#include "enum/strcopy.h"
#include "gateway/flow/relay.h"
#include "gateway/log.h"
#include "gateway/runtime.h"
#include "gateway/xlate/xlate.h"
#include "gateway/xlate/xlate_imdn.h"
#include "routing/ratelimit.h"
#include "routing/resolve.h"
#include "routing/route.h"

static const struct dnsq_ops		*relay_dnsq;
static relay_store_fn			*relay_store;
static const struct relay_side		*relay_sip;
static const struct relay_side		*relay_xmpp;

static void	try_next_target(struct gw_txn *);
static void	try_next_hop(struct gw_txn *);
static void	on_deadline(struct gw_txn *);
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
	t->out_proto = PROTO_SIP;
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
	if (t->state == TXN_SENDING && t->out_proto == PROTO_SIP &&
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

/*
 * "IP:PORT", "[IPv6]:PORT": what snprintf("%s:%u") wrote, by hand (once
 * per hop of every message); @addr always has room (gateway/flow/txn.h).
 */
static void
hop_addr(char *addr, size_t addrsz, const struct siptarget_hop *h)
{
	size_t	 n = 0;
	bool	 v6 = h->family == AF_INET6;

	addr[0] = '\0';
	(void)((v6 && str_append(addr, addrsz, &n, "[", 1) != 0) ||
	    str_append_s(addr, addrsz, &n, h->ip) != 0 ||
	    str_append_s(addr, addrsz, &n, v6 ? "]:" : ":") != 0 ||
	    str_append_u(addr, addrsz, &n, h->port) != 0);
}

/* The hops of the current target are known: try them in order. */
static void
on_hops(struct gw_txn *t, const struct resolve_result *rr)
{
	const struct siptarget_result	*res = rr->hops;

	if (t->state != TXN_RESOLVING)
		return;		/* not waiting for these */
	if (res->error == SIPTARGET_OK && res->nhops > 0) {
		size_t	 len = res->nhops * sizeof(*t->hops);

		/* One block: the hops, then their host names. */
		for (size_t i = 0; i < res->nhops; i++)
			len += strlen(res->hops[i].host) + 3;
		t->hops = calloc(1, len);
	}
	if (res->error != SIPTARGET_OK || res->nhops == 0 || t->hops == NULL) {
		log_info("txn %llu: target %zu: no address (%s)",
		    (unsigned long long)t->id, rr->target + 1,
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
			hop_addr(t->hops[i].addr, sizeof(t->hops[i].addr), h);
			/* An IPv6 literal is named as in a URI: bracketed. */
			if (strchr(h->host, ':') != NULL) {
				size_t	 n = 0;

				p[0] = '\0';
				(void)(str_append(p, hl, &n, "[", 1) != 0 ||
				    str_append(p, hl, &n, h->host, hl - 3) !=
				    0 || str_append(p, hl, &n, "]", 1) != 0);
			} else
				str_copy(p, hl, h->host);
			t->hops[i].host = p;
			p += hl;
			log_debug("txn %llu: target %zu hop %zu: %s %s (%s)",
			    (unsigned long long)t->id, rr->target + 1, i + 1,
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
	str_copy(t->next_hop, sizeof(t->next_hop), h->addr);
	t->next_transport = h->transport;
	start_sip_attempt(t);
}

/* Another hop or target is left to try after a failed attempt. */
static bool
more_to_try(const struct gw_txn *t)
{
	return t->hop < t->nhops || (t->resolve != NULL &&
	    resolve_more_targets(t->resolve));
}

/*
 * The next target's hops (routing/resolve walks the targets); when none
 * is left, the next link of a fallback chain in progress, else the end.
 */
static void
try_next_target(struct gw_txn *t)
{
	struct gw_outcome	 o = { GW_TEMPFAIL, GW_R_TARGET_UNREACHABLE,
	    0, NULL };

	free(t->hops);
	t->hops = NULL;
	t->nhops = t->hop = 0;
	/* Set before: the hops may be known before the call returns. */
	txn_enter_state(t, TXN_RESOLVING);
	if (t->resolve != NULL && resolve_next_target(t->resolve))
		return;		/* on_hops() follows; t may be gone */
	if (t->looped)
		o = (struct gw_outcome){ GW_PERMFAIL, GW_R_LOOP, 0, NULL };
	txn_enter_state(t, TXN_ROUTING);
	if (t->resolve != NULL && resolve_next_link(t->resolve, LOOKUP_OK))
		return;		/* on_route() follows; t may be gone */
	txn_finish(t, o);
}

/* Replace t->route; false (and the sender answered) without memory. */
static bool
keep_route(struct gw_txn *t, enum proto proto, const char *dest,
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

/* What the decision refused or failed with, as the sender's outcome. */
static struct gw_outcome
route_outcome(struct gw_txn *t, const struct resolve_result *rr)
{
	const struct lookup_result	*res = rr->res;
	unsigned long long		 id = (unsigned long long)t->id;

	switch (rr->outcome) {
	case RESOLVE_ROUTED:
		break;
	case RESOLVE_BAD_NUMBER:
	case RESOLVE_LOOKUP_FAILED:
		/* Say which URI was unusable (a bad IDNA label, say). */
		if (res->error == LOOKUP_E_INVALID_IM_URI &&
		    res->uri[0] != '\0')
			log_warnx("txn %llu: ENUM gave %s: not a usable URI "
			    "(syntax or IDNA)", id, res->uri);
		return status_from_lookup(res->error);
	case RESOLVE_NO_MATCH:
		log_warnx("txn %llu: %s", id, rr->dec->why);
		return (struct gw_outcome){ GW_PERMFAIL, GW_R_NO_ROUTE, 0,
		    NULL };
	case RESOLVE_DENIED:
		log_warnx("txn %llu: %s", id, rr->dec->why);
		return (struct gw_outcome){ GW_PERMFAIL, GW_R_DENIED,
		    rr->dec->deny_status, NULL };
	case RESOLVE_STATIC_UNUSABLE:
		log_warnx("txn %llu: static target \"%s\" unusable", id,
		    rr->link_target != NULL ? rr->link_target :
		    t->rt->conf.routes[rr->dec->route].target.text);
		return (struct gw_outcome){ GW_PERMFAIL, GW_R_NO_ROUTE, 0,
		    NULL };
	case RESOLVE_LOOP:
		if (res->protocol == PROTO_XMPP)
			log_warnx("txn %llu: %s is the component's own domain",
			    id, res->xmpp_to);
		else
			log_warnx("txn %llu: %s names imgate's own domain",
			    id, res->request_uri);
		return (struct gw_outcome){ GW_PERMFAIL, GW_R_LOOP, 0, NULL };
	case RESOLVE_NOT_SECURE:
		log_warnx("txn %llu: %s needs TLS and no TLS transport is "
		    "configured (sip.tls)", id, res->request_uri);
		return (struct gw_outcome){ GW_PERMFAIL, GW_R_NOT_SECURE, 0,
		    NULL };
	case RESOLVE_NO_XMPP:
		return (struct gw_outcome){ GW_PERMFAIL,
		    GW_R_NO_COMMON_PROTOCOL, 0, NULL };
	case RESOLVE_BAD_SIP_URI:
		log_warnx("txn %llu: %s: not a usable SIP URI", id,
		    res->request_uri);
		return (struct gw_outcome){ GW_PERMFAIL, GW_R_INVALID_IM_URI,
		    0, NULL };
	case RESOLVE_NOMEM:
		break;
	}
	return (struct gw_outcome){ GW_TEMPFAIL, GW_R_OVERLOAD, 0, NULL };
}

/* Count a lookup's result (the observer, gateway/flow/txn.h). */
static void
lookup_done(enum lookup_error e)
{
	if (txn_observer()->lookup_done != NULL)
		txn_observer()->lookup_done(e);
}

/* A decision (routing/resolve): refuse, or forward to its side. */
static void
on_route(struct gw_txn *t, const struct resolve_result *rr)
{
	const struct lookup_result	*res = rr->res;
	const struct conf_route		*route = rr->dec->route >= 0 ?
	    &t->rt->conf.routes[rr->dec->route] : NULL;

	/* Every lookup counts once, those of the links before too; each
	 * link taken is logged with what made the route fall back. */
	for (size_t i = rr->new_tries; i < rr->ntries; i++) {
		const struct resolve_try *y = &rr->tries[i];
		int	 next = i + 1 < rr->ntries ? rr->tries[i + 1].link :
		    rr->link;

		/* (the last failed lookup is res, counted below) */
		if (y->error != LOOKUP_OK && !(i + 1 == rr->ntries &&
		    rr->outcome == RESOLVE_LOOKUP_FAILED))
			lookup_done(y->error);
		if (route != NULL && next > y->link)
			log_info("txn %llu: %s; route '%s' falls back to %s",
			    (unsigned long long)t->id,
			    lookup_strerror(y->error) != NULL ?
			    lookup_strerror(y->error) : "delivery failed",
			    route->name, route->fallback[next].text);
	}
	t->fallback_link = rr->link;
	if (rr->outcome != RESOLVE_BAD_NUMBER &&
	    rr->outcome != RESOLVE_NO_MATCH && rr->outcome != RESOLVE_DENIED &&
	    rr->outcome != RESOLVE_STATIC_UNUSABLE &&
	    rr->outcome != RESOLVE_NOMEM)
		lookup_done(res->error);
	if (rr->outcome != RESOLVE_ROUTED) {
		/* No destination: an earlier link's is not this outcome's
		 * (the transaction log names none, as imgate-lookup does). */
		free(t->route);
		t->route = NULL;
		txn_finish(t, route_outcome(t, rr));
		return;
	}
	log_info("txn %llu: %s -> %s%s%s -> %s %s", (unsigned long long)t->id,
	    t->dest, res->aus[0] ? res->aus : "", res->aus[0] ? " -> " : "",
	    res->uri[0] ? res->uri : "-", lookup_strproto(res->protocol),
	    res->protocol == PROTO_SIP ? res->request_uri :
	    res->xmpp_to);
	if (res->protocol == PROTO_XMPP) {
		enum gw_reason	 why;

		if (!keep_route(t, res->protocol, res->xmpp_to, NULL, 0))
			return;
		txn_enter_state(t, TXN_SENDING);
		t->out_proto = PROTO_XMPP;
		t->out_abort = relay_xmpp->abort;
		t->attempts++;
		why = relay_xmpp->send(t, t->route->dest, NULL);
		if (why != GW_R_NONE)
			txn_finish(t, (struct gw_outcome){ why ==
			    GW_R_XMPP_DOWN ? GW_TEMPFAIL : GW_PERMFAIL, why, 0,
			    NULL });
		return;
	}
	if (!keep_route(t, res->protocol, res->request_uri, res->targets,
	    res->ntargets))
		return;
	try_next_target(t);
}

/* Every event of t->resolve; the argument is the transaction's id. */
static void
on_resolve(void *arg, struct resolve *rs, const struct resolve_result *rr)
{
	struct gw_txn	*t = txn_get((uint64_t)(uintptr_t)arg);

	(void)rs;
	if (t == NULL)
		return;		/* cannot happen: txn_free() cancels */
	if (rr->event == RESOLVE_EV_HOPS)
		on_hops(t, rr);
	else
		on_route(t, rr);
}

/* What t's decision is made with: its runtime, the relay's sides. */
static void
resolve_params_of(const struct gw_txn *t, struct resolve_params *p)
{
	p->conf = &t->rt->conf;
	p->base = &t->rt->base;
	p->per_route = t->rt->route;
	p->sip = &relay_stp;
	p->xmpp = relay_xmpp != NULL;
	p->uri_input = false;
	p->trace = NULL;
}

/* Resolve t->resolve (already set): the decision comes to on_route(). */
static void
start_resolve(struct gw_txn *t)
{
	/* t may be gone when this returns (a refusal, a static target). */
	resolve_start(t->resolve);
}

/* A direct destination: no policy, the same last checks and walk. */
static void
route_direct(struct gw_txn *t, enum proto proto, const char *dest)
{
	struct resolve_params	 p;

	resolve_params_of(t, &p);
	t->resolve = resolve_new_direct(&p, relay_dnsq, proto, dest,
	    on_resolve, (void *)(uintptr_t)t->id);
	if (t->resolve == NULL) {
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_OVERLOAD, 0, NULL });
		return;
	}
	start_resolve(t);
}

static const char *
source_key(const struct gw_txn *t, const struct policy_source *src,
    char *buf, size_t bufsz)
{
	const char	*from = t->xmpp_from != NULL ? t->xmpp_from : "?";
	size_t		 n;

	/* Written by hand, as inet_ntop() and "%.*s" would: once per
	 * message (enum/iptext.h). */
	if (src->proto == PROTO_SIP && src->has_addr) {
		iptext_fmt(src->family, src->addr, buf, bufsz);
		return buf;
	}
	/* XMPP: the sender's bare JID */
	n = strcspn(from, "/");
	if (bufsz > 0) {
		if (n >= bufsz)
			n = bufsz - 1;
		memcpy(buf, from, n);
		buf[n] = '\0';
	}
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

	str_copy(t->source, sizeof(t->source),
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
	    !ratelimit_take(relay_rl, key,
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
	const struct gw_conf		*c = &t->rt->conf;
	const struct route_decision	*d;
	struct resolve_params		 p;

	resolve_params_of(t, &p);
	t->resolve = resolve_new(&p, relay_dnsq, t->dest, src,
	    on_resolve, (void *)(uintptr_t)t->id);
	if (t->resolve == NULL) {
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_OVERLOAD, 0, NULL });
		return;
	}
	d = resolve_decision(t->resolve);
	t->route_idx = d->route;
	str_copy(t->aus, sizeof(t->aus), d->aus);
	if (log_enabled(LOG_L_DEBUG))
		log_debug("txn %llu: %s%s%s: %s", (unsigned long long)t->id,
		    t->dest, d->dialplan >= 0 ? " -> " : "",
		    d->dialplan >= 0 ? d->aus : "", d->why);
	/* A notification (IMDN, isComposing) late is worth nothing: it is
	 * relayed now or not at all, never stored (docs/ARCHITECTURE.md,
	 * "Store-and-forward"). */
	if (!spooled && (d->verdict == ROUTE_STATIC ||
	    d->verdict == ROUTE_ENUM) && d->route >= 0 &&
	    c->routes[d->route].mode == CONF_MODE_SAF) {
		if (!xlate_is_notification(t->content_type, t->body,
		    t->body_len)) {
			/* The delivery decides again, under its runtime. */
			resolve_cancel(t->resolve);
			t->resolve = NULL;
			/* The spool, or the handoff to the worker that
			 * owns it (relay_init()). */
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
	/* Refusals too come back through on_route(), as data. */
	start_resolve(t);
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
relay_resubmit_direct(struct gw_txn *t, enum proto proto,
    const char *dest)
{
	txn_enter_state(t, TXN_ROUTING);
	txn_set_deadline(t, (uint64_t)t->rt->conf.txn_deadline_ms,
	    on_deadline);
	route_direct(t, proto, dest);
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
		relay_seed = runtime_seed();
	runtime_siptarget_params(c, &relay_stp);
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
    enum proto proto, const char *dest)
{
	txn_enter_state(t, TXN_ROUTING);
	txn_set_deadline(t, (uint64_t)t->rt->conf.txn_deadline_ms,
	    on_deadline);
	if (!admit(t, src))
		return;
	route_direct(t, proto, dest);
}

void
relay_attempt_done(struct gw_txn *t, struct gw_outcome o)
{
	/* The edge reports the attempt it ran: nothing left to drop. */
	t->out_abort = NULL;
	if (t->out_proto == PROTO_SIP && o.retry_elsewhere) {
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
		if (t->resolve != NULL &&
		    resolve_next_link(t->resolve, LOOKUP_OK))
			return;
	}
	txn_finish(t, o);
}
