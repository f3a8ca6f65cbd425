/*
 * enum/ipparse.c - numeric address and port text, read by hand
 * (enum/ipparse.h).  The IPv6 reader follows the structure of
 * inet_pton(3)'s, so that the same text is accepted and refused: a
 * leading ':' only as part of "::", at most four hex digits a group, a
 * dotted quad only where it fills the last 32 bits, and a "::" that
 * would stand for no group at all is refused.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <string.h>

#include "enum/ipparse.h"

static int
ipparse_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A dotted quad, the whole of @in..@end, into @out[0..3]; 0 or -1.  An
 * octet at a time: a leading "0" is the whole octet ("01" is octal to
 * inet_aton, and inet_pton refuses it), and more than three digits run
 * past 255.
 */
static int
ipparse_v4(const char *in, const char *end, uint8_t out[4])
{
	for (unsigned octet = 0;; octet++) {
		unsigned	 val;

		if (in == end || *in < '0' || *in > '9')
			return -1;
		val = (unsigned)(*in++ - '0');
		if (val != 0)
			while (in < end && *in >= '0' && *in <= '9') {
				val = val * 10 + (unsigned)(*in++ - '0');
				if (val > 255)
					return -1;
			}
		out[octet] = (uint8_t)val;
		if (octet == 3)
			return in == end ? 0 : -1;
		if (in == end || *in++ != '.')
			return -1;
	}
}

/* IPv6 text, the whole of @in..@end, into @out; 0 or -1. */
static int
ipparse_v6(const char *in, const char *end, uint8_t out[16])
{
	uint8_t		 tmp[16];
	size_t		 tp = 0, colon = SIZE_MAX, n;
	const char	*tok;
	unsigned	 val = 0, digits = 0;
	int		 d;

	memset(tmp, 0, sizeof(tmp));
	if (in == end)
		return -1;
	if (*in == ':' && (++in == end || *in != ':'))
		return -1;
	tok = in;
	while (in < end) {
		char	 c = *in++;

		if ((d = ipparse_hex(c)) >= 0) {
			if (digits == 4)
				return -1;
			val = val << 4 | (unsigned)d;
			digits++;
			continue;
		}
		if (c == ':') {
			tok = in;
			if (digits == 0) {
				if (colon != SIZE_MAX)
					return -1;
				colon = tp;
				continue;
			}
			if (in == end || tp + 2 > 16)
				return -1;
			tmp[tp++] = (uint8_t)(val >> 8);
			tmp[tp++] = (uint8_t)val;
			val = digits = 0;
			continue;
		}
		if (c == '.' && tp + 4 <= 16 &&
		    ipparse_v4(tok, end, tmp + tp) == 0) {
			tp += 4;
			digits = 0;
			break;
		}
		return -1;
	}
	if (digits > 0) {
		if (tp + 2 > 16)
			return -1;
		tmp[tp++] = (uint8_t)(val >> 8);
		tmp[tp++] = (uint8_t)val;
	}
	if (colon != SIZE_MAX) {
		/* "::" must stand for at least one zero group. */
		if (tp == 16)
			return -1;
		n = tp - colon;
		memmove(tmp + 16 - n, tmp + colon, n);
		memset(tmp + colon, 0, 16 - n - colon);
		tp = 16;
	}
	if (tp != 16)
		return -1;
	memcpy(out, tmp, 16);
	return 0;
}

int
ipparse_addr(const char *in, size_t inlen, uint8_t out[16])
{
	/* A ':' makes it IPv6 text; anything else can only be IPv4. */
	if (memchr(in, ':', inlen) != NULL)
		return ipparse_v6(in, in + inlen, out) == 0 ? AF_INET6 : 0;
	return ipparse_v4(in, in + inlen, out) == 0 ? AF_INET : 0;
}

int
ipparse_port(const char *in, size_t inlen, uint16_t *port)
{
	unsigned	 val = 0;

	if (inlen == 0 || inlen > 5)
		return -1;
	for (size_t i = 0; i < inlen; i++) {
		if (in[i] < '0' || in[i] > '9')
			return -1;
		val = val * 10 + (unsigned)(in[i] - '0');
	}
	if (val > 65535)
		return -1;
	*port = (uint16_t)val;
	return 0;
}
