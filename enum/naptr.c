/*
 * enum/naptr.c - order, classify and evaluate NAPTR records (RFC 6116).
 *
 * The ENUM step of the inbound -> route -> pick -> outbound flow works on
 * one NAPTR RRset at a time: enum/enumq sorts it with naptr_sort(), walks
 * it, follows non-terminals itself and hands every terminal record to
 * naptr_evaluate(), which says "this URI, for this enumservice" or gives
 * the discard reason that imgate-lookup prints.  The checks run in the
 * order of RFC 6116 section 5.2 (docs/resolution-policy.md, "The NAPTR
 * walk"): Services, then the
 * Regexp/Replacement exclusivity, then the substitution (enum/e2u), then
 * the absolute-URI and scheme checks.
 *
 * Pure: no I/O, no allocation, no globals beyond constant tables, and the
 * records are never modified.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "enum/e2u.h"
#include "enum/naptr.h"

/* RFC 6116 section 3.4.3: type and subtype are 1*32(ALPHA / DIGIT / "-"). */
#define NAPTR_TOKEN_MAX		32
/* RFC 1035 domain name limits, counted with the final dot. */
#define NAPTR_LABEL_MAX		63
#define NAPTR_NAME_MAX		254

/*
 * The URI scheme each well-known enumservice must produce when
 * require_scheme_match is set (RFC 5028 im, RFC 3764 sip, RFC 4979 xmpp,
 * RFC 3953 pres).  Types not listed accept any absolute URI.
 */
static const struct naptr_scheme {
	const char	*type;
	const char	*scheme[2];
} naptr_schemes[] = {
	{ "im",		{ "im", NULL } },
	{ "sip",	{ "sip", "sips" } },
	{ "xmpp",	{ "xmpp", NULL } },
	{ "pres",	{ "pres", NULL } },
};

static inline int naptr_lower(int);
static bool	naptr_ieq(const char *, size_t, const char *);
static inline bool naptr_is_alnum(int);
static inline bool naptr_is_hex(int);
static bool	naptr_token_ok(const char *, size_t);
static bool	naptr_member_ok(const char *, size_t);
static bool	naptr_accepts(const struct naptr_policy *, const char *,
		    size_t);
static bool	naptr_scheme_ok(const char *, const char *);
static int	naptr_cmp(const struct naptr_rr *, const struct naptr_rr *);
static enum e2u_status naptr_apply(const char *, const char *,
		    const struct naptr_policy *, char *, size_t);

static inline int
naptr_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Case-insensitive: is s[0..len) exactly lit? */
static bool
naptr_ieq(const char *s, size_t len, const char *lit)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (lit[i] == '\0' ||
		    naptr_lower((unsigned char)s[i]) != naptr_lower(lit[i]))
			return false;
	return lit[len] == '\0';
}

