/*
 * tests/unit/test_flow.c - the middle (gateway/flow) on a fake network
 * with virtual time.
 *
 * The model is unbound's testbound: the real transaction, relay and
 * spool code runs on a fake loop (gateway/flow/loop.h: a clock that jumps
 * to the next timer, so a 5-second deadline costs nothing), a table DNS
 * behind struct dnsq_ops (answers after a delay, or never), and fake SIP
 * and XMPP sides (struct relay_side) whose far ends answer from a script
 * keyed by next hop or JID, through the same gateway/status mappers the
 * real edges use.  Each scenario states what the senders get, which hops
 * were tried in which order, at what virtual time, and that every
 * transaction's completion hook ran exactly once: target walk, silent
 * hops and deadlines, a fallback link, a DNS answer that comes after
 * the deadline (dropped), XMPP receipt / no receipt / error, shutdown
 * while an attempt is in flight, a reload while a transaction runs, and
 * the store-and-forward spool (SQLite in a temporary directory): accept,
 * retry, delivery, the failure notice, and an XMPP sender's message
 * whose inbound state each delivery gets from (and gives back to) the
 * XMPP edge.  TAP.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sqlite3.h>

#include "conf/conf.h"
#include "enum/dnsq.h"
#include "gateway/flow/loop.h"
#include "gateway/flow/relay.h"
#include "gateway/flow/spool.h"
#include "gateway/flow/txn.h"
#include "gateway/log.h"
#include "gateway/runtime.h"
#include "gateway/status.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define NEVER		(-1)

/* ------------------------------------------------ virtual loop */

struct flow_timer {
	bool			 set;
	uint64_t		 due;
	flow_timer_fn		*fn;
	void			*arg;
	struct flow_timer	*next;
};

static uint64_t			 vnow = 1000000;
static struct flow_timer	*timers;
static int			 ntimers_live;
/* Each read of the wall clock takes this long (time passes while the
 * spool works: test_spool_due_meanwhile). */
static uint64_t			 wall_read_ms;

static uint64_t
v_now(void *ctx)
{
	(void)ctx;
	return vnow;
}

static int64_t
v_wall(void *ctx)
{
	int64_t	 w = (int64_t)1700000000000LL + (int64_t)vnow;

	(void)ctx;
	vnow += wall_read_ms;
	return w;
}

static struct flow_timer *
v_timer_new(void *ctx)
{
	struct flow_timer	*tm;

	(void)ctx;
	if ((tm = calloc(1, sizeof(*tm))) == NULL)
		return NULL;
	tm->next = timers;
	timers = tm;
	ntimers_live++;
	return tm;
}

static void
v_timer_set(struct flow_timer *tm, uint64_t ms, flow_timer_fn *fn,
    void *arg)
{
	tm->set = true;
	tm->due = vnow + ms;
	tm->fn = fn;
	tm->arg = arg;
}

static void
v_timer_cancel(struct flow_timer *tm)
{
	tm->set = false;
}

static bool
v_timer_is_set(const struct flow_timer *tm)
{
	return tm->set;
}

static void
v_timer_free(struct flow_timer *tm)
{
	struct flow_timer	**pp;

	for (pp = &timers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == tm) {
			*pp = tm->next;
			break;
		}
	ntimers_live--;
	free(tm);
}

static const struct flow_loop_ops v_ops = {
	v_now, v_wall, v_timer_new, v_timer_set, v_timer_cancel,
	v_timer_is_set, v_timer_free
};
static const struct flow_loop	 vloop = { &v_ops, NULL };

/* Run the loop until @until: each due timer in order of its due time,
 * the clock jumping to it; then the clock stands at @until. */
static void
run_until(uint64_t until)
{
	for (;;) {
		struct flow_timer *tm, *first = NULL;

		for (tm = timers; tm != NULL; tm = tm->next)
			if (tm->set && tm->due <= until &&
			    (first == NULL || tm->due < first->due))
				first = tm;
		if (first == NULL)
			break;
		if (first->due > vnow)
			vnow = first->due;
		first->set = false;
		first->fn(first->arg);
	}
	if (until > vnow)
		vnow = until;
}

static void
run_for(uint64_t ms)
{
	run_until(vnow + ms);
}

/* ------------------------------------------------ table DNS */

struct dns_row {
	const char		*name;		/* absolute */
	uint16_t		 type;
	enum dnsq_status	 status;
	int			 delay_ms;	/* NEVER: no answer */
	/* NAPTR: service, regexp; SRV: "prio weight port target";
	 * A: an IPv4 address. */
	const char		*rr[3];
};

static const struct dns_row	*dns_table;
static size_t			 dns_nrows;

/* A question waiting for its answer (the id is what the timer gets). */
struct dns_pending {
	bool			 used;
	char			 name[256];
	uint16_t		 type;
	dnsq_cb			*cb;
	void			*arg;
	const struct dns_row	*row;	/* NULL: NXDOMAIN / NODATA */
	struct flow_timer	*tm;
};

static struct dns_pending	 dns_q[64];
static int			 dns_queries;

