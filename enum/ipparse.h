/*
 * enum/ipparse.h - a numeric IPv4 or IPv6 address and a numeric port
 * read from text by hand, strictly.
 *
 * The address grammar is inet_pton(3)'s (glibc 2.36): a dotted quad of
 * four decimal octets without leading zeros ("0" alone is one); IPv6 as
 * up to eight groups of one to four hex digits with at most one "::",
 * which stands for at least one zero group, and an optional dotted quad
 * for the last 32 bits (RFC 4291 2.2).  Nothing else: not inet_aton(3)'s
 * shorthand ("127.1"), octal or hex forms, not a scope ("fe80::1%eth0"),
 * not brackets.  For such text the caller falls back to the C library
 * (gateway/getaddrinfo.c).  Pure: no I/O, no allocation, nothing global.
 */
#ifndef ENUM_IPPARSE_H
#define ENUM_IPPARSE_H

#include <stddef.h>
#include <stdint.h>

/**
 * Read @in (@inlen bytes, borrowed; no NUL needed) as an address.
 * @return AF_INET with the 4 bytes in @out[0..3], AF_INET6 with 16
 * bytes in @out, or 0 when @in is not exactly one address in the
 * grammar above (@out is then unspecified).
 */
int ipparse_addr(const char *in, size_t inlen, uint8_t out[16]);

/**
 * Read @in (@inlen bytes, borrowed) as a port: one to five decimal
 * digits (leading zeros allowed, as strtoul(3) reads them) of at most
 * 65535, into *@port (host order).  @return 0, or -1 for anything
 * else (empty, a sign, a space, a name, more than 65535).
 */
int ipparse_port(const char *in, size_t inlen, uint16_t *port);

#endif /* ENUM_IPPARSE_H */
