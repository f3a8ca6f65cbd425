/*
 * tests/unit/test_rfc3263.c - RFC 3263: the decision table, the NAPTR
 * choice, SRV owners, and routing/siptarget's walk on canned answers.
 *
 * The walk runs on a fake struct dnsq_ops that answers from a table,
 * synchronously (like a cache hit) and deferred (like the network); each
 * case gives the DNS data, the URI, the exact query sequence and the hop
 * list that must come out (transport, address, port), so failover order
 * is asserted, not just the first hop.  TAP.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "routing/rfc3263.h"
#include "routing/siptarget.h"
#include "tests/tap.h"
#include "tests/unit/rfc3263_ref.h"
#include "tests/xorshift.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* --- the decision table (RFC 3263 4.1, 4.2) --- */

static const struct {
	const char		*uri;
	int			 rc;
	const char		*host;
	bool			 numeric;
	enum rfc3263_step	 step;
	const char		*tp;		/* plan transport, NULL none */
	unsigned		 port;		/* plan port */
} plans[] = {
	{ "sip:+1202@carrier.example", 0, "carrier.example", false,
	  RFC3263_STEP_NAPTR, NULL, 0 },
	{ "sips:+1202@Carrier.Example.", 0, "carrier.example", false,
	  RFC3263_STEP_NAPTR, NULL, 0 },
	{ "sip:u@carrier.example:5070", 0, "carrier.example", false,
	  RFC3263_STEP_ADDR, "udp", 5070 },
	{ "sips:u@carrier.example:5071", 0, "carrier.example", false,
	  RFC3263_STEP_ADDR, "tls", 5071 },
	{ "sip:u@carrier.example;transport=tcp", 0, "carrier.example", false,
	  RFC3263_STEP_SRV, "tcp", 0 },
	{ "sip:u@carrier.example;user=phone;transport=TLS", 0,
	  "carrier.example", false, RFC3263_STEP_SRV, "tls", 0 },
	{ "sip:u@carrier.example:5080;transport=tcp", 0, "carrier.example",
	  false, RFC3263_STEP_ADDR, "tcp", 5080 },
	{ "sips:u@carrier.example;transport=tcp", 0, "carrier.example", false,
	  RFC3263_STEP_SRV, "tls", 0 },
	{ "sip:u@192.0.2.7", 0, "192.0.2.7", true, RFC3263_STEP_NUMERIC,
	  "udp", 5060 },
	{ "sips:u@192.0.2.7", 0, "192.0.2.7", true, RFC3263_STEP_NUMERIC,
	  "tls", 5061 },
	{ "sip:u@[2001:db8::7]:5099;transport=tcp", 0, "2001:db8::7", true,
	  RFC3263_STEP_NUMERIC, "tcp", 5099 },
	{ "sip:[::1]", 0, "::1", true, RFC3263_STEP_NUMERIC, "udp", 5060 },
	{ "sip:carrier.example", 0, "carrier.example", false,
	  RFC3263_STEP_NAPTR, NULL, 0 },
	{ "sip:u@carrier.example?subject=x", 0, "carrier.example", false,
	  RFC3263_STEP_NAPTR, NULL, 0 },
	/* refused: what imgate cannot honour, or no host at all */
	{ "sip:u@carrier.example;transport=sctp", -1, NULL, false, 0, NULL,
	  0 },
	{ "sips:u@carrier.example;transport=udp", -1, NULL, false, 0, NULL,
	  0 },
	{ "sip:u@carrier.example:0", -1, NULL, false, 0, NULL, 0 },
	{ "sip:u@carrier.example:70000", -1, NULL, false, 0, NULL, 0 },
	{ "sip:u@", -1, NULL, false, 0, NULL, 0 },
	{ "sip:u@[2001:db8::7", -1, NULL, false, 0, NULL, 0 },
	{ "sip:u@[not-v6]", -1, NULL, false, 0, NULL, 0 },
	{ "sip:u@bad..example", -1, NULL, false, 0, NULL, 0 },
	{ "sip:u@exa mple.com", -1, NULL, false, 0, NULL, 0 },
	{ "im:u@carrier.example", -1, NULL, false, 0, NULL, 0 },
};

