/*
 * routing/siptarget.c - RFC 3263 client: URI -> NAPTR -> SRV -> AAAA/A.
 *
 * A small state machine over struct dnsq_ops, built like routing/lookup:
 * one query in flight at a time, the answer consumed inside the callback
 * (it is borrowed, and may come before query() returns on a cache hit),
 * run() guarded against re-entry, cancellation only marks the object
 * while a query is in flight.  The whole list of hops is built before the
 * first send: at most SIPTARGET_MAX_QUERIES questions, all of them cached
 * by gateway/dns, and the relay then fails over along the list without
 * asking again.
 *
 * The steps (routing/rfc3263 decides which apply):
 *  - NAPTR on the host; the records naming a transport imgate speaks give
 *    the SRV owners, in order/preference order.  No usable record (or no
 *    answer): the SRV owners of every transport imgate speaks, UDP, TCP,
 *    TLS in that order (only _sips._tcp for sips:).
 *  - SRV per owner, ordered by RFC 2782 (routing/rfc3861), at most
 *    max_targets per owner.  No SRV at all: the host itself, on port
 *    5060 (5061 for TLS), UDP (TLS for sips:).
 *  - AAAA and A per target, both asked; the family the listener has is
 *    put first (prefer_v6), the other follows as failover.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "enum/ipparse.h"
#include "enum/iptext.h"
#include "enum/strcopy.h"
#include "routing/siptarget.h"

#define MAX_SRV		6	/* SRV owners asked for one URI */

enum siptarget_phase { PH_NAPTR, PH_SRV, PH_ADDR, PH_DONE };

struct st_srv {
	enum rfc3263_transport	 tp;
	bool			 naptr;
	char			 owner[DNSMSG_NAME_MAX];
};

struct st_target {
	enum rfc3263_transport	 tp;
	bool			 naptr, srv;
	uint16_t		 port, priority, weight;
	char			 host[DNSMSG_NAME_MAX];
};

struct siptarget {
	const struct siptarget_params	*params;
	const struct dnsq_ops		*ops;
	siptarget_done_cb		*cb;
	void				*arg;
	enum siptarget_phase		 phase;
	bool				 waiting, running, cancelled;
	bool				 any_tempfail;
	bool				*completed;
	struct st_srv			 srv[MAX_SRV];
	size_t				 nsrv, srv_idx;
	struct st_target		 tg[SIPTARGET_MAX_HOPS];
	size_t				 ntg, tg_idx;
	unsigned			 fam_idx;	/* 0, 1: family */
	/* the target whose normalised host qname holds (both families
	 * ask the same name), or SIZE_MAX */
	size_t				 qname_tg;
	char				 qname[DNSMSG_NAME_MAX];
	uint16_t			 qtype;
	struct siptarget_result		 res;
};

static void	run(struct siptarget *);

const char *
siptarget_strerror(enum siptarget_error e)
{
	switch (e) {
	case SIPTARGET_OK:
		return NULL;
	case SIPTARGET_E_INVALID_URI:
		return "E_SIP_INVALID_URI";
	case SIPTARGET_E_NO_TARGET:
		return "E_SIP_NO_TARGET";
	case SIPTARGET_E_TEMPFAIL:
		return "E_DNS_TEMPFAIL";
	}
	return "E_UNKNOWN";
}

int
siptarget_uri(const char *host, uint16_t port, enum rfc3263_transport tp,
    char *out, size_t outsz)
{
	bool		 v6 = strchr(host, ':') != NULL && host[0] != '[';
	const char	*tps = rfc3263_strtransport(tp);
	size_t		 len = 0;

	/* Written by hand: once per target and hop of every message. */
	if (str_append(out, outsz, &len, "sip:[", v6 ? 5 : 4) != 0 ||
	    str_append_s(out, outsz, &len, host) != 0 ||
	    (v6 && str_append(out, outsz, &len, "]", 1) != 0) ||
	    str_append(out, outsz, &len, ":", 1) != 0 ||
	    str_append_u(out, outsz, &len, port) != 0 ||
	    (tps != NULL && (str_append_s(out, outsz, &len,
	    ";transport=") != 0 ||
	    str_append_s(out, outsz, &len, tps) != 0)))
		return -1;
	return 0;
}

