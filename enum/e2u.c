/*
 * enum/e2u.c - the RFC 3402 substitution expression applied to an AUS.
 *
 * Part of the ENUM step of the inbound -> route -> pick -> outbound flow:
 * enum/naptr calls e2u_apply() for a terminal NAPTR it is considering and
 * gets either the URI or the reason the record must be discarded.  The
 * REGEXP field comes straight from DNS, so every part of it is hostile
 * input: it is split without trusting it, its ERE is checked for runaway
 * repetition before regcomp() sees it, and the result is bounded.
 *
 * Pure apart from regcomp()'s own allocation, which is released with
 * regfree() before returning.  The field itself is never modified: the
 * ERE is rebuilt in a stack buffer.
 */
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enum/e2u.h"

/*
 * Limits on the ERE handed to regcomp().  glibc expands "x{m,n}" and
 * "x+" by copying x, and its epsilon-closure pass is roughly cubic in the
 * resulting node count when the copies can match the empty string:
 * "((((()))))+++++++++++" (22 bytes) takes 18 s, "((a*){1,64})" 0.2 s.
 * e2u_ere_ok() estimates the node count; E2U_MAX_COST bounds it (a
 * 255-octet DNS field without repetition always fits) and E2U_MAX_DUP
 * bounds the nodes added by copying, which keeps the worst case found
 * near a millisecond.  Real ENUM EREs ("^\\+1(.*)$", "[0-9]{3}") weigh a
 * few dozen nodes and copy a handful.  Nesting is capped too, because
 * regcomp() parses groups recursively.
 */
#define E2U_MAX_COST	256
#define E2U_MAX_DUP	64
#define E2U_MAX_DEPTH	32

/* Backrefs \1-\9 plus the whole match. */
#define E2U_NMATCH	10

/* The three parts of a split REGEXP field, pointing into the field. */
struct e2u_parts {
	const char	*ere;
	size_t		 erelen;
	const char	*repl;
	size_t		 repllen;
	int		 delim;
	bool		 icase;
};

/* Output under construction: never more than cap bytes plus a NUL. */
struct e2u_out {
	char	*buf;
	size_t	 cap;
	size_t	 len;
};

static bool	e2u_is_meta(int);
static enum e2u_status e2u_split(const char *, size_t, struct e2u_parts *);
static enum e2u_status e2u_build_ere(const struct e2u_parts *, char *,
		    size_t);
static size_t	e2u_bracket_end(const char *, size_t, size_t);
static bool	e2u_interval(const char *, size_t, size_t, size_t *,
		    uint32_t *);
static uint32_t	e2u_sat_mul(uint32_t, uint32_t);
static uint32_t	e2u_sat_add(uint32_t, uint32_t);
static bool	e2u_ere_ok(const char *, size_t);
static enum e2u_status e2u_check_backrefs(const struct e2u_parts *,
		    size_t);
static bool	e2u_put(struct e2u_out *, const char *, size_t);
static enum e2u_status e2u_expand(const struct e2u_parts *, const char *,
		    const regmatch_t *, struct e2u_out *);

/* Characters that mean something in a POSIX ERE outside brackets. */
static bool
e2u_is_meta(int c)
{
	return c != '\0' && strchr(".[]()*+?{}|^$", c) != NULL;
}

/*
 * delim ERE delim Repl delim flags.  The delimiter is the first octet; it
 * may not be a digit (it would read as a backref), the flag letter, a
 * backslash (it would escape itself) or NUL.  A backslash escapes the
 * octet after it everywhere, so "\<delim>" never counts as a delimiter.
 * Exactly three unescaped delimiters must be present (RFC 6116 section
 * 5.2 says a malformed field should be discarded).  The flag "i" is
 * matched case-insensitively, as ABNF literals are.
 */
