/*
 * tests/unit/test_policy.c - ACL, route and dial plan choice, targets.
 *
 * Drives routing/policy with struct gw_conf instances built in code (in
 * static storage: the struct is large) and senders described as a
 * protocol, an address and a domain.  Tables cover network containment
 * (IPv4, IPv6, IPv4-mapped), the ACL verdicts and their reasons, first
 * match wins over prefix/from/network/domain routes with the exact
 * explanation imgate-lookup prints, dial plan selection, and static
 * target rewriting.  TAP.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing/policy.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* "10.0.0.0/8" -> struct conf_net; aborts on a broken test table. */
static struct conf_net
mknet(const char *s)
{
	struct conf_net	 n;
	char		 buf[64];
	char		*slash;

	memset(&n, 0, sizeof(n));
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash == NULL)
		abort();
	*slash = '\0';
	n.family = strchr(buf, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(n.family, buf, n.addr) != 1)
		abort();
	n.prefixlen = (unsigned)atoi(slash + 1);
	return n;
}

/* A sender; @addr NULL means none. */
static struct policy_source
mksrc(enum proto proto, const char *addr, const char *domain)
{
	struct policy_source	 s;

	memset(&s, 0, sizeof(s));
	s.proto = proto;
	s.xmpp_domain = domain;
	if (addr != NULL) {
		s.family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
		if (inet_pton(s.family, addr, s.addr) != 1)
			abort();
		s.has_addr = true;
	}
	return s;
}

/* ---- policy_net_contains ---------------------------------------- */

struct ncase {
	const char	*net;
	const char	*addr;
	bool		 want;
};

static const struct ncase ncases[] = {
	{ "10.0.0.0/8", "10.1.2.3", true },
	{ "10.0.0.0/8", "11.0.0.1", false },
	{ "10.0.0.0/8", "::ffff:10.1.2.3", true },
	{ "10.0.0.0/8", "::ffff:11.1.2.3", false },
	{ "10.0.0.0/8", "::10.1.2.3", false },	/* compatible, not mapped */
	{ "192.168.1.0/24", "192.168.1.255", true },
	{ "192.168.1.0/24", "192.168.2.1", false },
	{ "172.16.0.0/12", "172.31.255.255", true },
	{ "172.16.0.0/12", "172.32.0.0", false },
	{ "10.1.2.3/32", "10.1.2.3", true },
	{ "10.1.2.3/32", "10.1.2.4", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "0.0.0.0/0", "::ffff:203.0.113.9", true },
	{ "0.0.0.0/0", "2001:db8::1", false },
	{ "2001:db8::/32", "2001:db8:1::5", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8::/32", "10.1.2.3", false },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "2001:db8::1/128", "2001:db8::1", true },
	{ "2001:db8::1/128", "2001:db8::2", false },
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "10.1.2.3", false },
	{ "::/0", "::ffff:10.1.2.3", false },
	{ "::ffff:10.0.0.0/104", "10.1.2.3", true },
	{ "::ffff:10.0.0.0/104", "::ffff:10.1.2.3", true },
	{ "::ffff:10.0.0.0/104", "11.1.2.3", false },
	{ "::ffff:0:0/96", "198.51.100.7", true },
};

static void
test_net_contains(void)
{
	struct conf_net		 n;
	struct policy_source	 s;
	size_t			 i;

	for (i = 0; i < NELEM(ncases); i++) {
		n = mknet(ncases[i].net);
		s = mksrc(PROTO_SIP, ncases[i].addr, NULL);
		is_int(policy_net_contains(&n, s.family, s.addr),
		    ncases[i].want, "net %s %s %s", ncases[i].net,
		    ncases[i].want ? "contains" : "does not contain",
		    ncases[i].addr);
	}

	/* Broken networks and families never match. */
	s = mksrc(PROTO_SIP, "10.1.2.3", NULL);
	n = mknet("10.0.0.0/8");
	n.prefixlen = 33;
	ok(!policy_net_contains(&n, AF_INET, s.addr),
	    "IPv4 prefix length 33 never matches");
	n = mknet("2001:db8::/32");
	n.prefixlen = 129;
	s = mksrc(PROTO_SIP, "2001:db8::1", NULL);
	ok(!policy_net_contains(&n, AF_INET6, s.addr),
	    "IPv6 prefix length 129 never matches");
	n = mknet("10.0.0.0/8");
	n.family = 0;
	ok(!policy_net_contains(&n, AF_INET, s.addr),
	    "network of unknown family never matches");
	n = mknet("0.0.0.0/0");
	ok(!policy_net_contains(&n, 12345, s.addr),
	    "address of unknown family never matches");
}

