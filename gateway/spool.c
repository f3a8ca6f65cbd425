/*
 * gateway/spool.c - the store-and-forward spool on SQLite.
 *
 * One table, one row per message waiting for delivery, indexed by the
 * time of its next attempt.  Three things write to it, and all of them go
 * through the batch so that one commit window costs one transaction (and
 * one fsync of the WAL):
 *   - accepts: spool_accept() queues the transaction id; flush_batch()
 *     inserts every one still alive, commits, and only then answers them;
 *   - outcomes: spool_delivery_done() queues "delete", "retry at T" or
 *     "delete and send a notice"; they are applied by the next flush.  An
 *     outcome lost to a crash only repeats an attempt (at least once);
 *   - nothing else: rows are never rewritten while a delivery runs, so a
 *     crash at any point leaves every accepted message in the file.
 * schedule() picks due rows (at most spool.max_inflight at once, skipping
 * those in flight), turns each into a delivery transaction and hands it
 * to relay_resubmit(); a timer wakes it for the next due row.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "gateway/log.h"
#include "gateway/relay.h"
#include "gateway/runtime.h"
#include "gateway/spool.h"
#include "gateway/spoolfs.h"
#include "gateway/spool_key.h"

#define CONF	(&runtime_current()->conf)

/* Row kinds: a message routed by number, or a failure notice sent to a
 * SIP URI (a notice never causes another notice). */
enum spool_kind { SPOOL_MSG = 0, SPOOL_NOTICE = 1 };

/* Longest failure notice body. */
#define SPOOL_NOTICE_MAX	512
/* Longest wait between two looks at the spool when nothing is due. */
#define SPOOL_IDLE_MS		60000

enum spool_op_kind { SPOOL_OP_DELETE, SPOOL_OP_RETRY, SPOOL_OP_NOTICE };

/* An outcome waiting for the next commit. */
struct spool_op {
	enum spool_op_kind	 kind;
	int64_t			 row;
	int64_t			 next_ms;	/* RETRY */
	const char		*error;		/* RETRY: static reason */
	char			*notice;	/* NOTICE: body, owned */
	char			 msgid[SPOOL_ID_SIZE];	/* NOTICE: new id */
};

/* One delivery to start, gathered before any of them runs. */
struct spool_start {
	uint64_t		 txn;
	struct policy_source	 src;
	char			 domain[256];
	bool			 notice;
};

/* An accepted message waiting for the next commit. */
struct spool_accept {
	uint64_t		 txn;
	enum conf_src_proto	 src_proto;
	int			 src_family;
	uint8_t			 src_addr[16];
	bool			 has_addr;
};

/* A delivery in flight. */
struct spool_flight {
	int64_t			 row;
	uint64_t		 txn;
	int64_t			 created_ms;
	unsigned		 attempts;	/* before this one */
	enum spool_kind		 kind;
	char			 msgid[SPOOL_ID_SIZE];
};

/* A derived message id is written where a random one was. */
_Static_assert(SPOOL_ID_SIZE == SPOOL_KEY_ID_SIZE, "message id sizes");

/* What insert_txn() did with an accepted message. */
enum spool_ins { SPOOL_INS_ERROR = -1, SPOOL_INS_STORED, SPOOL_INS_COPY };

static struct {
	su_root_t		*root;
	const struct relay_side	*sip, *xmpp;
	sqlite3			*db;
	sqlite3_stmt		*ins, *del, *retry, *notice, *due, *next,
				*dup;
	su_timer_t		*commit_timer, *wake_timer;
	bool			 in_schedule, again;
	bool			 stopping;	/* no new deliveries */
	uint64_t		 rows;
	struct spool_accept	 acc[SPOOL_BATCH_MAX];
	size_t			 nacc;
	struct spool_op		 ops[SPOOL_BATCH_MAX];
	size_t			 nops;
	struct spool_flight	*fl;
	size_t			 nfl, flcap;
	struct spool_start	*starts;	/* flcap of them */
} sp;

static void	schedule(void);
static void	flush_batch(void);

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t
rnd32(void)
{
	uint32_t	 v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (uint32_t)now_ms() * 2654435761u;
	return v;
}

