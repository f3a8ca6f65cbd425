/*
 * routing/policy.c - access list, route and dial plan selection.
 *
 * Between the inbound edges and the lookup in the inbound -> route ->
 * pick -> outbound flow: the edges describe the sender, this file says
 * whether it may send (ACL), which dial plan turns its dialled digits into
 * an AUS, which configured route the AUS takes, and what a static target
 * becomes on the wire.  Every decision walks a configuration list in file
 * order and stops at the first hit, so the explanation built for
 * imgate-lookup is exactly the path the daemon takes.
 *
 * Pure: no I/O, no allocation, no globals.  The configuration is read
 * only; explanations go to caller buffers and are cut, never overrun.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "routing/policy.h"

#if defined(__GNUC__) || defined(__clang__)
#define POLICY_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define POLICY_PRINTF(f, a)
#endif

/* An explanation being written into a caller buffer (which may be NULL). */
struct policy_buf {
	char	*s;
	size_t	 sz;
	size_t	 len;
	bool	 cut;
};

/* Text form of an address or a network: INET6_ADDRSTRLEN + "/128". */
#define POLICY_ADDRSTR	64

static const uint8_t policy_mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static bool	policy_bits_equal(const uint8_t *, const uint8_t *, unsigned);
static bool	policy_domain_eq(const char *, const char *);
static bool	policy_domain_listed(const char (*)[CONF_STR_MAX], size_t,
		    const char *);
static int	policy_find_net(const struct conf_net *, size_t,
		    const struct policy_source *);
static bool	policy_has_domain(const struct policy_source *);
static void	policy_fmt_addr(int, const uint8_t *, char *, size_t);
static void	policy_fmt_net(const struct conf_net *, char *, size_t);
static void	policy_buf_init(struct policy_buf *, char *, size_t);
static void	policy_buf_add(struct policy_buf *, const char *, ...)
		    POLICY_PRINTF(2, 3);
static void	policy_buf_end(struct policy_buf *);
static const char *policy_strproto(enum proto);
static void	policy_route_label(struct policy_buf *,
		    const struct conf_route *, size_t);
static bool	policy_route_holds(const struct conf_route *, const char *,
		    const struct policy_source *, struct policy_buf *);
static bool	policy_str_prefix(const char *, const char *);
static bool	policy_valid_aus(const char *);
static bool	policy_has_user_param(const char *);

/* First @bits bits of @a and @b equal. */
static bool
policy_bits_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned	 full = bits / 8, rest = bits % 8;
	uint8_t		 mask;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/*
 * A mapped IPv6 sender is first turned back into the IPv4 address it
 * stands for: a dual-stack socket reports IPv4 peers that way, and an
 * operator who wrote "10.0.0.0/8" means them too.  The reverse direction
 * is taken only for networks inside ::ffff:0:0/96, so that "::/0" (all of
 * IPv6) does not quietly admit every IPv4 sender as well.
 */
bool
policy_net_contains(const struct conf_net *n, int family,
    const uint8_t *addr)
{
	const uint8_t	*sa;
	int		 sfam;

	if (n == NULL || addr == NULL)
		return false;
	if (n->family == AF_INET ? n->prefixlen > 32 :
	    n->family == AF_INET6 ? n->prefixlen > 128 : true)
		return false;

	if (family == AF_INET) {
		sfam = AF_INET;
		sa = addr;
	} else if (family == AF_INET6) {
		if (memcmp(addr, policy_mapped, sizeof(policy_mapped)) == 0) {
			sfam = AF_INET;
			sa = addr + 12;
		} else {
			sfam = AF_INET6;
			sa = addr;
		}
	} else
		return false;

	if (n->family == sfam)
		return policy_bits_equal(n->addr, sa, n->prefixlen);
	if (n->family == AF_INET6 && sfam == AF_INET && n->prefixlen >= 96 &&
	    memcmp(n->addr, policy_mapped, sizeof(policy_mapped)) == 0)
		return policy_bits_equal(n->addr + 12, sa, n->prefixlen - 96);
	return false;
}

/*
 * Domain names compare case-insensitively, and "example.org." is the same
 * domain as "example.org".  Exact match only: see policy_acl_allows() in
 * the header for why subdomains are not taken in.
 */
static bool
policy_domain_eq(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

static bool
policy_domain_listed(const char (*list)[CONF_STR_MAX], size_t n,
    const char *dom)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (policy_domain_eq(list[i], dom))
			return true;
	return false;
}