static void
test_plans(void)
{
	for (size_t i = 0; i < NELEM(plans); i++) {
		struct rfc3263_uri	 u;
		struct rfc3263_plan	 p;
		int rc = rfc3263_parse_uri(plans[i].uri, &u);

		is_int(rc, plans[i].rc, "parse %s", plans[i].uri);
		if (rc != 0 || plans[i].rc != 0)
			continue;
		rfc3263_plan(&u, &p);
		is_str(u.host, plans[i].host, "%s: host", plans[i].uri);
		ok(u.numeric == plans[i].numeric, "%s: numeric",
		    plans[i].uri);
		is_int(p.step, plans[i].step, "%s: first step", plans[i].uri);
		is_str(rfc3263_strtransport(p.transport), plans[i].tp,
		    "%s: transport", plans[i].uri);
		is_int(p.port, plans[i].port, "%s: port", plans[i].uri);
	}
}

/* --- NAPTR selection and SRV owners --- */

/*
 * siptarget_uri() against snprintf() for every buffer size from 0 to
 * past the fit: the text when it fits, -1 when it would be cut.
 */
static void
test_target_uri_sizes(void)
{
	static const char *const hosts[] = { "a.example", "::1", "[::1]",
	    "gw.example.", "2001:db8::5", "" };
	static const uint16_t ports[] = { 1, 5060, 65535 };
	static const enum rfc3263_transport tps[] = { RFC3263_TP_NONE,
	    RFC3263_TP_UDP, RFC3263_TP_TCP, RFC3263_TP_TLS };
	const size_t	 nsz = 60;
	const size_t	 total = NELEM(hosts) * NELEM(ports) * NELEM(tps) *
	    nsz;
	int		 bad = 0;

	for (size_t i = 0; i < total; i++) {
		const char	*hs = hosts[i / nsz / NELEM(tps) /
		    NELEM(ports)];
		uint16_t	 port = ports[i / nsz / NELEM(tps) %
		    NELEM(ports)];
		enum rfc3263_transport tp = tps[i / nsz % NELEM(tps)];
		size_t		 sz = i % nsz;
		bool		 v6 = strchr(hs, ':') != NULL && hs[0] != '[';
		const char	*tn = rfc3263_strtransport(tp);
		char		 want[128], got[128];
		int		 wl, rc;

		wl = snprintf(want, sizeof(want), "sip:%s%s%s:%u%s%s",
		    v6 ? "[" : "", hs, v6 ? "]" : "", (unsigned)port,
		    tn != NULL ? ";transport=" : "", tn != NULL ? tn : "");
		memset(got, 'x', sizeof(got));
		rc = siptarget_uri(hs, port, tp, got, sz);
		if (rc != ((size_t)wl < sz ? 0 : -1) ||
		    (rc == 0 && strcmp(got, want) != 0)) {
			if (bad++ < 5)
				diag("%s %u %d size %zu: %d \"%s\", want "
				    "\"%s\"", hs, (unsigned)port, (int)tp,
				    sz, rc, rc == 0 ? got : "", want);
		}
	}
	is_int(bad, 0, "siptarget_uri: %zu host, port, transport and size "
	    "combinations as snprintf()", total);
}

