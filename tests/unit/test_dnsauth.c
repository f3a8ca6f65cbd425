/*
 * tests/unit/test_dnsauth.c - the answer acceptance predicate and DNS 0x20
 * (enum/dnsauth).
 *
 * Queries are built by dnsmsg_build_query() as gateway/dns builds them;
 * answers are the query with QR set plus an answer record, then altered
 * the way a forger would: another ID, the name in another case, another
 * name, type or class, a compressed question, two questions, QR clear.
 * Case randomisation must flip letters only (never digits, '_' or length
 * octets), follow the random bits, and leave type and class alone.  TAP.
 */
#include <ctype.h>
#include <string.h>

#include "enum/dnsauth.h"
#include "enum/dnsmsg.h"
#include "tests/tap.h"

static struct dnsauth_table	 tab;

/* The query as an answer: QR set, one A record pointing at the name. */
static size_t
answer_of(const uint8_t *q, size_t qlen, uint8_t *out)
{
	size_t	 ql = dnsauth_question_len(q, qlen), n = 12 + ql;
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60,
	    0, 4, 127, 0, 0, 1 };

	memcpy(out, q, n);
	out[2] |= 0x80;
	out[7] = 1;		/* ANCOUNT */
	out[11] = 0;		/* no OPT */
	memcpy(out + n, rr, sizeof(rr));
	return n + sizeof(rr);
}

