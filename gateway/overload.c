/*
 * gateway/overload.c - the shedding share and RFC 7339 "oc" parameters
 * (gateway/overload.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway/overload.h"

void
overload_init(struct overload *o, uint32_t limit_ms)
{
	memset(o, 0, sizeof(*o));
	o->limit_ms = limit_ms;
}

void
overload_set_limit(struct overload *o, uint32_t limit_ms)
{
	o->limit_ms = limit_ms;
	if (limit_ms == 0)
		o->drop = 0;
}

void
overload_set_wait(struct overload *o, uint32_t wait_ms)
{
	o->wait_ms = wait_ms;
	if (wait_ms == 0) {
		o->above_since_us = o->shed_end_us = 0;
		o->waited_shedding = false;
	}
}

void
overload_tick(struct overload *o, uint64_t now_ms, uint32_t lag_ms,
    uint32_t age_ms)
{
	uint32_t	 worst = lag_ms > age_ms ? lag_ms : age_ms;
	uint32_t	 was = o->drop;

	if (worst > o->worst_ms)
		o->worst_ms = worst;
	/* A tick tells about the OVERLOAD_TICK_MS before it. */
	if (o->interval_start == 0)
		o->interval_start = now_ms - OVERLOAD_TICK_MS;
	if (now_ms - o->interval_start < OVERLOAD_INTERVAL_MS)
		return;
	if (o->limit_ms == 0)
		o->drop = 0;
	else if (o->worst_ms > o->limit_ms) {
		/*
		 * One stall (a reload, a big answer) is not overload: the
		 * second interval over the limit in a row is, and a socket
		 * that overflowed is at once.  Far over the limit the share
		 * climbs a step per multiple of it (up to
		 * OVERLOAD_STEP_MULT_MAX), so that the queue stops growing
		 * before the requests in it are older than the senders'
		 * retransmission timer; a refusal costs little
		 * (gateway/overload_sip), a late answer costs a
		 * retransmission.
		 */
		uint32_t mult = o->worst_ms / o->limit_ms;

		if (mult > OVERLOAD_STEP_MULT_MAX)
			mult = OVERLOAD_STEP_MULT_MAX;
		/*
		 * The queue answers a new share only as it drains: climbing
		 * on while it already gets younger overshoots, and the
		 * surplus shed is goodput lost until the share has come
		 * down again (5 points per interval).  Hold instead.
		 */
		if (o->worst_ms != OVERLOAD_AGE_DROPPED &&
		    o->worst_ms < o->last_worst_ms &&
		    (o->drop > 0 || o->streak > 0)) {
			/*
			 * Younger than the interval before.  Shedding: held
			 * (counted).  Not shedding: the backlog of one stall
			 * draining (a loop that stopped for a while: the
			 * host, a reload), which refusing would not help;
			 * the streak waits for an interval no younger.
			 */
			if (o->drop > 0) {
				o->streak++;
				o->held++;
			}
		} else if (++o->streak >= OVERLOAD_STREAK ||
		    o->worst_ms == OVERLOAD_AGE_DROPPED)
			o->drop = o->drop + OVERLOAD_STEP_UP * mult >
			    OVERLOAD_MAX_DROP ? OVERLOAD_MAX_DROP :
			    o->drop + OVERLOAD_STEP_UP * mult;
	} else if ((uint64_t)o->worst_ms * 4 < (uint64_t)o->limit_ms * 3)
		o->drop = o->drop < OVERLOAD_STEP_DOWN ? 0 :
		    o->drop - OVERLOAD_STEP_DOWN;
	if (o->worst_ms <= o->limit_ms)
		o->streak = 0;
	/* The waited requests' share: up at once, down a step at most. */
	if (o->waited_seen > 0 || o->waited_share > 0) {
		uint32_t now_share = o->waited_seen == 0 ? 0 :
		    (uint32_t)((uint64_t)o->waited_refused * 100 /
		    o->waited_seen);
		uint32_t wwas = o->waited_share;

		if (o->limit_ms == 0)
			o->waited_share = 0;
		else if (now_share >= o->waited_share)
			o->waited_share = now_share;
		else
			o->waited_share = o->waited_share - now_share >
			    OVERLOAD_STEP_DOWN ? o->waited_share -
			    OVERLOAD_STEP_DOWN : now_share;
		if (o->waited_share != wwas)
			o->seq = now_ms;
		o->waited_seen = o->waited_refused = 0;
	}
	if (o->drop != was)
		o->seq = now_ms;
	o->last_worst_ms = o->worst_ms;
	o->worst_ms = 0;
	o->interval_start = now_ms;
}

