/*
 * routing/lookup.c - drive e164 -> ENUM -> RFC 3861 for one destination.
 *
 * A small state machine over struct dnsq_ops.  Only one DNS query is in
 * flight per lookup; the answer callback may arrive before the query call
 * returns (cache hit), so run() is guarded against re-entry and the
 * answer is consumed in the callback (it is borrowed).  Cancelling while a
 * query is in flight only marks the lookup: the DNS layer calls back
 * exactly once, and that callback frees it.  SRV owners are asked one at a
 * time in the configured protocol order, so the decision and the list of
 * queries reported by imgate-lookup follow that order exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enum/strcopy.h"
#include "routing/e164.h"
#include "routing/idna.h"
#include "routing/imaddr.h"
#include "routing/lookup.h"

enum lookup_phase {
	PH_ENUM,	/* enumq walk */
	PH_SRV,		/* _im._<proto>.<domain> for each protocol */
	PH_IMPLICIT,	/* A record of the domain (RFC 3861 4) */
	PH_DONE
};

/* lookup_start() sets every field one by one: a new field goes there too. */
struct lookup {
	const struct lookup_params	*params;
	const struct dnsq_ops		*ops;
	struct lookup_trace		*trace;
	lookup_done_cb			*cb;
	void				*arg;
	struct enumq_params		 eparams;
	struct enumq			 eq;
	enum lookup_phase		 phase;
	bool				 waiting;	/* query in flight */
	bool				 running;	/* inside run() */
	bool				 cancelled;
	bool				 any_tempfail;
	bool				 insecure;
	bool				 bogus;
	bool				 unknown;	/* an answer never came */
	bool				*completed;	/* lookup_start's */
	size_t				 proto_idx;	/* into protocols */
	char				 qname[DNSMSG_NAME_MAX];
	uint16_t			 qtype;
	unsigned			 cname_hops;
	char				 user[LOOKUP_URI_MAX];
	char				 domain[DNSMSG_NAME_MAX];
	struct lookup_result		 res;
};

static void	run(struct lookup *);

/*
 * strncasecmp(@s, @lit, @n) == 0, for a lower-case @lit that starts
 * with a letter: the first octet is compared inline, since most of the
 * scheme tests on every message's URIs fail there.
 */
static inline bool
has_scheme(const char *s, const char *lit, size_t n)
{
	return ((unsigned char)s[0] | 0x20) == (unsigned char)lit[0] &&
	    strncasecmp(s, lit, n) == 0;
}

void
lookup_params_default(struct lookup_params *p)
{
	memset(p, 0, sizeof(*p));
	naptr_policy_default(&p->policy);
	p->enum_params.suffixes[0] = "e164.arpa.";
	p->enum_params.nsuffixes = 1;
	p->enum_params.max_queries = 32;
	p->input_forms = E164_FORM_ALL;
	p->max_digits = 15;
	p->protocols[0] = PROTO_SIP;
	p->protocols[1] = PROTO_XMPP;
	p->nprotocols = 2;
	p->implicit = PROTO_NONE;
	p->max_queries = 32;
	p->max_targets = 4;
	p->dnssec = LOOKUP_DNSSEC_OFF;
}

const char *
lookup_strerror(enum lookup_error e)
{
	switch (e) {
	case LOOKUP_OK:
		return NULL;
	case LOOKUP_E_INVALID_NUMBER:
		return "E_INVALID_NUMBER";
	case LOOKUP_E_NOT_E164:
		return "E_NOT_E164";
	case LOOKUP_E_NUMBER_TOO_LONG:
		return "E_NUMBER_TOO_LONG";
	case LOOKUP_E_ENUM_NO_DATA:
		return "E_ENUM_NO_DATA";
	case LOOKUP_E_ENUM_NO_USABLE_RULE:
		return "E_ENUM_NO_USABLE_RULE";
	case LOOKUP_E_DNS_TEMPFAIL:
		return "E_DNS_TEMPFAIL";
	case LOOKUP_E_INVALID_IM_URI:
		return "E_INVALID_IM_URI";
	case LOOKUP_E_IM_NO_COMMON_PROTOCOL:
		return "E_IM_NO_COMMON_PROTOCOL";
	}
	return "E_UNKNOWN";
}

