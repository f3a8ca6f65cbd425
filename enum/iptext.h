/*
 * enum/iptext.h - an IPv4 or IPv6 address as text, written by hand.
 *
 * The same text as inet_ntop(3) of glibc - dotted quad; for IPv6 lower-
 * case hex groups without leading zeros, the first longest run of two or
 * more zero groups as "::", and the last 32 bits as a dotted quad after
 * "::" or "::ffff:" (RFC 4291 2.2, 2.5.5) - without the sprintf() that
 * glibc's inet_ntop() calls once per byte or group: a few thousand
 * instructions a call, twice per message on the SIP path (the source's
 * key in gateway/flow/relay.c, every next hop in routing/siptarget.c;
 * bench/README.md).  Pure: no I/O, no allocation, nothing global.
 */
#ifndef ENUM_IPTEXT_H
#define ENUM_IPTEXT_H

#include <stddef.h>

/* Bytes of the longest text, NUL included (INET6_ADDRSTRLEN). */
#define IPTEXT_MAX	46

/**
 * Write the address @addr of @family (AF_INET: 4 bytes, AF_INET6: 16
 * bytes, borrowed) into @out of @outsz bytes, NUL-terminated.
 * @return the length of the text, or 0 when @family is neither or the
 * text does not fit (@out is then the empty string if @outsz > 0).
 */
size_t iptext_fmt(int family, const void *addr, char *out, size_t outsz);

#endif /* ENUM_IPTEXT_H */