static void
test_naptr(void)
{
	static const struct naptr_rr rrs[] = {
		{ 50, 50, 0, "s", "SIPS+D2T", "", "_sips._tcp.c.example." },
		{ 90, 50, 1, "s", "SIP+D2U", "", "_sip._udp.c.example." },
		{ 50, 10, 2, "s", "SIP+D2T", "", "_sip._tcp.c.example." },
		{ 10, 10, 3, "s", "SIP+D2S", "", "_sip._sctp.c.example." },
		{ 10, 10, 4, "u", "SIP+D2T", "!.*!sip:x@y!", "." },
		{ 10, 10, 5, "s", "E2U+sip", "", "_sip._tcp.c.example." },
		{ 20, 10, 6, "s", "SIP+D2W", "", "_sip._ws.c.example." },
	};
	struct rfc3263_naptr	 out[8];
	size_t			 n;
	char			 owner[DNSMSG_NAME_MAX];

	/* sip: with UDP, TCP, TLS: TCP (50/10), TLS (50/50), UDP (90). */
	n = rfc3263_naptr_select(rrs, NELEM(rrs), false, RFC3263_TP_ALL, out,
	    NELEM(out));
	is_int(n, 3, "three usable NAPTRs (SCTP, WS, 'u', E2U left out)");
	is_str(rfc3263_strtransport(out[0].transport), "tcp", "first: TCP");
	is_str(out[0].srv_owner, "_sip._tcp.c.example.", "first owner");
	is_str(rfc3263_strtransport(out[1].transport), "tls", "second: TLS");
	is_str(rfc3263_strtransport(out[2].transport), "udp", "third: UDP");
	/* Without TLS support. */
	n = rfc3263_naptr_select(rrs, NELEM(rrs), false,
	    RFC3263_TP_BIT(RFC3263_TP_UDP) | RFC3263_TP_BIT(RFC3263_TP_TCP),
	    out, NELEM(out));
	is_int(n, 2, "no TLS: two");
	is_str(rfc3263_strtransport(out[1].transport), "udp", "then UDP");
	/* sips: TLS only, never clear text. */
	n = rfc3263_naptr_select(rrs, NELEM(rrs), true, RFC3263_TP_ALL, out,
	    NELEM(out));
	is_int(n, 1, "sips: only SIPS+D2T");
	is_str(rfc3263_strtransport(out[0].transport), "tls", "sips: TLS");
	n = rfc3263_naptr_select(rrs, NELEM(rrs), true,
	    RFC3263_TP_BIT(RFC3263_TP_UDP) | RFC3263_TP_BIT(RFC3263_TP_TCP),
	    out, NELEM(out));
	is_int(n, 0, "sips: without TLS: nothing");
	/* The cap keeps the best ones. */
	n = rfc3263_naptr_select(rrs, NELEM(rrs), false, RFC3263_TP_ALL, out,
	    1);
	is_int(n, 1, "cap 1");
	is_str(rfc3263_strtransport(out[0].transport), "tcp",
	    "cap keeps best");

	ok(rfc3263_srv_owner(RFC3263_TP_UDP, "c.example", owner,
	    sizeof(owner)) == 0 && strcmp(owner, "_sip._udp.c.example.") == 0,
	    "_sip._udp owner");
	ok(rfc3263_srv_owner(RFC3263_TP_TCP, "c.example.", owner,
	    sizeof(owner)) == 0 && strcmp(owner, "_sip._tcp.c.example.") == 0,
	    "_sip._tcp owner");
	ok(rfc3263_srv_owner(RFC3263_TP_TLS, "c.example", owner,
	    sizeof(owner)) == 0 && strcmp(owner, "_sips._tcp.c.example.") ==
	    0, "_sips._tcp owner");
	ok(rfc3263_srv_owner(RFC3263_TP_NONE, "c.example", owner,
	    sizeof(owner)) == -1, "no owner without a transport");
	ok(rfc3263_srv_owner(RFC3263_TP_TLS, "c.example", owner, 10) == -1,
	    "owner too long for the buffer");
	ok(siptarget_uri("::1", 5060, RFC3263_TP_NONE, owner, sizeof(owner))
	    == 0 &&
	    strcmp(owner, "sip:[::1]:5060") == 0, "SRV target URI, IPv6");
	ok(siptarget_uri("sip1.c.example.", 5070, RFC3263_TP_NONE, owner,
	    sizeof(owner)) == 0 && strcmp(owner, "sip:sip1.c.example.:5070") ==
	    0, "SRV target URI, name");
	ok(siptarget_uri("gw.example.", 5061, RFC3263_TP_TLS, owner,
	    sizeof(owner)) == 0 && strcmp(owner,
	    "sip:gw.example.:5061;transport=tls") == 0,
	    "static TLS target URI");
	test_target_uri_sizes();
}

