/*
 * tests/unit/test_lookup.c - the resolution engine on canned DNS answers.
 *
 * Drives routing/lookup (and through it enum/enumq and routing/rfc3861)
 * with a fake struct dnsq_ops that answers from a table, synchronously
 * (like a cache hit) or on demand (like the network).  Each case gives the
 * DNS data, the input and what must come out: URI, error, the exact NAPTR
 * and SRV query sequences, protocol and first target.  Cases mirror the
 * walk-level vectors (loops, chain limit, failing subtrees, suffix
 * fallback, RFC 3861 preference, "." targets, DNSSEC require).  TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enum/dnsq.h"
#include "routing/lookup.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define MAXRR		4

struct fake_rr {
	uint16_t	 a, b, c;	/* NAPTR order/pref | SRV prio/w/port */
	const char	*s1, *s2, *s3, *s4; /* NAPTR fields | SRV target */
};

struct fake_answer {
	const char	*owner;
	uint16_t	 type;
	enum dnsq_status status;
	int		 nrr;
	struct fake_rr	 rr[MAXRR];
	bool		 insecure;
	int64_t		 neg_ttl;
};

#define NAPTR(o, p, f, s, r, rp) { o, p, 0, f, s, r, rp }
#define SRV(p, w, port, t)	{ p, w, port, t, NULL, NULL, NULL }

struct lcase {
	const char		*name;
	const char		*input;
	const char		*accept;	/* "im,sip" or NULL */
	const char		*protocols;	/* "xmpp,sip" or NULL */
	const char		*suffix2;	/* second suffix or NULL */
	enum lookup_dnssec	 dnssec;
	struct fake_answer	 dns[8];
	const char		*want_uri;
	const char		*want_error;	/* NULL = routed */
	const char		*want_naptr[8];	/* NULL-terminated */
	const char		*want_srv[4];
	const char		*want_proto;
	const char		*want_target;
	int64_t			 want_neg_ttl;	/* -2 = not asserted */
};

#define K "0.0.1.0.5.5.5.2.0.2.1.e164.arpa."
#define K2 "0.0.1.0.5.5.5.2.0.2.1.e164.example."

