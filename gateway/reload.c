/*
 * gateway/reload.c - SIGHUP as a transaction (see reload.h).
 *
 * Steps, in this order:
 *   1. load and check the file into a struct of its own (reload_load:
 *      conf_load, an empty file refused);
 *   2. merge: restart-only options keep their running value
 *      (conf_reload_merge), so the runtime says what really runs;
 *   3. build the runtime (the only step that allocates; may fail);
 *   4. commit: install it, then hand the shared layers their settings.
 *      Nothing in step 4 can fail: the resolver copies numbers, the
 *      transaction table and the XMPP queues read their caps when they
 *      take an item (a lower cap applies to new items only, held ones
 *      stay), the rate limiter keeps its table;
 *   5. report every change, then the summary line.
 * A failure in 1-3 changes nothing.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "gateway/dns.h"
#include "gateway/log.h"
#include "gateway/flow/relay.h"
#include "gateway/flow/txn.h"
#include "gateway/reload.h"
#include "gateway/runtime.h"

static struct dns	*reload_dns;
static bool		 reload_keep_level;
static reload_adjust_fn	*reload_adjust;

struct reload_count {
	size_t	 applied;
	size_t	 restart;
};

void
reload_init(struct dns *dns, bool keep_log_level, reload_adjust_fn *adjust)
{
	reload_dns = dns;
	reload_keep_level = keep_log_level;
	reload_adjust = adjust;
}

static void
report(void *arg, const char *path, bool applied, const char *was,
    const char *now)
{
	struct reload_count	*n = arg;

	if (applied) {
		n->applied++;
		log_info("reload: %s: %s -> %s", path, was, now);
		return;
	}
	n->restart++;
	log_warnx("reload: %s changed (%s -> %s) but is restart-only: it "
	    "takes effect at restart, %s stays in force until then", path,
	    was, now, was);
}

/* Step 4: the layers shared by all messages follow the new runtime. */
static void
apply(const struct gw_runtime *rt)
{
	struct dns_config	 dcfg;

	txn_set_max((size_t)rt->conf.max_transactions);
	runtime_dns_config(&rt->conf, &dcfg);
	if (reload_dns != NULL) {
		dns_reconfigure(reload_dns, &dcfg);
		dns_set_case_randomization(reload_dns,
		    rt->conf.dns_case_randomization);
		dns_set_udp_max_queries(reload_dns,
		    (unsigned)rt->conf.dns_udp_max_queries);
	}
	relay_reconfigure(&rt->conf);
	log_set_refusal_limit(rt->conf.log_refusal_burst,
	    rt->conf.log_refusal_interval_s);
}

/* A failure: logged, and the verdict says the same. */
static void
refused(char *verdict, size_t verdictsz, const char *why)
{
	log_warnx("reload: %s; keeping the running configuration", why);
	if (verdict != NULL)
		snprintf(verdict, verdictsz, "reload: %s; keeping the running "
		    "configuration", why);
}

int
reload_load(const char *path, struct gw_conf *c, char *err, size_t errsz)
{
	struct stat	 st;

	conf_defaults(c);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
		snprintf(err, errsz, "%s is empty (being written?); an empty "
		    "file is refused on reload", path);
		return -1;
	}
	return conf_load(path, c, err, errsz);
}

int
reload_run(const char *path, char *verdict, size_t verdictsz)
{
	struct gw_conf	*loaded;
	char		 err[512];
	int		 rc;

	if ((loaded = calloc(1, sizeof(*loaded))) == NULL) {
		refused(verdict, verdictsz, "out of memory");
		return -1;
	}
	if (reload_load(path, loaded, err, sizeof(err)) != 0) {
		refused(verdict, verdictsz, err);
		free(loaded);
		return -1;
	}
	if (reload_adjust != NULL)
		reload_adjust(loaded);
	rc = reload_apply(loaded, path, verdict, verdictsz);
	free(loaded);
	return rc;
}

int
reload_apply(const struct gw_conf *file, const char *path, char *verdict,
    size_t verdictsz)
{
	struct gw_runtime	*cur = runtime_ref(runtime_current()), *rt;
	struct gw_conf		*next, *seen = NULL;
	struct reload_count	 n = { 0, 0 };
	int			 level, rc = -1;

	/* Two copies: the merge rewrites the one it is given. */
	if ((next = calloc(1, sizeof(*next))) == NULL ||
	    (seen = calloc(1, sizeof(*seen))) == NULL) {
		refused(verdict, verdictsz, "out of memory");
		goto done;
	}
	*next = *file;
	*seen = *file;
	conf_reload_merge(&cur->conf, next, NULL, NULL);
	if ((rt = runtime_build(next, cur->conf.xmpp_enable)) == NULL) {
		refused(verdict, verdictsz, "out of memory");
		goto done;
	}
	runtime_install(rt);
	apply(rt);
	conf_reload_merge(&cur->conf, seen, report, &n);
	/* After the report, so that lowering the level still shows it. */
	level = log_level_parse(rt->conf.log_level);
	if (!reload_keep_level && level >= 0)
		log_set_level((enum log_level)level);
	log_info("reload: %s is in force (generation %llu, %zu routes; "
	    "%zu changes applied, %zu wait for a restart)", path,
	    (unsigned long long)rt->generation, rt->conf.nroutes, n.applied,
	    n.restart);
	if (verdict != NULL)
		snprintf(verdict, verdictsz, "reload: %s is in force "
		    "(generation %llu, %zu routes; %zu changes applied, %zu "
		    "wait for a restart)", path,
		    (unsigned long long)rt->generation, rt->conf.nroutes,
		    n.applied, n.restart);
	rc = 0;
done:
	free(seen);
	free(next);
	runtime_unref(cur);
	return rc;
}
