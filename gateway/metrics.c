/*
 * gateway/metrics.c - the counters and their exposition (see metrics.h).
 *
 * Names follow the Prometheus conventions: imgate_ prefix, _total for
 * counters, base units (_seconds, _bytes).  Label sets are closed: a
 * protocol, a status class, a gw_reason name, a lookup error name, or a
 * route name from the configuration (at most METRICS_MAX_ROUTES distinct
 * names; later ones count under "other"), so a sender cannot grow the
 * series count.
 *
 * With several workers, counters are the sum over the workers' slots
 * (gateway/workers_shm); the gauges where a sum would mislead (loop lag,
 * CPU, memory, restarts) come per worker, labelled worker="K".
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "gateway/dns.h"
#include "gateway/flow/spool.h"
#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/runtime.h"
#include "gateway/sipgw.h"
#include "gateway/workers_shm.h"

/* End-to-end latency buckets, seconds. */
static const double metrics_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30
};
_Static_assert(sizeof(metrics_bounds) / sizeof(metrics_bounds[0]) ==
    METRICS_NB, "METRICS_NB is the number of latency bounds");

/* Counts before metrics_init() (a program without the daemon's start,
 * a unit test) go here. */
static struct metrics_counters	 mlocal;

static struct {
	struct dns		*dns;
	time_t			 started;
	struct workers_shm_slot	*slot;		/* this process's */
	struct metrics_counters	*c;		/* &slot->mc */
	uint64_t		 lag_max_ms;
	bool			 component_up;	/* gateway/xmppgw's word */
} m = { .c = &mlocal };

/* The sum over the workers, built for one scrape or one "stats". */
static struct metrics_counters	 msum;