static enum e2u_status
e2u_split(const char *re, size_t rlen, struct e2u_parts *pt)
{
	size_t	 pos[3], n, i;
	int	 delim;

	delim = (unsigned char)re[0];
	if (delim == '\0' || (delim >= '0' && delim <= '9') ||
	    delim == 'i' || delim == 'I' || delim == '\\')
		return E2U_BAD_DELIM;

	pos[0] = 0;
	n = 1;
	for (i = 1; i < rlen; i++) {
		if (re[i] == '\\' && i + 1 < rlen) {
			i++;
			continue;
		}
		if ((unsigned char)re[i] == delim) {
			if (n < 3)
				pos[n] = i;
			n++;
		}
	}
	if (n != 3)
		return E2U_DELIM_COUNT;

	pt->delim = delim;
	pt->ere = re + 1;
	pt->erelen = pos[1] - 1;
	pt->repl = re + pos[1] + 1;
	pt->repllen = pos[2] - pos[1] - 1;
	switch (rlen - pos[2] - 1) {
	case 0:
		pt->icase = false;
		break;
	case 1:
		if (re[pos[2] + 1] != 'i' && re[pos[2] + 1] != 'I')
			return E2U_BAD_FLAGS;
		pt->icase = true;
		break;
	default:
		return E2U_BAD_FLAGS;
	}
	return E2U_OK;
}

/*
 * Rebuild the ERE for regcomp(): "\<delim>" becomes the bare delimiter,
 * or stays escaped when the delimiter is an ERE metacharacter ("|", "+",
 * ...) so that it still means the literal character.  A NUL octet cannot
 * be handed to regcomp(), so it is a compile error.
 */
static enum e2u_status
e2u_build_ere(const struct e2u_parts *pt, char *buf, size_t bufsz)
{
	size_t	 i, n;

	if (pt->erelen >= bufsz)
		return E2U_TOO_LONG;
	n = 0;
	for (i = 0; i < pt->erelen; i++) {
		if (pt->ere[i] == '\0')
			return E2U_COMPILE;
		if (pt->ere[i] == '\\' && i + 1 < pt->erelen &&
		    (unsigned char)pt->ere[i + 1] == pt->delim) {
			if (e2u_is_meta(pt->delim))
				buf[n++] = '\\';
			buf[n++] = (char)pt->delim;
			i++;
			continue;
		}
		buf[n++] = pt->ere[i];
	}
	buf[n] = '\0';
	return E2U_OK;
}

/*
 * Index just past the "]" closing the bracket expression that opens at
 * s[i] == '[', following POSIX: a "]" right after "[" or "[^" is literal,
 * and "[:", "[.", "[=" run to their own closers.  Returns len when the
 * bracket is not closed (regcomp() will then refuse it).
 */
static size_t
e2u_bracket_end(const char *s, size_t len, size_t i)
{
	char	 close;

	i++;
	if (i < len && s[i] == '^')
		i++;
	if (i < len && s[i] == ']')
		i++;
	while (i < len && s[i] != ']') {
		if (s[i] == '[' && i + 1 < len &&
		    (s[i + 1] == ':' || s[i + 1] == '.' || s[i + 1] == '=')) {
			close = s[i + 1];
			i += 2;
			while (i + 1 < len && !(s[i] == close && s[i + 1] == ']'))
				i++;
			i += 2;
			continue;
		}
		i++;
	}
	return i < len ? i + 1 : len;
}

/*
 * "{m}", "{m,}" or "{m,n}" at s[i].  On success *end is the index after
 * "}" and *mult the number of copies glibc makes (n, or m + 1 for an
 * open interval).  Numbers saturate well above RE_DUP_MAX.
 */
static bool
e2u_interval(const char *s, size_t len, size_t i, size_t *end,
    uint32_t *mult)
{
	uint32_t	 m, n;
	bool		 comma, digits;

	m = n = 0;
	comma = digits = false;
	for (i++; i < len && s[i] != '}'; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			uint32_t *v = comma ? &n : &m;

			if (*v < 100000)
				*v = *v * 10 + (uint32_t)(s[i] - '0');
			digits = true;
		} else if (s[i] == ',' && !comma)
			comma = true;
		else
			return false;
	}
	if (i >= len || !digits)
		return false;
	*end = i + 1;
	if (!comma)
		*mult = m;
	else if (n == 0 && s[i - 1] == ',')
		*mult = m + 1;
	else
		*mult = n > m ? n : m;
	if (*mult == 0)
		*mult = 1;
	return true;
}

static uint32_t
e2u_sat_mul(uint32_t a, uint32_t b)
{
	if (a != 0 && b > (E2U_MAX_COST + 1) / a)
		return E2U_MAX_COST + 1;
	return a * b;
}

static uint32_t
e2u_sat_add(uint32_t a, uint32_t b)
{
	return a + b > E2U_MAX_COST ? E2U_MAX_COST + 1 : a + b;
}

