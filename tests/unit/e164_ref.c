/*
 * tests/unit/e164_ref.c - routing/e164.c as it stood before the scanners
 * were made single-pass, and enum/enumkey.c's enumkey_first() before its
 * digits were checked as they are written: the references test_e164
 * compares the current implementations against on generated inputs.
 * Only the names differ (e164ref_, enumkeyref_).
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "routing/e164.h"
#include "tests/unit/e164_ref.h"

/* Options of e164ref_number(). */
#define E164_NUM_SPACES	0x01	/* spaces are visual separators */
#define E164_NUM_PCT	0x02	/* undo %XX escapes (URI user parts) */

/*
 * A read cursor over a borrowed, length-delimited string.  With pct set,
 * "%2B" reads as '+'; a malformed escape makes e164ref_cur_next() fail.
 */
struct e164ref_cur {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	bool		 pct;
};

static bool	e164ref_is_digit(int);
static bool	e164ref_is_sep(int);
static bool	e164ref_is_alpha(int);
static int	e164ref_lower(int);
static int	e164ref_hexval(int);
static int	e164ref_cur_next(struct e164ref_cur *, int *);
static bool	e164ref_prefix(const char *, size_t, const char *);
static bool	e164ref_has_scheme(const char *, size_t);
static bool	e164ref_has_param(const char *, size_t, const char *,
		    const char *);
static enum e164_status e164ref_number(const char *, size_t, unsigned,
		    unsigned, char *, size_t);
static bool	e164ref_local_number(const char *, size_t, bool);
static bool	e164ref_plus_numeric(const char *, size_t);
static enum e164_status e164ref_tel(const char *, size_t, unsigned, char *,
		    size_t);
static enum e164_status e164ref_sip(const char *, size_t, unsigned, unsigned,
		    char *, size_t);

static bool
e164ref_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3966 visual-separator; spaces are handled by the caller. */
static bool
e164ref_is_sep(int c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

static bool
e164ref_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
e164ref_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
e164ref_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = e164ref_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Read one (decoded) octet.  Returns 1 and sets *c, 0 at the end, -1 on a
 * broken %XX escape.  Octets are returned as unsigned char values so that
 * a byte above 0x7f never turns into a negative int.
 */
static int
e164ref_cur_next(struct e164ref_cur *cur, int *c)
{
	int	 hi, lo;

	if (cur->pos >= cur->len)
		return 0;
	*c = (unsigned char)cur->s[cur->pos++];
	if (!cur->pct || *c != '%')
		return 1;
	if (cur->len - cur->pos < 2)
		return -1;
	hi = e164ref_hexval((unsigned char)cur->s[cur->pos]);
	lo = e164ref_hexval((unsigned char)cur->s[cur->pos + 1]);
	if (hi < 0 || lo < 0)
		return -1;
	cur->pos += 2;
	*c = hi * 16 + lo;
	return 1;
}

/* Case-insensitive "does s[0..len) start with lit". */
static bool
e164ref_prefix(const char *s, size_t len, const char *lit)
{
	size_t	 i, n;

	n = strlen(lit);
	if (len < n)
		return false;
	for (i = 0; i < n; i++)
		if (e164ref_lower((unsigned char)s[i]) != lit[i])
			return false;
	return true;
}

/* RFC 3986 scheme ":" at the start (ALPHA *(ALPHA / DIGIT / + - .)). */
static bool
e164ref_has_scheme(const char *s, size_t len)
{
	size_t	 i;
	int	 c;

	if (len == 0 || !e164ref_is_alpha((unsigned char)s[0]))
		return false;
	for (i = 1; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == ':')
			return true;
		if (!e164ref_is_alpha(c) && !e164ref_is_digit(c) && c != '+' &&
		    c != '-' && c != '.')
			return false;
	}
	return false;
}

/*
 * Look through ";name[=value]" parameters in p[0..len) for @name (case-
 * insensitive).  With @value non-NULL the parameter must also carry that
 * value (case-insensitive); with NULL any value, or none, will do.
 */
static bool
e164ref_has_param(const char *p, size_t len, const char *name,
    const char *value)
{
	size_t	 i, start, end, eq, nlen, vlen;

	nlen = strlen(name);
	vlen = value != NULL ? strlen(value) : 0;
	i = 0;
	while (i < len) {
		if (p[i] != ';') {
			i++;
			continue;
		}
		start = i + 1;
		for (end = start; end < len && p[end] != ';'; end++)
			;
		for (eq = start; eq < end && p[eq] != '='; eq++)
			;
		if (eq - start == nlen &&
		    e164ref_prefix(p + start, nlen, name)) {
			if (value == NULL)
				return true;
			if (eq < end && end - eq - 1 == vlen &&
			    e164ref_prefix(p + eq + 1, vlen, value))
				return true;
		}
		i = end;
	}
	return false;
}

