/*
 * gateway/flow/txn.c - the transaction registry: id -> struct gw_txn.
 *
 * A hash table keyed by the 64-bit id (ids are never reused within a run,
 * so a stale id cannot find a newer transaction).  Each transaction owns
 * a timer of the loop (gateway/flow/loop.h) for its deadline; the
 * deadline callback runs on the loop like every other event.
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

static void
on_deadline(void *arg)
{
	struct gw_txn	*t = txn_get((uint64_t)(uintptr_t)arg);

	if (t != NULL && t->on_timeout != NULL)
		t->on_timeout(t);
}

void
txn_set_deadline(struct gw_txn *t, uint64_t ms, txn_timeout_cb *cb)
{
	if (t->timer == NULL)
		t->timer = flow_timer_new(txn_lp);
	if (t->timer == NULL) {
		log_warnx("txn %llu: cannot create timer",
		    (unsigned long long)t->id);
		return;
	}
	t->on_timeout = cb;
	/* The id, not the pointer, rides on the timer: a transaction
	 * freed meanwhile is not found. */
	flow_timer_set(txn_lp, t->timer, ms, on_deadline,
	    (void *)(uintptr_t)t->id);
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
	flow_timer_free(txn_lp, t->timer);
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
