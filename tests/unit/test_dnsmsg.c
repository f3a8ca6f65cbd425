/*
 * tests/unit/test_dnsmsg.c - DNS query building and answer parsing.
 *
 * Hand-made wire messages: a NAPTR answer with compression and the
 * records in served order, SRV with a "." target, A/AAAA, a CNAME chain
 * (out of order), NXDOMAIN/NODATA with the SOA that bounds negative
 * caching, the AD/TC bits, TTLs with the top bit set, and malformed input
 * (truncation, compression loops, NUL inside a character-string) that
 * must be refused without reading out of bounds.  TAP.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "enum/dnsmsg.h"
#include "tests/tap.h"

struct wire {
	uint8_t	 b[2048];
	size_t	 n;
};

static void
put8(struct wire *w, unsigned v)
{
	w->b[w->n++] = (uint8_t)v;
}

static void
put16(struct wire *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v & 0xff);
}

static void
put32(struct wire *w, uint32_t v)
{
	put16(w, v >> 16);
	put16(w, v & 0xffff);
}

static void
putname(struct wire *w, const char *name)
{
	while (*name != '\0' && strcmp(name, ".") != 0) {
		size_t l = strcspn(name, ".");

		put8(w, (unsigned)l);
		memcpy(w->b + w->n, name, l);
		w->n += l;
		name += l;
		if (*name == '.')
			name++;
	}
	put8(w, 0);
}

static void
putstr(struct wire *w, const char *s)
{
	put8(w, (unsigned)strlen(s));
	memcpy(w->b + w->n, s, strlen(s));
	w->n += strlen(s);
}

/* Header + question; counts patched by the caller. */
static void
header(struct wire *w, unsigned flags2, unsigned flags3, const char *q,
    unsigned qtype, unsigned an, unsigned ns)
{
	w->n = 0;
	put16(w, 0x1234);
	put8(w, flags2);
	put8(w, flags3);
	put16(w, 1);
	put16(w, an);
	put16(w, ns);
	put16(w, 0);
	putname(w, q);
	put16(w, qtype);
	put16(w, 1);
}

/* RR header with the owner as a pointer to the question name (offset 12). */
static size_t
rr(struct wire *w, unsigned type, uint32_t ttl)
{
	put16(w, 0xc00c);
	put16(w, type);
	put16(w, 1);
	put32(w, ttl);
	put16(w, 0);		/* rdlength, patched */
	return w->n;
}

static void
rdlen(struct wire *w, size_t start)
{
	size_t	 len = w->n - start;

	w->b[start - 2] = (uint8_t)(len >> 8);
	w->b[start - 1] = (uint8_t)len;
}

static struct dnsmsg_answer *
parse(const struct wire *w, void **mem)
{
	struct dnsmsg_answer	*a = NULL;
	size_t			 need = dnsmsg_parse(w->b, w->n, NULL, 0, NULL);

	*mem = NULL;
	if (need == 0)
		return NULL;
	*mem = malloc(need);
	if (dnsmsg_parse(w->b, w->n, *mem, need, &a) != need)
		return NULL;
	return a;
}

static void
test_naptr(void)
{
	struct wire		 w;
	struct dnsmsg_answer	*a;
	void			*mem;
	size_t			 s;

	header(&w, 0x81, 0x80, "0.0.1.E164.arpa", 35, 2, 0);
	s = rr(&w, 35, 300);
	put16(&w, 100);
	put16(&w, 20);
	putstr(&w, "u");
	putstr(&w, "E2U+im");
	putstr(&w, "!^.*$!im:a@example.com!");
	put8(&w, 0);
	rdlen(&w, s);
	s = rr(&w, 35, 0x80000001u);	/* top bit: treat as 0 */
	put16(&w, 90);
	put16(&w, 10);
	putstr(&w, "");
	putstr(&w, "");
	putstr(&w, "");
	putname(&w, "Next.Example");
	rdlen(&w, s);
	a = parse(&w, &mem);
	ok(a != NULL, "NAPTR answer parses");
	if (a == NULL)
		return;
	is_str(a->qname, "0.0.1.e164.arpa.", "qname lower-case, absolute");
	is_int(a->nnaptr, 2, "two NAPTRs");
	is_int(a->naptr[0].order, 100, "served order kept: first order 100");
	is_int(a->naptr[0].index, 0, "index 0");
	is_str(a->naptr[0].regexp, "!^.*$!im:a@example.com!", "regexp");
	is_str(a->naptr[0].replacement, ".", "empty replacement is \".\"");
	is_str(a->naptr[1].replacement, "next.example.",
	    "replacement lower-case, absolute");
	is_str(a->naptr[1].flags, "", "empty flags");
	is_int(a->ttl, 0, "TTL with the top bit set counts as 0");
	ok(!a->ad && !a->tc, "AD and TC clear");
	is_int(a->rcode, 0, "NOERROR");
	free(mem);
}

