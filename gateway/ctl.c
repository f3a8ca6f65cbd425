/*
 * gateway/ctl.c - the control socket (see ctl.h).
 *
 * At most CTL_MAX_CLIENTS connections at once; a request line is at most
 * CTL_MAX_REQUEST bytes, a connection lives at most CTL_TIMEOUT_MS, and a
 * reply is written as the socket accepts it (never a blocking write).
 * Connections are found again by id: an "explain" answer that arrives
 * after its client went away is dropped quietly.  Every document goes
 * through jansson (gateway/jsonout).
 *
 * With several workers, worker 0 serves the socket for the daemon:
 * status and stats read every worker's slot (gateway/workers_shm);
 * reload asks the supervisor, which answers with one verdict for all
 * (gateway/workers.c); cache dump and flush are posted in each worker's
 * mailbox and answered from its tick (ctl_mailbox()); the queue and
 * component commands act on what worker 0 owns.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "config.h"

#include "gateway/ctl.h"
#include "gateway/explain.h"
#include "gateway/jsonout.h"
#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/flow/relay.h"
#include "gateway/runtime.h"
#include "gateway/flow/spool.h"
#include "gateway/flow/txn.h"
#include "gateway/workers.h"
#include "gateway/workers_shm.h"
#include "gateway/xmppgw.h"

#define CTL_MAX_CLIENTS		16
#define CTL_MAX_REQUEST		4096
#define CTL_TIMEOUT_MS		30000
#define CTL_QUEUE_MAX		1000	/* rows "queue list" shows */
#define CTL_DUMP_MAX		10000	/* entries "cache dump" shows */
#define CTL_POLL_MS		20	/* while waiting for other processes */
#define CTL_WAIT_MS		5000	/* for a worker's cache answer */

enum ctl_wait {
	CTL_WAIT_NONE,
	CTL_WAIT_EXPLAIN,	/* a lookup in this process */
	CTL_WAIT_RELOAD,	/* the supervisor's verdict */
	CTL_WAIT_CACHE		/* the other workers' mailboxes */
};

struct ctl_client {
	uint64_t	 id;		/* 0: free slot */
	int		 fd;
	int		 index;		/* su_root registration */
	uint64_t	 started_ms;
	char		 in[CTL_MAX_REQUEST];
	size_t		 inlen;
	char		*out;		/* reply, owned */
	size_t		 outlen, outoff;
	bool		 busy;		/* an answer is awaited */
	enum ctl_wait	 wait;
	uint64_t	 ticket;	/* CTL_WAIT_RELOAD */
};

/* The cache command posted to the other workers (one at a time). */
struct ctl_cache_op {
	uint64_t	 client;	/* 0: none */
	int64_t		 cmd;		/* enum workers_shm_cmd */
	int		 only;		/* the one worker asked, or -1 */
	uint64_t	 seq[WORKERS_MAX];	/* posted; 0: not asked */
	uint64_t	 deadline_ms;
	json_t		*reply;		/* worker 0's part, owned */
};

static struct {
	su_root_t		*root;
	struct dns		*dns;
	const struct ctl_hooks	*hooks;
	char			 path[108];	/* sun_path */
	int			 fd;
	int			 index;
	su_timer_t		*timer;
	su_timer_t		*poll;		/* CTL_POLL_MS, while waiting */
	bool			 polling;
	struct ctl_cache_op	 cache;
	uint64_t		 next_id;
	time_t			 started;
	struct ctl_client	 cl[CTL_MAX_CLIENTS];
} ctl = { .fd = -1 };

static void	client_close(struct ctl_client *);
static int	on_client(su_root_magic_t *, su_wait_t *, su_wakeup_arg_t *);

static struct ctl_client *
client_get(uint64_t id)
{
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ctl.cl[i].id == id && id != 0)
			return &ctl.cl[i];
	return NULL;
}

