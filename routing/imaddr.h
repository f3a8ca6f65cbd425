/*
 * routing/imaddr.h - the text of IM addresses: im: URIs and JID
 * localparts.
 *
 * The pure address pieces that both layers need.  routing/lookup turns
 * an ENUM im: destination into the JID it sends to
 * (imaddr_im_to_jid()); gateway/xlate builds every other address mapping
 * on the same primitives (the bounded writer, UTF-8 and XML character
 * checks, XEP-0106 escaping) so that a JID is written one way whichever
 * path made it.  Rules: RFC 3922 3.3 (im: -> JID, percent-decoding),
 * XEP-0106 (JID escaping), RFC 3629 (UTF-8), XML 1.0 2.2 (Char).
 *
 * Pure: no I/O, no allocation, no globals; inputs are borrowed for the
 * call and never modified; outputs go to caller buffers, NUL-terminated
 * ("" on failure) whenever their size is not zero.
 */
#ifndef ROUTING_IMADDR_H
#define ROUTING_IMADDR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Outcomes.  gateway/xlate's enum xlate_status starts with these nine,
 * value for value, so that its address functions pass them on unchanged.
 */
enum imaddr_status {
	IMADDR_OK = 0,
	IMADDR_E_NO_SPACE,	/* caller buffer too small */
	IMADDR_E_SCHEME,	/* missing or unexpected URI scheme */
	IMADDR_E_URI,		/* malformed URI (no '@', bad %XX) */
	IMADDR_E_JID,		/* malformed JID part */
	IMADDR_E_LONG,		/* a JID part over 1023 octets */
	IMADDR_E_EDGE_SPACE,	/* space first or last in a localpart */
	IMADDR_E_UTF8,		/* not well-formed UTF-8 */
	IMADDR_E_CHAR		/* control or non-XML-1.0 character */
};

/* RFC 7622 3.1: each of localpart, domainpart, resourcepart. */
#define IMADDR_PART_MAX		1023

/*
 * A bounded writer.  len counts every byte offered, even those that did
 * not fit, so a too-small buffer is reported once at the end instead of
 * being checked at every byte, and the length limits of RFC 7622 can be
 * told apart from a short buffer.  p is the caller's; nothing allocates.
 */
struct imaddr_buf {
	char	*p;
	size_t	 size;
	size_t	 len;
};

/** Start writing into @p (@size bytes, may be 0); @p becomes "". */
void imaddr_buf_init(struct imaddr_buf *b, char *p, size_t size);
/** Append one octet. */
void imaddr_put(struct imaddr_buf *b, int c);
/** Append @n octets of @s. */
void imaddr_put_mem(struct imaddr_buf *b, const char *s, size_t n);
/** Append the NUL-terminated @s. */
void imaddr_put_str(struct imaddr_buf *b, const char *s);
/** Append @n octets of @s, ASCII letters in lower case. */
void imaddr_put_lower(struct imaddr_buf *b, const char *s, size_t n);
/** Append "%XX" for octet @c (RFC 3986 2.1: upper-case hex). */
void imaddr_put_pct(struct imaddr_buf *b, int c);
/**
 * NUL-terminate.
 * @return IMADDR_OK, or IMADDR_E_NO_SPACE (the buffer is then "").
 */
enum imaddr_status imaddr_buf_done(struct imaddr_buf *b);

/**
 * Decode the UTF-8 sequence at @s[*@i] (RFC 3629) into *@cp and move *@i
 * past it.
 * @return 0, or -1 for a bad lead byte, missing continuation, overlong
 *         form, surrogate or a value above U+10FFFF (*@i unchanged).
 */
int imaddr_utf8_next(const unsigned char *s, size_t len, size_t *i,
    unsigned long *cp);

/** XML 1.0 section 2.2 Char. */
bool imaddr_xml_char(unsigned long c);

/**
 * Text inside an address part: well-formed UTF-8, XML characters, and
 * no control characters at all (C0, DEL, C1).
 * @return IMADDR_OK, IMADDR_E_UTF8, IMADDR_E_CHAR
 */