static const char *const proto_name[METRICS_NPROTO] = { "sip", "xmpp" };
static const char *const class_name[METRICS_NCLASS] = {
	"1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "other" };
static const char *const outcome_name[METRICS_NOUTCOME] = {
	"ok", "tempfail", "permfail" };

void
metrics_init(struct dns *dns, int k)
{
	m.dns = dns;
	m.started = time(NULL);
	if ((m.slot = workers_shm_slot(k)) == NULL)
		fatalx("metrics_init: no slot for worker %d", k);
	m.c = &m.slot->mc;
}

static size_t
class_of(int code)
{
	return code >= 100 && code < 700 ? (size_t)(code / 100 - 1) :
	    METRICS_NCLASS - 1;
}

static size_t
outcome_of(enum gw_status s)
{
	return s == GW_OK ? 0 : s == GW_TEMPFAIL ? 1 : 2;
}

/* The slot of route @name in @c; the last slot collects names past the
 * cap.  The name is written before the count that makes it visible. */
static struct metrics_route *
route_slot(struct metrics_counters *c, const char *name)
{
	size_t	 i, n = (size_t)c->nroutes;

	if (n > METRICS_MAX_ROUTES)
		n = METRICS_MAX_ROUTES;
	for (i = 0; i < n; i++)
		if (strcmp(c->routes[i].name, name) == 0)
			return &c->routes[i];
	if (n == METRICS_MAX_ROUTES) {
		snprintf(c->routes[i].name, sizeof(c->routes[i].name),
		    "other");
		return &c->routes[METRICS_MAX_ROUTES];
	}
	snprintf(c->routes[i].name, sizeof(c->routes[i].name), "%s", name);
	__atomic_store_n(&c->nroutes, n + 1, __ATOMIC_RELEASE);
	return &c->routes[i];
}

static void
hist_add(struct metrics_hist *h, double v)
{
	size_t	 i;

	for (i = 0; i < METRICS_NB && v > metrics_bounds[i]; i++)
		;
	h->counts[i]++;
	h->sum += v;
}

void
metrics_txn_done(const struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	size_t	 oc = outcome_of(o->status);
	size_t	 in = t->origin == PROTO_XMPP ? 1 : 0;
	bool	 sent;

	if ((size_t)o->reason < GW_REASON_COUNT)
		m.c->reason[o->reason]++;
	/* The routing decision: the configured route that matched, or
	 * "default" (no routes block: ENUM for everything). */
	if (t->route_idx >= 0 && t->rt != NULL &&
	    (size_t)t->route_idx < t->rt->conf.nroutes)
		route_slot(m.c, t->rt->conf.routes[t->route_idx].name)->n[oc]++;
	else
		route_slot(m.c, "default")->n[oc]++;
	/* A far end answered, or was waited for in vain. */
	sent = t->route != NULL && (o->reason == GW_R_DELIVERED ||
	    o->reason == GW_R_PEER_ERROR || o->reason == GW_R_PEER_TIMEOUT);
	if (sent) {
		size_t op = t->route->proto == PROTO_XMPP ? 1 : 0;
		int code = o->peer_code != 0 ? o->peer_code :
		    o->reason == GW_R_DELIVERED ? 200 :
		    o->reason == GW_R_PEER_TIMEOUT ? 408 : 0;

		m.c->out[op][class_of(code)]++;
	}
	if (t->spool_row != 0) {
		m.c->spool_deliveries[oc]++;
		return;
	}
	m.c->in[in][class_of(r->sip_code)]++;
	if (sent && o->status == GW_OK) {
		size_t op = t->route->proto == PROTO_XMPP ? 1 : 0;
		uint64_t now = txn_now_ms();

		hist_add(&m.c->latency[in][op], now >= t->started_ms ?
		    (double)(now - t->started_ms) / 1000.0 : 0);
	}
}

void
metrics_lookup_done(enum lookup_error e)
{
	if ((size_t)e < METRICS_NLOOKUP)
		m.c->lookups[e]++;
}

void
metrics_component_state(bool up)
{
	m.component_up = up;
	if (up)
		m.c->component_connects++;
}

void
metrics_component_refused(unsigned cap)
{
	if (cap < METRICS_NSTREAMCAP)
		m.c->component_refused[cap]++;
}

void
metrics_component_taken_back(uint64_t n)
{
	m.c->component_taken_back += n;
}

/* ----------------------------------------------------- the workers */

static uint64_t
cpu_us(void)
{
	struct rusage	 ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	    1000000 + (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static uint64_t
rss_bytes(void)
{
	FILE		*f;
	unsigned long	 size, rss = 0;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void
publish_overload(struct workers_shm_overload *o)
{
	struct sipgw_overload_stats	 st;

	sipgw_overload_stats(&st);
	o->share = st.share;
	o->refused_raw = st.refused_raw;
	o->refused_parsed = st.refused_parsed;
	o->dropped = st.dropped;
	o->batched = st.batched;
	o->held = st.held;
	o->udp_reads = st.udp_reads;
	o->udp_datagrams = st.udp_datagrams;
}

void
metrics_publish(uint64_t lag_ms)
{
	struct workers_shm_slot	*s = m.slot;
	size_t			 n;

	if (s == NULL)
		return;
	if (m.dns != NULL) {
		dns_get_stats(m.dns, &s->dns);
		n = dns_server_stats(m.dns, s->servers, WORKERS_SHM_SERVERS);
		s->nservers = n > WORKERS_SHM_SERVERS ? WORKERS_SHM_SERVERS : n;
	}
	s->transactions = txn_count();
	s->generation = runtime_current() != NULL ?
	    runtime_current()->generation : 0;
	s->lag_ms = lag_ms;
	if (lag_ms > m.lag_max_ms)
		m.lag_max_ms = lag_ms;
	s->lag_max_ms = m.lag_max_ms;
	s->cpu_us = cpu_us();
	publish_overload(&s->overload);
	/* /proc/self/statm once a second is plenty for a gauge. */
	if (s->tick_ms / 1000 != dns_now_ms() / 1000)
		s->rss_bytes = rss_bytes();
	__atomic_store_n(&s->tick_ms, dns_now_ms(), __ATOMIC_RELEASE);
}

/* @a += @b; routes are merged by name. */
static void
counters_add(struct metrics_counters *a, const struct metrics_counters *b)
{
	size_t	 i, j, n;

	for (i = 0; i < METRICS_NPROTO; i++)
		for (j = 0; j < METRICS_NCLASS; j++) {
			a->in[i][j] += b->in[i][j];
			a->out[i][j] += b->out[i][j];
		}
	for (i = 0; i < GW_REASON_COUNT; i++)
		a->reason[i] += b->reason[i];
	for (i = 0; i < METRICS_NOUTCOME; i++)
		a->spool_deliveries[i] += b->spool_deliveries[i];
	for (i = 0; i < METRICS_NLOOKUP; i++)
		a->lookups[i] += b->lookups[i];
	a->component_connects += b->component_connects;
	for (i = 0; i < METRICS_NSTREAMCAP; i++)
		a->component_refused[i] += b->component_refused[i];
	a->component_taken_back += b->component_taken_back;
	n = (size_t)__atomic_load_n(&b->nroutes, __ATOMIC_ACQUIRE);
	if (n > METRICS_MAX_ROUTES)
		n = METRICS_MAX_ROUTES;
	for (i = 0; i <= n; i++) {
		const struct metrics_route *r = i < n ? &b->routes[i] :
		    &b->routes[METRICS_MAX_ROUTES];
		struct metrics_route *to;

		if (r->name[0] == '\0')
			continue;
		to = i < n ? route_slot(a, r->name) :
		    &a->routes[METRICS_MAX_ROUTES];
		if (i == n)
			snprintf(to->name, sizeof(to->name), "other");
		for (j = 0; j < METRICS_NOUTCOME; j++)
			to->n[j] += r->n[j];
	}
	for (i = 0; i < METRICS_NPROTO; i++)
		for (j = 0; j < METRICS_NPROTO; j++) {
			for (n = 0; n <= METRICS_NB; n++)
				a->latency[i][j].counts[n] +=
				    b->latency[i][j].counts[n];
			a->latency[i][j].sum += b->latency[i][j].sum;
		}
}

/* msum = the sum over every worker; this process's gauges fresh. */
static void
sum_workers(void)
{
	metrics_publish(m.slot != NULL ? m.slot->lag_ms : 0);
	memset(&msum, 0, sizeof(msum));
	for (int k = 0; k < workers_shm_n(); k++)
		counters_add(&msum, &workers_shm_slot(k)->mc);
}

uint64_t
metrics_worker_in(int k)
{
	const struct workers_shm_slot	*s = workers_shm_slot(k);
	uint64_t			 n = 0;

	if (s == NULL)
		return 0;
	for (size_t i = 0; i < METRICS_NPROTO; i++)
		for (size_t c = 0; c < METRICS_NCLASS; c++)
			n += s->mc.in[i][c];
	return n;
}

void
metrics_dns_sum(struct dns_stats *st)
{
	metrics_publish(m.slot != NULL ? m.slot->lag_ms : 0);
	memset(st, 0, sizeof(*st));
	for (int k = 0; k < workers_shm_n(); k++) {
		workers_shm_dns_add(st, &workers_shm_slot(k)->dns);
		workers_shm_dns_add(st, &workers_shm_slot(k)->retired_dns);
	}
}

/* ------------------------------------------------------------ render */

static void
render_messages(struct promtext *p)
{
	struct promtext_label	 l[2];
	size_t			 i, c, nr;

	promtext_family(p, "imgate_messages_in_total", "Messages received, "
	    "by protocol and the class of the answer the sender got",
	    "counter");
	for (i = 0; i < METRICS_NPROTO; i++)
		for (c = 0; c < METRICS_NCLASS; c++) {
			l[0] = (struct promtext_label){ "protocol",
			    proto_name[i] };
			l[1] = (struct promtext_label){ "class",
			    class_name[c] };
			promtext_uint(p, "imgate_messages_in_total", l, 2,
			    msum.in[i][c]);
		}
	promtext_family(p, "imgate_messages_out_total", "Messages forwarded, "
	    "by protocol and the class of the far end's final answer "
	    "(408: none)", "counter");
	for (i = 0; i < METRICS_NPROTO; i++)
		for (c = 0; c < METRICS_NCLASS; c++) {
			l[0] = (struct promtext_label){ "protocol",
			    proto_name[i] };
			l[1] = (struct promtext_label){ "class",
			    class_name[c] };
			promtext_uint(p, "imgate_messages_out_total", l, 2,
			    msum.out[i][c]);
		}
	promtext_family(p, "imgate_outcomes_total", "Finished transactions "
	    "by outcome reason", "counter");
	for (i = 1; i < GW_REASON_COUNT; i++) {
		l[0] = (struct promtext_label){ "reason",
		    status_strreason((enum gw_reason)i) };
		promtext_uint(p, "imgate_outcomes_total", l, 1, msum.reason[i]);
	}
	promtext_family(p, "imgate_refusals_total", "Messages refused by "
	    "the source ACL or the rate limit", "counter");
	l[0] = (struct promtext_label){ "reason", "acl" };
	promtext_uint(p, "imgate_refusals_total", l, 1,
	    msum.reason[GW_R_FORBIDDEN]);
	l[0] = (struct promtext_label){ "reason", "rate_limit" };
	promtext_uint(p, "imgate_refusals_total", l, 1,
	    msum.reason[GW_R_RATE_LIMITED]);
	promtext_family(p, "imgate_routing_decisions_total", "Finished "
	    "transactions by the route that matched and their outcome",
	    "counter");
	nr = (size_t)msum.nroutes +
	    (msum.routes[METRICS_MAX_ROUTES].name[0] != '\0' ? 1 : 0);
	for (i = 0; i < nr; i++) {
		const struct metrics_route *rr = i < msum.nroutes ?
		    &msum.routes[i] : &msum.routes[METRICS_MAX_ROUTES];

		for (c = 0; c < METRICS_NOUTCOME; c++) {
			l[0] = (struct promtext_label){ "route", rr->name };
			l[1] = (struct promtext_label){ "outcome",
			    outcome_name[c] };
			promtext_uint(p, "imgate_routing_decisions_total", l,
			    2, rr->n[c]);
		}
	}
	promtext_family(p, "imgate_lookups_total", "ENUM / RFC 3861 lookups "
	    "by result", "counter");
	for (i = 0; i < METRICS_NLOOKUP; i++) {
		const char *e = lookup_strerror((enum lookup_error)i);

		l[0] = (struct promtext_label){ "result", e != NULL ? e :
		    "ok" };
		promtext_uint(p, "imgate_lookups_total", l, 1, msum.lookups[i]);
	}
	promtext_family(p, "imgate_latency_seconds", "Time from arrival to "
	    "the far end's acceptance, by path", "histogram");
	for (i = 0; i < METRICS_NPROTO; i++)
		for (c = 0; c < METRICS_NPROTO; c++) {
			char	 path[16];

			snprintf(path, sizeof(path), "%s_to_%s",
			    proto_name[i], proto_name[c]);
			l[0] = (struct promtext_label){ "path", path };
			promtext_histogram(p, "imgate_latency_seconds", l, 1,
			    metrics_bounds, msum.latency[i][c].counts,
			    METRICS_NB, msum.latency[i][c].sum);
		}
}

static void
counter(struct promtext *p, const char *name, const char *help,
    uint64_t v)
{
	promtext_family(p, name, help, "counter");
	promtext_uint(p, name, NULL, 0, v);
}

static void
gauge(struct promtext *p, const char *name, const char *help, double v)
{
	promtext_family(p, name, help, "gauge");
	promtext_double(p, name, NULL, 0, v);
}

/* Completed queries by outcome, and their latency in seconds. */
static void
render_dns_answers(struct promtext *p, const struct dns_stats *st)
{
	static const char *const outcome[] = { "ok", "nodata", "nxdomain",
	    "tempfail" };
	static const uint64_t	 ms[] = DNS_LATENCY_BOUNDS_MS;
	double			 bounds[DNS_LATENCY_NB];
	struct promtext_label	 l = { "outcome", NULL };
	size_t			 i;

	promtext_family(p, "imgate_dns_answers_total", "DNS queries "
	    "completed, by outcome (tempfail: SERVFAIL, REFUSED, timeout, "
	    "malformed)", "counter");
	for (i = 0; i <= DNSQ_TEMPFAIL; i++) {
		l.value = outcome[i];
		promtext_uint(p, "imgate_dns_answers_total", &l, 1,
		    st->answers[i]);
	}
	for (i = 0; i < DNS_LATENCY_NB; i++)
		bounds[i] = (double)ms[i] / 1000.0;
	promtext_family(p, "imgate_dns_query_duration_seconds", "Time from "
	    "sending a DNS query to its answer or giving up", "histogram");
	promtext_histogram(p, "imgate_dns_query_duration_seconds", NULL, 0,
	    bounds, st->latency, DNS_LATENCY_NB,
	    (double)st->latency_sum_ms / 1000.0);
}

/* ENUM server health (gateway/dns, enum/dnshealth): one series each. */
#define METRICS_DNS_SERVERS	16

/* Is worker @k's slot one to read (running, or this process)? */
static bool
slot_live(int k)
{
	const struct workers_shm_slot	*s = workers_shm_slot(k);

	return s != NULL && (s == m.slot || s->pid != 0);
}

/* Published by the last tick of each worker; this process's fresh. */
size_t
metrics_dns_servers(struct dns_server_stats *sv, size_t cap)
{
	size_t	 n = 0, i, j;

	metrics_publish(m.slot != NULL ? m.slot->lag_ms : 0);
	for (int k = 0; k < workers_shm_n(); k++) {
		const struct workers_shm_slot *s = workers_shm_slot(k);

		if (!slot_live(k))
			continue;
		for (i = 0; i < s->nservers && i < WORKERS_SHM_SERVERS;
		    i++) {
			const struct dns_server_stats *x = &s->servers[i];

			for (j = 0; j < n; j++)
				if (strcmp(sv[j].name, x->name) == 0)
					break;
			if (j == n) {
				if (n == cap)
					continue;
				sv[n++] = *x;
				continue;
			}
			sv[j].up = sv[j].up && x->up;
			sv[j].probing = sv[j].probing || x->probing;
			if (x->consecutive > sv[j].consecutive)
				sv[j].consecutive = x->consecutive;
			if (x->since_ms > sv[j].since_ms)
				sv[j].since_ms = x->since_ms;
			sv[j].queries += x->queries;
			sv[j].failures += x->failures;
			sv[j].outages += x->outages;
			sv[j].probes += x->probes;
			sv[j].probe_failures += x->probe_failures;
		}
	}
	return n;
}

static void
render_dns_servers(struct promtext *p)
{
	struct dns_server_stats	 sv[METRICS_DNS_SERVERS];
	struct promtext_label	 l = { "server", NULL };
	size_t			 i, n;

	n = metrics_dns_servers(sv, METRICS_DNS_SERVERS);
	promtext_family(p, "imgate_dns_server_up", "1 while a DNS server "
	    "is in service (in every worker), 0 while it is out and probed",
	    "gauge");
	for (i = 0; i < n; i++) {
		l.value = sv[i].name;
		promtext_uint(p, "imgate_dns_server_up", &l, 1, sv[i].up);
	}
	promtext_family(p, "imgate_dns_server_failures_total", "Queries a "
	    "DNS server did not answer usably (timeout, SERVFAIL, REFUSED)",
	    "counter");
	for (i = 0; i < n; i++) {
		l.value = sv[i].name;
		promtext_uint(p, "imgate_dns_server_failures_total", &l, 1,
		    sv[i].failures);
	}
	promtext_family(p, "imgate_dns_server_outages_total", "Times a DNS "
	    "server was taken out of service", "counter");
	for (i = 0; i < n; i++) {
		l.value = sv[i].name;
		promtext_uint(p, "imgate_dns_server_outages_total", &l, 1,
		    sv[i].outages);
	}
	promtext_family(p, "imgate_dns_server_probes_total", "Probe queries "
	    "sent to a DNS server out of service", "counter");
	for (i = 0; i < n; i++) {
		l.value = sv[i].name;
		promtext_uint(p, "imgate_dns_server_probes_total", &l, 1,
		    sv[i].probes);
	}
}

static void
render_dns(struct promtext *p)
{
	struct dns_stats	 st;
	struct promtext_label	 l;

	if (m.dns == NULL)
		return;
	metrics_dns_sum(&st);
	counter(p, "imgate_dns_queries_total", "DNS queries sent",
	    st.queries_sent);
	counter(p, "imgate_dns_failures_total", "DNS queries that failed",
	    st.failures);
	render_dns_answers(p, &st);
	render_dns_servers(p);
	counter(p, "imgate_dns_cache_hits_total", "Answers from the cache",
	    st.cache_hits);
	counter(p, "imgate_dns_cache_coalesced_total", "Questions that "
	    "joined a query in flight", st.coalesced);
	gauge(p, "imgate_dns_cache_entries", "Entries in the DNS cache",
	    (double)st.entries);
	gauge(p, "imgate_dns_cache_bytes", "Bytes held by the DNS cache",
	    (double)st.bytes);
	promtext_family(p, "imgate_dns_dropped_total", "DNS datagrams "
	    "dropped before the resolver saw them, by reason", "counter");
	l = (struct promtext_label){ "reason", "unknown_id" };
	promtext_uint(p, "imgate_dns_dropped_total", &l, 1,
	    st.dropped_unknown_id);
	l.value = "question";
	promtext_uint(p, "imgate_dns_dropped_total", &l, 1,
	    st.dropped_question);
	l.value = "case";
	promtext_uint(p, "imgate_dns_dropped_total", &l, 1, st.dropped_case);
	l.value = "malformed";
	promtext_uint(p, "imgate_dns_dropped_total", &l, 1,
	    st.dropped_malformed);
	counter(p, "imgate_dns_case_fallbacks_total", "Queries resent in "
	    "lower case (server did not echo 0x20)", st.case_fallbacks);
	counter(p, "imgate_dns_refused_total", "Queries not sent (no free "
	    "ID or no randomness)", st.refused);
}

/* Open descriptors: entries of /proc/self/fd (less the DIR's own). */
static long
open_fds(void)
{
	DIR		*d = opendir("/proc/self/fd");
	struct dirent	*e;
	long		 n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static void
render_process(struct promtext *p)
{
	struct rusage	 ru;
	FILE		*f;
	unsigned long	 size, rss;
	long		 fds;

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		promtext_family(p, "process_cpu_seconds_total", "User and "
		    "system CPU time", "counter");
		promtext_double(p, "process_cpu_seconds_total", NULL, 0,
		    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) /
		    1e6);
	}
	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(f, "%lu %lu", &size, &rss) == 2)
			gauge(p, "process_resident_memory_bytes",
			    "Resident set size",
			    (double)rss * (double)sysconf(_SC_PAGESIZE));
		fclose(f);
	}
	if ((fds = open_fds()) >= 0)
		gauge(p, "process_open_fds", "Open file descriptors",
		    (double)fds);
	gauge(p, "process_start_time_seconds", "Start time, seconds since "
	    "the epoch", (double)m.started);
}

/* One series per worker (a single process is worker 0). */
static void
render_workers(struct promtext *p)
{
	static const struct {
		const char	*name, *help, *type;
	} fam[] = {
		{ "imgate_worker_up", "1 while the worker runs", "gauge" },
		{ "imgate_worker_restarts_total", "Times the supervisor "
		    "started the worker again", "counter" },
		{ "imgate_worker_messages_in_total", "Messages the worker "
		    "received (every protocol and answer)", "counter" },
		{ "imgate_worker_transactions_in_flight", "The worker's "
		    "transactions in flight", "gauge" },
		{ "imgate_worker_loop_lag_seconds", "How late the worker's "
		    "200 ms tick last ran", "gauge" },
		{ "imgate_worker_loop_lag_max_seconds", "The worst tick "
		    "lateness since the worker started", "gauge" },
		{ "imgate_worker_cpu_seconds_total", "The worker's user and "
		    "system CPU time (since it started)", "counter" },
		{ "imgate_worker_resident_memory_bytes", "The worker's "
		    "resident set size", "gauge" }
	};
	struct promtext_label	 l = { "worker", NULL };
	char			 kbuf[8];

	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		promtext_family(p, fam[f].name, fam[f].help, fam[f].type);
		for (int k = 0; k < workers_shm_n(); k++) {
			const struct workers_shm_slot *s = workers_shm_slot(k);
			double v = 0;

			switch (f) {
			case 0:
				v = slot_live(k) ? 1 : 0;
				break;
			case 1:
				v = (double)s->restarts;
				break;
			case 2:
				v = (double)metrics_worker_in(k);
				break;
			case 3:
				v = (double)s->transactions;
				break;
			case 4:
				v = (double)s->lag_ms / 1000.0;
				break;
			case 5:
				v = (double)s->lag_max_ms / 1000.0;
				break;
			case 6:
				v = (double)s->cpu_us / 1e6;
				break;
			default:
				v = (double)s->rss_bytes;
				break;
			}
			snprintf(kbuf, sizeof(kbuf), "%d", k);
			l.value = kbuf;
			promtext_double(p, fam[f].name, &l, 1, v);
		}
	}
}

