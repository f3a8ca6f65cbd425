/*
 * gateway/txn.c - the transaction registry: id -> struct gw_txn.
 *
 * A hash table keyed by the 64-bit id (ids are never reused within a run,
 * so a stale id cannot find a newer transaction).  Each transaction owns
 * an su_timer for its deadline; the deadline callback runs on the loop
 * like every other event.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/dns.h"
#include "gateway/log.h"
#include "gateway/txn.h"

#define TXN_BUCKETS	4096

static su_root_t	*txn_root;
static struct gw_txn	*txn_buckets[TXN_BUCKETS];
static uint64_t		 txn_next_id = 1;
static size_t		 txn_n, txn_max;

int
txn_init(su_root_t *root, size_t max)
{
	txn_root = root;
	txn_max = max;
	return 0;
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
	txn_root = NULL;
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
	t->started_ms = dns_now_ms();
	t->rt = runtime_ref(runtime_current());
	t->route_idx = -1;
	t->fallback_next = -1;
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
on_deadline(su_root_magic_t *m, su_timer_t *timer, su_timer_arg_t *arg)
{
	struct gw_txn	*t = txn_get((uint64_t)(uintptr_t)arg);

	(void)m;
	(void)timer;
	if (t != NULL && t->on_timeout != NULL)
		t->on_timeout(t);
}

void
txn_set_deadline(struct gw_txn *t, uint64_t ms, txn_timeout_cb *cb)
{
	if (t->timer == NULL)
		t->timer = su_timer_create(su_root_task(txn_root), 0);
	if (t->timer == NULL) {
		log_warnx("txn %llu: cannot create timer",
		    (unsigned long long)t->id);
		return;
	}
	t->on_timeout = cb;
	/* The id, not the pointer, rides on the timer (style.md 6). */
	su_timer_set_interval(t->timer, on_deadline,
	    (su_timer_arg_t *)(uintptr_t)t->id, (su_duration_t)ms);
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
	lookup_cancel(t->lookup);
	siptarget_cancel(t->siptarget);
	free(t->hops);
	if (t->timer != NULL)
		su_timer_destroy(t->timer);
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
