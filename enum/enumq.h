/*
 * enum/enumq.h - the RFC 6116 / RFC 3402 resolution walk as a state machine.
 *
 * Second stage of the flow: routing/lookup has an AUS (routing/e164) and
 * wants a URI.  enumq walks the suffixes, the NAPTR RRsets, non-terminal
 * chains (with loop detection and a depth limit) and backs up into the
 * referring RRset when a branch fails.  It does no I/O: enumq_next() says
 * which NAPTR name to query, enumq_feed() takes the answer.  So the same
 * walk runs in imgated, in imgate-lookup and on canned answers in tests.
 */
#ifndef ENUM_ENUMQ_H
#define ENUM_ENUMQ_H

#include <stdbool.h>
#include <stdint.h>

#include "enum/dnsmsg.h"
#include "enum/dnsq.h"
#include "enum/e2u.h"
#include "enum/naptr.h"

#define ENUMQ_MAX_SUFFIXES	8
#define ENUMQ_MAX_DEPTH		17	/* max_chain + 1 frames at most */
#define ENUMQ_TRACE_QUERIES	32
#define ENUMQ_TRACE_DISCARDS	64

enum enumq_error {
	ENUMQ_OK = 0,
	ENUMQ_NO_DATA,		/* E_ENUM_NO_DATA */
	ENUMQ_NO_USABLE_RULE,	/* E_ENUM_NO_USABLE_RULE */
	ENUMQ_TEMPFAIL		/* E_DNS_TEMPFAIL */
};

/* Optional record of every step, for imgate-lookup and debug logs. */
struct enumq_discard {
	char		 owner[DNSMSG_NAME_MAX];
	int		 index;
	char		 reason[64];
};

struct enumq_trace {
	char			 queries[ENUMQ_TRACE_QUERIES][DNSMSG_NAME_MAX];
	size_t			 nqueries;
	struct enumq_discard	 discards[ENUMQ_TRACE_DISCARDS];
	size_t			 ndiscards;
};

struct enumq_params {
	const struct naptr_policy *policy;	/* borrowed for the walk */
	const char	*suffixes[ENUMQ_MAX_SUFFIXES];	/* borrowed */
	size_t		 nsuffixes;
	unsigned	 max_queries;		/* hard cap on NAPTR queries */
};

/* The selected record, copied out of the DNS answer. */
struct enumq_selected {
	char		 owner[DNSMSG_NAME_MAX];
	int		 index;
	uint16_t	 order;
	uint16_t	 preference;
	char		 flags[256];
	char		 services[256];
	char		 regexp[E2U_MAX_LEN + 1];
	char		 replacement[DNSMSG_NAME_MAX];
};

/** Empty @s (strings "", numbers 0) without zeroing its 2 KB. */
void	enumq_selected_clear(struct enumq_selected *s);


struct enumq_frame;

/*
 * Walk state.  Fields are private to enum/enumq.c; the struct is public so
 * that callers can embed it.  The caller owns it; enumq_free() releases
 * the frames.
 */
/* enumq_init() sets every field one by one: a new field goes there too. */
struct enumq {
	const struct enumq_params *params;
	char		 aus[32];
	struct enumq_trace *trace;		/* may be NULL */
	size_t		 suffix;		/* index in params->suffixes */
	struct enumq_frame *frames[ENUMQ_MAX_DEPTH];
	size_t		 depth;			/* frames in use */
	char		 pending[DNSMSG_NAME_MAX]; /* query to issue */
	/* Names already queried, as 64-bit hashes of their lower-case form
	 * (a loop check needs no more, and 34 names stay in 272 bytes). */
	uint64_t	 visited[ENUMQ_MAX_DEPTH * 2];
	size_t		 nvisited;
	/* the suffix's first key is visited but not hashed yet: it is,
	 * from frames[0]->owner, when a non-terminal is first checked */
	bool		 first_unhashed;
	unsigned	 nqueries;
	bool		 done;
	/* results */
	enum enumq_error error;
	bool		 any_rules;		/* some suffix had NAPTRs */
	bool		 any_tempfail;
	bool		 insecure;		/* an answer lacked AD */
	int64_t		 negative_ttl;		/* -1 unless NO_DATA */
	int64_t		 failure_ttl;		/* -1 unless TEMPFAIL */
	int64_t		 min_ttl;		/* of the RRsets used */
	char		 first_key[DNSMSG_NAME_MAX];
	char		 uri[E2U_MAX_LEN + 1];
	char		 enumservice[NAPTR_TYPE_MAX];
	struct enumq_selected selected;
	/* where the selected record is written: &selected, or the
	 * caller's (enumq_select_into()) */
	struct enumq_selected *selected_to;
};

/**
 * Start a walk for @aus.  @params and @trace are borrowed and must outlive
 * the walk.  Never fails; a first key that cannot be built ends the walk
 * with ENUMQ_NO_DATA.
 */
void enumq_init(struct enumq *q, const struct enumq_params *params,
    const char *aus, struct enumq_trace *trace);

/**
 * Write the selected record into @dst (borrowed; it must outlive the
 * walk) instead of q->selected, which then stays empty: the caller keeps
 * its own copy without copying 2 KB per walk.  @dst is cleared here.
 */
void enumq_select_into(struct enumq *q, struct enumq_selected *dst);

/**
 * What next?  @return the absolute name to query for NAPTR (borrowed from
 * @q, valid until the next call), or NULL when the walk is done (read
 * q->error and the result fields).
 */
const char *enumq_next(struct enumq *q);

/**
 * Feed the answer to the query enumq_next() asked for.  @res and its
 * answer are borrowed during the call only; what is kept is copied.
 */
void enumq_feed(struct enumq *q, const struct dnsq_result *res);

/** Release the frames (safe to call twice and after init only). */
void enumq_free(struct enumq *q);

/** "E_ENUM_NO_DATA" etc.; "OK" for ENUMQ_OK. */
const char *enumq_strerror(enum enumq_error e);

#endif /* ENUM_ENUMQ_H */
