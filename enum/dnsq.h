/*
 * enum/dnsq.h - the one door from the resolution engine to DNS.
 *
 * enum/enumq and routing/lookup ask their questions through a struct
 * dnsq_ops that gateway/dns implements on the c-ares channel (and tests may
 * implement on canned answers).  The engine therefore does no I/O itself
 * and never sees c-ares.
 */
#ifndef ENUM_DNSQ_H
#define ENUM_DNSQ_H

#include <stdbool.h>
#include <stdint.h>

#include "enum/dnsmsg.h"

enum dnsq_status {
	DNSQ_OK,		/* NOERROR with records of the type asked */
	DNSQ_NODATA,		/* NOERROR, none of that type (RFC 2308) */
	DNSQ_NXDOMAIN,
	DNSQ_TEMPFAIL		/* SERVFAIL, REFUSED, timeout, malformed */
};

struct dnsq_result {
	enum dnsq_status		 status;
	/* Borrowed: valid only during the callback.  NULL on TEMPFAIL. */
	const struct dnsmsg_answer	*ans;
	/* NODATA/NXDOMAIN: min(SOA TTL, SOA MINIMUM) capped by config;
	 * -1 when the answer had no SOA (not cacheable). */
	int64_t				 negative_ttl;
	/* TEMPFAIL: seconds the failure is remembered (RFC 2308 7). */
	int64_t				 failure_ttl;
	bool				 secure;	/* AD bit */
	bool				 from_cache;
	int				 rcode;		/* -1: no answer */
	const char			*why;		/* "SERVFAIL", ... */
};

/*
 * Completion callback: called exactly once per accepted query, possibly
 * before query() returns (cache hit), and with DNSQ_TEMPFAIL / why
 * "shutdown" when the resolver is torn down.
 */
typedef void dnsq_cb(void *arg, const struct dnsq_result *res);

struct dnsq_ops {
	/* @name absolute; returns 0 when accepted, -1 when refused (then
	 * the callback is not called). */
	int	(*query)(void *ctx, const char *name, uint16_t qtype,
		    dnsq_cb *cb, void *arg);
	void	*ctx;
};

#endif /* ENUM_DNSQ_H */
