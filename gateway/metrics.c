/*
 * gateway/metrics.c - the counters and their exposition (see metrics.h).
 *
 * Names follow the Prometheus conventions: imgate_ prefix, _total for
 * counters, base units (_seconds, _bytes).  Label sets are closed: a
 * protocol, a status class, a gw_reason name, a lookup error name, or a
 * route name from the configuration (at most METRICS_MAX_ROUTES distinct
 * names; later ones count under "other"), so a sender cannot grow the
 * series count.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "gateway/metrics.h"
#include "gateway/sipgw.h"
#include "gateway/spool.h"
#include "gateway/xmppgw.h"

#define METRICS_MAX_ROUTES	64
#define METRICS_NCLASS		7	/* 1xx..6xx, other */
#define METRICS_NPROTO		2	/* sip, xmpp */
#define METRICS_NOUTCOME	3	/* ok, tempfail, permfail */
#define METRICS_NLOOKUP		(LOOKUP_E_DNS_TEMPFAIL + 1)

/* End-to-end latency buckets, seconds. */
static const double metrics_bounds[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30
};
#define METRICS_NB	(sizeof(metrics_bounds) / sizeof(metrics_bounds[0]))

struct metrics_hist {
	uint64_t	 counts[METRICS_NB + 1];
	double		 sum;
};

struct metrics_route {
	char		 name[64];
	uint64_t	 n[METRICS_NOUTCOME];
};

static struct {
	struct dns		*dns;
	time_t			 started;
	uint64_t		 in[METRICS_NPROTO][METRICS_NCLASS];
	uint64_t		 out[METRICS_NPROTO][METRICS_NCLASS];
	uint64_t		 reason[GW_REASON_COUNT];
	uint64_t		 spool_deliveries[METRICS_NOUTCOME];
	uint64_t		 lookups[METRICS_NLOOKUP];
	uint64_t		 component_connects;
	struct metrics_route	 routes[METRICS_MAX_ROUTES + 1];
	size_t			 nroutes;
	/* path: [origin][destination protocol] */
	struct metrics_hist	 latency[METRICS_NPROTO][METRICS_NPROTO];
} m;