const char *
lookup_strproto(enum proto p)
{
	return p == PROTO_SIP ? "sip" : p == PROTO_XMPP ?
	    "xmpp" : NULL;
}

const char *
lookup_strdnssec(int sec)
{
	switch (sec) {
	case LOOKUP_SEC_SECURE:
		return "secure";
	case LOOKUP_SEC_INSECURE:
		return "insecure";
	case LOOKUP_SEC_BOGUS:
		return "bogus";
	default:
		return "indeterminate";
	}
}

static void
finish(struct lookup *lk, enum lookup_error e)
{
	lk->res.error = e;
	lk->phase = PH_DONE;
}

static void
note_ttl(struct lookup *lk, int64_t ttl)
{
	if (ttl >= 0 && (lk->res.min_ttl < 0 || ttl < lk->res.min_ttl))
		lk->res.min_ttl = ttl;
}

/* Next SRV owner to ask, or PH_IMPLICIT / the final error. */
static void
srv_next_protocol(struct lookup *lk)
{
	const struct lookup_params	*p = lk->params;
	const char			*svc;

	svc = has_scheme(lk->res.uri, "pres:", 5) ? "pres" : "im";
	while (lk->proto_idx < p->nprotocols) {
		const char *proto = lookup_strproto(
		    p->protocols[lk->proto_idx++]);

		if (proto == NULL)
			continue;
		if (rfc3861_srv_owner(svc, proto, lk->domain, lk->qname,
		    sizeof(lk->qname)) != 0)
			continue;
		lk->qtype = DNSMSG_T_SRV;
		lk->cname_hops = 0;
		if (lk->trace != NULL && lk->trace->nsrv_queries < 8)
			str_copy(lk->trace->srv_queries[
			    lk->trace->nsrv_queries++], DNSMSG_NAME_MAX,
			    lk->qname);
		return;
	}
	lk->qname[0] = '\0';
	if (lk->any_tempfail) {
		finish(lk, LOOKUP_E_DNS_TEMPFAIL);
		return;
	}
	if (p->implicit != PROTO_NONE) {
		lk->phase = PH_IMPLICIT;
		str_join(lk->qname, sizeof(lk->qname),
		    (const char *const []){ lk->domain, "." }, 2);
		lk->qtype = DNSMSG_T_A;
		return;
	}
	finish(lk, LOOKUP_E_IM_NO_COMMON_PROTOCOL);
}

/*
 * The address on the chosen protocol.  An XMPP recipient is the JID of
 * RFC 3922 3.3 (routing/imaddr): the im: localpart is percent-decoded
 * and XEP-0106 escaped, so im:d'artagnan@x and im:d%27artagnan@x both
 * reach d\27artagnan@x; the raw user part would be a malformed JID
 * (d'artagnan) or someone else's (o%27neil).
 * @return 0, or -1 when the im: address has no JID form.
 */
static int
set_addresses(struct lookup *lk, enum proto proto)
{
	struct lookup_result	*r = &lk->res;
	char			 im[LOOKUP_URI_MAX + 8];
	size_t			 n;

	r->protocol = proto;
	if (proto == PROTO_SIP) {
		size_t	 ul = strlen(lk->user), dl = strlen(lk->domain);
		char	*o = r->request_uri;

		/* snprintf("sip:%s@%s") by hand, each length measured
		 * once: once per message.  Too long, it is cut as
		 * snprintf() would cut it. */
		if (4 + ul + 1 + dl >= sizeof(r->request_uri)) {
			str_join(r->request_uri, sizeof(r->request_uri),
			    (const char *const []){ "sip:", lk->user, "@",
			    lk->domain }, 4);
			return 0;
		}
		memcpy(o, "sip:", 4);
		memcpy(o + 4, lk->user, ul);
		o[4 + ul] = '@';
		memcpy(o + 4 + ul + 1, lk->domain, dl + 1);
		return 0;
	}
	n = str_join(im, sizeof(im), (const char *const []){ "im:",
	    lk->user, "@", lk->domain }, 4);
	if (n >= sizeof(im) ||
	    imaddr_im_to_jid(im, r->xmpp_to, sizeof(r->xmpp_to)) !=
	    IMADDR_OK)
		return -1;
	return 0;
}