enum rfc3263_transport
siptarget_dest_transport(const char *dest)
{
	struct rfc3263_uri	 u;

	if (rfc3263_parse_uri(dest, &u) != 0)
		return RFC3263_TP_NONE;
	return u.secure ? RFC3263_TP_TLS : u.transport;
}

const char *
siptarget_strtype(uint16_t qtype)
{
	switch (qtype) {
	case DNSMSG_T_NAPTR:
		return "NAPTR";
	case DNSMSG_T_SRV:
		return "SRV";
	case DNSMSG_T_A:
		return "A";
	case DNSMSG_T_AAAA:
		return "AAAA";
	}
	return "?";
}

static bool
allowed(const struct siptarget *st, enum rfc3263_transport tp)
{
	return (st->params->transports & RFC3263_TP_BIT(tp)) != 0;
}

static void
add_srv(struct siptarget *st, enum rfc3263_transport tp, bool naptr,
    const char *owner)
{
	struct st_srv	*s;

	if (st->nsrv >= MAX_SRV)
		return;
	for (size_t i = 0; i < st->nsrv; i++)
		if (st->srv[i].tp == tp && strcmp(st->srv[i].owner, owner) ==
		    0)
			return;
	s = &st->srv[st->nsrv];
	if (naptr) {
		if (dnsmsg_name_normalize(owner, s->owner, sizeof(s->owner))
		    != 0)
			return;
	} else if (rfc3263_srv_owner(tp, owner, s->owner, sizeof(s->owner))
	    != 0)
		return;
	s->tp = tp;
	s->naptr = naptr;
	st->nsrv++;
}

static void
add_target(struct siptarget *st, enum rfc3263_transport tp, const char *host,
    uint16_t port, const struct srv_rr *rr, bool naptr)
{
	struct st_target	*t;

	if (st->ntg >= SIPTARGET_MAX_HOPS)
		return;
	t = &st->tg[st->ntg++];
	t->tp = tp;
	t->naptr = naptr;
	t->srv = rr != NULL;
	t->port = port;
	t->priority = rr != NULL ? rr->priority : 0;
	t->weight = rr != NULL ? rr->weight : 0;
	str_copy(t->host, sizeof(t->host), host);
}

/* The host itself, when no SRV names a server (RFC 3263 4.2). */
static void
host_target(struct siptarget *st)
{
	const struct siptarget_result	*r = &st->res;
	enum rfc3263_transport		 tp = r->plan.transport;

	if (tp == RFC3263_TP_NONE)
		tp = r->uri.secure ? RFC3263_TP_TLS :
		    allowed(st, RFC3263_TP_UDP) ? RFC3263_TP_UDP :
		    RFC3263_TP_TCP;
	if (!allowed(st, tp))
		return;
	add_target(st, tp, r->uri.host, r->plan.port != 0 ? r->plan.port :
	    rfc3263_default_port(tp), NULL, false);
}

/* Every SRV owner asked: the targets' addresses come next. */
static void
enter_addr(struct siptarget *st)
{
	if (st->ntg == 0)
		host_target(st);
	st->phase = PH_ADDR;
	st->tg_idx = 0;
	st->fam_idx = 0;
}

static void
default_srv(struct siptarget *st)
{
	static const enum rfc3263_transport order[] = { RFC3263_TP_UDP,
	    RFC3263_TP_TCP, RFC3263_TP_TLS };

	for (size_t i = 0; i < 3; i++)
		if (allowed(st, order[i]) && (!st->res.uri.secure ||
		    order[i] == RFC3263_TP_TLS))
			add_srv(st, order[i], false, st->res.uri.host);
}