/* --- the walk on canned answers --- */

struct fake_answer {
	const char		*owner;
	uint16_t		 type;
	enum dnsq_status	 status;
	/* NAPTR: "order pref flags service replacement"; SRV: "prio
	 * weight port target"; A/AAAA: an address. */
	const char		*rr[4];
};

struct wcase {
	const char		*name;
	const char		*uri;
	unsigned		 transports;
	bool			 prefer_v6;
	struct fake_answer	 dns[10];
	const char		*want_error;	/* NULL: OK */
	const char		*want_queries;	/* "TYPE name|..." */
	const char		*want_hops;	/* "tp addr port|..." */
};

#define UT	(RFC3263_TP_BIT(RFC3263_TP_UDP) | \
    RFC3263_TP_BIT(RFC3263_TP_TCP))

static const struct wcase wcases[] = {
	{ "NAPTR -> SRV (TCP preferred) -> AAAA, failover order",
	  "sip:+12025550100@c.example", UT, true, {
	  { "c.example.", 35, DNSQ_OK, {
	    "20 10 s SIP+D2U _sip._udp.c.example.",
	    "10 10 s SIP+D2T _sip._tcp.c.example." } },
	  { "_sip._tcp.c.example.", 33, DNSQ_OK, {
	    "10 0 5070 t1.c.example.", "20 0 5071 t2.c.example." } },
	  { "_sip._udp.c.example.", 33, DNSQ_OK, {
	    "10 0 5072 t1.c.example." } },
	  { "t1.c.example.", 28, DNSQ_OK, { "::1" } },
	  { "t1.c.example.", 1, DNSQ_OK, { "127.0.0.1" } },
	  { "t2.c.example.", 28, DNSQ_OK, { "2001:db8::2" } },
	  { "t2.c.example.", 1, DNSQ_NODATA, { NULL } } },
	  NULL,
	  "NAPTR c.example.|SRV _sip._tcp.c.example.|SRV _sip._udp.c.example."
	  "|AAAA t1.c.example.|A t1.c.example.|AAAA t2.c.example."
	  "|A t2.c.example.|AAAA t1.c.example.|A t1.c.example.",
	  "tcp ::1 5070|tcp 127.0.0.1 5070|tcp 2001:db8::2 5071"
	  "|udp ::1 5072|udp 127.0.0.1 5072" },
	{ "A before AAAA when the listener is IPv4",
	  "sip:u@c.example", UT, false, {
	  { "c.example.", 35, DNSQ_OK, {
	    "10 10 s SIP+D2T _sip._tcp.c.example." } },
	  { "_sip._tcp.c.example.", 33, DNSQ_OK, {
	    "10 0 5070 t1.c.example." } },
	  { "t1.c.example.", 28, DNSQ_OK, { "::1" } },
	  { "t1.c.example.", 1, DNSQ_OK, { "127.0.0.1" } } },
	  NULL,
	  "NAPTR c.example.|SRV _sip._tcp.c.example.|A t1.c.example."
	  "|AAAA t1.c.example.",
	  "tcp 127.0.0.1 5070|tcp ::1 5070" },
	{ "NAPTR for TLS only, TLS not spoken: SRV per transport",
	  "sip:u@c.example", UT, false, {
	  { "c.example.", 35, DNSQ_OK, {
	    "10 10 s SIPS+D2T _sips._tcp.c.example." } },
	  { "_sip._tcp.c.example.", 33, DNSQ_OK, {
	    "10 0 5070 t1.c.example." } },
	  { "t1.c.example.", 1, DNSQ_OK, { "192.0.2.1" } } },
	  NULL,
	  "NAPTR c.example.|SRV _sip._udp.c.example.|SRV _sip._tcp.c.example."
	  "|A t1.c.example.|AAAA t1.c.example.",
	  "tcp 192.0.2.1 5070" },
	{ "no NAPTR, no SRV: the host's A on 5060 UDP",
	  "sip:u@c.example", UT, false, {
	  { "c.example.", 1, DNSQ_OK, { "192.0.2.1" } } },
	  NULL,
	  "NAPTR c.example.|SRV _sip._udp.c.example.|SRV _sip._tcp.c.example."
	  "|A c.example.|AAAA c.example.",
	  "udp 192.0.2.1 5060" },
	{ "explicit port: no NAPTR, no SRV",
	  "sip:u@c.example:5080", UT, true, {
	  { "c.example.", 1, DNSQ_OK, { "192.0.2.1" } },
	  { "c.example.", 28, DNSQ_OK, { "2001:db8::1" } } },
	  NULL, "AAAA c.example.|A c.example.",
	  "udp 2001:db8::1 5080|udp 192.0.2.1 5080" },
	{ "explicit transport: SRV for it only",
	  "sip:u@c.example;transport=tcp", UT, false, {
	  { "_sip._tcp.c.example.", 33, DNSQ_OK, {
	    "10 0 5090 t1.c.example." } },
	  { "t1.c.example.", 1, DNSQ_OK, { "192.0.2.9" } } },
	  NULL, "SRV _sip._tcp.c.example.|A t1.c.example.|AAAA t1.c.example.",
	  "tcp 192.0.2.9 5090" },
	{ "explicit transport, no SRV: host on 5060 with it",
	  "sip:u@c.example;transport=tcp", UT, false, {
	  { "c.example.", 1, DNSQ_OK, { "192.0.2.1" } } },
	  NULL, "SRV _sip._tcp.c.example.|A c.example.|AAAA c.example.",
	  "tcp 192.0.2.1 5060" },
	{ "numeric IPv6 host: no DNS",
	  "sip:u@[::1]:5099", UT, false, { { NULL, 0, 0, { NULL } } },
	  NULL, "", "udp ::1 5099" },
	{ "numeric IPv4 host, TCP: no DNS",
	  "sip:u@127.0.0.1;transport=tcp", UT, false,
	  { { NULL, 0, 0, { NULL } } }, NULL, "", "tcp 127.0.0.1 5060" },
	{ "sips: without TLS: no hop, never clear text",
	  "sips:u@c.example", UT, false, {
	  { "c.example.", 35, DNSQ_OK, {
	    "10 10 s SIP+D2T _sip._tcp.c.example." } },
	  { "c.example.", 1, DNSQ_OK, { "192.0.2.1" } } },
	  "E_SIP_NO_TARGET", "NAPTR c.example.", "" },
	{ "sips: with TLS: _sips._tcp only",
	  "sips:u@c.example", RFC3263_TP_ALL, false, {
	  { "_sips._tcp.c.example.", 33, DNSQ_OK, {
	    "10 0 5061 t1.c.example." } },
	  { "t1.c.example.", 1, DNSQ_OK, { "192.0.2.1" } } },
	  NULL, "NAPTR c.example.|SRV _sips._tcp.c.example.|A t1.c.example."
	  "|AAAA t1.c.example.", "tls 192.0.2.1 5061" },
	{ "SRV target '.': not offered, falls to the host",
	  "sip:u@c.example;transport=udp", UT, false, {
	  { "_sip._udp.c.example.", 33, DNSQ_OK, { "0 0 0 ." } },
	  { "c.example.", 1, DNSQ_NXDOMAIN, { NULL } } },
	  "E_SIP_NO_TARGET", "SRV _sip._udp.c.example.|A c.example."
	  "|AAAA c.example.", "" },
	{ "DNS failing: temporary",
	  "sip:u@c.example:5060", UT, false, {
	  { "c.example.", 1, DNSQ_TEMPFAIL, { NULL } },
	  { "c.example.", 28, DNSQ_TEMPFAIL, { NULL } } },
	  "E_DNS_TEMPFAIL", "A c.example.|AAAA c.example.", "" },
	{ "a dead SRV target's name does not stop the next one",
	  "sip:u@c.example;transport=udp", UT, false, {
	  { "_sip._udp.c.example.", 33, DNSQ_OK, {
	    "10 0 5070 gone.c.example.", "20 0 5071 t2.c.example." } },
	  { "t2.c.example.", 1, DNSQ_OK, { "192.0.2.2" } } },
	  NULL, "SRV _sip._udp.c.example.|A gone.c.example."
	  "|AAAA gone.c.example.|A t2.c.example.|AAAA t2.c.example.",
	  "udp 192.0.2.2 5071" },
	{ "bad URI", "sip:u@c.example;transport=sctp", UT, false,
	  { { NULL, 0, 0, { NULL } } }, "E_SIP_INVALID_URI", "", "" },
};