static void
test_srv_a_cname(void)
{
	struct wire		 w;
	struct dnsmsg_answer	*a;
	void			*mem;
	size_t			 s, target_off;

	/* The SRV at the CNAME target comes before the CNAME itself. */
	header(&w, 0x81, 0xa0, "_im._sip.example.com", 33, 2, 0);
	put16(&w, 0);	/* owner: uncompressed target name, written below */
	w.n -= 2;
	target_off = w.n;
	putname(&w, "_im._sip.alias.example");
	put16(&w, 33);
	put16(&w, 1);
	put32(&w, 60);
	put16(&w, 0);
	s = w.n;
	put16(&w, 10);
	put16(&w, 5);
	put16(&w, 5060);
	putname(&w, "sip.alias.example");
	rdlen(&w, s);
	s = rr(&w, 5, 30);
	put16(&w, 0xc000 | (unsigned)target_off);
	rdlen(&w, s);
	a = parse(&w, &mem);
	ok(a != NULL, "SRV behind a CNAME parses");
	if (a == NULL)
		return;
	ok(a->has_cname, "CNAME seen");
	is_str(a->final_name, "_im._sip.alias.example.", "chain followed");
	is_int(a->nsrv, 1, "one SRV at the target");
	is_str(a->nsrv ? a->srv[0].target : NULL, "sip.alias.example.",
	    "SRV target absolute");
	is_int(a->nsrv ? a->srv[0].port : 0, 5060, "SRV port");
	is_int(a->ttl, 30, "TTL is the minimum over the chain");
	ok(a->ad, "AD bit read");
	free(mem);

	header(&w, 0x81, 0x80, "h.example", 1, 1, 0);
	s = rr(&w, 1, 60);
	put8(&w, 127);
	put8(&w, 0);
	put8(&w, 0);
	put8(&w, 1);
	rdlen(&w, s);
	a = parse(&w, &mem);
	ok(a != NULL && a->naddr == 1 && a->addr[0].family == AF_INET &&
	    a->addr[0].bytes[0] == 127 && a->addr[0].bytes[3] == 1,
	    "A record 127.0.0.1");
	free(mem);

	header(&w, 0x81, 0x80, "h.example", 1, 1, 0);
	s = rr(&w, 1, 60);
	put8(&w, 127);
	put8(&w, 0);
	rdlen(&w, s);
	a = parse(&w, &mem);
	ok(a == NULL, "A record with 2-byte rdata is malformed");
	free(mem);
}

static void
test_negative(void)
{
	struct wire		 w;
	struct dnsmsg_answer	*a;
	void			*mem;
	size_t			 s;

	header(&w, 0x85, 0x83, "9.9.e164.arpa", 35, 0, 1);
	put16(&w, 0xc00c);
	put16(&w, 6);
	put16(&w, 1);
	put32(&w, 300);
	put16(&w, 0);
	s = w.n;
	putname(&w, "ns.e164.arpa");
	putname(&w, "hostmaster.e164.arpa");
	put32(&w, 1);
	put32(&w, 3600);
	put32(&w, 600);
	put32(&w, 86400);
	put32(&w, 900);
	rdlen(&w, s);
	a = parse(&w, &mem);
	ok(a != NULL, "NXDOMAIN with SOA parses");
	if (a == NULL)
		return;
	is_int(a->rcode, 3, "rcode NXDOMAIN");
	ok(a->has_soa, "SOA found in authority");
	is_int(a->soa_ttl, 300, "SOA TTL");
	is_int(a->soa_minimum, 900, "SOA MINIMUM");
	ok(a->aa, "AA bit");
	free(mem);
}