/* ---- policy_acl_allows ------------------------------------------ */

static struct gw_conf acl_full, acl_empty, acl_xmpp_only;

static void
setup_acl(void)
{
	memset(&acl_full, 0, sizeof(acl_full));
	acl_full.acl_sip_nets[0] = mknet("10.0.0.0/8");
	acl_full.acl_sip_nets[1] = mknet("2001:db8::/32");
	acl_full.nacl_sip_nets = 2;
	snprintf(acl_full.acl_xmpp_domains[0], CONF_STR_MAX, "example.org");
	snprintf(acl_full.acl_xmpp_domains[1], CONF_STR_MAX,
	    "Chat.Example.NET");
	acl_full.nacl_xmpp_domains = 2;

	memset(&acl_empty, 0, sizeof(acl_empty));

	memset(&acl_xmpp_only, 0, sizeof(acl_xmpp_only));
	snprintf(acl_xmpp_only.acl_xmpp_domains[0], CONF_STR_MAX,
	    "example.org");
	acl_xmpp_only.nacl_xmpp_domains = 1;
}

struct acase {
	const char		*name;
	const struct gw_conf	*conf;
	enum proto	 proto;
	const char		*addr;
	const char		*domain;
	bool			 want;
	const char		*why;
};

static const struct acase acases[] = {
	{ "sip in 10/8", &acl_full, PROTO_SIP, "10.1.2.3", NULL, true,
	  "source address in the SIP access list" },
	{ "sip outside", &acl_full, PROTO_SIP, "192.0.2.1", NULL, false,
	  "source address not in the SIP access list" },
	{ "sip mapped IPv4 in 10/8", &acl_full, PROTO_SIP,
	  "::ffff:10.9.9.9", NULL, true,
	  "source address in the SIP access list" },
	{ "sip IPv6 in 2001:db8::/32", &acl_full, PROTO_SIP,
	  "2001:db8::5", NULL, true,
	  "source address in the SIP access list" },
	{ "sip IPv6 outside", &acl_full, PROTO_SIP, "2001:db9::5", NULL,
	  false, "source address not in the SIP access list" },
	{ "sip without address", &acl_full, PROTO_SIP, NULL, NULL, false,
	  "SIP sender without an address" },
	{ "sip domain is not looked at", &acl_full, PROTO_SIP,
	  "192.0.2.1", "example.org", false,
	  "source address not in the SIP access list" },
	{ "xmpp listed", &acl_full, PROTO_XMPP, NULL, "example.org", true,
	  "sender domain in the XMPP access list" },
	{ "xmpp listed, case and trailing dot", &acl_full, PROTO_XMPP,
	  NULL, "EXAMPLE.Org.", true,
	  "sender domain in the XMPP access list" },
	{ "xmpp list entry in mixed case", &acl_full, PROTO_XMPP, NULL,
	  "chat.example.net", true,
	  "sender domain in the XMPP access list" },
	{ "xmpp subdomain is not its parent", &acl_full, PROTO_XMPP,
	  NULL, "sub.example.org", false,
	  "sender domain not in the XMPP access list" },
	{ "xmpp parent is not the listed subdomain", &acl_full,
	  PROTO_XMPP, NULL, "example.net", false,
	  "sender domain not in the XMPP access list" },
	{ "xmpp suffix lookalike", &acl_full, PROTO_XMPP, NULL,
	  "badexample.org", false,
	  "sender domain not in the XMPP access list" },
	{ "xmpp address is not looked at", &acl_full, PROTO_XMPP,
	  "10.1.2.3", "evil.example", false,
	  "sender domain not in the XMPP access list" },
	{ "xmpp without domain", &acl_full, PROTO_XMPP, NULL, NULL, false,
	  "XMPP sender without a domain" },
	{ "xmpp empty domain", &acl_full, PROTO_XMPP, NULL, "", false,
	  "XMPP sender without a domain" },
	{ "unknown protocol with lists", &acl_full, PROTO_NONE,
	  "10.1.2.3", "example.org", false, "unknown source protocol" },
	{ "empty lists: sip", &acl_empty, PROTO_SIP, NULL, NULL, true,
	  "no SIP access list" },
	{ "empty lists: xmpp", &acl_empty, PROTO_XMPP, NULL, NULL, true,
	  "no XMPP access list" },
	{ "empty lists: unknown protocol", &acl_empty, PROTO_NONE, NULL,
	  NULL, true, "no access lists" },
	{ "xmpp-only list: sip allowed", &acl_xmpp_only, PROTO_SIP,
	  "192.0.2.1", NULL, true, "no SIP access list" },
	{ "xmpp-only list: xmpp checked", &acl_xmpp_only, PROTO_XMPP,
	  NULL, "other.example", false,
	  "sender domain not in the XMPP access list" },
	{ "xmpp-only list: unknown protocol", &acl_xmpp_only, PROTO_NONE,
	  NULL, NULL, false, "unknown source protocol" },
};

