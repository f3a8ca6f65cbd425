/*
 * tests/unit/test_conf.c - conf_defaults() and conf_load() against the
 * good-*.conf / bad-*.conf corpus in tests/conf.
 *
 * Checks the step before any message flows: the schema table, the
 * defaults, every good file (must load), every bad file (must fail with
 * the text of its "# expect:" line at the line of its "# line:" line),
 * a few parsed values, and conf/imgate.conf.example.  The corpus folder
 * is argv[1], else $srcdir/tests/conf, else tests/conf.  Output is TAP.
 *
 * tests/tap.h did not exist when this was written, so a tiny local TAP
 * printer follows; its tc_ names avoid clashing with tap.h later.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/conf_schema.h"

#define TC_PATH_MAX	4096
#define TC_MAX_FILES	256

static int	tc_count;
static int	tc_failed;

static int	tc_ok(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
tc_ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	tc_count++;
	if (!cond)
		tc_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tc_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return cond;
}

static void
tc_is_int(int64_t got, int64_t want, const char *what)
{
	if (!tc_ok(got == want, "%s", what))
		printf("#   got %" PRId64 ", want %" PRId64 "\n", got, want);
}

static void
tc_is_str(const char *got, const char *want, const char *what)
{
	if (!tc_ok(strcmp(got, want) == 0, "%s", what))
		printf("#   got \"%s\", want \"%s\"\n", got, want);
}

static int
tc_cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in @dir starting with @prefix and ending in ".conf". */
static size_t
tc_list(const char *dir, const char *prefix, char **names, size_t max)
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
	qsort(names, n, sizeof(names[0]), tc_cmp_names);
	return n;
}

/* Read "# expect: TEXT" and "# line: N" from the top of a bad file. */
static int
tc_read_header(const char *path, char *expect, size_t expectsz, int *line)
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
tc_schema(void)
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
	tc_ok(conf_schema_len >= 29, "schema has %zu rows", conf_schema_len);
	tc_ok(!dup, "schema paths are unique");
	tc_ok(docs, "every row has a default and a doc string");
	tc_ok(fits, "every row lies inside struct gw_conf");
	tc_ok(lists, "list and enum rows are well-formed");
	tc_ok(conf_schema_find("dns.tries") != NULL, "find dns.tries");
	tc_ok(conf_schema_find("dns") == NULL, "dns is not an option");
	tc_ok(conf_schema_is_group("dns"), "dns is a group");
	tc_ok(!conf_schema_is_group("dn"), "dn is not a group");
	tc_ok(!conf_schema_is_group("dns.tries"), "dns.tries is not a group");
}

static void
tc_defaults(void)
{
	struct gw_conf	c;

	conf_defaults(&c);
	tc_is_str(c.domain, "imgate.invalid", "default gateway.domain");
	tc_is_str(c.log_level, "info", "default log.level");
	tc_is_str(c.sip_listen, "sip:127.0.0.1:5060", "default sip.listen");
	tc_is_int(c.sip_timeout_ms, 32000, "default sip.timeout_ms");
	tc_is_int(c.sip_max_body, 8192, "default sip.max_body");
	tc_is_int((int64_t)c.ndns_servers, 0, "default dns.servers empty");
	tc_is_int(c.dns_timeout_ms, 2000, "default dns.timeout_ms");
	tc_is_int(c.dns_tries, 2, "default dns.tries");
	tc_is_int(c.dnssec, CONF_DNSSEC_OFF, "default dns.dnssec");
	tc_is_int(c.dns_cache_entries, 100000, "default dns.cache_entries");
	tc_is_int(c.dns_cache_max_ttl, 86400, "default dns.cache_max_ttl");
	tc_is_int(c.dns_negative_max_ttl, 3600,
	    "default dns.negative_max_ttl");
	tc_is_int(c.dns_servfail_ttl, 5, "default dns.servfail_ttl");
	tc_ok(!c.dns_serve_stale, "default dns.serve_stale");
	tc_is_int((int64_t)c.nenum_suffixes, 1, "default: one suffix");
	tc_is_str(c.enum_suffixes[0], "e164.arpa.", "default suffix");
	tc_is_int((int64_t)c.nenum_services, 1, "default: one enumservice");
	tc_is_str(c.enum_services[0], "im", "default enumservice");
	tc_is_int((int64_t)c.nim_protocols, 2, "default: two protocols");
	tc_is_str(c.im_protocols[0], "sip", "default protocol 1");
	tc_is_str(c.im_protocols[1], "xmpp", "default protocol 2");
	tc_is_int(c.enum_max_chain, 5, "default enum.max_chain");
	tc_is_int(c.enum_max_queries, 32, "default enum.max_queries");
	tc_is_int(c.max_digits, 15, "default enum.max_digits");
	tc_ok(c.enum_legacy_syntax, "default enum.legacy_syntax");
	tc_ok(!c.enum_allow_private, "default enum.allow_private");
	tc_ok(c.enum_scheme_check, "default enum.scheme_check");
	tc_ok(c.enum_strict_delimiters, "default enum.strict_delimiters");
	tc_ok(c.sip_plus_without_user_phone,
	    "default enum.sip_plus_without_user_phone");
	tc_is_int(c.implicit_srv, CONF_IMPLICIT_OFF, "default implicit_srv");
	tc_is_int(c.srv_max_targets, 4, "default enum.srv_max_targets");
	tc_is_int(c.max_transactions, 10000, "default max_transactions");
	tc_is_int(c.txn_deadline_ms, 30000, "default txn_deadline_ms");
}

