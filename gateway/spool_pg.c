/*
 * gateway/spool_pg.c - the spool's PostgreSQL backend
 * (gateway/spool_be.h): one database, any number of imgated nodes.
 *
 * libpq's asynchronous API on the su_root loop, no thread: the socket is
 * watched with su_root_register(), the connection is made with
 * PQconnectStartParams()/PQconnectPoll(), and every batch is sent in
 * pipeline mode (libpq 14 and later) as prepared statements followed by
 * one PQpipelineSync(); the answers are read as they arrive.  Nothing
 * waits for the database on the message path; only the start (nothing
 * is served yet: up to PG_START_WAIT_MS for the first connection) and
 * spool_close() (the daemon is stopping: up to PG_CLOSE_WAIT_MS for what
 * is in flight) wait, with poll(2).
 *
 * The table is imgate_spool, with the columns of the SQLite layout plus
 * a lease: lease_node, the node delivering the row, and lease_until (ms
 * since the epoch), after which any node may take it.
 *   - a commit is BEGIN, the INSERTs (ON CONFLICT DO NOTHING: a row with
 *     the same acceptance key, committed by any node, makes the message
 *     a copy; a concurrent one makes the INSERT wait for its outcome),
 *     the outcomes, pg_notify('imgate_spool'), COMMIT;
 *   - a claim is one UPDATE of the due rows nobody holds, chosen with
 *     FOR UPDATE SKIP LOCKED, setting this node's lease; it returns them;
 *   - an outcome (delete, retry, notice, release) applies only while the
 *     row is still leased to this node.  A node that lost its lease
 *     changes nothing: the row is delivered again by its new holder,
 *     under the same message id, hence the same Call-ID.
 * Every node LISTENs on imgate_spool and claims when another node
 * committed new rows: no polling delay.  A dead node's rows come back
 * when its leases expire (spool.lease_s); the wake-up time the nodes
 * compute includes lease ends.
 *
 * The schema is created, or checked, at every connection, in one
 * transaction under an advisory lock (several nodes may start at once);
 * its version is in imgate_spool_version.
 *   1: the first layout.
 * A next version adds its step here.
 *
 * Clocks: next_attempt and lease_until are written with each node's
 * clock: the nodes must keep time (NTP); a skew shortens or lengthens
 * leases by as much.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <libpq-fe.h>
#include <sofia-sip/su_wait.h>

#include "gateway/log.h"
#include "gateway/spool_be.h"

#define PG_SCHEMA_VERSION	1
/* Jobs in the pipeline: the set-up, one commit, one claim, and room. */
#define PG_JOBS_MAX		4
/* Wait before connecting again after a failure. */
#define PG_RETRY_MS		1000
/* Longest start-up waits for the database before serving. */
#define PG_START_WAIT_MS	10000
/* Longest spool_close() waits for the answers in flight. */
#define PG_CLOSE_WAIT_MS	5000
/* Any key; it only keeps two nodes from creating the tables at once. */
#define PG_SETUP_LOCK		"7432150001"

enum pg_state { PG_DOWN, PG_CONNECTING, PG_SETUP, PG_READY };

enum pg_job_kind { PG_JOB_PREPARE, PG_JOB_COMMIT, PG_JOB_CLAIM };

/* What each statement of a job's answer means. */
enum pg_tag {
	PG_T_OTHER,	/* only its success counts */
	PG_T_INSERT,	/* an accept: arg = index into nw */
	PG_T_PROBE,	/* a look for a copy: arg = index into nw */
	PG_T_ADD,	/* rows added (a notice) */
	PG_T_REMOVE,	/* rows removed */
	PG_T_COMMIT,
	PG_T_CLAIM,
	PG_T_STATS
};

struct pg_job {
	enum pg_job_kind	 kind;
	uint8_t			*tags;		/* per statement, owned */
	int32_t			*args;
	size_t			 ntags, at;
	bool			 got;		/* a result for tags[at] */
	bool			 failed, committed;
	int64_t			 delta;
	int64_t			 next, total;
	struct spool_be_new	*nw;		/* borrowed until done */
	size_t			 nn;
	spool_be_commit_cb	 commit_done;
	spool_be_row_cb		 row;
	spool_be_claimed_cb	 claimed;
};

static struct {
	su_root_t		*root;
	spool_be_wake_cb	 wake;
	PGconn			*conn;
	enum pg_state		 state;
	int			 fd, wait_index, wait_events;
	su_timer_t		*retry_timer;
	char			 conninfo[CONF_STR_MAX];
	char			 password[CONF_STR_MAX];
	bool			 has_password;
	char			 node[128];
	int64_t			 lease_ms;
	uint64_t		 rows;
	unsigned		 gen;		/* bumped per connection */
	bool			 want_out;
	bool			 warned_down;
	PGresult		*setup_last;	/* set-up answer so far */
	bool			 setup_bad;
	struct pg_job		 jobs[PG_JOBS_MAX];
	size_t			 njobs;
} pg = { .fd = -1 };