static void
test_acl(void)
{
	struct policy_source	 s;
	const char		*why;
	size_t			 i;

	setup_acl();
	for (i = 0; i < NELEM(acases); i++) {
		s = mksrc(acases[i].proto, acases[i].addr, acases[i].domain);
		why = NULL;
		is_int(policy_acl_allows(acases[i].conf, &s, &why),
		    acases[i].want, "acl %s: %s", acases[i].name,
		    acases[i].want ? "allowed" : "refused");
		is_str(why, acases[i].why, "acl %s: reason", acases[i].name);
	}
	s = mksrc(PROTO_SIP, "10.1.2.3", NULL);
	ok(policy_acl_allows(&acl_full, &s, NULL),
	    "acl: why may be NULL");
}

/* ---- policy_match_route ----------------------------------------- */

struct rspec {
	const char		*name;
	int			 line;
	const char		*prefix;
	enum proto	 from;
	const char		*nets[3];
	const char		*domains[3];
};

static const struct rspec routes_main[] = {
	{ "deny-premium", 5, "+1900", PROTO_NONE, { NULL }, { NULL } },
	{ "dc-local", 12, "+1202", PROTO_SIP, { "10.0.0.0/8", NULL },
	  { NULL } },
	{ "xmpp-partner", 20, "+1", PROTO_XMPP, { NULL },
	  { "partner.example", NULL } },
	{ "v6-lab", 25, "", PROTO_SIP,
	  { "192.0.2.128/25", "2001:db8::/32", NULL }, { NULL } },
	{ "uk", 30, "+44", PROTO_NONE, { NULL }, { NULL } },
	{ "both", 35, "+33", PROTO_NONE, { "10.0.0.0/8", NULL },
	  { "office.example", NULL } },
	{ "catch-all", 40, "", PROTO_NONE, { NULL }, { NULL } },
};

static struct gw_conf rconf, rconf_nocatch, rconf_none, rconf_unnamed;
static struct gw_conf rconf_copy;

static void
fill_routes(struct gw_conf *c, const struct rspec *rs, size_t n)
{
	struct conf_route	*r;
	size_t			 i, j;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++) {
		r = &c->routes[i];
		snprintf(r->name, sizeof(r->name), "%s", rs[i].name);
		r->line = rs[i].line;
		snprintf(r->prefix, sizeof(r->prefix), "%s", rs[i].prefix);
		r->from = rs[i].from;
		for (j = 0; j < NELEM(rs[i].nets) && rs[i].nets[j] != NULL;
		    j++)
			r->nets[r->nnets++] = mknet(rs[i].nets[j]);
		for (j = 0; j < NELEM(rs[i].domains) &&
		    rs[i].domains[j] != NULL; j++)
			snprintf(r->domains[r->ndomains++], CONF_STR_MAX,
			    "%s", rs[i].domains[j]);
		r->action = CONF_ROUTE_ENUM;
	}
	c->nroutes = n;
}

struct rcase {
	const struct gw_conf	*conf;
	const char		*aus;
	enum proto	 proto;
	const char		*addr;
	const char		*domain;
	int			 want;
	const char		*why;	/* NULL: not compared */
};