static int
tc_load(const char *dir, const char *name, struct gw_conf *c, char *err,
    size_t errsz)
{
	char	path[TC_PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -2;
	return conf_load(path, c, err, errsz);
}

static void
tc_corpus(const char *dir)
{
	struct gw_conf	 c;
	char		*names[TC_MAX_FILES], err[1024], expect[512];
	char		 path[TC_PATH_MAX], where[32];
	size_t		 n, i;
	int		 rc, line = 0, hdr;

	n = tc_list(dir, "good-", names, TC_MAX_FILES);
	tc_ok(n >= 4, "%zu good files in %s", n, dir);
	for (i = 0; i < n; i++) {
		rc = tc_load(dir, names[i], &c, err, sizeof(err));
		if (!tc_ok(rc == 0, "%s loads", names[i]))
			printf("#   %s\n", err);
		free(names[i]);
	}

	n = tc_list(dir, "bad-", names, TC_MAX_FILES);
	tc_ok(n >= 10, "%zu bad files in %s", n, dir);
	for (i = 0; i < n; i++) {
		hdr = snprintf(path, sizeof(path), "%s/%s", dir, names[i]) <
		    (int)sizeof(path) && tc_read_header(path, expect,
		    sizeof(expect), &line) == 0;
		if (!tc_ok(hdr, "%s has # expect: and # line:", names[i])) {
			free(names[i]);
			continue;
		}
		rc = conf_load(path, &c, err, sizeof(err));
		snprintf(where, sizeof(where), ":%d:", line);
		if (!tc_ok(rc == -1 && strstr(err, expect) != NULL &&
		    strstr(err, where) != NULL, "%s fails as expected",
		    names[i]))
			printf("#   rc %d, error \"%s\"\n#   want \"%s\" at "
			    "line %d\n", rc, err, expect, line);
		free(names[i]);
	}
}

static void
tc_values(const char *dir)
{
	struct gw_conf	c, d;
	char		err[1024];

	if (!tc_ok(tc_load(dir, "good-full.conf", &c, err, sizeof(err)) == 0,
	    "good-full.conf for values"))
		printf("#   %s\n", err);
	tc_is_str(c.domain, "gw.example.org", "domain lower-cased, no dot");
	tc_is_str(c.log_level, "debug", "log.level");
	tc_is_str(c.sip_listen, "sip:[::1]:5070;transport=udp", "sip.listen");
	tc_is_int(c.sip_timeout_ms, 64000, "sip.timeout_ms at maximum");
	tc_is_int((int64_t)c.ndns_servers, 4, "four dns.servers");
	tc_is_str(c.dns_servers[0], "127.0.0.1:53", "IPv4 gets port 53");
	tc_is_str(c.dns_servers[1], "192.0.2.53:5353", "IPv4:PORT kept");
	tc_is_str(c.dns_servers[2], "[::1]:53", "IPv6 bracketed, port 53");
	tc_is_str(c.dns_servers[3], "[2001:db8::1]:53", "[IPv6]:PORT kept");
	tc_is_int(c.dns_timeout_ms, 50, "dns.timeout_ms at minimum");
	tc_is_int(c.dns_tries, 10, "dns.tries");
	tc_is_int(c.dnssec, CONF_DNSSEC_PREFER, "dns.dnssec prefer");
	tc_is_int(c.dns_cache_entries, 0, "dns.cache_entries 0");
	tc_ok(c.dns_serve_stale, "dns.serve_stale");
	tc_is_int((int64_t)c.nenum_suffixes, 2, "two suffixes");
	tc_is_str(c.enum_suffixes[0], "e164.arpa.", "suffix canonical");
	tc_is_str(c.enum_suffixes[1], "e164.example.net.", "suffix 2");
	tc_is_int((int64_t)c.nenum_services, 4, "four enumservices");
	tc_is_str(c.enum_services[0], "xmpp", "enumservice order kept");
	tc_is_int((int64_t)c.nim_protocols, 2, "two protocols");
	tc_is_str(c.im_protocols[0], "xmpp", "protocol order kept");
	tc_is_int(c.enum_max_chain, 0, "enum.max_chain 0");
	tc_ok(!c.enum_legacy_syntax && c.enum_allow_private &&
	    !c.enum_scheme_check && !c.enum_strict_delimiters &&
	    !c.sip_plus_without_user_phone, "enum booleans flipped");
	tc_is_int(c.implicit_srv, CONF_IMPLICIT_XMPP, "implicit_srv xmpp");
	tc_is_int(c.max_transactions, 1000000, "max_transactions");
	tc_is_int(c.txn_deadline_ms, 1000, "txn_deadline_ms");

	/* Loading again starts from the defaults: nothing leaks over. */
	conf_defaults(&d);
	tc_ok(tc_load(dir, "good-empty.conf", &c, err, sizeof(err)) == 0 &&
	    memcmp(&c, &d, sizeof(c)) == 0, "empty file == defaults after "
	    "a full load");

	tc_ok(tc_load(dir, "good-include.conf", &c, err, sizeof(err)) == 0,
	    "good-include.conf");
	tc_is_int(c.dns_tries, 3, "value from the included file");
	tc_is_str(c.dns_servers[0], "127.0.0.1:53", "server from include");
	tc_is_int(c.enum_max_chain, 3, "value after the include");

	tc_ok(tc_load(dir, "good-syntax-variants.conf", &c, err,
	    sizeof(err)) == 0, "good-syntax-variants.conf");
	tc_is_int(c.dns_cache_entries, 5000000, "64-bit literal");
	tc_is_int(c.dns_cache_max_ttl, 14400, "hexadecimal literal");
	tc_is_str(c.enum_suffixes[0], "e164.arpa.", "concatenated string");
	tc_is_int((int64_t)c.nim_protocols, 1, "one protocol");
	tc_is_int(c.implicit_srv, CONF_IMPLICIT_SIP, "implicit_srv sip");
	tc_is_int(c.sip_max_body, 4096, "signed literal");

	tc_ok(tc_load(dir, "good-dnssec-require.conf", &c, err,
	    sizeof(err)) == 0, "good-dnssec-require.conf");
	tc_is_int(c.dnssec, CONF_DNSSEC_REQUIRE, "dns.dnssec require");
}

static void
tc_example(const char *dir)
{
	struct gw_conf	c;
	char		path[TC_PATH_MAX], err[1024];
	int		rc;

	rc = -1;
	if (snprintf(path, sizeof(path), "%s/../../conf/imgate.conf.example",
	    dir) < (int)sizeof(path))
		rc = conf_load(path, &c, err, sizeof(err));
	if (!tc_ok(rc == 0, "conf/imgate.conf.example loads"))
		printf("#   %s\n", err);
	tc_is_str(c.domain, "gw.example.org", "example gateway.domain");
	tc_is_str(c.sip_listen, "sip:127.0.0.1:5060", "example sip.listen");
	tc_is_int((int64_t)c.ndns_servers, 1, "example: one server");
	tc_is_str(c.dns_servers[0], "127.0.0.1:53", "example dns.servers");
	tc_is_int((int64_t)c.nenum_services, 2, "example: two services");
	tc_is_str(c.enum_services[1], "sip", "example enumservices");
}

static void
tc_edges(void)
{
	struct gw_conf	 c;
	char		 err[1024], tiny[8], path[] = "/tmp/test_conf.XXXXXX";
	FILE		*fp;
	int		 fd, i;

	tc_ok(conf_load("/nonexistent/imgate.conf", &c, err,
	    sizeof(err)) == -1, "missing file fails");
	tc_ok(strstr(err, "/nonexistent/imgate.conf: ") == err,
	    "missing file: error names it (%s)", err);
	tc_ok(conf_load("/nonexistent/imgate.conf", &c, tiny,
	    sizeof(tiny)) == -1 && strlen(tiny) == sizeof(tiny) - 1,
	    "small error buffer is truncated, terminated");
	tc_ok(conf_load("/nonexistent/imgate.conf", &c, NULL, 0) == -1,
	    "NULL error buffer accepted");

	/* libconfig keeps line numbers in an unsigned short. */
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		tc_ok(0, "mkstemp for long file");
		return;
	}
	for (i = 0; i < 70000; i++)
		fputc('\n', fp);
	fputs("dns = { tries = 0; };\n", fp);
	fclose(fp);
	tc_ok(conf_load(path, &c, err, sizeof(err)) == -1 &&
	    strstr(err, "more than 65535 lines") != NULL,
	    "over-long file refused (%s)", err);
	unlink(path);
}

int
main(int argc, char **argv)
{
	char		 dir[TC_PATH_MAX];
	const char	*srcdir = getenv("srcdir");

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else if (srcdir != NULL)
		snprintf(dir, sizeof(dir), "%s/tests/conf", srcdir);
	else
		snprintf(dir, sizeof(dir), "tests/conf");

	tc_schema();
	tc_defaults();
	tc_corpus(dir);
	tc_values(dir);
	tc_example(dir);
	tc_edges();
	printf("1..%d\n", tc_count);
	return tc_failed != 0;
}