static const struct lcase cases[] = {
	{ "non-terminal loop resumes in referring RRset (ENUM-031)",
	  "+12025550100", NULL, NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_OK, 2, { NAPTR(100, 10, "", "", "", "a.ex."),
	      NAPTR(100, 20, "u", "E2U+im", "!^.*$!im:fb@example.com!",
	      ".") } },
	    { "a.ex.", 35, DNSQ_OK, 1, { NAPTR(100, 10, "", "", "",
	      "b.ex.") } },
	    { "b.ex.", 35, DNSQ_OK, 1, { NAPTR(100, 10, "", "", "",
	      "a.ex.") } },
	    { "_im._sip.example.com.", 33, DNSQ_OK, 1,
	      { SRV(10, 0, 5060, "sip.example.com.") } } },
	  "im:fb@example.com", NULL, { K, "a.ex.", "b.ex.", NULL },
	  { "_im._sip.example.com.", NULL }, "sip", "sip.example.com.", -2 },
	/* The first key is a visited name too (its hash is taken late,
	 * enum/enumq.c visited()): straight back to it, in other case,
	 * and back to it through another owner, are loops. */
	{ "non-terminal back to the first key is a loop",
	  "+12025550100", NULL, NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_OK, 2, { NAPTR(100, 10, "", "", "",
	      "0.0.1.0.5.5.5.2.0.2.1.E164.ARPA."),
	      NAPTR(100, 20, "u", "E2U+im", "!^.*$!im:fb@example.com!",
	      ".") } },
	    { "_im._sip.example.com.", 33, DNSQ_OK, 1,
	      { SRV(10, 0, 5060, "sip.example.com.") } } },
	  "im:fb@example.com", NULL, { K, NULL },
	  { "_im._sip.example.com.", NULL }, "sip", "sip.example.com.", -2 },
	{ "non-terminal back to the first key through another owner",
	  "+12025550100", NULL, NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_OK, 2, { NAPTR(100, 10, "", "", "", "a.ex."),
	      NAPTR(100, 20, "u", "E2U+im", "!^.*$!im:fb@example.com!",
	      ".") } },
	    { "a.ex.", 35, DNSQ_OK, 1, { NAPTR(100, 10, "", "", "", K) } },
	    { "_im._sip.example.com.", 33, DNSQ_OK, 1,
	      { SRV(10, 0, 5060, "sip.example.com.") } } },
	  "im:fb@example.com", NULL, { K, "a.ex.", NULL },
	  { "_im._sip.example.com.", NULL }, "sip", "sip.example.com.", -2 },
	{ "chain of 6 non-terminals: the 6th is not queried",
	  "+12025550100", NULL, NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_OK, 1, { NAPTR(1, 1, "", "", "", "d1.") } },
	    { "d1.", 35, DNSQ_OK, 1, { NAPTR(1, 1, "", "", "", "d2.") } },
	    { "d2.", 35, DNSQ_OK, 1, { NAPTR(1, 1, "", "", "", "d3.") } },
	    { "d3.", 35, DNSQ_OK, 1, { NAPTR(1, 1, "", "", "", "d4.") } },
	    { "d4.", 35, DNSQ_OK, 1, { NAPTR(1, 1, "", "", "", "d5.") } },
	    { "d5.", 35, DNSQ_OK, 1, { NAPTR(1, 1, "", "", "", "d6.") } },
	    { "d6.", 35, DNSQ_OK, 1, { NAPTR(1, 1, "u", "E2U+im",
	      "!^.*$!im:deep@example.com!", ".") } } },
	  NULL, "E_ENUM_NO_USABLE_RULE",
	  { K, "d1.", "d2.", "d3.", "d4.", "d5.", NULL }, { NULL }, NULL,
	  NULL, -2 },
	{ "SERVFAIL in a subtree: next record of the referrer (ENUM-035)",
	  "+12025550100", NULL, NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_OK, 2, { NAPTR(100, 10, "", "", "", "broken."),
	      NAPTR(100, 20, "u", "E2U+im", "!^.*$!im:fb@example.net!",
	      ".") } },
	    { "broken.", 35, DNSQ_TEMPFAIL, 0, { { 0 } } },
	    { "_im._sip.example.net.", 33, DNSQ_NXDOMAIN, 0, { { 0 } } },
	    { "_im._xmpp.example.net.", 33, DNSQ_OK, 1,
	      { SRV(5, 0, 5269, "x.example.net.") } } },
	  "im:fb@example.net", NULL, { K, "broken.", NULL },
	  { "_im._sip.example.net.", "_im._xmpp.example.net.", NULL },
	  "xmpp", "x.example.net.", -2 },
	{ "SERVFAIL at the first key is a temporary failure",
	  "+12025550100", NULL, NULL, "e164.example", LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_TEMPFAIL, 0, { { 0 } } } },
	  NULL, "E_DNS_TEMPFAIL", { K, NULL }, { NULL }, NULL, NULL, -2 },
	{ "NXDOMAIN under the first suffix: the second suffix is tried",
	  "+12025550100", "im,sip", NULL, "e164.example", LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_NXDOMAIN, 0, { { 0 } }, false, 60 },
	    { K2, 35, DNSQ_OK, 1, { NAPTR(10, 10, "u", "E2U+sip",
	      "!^\\+(.*)$!sip:\\1@carrier.example!", ".") } } },
	  "sip:12025550100@carrier.example", NULL, { K, K2, NULL },
	  { NULL }, "sip", NULL, -2 },
	{ "both suffixes empty: E_ENUM_NO_DATA with the negative TTL",
	  "+12025550100", NULL, NULL, "e164.example", LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_NXDOMAIN, 0, { { 0 } }, false, 300 },
	    { K2, 35, DNSQ_NODATA, 0, { { 0 } }, false, 900 } },
	  NULL, "E_ENUM_NO_DATA", { K, K2, NULL }, { NULL }, NULL, NULL,
	  300 },
	{ "xmpp first by preference stops at the first SRV (SRV-003)",
	  "im:fred@Example.COM", NULL, "xmpp,sip", NULL, LOOKUP_DNSSEC_OFF,
	  { { "_im._xmpp.example.com.", 33, DNSQ_OK, 1,
	      { SRV(10, 0, 5269, "xmpp.example.com.") } },
	    { "_im._sip.example.com.", 33, DNSQ_OK, 1,
	      { SRV(10, 0, 5060, "sip.example.com.") } } },
	  "im:fred@Example.COM", NULL, { NULL },
	  { "_im._xmpp.example.com.", NULL }, "xmpp", "xmpp.example.com.",
	  -2 },
	{ "single '.' target means not offered (SRV-009)",
	  "im:fred@example.com", NULL, NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { "_im._sip.example.com.", 33, DNSQ_OK, 1,
	      { SRV(0, 0, 0, ".") } },
	    { "_im._xmpp.example.com.", 33, DNSQ_OK, 1,
	      { SRV(5, 0, 5269, "xmpp.example.com.") } } },
	  NULL, NULL, { NULL },
	  { "_im._sip.example.com.", "_im._xmpp.example.com.", NULL },
	  "xmpp", "xmpp.example.com.", -2 },
	{ "no SRV at all and no fallback (SRV-011)",
	  "im:fred@example.com", NULL, NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { "example.com.", 1, DNSQ_OK, 0, { { 0 } } } },
	  NULL, "E_IM_NO_COMMON_PROTOCOL", { NULL },
	  { "_im._sip.example.com.", "_im._xmpp.example.com.", NULL },
	  NULL, NULL, -2 },
	{ "im: URI without user is E_INVALID_IM_URI",
	  "+12025550100", NULL, NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_OK, 1, { NAPTR(1, 1, "u", "E2U+im",
	      "!^.*$!im:example.com!", ".") } } },
	  "im:example.com", "E_INVALID_IM_URI", { K, NULL }, { NULL }, NULL,
	  NULL, -2 },
	{ "E2U+xmpp URI becomes the JID without RFC 3861",
	  "+12025550100", "xmpp", NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { K, 35, DNSQ_OK, 1, { NAPTR(1, 1, "u", "E2U+xmpp",
	      "!^.*$!xmpp:bob@example.org!", ".") } } },
	  "xmpp:bob@example.org", NULL, { K, NULL }, { NULL }, "xmpp", NULL,
	  -2 },
	{ "dnssec require refuses an unvalidated answer",
	  "+12025550100", NULL, NULL, NULL, LOOKUP_DNSSEC_REQUIRE,
	  { { K, 35, DNSQ_OK, 1, { NAPTR(1, 1, "u", "E2U+im",
	      "!^.*$!im:a@example.com!", ".") }, true } },
	  NULL, "E_DNS_TEMPFAIL", { K, NULL }, { NULL }, NULL, NULL, -2 },
	{ "bad number: no DNS query at all",
	  "+1-800-FLOWERS", NULL, NULL, NULL, LOOKUP_DNSSEC_OFF,
	  { { NULL, 0, 0, 0, { { 0 } } } },
	  NULL, "E_INVALID_NUMBER", { NULL }, { NULL }, NULL, NULL, -2 },
	{ "tel: local number is not E.164",
	  "tel:5550100;phone-context=+1202", NULL, NULL, NULL,
	  LOOKUP_DNSSEC_OFF, { { NULL, 0, 0, 0, { { 0 } } } },
	  NULL, "E_NOT_E164", { NULL }, { NULL }, NULL, NULL, -2 },
};