struct fake {
	const struct wcase	*c;
	bool			 deferred;
	dnsq_cb			*cb;
	void			*arg;
	char			 name[DNSMSG_NAME_MAX];
	uint16_t		 type;
	char			 log[1024];
};

static void
answer(struct fake *f)
{
	const struct fake_answer	*a = NULL;
	struct dnsmsg_answer		 ans;
	struct naptr_rr			 naptr[4];
	struct srv_rr			 srv[4];
	struct dns_addr			 addr[4];
	struct dnsq_result		 res;
	char				 buf[4][5][DNSMSG_NAME_MAX];
	size_t				 n = 0;

	for (size_t i = 0; i < NELEM(f->c->dns); i++)
		if (f->c->dns[i].owner != NULL &&
		    strcasecmp(f->c->dns[i].owner, f->name) == 0 &&
		    f->c->dns[i].type == f->type)
			a = &f->c->dns[i];
	memset(&ans, 0, sizeof(ans));
	memset(&res, 0, sizeof(res));
	ans.qname = ans.final_name = f->name;
	ans.qtype = f->type;
	ans.ttl = 60;
	res.negative_ttl = res.failure_ttl = -1;
	res.status = a != NULL ? a->status : DNSQ_NXDOMAIN;
	for (size_t i = 0; a != NULL && i < 4 && a->rr[i] != NULL; i++, n++) {
		unsigned	 x, y, z;

		if (f->type == DNSMSG_T_NAPTR) {
			sscanf(a->rr[i], "%u %u %255s %255s %255s", &x, &y,
			    buf[i][0], buf[i][1], buf[i][2]);
			naptr[i] = (struct naptr_rr){ (uint16_t)x,
			    (uint16_t)y, (uint16_t)i, buf[i][0], buf[i][1], "",
			    buf[i][2] };
		} else if (f->type == DNSMSG_T_SRV) {
			sscanf(a->rr[i], "%u %u %u %255s", &x, &y, &z,
			    buf[i][0]);
			srv[i] = (struct srv_rr){ (uint16_t)x, (uint16_t)y,
			    (uint16_t)z, (uint16_t)i, buf[i][0] };
		} else {
			addr[i].family = f->type == DNSMSG_T_AAAA ? AF_INET6 :
			    AF_INET;
			inet_pton(addr[i].family, a->rr[i], addr[i].bytes);
		}
	}
	ans.naptr = naptr;
	ans.srv = srv;
	ans.addr = addr;
	if (f->type == DNSMSG_T_NAPTR)
		ans.nnaptr = n;
	else if (f->type == DNSMSG_T_SRV)
		ans.nsrv = n;
	else
		ans.naddr = n;
	if (res.status == DNSQ_TEMPFAIL)
		res.failure_ttl = 5;
	res.ans = res.status == DNSQ_TEMPFAIL ? NULL : &ans;
	f->cb(f->arg, &res);
}

