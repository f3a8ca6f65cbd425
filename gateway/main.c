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
#include "gateway/reload.h"
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

static void
on_hup(int sig)
{
	(void)sig;
	reload_signal = 1;
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
		reload_run(config_path);
	}
}

static void
shutdown_txn(struct gw_txn *t)
{
	struct gw_outcome o = { GW_TEMPFAIL, GW_R_SHUTDOWN, 0 };

	relay_finish(t, o);
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
	reload_init(dns, verbose > 0);
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

	log_info("imgated: signal %d, shutting down", (int)quit_signal);
	/* Messages accepted in this commit window get their 202 first. */
	spool_flush();
	txn_foreach(shutdown_txn);
	spool_close();
	/* The answers just queued (TCP) get a moment to leave. */
	su_root_step(root, 100);
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