/* Published by the last tick of each worker. */
uint64_t
metrics_transactions(void)
{
	uint64_t	 n = 0;

	for (int k = 0; k < workers_shm_n(); k++)
		if (workers_shm_slot(k) == m.slot)
			n += txn_count();
		else if (slot_live(k))
			n += workers_shm_slot(k)->transactions;
	return n;
}

/*
 * Overload control (gateway/sipgw, gateway/overload), over every worker:
 * the refusals summed (a dead worker's kept, so no sum goes back), the
 * share the worst-loaded running worker sheds (each sheds on its own
 * socket and loop, so an average would hide the one that refuses).
 */
static void
render_overload(struct promtext *p)
{
	struct workers_shm_overload	 st;
	struct promtext_label		 l[2] = { { "stage", "raw" },
	    { "stage", "parsed" } };

	publish_overload(&st);
	if (workers_shm_n() > 0) {
		metrics_publish(m.slot != NULL ? m.slot->lag_ms : 0);
		memset(&st, 0, sizeof(st));
		for (int k = 0; k < workers_shm_n(); k++) {
			const struct workers_shm_slot *s = workers_shm_slot(k);

			workers_shm_overload_add(&st, &s->overload);
			workers_shm_overload_add(&st, &s->retired_overload);
			if (slot_live(k) && s->overload.share > st.share)
				st.share = s->overload.share;
		}
	}
	gauge(p, "imgate_overload_share_percent", "Share of new SIP "
	    "MESSAGEs refused for overload (the most of any worker)",
	    (double)st.share);
	promtext_family(p, "imgate_overload_refused_total", "New SIP "
	    "MESSAGEs answered 503 for overload, before parsing (raw) or "
	    "by the SIP stack (parsed)", "counter");
	promtext_uint(p, "imgate_overload_refused_total", &l[0], 1,
	    st.refused_raw);
	promtext_uint(p, "imgate_overload_refused_total", &l[1], 1,
	    st.refused_parsed);
	counter(p, "imgate_overload_dropped_total", "New SIP MESSAGEs "
	    "refused for overload whose 503 could not be sent",
	    st.dropped);
	counter(p, "imgate_overload_batched_total", "Datagrams read in the "
	    "same call after a refusal before parsing, without a wakeup",
	    st.batched);
	counter(p, "imgate_overload_held_total", "Intervals over the lag "
	    "mark in which the share held instead of climbing (the queue "
	    "was getting younger)", st.held);
	counter(p, "imgate_sip_udp_reads_total", "Read system calls on "
	    "imgate's own SIP UDP sockets that returned datagrams",
	    st.udp_reads);
	counter(p, "imgate_sip_udp_datagrams_total", "Datagrams those "
	    "reads returned (up to 32 a call)", st.udp_datagrams);
}

