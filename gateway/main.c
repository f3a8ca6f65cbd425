/*
 * gateway/main.c - imgated: load the configuration, build the one loop,
 * serve until SIGTERM/SIGINT.
 *
 * -f FILE configuration (default SYSCONFDIR/imgate/imgate.conf), -n check
 * it and exit, -d stay in the foreground and log to stderr, -v more verbose,
 * -u USER[:GROUP] the user to serve as, -V version, -h usage.
 * Everything runs on the sofia-sip su_root: nta (gateway/sipgw), the
 * c-ares channel (gateway/dns) and the transaction timers (gateway/flow/txn
 * through gateway/loop_su).
 *
 * Start-up order (imgated(8)): parse; decide whom to serve as; lock
 * the spool; bind every socket; open the spool; drop privileges; detach
 * (not with -d).  Everything that can fail happens while the terminal still
 * listens, so a failure exits non-zero with the reason on stderr.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "conf/conf.h"
#include "gateway/ctl.h"
#include "gateway/detach.h"
#include "gateway/dns.h"
#include "gateway/flow/relay.h"
#include "gateway/flow/spool.h"
#include "gateway/flow/txn.h"
#include "gateway/handoff.h"
#include "gateway/log.h"
#include "gateway/log_sofia.h"
#include "gateway/loop_su.h"
#include "gateway/metrics.h"
#include "gateway/metrics_http.h"
#include "gateway/privs.h"
#include "gateway/reload.h"
#include "gateway/runtime.h"
#include "gateway/sipgw.h"
#include "gateway/spoolfs.h"
#include "gateway/txnlog.h"
#include "gateway/workers.h"
#include "gateway/workers_shm.h"
#include "gateway/xmppgw.h"

#define DEFAULT_CONFIG	IMGATE_CONFDIR "/imgate.conf"

static volatile sig_atomic_t	 quit_signal;
static volatile sig_atomic_t	 reload_signal;
static su_root_t		*root;
/* The middle's view of root (gateway/flow/loop.h). */
static struct flow_loop		 loop;
/* Which worker this process is (-1: a single process), for the tick. */
static int			 serve_k = -1;
static struct dns		*serve_dns;
static const char		*config_path = DEFAULT_CONFIG;
/* -u USER[:GROUP]: replaces gateway.user (and gateway.group) in every
 * configuration loaded, at start and on SIGHUP alike. */
static char			 opt_user[PRIVS_NAME_MAX];
static char			 opt_group[PRIVS_NAME_MAX];
static int			 verbose;

/* Apply the command line's -u to a configuration just loaded. */
static void
apply_options(struct gw_conf *c)
{
	if (opt_user[0] == '\0')
		return;
	snprintf(c->user, sizeof(c->user), "%s", opt_user);
	if (opt_group[0] != '\0')
		snprintf(c->group, sizeof(c->group), "%s", opt_group);
}

static void
on_hup(int sig)
{
	(void)sig;
	reload_signal = 1;
}

/* imgatectl reload: a SIGHUP with the verdict sent back. */
static int
ctl_reload(char *verdict, size_t verdictsz)
{
	return reload_run(config_path, verdict, verdictsz);
}

static struct ctl_hooks ctl_hooks = { ctl_reload, NULL };

static void
on_signal(int sig)
{
	quit_signal = sig;
}

#define TICK_MS		200

/*
 * Signals are only noted by the handler; this tick acts on them.  It
 * also measures how late it runs (the loop's lag: a loop busy for 300
 * ms runs it 100 ms late) and publishes the gauges for the metrics
 * (gateway/metrics, gateway/workers_shm).  A worker reloads what the
 * supervisor checked, not the file (gateway/workers.c).
 */
static void
on_tick(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	static uint64_t	 last;
	uint64_t	 now = dns_now_ms(), lag = 0;

	(void)m;
	(void)t;
	(void)arg;
	if (last != 0 && now > last + TICK_MS)
		lag = now - last - TICK_MS;
	last = now;
	metrics_publish(lag);
	if (quit_signal != 0)
		su_root_break(root);
	if (reload_signal != 0) {
		reload_signal = 0;
		if (serve_k >= 0)
			workers_reload_apply(config_path, false);
		else
			reload_run(config_path, NULL, 0);
	}
	if (serve_k > 0)
		ctl_mailbox(serve_dns);
}

