/*
 * tests/fuzz/fuzz_dnsauth.c - libFuzzer target: a forger's datagrams
 * against imgate's table of queries in flight (enum/dnsauth), then the
 * answer walker (enum/dnsmsg) on whatever is let through.
 *
 * The input is one UDP datagram as it would reach gateway/dns's
 * arecvfrom().  Three queries are in flight (a 0x20 NAPTR query, an SRV
 * query also resent in lower case, an A query without 0x20).  Invariants
 * checked, each aborting on violation:
 *  - accepted => the ID is in flight and the question equals, byte for
 *    byte, a form that was sent;
 *  - "wrong case" => equal but for letter case, and no form sent;
 *  - an accepted answer that parses has as question the query's own name
 *    (lower case) and type, so nothing the walker returns can belong to
 *    another question.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enum/dnsauth.h"
#include "enum/dnsmsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct {
	const char	*name;
	uint16_t	 type;
	uint16_t	 id;
	bool		 rand;
	uint8_t		 sent;
} fq[] = {
	{ "0.0.1.0.5.5.5.2.0.2.1.e164.arpa.", DNSMSG_T_NAPTR, 0x1234, true,
	  DNSAUTH_SENT_CASED },
	{ "_im._sip.example.com.", DNSMSG_T_SRV, 0xbeef, true,
	  DNSAUTH_SENT_CASED | DNSAUTH_SENT_LOWER },
	{ "uas.sip.test.", DNSMSG_T_A, 0x0000, false, DNSAUTH_SENT_CASED },
};

static struct dnsauth_table	 tab;
static struct dnsauth_query	 qs[3];
static bool			 ready;

static void
setup(void)
{
	uint8_t	 rnd[DNSAUTH_RND_BYTES], m[DNSMSG_QUERY_MAX];
	size_t	 n;

	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(0x5a ^ (i * 37));
	for (size_t i = 0; i < 3; i++) {
		n = dnsmsg_build_query(fq[i].name, fq[i].type, fq[i].id, false,
		    true, m, sizeof(m));
		if (n == 0 || dnsauth_query_init(&qs[i], m, n, fq[i].rand ?
		    rnd : NULL) != 0 || dnsauth_add(&tab, &qs[i]) != 0)
			abort();
		qs[i].sent = fq[i].sent;
	}
	ready = true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsauth_query	*q;
	enum dnsauth_verdict	 v;
	struct dnsmsg_answer	*a = NULL;
	size_t			 need, i;
	void			*mem;
	char			 want[DNSMSG_NAME_MAX];

	if (!ready)
		setup();
	v = dnsauth_judge(&tab, data, size, &q);
	if (v == DNSAUTH_UNKNOWN_ID && q != NULL)
		abort();
	if (v != DNSAUTH_ACCEPT && v != DNSAUTH_WRONG_CASE)
		return 0;
	if (q == NULL || size < 12 + (size_t)q->qlen ||
	    ((data[0] << 8) | data[1]) != q->id)
		abort();
	{
		bool	 exact = ((q->sent & DNSAUTH_SENT_CASED) &&
		    memcmp(data + 12, q->cased, q->qlen) == 0) ||
		    ((q->sent & DNSAUTH_SENT_LOWER) &&
		    memcmp(data + 12, q->lower, q->qlen) == 0);

		if (exact != (v == DNSAUTH_ACCEPT))
			abort();
		if (!dnsauth_same_nocase(data + 12, q->lower, q->qlen))
			abort();
	}
	if (v != DNSAUTH_ACCEPT)
		return 0;
	for (i = 0; i < 3 && &qs[i] != q; i++)
		;
	if (i == 3 || dnsmsg_name_normalize(fq[i].name, want,
	    sizeof(want)) != 0)
		abort();
	need = dnsmsg_parse(data, size, NULL, 0, NULL);
	if (need == 0 || (mem = malloc(need)) == NULL)
		return 0;
	if (dnsmsg_parse(data, size, mem, need, &a) == need && a != NULL) {
		if (strcmp(a->qname, want) != 0 || a->qtype != fq[i].type)
			abort();
		for (size_t k = 0; k < a->nsrv; k++)
			if (strlen(a->srv[k].target) >= DNSMSG_NAME_MAX)
				abort();
	}
	free(mem);
	return 0;
}
