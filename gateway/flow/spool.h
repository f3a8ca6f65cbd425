/*
 * gateway/flow/spool.h - store-and-forward: the durable queue between the
 * inbound sides and the relay.
 *
 * Where it sits: gateway/flow/relay routes a message as usual; when the route
 * that matched has mode "store-and-forward" it hands the transaction to
 * spool_accept() instead of forwarding it.  The spool writes the message
 * to its backend (gateway/spool_be.h: an SQLite file, or a PostgreSQL
 * database shared by several nodes) and, only once the COMMIT holding it
 * has succeeded,
 * lets the relay answer the sender (SIP 202 Accepted; an XMPP sender gets
 * nothing yet).  Delivery then runs from the spool: each due row becomes a
 * new transaction (t->spool_row set) that relay_resubmit() routes and
 * sends exactly like a relay-mode message, with the same ENUM/RFC 3861
 * walk re-evaluated on every attempt.  txn_finish() gives the outcome
 * back through spool_delivery_done(), the hook the spool sets on the
 * transactions it makes: delivered -> row deleted (an XMPP
 * sender that asked gets its XEP-0184 receipt now); temporary failure ->
 * retried with exponential backoff and jitter; permanent failure or
 * spool.max_age_s reached -> row deleted and the sender gets a failure
 * notice (SIP: a MESSAGE from sip:imgate@DOMAIN to its From URI, itself
 * spooled; XMPP: <message type='error'> with the original stanza id).
 *
 * Every message has one message id (32 hex digits) kept for its whole
 * life, derived from what identifies the sender's transaction
 * (gateway/spool_key.h: t->accept_key, kept in the row under a unique
 * index; random when the sender gave too little to tell a resend).  A
 * retransmission or resend of a message still in the spool, reaching
 * this or a later run, is answered 202 and stored nothing new.  Every
 * SIP attempt uses the Call-ID "<id>@<gateway.domain>" so that receivers
 * can drop duplicates: delivery is at least once (a crash between the
 * far end's 200 and the row's deletion repeats it).
 *
 * Durability: SQLite with journal_mode=WAL, synchronous=FULL.  FULL
 * makes every COMMIT fsync the WAL, so a 202 is never sent for a message
 * that a power cut could lose; NORMAL would only survive a crash of
 * imgated.  PostgreSQL: what the server's COMMIT promises (fsync,
 * synchronous_commit, synchronous standbys; docs/several-nodes.md).  The
 * flush is paid once per group commit: everything accepted (and every
 * outcome recorded) within spool.commit_ms shares one transaction.
 *
 * Nothing runs outside the one event loop (no worker threads:
 * docs/ARCHITECTURE.md, "One loop, one thread"): SQLite's calls are
 * synchronous and kept batched and cheap; PostgreSQL's are asynchronous on
 * the loop.  Memory: the rows waiting for a retry live only in the backend;
 * in memory are two batches (the one being committed and the next, at most
 * SPOOL_BATCH_MAX accepts and spool.max_inflight + 1 outcomes each) and the
 * deliveries in flight (at most spool.max_inflight as it was when the spool
 * was opened).
 */
#ifndef GATEWAY_FLOW_SPOOL_H
#define GATEWAY_FLOW_SPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "gateway/flow/loop.h"
#include "gateway/flow/relay.h"
#include "gateway/status.h"
#include "gateway/flow/txn.h"
#include "routing/policy.h"

/* Accepts (and outcomes) one transaction holds; a fuller batch is
 * committed at once. */
#define SPOOL_BATCH_MAX		512
/* Bytes of a message id, hex, plus NUL. */
#define SPOOL_ID_SIZE		33

/**
 * Prepare the spool on @loop (borrowed; its timers and wall clock);
 * @be_root is what the backend's open() gets (gateway/spool_be.h).  The
 * file @c->spool_path is opened now when a route uses store-and-forward
 * or the file exists (rows left by an earlier run are then scheduled:
 * crash recovery), otherwise on the first
 * message that needs it.  @sip and @xmpp (NULL without XMPP) are the sides
 * that answer senders, borrowed for the life of the daemon.
 * @return 0, or -1 (logged) when an existing spool cannot be opened.
 */