static void	pg_connect(void);
static void	pg_fail(const char *what);
static void	pg_input(void);
static int	on_sock(su_root_magic_t *, su_wait_t *, su_wakeup_arg_t *);

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------- the loop */

static void
unwatch(void)
{
	if (pg.wait_index > 0)
		su_root_deregister(pg.root, pg.wait_index);
	pg.wait_index = 0;
	pg.wait_events = 0;
	pg.fd = -1;
}

/* Watch libpq's socket for @events; it may change while connecting. */
static int
watch(int events)
{
	su_wait_t	 w[1];
	int		 fd = pg.conn != NULL ? PQsocket(pg.conn) : -1;

	if (fd < 0)
		return -1;
	if (fd == pg.fd && pg.wait_index > 0) {
		if (events != pg.wait_events)
			su_root_eventmask(pg.root, pg.wait_index, fd, events);
		pg.wait_events = events;
		return 0;
	}
	unwatch();
	if (su_wait_create(w, fd, events) != 0)
		return -1;
	pg.wait_index = su_root_register(pg.root, w, on_sock, NULL, 0);
	if (pg.wait_index <= 0) {
		su_wait_destroy(w);
		pg.wait_index = 0;
		return -1;
	}
	pg.fd = fd;
	pg.wait_events = events;
	return 0;
}

/* Send what libpq holds; watch for room when the socket is full. */
static int
flush_out(void)
{
	int	 rc = PQflush(pg.conn);

	if (rc < 0)
		return -1;
	pg.want_out = rc == 1;
	return watch(SU_WAIT_IN | (pg.want_out ? SU_WAIT_OUT : 0));
}

static void
on_retry(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	(void)t;
	(void)arg;
	pg_connect();
}

static void
job_free(struct pg_job *j)
{
	free(j->tags);
	free(j->args);
	memset(j, 0, sizeof(*j));
}

/* The job at the head is answered: take it off, then call back. */
static void
job_finish(void)
{
	struct pg_job	 j = pg.jobs[0];

	memmove(&pg.jobs[0], &pg.jobs[1], (pg.njobs - 1) * sizeof(pg.jobs[0]));
	pg.njobs--;
	memset(&pg.jobs[pg.njobs], 0, sizeof(pg.jobs[0]));
	switch (j.kind) {
	case PG_JOB_PREPARE:
		if (j.failed) {
			job_free(&j);
			pg_fail("preparing statements");
			return;
		}
		pg.state = PG_READY;
		pg.warned_down = false;
		log_info("spool: PostgreSQL ready (node %s, %" PRIu64
		    " message%s waiting)", pg.node, pg.rows,
		    pg.rows == 1 ? "" : "s");
		job_free(&j);
		pg.wake();
		return;
	case PG_JOB_COMMIT:
		if (j.committed && !j.failed) {
			for (size_t i = 0; i < j.nn; i++)
				if (j.nw[i].stored)
					pg.rows++;
			pg.rows = (uint64_t)((int64_t)pg.rows + j.delta);
		} else
			for (size_t i = 0; i < j.nn; i++)
				j.nw[i].stored = j.nw[i].copy = false;
		j.commit_done(j.committed && !j.failed, j.delta);
		break;
	case PG_JOB_CLAIM:
		if (j.total >= 0)
			pg.rows = (uint64_t)j.total;
		j.claimed(j.failed ? 0 : j.next, j.failed ? -1 : j.total);
		break;
	}
	job_free(&j);
}

/*
 * The connection broke or a statement outside a transaction failed:
 * every job in flight ends as failed (accepts get 503; outcomes not
 * stored only repeat attempts; leases taken expire), then connect again
 * after PG_RETRY_MS.
 */
static void
pg_fail(const char *what)
{
	struct pg_job	 jobs[PG_JOBS_MAX];
	size_t		 n = pg.njobs, i;

	log_warnx("spool: PostgreSQL: %s: %s", what, pg.conn != NULL ?
	    PQerrorMessage(pg.conn) : "no connection");
	memcpy(jobs, pg.jobs, sizeof(jobs));
	memset(pg.jobs, 0, sizeof(pg.jobs));
	pg.njobs = 0;
	unwatch();
	if (pg.conn != NULL)
		PQfinish(pg.conn);
	pg.conn = NULL;
	pg.state = PG_DOWN;
	pg.gen++;
	if (pg.retry_timer != NULL)
		su_timer_set_interval(pg.retry_timer, on_retry, NULL,
		    PG_RETRY_MS);
	for (i = 0; i < n; i++) {
		jobs[i].failed = true;
		switch (jobs[i].kind) {
		case PG_JOB_PREPARE:
			break;
		case PG_JOB_COMMIT:
			for (size_t k = 0; k < jobs[i].nn; k++)
				jobs[i].nw[k].stored = jobs[i].nw[k].copy =
				    false;
			jobs[i].commit_done(false, 0);
			break;
		case PG_JOB_CLAIM:
			jobs[i].claimed(0, -1);
			break;
		}
		job_free(&jobs[i]);
	}
}

