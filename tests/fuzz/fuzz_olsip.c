/*
 * tests/fuzz/fuzz_olsip.c - the stateless 503 of a shed MESSAGE,
 * written from the datagram's raw bytes (gateway/overload_sip.c), as
 * sipgw_datagram() writes it before the SIP stack has seen the request.
 *
 * The scanner reads hostile bytes that no parser has checked: this
 * target runs overload_sip_scan() and overload_sip_refuse() (with and
 * without an overload state that answers oc, RFC 7339) on them.
 * Invariants: a MESSAGE's branch lies inside the input; a refusal is
 * -1 or fits the buffer, starts with the 503 status line, ends with
 * "Content-Length: 0" and the empty line, has no empty line before
 * that (nothing of the request can end the header block early) and a
 * port that is not 0; the scan and the refusal agree (no refusal
 * unless the scan found a MESSAGE).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/overload_sip.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const char *in, size_t n, const struct overload_sip_answer *a,
    enum overload_sip_kind kind)
{
	static const char	 head[] = "SIP/2.0 503 Service Unavailable\r\n";
	static const char	 tail[] = "\r\nContent-Length: 0\r\n\r\n";
	char			 out[OVERLOAD_SIP_MAX];
	uint16_t		 port = 0;
	ssize_t			 r;
	const char		*e;

	r = overload_sip_refuse(in, n, a, out, sizeof(out), &port);
	if (r == -1)
		return;
	if (kind != OVERLOAD_SIP_MESSAGE || r <= 0 ||
	    (size_t)r > sizeof(out) || port == 0)
		abort();
	if ((size_t)r < sizeof(head) - 1 + sizeof(tail) - 1 ||
	    memcmp(out, head, sizeof(head) - 1) != 0 ||
	    memcmp(out + r - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0)
		abort();
	e = memmem(out, (size_t)r, "\r\n\r\n", 4);
	if (e == NULL || e + 4 != out + r)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*in = (const char *)data;
	struct overload_sip_req	 q;
	struct overload		 ol;
	struct overload_sip_answer a = { "192.0.2.7", 40000, 5,
	    "imgate/fuzz", NULL };
	enum overload_sip_kind	 kind;

	if (size > 65536)
		return 0;
	kind = overload_sip_scan(in, size, &q);
	if (kind == OVERLOAD_SIP_MESSAGE && (q.branch < in ||
	    q.branchlen == 0 || q.branch + q.branchlen > in + size ||
	    q.key != overload_sip_key(q.branch, q.branchlen)))
		abort();
	check(in, size, &a, kind);
	overload_init(&ol, 100);
	ol.drop = 35;
	ol.seq = 12345678;
	a.ol = &ol;
	a.src_ip = "2001:db8::1";
	a.src_port = 5060;
	check(in, size, &a, kind);
	return 0;
}
