/*
 * conf/proto.h - the two protocols imgate speaks, named once.
 *
 * "SIP or XMPP" is asked at every layer: the configuration stores it
 * (routes.from, enum.implicit_srv), routing/ decides with it (the sender's
 * protocol in routing/policy, the protocol a lookup resolved to in
 * routing/lookup) and gateway/ records it (a transaction's origin, the
 * spool's rows).  conf/ is the lowest of these layers: routing/ and
 * gateway/ include conf/conf.h already, and enum/ has no notion of a
 * protocol.  So the enum lives here, in a header of its own that needs
 * nothing else, and every layer uses it.  The values are stored in the
 * spool (src_proto) and index the words of routes.from and
 * enum.implicit_srv: keep them as they are.
 */
#ifndef CONF_PROTO_H
#define CONF_PROTO_H

enum proto {
	/* No protocol given: a route for senders of either protocol, no
	 * implicit SRV, a lookup that resolved to none, a sender not known
	 * (imgate-lookup without --from). */
	PROTO_NONE = 0,
	PROTO_SIP = 1,
	PROTO_XMPP = 2
};

#endif /* CONF_PROTO_H */