static void
client_close(struct ctl_client *c)
{
	if (c->index > 0)
		su_root_deregister(ctl.root, c->index);
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Write what the socket takes; close when all is out. */
static void
client_flush(struct ctl_client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff,
		    c->outlen - c->outoff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			su_root_eventmask(ctl.root, c->index, c->fd,
			    SU_WAIT_OUT);
			return;
		}
		if (n <= 0) {
			client_close(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	client_close(c);
}

/* Send @doc (stolen) as the reply line. */
static void
client_reply(struct ctl_client *c, json_t *doc)
{
	char	*s = doc != NULL ? json_dumps(doc, JSON_COMPACT |
	    JSON_PRESERVE_ORDER) : NULL;
	size_t	 n;

	json_decref(doc);
	if (s == NULL) {
		client_close(c);
		return;
	}
	n = strlen(s);
	if ((c->out = malloc(n + 2)) == NULL) {
		free(s);
		client_close(c);
		return;
	}
	memcpy(c->out, s, n);
	c->out[n] = '\n';
	c->outlen = n + 1;
	free(s);
	client_flush(c);
}

static json_t *
ok_doc(void)
{
	json_t	*o = json_object();

	json_object_set_new(o, "ok", json_true());
	return o;
}

static json_t *
err_doc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *
err_doc(const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;
	json_t	*o = json_object();

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", jsonout_str(buf));
	return o;
}

/* ---------------------------------------------------------- commands */

/* @o[@key] = the counter @v (JSON integers are signed 64-bit). */
static void
set_count(json_t *o, const char *key, uint64_t v)
{
	json_object_set_new(o, key, json_integer((json_int_t)v));
}

/*
 * Every worker: who runs it, and what its tick last published (this
 * process's transactions are counted now).  @stats adds its share of the
 * traffic and its resources.
 */
static json_t *
workers_json(bool stats)
{
	json_t	*a = json_array(), *w;
	int	 self = workers_self() < 0 ? 0 : workers_self();
	time_t	 now = time(NULL);

	for (int k = 0; k < workers_shm_n(); k++) {
		const struct workers_shm_slot *s = workers_shm_slot(k);
		bool live = k == self || s->pid != 0;

		w = json_object();
		json_object_set_new(w, "worker", json_integer(k));
		json_object_set_new(w, "pid", json_integer(live ?
		    (json_int_t)(k == self ? getpid() : s->pid) : 0));
		json_object_set_new(w, "running", json_boolean(live));
		set_count(w, "restarts", s->restarts);
		json_object_set_new(w, "uptime_s", json_integer(live &&
		    s->started_s > 0 ? (json_int_t)(now - s->started_s) : 0));
		set_count(w, "transactions", k == self ? txn_count() :
		    live ? s->transactions : 0);
		set_count(w, "loop_lag_ms", s->lag_ms);
		set_count(w, "loop_lag_max_ms", s->lag_max_ms);
		set_count(w, "generation", s->generation);
		if (stats) {
			set_count(w, "messages_in", metrics_worker_in(k));
			json_object_set_new(w, "cpu_s",
			    json_real((double)s->cpu_us / 1e6));
			set_count(w, "resident_bytes", s->rss_bytes);
			set_count(w, "dns_cache_entries", s->dns.entries);
		}
		json_array_append_new(a, w);
	}
	return a;
}

static json_t *
cmd_status(void)
{
	json_t			*o = ok_doc();
	const struct gw_runtime	*rt = runtime_current();

	json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
	/* The daemon's pid: the supervisor's, with several workers. */
	json_object_set_new(o, "pid", json_integer(workers_supervisor()));
	json_object_set_new(o, "uptime_s",
	    json_integer(time(NULL) - ctl.started));
	json_object_set_new(o, "config", jsonout_str(ctl.hooks->config_path));
	json_object_set_new(o, "generation",
	    json_integer(rt != NULL ? (json_int_t)rt->generation : 0));
	set_count(o, "transactions", metrics_transactions());
	set_count(o, "spool_messages", spool_count());
	json_object_set_new(o, "xmpp", rt != NULL && rt->conf.xmpp_enable ?
	    json_string(xmppgw_connected() ? "connected" : "disconnected") :
	    json_string("disabled"));
	json_object_set_new(o, "workers", workers_json(false));
	return o;
}

/* ENUM server health (gateway/dns): state and counters per server. */
#define CTL_DNS_SERVERS	16

static json_t *
dns_servers_json(void)
{
	struct dns_server_stats	 sv[CTL_DNS_SERVERS];
	json_t			*a = json_array(), *s;
	uint64_t		 now = dns_now_ms();
	size_t			 i, n;

	/* Every worker's, merged by name (gateway/metrics). */
	n = metrics_dns_servers(sv, CTL_DNS_SERVERS);
	for (i = 0; i < n; i++) {
		s = json_object();
		json_object_set_new(s, "server", jsonout_str(sv[i].name));
		json_object_set_new(s, "state", json_string(sv[i].up ?
		    "in service" : sv[i].probing ? "out, probing" : "out"));
		set_count(s, "since_s", (now >= sv[i].since_ms ?
		    now - sv[i].since_ms : 0) / 1000);
		set_count(s, "consecutive_failures", sv[i].consecutive);
		set_count(s, "queries", sv[i].queries);
		set_count(s, "failures", sv[i].failures);
		set_count(s, "outages", sv[i].outages);
		set_count(s, "probes", sv[i].probes);
		json_array_append_new(a, s);
	}
	return a;
}

static json_t *
cmd_stats(void)
{
	json_t			*o = ok_doc(), *d = json_object();
	struct dns_stats	 st;

	metrics_dns_sum(&st);
	set_count(d, "queries_sent", st.queries_sent);
	set_count(d, "cache_hits", st.cache_hits);
	set_count(d, "coalesced", st.coalesced);
	set_count(d, "failures", st.failures);
	set_count(d, "dropped_unknown_id", st.dropped_unknown_id);
	set_count(d, "dropped_question", st.dropped_question);
	set_count(d, "dropped_case", st.dropped_case);
	set_count(d, "dropped_malformed", st.dropped_malformed);
	set_count(d, "cache_entries", st.entries);
	set_count(d, "cache_bytes", st.bytes);
	json_object_set_new(d, "servers", dns_servers_json());
	json_object_set_new(o, "dns", d);
	set_count(o, "transactions", metrics_transactions());
	set_count(o, "spool_messages", spool_count());
	json_object_set_new(o, "messages", metrics_json());
	json_object_set_new(o, "workers", workers_json(true));
	return o;
}

static json_t *
reload_doc(int rc, const char *verdict)
{
	json_t	*o = json_object();

	json_object_set_new(o, "ok", json_boolean(rc == 0));
	json_object_set_new(o, rc == 0 ? "verdict" : "error",
	    jsonout_str(verdict));
	return o;
}

static void	poll_start(void);

/* A single process reloads now; a worker asks the supervisor, which
 * answers for every worker; on_poll() reads the verdict. */
static json_t *
cmd_reload(struct ctl_client *c)
{
	char	 verdict[WORKERS_SHM_VERDICT];
	int	 rc;

	if (workers_self() < 0) {
		rc = ctl.hooks->reload(verdict, sizeof(verdict));
		return reload_doc(rc, verdict);
	}
	if ((c->ticket = workers_reload_request()) == 0)
		return err_doc("cannot reach the supervisor");
	c->busy = true;
	c->wait = CTL_WAIT_RELOAD;
	poll_start();
	return NULL;
}

/* An explanation in flight: its client (by id) and the runtime it
 * runs with (a reference, released when it completes). */
struct ctl_explain {
	uint64_t		 client;
	struct gw_runtime	*rt;
};

static void
on_explained(void *arg, const struct explain_result *r)
{
	struct ctl_explain	*x = arg;
	struct ctl_client	*c = client_get(x->client);
	struct gw_runtime	*rt = x->rt;
	json_t			*o;
	char			*text = NULL;
	size_t			 len = 0;
	FILE			*f;

	free(x);
	if (c == NULL) {
		runtime_unref(rt);
		return;		/* the client went away: drop quietly */
	}
	c->busy = false;
	o = ok_doc();
	json_object_set_new(o, "result", explain_json(r, &rt->conf));
	if ((f = open_memstream(&text, &len)) != NULL) {
		explain_text(f, r, &rt->conf);
		fclose(f);
		json_object_set_new(o, "text", jsonout_str(text));
	}
	free(text);
	runtime_unref(rt);
	client_reply(c, o);
}

/* explain NUMBER [--from-sip IP | --from-xmpp JID]: as imgate-lookup. */
static json_t *
cmd_explain(struct ctl_client *c, const char **av, size_t ac)
{
	struct policy_source	 src = { .proto = PROTO_NONE };
	struct ctl_explain	*x;

	if (ac != 1 && ac != 3)
		return err_doc("usage: explain NUMBER [--from-sip IP | "
		    "--from-xmpp JID]");
	if (ac == 3 && strcmp(av[1], "--from-sip") == 0) {
		src.proto = PROTO_SIP;
		if (inet_pton(AF_INET, av[2], src.addr) == 1)
			src.family = AF_INET;
		else if (inet_pton(AF_INET6, av[2], src.addr) == 1)
			src.family = AF_INET6;
		else
			return err_doc("--from-sip: not an IP address");
		src.has_addr = true;
	} else if (ac == 3 && strcmp(av[1], "--from-xmpp") == 0) {
		src.proto = PROTO_XMPP;
		src.xmpp_domain = av[2];
	} else if (ac == 3)
		return err_doc("explain: unknown option %s", av[1]);
	/* The runtime in force, held until the lookup completes: its
	 * parameters are read by the lookup, and a reload may install
	 * another meanwhile. */
	if ((x = malloc(sizeof(*x))) == NULL)
		return err_doc("out of memory");
	x->client = c->id;
	x->rt = runtime_ref(runtime_current());
	c->busy = true;
	c->wait = CTL_WAIT_EXPLAIN;
	if (explain_start(&x->rt->conf, &x->rt->base, x->rt->route,
	    relay_siptarget_params(), x->rt->conf.xmpp_enable,
	    dns_ops(ctl.dns), av[0], &src,
	    on_explained, x) != 0) {
		runtime_unref(x->rt);
		free(x);
		c->busy = false;
		return err_doc("out of memory");
	}
	return NULL;	/* answered by on_explained() */
}

static const char *
type_name(uint16_t t)
{
	switch (t) {
	case DNSMSG_T_A:
		return "A";
	case DNSMSG_T_AAAA:
		return "AAAA";
	case DNSMSG_T_SRV:
		return "SRV";
	case DNSMSG_T_NAPTR:
		return "NAPTR";
	case DNSMSG_T_CNAME:
		return "CNAME";
	}
	return "other";
}

/* What dump_one() fills: the array, and the worker that answers. */
struct ctl_dump {
	json_t	*a;
	int	 k;
};

static void
dump_one(void *arg, const struct dns_cache_info *ci)
{
	static const char *const st[] = { "ok", "nodata", "nxdomain",
	    "tempfail" };
	struct ctl_dump	*d = arg;
	json_t		*e;

	if (json_array_size(d->a) >= CTL_DUMP_MAX || (e = json_object()) ==
	    NULL)
		return;
	json_object_set_new(e, "name", jsonout_str(ci->name));
	json_object_set_new(e, "type", json_string(type_name(ci->type)));
	json_object_set_new(e, "status", json_string(ci->pending ?
	    "pending" : (size_t)ci->status < 4 ? st[ci->status] : "?"));
	json_object_set_new(e, "ttl", json_integer(ci->ttl_s));
	json_object_set_new(e, "worker", json_integer(d->k));
	json_array_append_new(d->a, e);
}

/* @dns's entries, each naming worker @k.  A new reference. */
static json_t *
cache_dump(struct dns *dns, int k)
{
	struct ctl_dump	 d = { json_array(), k };

	dns_cache_foreach(dns, dump_one, &d);
	return d.a;
}

/* Flush @dns (@cmd: all, or the entries of @name); entries flushed. */
static size_t
cache_flush(struct dns *dns, int64_t cmd, const char *name)
{
	struct dns_stats	 st;
	size_t			 n, before;

	if (cmd == WORKERS_SHM_FLUSH_NAME) {
		n = dns_cache_flush_name(dns, name);
		log_info("control: cache flush %s: %zu entries", name, n);
		return n;
	}
	dns_get_stats(dns, &st);
	before = st.entries;
	/* Entries with a query in flight stay. */
	dns_cache_flush(dns);
	dns_get_stats(dns, &st);
	log_info("control: cache flushed");
	return before - st.entries;
}

/* Post the cache command to worker @only's mailbox, or (-1) to every
 * other running worker's. */
static void
cache_post(int64_t cmd, const char *name, int only)
{
	struct ctl_cache_op	*op = &ctl.cache;

	for (int k = 1; k < workers_shm_n(); k++) {
		struct workers_shm_slot *s = workers_shm_slot(k);

		op->seq[k] = 0;
		if (s->pid == 0 || (only >= 0 && k != only))
			continue;
		s->cmd = cmd;
		snprintf(s->cmd_name, sizeof(s->cmd_name), "%s", name);
		op->seq[k] = s->cmd_seq + 1;
		__atomic_store_n(&s->cmd_seq, op->seq[k], __ATOMIC_RELEASE);
	}
	op->cmd = cmd;
	op->only = only;
	op->deadline_ms = dns_now_ms() + CTL_WAIT_MS;
}

#define CACHE_USAGE	"usage: cache dump [--worker N] | cache flush [NAME] " \
			"[--worker N]"

/*
 * cache dump | cache flush [NAME], optionally --worker N: this process's
 * cache now; with several workers, every worker's or worker N's (the
 * others answer from their tick, ctl_mailbox()): dump entries name their
 * worker, flush counts add up.
 */
static json_t *
cmd_cache(struct ctl_client *c, const char **av, size_t ac)
{
	int		 self = workers_self() < 0 ? 0 : workers_self();
	int		 only = -1;
	int64_t		 cmd;
	json_t		*o, *w;
	size_t		 n;
	const char	*name = "", *e;
	long		 v;

	if (ac >= 2 && strcmp(av[ac - 2], "--worker") == 0) {
		errno = 0;
		v = strtol(av[ac - 1], (char **)&e, 10);
		if (errno != 0 || e == av[ac - 1] || *e != '\0' || v < 0 ||
		    v >= workers_shm_n())
			return err_doc("--worker: a number from 0 to %d",
			    workers_shm_n() - 1);
		only = (int)v;
		ac -= 2;
	}
	if (ac == 1 && strcmp(av[0], "dump") == 0)
		cmd = WORKERS_SHM_DUMP_CMD;
	else if (ac == 1 && strcmp(av[0], "flush") == 0)
		cmd = WORKERS_SHM_FLUSH;
	else if (ac == 2 && strcmp(av[0], "flush") == 0) {
		cmd = WORKERS_SHM_FLUSH_NAME;
		name = av[1];
	} else
		return err_doc(CACHE_USAGE);
	if (strlen(name) >= CONF_STR_MAX)
		return err_doc("cache flush: name too long");
	if (workers_shm_n() > 1 && ctl.cache.client != 0)
		return err_doc("another cache command is waiting for the "
		    "workers; try again");
	o = ok_doc();
	if (cmd == WORKERS_SHM_DUMP_CMD)
		json_object_set_new(o, "entries", only < 0 || only == self ?
		    cache_dump(ctl.dns, self) : json_array());
	else {
		n = only < 0 || only == self ? cache_flush(ctl.dns, cmd,
		    name) : 0;
		json_object_set_new(o, "flushed", json_integer((json_int_t)n));
		json_object_set_new(o, "workers", json_array());
		if (only < 0 || only == self) {
			w = json_object();
			json_object_set_new(w, "worker", json_integer(self));
			json_object_set_new(w, "flushed",
			    json_integer((json_int_t)n));
			json_array_append_new(json_object_get(o, "workers"), w);
		}
	}
	if (workers_shm_n() <= 1 || only == self)
		return o;
	cache_post(cmd, name, only);
	ctl.cache.client = c->id;
	ctl.cache.reply = o;
	c->busy = true;
	c->wait = CTL_WAIT_CACHE;
	poll_start();
	return NULL;
}

/* Worker @k's answer (@s) joins the reply @o. */
static void
cache_merge(json_t *o, int k, const struct workers_shm_slot *s)
{
	json_t		*doc, *e, *w;
	json_error_t	 jerr;
	size_t		 i;

	if (ctl.cache.cmd != WORKERS_SHM_DUMP_CMD) {
		json_object_set_new(o, "flushed", json_integer(
		    json_integer_value(json_object_get(o, "flushed")) +
		    (json_int_t)s->cmd_count));
		w = json_object();
		json_object_set_new(w, "worker", json_integer(k));
		json_object_set_new(w, "flushed",
		    json_integer((json_int_t)s->cmd_count));
		json_array_append_new(json_object_get(o, "workers"), w);
		return;
	}
	doc = json_loadb(s->cmd_out, strnlen(s->cmd_out,
	    sizeof(s->cmd_out)), 0, &jerr);
	json_array_foreach(json_object_get(doc, "entries"), i, e)
		json_array_append(json_object_get(o, "entries"), e);
	if (doc == NULL || json_is_true(json_object_get(doc, "truncated")))
		json_object_set_new(o, "truncated", json_true());
	json_decref(doc);
}

/* The cache command's answers: all in (or the wait is over)?  Then the
 * reply.  @return false while still waiting. */
static bool
cache_poll(void)
{
	struct ctl_cache_op	*op = &ctl.cache;
	struct ctl_client	*c = client_get(op->client);
	bool			 over = dns_now_ms() >= op->deadline_ms;
	json_t			*silent = json_array();

	for (int k = 1; k < workers_shm_n() && c != NULL && !over; k++) {
		const struct workers_shm_slot *s = workers_shm_slot(k);

		if (op->seq[k] != 0 && s->pid != 0 &&
		    __atomic_load_n(&s->cmd_done, __ATOMIC_ACQUIRE) !=
		    op->seq[k])
			return false;
	}
	for (int k = 1; k < workers_shm_n() && c != NULL; k++) {
		const struct workers_shm_slot *s = workers_shm_slot(k);

		if (op->seq[k] != 0 && __atomic_load_n(&s->cmd_done,
		    __ATOMIC_ACQUIRE) == op->seq[k])
			cache_merge(op->reply, k, s);
		else if (op->only < 0 || op->only == k)
			json_array_append_new(silent, json_integer(k));
	}
	if (json_array_size(silent) > 0) {
		log_warnx("control: cache %s: %zu workers did not answer",
		    op->cmd == WORKERS_SHM_DUMP_CMD ? "dump" : "flush",
		    json_array_size(silent));
		json_object_set(op->reply, "not_answered", silent);
	}
	json_decref(silent);
	if (c != NULL) {
		c->busy = false;
		c->wait = CTL_WAIT_NONE;
		client_reply(c, op->reply);
	} else
		json_decref(op->reply);
	op->reply = NULL;
	op->client = 0;
	return true;
}

void
ctl_mailbox(struct dns *dns)
{
	struct workers_shm_slot	*s = workers_shm_slot(workers_self());
	uint64_t		 seq;
	json_t			*a, *doc;
	char			*text = NULL;
	bool			 cut = false;
	size_t			 keep;

	if (s == NULL || dns == NULL ||
	    (seq = __atomic_load_n(&s->cmd_seq, __ATOMIC_ACQUIRE)) ==
	    s->cmd_done)
		return;
	s->cmd_out[0] = '\0';
	if (s->cmd == WORKERS_SHM_DUMP_CMD) {
		a = cache_dump(dns, workers_self());
		/* Halved until it fits the mailbox; the reply says so. */
		for (;;) {
			doc = json_pack("{s:O, s:b}", "entries", a,
			    "truncated", cut);
			text = doc != NULL ? json_dumps(doc, JSON_COMPACT) :
			    NULL;
			json_decref(doc);
			if (text == NULL || strlen(text) < sizeof(s->cmd_out))
				break;
			free(text);
			text = NULL;
			keep = json_array_size(a) / 2;
			while (json_array_size(a) > keep)
				json_array_remove(a, json_array_size(a) - 1);
			cut = true;
		}
		if (text != NULL)
			snprintf(s->cmd_out, sizeof(s->cmd_out), "%s", text);
		s->cmd_count = json_array_size(a);
		free(text);
		json_decref(a);
	} else {
		s->cmd_name[sizeof(s->cmd_name) - 1] = '\0';
		s->cmd_count = cache_flush(dns, s->cmd, s->cmd_name);
	}
	__atomic_store_n(&s->cmd_done, seq, __ATOMIC_RELEASE);
}

/* Answers awaited from other processes: reload verdicts, cache. */
static void
on_poll(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	char	 v[WORKERS_SHM_VERDICT];
	bool	 more = false;
	int	 rc;

	(void)m;
	(void)t;
	(void)arg;
	ctl.polling = false;
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &ctl.cl[i];

		if (c->id == 0 || c->wait != CTL_WAIT_RELOAD)
			continue;
		if (!workers_reload_answer(c->ticket, &rc, v, sizeof(v))) {
			more = true;
			continue;
		}
		c->busy = false;
		c->wait = CTL_WAIT_NONE;
		client_reply(c, reload_doc(rc, v));
	}
	if (ctl.cache.client != 0 && !cache_poll())
		more = true;
	if (more)
		poll_start();
}

static void
poll_start(void)
{
	if (ctl.polling || ctl.poll == NULL)
		return;
	if (su_timer_set(ctl.poll, on_poll, NULL) == 0)
		ctl.polling = true;
}

static void
queue_one(void *arg, const struct spool_entry *e)
{
	json_t	*a = arg, *o = json_object();

	json_object_set_new(o, "id", jsonout_str(e->id));
	json_object_set_new(o, "kind", json_string(e->notice ? "notice" :
	    "message"));
	json_object_set_new(o, "dest", jsonout_str(e->dest));
	json_object_set_new(o, "created_ms", json_integer(e->created_ms));
	json_object_set_new(o, "next_attempt_ms", json_integer(e->next_ms));
	json_object_set_new(o, "attempts", json_integer(e->attempts));
	json_object_set_new(o, "in_flight", json_boolean(e->in_flight));
	json_object_set_new(o, "last_error", jsonout_str(e->last_error));
	json_object_set_new(o, "body_bytes", json_integer(e->body_len));
	json_array_append_new(a, o);
}

/* The PostgreSQL spool's queries are asynchronous: no queue commands. */
#define UNSUPPORTED	"not offered by this spool backend (use psql)"


static json_t *
cmd_queue(const char **av, size_t ac)
{
	static const char *const why[] = { "", "no such message",
	    "a delivery attempt is running", "spool error (see the log)",
	    UNSUPPORTED };
	enum spool_admin	 r;
	json_t			*o, *a;
	int			 n;

	if (ac == 1 && strcmp(av[0], "list") == 0) {
		a = json_array();
		n = spool_queue_list(NULL, CTL_QUEUE_MAX, queue_one, a);
		if (n < 0) {
			json_decref(a);
			return err_doc(n == -2 ? UNSUPPORTED :
			    "the spool is not open");
		}
		o = ok_doc();
		json_object_set_new(o, "messages", a);
		return o;
	}
	if (ac != 2)
		return err_doc("usage: queue list | queue show|retry|drop ID");
	if (strcmp(av[0], "show") == 0) {
		a = json_array();
		n = spool_queue_list(av[1], 1, queue_one, a);
		if (n <= 0) {
			json_decref(a);
			return err_doc(n == -2 ? UNSUPPORTED : n < 0 ?
			    "the spool is not open" : "no such message");
		}
		o = ok_doc();
		json_object_set(o, "message", json_array_get(a, 0));
		json_decref(a);
		return o;
	}
	if (strcmp(av[0], "retry") == 0)
		r = spool_queue_retry(av[1]);
	else if (strcmp(av[0], "drop") == 0)
		r = spool_queue_drop(av[1]);
	else
		return err_doc("usage: queue list | queue show|retry|drop ID");
	return r == SPOOL_ADMIN_OK ? ok_doc() : err_doc("%s", why[r]);
}

static json_t *
cmd_component(const char **av, size_t ac)
{
	const struct gw_runtime	*rt = runtime_current();
	json_t			*o;

	if (ac != 1 || strcmp(av[0], "status") != 0)
		return err_doc("usage: component status");
	o = ok_doc();
	json_object_set_new(o, "enabled", json_boolean(rt->conf.xmpp_enable));
	if (rt->conf.xmpp_enable) {
		json_object_set_new(o, "connected",
		    json_boolean(xmppgw_connected()));
		json_object_set_new(o, "domain",
		    jsonout_str(rt->conf.xmpp_domain));
		json_object_set_new(o, "server",
		    jsonout_str(rt->conf.xmpp_server));
		json_object_set_new(o, "port",
		    json_integer(rt->conf.xmpp_port));
	}
	return o;
}

#define CTL_MAX_ARGS	8

/* One request line: parse, run, answer (now, or later for explain). */
static void
client_request(struct ctl_client *c)
{
	json_error_t	 jerr;
	json_t		*req, *args, *v, *reply;
	const char	*cmd, *av[CTL_MAX_ARGS];
	size_t		 ac = 0, i;

	req = json_loadb(c->in, c->inlen, 0, &jerr);
	cmd = req != NULL ? json_string_value(json_object_get(req,
	    "command")) : NULL;
	args = req != NULL ? json_object_get(req, "args") : NULL;
	if (cmd == NULL || (args != NULL && !json_is_array(args)) ||
	    json_array_size(args) > CTL_MAX_ARGS) {
		log_warnx("control: malformed request");
		json_decref(req);
		client_reply(c, err_doc("malformed request: expected "
		    "{\"command\": C, \"args\": [...]} on one line"));
		return;
	}
	json_array_foreach(args, i, v) {
		if ((av[ac++] = json_string_value(v)) == NULL) {
			json_decref(req);
			client_reply(c, err_doc("arguments must be strings"));
			return;
		}
	}
	if (strcmp(cmd, "status") == 0 && ac == 0)
		reply = cmd_status();
	else if (strcmp(cmd, "stats") == 0 && ac == 0)
		reply = cmd_stats();
	else if (strcmp(cmd, "reload") == 0 && ac == 0)
		reply = cmd_reload(c);
	else if (strcmp(cmd, "explain") == 0)
		reply = cmd_explain(c, av, ac);
	else if (strcmp(cmd, "cache") == 0)
		reply = cmd_cache(c, av, ac);
	else if (strcmp(cmd, "queue") == 0)
		reply = cmd_queue(av, ac);
	else if (strcmp(cmd, "component") == 0)
		reply = cmd_component(av, ac);
	else
		reply = err_doc("unknown command or arguments: %s", cmd);
	json_decref(req);
	if (reply != NULL)
		client_reply(c, reply);
}

static int
on_client(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct ctl_client	*c = client_get((uint64_t)(uintptr_t)arg);
	char			*nl;
	ssize_t			 n;

	(void)magic;
	(void)w;
	if (c == NULL)
		return 0;
	if (c->out != NULL) {
		client_flush(c);
		return 0;
	}
	if (c->busy) {
		/* Waiting for explain: more input is discarded, a hang-up
		 * frees the slot (the answer is then dropped). */
		char	 b[256];

		n = read(c->fd, b, sizeof(b));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			client_close(c);
		return 0;
	}
	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		client_close(c);
		return 0;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	if ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		c->inlen = (size_t)(nl - c->in);
		client_request(c);
	} else if (c->inlen >= sizeof(c->in) - 1) {
		log_warnx("control: request over %d bytes", CTL_MAX_REQUEST);
		client_reply(c, err_doc("request too long"));
	}
	return 0;
}

