/*
 * routing/route.h - which rule decides a message: the routing policy.
 *
 * Between the edges and the resolution engine: given the destination as
 * received and who sent it, normalise the number (E.164 as written, or a
 * national number through the sender's dial plan), then walk the routes
 * in order, first match wins.  The verdict says whether ENUM runs (and
 * with which route's settings), a static target is used, or the message
 * is refused.  Pure: imgated and imgate-lookup call the same function.
 */
#ifndef ROUTING_ROUTE_H
#define ROUTING_ROUTE_H

#include "conf/conf.h"
#include "routing/e164.h"
#include "routing/lookup.h"
#include "routing/policy.h"

enum route_verdict {
	ROUTE_ENUM,		/* resolve through ENUM (route may be -1) */
	ROUTE_STATIC,		/* routes[route].target */
	ROUTE_DENY,		/* refuse with deny_status */
	ROUTE_BAD_NUMBER,	/* number_status says why */
	ROUTE_NO_MATCH		/* routes exist, none matches */
};

struct route_decision {
	enum route_verdict	 verdict;
	enum e164_status	 number_status;
	char			 aus[E164_AUS_MAX];
	int			 dialplan;	/* index used, or -1 */
	int			 route;		/* index, or -1 */
	int			 deny_status;
	char			 why[POLICY_WHY_MAX];
};

/**
 * Decide for @dest (number, tel:, sip:/sips: URI or XMPP localpart) sent
 * by @src under @c.  @forms and @max_digits are the E.164 input rules
 * (routing/e164).  @d is filled in every case.
 */
void route_decide(const struct gw_conf *c, unsigned forms,
    unsigned max_digits, const char *dest, const struct policy_source *src,
    struct route_decision *d);

/**
 * A route result that needs no resolution: @dest is the SIP Request-URI
 * (next hop @host:@port when @host is not NULL) or the bare JID.  @aus may
 * be NULL.  @r is filled completely.
 */
void route_direct_result(struct lookup_result *r, enum proto proto,
    const char *dest, const char *host, uint16_t port, const char *aus);

/**
 * A static target (a static route or a fallback link), parsed at load,
 * for @aus.  @target is borrowed for the call.
 * @return 0 with @r filled (SIP or XMPP), 1 when the target is an im:
 *         URI to resolve with RFC 3861 (the URI is in @r->uri), -1 when
 *         the target is unusable (@r is then a failed result).
 */
int route_static_result(const struct conf_target *target, const char *aus,
    struct lookup_result *r);

/** "enum", "static", "deny", "bad-number", "no-match". */
const char *route_strverdict(enum route_verdict v);

#endif /* ROUTING_ROUTE_H */
