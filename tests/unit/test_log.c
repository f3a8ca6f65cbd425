/*
 * tests/unit/test_log.c - the log's pure parts: syslog facility names,
 * the per-source refusal limit (log.refusal_burst) and the limiter under
 * it (log_limit_admit: what it reports and when), the escaping of
 * transaction line values, and acl.trusted_proxies' choice of the
 * sender (routing/policy).  TAP.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "conf/conf.h"
#include "gateway/log.h"
#include "gateway/txnlog.h"
#include "routing/policy.h"
#include "tests/tap.h"

static struct gw_conf	 conf;

static void
test_facility(void)
{
	is_int(log_facility_parse("daemon"), LOG_DAEMON, "daemon");
	is_int(log_facility_parse("local7"), LOG_LOCAL7, "local7");
	is_int(log_facility_parse("user"), LOG_USER, "user");
	is_int(log_facility_parse("kern"), -1, "kern is not offered");
	is_int(log_facility_parse(""), -1, "empty");
}

static void
test_refusals(void)
{
	int	 n = 0;

	log_set_refusal_limit(3, 10);
	for (int i = 0; i < 10; i++)
		n += log_refusal_admit("192.0.2.1", 1000 + (uint64_t)i);
	is_int(n, 3, "3 of 10 refusals in one interval are logged");
	ok(log_refusal_admit("192.0.2.2", 1100),
	    "another source has its own budget");
	ok(!log_refusal_admit("192.0.2.1", 1000 + 9999),
	    "still the same interval just before its end");
	ok(log_refusal_admit("192.0.2.1", 1000 + 10000),
	    "a new interval logs again");
	log_set_refusal_limit(0, 10);
	n = 0;
	for (int i = 0; i < 50; i++)
		n += log_refusal_admit("192.0.2.1", 1000);
	is_int(n, 50, "burst 0: every refusal is logged");
}

/* What log_limit_admit() reported, for test_limit(). */
static char		 reported[64];
static uint32_t		 reported_n;

static void
note_report(const char *key, uint32_t n)
{
	snprintf(reported, sizeof(reported), "%s", key);
	reported_n = n;
}

static void
test_limit(void)
{
	struct log_limit_slot	 t[4];
	int			 n = 0;

	memset(t, 0, sizeof(t));
	for (int i = 0; i < 12; i++)
		n += log_limit_admit(t, 4, "nta: received garbage", 500, 10,
		    10000, note_report);
	is_int(n, 10, "10 of 12 lines of a kind in a window are logged");
	is_int(reported_n, 0, "... and nothing reported yet");
	ok(!log_limit_admit(t, 4, "nta: received garbage", 10499, 10, 10000,
	    note_report) && reported_n == 0, "still held back at the "
	    "window's end, unreported");
	ok(log_limit_admit(t, 4, "nta: received garbage", 10500, 10, 10000,
	    note_report), "the next window logs again");
	is_str(reported, "nta: received garbage", "... after reporting the "
	    "kind held back");
	is_int(reported_n, 3, "... with its count");
	reported_n = 0;
	for (int i = 0; i < 20; i++)
		log_limit_admit(t, 1, i % 2 ? "a" : "b", 600, 10, 10000,
		    note_report);
	ok(reported_n == 0, "two keys in one slot take it in turn, each "
	    "with a fresh window (nothing held back)");
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 15; i++)
		log_limit_admit(t, 1, "a", 700, 10, 10000, note_report);
	log_limit_admit(t, 1, "b", 701, 10, 10000, note_report);
	ok(strcmp(reported, "a") == 0 && reported_n == 5,
	    "a key that loses its slot is reported first (%s: %u)",
	    reported, reported_n);
}

static void
test_escape(void)
{
	char	 buf[64];

	is_str(txnlog_escape("sip:+1202@gw", buf, sizeof(buf)),
	    "sip:+1202@gw", "printable ASCII stays");
	is_str(txnlog_escape("a b\n\"c\\\xff", buf, sizeof(buf)),
	    "a\\x20b\\x0a\\x22c\\x5c\\xff",
	    "space, newline, quote, backslash, 0xff escaped");
	is_str(txnlog_escape("abcdef", buf, 4), "abc", "cut to the buffer");
	is_str(txnlog_escape("\x01\x02", buf, 6), "\\x01",
	    "an escape is never cut in half");
	is_str(txnlog_escape(NULL, buf, sizeof(buf)), "", "NULL: empty");
}

static void
src4(struct policy_source *s, const char *ip)
{
	memset(s, 0, sizeof(*s));
	s->proto = PROTO_SIP;
	s->family = AF_INET;
	s->has_addr = true;
	inet_pton(AF_INET, ip, s->addr);
}

static void
test_proxy(void)
{
	struct policy_source	 s;
	char			 ip[INET6_ADDRSTRLEN];

	memset(&conf, 0, sizeof(conf));
	src4(&s, "127.0.0.2");
	ok(!policy_proxy_source(&conf, &s, "192.0.2.7"),
	    "no trusted proxies: the source stays");
	conf.acl_trusted_proxies[0].family = AF_INET;
	inet_pton(AF_INET, "127.0.0.2", conf.acl_trusted_proxies[0].addr);
	conf.acl_trusted_proxies[0].prefixlen = 32;
	conf.nacl_trusted_proxies = 1;
	ok(policy_proxy_source(&conf, &s, "192.0.2.7"),
	    "from the proxy: the second Via's address");
	inet_ntop(s.family, s.addr, ip, sizeof(ip));
	is_str(ip, "192.0.2.7", "the sender is 192.0.2.7");
	src4(&s, "127.0.0.3");
	ok(!policy_proxy_source(&conf, &s, "192.0.2.7"),
	    "another address's Via is not trusted");
	src4(&s, "127.0.0.2");
	ok(!policy_proxy_source(&conf, &s, "ua.example.org"),
	    "a host name is not an address: the proxy's stays");
	ok(!policy_proxy_source(&conf, &s, NULL), "one Via: the proxy's");
	ok(!policy_proxy_source(&conf, &s, "[]"), "empty brackets");
	ok(policy_proxy_source(&conf, &s, "[2001:db8::5]"),
	    "bracketed IPv6");
	is_int(s.family, AF_INET6, "now IPv6");
	inet_ntop(s.family, s.addr, ip, sizeof(ip));
	is_str(ip, "2001:db8::5", "the IPv6 sender");
}

int
main(void)
{
	plan(33);
	log_init(true, LOG_L_ERROR, "test_log");
	test_facility();
	test_refusals();
	test_limit();
	test_escape();
	test_proxy();
	return done_testing();
}
