/*
 * gateway/spool_sqlite.c - the spool's SQLite backend
 * (gateway/spool_be.h): one file, one imgated.
 *
 * One table, one row per message, indexed by the time of its next attempt.
 * Every call is synchronous on the event loop (no worker threads:
 * docs/ARCHITECTURE.md, "One loop, one thread") and calls back before it
 * returns.  The calls are kept batched and cheap: prepared statements, one
 * transaction per commit window, indexed due-time queries bounded by
 * spool.max_inflight.  A claim needs no lease: one imgated owns the file
 * (gateway/spoolfs.h), and gateway/flow/spool.c skips the rows it has in
 * flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gateway/log.h"
#include "gateway/spool_be.h"
#include "gateway/spoolfs.h"

static struct {
	sqlite3			*db;
	sqlite3_stmt		*ins, *del, *retry, *notice, *due, *next,
				*dup;
	uint64_t		 rows;
	char			 path[PATH_MAX];
	ino_t			 wal_ino;	/* 0: not known */
	bool			 refusing;	/* said why, once */
} sq;

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
    " src_proto INTEGER NOT NULL,"	/* enum proto */
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
	if (sqlite3_prepare_v2(sq.db, sql, -1, st, NULL) != SQLITE_OK) {
		log_warnx("spool: %s: %s", sql, sqlite3_errmsg(sq.db));
		return -1;
	}
	return 0;
}

