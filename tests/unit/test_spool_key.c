/*
 * tests/unit/test_spool_key.c - gateway/spool_key: the sender's
 * transaction key and the message id derived from it.
 *
 * The hash: FIPS 180-4 SHA-256 test vectors (one block, the two-block
 * padding case, several blocks), cut to 128 bits.  The keys: a
 * retransmission (the same fields) gives the same key and id; each
 * field changed gives another; fields that would run together with a
 * plain separator do not collide; the XMPP resource is ignored and the
 * origin-id wins over the stanza id; missing fields and keys too long
 * for the buffer give no key.  TAP.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/spool_key.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	const char	*in;
	const char	*id;	/* first 128 bits of SHA-256, hex */
} vectors[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb924" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	    "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	    "cf5b16a778af8380036ce59e7b049237" },
};

static void
id_of(const char *key, char out[SPOOL_KEY_ID_SIZE])
{
	spool_key_msgid(key, strlen(key), out);
}

int
main(void)
{
	char	 a[SPOOL_KEY_MAX], b[SPOOL_KEY_MAX], ia[SPOOL_KEY_ID_SIZE],
		 ib[SPOOL_KEY_ID_SIZE], big[SPOOL_KEY_MAX + 10], small[24];
	size_t	 i, n;

	plan((int)NELEM(vectors) + 23);
	for (i = 0; i < NELEM(vectors); i++) {
		id_of(vectors[i].in, ia);
		is_str(ia, vectors[i].id, "SHA-256 vector %zu (%zu bytes)", i,
		    strlen(vectors[i].in));
	}

	/* SIP: RFC 3261 17.2.3 fields without the branch. */
	n = spool_key_sip(a, sizeof(a), "abc@h", "t1", 1, "MESSAGE");
	is_str(a, "sip:5:abc@h;2:t1;1:1;7:MESSAGE;", "SIP key layout");
	is_int(n, strlen(a), "SIP key: length returned");
	{
		/* Field lengths of one, two and three digits, at the
		 * edges (9, 10, 99, 100): "%zu:%s;" each. */
		char	 cid[101], tag[11], meth[100], want[SPOOL_KEY_MAX];

		memset(cid, 'c', 100);
		cid[100] = '\0';
		memset(tag, 't', 10);
		tag[10] = '\0';
		memset(meth, 'M', 99);
		meth[99] = '\0';
		snprintf(want, sizeof(want), "sip:100:%s;10:%s;10:4294967295;"
		    "99:%s;", cid, tag, meth);
		spool_key_sip(b, sizeof(b), cid, tag, 4294967295u, meth);
		is_str(b, want, "SIP key: lengths of two and three digits");
		spool_key_sip(b, sizeof(b), "123456789", "t", 7, "MESSAGE");
		is_str(b, "sip:9:123456789;1:t;1:7;7:MESSAGE;",
		    "SIP key: a length of 9");
	}
	spool_key_sip(b, sizeof(b), "abc@h", "t1", 1, "MESSAGE");
	id_of(a, ia);
	id_of(b, ib);
	ok(strcmp(a, b) == 0 && strcmp(ia, ib) == 0, "retransmission: same "
	    "key, same id %s", ia);
	ok(strlen(ia) == 32 && strspn(ia, "0123456789abcdef") == 32,
	    "id: 32 lower-case hex digits");
	spool_key_sip(b, sizeof(b), "abc@h", "t1", 2, "MESSAGE");
	id_of(b, ib);
	ok(strcmp(a, b) != 0 && strcmp(ia, ib) != 0, "another CSeq: "
	    "another key and id");
	spool_key_sip(b, sizeof(b), "abc@h", "t2", 1, "MESSAGE");
	ok(strcmp(a, b) != 0, "another From tag: another key");
	spool_key_sip(b, sizeof(b), "abd@h", "t1", 1, "MESSAGE");
	ok(strcmp(a, b) != 0, "another Call-ID: another key");
	spool_key_sip(b, sizeof(b), "abc@h", "t1", 1, "OPTIONS");
	ok(strcmp(a, b) != 0, "another method: another key");
	/* "a;" + "b" against "a" + ";b": lengths keep them apart. */
	spool_key_sip(a, sizeof(a), "x;1:y", "", 1, "MESSAGE");
	spool_key_sip(b, sizeof(b), "x", "y", 1, "MESSAGE");
	ok(strcmp(a, b) != 0, "fields do not run together");
	n = spool_key_sip(a, sizeof(a), "abc@h", NULL, 1, "MESSAGE");
	is_str(a, "sip:5:abc@h;0:;1:1;7:MESSAGE;", "no From tag: an empty "
	    "field");
	ok(n > 0, "no From tag: still a key");
	is_int(spool_key_sip(a, sizeof(a), NULL, "t", 1, "MESSAGE"), 0,
	    "no Call-ID: no key");
	is_int(spool_key_sip(a, sizeof(a), "c", "t", 1, ""), 0,
	    "no method: no key");
	memset(big, 'c', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = spool_key_sip(a, sizeof(a), big, "t", 1, "MESSAGE");
	ok(n == 0 && a[0] == '\0', "Call-ID too long for the key: no key, "
	    "empty buffer");
	n = spool_key_sip(small, sizeof(small), "abc@h", "t1", 1, "MESSAGE");
	ok(n == 0 && small[0] == '\0', "small buffer: no key, no overrun");

	/* XMPP: bare JID + origin-id, else stanza id. */
	n = spool_key_xmpp(a, sizeof(a), "romeo@a.example/phone", NULL, "m1");
	is_str(a, "xmpp:15:romeo@a.example;1:i;2:m1;", "XMPP key layout: "
	    "bare JID, stanza id");
	spool_key_xmpp(b, sizeof(b), "romeo@a.example/laptop", NULL, "m1");
	ok(strcmp(a, b) == 0, "another resource of the same account: the "
	    "same key");
	spool_key_xmpp(a, sizeof(a), "romeo@a.example/phone", "o9", "m1");
	spool_key_xmpp(b, sizeof(b), "romeo@a.example/phone", "o9", "m2");
	ok(strcmp(a, b) == 0 && strstr(a, ";1:o;2:o9;") != NULL,
	    "origin-id wins over the stanza id");
	spool_key_xmpp(b, sizeof(b), "romeo@a.example", NULL, "o9");
	ok(strcmp(a, b) != 0, "origin-id and stanza id of the same text "
	    "differ");
	spool_key_xmpp(b, sizeof(b), "juliet@a.example", "o9", NULL);
	ok(strcmp(a, b) != 0, "another sender: another key");
	is_int(spool_key_xmpp(a, sizeof(a), "romeo@a.example", NULL, NULL),
	    0, "no id at all: no key");
	return done_testing();
}