/* The fake resolver: answers from the case table. */
struct fake {
	const struct lcase	*c;
	bool			 deferred;
	dnsq_cb			*cb;
	void			*arg;
	char			 name[DNSMSG_NAME_MAX];
	uint16_t		 type;
	int			 calls;
};

static void
answer(struct fake *f)
{
	const struct fake_answer	*a = NULL;
	struct dnsmsg_answer		 ans;
	struct naptr_rr			 naptr[MAXRR];
	struct srv_rr			 srv[MAXRR];
	struct dnsq_result		 res;

	for (size_t i = 0; i < NELEM(f->c->dns); i++)
		if (f->c->dns[i].owner != NULL &&
		    strcasecmp(f->c->dns[i].owner, f->name) == 0 &&
		    f->c->dns[i].type == f->type)
			a = &f->c->dns[i];
	memset(&ans, 0, sizeof(ans));
	memset(&res, 0, sizeof(res));
	ans.qname = ans.final_name = f->name;
	ans.qtype = f->type;
	ans.ttl = 60;
	res.negative_ttl = -1;
	res.failure_ttl = -1;
	res.rcode = 0;
	if (a == NULL) {
		res.status = DNSQ_NXDOMAIN;
		res.secure = true;
	} else {
		res.status = a->status;
		res.secure = !a->insecure;
		res.negative_ttl = a->neg_ttl > 0 ? a->neg_ttl : -1;
		if (a->status == DNSQ_TEMPFAIL) {
			res.failure_ttl = 5;
			res.rcode = 2;
		}
		for (int i = 0; i < a->nrr; i++) {
			const struct fake_rr *r = &a->rr[i];

			naptr[i] = (struct naptr_rr){ r->a, r->b, (uint16_t)i,
			    r->s1, r->s2, r->s3, r->s4 };
			srv[i] = (struct srv_rr){ r->a, r->b, r->c,
			    (uint16_t)i, r->s1 };
		}
		if (a->type == 35) {
			ans.naptr = naptr;
			ans.nnaptr = (size_t)a->nrr;
		} else if (a->type == 33) {
			ans.srv = srv;
			ans.nsrv = (size_t)a->nrr;
		}
	}
	res.ans = res.status == DNSQ_TEMPFAIL ? NULL : &ans;
	f->cb(f->arg, &res);
}