/* Index of the first of @nets holding the sender's address, or -1. */
static int
policy_find_net(const struct conf_net *nets, size_t n,
    const struct policy_source *src)
{
	size_t	 i;

	if (!src->has_addr)
		return -1;
	for (i = 0; i < n; i++)
		if (policy_net_contains(&nets[i], src->family, src->addr))
			return (int)i;
	return -1;
}

static bool
policy_has_domain(const struct policy_source *src)
{
	return src->xmpp_domain != NULL && src->xmpp_domain[0] != '\0';
}

static void
policy_fmt_addr(int family, const uint8_t *addr, char *out, size_t outsz)
{
	if ((family != AF_INET && family != AF_INET6) ||
	    inet_ntop(family, addr, out, (socklen_t)outsz) == NULL)
		snprintf(out, outsz, "?");
}

static void
policy_fmt_net(const struct conf_net *n, char *out, size_t outsz)
{
	char	 a[INET6_ADDRSTRLEN];

	policy_fmt_addr(n->family, n->addr, a, sizeof(a));
	snprintf(out, outsz, "%s/%u", a, n->prefixlen);
}

static void
policy_buf_init(struct policy_buf *b, char *s, size_t sz)
{
	b->s = sz > 0 ? s : NULL;
	b->sz = b->s != NULL ? sz : 0;
	b->len = 0;
	b->cut = false;
	if (b->s != NULL)
		b->s[0] = '\0';
}

/* Append, never past the buffer; remember when something was lost. */
static void
policy_buf_add(struct policy_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	if (b->s == NULL || b->cut)
		return;
	va_start(ap, fmt);
	r = vsnprintf(b->s + b->len, b->sz - b->len, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= b->sz - b->len) {
		b->cut = true;
		b->len = strlen(b->s);
	} else
		b->len += (size_t)r;
}

/* A cut explanation ends in "..." so that nobody takes it as complete. */
static void
policy_buf_end(struct policy_buf *b)
{
	if (b->s == NULL || !b->cut || b->sz < 4)
		return;
	memcpy(b->s + b->sz - 4, "...", 4);
}

static const char *
policy_strproto(enum proto p)
{
	switch (p) {
	case PROTO_SIP:
		return "sip";
	case PROTO_XMPP:
		return "xmpp";
	case PROTO_NONE:
		break;
	}
	return "any";
}

bool
policy_acl_allows(const struct gw_conf *c, const struct policy_source *src,
    const char **why)
{
	const char	*dummy;

	if (why == NULL)
		why = &dummy;
	switch (src->proto) {
	case PROTO_SIP:
		if (c->nacl_sip_nets == 0) {
			*why = "no SIP access list";
			return true;
		}
		if (!src->has_addr) {
			*why = "SIP sender without an address";
			return false;
		}
		if (policy_find_net(c->acl_sip_nets, c->nacl_sip_nets,
		    src) < 0) {
			*why = "source address not in the SIP access list";
			return false;
		}
		*why = "source address in the SIP access list";
		return true;
	case PROTO_XMPP:
		if (c->nacl_xmpp_domains == 0) {
			*why = "no XMPP access list";
			return true;
		}
		if (!policy_has_domain(src)) {
			*why = "XMPP sender without a domain";
			return false;
		}
		if (!policy_domain_listed(c->acl_xmpp_domains,
		    c->nacl_xmpp_domains, src->xmpp_domain)) {
			*why = "sender domain not in the XMPP access list";
			return false;
		}
		*why = "sender domain in the XMPP access list";
		return true;
	case PROTO_NONE:
		break;
	}
	/* Unknown protocol: fail closed as soon as any list restricts. */
	if (c->nacl_sip_nets == 0 && c->nacl_xmpp_domains == 0) {
		*why = "no access lists";
		return true;
	}
	*why = "unknown source protocol";
	return false;
}

static bool
policy_str_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "route 'name' (line N)"; unnamed routes go by their position. */
static void
policy_route_label(struct policy_buf *b, const struct conf_route *r,
    size_t idx)
{
	if (r->name[0] != '\0')
		policy_buf_add(b, "'%s'", r->name);
	else
		policy_buf_add(b, "#%zu", idx + 1);
	if (r->line > 0)
		policy_buf_add(b, " (line %d)", r->line);
}

/*
 * Check one route's conditions in a fixed order (prefix, from, networks,
 * domains).  On a match @b gets the list of reasons; on a miss, only the
 * first failing condition, which is the one an operator has to change.
 * The caller has already written the label.
 */
