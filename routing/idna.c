/*
 * routing/idna.c - U-labels <-> A-labels with libidn2.
 *
 * Part of the route stage: routing/lookup turns the host of the URI ENUM
 * produced into A-labels before it queries DNS or hands the URI to the
 * relay, and gateway/xlate maps JID domains and SIP hosts with the same
 * two functions, so one host has one ASCII form everywhere.
 *
 * libidn2 does the work (IDNA2008 + UTS #46 non-transitional, NFC input,
 * STD3 rules: what browsers do).  Its A-label check on input of the ASCII
 * form differs between versions, so an A-label is checked here by the
 * round trip: decoded to Unicode and encoded again, it must give back
 * itself (in lower case).  That refuses "xn--" garbage and A-labels of
 * strings IDNA2008 disallows whichever libidn2 is linked.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "routing/idna.h"

#define IDNA_FLAGS	(IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL | \
			    IDN2_USE_STD3_ASCII_RULES)

const char *
idna_strstatus(enum idna_status st)
{
	switch (st) {
	case IDNA_OK:
		return "IDNA_OK";
	case IDNA_E_NO_SPACE:
		return "IDNA_E_NO_SPACE";
	case IDNA_E_INVALID:
		return "IDNA_E_INVALID";
	}
	return "IDNA_E_?";
}

static int
idna_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Does s[0..n) hold an octet >= 0x80, or a label starting "xn--"? */
static bool
idna_needs_work(const char *s, size_t n, bool *ace)
{
	bool	 hi = false;

	*ace = false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] >= 0x80)
			hi = true;
		if ((i == 0 || s[i - 1] == '.') && n - i >= 4 &&
		    idna_lower((unsigned char)s[i]) == 'x' &&
		    idna_lower((unsigned char)s[i + 1]) == 'n' &&
		    s[i + 2] == '-' && s[i + 3] == '-')
			*ace = true;
	}
	return hi || *ace;
}

/* Copy @s (NUL-terminated) into out, NUL-terminated. */
static enum idna_status
idna_put(const char *s, size_t n, bool lower, char *out, size_t outsz)
{
	if (n >= outsz) {
		if (outsz > 0)
			out[0] = '\0';
		return IDNA_E_NO_SPACE;
	}
	if (!lower)
		memcpy(out, s, n);	/* every chosen URI comes through */
	else
		for (size_t i = 0; i < n; i++)
			out[i] = (char)idna_lower((unsigned char)s[i]);
	out[n] = '\0';
	return IDNA_OK;
}

static enum idna_status
idna_fail(char *out, size_t outsz, enum idna_status st)
{
	if (outsz > 0)
		out[0] = '\0';
	return st;
}

/*
 * Is @s a host name in A-label form: labels of letters, digits and '-',
 * none empty, none starting or ending with '-', at most 63 octets each?
 * libidn2 maps what UTS #46 says to map, and some ASCII it was given
 * (a TAB, '=') disappears in the mapping instead of failing, which left
 * "\t.x" as ".x", an empty label (found by fuzz_xlate): the result is
 * checked as what goes on the wire.
 */
