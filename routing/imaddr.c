/*
 * routing/imaddr.c - the text of IM addresses: im: URIs and JID
 * localparts.
 *
 * Used on the way out of routing (routing/lookup turns an ENUM im:
 * destination into a JID) and under gateway/xlate, which writes every
 * other address through the same writer and checks.  Intermediate forms
 * (a percent-decoded localpart or domain) live in stack buffers bounded
 * by the JID part limit: a part is at most 1023 octets, so nothing
 * bigger is ever needed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "routing/imaddr.h"

/* The ten XEP-0106 sequences, in the order of XEP-0106 section 4.2. */
static const struct {
	char		 c;
	const char	*hex;
} imaddr_escapes[] = {
	{ ' ', "20" }, { '"', "22" }, { '&', "26" }, { '\'', "27" },
	{ '/', "2f" }, { ':', "3a" }, { '<', "3c" }, { '>', "3e" },
	{ '@', "40" }, { '\\', "5c" }
};
#define IMADDR_NESCAPES	(sizeof(imaddr_escapes) / sizeof(imaddr_escapes[0]))

static enum imaddr_status imaddr_fail(char *, size_t, enum imaddr_status);
static bool	imaddr_is_digit(int);
static int	imaddr_lower(int);
static int	imaddr_hexval(int);
static bool	imaddr_in(int, const char *);
static bool	imaddr_prefix(const char *, const char *);
static bool	imaddr_im_raw_char(int);

static enum imaddr_status
imaddr_fail(char *out, size_t outsz, enum imaddr_status st)
{
	if (outsz > 0)
		out[0] = '\0';
	return st;
}

