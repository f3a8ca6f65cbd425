/*
 * gateway/workers_shm.h - what the workers and the supervisor share: one
 * MAP_SHARED region made before the first fork (imgated(8) PROCESSES).
 *
 * Beside the flow.  Each worker owns one slot, a block of whole cache
 * lines that only it writes, except the fields marked "supervisor" or
 * "worker 0", which sit on lines of their own so that the writers never
 * share a line.  The message path writes its counters there
 * (gateway/metrics counts into its slot instead of a static block: the
 * same increments, no lock, no system call); the 200 ms tick of each
 * worker copies the rest (resolver statistics, transactions in flight,
 * loop lag) into the slot.  Worker 0, which serves /metrics and the
 * control socket, reads every slot and sums them.  Readers see each
 * 64-bit counter whole (aligned stores), not a snapshot of all at one
 * instant: a scrape may be a few increments behind on some counters.
 *
 * A slot outlives its worker: a restarted worker counts on from where the
 * dead one stopped, and the supervisor folds the dead worker's resolver
 * counters into the slot's retired ones, so the sums never go back.
 *
 * The rare commands ride on the region too, polled by the tick: reload
 * (worker 0 asks, the supervisor validates, every worker applies the one
 * configuration the supervisor wrote here, the supervisor writes the one
 * verdict), and cache dump / flush (worker 0 posts them in each slot's
 * mailbox, each worker answers in its slot).
 */
#ifndef GATEWAY_WORKERS_SHM_H
#define GATEWAY_WORKERS_SHM_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "gateway/dns.h"
#include "gateway/metrics_counters.h"

#define WORKERS_SHM_LINE	64
/* Slots at most: gateway/workers' WORKERS_MAX, which is checked against
 * this one there (this header does not include the supervisor's). */
#define WORKERS_SHM_MAX		64
#define WORKERS_SHM_VERDICT	512
#define WORKERS_SHM_SERVERS	16
/* A worker's answer to "cache dump" (JSON text); longer is cut. */
#define WORKERS_SHM_DUMP	(256 * 1024)

enum workers_shm_cmd {
	WORKERS_SHM_FLUSH = 1,		/* the whole cache */
	WORKERS_SHM_FLUSH_NAME,		/* the entries of one name */
	WORKERS_SHM_DUMP_CMD		/* the entries as a JSON array */
};

/* Overload control's counters (gateway/sipgw), as a worker publishes
 * them; share is a gauge, the others count from the worker's start. */
struct workers_shm_overload {
	uint64_t	 share;		/* percent of new requests refused */
	uint64_t	 refused_raw;	/* 503 before parsing */
	uint64_t	 refused_parsed;	/* 503 by the SIP stack */
	uint64_t	 dropped;	/* consumed, the 503 not sent */
	uint64_t	 batched;	/* read on after a refusal */
	uint64_t	 held;		/* climbs held: the queue drained */
	uint64_t	 udp_reads;	/* read calls on own UDP sockets */
	uint64_t	 udp_datagrams;	/* datagrams those calls read */
};

struct workers_shm_slot {
	/* supervisor: who runs in this slot */
	_Alignas(WORKERS_SHM_LINE) int64_t pid;	/* 0: not running */
	uint64_t	 restarts;
	int64_t		 started_s;		/* wall clock, this pid */
	struct dns_stats retired_dns;		/* dead workers' counters */
	struct workers_shm_overload retired_overload;	/* likewise */

	/* the worker: the message path's counters */
	_Alignas(WORKERS_SHM_LINE) struct metrics_counters mc;

	/* the worker, from its tick */
	_Alignas(WORKERS_SHM_LINE) uint64_t tick_ms;	/* last publication */
	struct dns_stats dns;
	struct dns_server_stats servers[WORKERS_SHM_SERVERS];
	uint64_t	 nservers;
	uint64_t	 transactions;
	uint64_t	 lag_ms;		/* the last tick's lateness */
	uint64_t	 lag_max_ms;		/* since the worker started */
	uint64_t	 generation;		/* of its configuration */
	uint64_t	 cpu_us;		/* user + system */
	uint64_t	 rss_bytes;
	struct workers_shm_overload overload;	/* gateway/sipgw's */
	uint64_t	 reload_seen;		/* the supervisor's seq done */
	int64_t		 reload_rc;
	char		 reload_verdict[WORKERS_SHM_VERDICT];

	/* worker 0: a command for this worker */
	_Alignas(WORKERS_SHM_LINE) uint64_t cmd_seq;
	int64_t		 cmd;			/* enum workers_shm_cmd */
	char		 cmd_name[CONF_STR_MAX];

	/* the worker: its answer to cmd_seq */
	_Alignas(WORKERS_SHM_LINE) uint64_t cmd_done;
	uint64_t	 cmd_count;		/* entries flushed / dumped */
	char		 cmd_out[WORKERS_SHM_DUMP];
};

struct workers_shm_head {
	/* requesters (worker 0's control socket): reloads asked for */
	_Alignas(WORKERS_SHM_LINE) uint64_t reload_req;

	/* supervisor */
	_Alignas(WORKERS_SHM_LINE) uint64_t reload_seq;	/* to apply */
	uint64_t	 reload_answered;	/* requests up to this one */
	int64_t		 reload_rc;
	char		 reload_verdict[WORKERS_SHM_VERDICT];
	/* The configuration of reload_seq, in conf[reload_seq & 1]: the
	 * supervisor writes the other one for the next reload. */
	struct gw_conf	 conf[2];
};

/**
 * Make the region for @n workers (1..WORKERS_SHM_MAX), zeroed; before the
 * first fork.  fatal() on failure (start-up).
 */
void workers_shm_create(int n);

/** The region's head, or NULL before workers_shm_create(). */
struct workers_shm_head *workers_shm_head(void);

/** Slot @k (0..n-1), or NULL. */
struct workers_shm_slot *workers_shm_slot(int k);

/** Slots in the region (0 before workers_shm_create()). */
int workers_shm_n(void);

/** @a += @b, counter by counter (the gauges entries/bytes too). */
void workers_shm_dns_add(struct dns_stats *a, const struct dns_stats *b);

/** @a += @b for overload control's counters; the gauge share is left
 * as it is (a sum of shares means nothing). */
void workers_shm_overload_add(struct workers_shm_overload *a,
    const struct workers_shm_overload *b);

#endif /* GATEWAY_WORKERS_SHM_H */
