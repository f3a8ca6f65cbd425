/*
 * tests/unit/test_conf.c - conf_defaults() and conf_load() against the
 * good-*.conf / bad-*.conf corpus in tests/conf.
 *
 * Checks the step before any message flows: the schema table, the
 * defaults, every good file (must load), every bad file (must fail with
 * the text of its "# expect:" line at the line of its "# line:" line),
 * a few parsed values (routing policy included), the reload check,
 * conf/imgate.conf.example and conf/examples/NAME.conf.  The corpus folder
 * is argv[1], else $srcdir/tests/conf, else tests/conf.  Output is TAP.
 * struct gw_conf is large (route tables): never on the stack here.
 */
#include <sys/socket.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/conf_schema.h"
#include "tests/tap.h"

#define TEST_PATH_MAX	4096
#define TEST_MAX_FILES	256

static int
test_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in @dir starting with @prefix and ending in ".conf". */
static size_t
test_list(const char *dir, const char *prefix, char **names, size_t max)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 n = 0, len;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    len < 5 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		if ((names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), test_cmp_names);
	return n;
}

/* Read "# expect: TEXT" and "# line: N" from the top of a bad file. */
static int
test_read_header(const char *path, char *expect, size_t expectsz, int *line)
{
	FILE	*fp;
	char	 buf[512];
	size_t	 len;

	expect[0] = '\0';
	*line = 0;
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), fp) != NULL && buf[0] == '#') {
		len = strlen(buf);
		while (len > 0 && strchr("\r\n", buf[len - 1]) != NULL)
			buf[--len] = '\0';
		if (strncmp(buf, "# expect: ", 10) == 0)
			snprintf(expect, expectsz, "%s", buf + 10);
		else if (strncmp(buf, "# line: ", 8) == 0)
			*line = atoi(buf + 8);
	}
	fclose(fp);
	return expect[0] != '\0' && *line > 0 ? 0 : -1;
}

static void
test_schema(void)
{
	const struct conf_schema_row	*r;
	size_t				 i, j;
	int				 dup = 0, docs = 1, fits = 1;
	int				 lists = 1;

	for (i = 0; i < conf_schema_len; i++) {
		r = &conf_schema[i];
		for (j = 0; j < i; j++)
			if (strcmp(r->path, conf_schema[j].path) == 0)
				dup = 1;
		if (r->doc == NULL || r->doc[0] == '\0' || r->def == NULL)
			docs = 0;
		if (r->off + r->size > sizeof(struct gw_conf))
			fits = 0;
		if (r->type == CONF_TYPE_LIST && (r->max > CONF_MAX_LIST ||
		    r->min < 0 || r->count_off + sizeof(size_t) >
		    sizeof(struct gw_conf)))
			lists = 0;
		if (r->type == CONF_TYPE_ENUM && r->allowed == NULL)
			lists = 0;
	}
	for (i = 0; i < conf_keys_len; i++) {
		const struct conf_key_row *k = &conf_keys[i];
		int is_route = strncmp(k->path, "routes.", 7) == 0;

		for (j = 0; j < i; j++)
			if (strcmp(k->path, conf_keys[j].path) == 0)
				dup = 1;
		if (conf_schema_find(k->path) != NULL)
			dup = 1;
		if (k->doc == NULL || k->doc[0] == '\0')
			docs = 0;
		if ((k->type == CONF_TYPE_LIST && (k->max > 16 ||
		    k->min < 0)) || k->type == CONF_TYPE_BOOL ||
		    k->type == CONF_TYPE_ENUM || k->min > k->max)
			lists = 0;
		if (is_route ? (k->actions == 0 ||
		    (k->actions & ~(unsigned)CONF_ACT_ALL) != 0) :
		    k->actions != 0)
			lists = 0;
	}
	ok(conf_schema_len >= 29, "schema has %zu rows", conf_schema_len);
	ok(conf_keys_len >= 20, "key table has %zu rows", conf_keys_len);
	ok(conf_keys_find("routes.prefix") != NULL, "find routes.prefix");
	ok(conf_keys_find("routes.prefx") == NULL, "no routes.prefx");
	ok(conf_keys_find("routes.name")->def == NULL, "routes.name "
	    "is required");
	ok(conf_keys_find("identities.number") != NULL &&
	    conf_keys_find("identities.number")->def == NULL &&
	    conf_keys_find("identities.sip")->reload &&
	    conf_keys_find("identities.xmpp")->reload,
	    "identities keys: number required, all reload");
	ok(!dup, "schema paths are unique");
	ok(docs, "every row has a default and a doc string");
	ok(fits, "every row lies inside struct gw_conf");
	ok(lists, "list and enum rows are well-formed");
	ok(conf_schema_find("dns.tries") != NULL, "find dns.tries");
	ok(conf_schema_find("dns") == NULL, "dns is not an option");
	ok(conf_schema_is_group("dns"), "dns is a group");
	ok(!conf_schema_is_group("dn"), "dn is not a group");
	ok(!conf_schema_is_group("dns.tries"), "dns.tries is not a group");
}