static bool
policy_route_holds(const struct conf_route *r, const char *aus,
    const struct policy_source *src, struct policy_buf *b)
{
	char	 sa[POLICY_ADDRSTR], na[POLICY_ADDRSTR];
	int	 ni;

	if (src->has_addr)
		policy_fmt_addr(src->family, src->addr, sa, sizeof(sa));
	else
		snprintf(sa, sizeof(sa), "(none)");

	if (r->prefix[0] != '\0' &&
	    (aus == NULL || !policy_str_prefix(aus, r->prefix))) {
		policy_buf_add(b, ": prefix %s does not match", r->prefix);
		return false;
	}
	if (r->from != PROTO_NONE && r->from != src->proto) {
		policy_buf_add(b, ": only from %s", policy_strproto(r->from));
		return false;
	}
	ni = -1;
	if (r->nnets > 0) {
		ni = policy_find_net(r->nets, r->nnets, src);
		if (!src->has_addr) {
			policy_buf_add(b, ": no source address");
			return false;
		}
		if (ni < 0) {
			policy_buf_add(b, ": source %s not in its networks",
			    sa);
			return false;
		}
	}
	if (r->ndomains > 0) {
		if (!policy_has_domain(src)) {
			policy_buf_add(b, ": no sender domain");
			return false;
		}
		if (!policy_domain_listed(r->domains, r->ndomains,
		    src->xmpp_domain)) {
			policy_buf_add(b, ": domain %s not listed",
			    src->xmpp_domain);
			return false;
		}
	}

	if (r->prefix[0] != '\0')
		policy_buf_add(b, ": prefix %s matches", r->prefix);
	else
		policy_buf_add(b, ": any number");
	policy_buf_add(b, ", from %s", r->from != PROTO_NONE ?
	    policy_strproto(r->from) : "any");
	if (ni >= 0) {
		policy_fmt_net(&r->nets[ni], na, sizeof(na));
		policy_buf_add(b, ", source %s in %s", sa, na);
	}
	if (r->ndomains > 0)
		policy_buf_add(b, ", domain %s listed", src->xmpp_domain);
	return true;
}

/*
 * Two passes keep the explanation honest and short: the first finds the
 * winner without writing anything, the second writes either the winner's
 * reasons alone or, when nothing matched, one reason per route in order.
 * At most CONF_MAX_ROUTES routes are looked at, twice.
 */
int
policy_match_route(const struct gw_conf *c, const char *aus,
    const struct policy_source *src, char *why, size_t whysz)
{
	struct policy_buf	 b, none;
	size_t			 i, n;

	n = c->nroutes < CONF_MAX_ROUTES ? c->nroutes : CONF_MAX_ROUTES;
	policy_buf_init(&b, why, whysz);
	policy_buf_init(&none, NULL, 0);
	for (i = 0; i < n; i++) {
		if (!policy_route_holds(&c->routes[i], aus, src, &none))
			continue;
		policy_buf_add(&b, "route ");
		policy_route_label(&b, &c->routes[i], i);
		policy_route_holds(&c->routes[i], aus, src, &b);
		policy_buf_end(&b);
		return (int)i;
	}

	policy_buf_add(&b, "no route matches");
	if (n == 0)
		policy_buf_add(&b, ": no routes configured");
	for (i = 0; i < n; i++) {
		policy_buf_add(&b, "%s", i == 0 ? ": " : "; ");
		policy_route_label(&b, &c->routes[i], i);
		policy_route_holds(&c->routes[i], aus, src, &b);
	}
	policy_buf_end(&b);
	return -1;
}

int
policy_match_dialplan(const struct gw_conf *c,
    const struct policy_source *src)
{
	const struct conf_dialplan	*dp;
	size_t				 i, n;

	n = c->ndialplans < CONF_MAX_DIALPLANS ? c->ndialplans :
	    CONF_MAX_DIALPLANS;
	for (i = 0; i < n; i++) {
		dp = &c->dialplans[i];
		if (dp->nnets == 0 && dp->ndomains == 0)
			return (int)i;
		if (dp->nnets > 0 &&
		    policy_find_net(dp->nets, dp->nnets, src) >= 0)
			return (int)i;
		if (dp->ndomains > 0 && policy_has_domain(src) &&
		    policy_domain_listed(dp->domains, dp->ndomains,
		    src->xmpp_domain))
			return (int)i;
	}
	return -1;
}

static bool
policy_valid_aus(const char *aus)
{
	size_t	 i;

	if (aus == NULL || aus[0] != '+' || aus[1] == '\0')
		return false;
	for (i = 1; aus[i] != '\0'; i++)
		if (aus[i] < '0' || aus[i] > '9' || i > 31)
			return false;
	return true;
}