/*
 * Estimate how many nodes regcomp() builds: every atom, anchor, "|" and
 * "*" or "?" weighs 1, a group weighs the sum of its contents, "{m,n}"
 * multiplies the weight of the atom or group before it by n (m + 1 for
 * "{m,}") and "+" doubles it.  Refused, as if regcomp() had failed:
 *  - more than E2U_MAX_COST nodes, or more than E2U_MAX_DUP of them added
 *    by repetition, or nesting deeper than E2U_MAX_DEPTH;
 *  - two adjacent duplication symbols ("a**", "a+{2}"), which POSIX
 *    leaves undefined (XBD 9.4.6) and which glibc nests;
 *  - "\1".."\9" in the ERE: POSIX EREs have no back-references, and
 *    glibc's extension makes regexec() exponential ("(.*)*...\1").
 * Anything else unusual (unbalanced parentheses, stray braces) is left
 * for regcomp() to judge.
 */
static bool
e2u_ere_ok(const char *s, size_t len)
{
	uint32_t	 sum[E2U_MAX_DEPTH + 1], last[E2U_MAX_DEPTH + 1];
	uint32_t	 base, mult, w;
	size_t		 i, end;
	unsigned	 d;
	bool		 quant;

	d = 0;
	sum[0] = last[0] = base = 0;
	quant = false;
	i = 0;
	while (i < len) {
		if (s[i] == '*' || s[i] == '?' || s[i] == '+' ||
		    (s[i] == '{' && e2u_interval(s, len, i, &end, &mult))) {
			if (quant)
				return false;
			quant = true;
			if (s[i] == '*' || s[i] == '?') {
				/* one node; what follows applies to "x*" */
				base++;
				sum[d] = e2u_sat_add(sum[d], 1);
				last[d] = e2u_sat_add(last[d], 1);
				i++;
				continue;
			}
			if (s[i] == '+') {
				mult = 2;
				end = i + 1;
			}
			w = e2u_sat_mul(last[d], mult);
			sum[d] = e2u_sat_add(sum[d], w - last[d]);
			last[d] = w;
			i = end;
			continue;
		}
		quant = false;
		switch (s[i]) {
		case '(':
			if (d == E2U_MAX_DEPTH)
				return false;
			d++;
			sum[d] = last[d] = 0;
			i++;
			continue;
		case ')':
			if (d == 0)
				break;
			w = sum[d] > 0 ? sum[d] : 1;
			if (sum[d] == 0)
				base++;
			d--;
			sum[d] = e2u_sat_add(sum[d], w);
			last[d] = w;
			i++;
			continue;
		case '|':
		case '^':
		case '$':
			base++;
			sum[d] = e2u_sat_add(sum[d], 1);
			last[d] = 0;
			i++;
			continue;
		case '[':
			base++;
			sum[d] = e2u_sat_add(sum[d], 1);
			last[d] = 1;
			i = e2u_bracket_end(s, len, i);
			continue;
		case '\\':
			if (i + 1 < len && s[i + 1] >= '1' && s[i + 1] <= '9')
				return false;
			i++;
			break;
		default:
			break;
		}
		base++;
		sum[d] = e2u_sat_add(sum[d], 1);
		last[d] = 1;
		i++;
	}
	while (d > 0) {
		w = sum[d];
		d--;
		sum[d] = e2u_sat_add(sum[d], w);
	}
	return sum[0] <= E2U_MAX_COST && sum[0] - base <= E2U_MAX_DUP;
}

/*
 * A backref to a group the ERE does not have is an error in the record
 * (RFC 3402 section 3.2), whether or not the match would reach it, so it
 * is checked before matching.  A NUL in Repl would cut the URI short
 * without anyone noticing; refuse it like one in the ERE.
 */
static enum e2u_status
e2u_check_backrefs(const struct e2u_parts *pt, size_t nsub)
{
	size_t	 i;
	char	 c;

	for (i = 0; i < pt->repllen; i++) {
		if (pt->repl[i] == '\0')
			return E2U_COMPILE;
		if (pt->repl[i] != '\\' || i + 1 >= pt->repllen)
			continue;
		c = pt->repl[++i];
		if (c >= '1' && c <= '9' && (size_t)(c - '0') > nsub)
			return E2U_BAD_BACKREF;
		if (c == '\0')
			return E2U_COMPILE;
	}
	return E2U_OK;
}

