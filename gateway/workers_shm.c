/*
 * gateway/workers_shm.c - the region the workers and the supervisor
 * share (gateway/workers_shm.h).
 */
#include <sys/mman.h>

#include <stddef.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/workers_shm.h"

static struct workers_shm_head	*shm_head;
static struct workers_shm_slot	*shm_slots;
static int			 shm_n;

void
workers_shm_create(int n)
{
	size_t	 hsz, sz;
	void	*p;

	if (n < 1 || n > WORKERS_SHM_MAX)
		fatalx("workers_shm_create: %d workers", n);
	/* The slots start on a cache line of their own. */
	hsz = (sizeof(*shm_head) + WORKERS_SHM_LINE - 1) /
	    WORKERS_SHM_LINE * WORKERS_SHM_LINE;
	sz = hsz + (size_t)n * sizeof(*shm_slots);
	/* Anonymous and shared: zeroed, inherited by every fork, gone with
	 * the last process.  Pages are only backed once written. */
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		fatal("mmap of %zu bytes for the workers' counters", sz);
	shm_head = p;
	shm_slots = (struct workers_shm_slot *)((char *)p + hsz);
	shm_n = n;
}

struct workers_shm_head *
workers_shm_head(void)
{
	return shm_head;
}

struct workers_shm_slot *
workers_shm_slot(int k)
{
	if (shm_slots == NULL || k < 0 || k >= shm_n)
		return NULL;
	return &shm_slots[k];
}

int
workers_shm_n(void)
{
	return shm_n;
}

void
workers_shm_overload_add(struct workers_shm_overload *a,
    const struct workers_shm_overload *b)
{
	a->refused_raw += b->refused_raw;
	a->refused_parsed += b->refused_parsed;
	a->dropped += b->dropped;
	a->batched += b->batched;
	a->held += b->held;
	a->udp_reads += b->udp_reads;
	a->udp_datagrams += b->udp_datagrams;
}

void
workers_shm_dns_add(struct dns_stats *a, const struct dns_stats *b)
{
	size_t	 i;

	a->queries_sent += b->queries_sent;
	for (i = 0; i < sizeof(a->answers) / sizeof(a->answers[0]); i++)
		a->answers[i] += b->answers[i];
	for (i = 0; i < sizeof(a->latency) / sizeof(a->latency[0]); i++)
		a->latency[i] += b->latency[i];
	a->latency_sum_ms += b->latency_sum_ms;
	a->cache_hits += b->cache_hits;
	a->coalesced += b->coalesced;
	a->failures += b->failures;
	a->dropped_unknown_id += b->dropped_unknown_id;
	a->dropped_question += b->dropped_question;
	a->dropped_case += b->dropped_case;
	a->dropped_malformed += b->dropped_malformed;
	a->case_fallbacks += b->case_fallbacks;
	a->refused += b->refused;
	a->port_changes += b->port_changes;
	a->server_retries += b->server_retries;
	a->entries += b->entries;
	a->bytes += b->bytes;
}