int
main(void)
{
	uint8_t			 q[DNSMSG_QUERY_MAX], a[512], b[512];
	uint8_t			 rnd[DNSAUTH_RND_BYTES];
	uint8_t			 ones[DNSAUTH_RND_BYTES];
	struct dnsauth_query	 aq, aq2, *got;
	size_t			 qlen, alen, ql, letters = 0, flipped = 0;
	const char		*name = "_im._sip.sip0.example.com.";

	memset(rnd, 0, sizeof(rnd));
	memset(ones, 0xff, sizeof(ones));

	/* Case randomisation. */
	qlen = dnsmsg_build_query(name, DNSMSG_T_SRV, 0x4242, false, true, q,
	    sizeof(q));
	ql = dnsauth_question_len(q, qlen);
	ok(ql == strlen(name) + 1 + 4, "question length: name + type + class "
	    "(%zu)", ql);
	ok(dnsauth_query_init(&aq, q, qlen, ones) == 0, "query_init");
	is_int(aq.id, 0x4242, "ID taken from the query");
	ok(memcmp(aq.lower, q + 12, ql) == 0, "lower form = the query built");
	{

		/* All bits set: every letter upper case, the rest as is. */
		ok(memcmp(aq.cased + 1, "_IM", 3) == 0 &&
		    memcmp(aq.cased + 5, "_SIP", 4) == 0 &&
		    memcmp(aq.cased + 10, "SIP0", 4) == 0,
		    "all-ones bits: letters upper, '_' and digits kept");
		ok(aq.cased[0] == 3 && aq.cased[4] == 4 && aq.cased[9] == 4,
		    "length octets untouched");
		ok(memcmp(aq.cased + ql - 4, q + 12 + ql - 4, 4) == 0,
		    "type and class untouched");
	}
	ok(dnsauth_query_init(&aq2, q, qlen, rnd) == 0 &&
	    memcmp(aq2.cased, aq2.lower, ql) == 0,
	    "all-zero bits: name stays lower case");
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(0x96 ^ (i * 71));
	dnsauth_query_init(&aq2, q, qlen, rnd);
	for (size_t i = 0; i < ql - 4; i++) {
		if (isalpha(aq2.lower[i])) {
			letters++;
			flipped += aq2.cased[i] != aq2.lower[i];
		} else if (aq2.cased[i] != aq2.lower[i])
			flipped += 1000;
	}
	ok(flipped > 0 && flipped < letters, "mixed bits: %zu of %zu letters "
	    "flipped, nothing else", flipped, letters);
	ok(dnsauth_same_nocase(aq2.cased, aq2.lower, ql),
	    "0x20 form equals the lower form ignoring case");
	{
		uint8_t	 t[DNSAUTH_Q_MAX];

		memcpy(t, aq2.lower, ql);
		t[ql - 3] ^= 0x20;	/* type byte: not a letter position */
		ok(!dnsauth_same_nocase(t, aq2.lower, ql),
		    "type differing by 0x20 is not 'the same but for case'");
	}
	ok(dnsauth_query_init(&aq2, q, 11, rnd) == -1, "short query refused");

	/* The predicate. */
	ok(dnsauth_set_question(&aq, aq.cased, q, qlen) == 0 &&
	    memcmp(q + 12, aq.cased, ql) == 0, "set_question writes the form");
	aq.sent = DNSAUTH_SENT_CASED;
	ok(dnsauth_add(&tab, &aq) == 0, "add to the table");
	aq2 = aq;
	ok(dnsauth_add(&tab, &aq2) == -1, "a second query with the same ID "
	    "is refused");
	ok(dnsauth_find(&tab, 0x4242) == &aq, "find by ID");
	alen = answer_of(q, qlen, a);
	is_int(dnsauth_judge(&tab, a, alen, &got), DNSAUTH_ACCEPT,
	    "genuine answer, case echoed: accepted");
	ok(got == &aq, "and it names its query");

	memcpy(b, a, alen);
	b[1] ^= 1;
	is_int(dnsauth_judge(&tab, b, alen, &got), DNSAUTH_UNKNOWN_ID,
	    "wrong ID: dropped");
	ok(got == NULL, "no query for an unknown ID");

	memcpy(b, a, alen);
	for (size_t i = 12; i < 12 + ql - 4; i++)
		b[i] = (uint8_t)tolower(b[i]);
	is_int(dnsauth_judge(&tab, b, alen, &got), DNSAUTH_WRONG_CASE,
	    "lower-cased name (server does not echo 0x20): wrong case");
	aq.sent |= DNSAUTH_SENT_LOWER;
	is_int(dnsauth_judge(&tab, b, alen, &got), DNSAUTH_ACCEPT,
	    "... accepted once the lower form was sent too");
	aq.sent = DNSAUTH_SENT_LOWER;
	is_int(dnsauth_judge(&tab, a, alen, &got), DNSAUTH_WRONG_CASE,
	    "0x20 form not accepted when only the lower form was sent");
	aq.sent = DNSAUTH_SENT_CASED;

	memcpy(b, a, alen);
	b[12 + 10] = 'x';	/* sip0 -> xip0 */
	is_int(dnsauth_judge(&tab, b, alen, &got), DNSAUTH_WRONG_QUESTION,
	    "another name of the same length: wrong question");
	memcpy(b, a, alen);
	b[12 + ql - 3] = DNSMSG_T_A;
	is_int(dnsauth_judge(&tab, b, alen, &got), DNSAUTH_WRONG_QUESTION,
	    "another type: wrong question");
	memcpy(b, a, alen);
	b[12 + ql - 1] = 3;	/* class CH */
	is_int(dnsauth_judge(&tab, b, alen, &got), DNSAUTH_WRONG_QUESTION,
	    "another class: wrong question");
	{
		uint8_t	 q2[DNSMSG_QUERY_MAX];
		size_t	 n2 = dnsmsg_build_query("_im._sip.example.com.",
		    DNSMSG_T_SRV, 0x4242, false, false, q2, sizeof(q2));

		alen = answer_of(q2, n2, b);
		is_int(dnsauth_judge(&tab, b, alen, &got),
		    DNSAUTH_WRONG_QUESTION,
		    "another name, same ID: wrong question");
	}
	alen = answer_of(q, qlen, a);
	memcpy(b, a, alen);
	b[2] &= 0x7f;
	is_int(dnsauth_judge(&tab, b, alen, &got), DNSAUTH_MALFORMED,
	    "QR clear (a query, not an answer): dropped");
	memcpy(b, a, alen);
	b[5] = 2;
	is_int(dnsauth_judge(&tab, b, alen, &got), DNSAUTH_MALFORMED,
	    "two questions: dropped");
	{
		/* Question name as a pointer into the header. */
		static const uint8_t c[] = { 0x42, 0x42, 0x81, 0x80, 0, 1, 0, 0,
		    0, 0, 0, 0, 0xc0, 0x02, 0, 33, 0, 1 };

		is_int(dnsauth_judge(&tab, c, sizeof(c), &got),
		    DNSAUTH_MALFORMED, "compressed question: dropped");
	}
	is_int(dnsauth_judge(&tab, a, 11, &got), DNSAUTH_MALFORMED,
	    "11 bytes: dropped");
	is_int(dnsauth_judge(&tab, a, 0, &got), DNSAUTH_MALFORMED,
	    "empty datagram: dropped");
	is_int(dnsauth_judge(&tab, a, 12 + ql - 1, &got), DNSAUTH_MALFORMED,
	    "question cut short: dropped");

	/* dnsauth_answers(): what gateway/dns asks of every answer c-ares
	 * hands back, TCP included; letter case does not matter there. */
	alen = answer_of(q, qlen, a);
	ok(dnsauth_answers(&aq, a, alen), "answers: the genuine answer");
	memcpy(b, a, alen);
	for (size_t i = 12; i < 12 + ql - 4; i++)
		b[i] = (uint8_t)tolower(b[i]);
	ok(dnsauth_answers(&aq, b, alen), "answers: letter case aside");
	b[1] ^= 1;
	ok(!dnsauth_answers(&aq, b, alen), "answers: not with another ID");
	memcpy(b, a, alen);
	b[12 + ql - 3] = DNSMSG_T_A;
	ok(!dnsauth_answers(&aq, b, alen), "answers: not another type");
	ok(!dnsauth_answers(&aq, a, 1) && !dnsauth_answers(&aq, NULL, 0) &&
	    !dnsauth_answers(&aq, a, 12 + ql - 1),
	    "answers: not a short or absent message");

	/* The header fields, decoded in one place (enum/dnsmsg.h). */
	is_int(dnsmsg_header_id(a, alen), 0x4242, "header id");
	is_int(dnsmsg_header_id(a, 1), -1, "header id: 1 byte is too short");
	memcpy(b, a, alen);
	b[3] = (uint8_t)((b[3] & 0xf0) | DNSMSG_RCODE_REFUSED);
	is_int(dnsmsg_header_rcode(b, alen), DNSMSG_RCODE_REFUSED,
	    "header rcode");
	is_int(dnsmsg_header_rcode(b, 3), -1, "header rcode: 3 bytes is "
	    "too short");

	dnsauth_del(&tab, &aq);
	ok(tab.n == 0 && dnsauth_find(&tab, 0x4242) == NULL, "del");
	is_int(dnsauth_judge(&tab, a, alen, &got), DNSAUTH_UNKNOWN_ID,
	    "the genuine answer after the query ended: unknown ID (stray)");
	is_str(dnsauth_strverdict(DNSAUTH_WRONG_CASE), "wrong case",
	    "strverdict");
	return done_testing();
}
