/*
 * gateway/flow/txn.c - the transaction registry: id -> struct gw_txn.
 *
 * A hash table keyed by the 64-bit id (ids are never reused within a run,
 * so a stale id cannot find a newer transaction).  The deadlines of all
 * transactions are one binary min-heap with one timer of the loop
 * (gateway/flow/loop.h) armed for the earliest: a timer per transaction
 * cost an allocation, a create, two sets and a destroy in the loop's
 * own heap for every message (bench/README.md).  The deadline callback
 * runs on the loop like every other event.  The heap holds at most one
 * entry per transaction, so the table's cap bounds it too.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/flow/txn.h"
#include "gateway/log.h"

#define TXN_BUCKETS	4096

static const struct flow_loop *txn_lp;
static const struct txn_observer txn_no_observer;
static const struct txn_observer *txn_obs = &txn_no_observer;
static struct gw_txn	*txn_buckets[TXN_BUCKETS];
static uint64_t		 txn_next_id = 1;
static size_t		 txn_n, txn_max;
/* The deadline heap (by deadline_ms), its timer and what it is armed
 * for (UINT64_MAX: not armed). */
static struct gw_txn	**txn_dl;
static size_t		 txn_dl_n, txn_dl_cap;
static struct flow_timer *txn_dl_timer;
static uint64_t		 txn_dl_armed = UINT64_MAX;

int
txn_init(const struct flow_loop *loop, size_t max)
{
	txn_lp = loop;
	txn_max = max;
	return 0;
}

void
txn_set_observer(const struct txn_observer *obs)
{
	txn_obs = obs != NULL ? obs : &txn_no_observer;
}

const struct txn_observer *
txn_observer(void)
{
	return txn_obs;
}

const struct flow_loop *
txn_loop(void)
{
	return txn_lp;
}

uint64_t
txn_now_ms(void)
{
	return flow_now_ms(txn_lp);
}

/*
 * limits.max_transactions reloads: a higher cap admits more at once, a
 * lower one refuses new messages until enough of those in flight end
 * (nothing in flight is cut short).  The table is a hash of chains, so
 * no memory depends on the cap.
 */
void
txn_set_max(size_t max)
{
	txn_max = max;
}

void
txn_fini(void)
{
	for (size_t i = 0; i < txn_dl_n; i++)
		txn_dl[i]->dl_pos = 0;
	free(txn_dl);
	txn_dl = NULL;
	txn_dl_n = txn_dl_cap = 0;
	if (txn_dl_timer != NULL)
		flow_timer_free(txn_lp, txn_dl_timer);
	txn_dl_timer = NULL;
	txn_dl_armed = UINT64_MAX;
	txn_lp = NULL;
	txn_obs = &txn_no_observer;
}

const char *
txn_strstate(enum txn_state st)
{
	static const char *const names[] = { "new", "routing", "resolving",
	    "sending", "spooling", "replied", "done" };

	return (unsigned)st <= TXN_DONE ? names[st] : "?";
}

void
txn_enter_state(struct gw_txn *t, enum txn_state st)
{
	if (log_enabled(LOG_L_DEBUG))
		log_debug("txn %llu: %s -> %s", (unsigned long long)t->id,
		    txn_strstate(t->state), txn_strstate(st));
	t->state = st;
}

struct gw_txn *
txn_new(enum proto origin)
{
	struct gw_txn	*t;
	size_t		 b;

	if (txn_n >= txn_max)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->id = txn_next_id++;
	t->origin = origin;
	t->state = TXN_NEW;
	t->started_ms = flow_now_ms(txn_lp);
	t->rt = runtime_ref(runtime_current());
	t->route_idx = -1;
	t->fallback_link = -1;
	t->max_forwards = TXN_MAX_FORWARDS;
	b = t->id % TXN_BUCKETS;
	t->hnext = txn_buckets[b];
	txn_buckets[b] = t;
	txn_n++;
	return t;
}

struct gw_txn *
txn_get(uint64_t id)
{
	struct gw_txn	*t;

	for (t = txn_buckets[id % TXN_BUCKETS]; t != NULL; t = t->hnext)
		if (t->id == id)
			return t;
	return NULL;
}

/* Heap slot @i holds @t. */
static void
dl_put(size_t i, struct gw_txn *t)
{
	txn_dl[i] = t;
	t->dl_pos = i + 1;
}

