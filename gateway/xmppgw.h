/*
 * gateway/xmppgw.h - the XMPP edge: an XEP-0114 component (libstrophe) on
 * the one su_root loop.
 *
 * Inbound: <message to='+12025550100@gw.domain'> becomes a struct gw_txn
 * for gateway/flow/relay, like a SIP MESSAGE.  Outbound: relay hands a
 * transaction and a bare JID; the stanza goes out from the sender's
 * gateway JID with an XEP-0184 request, and the receipt or error stanza
 * that comes back is the transaction's result.  While the component is
 * disconnected, outbound messages wait in a bounded queue until a
 * deadline; reconnection backs off exponentially.
 */
#ifndef GATEWAY_XMPPGW_H
#define GATEWAY_XMPPGW_H

#include <stdbool.h>

#include <sofia-sip/su_wait.h>

#include "conf/conf.h"
#include "gateway/flow/relay.h"

/**
 * Create the component and start connecting (failures are retried with
 * backoff, never fatal).  @conf is borrowed for the life of the daemon.
 * @return 0, or -1 when libstrophe cannot be set up at all.
 */
int xmppgw_start(su_root_t *root, const struct gw_conf *conf);

/**
 * Shutting down: a new <message/> is refused with
 * <service-unavailable/> and started no more; receipts and errors for
 * messages in flight are still read.
 */
void xmppgw_drain(void);

/** Disconnect and free everything (transactions are answered first). */
void xmppgw_stop(void);

/** Is the component connected and authenticated right now? */
bool xmppgw_connected(void);

/**
 * The caps on the server's stream (gateway/xmlguard.h), for the parser
 * of libstrophe's connection (gateway/xmppgw_expat.c, which stands in
 * for expat's XML_Parse() in imgated): @len bytes of the stream that
 * @parser (expat's, an opaque key here) is about to parse.  Returns how
 * many of them it may parse; fewer than @len when they break a cap,
 * then the component closes the stream with a stream error after the
 * round (libstrophe's own parse error would say <invalid-xml/>), and 0
 * for everything that parser gets after that.  A parser other than the
 * last one starts a new stream.
 */
size_t xmppgw_stream_feed(const void *parser, const char *buf, size_t len);

/** expat reset or freed @parser: its stream is over. */
void xmppgw_stream_gone(const void *parser);

/* The XMPP side for relay_init(). */
extern const struct relay_side xmppgw_side;

#endif /* GATEWAY_XMPPGW_H */
