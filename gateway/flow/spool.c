/*
 * gateway/flow/spool.c - the store-and-forward spool: what it decides, the
 * same on every backend (gateway/spool_be.h: SQLite, PostgreSQL).
 *
 * One table, one row per message waiting for delivery, indexed by the
 * time of its next attempt.  Three things write to it, and all of them go
 * through the batch so that one commit window costs one transaction (and
 * one fsync of the log):
 *   - accepts: spool_accept() queues the transaction id; flush_batch()
 *     hands every one still alive to the backend, which stores them in
 *     one transaction; only once it committed are they answered;
 *   - outcomes: spool_delivery_done() queues "delete", "retry at T" or
 *     "delete and send a notice"; they are applied by the next flush
 *     (kept for a later one while commits fail).  An outcome lost to a
 *     crash only repeats an attempt (at least once);
 *   - nothing else: rows are never rewritten while a delivery runs (a
 *     PostgreSQL claim only sets the lease), so a crash at any point
 *     leaves every accepted message in the spool.
 * schedule() asks the backend for due rows (at most spool.max_inflight
 * at once, skipping those in flight), turns each into a delivery
 * transaction and hands it to relay_resubmit(); a timer wakes it for the
 * next due row.
 *
 * A backend may answer later (PostgreSQL does, from the event loop): at
 * most one batch is being committed and one claim is running at a time.
 * Accepts and outcomes that arrive meanwhile wait in the next batch; a
 * claim waits until no outcome is pending, so that a row whose outcome
 * is not stored yet is never handed out again by this node.
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

#include "gateway/flow/relay.h"
#include "gateway/flow/spool.h"
#include "gateway/log.h"
#include "gateway/runtime.h"
#include "gateway/spool_be.h"
#include "gateway/spool_key.h"

#define CONF	(&runtime_current()->conf)

/* Longest failure notice body. */
#define SPOOL_NOTICE_MAX	512
/* Longest wait between two looks at the spool when nothing is due. */
#define SPOOL_IDLE_MS		60000
/* After a failed commit (disk full, database gone), the next try. */
#define SPOOL_COMMIT_RETRY_MS	1000

