/*
 * routing/dialplan.h - dialled national digits to an E.164 AUS.
 *
 * Part of the first stage of the flow, next to routing/e164: when the
 * destination an inbound message carries is not already "+digits",
 * routing/route (route_decide()) extracts the dialled digits (the user
 * part of a sip:/tel: URI, the node of a JID), asks routing/policy which
 * dial plan applies to the sender, and dialplan_normalize() applies that
 * plan's country code, national and international prefixes.  The AUS then goes to
 * policy_match_route() and the lookup.
 *
 * Pure: no I/O, no allocation, no globals; inputs are never modified.
 */
#ifndef ROUTING_DIALPLAN_H
#define ROUTING_DIALPLAN_H

#include <stddef.h>

#include "conf/conf.h"
#include "routing/e164.h"

/* Digits in an E.164 number (ITU-T E.164 section 6). */
#define DIALPLAN_MAX_DIGITS	15

/**
 * Normalise dialled digits with a dial plan.
 *
 * Visual separators "-" "." "(" ")" and spaces are dropped first.  Then,
 * the first rule that applies wins:
 *  1. "+digits" is taken as already E.164 and validated by e164_parse()
 *     (plain form, DIALPLAN_MAX_DIGITS);
 *  2. the international prefix ("011", "00") then digits -> "+" digits;
 *  3. the national prefix ("1", "0") then a national significant number
 *     of min_length..max_length digits -> "+" country code NSN;
 *  4. a bare NSN of min_length..max_length digits -> "+" country code NSN.
 * Rule 3 goes before rule 4 so that, where both could read a string
 * ("0123456789" with lengths 9..10), the trunk prefix interpretation wins.
 * An empty prefix disables its rule; so does a country code that is not
 * 1..3 digits (rules 3 and 4).  A min_length below 1 counts as 1.
 *
 * @param dp     dial plan, borrowed; NULL accepts only rule 1
 * @param in     the dialled digits (not a URI: the caller extracts the
 *               user part), borrowed; need not be NUL-terminated
 * @param inlen  bytes in @in
 * @param aus    caller buffer receiving the NUL-terminated AUS, "" on
 *               failure (E164_AUS_MAX is enough)
 * @param aussz  size of @aus
 * @return E164_OK; E164_INVALID_NUMBER for letters or other junk, a
 *         misplaced '+' or no digits; E164_TOO_LONG when the number
 *         would exceed DIALPLAN_MAX_DIGITS digits; E164_NOT_E164 when no
 *         rule applies ("555-0100", a local number); E164_NO_SPACE when
 *         @aus is too small
 */
enum e164_status dialplan_normalize(const struct conf_dialplan *dp,
    const char *in, size_t inlen, char *aus, size_t aussz);

#endif /* ROUTING_DIALPLAN_H */