static void
dns_answer(struct dns_pending *q, bool late)
{
	struct dnsmsg_answer	 ans;
	struct dnsq_result	 res;
	struct naptr_rr		 naptr[3];
	struct srv_rr		 srv[3];
	struct dns_addr		 addr[3];
	char			 tgt[3][256];
	size_t			 n = 0;
	const struct dns_row	*r = q->row;
	dnsq_cb			*cb = q->cb;
	void			*arg = q->arg;

	memset(&ans, 0, sizeof(ans));
	memset(&res, 0, sizeof(res));
	ans.qname = ans.final_name = q->name;
	ans.qtype = q->type;
	ans.ttl = 60;
	res.negative_ttl = -1;
	res.failure_ttl = -1;
	res.secure = true;
	res.status = r == NULL ? (q->type == 28 ? DNSQ_NODATA :
	    DNSQ_NXDOMAIN) : r->status;
	if (late)
		res.status = DNSQ_TEMPFAIL;
	for (size_t i = 0; r != NULL && i < 3 && r->rr[i] != NULL; i++) {
		unsigned	 p, w, port;

		switch (q->type) {
		case 35:
			naptr[n++] = (struct naptr_rr){ 10, 10, (uint16_t)i,
			    "u", r->rr[0], r->rr[1], "." };
			i = 3;
			break;
		case 33:
			if (sscanf(r->rr[i], "%u %u %u %255s", &p, &w, &port,
			    tgt[n]) != 4)
				break;
			srv[n] = (struct srv_rr){ (uint16_t)p, (uint16_t)w,
			    (uint16_t)port, (uint16_t)i, tgt[n] };
			n++;
			break;
		case 1:
			addr[n].family = AF_INET;
			memset(addr[n].bytes, 0, sizeof(addr[n].bytes));
			inet_pton(AF_INET, r->rr[i], addr[n].bytes);
			n++;
			break;
		}
	}
	ans.naptr = naptr;
	ans.nnaptr = q->type == 35 ? n : 0;
	ans.srv = srv;
	ans.nsrv = q->type == 33 ? n : 0;
	ans.addr = addr;
	ans.naddr = q->type == 1 ? n : 0;
	if (res.status == DNSQ_TEMPFAIL) {
		res.failure_ttl = 5;
		res.rcode = 2;
		res.why = late ? "shutdown" : "SERVFAIL";
	}
	res.ans = res.status == DNSQ_TEMPFAIL ? NULL : &ans;
	q->used = false;
	v_timer_free(q->tm);
	q->tm = NULL;
	cb(arg, &res);
}

static void
on_dns_timer(void *arg)
{
	dns_answer(&dns_q[(uintptr_t)arg], false);
}

static int
dns_query(void *ctx, const char *name, uint16_t type, dnsq_cb *cb,
    void *arg)
{
	struct dns_pending	*q = NULL;
	size_t			 i;
	int			 delay = 1;

	(void)ctx;
	for (i = 0; i < NELEM(dns_q) && q == NULL; i++)
		if (!dns_q[i].used)
			q = &dns_q[i];
	if (q == NULL)
		return -1;
	i = (size_t)(q - dns_q);
	dns_queries++;
	memset(q, 0, sizeof(*q));
	q->used = true;
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	for (size_t k = 0; k < dns_nrows; k++)
		if (strcasecmp(dns_table[k].name, name) == 0 &&
		    dns_table[k].type == type) {
			q->row = &dns_table[k];
			delay = dns_table[k].delay_ms;
		}
	/* Like the network: the answer comes from the loop, later. */
	q->tm = v_timer_new(NULL);
	if (delay != NEVER)
		v_timer_set(q->tm, (uint64_t)delay, on_dns_timer,
		    (void *)(uintptr_t)i);
	return 0;
}

static const struct dnsq_ops	 dnsq = { dns_query, NULL };

/* Answer every question still waiting, as a resolver torn down does. */
static void
dns_flush(void)
{
	for (size_t i = 0; i < NELEM(dns_q); i++)
		if (dns_q[i].used)
			dns_answer(&dns_q[i], true);
}

/* ------------------------------------------------ fake far ends */

/* How a far end answers: SIP keyed by "IP:PORT", XMPP by JID. */
struct far {
	const char	*key;
	int		 code;		/* SIP code; 0: silent; -1: refused */
	const char	*xmpp;		/* "receipt", "none", or a condition */
	int		 delay_ms;
};

static const struct far	*far_table;
static size_t		 far_n;

/* One attempt as a far end saw it; also the edge's t->out state. */
struct sipgw_out {
	uint64_t		 txn;
	char			 dest[256], hop[80];
	char			 body[600];
	bool			 xmpp, aborted, answered;
	uint64_t		 at;
	const struct far	*far;
	struct flow_timer	*tm;
};

struct xmppgw_out {
	struct sipgw_out	*a;
};

static struct sipgw_out		 att[64];
static struct xmppgw_out	 xatt[64];
static size_t			 natt;

static const struct far *
far_of(const char *key)
{
	for (size_t i = 0; i < far_n; i++)
		if (strcmp(far_table[i].key, key) == 0)
			return &far_table[i];
	return NULL;
}

