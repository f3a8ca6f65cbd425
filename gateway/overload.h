/*
 * gateway/overload.h - when to shed new requests (RFC 6357), and the
 * RFC 7339 "oc" feedback that tells upstream peers how much to shed
 * themselves (imgate.conf(5) gateway.overload_lag_ms).
 *
 * Pure: no I/O, no clock, no allocation.  The edge (gateway/sipgw) feeds
 * it, every OVERLOAD_TICK_MS, how late its loop timer ran and how old
 * the oldest request waiting in its socket probably is; every
 * OVERLOAD_INTERVAL_MS the drop share moves: up by OVERLOAD_STEP_UP
 * points for each whole multiple of the limit that the worse of the two
 * reached (at most OVERLOAD_STEP_MULT_MAX steps), from the
 * OVERLOAD_STREAK-th such interval in a row on or at once when the
 * kernel dropped requests (at most OVERLOAD_MAX_DROP; while nothing is
 * shed, an interval younger than the one before does not count: that is
 * the backlog of a stall draining, a loop the host stopped for a while,
 * not a load the gateway cannot carry), down by
 * OVERLOAD_STEP_DOWN points once it is under three quarters of the
 * limit: the share settles where the oldest waiting request is about
 * the limit old.  While it sheds, an interval over the limit whose worst
 * is below the one before holds the share instead of climbing (the
 * queue is getting younger: what is shed already drains it; counted in
 * held).
 * overload_shed() then refuses that share of new requests, spread
 * evenly (a counter, not a coin: the share holds over any 100
 * requests).
 *
 * A request whose arrival the kernel stamped (SIP over UDP) is first
 * judged on its own by how long it waited (overload_shed_waited(), the
 * rule of CoDel, RFC 8289, applied to refusals; imgate.conf(5)
 * gateway.overload_wait_ms), then by the share: once requests have
 * waited longer than the target wait for OVERLOAD_INTERVAL_MS in a row
 * (a standing queue, not a burst that drains) and the last one waited
 * no less than the one that crossed the target (the queue is FIFO: one
 * that got younger meanwhile is the backlog of a stall draining on its
 * own, and the period starts again from there), every request that
 * waited longer than the target is refused, until one did not; within
 * OVERLOAD_INTERVAL_MS of that, the next one over the target is refused
 * at once.  A refusal costs a small fraction of a relayed request, so
 * the queue stays at the target, never empty while the load lasts, and
 * the gateway relays what its CPU allows; the share, which only moves in
 * steps of OVERLOAD_STEP_UP points every OVERLOAD_INTERVAL_MS, overshot
 * and undershot around that (bench/README.md), and with the queue held
 * at the target it stays at 0 unless the loop itself lags.  The share of
 * such requests refused, smoothed like the share (up at once, down
 * OVERLOAD_STEP_DOWN points an interval), counts in the share reported
 * to upstream peers and in the metrics (overload_share()).
 */
#ifndef GATEWAY_OVERLOAD_H
#define GATEWAY_OVERLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVERLOAD_TICK_MS	10
#define OVERLOAD_INTERVAL_MS	100
#define OVERLOAD_STEP_UP	5
#define OVERLOAD_STEP_DOWN	5
#define OVERLOAD_MAX_DROP	95
#define OVERLOAD_STREAK		2
#define OVERLOAD_STEP_MULT_MAX	4
/* The read rate that turns the queue's length into an age is taken over
 * the last this many ticks, not the last one: a worker that shares its
 * CPU with others runs in slices of a few milliseconds, and a tick that
 * follows a slice spent off the CPU read next to nothing, which made a
 * short queue look seconds old (and the share climb with nothing
 * late). */
#define OVERLOAD_RATE_TICKS	10
/* RFC 7339 oc-validity: how long an upstream peer applies our share. */
#define OVERLOAD_VALIDITY_MS	500
/* Kernel bookkeeping per queued datagram, added to its payload to tell
 * datagrams from bytes in the socket's receive queue (an estimate). */
#define OVERLOAD_DGRAM_OVERHEAD	768
/* The age the edge reports when the kernel dropped requests since the
 * last tick (its queue was full): over any limit. */
#define OVERLOAD_AGE_DROPPED	UINT32_MAX