static bool
imaddr_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
imaddr_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
imaddr_hexval(int c)
{
	if (imaddr_is_digit(c))
		return c - '0';
	c = imaddr_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* strchr() that does not match the terminating NUL. */
static bool
imaddr_in(int c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* Case-insensitive "does NUL-terminated s start with lower-case lit". */
static bool
imaddr_prefix(const char *s, const char *lit)
{
	size_t	 n = strlen(lit);

	for (size_t i = 0; i < n; i++)
		if (imaddr_lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

/*
 * The writer.
 */

void
imaddr_buf_init(struct imaddr_buf *b, char *p, size_t size)
{
	b->p = p;
	b->size = size;
	b->len = 0;
	if (size > 0)
		p[0] = '\0';
}

void
imaddr_put(struct imaddr_buf *b, int c)
{
	if (b->len + 1 < b->size)
		b->p[b->len] = (char)c;
	b->len++;
}

void
imaddr_put_mem(struct imaddr_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		imaddr_put(b, (unsigned char)s[i]);
}

void
imaddr_put_str(struct imaddr_buf *b, const char *s)
{
	imaddr_put_mem(b, s, strlen(s));
}

void
imaddr_put_lower(struct imaddr_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		imaddr_put(b, imaddr_lower((unsigned char)s[i]));
}

/* RFC 3986 2.1: upper-case hex digits. */
void
imaddr_put_pct(struct imaddr_buf *b, int c)
{
	const char	 hex[] = "0123456789ABCDEF";

	imaddr_put(b, '%');
	imaddr_put(b, hex[(c >> 4) & 0x0f]);
	imaddr_put(b, hex[c & 0x0f]);
}

/* NUL-terminate, or empty the buffer and report that it was too small. */
enum imaddr_status
imaddr_buf_done(struct imaddr_buf *b)
{
	if (b->len >= b->size) {
		if (b->size > 0)
			b->p[0] = '\0';
		return IMADDR_E_NO_SPACE;
	}
	b->p[b->len] = '\0';
	return IMADDR_OK;
}

/*
 * UTF-8 (RFC 3629).  Returns 0 and the code point, or -1 for an ill-formed
 * sequence: bad lead byte, missing continuation, overlong form, surrogate,
 * or a value above U+10FFFF.
 */
int
imaddr_utf8_next(const unsigned char *s, size_t len, size_t *i,
    unsigned long *cp)
{
	unsigned long	 c, min;
	size_t		 n;

	c = s[*i];
	if (c < 0x80) {
		(*i)++;
		*cp = c;
		return 0;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		c &= 0x07;
		min = 0x10000;
	} else
		return -1;
	if (len - *i <= n)
		return -1;
	for (size_t k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[*i + k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*i += n + 1;
	*cp = c;
	return 0;
}

/* XML 1.0 section 2.2 Char. */
bool
imaddr_xml_char(unsigned long c)
{
	return c == 0x9 || c == 0xa || c == 0xd ||
	    (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) ||
	    (c >= 0x10000 && c <= 0x10ffff);
}

/*
 * Text inside an address part: well-formed UTF-8, XML characters, and no
 * control characters at all (C0, DEL, C1), which neither nodeprep nor a
 * SIP header would let through.
 */
enum imaddr_status
imaddr_text_check(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	unsigned long		 c;
	size_t			 i = 0;

	while (i < len) {
		/* Printable ASCII, most addresses, needs no decoding. */
		if (u[i] >= 0x20 && u[i] < 0x7f) {
			i++;
			continue;
		}
		if (imaddr_utf8_next(u, len, &i, &c) < 0)
			return IMADDR_E_UTF8;
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
		    !imaddr_xml_char(c))
			return IMADDR_E_CHAR;
	}
	return IMADDR_OK;
}

/*
 * XEP-0106.  The character a sequence at s stands for, or -1 when s does
 * not start with one of the ten exact sequences (hex is lower case and
 * case-significant: "\2F" is not a sequence).
 */
int
imaddr_esc_seq(const char *s, size_t n)
{
	if (n < 3 || s[0] != '\\')
		return -1;
	for (size_t k = 0; k < IMADDR_NESCAPES; k++)
		if (s[1] == imaddr_escapes[k].hex[0] &&
		    s[2] == imaddr_escapes[k].hex[1])
			return (unsigned char)imaddr_escapes[k].c;
	return -1;
}

/*
 * Append the escaped form of a raw localpart.  The backslash is the only
 * subtle case: it is escaped exactly when the two octets after it would
 * make one of the ten sequences, which is what makes the transformation
 * reversible (a hex digit is never itself escaped, so a literal backslash
 * left alone is never followed by a sequence in the output either).
 */
enum imaddr_status
imaddr_escape_to(struct imaddr_buf *b, const char *in, size_t inlen)
{
	enum imaddr_status	 st;
	size_t			 start = b->len;
	int			 c;

	if (inlen == 0)
		return IMADDR_E_JID;
	if ((st = imaddr_text_check(in, inlen)) != IMADDR_OK)
		return st;
	if (in[0] == ' ' || in[inlen - 1] == ' ')
		return IMADDR_E_EDGE_SPACE;
	for (size_t i = 0; i < inlen; i++) {
		c = (unsigned char)in[i];
		if (c == '\\' && imaddr_esc_seq(in + i, inlen - i) < 0) {
			imaddr_put(b, c);
			continue;
		}
		if (imaddr_in(c, " \"&'/:<>@\\")) {
			for (size_t k = 0; k < IMADDR_NESCAPES; k++)
				if (imaddr_escapes[k].c == c) {
					imaddr_put(b, '\\');
					imaddr_put_str(b,
					    imaddr_escapes[k].hex);
				}
			continue;
		}
		imaddr_put(b, c);
	}
	if (b->len - start > IMADDR_PART_MAX)
		return IMADDR_E_LONG;
	return IMADDR_OK;
}

enum imaddr_status
imaddr_jid_escape(const char *in, size_t inlen, char *out, size_t outsz)
{
	struct imaddr_buf	 b;
	enum imaddr_status	 st;

	imaddr_buf_init(&b, out, outsz);
	if ((st = imaddr_escape_to(&b, in, inlen)) != IMADDR_OK)
		return imaddr_fail(out, outsz, st);
	return imaddr_buf_done(&b);
}

/*
 * An escaped localpart as found in a JID: not empty, at most 1023
 * octets, UTF-8 text, none of the nine characters XEP-0106 exists to
 * escape, and (XEP-0106 3.2) no \20 at either end.
 */
/* What every JID part must be: not empty, at most 1023 octets, text. */
static enum imaddr_status
imaddr_part_check(const char *s, size_t n)
{
	if (n == 0)
		return IMADDR_E_JID;
	if (n > IMADDR_PART_MAX)
		return IMADDR_E_LONG;
	return imaddr_text_check(s, n);
}

enum imaddr_status
imaddr_local_check(const char *s, size_t n)
{
	enum imaddr_status	 st;

	if ((st = imaddr_part_check(s, n)) != IMADDR_OK)
		return st;
	for (size_t i = 0; i < n; i++)
		if (imaddr_in((unsigned char)s[i], " \"&'/:<>@"))
			return IMADDR_E_JID;
	if (imaddr_esc_seq(s, n) == ' ' ||
	    (n >= 3 && imaddr_esc_seq(s + n - 3, 3) == ' '))
		return IMADDR_E_EDGE_SPACE;
	return IMADDR_OK;
}

enum imaddr_status
imaddr_unescape_to(struct imaddr_buf *b, const char *in, size_t inlen)
{
	enum imaddr_status	 st;
	int			 c;

	if ((st = imaddr_local_check(in, inlen)) != IMADDR_OK)
		return st;
	for (size_t i = 0; i < inlen; i++) {
		if ((c = imaddr_esc_seq(in + i, inlen - i)) >= 0) {
			imaddr_put(b, c);
			i += 2;
		} else
			imaddr_put(b, (unsigned char)in[i]);
	}
	return IMADDR_OK;
}

enum imaddr_status
imaddr_jid_unescape(const char *in, size_t inlen, char *out, size_t outsz)
{
	struct imaddr_buf	 b;
	enum imaddr_status	 st;

	imaddr_buf_init(&b, out, outsz);
	if ((st = imaddr_unescape_to(&b, in, inlen)) != IMADDR_OK)
		return imaddr_fail(out, outsz, st);
	return imaddr_buf_done(&b);
}

/*
 * A JID domainpart as received.  No IDNA processing: U-labels are fine
 * here (the XMPP side speaks UTF-8), only characters that can never be in
 * a domain, and empty labels, are refused.
 */
enum imaddr_status
imaddr_domain_check(const char *s, size_t n)
{
	enum imaddr_status	 st;

	if ((st = imaddr_part_check(s, n)) != IMADDR_OK)
		return st;
	/* No empty label (the one final dot was dropped by the caller). */
	if (s[0] == '.' || s[n - 1] == '.')
		return IMADDR_E_JID;
	for (size_t i = 0; i < n; i++) {
		if (imaddr_in((unsigned char)s[i], " \"&'/<>@\\"))
			return IMADDR_E_JID;
		if (s[i] == '.' && i + 1 < n && s[i + 1] == '.')
			return IMADDR_E_JID;
	}
	return IMADDR_OK;
}

/*
 * Append the percent-decoded s[0..n).  Raw octets must be in @ok (the
 * grammar of the URI component); a broken %XX is IMADDR_E_URI.
 */
enum imaddr_status
imaddr_pct_decode_to(struct imaddr_buf *b, const char *s, size_t n,
    bool (*ok)(int))
{
	int	 c, hi, lo;

	for (size_t i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c != '%') {
			if (!ok(c))
				return IMADDR_E_URI;
			imaddr_put(b, c);
			continue;
		}
		if (n - i < 3)
			return IMADDR_E_URI;
		hi = imaddr_hexval((unsigned char)s[i + 1]);
		lo = imaddr_hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0)
			return IMADDR_E_URI;
		imaddr_put(b, hi * 16 + lo);
		i += 2;
	}
	return IMADDR_OK;
}

/* Octets an im: URI may carry raw: printable ASCII but the delimiters
 * ('?' is one of RFC 3922's safe localpart characters). */
static bool
imaddr_im_raw_char(int c)
{
	return c > ' ' && c < 0x7f && !imaddr_in(c, "<>\"@%");
}

enum imaddr_status
imaddr_im_to_jid(const char *im, char *jid, size_t jidsz)
{
	struct imaddr_buf	 b, t;
	enum imaddr_status	 st;
	char			 tmp[IMADDR_PART_MAX + 1];
	char			 dom[IMADDR_PART_MAX + 1];
	const char		*rest, *at, *q;
	size_t			 n, dlen;

	imaddr_buf_init(&b, jid, jidsz);
	if (!imaddr_prefix(im, "im:"))
		return imaddr_fail(jid, jidsz, IMADDR_E_SCHEME);
	rest = im + 3;
	n = strlen(rest);
	/* The localpart holds no raw '@' but may hold '?': headers start
	 * at the first '?' after the domain's '@' (RFC 3860 3). */
	at = memchr(rest, '@', n);
	if (at != NULL && (q = memchr(at, '?', n - (size_t)(at - rest))) !=
	    NULL)
		n = (size_t)(q - rest);
	if (at == NULL || at == rest || at + 1 == rest + n)
		return imaddr_fail(jid, jidsz, IMADDR_E_URI);
	imaddr_buf_init(&t, tmp, sizeof(tmp));
	if ((st = imaddr_pct_decode_to(&t, rest, (size_t)(at - rest),
	    imaddr_im_raw_char)) != IMADDR_OK)
		return imaddr_fail(jid, jidsz, st);
	if (imaddr_buf_done(&t) != IMADDR_OK)
		return imaddr_fail(jid, jidsz, IMADDR_E_LONG);
	if ((st = imaddr_escape_to(&b, tmp, t.len)) != IMADDR_OK)
		return imaddr_fail(jid, jidsz, st);
	imaddr_put(&b, '@');
	imaddr_buf_init(&t, dom, sizeof(dom));
	if ((st = imaddr_pct_decode_to(&t, at + 1,
	    (size_t)(rest + n - at - 1), imaddr_im_raw_char)) != IMADDR_OK)
		return imaddr_fail(jid, jidsz, st);
	if (imaddr_buf_done(&t) != IMADDR_OK)
		return imaddr_fail(jid, jidsz, IMADDR_E_LONG);
	dlen = t.len;
	if (dlen > 0 && dom[dlen - 1] == '.')
		dlen--;
	if ((st = imaddr_domain_check(dom, dlen)) != IMADDR_OK)
		return imaddr_fail(jid, jidsz, st);
	imaddr_put_lower(&b, dom, dlen);
	return imaddr_buf_done(&b);
}