void
metrics_render(struct promtext *p)
{
	int64_t	 oldest;
	time_t	 now;

	sum_workers();
	render_messages(p);
	gauge(p, "imgate_transactions_in_flight", "Transactions in flight",
	    (double)metrics_transactions());
	gauge(p, "imgate_spool_messages", "Messages waiting in the spool",
	    (double)spool_count());
	oldest = spool_oldest_ms();
	now = time(NULL);
	gauge(p, "imgate_spool_oldest_age_seconds", "Age of the oldest "
	    "message in the spool (0: empty)", oldest > 0 &&
	    (double)now * 1000 > (double)oldest ?
	    ((double)now * 1000 - (double)oldest) / 1000.0 : 0);
	promtext_family(p, "imgate_spool_deliveries_total", "Spool delivery "
	    "attempts by outcome (tempfail: retried later)", "counter");
	for (size_t i = 0; i < METRICS_NOUTCOME; i++) {
		struct promtext_label l = { "outcome", outcome_name[i] };

		promtext_uint(p, "imgate_spool_deliveries_total", &l, 1,
		    msum.spool_deliveries[i]);
	}
	gauge(p, "imgate_component_connected", "1 while the XMPP component "
	    "is connected", m.component_up ? 1 : 0);
	counter(p, "imgate_component_connects_total", "XMPP component "
	    "connections established", msum.component_connects);
	promtext_family(p, "imgate_component_refused_total", "XMPP server "
	    "streams closed for a cap: stanza depth, stanza size, restricted "
	    "XML", "counter");
	for (size_t i = 0; i < METRICS_NSTREAMCAP; i++) {
		static const char *const cap[METRICS_NSTREAMCAP] = { "depth",
		    "size", "restricted" };
		struct promtext_label l = { "cap", cap[i] };

		promtext_uint(p, "imgate_component_refused_total", &l, 1,
		    msum.component_refused[i]);
	}
	counter(p, "imgate_component_taken_back_total", "Stanzas not yet "
	    "written when the component connection broke, kept for the next",
	    msum.component_taken_back);
	render_overload(p);
	render_dns(p);
	render_workers(p);
	render_process(p);
}

static json_t *
by_class(const uint64_t v[METRICS_NPROTO][METRICS_NCLASS])
{
	json_t	*o = json_object();

	for (size_t i = 0; i < METRICS_NPROTO; i++) {
		json_t *p = json_object();

		for (size_t c = 0; c < METRICS_NCLASS; c++)
			if (v[i][c] != 0)
				json_object_set_new(p, class_name[c],
				    json_integer((json_int_t)v[i][c]));
		json_object_set_new(o, proto_name[i], p);
	}
	return o;
}

json_t *
metrics_json(void)
{
	json_t	*o = json_object(), *r = json_object();

	sum_workers();
	json_object_set_new(o, "in", by_class(msum.in));
	json_object_set_new(o, "out", by_class(msum.out));
	for (size_t i = 1; i < GW_REASON_COUNT; i++)
		if (msum.reason[i] != 0)
			json_object_set_new(r,
			    status_strreason((enum gw_reason)i),
			    json_integer((json_int_t)msum.reason[i]));
	json_object_set_new(o, "outcomes", r);
	return o;
}