static void
on_far_answer(void *arg)
{
	struct sipgw_out	*a = &att[(uintptr_t)arg];
	struct gw_txn		*t = txn_get(a->txn);

	if (a->aborted || t == NULL)
		return;
	a->answered = true;
	if (!a->xmpp) {
		if (t->out.sip != a)
			return;
		t->out.sip = NULL;
		relay_attempt_done(t, status_from_sip(a->far->code));
		return;
	}
	if (t->out.xmpp != &xatt[(uintptr_t)arg])
		return;
	t->out.xmpp = NULL;
	if (strcmp(a->far->xmpp, "receipt") == 0)
		relay_attempt_done(t, status_from_xmpp_sent(true));
	else if (strcmp(a->far->xmpp, "none") == 0)
		relay_attempt_done(t, status_from_xmpp_sent(false));
	else
		relay_attempt_done(t, status_from_xmpp_error(
		    status_xmpp_condition(a->far->xmpp)));
}

static struct sipgw_out *
new_attempt(struct gw_txn *t, const char *dest, const char *key, bool xmpp)
{
	struct sipgw_out	*a;

	if (natt >= NELEM(att))
		return NULL;
	a = &att[natt];
	memset(a, 0, sizeof(*a));
	a->txn = t->id;
	a->xmpp = xmpp;
	a->at = vnow;
	snprintf(a->dest, sizeof(a->dest), "%s", dest);
	snprintf(a->hop, sizeof(a->hop), "%s", key);
	snprintf(a->body, sizeof(a->body), "%.*s", (int)t->body_len,
	    t->body != NULL ? t->body : "");
	a->far = far_of(key);
	natt++;
	return a;
}

static void
arm_answer(struct sipgw_out *a)
{
	if (a->far == NULL || (!a->xmpp && a->far->code == 0))
		return;		/* silent */
	a->tm = v_timer_new(NULL);
	v_timer_set(a->tm, (uint64_t)a->far->delay_ms, on_far_answer,
	    (void *)(uintptr_t)(a - att));
}

static enum gw_reason
sip_send(struct gw_txn *t, const char *dest, const char *next_hop)
{
	struct sipgw_out	*a = new_attempt(t, dest, next_hop, false);

	if (a == NULL)
		return GW_R_OVERLOAD;
	if (a->far != NULL && a->far->code < 0)
		return GW_R_TARGET_UNREACHABLE;
	t->out.sip = a;
	arm_answer(a);
	return GW_R_NONE;
}

static int	 aborts;

static void
sip_abort(struct gw_txn *t)
{
	if (t->out.sip != NULL) {
		t->out.sip->aborted = true;
		aborts++;
	}
	t->out.sip = NULL;
}

static enum gw_reason
xmpp_send(struct gw_txn *t, const char *dest, const char *next_hop)
{
	struct sipgw_out	*a = new_attempt(t, dest, dest, true);

	(void)next_hop;
	if (a == NULL)
		return GW_R_OVERLOAD;
	xatt[a - att].a = a;
	t->out.xmpp = &xatt[a - att];
	arm_answer(a);
	return GW_R_NONE;
}

static void
xmpp_abort(struct gw_txn *t)
{
	if (t->out.xmpp != NULL) {
		t->out.xmpp->a->aborted = true;
		aborts++;
	}
	t->out.xmpp = NULL;
}

/* What a sender got: the completion hook of the inbound fake edge. */
struct got {
	uint64_t		 txn;
	int			 calls;
	enum gw_reason		 reason;
	int			 code;
	uint64_t		 at;
	uint64_t		 rt_gen;	/* the runtime it ran with */
};

static struct got	 got[64];
static size_t		 ngot;

static struct got *
got_of(uint64_t id)
{
	for (size_t i = 0; i < ngot; i++)
		if (got[i].txn == id)
			return &got[i];
	return NULL;
}

static void
in_done(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	struct got	*g = got_of(t->id);

	if (g == NULL)
		return;
	g->calls++;
	g->reason = o->reason;
	g->code = r->sip_code;
	g->at = vnow;
	g->rt_gen = t->rt->generation;
}

/* The daemon's observer counts and logs; this one counts. */
static int	 nfinished, nlookups;

static void
obs_finished(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	(void)t;
	(void)o;
	(void)r;
	nfinished++;
}

static void
obs_lookup(enum lookup_error e)
{
	(void)e;
	nlookups++;
}

static const struct txn_observer obs = { obs_finished, obs_lookup };

/*
 * The XMPP inbound edge's state: the address the sender wrote to.  A
 * spool delivery of an XMPP sender's message asks the edge to adopt it
 * (made here, freed by the reply or by t->in.free), never the spool.
 */
struct xmppgw_in {
	char	 jid[128];
};

static int	 adopts, in_frees, xmpp_replies, xmpp_receipts;

static void
fake_in_free(struct gw_txn *t)
{
	if (t->in.xmpp != NULL)
		in_frees++;
	free(t->in.xmpp);
	t->in.xmpp = NULL;
}

static int
fake_adopt(struct gw_txn *t, const char *self)
{
	if ((t->in.xmpp = calloc(1, sizeof(*t->in.xmpp))) == NULL)
		return -1;
	snprintf(t->in.xmpp->jid, sizeof(t->in.xmpp->jid), "%s", self);
	t->in.free = fake_in_free;
	adopts++;
	return 0;
}

