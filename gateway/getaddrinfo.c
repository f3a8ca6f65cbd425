/*
 * gateway/getaddrinfo.c - the getaddrinfo() of the whole imgated
 * process: numeric hosts answered by hand (enum/ipparse.h), everything
 * else by the C library's.
 *
 * Linked into imgated only, like gateway/inet_ntop.c.  sofia-sip's
 * tport_tsend() resolves the destination of every message it sends,
 * the response to an incoming MESSAGE and the forwarded MESSAGE, with
 * su_getaddrinfo(), which calls getaddrinfo() on the numeric host and
 * port of the destination with hints { ai_flags 0, ai_family AF_UNSPEC,
 * ai_socktype SOCK_DGRAM, ai_protocol IPPROTO_UDP } (TCP: SOCK_STREAM,
 * IPPROTO_TCP); binding a listener adds AI_PASSIVE.  glibc 2.36 spends
 * about 1,250 instructions a call on that (bench/README.md).
 *
 * The fast path answers only where glibc's answer is one entry made
 * from the text alone: a host in inet_pton(3)'s grammar of the family
 * asked for (AF_UNSPEC takes either), a NULL or numeric service, a
 * socket type of SOCK_DGRAM or SOCK_STREAM with protocol 0 or the one
 * glibc would fill in (UDP, TCP), and no flag but AI_NUMERICHOST,
 * AI_NUMERICSERV and AI_PASSIVE (which only matters for a NULL host).
 * AI_ADDRCONFIG (the machine's interfaces), AI_V4MAPPED, AI_ALL,
 * AI_CANONNAME and the IDN flags fall back, as do a scope ("%eth0"),
 * IPv4 text with AF_INET6 and IPv6 text with AF_INET (glibc maps
 * "::ffff:a.b.c.d" to AF_INET there).  tests/unit/test_getaddrinfo.c
 * compares the answers with glibc's field by field.
 *
 * The entry is laid out as glibc's own (one malloc() block: the
 * addrinfo, then its sockaddr; ai_canonname NULL), so that the C
 * library's freeaddrinfo(), which frees ai_canonname and then the
 * block, frees it; freeaddrinfo() is not replaced.  The C library's
 * getaddrinfo() is found once with dlsym(RTLD_NEXT); under
 * AddressSanitizer that is the sanitizer's wrapper, which calls glibc's.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enum/ipparse.h"
#include "gateway/getaddrinfo.h"

typedef int getaddrinfo_fn(const char *, const char *,
    const struct addrinfo *, struct addrinfo **);

static getaddrinfo_fn	*getaddrinfo_libc;
static pthread_once_t	 getaddrinfo_once = PTHREAD_ONCE_INIT;

static void
getaddrinfo_find(void)
{
	getaddrinfo_libc = (getaddrinfo_fn *)dlsym(RTLD_NEXT,
	    "getaddrinfo");
}

int
getaddrinfo_numeric(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	const int	 flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	uint8_t		 addr[16];
	uint16_t	 port = 0;
	int		 family, proto;
	socklen_t	 len;
	struct addrinfo	*ai;

	if (node == NULL || hints == NULL || (hints->ai_flags & ~flags) != 0)
		return -1;
	if (hints->ai_socktype == SOCK_DGRAM)
		proto = IPPROTO_UDP;
	else if (hints->ai_socktype == SOCK_STREAM)
		proto = IPPROTO_TCP;
	else
		return -1;
	if (hints->ai_protocol != 0 && hints->ai_protocol != proto)
		return -1;
	if (service != NULL &&
	    ipparse_port(service, strlen(service), &port) != 0)
		return -1;
	family = ipparse_addr(node, strlen(node), addr);
	if (family == 0 ||
	    (hints->ai_family != AF_UNSPEC && hints->ai_family != family))
		return -1;
	len = family == AF_INET ? sizeof(struct sockaddr_in) :
	    sizeof(struct sockaddr_in6);
	if ((ai = malloc(sizeof(*ai) + len)) == NULL)
		return -1;
	/* Field by field: no memset of the whole block (calloc). */
	ai->ai_flags = hints->ai_flags;
	ai->ai_family = family;
	ai->ai_socktype = hints->ai_socktype;
	ai->ai_protocol = proto;
	ai->ai_addrlen = len;
	ai->ai_addr = (struct sockaddr *)(ai + 1);
	ai->ai_canonname = NULL;
	ai->ai_next = NULL;
	if (family == AF_INET) {
		struct sockaddr_in	*sin = (struct sockaddr_in *)(ai + 1);

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
		memset(sin->sin_zero, 0, sizeof(sin->sin_zero));
	} else {
		struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)(ai + 1);

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_flowinfo = 0;
		memcpy(&sin6->sin6_addr, addr, 16);
		sin6->sin6_scope_id = 0;
	}
	*res = ai;
	return 0;
}

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	if (getaddrinfo_numeric(node, service, hints, res) == 0)
		return 0;
	pthread_once(&getaddrinfo_once, getaddrinfo_find);
	if (getaddrinfo_libc == NULL) {
		errno = ENOSYS;
		return EAI_SYSTEM;
	}
	return getaddrinfo_libc(node, service, hints, res);
}