/* Every transaction's end: counted, and its one log line. */
static void
txn_ended(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	metrics_txn_done(t, o, r);
	/* A spool delivery stopped by shutdown answers nobody: the spool
	 * logs what happens to it instead of a "-> 503". */
	if (t->spool_row != 0 && o->reason == GW_R_SHUTDOWN)
		log_debug("txn %llu: stopped by shutdown",
		    (unsigned long long)t->id);
	else
		txnlog_finish(t, o, r);
}

static const struct txn_observer	 txn_watch = { txn_ended,
    metrics_lookup_done };

/* Store-and-forward: worker 0 owns the spool (gateway/handoff). */
static void
store_message(struct gw_txn *t, const struct policy_source *src)
{
	if (handoff_active())
		handoff_spool(t, src);
	else
		spool_accept(t, src);
}

static void
shutdown_txn(struct gw_txn *t)
{
	struct gw_outcome o = { GW_TEMPFAIL, GW_R_SHUTDOWN, 0 };

	txn_finish(t, o);
}

/* Steps of the loop while draining: short, so the end is on time. */
#define SHUTDOWN_STEP_MS	20

static size_t	 shutdown_relaying;

static void
count_relaying(struct gw_txn *t)
{
	if (t->spool_row == 0)
		shutdown_relaying++;
}

/* Transactions with a sender waiting (not spool deliveries). */
static size_t
relaying(void)
{
	shutdown_relaying = 0;
	txn_foreach(count_relaying);
	return shutdown_relaying;
}

/*
 * SIGTERM/SIGINT (imgated(8) SIGNALS).  In this order: nothing new is
 * started (the edges answer new messages 503 at once, and keep reading
 * answers to what is in flight); the messages accepted in the current
 * commit window are committed and get their 202; the transactions whose
 * sender waits get up to gateway.shutdown_grace_ms to finish (spool
 * deliveries may finish meanwhile, but nobody waits for them: their rows
 * are safe in the file); whatever is left then is answered 503, except
 * spool deliveries, whose rows stay due (attempt not counted) for the
 * next start.
 */
static void
shut_down(bool xmpp, bool spool)
{
	int64_t		 grace = runtime_current()->conf.shutdown_grace_ms;
	uint64_t	 end = dns_now_ms() + (uint64_t)grace;
	size_t		 n, r;

	sipgw_drain();
	if (xmpp)
		xmppgw_drain();
	if (spool)
		spool_flush();
	n = txn_count();
	r = relaying();
	log_info("imgated: signal %d, shutting down: %zu message%s in "
	    "flight, %zu spool deliver%s; up to %lld ms to finish",
	    (int)quit_signal, r, r == 1 ? "" : "s", n - r, n - r == 1 ? "y" :
	    "ies", (long long)grace);
	while (relaying() > 0 && dns_now_ms() < end) {
		uint64_t left = end - dns_now_ms();

		su_root_step(root, (su_duration_t)(left < SHUTDOWN_STEP_MS ?
		    left : SHUTDOWN_STEP_MS));
	}
	if ((r = relaying()) > 0)
		log_info("imgated: grace period over, %zu message%s still in "
		    "flight", r, r == 1 ? "" : "s");
	txn_foreach(shutdown_txn);
	/* A worker other than 0 has no spool (gateway/handoff). */
	if (spool)
		spool_close();
	/* The answers just queued (TCP) get a moment to leave; anything
	 * that arrives meanwhile is refused by the draining edges. */
	su_root_step(root, 100);
	txn_foreach(shutdown_txn);
	log_info("imgated: stopped");
}

static void
usage(FILE *out, int status)
{
	fprintf(out, "usage: imgated [-dhnvV] [-f config] "
	    "[-u user[:group]]\n");
	exit(status);
}

/*
 * Whom the message path will run as, decided before anything is bound
 * so that a refusal costs nothing (imgated(8), PRIVILEGES).
 */