/* 128 random bits as 32 hex digits: the message id. */
static void
new_msgid(char out[SPOOL_ID_SIZE])
{
	uint8_t	 b[16];
	size_t	 i;

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b))
		for (i = 0; i < sizeof(b); i += 4) {
			uint32_t v = rnd32();

			memcpy(b + i, &v, 4);
		}
	for (i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

uint64_t
spool_backoff_ms(uint64_t initial_ms, uint64_t max_ms, unsigned attempts,
    uint32_t rnd)
{
	uint64_t	 d = initial_ms;

	if (attempts == 0)
		attempts = 1;
	/* Double without overflowing: stop at the cap. */
	while (--attempts > 0 && d < max_ms)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	if (d > max_ms)
		d = max_ms;
	/* Jitter: take away up to a quarter. */
	return d - (uint64_t)((double)(d / 4) * rnd / UINT32_MAX);
}

size_t
spool_notice_text(char *buf, size_t bufsz, const char *dest,
    const char *msgid, int64_t created_s, unsigned attempts,
    const struct gw_reply *r, const char *why)
{
	char		 when[32] = "?";
	struct tm	 tm;
	time_t		 t = (time_t)created_s;
	int		 n;

	if (bufsz == 0)
		return 0;
	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	n = snprintf(buf, bufsz, "Your message to %s (accepted %s, message "
	    "id %s) could not be delivered: %d %s (%s) after %u attempt%s.",
	    dest, when, msgid, r->sip_code, r->sip_phrase, why, attempts,
	    attempts == 1 ? "" : "s");
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n < bufsz ? (size_t)n : bufsz - 1;
}

/* ------------------------------------------------------------ SQLite */

/*
 * The file's layout has a version (PRAGMA user_version) so that a spool
 * written by an older imgated is brought up to date in place, in one
 * transaction, when it is opened; a newer one is refused.
 *   0: the first layout (imgated before exactly-once acceptance);
 *   1: txn_key, the sender's transaction key (gateway/spool_key.h),
 *      under a unique index: one row per key.  Rows of version 0 and
 *      failure notices have none (NULL is never a duplicate).
 *   2: max_forwards, the Max-Forwards every delivery attempt carries
 *      (the inbound value less one, RFC 3261 16.6 step 3): a loop
 *      through a spool still ends.  Older rows get 70, as a message
 *      born at imgate.
 * A next version adds its step here.
 */
#define SPOOL_SCHEMA_VERSION	2

static const char spool_pragmas[] =
    "PRAGMA journal_mode=WAL;"
    /* FULL: the WAL is synced at every commit (see spool.h). */
    "PRAGMA synchronous=FULL;";

static const char spool_schema_v0[] =
    "CREATE TABLE IF NOT EXISTS spool ("
    " id INTEGER PRIMARY KEY,"
    " msgid TEXT NOT NULL UNIQUE,"	/* stable id, Call-ID local part */
    " created INTEGER NOT NULL,"	/* ms since the epoch */
    " next_attempt INTEGER NOT NULL,"	/* ms since the epoch */
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " kind INTEGER NOT NULL,"		/* 0 message, 1 failure notice */
    " origin INTEGER NOT NULL,"		/* 0 SIP, 1 XMPP */
    " src_proto INTEGER NOT NULL,"	/* enum conf_src_proto */
    " src_family INTEGER NOT NULL,"	/* 0: no address */
    " src_addr BLOB,"
    " from_uri TEXT,"			/* SIP From of the outbound MESSAGE */
    " xmpp_from TEXT,"			/* XMPP sender's full JID */
    " xmpp_id TEXT,"			/* its stanza id */
    " want_receipt INTEGER NOT NULL DEFAULT 0,"
    " dest TEXT NOT NULL,"		/* as the sender wrote it */
    " call_id TEXT,"			/* inbound Call-ID / XMPP thread */
    " content_type TEXT NOT NULL,"
    " body BLOB NOT NULL,"
    " subject TEXT,"
    " lang TEXT,"
    " last_error TEXT);"
    "CREATE INDEX IF NOT EXISTS spool_due ON spool(next_attempt);";

static const char spool_schema_v1[] =
    "ALTER TABLE spool ADD COLUMN txn_key TEXT;"
    "CREATE UNIQUE INDEX spool_key ON spool(txn_key);";

static const char spool_schema_v2[] =
    "ALTER TABLE spool ADD COLUMN max_forwards INTEGER NOT NULL "
    "DEFAULT 70;";

#define SPOOL_COLS	"id, msgid, created, attempts, kind, origin, " \
    "src_proto, src_family, src_addr, from_uri, xmpp_from, xmpp_id, " \
    "want_receipt, dest, call_id, content_type, body, subject, lang, " \
    "max_forwards"

static int
prepare(const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(sp.db, sql, -1, st, NULL) != SQLITE_OK) {
		log_warnx("spool: %s: %s", sql, sqlite3_errmsg(sp.db));
		return -1;
	}
	return 0;
}

static void
finalize_all(void)
{
	sqlite3_stmt	**all[] = { &sp.ins, &sp.del, &sp.retry, &sp.notice,
	    &sp.due, &sp.next, &sp.dup };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		sqlite3_finalize(*all[i]);
		*all[i] = NULL;
	}
}

/* Run @sql; @return 0 or -1 (logged, naming the file @path). */
static int
exec_in(const char *path, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(sp.db, sql, NULL, NULL, &err) == SQLITE_OK)
		return 0;
	log_warnx("spool: %s: %s", path, err != NULL ? err : "?");
	sqlite3_free(err);
	return -1;
}

/*
 * Create the table, or bring an older layout up to SPOOL_SCHEMA_VERSION,
 * in one transaction: a crash half-way leaves the old layout, intact.
 * @return 0, or -1 (logged).
 */
