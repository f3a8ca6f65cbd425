/*
 * tests/unit/test_inet_ntop.c - gateway/inet_ntop.c, the inet_ntop()
 * that imgated puts in place of the C library's, against the C
 * library's own (found with dlsym(RTLD_NEXT)): the same text, and the
 * same failures - NULL with EAFNOSUPPORT or ENOSPC, the buffer left
 * untouched - at every buffer size from 0 to INET6_ADDRSTRLEN.  TAP.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tests/tap.h"

typedef const char *ntop_fn(int, const void *, char *, socklen_t);

/* One address at every size; @return the number of differences. */
static unsigned
compare(ntop_fn *libc, int af, const void *a)
{
	unsigned	 differ = 0;

	for (socklen_t sz = 0; sz <= INET6_ADDRSTRLEN; sz++) {
		char		 got[INET6_ADDRSTRLEN + 1];
		char		 want[INET6_ADDRSTRLEN + 1];
		const char	*g, *w;
		int		 ge, we;

		memset(got, '#', sizeof(got));
		memset(want, '#', sizeof(want));
		errno = 0;
		g = inet_ntop(af, a, got, sz);
		ge = errno;
		errno = 0;
		w = libc(af, a, want, sz);
		we = errno;
		if ((g == NULL) != (w == NULL) || (g == NULL && ge != we) ||
		    memcmp(got, want, sizeof(got)) != 0) {
			if (differ++ == 0)
				diag("af %d size %u: \"%.*s\" errno %d, libc "
				    "\"%.*s\" errno %d", af, (unsigned)sz,
				    (int)sizeof(got), got, ge,
				    (int)sizeof(want), want, we);
		}
	}
	return differ;
}

int
main(void)
{
	static const char *const v6[] = { "::", "::1", "1::",
	    "::ffff:10.1.2.3", "::1.2.3.4", "2001:db8::1:0:0:1",
	    "fe80::abcd:ef01", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
	static const char *const v4[] = { "0.0.0.0", "127.0.0.1",
	    "255.255.255.255", "10.20.30.4" };
	ntop_fn		*libc = (ntop_fn *)dlsym(RTLD_NEXT, "inet_ntop");
	uint8_t		 a[16];
	unsigned	 differ = 0;
	char		 buf[64] = "untouched";

	ok(libc != NULL && libc != inet_ntop,
	    "this binary's inet_ntop() is gateway/inet_ntop.c's, not the C "
	    "library's");
	if (libc == NULL)
		return done_testing();
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		inet_pton(AF_INET, v4[i], a);
		differ += compare(libc, AF_INET, a);
	}
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		inet_pton(AF_INET6, v6[i], a);
		differ += compare(libc, AF_INET6, a);
	}
	is_int(differ, 0, "the C library's text, errno and untouched buffer "
	    "at every size, IPv4 and IPv6");
	errno = 0;
	ok(inet_ntop(AF_UNIX, a, buf, sizeof(buf)) == NULL &&
	    errno == EAFNOSUPPORT && strcmp(buf, "untouched") == 0,
	    "another family: NULL, EAFNOSUPPORT, buffer untouched");
	return done_testing();
}