static enum privs_plan
start_plan(const struct gw_conf *c, struct privs_target *t)
{
	char	 err[256];
	bool	 was_root = getuid() == 0 || geteuid() == 0;

	memset(t, 0, sizeof(*t));
	if (c->user[0] == '\0' && c->group[0] != '\0')
		fatalx("gateway.group \"%s\" needs gateway.user", c->group);
	if (c->user[0] != '\0' &&
	    privs_resolve(c->user, c->group, t, err, sizeof(err)) != 0)
		fatalx("gateway.user: %s", err);
	switch (privs_plan(was_root, geteuid(), getegid(), t, c->allow_root)) {
	case PRIVS_REFUSE_ROOT:
		fatalx("refusing to serve as root: set gateway.user (or -u "
		    "USER) to the user imgated should run as, or "
		    "gateway.allow_root = true");
	case PRIVS_CANNOT_SWITCH:
		fatalx("cannot serve as %s:%s: imgated runs as uid %lu gid "
		    "%lu and only root can change users", t->user, t->group,
		    (unsigned long)geteuid(), (unsigned long)getegid());
	case PRIVS_SWITCH:
		return PRIVS_SWITCH;
	case PRIVS_ROOT_ALLOWED:
		return PRIVS_ROOT_ALLOWED;
	case PRIVS_KEEP:
		break;
	}
	return PRIVS_KEEP;
}

/*
 * The spool's lock first of all: a second imgated on the same spool
 * learns who holds it before it fails on the busy port.  Then its
 * directory and files, for the user the daemon will serve as.
 */
static void
start_spool_files(const struct gw_conf *c, enum privs_plan plan,
    const struct privs_target *t)
{
	char	 err[512];

	if (spoolfs_open(c, plan == PRIVS_SWITCH ? t : NULL, err,
	    sizeof(err)) != 0)
		fatalx("%s", err);
}

/* Everything is bound and open: become the target user for good. */
static void
start_drop(const struct gw_conf *c, enum privs_plan plan,
    const struct privs_target *t)
{
	char	 err[256];

	if (plan == PRIVS_SWITCH) {
		if (privs_drop(t, err, sizeof(err)) != 0)
			fatalx("cannot drop privileges to %s:%s: %s", t->user,
			    t->group, err);
		log_info("serving as %s:%s (uid %lu, gid %lu)", t->user,
		    t->group, (unsigned long)t->uid, (unsigned long)t->gid);
	} else if (plan == PRIVS_ROOT_ALLOWED)
		log_warnx("serving as root (gateway.allow_root)");
	/* Belt and braces: whatever the plan said, root stays out unless
	 * allowed. */
	if ((getuid() == 0 || geteuid() == 0) && !c->allow_root)
		fatalx("still root after start-up; refusing to serve");
	if (access(config_path, R_OK) != 0)
		log_warnx("%s is not readable by the user imgated serves as: "
		    "SIGHUP cannot reload it", config_path);
}

/*
 * Build the gateway on one loop and serve until SIGTERM/SIGINT: the whole
 * daemon (@k -1), or worker @k of gateway.workers (gateway/workers.h).
 * Worker 0, or the single process, owns the XMPP component and the spool;
 * the other workers hand those messages to worker 0 (gateway/handoff).
 * A single process binds, drops privileges and detaches here; a worker
 * inherits all that from the supervisor and has its sockets given to it.
 */
