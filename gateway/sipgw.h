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

#include <sofia-sip/su_wait.h>

#include "conf/conf.h"
#include "gateway/flow/relay.h"

/** Bind and start; @return 0, or -1 (logged) when the address is unusable. */
int sipgw_start(su_root_t *root, const struct gw_conf *conf);

/**
 * Shutting down: every new MESSAGE is answered 503 with Retry-After at
 * once and started no more; transactions already in flight go on, and
 * answers to forwarded MESSAGEs are still read.
 */
void sipgw_drain(void);

/** Close the SIP sockets and free nta (after the last answer). */
void sipgw_destroy(void);

/**
 * Is @hop ("IP:PORT" or "[IPv6]:PORT", as relay writes next hops) one
 * of imgate's own SIP sockets?  Sockets bound to a wildcard address
 * match every address of the host.
 */
bool sipgw_is_self(const char *hop);

/* The SIP side for relay_init(). */
extern const struct relay_side sipgw_side;

#endif /* GATEWAY_SIPGW_H */