static void
naptr_answer(struct siptarget *st, const struct dnsq_result *res)
{
	struct rfc3263_naptr	 sel[MAX_SRV];
	size_t			 n = 0;

	if (res->status == DNSQ_TEMPFAIL)
		st->any_tempfail = true;
	if (res->status == DNSQ_OK && res->ans != NULL)
		n = rfc3263_naptr_select(res->ans->naptr, res->ans->nnaptr,
		    st->res.uri.secure, st->params->transports, sel, MAX_SRV);
	for (size_t i = 0; i < n; i++)
		add_srv(st, sel[i].transport, true, sel[i].srv_owner);
	/* RFC 3263 4.1: no (usable) NAPTR: SRV for each transport. */
	if (st->nsrv == 0)
		default_srv(st);
	st->phase = PH_SRV;
	st->srv_idx = 0;
}

static void
srv_answer(struct siptarget *st, const struct dnsq_result *res)
{
	const struct dnsmsg_answer	*a = res->ans;
	const struct st_srv		*s = &st->srv[st->srv_idx++];
	const struct srv_rr		*order[SIPTARGET_MAX_HOPS];
	size_t				 n, max = st->params->max_targets;

	if (res->status == DNSQ_TEMPFAIL)
		st->any_tempfail = true;
	if (res->status == DNSQ_OK && a != NULL && a->nsrv > 0 &&
	    !rfc3861_not_offered(a->srv, a->nsrv)) {
		if (max == 0 || max > SIPTARGET_MAX_HOPS)
			max = SIPTARGET_MAX_HOPS;
		n = rfc3861_order(a->srv, a->nsrv, st->params->rng,
		    st->params->rngarg, order, max);
		for (size_t i = 0; i < n; i++)
			add_target(st, s->tp, order[i]->target,
			    order[i]->port, order[i], s->naptr);
	}
	if (st->srv_idx >= st->nsrv)
		enter_addr(st);
}

static uint16_t
family_qtype(const struct siptarget *st)
{
	bool	 v6 = st->params->prefer_v6 ? st->fam_idx == 0 :
	    st->fam_idx == 1;

	return v6 ? DNSMSG_T_AAAA : DNSMSG_T_A;
}

static void
add_hop(struct siptarget *st, const struct st_target *t, int family,
    const void *bytes)
{
	struct siptarget_result	*r = &st->res;
	struct siptarget_hop	*h;

	if (r->nhops >= SIPTARGET_MAX_HOPS)
		return;
	h = &r->hops[r->nhops];
	/* By hand, the text inet_ntop() writes (enum/iptext.h). */
	if (iptext_fmt(family, bytes, h->ip, sizeof(h->ip)) == 0)
		return;
	h->transport = t->tp;
	str_copy(h->host, sizeof(h->host), t->host);
	h->port = t->port;
	h->priority = t->priority;
	h->weight = t->weight;
	h->family = family;
	h->via_naptr = t->naptr;
	h->via_srv = t->srv;
	r->nhops++;
}

static void
next_family(struct siptarget *st)
{
	if (++st->fam_idx >= 2) {
		st->fam_idx = 0;
		st->tg_idx++;
	}
	if (st->tg_idx >= st->ntg)
		st->phase = PH_DONE;
}

static void
addr_answer(struct siptarget *st, const struct dnsq_result *res)
{
	const struct dnsmsg_answer	*a = res->ans;
	int				 fam = st->qtype == DNSMSG_T_AAAA ?
	    AF_INET6 : AF_INET;

	if (res->status == DNSQ_TEMPFAIL)
		st->any_tempfail = true;
	if (res->status == DNSQ_OK && a != NULL)
		for (size_t i = 0; i < a->naddr; i++)
			if (a->addr[i].family == fam)
				add_hop(st, &st->tg[st->tg_idx], fam,
				    a->addr[i].bytes);
	next_family(st);
}