/* The URI ENUM produced (or the input im: URI) decides what comes next. */
static void
uri_chosen(struct lookup *lk)
{
	struct lookup_result	*r = &lk->res;
	const char		*u = r->uri;

	/*
	 * IDNA: a host written with U-labels is queried, compared and sent
	 * as its A-labels (routing/idna.h), so the URI is rewritten once,
	 * here, in place, and everything after (SRV owner, Request-URI,
	 * imgate-lookup) sees the ASCII form.  A JID (xmpp:) keeps its
	 * U-labels (RFC 7622).
	 */
	if (!has_scheme(u, "xmpp:", 5) &&
	    idna_uri_to_ascii(u, r->uri, LOOKUP_URI_MAX) != IDNA_OK) {
		finish(lk, LOOKUP_E_INVALID_IM_URI);
		return;
	}
	if (has_scheme(u, "im:", 3) || has_scheme(u, "pres:", 5)) {
		if (rfc3861_parse_uri(u, lk->user, sizeof(lk->user),
		    lk->domain, sizeof(lk->domain)) != 0) {
			finish(lk, LOOKUP_E_INVALID_IM_URI);
			return;
		}
		lk->phase = PH_SRV;
		lk->proto_idx = 0;
		srv_next_protocol(lk);
		return;
	}
	/*
	 * E2U+sip and E2U+xmpp name the protocol themselves (RFC 3764,
	 * RFC 4979): no RFC 3861 step.  A sip: URI is sent as it is; an
	 * xmpp: URI loses its scheme, authority and query to become a JID.
	 */
	if (has_scheme(u, "sip:", 4) || has_scheme(u, "sips:", 5)) {
		r->protocol = PROTO_SIP;
		str_copy(r->request_uri, sizeof(r->request_uri), u);
		finish(lk, LOOKUP_OK);
		return;
	}
	if (has_scheme(u, "xmpp:", 5)) {
		const char	*j = u + 5;
		size_t		 n;

		if (strncmp(j, "//", 2) == 0) {
			j = strchr(j + 2, '/');
			j = j != NULL ? j + 1 : "";
		}
		n = strcspn(j, "?#");
		if (n == 0 || n >= sizeof(r->xmpp_to)) {
			finish(lk, LOOKUP_E_INVALID_IM_URI);
			return;
		}
		memcpy(r->xmpp_to, j, n);
		r->xmpp_to[n] = '\0';
		r->protocol = PROTO_XMPP;
		finish(lk, LOOKUP_OK);
		return;
	}
	finish(lk, LOOKUP_E_INVALID_IM_URI);
}

static void
enum_finished(struct lookup *lk)
{
	struct enumq		*q = &lk->eq;
	struct lookup_result	*r = &lk->res;

	note_ttl(lk, q->min_ttl);
	switch (q->error) {
	case ENUMQ_OK:
		r->enum_done = true;
		str_copy(r->uri, sizeof(r->uri), q->uri);
		str_copy(r->enumservice, sizeof(r->enumservice),
		    q->enumservice);
		/* r->selected was written by the walk itself
		 * (enumq_select_into() in lookup_start()). */
		enumq_free(q);
		uri_chosen(lk);
		return;
	case ENUMQ_NO_DATA:
		r->negative_ttl = q->negative_ttl;
		finish(lk, LOOKUP_E_ENUM_NO_DATA);
		break;
	case ENUMQ_NO_USABLE_RULE:
		finish(lk, LOOKUP_E_ENUM_NO_USABLE_RULE);
		break;
	case ENUMQ_TEMPFAIL:
		r->failure_ttl = q->failure_ttl;
		finish(lk, LOOKUP_E_DNS_TEMPFAIL);
		break;
	}
	enumq_free(q);
}

