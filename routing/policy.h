/*
 * routing/policy.h - who may send, which route and dial plan apply.
 *
 * Sits between the inbound edges and the lookup: the edges
 * (gateway/sipgw, gateway/xmppgw) describe the sender as a struct
 * policy_source; gateway/flow/relay asks policy_acl_allows() whether it
 * may use the gateway at all; routing/route, inside the routing/resolve
 * decision, picks its dial plan with policy_match_dialplan()
 * (routing/dialplan then makes the AUS), and policy_match_route() tells
 * which configured route (ENUM, static target or deny) the AUS takes.
 * For a static route, policy_expand_target() puts the number into the
 * target parsed at load, giving the Request-URI or JID the outbound side
 * uses.  imgate-lookup prints the @why strings as its explanation.
 *
 * Pure: no I/O, no allocation, no globals; the struct gw_conf and every
 * string passed in are borrowed for the duration of the call only and are
 * never modified.  All decisions are first match wins, in file order.
 */
#ifndef ROUTING_POLICY_H
#define ROUTING_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

/*
 * The sender of one inbound message.  @proto is PROTO_SIP or
 * PROTO_XMPP; PROTO_NONE means "unknown" (imgate-lookup without
 * --from) and matches only conditions that do not look at the protocol.
 * @addr holds 4 bytes (AF_INET) or 16 bytes (AF_INET6) in network order
 * and is looked at only when @has_addr is set; an XMPP sender normally
 * has no address.  @xmpp_domain is the sender's domain (the domain part
 * of its bare JID), borrowed, or NULL.
 */
struct policy_source {
	enum proto	 proto;
	int			 family;	/* AF_INET or AF_INET6 */
	uint8_t			 addr[16];
	bool			 has_addr;
	const char		*xmpp_domain;
};

/* Room for the @why of policy_match_route() that imgate-lookup prints;
 * longer explanations are cut and end in "...". */
#define POLICY_WHY_MAX		512

/* A static target, ready for the outbound side. */
enum policy_target_kind {
	POLICY_T_SIP,		/* SIP MESSAGE to @uri via @host:@port */
	POLICY_T_XMPP,		/* <message/> to the bare JID @uri */
	POLICY_T_IM		/* im: URI, resolved with RFC 3861 */
};

#define POLICY_URI_MAX	(CONF_STR_MAX + 64)	/* target + AUS + params */
#define POLICY_HOST_MAX	256

struct policy_target {
	enum policy_target_kind	 kind;
	char			 uri[POLICY_URI_MAX];
	char			 host[POLICY_HOST_MAX];
	uint16_t		 port;
};

/**
 * Does network @n contain the address @addr of family @family?
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is compared as the IPv4
 * address a.b.c.d, so it matches IPv4 networks.  Conversely an IPv4
 * address matches an IPv6 network inside ::ffff:0:0/96 (such as
 * ::ffff:10.0.0.0/104); a wider IPv6 network (::/0) does not take in IPv4
 * senders.  A network with an unknown family or a prefix length longer
 * than its address never matches.
 * @param n       network, borrowed
 * @param family  AF_INET (@addr is 4 bytes) or AF_INET6 (16 bytes)
 * @param addr    address in network byte order, borrowed
 * @return true when the address lies inside the network
 */
bool policy_net_contains(const struct conf_net *n, int family,
    const uint8_t *addr);

/**
 * acl.trusted_proxies (imgate.conf(5)): when @src, a SIP source, lies in
 * one of @c's trusted proxy networks and @via2 (the received parameter of
 * the request's second Via, else its host; NULL when it has one Via) is
 * an IPv4 or IPv6 literal (brackets allowed), @src becomes that address.
 * @return true when @src was replaced
 */
bool policy_proxy_source(const struct gw_conf *c, struct policy_source *src,
    const char *via2);

