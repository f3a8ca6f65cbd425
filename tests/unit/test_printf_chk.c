/*
 * tests/unit/test_printf_chk.c - gateway/printf_chk.c, the
 * __snprintf_chk() and __vsnprintf_chk() that imgated puts in place of
 * the C library's (the ones sofia-sip's fortified snprintf() calls
 * become), against the C library's own, found with dlsym(RTLD_NEXT):
 * the same return and bytes at every buffer size for formats the fast
 * path takes and for formats it leaves to the C library ("%n" among
 * them), and the same abort when the object is smaller than the size
 * claimed (under ASan the next function is the sanitizer's, which does
 * not check that; only the abort of ours is tested there).  TAP.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/tap.h"

typedef int snprintf_chk_fn(char *, size_t, int, size_t, const char *,
    ...);
typedef int vsnprintf_chk_fn(char *, size_t, int, size_t, const char *,
    va_list);

/* The C library's; in this binary the plain names are printf_chk.c's. */
int __snprintf_chk(char *, size_t, int, size_t, const char *, ...);
int __vsnprintf_chk(char *, size_t, int, size_t, const char *, va_list);

static snprintf_chk_fn	*libc_snprintf_chk;
static vsnprintf_chk_fn	*libc_vsnprintf_chk;
static unsigned		 ncases, nfail;
static char		 got[512], want[512];

static int
ours_v(char *b, size_t n, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = __vsnprintf_chk(b, n, 1, sizeof(got), fmt, ap);
	va_end(ap);
	return r;
}

static int
libc_v(char *b, size_t n, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = libc_vsnprintf_chk(b, n, 1, sizeof(want), fmt, ap);
	va_end(ap);
	return r;
}

/* Both entry points against the C library's at every size. */
#define SAME(fmt, ...) do {						\
	int	 len_ = snprintf(NULL, 0, (fmt), __VA_ARGS__);		\
									\
	for (size_t sz_ = 0; sz_ <= (size_t)len_ + 2; sz_++) {		\
		int	 g_, w_, gv_, wv_;				\
		int	 same_;						\
									\
		memset(got, '#', sizeof(got));				\
		memset(want, '#', sizeof(want));			\
		g_ = __snprintf_chk(got, sz_, 1, sizeof(got), (fmt),	\
		    __VA_ARGS__);					\
		w_ = libc_snprintf_chk(want, sz_, 1, sizeof(want),	\
		    (fmt), __VA_ARGS__);				\
		same_ = g_ == w_ && !memcmp(got, want, sizeof(got));	\
		memset(got, '#', sizeof(got));				\
		memset(want, '#', sizeof(want));			\
		gv_ = ours_v(got, sz_, (fmt), __VA_ARGS__);		\
		wv_ = libc_v(want, sz_, (fmt), __VA_ARGS__);		\
		same_ = same_ && gv_ == wv_ && gv_ == w_ &&		\
		    !memcmp(got, want, sizeof(got));			\
		ncases++;						\
		if (!same_ && nfail++ < 10)				\
			diag("\"%s\" size %zu: %d/%d \"%.40s\", libc "	\
			    "%d/%d \"%.40s\"", (fmt), sz_, g_, gv_,	\
			    got, w_, wv_, want);			\
	}								\
} while (0)

/* Run @fn in a child; @return whether it died of SIGABRT. */
static int
aborts(void (*fn)(void))
{
	pid_t	 pid = fork();
	int	 st;

	if (pid < 0)
		return 0;
	if (pid == 0) {
		/* The C library's report on stderr is expected noise. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		fn();
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void
overflow_ours(void)
{
	char			 b[8];
	/* Not a constant, or the compiler would refuse the call. */
	volatile size_t		 claimed = 16;

	/* An 8-byte object claimed to hold 16: __chk_fail(). */
	__snprintf_chk(b, claimed, 1, sizeof(b), "%s", "x");
}

static void
overflow_libc(void)
{
	char			 b[8];
	volatile size_t		 claimed = 16;

	libc_snprintf_chk(b, claimed, 1, sizeof(b), "%s", "x");
}

int
main(void)
{
	int			 n1 = -1, n2 = -1;
	/* Not a constant: the compiler would warn of the NULL "%s". */
	const char *volatile	 nul = NULL;
	Dl_info			 where = { NULL, NULL, NULL, NULL };

	libc_snprintf_chk = (snprintf_chk_fn *)dlsym(RTLD_NEXT,
	    "__snprintf_chk");
	libc_vsnprintf_chk = (vsnprintf_chk_fn *)dlsym(RTLD_NEXT,
	    "__vsnprintf_chk");
	ok(libc_snprintf_chk != NULL && libc_vsnprintf_chk != NULL &&
	    libc_snprintf_chk != __snprintf_chk &&
	    libc_vsnprintf_chk != __vsnprintf_chk,
	    "this binary's __snprintf_chk() and __vsnprintf_chk() are "
	    "gateway/printf_chk.c's, not the C library's");
	if (libc_snprintf_chk == NULL || libc_vsnprintf_chk == NULL)
		return done_testing();

	/* What sofia-sip's encoders write (the fast path). */
	SAME("%s %s%s%s%s %s\r\n", "MESSAGE", "sip:", "+15551234567", "@",
	    "192.0.2.1", "SIP/2.0");
	SAME("%u %s", 42u, "MESSAGE");
	SAME("%s %03u %s\r\n", "SIP/2.0", 200u, "OK");
	SAME("%lu", 18446744073709551615ul);
	SAME("tag=%s", "deadbeef");
	SAME("%d|%05d|%x|%zu|%lld|%c|%%", -2147483647 - 1, -42, 0xffu,
	    (size_t)7, -1ll, 'q');
	/* Forms left to the C library (the fallback). */
	SAME("%5.2f|%-6s|%+d|%p", 3.14159, "ab", 5, (void *)0);
	SAME("%s then %o then %.3d", "text", 8u, 7);
	SAME("%s|%.3s", nul, nul);
	is_int(nfail, 0, "the C library's return and bytes, both entry "
	    "points, %u cases at every size", ncases);

	/* "%n" from a read-only format: the C library's, counted alike. */
	memset(got, '#', sizeof(got));
	memset(want, '#', sizeof(want));
	ok(__snprintf_chk(got, sizeof(got), 1, sizeof(got), "abc%n%s", &n1,
	    "de") == 5 && libc_snprintf_chk(want, sizeof(want), 1,
	    sizeof(want), "abc%n%s", &n2, "de") == 5 && n1 == 3 && n2 == 3 &&
	    memcmp(got, want, sizeof(got)) == 0,
	    "%%n goes to the C library: the same count and text");

	ok(aborts(overflow_ours), "an object smaller than the size claimed "
	    "aborts");
	/*
	 * Under ASan the next one is the sanitizer's interceptor, which does
	 * not check the size: only glibc's own is the model here.
	 */
	if (dladdr((void *)libc_snprintf_chk, &where) != 0 &&
	    where.dli_fname != NULL && strstr(where.dli_fname, "libc.so"))
		ok(aborts(overflow_libc), "as the C library's does");
	else
		diag("skipped: the next __snprintf_chk is %s's, not glibc's",
		    where.dli_fname != NULL ? where.dli_fname : "?");
	return done_testing();
}