static bool
e2u_put(struct e2u_out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		return false;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	return true;
}

/*
 * Expand Repl: "\N" is group N ("" when the group did not take part),
 * "\<delim>" the delimiter, "\\" one backslash; any other backslash is
 * kept as it is, "\0" included, since it is not a backref.  Static text is
 * copied byte for byte: only it keeps its case (RFC 6116 section 3.6).
 */
static enum e2u_status
e2u_expand(const struct e2u_parts *pt, const char *aus,
    const regmatch_t *pm, struct e2u_out *o)
{
	const regmatch_t	*g;
	size_t			 i;
	char			 c, d;

	d = (char)pt->delim;
	for (i = 0; i < pt->repllen; i++) {
		c = pt->repl[i];
		if (c == '\\' && i + 1 < pt->repllen) {
			c = pt->repl[i + 1];
			if (c >= '1' && c <= '9') {
				i++;
				g = &pm[c - '0'];
				if (g->rm_so < 0 || g->rm_eo < g->rm_so)
					continue;
				if (!e2u_put(o, aus + g->rm_so,
				    (size_t)(g->rm_eo - g->rm_so)))
					return E2U_TOO_LONG;
				continue;
			}
			if (c == d || c == '\\') {
				i++;
				if (!e2u_put(o, &c, 1))
					return E2U_TOO_LONG;
				continue;
			}
			c = '\\';
		}
		if (!e2u_put(o, &c, 1))
			return E2U_TOO_LONG;
	}
	return E2U_OK;
}

/*
 * Split, rebuild and vet the ERE, compile, check backrefs, match once,
 * then write prefix + expanded Repl + suffix: sed's "s/ere/repl/" on the
 * first match.  The ERE is compiled at most once per call and always
 * freed on the way out.
 */
/*
 * Everything after the compile: check backrefs, match once, then write
 * prefix + expanded Repl + suffix: sed's "s/ere/repl/" on the first match.
 */
static enum e2u_status
e2u_run(const struct e2u_parts *pt, const regex_t *re, const char *aus,
    char *out, size_t outsz)
{
	struct e2u_out		 o;
	regmatch_t		 pm[E2U_NMATCH];
	enum e2u_status		 st;
	size_t			 alen;

	if ((st = e2u_check_backrefs(pt, re->re_nsub)) != E2U_OK)
		return st;
	if (regexec(re, aus, E2U_NMATCH, pm, 0) != 0)
		return E2U_NO_MATCH;
	o.buf = out;
	o.cap = outsz - 1 < E2U_MAX_LEN ? outsz - 1 : E2U_MAX_LEN;
	o.len = 0;
	alen = strlen(aus);
	if (!e2u_put(&o, aus, (size_t)pm[0].rm_so))
		return E2U_TOO_LONG;
	if ((st = e2u_expand(pt, aus, pm, &o)) != E2U_OK)
		return st;
	if (!e2u_put(&o, aus + pm[0].rm_eo, alen - (size_t)pm[0].rm_eo))
		return E2U_TOO_LONG;
	out[o.len] = '\0';
	return E2U_OK;
}

/*
 * An ERE that matches every AUS whole, at offset 0, without groups: ".*"
 * is the longest match of any string of octets that "." matches, and the
 * anchors add nothing to that.  "^.*$" is what most ENUM records carry
 * (RFC 6116 section 3.5 and its examples).  For such a rule the result
 * is the expanded Repl alone: no prefix, no suffix, no group to copy.
 */
static bool
e2u_ere_whole(const char *ere)
{
	return strcmp(ere, "^.*$") == 0 || strcmp(ere, ".*") == 0 ||
	    strcmp(ere, "^.*") == 0 || strcmp(ere, ".*$") == 0;
}

/*
 * True when "." is sure to match every octet of @aus, whatever the
 * locale: ASCII without NUL (regcomp() without REG_NEWLINE lets "."
 * match a newline).  Anything else goes through regexec().  Sets *@alen.
 */
static bool
e2u_aus_plain(const char *aus, size_t *alen)
{
	size_t	 i;

	for (i = 0; aus[i] != '\0'; i++)
		if ((unsigned char)aus[i] >= 0x80)
			return false;
	*alen = i;
	return true;
}

/* Split, rebuild and vet the ERE; compile it into @re.  *@whole: the
 * ERE is one of e2u_ere_whole()'s (NULL: not asked). */