static int
migrate(const char *path)
{
	sqlite3_stmt	*st;
	int		 v = -1;
	char		 sql[64];

	if (exec_in(path, spool_pragmas) != 0 ||
	    exec_in(path, "BEGIN IMMEDIATE") != 0)
		return -1;
	if (prepare("PRAGMA user_version", &st) == 0) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (v < 0 || v > SPOOL_SCHEMA_VERSION) {
		if (v > SPOOL_SCHEMA_VERSION)
			log_warnx("spool: %s has layout version %d; this "
			    "imgated knows up to %d", path, v,
			    SPOOL_SCHEMA_VERSION);
		goto fail;
	}
	if (exec_in(path, spool_schema_v0) != 0 ||
	    (v < 1 && exec_in(path, spool_schema_v1) != 0) ||
	    (v < 2 && exec_in(path, spool_schema_v2) != 0))
		goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    SPOOL_SCHEMA_VERSION);
	if (exec_in(path, sql) != 0 || exec_in(path, "COMMIT") != 0)
		goto fail;
	if (v < SPOOL_SCHEMA_VERSION)
		log_info("spool: %s: layout version %d -> %d", path, v,
		    SPOOL_SCHEMA_VERSION);
	return 0;
fail:
	sqlite3_exec(sp.db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
spool_open(void)
{
	const char	*path = CONF->spool_path;
	sqlite3_stmt	*cnt;
	char		 lockerr[512];

	if (sp.db != NULL)
		return 0;
	/* Held since start-up, unless a reload brought the first
	 * store-and-forward route: one imgated per spool (spoolfs.h). */
	if (spoolfs_lock(path, lockerr, sizeof(lockerr)) != 0) {
		log_warnx("spool: %s", lockerr);
		return -1;
	}
	if (sqlite3_open_v2(path, &sp.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("spool: cannot open %s: %s", path, sp.db != NULL ?
		    sqlite3_errmsg(sp.db) : "out of memory");
		goto fail;
	}
	if (migrate(path) != 0)
		goto fail;
	if (prepare("INSERT INTO spool (msgid, created, next_attempt, kind, "
	    "origin, src_proto, src_family, src_addr, from_uri, xmpp_from, "
	    "xmpp_id, want_receipt, dest, call_id, content_type, body, "
	    "subject, lang, txn_key, max_forwards) VALUES (?1, ?2, ?2, 0, ?3, "
	    "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
	    "?18)",
	    &sp.ins) == -1 ||
	    prepare("SELECT msgid FROM spool WHERE txn_key = ?1",
	    &sp.dup) == -1 ||
	    prepare("DELETE FROM spool WHERE id = ?1", &sp.del) == -1 ||
	    prepare("UPDATE spool SET attempts = attempts + 1, "
	    "next_attempt = ?2, last_error = ?3 WHERE id = ?1",
	    &sp.retry) == -1 ||
	    /* The notice goes to the From URI of the failed message. */
	    prepare("INSERT INTO spool (msgid, created, next_attempt, kind, "
	    "origin, src_proto, src_family, from_uri, dest, content_type, "
	    "body) SELECT ?2, ?3, ?3, 1, 0, 0, 0, ?4, from_uri, "
	    "'text/plain; charset=UTF-8', CAST(?5 AS BLOB) FROM spool "
	    "WHERE id = ?1 AND from_uri IS NOT NULL", &sp.notice) == -1 ||
	    prepare("SELECT " SPOOL_COLS " FROM spool WHERE next_attempt "
	    "<= ?1 ORDER BY next_attempt LIMIT ?2", &sp.due) == -1 ||
	    prepare("SELECT MIN(next_attempt) FROM spool WHERE "
	    "next_attempt > ?1", &sp.next) == -1)
		goto fail;
	if (prepare("SELECT COUNT(*) FROM spool", &cnt) == -1)
		goto fail;
	sp.rows = sqlite3_step(cnt) == SQLITE_ROW ?
	    (uint64_t)sqlite3_column_int64(cnt, 0) : 0;
	sqlite3_finalize(cnt);
	log_info("spool: %s open, %" PRIu64 " message%s waiting", path,
	    sp.rows, sp.rows == 1 ? "" : "s");
	return 0;
fail:
	finalize_all();
	sqlite3_close(sp.db);
	sp.db = NULL;
	return -1;
}

static int
exec(const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(sp.db, sql, NULL, NULL, &err) == SQLITE_OK)
		return 0;
	log_warnx("spool: %s: %s", sql, err != NULL ? err : "?");
	sqlite3_free(err);
	return -1;
}

/* Run a write statement once; @return 0 or -1 (logged). */
static int
step_done(sqlite3_stmt *st)
{
	int	 rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("spool: %s", sqlite3_errmsg(sp.db));
	return -1;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* ------------------------------------------------------------- batch */

static void
on_commit_timer(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	(void)t;
	(void)arg;
	flush_batch();
}

static void
arm_commit(void)
{
	if (sp.commit_timer == NULL || su_timer_is_set(sp.commit_timer))
		return;
	su_timer_set_interval(sp.commit_timer, on_commit_timer, NULL,
	    (su_duration_t)CONF->spool_commit_ms);
}

/*
 * The message id of the row holding @key into @msgid.  @return 1 when
 * there is one, 0 when not, -1 on error (logged).  Outside a batch this
 * sees committed rows only.
 */
static int
stored_copy(const char *key, char msgid[SPOOL_ID_SIZE])
{
	int	 rc;

	sqlite3_bind_text(sp.dup, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(sp.dup);
	if (rc == SQLITE_ROW)
		snprintf(msgid, SPOOL_ID_SIZE, "%s",
		    (const char *)sqlite3_column_text(sp.dup, 0));
	sqlite3_reset(sp.dup);
	sqlite3_clear_bindings(sp.dup);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("spool: duplicate check: %s", sqlite3_errmsg(sp.db));
	return -1;
}

/*
 * Store @t, unless a row with its transaction key is there: committed by
 * this or an earlier run, or inserted earlier in this same batch (a
 * copy that arrived while the first was waiting for the commit).  Both
 * are found by the same lookup, inside the batch's transaction, so a
 * copy is answered 202 only after the COMMIT that holds the original.
 */
static enum spool_ins
insert_txn(const struct gw_txn *t, const struct spool_accept *a,
    int64_t now)
{
	char	 msgid[SPOOL_ID_SIZE];

	if (t->accept_key != NULL) {
		switch (stored_copy(t->accept_key, msgid)) {
		case 1:
			log_info("txn %llu: a copy of spooled message %s "
			    "(retransmission or resend): not stored again",
			    (unsigned long long)t->id, msgid);
			return SPOOL_INS_COPY;
		case -1:
			return SPOOL_INS_ERROR;
		}
		spool_key_msgid(t->accept_key, strlen(t->accept_key), msgid);
	} else
		new_msgid(msgid);
	sqlite3_bind_text(sp.ins, 1, msgid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(sp.ins, 2, now);
	sqlite3_bind_int(sp.ins, 3, t->origin == TXN_FROM_XMPP ? 1 : 0);
	sqlite3_bind_int(sp.ins, 4, (int)a->src_proto);
	sqlite3_bind_int(sp.ins, 5, a->has_addr ? a->src_family : 0);
	if (a->has_addr)
		sqlite3_bind_blob(sp.ins, 6, a->src_addr, a->src_family ==
		    AF_INET ? 4 : 16, SQLITE_STATIC);
	else
		sqlite3_bind_null(sp.ins, 6);
	bind_text(sp.ins, 7, t->from);
	bind_text(sp.ins, 8, t->xmpp_from);
	bind_text(sp.ins, 9, t->xmpp_id);
	sqlite3_bind_int(sp.ins, 10, t->want_receipt ? 1 : 0);
	bind_text(sp.ins, 11, t->dest);
	bind_text(sp.ins, 12, t->call_id);
	bind_text(sp.ins, 13, t->content_type);
	sqlite3_bind_blob(sp.ins, 14, t->body != NULL ? t->body : "",
	    (int)t->body_len, SQLITE_STATIC);
	bind_text(sp.ins, 15, t->subject);
	bind_text(sp.ins, 16, t->lang);
	bind_text(sp.ins, 17, t->accept_key);
	sqlite3_bind_int(sp.ins, 18, t->max_forwards);
	if (step_done(sp.ins) != 0)
		return SPOOL_INS_ERROR;
	log_info("txn %llu: spooled as %s", (unsigned long long)t->id, msgid);
	return SPOOL_INS_STORED;
}

static int
apply_op(const struct spool_op *op, int64_t now)
{
	switch (op->kind) {
	case SPOOL_OP_RETRY:
		sqlite3_bind_int64(sp.retry, 1, op->row);
		sqlite3_bind_int64(sp.retry, 2, op->next_ms);
		bind_text(sp.retry, 3, op->error);
		return step_done(sp.retry);
	case SPOOL_OP_NOTICE:
		sqlite3_bind_int64(sp.notice, 1, op->row);
		sqlite3_bind_text(sp.notice, 2, op->msgid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(sp.notice, 3, now);
		{
			char	 from[CONF_STR_MAX + 16];

			snprintf(from, sizeof(from), "sip:imgate@%s",
			    CONF->domain);
			sqlite3_bind_text(sp.notice, 4, from, -1,
			    SQLITE_TRANSIENT);
		}
		bind_text(sp.notice, 5, op->notice);
		if (step_done(sp.notice) != 0)
			return -1;
		if (sqlite3_changes(sp.db) > 0)
			sp.rows++;
		/* FALLTHROUGH */
	case SPOOL_OP_DELETE:
		sqlite3_bind_int64(sp.del, 1, op->row);
		if (step_done(sp.del) != 0)
			return -1;
		if (sqlite3_changes(sp.db) > 0 && sp.rows > 0)
			sp.rows--;
		return 0;
	}
	return 0;
}

/*
 * One transaction for everything pending: the accepts first (their
 * senders are answered only after COMMIT), then the outcomes.  A failed
 * commit answers the accepts with 503; lost outcomes only repeat
 * attempts.
 */
static void
flush_batch(void)
{
	struct spool_accept	 acc[SPOOL_BATCH_MAX];
	bool			 ok[SPOOL_BATCH_MAX];
	size_t			 nacc = sp.nacc, nops = sp.nops, i, stored = 0;
	uint64_t		 rows_before = sp.rows;
	int64_t			 now = now_ms();
	bool			 committed = false;

	if (nacc == 0 && nops == 0)
		return;
	memcpy(acc, sp.acc, nacc * sizeof(acc[0]));
	sp.nacc = 0;
	memset(ok, 0, sizeof(ok));
	if (sp.db != NULL && exec("BEGIN IMMEDIATE") == 0) {
		for (i = 0; i < nacc; i++) {
			struct gw_txn *t = txn_get(acc[i].txn);

			/* Ended meanwhile (deadline, shutdown): skip. */
			if (t == NULL || t->state != TXN_SPOOLING)
				continue;
			switch (insert_txn(t, &acc[i], now)) {
			case SPOOL_INS_STORED:
				stored++;
				/* FALLTHROUGH */
			case SPOOL_INS_COPY:
				ok[i] = true;
				break;
			case SPOOL_INS_ERROR:
				break;
			}
		}
		for (i = 0; i < nops; i++)
			apply_op(&sp.ops[i], now);
		committed = exec("COMMIT") == 0;
		if (!committed) {
			exec("ROLLBACK");
			sp.rows = rows_before;
		}
	}
	for (i = 0; i < nops; i++)
		free(sp.ops[i].notice);
	sp.nops = 0;
	if (committed)
		sp.rows += stored;
	else if (nacc > 0)
		log_warnx("spool: commit failed; %zu message%s refused with "
		    "503", nacc, nacc == 1 ? "" : "s");
	for (i = 0; i < nacc; i++) {
		struct gw_txn *t = txn_get(acc[i].txn);

		if (t == NULL || t->state != TXN_SPOOLING)
			continue;
		if (committed && ok[i])
			relay_finish(t, (struct gw_outcome){ GW_OK,
			    GW_R_SPOOLED, 0, NULL });
		else {
			t->retry_after_s = 5;
			relay_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
			    GW_R_SPOOL_ERROR, 0, NULL });
		}
	}
	if (sp.in_schedule)
		sp.again = true;
	else
		schedule();
}

void
spool_flush(void)
{
	sp.stopping = true;
	flush_batch();
}

void
spool_accept(struct gw_txn *t, const struct policy_source *src)
{
	const struct gw_conf	*c = &t->rt->conf;
	struct spool_accept	*a;

	if (sp.db == NULL && spool_open() != 0) {
		t->retry_after_s = 30;
		relay_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_SPOOL_ERROR, 0, NULL });
		return;
	}
	if (sp.rows + sp.nacc >= (uint64_t)c->spool_max_messages) {
		char	 msgid[SPOOL_ID_SIZE];

		/* A copy of a committed message needs no room: it is in. */
		if (t->accept_key != NULL &&
		    stored_copy(t->accept_key, msgid) == 1) {
			log_info("txn %llu: a copy of spooled message %s "
			    "(retransmission or resend): not stored again",
			    (unsigned long long)t->id, msgid);
			relay_finish(t, (struct gw_outcome){ GW_OK,
			    GW_R_SPOOLED, 0, NULL });
			return;
		}
		log_warnx("txn %llu: spool full (%" PRIu64 " messages, "
		    "spool.max_messages %lld): refused", (unsigned long long)
		    t->id, sp.rows + sp.nacc, (long long)c->spool_max_messages);
		t->retry_after_s = (uint32_t)(c->spool_retry_initial_ms /
		    1000 + 1);
		relay_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_SPOOL_FULL, 0, NULL });
		return;
	}
	if (sp.nacc >= SPOOL_BATCH_MAX)
		flush_batch();
	a = &sp.acc[sp.nacc++];
	memset(a, 0, sizeof(*a));
	a->txn = t->id;
	a->src_proto = src->proto;
	a->has_addr = src->has_addr;
	a->src_family = src->family;
	memcpy(a->src_addr, src->addr, sizeof(a->src_addr));
	txn_enter_state(t, TXN_SPOOLING);
	arm_commit();
}