static void
dl_up(size_t i)
{
	struct gw_txn	*t = txn_dl[i];

	while (i > 0 && txn_dl[(i - 1) / 2]->deadline_ms > t->deadline_ms) {
		dl_put(i, txn_dl[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	dl_put(i, t);
}

static void
dl_down(size_t i)
{
	struct gw_txn	*t = txn_dl[i];

	for (;;) {
		size_t	 c = 2 * i + 1;

		if (c >= txn_dl_n)
			break;
		if (c + 1 < txn_dl_n &&
		    txn_dl[c + 1]->deadline_ms < txn_dl[c]->deadline_ms)
			c++;
		if (txn_dl[c]->deadline_ms >= t->deadline_ms)
			break;
		dl_put(i, txn_dl[c]);
		i = c;
	}
	dl_put(i, t);
}

/* Take @t out of the heap, if it is in. */
static void
dl_remove(struct gw_txn *t)
{
	size_t		 i = t->dl_pos - 1;
	struct gw_txn	*last;

	if (t->dl_pos == 0)
		return;
	t->dl_pos = 0;
	last = txn_dl[--txn_dl_n];
	if (last == t)
		return;
	dl_put(i, last);
	dl_up(i);
	dl_down(last->dl_pos - 1);
}

static void	on_deadlines(void *);

/*
 * The timer armed no later than the earliest deadline.  Only an earlier
 * deadline re-arms it: when the earliest one goes (its transaction
 * ended, as most do long before their deadline) the timer stays as it
 * was and, when it fires for nothing, is armed for the next one.  So
 * the loop's timer is set about once per deadline's length, not twice
 * per message.
 */
static void
dl_arm(void)
{
	uint64_t	 now, at;

	if (txn_dl_n == 0)
		return;
	at = txn_dl[0]->deadline_ms;
	if (at >= txn_dl_armed)
		return;
	now = flow_now_ms(txn_lp);
	flow_timer_set(txn_lp, txn_dl_timer, at > now ? at - now : 0,
	    on_deadlines, NULL);
	txn_dl_armed = at;
}

/*
 * Every deadline that has come, earliest first, one at a time: a
 * callback may end (and so take out of the heap) any transaction, or
 * set new deadlines.
 */
static void
on_deadlines(void *arg)
{
	(void)arg;
	txn_dl_armed = UINT64_MAX;
	while (txn_dl_n > 0 &&
	    txn_dl[0]->deadline_ms <= flow_now_ms(txn_lp)) {
		struct gw_txn	*t = txn_dl[0];

		dl_remove(t);
		if (t->on_timeout != NULL)
			t->on_timeout(t);
	}
	dl_arm();
}

void
txn_set_deadline(struct gw_txn *t, uint64_t ms, txn_timeout_cb *cb)
{
	if (txn_dl_timer == NULL)
		txn_dl_timer = flow_timer_new(txn_lp);
	if (t->dl_pos == 0 && txn_dl_n == txn_dl_cap && txn_dl_timer != NULL) {
		size_t		 cap = txn_dl_cap > 0 ? 2 * txn_dl_cap : 64;
		struct gw_txn	**dl = realloc(txn_dl, cap * sizeof(*dl));

		if (dl != NULL) {
			txn_dl = dl;
			txn_dl_cap = cap;
		}
	}
	if (txn_dl_timer == NULL || (t->dl_pos == 0 &&
	    txn_dl_n == txn_dl_cap)) {
		log_warnx("txn %llu: cannot create timer",
		    (unsigned long long)t->id);
		return;
	}
	t->on_timeout = cb;
	t->deadline_ms = flow_now_ms(txn_lp) + ms;
	if (t->dl_pos == 0) {
		txn_dl_n++;
		dl_put(txn_dl_n - 1, t);
	}
	dl_up(t->dl_pos - 1);
	dl_down(t->dl_pos - 1);
	dl_arm();
}

void
txn_finish(struct gw_txn *t, struct gw_outcome o)
{
	struct gw_reply	 r;
	txn_edge_fn	*abort = t->out_abort;
	txn_done_fn	*done = t->done;

	status_reply(&o, &r);
	if (txn_obs->finished != NULL)
		txn_obs->finished(t, &o, &r);
	/* Once: a hook that ends up here again finds them cleared. */
	t->out_abort = NULL;
	t->done = NULL;
	if (abort != NULL)
		abort(t);
	txn_enter_state(t, TXN_REPLIED);
	if (done != NULL)
		done(t, &o, &r);
	txn_enter_state(t, TXN_DONE);
	txn_free(t);
}

char *
txn_strndup(const char *s, size_t len)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
txn_free(struct gw_txn *t)
{
	struct gw_txn	**pp = &txn_buckets[t->id % TXN_BUCKETS];

	while (*pp != NULL && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp == t) {
		*pp = t->hnext;
		txn_n--;
	}
	resolve_cancel(t->resolve);
	free(t->hops);
	if (t->in.free != NULL)
		t->in.free(t);
	if (t->dl_pos != 0) {
		dl_remove(t);
		dl_arm();
	}
	free(t->dest);
	free(t->from);
	free(t->from_display);
	free(t->call_id);
	free(t->content_type);
	free(t->body);
	free(t->subject);
	free(t->lang);
	free(t->xmpp_from);
	free(t->xmpp_id);
	free(t->accept_key);
	free(t->stable_call_id);
	free(t->route);
	runtime_unref(t->rt);
	free(t);
}

struct txn_route *
txn_route_new(enum proto proto, const char *dest,
    const struct lookup_target *targets, size_t n)
{
	struct txn_route	*r;
	size_t			 len, hlen[LOOKUP_MAX_TARGETS], dlen, head;
	char			*p;

	if (n > LOOKUP_MAX_TARGETS)
		n = LOOKUP_MAX_TARGETS;
	head = sizeof(*r) + n * sizeof(r->targets[0]);
	dlen = strlen(dest) + 1;
	len = head + dlen;
	for (size_t i = 0; i < n; i++)
		len += hlen[i] = strlen(targets[i].host) + 1;
	if ((r = malloc(len)) == NULL)
		return NULL;
	r->proto = proto;
	r->ntargets = n;
	p = (char *)r + head;
	r->dest = memcpy(p, dest, dlen);
	p += dlen;
	for (size_t i = 0; i < n; i++) {
		r->targets[i].host = memcpy(p, targets[i].host, hlen[i]);
		r->targets[i].port = targets[i].port;
		p += hlen[i];
	}
	return r;
}

size_t
txn_count(void)
{
	return txn_n;
}

void
txn_foreach(void (*fn)(struct gw_txn *))
{
	for (size_t b = 0; b < TXN_BUCKETS; b++) {
		struct gw_txn *t = txn_buckets[b], *next;

		for (; t != NULL; t = next) {
			next = t->hnext;
			fn(t);
		}
	}
}