/* An outcome waiting for the next commit. */
struct spool_op {
	struct spool_be_op	 be;
	char			*notice;	/* NOTICE: body, owned */
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
	enum proto	 src_proto;
	int			 src_family;
	uint8_t			 src_addr[16];
	bool			 has_addr;
	bool			 probe;		/* spool full: copy or 503 */
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
_Static_assert(SPOOL_ID_SIZE == SPOOL_BE_ID_SIZE, "message id sizes");

/* One batch: the accepts and outcomes of a commit window. */
struct spool_batch {
	struct spool_accept	 acc[SPOOL_BATCH_MAX];
	size_t			 nacc;
	struct spool_op		*ops;		/* opcap of them */
	size_t			 nops;
};

static struct {
	const struct flow_loop	*loop;
	void			*be_root;	/* for the backend */
	const struct relay_side	*sip, *xmpp;
	const struct spool_be_ops *be;
	bool			 open;
	struct flow_timer	*commit_timer, *wake_timer;
	bool			 claiming, again;
	bool			 committing;	/* cur is with the backend */
	bool			 stopping;	/* no new deliveries */
	uint64_t		 rows;
	struct spool_batch	 b[2], *next, *cur;
	size_t			 opcap;
	/* The batch being committed, as the backend sees it. */
	struct spool_be_new	 nw[SPOOL_BATCH_MAX];
	char			 ids[SPOOL_BATCH_MAX][SPOOL_ID_SIZE];
	struct spool_be_op	*beops;		/* opcap of them */
	struct spool_flight	*fl;
	size_t			 nfl, flcap;
	struct spool_start	*starts;	/* flcap of them */
	size_t			 nstarts, limit;
	bool			 short_of_txns;
	char			 notice_from[CONF_STR_MAX + 16];
} sp;

static void	schedule(void);
static void	flush_batch(void);
static void	refuse_full(struct gw_txn *);
static void	on_wake(void *);

/* Rows keep wall-clock times: they outlive the process. */
static int64_t
now_ms(void)
{
	return flow_wall_ms(sp.loop);
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

/* ------------------------------------------------------------- batch */

static int
spool_open(bool at_start)
{
	if (sp.open)
		return 0;
	if (sp.be->open(sp.be_root, CONF, schedule, at_start) != 0)
		return -1;
	sp.open = true;
	sp.rows = sp.be->count();
	return 0;
}

static void
on_commit_timer(void *arg)
{
	(void)arg;
	flush_batch();
}

static void
arm_commit(void)
{
	if (sp.commit_timer == NULL ||
	    flow_timer_is_set(sp.loop, sp.commit_timer))
		return;
	flow_timer_set(sp.loop, sp.commit_timer,
	    (uint64_t)CONF->spool_commit_ms, on_commit_timer, NULL);
}

static void
arm_wake(int64_t ms)
{
	if (sp.wake_timer != NULL)
		flow_timer_set(sp.loop, sp.wake_timer,
		    (uint64_t)(ms < 1 ? 1 : ms), on_wake, NULL);
}

/* The backend's view of the accepted transaction @a, in slot @i (its
 * msgid stays NULL when the transaction ended meanwhile). */
static void
new_of(size_t i, const struct spool_accept *a, struct spool_be_new *n)
{
	struct gw_txn	*t = txn_get(a->txn);

	memset(n, 0, sizeof(*n));
	/* Ended meanwhile (deadline, shutdown): skip. */
	if (t == NULL || t->state != TXN_SPOOLING)
		return;
	if (t->accept_key != NULL)
		spool_key_msgid(t->accept_key, strlen(t->accept_key),
		    sp.ids[i]);
	else
		new_msgid(sp.ids[i]);
	n->msgid = sp.ids[i];
	n->key = t->accept_key;
	n->origin = t->origin == PROTO_XMPP ? 1 : 0;
	n->src_proto = (int)a->src_proto;
	n->src_family = a->has_addr ? a->src_family : 0;
	n->src_addr = a->has_addr ? a->src_addr : NULL;
	n->from_uri = t->from;
	n->xmpp_from = t->xmpp_from;
	n->xmpp_id = t->xmpp_id;
	n->want_receipt = t->want_receipt;
	n->dest = t->dest;
	n->call_id = t->call_id;
	n->content_type = t->content_type;
	n->body = t->body != NULL ? t->body : "";
	n->body_len = t->body_len;
	n->subject = t->subject;
	n->lang = t->lang;
	n->max_forwards = t->max_forwards;
	n->probe = a->probe;
}

/*
 * The outcomes of the batch @b that did not commit go back in front of
 * the next batch, to be written by the next commit.  Dropped, a "retry
 * at T" would leave the row due at once, and the next claim would start
 * it again without its backoff: while the spool cannot commit (a full
 * disk), every message in it would go to its destination once per
 * commit window.  Kept, they stop the claims (schedule()) until they are
 * stored.  They fit: no claim runs while an outcome is pending, so both
 * batches together hold at most one per delivery (spool.max_inflight).
 */
static void
keep_ops(struct spool_batch *b)
{
	struct spool_batch	*n = sp.next;
	size_t			 i, room = sp.opcap - n->nops;

	if (b->nops > room) {
		log_warnx("spool: %zu outcome%s lost: their attempts repeat",
		    b->nops - room, b->nops - room == 1 ? "" : "s");
		for (i = room; i < b->nops; i++)
			free(b->ops[i].notice);
		b->nops = room;
	}
	memmove(n->ops + b->nops, n->ops, n->nops * sizeof(*n->ops));
	memcpy(n->ops, b->ops, b->nops * sizeof(*b->ops));
	n->nops += b->nops;
	b->nops = 0;
}

/*
 * The backend committed (@ok) or rolled back the current batch: answer
 * its senders (202 only for what the commit holds, or held already: a
 * copy), then go on with what queued meanwhile.  Outcomes kept after a
 * failure are tried again SPOOL_COMMIT_RETRY_MS later, not at the next
 * commit window: the cause (a full disk, a database that went away)
 * lasts longer than that, and each try logs.  Accepts that arrive
 * meanwhile wait for that commit.
 */
static void
committed(bool ok, int64_t rows_delta)
{
	struct spool_batch	*b = sp.cur;
	size_t			 i, stored = 0;

	sp.committing = false;
	if (!ok && b->nops > 0 && sp.next->ops != NULL) {
		log_warnx("spool: commit failed; %zu delivery outcome%s kept "
		    "for the next commit, no new delivery until then",
		    b->nops, b->nops == 1 ? "" : "s");
		keep_ops(b);
	}
	for (i = 0; i < b->nops; i++)
		free(b->ops[i].notice);
	b->nops = 0;
	if (!ok && b->nacc > 0)
		log_warnx("spool: commit failed; %zu message%s refused with "
		    "503", b->nacc, b->nacc == 1 ? "" : "s");
	for (i = 0; i < b->nacc; i++) {
		struct gw_txn *t = txn_get(b->acc[i].txn);

		if (t == NULL || t->state != TXN_SPOOLING)
			continue;
		if (ok && sp.nw[i].copy)
			log_info("txn %llu: a copy of spooled message %s "
			    "(retransmission or resend): not stored again",
			    (unsigned long long)t->id, sp.ids[i]);
		else if (ok && sp.nw[i].stored) {
			log_info("txn %llu: spooled as %s",
			    (unsigned long long)t->id, sp.ids[i]);
			stored++;
		}
		if (ok && (sp.nw[i].stored || sp.nw[i].copy))
			txn_finish(t, (struct gw_outcome){ GW_OK,
			    GW_R_SPOOLED, 0, NULL });
		else if (ok && b->acc[i].probe)
			refuse_full(t);
		else {
			t->retry_after_s = 5;
			txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
			    GW_R_SPOOL_ERROR, 0, NULL });
		}
	}
	b->nacc = 0;
	if (ok) {
		sp.rows += stored;
		if (rows_delta < 0 && (uint64_t)-rows_delta > sp.rows)
			sp.rows = 0;
		else
			sp.rows = (uint64_t)((int64_t)sp.rows + rows_delta);
	}
	/* What queued while this commit ran goes in the next one. */
	if (!ok && sp.next->nops > 0 && sp.commit_timer != NULL &&
	    !sp.stopping)
		flow_timer_set(sp.loop, sp.commit_timer,
		    SPOOL_COMMIT_RETRY_MS, on_commit_timer, NULL);
	else if (sp.next->nacc > 0 || sp.next->nops > 0)
		arm_commit();
	if (!sp.stopping)
		schedule();
}

