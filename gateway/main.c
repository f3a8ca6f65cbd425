/*
 * gateway/main.c - imgated: load the configuration, build the one loop,
 * serve until SIGTERM/SIGINT.
 *
 * -f FILE configuration (default /etc/imgate/imgate.conf), -n check it
 * and exit, -d stay in the foreground and log to stderr, -v more verbose.
 * Everything runs on the sofia-sip su_root: nta (gateway/sipgw), the
 * c-ares channel (gateway/dns) and the transaction timers (gateway/txn).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "conf/conf.h"
#include "gateway/dns.h"
#include "gateway/log.h"
#include "gateway/relay.h"
#include "gateway/runtime.h"
#include "gateway/setup.h"
#include "gateway/sipgw.h"
#include "gateway/spool.h"
#include "gateway/txn.h"
#include "gateway/xmppgw.h"

#define DEFAULT_CONFIG	"/etc/imgate/imgate.conf"

static volatile sig_atomic_t	 quit_signal;
static volatile sig_atomic_t	 reload_signal;
static su_root_t		*root;
static const char		*config_path = DEFAULT_CONFIG;
static bool			 verbose_flag;

static void
on_hup(int sig)
{
	(void)sig;
	reload_signal = 1;
}

/*
 * SIGHUP: build the new configuration aside; only when it loads, checks
 * and changes nothing that needs a restart does it replace the running
 * one.  Transactions in flight keep the runtime they started with.
 */
static void
reload(void)
{
	struct gw_conf		*next;
	struct gw_runtime	*rt, *cur = runtime_current();
	char			 err[512];
	int			 level;

	if ((next = calloc(1, sizeof(*next))) == NULL) {
		log_warnx("reload: out of memory; keeping the running "
		    "configuration");
		return;
	}
	conf_defaults(next);
	if (conf_load(config_path, next, err, sizeof(err)) != 0) {
		log_warnx("reload: %s; keeping the running configuration",
		    err);
		goto done;
	}
	if (!conf_reloadable_change(&cur->conf, next, err, sizeof(err))) {
		log_warnx("reload: %s; keeping the running configuration",
		    err);
		goto done;
	}
	if ((rt = runtime_build(next, cur->conf.xmpp_enable)) == NULL) {
		log_warnx("reload: out of memory; keeping the running "
		    "configuration");
		goto done;
	}
	runtime_install(rt);
	relay_reconfigure(&rt->conf);
	level = log_level_parse(rt->conf.log_level);
	if (!verbose_flag && level >= 0)
		log_set_level((enum log_level)level);
	log_info("reload: %s is in force (generation %llu, %zu routes)",
	    config_path, (unsigned long long)rt->generation,
	    rt->conf.nroutes);
done:
	free(next);
}

static void
on_signal(int sig)
{
	quit_signal = sig;
}

/* Signals are only noted by the handler; this tick acts on them. */
static void
on_tick(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	(void)t;
	(void)arg;
	if (quit_signal != 0)
		su_root_break(root);
	if (reload_signal != 0) {
		reload_signal = 0;
		reload();
	}
}

static void
shutdown_txn(struct gw_txn *t)
{
	struct gw_outcome o = { GW_TEMPFAIL, GW_R_SHUTDOWN, 0 };

	relay_finish(t, o);
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
shut_down(bool xmpp)
{
	int64_t		 grace = runtime_current()->conf.shutdown_grace_ms;
	uint64_t	 end = dns_now_ms() + (uint64_t)grace;
	size_t		 n, r;

	sipgw_drain();
	if (xmpp)
		xmppgw_drain();
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
	spool_close();
	/* The answers just queued (TCP) get a moment to leave; anything
	 * that arrives meanwhile is refused by the draining edges. */
	su_root_step(root, 100);
	txn_foreach(shutdown_txn);
	log_info("imgated: stopped");
}

static void
usage(void)
{
	fprintf(stderr, "usage: imgated [-dnv] [-f config]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	static struct gw_conf	 conf;
	struct gw_runtime	*rt;
	struct dns_config	 dcfg;
	struct dns		*dns;
	su_timer_t		*tick;
	const char		*config = DEFAULT_CONFIG;
	char			 err[512];
	bool			 check_only = false, foreground = false;
	int			 ch, verbose = 0, level;
	struct sigaction	 sa;

	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			foreground = true;
			break;
		case 'f':
			config = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	/* daemon() moves to "/": remember the file for SIGHUP by its
	 * absolute path. */
	{
		char *abs = realpath(config, NULL);

		config_path = abs != NULL ? abs : config;
	}
	verbose_flag = verbose > 0;

	conf_defaults(&conf);
	if (conf_load(config, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "imgated: %s\n", err);
		return 1;
	}
	if (check_only) {
		fprintf(stderr, "imgated: configuration OK\n");
		return 0;
	}
	level = log_level_parse(conf.log_level);
	if (level < 0)
		level = LOG_L_INFO;
	if (verbose > 0)
		level = LOG_L_DEBUG;
	log_init(foreground, (enum log_level)level, "imgated");
	if (!foreground && daemon(0, 0) != 0)
		fatal("daemon");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	su_init();
	if ((root = su_root_create(NULL)) == NULL)
		fatalx("su_root_create failed");
	/*
	 * sofia-sip would run clone tasks (nua's stack, for one) in threads
	 * of their own; imgate uses none, and this keeps it that way.  One
	 * loop, one thread (design.md).
	 */
	su_root_threading(root, 0);
	setup_dns_config(&conf, &dcfg);
	if ((dns = dns_create(root, &dcfg)) == NULL)
		fatalx("cannot set up the resolver");
	if ((rt = runtime_build(&conf, conf.xmpp_enable)) == NULL)
		fatalx("out of memory");
	runtime_install(rt);
	txn_init(root, (size_t)conf.max_transactions);
	relay_init(dns, &sipgw_side, conf.xmpp_enable ? &xmppgw_side : NULL);
	if (sipgw_start(root, &conf) != 0)
		fatalx("cannot start SIP on %s", conf.sip_listen);
	if (conf.xmpp_enable && xmppgw_start(root, &conf) != 0)
		fatalx("cannot set up the XMPP component");
	if (spool_init(root, &conf, &sipgw_side, conf.xmpp_enable ?
	    &xmppgw_side : NULL) != 0)
		fatalx("cannot open the spool %s", conf.spool_path);

	tick = su_timer_create(su_root_task(root), 200);
	su_timer_set_for_ever(tick, on_tick, NULL);
	log_info("imgated ready (config %s)", config);
	su_root_run(root);

	shut_down(conf.xmpp_enable);
	su_timer_destroy(tick);
	if (conf.xmpp_enable)
		xmppgw_stop();
	sipgw_destroy();
	dns_destroy(dns);
	relay_fini();
	txn_fini();
	runtime_install(NULL);
	runtime_fini();
	if (config_path != config)
		free((char *)config_path);
	su_root_destroy(root);
	su_deinit();
	return 0;
}