static inline bool
naptr_is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static inline bool
naptr_is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* type / subtype = 1*32(ALPHA / DIGIT / "-") */
static bool
naptr_token_ok(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > NAPTR_TOKEN_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!naptr_is_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* enumservice = type 0*(":" subtype) */
static bool
naptr_member_ok(const char *s, size_t len)
{
	size_t	 start, i;

	start = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != ':')
			continue;
		if (!naptr_token_ok(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

static bool
naptr_accepts(const struct naptr_policy *p, const char *type, size_t len)
{
	size_t	 i, n;

	n = p->naccept < NAPTR_MAX_ACCEPT ? p->naccept : NAPTR_MAX_ACCEPT;
	for (i = 0; i < n; i++)
		if (p->accept[i] != NULL && naptr_ieq(type, len, p->accept[i]))
			return true;
	return false;
}

void
naptr_policy_default(struct naptr_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->accept[0] = "im";
	p->naccept = 1;
	p->accept_legacy = true;
	p->allow_private = false;
	p->require_scheme_match = true;
	p->strict_delimiters = true;
	p->max_chain = 5;
}

enum naptr_flag_kind
naptr_flag_kind(const char *flags)
{
	if (flags == NULL || flags[0] == '\0')
		return NAPTR_NONTERMINAL;
	if ((flags[0] == 'u' || flags[0] == 'U') && flags[1] == '\0')
		return NAPTR_TERMINAL_U;
	return NAPTR_UNKNOWN_FLAG;
}

static int
naptr_cmp(const struct naptr_rr *a, const struct naptr_rr *b)
{
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	if (a->preference != b->preference)
		return a->preference < b->preference ? -1 : 1;
	return 0;
}

/*
 * Insertion sort: stable, in place, no allocation, and with at most
 * NAPTR_MAX_RRS records the quadratic worst case is a few thousand
 * comparisons.  Equal keys keep the served order (RFC 6116 section 5.2
 * asks for no extra randomisation).
 */
void
naptr_sort(const struct naptr_rr **v, size_t n)
{
	const struct naptr_rr	*x;
	size_t			 i, j;

	if (v == NULL)
		return;
	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && naptr_cmp(v[j - 1], x) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/*
 * The Services field, case-insensitive (RFC 6116 section 3.6):
 *
 *   "E2U+t1[:sub]+t2..."	current form; members tried left to right
 *   "t+E2U"			RFC 2916 form, read if accept_legacy
 *   anything else		another DDDS application: not ENUM
 *
 * A member that is malformed, experimental ("X-"), private ("P-", unless
 * allow_private) or simply not accepted is skipped; only when no member is
 * left is the record unusable.  At most NAPTR_MAX_SERVICES members are
 * looked at.
 */
enum naptr_verdict
naptr_pick_service(const char *services, const struct naptr_policy *p,
    char *type_out)
{
	const char	*s, *m, *end;
	size_t		 len, mlen, tlen, i, nmember;

	if (type_out != NULL)
		type_out[0] = '\0';
	if (services == NULL || p == NULL)
		return NAPTR_NOT_ENUM_SERVICES;
	s = services;
	len = strlen(s);
	end = memchr(s, '+', len);

	if (end != NULL && naptr_ieq(s, (size_t)(end - s), "E2U"))
		m = end + 1;
	else if (end == NULL && naptr_ieq(s, len, "E2U"))
		return NAPTR_NO_ACCEPTABLE_SERVICE;	/* "E2U", no member */
	else if (p->accept_legacy && end != NULL &&
	    naptr_ieq(end + 1, len - (size_t)(end - s) - 1, "E2U")) {
		/* legacy: the single member is what precedes "+E2U" */
		m = s;
		len = (size_t)(end - s) + 1;	/* member + its '+' */
	} else
		return NAPTR_NOT_ENUM_SERVICES;

	for (nmember = 0; nmember < NAPTR_MAX_SERVICES; nmember++) {
		end = memchr(m, '+', len - (size_t)(m - s));
		mlen = end != NULL ? (size_t)(end - m) :
		    len - (size_t)(m - s);
		for (tlen = 0; tlen < mlen && m[tlen] != ':'; tlen++)
			;
		if (naptr_member_ok(m, mlen) &&
		    !(tlen >= 2 && naptr_ieq(m, 2, "x-")) &&
		    !(tlen >= 2 && naptr_ieq(m, 2, "p-") &&
		    !p->allow_private) &&
		    naptr_accepts(p, m, tlen)) {
			if (type_out != NULL) {
				for (i = 0; i < tlen; i++)
					type_out[i] =
					    (char)naptr_lower((unsigned char)m[i]);
				type_out[tlen] = '\0';
			}
			return NAPTR_OK;
		}
		if (end == NULL || (size_t)(end + 1 - s) >= len)
			break;
		m = end + 1;
	}
	return NAPTR_NO_ACCEPTABLE_SERVICE;
}

/*
 * The punctuation an absolute URI may hold after its scheme: unreserved,
 * sub-delims and ":@/?[]".  A table, not strchr() on a string per octet:
 * every chosen URI of every message is checked (bench/README.md).
 */
static const bool naptr_uri_punct[256] = {
	['-'] = true, ['.'] = true, ['_'] = true, ['~'] = true,
	['!'] = true, ['$'] = true, ['&'] = true, ['\''] = true,
	['('] = true, [')'] = true, ['*'] = true, ['+'] = true,
	[','] = true, [';'] = true, ['='] = true, [':'] = true,
	['@'] = true, ['/'] = true, ['?'] = true, ['['] = true,
	[']'] = true
};

/*
 * RFC 3986: absolute-URI = scheme ":" hier-part [ "?" query ].  The part
 * after the scheme is checked for URI characters only (unreserved,
 * sub-delims, ":@/?[]" and well-formed %XX); a fragment is not allowed.
 */
bool
naptr_is_absolute_uri(const char *uri)
{
	const char	*s;
	int		 c;

	if (uri == NULL || !((uri[0] >= 'a' && uri[0] <= 'z') ||
	    (uri[0] >= 'A' && uri[0] <= 'Z')))
		return false;
	for (s = uri + 1; *s != ':'; s++) {
		c = (unsigned char)*s;
		if (!naptr_is_alnum(c) && c != '+' && c != '-' && c != '.')
			return false;
	}
	s++;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '%') {
			if (!naptr_is_hex((unsigned char)s[1]) ||
			    !naptr_is_hex((unsigned char)s[2]))
				return false;
			s += 2;
			continue;
		}
		if (naptr_is_alnum(c) || naptr_uri_punct[c])
			continue;
		return false;
	}
	return true;
}

/*
 * A non-terminal's next key: an absolute domain name that is not the root,
 * labels of 1..63 octets of letters, digits, '-' and '_' (service labels
 * such as "_sip" occur in practice), at most 254 octets with the dot.
 */
bool
naptr_valid_replacement(const char *name)
{
	size_t	 len, lab, i;
	int	 c;

	if (name == NULL)
		return false;
	len = strlen(name);
	if (len < 2 || len > NAPTR_NAME_MAX || name[len - 1] != '.')
		return false;
	lab = 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)name[i];
		if (c == '.') {
			if (lab == 0)
				return false;
			lab = 0;
			continue;
		}
		if (!naptr_is_alnum(c) && c != '-' && c != '_')
			return false;
		if (++lab > NAPTR_LABEL_MAX)
			return false;
	}
	return true;
}