/* The XMPP sender's answer; a spooled one gets its receipt on delivery. */
static void
xmpp_reply(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	xmpp_replies++;
	if (t->spool_row != 0 && o->status == GW_OK && t->in.xmpp != NULL &&
	    strcmp(t->in.xmpp->jid, "+12025550100@xmpp.gw.test") == 0)
		xmpp_receipts++;
	free(t->in.xmpp);
	t->in.xmpp = NULL;
	in_done(t, o, r);
}

static const struct relay_side	 fake_sip = { in_done, sip_send, sip_abort,
    NULL };
static const struct relay_side	 fake_xmpp = { xmpp_reply, xmpp_send,
    xmpp_abort, fake_adopt };

/* ------------------------------------------------ scenarios */

static char	 tmpdir[] = "/tmp/test_flow.XXXXXX";

/* A runtime from the configuration text @body (after the defaults). */
static struct gw_runtime *
load(const char *body)
{
	char		 path[256], err[512];
	FILE		*f;
	struct gw_conf	*c;
	struct gw_runtime *rt;

	snprintf(path, sizeof(path), "%s/imgate.conf", tmpdir);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fprintf(f, "gateway = { domain = \"gw.test\"; allow_root = true; };\n"
	    "sip = { listen = \"sip:127.0.0.1:5060\"; timeout_ms = 1000; };\n"
	    "dns = { servers = [ \"127.0.0.1:53\" ]; };\n"
	    "enum = { enumservices = [ \"im\", \"sip\", \"xmpp\" ];\n"
	    "    protocols = [ \"sip\", \"xmpp\" ]; };\n"
	    "xmpp = { enable = true; server = \"127.0.0.1\";\n"
	    "    domain = \"xmpp.gw.test\"; secret = \"s\"; };\n"
	    "limits = { txn_deadline_ms = 5000; };\n"
	    "acl = { sip_networks = [ \"127.0.0.0/8\" ]; };\n"
	    "spool = { path = \"%s/spool.db\"; commit_ms = 20;\n"
	    "    retry_initial_ms = 1000; retry_max_ms = 4000; };\n%s",
	    tmpdir, body);
	fclose(f);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (conf_load(path, c, err, sizeof(err)) != 0) {
		diag("conf: %s", err);
		free(c);
		return NULL;
	}
	rt = runtime_build(c, true);
	free(c);
	return rt;
}

static void
install(const char *body)
{
	struct gw_runtime	*rt = load(body);

	if (rt == NULL) {
		diag("cannot build the runtime");
		exit(1);
	}
	runtime_install(rt);
	relay_reconfigure(&rt->conf);
}

static void
reset(const struct dns_row *rows, size_t nrows, const struct far *far,
    size_t nfar)
{
	dns_table = rows;
	dns_nrows = nrows;
	far_table = far;
	far_n = nfar;
	natt = 0;
	ngot = 0;
	aborts = 0;
	dns_queries = 0;
	nfinished = nlookups = 0;
}

/* A SIP MESSAGE from 127.0.0.1 to @ruri, as sipgw would submit it. */
static uint64_t
submit(const char *ruri)
{
	struct gw_txn		*t = txn_new(PROTO_SIP);
	struct policy_source	 src;

	if (t == NULL)
		return 0;
	t->done = in_done;
	t->dest = txn_strndup(ruri, strlen(ruri));
	t->from = txn_strndup("sip:alice@127.0.0.1:5099", 24);
	t->call_id = txn_strndup("c1", 2);
	t->content_type = txn_strndup("text/plain", 10);
	t->body = txn_strndup("hello", 5);
	t->body_len = 5;
	memset(&src, 0, sizeof(src));
	src.proto = PROTO_SIP;
	src.family = AF_INET;
	src.has_addr = true;
	inet_pton(AF_INET, "127.0.0.1", src.addr);
	got[ngot++] = (struct got){ t->id, 0, GW_R_NONE, 0, 0, 0 };
	relay_submit(t, &src);
	return got[ngot - 1].txn;
}

/* A <message/> from juliet to @number at the component's domain. */
static uint64_t
submit_xmpp(const char *number)
{
	struct gw_txn		*t = txn_new(PROTO_XMPP);
	struct policy_source	 src;
	char			 self[128];

	if (t == NULL)
		return 0;
	snprintf(self, sizeof(self), "%s@xmpp.gw.test", number);
	t->done = xmpp_reply;
	fake_adopt(t, self);
	t->dest = txn_strndup(number, strlen(number));
	t->from = txn_strndup("sip:juliet%40x.test@gw.test", 27);
	t->xmpp_from = txn_strndup("juliet@x.test/r", 15);
	t->xmpp_id = txn_strndup("m1", 2);
	t->want_receipt = true;
	t->content_type = txn_strndup("text/plain", 10);
	t->body = txn_strndup("hi", 2);
	t->body_len = 2;
	memset(&src, 0, sizeof(src));
	src.proto = PROTO_XMPP;
	src.xmpp_domain = "x.test";
	got[ngot++] = (struct got){ t->id, 0, GW_R_NONE, 0, 0, 0 };
	relay_submit(t, &src);
	return got[ngot - 1].txn;
}

/* Every sender answered exactly once, nothing left in flight. */
static void
all_once(const char *what)
{
	bool	 once = true;

	for (size_t i = 0; i < ngot; i++)
		if (got[i].calls != 1) {
			diag("txn %llu: completion hook ran %d times",
			    (unsigned long long)got[i].txn, got[i].calls);
			once = false;
		}
	ok(once, "%s: every completion hook ran exactly once", what);
	is_int(txn_count(), 0, "%s: no transaction left", what);
}