/*
 * Hand everything pending to the backend as one transaction: the
 * accepts first (their senders are answered only after the commit),
 * then the outcomes.  A failed commit answers the accepts with 503 and
 * keeps the outcomes for the next one (committed()).  With a commit
 * still running the batch waits for it (committed() arms the timer
 * again).
 */
static void
flush_batch(void)
{
	struct spool_batch	*b = sp.next;
	size_t			 i;

	if (b->nacc == 0 && b->nops == 0)
		return;
	if (sp.committing)
		return;
	sp.next = sp.cur;
	sp.cur = b;
	for (i = 0; i < b->nacc; i++)
		new_of(i, &b->acc[i], &sp.nw[i]);
	for (i = 0; i < b->nops; i++) {
		sp.beops[i] = b->ops[i].be;
		sp.beops[i].notice = b->ops[i].notice;
	}
	sp.committing = true;
	/* Skipped accepts (nw[i].msgid NULL) are left alone by backends. */
	if (!sp.open || sp.be->commit(sp.nw, b->nacc, sp.beops, b->nops,
	    now_ms(), committed) != 0)
		committed(false, 0);
}

void
spool_flush(void)
{
	sp.stopping = true;
	flush_batch();
}

/* Answer @t 503: the spool holds spool.max_messages. */
static void
refuse_full(struct gw_txn *t)
{
	const struct gw_conf	*c = &t->rt->conf;

	log_warnx("txn %llu: spool full (%" PRIu64 " messages, "
	    "spool.max_messages %lld): refused", (unsigned long long)t->id,
	    sp.rows + sp.next->nacc, (long long)c->spool_max_messages);
	t->retry_after_s = (uint32_t)(c->spool_retry_initial_ms / 1000 + 1);
	txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL, GW_R_SPOOL_FULL, 0,
	    NULL });
}

