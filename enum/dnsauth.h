/*
 * enum/dnsauth.h - is this datagram the answer to a query we sent?
 *
 * gateway/dns sees every UDP datagram before c-ares does and asks
 * dnsauth_judge() whether to let it through.  An answer is accepted only
 * when its ID belongs to a query in flight and its question section is
 * byte for byte the one sent (name with the letter case sent, type,
 * class).  The case of the query name may be randomised (DNS 0x20:
 * draft-vixie-dnsext-dns0x20, see docs/ARCHITECTURE.md "DNS answer
 * authenticity"), which adds up to one bit per letter an off-path forger
 * must guess besides the 16-bit ID and the source port.
 *
 * Pure: no I/O, no allocation, no globals; random bits come from the
 * caller.  The table is caller-allocated and holds borrowed pointers.
 */
#ifndef ENUM_DNSAUTH_H
#define ENUM_DNSAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enum/dnsmsg.h"

/* Longest question section: a 255-byte wire name, type, class. */
#define DNSAUTH_Q_MAX		(255 + 4)
/* Random bytes dnsauth_randomize_case() may consume: one bit a letter. */
#define DNSAUTH_RND_BYTES	32

/* Which forms of the question went out (struct dnsauth_query.sent). */
#define DNSAUTH_SENT_CASED	0x01
#define DNSAUTH_SENT_LOWER	0x02

/* One query in flight. */
struct dnsauth_query {
	uint16_t	 id;
	uint16_t	 qlen;		/* question bytes (both forms) */
	uint8_t		 sent;		/* DNSAUTH_SENT_* */
	bool		 fallback;	/* resent lower-case after a case
					 * mismatch (at most once) */
	/* The question with the name lower-cased, and its 0x20 form
	 * (== lower when case randomisation is off). */
	uint8_t		 lower[DNSAUTH_Q_MAX];
	uint8_t		 cased[DNSAUTH_Q_MAX];
};

/*
 * Outstanding queries by ID.  IDs are unique among the queries in the
 * table (the caller draws a new one while dnsauth_find() says taken), so
 * a direct 65536-slot index needs no hashing and cannot be flooded.
 */
struct dnsauth_table {
	struct dnsauth_query	*slot[65536];	/* borrowed */
	size_t			 n;
};

enum dnsauth_verdict {
	DNSAUTH_ACCEPT,
	DNSAUTH_MALFORMED,	/* short, not a response, QDCOUNT != 1,
				 * compressed or bad question name */
	DNSAUTH_UNKNOWN_ID,	/* no query in flight with that ID */
	DNSAUTH_WRONG_QUESTION,	/* another name, type or class */
	DNSAUTH_WRONG_CASE	/* the same question but for letter case */
};

/**
 * Length of the question section of the message @msg (header, then one
 * uncompressed name, type, class).
 * @return bytes from offset 12, or 0 when malformed or longer than
 *         DNSAUTH_Q_MAX
 */
size_t dnsauth_question_len(const uint8_t *msg, size_t len);

/**
 * Fill @q from the query @msg (as built by dnsmsg_build_query(), name in
 * lower case): id, lower, and cased = lower with the case of each letter
 * flipped when its bit of @rnd is set (@rnd NULL: no randomisation).
 * @return 0, or -1 when @msg has no well-formed question
 */
int dnsauth_query_init(struct dnsauth_query *q, const uint8_t *msg,
    size_t len, const uint8_t rnd[DNSAUTH_RND_BYTES]);

/**
 * Does the message @msg carry @q's ID and question, letter case aside?
 * gateway/dns asks it of every answer c-ares hands back (TCP included),
 * dnsauth_set_question() of every query it rewrites.
 */
bool dnsauth_answers(const struct dnsauth_query *q, const uint8_t *msg,
    size_t len);

/**
 * Copy the question @form (q->lower or q->cased) over the question of
 * the query datagram @msg (same ID, same length).
 * @return 0, or -1 when @msg does not carry @q's question
 */
int dnsauth_set_question(const struct dnsauth_query *q, const uint8_t *form,
    uint8_t *msg, size_t len);

/** Case-randomise the letters of the wire name at @name (@len bytes of
 * question) with the bits of @rnd.  Labels' length octets, type and class
 * are never touched. */
void dnsauth_randomize_case(uint8_t *name, size_t len,
    const uint8_t rnd[DNSAUTH_RND_BYTES]);

/** Does the question @a equal @b ignoring ASCII letter case? */
bool dnsauth_same_nocase(const uint8_t *a, const uint8_t *b, size_t len);

/** The query with ID @id in @t, or NULL. */
struct dnsauth_query *dnsauth_find(const struct dnsauth_table *t,
    uint16_t id);

/** Add @q (borrowed until dnsauth_del()).
 * @return 0, or -1 when its ID is taken */
int dnsauth_add(struct dnsauth_table *t, struct dnsauth_query *q);

void dnsauth_del(struct dnsauth_table *t, const struct dnsauth_query *q);

/**
 * Judge the datagram @msg against the queries in @t.  *@qp is set to the
 * query with the datagram's ID when there is one (also for
 * DNSAUTH_WRONG_*), else NULL.  Accepts only a question equal byte for
 * byte to a form that was sent (q->sent).
 */
enum dnsauth_verdict dnsauth_judge(const struct dnsauth_table *t,
    const uint8_t *msg, size_t len, struct dnsauth_query **qp);

/** "accepted", "malformed", "unknown id", ... */
const char *dnsauth_strverdict(enum dnsauth_verdict v);

#endif /* ENUM_DNSAUTH_H */
