/*
 * routing/e164.c - normalise a destination into an E.164 AUS and first key.
 *
 * First stage of the inbound -> route -> pick -> outbound flow:
 * routing/route and routing/lookup hand over the destination as the edge
 * received it (typed number, tel: URI, sip:/sips: URI) and get back the
 * Application Unique String of RFC 6116 section 3.1, "+" followed by
 * digits, or the precise reason why the destination is not an E.164
 * number.  The ENUM query name (RFC 6116 section 3.2) is built from it by
 * enum/enumkey.
 *
 * Everything is pure: no I/O, no allocation, no globals.  The input is
 * read octet by octet through an inline decoder that can undo
 * percent-encoding on the fly, so nothing is ever copied into a temporary
 * buffer and no input length needs an arbitrary cap.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "routing/e164.h"

/* Options of e164_number(). */
#define E164_NUM_SPACES	0x01	/* spaces are visual separators */
#define E164_NUM_PCT	0x02	/* undo %XX escapes (URI user parts) */

static int	e164_lower(int);
static int	e164_hexval(int);
static bool	e164_prefix(const char *, size_t, const char *, size_t);
static bool	e164_has_scheme(const char *, size_t);
static bool	e164_has_param(const char *, size_t, const char *, size_t,
		    const char *, size_t);
static enum e164_status e164_number(const char *, size_t, unsigned,
		    unsigned, char *, size_t);
static bool	e164_local_number(const char *, size_t, bool);
static bool	e164_plus_numeric(const char *, size_t);
static enum e164_status e164_tel(const char *, size_t, unsigned, char *,
		    size_t);
static enum e164_status e164_sip(const char *, size_t, unsigned, unsigned,
		    char *, size_t);

/*
 * The scanners run over every destination of every message: inline
 * predicates and an inline decoder (e164_octet) instead of a call per
 * octet, one pass where two were made (bench/README.md, callgrind).
 */
static inline bool
e164_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3966 visual-separator; spaces are handled by the caller. */
static inline bool
e164_is_sep(int c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

static inline bool
e164_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
e164_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
e164_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = e164_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The octet at s[*pos] (pos < len), decoded: with @pct, "%2B" reads as
 * '+'.  Returns the octet as an unsigned char value (a byte above 0x7f
 * never turns into a negative int) and advances *pos, or -1 on a broken
 * %XX escape.
 */
static inline int
e164_octet(const char *s, size_t len, size_t *pos, bool pct)
{
	int	 c, hi, lo;

	c = (unsigned char)s[(*pos)++];
	if (!pct || c != '%')
		return c;
	if (len - *pos < 2)
		return -1;
	hi = e164_hexval((unsigned char)s[*pos]);
	lo = e164_hexval((unsigned char)s[*pos + 1]);
	if (hi < 0 || lo < 0)
		return -1;
	*pos += 2;
	return hi * 16 + lo;
}

/* Case-insensitive "does s[0..len) start with lit[0..n)" (lower case). */
static bool
e164_prefix(const char *s, size_t len, const char *lit, size_t n)
{
	size_t	 i;

	if (len < n)
		return false;
	for (i = 0; i < n; i++)
		if (e164_lower((unsigned char)s[i]) != lit[i])
			return false;
	return true;
}

/* RFC 3986 scheme ":" at the start (ALPHA *(ALPHA / DIGIT / + - .)). */
static bool
e164_has_scheme(const char *s, size_t len)
{
	size_t	 i;
	int	 c;

	if (len == 0 || !e164_is_alpha((unsigned char)s[0]))
		return false;
	for (i = 1; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == ':')
			return true;
		if (!e164_is_alpha(c) && !e164_is_digit(c) && c != '+' &&
		    c != '-' && c != '.')
			return false;
	}
	return false;
}

/*
 * Look through ";name[=value]" parameters in p[0..len) for @name (nlen
 * bytes, lower case, matched case-insensitively).  With @value non-NULL
 * the parameter must also carry that value (vlen bytes, likewise); with
 * NULL any value, or none, will do.
 */
static bool
e164_has_param(const char *p, size_t len, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	const char	*q, *end = p + len, *next, *eq;

	for (q = memchr(p, ';', len); q != NULL; q = next) {
		q++;
		next = memchr(q, ';', (size_t)(end - q));
		if (next == NULL)
			next = end;
		eq = memchr(q, '=', (size_t)(next - q));
		if (eq == NULL)
			eq = next;
		if ((size_t)(eq - q) == nlen && e164_prefix(q, nlen, name,
		    nlen)) {
			if (value == NULL)
				return true;
			if (eq < next && (size_t)(next - eq - 1) == vlen &&
			    e164_prefix(eq + 1, vlen, value, vlen))
				return true;
		}
		if (next == end)
			break;
	}
	return false;
}