void
spool_accept(struct gw_txn *t, const struct policy_source *src)
{
	const struct gw_conf	*c = &t->rt->conf;
	struct spool_accept	*a;
	bool			 full;

	if ((!sp.open && spool_open(false) != 0) || !sp.be->usable()) {
		t->retry_after_s = 30;
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_SPOOL_ERROR, 0, NULL });
		return;
	}
	full = sp.rows + sp.next->nacc >= (uint64_t)c->spool_max_messages;
	if (full && t->accept_key == NULL) {
		refuse_full(t);
		return;
	}
	if (sp.next->nacc >= SPOOL_BATCH_MAX)
		flush_batch();
	if (sp.next->nacc >= SPOOL_BATCH_MAX) {
		/* Both batches full: the backend is behind. */
		log_warnx("txn %llu: spool busy (%d messages waiting for a "
		    "commit): refused", (unsigned long long)t->id,
		    SPOOL_BATCH_MAX);
		t->retry_after_s = 1;
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_SPOOL_ERROR, 0, NULL });
		return;
	}
	a = &sp.next->acc[sp.next->nacc++];
	memset(a, 0, sizeof(*a));
	a->txn = t->id;
	/* Full: a copy of a stored message needs no room (it is in); the
	 * commit tells which it is. */
	a->probe = full;
	a->src_proto = src->proto;
	a->has_addr = src->has_addr;
	a->src_family = src->family;
	memcpy(a->src_addr, src->addr, sizeof(a->src_addr));
	txn_enter_state(t, TXN_SPOOLING);
	arm_commit();
}

/*
 * Room for one outcome, or NULL.  Outcomes come from deliveries that
 * ended, and no claim runs while one is pending, so a batch never holds
 * more than spool.max_inflight (at open) of them; NULL is a broken
 * bound, and costs one repeated attempt.
 */