static void
srv_answer(struct lookup *lk, const struct dnsq_result *res)
{
	const struct dnsmsg_answer	*a = res->ans;
	const struct srv_rr		*order[LOOKUP_MAX_TARGETS];
	struct lookup_result		*r = &lk->res;
	size_t				 n;

	if (res->status == DNSQ_TEMPFAIL) {
		lk->any_tempfail = true;
		if (r->failure_ttl < 0 || res->failure_ttl < r->failure_ttl)
			r->failure_ttl = res->failure_ttl;
		srv_next_protocol(lk);
		return;
	}
	if (res->status == DNSQ_OK && a != NULL && a->nsrv == 0 &&
	    a->has_cname && lk->cname_hops < 4) {
		/* The resolver gave only the alias: ask for its target. */
		lk->cname_hops++;
		str_copy(lk->qname, sizeof(lk->qname), a->final_name);
		return;
	}
	if (res->status != DNSQ_OK || a == NULL || a->nsrv == 0 ||
	    rfc3861_not_offered(a->srv, a->nsrv)) {
		srv_next_protocol(lk);
		return;
	}
	n = rfc3861_order(a->srv, a->nsrv, lk->params->rng,
	    lk->params->rngarg, order, lk->params->max_targets <
	    LOOKUP_MAX_TARGETS ? lk->params->max_targets :
	    LOOKUP_MAX_TARGETS);
	if (n == 0) {
		srv_next_protocol(lk);
		return;
	}
	note_ttl(lk, a->ttl);
	str_copy(r->srv_owner, sizeof(r->srv_owner), a->qname);
	for (size_t i = 0; i < n; i++) {
		struct lookup_target *t = &r->targets[i];

		str_copy(t->host, sizeof(t->host), order[i]->target);
		t->port = order[i]->port;
		t->priority = order[i]->priority;
		t->weight = order[i]->weight;
	}
	r->ntargets = n;
	finish(lk, set_addresses(lk, lk->params->protocols[lk->proto_idx -
	    1]) == 0 ? LOOKUP_OK : LOOKUP_E_INVALID_IM_URI);
}

static void
implicit_answer(struct lookup *lk, const struct dnsq_result *res)
{
	struct lookup_result	*r = &lk->res;
	enum proto	 proto = lk->params->implicit;

	if (res->status == DNSQ_TEMPFAIL) {
		r->failure_ttl = res->failure_ttl;
		finish(lk, LOOKUP_E_DNS_TEMPFAIL);
		return;
	}
	if (res->status != DNSQ_OK || res->ans == NULL ||
	    res->ans->naddr == 0) {
		finish(lk, LOOKUP_E_IM_NO_COMMON_PROTOCOL);
		return;
	}
	note_ttl(lk, res->ans->ttl);
	r->implicit = true;
	str_join(r->targets[0].host, sizeof(r->targets[0].host),
	    (const char *const []){ lk->domain, "." }, 2);
	r->targets[0].port = proto == PROTO_SIP ? 5060 : 5269;
	r->ntargets = 1;
	finish(lk, set_addresses(lk, proto) == 0 ? LOOKUP_OK :
	    LOOKUP_E_INVALID_IM_URI);
}