static const char *
val(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t
val_i64(const PGresult *r, int row, int col)
{
	const char	*s = val(r, row, col);

	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

/* The claimed rows, one by one, to the job's callback. */
static void
claim_rows(struct pg_job *j, const PGresult *res)
{
	int	 n = PQntuples(res);
	bool	 more = true;

	for (int i = 0; i < n; i++) {
		struct spool_be_row	 r;
		unsigned char		*addr = NULL, *body = NULL;
		size_t			 alen = 0, blen = 0;
		const char		*s;

		memset(&r, 0, sizeof(r));
		r.row = val_i64(res, i, 0);
		r.msgid = val(res, i, 1);
		r.created_ms = val_i64(res, i, 2);
		r.attempts = (unsigned)val_i64(res, i, 3);
		r.kind = val_i64(res, i, 4) == SPOOL_NOTICE ? SPOOL_NOTICE :
		    SPOOL_MSG;
		r.origin = (int)val_i64(res, i, 5);
		r.src_proto = (int)val_i64(res, i, 6);
		r.src_family = (int)val_i64(res, i, 7);
		if ((s = val(res, i, 8)) != NULL)
			addr = PQunescapeBytea((const unsigned char *)s,
			    &alen);
		r.src_addr = addr;
		r.src_addr_len = alen;
		r.from_uri = val(res, i, 9);
		r.xmpp_from = val(res, i, 10);
		r.xmpp_id = val(res, i, 11);
		s = val(res, i, 12);
		r.want_receipt = s != NULL && s[0] == 't';
		r.dest = val(res, i, 13);
		r.call_id = val(res, i, 14);
		r.content_type = val(res, i, 15);
		if ((s = val(res, i, 16)) != NULL)
			body = PQunescapeBytea((const unsigned char *)s,
			    &blen);
		r.body = (const char *)body;
		r.body_len = blen;
		r.subject = val(res, i, 17);
		r.lang = val(res, i, 18);
		r.max_forwards = (int)val_i64(res, i, 19);
		if (more && r.msgid != NULL && (s == NULL || body != NULL))
			more = j->row(&r);
		PQfreemem(addr);
		PQfreemem(body);
	}
}

/* One result of the statement tags[at] of the head job. */
static void
job_result(struct pg_job *j, const PGresult *res)
{
	ExecStatusType	 st = PQresultStatus(res);
	enum pg_tag	 tag = j->at < j->ntags ? j->tags[j->at] : PG_T_OTHER;
	int64_t		 n;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		if (!j->failed && st != PGRES_PIPELINE_ABORTED)
			log_warnx("spool: PostgreSQL: %s",
			    PQresultErrorMessage(res));
		j->failed = true;
		return;
	}
	n = strtoll(PQcmdTuples((PGresult *)res), NULL, 10);
	switch (tag) {
	case PG_T_OTHER:
		break;
	case PG_T_INSERT:
		if (j->args[j->at] >= 0 && (size_t)j->args[j->at] < j->nn) {
			struct spool_be_new *nw = &j->nw[j->args[j->at]];

			nw->stored = PQntuples(res) == 1;
			nw->copy = !nw->stored;
		}
		break;
	case PG_T_PROBE:
		if (j->args[j->at] >= 0 && (size_t)j->args[j->at] < j->nn)
			j->nw[j->args[j->at]].copy = PQntuples(res) > 0;
		break;
	case PG_T_ADD:
		j->delta += n;
		break;
	case PG_T_REMOVE:
		j->delta -= n;
		break;
	case PG_T_COMMIT:
		j->committed = strcmp(PQcmdStatus((PGresult *)res),
		    "COMMIT") == 0;
		break;
	case PG_T_CLAIM:
		claim_rows(j, res);
		break;
	case PG_T_STATS:
		if (PQntuples(res) == 1) {
			j->total = val_i64(res, 0, 0);
			j->next = val_i64(res, 0, 1);
		}
		break;
	}
}

/* ------------------------------------------------------------ set-up */

/*
 * The schema, created or checked in one transaction (simple query
 * protocol, before pipeline mode).  The last SELECT gives the version
 * and the rows waiting.
 */
static const char pg_schema[] =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(" PG_SETUP_LOCK ");"
    "CREATE TABLE IF NOT EXISTS imgate_spool_version ("
    " version integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS imgate_spool ("
    " id bigserial PRIMARY KEY,"
    " msgid text NOT NULL UNIQUE,"	/* stable id, Call-ID local part */
    " created bigint NOT NULL,"		/* ms since the epoch */
    " next_attempt bigint NOT NULL,"	/* ms since the epoch */
    " attempts integer NOT NULL DEFAULT 0,"
    " kind smallint NOT NULL,"		/* 0 message, 1 failure notice */
    " origin smallint NOT NULL,"	/* 0 SIP, 1 XMPP */
    " src_proto smallint NOT NULL,"	/* enum proto */
    " src_family smallint NOT NULL,"	/* 0: no address */
    " src_addr bytea,"
    " from_uri text,"
    " xmpp_from text,"
    " xmpp_id text,"
    " want_receipt boolean NOT NULL DEFAULT false,"
    " dest text NOT NULL,"
    " call_id text,"
    " content_type text NOT NULL,"
    " body bytea NOT NULL,"
    " subject text,"
    " lang text,"
    " last_error text,"
    " txn_key text UNIQUE,"		/* acceptance key (spool_key.h) */
    " max_forwards integer NOT NULL DEFAULT 70,"
    " lease_node text,"			/* node delivering it */
    " lease_until bigint);"		/* ms; then anyone may */
    "CREATE INDEX IF NOT EXISTS imgate_spool_due ON imgate_spool "
    " (next_attempt);"
    "INSERT INTO imgate_spool_version SELECT 1 WHERE NOT EXISTS "
    " (SELECT 1 FROM imgate_spool_version);"
    "SELECT max(version), (SELECT count(*) FROM imgate_spool) "
    " FROM imgate_spool_version;"
    "COMMIT;";

#define PG_COLS "id, msgid, created, attempts, kind, origin, src_proto, " \
    "src_family, src_addr, from_uri, xmpp_from, xmpp_id, want_receipt, " \
    "dest, call_id, content_type, body, subject, lang, max_forwards"

static const struct {
	const char	*name;
	const char	*sql;
	int		 nparams;
} pg_stmts[] = {
	{ "ins", "INSERT INTO imgate_spool (msgid, created, next_attempt, "
	  "kind, origin, src_proto, src_family, src_addr, from_uri, "
	  "xmpp_from, xmpp_id, want_receipt, dest, call_id, content_type, "
	  "body, subject, lang, txn_key, max_forwards) VALUES ($1, $2, $2, "
	  "0, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
	  "$16, $17, $18) ON CONFLICT DO NOTHING RETURNING id", 18 },
	{ "del", "DELETE FROM imgate_spool WHERE id = $1 AND "
	  "lease_node = $2", 2 },
	{ "retry", "UPDATE imgate_spool SET attempts = attempts + 1, "
	  "next_attempt = $3, last_error = $4, lease_node = NULL, "
	  "lease_until = NULL WHERE id = $1 AND lease_node = $2", 4 },
	{ "release", "UPDATE imgate_spool SET lease_node = NULL, "
	  "lease_until = NULL WHERE id = $1 AND lease_node = $2", 2 },
	/* The notice goes to the From URI of the failed message. */
	{ "notice", "INSERT INTO imgate_spool (msgid, created, "
	  "next_attempt, kind, origin, src_proto, src_family, from_uri, "
	  "dest, content_type, body) SELECT $3, $4, $4, 1, 0, 0, 0, $5, "
	  "from_uri, 'text/plain; charset=UTF-8', convert_to($6, 'UTF8') "
	  "FROM imgate_spool WHERE id = $1 AND lease_node = $2 AND "
	  "from_uri IS NOT NULL", 6 },
	/* Due rows nobody holds, oldest due first; rows another node is
	 * locking right now are skipped, not waited for.  Rows this node
	 * holds count as free: a node restarted under the same
	 * spool.node_id takes its rows back at once (those in flight in
	 * this run are skipped by gateway/flow/spool.c). */
	{ "claim", "WITH c AS (UPDATE imgate_spool s SET lease_node = $1, "
	  "lease_until = $2::bigint + $3::bigint FROM (SELECT id FROM "
	  "imgate_spool WHERE next_attempt <= $2 AND (lease_until IS NULL "
	  "OR lease_until <= $2 OR lease_node = $1) ORDER BY next_attempt "
	  "LIMIT $4 FOR UPDATE SKIP LOCKED) d WHERE s.id = d.id RETURNING s.*) SELECT " PG_COLS
	  " FROM c ORDER BY next_attempt, id", 4 },
	/* Rows in all, and when the next one can be claimed: due and
	 * not held (a lease that ends counts). */
	{ "stats", "SELECT count(*), COALESCE(min(GREATEST(next_attempt, "
	  "COALESCE(lease_until, 0))) FILTER (WHERE GREATEST(next_attempt, "
	  "COALESCE(lease_until, 0)) > $1), 0) FROM imgate_spool", 1 },
	{ "probe", "SELECT msgid FROM imgate_spool WHERE txn_key = $1", 1 },
	{ "notify", "SELECT pg_notify('imgate_spool', '')", 0 },
};

static struct pg_job *
job_new(enum pg_job_kind kind, size_t ntags)
{
	struct pg_job	*j;

	if (pg.njobs >= PG_JOBS_MAX)
		return NULL;
	j = &pg.jobs[pg.njobs];
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->total = -1;
	if ((j->tags = calloc(ntags, 1)) == NULL ||
	    (j->args = calloc(ntags, sizeof(*j->args))) == NULL) {
		job_free(j);
		return NULL;
	}
	pg.njobs++;
	return j;
}

/* Add one statement's tag to @j (sent by the caller). */
static void
tag(struct pg_job *j, enum pg_tag t, int32_t arg)
{
	j->tags[j->ntags] = (uint8_t)t;
	j->args[j->ntags] = arg;
	j->ntags++;
}

/* The schema is there: pipeline mode, prepared statements, LISTEN. */
static void
setup_done(const PGresult *last)
{
	struct pg_job	*j;
	size_t		 i, n = sizeof(pg_stmts) / sizeof(pg_stmts[0]);
	int64_t		 v;

	v = last != NULL ? val_i64(last, 0, 0) : -1;
	if (v != PG_SCHEMA_VERSION) {
		log_warnx("spool: PostgreSQL spool has layout version %lld; "
		    "this imgated knows %d", (long long)v, PG_SCHEMA_VERSION);
		pg_fail("layout version");
		return;
	}
	pg.rows = (uint64_t)val_i64(last, 0, 1);
	if (PQenterPipelineMode(pg.conn) != 1 ||
	    (j = job_new(PG_JOB_PREPARE, n + 1)) == NULL) {
		pg_fail("pipeline mode");
		return;
	}
	for (i = 0; i < n; i++) {
		if (PQsendPrepare(pg.conn, pg_stmts[i].name, pg_stmts[i].sql,
		    pg_stmts[i].nparams, NULL) != 1) {
			pg_fail("prepare");
			return;
		}
		tag(j, PG_T_OTHER, 0);
	}
	if (PQsendQueryParams(pg.conn, "LISTEN imgate_spool", 0, NULL, NULL,
	    NULL, NULL, 0) != 1 || PQpipelineSync(pg.conn) != 1) {
		pg_fail("LISTEN");
		return;
	}
	tag(j, PG_T_OTHER, 0);
	if (flush_out() != 0)
		pg_fail("sending");
}

/* The set-up answers (simple protocol), as they arrive: the last
 * tuples with two columns are the version and the rows waiting. */
static void
setup_input(void)
{
	PGresult	*res;

	while (!PQisBusy(pg.conn)) {
		if ((res = PQgetResult(pg.conn)) == NULL) {
			res = pg.setup_last;
			pg.setup_last = NULL;
			if (!pg.setup_bad)
				setup_done(res);
			else
				pg_fail("creating the schema");
			PQclear(res);
			return;
		}
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQnfields(res) == 2) {
			PQclear(pg.setup_last);
			pg.setup_last = res;
			continue;
		}
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK) {
			log_warnx("spool: PostgreSQL: %s",
			    PQresultErrorMessage(res));
			pg.setup_bad = true;
		}
		PQclear(res);
	}
}