/*
 * The core: a global number "+" digits with visual separators, in one
 * pass.  Every octet is classified before a verdict so that the reject
 * reason does not depend on where the junk sits (letters anywhere win
 * over a missing '+', a missing '+' wins over the length); digits are
 * copied on the way as far as @aus has room, and the verdict decides
 * whether they count.
 */
static enum e164_status
e164_number(const char *s, size_t len, unsigned opts, unsigned max_digits,
    char *aus, size_t aussz)
{
	size_t		 ndigits, nplus, pos, room;
	bool		 plus_first, seen, pct, spaces;
	int		 c;

	pct = (opts & E164_NUM_PCT) != 0;
	spaces = (opts & E164_NUM_SPACES) != 0;
	room = aus != NULL ? aussz : 0;
	ndigits = nplus = 0;
	plus_first = seen = false;
	for (pos = 0; pos < len; ) {
		if ((c = e164_octet(s, len, &pos, pct)) < 0)
			return E164_INVALID_NUMBER;
		if (e164_is_digit(c)) {
			/* The run of plain digits that follows in a tight
			 * loop (a digit is never '%' or a space); each goes
			 * to aus[ndigits + 1] if '+', it and NUL fit. */
			for (;;) {
				if (ndigits + 2 < room)
					aus[ndigits + 1] = (char)c;
				ndigits++;
				if (pos >= len ||
				    !e164_is_digit(c = (unsigned char)s[pos]))
					break;
				pos++;
			}
		} else if (c == '+') {
			if (!seen)
				plus_first = true;
			nplus++;
		} else if (c == ' ' && spaces)
			continue;
		else if (!e164_is_sep(c))
			return E164_INVALID_NUMBER;
		seen = true;
	}
	if (nplus == 0)
		return ndigits > 0 ? E164_NOT_E164 : E164_INVALID_NUMBER;
	if (nplus > 1 || !plus_first || ndigits == 0)
		return E164_INVALID_NUMBER;
	if (ndigits > max_digits)
		return E164_TOO_LONG;
	if (aus == NULL || aussz < ndigits + 2)
		return E164_NO_SPACE;
	aus[0] = '+';
	aus[ndigits + 1] = '\0';
	return E164_OK;
}

/*
 * RFC 3966 local-number-digits: hex digits, '*', '#' and separators, at
 * least one of the former.  Such a string is a real telephone number, only
 * not a global one, so it earns E164_NOT_E164 rather than
 * E164_INVALID_NUMBER.
 */
static bool
e164_local_number(const char *s, size_t len, bool pct)
{
	size_t	 pos;
	bool	 any;
	int	 c;

	any = false;
	for (pos = 0; pos < len; ) {
		if ((c = e164_octet(s, len, &pos, pct)) < 0)
			return false;
		if (e164_hexval(c) >= 0 || c == '*' || c == '#')
			any = true;
		else if (!e164_is_sep(c))
			return false;
	}
	return any;
}

/*
 * Local policy for "sip:+12025550100@host" without user=phone: the user
 * part counts as a number only if it starts with '+' and holds nothing but
 * digits and visual separators after that.
 */
static bool
e164_plus_numeric(const char *s, size_t len)
{
	size_t	 pos = 0;
	int	 c;

	if (len == 0 || e164_octet(s, len, &pos, true) != '+')
		return false;
	while (pos < len) {
		if ((c = e164_octet(s, len, &pos, true)) < 0)
			return false;
		if (!e164_is_digit(c) && !e164_is_sep(c))
			return false;
	}
	return true;
}

/*
 * A telephone-subscriber (RFC 3966) as found after "tel:" or in the user
 * part of a user=phone SIP URI: number, then ";" parameters which are
 * dropped.  A phone-context parameter marks a local number: even a
 * "+"-prefixed context does not make it E.164, and gluing the two together
 * would be a private dial plan, not ENUM (RFC 6116 section 2).
 */
static enum e164_status
e164_tel(const char *s, size_t len, unsigned max_digits, char *aus,
    size_t aussz)
{
	size_t	 nlen;

	for (nlen = 0; nlen < len && s[nlen] != ';'; nlen++)
		;
	if (e164_has_param(s + nlen, len - nlen, "phone-context", 13, NULL,
	    0))
		return E164_NOT_E164;
	if (e164_local_number(s, nlen, true))
		return E164_NOT_E164;
	return e164_number(s, nlen, E164_NUM_PCT, max_digits, aus, aussz);
}

