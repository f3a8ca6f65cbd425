/*
 * gateway/getaddrinfo.h - the fast path of imgated's getaddrinfo()
 * (gateway/getaddrinfo.c), declared for tests/unit/test_getaddrinfo.c,
 * which checks which inputs take it.  getaddrinfo() itself is declared
 * by <netdb.h>.
 */
#ifndef GATEWAY_GETADDRINFO_H
#define GATEWAY_GETADDRINFO_H

struct addrinfo;

/**
 * The one entry for a numeric @node and a NULL or numeric @service under
 * @hints (all borrowed), in *@res, laid out as glibc's so that
 * freeaddrinfo() frees it; the list belongs to the caller.  @return 0,
 * or -1 where the C library must answer (then nothing is allocated and
 * *@res is untouched).
 */
int getaddrinfo_numeric(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res);

#endif /* GATEWAY_GETADDRINFO_H */
