/*
 * tests/unit/test_getaddrinfo.c - gateway/getaddrinfo.c, the
 * getaddrinfo() that imgated puts in place of the C library's, against
 * the C library's own (found with dlsym(RTLD_NEXT)).  A table of (host,
 * service, hints) says which take the fast path - sofia-sip's hints
 * among them - and which fall back; every row, and every combination of
 * the hosts, services and hints of the table, must give the C library's
 * return value and list field by field (flags, family, socket type,
 * protocol, address length and bytes, canonical name, length of the
 * list).  Every list is freed with the C library's freeaddrinfo(), so
 * that the sanitizer build checks the fast path's allocation.  Only
 * numeric hosts, "localhost" with AI_NUMERICHOST and names from
 * /etc/services: nothing reaches DNS.  TAP.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "gateway/getaddrinfo.h"
#include "tests/tap.h"

typedef int gai_fn(const char *, const char *, const struct addrinfo *,
    struct addrinfo **);

struct row {
	const char	*host;
	const char	*serv;
	int		 flags, family, socktype, protocol;
	int		 fast;		/* 1: answered by the fast path */
};

#define UDP	SOCK_DGRAM, IPPROTO_UDP
#define TCP	SOCK_STREAM, IPPROTO_TCP

static const struct row rows[] = {
	/* sofia-sip's tport_tsend() -> su_getaddrinfo(): the real path. */
	{ "127.0.0.1", "5060", 0, AF_UNSPEC, UDP, 1 },
	{ "127.0.0.1", "5060", 0, AF_UNSPEC, TCP, 1 },
	{ "::1", "5060", 0, AF_UNSPEC, UDP, 1 },
	/* sofia binding a listener */
	{ "127.0.0.1", "5060", AI_PASSIVE, AF_UNSPEC, UDP, 1 },
	{ "0.0.0.0", "0", AI_PASSIVE, AF_UNSPEC, TCP, 1 },
	{ "255.255.255.255", "65535", 0, AF_INET, SOCK_DGRAM, 0, 1 },
	{ "10.1.2.3", NULL, AI_NUMERICHOST, AF_INET, TCP, 1 },
	{ "10.1.2.3", "00080", AI_NUMERICHOST | AI_NUMERICSERV, AF_UNSPEC,
	    SOCK_STREAM, 0, 1 },
	{ "::", "1", 0, AF_INET6, UDP, 1 },
	{ "::ffff:1.2.3.4", "5061", 0, AF_UNSPEC, TCP, 1 },
	{ "::ffff:1.2.3.4", "5061", 0, AF_INET6, TCP, 1 },
	{ "fe80::1", "5060", 0, AF_UNSPEC, UDP, 1 },
	{ "2001:DB8::A:1", "5060", AI_NUMERICHOST, AF_INET6, UDP, 1 },
	/* fall back: the host */
	{ "127.1", "5060", 0, AF_UNSPEC, UDP, 0 },
	{ "0x7f.0.0.1", "5060", 0, AF_UNSPEC, UDP, 0 },
	{ "2130706433", "5060", 0, AF_UNSPEC, UDP, 0 },
	{ "010.0.0.1", "5060", 0, AF_UNSPEC, UDP, 0 },
	{ "fe80::1%lo", "5060", 0, AF_UNSPEC, UDP, 0 },
	{ "fe80::1%1", "5060", 0, AF_INET6, UDP, 0 },
	{ "[::1]", "5060", AI_NUMERICHOST, AF_UNSPEC, UDP, 0 },
	{ "localhost", "5060", AI_NUMERICHOST, AF_UNSPEC, UDP, 0 },
	{ "", "5060", AI_NUMERICHOST, AF_UNSPEC, UDP, 0 },
	{ NULL, "5060", AI_PASSIVE, AF_UNSPEC, UDP, 0 },
	{ NULL, "5060", 0, AF_UNSPEC, UDP, 0 },
	/* fall back: the family does not match the text */
	{ "127.0.0.1", "5060", 0, AF_INET6, UDP, 0 },
	{ "::1", "5060", 0, AF_INET, UDP, 0 },
	{ "::ffff:1.2.3.4", "5060", 0, AF_INET, UDP, 0 },
	{ "127.0.0.1", "5060", 0, AF_UNIX, UDP, 0 },
	/* fall back: the service */
	{ "127.0.0.1", "65536", 0, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", "000001", 0, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", "", 0, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", "-1", 0, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", " 5060", 0, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", "sip", 0, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", "sip", AI_NUMERICSERV, AF_UNSPEC, UDP, 0 },
	/* fall back: flags */
	{ "127.0.0.1", "5060", AI_ADDRCONFIG, AF_UNSPEC, UDP, 0 },
	{ "::1", "5060", AI_ADDRCONFIG, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", "5060", AI_CANONNAME, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", "5060", AI_V4MAPPED, AF_INET6, UDP, 0 },
	{ "127.0.0.1", "5060", AI_V4MAPPED | AI_ALL, AF_INET6, UDP, 0 },
	{ "::1", "5060", AI_V4MAPPED, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", "5060", AI_IDN, AF_UNSPEC, UDP, 0 },
	{ "127.0.0.1", "5060", 0x10000, AF_UNSPEC, UDP, 0 },
	/* fall back: socket type and protocol */
	{ "127.0.0.1", "5060", 0, AF_UNSPEC, 0, 0, 0 },
	{ "127.0.0.1", "5060", 0, AF_UNSPEC, 0, IPPROTO_UDP, 0 },
	{ "127.0.0.1", "5060", 0, AF_UNSPEC, SOCK_RAW, 0, 0 },
	{ "127.0.0.1", "5060", 0, AF_UNSPEC, SOCK_SEQPACKET, 0, 0 },
	{ "127.0.0.1", "5060", 0, AF_UNSPEC, SOCK_DGRAM, IPPROTO_UDPLITE, 0 },
	{ "127.0.0.1", "5060", 0, AF_UNSPEC, SOCK_DGRAM, IPPROTO_TCP, 0 },
	{ "127.0.0.1", "5060", 0, AF_UNSPEC, SOCK_STREAM, IPPROTO_SCTP, 0 },
};

/* 0 when the lists are the same, field by field; else says why. */
static int
same_list(const struct addrinfo *g, const struct addrinfo *w)
{
	for (; g != NULL && w != NULL; g = g->ai_next, w = w->ai_next) {
		if (g->ai_flags != w->ai_flags ||
		    g->ai_family != w->ai_family ||
		    g->ai_socktype != w->ai_socktype ||
		    g->ai_protocol != w->ai_protocol ||
		    g->ai_addrlen != w->ai_addrlen) {
			diag("flags %d/%d family %d/%d type %d/%d proto %d/%d "
			    "len %u/%u", g->ai_flags, w->ai_flags,
			    g->ai_family, w->ai_family, g->ai_socktype,
			    w->ai_socktype, g->ai_protocol, w->ai_protocol,
			    (unsigned)g->ai_addrlen, (unsigned)w->ai_addrlen);
			return -1;
		}
		if ((g->ai_addr == NULL) != (w->ai_addr == NULL) ||
		    (g->ai_addr != NULL &&
		    memcmp(g->ai_addr, w->ai_addr, g->ai_addrlen) != 0)) {
			diag("the sockaddr bytes differ");
			return -1;
		}
		if ((g->ai_canonname == NULL) != (w->ai_canonname == NULL) ||
		    (g->ai_canonname != NULL &&
		    strcmp(g->ai_canonname, w->ai_canonname) != 0)) {
			diag("ai_canonname differs");
			return -1;
		}
	}
	if (g != NULL || w != NULL) {
		diag("the lists differ in length");
		return -1;
	}
	return 0;
}

/* 0 when ours and the C library's answer @r alike. */
static int
same_answer(gai_fn *libc, const struct row *r)
{
	struct addrinfo	 h, *g = NULL, *w = NULL;
	int		 gr, wr, rc = 0;

	memset(&h, 0, sizeof(h));
	h.ai_flags = r->flags;
	h.ai_family = r->family;
	h.ai_socktype = r->socktype;
	h.ai_protocol = r->protocol;
	gr = getaddrinfo(r->host, r->serv, &h, &g);
	wr = libc(r->host, r->serv, &h, &w);
	if (gr != wr) {
		diag("returns %d, the C library %d", gr, wr);
		rc = -1;
	} else if (gr == 0)
		rc = same_list(g, w);
	if (gr == 0)
		freeaddrinfo(g);
	if (wr == 0)
		freeaddrinfo(w);
	return rc;
}

int
main(void)
{
	gai_fn		*libc = (gai_fn *)dlsym(RTLD_NEXT, "getaddrinfo");
	const size_t	 nrows = sizeof(rows) / sizeof(rows[0]);
	unsigned	 differ = 0, combos = 0, fast = 0;
	struct addrinfo	 h, *res;

	ok(libc != NULL && libc != getaddrinfo,
	    "this binary's getaddrinfo() is gateway/getaddrinfo.c's, not "
	    "the C library's");
	if (libc == NULL)
		return done_testing();

	for (size_t i = 0; i < nrows; i++) {
		const struct row	*r = &rows[i];
		int			 f;

		memset(&h, 0, sizeof(h));
		h.ai_flags = r->flags;
		h.ai_family = r->family;
		h.ai_socktype = r->socktype;
		h.ai_protocol = r->protocol;
		res = (struct addrinfo *)&h;
		f = getaddrinfo_numeric(r->host, r->serv, &h, &res) == 0;
		if (f)
			freeaddrinfo(res);
		ok(f == r->fast && (f || res == &h) &&
		    same_answer(libc, r) == 0,
		    "%s \"%s\" \"%s\" flags %#x family %d type %d proto %d: "
		    "the C library's answer",
		    r->fast ? "fast path" : "falls back",
		    r->host ? r->host : "(null)", r->serv ? r->serv : "(null)",
		    (unsigned)r->flags, r->family, r->socktype, r->protocol);
	}
	res = (struct addrinfo *)&h;
	ok(getaddrinfo_numeric("127.0.0.1", "5060", NULL, &res) == -1 &&
	    res == &h && getaddrinfo("127.0.0.1", "5060", NULL, &res) == 0 &&
	    res->ai_next != NULL,
	    "NULL hints fall back (the C library answers with every type)");
	if (res != &h)
		freeaddrinfo(res);

	/* Every host with every service and every hints of the table. */
	for (size_t i = 0; i < nrows; i++) {
		for (size_t j = 0; j < nrows; j++) {
			for (size_t k = 0; k < nrows; k++) {
				struct row	 r = rows[k];

				r.host = rows[i].host;
				r.serv = rows[j].serv;
				/* A name: only with AI_NUMERICHOST (no DNS). */
				if (r.host != NULL && strcmp(r.host,
				    "localhost") == 0 &&
				    !(r.flags & AI_NUMERICHOST))
					continue;
				combos++;
				if (same_answer(libc, &r) != 0 && differ++ < 5)
					diag("\"%s\" \"%s\" hints of row %zu",
					    r.host ? r.host : "(null)",
					    r.serv ? r.serv : "(null)", k);
				res = NULL;
				memset(&h, 0, sizeof(h));
				h.ai_flags = r.flags;
				h.ai_family = r.family;
				h.ai_socktype = r.socktype;
				h.ai_protocol = r.protocol;
				if (getaddrinfo_numeric(r.host, r.serv, &h,
				    &res) == 0) {
					fast++;
					freeaddrinfo(res);
				}
			}
		}
	}
	is_int(differ, 0, "%u combinations of host, service and hints "
	    "(%u on the fast path): the C library's answers", combos, fast);
	return done_testing();
}