void
overload_read_rate(const uint32_t *handled, const uint32_t *ms,
    size_t ticks, uint32_t *win_n, uint32_t *win_ms)
{
	uint64_t	 n = 0, t = 0;

	for (size_t i = 0; i < ticks; i++)
		if (handled[i] > 0) {
			n += handled[i];
			t += ms[i];
		}
	*win_n = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	*win_ms = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

uint32_t
overload_queue_age_ms(uint64_t queued_bytes, uint32_t next_len,
    uint32_t handled, uint32_t ms)
{
	uint64_t	 waiting;

	if (queued_bytes == 0)
		return 0;
	waiting = queued_bytes / ((uint64_t)next_len + OVERLOAD_DGRAM_OVERHEAD);
	if (waiting == 0)
		waiting = 1;
	/*
	 * Nothing read lately: no rate to divide by.  An idle gateway's
	 * first datagram looks like that too (it arrived just before the
	 * tick), so this is not "as old as the period": the caller counts
	 * how long a queue stays unread across ticks instead.
	 */
	if (handled == 0)
		return 0;
	waiting = waiting * ms / handled;
	return waiting > UINT32_MAX ? UINT32_MAX : (uint32_t)waiting;
}

bool
overload_shed(struct overload *o)
{
	if (o->drop == 0)
		return false;
	/* Bresenham: drop out of every 100 requests, evenly spread. */
	o->acc += o->drop;
	if (o->acc < 100)
		return false;
	o->acc -= 100;
	o->shed++;
	return true;
}

bool
overload_shed_waited(struct overload *o, uint64_t now_us,
    uint64_t waited_us)
{
	uint64_t	 standing_us = (uint64_t)OVERLOAD_INTERVAL_MS * 1000;
	uint64_t	 target_us = (uint64_t)o->wait_ms * 1000;

	if (o->limit_ms == 0 || target_us == 0) {
		o->above_since_us = 0;
		o->waited_shedding = false;
		return false;
	}
	if (o->waited_seen < UINT32_MAX)
		o->waited_seen++;
	if (waited_us <= target_us) {
		/* The queue is short again: whatever stood is gone. */
		if (o->waited_shedding)
			o->shed_end_us = now_us;
		o->above_since_us = 0;
		o->waited_shedding = false;
		return false;
	}
	/*
	 * Over the target: a standing queue once it has been for
	 * OVERLOAD_INTERVAL_MS, or at once when refusing stopped less than
	 * that ago (the load that made it stand goes on: waiting for it
	 * to stand that long again would let the queue grow by as much
	 * every time the target is crossed).
	 */
	if (o->above_since_us == 0) {
		o->above_since_us = now_us;
		o->above_first_us = waited_us;
	}
	if (o->shed_end_us != 0 && now_us >= o->shed_end_us &&
	    now_us - o->shed_end_us < standing_us)
		o->waited_shedding = true;
	else if (!o->waited_shedding && now_us >= o->above_since_us &&
	    now_us - o->above_since_us >= standing_us) {
		/*
		 * Stood over the target for OVERLOAD_INTERVAL_MS.  Unless
		 * the queue is younger now than when it crossed: FIFO, so
		 * that is a backlog draining on its own (the loop stopped
		 * for a while, the host took the CPU), not a load the
		 * gateway cannot carry, which makes the queue older and
		 * older.  Then a new period starts from here.
		 */
		if (waited_us < o->above_first_us) {
			o->above_since_us = now_us;
			o->above_first_us = waited_us;
		} else
			o->waited_shedding = true;
	}
	if (!o->waited_shedding)
		return false;
	if (o->waited_refused < UINT32_MAX)
		o->waited_refused++;
	o->shed++;
	return true;
}

uint32_t
overload_share(const struct overload *o)
{
	return o->drop > o->waited_share ? o->drop : o->waited_share;
}

bool
overload_via_asks(bool has_oc, const char *algo)
{
	const char	*p;

	if (!has_oc)
		return false;
	if (algo == NULL)
		return true;
	for (p = algo; *p != '\0'; ) {
		size_t	 n;

		p += strspn(p, "\", \t");
		n = strcspn(p, "\", \t");
		if (n == 4 && strncasecmp(p, "loss", 4) == 0)
			return true;
		p += n;
	}
	return false;
}

int
overload_oc_params(const struct overload *o, char buf[4][40])
{
	if (snprintf(buf[0], 40, "oc=%u", overload_share(o)) >= 40 ||
	    snprintf(buf[1], 40, "oc-validity=%u", OVERLOAD_VALIDITY_MS) >=
	    40 ||
	    snprintf(buf[2], 40, "oc-seq=%llu.%03llu",
	    (unsigned long long)(o->seq / 1000),
	    (unsigned long long)(o->seq % 1000)) >= 40 ||
	    snprintf(buf[3], 40, "oc-algo=\"loss\"") >= 40)
		return -1;
	return 0;
}