/*
 * sip:/sips: URI.  The user part ends at the first '@'; inside it,
 * tel-style parameters start at ';' and a password at ':'.  URI
 * parameters follow the host and end at '?' (headers), and among them
 * user=phone says the user part is a telephone-subscriber (RFC 3261
 * section 19.1.1).
 */
static enum e164_status
e164_sip(const char *s, size_t len, unsigned forms, unsigned max_digits,
    char *aus, size_t aussz)
{
	const char	*host, *p;
	size_t		 at, ulen, hlen;
	bool		 user_phone;

	if ((p = memchr(s, '@', len)) == NULL)
		return E164_NOT_E164;	/* no user part at all */
	at = (size_t)(p - s);
	host = s + at + 1;
	hlen = len - at - 1;
	if ((p = memchr(host, '?', hlen)) != NULL)
		hlen = (size_t)(p - host);
	user_phone = e164_has_param(host, hlen, "user", 4, "phone", 5);

	/* userinfo = telephone-subscriber [ ":" password ] */
	ulen = (p = memchr(s, ':', at)) != NULL ? (size_t)(p - s) : at;
	if (user_phone && (forms & E164_FORM_SIP_USER_PHONE))
		return e164_tel(s, ulen, max_digits, aus, aussz);

	if (forms & E164_FORM_SIP_PLUS) {
		enum e164_status	 st;

		/* the user part up to ';' (tel parameters) or ':' */
		if ((p = memchr(s, ';', ulen)) != NULL)
			ulen = (size_t)(p - s);
		/*
		 * Only a user part that e164_plus_numeric() accepts is a
		 * number.  e164_number() alone tells the same in one pass,
		 * but for INVALID: that is "+" and separators without a
		 * digit (a number, badly written) or junk (not a number).
		 */
		st = e164_number(s, ulen, E164_NUM_PCT, max_digits, aus,
		    aussz);
		if (st != E164_INVALID_NUMBER)
			return st;
		if (e164_plus_numeric(s, ulen))
			return E164_INVALID_NUMBER;
	}
	return E164_NOT_E164;
}

enum e164_status
e164_parse(const char *in, size_t inlen, unsigned forms, unsigned max_digits,
    char *aus, size_t aussz)
{
	enum e164_status	 st;

	if (aus != NULL && aussz > 0)
		aus[0] = '\0';
	if (in == NULL || inlen == 0)
		return E164_INVALID_NUMBER;

	if (e164_prefix(in, inlen, "tel:", 4)) {
		if (!(forms & E164_FORM_TEL))
			return E164_NOT_E164;
		st = e164_tel(in + 4, inlen - 4, max_digits, aus, aussz);
	} else if (e164_prefix(in, inlen, "sip:", 4) ||
	    e164_prefix(in, inlen, "sips:", 5)) {
		if (!(forms & (E164_FORM_SIP_USER_PHONE | E164_FORM_SIP_PLUS)))
			return E164_NOT_E164;
		st = in[3] == ':' ?
		    e164_sip(in + 4, inlen - 4, forms, max_digits, aus, aussz) :
		    e164_sip(in + 5, inlen - 5, forms, max_digits, aus, aussz);
	} else if (e164_has_scheme(in, inlen)) {
		/* im:, xmpp:, mailto: ... are addresses, not numbers */
		return E164_NOT_E164;
	} else {
		if (!(forms & E164_FORM_PLAIN))
			return E164_NOT_E164;
		st = e164_number(in, inlen, E164_NUM_SPACES, max_digits, aus,
		    aussz);
	}
	if (st != E164_OK && aus != NULL && aussz > 0)
		aus[0] = '\0';
	return st;
}

/*
 * RFC 6116 section 3.2: keep the digits, reverse them, join with dots and
 * append the suffix.  The suffix is taken with or without its final dot;
 * "" and "." mean the root.  A suffix with an empty label (leading dot,
 * "..") cannot form a domain name and is refused.
 */
const char *
e164_strstatus(enum e164_status st)
{
	switch (st) {
	case E164_OK:
		return "OK";
	case E164_INVALID_NUMBER:
		return "E_INVALID_NUMBER";
	case E164_NOT_E164:
		return "E_NOT_E164";
	case E164_TOO_LONG:
		return "E_NUMBER_TOO_LONG";
	case E164_NO_SPACE:
		return "E_NO_SPACE";
	}
	return "E_UNKNOWN";
}