static void
serve(struct gw_conf *conf, int k, enum privs_plan plan,
    const struct privs_target *target, bool foreground, bool reloaded)
{
	struct gw_runtime	*rt;
	struct dns_config	 dcfg;
	struct dns		*dns;
	su_timer_t		*tick;
	bool			 own = k <= 0;
	bool			 xmpp = conf->xmpp_enable && own;

	serve_k = k;
	su_init();
	if ((root = su_root_create(NULL)) == NULL)
		fatalx("su_root_create failed");
	/*
	 * sofia-sip would run clone tasks (nua's stack, for one) in threads
	 * of their own; imgate uses none, and this keeps it that way.  One
	 * loop, one thread (docs/ARCHITECTURE.md).
	 */
	su_root_threading(root, 0);
	runtime_dns_config(conf, &dcfg);
	if ((dns = dns_create(root, &dcfg)) == NULL)
		fatalx("cannot set up the resolver");
	serve_dns = dns;
	metrics_init(dns, k < 0 ? 0 : k);
	if ((rt = runtime_build(conf, conf->xmpp_enable)) == NULL)
		fatalx("out of memory");
	runtime_install(rt);
	loop_su_init(&loop, root);
	txn_init(&loop, (size_t)conf->max_transactions);
	txn_set_observer(&txn_watch);
	relay_init(dns_ops(dns), &sipgw_side, !conf->xmpp_enable ? NULL :
	    own ? &xmppgw_side : &handoff_side, store_message);
	reload_init(dns, verbose > 0, apply_options);
	/*
	 * A worker started again after a reload serves what the others
	 * serve, the configuration the supervisor checked last, from its
	 * first request: applied before its SIP edge opens and before it
	 * says it is ready, not after (test_workers_ops (5)).
	 */
	if (reloaded)
		workers_reload_apply(config_path, true);
	if (k >= 0)
		workers_bind_replay(k);
	if (sipgw_start(root, conf, workers_self() >= 0) != 0)
		fatalx("cannot start SIP on %s", conf->sip_listen);
	workers_bind_off();
	if (k >= 0)
		sipgw_sockets_settled();
	if (xmpp && xmppgw_start(root, conf) != 0)
		fatalx("cannot set up the XMPP component");
	if (own && spool_init(&loop, root, conf, &sipgw_side,
	    conf->xmpp_enable ? &xmppgw_side : NULL) != 0)
		fatalx("cannot open the spool %s", conf->spool_path);
	if (handoff_init(root) != 0)
		fatalx("cannot set up the handoff to worker 0");
	/*
	 * Metrics and the control socket: the single process's, or worker
	 * 0's, which sums every worker's slot (gateway/workers_shm) and
	 * routes the commands that act on another worker's state there.
	 */
	if (own && conf->metrics_enable &&
	    metrics_http_start(root, conf->metrics_listen) != 0)
		fatalx("cannot serve metrics on %s", conf->metrics_listen);
	/* The control socket, owned by the user and group imgated will
	 * serve as, so that the service group can use imgatectl. */
	ctl_hooks.config_path = config_path;
	if (own && conf->control_socket[0] != '\0' && ctl_start(root,
	    conf->control_socket, plan == PRIVS_SWITCH ? target->uid :
	    (uid_t)-1, plan == PRIVS_SWITCH ? target->gid : (gid_t)-1, dns,
	    &ctl_hooks) != 0)
		fatalx("cannot open the control socket %s",
		    conf->control_socket);
	if (k < 0) {
		start_drop(conf, plan, target);
		if (!foreground && detach_start() != 0)
			fatalx("cannot become a daemon");
		spoolfs_lock_note_pid();
		/* After the detach's fork: the pid that serves. */
		workers_shm_slot(0)->pid = getpid();
		workers_shm_slot(0)->started_s = (int64_t)time(NULL);
	}

	tick = su_timer_create(su_root_task(root), TICK_MS);
	su_timer_set_for_ever(tick, on_tick, NULL);
	if (k < 0) {
		log_info("imgated ready (config %s)", config_path);
		detach_ready();
#ifdef HAVE_SYSTEMD
		/* Type=notify (the shipped unit): ready once everything
		 * listens. */
		sd_notify(0, "READY=1");
#endif
		log_set_stderr(false);
	} else {
		log_info("worker %d ready (pid %ld)", k, (long)getpid());
		workers_ready();
	}
	su_root_run(root);
#ifdef HAVE_SYSTEMD
	if (k < 0)
		sd_notify(0, "STOPPING=1");
#endif

	shut_down(xmpp, own);
	if (own) {
		metrics_http_stop();
		ctl_stop();
	}
	su_timer_destroy(tick);
	handoff_fini();
	if (xmpp)
		xmppgw_stop();
	sipgw_destroy();
	dns_log_servers(dns);
	serve_dns = NULL;
	dns_destroy(dns);
	relay_fini();
	txn_fini();
	runtime_install(NULL);
	runtime_fini();
	su_root_destroy(root);
	su_deinit();
}

/* A worker's life (workers_main_fn). */
static int
worker_main(int k, bool reloaded, void *arg)
{
	serve(arg, k, PRIVS_KEEP, NULL, true, reloaded);
	return 0;
}

/* The supervisor's check on SIGHUP (workers_check_fn): load the file
 * as a worker would have, -u applied. */
static int
supervisor_check(struct gw_conf *c, char *err, size_t errsz)
{
	if (reload_load(config_path, c, err, errsz) != 0)
		return -1;
	apply_options(c);
	return 0;
}

/*
 * gateway.workers > 1: the SIP sockets are bound here, one per worker
 * and address (gateway/workers_bind), by a SIP stack built for that
 * alone; then privileges go, the supervisor detaches and runs the
 * workers.
 */