static void
on_answer(void *arg, const struct dnsq_result *res0)
{
	struct lookup		*lk = arg;
	struct dnsq_result	 res = *res0;

	lk->waiting = false;
	if (lk->cancelled) {
		enumq_free(&lk->eq);
		free(lk);
		return;
	}
	lk->res.nqueries++;

	/* DNSSEC bookkeeping and the "require" policy. */
	if (res.status == DNSQ_TEMPFAIL) {
		/*
		 * A validating resolver turns bogus data into SERVFAIL; a
		 * timeout says nothing either way.
		 */
		if (lk->params->dnssec != LOOKUP_DNSSEC_OFF &&
		    res.rcode == DNSMSG_RCODE_SERVFAIL)
			lk->bogus = true;
		else
			lk->unknown = true;
	} else if (!res.secure) {
		lk->insecure = true;
		if (lk->params->dnssec == LOOKUP_DNSSEC_REQUIRE) {
			res.status = DNSQ_TEMPFAIL;
			res.ans = NULL;
			res.why = "answer not validated (dnssec require)";
			if (res.failure_ttl < 0)
				res.failure_ttl = 0;
		}
	}

	switch (lk->phase) {
	case PH_ENUM:
		enumq_feed(&lk->eq, &res);
		break;
	case PH_SRV:
		srv_answer(lk, &res);
		break;
	case PH_IMPLICIT:
		implicit_answer(lk, &res);
		break;
	case PH_DONE:
		break;
	}
	if (!lk->running)
		run(lk);
}

static void
issue(struct lookup *lk, const char *name, uint16_t type)
{
	if (lk->res.nqueries >= lk->params->max_queries) {
		struct dnsq_result	 fail = { .status = DNSQ_TEMPFAIL,
		    .failure_ttl = 0, .rcode = -1, .why = "query limit",
		    .negative_ttl = -1 };

		lk->waiting = true;
		lk->res.nqueries--;	/* on_answer counts it again */
		on_answer(lk, &fail);
		return;
	}
	lk->waiting = true;
	if (lk->ops->query(lk->ops->ctx, name, type, on_answer, lk) != 0) {
		struct dnsq_result	 fail = { .status = DNSQ_TEMPFAIL,
		    .failure_ttl = 0, .rcode = -1, .why = "query refused",
		    .negative_ttl = -1 };

		on_answer(lk, &fail);
	}
}

/* Advance until a query is in flight or the lookup is over. */
static void
run(struct lookup *lk)
{
	struct lookup_result	*r = &lk->res;

	lk->running = true;
	while (!lk->waiting && lk->phase != PH_DONE) {
		if (lk->phase == PH_ENUM) {
			const char *name = enumq_next(&lk->eq);

			if (name == NULL) {
				enum_finished(lk);
				continue;
			}
			issue(lk, name, DNSMSG_T_NAPTR);
		} else
			issue(lk, lk->qname, lk->qtype);
	}
	lk->running = false;
	if (lk->phase != PH_DONE || lk->waiting)
		return;

	if (lk->params->dnssec == LOOKUP_DNSSEC_OFF)
		r->dnssec = LOOKUP_SEC_INDETERMINATE;
	else if (lk->bogus)
		r->dnssec = LOOKUP_SEC_BOGUS;
	else if (lk->insecure)
		r->dnssec = LOOKUP_SEC_INSECURE;
	else if (r->nqueries > 0 && !lk->unknown)
		r->dnssec = LOOKUP_SEC_SECURE;
	if (lk->eq.first_key[0] != '\0')
		str_copy(r->first_key, sizeof(r->first_key), lk->eq.first_key);
	if (lk->completed != NULL)
		*lk->completed = true;
	lk->cb(lk->arg, r);
	free(lk);
}

/* An empty result; struct lookup_result's fields, one by one. */
static void
result_init(struct lookup_result *r)
{
	r->error = LOOKUP_OK;
	r->input[0] = '\0';
	r->aus[0] = '\0';
	r->first_key[0] = '\0';
	r->enum_done = false;
	r->uri[0] = '\0';
	r->enumservice[0] = '\0';
	enumq_selected_clear(&r->selected);
	r->protocol = PROTO_NONE;
	r->srv_owner[0] = '\0';
	r->ntargets = 0;
	r->implicit = false;
	r->request_uri[0] = '\0';
	r->xmpp_to[0] = '\0';
	r->negative_ttl = -1;
	r->failure_ttl = -1;
	r->min_ttl = -1;
	r->dnssec = LOOKUP_SEC_INDETERMINATE;
	r->nqueries = 0;
}

