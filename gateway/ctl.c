/*
 * gateway/ctl.c - the control socket (see ctl.h).
 *
 * At most CTL_MAX_CLIENTS connections at once; a request line is at most
 * CTL_MAX_REQUEST bytes, a connection lives at most CTL_TIMEOUT_MS, and a
 * reply is written as the socket accepts it (never a blocking write).
 * Connections are found again by id: an "explain" answer that arrives
 * after its client went away is dropped quietly (style.md 6).  Every
 * document goes through jansson (gateway/jsonout).
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
#include "gateway/relay.h"
#include "gateway/runtime.h"
#include "gateway/spool.h"
#include "gateway/txn.h"
#include "gateway/xmppgw.h"

#define CTL_MAX_CLIENTS		16
#define CTL_MAX_REQUEST		4096
#define CTL_TIMEOUT_MS		30000
#define CTL_QUEUE_MAX		1000	/* rows "queue list" shows */
#define CTL_DUMP_MAX		10000	/* entries "cache dump" shows */

struct ctl_client {
	uint64_t	 id;		/* 0: free slot */
	int		 fd;
	int		 index;		/* su_root registration */
	uint64_t	 started_ms;
	char		 in[CTL_MAX_REQUEST];
	size_t		 inlen;
	char		*out;		/* reply, owned */
	size_t		 outlen, outoff;
	bool		 busy;		/* explain in flight */
};

static struct {
	su_root_t		*root;
	struct dns		*dns;
	const struct ctl_hooks	*hooks;
	char			 path[108];	/* sun_path */
	int			 fd;
	int			 index;
	su_timer_t		*timer;
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

static json_t *
cmd_status(void)
{
	json_t			*o = ok_doc();
	const struct gw_runtime	*rt = runtime_current();

	json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "uptime_s",
	    json_integer(time(NULL) - ctl.started));
	json_object_set_new(o, "config", jsonout_str(ctl.hooks->config_path));
	json_object_set_new(o, "generation",
	    json_integer(rt != NULL ? (json_int_t)rt->generation : 0));
	set_count(o, "transactions", txn_count());
	set_count(o, "spool_messages", spool_count());
	json_object_set_new(o, "xmpp", rt != NULL && rt->conf.xmpp_enable ?
	    json_string(xmppgw_connected() ? "connected" : "disconnected") :
	    json_string("disabled"));
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

	n = dns_server_stats(ctl.dns, sv, CTL_DNS_SERVERS);
	for (i = 0; i < n && i < CTL_DNS_SERVERS; i++) {
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

	dns_get_stats(ctl.dns, &st);
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
	set_count(o, "transactions", txn_count());
	set_count(o, "spool_messages", spool_count());
	json_object_set_new(o, "messages", metrics_json());
	return o;
}

static json_t *
cmd_reload(void)
{
	char	 verdict[512];
	int	 rc = ctl.hooks->reload(verdict, sizeof(verdict));
	json_t	*o = json_object();

	json_object_set_new(o, "ok", json_boolean(rc == 0));
	json_object_set_new(o, rc == 0 ? "verdict" : "error",
	    jsonout_str(verdict));
	return o;
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
	struct policy_source	 src = { .proto = CONF_SRC_ANY };
	struct ctl_explain	*x;

	if (ac != 1 && ac != 3)
		return err_doc("usage: explain NUMBER [--from-sip IP | "
		    "--from-xmpp JID]");
	if (ac == 3 && strcmp(av[1], "--from-sip") == 0) {
		src.proto = CONF_SRC_SIP;
		if (inet_pton(AF_INET, av[2], src.addr) == 1)
			src.family = AF_INET;
		else if (inet_pton(AF_INET6, av[2], src.addr) == 1)
			src.family = AF_INET6;
		else
			return err_doc("--from-sip: not an IP address");
		src.has_addr = true;
	} else if (ac == 3 && strcmp(av[1], "--from-xmpp") == 0) {
		src.proto = CONF_SRC_XMPP;
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

static void
dump_one(void *arg, const struct dns_cache_info *ci)
{
	static const char *const st[] = { "ok", "nodata", "nxdomain",
	    "tempfail" };
	json_t	*a = arg, *e;

	if (json_array_size(a) >= CTL_DUMP_MAX || (e = json_object()) ==
	    NULL)
		return;
	json_object_set_new(e, "name", jsonout_str(ci->name));
	json_object_set_new(e, "type", json_string(type_name(ci->type)));
	json_object_set_new(e, "status", json_string(ci->pending ?
	    "pending" : (size_t)ci->status < 4 ? st[ci->status] : "?"));
	json_object_set_new(e, "ttl", json_integer(ci->ttl_s));
	json_array_append_new(a, e);
}

static json_t *
cmd_cache(const char **av, size_t ac)
{
	json_t	*o;

	if (ac == 1 && strcmp(av[0], "dump") == 0) {
		json_t *a = json_array();

		dns_cache_foreach(ctl.dns, dump_one, a);
		o = ok_doc();
		json_object_set_new(o, "entries", a);
		return o;
	}
	if (ac >= 1 && ac <= 2 && strcmp(av[0], "flush") == 0) {
		struct dns_stats st;

		dns_get_stats(ctl.dns, &st);
		o = ok_doc();
		if (ac == 2) {
			size_t n = dns_cache_flush_name(ctl.dns, av[1]);

			log_info("control: cache flush %s: %zu entries", av[1],
			    n);
			json_object_set_new(o, "flushed",
			    json_integer((json_int_t)n));
		} else {
			size_t before = st.entries;

			/* Entries with a query in flight stay. */
			dns_cache_flush(ctl.dns);
			dns_get_stats(ctl.dns, &st);
			log_info("control: cache flushed");
			json_object_set_new(o, "flushed", json_integer(
			    (json_int_t)(before - st.entries)));
		}
		return o;
	}
	return err_doc("usage: cache dump | cache flush [NAME]");
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
		reply = cmd_reload();
	else if (strcmp(cmd, "explain") == 0)
		reply = cmd_explain(c, av, ac);
	else if (strcmp(cmd, "cache") == 0)
		reply = cmd_cache(av, ac);
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
