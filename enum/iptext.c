/*
 * enum/iptext.c - an address as text without sprintf (enum/iptext.h).
 *
 * Beside the flow: routing/ and gateway/ call it where they turn an
 * address into a key, a log field or a next hop.  The IPv6 rules are
 * glibc 2.36's inet_ntop6(), step by step, so that every key and log
 * line reads as it did when inet_ntop() wrote them
 * (tests/unit/test_iptext.c compares the two).
 */
#include <sys/socket.h>

#include <stdint.h>
#include <string.h>

#include "enum/iptext.h"

/* @v (0-255) in decimal at @p; @return the end. */
static char *
put_dec(char *p, unsigned v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		v %= 100;
		*p++ = (char)('0' + v / 10);
	} else if (v >= 10)
		*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* The dotted quad of the 4 bytes at @b at @p; @return the end. */
static char *
put_v4(char *p, const uint8_t *b)
{
	for (int i = 0; i < 4; i++) {
		if (i > 0)
			*p++ = '.';
		p = put_dec(p, b[i]);
	}
	return p;
}

/* One group in lower-case hex, no leading zeros; @return the end. */
static char *
put_hex(char *p, unsigned v)
{
	static const char	 hex[] = "0123456789abcdef";
	int			 shift = 12;

	while (shift > 0 && ((v >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = hex[(v >> shift) & 0xf];
	return p;
}

static char *
put_v6(char *p, const uint8_t *b)
{
	unsigned	 w[8];
	int		 best = -1, bestlen = 0, cur = -1, curlen = 0;

	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	/* The first longest run of zero groups; one alone stays "0". */
	for (int i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0) {
				cur = i;
				curlen = 1;
			} else
				curlen++;
		} else if (cur >= 0) {
			if (best < 0 || curlen > bestlen) {
				best = cur;
				bestlen = curlen;
			}
			cur = -1;
		}
	}
	if (cur >= 0 && (best < 0 || curlen > bestlen)) {
		best = cur;
		bestlen = curlen;
	}
	if (best >= 0 && bestlen < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + bestlen) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		/* IPv4-compatible (::a.b.c.d) or -mapped (::ffff:a.b.c.d). */
		if (i == 6 && best == 0 && (bestlen == 6 ||
		    (bestlen == 5 && w[5] == 0xffff)))
			return put_v4(p, b + 12);
		p = put_hex(p, w[i]);
	}
	if (best >= 0 && best + bestlen == 8)
		*p++ = ':';
	return p;
}

size_t
iptext_fmt(int family, const void *addr, char *out, size_t outsz)
{
	char	 buf[IPTEXT_MAX];
	char	*end;
	size_t	 n;

	if (family == AF_INET)
		end = put_v4(buf, addr);
	else if (family == AF_INET6)
		end = put_v6(buf, addr);
	else
		end = buf;
	n = (size_t)(end - buf);
	if (n == 0 || n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return 0;
	}
	memcpy(out, buf, n);
	out[n] = '\0';
	return n;
}