#define NUM	"sip:+12025550100@gw.test"
#define K	"0.0.1.0.5.5.5.2.0.2.1.e164.arpa."
#define K2	"1.0.1.0.5.5.5.2.0.2.1.e164.arpa."
#define K3	"2.0.1.0.5.5.5.2.0.2.1.e164.arpa."

static const struct dns_row	 dns_srv[] = {
	{ K, 35, DNSQ_OK, 5, { "E2U+im", "!^.*$!im:bob@example.com!" } },
	{ "_im._sip.example.com.", 33, DNSQ_OK, 5,
	    { "10 0 5060 a.example.com.", "20 0 5070 b.example.com." } },
	{ "a.example.com.", 1, DNSQ_OK, 5, { "127.0.0.2" } },
	{ "b.example.com.", 1, DNSQ_OK, 5, { "127.0.0.3" } },
};

/* RFC 3861 targets in order; the first refuses with 503, the second
 * takes it. */
static void
test_target_walk(void)
{
	static const struct far	 far[] = {
		{ "127.0.0.2:5060", 503, NULL, 10 },
		{ "127.0.0.3:5070", 200, NULL, 10 },
	};
	struct got		*g;
	uint64_t		 id, t0 = vnow;

	reset(dns_srv, NELEM(dns_srv), far, NELEM(far));
	id = submit(NUM);
	run_for(10000);
	g = got_of(id);
	is_int(natt, 2, "walk: two attempts");
	is_str(att[0].hop, "127.0.0.2:5060", "walk: priority 10 first");
	is_str(att[1].hop, "127.0.0.3:5070", "walk: then priority 20");
	is_str(att[1].dest, "sip:bob@example.com", "walk: Request-URI from "
	    "the im: URI");
	is_int(g->code, 200, "walk: the sender gets the second's 200");
	is_int(g->reason, GW_R_DELIVERED, "walk: delivered");
	/* NAPTR, SRV (5 ms each); each target's A (5 ms) and AAAA (not
	 * in the table: 1 ms), one after the other; 10 ms answers. */
	is_int(g->at - t0, 5 + 5 + 6 + 10 + 6 + 10, "walk: answered at 42 ms "
	    "of virtual time");
	is_int(nlookups, 1, "walk: the observer saw one lookup");
	is_int(nfinished, 1, "walk: and one transaction end");
	all_once("walk");
}

/* Both hops silent: each attempt ends at sip.timeout_ms, then 408. */
static void
test_silent_hops(void)
{
	struct got	*g;
	uint64_t	 id, t0 = vnow;

	reset(dns_srv, NELEM(dns_srv), NULL, 0);
	id = submit(NUM);
	run_for(10000);
	g = got_of(id);
	is_int(natt, 2, "silent: both hops tried");
	is_int(att[1].at - att[0].at, 1000 + 6, "silent: the second after "
	    "sip.timeout_ms (and its address lookups)");
	is_int(aborts, 2, "silent: each silent attempt dropped once");
	is_int(g->code, 408, "silent: 408 to the sender");
	is_int(g->at - t0, 16 + 1000 + 6 + 1000, "silent: at the second "
	    "attempt's timeout, not the transaction deadline");
	all_once("silent");
}

/* DNS fails for now on a route with fallback_on tempfail: the link. */
static void
test_fallback(void)
{
	static const struct dns_row	 dns[] = {
		{ K, 35, DNSQ_TEMPFAIL, 5, { NULL } },
	};
	static const struct far		 far[] = {
		{ "127.0.0.9:5090", 200, NULL, 10 },
	};
	struct got			*g;
	uint64_t			 id;

	install("routes = ( { name = \"fb\"; prefix = \"+1202\";\n"
	    "  action = \"enum\"; fallback = [ \"sip:127.0.0.9:5090\" ];\n"
	    "  fallback_on = [ \"tempfail\" ]; } );\n");
	reset(dns, NELEM(dns), far, NELEM(far));
	id = submit(NUM);
	run_for(10000);
	g = got_of(id);
	is_int(natt, 1, "fallback: one attempt");
	is_str(att[0].hop, "127.0.0.9:5090", "fallback: to the link");
	is_str(att[0].dest, "sip:+12025550100@127.0.0.9:5090;user=phone",
	    "fallback: the number as user part");
	is_int(g->code, 200, "fallback: 200 to the sender");
	all_once("fallback");
	install("");
}

/*
 * The registry's deadline heap (gateway/flow/txn.c): many transactions,
 * deadlines set, moved earlier and later, some transactions ended before
 * theirs; every deadline left fires once, at its time, earliest first,
 * and one callback may set another transaction's deadline.
 */
#define DL_N	300
static uint64_t		 dl_want[DL_N], dl_got[DL_N];
static int		 dl_fired[DL_N];
static struct gw_txn	*dl_t[DL_N];
static uint64_t		 dl_base_id, dl_last_at;
static bool		 dl_in_order = true;