static int
fake_query(void *ctx, const char *name, uint16_t type, dnsq_cb *cb,
    void *arg)
{
	struct fake	*f = ctx;
	size_t		 l = strlen(f->log);

	snprintf(f->log + l, sizeof(f->log) - l, "%s%s %s", l > 0 ? "|" : "",
	    siptarget_strtype(type), name);
	f->cb = cb;
	f->arg = arg;
	f->type = type;
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (!f->deferred)
		answer(f);
	return 0;
}

static uint32_t
zero_rng(void *arg)
{
	(void)arg;
	return 0;
}

struct outcome {
	bool			 done;
	int			 calls;
	struct siptarget_result	 res;
};

static void
on_done(void *arg, const struct siptarget_result *res)
{
	struct outcome	*o = arg;

	o->calls++;
	o->done = true;
	o->res = *res;
}

static int
count_queries(const char *q)
{
	int	 n = *q != '\0';

	for (; *q != '\0'; q++)
		n += *q == '|';
	return n;
}

static void
run_case(const struct wcase *c, bool deferred)
{
	struct siptarget_params	 p = { c->transports, 4, 24, c->prefer_v6,
	    zero_rng, NULL };
	struct fake		 f;
	struct dnsq_ops		 ops = { fake_query, &f };
	struct outcome		*o = calloc(1, sizeof(*o));
	struct siptarget	*st;
	char			 hops[512] = "";
	const char		*mode = deferred ? "async" : "sync";
	int			 guard = 0;

	memset(&f, 0, sizeof(f));
	f.c = c;
	f.deferred = deferred;
	st = siptarget_start(&p, &ops, c->uri, on_done, o);
	while (!o->done && deferred && guard++ < 100)
		answer(&f);
	ok(o->done && o->calls == 1, "%s (%s): completed once", c->name,
	    mode);
	ok((st == NULL) == !deferred || c->want_queries[0] == '\0',
	    "%s (%s): handle only while in flight", c->name, mode);
	is_str(siptarget_strerror(o->res.error), c->want_error,
	    "%s (%s): error", c->name, mode);
	is_str(f.log, c->want_queries, "%s (%s): queries", c->name, mode);
	for (size_t i = 0; i < o->res.nhops; i++) {
		size_t l = strlen(hops);

		snprintf(hops + l, sizeof(hops) - l, "%s%s %s %u",
		    i > 0 ? "|" : "",
		    rfc3263_strtransport(o->res.hops[i].transport),
		    o->res.hops[i].ip, o->res.hops[i].port);
	}
	is_str(hops, c->want_hops, "%s (%s): hops", c->name, mode);
	is_int(o->res.nqueries, count_queries(c->want_queries),
	    "%s (%s): trace has every query", c->name, mode);
	free(o);
}

