/*
 * gateway/sipgw.h - the SIP edge: sofia-sip nta (the transaction layer)
 * bound on the configured address, MESSAGE in (RFC 3428) and MESSAGE out.
 *
 * Inbound: a MESSAGE becomes a struct gw_txn handed to gateway/flow/relay; the
 * server transaction (nta_incoming_t) is owned by the gw_txn (t->in)
 * until the relay asks for the final answer.  Outbound: relay asks to
 * send a transaction's message to a Request-URI through a next hop; the
 * client transaction (nta_outgoing_t) is owned by the gw_txn (t->out)
 * until its final response, which goes back to relay.
 */
#ifndef GATEWAY_SIPGW_H
#define GATEWAY_SIPGW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <sofia-sip/su_wait.h>

#include "conf/conf.h"
#include "gateway/flow/relay.h"

/**
 * Bind and start; @return 0, or -1 (logged) when the address is unusable.
 * @worker: this process is one of several workers (gateway/workers): its
 * sockets are the shared ones, named so, plus a UDP port of its own for
 * what it sends.  Passed in rather than asked of gateway/workers, which
 * reaches gateway/metrics, which reads this edge's overload counters.
 */
int sipgw_start(su_root_t *root, const struct gw_conf *conf, bool worker);

/**
 * Shutting down: every new MESSAGE is answered 503 with Retry-After at
 * once and started no more; transactions already in flight go on, and
 * answers to forwarded MESSAGEs are still read.
 */
void sipgw_drain(void);

/**
 * Read imgate's own SIP sockets from the kernel again (sipgw_is_self(),
 * receive buffers, overload control's UDP socket).  sipgw_start() does
 * it; a worker calls it once more after it closed the other workers'
 * sockets (gateway/workers_bind): until then a scan finds theirs too,
 * on the same port, and may pick one of them as the socket to watch.
 */
void sipgw_sockets_settled(void);

/** Close the SIP sockets and free nta (after the last answer). */
void sipgw_destroy(void);

/**
 * Is @hop ("IP:PORT" or "[IPv6]:PORT", as relay writes next hops) one
 * of imgate's own SIP sockets?  Sockets bound to a wildcard address
 * match every address of the host.
 */
bool sipgw_is_self(const char *hop);

/**
 * A datagram of @len bytes from @from (@fromlen) that was just read from
 * descriptor @fd into @buf (borrowed for the call), before the SIP stack
 * parses it (gateway/sipgw_recv.c).  While overload control sheds
 * (gateway/overload), a new MESSAGE on the SIP UDP socket picked for
 * refusal is answered here with a stateless 503 and Retry-After built
 * from its bytes (gateway/overload_sip), or dropped when that answer
 * cannot be sent; a retransmission gets what its first copy got (never
 * a 503 after an acceptance, never an acceptance after a 503).  A
 * datagram on any own UDP socket that sofia would take for STUN (first
 * byte 0 or 1) is dropped here, counted and logged: sofia would answer
 * a binding request toward its (forgeable) source.
 * @arrived_ns: the kernel's arrival stamp (CLOCK_REALTIME, ns), by which
 * a new request is judged on how long it waited (gateway/overload.h,
 * overload_shed_waited()); 0 when unknown (the share alone decides).
 * @return true when the datagram was consumed and must not reach the
 * SIP stack; false for everything else (other descriptors, responses,
 * other methods, accepted requests).
 */
bool sipgw_datagram(int fd, const void *buf, size_t len,
    const struct sockaddr *from, socklen_t fromlen, uint64_t arrived_ns);

/** gateway/sipgw_recv.c read one more datagram in the same call after
 * sipgw_datagram() consumed one (counted). */
void sipgw_recv_batched(void);

/**
 * Is @fd one of imgate's own SIP UDP sockets (sip.listen's, a worker's
 * own port: the datagram sockets nta bound), which gateway/sipgw_recv.c
 * reads in batches and gateway/sipgw_send.c sends on without asking for
 * a pending error first?  False for every other descriptor, and for all of
 * them before the sockets settled and after sipgw_destroy().
 */
bool sipgw_udp_own(int fd);

/**
 * gateway/sipgw_accept.c: accept at most @max connections (TCP and TLS
 * together) from one IP address at once in this process; 0: no limit
 * (imgate.conf(5) sip.max_connections_per_source).  Set at start and
 * after each reload.
 */
void sipgw_accept_per_source(unsigned max);

/** gateway/sipgw_recv.c read @datagrams datagrams (at least one) from
 * an own SIP UDP socket with one system call (counted). */
void sipgw_recv_read(unsigned datagrams);

/* Overload control's counters, for gateway/metrics. */
struct sipgw_overload_stats {
	uint32_t	 share;		/* percent of new requests refused */
	uint64_t	 refused_raw;	/* 503 before parsing */
	uint64_t	 refused_parsed;	/* 503 by the SIP stack */
	uint64_t	 dropped;	/* consumed, the 503 not sent */
	uint64_t	 batched;	/* read on after a refusal */
	uint64_t	 held;		/* climbs held: the queue drained */
	uint64_t	 udp_reads;	/* read calls on own UDP sockets */
	uint64_t	 udp_datagrams;	/* datagrams those calls read */
};

/** Fill @s (the caller's) with overload control's counters. */
void sipgw_overload_stats(struct sipgw_overload_stats *s);

/* The SIP side for relay_init(). */
extern const struct relay_side sipgw_side;

#endif /* GATEWAY_SIPGW_H */