static const char *const proto_name[METRICS_NPROTO] = { "sip", "xmpp" };
static const char *const class_name[METRICS_NCLASS] = {
	"1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "other" };
static const char *const outcome_name[METRICS_NOUTCOME] = {
	"ok", "tempfail", "permfail" };

void
metrics_init(struct dns *dns)
{
	m.dns = dns;
	m.started = time(NULL);
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

/* The slot of route @name; the last slot collects names past the cap. */
static struct metrics_route *
route_slot(const char *name)
{
	size_t	 i;

	for (i = 0; i < m.nroutes; i++)
		if (strcmp(m.routes[i].name, name) == 0)
			return &m.routes[i];
	if (m.nroutes == METRICS_MAX_ROUTES) {
		snprintf(m.routes[i].name, sizeof(m.routes[i].name),
		    "other");
		return &m.routes[METRICS_MAX_ROUTES];
	}
	snprintf(m.routes[i].name, sizeof(m.routes[i].name), "%s", name);
	m.nroutes++;
	return &m.routes[i];
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
	size_t	 in = t->origin == TXN_FROM_XMPP ? 1 : 0;
	bool	 sent;

	if ((size_t)o->reason < GW_REASON_COUNT)
		m.reason[o->reason]++;
	/* The routing decision: the configured route that matched, or
	 * "default" (no routes block: ENUM for everything). */
	if (t->route_idx >= 0 && t->rt != NULL &&
	    (size_t)t->route_idx < t->rt->conf.nroutes)
		route_slot(t->rt->conf.routes[t->route_idx].name)->n[oc]++;
	else
		route_slot("default")->n[oc]++;
	/* A far end answered, or was waited for in vain. */
	sent = t->route != NULL && (o->reason == GW_R_DELIVERED ||
	    o->reason == GW_R_PEER_ERROR || o->reason == GW_R_PEER_TIMEOUT);
	if (sent) {
		size_t op = t->route->proto == LOOKUP_PROTO_XMPP ? 1 : 0;
		int code = o->peer_code != 0 ? o->peer_code :
		    o->reason == GW_R_DELIVERED ? 200 :
		    o->reason == GW_R_PEER_TIMEOUT ? 408 : 0;

		m.out[op][class_of(code)]++;
	}
	if (t->spool_row != 0) {
		m.spool_deliveries[oc]++;
		return;
	}
	m.in[in][class_of(r->sip_code)]++;
	if (sent && o->status == GW_OK) {
		size_t op = t->route->proto == LOOKUP_PROTO_XMPP ? 1 : 0;
		uint64_t now = dns_now_ms();

		hist_add(&m.latency[in][op], now >= t->started_ms ?
		    (double)(now - t->started_ms) / 1000.0 : 0);
	}
}

void
metrics_lookup_done(enum lookup_error e)
{
	if ((size_t)e < METRICS_NLOOKUP)
		m.lookups[e]++;
}

void
metrics_component_connected(void)
{
	m.component_connects++;
}

/* ------------------------------------------------------------ render */

static void
render_messages(struct promtext *p)
{
	struct promtext_label	 l[2];
	size_t			 i, c;

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
			    m.in[i][c]);
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
			    m.out[i][c]);
		}
	promtext_family(p, "imgate_outcomes_total", "Finished transactions "
	    "by outcome reason", "counter");
	for (i = 1; i < GW_REASON_COUNT; i++) {
		l[0] = (struct promtext_label){ "reason",
		    status_strreason((enum gw_reason)i) };
		promtext_uint(p, "imgate_outcomes_total", l, 1, m.reason[i]);
	}
	promtext_family(p, "imgate_refusals_total", "Messages refused by "
	    "the source ACL or the rate limit", "counter");
	l[0] = (struct promtext_label){ "reason", "acl" };
	promtext_uint(p, "imgate_refusals_total", l, 1,
	    m.reason[GW_R_FORBIDDEN]);
	l[0] = (struct promtext_label){ "reason", "rate_limit" };
	promtext_uint(p, "imgate_refusals_total", l, 1,
	    m.reason[GW_R_RATE_LIMITED]);
	promtext_family(p, "imgate_routing_decisions_total", "Finished "
	    "transactions by the route that matched and their outcome",
	    "counter");
	for (i = 0; i < m.nroutes + (m.routes[METRICS_MAX_ROUTES].name[0] !=
	    '\0' ? 1 : 0); i++) {
		const struct metrics_route *rr = i < m.nroutes ?
		    &m.routes[i] : &m.routes[METRICS_MAX_ROUTES];

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
		promtext_uint(p, "imgate_lookups_total", l, 1, m.lookups[i]);
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
			    metrics_bounds, m.latency[i][c].counts,
			    METRICS_NB, m.latency[i][c].sum);
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

static void
render_dns_servers(struct promtext *p)
{
	struct dns_server_stats	 sv[METRICS_DNS_SERVERS];
	struct promtext_label	 l = { "server", NULL };
	size_t			 i, n;

	n = dns_server_stats(m.dns, sv, METRICS_DNS_SERVERS);
	if (n > METRICS_DNS_SERVERS)
		n = METRICS_DNS_SERVERS;
	promtext_family(p, "imgate_dns_server_up", "1 while a DNS server "
	    "is in service, 0 while it is out and probed", "gauge");
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
	dns_get_stats(m.dns, &st);
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

/* Overload control (gateway/sipgw, gateway/overload). */
static void
render_overload(struct promtext *p)
{
	struct sipgw_overload_stats	 st;
	struct promtext_label		 l[2] = { { "stage", "raw" },
	    { "stage", "parsed" } };

	sipgw_overload_stats(&st);
	gauge(p, "imgate_overload_share_percent", "Share of new SIP "
	    "MESSAGEs refused for overload", (double)st.share);
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
}

void
metrics_render(struct promtext *p)
{
	int64_t	 oldest;
	time_t	 now;

	render_messages(p);
	gauge(p, "imgate_transactions_in_flight", "Transactions in flight",
	    (double)txn_count());
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
		    m.spool_deliveries[i]);
	}
	gauge(p, "imgate_component_connected", "1 while the XMPP component "
	    "is connected", xmppgw_connected() ? 1 : 0);
	counter(p, "imgate_component_connects_total", "XMPP component "
	    "connections established", m.component_connects);
	render_overload(p);
	render_dns(p);
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

	json_object_set_new(o, "in", by_class(m.in));
	json_object_set_new(o, "out", by_class(m.out));
	for (size_t i = 1; i < GW_REASON_COUNT; i++)
		if (m.reason[i] != 0)
			json_object_set_new(r,
			    status_strreason((enum gw_reason)i),
			    json_integer((json_int_t)m.reason[i]));
	json_object_set_new(o, "outcomes", r);
	return o;
}