/* ------------------------------------------------------- connection */

static void
connect_poll(void)
{
	switch (PQconnectPoll(pg.conn)) {
	case PGRES_POLLING_READING:
		if (watch(SU_WAIT_IN) != 0)
			pg_fail("watching the socket");
		return;
	case PGRES_POLLING_WRITING:
		if (watch(SU_WAIT_OUT) != 0)
			pg_fail("watching the socket");
		return;
	case PGRES_POLLING_OK:
		break;
	default:
		if (!pg.warned_down)
			log_warnx("spool: PostgreSQL: cannot connect: %s",
			    PQerrorMessage(pg.conn));
		pg.warned_down = true;
		unwatch();
		PQfinish(pg.conn);
		pg.conn = NULL;
		pg.state = PG_DOWN;
		su_timer_set_interval(pg.retry_timer, on_retry, NULL,
		    PG_RETRY_MS);
		return;
	}
	if (PQsetnonblocking(pg.conn, 1) != 0 ||
	    PQsendQuery(pg.conn, pg_schema) != 1) {
		pg_fail("sending the schema");
		return;
	}
	pg.state = PG_SETUP;
	PQclear(pg.setup_last);
	pg.setup_last = NULL;
	pg.setup_bad = false;
	if (flush_out() != 0)
		pg_fail("sending");
}