static void
test_malformed(void)
{
	struct wire		 w, cut;
	struct dnsmsg_answer	*a;
	void			*mem;
	size_t			 s;

	/* Every truncation of a valid answer is refused. */
	header(&w, 0x81, 0x80, "x.example", 35, 1, 0);
	s = rr(&w, 35, 60);
	put16(&w, 1);
	put16(&w, 1);
	putstr(&w, "u");
	putstr(&w, "E2U+im");
	putstr(&w, "!^.*$!im:a@b!");
	put8(&w, 0);
	rdlen(&w, s);
	{
		int	 refused = 0;

		for (size_t n = 0; n < w.n; n++) {
			cut = w;
			cut.n = n;
			a = parse(&cut, &mem);
			refused += a == NULL;
			free(mem);
		}
		is_int(refused, (long)w.n, "all %zu truncations refused", w.n);
	}

	/* A compression pointer to itself. */
	header(&w, 0x81, 0x80, "x.example", 35, 1, 0);
	put16(&w, 0xc000 | (unsigned)w.n);
	put16(&w, 35);
	a = parse(&w, &mem);
	ok(a == NULL, "compression loop refused");
	free(mem);

	/* NUL inside a character-string. */
	header(&w, 0x81, 0x80, "x.example", 35, 1, 0);
	s = rr(&w, 35, 60);
	put16(&w, 1);
	put16(&w, 1);
	put8(&w, 3);
	put8(&w, 'u');
	put8(&w, 0);
	put8(&w, 'x');
	putstr(&w, "E2U+im");
	putstr(&w, "!^.*$!im:a@b!");
	put8(&w, 0);
	rdlen(&w, s);
	a = parse(&w, &mem);
	ok(a == NULL, "NUL byte inside a character-string refused");
	free(mem);

	/* A query (QR clear) is no answer. */
	header(&w, 0x01, 0x00, "x.example", 35, 0, 0);
	a = parse(&w, &mem);
	ok(a == NULL, "message without QR refused");
	free(mem);
}

static void
test_build(void)
{
	uint8_t	 q[DNSMSG_QUERY_MAX];
	size_t	 n;

	n = dnsmsg_build_query("0.0.1.e164.arpa.", 35, 7, true, true, q,
	    sizeof(q));
	ok(n == 12 + 17 + 4 + 11, "query length with OPT (%zu)", n);
	ok(q[2] == 0x01, "RD set");
	ok((q[3] & 0x20) != 0, "AD set when asked (RFC 6840 5.7)");
	ok(q[11] == 1, "ARCOUNT 1 (OPT)");
	ok(q[12] == 1 && q[13] == '0' && q[14] == 1, "first labels");
	ok(q[n - 4] == 0x80, "DO bit set with AD");
	n = dnsmsg_build_query("a.example", 1, 7, false, false, q, sizeof(q));
	ok(n == 12 + 11 + 4 && (q[3] & 0x20) == 0, "no AD, no OPT");
	ok(dnsmsg_build_query("a..example", 1, 7, false, false, q,
	    sizeof(q)) == 0, "empty label refused");
	ok(dnsmsg_build_query("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaa.example", 1, 7, false, false, q, sizeof(q)) == 0,
	    "64-octet label refused");
	n = dnsmsg_build_query("a\\.b.example", 1, 7, false, false, q,
	    sizeof(q));
	ok(n > 0 && q[12] == 3 && q[14] == '.', "escaped dot inside a label");
}

static void
test_normalize(void)
{
	char	 out[32];

	ok(dnsmsg_name_normalize("Example.COM", out, sizeof(out)) == 0 &&
	    strcmp(out, "example.com.") == 0, "normalize adds the dot");
	ok(dnsmsg_name_normalize("example.com.", out, sizeof(out)) == 0 &&
	    strcmp(out, "example.com.") == 0, "normalize keeps one dot");
	ok(dnsmsg_name_normalize("", out, sizeof(out)) == -1,
	    "empty name refused");
	ok(dnsmsg_name_normalize("a-rather-long-name.example", out, 8) == -1,
	    "too long for the buffer refused");
}

int
main(void)
{
	test_naptr();
	test_srv_a_cname();
	test_negative();
	test_malformed();
	test_build();
	test_normalize();
	return done_testing();
}
