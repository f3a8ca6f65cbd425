/*
 * gateway/notify.c - the delivery-notification correlation table (see
 * notify.h for its place in the flow).
 *
 * A flat array of xmpp.notify_max slots, searched linearly: a lookup
 * happens once per notification, not per message, and 4096 slots of a
 * few hundred bytes stay in cache-friendly reach.  A slot is free when
 * its expiry has passed; a put into a full table evicts the slot that
 * would expire first.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/notify.h"

static struct notify_entry	*notify_tab;
static size_t			 notify_cap;
static uint64_t			 notify_evicted;

int
notify_init(size_t cap)
{
	notify_fini();
	if (cap == 0)
		return 0;
	if ((notify_tab = calloc(cap, sizeof(*notify_tab))) == NULL) {
		log_warn("notify: %zu entries", cap);
		return -1;
	}
	notify_cap = cap;
	return 0;
}

void
notify_fini(void)
{
	free(notify_tab);
	notify_tab = NULL;
	notify_cap = 0;
}

static bool
notify_live(const struct notify_entry *e, uint64_t now_ms)
{
	return e->expires_ms > now_ms && e->bits != 0;
}

static struct notify_entry *
notify_find(enum notify_kind kind, const char *key, uint64_t now_ms)
{
	for (size_t i = 0; i < notify_cap; i++) {
		struct notify_entry *e = &notify_tab[i];

		if (notify_live(e, now_ms) && e->kind == kind &&
		    strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

int
notify_put(const struct notify_entry *e, uint64_t now_ms, uint64_t ttl_ms)
{
	struct notify_entry	*slot;

	if (notify_cap == 0 || e->bits == 0 ||
	    memchr(e->key, '\0', sizeof(e->key)) == NULL ||
	    memchr(e->peer, '\0', sizeof(e->peer)) == NULL ||
	    memchr(e->self, '\0', sizeof(e->self)) == NULL ||
	    memchr(e->orig_id, '\0', sizeof(e->orig_id)) == NULL)
		return -1;
	if ((slot = notify_find(e->kind, e->key, now_ms)) == NULL) {
		slot = &notify_tab[0];
		for (size_t i = 0; i < notify_cap; i++) {
			if (!notify_live(&notify_tab[i], now_ms)) {
				slot = &notify_tab[i];
				break;
			}
			if (notify_tab[i].expires_ms < slot->expires_ms)
				slot = &notify_tab[i];
		}
		/* Logged on the first eviction and every 1024th after: a
		 * flood must not become a flood of log lines. */
		if (notify_live(slot, now_ms) &&
		    (notify_evicted++ & 1023) == 0)
			log_info("notify: table full (%zu), forgetting %s "
			    "(%llu forgotten so far)", notify_cap, slot->key,
			    (unsigned long long)notify_evicted);
	}
	*slot = *e;
	slot->expires_ms = now_ms + ttl_ms;
	return 0;
}

bool
notify_take(enum notify_kind kind, const char *key, unsigned clear,
    uint64_t now_ms, struct notify_entry *out)
{
	struct notify_entry	*e;

	if (key == NULL || (e = notify_find(kind, key, now_ms)) == NULL)
		return false;
	*out = *e;
	e->bits &= ~clear;
	if (e->bits == 0)
		memset(e, 0, sizeof(*e));
	return true;
}

size_t
notify_count(uint64_t now_ms)
{
	size_t	 n = 0;

	for (size_t i = 0; i < notify_cap; i++)
		if (notify_live(&notify_tab[i], now_ms))
			n++;
	return n;
}