struct overload {
	uint32_t	 limit_ms;	/* 0: off */
	uint32_t	 wait_ms;	/* overload_shed_waited()'s target */
	uint32_t	 drop;		/* share refused, percent */
	uint64_t	 interval_start;
	uint32_t	 worst_ms;	/* worst signal in this interval */
	uint32_t	 last_worst_ms;	/* ... in the one before */
	uint32_t	 streak;	/* intervals over the limit in a row */
	uint32_t	 acc;		/* overload_shed()'s even spread */
	uint64_t	 seq;		/* oc-seq: time the share changed */
	uint64_t	 shed;		/* requests refused, ever */
	uint64_t	 held;		/* climbs held: the queue drained */
	/* overload_shed_waited(): */
	uint64_t	 above_since_us; /* waits over the target since; 0 */
	uint64_t	 above_first_us; /* the wait that crossed it then */
	uint64_t	 shed_end_us;	/* when refusing by wait last ended */
	bool		 waited_shedding;
	uint32_t	 waited_seen;	/* judged in this interval */
	uint32_t	 waited_refused; /* ... and refused */
	uint32_t	 waited_share;	/* percent refused, smoothed */
};

/** Start at no shedding with @limit_ms (0: never shed). */
void overload_init(struct overload *o, uint32_t limit_ms);

/** A new limit (reload); the share carries on. */
void overload_set_limit(struct overload *o, uint32_t limit_ms);

/** The target wait of overload_shed_waited() (reload; 0: that rule is
 * off, the caller sheds by the share).  overload_init() sets 0. */
void overload_set_wait(struct overload *o, uint32_t wait_ms);

/**
 * One tick at @now_ms (milliseconds, any epoch): the loop ran @lag_ms
 * late and the oldest waiting request is @age_ms old.
 */
void overload_tick(struct overload *o, uint64_t now_ms, uint32_t lag_ms,
    uint32_t age_ms);

/**
 * Age of the oldest request in a receive queue of @queued_bytes, whose
 * next datagram has @next_len bytes, when @handled requests were read in
 * the last @ms milliseconds (the edge passes the sums of the last
 * OVERLOAD_RATE_TICKS ticks).  0 when @handled is 0: the edge measures a
 * queue left unread from one tick to the next itself.
 */
/**
 * The read rate over the last @ticks ticks (@handled[i] requests read in
 * @ms[i] milliseconds): the sums, into *@win_n and *@win_ms, of the
 * ticks in which something was read.  A tick in which nothing was read
 * is left out: an idle gateway's empty ticks would otherwise make the
 * first busy ones look slow, and the first queue of a burst (the
 * requests of one millisecond) look a hundred milliseconds old.  A
 * queue that stays unread is the edge's to time (see below).
 */
void overload_read_rate(const uint32_t *handled, const uint32_t *ms,
    size_t ticks, uint32_t *win_n, uint32_t *win_ms);

uint32_t overload_queue_age_ms(uint64_t queued_bytes, uint32_t next_len,
    uint32_t handled, uint32_t ms);

/** Refuse this new request?  Counts it in o->shed when so. */
bool overload_shed(struct overload *o);

/**
 * Refuse this new request, read at @now_us (microseconds, the epoch of
 * the arrival stamps; a clock set back meanwhile only delays refusing)
 * after it waited @waited_us in the socket?  The CoDel rule above;
 * counts it in o->shed when so.  Never with limit 0 (overload control
 * off) or target wait 0.
 */
bool overload_shed_waited(struct overload *o, uint64_t now_us,
    uint64_t waited_us);

/** The share of new requests refused lately, percent: the larger of
 * the share and the smoothed share of waited requests refused. */
uint32_t overload_share(const struct overload *o);

/**
 * RFC 7339 section 5.1: does an upstream peer ask for feedback?  It does
 * when its Via has an "oc" parameter (@has_oc) and its "oc-algo" (@algo,
 * NULL when absent, quoted or not) lists "loss", the algorithm imgate
 * answers with (and the one every peer supports, so an absent oc-algo
 * means it).
 */
bool overload_via_asks(bool has_oc, const char *algo);

/**
 * The Via parameters answering an upstream peer that asked (RFC 7339
 * section 5.2, "loss" algorithm), one per array slot as sofia-sip wants
 * them ("oc=20", "oc-validity=500", "oc-seq=1234.567",
 * "oc-algo=\"loss\"").  @return 0, or -1 if one does not fit (cannot happen).
 */
int overload_oc_params(const struct overload *o, char buf[4][40]);

#endif /* GATEWAY_OVERLOAD_H */
