/*
 * routing/e164.h - turn a destination as received into an E.164 AUS.
 *
 * First stage of the decision: routing/route (for routing/resolve) and
 * routing/lookup hand the raw destination the edge received (a number
 * typed with visual separators, a tel: URI, a sip:/sips: URI) to
 * e164_parse(), which yields the Application Unique String of RFC 6116
 * section 3.1 ("+" followed by digits).
 * enum/enumkey then builds the ENUM query name under a suffix.  Pure:
 * no I/O, no allocation, no globals, inputs are never modified.
 */
#ifndef ROUTING_E164_H
#define ROUTING_E164_H

#include <stddef.h>

/* Outcome of e164_parse().  Each reject has its own code so the caller can
 * log and report exactly why (E_INVALID_NUMBER, E_NOT_E164,
 * E_NUMBER_TOO_LONG in imgate-lookup's vocabulary). */
enum e164_status {
	E164_OK = 0,
	E164_INVALID_NUMBER,	/* letters, misplaced '+', no digits, junk */
	E164_NOT_E164,		/* dialled/local string, tel: local number */
	E164_TOO_LONG,		/* more than max_digits digits */
	E164_NO_SPACE		/* output buffer too small */
};

/* Longest AUS: '+' + 15 digits + NUL; callers use a bigger buffer anyway. */
#define E164_AUS_MAX	32

/* Input forms accepted by e164_parse(), OR-ed together. */
#define E164_FORM_PLAIN		0x01	/* "+1-202-555-0100", "+1 (202) 555.0100" */
#define E164_FORM_TEL		0x02	/* "tel:+1-202-555-0100;ext=1" (global only) */
#define E164_FORM_SIP_USER_PHONE 0x04	/* "sip:+1-202..@host;user=phone" */
/* "sip:+12025550100@host" without user=phone: a user part that starts with
 * '+' and holds only digits and separators is taken as a number (RFC 3261
 * 19.1.6 leaves this to local policy). */
#define E164_FORM_SIP_PLUS	0x08
#define E164_FORM_ALL		0x0f

/**
 * Parse a destination into an AUS ("+" then 1..max_digits digits).
 *
 * Visual separators "-" "." "(" ")" and, in the plain form only, spaces are
 * dropped.  tel: and sip: parameters are dropped; a tel: local number (no
 * leading '+', or carrying phone-context) is E164_NOT_E164.  A sip: URI is
 * a number only with user=phone (or E164_FORM_SIP_PLUS); otherwise
 * E164_NOT_E164.  Scheme names are case-insensitive.
 *
 * @param in         destination, borrowed; need not be NUL-terminated
 * @param inlen      bytes in @in
 * @param forms      E164_FORM_* bits that are accepted
 * @param max_digits digit limit (E.164: 15)
 * @param aus        caller buffer receiving the NUL-terminated AUS
 * @param aussz      size of @aus
 * @return E164_OK or the reject reason; @aus is "" on failure
 */
enum e164_status e164_parse(const char *in, size_t inlen, unsigned forms,
    unsigned max_digits, char *aus, size_t aussz);

/** Static name of a status, e.g. "E_NOT_E164" (never NULL). */
const char *e164_strstatus(enum e164_status st);

#endif /* ROUTING_E164_H */