static enum e2u_status
e2u_compile(const char *regexp, size_t rlen, struct e2u_parts *pt,
    regex_t *re, bool *whole)
{
	char			 ere[E2U_MAX_LEN + 1];
	enum e2u_status		 st;

	if ((st = e2u_split(regexp, rlen, pt)) != E2U_OK)
		return st;
	if ((st = e2u_build_ere(pt, ere, sizeof(ere))) != E2U_OK)
		return st;
	if (!e2u_ere_ok(ere, strlen(ere)))
		return E2U_COMPILE;
	if (regcomp(re, ere, REG_EXTENDED | (pt->icase ? REG_ICASE : 0)) != 0)
		return E2U_COMPILE;
	if (whole != NULL)
		*whole = e2u_ere_whole(ere);
	return E2U_OK;
}

/*
 * The ERE is compiled at most once per call and always freed on the way
 * out.
 */
enum e2u_status
e2u_apply(const char *regexp, size_t rlen, const char *aus, char *out,
    size_t outsz)
{
	return e2u_apply_cached(NULL, regexp, rlen, aus, out, outsz);
}

/*
 * The compiled-rule cache: direct-mapped on a hash of the field, one
 * entry per slot (a collision replaces).  Failed compiles are cached too,
 * so a hostile record costs one regcomp() per slot lifetime.
 */
struct e2u_cache_entry {
	char		*field;		/* owned copy, NULL when empty */
	size_t		 len;
	enum e2u_status	 status;	/* of e2u_compile() */
	regex_t		 re;		/* valid when status == E2U_OK */
	/*
	 * A rule whose ERE matches every AUS whole (e2u_ere_whole()) has one
	 * result for every plain AUS, worked out once when it is compiled:
	 * the per-message cost is then a copy, not regexec() (~2 500
	 * instructions, bench/README.md).  whole_st is what e2u_run() would
	 * return; whole_out (owned, whole_len octets plus a NUL) is its
	 * output when that is E2U_OK.
	 */
	bool		 whole;
	enum e2u_status	 whole_st;
	char		*whole_out;
	size_t		 whole_len;
};

struct e2u_cache {
	size_t			 nslots;
	uint64_t		 hits, misses;
	uint64_t		 whole;	/* answered without regexec() */
	struct e2u_cache_entry	 slot[];
};

struct e2u_cache *
e2u_cache_new(size_t nslots)
{
	struct e2u_cache	*c;

	if (nslots == 0)
		nslots = 1;
	c = calloc(1, sizeof(*c) + nslots * sizeof(c->slot[0]));
	if (c != NULL)
		c->nslots = nslots;
	return c;
}

static void
e2u_cache_clear(struct e2u_cache_entry *e)
{
	if (e->field == NULL)
		return;
	if (e->status == E2U_OK)
		regfree(&e->re);
	free(e->field);
	e->field = NULL;
	free(e->whole_out);
	e->whole_out = NULL;
	e->whole = false;
}

/*
 * Work out a whole-match rule's result once: e2u_run() with a match that
 * spans the AUS, whatever it is, so the prefix and suffix are empty and
 * Repl can name no group (e2u_check_backrefs() refuses \1-\9 first, as
 * it does on every call of e2u_run()).  On failure to allocate the rule
 * simply stays on the regexec() path.
 */
static void
e2u_whole_prepare(struct e2u_cache_entry *e, const struct e2u_parts *pt)
{
	struct e2u_out	 o;
	regmatch_t	 pm[E2U_NMATCH];
	char		 buf[E2U_MAX_LEN + 1];

	for (size_t i = 0; i < E2U_NMATCH; i++)
		pm[i].rm_so = pm[i].rm_eo = -1;
	o.buf = buf;
	o.cap = E2U_MAX_LEN;
	o.len = 0;
	if ((e->whole_st = e2u_check_backrefs(pt, e->re.re_nsub)) == E2U_OK)
		e->whole_st = e2u_expand(pt, "", pm, &o);
	if (e->whole_st == E2U_OK) {
		if ((e->whole_out = malloc(o.len + 1)) == NULL)
			return;
		memcpy(e->whole_out, buf, o.len);
		e->whole_out[o.len] = '\0';
		e->whole_len = o.len;
	}
	e->whole = true;
}