static void
test_defaults(void)
{
	static struct gw_conf	c;

	conf_defaults(&c);
	is_str(c.domain, "imgate.invalid", "default gateway.domain");
	is_str(c.log_level, "info", "default log.level");
	is_str(c.sip_listen, "sip:127.0.0.1:5060", "default sip.listen");
	is_int(c.sip_timeout_ms, 8000, "default sip.timeout_ms");
	is_int(c.sip_max_body, 8192, "default sip.max_body");
	is_int((int64_t)c.ndns_servers, 0, "default dns.servers empty");
	is_int(c.dns_timeout_ms, 2000, "default dns.timeout_ms");
	is_int(c.dns_tries, 2, "default dns.tries");
	is_int(c.dnssec, CONF_DNSSEC_OFF, "default dns.dnssec");
	is_int(c.dns_cache_entries, 100000, "default dns.cache_entries");
	is_int(c.dns_cache_max_ttl, 86400, "default dns.cache_max_ttl");
	is_int(c.dns_negative_max_ttl, 3600,
	    "default dns.negative_max_ttl");
	is_int(c.dns_servfail_ttl, 5, "default dns.servfail_ttl");
	ok(!c.dns_serve_stale, "default dns.serve_stale");
	is_int((int64_t)c.nenum_suffixes, 1, "default: one suffix");
	is_str(c.enum_suffixes[0], "e164.arpa.", "default suffix");
	is_int((int64_t)c.nenum_services, 1, "default: one enumservice");
	is_str(c.enum_services[0], "im", "default enumservice");
	is_int((int64_t)c.nim_protocols, 2, "default: two protocols");
	is_str(c.im_protocols[0], "sip", "default protocol 1");
	is_str(c.im_protocols[1], "xmpp", "default protocol 2");
	is_int(c.enum_max_chain, 5, "default enum.max_chain");
	is_int(c.enum_max_queries, 32, "default enum.max_queries");
	is_int(c.max_digits, 15, "default enum.max_digits");
	ok(c.enum_legacy_syntax, "default enum.legacy_syntax");
	ok(!c.enum_allow_private, "default enum.allow_private");
	ok(c.enum_scheme_check, "default enum.scheme_check");
	ok(c.enum_strict_delimiters, "default enum.strict_delimiters");
	ok(c.sip_plus_without_user_phone,
	    "default enum.sip_plus_without_user_phone");
	is_int(c.implicit_srv, PROTO_NONE, "default implicit_srv");
	is_int(c.srv_max_targets, 4, "default enum.srv_max_targets");
	is_int(c.max_transactions, 10000, "default max_transactions");
	is_int(c.txn_deadline_ms, 30000, "default txn_deadline_ms");
	is_int((int64_t)c.nroutes, 0, "default: no routes");
	is_int((int64_t)c.ndialplans, 0, "default: no dial plans");
	is_int((int64_t)c.nidentities, 0, "default: no identities");
	is_int((int64_t)(c.nacl_sip_nets + c.nacl_xmpp_domains), 0,
	    "default: empty acl");
	is_int(c.ratelimit_rate, 0, "default ratelimit.rate (off)");
	is_int(c.ratelimit_burst, 20, "default ratelimit.burst");
}

