/*
 * routing/rfc3263.h - locating a SIP server: the pure parts of RFC 3263.
 *
 * Last stage of routing for a sip:/sips: destination (an E2U+sip URI, or
 * an RFC 3861 _im._sip target): which DNS questions to ask (RFC 3263
 * section 4 decision table), which NAPTR records name a transport imgate
 * speaks and in which order, and the SRV owner per transport.
 * routing/siptarget asks the questions over struct dnsq_ops; these
 * functions do no I/O, no allocation and never change their inputs.
 */
#ifndef ROUTING_RFC3263_H
#define ROUTING_RFC3263_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enum/dnsmsg.h"
#include "enum/naptr.h"

/* The transports a next hop is reached over (RFC 3263 4.1). */
enum rfc3263_transport {
	RFC3263_TP_NONE = 0,
	RFC3263_TP_UDP,
	RFC3263_TP_TCP,
	RFC3263_TP_TLS		/* TLS over TCP, the only one for sips: */
};

/* A set of transports, as bits (1u << enum rfc3263_transport). */
#define RFC3263_TP_BIT(tp)	(1u << (unsigned)(tp))
#define RFC3263_TP_ALL		(RFC3263_TP_BIT(RFC3263_TP_UDP) | \
    RFC3263_TP_BIT(RFC3263_TP_TCP) | RFC3263_TP_BIT(RFC3263_TP_TLS))

/* The first DNS step for a URI (RFC 3263 4.1 and 4.2). */
enum rfc3263_step {
	RFC3263_STEP_NUMERIC,	/* IP literal: no DNS at all */
	RFC3263_STEP_ADDR,	/* explicit port: A/AAAA only */
	RFC3263_STEP_SRV,	/* explicit transport: SRV for it */
	RFC3263_STEP_NAPTR	/* neither: NAPTR, then SRV, then A/AAAA */
};

/* What a sip:/sips: URI says about its next hop. */
struct rfc3263_uri {
	bool			 secure;	/* sips: */
	bool			 numeric;	/* host is an IP literal */
	int			 family;	/* AF_INET(6) if numeric */
	char			 host[DNSMSG_NAME_MAX]; /* lower-case, no
						 * brackets, no final dot */
	uint16_t		 port;		/* 0: none given */
	enum rfc3263_transport	 transport;	/* NONE: none given */
};

/* RFC 3263 section 4 for one URI. */
struct rfc3263_plan {
	enum rfc3263_step	 step;
	/* NUMERIC/ADDR: the transport and port to use; SRV: the transport
	 * (port 0: from SRV).  NAPTR: both unknown yet (NONE, 0). */
	enum rfc3263_transport	 transport;
	uint16_t		 port;
};

/* One usable NAPTR record, in the order to try (RFC 3263 4.1). */
struct rfc3263_naptr {
	enum rfc3263_transport	 transport;
	uint16_t		 order;
	uint16_t		 preference;
	uint16_t		 index;		/* position as served */
	char			 srv_owner[DNSMSG_NAME_MAX];
};

/**
 * Parse the host part of @uri ("sip:user@host:port;transport=tcp").
 * A transport parameter other than udp, tcp or tls (sctp, ws) and
 * transport=udp on a sips: URI are refused: imgate cannot honour them.
 * @return 0, or -1 when @uri is not a usable sip:/sips: URI
 */
int rfc3263_parse_uri(const char *uri, struct rfc3263_uri *out);

/** The RFC 3263 section 4 decision table for @u. */
void rfc3263_plan(const struct rfc3263_uri *u, struct rfc3263_plan *out);

/** 5060, or 5061 for TLS (RFC 3261 19.1.2). */
uint16_t rfc3263_default_port(enum rfc3263_transport tp);

/** "_sip._udp.HOST.", "_sip._tcp.HOST.", "_sips._tcp.HOST.".
 * @return 0, or -1 when it does not fit in @outsz or @tp is NONE */
int rfc3263_srv_owner(enum rfc3263_transport tp, const char *host,
    char *out, size_t outsz);

/**
 * Select and order the NAPTR records of a SIP domain (RFC 3263 4.1):
 * flag "s", services SIP+D2U / SIP+D2T / SIPS+D2T naming a transport in
 * @allowed (bits), only SIPS+D2T when @secure; order, then preference
 * ascending, served order breaking ties.  Other records are left out.
 * @return entries written to @out (at most @outmax)
 */
size_t rfc3263_naptr_select(const struct naptr_rr *rrs, size_t n,
    bool secure, unsigned allowed, struct rfc3263_naptr *out,
    size_t outmax);

/** "udp", "tcp", "tls", or NULL for NONE. */
const char *rfc3263_strtransport(enum rfc3263_transport tp);

#endif /* ROUTING_RFC3263_H */