static const struct rcase rcases[] = {
	/* first match wins: +1900 is denied before anything else looks */
	{ &rconf, "+19005551234", PROTO_SIP, "10.1.2.3", NULL, 0,
	  "route 'deny-premium' (line 5): prefix +1900 matches, from any" },
	{ &rconf, "+12025550100", PROTO_SIP, "10.1.2.3", NULL, 1,
	  "route 'dc-local' (line 12): prefix +1202 matches, from sip, "
	  "source 10.1.2.3 in 10.0.0.0/8" },
	{ &rconf, "+12025550100", PROTO_SIP, "::ffff:10.1.2.3", NULL, 1,
	  "route 'dc-local' (line 12): prefix +1202 matches, from sip, "
	  "source ::ffff:10.1.2.3 in 10.0.0.0/8" },
	/* prefix holds but the network does not: falls through */
	{ &rconf, "+12025550100", PROTO_SIP, "198.51.100.1", NULL, 6,
	  "route 'catch-all' (line 40): any number, from any" },
	{ &rconf, "+12025550100", PROTO_XMPP, NULL, "partner.example", 2,
	  "route 'xmpp-partner' (line 20): prefix +1 matches, from xmpp, "
	  "domain partner.example listed" },
	{ &rconf, "+12025550100", PROTO_XMPP, NULL, "PARTNER.example.",
	  2, NULL },
	{ &rconf, "+12025550100", PROTO_XMPP, NULL, "sub.partner.example",
	  6, NULL },
	/* an XMPP sender inside 10/8 still is not "from sip" */
	{ &rconf, "+12025550100", PROTO_XMPP, "10.1.2.3",
	  "partner.example", 2, NULL },
	{ &rconf, "+12025550100", PROTO_XMPP, "10.1.2.3", "other.example",
	  6, NULL },
	{ &rconf, "+33123456789", PROTO_SIP, "2001:db8::1", NULL, 3,
	  "route 'v6-lab' (line 25): any number, from sip, "
	  "source 2001:db8::1 in 2001:db8::/32" },
	{ &rconf, "+33123456789", PROTO_SIP, "192.0.2.200", NULL, 3,
	  "route 'v6-lab' (line 25): any number, from sip, "
	  "source 192.0.2.200 in 192.0.2.128/25" },
	{ &rconf, "+33123456789", PROTO_SIP, "192.0.2.127", NULL, 6,
	  NULL },
	{ &rconf, "+442079460148", PROTO_SIP, "192.0.2.1", NULL, 4,
	  "route 'uk' (line 30): prefix +44 matches, from any" },
	/* prefix is a string prefix: "+44" does not take "+4", "+4420" ok */
	{ &rconf, "+4", PROTO_SIP, NULL, NULL, 6, NULL },
	/* nets and domains together: both must hold */
	{ &rconf, "+33123456789", PROTO_XMPP, "10.1.2.3",
	  "office.example", 5,
	  "route 'both' (line 35): prefix +33 matches, from any, "
	  "source 10.1.2.3 in 10.0.0.0/8, domain office.example listed" },
	{ &rconf, "+33123456789", PROTO_XMPP, NULL, "office.example", 6,
	  NULL },
	{ &rconf, "+33123456789", PROTO_NONE, "10.1.2.3", NULL, 6, NULL },
	/* unknown protocol matches only "from any" routes */
	{ &rconf, "+12025550100", PROTO_NONE, "10.1.2.3", NULL, 6, NULL },
	{ &rconf, "+19005550000", PROTO_NONE, NULL, NULL, 0, NULL },
	/* no AUS: only routes without a prefix */
	{ &rconf, NULL, PROTO_SIP, "2001:db8::1", NULL, 3, NULL },
	{ &rconf, "", PROTO_XMPP, NULL, "partner.example", 6, NULL },
	/* nothing matches: one reason per route, in order */
	{ &rconf_nocatch, "+4930123456", PROTO_XMPP, NULL, "x.example",
	  -1,
	  "no route matches: 'deny-premium' (line 5): prefix +1900 does "
	  "not match; 'dc-local' (line 12): prefix +1202 does not match; "
	  "'xmpp-partner' (line 20): prefix +1 does not match; 'v6-lab' "
	  "(line 25): only from sip; 'uk' (line 30): prefix +44 does not "
	  "match; 'both' (line 35): prefix +33 does not match" },
	{ &rconf_nocatch, "+12025550100", PROTO_SIP, "198.51.100.1",
	  NULL, -1,
	  "no route matches: 'deny-premium' (line 5): prefix +1900 does "
	  "not match; 'dc-local' (line 12): source 198.51.100.1 not in its "
	  "networks; 'xmpp-partner' (line 20): only from xmpp; 'v6-lab' "
	  "(line 25): source 198.51.100.1 not in its networks; 'uk' (line "
	  "30): prefix +44 does not match; 'both' (line 35): prefix +33 "
	  "does not match" },
	{ &rconf_nocatch, "+33123456789", PROTO_SIP, NULL, NULL, -1,
	  "no route matches: 'deny-premium' (line 5): prefix +1900 does "
	  "not match; 'dc-local' (line 12): prefix +1202 does not match; "
	  "'xmpp-partner' (line 20): prefix +1 does not match; 'v6-lab' "
	  "(line 25): no source address; 'uk' (line 30): prefix +44 does "
	  "not match; 'both' (line 35): no source address" },
	{ &rconf_nocatch, "+33123456789", PROTO_SIP, "10.1.2.3", NULL, -1,
	  NULL },
	{ &rconf_nocatch, "+12025550100", PROTO_XMPP, NULL, NULL, -1,
	  NULL },
	{ &rconf_none, "+12025550100", PROTO_SIP, "10.1.2.3", NULL, -1,
	  "no route matches: no routes configured" },
	{ &rconf_unnamed, "+12025550100", PROTO_SIP, NULL, NULL, 1,
	  "route #2: prefix +1 matches, from any" },
	{ &rconf_unnamed, "+4420", PROTO_SIP, NULL, NULL, -1,
	  "no route matches: #1: prefix +7 does not match; #2: prefix +1 "
	  "does not match" },
};