static int
test_load(const char *dir, const char *name, struct gw_conf *c, char *err,
    size_t errsz)
{
	char	path[TEST_PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -2;
	return conf_load(path, c, err, errsz);
}

static void
test_corpus(const char *dir)
{
	static struct gw_conf	 c;
	char		*names[TEST_MAX_FILES], err[1024], expect[512];
	char		 path[TEST_PATH_MAX], where[32];
	size_t		 n, i;
	int		 rc, line = 0, hdr;

	n = test_list(dir, "good-", names, TEST_MAX_FILES);
	ok(n >= 4, "%zu good files in %s", n, dir);
	for (i = 0; i < n; i++) {
		rc = test_load(dir, names[i], &c, err, sizeof(err));
		if (!ok(rc == 0, "%s loads", names[i]))
			diag("  %s", err);
		free(names[i]);
	}

	n = test_list(dir, "bad-", names, TEST_MAX_FILES);
	ok(n >= 10, "%zu bad files in %s", n, dir);
	for (i = 0; i < n; i++) {
		hdr = snprintf(path, sizeof(path), "%s/%s", dir, names[i]) <
		    (int)sizeof(path) && test_read_header(path, expect,
		    sizeof(expect), &line) == 0;
		if (!ok(hdr, "%s has # expect: and # line:", names[i])) {
			free(names[i]);
			continue;
		}
		rc = conf_load(path, &c, err, sizeof(err));
		snprintf(where, sizeof(where), ":%d:", line);
		if (!ok(rc == -1 && strstr(err, expect) != NULL &&
		    strstr(err, where) != NULL, "%s fails as expected",
		    names[i]))
			diag("  rc %d, error \"%s\"; want \"%s\" at line %d",
			    rc, err, expect, line);
		free(names[i]);
	}
}

static void
test_values(const char *dir)
{
	static struct gw_conf	c, d;
	char		err[1024];

	if (!ok(test_load(dir, "good-full.conf", &c, err, sizeof(err)) == 0,
	    "good-full.conf for values"))
		diag("  %s", err);
	is_str(c.domain, "gw.example.org", "domain lower-cased, no dot");
	is_str(c.log_level, "debug", "log.level");
	is_str(c.sip_listen, "sip:[::1]:5070;transport=udp", "sip.listen");
	is_int(c.sip_timeout_ms, 64000, "sip.timeout_ms at maximum");
	is_int((int64_t)c.ndns_servers, 4, "four dns.servers");
	is_str(c.dns_servers[0], "127.0.0.1:53", "IPv4 gets port 53");
	is_str(c.dns_servers[1], "192.0.2.53:5353", "IPv4:PORT kept");
	is_str(c.dns_servers[2], "[::1]:53", "IPv6 bracketed, port 53");
	is_str(c.dns_servers[3], "[2001:db8::1]:53", "[IPv6]:PORT kept");
	is_int(c.dns_timeout_ms, 50, "dns.timeout_ms at minimum");
	is_int(c.dns_tries, 10, "dns.tries");
	is_int(c.dnssec, CONF_DNSSEC_PREFER, "dns.dnssec prefer");
	is_int(c.dns_cache_entries, 0, "dns.cache_entries 0");
	ok(c.dns_serve_stale, "dns.serve_stale");
	is_int((int64_t)c.nenum_suffixes, 2, "two suffixes");
	is_str(c.enum_suffixes[0], "e164.arpa.", "suffix canonical");
	is_str(c.enum_suffixes[1], "e164.example.net.", "suffix 2");
	is_int((int64_t)c.nenum_services, 4, "four enumservices");
	is_str(c.enum_services[0], "xmpp", "enumservice order kept");
	is_int((int64_t)c.nim_protocols, 2, "two protocols");
	is_str(c.im_protocols[0], "xmpp", "protocol order kept");
	is_int(c.enum_max_chain, 0, "enum.max_chain 0");
	ok(!c.enum_legacy_syntax && c.enum_allow_private &&
	    !c.enum_scheme_check && !c.enum_strict_delimiters &&
	    !c.sip_plus_without_user_phone, "enum booleans flipped");
	is_int(c.implicit_srv, PROTO_XMPP, "implicit_srv xmpp");
	is_int(c.max_transactions, 1000000, "max_transactions");
	is_int(c.txn_deadline_ms, 1000, "txn_deadline_ms");

	/* Loading again starts from the defaults: nothing leaks over. */
	conf_defaults(&d);
	ok(test_load(dir, "good-empty.conf", &c, err, sizeof(err)) == 0 &&
	    memcmp(&c, &d, sizeof(c)) == 0, "empty file == defaults after "
	    "a full load");

	ok(test_load(dir, "good-include.conf", &c, err, sizeof(err)) == 0,
	    "good-include.conf");
	is_int(c.dns_tries, 3, "value from the included file");
	is_str(c.dns_servers[0], "127.0.0.1:53", "server from include");
	is_int(c.enum_max_chain, 3, "value after the include");

	ok(test_load(dir, "good-syntax-variants.conf", &c, err,
	    sizeof(err)) == 0, "good-syntax-variants.conf");
	is_int(c.dns_cache_entries, 5000000, "64-bit literal");
	is_int(c.dns_cache_max_ttl, 14400, "hexadecimal literal");
	is_str(c.enum_suffixes[0], "e164.arpa.", "concatenated string");
	is_int((int64_t)c.nim_protocols, 1, "one protocol");
	is_int(c.implicit_srv, PROTO_SIP, "implicit_srv sip");
	is_int(c.sip_max_body, 4096, "signed literal");

	ok(test_load(dir, "good-dnssec-require.conf", &c, err,
	    sizeof(err)) == 0, "good-dnssec-require.conf");
	is_int(c.dnssec, CONF_DNSSEC_REQUIRE, "dns.dnssec require");
}

/* Network @n is @family, @bytes (its first @len bytes) and /@plen. */
static int
test_net(const struct conf_net *n, int family, const char *bytes,
    size_t len, unsigned plen)
{
	return n->family == family && n->prefixlen == plen &&
	    memcmp(n->addr, bytes, len) == 0;
}

static void
test_routing(const char *dir)
{
	static struct gw_conf		 c;
	const struct conf_route		*r;
	const struct conf_dialplan	*d;
	const struct conf_identity	*id;
	char				 err[1024];

	if (!ok(test_load(dir, "good-routing.conf", &c, err,
	    sizeof(err)) == 0, "good-routing.conf for values"))
		diag("  %s", err);
	is_int((int64_t)c.nroutes, 7, "seven routes");
	r = &c.routes[0];
	is_str(r->name, "dc-local", "route 1 name");
	is_int(r->line, 8, "route 1 line is its '{'");
	is_str(r->prefix, "+1202", "route 1 prefix");
	is_int(r->from, PROTO_SIP, "route 1 from sip");
	is_int((int64_t)r->nnets, 3, "route 1: three networks");
	ok(test_net(&r->nets[0], AF_INET, "\x0a\0\0\0", 4, 8),
	    "10.0.0.0/8");
	ok(test_net(&r->nets[1], AF_INET6, "\x20\x01\x0d\xb8\0\0", 6,
	    32), "2001:db8::/32");
	ok(test_net(&r->nets[2], AF_INET, "\xc0\x00\x02\x07", 4, 32),
	    "bare 192.0.2.7 is /32");
	is_int(r->action, CONF_ROUTE_ENUM, "route 1 enum");
	is_int((int64_t)r->nsuffixes, 2, "route 1: two suffixes");
	is_str(r->suffixes[1], "e164.example.", "suffix canonical");
	is_int((int64_t)r->nenumservices, 2, "route 1: two enumservices");
	is_str(r->enumservices[1], "sip", "route 1 enumservice 2");
	is_int((int64_t)r->nprotocols, 2, "route 1: two protocols");
	is_int((int64_t)r->nfallback, 2, "route 1: two fallbacks");
	is_str(r->fallback[0].text, "sip:smsc.example.net:5060",
	    "fallback 1");
	is_str(r->fallback[1].text, "sip:+12025550100@[2001:db8::5]:5070",
	    "fallback 2: scheme lower-cased");
	/* parsed once, at load: routing/policy.c only fills the number in */
	is_int(r->fallback[0].kind, CONF_TARGET_SIP, "fallback 1: SIP");
	is_str(r->fallback[0].user, "", "fallback 1: no user (the number)");
	is_str(r->fallback[0].host, "smsc.example.net", "fallback 1: host");
	is_int(r->fallback[0].port, 5060, "fallback 1: port");
	is_str(r->fallback[1].user, "+12025550100", "fallback 2: user");
	is_str(r->fallback[1].host, "2001:db8::5",
	    "fallback 2: IPv6 host without brackets");
	is_int(r->fallback[1].port, 5070, "fallback 2: port");
	ok(!r->fallback_noroute && r->fallback_tempfail,
	    "fallback_on tempfail only");
	r = &c.routes[1];
	is_str(r->name, "uk", "route 2 name");
	is_int(r->action, CONF_ROUTE_STATIC, "route 2 static");
	is_str(r->target.text, "sip:trunk.example.net",
	    "target host lower-case");
	is_str(r->target.host, "trunk.example.net", "target: parsed host");
	is_int(r->target.port, 5060, "target: default port");
	is_int(r->from, PROTO_NONE, "from defaults to any");
	is_int((int64_t)(r->nnets + r->ndomains + r->nsuffixes), 0,
	    "route 2: empty lists");
	r = &c.routes[2];
	is_int(r->from, PROTO_XMPP, "route 3 from xmpp");
	is_int((int64_t)r->ndomains, 1, "route 3: one domain");
	is_str(r->domains[0], "corp.example", "domain lower-cased");
	is_str(r->target.text, "xmpp:im.corp.example", "xmpp: target");
	is_int(r->target.kind, CONF_TARGET_XMPP, "xmpp: target: kind");
	is_str(r->target.host, "im.corp.example", "xmpp: target: domain");
	is_str(c.routes[3].target.text, "im:helpdesk@corp.example",
	    "im: target");
	is_int(c.routes[3].target.kind, CONF_TARGET_IM, "im: target: kind");
	is_str(c.routes[3].target.user, "helpdesk", "im: target: user");
	r = &c.routes[4];
	is_int(r->action, CONF_ROUTE_DENY, "route 5 deny");
	is_int(r->deny_status, 604, "route 5 status");
	is_int(c.routes[5].deny_status, 403, "deny status default 403");
	r = &c.routes[6];
	is_str(r->name, "smsc", "route 7 name");
	is_str(r->prefix, "", "prefix \"+\" stored as any");
	is_int((int64_t)r->nfallback, 1, "route 7: one fallback");
	ok(r->fallback_noroute && r->fallback_tempfail,
	    "fallback_on defaults to both");

	is_int((int64_t)c.ndialplans, 2, "two dial plans");
	d = &c.dialplans[0];
	is_str(d->name, "us-peers", "dial plan 1 name");
	is_int(d->line, 33, "dial plan 1 line");
	ok(d->nnets == 1 && test_net(&d->nets[0], AF_INET, "\xc0\0\x02",
	    3, 24), "dial plan 1 network");
	is_int((int64_t)d->ndomains, 1, "dial plan 1 domain");
	is_str(d->country_code, "1", "country_code");
	is_str(d->national_prefix, "1", "national_prefix");
	is_str(d->international_prefix, "011", "international_prefix");
	ok(d->min_length == 10 && d->max_length == 10, "lengths 10..10");
	d = &c.dialplans[1];
	is_str(d->country_code, "44", "dial plan 2 country_code");
	is_str(d->national_prefix, "0", "dial plan 2 national_prefix");
	is_str(d->international_prefix, "00", "international_prefix "
	    "default 00");
	ok(d->min_length == 4 && d->max_length == 12, "length defaults");
	ok(d->nnets == 0 && d->ndomains == 0, "dial plan 2: any sender");

	is_int((int64_t)c.nacl_sip_nets, 2, "acl: two networks");
	ok(test_net(&c.acl_sip_nets[0], AF_INET, "\x7f", 1, 8),
	    "acl 127.0.0.0/8");
	ok(test_net(&c.acl_sip_nets[1], AF_INET6,
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16, 128),
	    "acl ::1/128");
	is_int((int64_t)c.nacl_xmpp_domains, 2, "acl: two domains");
	is_str(c.acl_xmpp_domains[1], "corp.example", "acl domain 2");
	is_int(c.ratelimit_rate, 50, "ratelimit.rate");
	is_int(c.ratelimit_burst, 100, "ratelimit.burst");

	is_int((int64_t)c.nidentities, 4, "four identities");
	id = &c.identities[0];
	is_int(id->line, 54, "identity 1 line");
	is_str(id->sip, "sip:Alice@a.example:5070", "identity 1 sip: "
	    "scheme and host lower-case, user and port kept");
	is_str(id->xmpp, "", "identity 1 has no xmpp");
	is_str(id->number, "+12025550123", "identity 1 number");
	id = &c.identities[1];
	is_int(id->line, 55, "identity 2 line is its '{'");
	is_str(id->sip, "", "identity 2 has no sip");
	is_str(id->xmpp, "Juliet@b.example", "identity 2 xmpp: domain "
	    "lower-case, trailing dot dropped, local part kept");
	is_str(id->number, "+12025550124", "identity 2 number");
	id = &c.identities[2];
	is_str(id->sip, "sip:+12025550100@[2001:db8::7]",
	    "identity 3 sip: IPv6 host lower-case");
	is_str(id->number, "+1", "identity 3 number: one digit");
	id = &c.identities[3];
	is_str(id->xmpp, "alice@a.example", "identity 4: a JID may share "
	    "its text and number with a SIP identity");
	is_str(id->number, "+12025550123", "identity 4 number");

	if (!ok(test_load(dir, "good-routing-minimal.conf", &c, err,
	    sizeof(err)) == 0, "good-routing-minimal.conf"))
		diag("  %s", err);
	is_int((int64_t)c.nroutes, 1, "one route");
	ok(c.routes[0].prefix[0] == '\0' && c.routes[0].nsuffixes == 0,
	    "catch-all route inherits the suffixes");
	ok(c.ndialplans == 0 && c.nacl_sip_nets == 0 &&
	    c.nacl_xmpp_domains == 0 && c.nidentities == 0,
	    "empty lists stay empty");
}

/* Write @text to a temporary file and load it into @c. */
static int
test_load_text(const char *text, struct gw_conf *c, char *err,
    size_t errsz)
{
	char	 path[] = "/tmp/test_conf.XXXXXX";
	FILE	*fp;
	int	 fd, rc;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		return -2;
	fputs(text, fp);
	fclose(fp);
	rc = conf_load(path, c, err, errsz);
	unlink(path);
	return rc;
}

/* What conf_reload_merge() reported, for the checks below. */
struct merge_log {
	size_t	 n;
	char	 text[8][256];
};

static void
merge_note(void *arg, const char *path, bool applied, const char *was,
    const char *now)
{
	struct merge_log	*m = arg;

	if (m->n < 8)
		snprintf(m->text[m->n], sizeof(m->text[0]), "%s %s %s -> %s",
		    applied ? "applied" : "restart", path, was, now);
	m->n++;
}

static void
test_reload(const char *dir)
{
	static struct gw_conf	old, new;
	struct merge_log	m;
	char			err[1024];

	conf_defaults(&old);
	memset(&m, 0, sizeof(m));
	ok(test_load(dir, "good-routing-minimal.conf", &new, err,
	    sizeof(err)) == 0 && conf_reload_merge(&old, &new, merge_note,
	    &m) > 0 && m.n > 0 && strncmp(m.text[0], "applied ", 8) == 0,
	    "routes, acl, ratelimit reload");
	memset(&m, 0, sizeof(m));
	ok(test_load_text("log = { level = \"debug\"; };\n"
	    "sip = { timeout_ms = 10000; };\n", &new, err,
	    sizeof(err)) == 0 && conf_reload_merge(&old, &new, merge_note,
	    &m) == 2, "reloadable options reload");
	is_str(m.text[0], "applied log.level \"info\" -> \"debug\"",
	    "report: log.level");
	is_str(m.text[1], "applied sip.timeout_ms 8000 -> 10000",
	    "report: sip.timeout_ms");
	is_int(new.sip_timeout_ms, 10000, "applied value kept");

	/* A restart-only option: reported, and the running value stays. */
	memset(&m, 0, sizeof(m));
	ok(test_load_text("sip = { listen = \"sip:127.0.0.1:5070\"; "
	    "timeout_ms = 9000; };\n", &new, err, sizeof(err)) == 0 &&
	    conf_reload_merge(&old, &new, merge_note, &m) == 2,
	    "sip.listen and sip.timeout_ms differ");
	is_str(m.text[0], "restart sip.listen \"sip:127.0.0.1:5060\" -> "
	    "\"sip:127.0.0.1:5070\"", "report: sip.listen restart-only");
	is_str(new.sip_listen, old.sip_listen, "sip.listen keeps its "
	    "running value");
	is_int(new.sip_timeout_ms, 9000, "sip.timeout_ms applied beside it");
	memset(&m, 0, sizeof(m));
	ok(test_load_text("dns = { servers = [ \"::1\" ]; };\n", &new, err,
	    sizeof(err)) == 0 && conf_reload_merge(&old, &new, merge_note,
	    &m) == 1, "dns.servers differs");
	is_str(m.text[0], "restart dns.servers [] -> [ \"[::1]:53\" ]",
	    "report: dns.servers restart-only");
	is_int((int64_t)new.ndns_servers, 0, "dns.servers keeps its running "
	    "value (none)");
	memset(&m, 0, sizeof(m));
	ok(test_load_text("xmpp = { secret = \"s3cret\"; };\n", &new, err,
	    sizeof(err)) == 0 && conf_reload_merge(&old, &new, merge_note,
	    &m) == 1, "xmpp.secret differs");
	is_str(m.text[0], "restart xmpp.secret (not shown) -> (not shown)",
	    "report: a secret is not written out");
	memset(&m, 0, sizeof(m));
	ok(test_load_text("dns = { dnssec = \"prefer\"; };\n", &new, err,
	    sizeof(err)) == 0 && conf_reload_merge(&old, &new, merge_note,
	    &m) == 1, "dns.dnssec differs");
	is_str(m.text[0], "applied dns.dnssec \"off\" -> \"prefer\"",
	    "report: an enum option by its word");

	conf_defaults(&old);
	ok(test_load_text("identities = ( { sip = \"sip:a@b.example\"; "
	    "number = \"+12025550123\"; } );\n", &new, err,
	    sizeof(err)) == 0 && new.nidentities == 1 &&
	    conf_reload_merge(&old, &new, NULL, NULL) == 1 &&
	    new.nidentities == 1, "identities added on reload");
	conf_defaults(&new);
	ok(test_load(dir, "good-routing.conf", &old, err, sizeof(err)) == 0 &&
	    test_load(dir, "good-routing.conf", &new, err, sizeof(err)) == 0 &&
	    conf_reload_merge(&old, &new, NULL, NULL) == 0,
	    "same file twice: nothing to report, NULL callback accepted");
	ok(memcmp(&old, &new, sizeof(old)) == 0,
	    "two loads of one file are byte-identical");
	conf_defaults(&new);
	memset(&m, 0, sizeof(m));
	conf_reload_merge(&old, &new, merge_note, &m);
	ok(new.xmpp_enable == old.xmpp_enable &&
	    strcmp(new.xmpp_domain, old.xmpp_domain) == 0,
	    "xmpp settings of good-routing.conf stay as they run");
}

static void
test_example(const char *dir)
{
	static struct gw_conf	c;
	char		path[TEST_PATH_MAX], err[1024];
	int		rc;

	rc = -1;
	if (snprintf(path, sizeof(path), "%s/../../conf/imgate.conf.example",
	    dir) < (int)sizeof(path))
		rc = conf_load(path, &c, err, sizeof(err));
	if (!ok(rc == 0, "conf/imgate.conf.example loads"))
		diag("  %s", err);
	is_str(c.domain, "gw.example.org", "example gateway.domain");
	is_str(c.sip_listen, "sip:127.0.0.1:5060", "example sip.listen");
	is_int((int64_t)c.ndns_servers, 1, "example: one server");
	is_str(c.dns_servers[0], "127.0.0.1:53", "example dns.servers");
	is_int((int64_t)c.nenum_services, 2, "example: two services");
	is_str(c.enum_services[1], "sip", "example enumservices");
}

/* conf/examples/NAME.conf: annotated configurations that must load. */
static void
test_examples(const char *dir)
{
	static struct gw_conf	 c;
	char			*names[TEST_MAX_FILES], edir[TEST_PATH_MAX];
	char			 err[1024];
	size_t			 n, i;
	int			 rc;

	if (snprintf(edir, sizeof(edir), "%s/../../conf/examples", dir) >=
	    (int)sizeof(edir))
		n = 0;
	else
		n = test_list(edir, "", names, TEST_MAX_FILES);
	ok(n >= 3, "%zu example configurations in %s", n, edir);
	for (i = 0; i < n; i++) {
		rc = test_load(edir, names[i], &c, err, sizeof(err));
		if (!ok(rc == 0, "conf/examples/%s loads", names[i]))
			diag("  %s", err);
		else
			ok(c.nroutes > 0, "conf/examples/%s has routes",
			    names[i]);
		free(names[i]);
	}
}

static void
test_edges(void)
{
	static struct gw_conf	 c;
	char		 err[1024], tiny[8], path[] = "/tmp/test_conf.XXXXXX";
	FILE		*fp;
	int		 fd, i;

	ok(conf_load("/nonexistent/imgate.conf", &c, err,
	    sizeof(err)) == -1, "missing file fails");
	ok(strstr(err, "/nonexistent/imgate.conf: ") == err,
	    "missing file: error names it (%s)", err);
	ok(conf_load("/nonexistent/imgate.conf", &c, tiny,
	    sizeof(tiny)) == -1 && strlen(tiny) == sizeof(tiny) - 1,
	    "small error buffer is truncated, terminated");
	ok(conf_load("/nonexistent/imgate.conf", &c, NULL, 0) == -1,
	    "NULL error buffer accepted");

	/* libconfig keeps line numbers in an unsigned short. */
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		ok(0, "mkstemp for long file");
		return;
	}
	for (i = 0; i < 70000; i++)
		fputc('\n', fp);
	fputs("dns = { tries = 0; };\n", fp);
	fclose(fp);
	ok(conf_load(path, &c, err, sizeof(err)) == -1 &&
	    strstr(err, "more than 65535 lines") != NULL,
	    "over-long file refused (%s)", err);
	unlink(path);
}