static int
on_accept(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct ctl_client	*c = NULL;
	su_wait_t		 wait[1];
	int			 fd;

	(void)magic;
	(void)w;
	(void)arg;
	fd = accept4(ctl.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return 0;
	for (size_t i = 0; i < CTL_MAX_CLIENTS && c == NULL; i++)
		if (ctl.cl[i].id == 0)
			c = &ctl.cl[i];
	if (c == NULL) {
		static const char busy[] = "{\"ok\":false,\"error\":"
		    "\"too many control connections\"}\n";

		log_warnx("control: %d connections already open",
		    CTL_MAX_CLIENTS);
		(void)!write(fd, busy, sizeof(busy) - 1);
		close(fd);
		return 0;
	}
	memset(c, 0, sizeof(*c));
	c->id = ++ctl.next_id;
	c->fd = fd;
	c->started_ms = dns_now_ms();
	if (su_wait_create(wait, fd, SU_WAIT_IN | SU_WAIT_HUP) != 0 ||
	    (c->index = su_root_register(ctl.root, wait, on_client,
	    (su_wakeup_arg_t *)(uintptr_t)c->id, 0)) <= 0) {
		c->index = 0;
		client_close(c);
	}
	return 0;
}

/* Connections past their time are closed (a client that never sends). */
static void
on_sweep(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	uint64_t	 now = dns_now_ms();

	(void)m;
	(void)t;
	(void)arg;
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ctl.cl[i].id != 0 &&
		    now - ctl.cl[i].started_ms > CTL_TIMEOUT_MS)
			client_close(&ctl.cl[i]);
}

