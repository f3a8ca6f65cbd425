/*
 * gateway/inet_ntop.c - the inet_ntop() of the whole imgated process,
 * written by hand (enum/iptext.h) instead of glibc's sprintf() per byte
 * or group.
 *
 * Linked into imgated only, like gateway/sipgw_recv.c: it stands in for
 * the C library's inet_ntop() for sofia-sip too, which formats the
 * source address of every message it receives (tport_deliver(),
 * tport_hostport()): three calls and about 5,000 instructions per
 * SIP->SIP message (bench/README.md).  The contract is glibc 2.36's,
 * to the byte: the same text (tests/unit/test_iptext.c checks
 * iptext_fmt() against the C library), NULL with errno EAFNOSUPPORT for
 * another family and ENOSPC when the text and its NUL do not fit in
 * @size, and then @dst is left untouched.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "enum/iptext.h"

const char *
inet_ntop(int af, const void *src, char *dst, socklen_t size)
{
	char	 buf[IPTEXT_MAX];
	size_t	 n;

	if (af != AF_INET && af != AF_INET6) {
		errno = EAFNOSUPPORT;
		return NULL;
	}
	n = iptext_fmt(af, src, buf, sizeof(buf));
	if (n == 0 || n + 1 > (size_t)size) {
		errno = ENOSPC;
		return NULL;
	}
	memcpy(dst, buf, n + 1);
	return dst;
}
