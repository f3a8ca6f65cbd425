/*
 * gateway/flow/loop.h - what the middle needs of an event loop: the time
 * and one-shot timers.
 *
 * The middle (gateway/flow) runs on the daemon's one loop but must not
 * see it: the daemon implements this over sofia-sip's su_root
 * (gateway/loop_su.c) and tests implement it over virtual time
 * (tests/unit/test_flow.c), so that a transaction's deadlines, retries
 * and cancellations run the same code in both, and a test can jump an
 * hour ahead in a microsecond.  Every timer fires from the loop, never
 * from inside the call that armed it.
 */
#ifndef GATEWAY_FLOW_LOOP_H
#define GATEWAY_FLOW_LOOP_H

#include <stdbool.h>
#include <stdint.h>

/* A one-shot timer; owned by whoever created it (flow_timer_free). */
struct flow_timer;

typedef void flow_timer_fn(void *arg);

struct flow_loop_ops {
	/* Monotonic milliseconds (transaction deadlines, rate limits). */
	uint64_t		 (*now_ms)(void *ctx);
	/* Milliseconds since 1970 (spool rows outlive the process). */
	int64_t			 (*wall_ms)(void *ctx);
	/* A disarmed timer, or NULL when memory is short. */
	struct flow_timer	*(*timer_new)(void *ctx);
	/* (Re)arm @tm to call @fn(@arg) once, @ms from now. */
	void			 (*timer_set)(struct flow_timer *tm,
				    uint64_t ms, flow_timer_fn *fn, void *arg);
	/* Disarm (nothing is called); harmless when not armed. */
	void			 (*timer_cancel)(struct flow_timer *tm);
	bool			 (*timer_is_set)(const struct flow_timer *tm);
	/* Disarm and free; NULL is ignored. */
	void			 (*timer_free)(struct flow_timer *tm);
};

/* A loop: its operations and their context (both borrowed). */
struct flow_loop {
	const struct flow_loop_ops	*ops;
	void				*ctx;
};

static inline uint64_t
flow_now_ms(const struct flow_loop *l)
{
	return l->ops->now_ms(l->ctx);
}

static inline int64_t
flow_wall_ms(const struct flow_loop *l)
{
	return l->ops->wall_ms(l->ctx);
}

static inline struct flow_timer *
flow_timer_new(const struct flow_loop *l)
{
	return l->ops->timer_new(l->ctx);
}

static inline void
flow_timer_set(const struct flow_loop *l, struct flow_timer *tm,
    uint64_t ms, flow_timer_fn *fn, void *arg)
{
	l->ops->timer_set(tm, ms, fn, arg);
}

static inline void
flow_timer_cancel(const struct flow_loop *l, struct flow_timer *tm)
{
	l->ops->timer_cancel(tm);
}

static inline bool
flow_timer_is_set(const struct flow_loop *l, const struct flow_timer *tm)
{
	return l->ops->timer_is_set(tm);
}

static inline void
flow_timer_free(const struct flow_loop *l, struct flow_timer *tm)
{
	if (tm != NULL)
		l->ops->timer_free(tm);
}

#endif /* GATEWAY_FLOW_LOOP_H */