/**
 * Access control: may @src use the gateway at all?
 *
 * SIP senders are checked against c->acl_sip_nets (a sender without an
 * address is refused), XMPP senders against c->acl_xmpp_domains.  Domains
 * compare case-insensitively and exactly, a trailing dot ignored: listing
 * "example.org" does not admit "chat.example.org", because whoever runs a
 * subdomain is not necessarily trusted like its parent; list each one.
 * An empty list allows everyone of that protocol.  A sender of unknown
 * protocol (PROTO_NONE) is allowed only when both lists are empty.
 * @param c    configuration, borrowed
 * @param src  sender, borrowed
 * @param why  if not NULL, receives a static string saying why (never
 *             NULL afterwards, not to be freed)
 * @return true to accept the message, false to refuse it
 */
bool policy_acl_allows(const struct gw_conf *c,
    const struct policy_source *src, const char **why);

/**
 * The route an AUS takes: the first of c->routes whose conditions all
 * hold.  Conditions left empty hold for everything:
 *   prefix   a string prefix of @aus ("+1202" matches "+12025550100")
 *   from     PROTO_NONE, or equal to src->proto
 *   nets     src has an address inside one of them
 *   domains  src->xmpp_domain equals one of them (as in the ACL)
 * @param c      configuration, borrowed
 * @param aus    "+digits", borrowed; NULL or "" only satisfies routes
 *               without a prefix
 * @param src    sender, borrowed
 * @param why    if not NULL, caller buffer receiving the explanation:
 *               "route 'dc-local' (line 12): prefix +1202 matches, from
 *               sip, source 10.1.2.3 in 10.0.0.0/8" or "no route matches:
 *               'a' (line 3): prefix +44 does not match; ..."; cut to
 *               @whysz with a trailing "..." when too long
 * @param whysz  size of @why (POLICY_WHY_MAX is plenty)
 * @return index into c->routes, or -1 when no route matches (then the
 *         caller applies its default: ENUM)
 */
int policy_match_route(const struct gw_conf *c, const char *aus,
    const struct policy_source *src, char *why, size_t whysz);

/**
 * The dial plan for @src: the first of c->dialplans that selects it.
 * A plan with neither nets nor domains selects every sender.  Otherwise
 * it selects a sender whose address lies in one of its nets or whose
 * XMPP domain is one of its domains (either suffices: nets are meant for
 * SIP senders and domains for XMPP senders, so a plan listing both serves
 * both kinds).
 * @return index into c->dialplans, or -1 (then only "+" numbers are
 *         accepted: pass NULL to dialplan_normalize())
 */
int policy_match_dialplan(const struct gw_conf *c,
    const struct policy_source *src);

/**
 * Turn a static route target, parsed at load by conf_target_parse(), into
 * what the outbound side needs for the number @aus.  No parsing happens
 * here: the number goes where the target has no user.
 *
 *   "sip:HOST[:PORT][;params]"  -> SIP, uri
 *        "sip:+12025550100@HOST[:PORT][;params];user=phone" (user=phone
 *        is not added twice)
 *   "sip:USER@HOST[:PORT][;params]" -> SIP, uri = the target as stored
 *   "sips:..."                  -> the same (default port 5061)
 *   "xmpp:DOMAIN"               -> XMPP, uri = bare JID "+12025550100@DOMAIN"
 *   "im:USER@DOMAIN"            -> IM, uri = the target as stored
 * @host is the SIP host (an IPv6 literal without its brackets) and @port
 * the SIP port, or the XMPP/IM domain and port 0.
 * @param t       parsed target, borrowed
 * @param aus     "+digits", borrowed; needed (and checked) only for
 *                "sip:HOST" and "xmpp:DOMAIN", may be NULL otherwise
 * @param out     caller-owned result; unspecified on failure
 * @return 0, or -1 for an empty target, a missing/invalid @aus or a
 *         result that does not fit
 */
int policy_expand_target(const struct conf_target *t, const char *aus,
    struct policy_target *out);

/**
 * The identity table: the E.164 number a sender is presented as, or NULL.
 * @sip_uri: a SIP address ("sip:alice@a.example[:port][;params]", angle
 * brackets allowed) or NULL; @jid: an XMPP address (a resource is
 * ignored) or NULL.  Scheme and domain compare case-insensitively, user
 * parts exactly.  The result is borrowed from @c.
 */
const char *policy_identity_number(const struct gw_conf *c,
    const char *sip_uri, const char *jid);

#endif /* ROUTING_POLICY_H */