static void
note_query(struct siptarget *st, const struct dnsq_result *res)
{
	struct siptarget_result	*r = &st->res;
	struct siptarget_query	*q;
	size_t			 n = 0, len = 0;
	char			 num[24];

	if (r->nqueries >= SIPTARGET_MAX_QUERIES)
		return;
	q = &r->queries[r->nqueries++];
	str_copy(q->name, sizeof(q->name), st->qname);
	q->qtype = st->qtype;
	if (res->ans != NULL)
		n = st->qtype == DNSMSG_T_NAPTR ? res->ans->nnaptr :
		    st->qtype == DNSMSG_T_SRV ? res->ans->nsrv :
		    res->ans->naddr;
	switch (res->status) {
	case DNSQ_OK:
		/* "%zu record%s" by hand: a query or more per message. */
		num[0] = '\0';
		(void)str_append_u(num, sizeof(num), &len, n);
		str_join(q->outcome, sizeof(q->outcome), (const char *const [])
		    { num, n == 1 ? " record" : " records" }, 2);
		break;
	case DNSQ_NODATA:
		str_copy(q->outcome, sizeof(q->outcome), "NODATA");
		break;
	case DNSQ_NXDOMAIN:
		str_copy(q->outcome, sizeof(q->outcome), "NXDOMAIN");
		break;
	case DNSQ_TEMPFAIL:
		str_copy(q->outcome, sizeof(q->outcome), "TEMPFAIL");
		if (r->failure_ttl < 0 || (res->failure_ttl >= 0 &&
		    res->failure_ttl < r->failure_ttl))
			r->failure_ttl = res->failure_ttl;
		break;
	}
}

static void
on_answer(void *arg, const struct dnsq_result *res)
{
	struct siptarget	*st = arg;

	st->waiting = false;
	if (st->cancelled) {
		free(st);
		return;
	}
	note_query(st, res);
	switch (st->phase) {
	case PH_NAPTR:
		naptr_answer(st, res);
		break;
	case PH_SRV:
		srv_answer(st, res);
		break;
	case PH_ADDR:
		addr_answer(st, res);
		break;
	case PH_DONE:
		break;
	}
	if (!st->running)
		run(st);
}

static void
issue(struct siptarget *st)
{
	struct dnsq_result	 fail = { .status = DNSQ_TEMPFAIL,
	    .failure_ttl = 0, .rcode = -1, .negative_ttl = -1 };
	unsigned		 max = st->params->max_queries;

	if (max == 0 || max > SIPTARGET_MAX_QUERIES)
		max = SIPTARGET_MAX_QUERIES;
	st->waiting = true;
	if (st->res.nqueries >= max) {
		fail.why = "query limit";
		on_answer(st, &fail);
		return;
	}
	if (st->ops->query(st->ops->ctx, st->qname, st->qtype, on_answer,
	    st) != 0) {
		fail.why = "query refused";
		on_answer(st, &fail);
	}
}

/*
 * A target that is an IP literal needs no question.  enum/ipparse reads
 * inet_pton(3)'s grammar for both families in one call, in place (no
 * copy to drop a final dot), once per target and family of every
 * message.
 */
static bool
literal_target(struct siptarget *st)
{
	const struct st_target	*t = &st->tg[st->tg_idx];
	uint8_t			 buf[16];
	size_t			 n = strlen(t->host);
	int			 fam;

	if (n > 0 && t->host[n - 1] == '.')
		n--;
	if ((fam = ipparse_addr(t->host, n, buf)) == 0)
		return false;
	if (family_qtype(st) == (fam == AF_INET6 ? DNSMSG_T_AAAA :
	    DNSMSG_T_A))
		add_hop(st, t, fam, buf);
	next_family(st);
	return true;
}