static void
setup_routes(void)
{
	static const struct rspec unnamed[] = {
		{ "", 0, "+7", PROTO_NONE, { NULL }, { NULL } },
		{ "", 0, "+1", PROTO_NONE, { NULL }, { NULL } },
	};

	fill_routes(&rconf, routes_main, NELEM(routes_main));
	fill_routes(&rconf_nocatch, routes_main, NELEM(routes_main) - 1);
	fill_routes(&rconf_none, routes_main, 0);
	fill_routes(&rconf_unnamed, unnamed, NELEM(unnamed));
	memcpy(&rconf_copy, &rconf, sizeof(rconf));
}

static void
test_routes(void)
{
	struct policy_source	 s;
	char			 why[POLICY_WHY_MAX], small[40];
	size_t			 i;
	int			 got;

	setup_routes();
	for (i = 0; i < NELEM(rcases); i++) {
		const struct rcase *rc = &rcases[i];

		s = mksrc(rc->proto, rc->addr, rc->domain);
		memset(why, 'x', sizeof(why));
		got = policy_match_route(rc->conf, rc->aus, &s, why,
		    sizeof(why));
		is_int(got, rc->want, "route %zu: %s from %s %s%s -> %d", i,
		    rc->aus != NULL ? rc->aus : "(null)",
		    rc->proto == PROTO_SIP ? "sip" :
		    rc->proto == PROTO_XMPP ? "xmpp" : "any",
		    rc->addr != NULL ? rc->addr : "",
		    rc->domain != NULL ? rc->domain : "", rc->want);
		if (rc->why != NULL)
			is_str(why, rc->why, "route %zu: explanation", i);
		else
			ok(strlen(why) > 0 && strlen(why) < sizeof(why),
			    "route %zu: explanation present: %s", i, why);
	}

	/* A short buffer gets a cut explanation ending in "...". */
	s = mksrc(PROTO_SIP, "198.51.100.1", NULL);
	memset(small, 'x', sizeof(small));
	got = policy_match_route(&rconf_nocatch, "+12025550100", &s, small,
	    sizeof(small));
	is_int(got, -1, "route: short buffer does not change the result");
	is_int(strlen(small), sizeof(small) - 1,
	    "route: short buffer filled, NUL-terminated");
	is_str(small + sizeof(small) - 4, "...",
	    "route: short buffer ends in ...");
	got = policy_match_route(&rconf, "+12025550100", &s, why, 1);
	is_int(got, 6, "route: one-byte buffer");
	is_str(why, "", "route: one-byte buffer holds \"\"");
	is_int(policy_match_route(&rconf, "+12025550100", &s, NULL, 0), 6,
	    "route: why may be NULL");
	ok(memcmp(&rconf, &rconf_copy, sizeof(rconf)) == 0,
	    "route: configuration left untouched");
}

/* ---- policy_match_dialplan -------------------------------------- */

static struct gw_conf dconf, dconf_nodefault;

