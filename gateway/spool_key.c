/*
 * gateway/spool_key.c - the sender's transaction key and the message id
 * derived from it (see spool_key.h for where it sits).
 *
 * The key writes every field as "<length>:<bytes>;" after a protocol
 * tag: no separator inside a field can make two field lists collide.
 * The message id is a SHA-256 of the key (FIPS 180-4; written out here
 * because nothing else in imgate needs a hash library), cut to 128 bits.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/spool_key.h"

/* Append "<len>:<s>;" at @*off; false when it does not fit. */
static int
put_field(char *buf, size_t bufsz, size_t *off, const char *s)
{
	size_t	 len = s != NULL ? strlen(s) : 0;
	char	 digits[24];
	size_t	 n = 0, v = len, o = *off;

	/*
	 * "LEN:" written by hand: every inbound SIP message gets its key,
	 * and snprintf() here was 2 % of imgated's instructions per
	 * message (bench/README.md, callgrind).  A field is almost always
	 * shorter than 100 bytes: its one or two digits without a loop.
	 */
	if (len < 10)
		digits[n++] = (char)('0' + len);
	else if (len < 100) {
		digits[n++] = (char)('0' + len % 10);
		digits[n++] = (char)('0' + len / 10);
	} else
		do {
			digits[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v != 0);
	if (o >= bufsz || n + 1 + len + 2 > bufsz - o)
		return -1;
	while (n > 0)
		buf[o++] = digits[--n];
	buf[o++] = ':';
	if (len > 0)
		memcpy(buf + o, s, len);
	o += len;
	buf[o++] = ';';
	buf[o] = '\0';
	*off = o;
	return 0;
}

static size_t
fail(char *buf, size_t bufsz)
{
	if (bufsz > 0)
		buf[0] = '\0';
	return 0;
}

size_t
spool_key_sip(char *buf, size_t bufsz, const char *call_id,
    const char *from_tag, uint32_t cseq, const char *method)
{
	char	 num[16], *p = num + sizeof(num);
	size_t	 off = 0;
	uint32_t v = cseq;

	if (bufsz < 5 || call_id == NULL || call_id[0] == '\0' ||
	    method == NULL || method[0] == '\0')
		return fail(buf, bufsz);
	memcpy(buf, "sip:", 5);
	off = 4;
	*--p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (put_field(buf, bufsz, &off, call_id) != 0 ||
	    put_field(buf, bufsz, &off, from_tag) != 0 ||
	    put_field(buf, bufsz, &off, p) != 0 ||
	    put_field(buf, bufsz, &off, method) != 0)
		return fail(buf, bufsz);
	return off;
}

size_t
spool_key_xmpp(char *buf, size_t bufsz, const char *from,
    const char *origin_id, const char *stanza_id)
{
	char		 bare[SPOOL_KEY_MAX];
	const char	*id, *kind;
	size_t		 off, blen;

	if (origin_id != NULL && origin_id[0] != '\0') {
		id = origin_id;
		kind = "o";
	} else {
		id = stanza_id;
		kind = "i";
	}
	if (bufsz < 6 || from == NULL || id == NULL || id[0] == '\0')
		return fail(buf, bufsz);
	/* The bare JID: everything before the first '/' (RFC 7622 3.1). */
	blen = strcspn(from, "/");
	if (blen == 0 || blen >= sizeof(bare))
		return fail(buf, bufsz);
	memcpy(bare, from, blen);
	bare[blen] = '\0';
	memcpy(buf, "xmpp:", 6);
	off = 5;
	if (put_field(buf, bufsz, &off, bare) != 0 ||
	    put_field(buf, bufsz, &off, kind) != 0 ||
	    put_field(buf, bufsz, &off, id) != 0)
		return fail(buf, bufsz);
	return off;
}

/* ------------------------------------------------------- SHA-256 */

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

#define ROR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t	 w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int		 i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
		    (w[i - 15] >> 3)) + w[i - 7] + (ROR(w[i - 2], 17) ^
		    ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		    ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		    ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

void
spool_key_msgid(const char *key, size_t len, char out[SPOOL_KEY_ID_SIZE])
{
	uint32_t	 h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
	    0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	unsigned char	 blk[64];
	const unsigned char *p = (const unsigned char *)key;
	uint64_t	 bits = (uint64_t)len * 8;
	size_t		 left = len, i;

	for (; left >= 64; left -= 64, p += 64)
		sha256_block(h, p);
	/* Padding: 0x80, zeros, the length in bits (big-endian). */
	memset(blk, 0, sizeof(blk));
	memcpy(blk, p, left);
	blk[left] = 0x80;
	if (left >= 56) {
		sha256_block(h, blk);
		memset(blk, 0, sizeof(blk));
	}
	for (i = 0; i < 8; i++)
		blk[63 - i] = (unsigned char)(bits >> (8 * i));
	sha256_block(h, blk);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x",
		    (unsigned)(h[i / 4] >> (24 - 8 * (i % 4))) & 0xff);
}