struct lookup *
lookup_start(const struct lookup_params *params, const struct dnsq_ops *ops,
    const char *input, struct lookup_trace *trace, lookup_done_cb *cb,
    void *arg)
{
	struct lookup		*lk;
	struct lookup_result	*r;
	enum e164_status	 st;

	if ((lk = malloc(sizeof(*lk))) == NULL) {
		struct lookup_result *fail = calloc(1, sizeof(*fail));

		/* Out of memory: report a temporary failure, once. */
		if (fail != NULL) {
			fail->error = LOOKUP_E_DNS_TEMPFAIL;
			cb(arg, fail);
			free(fail);
		} else {
			static struct lookup_result oom = {
			    .error = LOOKUP_E_DNS_TEMPFAIL };
			cb(arg, &oom);
		}
		return NULL;
	}
	/*
	 * Field by field, not calloc: the struct is 16 KB of name buffers
	 * (the result alone 11 KB), and a lookup starts for every message;
	 * zeroing it was a tenth of the warm path (bench/README.md).  The
	 * walk (enumq_init) and the result (result_init) set their own.
	 */
	lk->params = params;
	lk->ops = ops;
	lk->trace = trace;
	lk->cb = cb;
	lk->arg = arg;
	lk->waiting = lk->running = lk->cancelled = false;
	lk->any_tempfail = lk->insecure = lk->bogus = lk->unknown = false;
	lk->completed = NULL;
	lk->proto_idx = 0;
	lk->qname[0] = '\0';
	lk->qtype = 0;
	lk->cname_hops = 0;
	lk->user[0] = '\0';
	lk->domain[0] = '\0';
	r = &lk->res;
	result_init(r);
	str_copy(r->input, sizeof(r->input), input);
	lk->eparams = params->enum_params;
	lk->eparams.policy = &params->policy;
	if (lk->eparams.max_queries > params->max_queries)
		lk->eparams.max_queries = params->max_queries;

	if (has_scheme(input, "im:", 3) || has_scheme(input, "pres:", 5)) {
		str_copy(r->uri, sizeof(r->uri), input);
		lk->phase = PH_ENUM;	/* replaced by uri_chosen() */
		enumq_init(&lk->eq, &lk->eparams, "", NULL);
		uri_chosen(lk);
	} else {
		st = e164_parse(input, strlen(input), params->input_forms,
		    params->max_digits, r->aus, sizeof(r->aus));
		enumq_init(&lk->eq, &lk->eparams, r->aus,
		    trace != NULL ? &trace->enumq : NULL);
		enumq_select_into(&lk->eq, &r->selected);
		lk->phase = PH_ENUM;
		switch (st) {
		case E164_OK:
			break;
		case E164_NOT_E164:
			finish(lk, LOOKUP_E_NOT_E164);
			break;
		case E164_TOO_LONG:
			finish(lk, LOOKUP_E_NUMBER_TOO_LONG);
			break;
		default:
			finish(lk, LOOKUP_E_INVALID_NUMBER);
			break;
		}
		if (st != E164_OK)
			r->aus[0] = '\0';
	}
	{
		bool	 completed = false;

		/* run() frees lk when the lookup completes inside it. */
		lk->completed = &completed;
		run(lk);
		if (completed)
			return NULL;
		lk->completed = NULL;
	}
	return lk;
}

void
lookup_cancel(struct lookup *lk)
{
	if (lk == NULL)
		return;
	lk->cancelled = true;
	lk->cb = NULL;
	if (!lk->waiting) {
		enumq_free(&lk->eq);
		free(lk);
	}
}