int spool_init(const struct flow_loop *loop, void *be_root,
    const struct gw_conf *c, const struct relay_side *sip,
    const struct relay_side *xmpp);

/**
 * Spool @t (routed to a store-and-forward route; @src borrowed for the
 * call).  The spool owns @t until the batch is committed, then ends it
 * with txn_finish(): GW_R_SPOOLED (202) on success, GW_R_SPOOL_FULL
 * or GW_R_SPOOL_ERROR (503 + Retry-After) otherwise.
 */
void spool_accept(struct gw_txn *t, const struct policy_source *src);

/**
 * The outcome @o (mapped as @r) of the delivery attempt @t
 * (t->spool_row != 0): the completion hook of the spool's deliveries,
 * called by txn_finish().  @t stays the caller's (txn_finish frees it).
 */
void spool_delivery_done(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r);

/**
 * Shutdown: commit what is pending now and answer its senders; start no
 * more deliveries (those in flight may still finish and be recorded).
 */
void spool_flush(void);

/** Close the file (after the last delivery transaction has ended). */
void spool_close(void);

/** Rows in the spool (committed), for logs and tests. */
uint64_t spool_count(void);

/**
 * The wait before the attempt after @attempts failed ones: @initial_ms
 * doubled per failure, capped at @max_ms, then reduced by up to a quarter
 * by @rnd (uniform 32-bit) so that messages that failed together do not
 * retry together.  Pure.
 * @return milliseconds, within [3/4 d, d] where d = min(max, initial *
 *         2^(attempts-1)); @attempts 0 counts as 1
 */
uint64_t spool_backoff_ms(uint64_t initial_ms, uint64_t max_ms,
    unsigned attempts, uint32_t rnd);

/**
 * Write the failure notice for a SIP sender into @buf (@bufsz bytes,
 * always NUL-terminated, cut when too long).  Pure.
 * @param dest      the destination the sender wrote (borrowed)
 * @param msgid     the spool message id (borrowed)
 * @param created_s when the message was accepted, seconds since the epoch
 * @param attempts  delivery attempts made
 * @param r         the mapped final outcome
 * @param why       status_strreason() of the final outcome
 * @return the length written
 */
size_t spool_notice_text(char *buf, size_t bufsz, const char *dest,
    const char *msgid, int64_t created_s, unsigned attempts,
    const struct gw_reply *r, const char *why);

/* ------------------------------------------------ control (imgatectl) */

/* One spooled message as the control socket shows it (all borrowed). */
struct spool_entry {
	const char	*id;		/* message id: the Call-ID local part */
	int64_t		 created_ms;	/* ms since the epoch */
	int64_t		 next_ms;	/* next attempt, ms since the epoch */
	int		 attempts;
	bool		 notice;	/* a failure notice to the sender */
	bool		 in_flight;	/* a delivery attempt is running */
	const char	*dest;
	const char	*last_error;	/* or NULL */
	int64_t		 body_len;
};

typedef void spool_visit_fn(void *arg, const struct spool_entry *e);

/**
 * Visit up to @max messages in the order they fall due (@id NULL), or
 * the one message @id.  @return how many were visited, -1 when the
 * spool is not open or cannot be read (logged), -2 when its backend
 * offers no queue commands (postgresql).
 */
int spool_queue_list(const char *id, size_t max, spool_visit_fn *fn,
    void *arg);

/** Creation time (ms since the epoch) of the oldest message in the
 * spool, 0 when it is empty or not open (a metrics scrape). */
int64_t spool_oldest_ms(void);

enum spool_admin { SPOOL_ADMIN_OK, SPOOL_ADMIN_NOT_FOUND,
    SPOOL_ADMIN_BUSY, SPOOL_ADMIN_ERROR, SPOOL_ADMIN_UNSUPPORTED };

/** Make message @id due now (a delivery starts on the loop's next turn);
 * BUSY while an attempt is running. */
enum spool_admin spool_queue_retry(const char *id);

/** Delete message @id without notice to anyone; BUSY while an attempt
 * is running. */
enum spool_admin spool_queue_drop(const char *id);

#endif /* GATEWAY_FLOW_SPOOL_H */