static int
supervise(struct gw_conf *conf, enum privs_plan plan,
    const struct privs_target *target, bool foreground, int n)
{
	int	 sp[2], st;
	pid_t	 pid;

	/* Bound by a SIP stack in a child: the stack's random state must
	 * be born in each worker, not inherited (gateway/workers_bind). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) != 0)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sp[0]);
		su_init();
		if ((root = su_root_create(NULL)) == NULL)
			fatalx("su_root_create failed");
		su_root_threading(root, 0);
		workers_bind_record(n);
		if (sipgw_start(root, conf, workers_self() >= 0) != 0)
			fatalx("cannot start SIP on %s", conf->sip_listen);
		workers_bind_off();
		_exit(workers_bind_send(sp[1]) == 0 ? 0 : 1);
	}
	close(sp[1]);
	if (workers_bind_receive(sp[0], n) != 0 ||
	    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0)
		fatalx("cannot bind the SIP sockets for %d workers", n);
	close(sp[0]);
	start_drop(conf, plan, target);
	if (!foreground && detach_start() != 0)
		fatalx("cannot become a daemon");
	spoolfs_lock_note_pid();
	log_info("imgated: supervisor (config %s), starting %d workers",
	    config_path, n);
	/* The workers' grace, their last steps, and some slack. */
	return workers_run(n, (uint64_t)conf->shutdown_grace_ms + 10000,
	    worker_main, supervisor_check, conf);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static struct gw_conf	 conf;
	struct privs_target	 target;
	enum privs_plan		 plan;
	const char		*config = DEFAULT_CONFIG;
	char			 err[512];
	bool			 check_only = false, foreground = false;
	int			 ch, level, n;
	struct sigaction	 sa;

	while ((ch = getopt_long(argc, argv, "df:hnu:vV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			foreground = true;
			break;
		case 'f':
			config = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'n':
			check_only = true;
			break;
		case 'u':
			if (privs_parse_spec(optarg, opt_user,
			    sizeof(opt_user), opt_group,
			    sizeof(opt_group)) != 0) {
				fprintf(stderr, "imgated: -u %s: expected "
				    "USER or USER:GROUP\n", optarg);
				usage(stderr, 1);
			}
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("imgated %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr, 1);
		}
	}
	if (argc != optind)
		usage(stderr, 1);
	/* A daemon moves to "/" (gateway/detach): remember the file for
	 * SIGHUP by its absolute path. */
	{
		char *abs = realpath(config, NULL);

		config_path = abs != NULL ? abs : config;
	}

	conf_defaults(&conf);
	if (conf_load(config, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "imgated: %s\n", err);
		return 1;
	}
	apply_options(&conf);
	if (check_only) {
		fprintf(stderr, "imgated: configuration OK\n");
		return 0;
	}
	/* The spool, its WAL and lock: nobody else's business. */
	umask(077);
	level = log_level_parse(conf.log_level);
	if (level < 0)
		level = LOG_L_INFO;
	if (verbose > 0)
		level = LOG_L_DEBUG;
	/* syslog is opened now, before the privilege drop; until the
	 * daemon is detached its warnings and errors go to stderr too. */
	log_set_facility(log_facility_parse(conf.log_facility));
	log_init(foreground, (enum log_level)level, conf.log_ident);
	log_set_refusal_limit(conf.log_refusal_burst,
	    conf.log_refusal_interval_s);
	log_sofia_redirect();
	log_set_stderr(!foreground);
	plan = start_plan(&conf, &target);
	start_spool_files(&conf, plan, &target);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/*
	 * A file past RLIMIT_FSIZE (LimitFSIZE= in a unit) is a write that
	 * fails with EFBIG, as a full disk fails with ENOSPC: the spool's
	 * commit fails and its messages get 503.  The default action would
	 * kill the daemon at the first commit past the limit, and again
	 * after every restart.
	 */
	sigaction(SIGXFSZ, &sa, NULL);

	n = workers_count(&conf);
	if (n > 1)
		return supervise(&conf, plan, &target, foreground, n);
	/* A region of one slot: the counters live where a worker's do. */
	workers_shm_create(1);
	serve(&conf, -1, plan, &target, foreground, false);
	if (config_path != config)
		free((char *)config_path);
	return 0;
}