static struct spool_op *
new_op(void)
{
	struct spool_op	*op;

	if (sp.nops >= SPOOL_BATCH_MAX)
		flush_batch();
	op = &sp.ops[sp.nops++];
	memset(op, 0, sizeof(*op));
	arm_commit();
	return op;
}

/* ---------------------------------------------------------- delivery */

static struct spool_flight *
flight_of(int64_t row)
{
	for (size_t i = 0; i < sp.nfl; i++)
		if (sp.fl[i].row == row)
			return &sp.fl[i];
	return NULL;
}

static void
delivery_done(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	const struct gw_conf	*c = &t->rt->conf;
	struct spool_flight	*f = flight_of(t->spool_row), fl;
	struct spool_op		*op;
	int64_t			 now = now_ms();
	uint64_t		 wait;
	struct gw_outcome	 fin = *o;
	struct gw_reply		 fr = *r;

	if (f == NULL || f->txn != t->id)
		return;
	fl = *f;
	*f = sp.fl[--sp.nfl];
	/*
	 * Shutting down: the row was never touched while the attempt ran,
	 * so it is still due, with its attempt count as it was; the next
	 * start delivers it.  Nobody was answered: say so, not "503".
	 */
	if (o->reason == GW_R_SHUTDOWN || sp.db == NULL) {
		log_info("txn %llu: spooled message %s: delivery stopped by "
		    "shutdown; due again at the next start, attempt not "
		    "counted", (unsigned long long)t->id, fl.msgid);
		if (sp.in_schedule)
			sp.again = true;
		return;
	}
	if (o->status == GW_OK) {
		log_info("txn %llu: spooled message %s delivered after %u "
		    "attempt%s", (unsigned long long)t->id, fl.msgid,
		    fl.attempts + 1, fl.attempts == 0 ? "" : "s");
		op = new_op();
		op->kind = SPOOL_OP_DELETE;
		op->row = fl.row;
		/* XMPP sender: the XEP-0184 receipt, now that it arrived. */
		if (t->origin == TXN_FROM_XMPP && sp.xmpp != NULL)
			sp.xmpp->reply(t, o, r);
		return;
	}
	wait = spool_backoff_ms((uint64_t)c->spool_retry_initial_ms,
	    (uint64_t)c->spool_retry_max_ms, fl.attempts + 1, rnd32());
	if (o->status == GW_TEMPFAIL) {
		if (now + (int64_t)wait - fl.created_ms <
		    c->spool_max_age_s * 1000) {
			log_info("txn %llu: spooled message %s: attempt %u "
			    "failed (%s, %d); retry in %" PRIu64 " ms",
			    (unsigned long long)t->id, fl.msgid,
			    fl.attempts + 1, status_strreason(o->reason),
			    r->sip_code, wait);
			op = new_op();
			op->kind = SPOOL_OP_RETRY;
			op->row = fl.row;
			op->next_ms = now + (int64_t)wait;
			op->error = status_strreason(o->reason);
			return;
		}
		/* Too old for another try: fail for good. */
		fin = (struct gw_outcome){ GW_PERMFAIL, GW_R_EXPIRED, 0, NULL };
		status_reply(&fin, &fr);
	}
	log_warnx("txn %llu: spooled message %s to %s failed for good after "
	    "%u attempt%s: %d %s (%s)", (unsigned long long)t->id, fl.msgid,
	    t->dest, fl.attempts + 1, fl.attempts == 0 ? "" : "s",
	    fr.sip_code, fr.sip_phrase, status_strreason(fin.reason));
	op = new_op();
	op->row = fl.row;
	op->kind = SPOOL_OP_DELETE;
	if (fl.kind == SPOOL_NOTICE)
		return;		/* no notice about a notice */
	if (t->origin == TXN_FROM_XMPP) {
		if (sp.xmpp != NULL)
			sp.xmpp->reply(t, &fin, &fr);
		return;
	}
	if ((op->notice = malloc(SPOOL_NOTICE_MAX)) == NULL) {
		log_warnx("spool: out of memory: no failure notice for %s",
		    fl.msgid);
		return;
	}
	spool_notice_text(op->notice, SPOOL_NOTICE_MAX, t->dest, fl.msgid,
	    fl.created_ms / 1000, fl.attempts + 1, &fr,
	    status_strreason(fin.reason));
	new_msgid(op->msgid);
	op->kind = SPOOL_OP_NOTICE;
}