/* Is a daemon answering on @sun?  (A stale file is replaced.) */
static bool
socket_alive(const struct sockaddr_un *sun)
{
	int	 fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool	 alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return alive;
}

int
ctl_start(su_root_t *root, const char *path, uid_t uid, gid_t gid,
    struct dns *dns, const struct ctl_hooks *hooks)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	su_wait_t		 wait[1];

	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl.cl[i].fd = -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control.socket %s: path too long", path);
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("control.socket %s exists and is not a "
			    "socket", path);
			return -1;
		}
		if (socket_alive(&sun)) {
			log_warnx("control.socket %s: another imgated "
			    "answers there", path);
			return -1;
		}
		unlink(path);
	}
	ctl.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (ctl.fd < 0 || bind(ctl.fd, (struct sockaddr *)&sun,
	    sizeof(sun)) != 0 || listen(ctl.fd, 16) != 0) {
		log_warn("control.socket %s", path);
		goto fail;
	}
	snprintf(ctl.path, sizeof(ctl.path), "%s", path);
	/* 0660 whatever the umask; the service user and group own it. */
	if (chmod(path, 0660) != 0 || ((uid != (uid_t)-1 ||
	    gid != (gid_t)-1) && chown(path, uid, gid) != 0)) {
		log_warn("control.socket %s: mode/owner", path);
		goto fail;
	}
	if (su_wait_create(wait, ctl.fd, SU_WAIT_IN) != 0 ||
	    (ctl.index = su_root_register(root, wait, on_accept, NULL,
	    0)) <= 0) {
		ctl.index = 0;
		log_warnx("control: cannot watch the socket");
		goto fail;
	}
	ctl.root = root;
	ctl.dns = dns;
	ctl.hooks = hooks;
	ctl.started = time(NULL);
	ctl.timer = su_timer_create(su_root_task(root), 1000);
	su_timer_set_for_ever(ctl.timer, on_sweep, NULL);
	ctl.poll = su_timer_create(su_root_task(root), CTL_POLL_MS);
	log_info("control: listening on %s", path);
	return 0;
fail:
	if (ctl.fd >= 0)
		close(ctl.fd);
	ctl.fd = -1;
	if (ctl.path[0] != '\0')
		unlink(ctl.path);
	ctl.path[0] = '\0';
	return -1;
}

void
ctl_stop(void)
{
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ctl.cl[i].id != 0)
			client_close(&ctl.cl[i]);
	if (ctl.timer != NULL)
		su_timer_destroy(ctl.timer);
	ctl.timer = NULL;
	if (ctl.poll != NULL)
		su_timer_destroy(ctl.poll);
	ctl.poll = NULL;
	ctl.polling = false;
	json_decref(ctl.cache.reply);
	memset(&ctl.cache, 0, sizeof(ctl.cache));
	if (ctl.index > 0)
		su_root_deregister(ctl.root, ctl.index);
	ctl.index = 0;
	if (ctl.fd >= 0)
		close(ctl.fd);
	ctl.fd = -1;
	/* After the drop the directory may not let us; that is fine, the
	 * next start replaces a stale socket. */
	if (ctl.path[0] != '\0')
		unlink(ctl.path);
	ctl.path[0] = '\0';
}