static struct spool_op *
new_op(void)
{
	struct spool_op	*op;

	if (sp.next->ops == NULL)
		return NULL;	/* closed */
	if (sp.next->nops >= sp.opcap)
		flush_batch();
	if (sp.next->nops >= sp.opcap) {
		log_warnx("spool: outcome batch full: the attempt repeats");
		return NULL;
	}
	op = &sp.next->ops[sp.next->nops++];
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
	 * start (or another node) delivers it.  Nobody was answered: say
	 * so, not "503".
	 */
	if (o->reason == GW_R_SHUTDOWN || !sp.open) {
		log_info("txn %llu: spooled message %s: delivery stopped by "
		    "shutdown; due again at the next start, attempt not "
		    "counted", (unsigned long long)t->id, fl.msgid);
		/* Give the row back to the other nodes now rather than when
		 * its lease ends (a no-op for a file).  After the close
		 * there is nothing to write to: the lease ends by itself. */
		if (sp.open && (op = new_op()) != NULL) {
			op->be.kind = SPOOL_OP_RELEASE;
			op->be.row = fl.row;
		}
		return;
	}
	if (o->status == GW_OK) {
		log_info("txn %llu: spooled message %s delivered after %u "
		    "attempt%s", (unsigned long long)t->id, fl.msgid,
		    fl.attempts + 1, fl.attempts == 0 ? "" : "s");
		if ((op = new_op()) != NULL) {
			op->be.kind = SPOOL_OP_DELETE;
			op->be.row = fl.row;
		}
		/* XMPP sender: the XEP-0184 receipt, now that it arrived. */
		if (t->origin == PROTO_XMPP && sp.xmpp != NULL)
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
			if ((op = new_op()) != NULL) {
				op->be.kind = SPOOL_OP_RETRY;
				op->be.row = fl.row;
				op->be.next_ms = now + (int64_t)wait;
				op->be.error = status_strreason(o->reason);
			}
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
	if ((op = new_op()) == NULL)
		return;
	op->be.row = fl.row;
	op->be.kind = SPOOL_OP_DELETE;
	if (fl.kind == SPOOL_NOTICE)
		return;		/* no notice about a notice */
	if (t->origin == PROTO_XMPP) {
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
	new_msgid(op->be.msgid);
	/* The notice goes to the From URI of the failed message, from
	 * the gateway's own address. */
	op->be.notice_from = sp.notice_from;
	op->be.kind = SPOOL_OP_NOTICE;
}

void
spool_delivery_done(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	delivery_done(t, o, r);
}

static char *
str_dup(const char *s)
{
	return s != NULL ? txn_strndup(s, strlen(s)) : NULL;
}

/* A due row -> a delivery transaction (in flight), or NULL. */
static struct gw_txn *
txn_of_row(const struct spool_be_row *r, struct policy_source *src,
    char *domain, size_t domainsz)
{
	struct gw_txn		*t;
	struct spool_flight	*f;
	char			 cid[SPOOL_ID_SIZE + CONF_STR_MAX + 2];
	int			 fam = r->src_family;

	t = txn_new(r->origin == 1 ? PROTO_XMPP : PROTO_SIP);
	if (t == NULL)
		return NULL;
	t->spool_row = r->row;
	t->from = str_dup(r->from_uri);
	t->xmpp_from = str_dup(r->xmpp_from);
	t->xmpp_id = str_dup(r->xmpp_id);
	t->want_receipt = r->want_receipt;
	t->max_forwards = r->max_forwards;
	t->dest = str_dup(r->dest);
	t->call_id = str_dup(r->call_id);
	t->content_type = str_dup(r->content_type);
	t->body_len = r->body_len;
	t->body = txn_strndup(r->body != NULL ? r->body : "", t->body_len);
	t->subject = str_dup(r->subject);
	t->lang = str_dup(r->lang);
	snprintf(cid, sizeof(cid), "%s@%s", r->msgid, t->rt->conf.domain);
	t->stable_call_id = txn_strndup(cid, strlen(cid));
	t->done = spool_delivery_done;
	/* The XMPP side answers from the JID the sender wrote to: its
	 * own state, made by it (without XMPP nobody can be answered). */
	if (t->origin == PROTO_XMPP && t->dest != NULL &&
	    sp.xmpp != NULL && sp.xmpp->adopt != NULL) {
		snprintf(cid, sizeof(cid), "%s@%s", t->dest,
		    t->rt->conf.xmpp_domain);
		if (sp.xmpp->adopt(t, cid) != 0) {
			txn_free(t);
			return NULL;
		}
	}
	memset(src, 0, sizeof(*src));
	src->proto = (enum proto)r->src_proto;
	if (r->src_addr != NULL && (fam == AF_INET || fam == AF_INET6) &&
	    r->src_addr_len == (fam == AF_INET ? 4u : 16u)) {
		src->family = fam;
		memcpy(src->addr, r->src_addr, r->src_addr_len);
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
	    t->stable_call_id == NULL) {
		txn_free(t);
		return NULL;
	}
	f = &sp.fl[sp.nfl++];
	f->row = t->spool_row;
	f->txn = t->id;
	f->created_ms = r->created_ms;
	f->attempts = r->attempts;
	f->kind = r->kind;
	snprintf(f->msgid, sizeof(f->msgid), "%s", r->msgid);
	return t;
}

static void
on_wake(void *arg)
{
	(void)arg;
	if (sp.next->nops > 0 || sp.next->nacc > 0)
		flush_batch();
	else
		schedule();
}

/*
 * Whether the outcome of a delivery of @row waits for a commit.  A claim
 * sent before that commit may return the row again (a backend hands a
 * node the rows it holds itself: gateway/spool_pg.c); it is not due.
 */
static bool
outcome_pending(int64_t row)
{
	for (size_t i = 0; i < sp.next->nops; i++)
		if (sp.next->ops[i].be.row == row)
			return true;
	for (size_t i = 0; sp.committing && i < sp.cur->nops; i++)
		if (sp.cur->ops[i].be.row == row)
			return true;
	return false;
}

/* One due row from the backend: a delivery to start, unless it is in
 * flight already.  Nothing starts here: the backend may be mid-query. */
static bool
on_row(const struct spool_be_row *r)
{
	struct spool_start	*s;
	struct gw_txn		*t;

	if (sp.nfl >= sp.limit)
		return false;
	if (flight_of(r->row) != NULL || outcome_pending(r->row))
		return true;
	s = &sp.starts[sp.nstarts];
	t = txn_of_row(r, &s->src, s->domain, sizeof(s->domain));
	if (t == NULL) {
		sp.short_of_txns = true;
		return false;
	}
	s->txn = t->id;
	s->notice = r->kind == SPOOL_NOTICE;
	sp.nstarts++;
	return sp.nfl < sp.limit;
}

/* The claim ended: start what it found, and wake for the next due row. */
static void
on_claimed(int64_t next_ms, int64_t total)
{
	size_t	 i, n = sp.nstarts;
	int64_t	 wait, idle = sp.be->idle_ms();

	sp.nstarts = 0;
	if (total >= 0)
		sp.rows = (uint64_t)total;
	for (i = 0; i < n; i++) {
		struct gw_txn *t = txn_get(sp.starts[i].txn);

		if (t == NULL)
			continue;
		log_info("txn %llu: spool delivery of %s to %s",
		    (unsigned long long)t->id, t->stable_call_id, t->dest);
		if (sp.starts[i].notice)
			relay_resubmit_direct(t, PROTO_SIP, t->dest);
		else
			relay_resubmit(t, &sp.starts[i].src);
	}
	sp.claiming = false;
	/*
	 * The next row's due time was read with the claim; it may have
	 * passed since (the clock moves while the rows found are
	 * started): then look again at once.  Taking it for "nothing due"
	 * slept the idle wait with that row due.
	 */
	wait = next_ms > 0 ? next_ms - now_ms() : idle;
	if (next_ms > 0 && wait <= 0)
		wait = 1;
	else if (wait <= 0 || wait > idle)
		wait = idle;
	if (sp.short_of_txns)
		wait = 1000;
	sp.short_of_txns = false;
	/* Asked again while claiming: look once more, from the loop. */
	if (sp.again)
		wait = 1;
	sp.again = false;
	arm_wake(wait);
}

/*
 * Ask the backend for what is due, within spool.max_inflight.  Rows are
 * gathered first and started once the backend is done with them: a
 * start may end at once (a bad number) and queue an outcome.  Not while
 * an outcome waits for its commit: the row would still look due.
 */
static void
schedule(void)
{
	size_t	 limit;

	if (!sp.open || sp.stopping || !sp.be->usable())
		return;
	if (sp.claiming || sp.committing || sp.next->nops > 0) {
		sp.again = true;
		return;
	}
	limit = (size_t)CONF->spool_max_inflight;
	if (limit > sp.flcap)
		limit = sp.flcap;
	if (sp.nfl >= limit)
		return;		/* an ending delivery calls again */
	sp.limit = limit;
	sp.claiming = true;
	sp.again = false;
	sp.nstarts = 0;
	sp.short_of_txns = false;
	if (sp.be->claim(limit - sp.nfl, now_ms(), on_row, on_claimed) != 0) {
		sp.claiming = false;
		arm_wake(1000);
	}
}

/* ------------------------------------------------------------- setup */

int
spool_init(const struct flow_loop *loop, void *be_root,
    const struct gw_conf *c, const struct relay_side *sip,
    const struct relay_side *xmpp)
{
	struct stat	 st;
	bool		 wanted = false;

	sp.loop = loop;
	sp.be_root = be_root;
	sp.sip = sip;
	sp.xmpp = xmpp;
	/* After a spool_close() (tests), start afresh. */
	sp.stopping = sp.claiming = sp.committing = sp.again = false;
	sp.be = c->spool_backend == CONF_SPOOL_POSTGRESQL ? &spool_pg_ops :
	    &spool_sqlite_ops;
	snprintf(sp.notice_from, sizeof(sp.notice_from), "sip:imgate@%s",
	    c->domain);
	sp.flcap = (size_t)c->spool_max_inflight;
	sp.opcap = sp.flcap + 1;
	sp.next = &sp.b[0];
	sp.cur = &sp.b[1];
	if ((sp.fl = calloc(sp.flcap, sizeof(*sp.fl))) == NULL ||
	    (sp.starts = calloc(sp.flcap, sizeof(*sp.starts))) == NULL ||
	    (sp.b[0].ops = calloc(sp.opcap, sizeof(struct spool_op))) ==
	    NULL ||
	    (sp.b[1].ops = calloc(sp.opcap, sizeof(struct spool_op))) ==
	    NULL ||
	    (sp.beops = calloc(sp.opcap, sizeof(*sp.beops))) == NULL)
		return -1;
	sp.commit_timer = flow_timer_new(loop);
	sp.wake_timer = flow_timer_new(loop);
	if (sp.commit_timer == NULL || sp.wake_timer == NULL)
		return -1;
	for (size_t i = 0; i < c->nroutes; i++)
		if (c->routes[i].mode == CONF_MODE_SAF)
			wanted = true;
	/* A database is always there to look at; a file maybe not. */
	if (!wanted && c->spool_backend == CONF_SPOOL_SQLITE &&
	    stat(c->spool_path, &st) != 0)
		return 0;	/* opened when a reload brings a route */
	if (!wanted && c->spool_backend == CONF_SPOOL_POSTGRESQL)
		return 0;
	if (spool_open(true) != 0)
		return -1;
	/* Rows left by the previous run: deliver them (at least once).
	 * A backend that is still connecting calls schedule() when it is
	 * ready. */
	schedule();
	return 0;
}

void
spool_close(void)
{
	sp.stopping = true;
	flush_batch();
	if (sp.open)
		sp.be->close();
	/* Outcomes that queued while the last commit ran. */
	if (sp.next->nops > 0 || sp.next->nacc > 0) {
		sp.open = false;
		flush_batch();
	}
	flow_timer_free(sp.loop, sp.commit_timer);
	flow_timer_free(sp.loop, sp.wake_timer);
	sp.commit_timer = sp.wake_timer = NULL;
	sp.open = false;
	for (size_t i = 0; i < 2; i++) {
		for (size_t j = 0; j < sp.b[i].nops; j++)
			free(sp.b[i].ops[j].notice);
		free(sp.b[i].ops);
		sp.b[i].ops = NULL;
		sp.b[i].nops = sp.b[i].nacc = 0;
	}
	sp.opcap = 0;
	free(sp.beops);
	free(sp.fl);
	free(sp.starts);
	sp.beops = NULL;
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
 * imgatectl's queue commands (gateway/ctl), through the backend's admin
 * operations (SQLite; the PostgreSQL backend offers none: SPOOL_ADMIN_
 * UNSUPPORTED, use psql).  The batch is handed to the backend first so
 * that the spool shows every message accepted so far (SQLite commits at
 * once).
 */
struct list_arg {
	spool_visit_fn	*fn;
	void		*arg;
};

static void
list_one(void *arg, const struct spool_be_entry *be)
{
	struct list_arg		*la = arg;
	struct spool_entry	 e;

	e.in_flight = flight_of(be->row) != NULL;
	e.id = be->msgid;
	e.created_ms = be->created_ms;
	e.next_ms = be->next_ms;
	e.attempts = be->attempts;
	e.notice = be->kind == SPOOL_NOTICE;
	e.dest = be->dest;
	e.last_error = be->last_error;
	e.body_len = be->body_len;
	la->fn(la->arg, &e);
}

int
spool_queue_list(const char *id, size_t max, spool_visit_fn *fn, void *arg)
{
	struct list_arg	 la = { fn, arg };

	if (!sp.open)
		return -1;
	if (sp.be->admin_list == NULL)
		return -2;
	flush_batch();
	return sp.be->admin_list(id, max, list_one, &la);
}

int64_t
spool_oldest_ms(void)
{
	if (!sp.open || sp.rows == 0 || sp.be->oldest_ms == NULL)
		return 0;
	return sp.be->oldest_ms();
}

/* Make @id due now, or drop it, unless it is being delivered. */
static enum spool_admin
admin_row(const char *id, bool drop)
{
	int64_t		 row;

	if (!sp.open)
		return SPOOL_ADMIN_NOT_FOUND;
	if (sp.be->admin_row == NULL || sp.be->admin_update == NULL)
		return SPOOL_ADMIN_UNSUPPORTED;
	flush_batch();
	if ((row = sp.be->admin_row(id)) < 0)
		return SPOOL_ADMIN_ERROR;
	if (row == 0)
		return SPOOL_ADMIN_NOT_FOUND;
	if (flight_of(row) != NULL)
		return SPOOL_ADMIN_BUSY;
	if (sp.be->admin_update(row, drop, now_ms()) != 0)
		return SPOOL_ADMIN_ERROR;
	return SPOOL_ADMIN_OK;
}

enum spool_admin
spool_queue_retry(const char *id)
{
	enum spool_admin r = admin_row(id, false);

	if (r == SPOOL_ADMIN_OK) {
		log_info("spool: %s made due now (imgatectl)", id);
		schedule();
	}
	return r;
}

enum spool_admin
spool_queue_drop(const char *id)
{
	enum spool_admin r = admin_row(id, true);

	if (r == SPOOL_ADMIN_OK) {
		log_warnx("spool: %s dropped (imgatectl)", id);
		if (sp.rows > 0)
			sp.rows--;
	}
	return r;
}