static void
setup_dialplans(void)
{
	struct conf_dialplan	*dp;

	memset(&dconf, 0, sizeof(dconf));
	dp = &dconf.dialplans[0];
	snprintf(dp->name, sizeof(dp->name), "office");
	dp->nets[dp->nnets++] = mknet("10.0.0.0/8");
	snprintf(dp->domains[dp->ndomains++], CONF_STR_MAX,
	    "office.example");
	dp = &dconf.dialplans[1];
	snprintf(dp->name, sizeof(dp->name), "uk-lab");
	dp->nets[dp->nnets++] = mknet("2001:db8::/32");
	dp = &dconf.dialplans[2];
	snprintf(dp->name, sizeof(dp->name), "partners");
	snprintf(dp->domains[dp->ndomains++], CONF_STR_MAX,
	    "partner.example");
	dp = &dconf.dialplans[3];
	snprintf(dp->name, sizeof(dp->name), "default");
	dconf.ndialplans = 4;

	memcpy(&dconf_nodefault, &dconf, sizeof(dconf));
	dconf_nodefault.ndialplans = 3;
}

struct dcase {
	const struct gw_conf	*conf;
	enum proto	 proto;
	const char		*addr;
	const char		*domain;
	int			 want;
};

static const struct dcase dcases[] = {
	{ &dconf, PROTO_SIP, "10.1.2.3", NULL, 0 },
	{ &dconf, PROTO_SIP, "::ffff:10.1.2.3", NULL, 0 },
	{ &dconf, PROTO_XMPP, NULL, "office.example", 0 },
	{ &dconf, PROTO_XMPP, NULL, "Office.Example", 0 },
	{ &dconf, PROTO_SIP, "2001:db8::1", NULL, 1 },
	{ &dconf, PROTO_XMPP, NULL, "partner.example", 2 },
	{ &dconf, PROTO_XMPP, NULL, "sub.partner.example", 3 },
	{ &dconf, PROTO_SIP, "192.0.2.1", NULL, 3 },
	{ &dconf, PROTO_SIP, NULL, NULL, 3 },
	{ &dconf, PROTO_NONE, NULL, NULL, 3 },
	{ &dconf_nodefault, PROTO_SIP, "192.0.2.1", NULL, -1 },
	{ &dconf_nodefault, PROTO_XMPP, NULL, NULL, -1 },
	{ &dconf_nodefault, PROTO_SIP, "2001:db8:ffff::1", NULL, 1 },
	{ &rconf_none, PROTO_SIP, "10.1.2.3", NULL, -1 },
};

static void
test_dialplans(void)
{
	struct policy_source	 s;
	size_t			 i;

	setup_dialplans();
	for (i = 0; i < NELEM(dcases); i++) {
		s = mksrc(dcases[i].proto, dcases[i].addr, dcases[i].domain);
		is_int(policy_match_dialplan(dcases[i].conf, &s),
		    dcases[i].want, "dial plan %zu: %s %s -> %d", i,
		    dcases[i].addr != NULL ? dcases[i].addr : "",
		    dcases[i].domain != NULL ? dcases[i].domain : "",
		    dcases[i].want);
	}
}

/* ---- static targets: conf_target_parse + policy_expand_target ---- */

/*
 * Each row goes through what the daemon runs: the loader's one parser
 * (conf_target_parse) at load, then policy_expand_target per message.
 * want -1: refused by either step.
 */

#define AUS	"+12025550100"

struct tcase {
	const char		*target;
	const char		*aus;
	int			 want;
	enum policy_target_kind	 kind;
	const char		*uri;
	const char		*host;
	unsigned		 port;
};