static void
run(struct siptarget *st)
{
	struct siptarget_result	*r = &st->res;

	st->running = true;
	while (!st->waiting && st->phase != PH_DONE) {
		switch (st->phase) {
		case PH_NAPTR:
			str_join(st->qname, sizeof(st->qname),
			    (const char *const []){ r->uri.host, "." }, 2);
			st->qtype = DNSMSG_T_NAPTR;
			issue(st);
			break;
		case PH_SRV:
			if (st->srv_idx >= st->nsrv) {
				enter_addr(st);
				break;
			}
			str_copy(st->qname, sizeof(st->qname),
			    st->srv[st->srv_idx].owner);
			st->qtype = DNSMSG_T_SRV;
			issue(st);
			break;
		case PH_ADDR:
			if (st->tg_idx >= st->ntg) {
				st->phase = PH_DONE;
				break;
			}
			if (literal_target(st))
				break;
			if (st->qname_tg != st->tg_idx &&
			    dnsmsg_name_normalize(st->tg[st->tg_idx].host,
			    st->qname, sizeof(st->qname)) != 0) {
				next_family(st);	/* unusable name */
				break;
			}
			st->qname_tg = st->tg_idx;
			st->qtype = family_qtype(st);
			issue(st);
			break;
		case PH_DONE:
			break;
		}
	}
	st->running = false;
	if (st->phase != PH_DONE || st->waiting)
		return;
	if (r->error == SIPTARGET_OK && r->nhops == 0)
		r->error = st->any_tempfail ? SIPTARGET_E_TEMPFAIL :
		    SIPTARGET_E_NO_TARGET;
	if (st->completed != NULL)
		*st->completed = true;
	st->cb(st->arg, r);
	free(st);
}

static void
result_init(struct siptarget_result *r)
{
	r->error = SIPTARGET_OK;
	memset(&r->uri, 0, sizeof(r->uri));
	memset(&r->plan, 0, sizeof(r->plan));
	r->nqueries = 0;
	r->nhops = 0;
	r->failure_ttl = -1;
}

struct siptarget *
siptarget_start(const struct siptarget_params *params,
    const struct dnsq_ops *ops, const char *uri, siptarget_done_cb *cb,
    void *arg)
{
	struct siptarget	*st;
	struct siptarget_result	*r;
	bool			 completed = false;

	if ((st = malloc(sizeof(*st))) == NULL) {
		static struct siptarget_result oom = {
		    .error = SIPTARGET_E_TEMPFAIL, .failure_ttl = -1 };

		cb(arg, &oom);
		return NULL;
	}
	st->params = params;
	st->ops = ops;
	st->cb = cb;
	st->arg = arg;
	st->waiting = st->running = st->cancelled = false;
	st->any_tempfail = false;
	st->nsrv = st->srv_idx = st->ntg = st->tg_idx = 0;
	st->fam_idx = 0;
	st->qname_tg = SIZE_MAX;
	st->qname[0] = '\0';
	st->qtype = 0;
	r = &st->res;
	result_init(r);
	if (rfc3263_parse_uri(uri, &r->uri) != 0) {
		r->error = SIPTARGET_E_INVALID_URI;
		st->phase = PH_DONE;
	} else {
		rfc3263_plan(&r->uri, &r->plan);
		switch (r->plan.step) {
		case RFC3263_STEP_NUMERIC:
		case RFC3263_STEP_ADDR:
			enter_addr(st);
			break;
		case RFC3263_STEP_SRV:
			if (allowed(st, r->plan.transport))
				add_srv(st, r->plan.transport, false,
				    r->uri.host);
			st->phase = PH_SRV;
			/* No SRV for it: the host on the default port. */
			if (st->nsrv == 0)
				enter_addr(st);
			break;
		case RFC3263_STEP_NAPTR:
			st->phase = PH_NAPTR;
			break;
		}
		if (st->phase == PH_ADDR && st->ntg == 0)
			st->phase = PH_DONE;
	}
	st->completed = &completed;
	run(st);
	if (completed)
		return NULL;
	st->completed = NULL;
	return st;
}

void
siptarget_cancel(struct siptarget *st)
{
	if (st == NULL)
		return;
	st->cancelled = true;
	st->cb = NULL;
	if (!st->waiting)
		free(st);
}
