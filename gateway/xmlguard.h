/*
 * gateway/xmlguard.h - caps on the XML stream the XMPP server sends the
 * component, checked on the bytes before libstrophe's parser sees them
 * (gateway/xmppgw_guard.c; imgate.conf(5) xmpp.max_stanza).
 *
 * Pure: no I/O, no clock, no allocation, no globals.  The caller owns
 * the struct and feeds it the stream's bytes in order, as they come.
 *
 * Why: libstrophe (0.12) builds every stanza as a tree, in memory, until
 * its last end tag, and frees it by recursion.  A stanza nested a few
 * hundred thousand elements deep overflowed imgated's stack and killed
 * it; one that never ends grew its memory without a bound.  The stream
 * comes from the XMPP server, but what is in a stanza comes from anyone
 * that server relays.  The caps:
 *
 *  - a stanza (an element whose parent is the stream's root, with all it
 *    holds) nested more than XMLGUARD_MAX_DEPTH elements deep, itself
 *    counted, is refused (RFC 6120 4.9.3.14 <policy-violation/>);
 *  - a stanza longer than the byte cap, from its '<' on, is refused
 *    (the same condition; RFC 6120 13.12 asks servers to take 10 000
 *    bytes at least); so is a stream header, the XML declaration and
 *    the root's start tag, longer than the cap;
 *  - XML that RFC 6120 11.1 rules out of a stream: a comment, a
 *    processing instruction but for the XML declaration before the
 *    root, a document type declaration (its entities) (<restricted-xml/>;
 *    a parser must buffer such a construct whole, of any length).
 *
 * Text at the root's level (whitespace keepalives) is not part of any
 * stanza and counts toward no cap: libstrophe drops it unbuffered.
 *
 * The scanner is not a parser: it follows tags, quoted attribute values,
 * comments, CDATA sections and processing instructions well enough to
 * count depth and bytes in XML that is well-formed.  XML that is not is
 * the parser's to refuse (the caller's stream then closes as before);
 * the caps hold on any bytes, well-formed or not.
 */
#ifndef GATEWAY_XMLGUARD_H
#define GATEWAY_XMLGUARD_H

#include <stddef.h>
#include <stdint.h>

/*
 * Elements a stanza may nest, the stanza's own included: <message> with
 * <body> is 2.  XHTML-IM and the extensions imgate knows stay under 20;
 * 64 leaves room for any real extension and keeps libstrophe's recursion
 * shallow.
 */
#define XMLGUARD_MAX_DEPTH	64

enum xmlguard_verdict {
	XMLGUARD_OK = 0,
	XMLGUARD_TOO_DEEP,	/* <policy-violation/> */
	XMLGUARD_TOO_BIG,	/* <policy-violation/> */
	XMLGUARD_RESTRICTED	/* <restricted-xml/> */
};

/* Where the scanner is in the markup; private to gateway/xmlguard.c. */
enum xmlguard_state {
	XG_TEXT,		/* character data, or between tags */
	XG_LT,			/* after '<' */
	XG_LT_BANG,		/* after "<!" */
	XG_CDATA_OPEN,		/* inside "<![CDATA[", matching it */
	XG_CDATA,		/* in a CDATA section */
	XG_PI,			/* in "<?...?>" (the XML declaration) */
	XG_START_TAG,		/* in a start tag, outside a quoted value */
	XG_START_QUOTE,		/* in a quoted attribute value */
	XG_START_SLASH,		/* after '/' in a start tag */
	XG_END_TAG		/* in an end tag */
};

struct xmlguard {
	uint64_t		 max_bytes;	/* the byte cap; 0: none */
	uint64_t		 stanza_bytes;	/* of the stanza being read */
	uint32_t		 depth;		/* open elements, the root's too */
	uint8_t			 state;		/* enum xmlguard_state */
	uint8_t			 quote;		/* '"' or '\'' in XG_START_QUOTE */
	uint8_t			 matched;	/* of "[CDATA[", "]]" or "?" */
	uint8_t			 verdict;	/* the first refusal, kept */
};

/* A new stream: nothing open, the byte cap @max_bytes (0: none). */
void	 xmlguard_init(struct xmlguard *g, uint64_t max_bytes);

/* The byte cap from now on (a reload); the stanza read so far counts. */
void	 xmlguard_set_max(struct xmlguard *g, uint64_t max_bytes);

/*
 * The next @len bytes of the stream.  Returns how many of them lie
 * before the first byte that breaks a cap (all @len when none does):
 * the caller passes those on to the parser, so that every stanza
 * complete before it is still read, and closes the stream.  Once a cap
 * is broken, every later call returns 0; xmlguard_verdict() says which.
 */
size_t	 xmlguard_feed(struct xmlguard *g, const char *buf, size_t len);

enum xmlguard_verdict xmlguard_verdict(const struct xmlguard *g);

/* A line for the log and the stream error's <text/>, into @out (caller's,
 * @outsz bytes; cut short, always terminated). */
void	 xmlguard_explain(const struct xmlguard *g, char *out, size_t outsz);

#endif
