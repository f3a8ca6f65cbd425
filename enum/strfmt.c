/*
 * enum/strfmt.c - vsnprintf() for sofia-sip's few conversions
 * (enum/strfmt.h).
 *
 * One pass over the format: plain text is copied as it comes, each
 * conversion is written as glibc 2.36's vfprintf writes it.  A form
 * that is not handled ends the pass with STRFMT_NOT_MINE; what was
 * written before it is a prefix of the C library's text, so the
 * caller's fallback run overwrites it with the same bytes.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "enum/strfmt.h"

/* Widths above this are left to the C library (no overflow to mind). */
#define STRFMT_WIDTH_MAX	65535

/*
 * The text so far: bytes go to w until it reaches end (the NUL's
 * place); what does not fit is only counted.  The format's text goes
 * a byte at a time, not through strchr(): its pieces are a few bytes
 * (" ", "\r\n"), and a library call costs more than they do.
 */
struct strfmt_out {
	char	*w;		/* next byte of the caller's buffer */
	char	*end;		/* its last byte, kept for the NUL */
	size_t	 over;		/* bytes of text past end */
};

static inline void
strfmt_byte(struct strfmt_out *o, char c)
{
	if (o->w < o->end)
		*o->w++ = c;
	else
		o->over++;
}

static inline void
strfmt_put(struct strfmt_out *o, const char *s, size_t n)
{
	size_t	 room = (size_t)(o->end - o->w);

	if (n > room) {
		o->over += n - room;
		n = room;
	}
	memcpy(o->w, s, n);
	o->w += n;
}

static inline void
strfmt_pad(struct strfmt_out *o, char c, size_t n)
{
	while (n-- > 0)
		strfmt_byte(o, c);
}

/* The length modifiers handled. */
enum strfmt_len {
	STRFMT_LEN_NONE,
	STRFMT_LEN_L,
	STRFMT_LEN_LL,
	STRFMT_LEN_Z
};

/*
 * One integer conversion @conv ('d', 'i', 'u', 'x', 'X') of @u (the
 * magnitude; @neg: it was negative) in @width, zero-padded if @zero.
 */
static void
strfmt_int(struct strfmt_out *o, int conv, unsigned long long u, int neg,
    size_t width, int zero)
{
	static const char	 lower[] = "0123456789abcdef";
	static const char	 upper[] = "0123456789ABCDEF";
	char			 tmp[24];	/* 2^64 in octal fits too */
	char			*d = tmp + sizeof(tmp);
	const char		*dig = conv == 'X' ? upper : lower;
	size_t			 n;

	/* Constant divisors: a multiply and a shift, not a division. */
	if (conv == 'x' || conv == 'X') {
		do {
			*--d = dig[u & 15];
			u >>= 4;
		} while (u != 0);
	} else {
		do {
			*--d = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0);
	}
	n = (size_t)(tmp + sizeof(tmp) - d);
	if (width > n + (size_t)neg) {
		size_t	 pad = width - n - (size_t)neg;

		if (zero) {
			if (neg)
				strfmt_byte(o, '-');
			strfmt_pad(o, '0', pad);
		} else {
			strfmt_pad(o, ' ', pad);
			if (neg)
				strfmt_byte(o, '-');
		}
	} else if (neg)
		strfmt_byte(o, '-');
	strfmt_put(o, d, n);
}

