/*
 * gateway/metrics_counters.h - the message path's counters as they lie
 * in memory: plain structs, no functions.
 *
 * A leaf: gateway/metrics counts into and renders these blocks, and
 * gateway/workers_shm gives each worker one in its slot of the shared
 * region.  Both include this header; neither includes the other's for
 * it, so the region (below) does not depend on the renderer (above).
 */
#ifndef GATEWAY_METRICS_COUNTERS_H
#define GATEWAY_METRICS_COUNTERS_H

#include <stdint.h>

#include "gateway/status.h"
#include "routing/lookup.h"

#define METRICS_MAX_ROUTES	64
#define METRICS_NCLASS		7	/* 1xx..6xx, other */
#define METRICS_NPROTO		2	/* sip, xmpp */
#define METRICS_NOUTCOME	3	/* ok, tempfail, permfail */
#define METRICS_NLOOKUP		(LOOKUP_E_DNS_TEMPFAIL + 1)
#define METRICS_NB		14	/* latency buckets (metrics.c) */
#define METRICS_NSTREAMCAP	3	/* depth, size, restricted */

struct metrics_hist {
	uint64_t	 counts[METRICS_NB + 1];
	double		 sum;
};

struct metrics_route {
	char		 name[64];
	uint64_t	 n[METRICS_NOUTCOME];
};

/* What the message path counts: one block per worker, in its slot. */
struct metrics_counters {
	uint64_t		 in[METRICS_NPROTO][METRICS_NCLASS];
	uint64_t		 out[METRICS_NPROTO][METRICS_NCLASS];
	uint64_t		 reason[GW_REASON_COUNT];
	uint64_t		 spool_deliveries[METRICS_NOUTCOME];
	uint64_t		 lookups[METRICS_NLOOKUP];
	uint64_t		 component_connects;
	/* Component streams closed for a cap (gateway/xmlguard), and the
	 * stanzas taken back from a broken connection (gateway/xmppgw). */
	uint64_t		 component_refused[METRICS_NSTREAMCAP];
	uint64_t		 component_taken_back;
	/* Route names in the order first seen; the last one collects
	 * the names past the cap, as "other". */
	struct metrics_route	 routes[METRICS_MAX_ROUTES + 1];
	uint64_t		 nroutes;
	/* path: [origin][destination protocol] */
	struct metrics_hist	 latency[METRICS_NPROTO][METRICS_NPROTO];
};

#endif /* GATEWAY_METRICS_COUNTERS_H */
