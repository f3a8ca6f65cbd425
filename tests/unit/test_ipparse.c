/*
 * tests/unit/test_ipparse.c - enum/ipparse: addresses read as the C
 * library's inet_pton() reads them, and ports.  A table of text with the
 * family expected (boundaries, inet_aton's forms, scopes, brackets, the
 * "::" rules, IPv4-compatible and -mapped IPv6) checked against both the
 * table and inet_pton(); then 300 000 pseudo-random strings over the
 * address alphabet, where ipparse_addr() must accept exactly what
 * inet_pton() accepts, with the same bytes.  TAP.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "enum/ipparse.h"
#include "tests/tap.h"
#include "tests/xorshift.h"

/* 1 when ipparse_addr() and inet_pton() agree on @s (@len bytes). */
static int
same_as_libc(const char *s, size_t len, int *fam)
{
	char		 z[128];
	uint8_t		 got[16], w4[4], w6[16];
	int		 f, p4, p6;

	*fam = 0;
	if (len >= sizeof(z))
		return 0;
	memcpy(z, s, len);
	z[len] = '\0';
	f = ipparse_addr(s, len, got);
	*fam = f;
	/* inet_pton() reads to the NUL; ipparse_addr() takes a length. */
	p4 = strlen(z) == len && inet_pton(AF_INET, z, w4) == 1;
	p6 = strlen(z) == len && inet_pton(AF_INET6, z, w6) == 1;
	if (p4)
		return f == AF_INET && memcmp(got, w4, 4) == 0;
	if (p6)
		return f == AF_INET6 && memcmp(got, w6, 16) == 0;
	return f == 0;
}

