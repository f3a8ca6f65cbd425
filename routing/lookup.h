/*
 * routing/lookup.h - one destination resolved the way imgated routes it.
 *
 * The composition of the resolution stages: routing/e164 (input -> AUS),
 * enum/enumq (AUS -> URI through ENUM), routing/rfc3861 (im: URI -> IM
 * protocol and ordered servers).  DNS goes through a struct dnsq_ops, so
 * imgated (gateway/dns on the one loop) and imgate-lookup run this same
 * code.  An input that already is an im: URI skips the ENUM part.
 */
#ifndef ROUTING_LOOKUP_H
#define ROUTING_LOOKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/proto.h"
#include "enum/dnsq.h"
#include "enum/enumq.h"
#include "enum/naptr.h"
#include "routing/rfc3861.h"
#include "routing/siptarget.h"

enum lookup_error {
	LOOKUP_OK = 0,
	LOOKUP_E_INVALID_NUMBER,
	LOOKUP_E_NOT_E164,
	LOOKUP_E_NUMBER_TOO_LONG,
	LOOKUP_E_ENUM_NO_DATA,
	LOOKUP_E_ENUM_NO_USABLE_RULE,
	LOOKUP_E_DNS_TEMPFAIL,
	LOOKUP_E_INVALID_IM_URI,
	LOOKUP_E_IM_NO_COMMON_PROTOCOL
};

enum lookup_dnssec { LOOKUP_DNSSEC_OFF, LOOKUP_DNSSEC_PREFER,
    LOOKUP_DNSSEC_REQUIRE };

#define LOOKUP_MAX_TARGETS	16
#define LOOKUP_URI_MAX		(E2U_MAX_LEN + 1)

struct lookup_params {
	struct naptr_policy	 policy;
	struct enumq_params	 enum_params;	/* .policy set by lookup */
	unsigned		 input_forms;	/* E164_FORM_* */
	unsigned		 max_digits;
	enum proto	 protocols[2];	/* RFC 3861 preference */
	size_t			 nprotocols;
	enum proto	 implicit;	/* A-record fallback or NONE */
	unsigned		 max_queries;	/* all queries of one lookup */
	unsigned		 max_targets;
	enum lookup_dnssec	 dnssec;
	rfc3861_rng		*rng;
	void			*rngarg;
};

struct lookup_target {
	char		 host[DNSMSG_NAME_MAX];	/* absolute */
	uint16_t	 port;
	uint16_t	 priority;
	uint16_t	 weight;
};

/* The RFC 3263 steps of a SIP route's targets, in the relay's order
 * (gateway/explain walks them through routing/resolve). */
struct lookup_sip_trace {
	bool			 ran;
	char			 uri[LOOKUP_URI_MAX + 16];	/* first */
	struct rfc3263_plan	 plan;			/* of the first */
	enum siptarget_error	 error;
	struct siptarget_query	 queries[SIPTARGET_MAX_QUERIES * 2];
	size_t			 nqueries;
	struct siptarget_hop	 hops[SIPTARGET_MAX_HOPS];
	size_t			 nhops;
};

struct lookup_trace {
	struct enumq_trace	 enumq;
	char			 srv_queries[8][DNSMSG_NAME_MAX];
	size_t			 nsrv_queries;
	struct lookup_sip_trace	 sip;
};

/* lookup.c's result_init() sets every field: a new field goes there too. */
struct lookup_result {
	enum lookup_error	 error;
	char			 input[LOOKUP_URI_MAX];
	char			 aus[32];
	char			 first_key[DNSMSG_NAME_MAX];
	bool			 enum_done;	/* ENUM ran and chose */
	char			 uri[LOOKUP_URI_MAX];
	char			 enumservice[NAPTR_TYPE_MAX];
	struct enumq_selected	 selected;
	enum proto	 protocol;
	char			 srv_owner[DNSMSG_NAME_MAX];
	struct lookup_target	 targets[LOOKUP_MAX_TARGETS];
	size_t			 ntargets;
	bool			 implicit;
	char			 request_uri[LOOKUP_URI_MAX + 8];
	char			 xmpp_to[LOOKUP_URI_MAX];
	int64_t			 negative_ttl;	/* -1: none */
	int64_t			 failure_ttl;	/* -1: none */
	int64_t			 min_ttl;	/* of everything used; -1 */
	enum { LOOKUP_SEC_INDETERMINATE, LOOKUP_SEC_SECURE,
	    LOOKUP_SEC_INSECURE, LOOKUP_SEC_BOGUS } dnssec;
	unsigned		 nqueries;
};

struct lookup;

/*
 * Completion: called exactly once, unless the lookup is cancelled first.
 * @res is borrowed for the call; the lookup frees itself afterwards.
 */
typedef void lookup_done_cb(void *arg, const struct lookup_result *res);

/**
 * Resolve @input (number, tel:, sip:, sips:, im: URI).
 * @params, @ops and @trace (may be NULL) are borrowed until completion.
 * @return a handle for lookup_cancel(), or NULL when the lookup already
 *         completed (the callback has run) before returning.
 */
struct lookup *lookup_start(const struct lookup_params *params,
    const struct dnsq_ops *ops, const char *input, struct lookup_trace *trace,
    lookup_done_cb *cb, void *arg);

/** Forget @lk: its callback will not run; memory is reclaimed once the
 * query in flight (if any) completes. */
void lookup_cancel(struct lookup *lk);

/** Fill @p with the built-in defaults (docs/resolution-policy.md). */
void lookup_params_default(struct lookup_params *p);

/** "E_ENUM_NO_DATA" etc.; NULL for LOOKUP_OK. */
const char *lookup_strerror(enum lookup_error e);
const char *lookup_strproto(enum proto p);
const char *lookup_strdnssec(int sec);

#endif /* ROUTING_LOOKUP_H */
