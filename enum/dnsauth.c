/*
 * enum/dnsauth.c - accept a DNS answer only if it answers our query
 * (RFC 5452 9.1: match ID, question name, type and class; DNS 0x20 adds
 * the letter case of the name).
 *
 * The question of an answer must be uncompressed and equal, byte for
 * byte, to a form of the question that went out: RFC 1035 4.1.2 has the
 * server copy the question, and a server that rewrites the case is told
 * apart (DNSAUTH_WRONG_CASE) so the caller can fall back instead of
 * accepting it.  A compression pointer in the question is refused: it can
 * only point into the header and no real server writes one.
 */
#include <string.h>

#include "enum/dnsauth.h"


static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

static bool
is_letter(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t
dnsauth_question_len(const uint8_t *msg, size_t len)
{
	size_t	 off = DNSMSG_HDR_LEN;

	if (len < DNSMSG_HDR_LEN + 5 || msg[4] != 0 || msg[5] != 1)
		return 0;
	for (;;) {
		uint8_t	 l;

		if (off >= len)
			return 0;
		l = msg[off];
		if ((l & 0xc0) != 0)
			return 0;	/* compressed or extended label */
		off += (size_t)l + 1;
		if (off - DNSMSG_HDR_LEN > 255)
			return 0;
		if (l == 0)
			break;
	}
	if (off + 4 > len || off + 4 - DNSMSG_HDR_LEN > DNSAUTH_Q_MAX)
		return 0;
	return off + 4 - DNSMSG_HDR_LEN;
}

void
dnsauth_randomize_case(uint8_t *name, size_t len,
    const uint8_t rnd[DNSAUTH_RND_BYTES])
{
	size_t	 off = 0, bit = 0;

	/* Walk the labels; len covers name + type + class. */
	while (off < len && name[off] != 0 && (name[off] & 0xc0) == 0) {
		size_t	 l = name[off++];

		for (size_t i = 0; i < l && off < len; i++, off++) {
			if (!is_letter(name[off]))
				continue;
			if (rnd[(bit / 8) % DNSAUTH_RND_BYTES] &
			    (1u << (bit % 8)))
				name[off] ^= 0x20;
			bit++;
		}
	}
}

bool
dnsauth_same_nocase(const uint8_t *a, const uint8_t *b, size_t len)
{
	/*
	 * Label length octets are at most 63, below 'A', so folding the
	 * whole name is safe; type and class (the last four bytes) must be
	 * equal as they are.
	 */
	if (len < 4)
		return len == 0 || memcmp(a, b, len) == 0;
	for (size_t i = 0; i + 4 < len; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return memcmp(a + len - 4, b + len - 4, 4) == 0;
}

int
dnsauth_query_init(struct dnsauth_query *q, const uint8_t *msg, size_t len,
    const uint8_t rnd[DNSAUTH_RND_BYTES])
{
	size_t	 ql = dnsauth_question_len(msg, len);

	if (ql == 0)
		return -1;
	memset(q, 0, sizeof(*q));
	q->id = (uint16_t)dnsmsg_header_id(msg, len);
	q->qlen = (uint16_t)ql;
	memcpy(q->lower, msg + DNSMSG_HDR_LEN, ql);
	/* Lower-case the name only; type and class stay as they are. */
	for (size_t i = 0; i + 4 < ql; i++)
		q->lower[i] = lower(q->lower[i]);
	memcpy(q->cased, q->lower, ql);
	if (rnd != NULL)
		dnsauth_randomize_case(q->cased, ql, rnd);
	return 0;
}

bool
dnsauth_answers(const struct dnsauth_query *q, const uint8_t *msg,
    size_t len)
{
	return msg != NULL && dnsmsg_header_id(msg, len) == q->id &&
	    dnsauth_question_len(msg, len) == q->qlen &&
	    dnsauth_same_nocase(msg + DNSMSG_HDR_LEN, q->lower, q->qlen);
}

int
dnsauth_set_question(const struct dnsauth_query *q, const uint8_t *form,
    uint8_t *msg, size_t len)
{
	if (!dnsauth_answers(q, msg, len))
		return -1;
	memcpy(msg + DNSMSG_HDR_LEN, form, q->qlen);
	return 0;
}

struct dnsauth_query *
dnsauth_find(const struct dnsauth_table *t, uint16_t id)
{
	return t->slot[id];
}

int
dnsauth_add(struct dnsauth_table *t, struct dnsauth_query *q)
{
	if (t->slot[q->id] != NULL)
		return -1;
	t->slot[q->id] = q;
	t->n++;
	return 0;
}

void
dnsauth_del(struct dnsauth_table *t, const struct dnsauth_query *q)
{
	if (t->slot[q->id] == q) {
		t->slot[q->id] = NULL;
		t->n--;
	}
}

enum dnsauth_verdict
dnsauth_judge(const struct dnsauth_table *t, const uint8_t *msg, size_t len,
    struct dnsauth_query **qp)
{
	struct dnsauth_query	*q;
	size_t			 ql;

	*qp = NULL;
	/* A response (QR), opcode QUERY, one question. */
	if (len < DNSMSG_HDR_LEN || (msg[2] & 0x80) == 0 || (msg[2] & 0x78) != 0)
		return DNSAUTH_MALFORMED;
	q = t->slot[dnsmsg_header_id(msg, len)];
	if (q == NULL)
		return DNSAUTH_UNKNOWN_ID;
	*qp = q;
	if ((ql = dnsauth_question_len(msg, len)) == 0)
		return DNSAUTH_MALFORMED;
	if (ql != q->qlen)
		return DNSAUTH_WRONG_QUESTION;
	if (((q->sent & DNSAUTH_SENT_CASED) &&
	    memcmp(msg + DNSMSG_HDR_LEN, q->cased, ql) == 0) ||
	    ((q->sent & DNSAUTH_SENT_LOWER) &&
	    memcmp(msg + DNSMSG_HDR_LEN, q->lower, ql) == 0))
		return DNSAUTH_ACCEPT;
	if (dnsauth_same_nocase(msg + DNSMSG_HDR_LEN, q->lower, ql))
		return DNSAUTH_WRONG_CASE;
	return DNSAUTH_WRONG_QUESTION;
}

const char *
dnsauth_strverdict(enum dnsauth_verdict v)
{
	switch (v) {
	case DNSAUTH_ACCEPT:
		return "accepted";
	case DNSAUTH_MALFORMED:
		return "malformed";
	case DNSAUTH_UNKNOWN_ID:
		return "unknown id";
	case DNSAUTH_WRONG_QUESTION:
		return "wrong question";
	case DNSAUTH_WRONG_CASE:
		return "wrong case";
	}
	return "?";
}