/* Is the scheme of @uri one that @type must produce?  (Unknown types and
 * types without a registered scheme accept any.) */
static bool
naptr_scheme_ok(const char *type, const char *uri)
{
	size_t	 slen, i, j;

	slen = strcspn(uri, ":");
	for (i = 0; i < sizeof(naptr_schemes) / sizeof(naptr_schemes[0]);
	    i++) {
		if (strcmp(naptr_schemes[i].type, type) != 0)
			continue;
		for (j = 0; j < 2; j++)
			if (naptr_schemes[i].scheme[j] != NULL &&
			    naptr_ieq(uri, slen, naptr_schemes[i].scheme[j]))
				return true;
		return false;
	}
	return true;
}

/*
 * Run the substitution.  With strict_delimiters off, a field that lacks
 * only its closing delimiter ("!^.*$!im:a@b") is unambiguous and is
 * retried with the delimiter appended (RFC 6116 section 5.2 lets a client
 * process such a field when its meaning is clear).
 */
static enum e2u_status
naptr_apply(const char *regexp, const char *aus,
    const struct naptr_policy *p, char *uri, size_t urisz)
{
	char		 fixed[E2U_MAX_LEN + 1];
	enum e2u_status	 st, st2;
	size_t		 rlen;

	rlen = strlen(regexp);
	st = e2u_apply_cached(p->cache, regexp, rlen, aus, uri, urisz);
	if (st != E2U_DELIM_COUNT || p->strict_delimiters ||
	    rlen + 1 > E2U_MAX_LEN)
		return st;
	memcpy(fixed, regexp, rlen);
	fixed[rlen] = regexp[0];
	st2 = e2u_apply_cached(p->cache, fixed, rlen + 1, aus, uri, urisz);
	return st2 == E2U_DELIM_COUNT ? st : st2;
}

enum naptr_verdict
naptr_evaluate(const struct naptr_rr *rr, const char *aus,
    const struct naptr_policy *p, char *uri, size_t urisz,
    struct naptr_result *res)
{
	struct naptr_result	 dummy;
	enum naptr_verdict	 v;
	enum e2u_status		 st;

	if (res == NULL)
		res = &dummy;
	res->enumservice[0] = '\0';
	res->e2u_status = E2U_OK;
	if (uri != NULL && urisz > 0)
		uri[0] = '\0';
	if (rr == NULL || p == NULL)
		return NAPTR_NOT_ENUM_SERVICES;

	v = naptr_pick_service(rr->services, p, res->enumservice);
	if (v != NAPTR_OK)
		return v;
	if (rr->regexp == NULL || rr->regexp[0] == '\0')
		return NAPTR_EMPTY_REGEXP;
	if (rr->replacement != NULL && rr->replacement[0] != '\0' &&
	    strcmp(rr->replacement, ".") != 0)
		return NAPTR_REGEXP_AND_REPLACEMENT;

	st = naptr_apply(rr->regexp, aus, p, uri, urisz);
	if (st != E2U_OK) {
		res->e2u_status = (int)st;
		return NAPTR_REGEXP_ERROR;
	}
	if (!naptr_is_absolute_uri(uri)) {
		uri[0] = '\0';
		return NAPTR_NOT_ABSOLUTE_URI;
	}
	if (p->require_scheme_match &&
	    !naptr_scheme_ok(res->enumservice, uri)) {
		uri[0] = '\0';
		return NAPTR_WRONG_SCHEME;
	}
	return NAPTR_OK;
}

const char *
naptr_strverdict(enum naptr_verdict v, int detail)
{
	switch (v) {
	case NAPTR_OK:
		return "ok";
	case NAPTR_NOT_ENUM_SERVICES:
		return "not-enum-services";
	case NAPTR_NO_ACCEPTABLE_SERVICE:
		return "no-acceptable-enumservice";
	case NAPTR_EMPTY_REGEXP:
		return "empty-regexp";
	case NAPTR_REGEXP_AND_REPLACEMENT:
		return "regexp-and-replacement";
	case NAPTR_REGEXP_ERROR:
		return e2u_strstatus((enum e2u_status)detail);
	case NAPTR_NOT_ABSOLUTE_URI:
		return "not-absolute-uri";
	case NAPTR_WRONG_SCHEME:
		return "wrong-scheme";
	}
	return "unknown";
}