static void
pg_connect(void)
{
	const char	*keys[] = { "dbname", "password",
	    "fallback_application_name", NULL, NULL };
	const char	*vals[] = { pg.conninfo, NULL, "imgated", NULL, NULL };

	if (pg.conn != NULL)
		return;
	/* A password from the file, when there is one, wins over the
	 * string's (libpq: later keywords override). */
	if (pg.has_password) {
		vals[1] = pg.password;
	} else {
		keys[1] = "fallback_application_name";
		vals[1] = "imgated";
		keys[2] = NULL;
	}
	pg.conn = PQconnectStartParams(keys, vals, 1);
	if (pg.conn == NULL || PQstatus(pg.conn) == CONNECTION_BAD) {
		if (!pg.warned_down)
			log_warnx("spool: PostgreSQL: cannot connect: %s",
			    pg.conn != NULL ? PQerrorMessage(pg.conn) :
			    "out of memory");
		pg.warned_down = true;
		if (pg.conn != NULL)
			PQfinish(pg.conn);
		pg.conn = NULL;
		su_timer_set_interval(pg.retry_timer, on_retry, NULL,
		    PG_RETRY_MS);
		return;
	}
	pg.state = PG_CONNECTING;
	pg.gen++;
	if (watch(SU_WAIT_OUT) != 0)
		pg_fail("watching the socket");
}

