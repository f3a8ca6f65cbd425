/*
 * enum/dnshealth.c - DNS server selection and health (see dnshealth.h).
 */
#include <string.h>

#include "enum/dnshealth.h"

void
dnshealth_init(struct dnshealth *h, size_t n, unsigned failures,
    uint64_t interval_ms, enum dnshealth_mode mode, uint64_t now)
{
	memset(h, 0, sizeof(*h));
	h->n = n < DNSHEALTH_MAX ? n : DNSHEALTH_MAX;
	for (size_t i = 0; i < h->n; i++)
		h->s[i].since = now;
	dnshealth_configure(h, failures, interval_ms, mode);
}

void
dnshealth_configure(struct dnshealth *h, unsigned failures,
    uint64_t interval_ms, enum dnshealth_mode mode)
{
	h->max_failures = failures > 0 ? failures : 1;
	h->interval_ms = interval_ms;
	h->mode = mode;
}

size_t
dnshealth_in_service(const struct dnshealth *h)
{
	size_t	 k = 0;

	for (size_t i = 0; i < h->n; i++)
		k += !h->s[i].down;
	return k;
}

int
dnshealth_pick(struct dnshealth *h, uint32_t tried)
{
	size_t	 start = 0, i, k;
	bool	 any = dnshealth_in_service(h) > 0;

	if (h->n == 0)
		return -1;
	/* Round-robin spreads first tries; retries hunt from the start. */
	if (h->mode == DNSHEALTH_ROUND_ROBIN && tried == 0)
		start = h->next % h->n;
	for (k = 0; k < h->n; k++) {
		i = (start + k) % h->n;
		if (tried & (UINT32_C(1) << i))
			continue;
		/* With none in service, every server is worth a try. */
		if (any && h->s[i].down)
			continue;
		if (h->mode == DNSHEALTH_ROUND_ROBIN && tried == 0)
			h->next = i + 1;
		return (int)i;
	}
	return -1;
}

static enum dnshealth_event
set_up(struct dnshealth_server *s, uint64_t now)
{
	s->consecutive = 0;
	if (!s->down)
		return DNSHEALTH_EV_NONE;
	s->down = false;
	s->since = now;
	return DNSHEALTH_EV_UP;
}

enum dnshealth_event
dnshealth_report(struct dnshealth *h, size_t i, enum dnshealth_outcome o,
    uint64_t now)
{
	struct dnshealth_server	*s;

	if (i >= h->n)
		return DNSHEALTH_EV_NONE;
	s = &h->s[i];
	s->queries++;
	if (o == DNSHEALTH_ANSWER) {
		/*
		 * A late answer to a query sent before the server went out
		 * does not bring it back: the probe does.  But when none is
		 * in service, queries go to servers that are out, and an
		 * answer then is as good as a probe.
		 */
		if (s->down && dnshealth_in_service(h) > 0)
			return DNSHEALTH_EV_NONE;
		return set_up(s, now);
	}
	s->failures++;
	if (s->down || ++s->consecutive < h->max_failures)
		return DNSHEALTH_EV_NONE;
	s->down = true;
	s->since = now;
	s->outages++;
	s->probe_at = now + h->interval_ms;
	return DNSHEALTH_EV_DOWN;
}

int
dnshealth_probe_due(struct dnshealth *h, uint64_t now)
{
	for (size_t i = 0; i < h->n; i++) {
		struct dnshealth_server *s = &h->s[i];

		if (s->down && !s->probing && s->probe_at <= now) {
			s->probing = true;
			s->probes++;
			return (int)i;
		}
	}
	return -1;
}

enum dnshealth_event
dnshealth_probe_result(struct dnshealth *h, size_t i,
    enum dnshealth_outcome o, uint64_t now)
{
	struct dnshealth_server	*s;

	if (i >= h->n)
		return DNSHEALTH_EV_NONE;
	s = &h->s[i];
	s->probing = false;
	if (o == DNSHEALTH_ANSWER)
		return set_up(s, now);
	s->probe_failures++;
	if (s->down)
		s->probe_at = now + h->interval_ms;
	return DNSHEALTH_EV_NONE;
}

uint64_t
dnshealth_next_probe(const struct dnshealth *h)
{
	uint64_t	 t = 0;

	for (size_t i = 0; i < h->n; i++) {
		const struct dnshealth_server *s = &h->s[i];

		if (s->down && !s->probing && (t == 0 || s->probe_at < t))
			t = s->probe_at;
	}
	return t;
}

const char *
dnshealth_strstate(const struct dnshealth_server *s)
{
	return s->down ? "down" : "up";
}