static void
dl_cb(struct gw_txn *t)
{
	size_t	 i = (size_t)(t->id - dl_base_id);

	if (i >= DL_N)
		return;
	dl_fired[i]++;
	dl_got[i] = vnow;
	if (vnow < dl_last_at)
		dl_in_order = false;
	dl_last_at = vnow;
	/* The one at 0 moves the one at 1 to 10 ms from now. */
	if (i == 0 && dl_t[1] != NULL) {
		txn_set_deadline(dl_t[1], 10, dl_cb);
		dl_want[1] = vnow + 10;
	}
	dl_t[i] = NULL;
	txn_free(t);
}

static void
test_deadline_heap(void)
{
	uint64_t	 t0 = vnow, r = 12345;
	unsigned	 wrong = 0, early_freed = 0;

	for (size_t i = 0; i < DL_N; i++) {
		dl_t[i] = txn_new(PROTO_SIP);
		if (i == 0)
			dl_base_id = dl_t[0]->id;
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		dl_want[i] = t0 + 1 + (r >> 33) % 5000;
		txn_set_deadline(dl_t[i], dl_want[i] - t0, dl_cb);
	}
	/* The first fires first; the second is moved later, then (by the
	 * first's callback) to 10 ms after the first. */
	txn_set_deadline(dl_t[0], 1, dl_cb);
	dl_want[0] = t0 + 1;
	txn_set_deadline(dl_t[1], 6000, dl_cb);
	/* Every third moved earlier or later, every fifth ended now. */
	for (size_t i = 3; i < DL_N; i += 3) {
		uint64_t ms = i % 2 ? 7 + i : 4000 + i;

		txn_set_deadline(dl_t[i], ms, dl_cb);
		dl_want[i] = t0 + ms;
	}
	for (size_t i = 5; i < DL_N; i += 5) {
		txn_free(dl_t[i]);
		dl_t[i] = NULL;
		dl_want[i] = 0;
		early_freed++;
	}
	run_for(7000);
	for (size_t i = 0; i < DL_N; i++)
		if (dl_want[i] == 0 ? dl_fired[i] != 0 :
		    dl_fired[i] != 1 || dl_got[i] != dl_want[i]) {
			if (wrong++ < 5)
				diag("txn %zu: want %llu, fired %d at %llu", i,
				    (unsigned long long)(dl_want[i] - t0),
				    dl_fired[i],
				    (unsigned long long)(dl_got[i] - t0));
		}
	is_int(wrong, 0, "deadline heap: %d deadlines fire once each, at "
	    "their time; the %u ended first never", DL_N, early_freed);
	ok(dl_in_order, "deadline heap: earliest first");
	is_int(dl_got[1] - t0, 11, "deadline heap: a deadline set from "
	    "another's callback");
}

/* No DNS answer: the deadline answers; the answer after it is dropped. */
static void
test_dns_deadline(void)
{
	static const struct dns_row	 dns[] = {
		{ K, 35, DNSQ_OK, NEVER,
		    { "E2U+sip", "!^.*$!sip:bob@127.0.0.2:5060!" } },
	};
	static const struct far		 far[] = {
		{ "127.0.0.2:5060", 200, NULL, 10 },
	};
	struct got			*g;
	uint64_t			 id, t0 = vnow;

	reset(dns, NELEM(dns), far, NELEM(far));
	id = submit(NUM);
	run_for(10000);
	g = got_of(id);
	is_int(g->reason, GW_R_DNS_TEMPFAIL, "deadline: DNS temporary "
	    "failure");
	is_int(g->code, 503, "deadline: 503 to the sender");
	is_int(g->at - t0, 5000, "deadline: at limits.txn_deadline_ms");
	/* The resolver answers at last: nothing may happen. */
	dns_flush();
	run_for(1000);
	is_int(natt, 0, "deadline: a late answer sends nothing");
	all_once("deadline");
}

/* XMPP: a receipt is 200, none 202, an error its RFC 7247 code. */
static void
test_xmpp(void)
{
	static const struct dns_row	 dns[] = {
		{ K, 35, DNSQ_OK, 5, { "E2U+xmpp", "!^.*$!xmpp:r@x.test!" } },
		{ K2, 35, DNSQ_OK, 5, { "E2U+xmpp", "!^.*$!xmpp:n@x.test!" } },
		{ K3, 35, DNSQ_OK, 5, { "E2U+xmpp", "!^.*$!xmpp:e@x.test!" } },
	};
	static const struct far		 far[] = {
		{ "r@x.test", 0, "receipt", 10 },
		{ "n@x.test", 0, "none", 10 },
		{ "e@x.test", 0, "item-not-found", 10 },
	};
	uint64_t			 r, n, e;

	reset(dns, NELEM(dns), far, NELEM(far));
	r = submit(NUM);
	n = submit("sip:+12025550101@gw.test");
	e = submit("sip:+12025550102@gw.test");
	run_for(10000);
	is_int(natt, 3, "xmpp: three stanzas");
	is_int(got_of(r)->code, 200, "xmpp: receipt -> 200");
	is_int(got_of(n)->code, 202, "xmpp: no receipt -> 202");
	is_int(got_of(e)->code, 404, "xmpp: item-not-found -> 404");
	is_int(got_of(e)->reason, GW_R_PEER_ERROR, "xmpp: a peer error");
	all_once("xmpp");
}