/*
 * The core: a global number "+" digits with visual separators.  Two
 * passes over the input: the first classifies every octet so that the
 * reject reason does not depend on where the junk sits (letters anywhere
 * win over a missing '+', a missing '+' wins over the length), the second
 * copies the digits once the result is known to fit.
 */
static enum e164_status
e164ref_number(const char *s, size_t len, unsigned opts, unsigned max_digits,
    char *aus, size_t aussz)
{
	struct e164ref_cur	 cur;
	size_t		 ndigits, nplus, n;
	bool		 plus_first, seen;
	int		 c, r;

	cur.s = s;
	cur.len = len;
	cur.pos = 0;
	cur.pct = (opts & E164_NUM_PCT) != 0;
	ndigits = nplus = 0;
	plus_first = seen = false;
	while ((r = e164ref_cur_next(&cur, &c)) == 1) {
		if (c == ' ' && (opts & E164_NUM_SPACES))
			continue;
		if (c == '+') {
			if (!seen)
				plus_first = true;
			nplus++;
		} else if (e164ref_is_digit(c))
			ndigits++;
		else if (!e164ref_is_sep(c))
			return E164_INVALID_NUMBER;
		seen = true;
	}
	if (r < 0)
		return E164_INVALID_NUMBER;
	if (nplus == 0)
		return ndigits > 0 ? E164_NOT_E164 : E164_INVALID_NUMBER;
	if (nplus > 1 || !plus_first || ndigits == 0)
		return E164_INVALID_NUMBER;
	if (ndigits > max_digits)
		return E164_TOO_LONG;
	if (aus == NULL || aussz < ndigits + 2)
		return E164_NO_SPACE;

	cur.pos = 0;
	n = 0;
	aus[n++] = '+';
	while (e164ref_cur_next(&cur, &c) == 1)
		if (e164ref_is_digit(c))
			aus[n++] = (char)c;
	aus[n] = '\0';
	return E164_OK;
}

/*
 * RFC 3966 local-number-digits: hex digits, '*', '#' and separators, at
 * least one of the former.  Such a string is a real telephone number, only
 * not a global one, so it earns E164_NOT_E164 rather than
 * E164_INVALID_NUMBER.
 */
static bool
e164ref_local_number(const char *s, size_t len, bool pct)
{
	struct e164ref_cur	 cur;
	bool		 any;
	int		 c, r;

	cur.s = s;
	cur.len = len;
	cur.pos = 0;
	cur.pct = pct;
	any = false;
	while ((r = e164ref_cur_next(&cur, &c)) == 1) {
		if (e164ref_hexval(c) >= 0 || c == '*' || c == '#')
			any = true;
		else if (!e164ref_is_sep(c))
			return false;
	}
	return r == 0 && any;
}

/*
 * Local policy for "sip:+12025550100@host" without user=phone: the user
 * part counts as a number only if it starts with '+' and holds nothing but
 * digits and visual separators after that.
 */
static bool
e164ref_plus_numeric(const char *s, size_t len)
{
	struct e164ref_cur	 cur;
	int		 c, r;

	cur.s = s;
	cur.len = len;
	cur.pos = 0;
	cur.pct = true;
	if (e164ref_cur_next(&cur, &c) != 1 || c != '+')
		return false;
	while ((r = e164ref_cur_next(&cur, &c)) == 1)
		if (!e164ref_is_digit(c) && !e164ref_is_sep(c))
			return false;
	return r == 0;
}

/*
 * A telephone-subscriber (RFC 3966) as found after "tel:" or in the user
 * part of a user=phone SIP URI: number, then ";" parameters which are
 * dropped.  A phone-context parameter marks a local number: even a
 * "+"-prefixed context does not make it E.164, and gluing the two together
 * would be a private dial plan, not ENUM (RFC 6116 section 2).
 */
static enum e164_status
e164ref_tel(const char *s, size_t len, unsigned max_digits, char *aus,
    size_t aussz)
{
	size_t	 nlen;

	for (nlen = 0; nlen < len && s[nlen] != ';'; nlen++)
		;
	if (e164ref_has_param(s + nlen, len - nlen, "phone-context", NULL))
		return E164_NOT_E164;
	if (e164ref_local_number(s, nlen, true))
		return E164_NOT_E164;
	return e164ref_number(s, nlen, E164_NUM_PCT, max_digits, aus, aussz);
}

