/*
 * gateway/overload_sip.h - the refusal of a shed request written from
 * its raw bytes, before the SIP stack parses it (RFC 6357 section 5.3,
 * RFC 7339 section 5.2).
 *
 * Where it sits: gateway/sipgw_recv.c hands every datagram read from the
 * SIP UDP socket to sipgw_datagram() (gateway/sipgw.c) before sofia-sip
 * sees it; while gateway/overload sheds, a new MESSAGE picked for
 * refusal is answered here, stateless, and never reaches the parser:
 * a refusal costs a read, a scan of the header lines and a send instead
 * of a parse, a server transaction and its timers.
 *
 * Pure: no I/O, no allocation; the caller owns every buffer.  Anything
 * this scanner does not understand (folded header lines, a Via without
 * a branch, a missing mandatory header, an answer that would not fit)
 * is left to the SIP stack, which parses it and answers as it always
 * did: the fast path only ever refuses what it fully understood.
 *
 * overload_sip_scan() runs on every datagram read from that socket,
 * shedding or not (the retransmission memory in sipgw_datagram() needs
 * each MESSAGE's key): it is kept cheap (one pass, a class table), and
 * tests/unit/test_overload_sip_diff.c holds it and the refusal to the
 * behaviour of the code before that was so.
 */
#ifndef GATEWAY_OVERLOAD_SIP_H
#define GATEWAY_OVERLOAD_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gateway/overload.h"

/* The largest refusal written (an answer over it is left to sofia). */
#define OVERLOAD_SIP_MAX	4096

enum overload_sip_kind {
	OVERLOAD_SIP_OTHER,	/* a response, another method, not SIP */
	OVERLOAD_SIP_MESSAGE,	/* a MESSAGE request with a top Via branch */
};

/* What the scan found; pointers borrow the caller's datagram. */
struct overload_sip_req {
	enum overload_sip_kind	 kind;
	const char		*branch;	/* top Via's branch value */
	size_t			 branchlen;
	uint64_t		 key;		/* overload_sip_key(branch) */
};

/**
 * Classify the datagram @buf of @len bytes (borrowed): a MESSAGE request
 * gets its top Via branch and that branch's key.  @return r->kind.
 */
enum overload_sip_kind overload_sip_scan(const char *buf, size_t len,
    struct overload_sip_req *r);

/** A 64-bit key of the branch @b of @n bytes (FNV-1a; never 0). */
uint64_t overload_sip_key(const char *b, size_t n);

/* The refusal's variable parts, all borrowed. */
struct overload_sip_answer {
	const char		*src_ip;	/* the datagram's source, text */
	uint16_t		 src_port;
	unsigned		 retry_after_s;	/* Retry-After */
	const char		*server;	/* Server header value */
	const struct overload	*ol;		/* oc feedback (RFC 7339) */
};

/**
 * Write into @out (@outsz bytes, the caller's) the stateless "503
 * Service Unavailable" for the request @buf/@len (RFC 3261 8.2.6): its
 * Via lines (the top one with received and, when asked, the rport
 * value, RFC 3581, and the oc parameters when asked, RFC 7339), From,
 * To (with a tag made from the branch when it had none), Call-ID and
 * CSeq, then Retry-After, Server and Content-Length: 0.  *@port is where
 * the answer goes: the source port when the top Via has rport, otherwise
 * its sent-by port (RFC 3261 18.2.2).
 * @return the answer's length, or -1 when the request is not one this
 * scanner answers (see the file comment) or the answer does not fit.
 */
ssize_t overload_sip_refuse(const char *buf, size_t len,
    const struct overload_sip_answer *a, char *out, size_t outsz,
    uint16_t *port);

#endif /* GATEWAY_OVERLOAD_SIP_H */
