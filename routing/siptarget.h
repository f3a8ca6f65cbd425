/*
 * routing/siptarget.h - the next hops of a SIP destination (RFC 3263).
 *
 * Last stage of routing for SIP: from a sip:/sips: URI (an E2U+sip URI,
 * or an RFC 3861 _im._sip target written as sip:HOST:PORT) to the list
 * of (transport, address, port) hops to try in order: NAPTR, SRV per
 * transport, then AAAA and A, as routing/rfc3263 decides.  DNS goes
 * through struct dnsq_ops, so imgated (gateway/flow/relay on gateway/dns) and
 * imgate-lookup run this same code.
 */
#ifndef ROUTING_SIPTARGET_H
#define ROUTING_SIPTARGET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enum/dnsq.h"
#include "routing/rfc3263.h"
#include "routing/rfc3861.h"

/* Hops kept for one destination, queries made for it (hard caps). */
#define SIPTARGET_MAX_HOPS	16
#define SIPTARGET_MAX_QUERIES	24

enum siptarget_error {
	SIPTARGET_OK = 0,
	SIPTARGET_E_INVALID_URI,	/* not a usable sip:/sips: URI */
	SIPTARGET_E_NO_TARGET,		/* DNS says there is none */
	SIPTARGET_E_TEMPFAIL		/* DNS failed for now */
};

struct siptarget_params {
	unsigned	 transports;	/* RFC3263_TP_BIT()s imgate can use */
	size_t		 max_targets;	/* SRV targets per transport */
	unsigned	 max_queries;	/* <= SIPTARGET_MAX_QUERIES */
	bool		 prefer_v6;	/* AAAA addresses before A ones */
	rfc3861_rng	*rng;
	void		*rngarg;
};

/* One question asked, for imgate-lookup. */
struct siptarget_query {
	char		 name[DNSMSG_NAME_MAX];
	uint16_t	 qtype;
	char		 outcome[24];	/* "3 records", "NODATA"... */
};

struct siptarget_hop {
	enum rfc3263_transport	 transport;
	char			 host[DNSMSG_NAME_MAX];	/* SRV target */
	uint16_t		 port;
	uint16_t		 priority, weight;	/* SRV, 0 without */
	char			 ip[INET6_ADDRSTRLEN];
	int			 family;
	bool			 via_naptr, via_srv;
};

/* siptarget.c's result_init() sets every field. */
struct siptarget_result {
	enum siptarget_error	 error;
	struct rfc3263_uri	 uri;
	struct rfc3263_plan	 plan;
	struct siptarget_query	 queries[SIPTARGET_MAX_QUERIES];
	size_t			 nqueries;
	struct siptarget_hop	 hops[SIPTARGET_MAX_HOPS];
	size_t			 nhops;
	int64_t			 failure_ttl;	/* TEMPFAIL: -1 none */
};

struct siptarget;

/* Called exactly once unless cancelled; @res borrowed for the call. */
typedef void siptarget_done_cb(void *arg, const struct siptarget_result *res);

/**
 * Find the hops for @uri (copied).  @params and @ops are borrowed until
 * completion.  @return a handle for siptarget_cancel(), or NULL when
 * the callback already ran (a numeric host, a cache hit, no memory).
 */
struct siptarget *siptarget_start(const struct siptarget_params *params,
    const struct dnsq_ops *ops, const char *uri, siptarget_done_cb *cb,
    void *arg);

/** Forget @st: its callback will not run (NULL is fine). */
void siptarget_cancel(struct siptarget *st);

/**
 * "sip:HOST:PORT[;transport=T]" for a target that is to be reached on
 * its own port (an RFC 3861 SRV target, a static route's host):
 * addresses only, over @tp, UDP when NONE (RFC 3263 4.1, 4.2).  An
 * IPv6 literal is bracketed.  @return 0, or -1 when it does not fit
 */
int siptarget_uri(const char *host, uint16_t port, enum rfc3263_transport tp,
    char *out, size_t outsz);

/**
 * The transport a destination URI asks for: TLS for sips:, else its
 * transport parameter, else NONE (also for an unusable URI).  What a
 * target with its own port is reached over (siptarget_uri()).
 */
enum rfc3263_transport siptarget_dest_transport(const char *dest);

/** "E_SIP_INVALID_URI" etc.; NULL for SIPTARGET_OK. */
const char *siptarget_strerror(enum siptarget_error e);

/** "NAPTR", "SRV", "A", "AAAA". */
const char *siptarget_strtype(uint16_t qtype);

#endif /* ROUTING_SIPTARGET_H */