int
main(void)
{
	static const struct {
		const char	*in;
		int		 fam;
	} addrs[] = {
		{ "0.0.0.0", AF_INET }, { "127.0.0.1", AF_INET },
		{ "255.255.255.255", AF_INET }, { "10.20.30.4", AF_INET },
		{ "256.0.0.1", 0 }, { "1.2.3.256", 0 }, { "1.2.3.2555", 0 },
		{ "127.1", 0 }, { "127.0.1", 0 }, { "1", 0 }, { "", 0 },
		{ "01.2.3.4", 0 }, { "1.2.3.04", 0 }, { "00.0.0.0", 0 },
		{ "0x7f.0.0.1", 0 }, { "0x7f000001", 0 }, { "2130706433", 0 },
		{ "1.2.3.4.", 0 }, { ".1.2.3.4", 0 }, { "1..2.3", 0 },
		{ "1.2.3.4.5", 0 }, { " 1.2.3.4", 0 }, { "1.2.3.4 ", 0 },
		{ "1.2.3.4\n", 0 }, { "+1.2.3.4", 0 }, { "1.2.3.-4", 0 },
		{ "localhost", 0 }, { "[::1]", 0 }, { "[1.2.3.4]", 0 },
		{ "::", AF_INET6 }, { "::1", AF_INET6 }, { "1::", AF_INET6 },
		{ "1::1", AF_INET6 }, { "::ffff:1.2.3.4", AF_INET6 },
		{ "::ffff:127.0.0.1", AF_INET6 }, { "::1.2.3.4", AF_INET6 },
		{ "64:ff9b::192.0.2.33", AF_INET6 },
		{ "2001:DB8::aBcD", AF_INET6 }, { "fe80::1", AF_INET6 },
		{ "1:2:3:4:5:6:7:8", AF_INET6 },
		{ "1:2:3:4:5:6:1.2.3.4", AF_INET6 },
		{ "0001:0002::0003", AF_INET6 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AF_INET6 },
		{ "1:2:3:4:5:6:7::", AF_INET6 },
		{ "::2:3:4:5:6:7:8", AF_INET6 },
		{ "1:2:3:4:5:6:7:8:9", 0 }, { "1:2:3:4:5:6:7", 0 },
		{ "1:2:3:4:5:6:7:8::", 0 }, { "::1:2:3:4:5:6:7:8", 0 },
		{ "1:2:3:4::5:6:7:8", 0 }, { ":::", 0 }, { "1:::2", 0 },
		{ "1::2::3", 0 }, { ":1::", 0 }, { ":", 0 }, { "1:", 0 },
		{ "1::2:", 0 }, { "12345::", 0 }, { "g::", 0 },
		{ "fe80::1%eth0", 0 }, { "fe80::1%1", 0 }, { "::1 ", 0 },
		{ "::ffff:1.2.3", 0 }, { "::ffff:01.2.3.4", 0 },
		{ "::ffff:256.2.3.4", 0 }, { "::1.2.3.4:5", 0 },
		{ "1:2:3:4:5:6:7:1.2.3.4", 0 }, { "1.2.3.4::", 0 },
		{ "::ffff:1.2.3.4.", 0 },
	};
	static const struct {
		const char	*in;
		int		 rc;
		unsigned	 port;
	} ports[] = {
		{ "0", 0, 0 }, { "5060", 0, 5060 }, { "65535", 0, 65535 },
		{ "00080", 0, 80 }, { "65536", -1, 0 }, { "99999", -1, 0 },
		{ "000001", -1, 0 }, { "", -1, 0 }, { "-1", -1, 0 },
		{ "+1", -1, 0 }, { " 1", -1, 0 }, { "1 ", -1, 0 },
		{ "sip", -1, 0 }, { "0x10", -1, 0 }, { "5060a", -1, 0 },
	};
	static const char	 alpha[] = "0123456789abcdefABCDEFg:.%[] ";
	unsigned		 bad = 0, accepted = 0;
	uint8_t			 a[16];

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		int	 fam, same;

		same = same_as_libc(addrs[i].in, strlen(addrs[i].in), &fam);
		ok(same && fam == addrs[i].fam, "\"%s\": %s, as inet_pton()",
		    addrs[i].in, addrs[i].fam == AF_INET ? "IPv4" :
		    addrs[i].fam == AF_INET6 ? "IPv6" : "refused");
		if (fam != addrs[i].fam)
			diag("family %d, want %d", fam, addrs[i].fam);
	}
	ok(ipparse_addr("1.2.3.4xyz", 7, a) == AF_INET && a[3] == 4,
	    "only the @inlen bytes are read");
	ok(ipparse_addr("1.2.3\0.4", 8, a) == 0,
	    "a NUL inside the length is refused");

	for (unsigned i = 0; i < 300000; i++) {
		char	 s[48];
		size_t	 len = next_rand() % 24;
		int	 fam;

		/* Mostly digits, dots and colons, to reach the valid forms. */
		for (size_t j = 0; j < len; j++) {
			uint64_t	 r = next_rand();

			if (r % 4 == 0)
				s[j] = alpha[(r >> 8) % (sizeof(alpha) - 1)];
			else if (r % 4 == 1)
				s[j] = ':';
			else if (r % 4 == 2)
				s[j] = '.';
			else
				s[j] = "0123456789"[(r >> 8) % 10];
		}
		if (!same_as_libc(s, len, &fam) && bad++ < 10)
			diag("not as inet_pton: \"%.*s\"", (int)len, s);
		accepted += fam != 0;
	}
	is_int(bad, 0, "300000 random strings: accepted, refused and read "
	    "as inet_pton() does (%u accepted)", accepted);
	ok(accepted > 100, "the random strings reach accepted addresses");

	/*
	 * IPv6-shaped text: one to nine groups of zero to five hex digits
	 * joined by ':' or "::", now and then a dotted quad at the end, so
	 * that the group count and "::" rules meet their edges.
	 */
	bad = accepted = 0;
	for (unsigned i = 0; i < 200000; i++) {
		char	 s[128];	/* 9 x (2 + 5) + 16 */
		size_t	 len = 0;
		unsigned groups = 1 + next_rand() % 9;
		int	 fam;

		for (unsigned g = 0; g < groups; g++) {
			unsigned	 nd = next_rand() % 6;

			if (g > 0 || next_rand() % 8 == 0)
				s[len++] = ':';
			if (next_rand() % 6 == 0)
				s[len++] = ':';
			for (unsigned d = 0; d < nd; d++)
				s[len++] = "0123456789abcdef"[next_rand() % 16];
		}
		if (next_rand() % 4 == 0)
			len += (size_t)snprintf(s + len, sizeof(s) - len,
			    ":%u.%u.%u.%u", (unsigned)(next_rand() % 300),
			    (unsigned)(next_rand() % 256),
			    (unsigned)(next_rand() % 256),
			    (unsigned)(next_rand() % 256));
		if (!same_as_libc(s, len, &fam) && bad++ < 10)
			diag("not as inet_pton: \"%.*s\"", (int)len, s);
		accepted += fam == AF_INET6;
	}
	is_int(bad, 0, "200000 random IPv6-shaped strings: as inet_pton() "
	    "(%u accepted)", accepted);
	ok(accepted > 1000, "the IPv6-shaped strings reach accepted addresses");

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		uint16_t	 p = 7;
		int		 rc;

		rc = ipparse_port(ports[i].in, strlen(ports[i].in), &p);
		ok(rc == ports[i].rc && (rc != 0 || p == ports[i].port),
		    "port \"%s\": %d (%u)", ports[i].in, rc, (unsigned)p);
	}
	return done_testing();
}
