/*
 * routing/dialplan.c - dialled national digits to an E.164 AUS.
 *
 * First stage of the inbound -> route -> pick -> outbound flow, for
 * senders who dial the way they would on a desk phone: "2025550100",
 * "0 20 7946 0148", "011 44 ...".  routing/policy picks the sender's dial
 * plan; this file applies it.  A "+" number is routing/e164's business
 * and is passed straight to e164_parse(), so both paths reject the same
 * strings for the same reasons.
 *
 * Pure: no I/O, no allocation, no globals.  The digits are gathered into
 * a small stack array, which is safe because anything longer than it can
 * only be too long (see DIALPLAN_RAW_MAX).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "routing/dialplan.h"

/*
 * Raw dialled digits kept.  The longest string that can still yield an
 * E.164 number is an international prefix (at most 7 digits, the size of
 * conf_dialplan.international_prefix) plus 15 digits, so anything past
 * this is E164_TOO_LONG whatever the plan says.
 */
#define DIALPLAN_RAW_MAX	32

static bool	dialplan_is_sep(int);
static size_t	dialplan_digits_len(const char *, size_t);
static bool	dialplan_starts(const char *, size_t, const char *, size_t);
static enum e164_status dialplan_emit(const char *, size_t, const char *,
		    size_t, char *, size_t);

/* The visual separators of RFC 3966 plus the space people type. */
static bool
dialplan_is_sep(int c)
{
	return c == '-' || c == '.' || c == '(' || c == ')' || c == ' ';
}

/*
 * Length of a configured digit string (prefix, country code) held in an
 * array of @sz bytes, or 0 when it is empty or holds anything but digits:
 * a prefix that cannot match digits disables its rule.
 */
static size_t
dialplan_digits_len(const char *s, size_t sz)
{
	size_t	 i, n;

	n = strnlen(s, sz);
	if (n == sz)
		return 0;	/* not terminated: do not trust it */
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n;
}

static bool
dialplan_starts(const char *d, size_t nd, const char *p, size_t plen)
{
	return plen > 0 && nd >= plen && memcmp(d, p, plen) == 0;
}

/* "+" @cc @d into @aus, or why not. */
static enum e164_status
dialplan_emit(const char *cc, size_t cclen, const char *d, size_t nd,
    char *aus, size_t aussz)
{
	if (cclen + nd == 0)
		return E164_NOT_E164;
	if (cclen + nd > DIALPLAN_MAX_DIGITS)
		return E164_TOO_LONG;
	if (aus == NULL || aussz < 1 + cclen + nd + 1)
		return E164_NO_SPACE;
	aus[0] = '+';
	memcpy(aus + 1, cc, cclen);
	memcpy(aus + 1 + cclen, d, nd);
	aus[1 + cclen + nd] = '\0';
	return E164_OK;
}

enum e164_status
dialplan_normalize(const struct conf_dialplan *dp, const char *in,
    size_t inlen, char *aus, size_t aussz)
{
	enum e164_status	 st;
	char			 d[DIALPLAN_RAW_MAX];
	size_t			 i, nd, iplen, nplen, cclen, minl, maxl;
	bool			 plus;
	int			 c;

	if (aus != NULL && aussz > 0)
		aus[0] = '\0';
	if (in == NULL || inlen == 0)
		return E164_INVALID_NUMBER;

	/* One pass classifies: junk anywhere beats every other verdict. */
	nd = 0;
	plus = false;
	for (i = 0; i < inlen; i++) {
		c = (unsigned char)in[i];
		if (c >= '0' && c <= '9') {
			if (nd < sizeof(d))
				d[nd] = (char)c;
			nd++;
		} else if (c == '+')
			plus = true;
		else if (!dialplan_is_sep(c))
			return E164_INVALID_NUMBER;
	}
	if (plus) {
		st = e164_parse(in, inlen, E164_FORM_PLAIN,
		    DIALPLAN_MAX_DIGITS, aus, aussz);
		goto done;
	}
	if (nd == 0)
		return E164_INVALID_NUMBER;
	if (nd > sizeof(d))
		return E164_TOO_LONG;
	st = nd > DIALPLAN_MAX_DIGITS ? E164_TOO_LONG : E164_NOT_E164;
	if (dp == NULL)
		goto done;

	/* Rule 2: international prefix, the rest carries its own CC. */
	iplen = dialplan_digits_len(dp->international_prefix,
	    sizeof(dp->international_prefix));
	if (dialplan_starts(d, nd, dp->international_prefix, iplen)) {
		st = dialplan_emit("", 0, d + iplen, nd - iplen, aus, aussz);
		goto done;
	}

	cclen = dialplan_digits_len(dp->country_code,
	    sizeof(dp->country_code));
	if (cclen == 0 || cclen > 3 || dp->max_length < 1)
		goto done;
	minl = dp->min_length < 1 ? 1 : (size_t)dp->min_length;
	maxl = (size_t)dp->max_length;

	/* Rule 3: trunk prefix + NSN. */
	nplen = dialplan_digits_len(dp->national_prefix,
	    sizeof(dp->national_prefix));
	if (dialplan_starts(d, nd, dp->national_prefix, nplen) &&
	    nd - nplen >= minl && nd - nplen <= maxl) {
		st = dialplan_emit(dp->country_code, cclen, d + nplen,
		    nd - nplen, aus, aussz);
		goto done;
	}

	/* Rule 4: the NSN alone. */
	if (nd >= minl && nd <= maxl)
		st = dialplan_emit(dp->country_code, cclen, d, nd, aus, aussz);

done:
	if (st != E164_OK && aus != NULL && aussz > 0)
		aus[0] = '\0';
	return st;
}
