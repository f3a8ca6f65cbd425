/*
 * tests/unit/test_iptext.c - enum/iptext against the C library's
 * inet_ntop(): the hand-written text must be the very same, since it
 * becomes rate-limit keys, log fields and next hops that used to come
 * from inet_ntop().  Fixed edge cases (zero runs at the start, middle
 * and end, ties, single zero groups, IPv4-compatible and -mapped
 * addresses), then pseudo-random addresses with zero groups mixed in,
 * then the size and family errors.  Then enum/strcopy.h's str_join(),
 * which stands in for snprintf("%s%s...") on the same path, against
 * snprintf() at every buffer size.  TAP.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "enum/iptext.h"
#include "enum/strcopy.h"
#include "tests/tap.h"
#include "tests/xorshift.h"

static int
same_as_libc(int family, const uint8_t *a)
{
	char	 want[INET6_ADDRSTRLEN], got[IPTEXT_MAX];
	size_t	 n;

	if (inet_ntop(family, a, want, sizeof(want)) == NULL)
		return 0;
	n = iptext_fmt(family, a, got, sizeof(got));
	if (n != strlen(want) || strcmp(got, want) != 0) {
		static unsigned	 shown;

		if (shown++ < 10)
			diag("got \"%s\" (%zu), inet_ntop \"%s\"", got, n, want);
		return 0;
	}
	return 1;
}

int
main(void)
{
	static const char *const v6[] = {
		"::", "::1", "1::", "1::1", "::ffff:1.2.3.4", "::1.2.3.4",
		"::ffff:0.0.0.0", "::0.0.0.1", "::0:1.2.3.4",
		"64:ff9b::192.0.2.33", "2001:db8::", "2001:db8:0:0:1:0:0:1",
		"2001:0:0:1:0:0:0:1", "0:0:1:0:0:1:0:0", "1:0:1:0:1:0:1:0",
		"fe80::1:2:3:4", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"0:1:2:3:4:5:6:7", "1:2:3:4:5:6:7:0", "1:0:0:2:0:0:3:4",
		"abcd:ef01:2345:6789:abcd:ef01:2345:6789", "::ffff:0:1.2.3.4",
		"0:0:0:0:0:fffe:1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
	};
	static const char *const v4[] = {
		"0.0.0.0", "127.0.0.1", "255.255.255.255", "10.0.100.9",
		"192.168.1.10", "1.22.133.4",
	};
	uint8_t		 a[16];
	char		 small[8];
	unsigned	 bad = 0;

	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		inet_pton(AF_INET, v4[i], a);
		ok(same_as_libc(AF_INET, a), "IPv4 %s", v4[i]);
	}
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		ok(inet_pton(AF_INET6, v6[i], a) == 1 &&
		    same_as_libc(AF_INET6, a), "IPv6 %s", v6[i]);
	}
	/* Random groups, each zero with probability 1/2, and random
	 * bytes for IPv4: every run-length and position combination. */
	for (unsigned n = 0; n < 200000; n++) {
		uint64_t r = next_rand(), z = next_rand();

		for (int g = 0; g < 8; g++) {
			unsigned w = (z >> g) & 1 ? 0 : (unsigned)(r >> (8 *
			    g)) & 0xffff;

			/* Sometimes small or 0xffff groups too. */
			if (((z >> (8 + g)) & 3) == 0)
				w &= 0xf;
			if (((z >> (16 + g)) & 7) == 0)
				w = 0xffff;
			a[2 * g] = (uint8_t)(w >> 8);
			a[2 * g + 1] = (uint8_t)w;
		}
		if (!same_as_libc(AF_INET6, a) || !same_as_libc(AF_INET, a))
			bad++;
	}
	is_int(bad, 0, "200000 random addresses read as inet_ntop writes "
	    "them");
	inet_pton(AF_INET, "255.255.255.255", a);
	is_int(iptext_fmt(AF_INET, a, small, sizeof(small)), 0,
	    "too small a buffer: 0");
	is_str(small, "", "and the empty string");
	inet_pton(AF_INET, "1.2.3.4", a);
	is_int(iptext_fmt(AF_INET, a, small, sizeof(small)), 7,
	    "exactly fits: 7 + NUL");
	is_str(small, "1.2.3.4", "exact fit written");
	is_int(iptext_fmt(AF_UNIX, a, small, sizeof(small)), 0,
	    "another family: 0");
	{
		const char *const parts[] = { "sip:", "alice", "@",
		    "example.com" };
		char	 got[32], want[32];
		unsigned differ = 0;

		for (size_t sz = 0; sz <= sizeof(got); sz++) {
			size_t	 n;
			int	 w;

			memset(got, 'x', sizeof(got));
			memset(want, 'x', sizeof(want));
			n = str_join(got, sz, parts, 4);
			w = snprintf(want, sz, "%s%s%s%s", parts[0],
			    parts[1], parts[2], parts[3]);
			if ((size_t)w != n || memcmp(got, want, sizeof(got)))
				differ++;
		}
		is_int(differ, 0, "str_join() = snprintf(\"%%s%%s%%s%%s\") "
		    "at every size from 0 to 32, return value too");
		is_int(str_join(got, sizeof(got), parts, 0), 0,
		    "no parts: empty");
		is_str(got, "", "and NUL-terminated");
	}
	return done_testing();
}