static const struct tcase tcases[] = {
	{ "sip:gw.example.net", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@gw.example.net;user=phone", "gw.example.net",
	  5060 },
	{ "sip:gw.example.net:5070", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@gw.example.net:5070;user=phone",
	  "gw.example.net", 5070 },
	{ "sip:gw.example.net;transport=tcp", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@gw.example.net;transport=tcp;user=phone",
	  "gw.example.net", 5060 },
	{ "sip:gw.example.net;User=phone", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@gw.example.net;User=phone", "gw.example.net",
	  5060 },
	{ "sip:10.0.0.5:5080", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@10.0.0.5:5080;user=phone", "10.0.0.5", 5080 },
	{ "sip:[2001:db8::5]:5062", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@[2001:db8::5]:5062;user=phone", "2001:db8::5",
	  5062 },
	{ "sip:[2001:db8::5]", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@[2001:db8::5];user=phone", "2001:db8::5",
	  5060 },
	{ "sip:alice@pbx.example.com", AUS, 0, POLICY_T_SIP,
	  "sip:alice@pbx.example.com", "pbx.example.com", 5060 },
	{ "sip:alice@pbx.example.com:5080;transport=udp", NULL, 0,
	  POLICY_T_SIP, "sip:alice@pbx.example.com:5080;transport=udp",
	  "pbx.example.com", 5080 },
	/* the loader keeps the scheme and host in lower case */
	{ "SIP:GW.Example.net", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@gw.example.net;user=phone", "gw.example.net",
	  5060 },
	{ "sips:gw.example.net", AUS, 0, POLICY_T_SIP,
	  "sips:+12025550100@gw.example.net;user=phone", "gw.example.net",
	  5061 },
	/* TLS by parameter: the default port is TLS's too */
	{ "sip:gw.example.net;transport=tls", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@gw.example.net;transport=tls;user=phone",
	  "gw.example.net", 5061 },
	{ "sip:alice@gw.example.net;TRANSPORT=TLS;lr", NULL, 0, POLICY_T_SIP,
	  "sip:alice@gw.example.net;TRANSPORT=TLS;lr", "gw.example.net",
	  5061 },
	{ "sip:gw.example.net:5070;transport=tls", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@gw.example.net:5070;transport=tls;user=phone",
	  "gw.example.net", 5070 },
	{ "sip:gw.example.net;transport=tlsx", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@gw.example.net;transport=tlsx;user=phone",
	  "gw.example.net", 5060 },

	{ "xmpp:xmpp.example.org", AUS, 0, POLICY_T_XMPP,
	  "+12025550100@xmpp.example.org", "xmpp.example.org", 0 },
	{ "XMPP:Example.org", AUS, 0, POLICY_T_XMPP,
	  "+12025550100@example.org", "example.org", 0 },
	{ "im:fred@example.com", NULL, 0, POLICY_T_IM, "im:fred@example.com",
	  "example.com", 0 },
	/* malformed */
	{ "sip:gw.example.net.", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:+4420;isub=1@pbx.example.com", NULL, -1, 0, NULL, NULL, 0 },
	{ "XMPP:bob@example.org", NULL, -1, 0, NULL, NULL, 0 },
	{ "sip:gw.example.net;transport", AUS, 0, POLICY_T_SIP,
	  "sip:+12025550100@gw.example.net;transport;user=phone",
	  "gw.example.net", 5060 },
	{ "sip:gw.example.net;", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw.example.net;;lr", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw.example.net;a%20b", AUS, -1, 0, NULL, NULL, 0 },
	{ "im:fred@example.com:5222", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw:0", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw:65536", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw:50a", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw:", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:@gw", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw..example", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:.gw", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw_1.example", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:[2001:db8::zz]", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:[2001:db8::5", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:[2001:db8::5]x", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:2001:db8::5", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw example", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw.example\xc3\xa9", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw?subject=x", AUS, -1, 0, NULL, NULL, 0 },
	{ "sip:gw.example.net", NULL, -1, 0, NULL, NULL, 0 },
	{ "sip:gw.example.net", "12025550100", -1, 0, NULL, NULL, 0 },
	{ "sip:gw.example.net", "+", -1, 0, NULL, NULL, 0 },
	{ "sip:gw.example.net", "+1202x", -1, 0, NULL, NULL, 0 },
	{ "xmpp://example.org", AUS, -1, 0, NULL, NULL, 0 },
	{ "xmpp:bob@example.org/res", AUS, -1, 0, NULL, NULL, 0 },
	{ "xmpp:", AUS, -1, 0, NULL, NULL, 0 },
	{ "xmpp:@example.org", AUS, -1, 0, NULL, NULL, 0 },
	{ "xmpp:a@b@example.org", AUS, -1, 0, NULL, NULL, 0 },
	{ "xmpp:xmpp.example.org", NULL, -1, 0, NULL, NULL, 0 },
	{ "im:example.com", AUS, -1, 0, NULL, NULL, 0 },
	{ "im:@example.com", AUS, -1, 0, NULL, NULL, 0 },
	{ "im:fred@", AUS, -1, 0, NULL, NULL, 0 },
	{ "im:fred@example.com?subject=x", AUS, -1, 0, NULL, NULL, 0 },
	{ "mailto:x@example.com", AUS, -1, 0, NULL, NULL, 0 },
	{ "tel:+12025550100", AUS, -1, 0, NULL, NULL, 0 },
	{ "gw.example.net", AUS, -1, 0, NULL, NULL, 0 },
	{ "", AUS, -1, 0, NULL, NULL, 0 },
};

/* What the daemon does with a configured target: parse at load, expand
 * per message.  -1 when either refuses. */
static int
test_target(const char *text, const char *aus, struct policy_target *t)
{
	struct conf_target	 ct;
	char			 why[256];

	if (conf_target_parse(text, &ct, why, sizeof(why)) != 0)
		return -1;
	return policy_expand_target(&ct, aus, t);
}

static void
test_targets(void)
{
	struct policy_target	 t;
	struct conf_target	 ct;
	char			 longhost[300], why[256];
	size_t			 i;
	int			 r;

	for (i = 0; i < NELEM(tcases); i++) {
		const struct tcase *tc = &tcases[i];

		memset(&t, 0, sizeof(t));
		r = test_target(tc->target, tc->aus, &t);
		is_int(r, tc->want, "target \"%s\" (aus %s): %s", tc->target,
		    tc->aus != NULL ? tc->aus : "NULL",
		    tc->want == 0 ? "accepted" : "refused");
		if (tc->want != 0 || r != 0)
			continue;
		is_int(t.kind, tc->kind, "target \"%s\": kind", tc->target);
		is_str(t.uri, tc->uri, "target \"%s\": uri", tc->target);
		is_str(t.host, tc->host, "target \"%s\": host", tc->target);
		is_int(t.port, tc->port, "target \"%s\": port", tc->target);
	}
	ok(policy_expand_target(NULL, AUS, &t) == -1, "target NULL refused");
	memset(&ct, 0, sizeof(ct));
	ok(policy_expand_target(&ct, AUS, &t) == -1,
	    "target never parsed (empty) refused");

	/* The parser says what is wrong, quoting the target. */
	ok(conf_target_parse("sip:gw:0", &ct, why, sizeof(why)) == -1 &&
	    strstr(why, "\"sip:gw:0\" is not sip:HOST") != NULL,
	    "refusal names the target and the form (%s)", why);
	ok(ct.text[0] == '\0', "refused target left empty");

	/* A host name of 64-byte labels is refused; 63 is the limit. */
	memset(longhost, 0, sizeof(longhost));
	memcpy(longhost, "sip:", 4);
	for (i = 0; i < 64; i++)
		longhost[4 + i] = 'a';
	memcpy(longhost + 4 + 64, ".example", 9);
	ok(test_target(longhost, AUS, &t) == -1,
	    "target with a 64-byte label refused");
	memmove(longhost + 4 + 63, longhost + 4 + 64, 9);
	ok(test_target(longhost, AUS, &t) == 0,
	    "target with a 63-byte label accepted");
	is_int(strlen(t.host), 63 + 8, "long host kept whole");
}

static struct gw_conf iconf;

/* The identity table: which senders are shown as numbers. */
static void
test_identities(void)
{
	static const struct {
		const char	*sip, *jid, *want;
	} rows[] = {
		{ "sip:alice@a.example", NULL, "+12025550123" },
		{ "<sip:alice@A.Example;tag=x>", NULL, "+12025550123" },
		{ "sip:alice@a.example;user=phone", NULL, "+12025550123" },
		{ "sip:Alice@a.example", NULL, NULL },
		{ "sip:alice@a.example:5070", NULL, NULL },
		{ "sip:bob@a.example", NULL, NULL },
		{ NULL, "juliet@b.example/phone", "+12025550124" },
		{ NULL, "juliet@B.EXAMPLE", "+12025550124" },
		{ NULL, "romeo@b.example", NULL },
		{ NULL, NULL, NULL },
	};

	memset(&iconf, 0, sizeof(iconf));
	snprintf(iconf.identities[0].sip, CONF_STR_MAX, "sip:alice@a.example");
	snprintf(iconf.identities[0].number, 32, "+12025550123");
	snprintf(iconf.identities[1].xmpp, CONF_STR_MAX, "juliet@b.example");
	snprintf(iconf.identities[1].number, 32, "+12025550124");
	iconf.nidentities = 2;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		is_str(policy_identity_number(&iconf, rows[i].sip,
		    rows[i].jid), rows[i].want, "identity of %s%s",
		    rows[i].sip ? rows[i].sip : "",
		    rows[i].jid ? rows[i].jid : "");
}

int
main(void)
{
	test_net_contains();
	test_acl();
	test_routes();
	test_dialplans();
	test_targets();
	test_identities();
	return done_testing();
}