enum imaddr_status imaddr_text_check(const char *s, size_t len);

/**
 * The character the XEP-0106 sequence at @s stands for, or -1 when @s
 * does not start with one of the ten exact, lower-case sequences.
 */
int imaddr_esc_seq(const char *s, size_t n);

/**
 * XEP-0106: append the escaped form of the raw localpart @in.  Space
 * " & ' / : < > @ become \20 \22 \26 \27 \2f \3a \3c \3e \40, and a
 * backslash becomes \5c only where it would otherwise start one of the
 * ten sequences.
 * @return IMADDR_OK; IMADDR_E_JID (empty), IMADDR_E_EDGE_SPACE (space
 *         first or last), IMADDR_E_UTF8, IMADDR_E_CHAR, IMADDR_E_LONG
 *         (result over 1023 octets).  A short buffer shows in
 *         imaddr_buf_done().
 */
enum imaddr_status imaddr_escape_to(struct imaddr_buf *b, const char *in,
    size_t inlen);

/** imaddr_escape_to() into a caller buffer; also IMADDR_E_NO_SPACE. */
enum imaddr_status imaddr_jid_escape(const char *in, size_t inlen,
    char *out, size_t outsz);

/**
 * An escaped localpart as found in a JID: not empty, at most 1023
 * octets, UTF-8 text, none of the nine characters XEP-0106 escapes, no
 * \20 at either end.
 * @return IMADDR_OK, IMADDR_E_JID, IMADDR_E_LONG, IMADDR_E_EDGE_SPACE,
 *         IMADDR_E_UTF8, IMADDR_E_CHAR
 */
enum imaddr_status imaddr_local_check(const char *s, size_t n);

/**
 * Undo imaddr_escape_to(): only the ten exact sequences are translated
 * ("\2F" and "\41" stay as they are); @in must pass
 * imaddr_local_check().
 */
enum imaddr_status imaddr_unescape_to(struct imaddr_buf *b, const char *in,
    size_t inlen);

/** imaddr_unescape_to() into a caller buffer; also IMADDR_E_NO_SPACE. */
enum imaddr_status imaddr_jid_unescape(const char *in, size_t inlen,
    char *out, size_t outsz);

/**
 * A JID domainpart as received (final dot already dropped): not empty,
 * at most 1023 octets, UTF-8 text, no empty label and none of the
 * characters a domain never holds.  No IDNA processing.
 * @return IMADDR_OK, IMADDR_E_JID, IMADDR_E_LONG, IMADDR_E_UTF8,
 *         IMADDR_E_CHAR
 */
enum imaddr_status imaddr_domain_check(const char *s, size_t n);

/**
 * Append the percent-decoded @s[0..@n).  Raw octets must satisfy @ok
 * (the grammar of the URI component).
 * @return IMADDR_OK, or IMADDR_E_URI (a raw octet @ok refuses, or a
 *         broken %XX)
 */
enum imaddr_status imaddr_pct_decode_to(struct imaddr_buf *b, const char *s,
    size_t n, bool (*ok)(int));

/**
 * RFC 3922 3.3: "im:local@domain" -> "local@domain".  The localpart is
 * percent-decoded and then XEP-0106 escaped ("im:d'artagnan@x" and
 * "im:d%27artagnan@x" both give "d\27artagnan@x"); the domain is
 * percent-decoded and lower-cased; "?headers" are dropped.  The scheme
 * is case-insensitive.
 *
 * @param im   NUL-terminated, borrowed
 * @return IMADDR_OK, IMADDR_E_SCHEME, IMADDR_E_URI (no '@', bad %XX),
 *         IMADDR_E_LONG, the errors of imaddr_escape_to() and
 *         imaddr_domain_check(), IMADDR_E_NO_SPACE
 */
enum imaddr_status imaddr_im_to_jid(const char *im, char *jid, size_t jidsz);

#endif /* ROUTING_IMADDR_H */