/* Does ";a;user=ip;b" carry a "user" parameter (any value)? */
static bool
policy_has_user_param(const char *params)
{
	const char	*p;

	for (p = strchr(params, ';'); p != NULL; p = strchr(p + 1, ';'))
		if (strncasecmp(p + 1, "user", 4) == 0 &&
		    (p[5] == '=' || p[5] == ';' || p[5] == '\0'))
			return true;
	return false;
}

/*
 * The target was parsed at load (conf_target_parse()); what is left per
 * message is putting the number where the target has no user.  A SIP
 * target without a user part gets the number as its user, with
 * user=phone so that the next hop reads it as a telephone number
 * (RFC 3261 section 19.1.1); "xmpp:DOMAIN" becomes NUMBER@DOMAIN.
 */
int
policy_expand_target(const struct conf_target *t, const char *aus,
    struct policy_target *out)
{
	size_t	 slen;
	int	 r;

	if (t == NULL || out == NULL || t->text[0] == '\0' ||
	    strlen(t->host) >= sizeof(out->host))
		return -1;
	memcpy(out->host, t->host, strlen(t->host) + 1);
	switch (t->kind) {
	case CONF_TARGET_SIP:
		out->kind = POLICY_T_SIP;
		out->port = t->port;
		if (t->user[0] != '\0') {
			r = snprintf(out->uri, sizeof(out->uri), "%s",
			    t->text);
			break;
		}
		if (!policy_valid_aus(aus))
			return -1;
		/* text is "sip:" or "sips:", then host[:port][;params] */
		slen = t->secure ? 5 : 4;
		r = snprintf(out->uri, sizeof(out->uri), "%.*s%s@%s%s",
		    (int)slen, t->text, aus, t->text + slen,
		    policy_has_user_param(t->params) ? "" : ";user=phone");
		break;
	case CONF_TARGET_XMPP:
		out->kind = POLICY_T_XMPP;
		out->port = 0;
		if (!policy_valid_aus(aus))
			return -1;
		r = snprintf(out->uri, sizeof(out->uri), "%s@%s", aus,
		    t->host);
		break;
	case CONF_TARGET_IM:
		out->kind = POLICY_T_IM;
		out->port = 0;
		r = snprintf(out->uri, sizeof(out->uri), "%s", t->text);
		break;
	default:
		return -1;
	}
	return r < 0 || (size_t)r >= sizeof(out->uri) ? -1 : 0;
}

/* Compare "user@host" parts: user exactly, host case-insensitively. */
static bool
policy_addr_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	const char	*at_a = memchr(a, '@', alen), *at_b = memchr(b, '@', blen);
	size_t		 ua, ub;

	if (at_a == NULL || at_b == NULL)
		return false;
	ua = (size_t)(at_a - a);
	ub = (size_t)(at_b - b);
	if (ua != ub || memcmp(a, b, ua) != 0 || alen - ua != blen - ub)
		return false;
	return strncasecmp(at_a, at_b, alen - ua) == 0;
}

const char *
policy_identity_number(const struct gw_conf *c, const char *sip_uri,
    const char *jid)
{
	const char	*p;
	size_t		 n;

	for (size_t i = 0; i < c->nidentities; i++) {
		const struct conf_identity *id = &c->identities[i];

		if (sip_uri != NULL && id->sip[0] != '\0') {
			p = sip_uri + (sip_uri[0] == '<');
			if (strncasecmp(p, "sip:", 4) != 0)
				continue;
			p += 4;
			n = strcspn(p, ";>?");
			if (policy_addr_eq(p, n, id->sip + 4,
			    strlen(id->sip + 4)))
				return id->number;
		}
		if (jid != NULL && id->xmpp[0] != '\0') {
			n = strcspn(jid, "/");
			if (policy_addr_eq(jid, n, id->xmpp, strlen(id->xmpp)))
				return id->number;
		}
	}
	return NULL;
}

bool
policy_proxy_source(const struct gw_conf *c, struct policy_source *src,
    const char *via2)
{
	char	 host[INET6_ADDRSTRLEN + 2];
	uint8_t	 addr[16];
	size_t	 n;
	int	 family;

	if (c->nacl_trusted_proxies == 0 || via2 == NULL ||
	    src->proto != PROTO_SIP || policy_find_net(
	    c->acl_trusted_proxies, c->nacl_trusted_proxies, src) < 0)
		return false;
	n = strlen(via2);
	if (n >= 2 && via2[0] == '[' && via2[n - 1] == ']') {
		via2++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, via2, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, addr) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		family = AF_INET6;
	else
		return false;
	src->family = family;
	memset(src->addr, 0, sizeof(src->addr));
	memcpy(src->addr, addr, family == AF_INET ? 4 : 16);
	return true;
}
