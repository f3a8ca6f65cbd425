/*
 * routing/idna.h - internationalised host names: U-labels <-> A-labels.
 *
 * Where a host name is compared, looked up or written into a SIP URI it
 * must be in its ASCII form (A-labels, "xn--bcher-kva.example"); where it
 * is an XMPP domainpart it is written with U-labels ("bücher.example").
 * routing/lookup converts the URI ENUM produced before any DNS query and
 * before the relay sees it; gateway/xlate converts JID domains on the way
 * to SIP and SIP hosts on the way to XMPP.  Rules: IDNA2008 with UTS #46
 * non-transitional processing and NFC input, STD3 ASCII rules (LDH hosts),
 * as web browsers apply them (libidn2, IDN2_NONTRANSITIONAL).
 *
 * Pure in the house sense: no I/O and no globals; inputs are borrowed and
 * never changed, outputs go to caller buffers, NUL-terminated ("" on
 * failure) whenever their size is not zero.  libidn2 allocates internally
 * for the length of one call; nothing outlives it.
 */
#ifndef ROUTING_IDNA_H
#define ROUTING_IDNA_H

#include <stddef.h>

enum idna_status {
	IDNA_OK = 0,
	IDNA_E_NO_SPACE,	/* caller buffer too small */
	IDNA_E_INVALID		/* not a valid IDNA2008/UTS #46 host name */
};

/* Longest host accepted, in octets (U-labels take more than A-labels). */
#define IDNA_HOST_MAX	1023

/** Static name of @st, e.g. "IDNA_E_INVALID" (never NULL). */
const char *idna_strstatus(enum idna_status st);

/**
 * The ASCII form of a host name.  An ASCII name without "xn--" labels and
 * an IP literal ("[::1]", "192.0.2.1") are copied in lower case; any other
 * name goes through UTS #46 mapping (so "BÜCHER.example" and
 * "bücher。example" both give "xn--bcher-kva.example") and every A-label
 * in the input must decode to a valid U-label.  A final dot is kept.
 *
 * @param host  borrowed, @len octets (no NUL needed)
 * @param out   caller buffer for the result
 * @return IDNA_OK, IDNA_E_INVALID (bad UTF-8, disallowed code point,
 *         bidi or joiner rule, bad A-label, empty or too long label),
 *         IDNA_E_NO_SPACE
 */
enum idna_status idna_to_ascii(const char *host, size_t len, char *out,
    size_t outsz);

/**
 * The U-label form of a host name, for an XMPP domainpart: A-labels are
 * decoded (and must be valid, as in idna_to_ascii()), a name without
 * "xn--" labels is copied in lower case.
 *
 * @return IDNA_OK, IDNA_E_INVALID, IDNA_E_NO_SPACE
 */
enum idna_status idna_to_unicode(const char *host, size_t len, char *out,
    size_t outsz);

/**
 * A URI with its host in ASCII form: "sip:+1202@bücher.example;user=phone"
 * -> "sip:+1202@xn--bcher-kva.example;user=phone".  The host follows the
 * first '@' (or the scheme's ':' when there is no user part) and ends at
 * ':' ';' '?' '>' '/' or the end; a percent-encoded host (RFC 3986 3.2.2)
 * is decoded first.  Everything else is copied as it is.  A URI whose
 * host is plain ASCII without A-labels or '%' comes back unchanged.
 *
 * @param uri  NUL-terminated, borrowed
 * @param out  receives the URI ("" on failure); may be @uri itself, a
 *             buffer of @outsz bytes, rewritten in place (and left as it
 *             was on failure): a URI that needs nothing is then not
 *             copied at all
 * @return IDNA_OK, IDNA_E_INVALID (also: no host, broken %XX),
 *         IDNA_E_NO_SPACE
 */
enum idna_status idna_uri_to_ascii(const char *uri, char *out, size_t outsz);

#endif /* ROUTING_IDNA_H */