int
strfmt_v(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct strfmt_out	 o;
	const char		*p = fmt;
	char			*start;
	char			 none;
	size_t			 len;

	/* Size 0: no buffer to point into (it may be NULL). */
	start = size > 0 ? buf : &none;
	o.w = start;
	o.end = size > 0 ? buf + size - 1 : &none;
	o.over = 0;
	for (;;) {
		enum strfmt_len		 lm = STRFMT_LEN_NONE;
		size_t			 width = 0;
		int			 zero = 0, prec = -1, conv;

		while (*p != '%') {
			if (*p == '\0')
				goto done;
			strfmt_byte(&o, *p++);
		}
		p++;
		if (*p == '0') {
			zero = 1;
			p++;
		}
		while (*p >= '0' && *p <= '9') {
			width = width * 10 + (size_t)(*p++ - '0');
			if (width > STRFMT_WIDTH_MAX)
				return STRFMT_NOT_MINE;
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				p++;
				/* Negative: as if none (C11 7.21.6.1). */
				prec = va_arg(ap, int);
				if (prec < 0)
					prec = -1;
			} else {
				prec = 0;
				while (*p >= '0' && *p <= '9') {
					prec = prec * 10 + (*p++ - '0');
					if (prec > STRFMT_WIDTH_MAX)
						return STRFMT_NOT_MINE;
				}
			}
		}
		if (*p == 'l') {
			p++;
			lm = STRFMT_LEN_L;
			if (*p == 'l') {
				p++;
				lm = STRFMT_LEN_LL;
			}
		} else if (*p == 'z') {
			p++;
			lm = STRFMT_LEN_Z;
		}
		conv = *p++;
		switch (conv) {
		case '%':
			if (zero || width != 0 || prec != -1 ||
			    lm != STRFMT_LEN_NONE)
				return STRFMT_NOT_MINE;
			strfmt_byte(&o, '%');
			break;
		case 's': {
			const char	*s;
			size_t		 n;

			/* "%ls" is wide; "%05s" is undefined. */
			if (zero || lm != STRFMT_LEN_NONE)
				return STRFMT_NOT_MINE;
			s = va_arg(ap, const char *);
			/* glibc's "(null)" depends on the precision. */
			if (s == NULL)
				return STRFMT_NOT_MINE;
			/* Most of sofia's request line (20 conversions). */
			if (*s == '\0' && width == 0)
				break;
			n = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
			if (width > n)
				strfmt_pad(&o, ' ', width - n);
			strfmt_put(&o, s, n);
			break;
		}
		case 'c': {
			char	 c;

			if (zero || prec != -1 || lm != STRFMT_LEN_NONE)
				return STRFMT_NOT_MINE;
			c = (char)(unsigned char)va_arg(ap, int);
			if (width > 1)
				strfmt_pad(&o, ' ', width - 1);
			strfmt_byte(&o, c);
			break;
		}
		case 'd':
		case 'i': {
			long long		 v;
			unsigned long long	 u;

			/* A precision on an integer changes the zeros. */
			if (prec != -1)
				return STRFMT_NOT_MINE;
			switch (lm) {
			case STRFMT_LEN_L:
				v = va_arg(ap, long);
				break;
			case STRFMT_LEN_LL:
				v = va_arg(ap, long long);
				break;
			case STRFMT_LEN_Z:
				v = va_arg(ap, ssize_t);
				break;
			default:
				v = va_arg(ap, int);
				break;
			}
			/* -(v + 1) + 1: LLONG_MIN has no positive twin. */
			u = v < 0 ? (unsigned long long)-(v + 1) + 1 :
			    (unsigned long long)v;
			strfmt_int(&o, conv, u, v < 0, width, zero);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			unsigned long long	 u;

			if (prec != -1)
				return STRFMT_NOT_MINE;
			switch (lm) {
			case STRFMT_LEN_L:
				u = va_arg(ap, unsigned long);
				break;
			case STRFMT_LEN_LL:
				u = va_arg(ap, unsigned long long);
				break;
			case STRFMT_LEN_Z:
				u = va_arg(ap, size_t);
				break;
			default:
				u = va_arg(ap, unsigned);
				break;
			}
			strfmt_int(&o, conv, u, 0, width, zero);
			break;
		}
		default:
			/* %n above all, and every other form. */
			return STRFMT_NOT_MINE;
		}
	}
done:
	len = (size_t)(o.w - start) + o.over;
	if (len > INT_MAX)
		return STRFMT_NOT_MINE;
	if (size > 0)
		*o.w = '\0';
	return (int)len;
}