/* Shutdown while an attempt is in flight: dropped once, 503, once. */
static void
shutdown_one(struct gw_txn *t)
{
	txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL, GW_R_SHUTDOWN, 0,
	    NULL, false });
}

static void
test_shutdown(void)
{
	struct got	*g;
	uint64_t	 id;

	reset(dns_srv, NELEM(dns_srv), NULL, 0);
	id = submit(NUM);
	run_for(100);
	is_int(natt, 1, "shutdown: an attempt in flight");
	txn_foreach(shutdown_one);
	g = got_of(id);
	is_int(aborts, 1, "shutdown: the edge drops it once");
	is_int(g->code, 503, "shutdown: 503 to the sender");
	run_for(10000);
	is_int(natt, 1, "shutdown: nothing sent after");
	all_once("shutdown");
}

/* A reload while a transaction runs: it keeps its runtime to the end;
 * the next one runs with the new. */
static void
test_reload(void)
{
	static const struct far	 far[] = {
		{ "127.0.0.5:5060", 200, NULL, 800 },
		{ "127.0.0.6:5060", 200, NULL, 10 },
	};
	uint64_t		 a, b, gen;

	reset(NULL, 0, far, NELEM(far));
	install("routes = ( { name = \"s\"; prefix = \"+1202\";\n"
	    "  action = \"static\"; target = \"sip:127.0.0.5:5060\"; } );\n");
	gen = runtime_current()->generation;
	a = submit(NUM);
	run_for(100);
	install("routes = ( { name = \"s\"; prefix = \"+1202\";\n"
	    "  action = \"static\"; target = \"sip:127.0.0.6:5060\"; } );\n");
	b = submit(NUM);
	run_for(10000);
	is_int(natt, 2, "reload: two attempts");
	is_str(att[0].hop, "127.0.0.5:5060", "reload: the first to the old "
	    "target");
	is_str(att[1].hop, "127.0.0.6:5060", "reload: the second to the "
	    "new");
	is_int(got_of(a)->rt_gen, gen, "reload: the first ran on its "
	    "runtime to the end");
	ok(got_of(b)->rt_gen > gen, "reload: the second on the new one");
	ok(got_of(b)->at < got_of(a)->at, "reload: the second is answered "
	    "first");
	is_int(got_of(a)->code, 200, "reload: the first still delivered");
	all_once("reload");
	install("");
}

/* Store-and-forward: 202 after the commit, a retry after a 503, the
 * delivery, and a failure notice to the sender after a 404. */
static void
test_spool(void)
{
	static const struct far	 far[] = {
		{ "127.0.0.7:5060", 503, NULL, 10 },
		{ "127.0.0.8:5060", 404, NULL, 10 },
		{ "127.0.0.1:5099", 200, NULL, 10 },
	};
	struct got		*g;
	uint64_t		 id, t0;
	size_t			 i, n7 = 0, n8 = 0, nn = 0;
	static struct far	 ok7;

	reset(NULL, 0, far, NELEM(far));
	install("routes = ( { name = \"saf\"; prefix = \"+12025550100\";\n"
	    "  action = \"static\"; target = \"sip:127.0.0.7:5060\";\n"
	    "  mode = \"store-and-forward\"; },\n"
	    "  { name = \"saf2\"; prefix = \"+1202\";\n"
	    "  action = \"static\"; target = \"sip:127.0.0.8:5060\";\n"
	    "  mode = \"store-and-forward\"; } );\n");
	if (spool_init(&vloop, NULL, &runtime_current()->conf, &fake_sip,
	    &fake_xmpp) != 0) {
		ok(0, "spool: cannot open the spool");
		return;
	}
	t0 = vnow;
	id = submit(NUM);
	run_for(10);
	g = got_of(id);
	is_int(g->calls, 0, "spool: nobody answered before the commit");
	run_for(20);
	is_int(g->code, 202, "spool: 202 once committed");
	is_int(g->reason, GW_R_SPOOLED, "spool: spooled");
	ok(g->at - t0 >= 20, "spool: not before spool.commit_ms");
	run_for(100);
	is_int(natt, 1, "spool: the first delivery attempt");
	is_str(att[0].hop, "127.0.0.7:5060", "spool: to the route's target");
	is_int(spool_count(), 1, "spool: one row");
	/* The far end answers 503: retried after retry_initial_ms less up
	 * to a quarter (jitter).  Then it takes it. */
	ok7 = far[0];
	ok7.code = 200;
	far_table = &ok7;
	far_n = 1;
	run_for(600);
	is_int(natt, 1, "spool: no retry before three quarters of "
	    "spool.retry_initial_ms");
	run_for(1000);
	is_int(natt, 2, "spool: retried");
	run_for(200);
	is_int(spool_count(), 0, "spool: delivered, row deleted");
	/* A permanent failure: a notice to the sender's From URI. */
	far_table = far;
	far_n = NELEM(far);
	natt = 0;
	ngot = 0;
	id = submit("sip:+12025550199@gw.test");
	run_for(5000);
	for (i = 0; i < natt; i++) {
		n7 += strcmp(att[i].hop, "127.0.0.7:5060") == 0;
		n8 += strcmp(att[i].hop, "127.0.0.8:5060") == 0;
		nn += strcmp(att[i].hop, "127.0.0.1:5099") == 0 &&
		    strstr(att[i].body, "could not be delivered") != NULL;
	}
	is_int(got_of(id)->code, 202, "notice: 202 to the sender");
	is_int(n8, 1, "notice: one attempt, 404 is final");
	is_int(nn, 1, "notice: the failure notice went to the From URI");
	is_int(n7, 0, "notice: nothing to the other route");
	is_int(spool_count(), 0, "notice: spool empty after the notice");
	/* An XMPP sender: each delivery attempt gets the edge's state from
	 * the edge; a retried one frees it through t->in.free, the
	 * delivered one answers with the receipt. */
	far_table = &ok7;
	far_n = 1;
	ok7.code = 503;
	natt = 0;
	adopts = in_frees = xmpp_replies = xmpp_receipts = 0;
	id = submit_xmpp("+12025550100");
	run_for(130);
	is_int(got_of(id)->reason, GW_R_SPOOLED, "xmpp spool: spooled");
	is_int(natt, 1, "xmpp spool: first attempt");
	ok7.code = 200;
	run_for(2000);
	is_int(natt, 2, "xmpp spool: retried and delivered");
	is_int(adopts, 1 + 2, "xmpp spool: the edge adopted each delivery");
	is_int(in_frees, 1, "xmpp spool: the retried one freed by its edge");
	is_int(xmpp_receipts, 1, "xmpp spool: the receipt on delivery");
	is_int(spool_count(), 0, "xmpp spool: row deleted");
	all_once("spool");
	spool_close();
	install("");
}