static bool
idna_ldh_ok(const char *s)
{
	size_t	 label = 0;
	char	 prev = '.';

	if (*s == '\0')
		return false;
	for (; *s != '\0'; prev = *s++) {
		if (*s == '.') {
			if (label == 0 || prev == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
		if (*s == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && prev != '-';
}

/*
 * Both directions in one: @tmp gets the host without its final dot,
 * NUL-terminated (libidn2 reads C strings; a NUL inside is refused).
 * @return the libidn2 results in *a (ASCII) and *u (Unicode), either
 * NULL when not asked for; IDNA_E_INVALID when a conversion fails or an
 * A-label does not survive the round trip.
 */
static enum idna_status
idna_convert(const char *host, size_t len, char **a, char **u)
{
	char	 tmp[IDNA_HOST_MAX + 1];
	char	*a2 = NULL, *u2 = NULL;
	bool	 ace, hi = false;
	int	 rc;

	*a = *u = NULL;
	if (len == 0 || len > IDNA_HOST_MAX || memchr(host, '\0', len))
		return IDNA_E_INVALID;
	memcpy(tmp, host, len);
	tmp[len] = '\0';
	/* No empty label (libidn2 lets ".." through). */
	if (tmp[0] == '.' || strstr(tmp, "..") != NULL)
		return IDNA_E_INVALID;
	/*
	 * The ASCII of a host name is letters, digits, '-' and '.': libidn2
	 * would map a TAB or '=' away and return another name.
	 */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tmp[i];

		if (c < 0x80 && !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.'))
			return IDNA_E_INVALID;
	}
	(void)idna_needs_work(tmp, len, &ace);
	/*
	 * Unicode first when the input has A-labels: the decoded form is
	 * what UTS #46 must accept, and its encoding must be the input.
	 */
	if (ace) {
		/* Case is no part of an A-label: "XN--" is "xn--". */
		for (size_t i = 0; i < len; i++) {
			if ((unsigned char)tmp[i] >= 0x80)
				hi = true;
			tmp[i] = (char)idna_lower((unsigned char)tmp[i]);
		}
		if (idn2_to_unicode_8z8z(tmp, &u2, 0) != IDN2_OK ||
		    u2 == NULL)
			goto bad;
		if (idn2_to_ascii_8z(u2, &a2, IDNA_FLAGS) != IDN2_OK ||
		    a2 == NULL)
			goto bad;
		/* An all-ASCII input must come back as itself. */
		if (!hi && strcmp(a2, tmp) != 0)
			goto bad;
	} else {
		rc = idn2_to_ascii_8z(tmp, &a2, IDNA_FLAGS);
		if (rc != IDN2_OK || a2 == NULL)
			goto bad;
		if (idn2_to_unicode_8z8z(a2, &u2, 0) != IDN2_OK || u2 == NULL)
			goto bad;
	}
	if (!idna_ldh_ok(a2))
		goto bad;
	*a = a2;
	*u = u2;
	return IDNA_OK;
bad:
	idn2_free(a2);
	idn2_free(u2);
	return IDNA_E_INVALID;
}

static enum idna_status
idna_one(const char *host, size_t len, bool to_ascii, char *out,
    size_t outsz)
{
	enum idna_status	 st;
	char			*a, *u, *r;
	size_t			 n;
	bool			 ace, dot;

	dot = len > 1 && host[len - 1] == '.';
	if (!idna_needs_work(host, len, &ace))
		return idna_put(host, len, true, out, outsz);
	if ((st = idna_convert(host, len - (dot ? 1 : 0), &a, &u)) !=
	    IDNA_OK)
		return idna_fail(out, outsz, st);
	r = to_ascii ? a : u;
	n = strlen(r);
	if (n + (dot ? 1 : 0) >= outsz)
		st = IDNA_E_NO_SPACE;
	else {
		memcpy(out, r, n);
		if (dot)
			out[n++] = '.';
		out[n] = '\0';
	}
	idn2_free(a);
	idn2_free(u);
	return st == IDNA_OK ? IDNA_OK : idna_fail(out, outsz, st);
}

enum idna_status
idna_to_ascii(const char *host, size_t len, char *out, size_t outsz)
{
	return idna_one(host, len, true, out, outsz);
}

enum idna_status
idna_to_unicode(const char *host, size_t len, char *out, size_t outsz)
{
	return idna_one(host, len, false, out, outsz);
}

static int
idna_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = idna_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A failed idna_uri_to_ascii(): @out is "", unless it is @uri itself,
 * which is then left as it was (nothing is written before a failure). */
static enum idna_status
idna_uri_fail(const char *uri, char *out, size_t outsz, enum idna_status st)
{
	return out == uri ? st : idna_fail(out, outsz, st);
}

enum idna_status
idna_uri_to_ascii(const char *uri, char *out, size_t outsz)
{
	char			 raw[IDNA_HOST_MAX + 1];
	char			 host[IDNA_HOST_MAX + 1];
	enum idna_status	 st;
	const char		*h, *e, *colon, *at;
	size_t			 n = 0, pre, hl, rest;
	bool			 ace;

	colon = strchr(uri, ':');
	if (colon == NULL)
		return idna_uri_fail(uri, out, outsz, IDNA_E_INVALID);
	h = colon + 1;
	/* The user part ends at the first '@' before the parameters. */
	at = strchr(h, '@');
	if (at != NULL && (size_t)(at - h) <= strcspn(h, ";?>"))
		h = at + 1;
	if (*h == '[')
		e = h + strcspn(h, "]") + (strchr(h, ']') != NULL ? 1 : 0);
	else
		e = h + strcspn(h, ":;?>/");
	if (e == h)
		return idna_uri_fail(uri, out, outsz, IDNA_E_INVALID);
	/* Nothing to convert: the URI stays exactly as it came. */
	if (!idna_needs_work(h, (size_t)(e - h), &ace) &&
	    memchr(h, '%', (size_t)(e - h)) == NULL) {
		if (out != uri)
			return idna_put(uri, strlen(uri), false, out, outsz);
		/* In place: nothing to write (the fit is checked as
		 * idna_put() would). */
		return strlen(uri) < outsz ? IDNA_OK : IDNA_E_NO_SPACE;
	}
	/* RFC 3986 3.2.2: a reg-name may be percent-encoded UTF-8. */
	for (const char *p = h; p < e; p++) {
		int hi, lo;

		if (n >= IDNA_HOST_MAX)
			return idna_uri_fail(uri, out, outsz, IDNA_E_INVALID);
		if (*p != '%') {
			raw[n++] = *p;
			continue;
		}
		if (e - p < 3 || (hi = idna_hexval((unsigned char)p[1])) < 0 ||
		    (lo = idna_hexval((unsigned char)p[2])) < 0)
			return idna_uri_fail(uri, out, outsz, IDNA_E_INVALID);
		raw[n++] = (char)(hi * 16 + lo);
		p += 2;
	}
	if ((st = idna_to_ascii(raw, n, host, sizeof(host))) != IDNA_OK)
		return idna_uri_fail(uri, out, outsz, st == IDNA_E_NO_SPACE ?
		    IDNA_E_INVALID : st);
	pre = (size_t)(h - uri);
	hl = strlen(host);
	rest = strlen(e);
	if (pre + hl + rest >= outsz)
		return idna_uri_fail(uri, out, outsz, IDNA_E_NO_SPACE);
	/* In place the prefix is already there and the tail moves first:
	 * the new host may be longer than the old one. */
	if (out != uri)
		memcpy(out, uri, pre);
	memmove(out + pre + hl, e, rest + 1);
	memcpy(out + pre, host, hl);
	return IDNA_OK;
}