/*
 * e2u_run() for a whole-match rule, byte for byte, without regexec().
 * @return false when @aus is not plain: the caller runs regexec().
 */
static bool
e2u_whole_run(const struct e2u_cache_entry *e, const char *aus, char *out,
    size_t outsz, enum e2u_status *st)
{
	size_t	 alen, cap;

	if (e->whole_st != E2U_OK) {
		*st = e->whole_st;
		return true;
	}
	if (!e2u_aus_plain(aus, &alen))
		return false;
	cap = outsz - 1 < E2U_MAX_LEN ? outsz - 1 : E2U_MAX_LEN;
	if (e->whole_len > cap) {
		out[0] = '\0';
		*st = E2U_TOO_LONG;
		return true;
	}
	memcpy(out, e->whole_out, e->whole_len + 1);
	*st = E2U_OK;
	return true;
}

void
e2u_cache_free(struct e2u_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nslots; i++)
		e2u_cache_clear(&c->slot[i]);
	free(c);
}

void
e2u_cache_stats(const struct e2u_cache *c, uint64_t *hits,
    uint64_t *misses)
{
	*hits = c != NULL ? c->hits : 0;
	*misses = c != NULL ? c->misses : 0;
}

uint64_t
e2u_cache_whole(const struct e2u_cache *c)
{
	return c != NULL ? c->whole : 0;
}

enum e2u_status
e2u_apply_cached(struct e2u_cache *c, const char *regexp, size_t rlen,
    const char *aus, char *out, size_t outsz)
{
	struct e2u_parts	 pt;
	regex_t			 re;
	enum e2u_status		 st;
	struct e2u_cache_entry	*e;
	uint64_t		 h = 1469598103934665603ULL;

	if (out != NULL && outsz > 0)
		out[0] = '\0';
	if (regexp == NULL || rlen == 0)
		return E2U_EMPTY;
	if (rlen > E2U_MAX_LEN || out == NULL || outsz == 0)
		return E2U_TOO_LONG;
	if (aus == NULL)
		aus = "";

	if (c == NULL) {
		if ((st = e2u_compile(regexp, rlen, &pt, &re, NULL)) != E2U_OK)
			return st;
		st = e2u_run(&pt, &re, aus, out, outsz);
		regfree(&re);
		if (st != E2U_OK)
			out[0] = '\0';
		return st;
	}
	for (size_t i = 0; i < rlen; i++)
		h = (h ^ (uint8_t)regexp[i]) * 1099511628211ULL;
	e = &c->slot[h % c->nslots];
	if (e->field != NULL && e->len == rlen &&
	    memcmp(e->field, regexp, rlen) == 0) {
		c->hits++;
		if (e->status != E2U_OK)
			return e->status;
		if (e->whole && e2u_whole_run(e, aus, out, outsz, &st)) {
			c->whole++;
			return st;
		}
		/* The parts point into the field: split it again (cheap). */
		(void)e2u_split(regexp, rlen, &pt);
	} else {
		bool	 whole = false;

		c->misses++;
		e2u_cache_clear(e);
		if ((e->field = malloc(rlen)) == NULL)
			return E2U_COMPILE;
		memcpy(e->field, regexp, rlen);
		e->len = rlen;
		e->status = e2u_compile(regexp, rlen, &pt, &e->re, &whole);
		if (e->status != E2U_OK)
			return e->status;
		if (whole)
			e2u_whole_prepare(e, &pt);
		if (e->whole && e2u_whole_run(e, aus, out, outsz, &st)) {
			c->whole++;
			return st;
		}
	}
	st = e2u_run(&pt, &e->re, aus, out, outsz);
	if (st != E2U_OK)
		out[0] = '\0';
	return st;
}

const char *
e2u_strstatus(enum e2u_status st)
{
	switch (st) {
	case E2U_OK:
		return "ok";
	case E2U_EMPTY:
		return "empty-regexp";
	case E2U_BAD_DELIM:
		return "regexp-bad-delimiter";
	case E2U_DELIM_COUNT:
		return "regexp-delimiter-count";
	case E2U_BAD_FLAGS:
		return "regexp-bad-flags";
	case E2U_COMPILE:
		return "regexp-compile";
	case E2U_BAD_BACKREF:
		return "bad-backref";
	case E2U_NO_MATCH:
		return "no-match";
	case E2U_TOO_LONG:
		return "uri-too-long";
	}
	return "regexp-unknown";
}