/* Store a due message straight into the spool file (another
 * connection, as an earlier run would have left it). */
static int
spool_put(const char *msgid, int64_t next_attempt)
{
	char		 path[300];
	sqlite3		*db;
	sqlite3_stmt	*st;
	int		 rc = -1;

	snprintf(path, sizeof(path), "%s/spool.db", tmpdir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 1000);
	if (sqlite3_prepare_v2(db, "INSERT INTO spool (msgid, created, "
	    "next_attempt, kind, origin, src_proto, src_family, from_uri, "
	    "dest, content_type, body) VALUES (?1, ?2, ?2, 0, 0, 0, 0, "
	    "'sip:alice@a.test', 'sip:+12025550100@gw.test', 'text/plain', "
	    "CAST('hi' AS BLOB))", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, msgid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, next_attempt);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	sqlite3_finalize(st);
out:
	sqlite3_close(db);
	return rc;
}

/*
 * A row that falls due while a claim starts the rows due before it (the
 * clock moves on while they are sent): the spool looks again at once.
 * It used to take that row's due time, now past, for "nothing due" and
 * sleep spool's idle minute.
 */
static void
test_spool_due_meanwhile(void)
{
	/* Slow to answer: no delivery ends (and looks again) meanwhile. */
	static const struct far	 far[] = {
		{ "127.0.0.7:5060", 200, NULL, 500 },
	};
	int64_t			 wall;

	reset(NULL, 0, far, NELEM(far));
	install("routes = ( { name = \"saf\"; prefix = \"+1202\";\n"
	    "  action = \"static\"; target = \"sip:127.0.0.7:5060\";\n"
	    "  mode = \"store-and-forward\"; } );\n");
	if (spool_init(&vloop, NULL, &runtime_current()->conf, &fake_sip,
	    &fake_xmpp) != 0) {
		ok(0, "due meanwhile: cannot open the spool");
		return;
	}
	run_for(10);
	wall = vloop.ops->wall_ms(NULL);
	/*
	 * A is made due now (imgatectl queue retry: one read of the clock,
	 * then the claim's, then the one that times the next look, each a
	 * millisecond later): B, due at the third, falls due after the
	 * claim and before the spool decides when to look again.
	 */
	ok(spool_put("0000000000000000000000000000000a", wall + 60000) ==
	    0 && spool_put("0000000000000000000000000000000b", wall + 2) ==
	    0, "due meanwhile: two rows stored");
	wall_read_ms = 1;
	is_int(spool_queue_retry("0000000000000000000000000000000a"),
	    SPOOL_ADMIN_OK, "due meanwhile: A made due (a claim now)");
	wall_read_ms = 0;
	run_for(50);
	ok(natt >= 1 && strcmp(att[0].body, "hi") == 0,
	    "due meanwhile: A sent");
	is_int(natt, 2, "due meanwhile: B sent within milliseconds, not "
	    "after the spool's idle wait");
	run_for(1000);
	is_int(spool_count(), 0, "due meanwhile: both delivered");
	all_once("due meanwhile");
	spool_close();
	install("");
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	log_init(true, LOG_L_WARNING, "test_flow");
	txn_init(&vloop, 1000);
	txn_set_observer(&obs);
	install("");
	relay_init(&dnsq, &fake_sip, &fake_xmpp, spool_accept);
	test_target_walk();
	test_silent_hops();
	test_fallback();
	test_dns_deadline();
	test_deadline_heap();
	test_xmpp();
	test_shutdown();
	test_reload();
	test_spool();
	test_spool_due_meanwhile();
	dns_flush();
	relay_fini();
	txn_fini();
	runtime_fini();
	{
		char	 cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			diag("cannot remove %s", tmpdir);
	}
	return done_testing();
}