/*
 * sip:/sips: URI.  The user part ends at the first '@'; inside it,
 * tel-style parameters start at ';' and a password at ':'.  URI
 * parameters follow the host and end at '?' (headers), and among them
 * user=phone says the user part is a telephone-subscriber (RFC 3261
 * section 19.1.1).
 */
static enum e164_status
e164ref_sip(const char *s, size_t len, unsigned forms, unsigned max_digits,
    char *aus, size_t aussz)
{
	const char	*host;
	size_t		 at, ulen, hlen;
	bool		 user_phone;

	for (at = 0; at < len && s[at] != '@'; at++)
		;
	if (at == len)
		return E164_NOT_E164;	/* no user part at all */
	host = s + at + 1;
	for (hlen = 0; host + hlen < s + len && host[hlen] != '?'; hlen++)
		;
	user_phone = e164ref_has_param(host, hlen, "user", "phone");

	/* userinfo = telephone-subscriber [ ":" password ] */
	for (ulen = 0; ulen < at && s[ulen] != ':'; ulen++)
		;
	if (user_phone && (forms & E164_FORM_SIP_USER_PHONE))
		return e164ref_tel(s, ulen, max_digits, aus, aussz);

	if (forms & E164_FORM_SIP_PLUS) {
		for (ulen = 0; ulen < at && s[ulen] != ';' && s[ulen] != ':';
		    ulen++)
			;
		if (e164ref_plus_numeric(s, ulen))
			return e164ref_number(s, ulen, E164_NUM_PCT, max_digits,
			    aus, aussz);
	}
	return E164_NOT_E164;
}

enum e164_status
e164ref_parse(const char *in, size_t inlen, unsigned forms,
    unsigned max_digits, char *aus, size_t aussz)
{
	enum e164_status	 st;

	if (aus != NULL && aussz > 0)
		aus[0] = '\0';
	if (in == NULL || inlen == 0)
		return E164_INVALID_NUMBER;

	if (e164ref_prefix(in, inlen, "tel:")) {
		if (!(forms & E164_FORM_TEL))
			return E164_NOT_E164;
		st = e164ref_tel(in + 4, inlen - 4, max_digits, aus, aussz);
	} else if (e164ref_prefix(in, inlen, "sip:") ||
	    e164ref_prefix(in, inlen, "sips:")) {
		if (!(forms & (E164_FORM_SIP_USER_PHONE | E164_FORM_SIP_PLUS)))
			return E164_NOT_E164;
		st = in[3] == ':' ?
		    e164ref_sip(in + 4, inlen - 4, forms, max_digits, aus,
		    aussz) :
		    e164ref_sip(in + 5, inlen - 5, forms, max_digits, aus,
		    aussz);
	} else if (e164ref_has_scheme(in, inlen)) {
		/* im:, xmpp:, mailto: ... are addresses, not numbers */
		return E164_NOT_E164;
	} else {
		if (!(forms & E164_FORM_PLAIN))
			return E164_NOT_E164;
		st = e164ref_number(in, inlen, E164_NUM_SPACES, max_digits, aus,
		    aussz);
	}
	if (st != E164_OK && aus != NULL && aussz > 0)
		aus[0] = '\0';
	return st;
}

/* enum/enumkey.c */
int
enumkeyref_first(const char *aus, const char *suffix, char *out, size_t outsz)
{
	size_t	 nd, slen, need, i, n;

	if (out != NULL && outsz > 0)
		out[0] = '\0';
	if (aus == NULL || suffix == NULL || out == NULL || aus[0] != '+')
		return -1;
	for (nd = 0; aus[nd + 1] != '\0'; nd++)
		if (aus[nd + 1] < '0' || aus[nd + 1] > '9')
			return -1;
	if (nd == 0)
		return -1;

	slen = strlen(suffix);
	if (slen > 0 && suffix[slen - 1] == '.')
		slen--;
	if (slen > 0 && suffix[0] == '.')
		return -1;
	for (i = 0; i + 1 < slen; i++)
		if (suffix[i] == '.' && suffix[i + 1] == '.')
			return -1;

	/* "d." per digit, then the suffix and its dot, then NUL */
	need = 2 * nd + (slen > 0 ? slen + 1 : 0) + 1;
	if (outsz < need)
		return -1;
	n = 0;
	for (i = nd; i > 0; i--) {
		out[n++] = aus[i];
		out[n++] = '.';
	}
	if (slen > 0) {
		memcpy(out + n, suffix, slen);
		n += slen;
		out[n++] = '.';
	}
	out[n] = '\0';
	return 0;
}