void
spool_delivery_done(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	delivery_done(t, o, r);
	/* The XMPP side frees t->in when it answers; if it did not. */
	if (t->origin == TXN_FROM_XMPP) {
		free(t->in);
		t->in = NULL;
	}
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	return s != NULL ? txn_strndup((const char *)s,
	    (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

/* A due row -> a delivery transaction (in flight), or NULL. */
static struct gw_txn *
txn_of_row(sqlite3_stmt *st, struct policy_source *src, char *domain,
    size_t domainsz)
{
	struct gw_txn		*t;
	struct spool_flight	*f;
	const void		*addr;
	char			 cid[SPOOL_ID_SIZE + CONF_STR_MAX + 2];
	int			 fam;

	t = txn_new(sqlite3_column_int(st, 5) == 1 ? TXN_FROM_XMPP :
	    TXN_FROM_SIP);
	if (t == NULL)
		return NULL;
	t->spool_row = sqlite3_column_int64(st, 0);
	t->from = col_dup(st, 9);
	t->xmpp_from = col_dup(st, 10);
	t->xmpp_id = col_dup(st, 11);
	t->want_receipt = sqlite3_column_int(st, 12) != 0;
	t->max_forwards = sqlite3_column_int(st, 19);
	t->dest = col_dup(st, 13);
	t->call_id = col_dup(st, 14);
	t->content_type = col_dup(st, 15);
	t->body_len = (size_t)sqlite3_column_bytes(st, 16);
	t->body = txn_strndup(sqlite3_column_blob(st, 16) != NULL ?
	    sqlite3_column_blob(st, 16) : "", t->body_len);
	t->subject = col_dup(st, 17);
	t->lang = col_dup(st, 18);
	snprintf(cid, sizeof(cid), "%s@%s", sqlite3_column_text(st, 1),
	    t->rt->conf.domain);
	t->stable_call_id = txn_strndup(cid, strlen(cid));
	/* The XMPP side answers from the JID the sender wrote to. */
	if (t->origin == TXN_FROM_XMPP && t->dest != NULL) {
		snprintf(cid, sizeof(cid), "%s@%s", t->dest,
		    t->rt->conf.xmpp_domain);
		t->in = txn_strndup(cid, strlen(cid));
	}
	memset(src, 0, sizeof(*src));
	src->proto = (enum conf_src_proto)sqlite3_column_int(st, 6);
	fam = sqlite3_column_int(st, 7);
	addr = sqlite3_column_blob(st, 8);
	if (addr != NULL && (fam == AF_INET || fam == AF_INET6) &&
	    sqlite3_column_bytes(st, 8) == (fam == AF_INET ? 4 : 16)) {
		src->family = fam;
		memcpy(src->addr, addr, (size_t)sqlite3_column_bytes(st, 8));
		src->has_addr = true;
	}
	if (t->xmpp_from != NULL) {
		const char *at = strchr(t->xmpp_from, '@');

		snprintf(domain, domainsz, "%.*s", (int)strcspn(at != NULL ?
		    at + 1 : t->xmpp_from, "/"), at != NULL ? at + 1 :
		    t->xmpp_from);
		src->xmpp_domain = domain;
	}
	if (t->dest == NULL || t->content_type == NULL || t->body == NULL ||
	    t->stable_call_id == NULL ||
	    (t->origin == TXN_FROM_XMPP && t->in == NULL)) {
		free(t->in);
		t->in = NULL;
		txn_free(t);
		return NULL;
	}
	f = &sp.fl[sp.nfl++];
	f->row = t->spool_row;
	f->txn = t->id;
	f->created_ms = sqlite3_column_int64(st, 2);
	f->attempts = (unsigned)sqlite3_column_int(st, 3);
	f->kind = sqlite3_column_int(st, 4) == SPOOL_NOTICE ? SPOOL_NOTICE :
	    SPOOL_MSG;
	snprintf(f->msgid, sizeof(f->msgid), "%s",
	    (const char *)sqlite3_column_text(st, 1));
	return t;
}

static void
on_wake(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	(void)t;
	(void)arg;
	if (sp.nops > 0 || sp.nacc > 0)
		flush_batch();
	else
		schedule();
}

/*
 * Start what is due, within spool.max_inflight.  Rows are read first and
 * started after the statement is reset: a start may end at once (a bad
 * number) and queue an outcome, which must not run SQL mid-query.
 */
static void
schedule(void)
{
	struct spool_start		*starts = sp.starts;
	size_t				 limit, n = 0, i;
	int64_t				 now, next = 0;
	bool				 short_of_txns = false;

	if (sp.db == NULL || sp.in_schedule || sp.stopping)
		return;
	sp.in_schedule = true;
	do {
		sp.again = false;
		limit = (size_t)CONF->spool_max_inflight;
		if (limit > sp.flcap)
			limit = sp.flcap;
		n = 0;
		now = now_ms();
		sqlite3_bind_int64(sp.due, 1, now);
		sqlite3_bind_int64(sp.due, 2, (sqlite3_int64)limit);
		while (sp.nfl < limit && sqlite3_step(sp.due) == SQLITE_ROW) {
			struct gw_txn *t;

			if (flight_of(sqlite3_column_int64(sp.due, 0)) != NULL)
				continue;
			t = txn_of_row(sp.due, &starts[n].src,
			    starts[n].domain, sizeof(starts[n].domain));
			if (t == NULL) {
				short_of_txns = true;
				break;
			}
			starts[n].txn = t->id;
			starts[n].notice = sqlite3_column_int(sp.due, 4) ==
			    SPOOL_NOTICE;
			n++;
		}
		sqlite3_reset(sp.due);
		for (i = 0; i < n; i++) {
			struct gw_txn *t = txn_get(starts[i].txn);

			if (t == NULL)
				continue;
			log_info("txn %llu: spool delivery of %s to %s",
			    (unsigned long long)t->id, t->stable_call_id,
			    t->dest);
			if (starts[i].notice)
				relay_resubmit_direct(t, LOOKUP_PROTO_SIP,
				    t->dest);
			else
				relay_resubmit(t, &starts[i].src);
		}
	} while (sp.again);
	sp.in_schedule = false;
	/* Wake for the next row that falls due. */
	sqlite3_bind_int64(sp.next, 1, now_ms());
	if (sqlite3_step(sp.next) == SQLITE_ROW &&
	    sqlite3_column_type(sp.next, 0) != SQLITE_NULL)
		next = sqlite3_column_int64(sp.next, 0) - now_ms();
	sqlite3_reset(sp.next);
	if (next <= 0 || next > SPOOL_IDLE_MS)
		next = SPOOL_IDLE_MS;
	if (short_of_txns)
		next = 1000;
	if (sp.wake_timer != NULL)
		su_timer_set_interval(sp.wake_timer, on_wake, NULL,
		    (su_duration_t)(next < 1 ? 1 : next));
}

/* ------------------------------------------------------------- setup */

int
spool_init(su_root_t *root, const struct gw_conf *c,
    const struct relay_side *sip, const struct relay_side *xmpp)
{
	struct stat	 st;
	bool		 wanted = false;

	sp.root = root;
	sp.sip = sip;
	sp.xmpp = xmpp;
	sp.flcap = (size_t)c->spool_max_inflight;
	if ((sp.fl = calloc(sp.flcap, sizeof(*sp.fl))) == NULL ||
	    (sp.starts = calloc(sp.flcap, sizeof(*sp.starts))) == NULL)
		return -1;
	sp.commit_timer = su_timer_create(su_root_task(root), 0);
	sp.wake_timer = su_timer_create(su_root_task(root), 0);
	if (sp.commit_timer == NULL || sp.wake_timer == NULL)
		return -1;
	for (size_t i = 0; i < c->nroutes; i++)
		if (c->routes[i].mode == CONF_MODE_SAF)
			wanted = true;
	if (!wanted && stat(c->spool_path, &st) != 0)
		return 0;	/* opened when a reload brings a route */
	if (spool_open() != 0)
		return -1;
	/* Rows left by the previous run: deliver them (at least once). */
	schedule();
	return 0;
}

void
spool_close(void)
{
	flush_batch();
	if (sp.commit_timer != NULL)
		su_timer_destroy(sp.commit_timer);
	if (sp.wake_timer != NULL)
		su_timer_destroy(sp.wake_timer);
	sp.commit_timer = sp.wake_timer = NULL;
	finalize_all();
	if (sp.db != NULL)
		sqlite3_close(sp.db);
	sp.db = NULL;
	free(sp.fl);
	free(sp.starts);
	sp.fl = NULL;
	sp.starts = NULL;
	sp.nfl = sp.flcap = 0;
}

uint64_t
spool_count(void)
{
	return sp.rows;
}

/* ----------------------------------------------------------- control */

/*
 * imgatectl's queue commands (gateway/ctl).  Rare, so each prepares its
 * statement; the batch is committed first so the file shows every
 * message accepted so far.
 */
static int64_t
row_of(const char *id)
{
	sqlite3_stmt	*st;
	int64_t		 row = 0;

	if (prepare("SELECT id FROM spool WHERE msgid = ?", &st) != 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		row = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return row;
}

int
spool_queue_list(const char *id, size_t max, spool_visit_fn *fn, void *arg)
{
	sqlite3_stmt		*st;
	struct spool_entry	 e;
	int			 n = 0;

	if (sp.db == NULL)
		return -1;
	flush_batch();
	if (prepare(id != NULL ?
	    "SELECT id, msgid, created, next_attempt, attempts, kind, dest,"
	    " last_error, length(body) FROM spool WHERE msgid = ?1" :
	    "SELECT id, msgid, created, next_attempt, attempts, kind, dest,"
	    " last_error, length(body) FROM spool ORDER BY next_attempt"
	    " LIMIT ?2", &st) != 0)
		return -1;
	if (id != NULL)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (sqlite3_step(st) == SQLITE_ROW) {
		e.in_flight = flight_of(sqlite3_column_int64(st, 0)) != NULL;
		e.id = (const char *)sqlite3_column_text(st, 1);
		e.created_ms = sqlite3_column_int64(st, 2);
		e.next_ms = sqlite3_column_int64(st, 3);
		e.attempts = sqlite3_column_int(st, 4);
		e.notice = sqlite3_column_int(st, 5) == SPOOL_NOTICE;
		e.dest = (const char *)sqlite3_column_text(st, 6);
		e.last_error = (const char *)sqlite3_column_text(st, 7);
		e.body_len = sqlite3_column_int64(st, 8);
		fn(arg, &e);
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

int64_t
spool_oldest_ms(void)
{
	sqlite3_stmt	*st;
	int64_t		 v = 0;

	if (sp.db == NULL || sp.rows == 0 ||
	    prepare("SELECT min(created) FROM spool", &st) != 0)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* @sql with ?1 = the row of @id, unless that row is being delivered. */
static enum spool_admin
admin_row(const char *id, const char *sql, bool now)
{
	sqlite3_stmt	*st;
	int64_t		 row;
	int		 rc;

	if (sp.db == NULL)
		return SPOOL_ADMIN_NOT_FOUND;
	flush_batch();
	if ((row = row_of(id)) < 0)
		return SPOOL_ADMIN_ERROR;
	if (row == 0)
		return SPOOL_ADMIN_NOT_FOUND;
	if (flight_of(row) != NULL)
		return SPOOL_ADMIN_BUSY;
	if (prepare(sql, &st) != 0)
		return SPOOL_ADMIN_ERROR;
	sqlite3_bind_int64(st, 1, row);
	if (now)
		sqlite3_bind_int64(st, 2, now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("spool: %s", sqlite3_errmsg(sp.db));
		return SPOOL_ADMIN_ERROR;
	}
	return SPOOL_ADMIN_OK;
}

enum spool_admin
spool_queue_retry(const char *id)
{
	enum spool_admin r = admin_row(id,
	    "UPDATE spool SET next_attempt = ?2 WHERE id = ?1", true);

	if (r == SPOOL_ADMIN_OK) {
		log_info("spool: %s made due now (imgatectl)", id);
		schedule();
	}
	return r;
}

enum spool_admin
spool_queue_drop(const char *id)
{
	enum spool_admin r = admin_row(id, "DELETE FROM spool WHERE id = ?1",
	    false);

	if (r == SPOOL_ADMIN_OK) {
		log_warnx("spool: %s dropped (imgatectl)", id);
		if (sp.rows > 0)
			sp.rows--;
	}
	return r;
}
