/*
 * gateway/loop_su.c - gateway/flow/loop.h over su_root: each flow_timer
 * is one su_timer_t with the callback it was last armed with.
 */
#include <stdlib.h>
#include <time.h>

#include "gateway/dns.h"
#include "gateway/loop_su.h"

struct flow_timer {
	su_timer_t	*timer;
	flow_timer_fn	*fn;
	void		*arg;
};

static uint64_t
loop_su_now_ms(void *ctx)
{
	(void)ctx;
	return dns_now_ms();
}

static int64_t
loop_su_wall_ms(void *ctx)
{
	struct timespec	 ts;

	(void)ctx;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct flow_timer *
loop_su_timer_new(void *ctx)
{
	struct flow_timer	*tm;

	if ((tm = calloc(1, sizeof(*tm))) == NULL)
		return NULL;
	if ((tm->timer = su_timer_create(su_root_task(ctx), 0)) == NULL) {
		free(tm);
		return NULL;
	}
	return tm;
}

static void
on_timer(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	struct flow_timer	*tm = (struct flow_timer *)arg;

	(void)m;
	(void)t;
	tm->fn(tm->arg);
}

static void
loop_su_set(struct flow_timer *tm, uint64_t ms, flow_timer_fn *fn,
    void *arg)
{
	tm->fn = fn;
	tm->arg = arg;
	su_timer_set_interval(tm->timer, on_timer, (su_timer_arg_t *)tm,
	    (su_duration_t)ms);
}

static void
loop_su_cancel(struct flow_timer *tm)
{
	su_timer_reset(tm->timer);
}

static bool
loop_su_is_set(const struct flow_timer *tm)
{
	return su_timer_is_set(tm->timer) != 0;
}

static void
loop_su_free(struct flow_timer *tm)
{
	su_timer_destroy(tm->timer);
	free(tm);
}

static const struct flow_loop_ops loop_su_ops = {
	loop_su_now_ms, loop_su_wall_ms, loop_su_timer_new, loop_su_set,
	loop_su_cancel, loop_su_is_set,
	loop_su_free
};

void
loop_su_init(struct flow_loop *l, su_root_t *root)
{
	l->ops = &loop_su_ops;
	l->ctx = root;
}