static int
fake_query(void *ctx, const char *name, uint16_t type, dnsq_cb *cb,
    void *arg)
{
	struct fake	*f = ctx;

	f->calls++;
	f->cb = cb;
	f->arg = arg;
	f->type = type;
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (!f->deferred)
		answer(f);
	return 0;
}

struct outcome {
	bool			 done;
	struct lookup_result	 res;
};

static void
on_done(void *arg, const struct lookup_result *res)
{
	struct outcome	*o = arg;

	o->done = true;
	o->res = *res;
}

static uint32_t
fixed_rng(void *arg)
{
	(void)arg;
	return 0;
}

static void
run_case(const struct lcase *c, bool deferred, struct lookup_result *out)
{
	struct lookup_params	 p;
	struct lookup_trace	 tr;
	struct fake		 f = { c, deferred, NULL, NULL, "", 0, 0 };
	struct dnsq_ops		 ops = { fake_query, &f };
	struct outcome		 o;
	struct lookup		*lk;
	char			 acc[64], *save, *tok;
	const char		*mode = deferred ? "async" : "sync";
	size_t			 n;

	lookup_params_default(&p);
	p.rng = fixed_rng;
	p.dnssec = c->dnssec;
	if (c->accept != NULL) {
		static char keep[8][16];

		snprintf(acc, sizeof(acc), "%s", c->accept);
		p.policy.naccept = 0;
		for (tok = strtok_r(acc, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			snprintf(keep[p.policy.naccept], 16, "%s", tok);
			p.policy.accept[p.policy.naccept] =
			    keep[p.policy.naccept];
			p.policy.naccept++;
		}
	}
	if (c->protocols != NULL && strcmp(c->protocols, "xmpp,sip") == 0) {
		p.protocols[0] = PROTO_XMPP;
		p.protocols[1] = PROTO_SIP;
	}
	if (c->suffix2 != NULL) {
		p.enum_params.suffixes[1] = c->suffix2;
		p.enum_params.nsuffixes = 2;
	}
	memset(&tr, 0, sizeof(tr));
	memset(&o, 0, sizeof(o));
	lk = lookup_start(&p, &ops, c->input, &tr, on_done, &o);
	ok(deferred || lk == NULL, "%s [%s]: sync lookup completes inside "
	    "lookup_start", c->name, mode);
	for (int guard = 0; deferred && !o.done && guard < 64; guard++)
		answer(&f);
	ok(o.done, "%s [%s]: completed", c->name, mode);
	is_str(lookup_strerror(o.res.error), c->want_error,
	    "%s [%s]: error", c->name, mode);
	if (c->want_uri != NULL)
		is_str(o.res.uri, c->want_uri, "%s [%s]: uri", c->name, mode);
	for (n = 0; c->want_naptr[n] != NULL; n++)
		;
	ok(tr.enumq.nqueries == n, "%s [%s]: %zu NAPTR queries (got %zu)",
	    c->name, mode, n, tr.enumq.nqueries);
	for (size_t i = 0; i < n && i < tr.enumq.nqueries; i++)
		is_str(tr.enumq.queries[i], c->want_naptr[i],
		    "%s [%s]: NAPTR query %zu", c->name, mode, i);
	for (n = 0; c->want_srv[n] != NULL; n++)
		;
	ok(tr.nsrv_queries == n, "%s [%s]: %zu SRV queries (got %zu)",
	    c->name, mode, n, tr.nsrv_queries);
	for (size_t i = 0; i < n && i < tr.nsrv_queries; i++)
		is_str(tr.srv_queries[i], c->want_srv[i],
		    "%s [%s]: SRV query %zu", c->name, mode, i);
	if (c->want_proto != NULL)
		is_str(lookup_strproto(o.res.protocol), c->want_proto,
		    "%s [%s]: protocol", c->name, mode);
	if (c->want_target != NULL)
		is_str(o.res.ntargets > 0 ? o.res.targets[0].host : NULL,
		    c->want_target, "%s [%s]: first target", c->name, mode);
	if (c->want_neg_ttl != -2)
		is_int((long)o.res.negative_ttl, (long)c->want_neg_ttl,
		    "%s [%s]: negative TTL", c->name, mode);
	if (o.res.enum_done) {
		/* The record that gave the URI travels with the result. */
		ok(o.res.selected.owner[0] != '\0' &&
		    strcasecmp(o.res.selected.flags, "u") == 0 &&
		    strstr(o.res.selected.services, "E2U") != NULL &&
		    o.res.selected.regexp[0] != '\0' &&
		    o.res.selected.replacement[0] != '\0',
		    "%s [%s]: selected record %s [%d] %s %s %s", c->name,
		    mode, o.res.selected.owner, o.res.selected.index,
		    o.res.selected.flags, o.res.selected.services,
		    o.res.selected.regexp);
	}
	if (out != NULL)
		*out = o.res;
}

/*
 * An ENUM im: destination reached over XMPP is sent to the JID of RFC
 * 3922 3.3 (routing/imaddr): percent-decoded, then XEP-0106 escaped.  The
 * raw user part would be a malformed JID (d'artagnan) or another user's
 * (o%27neil).
 */
static void
test_im_jid(void)
{
	static const struct {
		const char	*im;
		const char	*jid;	/* NULL: no JID form */
	} rows[] = {
		{ "im:d'artagnan@example.net", "d\\27artagnan@example.net" },
		{ "im:d%27artagnan@example.net", "d\\27artagnan@example.net" },
		{ "im:o%27neil@example.net", "o\\27neil@example.net" },
		{ "im:a%40b@example.net", "a\\40b@example.net" },
		{ "im:fred@example.net", "fred@example.net" },
		{ "im:%20fred@example.net", NULL },
	};
	static char		 regexp[NELEM(rows)][128];
	struct lcase		 c;
	struct lookup_result	 r;

	for (size_t i = 0; i < NELEM(rows); i++) {
		snprintf(regexp[i], sizeof(regexp[i]), "!^.*$!%s!", rows[i].im);
		memset(&c, 0, sizeof(c));
		c.name = rows[i].im;
		c.input = "+12025550100";
		c.protocols = "xmpp,sip";
		c.dnssec = LOOKUP_DNSSEC_OFF;
		c.dns[0] = (struct fake_answer){ K, 35, DNSQ_OK, 1,
		    { NAPTR(10, 10, "u", "E2U+im", regexp[i], ".") }, false,
		    0 };
		c.dns[1] = (struct fake_answer){ "_im._xmpp.example.net.", 33,
		    DNSQ_OK, 1, { SRV(10, 0, 5269, "xmpp.example.net.") },
		    false, 0 };
		c.want_error = rows[i].jid != NULL ? NULL : "E_INVALID_IM_URI";
		c.want_naptr[0] = K;
		c.want_srv[0] = "_im._xmpp.example.net.";
		c.want_neg_ttl = -2;
		run_case(&c, true, &r);
		if (rows[i].jid != NULL)
			is_str(r.xmpp_to, rows[i].jid, "%s: xmpp_to",
			    rows[i].im);
	}
}

/* Cancelling with a query in flight: no callback, no leak. */
static void
test_cancel(void)
{
	struct lookup_params	 p;
	struct fake		 f = { &cases[0], true, NULL, NULL, "", 0, 0 };
	struct dnsq_ops		 ops = { fake_query, &f };
	struct outcome		 o;
	struct lookup		*lk;

	lookup_params_default(&p);
	memset(&o, 0, sizeof(o));
	lk = lookup_start(&p, &ops, "+12025550100", NULL, on_done, &o);
	ok(lk != NULL, "cancel: lookup pending after start");
	lookup_cancel(lk);
	answer(&f);	/* the resolver still calls back exactly once */
	ok(!o.done, "cancel: callback suppressed after lookup_cancel");
	is_int(f.calls, 1, "cancel: no further query after cancel");
}

int
main(void)
{
	for (size_t i = 0; i < NELEM(cases); i++) {
		run_case(&cases[i], false, NULL);
		run_case(&cases[i], true, NULL);
	}
	test_im_jid();
	test_cancel();
	return done_testing();
}
