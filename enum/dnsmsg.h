/*
 * enum/dnsmsg.h - DNS messages on the wire: build a query, parse an answer.
 *
 * Sits under the resolution steps (ENUM NAPTR, RFC 3861 SRV, target
 * addresses): gateway/dns sends what dnsmsg_build_query() makes through
 * c-ares and hands the raw reply to dnsmsg_parse(), which extracts what
 * c-ares 1.18 does not give: TTLs, the SOA of negative answers (RFC 2308),
 * the AD bit, CNAME chains and records in the order served.  Pure: no I/O,
 * no allocation (the caller supplies the memory), no globals.
 */
#ifndef ENUM_DNSMSG_H
#define ENUM_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enum/naptr.h"

#define DNSMSG_T_A	1
#define DNSMSG_T_CNAME	5
#define DNSMSG_T_SOA	6
#define DNSMSG_T_AAAA	28
#define DNSMSG_T_SRV	33
#define DNSMSG_T_NAPTR	35
#define DNSMSG_T_OPT	41

/* The fixed header (RFC 1035 4.1.1): ID, flags, QD/AN/NS/AR counts. */
#define DNSMSG_HDR_LEN	12

#define DNSMSG_RCODE_NOERROR	0
#define DNSMSG_RCODE_FORMERR	1
#define DNSMSG_RCODE_SERVFAIL	2
#define DNSMSG_RCODE_NXDOMAIN	3
#define DNSMSG_RCODE_REFUSED	5

/* Presentation-form domain name, absolute, with NUL. */
#define DNSMSG_NAME_MAX	256
/* Records of one kind kept from an answer; the rest are ignored. */
#define DNSMSG_MAX_SRV	32
#define DNSMSG_MAX_ADDR	16
/* Longest query dnsmsg_build_query() writes (name + header + OPT). */
#define DNSMSG_QUERY_MAX 300

/*
 * The header fields that gateway/dns and enum/dnsauth read from raw
 * datagrams, decoded here once (the rest of a message is dnsmsg_parse()'s).
 */

/** The ID of @msg, or -1 when @len is shorter than 2 bytes. */
static inline int32_t
dnsmsg_header_id(const uint8_t *msg, size_t len)
{
	return len >= 2 ? (int32_t)(((uint32_t)msg[0] << 8) | msg[1]) : -1;
}

/** The RCODE of @msg, or -1 when @len is shorter than 4 bytes. */
static inline int
dnsmsg_header_rcode(const uint8_t *msg, size_t len)
{
	return len >= 4 ? msg[3] & 0x0f : -1;
}

/* One SRV record; target borrowed from the answer, absolute, "." = none. */
struct srv_rr {
	uint16_t	 priority;
	uint16_t	 weight;
	uint16_t	 port;
	uint16_t	 index;		/* position in the RRset as served */
	const char	*target;
};

struct dns_addr {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 bytes[16];
};

/*
 * A parsed answer.  All pointers point into the same caller-supplied
 * block, so freeing that block frees everything.
 */
struct dnsmsg_answer {
	int		 rcode;
	bool		 aa, tc, ad;
	uint16_t	 qtype;
	const char	*qname;		/* question name, absolute, lower-case */
	const char	*final_name;	/* after the CNAME chain (== qname) */
	bool		 has_cname;
	uint32_t	 ttl;		/* min TTL of the records used */
	bool		 has_soa;	/* SOA in the authority section */
	uint32_t	 soa_ttl;
	uint32_t	 soa_minimum;
	size_t		 nnaptr;
	struct naptr_rr	*naptr;
	size_t		 nsrv;
	struct srv_rr	*srv;
	size_t		 naddr;
	struct dns_addr	*addr;
};

/**
 * Build a standard query (RD set) for @name/@qtype with id @id.
 * @param ad   set the AD bit (RFC 6840 5.7: "tell me if it validated")
 * @param edns add an OPT record (UDP size 1232); with @ad also sets DO
 * @return bytes written, or 0 if @name is invalid or @out too small
 */
size_t dnsmsg_build_query(const char *name, uint16_t qtype, uint16_t id,
    bool ad, bool edns, uint8_t *out, size_t outsz);

/**
 * Parse @msg (a reply to a @qtype query).  Needs a first call with
 * @mem = NULL to learn the size, then a second one with a block of at
 * least that size; *@out then points into @mem.
 * @return the bytes of @mem needed (> 0), or 0 when @msg is malformed
 *         (truncated, bad names, loops in compression, not a response)
 */
size_t dnsmsg_parse(const uint8_t *msg, size_t len, void *mem, size_t memsz,
    struct dnsmsg_answer **out);

/** Copy @in to @out lower-cased and absolute (with a trailing dot).
 * @return 0, or -1 when it does not fit or is empty. */
int dnsmsg_name_normalize(const char *in, char *out, size_t outsz);

#endif /* ENUM_DNSMSG_H */
