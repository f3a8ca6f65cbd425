/*
 * gateway/printf_chk.c - the __snprintf_chk() and __vsnprintf_chk() of
 * the whole imgated process: enum/strfmt.h's formatter for the few
 * forms that sofia-sip's header encoders use, the C library's for the
 * rest.
 *
 * Linked into imgated only, like gateway/inet_ntop.c.  Debian builds
 * sofia-sip with _FORTIFY_SOURCE, so its snprintf() calls land here:
 * the request and status lines, CSeq and Content-Length that
 * msg_prepare() writes for every message sent, and the To tag
 * (su_sprintf()) - about 10,000 instructions per relayed SIP->SIP
 * message in glibc's vfprintf (bench/README.md).  The contract is
 * glibc 2.36's: __chk_fail() (abort) when the object @slen is smaller
 * than the @maxlen claimed, then vsnprintf()'s result to the byte
 * (tests/unit/test_strfmt.c and test_printf_chk.c check both against
 * the C library).  A form strfmt_v() does not handle - "%n" among them,
 * which fortify checks against writable formats - goes to the C
 * library's own function, found with dlsym(RTLD_NEXT) at the first such
 * call, with a copy of the arguments taken before.  Under ASan that is
 * the sanitizer's interceptor, which checks the buffer and formats
 * with the C library's vsnprintf(); strfmt_v() is instrumented itself.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include "enum/strfmt.h"

typedef int printf_chk_vfn(char *, size_t, int, size_t, const char *,
    va_list);

/* glibc's, exported since 2.3.4: reports a buffer overflow and aborts. */
extern void __chk_fail(void) __attribute__((noreturn));

int __vsnprintf_chk(char *, size_t, int, size_t, const char *, va_list);
int __snprintf_chk(char *, size_t, int, size_t, const char *, ...);

/* The C library's __vsnprintf_chk(); resolved once, by the first use. */
static printf_chk_vfn *
printf_chk_libc(void)
{
	static printf_chk_vfn	*fn;
	printf_chk_vfn		*f = __atomic_load_n(&fn, __ATOMIC_RELAXED);

	/* Every thread that races here finds the same function. */
	if (f == NULL) {
		f = (printf_chk_vfn *)dlsym(RTLD_NEXT, "__vsnprintf_chk");
		/* No C library behind us: nothing could format at all. */
		if (f == NULL)
			abort();
		__atomic_store_n(&fn, f, __ATOMIC_RELAXED);
	}
	return f;
}

int
__vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
    const char *fmt, va_list ap)
{
	va_list	 cp;
	int	 n;

	if (slen < maxlen)
		__chk_fail();
	va_copy(cp, ap);
	n = strfmt_v(s, maxlen, fmt, ap);
	if (n == STRFMT_NOT_MINE)
		n = printf_chk_libc()(s, maxlen, flag, slen, fmt, cp);
	va_end(cp);
	return n;
}

int
__snprintf_chk(char *s, size_t maxlen, int flag, size_t slen,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = __vsnprintf_chk(s, maxlen, flag, slen, fmt, ap);
	va_end(ap);
	return n;
}