/* Cancelling while a query is in flight: no callback, no leak. */
static void
test_cancel(void)
{
	struct siptarget_params	 p = { UT, 4, 24, false, zero_rng, NULL };
	struct fake		 f;
	struct dnsq_ops		 ops = { fake_query, &f };
	struct outcome		 o = { false, 0, { 0 } };
	struct siptarget	*st;

	memset(&f, 0, sizeof(f));
	f.c = &wcases[0];
	f.deferred = true;
	st = siptarget_start(&p, &ops, wcases[0].uri, on_done, &o);
	ok(st != NULL, "cancel: in flight");
	siptarget_cancel(st);
	answer(&f);	/* the DNS layer still calls back once */
	ok(!o.done, "cancel: callback not run");
}

/*
 * rfc3263_parse_uri() against the parser it replaced
 * (tests/unit/rfc3263_ref.c) on generated URIs: schemes, userinfo,
 * hosts (names, IPv4 and IPv6 literals, good and bad), ports and
 * parameters glued at random.  Verdict and every field must agree.
 */
static void
test_parse_against_reference(void)
{
	static const char *const pieces[] = {
	    "sip:", "sips:", "SIP:", "SiPs:", "sip", "tel:", "s", "alice",
	    "@", "+1202", ":pw", "Example.COM", "example.com.", "a-b_c",
	    "127.0.0.1", "10.0.0.256", "1.2.3", "01.2.3.4", "0.0.0.0",
	    "[::1]", "[2001:DB8::1]", "[::ffff:1.2.3.4]", "[1.2.3.4]", "[",
	    "]", "[:::]", ":5060", ":0", ":65535", ":65536", ":", ":x",
	    ";transport=udp", ";transport=TCP", ";TRANSPORT=tls",
	    ";transport=sctp", ";transport=", ";lr", ";maddr=1.2.3.4", ";",
	    "?h=v", ">", ".", "..", "-", "x", "\xc3\xa9", "%41", " ",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	};
	const size_t	 npieces = sizeof(pieces) / sizeof(pieces[0]);
	unsigned long	 bad = 0, n = 0, accepted = 0;

	rng = 3263ULL;	/* the same inputs on every run */

	for (int i = 0; i < 100000; i++) {
		char			 in[512];
		size_t			 len = 0;
		int			 k = 1 + (int)(next_rand() % 8);
		struct rfc3263_uri	 got, want;
		int			 gr, wr;

		/* Mostly a scheme first: the parse gets past it. */
		if (next_rand() % 4 != 0) {
			const char *sc = next_rand() % 3 == 0 ? "sips:" :
			    "sip:";

			memcpy(in, sc, strlen(sc));
			len = strlen(sc);
		}
		for (; k > 0; k--) {
			const char *pc = pieces[next_rand() % npieces];

			if (len + strlen(pc) < sizeof(in)) {
				memcpy(in + len, pc, strlen(pc));
				len += strlen(pc);
			}
		}
		in[len] = '\0';
		gr = rfc3263_parse_uri(in, &got);
		wr = rfc3263ref_parse_uri(in, &want);
		n++;
		accepted += wr == 0;
		if (gr != wr || (gr == 0 && (got.secure != want.secure ||
		    got.numeric != want.numeric ||
		    got.family != want.family ||
		    strcmp(got.host, want.host) != 0 ||
		    got.port != want.port ||
		    got.transport != want.transport))) {
			if (bad++ < 5)
				diag("\"%s\": %d host \"%s\" port %u tp %d, "
				    "reference %d host \"%s\" port %u tp %d",
				    in, gr, got.host, got.port, got.transport,
				    wr, want.host, want.port, want.transport);
		}
	}
	/* Around the limits: 63/64-octet labels, 253/254-octet names, with
	 * and without a final dot. */
	for (size_t lab = 62; lab <= 64; lab++)
		for (size_t total = 248; total <= 258; total++)
			for (int dot = 0; dot < 2; dot++) {
				char	 in[300];
				size_t	 len = 4;
				struct rfc3263_uri got, want;
				int	 gr, wr;

				memcpy(in, "sip:", 4);
				for (size_t i = 0; i < total; i++)
					in[len++] = (i + 1) % (lab + 1) == 0 ?
					    '.' : 'A';
				if (dot)
					in[len++] = '.';
				in[len] = '\0';
				gr = rfc3263_parse_uri(in, &got);
				wr = rfc3263ref_parse_uri(in, &want);
				n++;
				accepted += wr == 0;
				if (gr != wr || (gr == 0 &&
				    strcmp(got.host, want.host) != 0)) {
					if (bad++ < 5)
						diag("label %zu, %zu octets, "
						    "dot %d: %d, reference %d",
						    lab, total, dot, gr, wr);
				}
			}
	is_int((long)bad, 0, "%lu generated URIs (%lu valid) parse as the "
	    "reference parses them", n, accepted);
}

int
main(void)
{
	test_plans();
	test_naptr();
	for (size_t i = 0; i < NELEM(wcases); i++) {
		run_case(&wcases[i], false);
		run_case(&wcases[i], true);
	}
	test_cancel();
	test_parse_against_reference();
	return done_testing();
}