/* ------------------------------------------------------------ input */

/* Answers in pipeline mode, job by job; then notifications. */
static void
pg_input(void)
{
	PGnotify	*nf;
	PGresult	*res;
	unsigned	 gen = pg.gen;
	bool		 woken = false;
	int		 nulls = 0;

	if (PQconsumeInput(pg.conn) != 1) {
		pg_fail("reading");
		return;
	}
	if (pg.state == PG_SETUP &&
	    PQpipelineStatus(pg.conn) == PQ_PIPELINE_OFF) {
		setup_input();
		return;
	}
	while (pg.conn != NULL && gen == pg.gen && pg.njobs > 0 &&
	    !PQisBusy(pg.conn)) {
		struct pg_job *j = &pg.jobs[0];

		if ((res = PQgetResult(pg.conn)) == NULL) {
			/* The end of one statement's results. */
			if (!j->got && ++nulls > 1)
				break;
			if (j->got)
				j->at++;
			j->got = false;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			job_finish();
			continue;
		}
		j->got = true;
		job_result(j, res);
		PQclear(res);
	}
	if (pg.conn == NULL || gen != pg.gen)
		return;
	while ((nf = PQnotifies(pg.conn)) != NULL) {
		/* Our own commits schedule already. */
		if (nf->be_pid != PQbackendPID(pg.conn))
			woken = true;
		PQfreemem(nf);
	}
	if (woken && pg.state == PG_READY)
		pg.wake();
}

static int
on_sock(su_root_magic_t *m, su_wait_t *w, su_wakeup_arg_t *arg)
{
	int	 ev = su_wait_events(w, pg.fd);

	(void)m;
	(void)arg;
	if (pg.conn == NULL)
		return 0;
	if (pg.state == PG_CONNECTING) {
		connect_poll();
		return 0;
	}
	if ((ev & SU_WAIT_OUT) && pg.want_out && flush_out() != 0) {
		pg_fail("sending");
		return 0;
	}
	if (ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR))
		pg_input();
	return 0;
}

/* ------------------------------------------------------------ the ops */

