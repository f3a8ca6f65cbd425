/*
 * gateway/ctl.h - the control socket imgatectl(8) talks to.
 *
 * Beside the flow: a unix stream socket on the su_root loop.  A client
 * sends one request line, a JSON object {"command": C, "args": [...]},
 * and gets one JSON object line back ({"ok": true, ...} or {"ok": false,
 * "error": "..."}); then the daemon closes the connection.  Commands:
 * status, stats, reload, explain, cache dump|flush, queue
 * list|show|retry|drop, component status (imgatectl(8)).
 */
#ifndef GATEWAY_CTL_H
#define GATEWAY_CTL_H

#include <stddef.h>
#include <sys/types.h>

#include <sofia-sip/su_wait.h>

#include "gateway/dns.h"

/* What the control socket asks of main(). */
struct ctl_hooks {
	/* Reload the configuration file as SIGHUP does; @verdict gets the
	 * sentence that was logged.  @return 0 when the new one is in
	 * force, -1 when the running one was kept. */
	int		(*reload)(char *verdict, size_t verdictsz);
	const char	*config_path;	/* borrowed, for "status" */
};

/**
 * Create the socket at @path (mode 0660, owned by @uid:@gid unless they
 * are (uid_t)-1 / (gid_t)-1) and serve it on @root.  A stale socket is
 * replaced; one that a live daemon answers on is not.  @dns and @hooks
 * are borrowed for the daemon's life.
 * @return 0, or -1 (logged).
 */
int ctl_start(su_root_t *root, const char *path, uid_t uid, gid_t gid,
    struct dns *dns, const struct ctl_hooks *hooks);

/** Close every connection and remove the socket (safe when not started). */
void ctl_stop(void);

/**
 * A worker other than 0, from its tick: answer the cache command worker
 * 0's control socket posted in this worker's slot (gateway/workers_shm),
 * on @dns (borrowed), if there is one.
 */
void ctl_mailbox(struct dns *dns);

#endif /* GATEWAY_CTL_H */
