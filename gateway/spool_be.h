/*
 * gateway/spool_be.h - the spool's storage backends, behind one table of
 * operations.
 *
 * gateway/flow/spool.c keeps every decision that must not differ between
 * backends: what is accepted and when the sender is answered (after the
 * commit that holds the message), the message id and with it the
 * outbound Call-ID, the retry schedule (backoff and jitter), expiry and
 * the failure notice, the batch of one commit window.  A backend only
 * stores and reads: it runs one batch as one transaction, hands out due
 * rows and says when the next one falls due.
 *
 *   sqlite      (gateway/spool_sqlite.c) one file, one imgated
 *               (gateway/spoolfs.h holds the lock); calls back before
 *               it returns.
 *   postgresql  (gateway/spool_pg.c) one database, any number of
 *               imgated nodes; a node claims the rows it delivers under
 *               a lease; calls back later, from the event loop.
 *
 * Both call their callbacks exactly once per call that accepted work;
 * neither calls back into gateway/flow/spool.c from inside a callback.
 */
#ifndef GATEWAY_SPOOL_BE_H
#define GATEWAY_SPOOL_BE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

/* Bytes of a message id, hex, plus NUL (as SPOOL_ID_SIZE). */
#define SPOOL_BE_ID_SIZE	33

/* Row kinds: a message routed by number, or a failure notice sent to a
 * SIP URI (a notice never causes another notice). */
enum spool_kind { SPOOL_MSG = 0, SPOOL_NOTICE = 1 };

/* A message to store; every pointer borrowed for the call only. */
struct spool_be_new {
	const char	*msgid;
	const char	*key;		/* acceptance key, NULL: none */
	int		 origin;	/* 0 SIP, 1 XMPP */
	int		 src_proto;	/* enum proto */
	int		 src_family;	/* 0: no address */
	const uint8_t	*src_addr;	/* 4 or 16 bytes by family */
	const char	*from_uri, *xmpp_from, *xmpp_id;
	bool		 want_receipt;
	const char	*dest, *call_id, *content_type;
	const char	*body;
	size_t		 body_len;
	const char	*subject, *lang;
	int		 max_forwards;
	/* Only look for a row with @key (the spool is full): store
	 * nothing. */
	bool		 probe;
	/* Set by the backend: stored, or a copy of a stored row (same
	 * key), or neither (error, or a probe that found nothing). */
	bool		 stored, copy;
};

enum spool_be_op_kind {
	SPOOL_OP_DELETE,	/* delivered or failed for good */
	SPOOL_OP_RETRY,		/* attempt failed, due again at next_ms */
	SPOOL_OP_NOTICE,	/* delete, and store the failure notice */
	SPOOL_OP_RELEASE	/* not attempted after all (shutdown) */
};

/* An outcome to record; the strings borrowed for the call only. */
struct spool_be_op {
	enum spool_be_op_kind	 kind;
	int64_t			 row;
	int64_t			 next_ms;	/* RETRY */
	const char		*error;		/* RETRY: reason */
	const char		*notice;	/* NOTICE: body */
	const char		*notice_from;	/* NOTICE: its From URI */
	char			 msgid[SPOOL_BE_ID_SIZE]; /* NOTICE: new id */
};

/* A due row as read; every pointer valid during the callback only. */
struct spool_be_row {
	int64_t		 row;
	const char	*msgid;
	int64_t		 created_ms;
	unsigned	 attempts;	/* before this one */
	enum spool_kind	 kind;
	int		 origin;
	int		 src_proto, src_family;
	const uint8_t	*src_addr;
	size_t		 src_addr_len;
	const char	*from_uri, *xmpp_from, *xmpp_id;
	bool		 want_receipt;
	const char	*dest, *call_id, *content_type;
	const char	*body;
	size_t		 body_len;
	const char	*subject, *lang;
	int		 max_forwards;
};

/* The batch was committed (@ok) or rolled back; @rows_delta: rows the
 * outcomes removed (negative) or added (notices). */
typedef void (*spool_be_commit_cb)(bool ok, int64_t rows_delta);
/* One due row; @return false to take no more. */
typedef bool (*spool_be_row_cb)(const struct spool_be_row *r);
/* The claim ended: @next_ms when the next row falls due (0: none known),
 * @total rows in the spool (-1: not known). */
typedef void (*spool_be_claimed_cb)(int64_t next_ms, int64_t total);
/* The backend became usable (opened, reconnected) or learnt that
 * another node stored rows: claim what is due. */
typedef void (*spool_be_wake_cb)(void);

/* One row as imgatectl's queue commands show it (borrowed for the call). */
struct spool_be_entry {
	int64_t		 row;
	const char	*msgid;
	int64_t		 created_ms, next_ms;
	int		 attempts;
	enum spool_kind	 kind;
	const char	*dest, *last_error;
	int64_t		 body_len;
};
typedef void (*spool_be_entry_cb)(void *arg, const struct spool_be_entry *e);

struct spool_be_ops {
	const char	*name;
	/*
	 * Open (or start connecting).  @return 0, or -1 (logged) when the
	 * storage cannot be used at all.  @wake is called whenever the
	 * backend becomes usable and when rows may have fallen due.
	 * @at_start: nothing is served yet, so the backend may wait a
	 * bounded time to be usable when the daemon says it is ready.
	 * @root is the daemon's su_root_t (spool_init()'s be_root), where
	 * a backend that talks to a server watches its socket.
	 */
	int	(*open)(void *root, const struct gw_conf *c,
		    spool_be_wake_cb wake, bool at_start);
	/* Whether a batch or a claim may be started now. */
	bool	(*usable)(void);
	/* Rows in the spool when opened or last known. */
	uint64_t (*count)(void);
	/*
	 * Store @nn messages and apply @nops outcomes in one transaction;
	 * sets nw[i].stored/copy; then @done.  @return 0, or -1 when
	 * nothing was started (no callback).
	 */
	int	(*commit)(struct spool_be_new *nw, size_t nn,
		    const struct spool_be_op *ops, size_t nops, int64_t now,
		    spool_be_commit_cb done);
	/*
	 * Hand out up to @limit rows due at @now, oldest due first, to
	 * @row, then call @done.  @return 0, or -1 when nothing was
	 * started.
	 */
	int	(*claim)(size_t limit, int64_t now, spool_be_row_cb row,
		    spool_be_claimed_cb done);
	/* Longest wait between two claims when nothing is known due. */
	int64_t	(*idle_ms)(void);
	/* Wait for what is in flight (its callbacks run; this may block:
	 * the daemon is stopping), then close. */
	void	(*close)(void);
	/*
	 * imgatectl (rare; synchronous).  NULL where a backend does not
	 * offer them (postgresql: its queries are asynchronous, use psql).
	 * admin_list: up to @max rows in due order, or the one of @msgid;
	 * @return how many, -1 on error.  admin_row: @return the row of
	 * @msgid, 0 when none, -1 on error.  admin_update: make @row due
	 * at @now, or delete it (@drop); @return 0 or -1.  oldest_ms: the
	 * creation time of the oldest row, 0 when none.
	 */
	int	(*admin_list)(const char *msgid, size_t max,
		    spool_be_entry_cb fn, void *arg);
	int64_t	(*admin_row)(const char *msgid);
	int	(*admin_update)(int64_t row, bool drop, int64_t now);
	int64_t	(*oldest_ms)(void);
};

extern const struct spool_be_ops spool_sqlite_ops;
extern const struct spool_be_ops spool_pg_ops;

#endif /* GATEWAY_SPOOL_BE_H */