/* The first line of @path into pg.password.  @return 0 or -1 (logged). */
static int
read_password(const char *path)
{
	FILE	*f = fopen(path, "r");

	if (f == NULL) {
		log_warnx("spool: spool.password_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fgets(pg.password, sizeof(pg.password), f) == NULL)
		pg.password[0] = '\0';
	fclose(f);
	pg.password[strcspn(pg.password, "\r\n")] = '\0';
	pg.has_password = true;
	return 0;
}

/*
 * Start-up only (nothing is served yet): run the connection's steps
 * here, without the loop, for at most @ms, so that the daemon says it is
 * ready with its spool usable.  A failure leaves the retry to the loop.
 */
static void
pump_until_ready(int ms)
{
	int64_t	 end = now_ms() + ms;

	while (pg.conn != NULL && pg.state != PG_READY && now_ms() < end) {
		struct pollfd	 p = { .fd = PQsocket(pg.conn), .events = 0 };

		if (pg.wait_events & SU_WAIT_IN)
			p.events |= POLLIN;
		if (pg.wait_events & SU_WAIT_OUT)
			p.events |= POLLOUT;
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			return;
		if (p.revents == 0)
			continue;
		if (pg.state == PG_CONNECTING)
			connect_poll();
		else {
			if ((p.revents & POLLOUT) && pg.want_out &&
			    flush_out() != 0) {
				pg_fail("sending");
				return;
			}
			if (p.revents & (POLLIN | POLLHUP | POLLERR))
				pg_input();
		}
	}
}

static int
pg_open(void *root, const struct gw_conf *c, spool_be_wake_cb wake,
    bool at_start)
{
	PQconninfoOption	*opts;
	char			*err = NULL;
	char			 host[64];

	if (pg.root != NULL)
		return 0;
	/* A string libpq cannot read is a configuration error: say so
	 * now, not at every reconnection. */
	if ((opts = PQconninfoParse(c->spool_conninfo, &err)) == NULL) {
		log_warnx("spool: spool.conninfo: %s", err != NULL ? err :
		    "out of memory");
		PQfreemem(err);
		return -1;
	}
	PQconninfoFree(opts);
	if (c->spool_password_file[0] != '\0' &&
	    read_password(c->spool_password_file) != 0)
		return -1;
	snprintf(pg.conninfo, sizeof(pg.conninfo), "%s", c->spool_conninfo);
	if (c->spool_node_id[0] != '\0')
		snprintf(pg.node, sizeof(pg.node), "%s", c->spool_node_id);
	else {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "imgated");
		host[sizeof(host) - 1] = '\0';
		snprintf(pg.node, sizeof(pg.node), "%s:%ld", host,
		    (long)getpid());
	}
	pg.lease_ms = c->spool_lease_s * 1000;
	pg.root = root;
	pg.wake = wake;
	if ((pg.retry_timer = su_timer_create(su_root_task(root), 0)) ==
	    NULL)
		return -1;
	log_info("spool: PostgreSQL backend, node %s, lease %lld s", pg.node,
	    (long long)c->spool_lease_s);
	pg_connect();
	if (!at_start)
		return 0;
	pump_until_ready(PG_START_WAIT_MS);
	if (pg.state != PG_READY)
		log_warnx("spool: PostgreSQL not ready after %d ms; "
		    "store-and-forward messages are answered 503 until it is",
		    PG_START_WAIT_MS);
	return 0;
}

static bool
pg_usable(void)
{
	return pg.state == PG_READY && pg.conn != NULL;
}

static uint64_t
pg_count(void)
{
	return pg.rows;
}

static void
i64s(char *buf, size_t sz, int64_t v)
{
	snprintf(buf, sz, "%" PRId64, v);
}

/* Send one accept's INSERT.  @return 0 or -1. */
static int
send_insert(const struct spool_be_new *n, const char *now)
{
	char		 origin[8], proto[8], fam[8], mf[16];
	const char	*v[18];
	int		 len[18] = { 0 }, fmt[18] = { 0 };

	snprintf(origin, sizeof(origin), "%d", n->origin);
	snprintf(proto, sizeof(proto), "%d", n->src_proto);
	snprintf(fam, sizeof(fam), "%d", n->src_family);
	snprintf(mf, sizeof(mf), "%d", n->max_forwards);
	v[0] = n->msgid;
	v[1] = now;
	v[2] = origin;
	v[3] = proto;
	v[4] = fam;
	v[5] = n->src_family != 0 ? (const char *)n->src_addr : NULL;
	len[5] = n->src_family == AF_INET ? 4 : 16;
	fmt[5] = 1;
	v[6] = n->from_uri;
	v[7] = n->xmpp_from;
	v[8] = n->xmpp_id;
	v[9] = n->want_receipt ? "true" : "false";
	v[10] = n->dest;
	v[11] = n->call_id;
	v[12] = n->content_type;
	v[13] = n->body;
	len[13] = (int)n->body_len;
	fmt[13] = 1;
	v[14] = n->subject;
	v[15] = n->lang;
	v[16] = n->key;
	v[17] = mf;
	return PQsendQueryPrepared(pg.conn, "ins", 18, v, len, fmt, 0) == 1 ?
	    0 : -1;
}

/* Send one outcome (one or two statements, tagged).  @return 0 or -1. */
static int
send_op(struct pg_job *j, const struct spool_be_op *op, const char *now)
{
	char		 row[24], next[24];
	const char	*v[6];

	i64s(row, sizeof(row), op->row);
	v[0] = row;
	v[1] = pg.node;
	switch (op->kind) {
	case SPOOL_OP_RELEASE:
		tag(j, PG_T_OTHER, 0);
		return PQsendQueryPrepared(pg.conn, "release", 2, v, NULL,
		    NULL, 0) == 1 ? 0 : -1;
	case SPOOL_OP_RETRY:
		i64s(next, sizeof(next), op->next_ms);
		v[2] = next;
		v[3] = op->error;
		tag(j, PG_T_OTHER, 0);
		return PQsendQueryPrepared(pg.conn, "retry", 4, v, NULL,
		    NULL, 0) == 1 ? 0 : -1;
	case SPOOL_OP_NOTICE:
		v[2] = op->msgid;
		v[3] = now;
		v[4] = op->notice_from;
		v[5] = op->notice != NULL ? op->notice : "";
		tag(j, PG_T_ADD, 0);
		if (PQsendQueryPrepared(pg.conn, "notice", 6, v, NULL, NULL,
		    0) != 1)
			return -1;
		/* FALLTHROUGH */
	case SPOOL_OP_DELETE:
		tag(j, PG_T_REMOVE, 0);
		return PQsendQueryPrepared(pg.conn, "del", 2, v, NULL, NULL,
		    0) == 1 ? 0 : -1;
	}
	return -1;
}

static int
pg_commit(struct spool_be_new *nw, size_t nn, const struct spool_be_op *ops,
    size_t nops, int64_t now, spool_be_commit_cb done)
{
	struct pg_job	*j;
	char		 nows[24];
	size_t		 i;
	bool		 notify = false;

	if (!pg_usable() ||
	    (j = job_new(PG_JOB_COMMIT, 4 + nn + 2 * nops)) == NULL)
		return -1;
	j->nw = nw;
	j->nn = nn;
	j->commit_done = done;
	i64s(nows, sizeof(nows), now);
	if (PQsendQueryParams(pg.conn, "BEGIN", 0, NULL, NULL, NULL, NULL,
	    0) != 1)
		goto fail;
	tag(j, PG_T_OTHER, 0);
	for (i = 0; i < nn; i++) {
		nw[i].stored = nw[i].copy = false;
		if (nw[i].msgid == NULL)
			continue;
		if (nw[i].probe) {
			if (PQsendQueryPrepared(pg.conn, "probe", 1,
			    &nw[i].key, NULL, NULL, 0) != 1)
				goto fail;
			tag(j, PG_T_PROBE, (int32_t)i);
			continue;
		}
		if (send_insert(&nw[i], nows) != 0)
			goto fail;
		tag(j, PG_T_INSERT, (int32_t)i);
		notify = true;
	}
	for (i = 0; i < nops; i++) {
		if (send_op(j, &ops[i], nows) != 0)
			goto fail;
		/* A released row or a notice is for any node to take. */
		if (ops[i].kind == SPOOL_OP_RELEASE ||
		    ops[i].kind == SPOOL_OP_NOTICE)
			notify = true;
	}
	if (notify) {
		if (PQsendQueryPrepared(pg.conn, "notify", 0, NULL, NULL,
		    NULL, 0) != 1)
			goto fail;
		tag(j, PG_T_OTHER, 0);
	}
	if (PQsendQueryParams(pg.conn, "COMMIT", 0, NULL, NULL, NULL, NULL,
	    0) != 1 || PQpipelineSync(pg.conn) != 1)
		goto fail;
	tag(j, PG_T_COMMIT, 0);
	if (flush_out() != 0)
		goto fail;
	return 0;
fail:
	/* The job is in the queue: pg_fail() answers it. */
	pg_fail("sending a commit");
	return 0;
}

static int
pg_claim(size_t limit, int64_t now, spool_be_row_cb row,
    spool_be_claimed_cb done)
{
	struct pg_job	*j;
	char		 nows[24], lease[24], lim[24];
	const char	*v[4];

	if (!pg_usable() || (j = job_new(PG_JOB_CLAIM, 2)) == NULL)
		return -1;
	j->row = row;
	j->claimed = done;
	i64s(nows, sizeof(nows), now);
	i64s(lease, sizeof(lease), pg.lease_ms);
	i64s(lim, sizeof(lim), (int64_t)limit);
	v[0] = pg.node;
	v[1] = nows;
	v[2] = lease;
	v[3] = lim;
	tag(j, PG_T_CLAIM, 0);
	tag(j, PG_T_STATS, 0);
	if (PQsendQueryPrepared(pg.conn, "claim", 4, v, NULL, NULL, 0) != 1 ||
	    PQsendQueryPrepared(pg.conn, "stats", 1, &v[1], NULL, NULL,
	    0) != 1 || PQpipelineSync(pg.conn) != 1 || flush_out() != 0)
		pg_fail("sending a claim");
	return 0;
}

static int64_t
pg_idle_ms(void)
{
	/* Other nodes write too: look now and then even without a
	 * notification (one lost with a broken connection). */
	return pg.lease_ms < 10000 ? pg.lease_ms : 10000;
}

/*
 * The daemon is stopping: wait (at most PG_CLOSE_WAIT_MS) for the
 * answers to what was sent, so that the last accepts are answered and
 * the last outcomes stored, then close.
 */
static void
pg_close(void)
{
	int64_t	 end = now_ms() + PG_CLOSE_WAIT_MS;

	while (pg.conn != NULL && pg.njobs > 0 && now_ms() < end) {
		struct pollfd	 p = { .fd = PQsocket(pg.conn),
		    .events = POLLIN };

		if (pg.want_out && PQflush(pg.conn) < 0)
			break;
		if (PQflush(pg.conn) == 1)
			p.events |= POLLOUT;
		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			break;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (pg.state == PG_CONNECTING)
				break;
			pg_input();
		}
	}
	if (pg.njobs > 0)
		pg_fail("closing with answers outstanding");
	unwatch();
	if (pg.conn != NULL)
		PQfinish(pg.conn);
	pg.conn = NULL;
	pg.state = PG_DOWN;
	PQclear(pg.setup_last);
	pg.setup_last = NULL;
	explicit_bzero(pg.password, sizeof(pg.password));
	if (pg.retry_timer != NULL) {
		su_timer_destroy(pg.retry_timer);
		pg.retry_timer = NULL;
	}
	pg.root = NULL;
}

const struct spool_be_ops spool_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.usable = pg_usable,
	.count = pg_count,
	.commit = pg_commit,
	.claim = pg_claim,
	.idle_ms = pg_idle_ms,
	.close = pg_close,
};