/* The sip.tls group, sips: URIs and static targets with parameters. */
static void
test_tls(const char *dir)
{
	static struct gw_conf	 c;
	char			 err[1024];

	if (!ok(test_load(dir, "good-tls.conf", &c, err, sizeof(err)) == 0,
	    "good-tls.conf"))
		diag("  %s", err);
	is_str(c.sip_tls_listen, "sips:127.0.0.1:5061", "sip.tls.listen");
	is_str(c.sip_tls_certificate, "/etc/imgate/tls/imgate.pem",
	    "sip.tls.certificate");
	is_str(c.sip_tls_key, "/etc/imgate/tls/imgate.key", "sip.tls.key");
	is_str(c.sip_tls_ca_file, "/etc/imgate/tls/peers-ca.pem",
	    "sip.tls.ca_file");
	ok(c.sip_tls_verify_client, "sip.tls.verify_client");
	is_str(c.routes[0].target.text,
	    "sip:trunk.example.net:5061;transport=tls",
	    "static target keeps its URI parameters");
	is_str(c.routes[0].target.params, ";transport=tls",
	    "static target: parameters parsed");
	is_str(c.routes[1].target.text, "sips:sbc.example.org",
	    "sips: static target");
	ok(c.routes[1].target.secure && c.routes[1].target.port == 5061,
	    "sips: static target: secure, port 5061");
	conf_defaults(&c);
	ok(c.sip_tls_listen[0] == '\0' && c.sip_tls_certificate[0] == '\0' &&
	    !c.sip_tls_verify_client, "no TLS by default");
}

int
main(int argc, char **argv)
{
	char		 dir[TEST_PATH_MAX];
	const char	*srcdir = getenv("srcdir");

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else if (srcdir != NULL)
		snprintf(dir, sizeof(dir), "%s/tests/conf", srcdir);
	else
		snprintf(dir, sizeof(dir), "tests/conf");

	test_schema();
	test_defaults();
	test_corpus(dir);
	test_values(dir);
	test_routing(dir);
	test_reload(dir);
	test_example(dir);
	test_examples(dir);
	test_edges();
	test_tls(dir);
	return done_testing();
}