static void
finalize_all(void)
{
	sqlite3_stmt	**all[] = { &sq.ins, &sq.del, &sq.retry, &sq.notice,
	    &sq.due, &sq.next, &sq.dup };

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

	if (sqlite3_exec(sq.db, sql, NULL, NULL, &err) == SQLITE_OK)
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
	sqlite3_exec(sq.db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The inode of the spool's -wal file, or 0. */
static ino_t
wal_ino(void)
{
	char		 name[PATH_MAX + 8];
	struct stat	 st;

	snprintf(name, sizeof(name), "%s-wal", sq.path);
	return stat(name, &st) == 0 ? st.st_ino : 0;
}

/* Open the file @path (locked already): layout, statements, count. */
static int
open_file(const char *path)
{
	sqlite3_stmt	*cnt;

	if (sqlite3_open_v2(path, &sq.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_warnx("spool: cannot open %s: %s", path, sq.db != NULL ?
		    sqlite3_errmsg(sq.db) : "out of memory");
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
	    &sq.ins) == -1 ||
	    prepare("SELECT msgid FROM spool WHERE txn_key = ?1",
	    &sq.dup) == -1 ||
	    prepare("DELETE FROM spool WHERE id = ?1", &sq.del) == -1 ||
	    prepare("UPDATE spool SET attempts = attempts + 1, "
	    "next_attempt = ?2, last_error = ?3 WHERE id = ?1",
	    &sq.retry) == -1 ||
	    /* The notice goes to the From URI of the failed message. */
	    prepare("INSERT INTO spool (msgid, created, next_attempt, kind, "
	    "origin, src_proto, src_family, from_uri, dest, content_type, "
	    "body) SELECT ?2, ?3, ?3, 1, 0, 0, 0, ?4, from_uri, "
	    "'text/plain; charset=UTF-8', CAST(?5 AS BLOB) FROM spool "
	    "WHERE id = ?1 AND from_uri IS NOT NULL", &sq.notice) == -1 ||
	    prepare("SELECT " SPOOL_COLS " FROM spool WHERE next_attempt "
	    "<= ?1 ORDER BY next_attempt LIMIT ?2", &sq.due) == -1 ||
	    prepare("SELECT MIN(next_attempt) FROM spool WHERE "
	    "next_attempt > ?1", &sq.next) == -1)
		goto fail;
	if (prepare("SELECT COUNT(*) FROM spool", &cnt) == -1)
		goto fail;
	sq.rows = sqlite3_step(cnt) == SQLITE_ROW ?
	    (uint64_t)sqlite3_column_int64(cnt, 0) : 0;
	sqlite3_finalize(cnt);
	sq.wal_ino = wal_ino();
	log_info("spool: %s open, %" PRIu64 " message%s waiting", path,
	    sq.rows, sq.rows == 1 ? "" : "s");
	return 0;
fail:
	finalize_all();
	sqlite3_close(sq.db);
	sq.db = NULL;
	return -1;
}

static int
sqlite_open(void *root, const struct gw_conf *c, spool_be_wake_cb wake,
    bool at_start)
{
	char	 lockerr[512];

	(void)root;
	(void)wake;
	(void)at_start;
	if (sq.db != NULL)
		return 0;
	/* Held since start-up, unless a reload brought the first
	 * store-and-forward route: one imgated per spool (spoolfs.h). */
	if (spoolfs_lock(c->spool_path, lockerr, sizeof(lockerr)) != 0) {
		log_warnx("spool: %s", lockerr);
		return -1;
	}
	snprintf(sq.path, sizeof(sq.path), "%s", c->spool_path);
	sq.refusing = false;
	return open_file(sq.path);
}

/*
 * Has the database file or its WAL left its name?  SQLite answers for
 * the database; a WAL has no such record in SQLite (it is not locked
 * on its own), so its inode is kept at open: it stays the same file
 * for as long as the database is open.  @db_moved: the database did.
 */
static bool
file_moved(bool *db_moved)
{
	int	 moved = 0;

	*db_moved = sqlite3_file_control(sq.db, "main",
	    SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved;
	if (*db_moved)
		return true;
	/* No -wal at open yet: the first one seen is the one. */
	if (sq.wal_ino == 0) {
		sq.wal_ino = wal_ino();
		return false;
	}
	return wal_ino() != sq.wal_ino;
}

/*
 * The spool's file, or its WAL, was deleted while open (an operator, a
 * clean-up job; the lock too: spoolfs_lock_check()).  SQLite goes on
 * writing to the unlinked inodes: every message accepted from then on
 * would be acknowledged and gone at the next start, with those accepted
 * before.  So before each commit the names are checked (a few stat()
 * calls per commit window) and, when one is gone, the spool is written
 * again under its name from the open database (the backup API reads
 * what the connection sees, WAL included), and opened there (the loop
 * waits for the copy: this is rare, and the spool small).  A name that
 * now holds another file is not overwritten: commits fail (503) until
 * it is gone, and the log says so once.  What cannot be done now (the
 * directory gone too) is tried again at the next commit.
 * @return 0 when the open database is the one at the name.
 */
static int
check_file(void)
{
	char		 tmp[PATH_MAX + 16], name[PATH_MAX + 8];
	sqlite3		*copy = NULL;
	sqlite3_backup	*b;
	int		 rc, fd;
	bool		 moved;

	if (spoolfs_lock_check(sq.path, tmp, sizeof(tmp)) != 0) {
		if (!sq.refusing)
			log_warnx("spool: %s: no message is stored meanwhile",
			    tmp);
		sq.refusing = true;
		return -1;
	}
	if (!file_moved(&moved)) {
		sq.refusing = false;
		return 0;
	}
	if (moved && access(sq.path, F_OK) == 0) {
		if (!sq.refusing)
			log_warnx("spool: %s is not the file imgated opened "
			    "(replaced or moved while open): no message is "
			    "stored until it is gone or imgated restarts; %"
			    PRIu64 " message%s left in the file it opened",
			    sq.path, sq.rows, sq.rows == 1 ? "" : "s");
		sq.refusing = true;
		return -1;
	}
	if (!sq.refusing)
		log_warnx("spool: %s%s was deleted while open: writing the "
		    "spool again from the open database (%" PRIu64
		    " message%s)", sq.path, moved ? "" : "-wal", sq.rows,
		    sq.rows == 1 ? "" : "s");
	snprintf(tmp, sizeof(tmp), "%s.restore", sq.path);
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &copy, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	if ((b = sqlite3_backup_init(copy, "main", sq.db, "main")) == NULL)
		goto fail;
	rc = sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_close(copy) != SQLITE_OK) {
		copy = NULL;
		goto fail;
	}
	copy = NULL;
	/* The old database's files go; nobody else opens them (we hold
	 * the lock), and a -wal left beside the new file would be
	 * replayed into it. */
	finalize_all();
	sqlite3_close(sq.db);
	sq.db = NULL;
	snprintf(name, sizeof(name), "%s-wal", sq.path);
	unlink(name);
	snprintf(name, sizeof(name), "%s-shm", sq.path);
	unlink(name);
	if (rename(tmp, sq.path) != 0) {
		log_warn("spool: %s -> %s", tmp, sq.path);
		return -1;
	}
	/* The new name, on disk before anything is acknowledged in it. */
	if (spoolfs_dir_name(sq.path, name, sizeof(name)) == 0 &&
	    (fd = open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		if (fsync(fd) != 0)
			log_warn("spool: fsync %s", name);
		close(fd);
	}
	if (open_file(sq.path) != 0)
		return -1;
	log_warnx("spool: %s written again and opened", sq.path);
	return 0;
fail:
	if (!sq.refusing)
		log_warnx("spool: cannot write %s again: %s; no message is "
		    "stored meanwhile", sq.path, copy != NULL ?
		    sqlite3_errmsg(copy) : strerror(errno));
	sq.refusing = true;
	if (copy != NULL)
		sqlite3_close(copy);
	unlink(tmp);
	return -1;
}

static int
exec(const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(sq.db, sql, NULL, NULL, &err) == SQLITE_OK)
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
	log_warnx("spool: %s", sqlite3_errmsg(sq.db));
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

/*
 * The message id of the row holding @key into @msgid.  @return 1 when
 * there is one, 0 when not, -1 on error (logged).  Outside a batch this
 * sees committed rows only.
 */
static int
find_key(const char *key, char msgid[SPOOL_BE_ID_SIZE])
{
	int	 rc;

	sqlite3_bind_text(sq.dup, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(sq.dup);
	if (rc == SQLITE_ROW)
		snprintf(msgid, SPOOL_BE_ID_SIZE, "%s",
		    (const char *)sqlite3_column_text(sq.dup, 0));
	sqlite3_reset(sq.dup);
	sqlite3_clear_bindings(sq.dup);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	log_warnx("spool: duplicate check: %s", sqlite3_errmsg(sq.db));
	return -1;
}

/*
 * Store @n, unless a row with its key is there: committed by this or an
 * earlier run, or inserted earlier in this same batch (a copy that
 * arrived while the first was waiting for the commit).  Both are found
 * by the same lookup, inside the batch's transaction, so a copy is
 * answered 202 only after the COMMIT that holds the original.
 * @return 0, or -1 (logged).
 */
static int
insert_new(struct spool_be_new *n, int64_t now)
{
	char	 msgid[SPOOL_BE_ID_SIZE];

	if (n->key != NULL) {
		switch (find_key(n->key, msgid)) {
		case 1:
			n->copy = true;
			return 0;
		case -1:
			return -1;
		}
	}
	if (n->probe)
		return 0;
	sqlite3_bind_text(sq.ins, 1, n->msgid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(sq.ins, 2, now);
	sqlite3_bind_int(sq.ins, 3, n->origin);
	sqlite3_bind_int(sq.ins, 4, n->src_proto);
	sqlite3_bind_int(sq.ins, 5, n->src_family);
	if (n->src_family != 0 && n->src_addr != NULL)
		sqlite3_bind_blob(sq.ins, 6, n->src_addr, n->src_family ==
		    AF_INET ? 4 : 16, SQLITE_STATIC);
	else
		sqlite3_bind_null(sq.ins, 6);
	bind_text(sq.ins, 7, n->from_uri);
	bind_text(sq.ins, 8, n->xmpp_from);
	bind_text(sq.ins, 9, n->xmpp_id);
	sqlite3_bind_int(sq.ins, 10, n->want_receipt ? 1 : 0);
	bind_text(sq.ins, 11, n->dest);
	bind_text(sq.ins, 12, n->call_id);
	bind_text(sq.ins, 13, n->content_type);
	sqlite3_bind_blob(sq.ins, 14, n->body, (int)n->body_len,
	    SQLITE_STATIC);
	bind_text(sq.ins, 15, n->subject);
	bind_text(sq.ins, 16, n->lang);
	bind_text(sq.ins, 17, n->key);
	sqlite3_bind_int(sq.ins, 18, n->max_forwards);
	if (step_done(sq.ins) != 0)
		return -1;
	n->stored = true;
	return 0;
}

/* Apply @op; @delta counts rows removed and added.  @return 0 or -1. */
static int
apply_op(const struct spool_be_op *op, int64_t now, int64_t *delta)
{
	switch (op->kind) {
	case SPOOL_OP_RELEASE:
		return 0;	/* rows are not held while in flight */
	case SPOOL_OP_RETRY:
		sqlite3_bind_int64(sq.retry, 1, op->row);
		sqlite3_bind_int64(sq.retry, 2, op->next_ms);
		bind_text(sq.retry, 3, op->error);
		return step_done(sq.retry);
	case SPOOL_OP_NOTICE:
		sqlite3_bind_int64(sq.notice, 1, op->row);
		sqlite3_bind_text(sq.notice, 2, op->msgid, -1, SQLITE_STATIC);
		sqlite3_bind_int64(sq.notice, 3, now);
		bind_text(sq.notice, 4, op->notice_from);
		bind_text(sq.notice, 5, op->notice);
		if (step_done(sq.notice) != 0)
			return -1;
		*delta += sqlite3_changes(sq.db);
		/* FALLTHROUGH */
	case SPOOL_OP_DELETE:
		sqlite3_bind_int64(sq.del, 1, op->row);
		if (step_done(sq.del) != 0)
			return -1;
		*delta -= sqlite3_changes(sq.db);
		return 0;
	}
	return 0;
}

/* One transaction for the batch; calls @done before returning. */
static int
sqlite_commit(struct spool_be_new *nw, size_t nn,
    const struct spool_be_op *ops, size_t nops, int64_t now,
    spool_be_commit_cb done)
{
	int64_t	 delta = 0;
	bool	 ok = false;
	size_t	 i;

	if (sq.db != NULL && check_file() == 0 && sq.db != NULL &&
	    exec("BEGIN IMMEDIATE") == 0) {
		for (i = 0; i < nn; i++)
			if (nw[i].msgid != NULL)
				insert_new(&nw[i], now);
		for (i = 0; i < nops; i++)
			apply_op(&ops[i], now, &delta);
		ok = exec("COMMIT") == 0;
		if (!ok)
			exec("ROLLBACK");
	}
	if (ok)
		sq.rows = (uint64_t)((int64_t)sq.rows + delta);
	for (i = 0; i < nn && ok; i++)
		if (nw[i].stored)
			sq.rows++;
	done(ok, delta);
	return 0;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* Due rows, oldest due first; @done before returning. */
static int
sqlite_claim(size_t limit, int64_t now, spool_be_row_cb row,
    spool_be_claimed_cb done)
{
	struct spool_be_row	 r;
	int64_t			 next = 0;

	if (sq.db == NULL)
		return -1;
	sqlite3_bind_int64(sq.due, 1, now);
	sqlite3_bind_int64(sq.due, 2, (sqlite3_int64)limit);
	while (sqlite3_step(sq.due) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.row = sqlite3_column_int64(sq.due, 0);
		r.msgid = col_text(sq.due, 1);
		r.created_ms = sqlite3_column_int64(sq.due, 2);
		r.attempts = (unsigned)sqlite3_column_int(sq.due, 3);
		r.kind = sqlite3_column_int(sq.due, 4) == SPOOL_NOTICE ?
		    SPOOL_NOTICE : SPOOL_MSG;
		r.origin = sqlite3_column_int(sq.due, 5);
		r.src_proto = sqlite3_column_int(sq.due, 6);
		r.src_family = sqlite3_column_int(sq.due, 7);
		r.src_addr = sqlite3_column_blob(sq.due, 8);
		r.src_addr_len = (size_t)sqlite3_column_bytes(sq.due, 8);
		r.from_uri = col_text(sq.due, 9);
		r.xmpp_from = col_text(sq.due, 10);
		r.xmpp_id = col_text(sq.due, 11);
		r.want_receipt = sqlite3_column_int(sq.due, 12) != 0;
		r.dest = col_text(sq.due, 13);
		r.call_id = col_text(sq.due, 14);
		r.content_type = col_text(sq.due, 15);
		r.body = sqlite3_column_blob(sq.due, 16);
		r.body_len = (size_t)sqlite3_column_bytes(sq.due, 16);
		r.subject = col_text(sq.due, 17);
		r.lang = col_text(sq.due, 18);
		r.max_forwards = sqlite3_column_int(sq.due, 19);
		if (r.msgid == NULL || !row(&r))
			break;
	}
	sqlite3_reset(sq.due);
	/* When the next row falls due. */
	sqlite3_bind_int64(sq.next, 1, now);
	if (sqlite3_step(sq.next) == SQLITE_ROW &&
	    sqlite3_column_type(sq.next, 0) != SQLITE_NULL)
		next = sqlite3_column_int64(sq.next, 0);
	sqlite3_reset(sq.next);
	done(next, -1);
	return 0;
}

static bool
sqlite_usable(void)
{
	return sq.db != NULL;
}

static uint64_t
sqlite_count(void)
{
	return sq.rows;
}

static int64_t
sqlite_idle_ms(void)
{
	/* Nobody else writes the file: rows fall due when said. */
	return 60000;
}

static void
sqlite_close(void)
{
	finalize_all();
	if (sq.db != NULL)
		sqlite3_close(sq.db);
	sq.db = NULL;
}

/* ------------------------------------------------ imgatectl (rare) */

static int
sqlite_admin_list(const char *msgid, size_t max, spool_be_entry_cb fn,
    void *arg)
{
	sqlite3_stmt		*st;
	struct spool_be_entry	 e;
	int			 n = 0;

	if (sq.db == NULL || prepare(msgid != NULL ?
	    "SELECT id, msgid, created, next_attempt, attempts, kind, dest,"
	    " last_error, length(body) FROM spool WHERE msgid = ?1" :
	    "SELECT id, msgid, created, next_attempt, attempts, kind, dest,"
	    " last_error, length(body) FROM spool ORDER BY next_attempt"
	    " LIMIT ?2", &st) != 0)
		return -1;
	if (msgid != NULL)
		sqlite3_bind_text(st, 1, msgid, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (sqlite3_step(st) == SQLITE_ROW) {
		e.row = sqlite3_column_int64(st, 0);
		e.msgid = (const char *)sqlite3_column_text(st, 1);
		e.created_ms = sqlite3_column_int64(st, 2);
		e.next_ms = sqlite3_column_int64(st, 3);
		e.attempts = sqlite3_column_int(st, 4);
		e.kind = sqlite3_column_int(st, 5) == SPOOL_NOTICE ?
		    SPOOL_NOTICE : SPOOL_MSG;
		e.dest = (const char *)sqlite3_column_text(st, 6);
		e.last_error = (const char *)sqlite3_column_text(st, 7);
		e.body_len = sqlite3_column_int64(st, 8);
		fn(arg, &e);
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

static int64_t
sqlite_admin_row(const char *msgid)
{
	sqlite3_stmt	*st;
	int64_t		 row = 0;

	if (sq.db == NULL ||
	    prepare("SELECT id FROM spool WHERE msgid = ?", &st) != 0)
		return -1;
	sqlite3_bind_text(st, 1, msgid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		row = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return row;
}

static int
sqlite_admin_update(int64_t row, bool drop, int64_t now)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sq.db == NULL || prepare(drop ? "DELETE FROM spool WHERE id = ?1" :
	    "UPDATE spool SET next_attempt = ?2 WHERE id = ?1", &st) != 0)
		return -1;
	sqlite3_bind_int64(st, 1, row);
	if (!drop)
		sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("spool: %s", sqlite3_errmsg(sq.db));
		return -1;
	}
	if (drop && sq.rows > 0)
		sq.rows--;
	return 0;
}

static int64_t
sqlite_oldest_ms(void)
{
	sqlite3_stmt	*st;
	int64_t		 v = 0;

	if (sq.db == NULL ||
	    prepare("SELECT min(created) FROM spool", &st) != 0)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

const struct spool_be_ops spool_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.usable = sqlite_usable,
	.count = sqlite_count,
	.commit = sqlite_commit,
	.claim = sqlite_claim,
	.idle_ms = sqlite_idle_ms,
	.close = sqlite_close,
	.admin_list = sqlite_admin_list,
	.admin_row = sqlite_admin_row,
	.admin_update = sqlite_admin_update,
	.oldest_ms = sqlite_oldest_ms,
};
