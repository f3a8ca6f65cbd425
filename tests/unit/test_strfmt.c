/*
 * tests/unit/test_strfmt.c - enum/strfmt against the C library's
 * vsnprintf(): every handled conversion, width and length modifier at
 * its edges (0, INT_MIN, ULLONG_MAX, empty and long strings) and the
 * formats sofia-sip's encoders use, each at every buffer size from 0 to
 * its length + 2 - the same return, the same bytes, nothing written past
 * the NUL.  Then pseudo-random formats (the seed is printed; STRFMT_SEED
 * repeats a run), then the forms it must leave to the C library.  TAP.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enum/strfmt.h"
#include "tests/tap.h"
#include "tests/xorshift.h"

#define BUFSZ	2048

static int
mine(char *b, size_t n, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = strfmt_v(b, n, fmt, ap);
	va_end(ap);
	return r;
}

static int
libc(char *b, size_t n, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = vsnprintf(b, n, fmt, ap);
	va_end(ap);
	return r;
}

static unsigned	 ncases, nfail;
static char	 got[BUFSZ], want[BUFSZ];

/* One call of each at size @sz; count and show a difference. */
#define SAME_AT(sz, fmt, ...) do {					\
	int	 g_, w_;						\
									\
	memset(got, '#', sizeof(got));					\
	memset(want, '#', sizeof(want));				\
	g_ = mine(got, (sz), (fmt), __VA_ARGS__);			\
	w_ = libc(want, (sz), (fmt), __VA_ARGS__);			\
	ncases++;							\
	if (g_ != w_ || memcmp(got, want, sizeof(got)) != 0) {		\
		if (nfail++ < 10)					\
			diag("\"%s\" size %zu: %d \"%.60s\", libc %d "	\
			    "\"%.60s\"", (fmt), (size_t)(sz), g_, got,	\
			    w_, want);					\
	}								\
} while (0)

/* At every size from 0 to the length + 2. */
#define SAME(fmt, ...) do {						\
	int	 len_ = libc(NULL, 0, (fmt), __VA_ARGS__);		\
									\
	for (size_t sz_ = 0; sz_ <= (size_t)len_ + 2; sz_++)		\
		SAME_AT(sz_, fmt, __VA_ARGS__);				\
} while (0)

/* The argument kinds of the random formats; one kind per format. */
enum kind { K_INT, K_UINT, K_LONG, K_ULONG, K_LLONG, K_ULLONG, K_SIZE,
	K_SSIZE, K_STR, K_NKIND };

static const char *const convs[K_NKIND][4] = {
	{ "d", "i", "c", "d" }, { "u", "x", "X", "u" },
	{ "ld", "li", "ld", "li" }, { "lu", "lx", "lX", "lu" },
	{ "lld", "lli", "lld", "lli" }, { "llu", "llx", "llX", "llu" },
	{ "zu", "zx", "zX", "zu" }, { "zd", "zi", "zd", "zi" },
	{ "s", "s", "s", "s" },
};

/* A value with many digits, few, or an edge. */
static uint64_t
rand_value(void)
{
	uint64_t	 r = next_rand();

	switch (r % 6) {
	case 0:
		return 0;
	case 1:
		return r >> 60;
	case 2:
		return (uint64_t)-1 - (r >> 62);
	case 3:
		return (uint64_t)1 << 63;
	case 4:
		return r >> (r >> 58);
	default:
		return next_rand();
	}
}

static const char	 sample[] = "sip:+15551234567@gw.example.net;user=ph";

/* Up to 4 conversions of one kind with text, widths and precisions. */
static void
random_case(int all_sizes)
{
	char		 fmt[256], *f = fmt;
	enum kind	 k = (enum kind)(next_rand() % K_NKIND);
	int		 nconv = 1 + (int)(next_rand() % 4);
	uint64_t	 v[4];
	const char	*s[4];

	for (int i = 0; i < 4; i++) {
		v[i] = rand_value();
		s[i] = sample + next_rand() % sizeof(sample);
	}
	for (int i = 0; i < nconv; i++) {
		uint64_t	 r = next_rand();
		const char	*c = convs[k][r % 4];

		f += sprintf(f, "%.*s", (int)((r >> 8) % 5), " a;\r\nb" +
		    (r >> 16) % 3);
		if ((r >> 20) % 7 == 0)
			f += sprintf(f, "%%%%");
		*f++ = '%';
		if ((r >> 24) % 3 == 0 && k != K_STR && *c != 'c')
			*f++ = '0';
		if ((r >> 28) % 2 == 0)
			f += sprintf(f, "%u", 1 + (unsigned)(r >> 32) % 44);
		if (k == K_STR && (r >> 40) % 3 == 0)
			f += sprintf(f, ".%u", (unsigned)(r >> 44) % 50);
		f += sprintf(f, "%s", c);
	}
	f += sprintf(f, "%s", "\r\n" + next_rand() % 3);
	*f = '\0';
#define RANDOM_CALL(T, a)	do {					\
	if (all_sizes) {						\
		SAME(fmt, (T)a[0], (T)a[1], (T)a[2], (T)a[3]);		\
	} else {							\
		int	 len_ = libc(NULL, 0, fmt, (T)a[0], (T)a[1],	\
		    (T)a[2], (T)a[3]);					\
		size_t	 sz_ = next_rand() % ((size_t)len_ + 3);	\
									\
		SAME_AT(sz_, fmt, (T)a[0], (T)a[1], (T)a[2], (T)a[3]);	\
		SAME_AT((size_t)len_ + 1, fmt, (T)a[0], (T)a[1],	\
		    (T)a[2], (T)a[3]);					\
	}								\
} while (0)
	switch (k) {
	case K_INT:
		RANDOM_CALL(int, v);
		break;
	case K_UINT:
		RANDOM_CALL(unsigned, v);
		break;
	case K_LONG:
		RANDOM_CALL(long, v);
		break;
	case K_ULONG:
		RANDOM_CALL(unsigned long, v);
		break;
	case K_LLONG:
		RANDOM_CALL(long long, v);
		break;
	case K_ULLONG:
		RANDOM_CALL(unsigned long long, v);
		break;
	case K_SIZE:
		RANDOM_CALL(size_t, v);
		break;
	case K_SSIZE:
		RANDOM_CALL(ssize_t, v);
		break;
	default:
		RANDOM_CALL(const char *, s);
		break;
	}
#undef RANDOM_CALL
}

int
main(void)
{
	/* Forms left to the C library, each with arguments that fit. */
	static const char *const not_mine[] = {
		"%n", "a%nb", "%hd", "%hhu", "%jd", "%td", "%Lf", "%f",
		"%e", "%g", "%p", "%o", "%-5d", "%+d", "% d", "%#x", "%'d",
		"%*d", "%1$d", "%.3d", "%.*d", "%.0u", "%05s", "%ls", "%lc",
		"%05c", "%.2c", "%5%", "%l%", "%", "abc%", "%q", "%C", "%S",
		"%m", "%99999d", "%.99999s", "%lls", "%zc",
	};
	char		 big[700];
	const char	*seedenv = getenv("STRFMT_SEED");
	uint64_t	 seed;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	/* The encoders of sofia-sip and su_sprintf() (msg_prepare()). */
	SAME("%s %s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s %s\r\n", "MESSAGE",
	    "sip:", "", "+15551234567", "", "", "@", "192.0.2.1", ":",
	    "5060", "", ";user=phone", "", "", "", "", "", "SIP/2.0");
	SAME("%u %s", 1u, "MESSAGE");
	SAME("%u %s", 4294967295u, "MESSAGE");
	SAME("%s %03u %s\r\n", "SIP/2.0", 200u, "OK");
	SAME("%s %03u %s\r\n", "SIP/2.0", 7u, "");
	SAME("%s %03u %s\r\n", "SIP/2.0", 1234u, "Long");
	SAME("%lu", 0ul);
	SAME("%lu", 1234567ul);
	SAME("%lu", ULONG_MAX);
	SAME("tag=%s", "a1b2c3d4e5f6");
	SAME("%s", "");
	SAME("%s", big);
	SAME("<%s>%s", big, big + 300);
	SAME("%.*s|%.*s|%.*s", 3, "abcdef", 0, "abc", -1, "whole");
	SAME("%.*s", 10, "abc");
	SAME("%.4s|%.s|%.10s", "abcdef", "abc", "ab");
	SAME("%%|%%%%|100%%", 0);
	SAME("%c%c%c", 'a', 0, 255);
	SAME("[%5c][%1c]", 'z', 'y');
	SAME("[%8s][%2s][%08d]", "abc", "abcdef", -42);
	/* Every integer conversion and modifier at its edges. */
	SAME("%d %d %d %d %i", 0, -1, INT_MIN, INT_MAX, INT_MIN);
	SAME("%u %u %x %X %x", 0u, UINT_MAX, UINT_MAX, 0xabcdefu, 0u);
	SAME("%ld %ld %ld %li", 0l, -1l, LONG_MIN, LONG_MAX);
	SAME("%lu %lx %lX", ULONG_MAX, ULONG_MAX, 0xdeadbeeful);
	SAME("%lld %lld %lli", LLONG_MIN, LLONG_MAX, -7ll);
	SAME("%llu %llx %llX", ULLONG_MAX, ULLONG_MAX, 0ull);
	SAME("%zu %zx %zd %zi", SIZE_MAX, SIZE_MAX, (ssize_t)-1,
	    (ssize_t)SSIZE_MAX);
	SAME("%03u|%03u|%03u|%3u|%1u|%0u", 0u, 5u, 12345u, 7u, 99u, 3u);
	SAME("%05d|%5d|%05d|%5d|%02d", -1, -1, INT_MIN, INT_MIN, -5);
	SAME("%020lld|%20llu|%08x|%8X|%016lx", LLONG_MIN, ULLONG_MAX,
	    0xbeefu, 0xbeefu, ULONG_MAX);
	SAME("%000007d|%0010zu", 42, (size_t)42);
	SAME("%s", "no conversion at all, \r\n and a tab\t");
	is_int(nfail, 0, "the C library's return and bytes at every size, "
	    "%u cases of the table", ncases);

	seed = seedenv != NULL ? strtoull(seedenv, NULL, 0) :
	    (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;
	if (seed == 0)
		seed = 1;
	rng = seed;
	diag("random formats: STRFMT_SEED=%llu", (unsigned long long)seed);
	ncases = nfail = 0;
	for (int i = 0; i < 3000; i++)
		random_case(1);
	for (int i = 0; i < 300000; i++)
		random_case(0);
	is_int(nfail, 0, "the C library's return and bytes, %u random "
	    "cases", ncases);

	nfail = 0;
	for (size_t i = 0; i < sizeof(not_mine) / sizeof(not_mine[0]); i++) {
		int	 sink = 0;
		int	 r;

		r = mine(got, sizeof(got), not_mine[i], 1, &sink);
		if (r != STRFMT_NOT_MINE) {
			nfail++;
			diag("\"%s\": %d, not STRFMT_NOT_MINE", not_mine[i],
			    r);
		}
	}
	if (mine(got, sizeof(got), "%s", (const char *)NULL) !=
	    STRFMT_NOT_MINE || mine(got, sizeof(got), "%.3s",
	    (const char *)NULL) != STRFMT_NOT_MINE)
		nfail++;
	is_int(nfail, 0, "every other form and a NULL %%s: STRFMT_NOT_MINE");
	memcpy(got, "untouched", 10);
	ok(mine(NULL, 0, "%s%u", "abc", 12u) == 5 &&
	    mine(got, 0, "%s", "abc") == 3 && strcmp(got, "untouched") == 0,
	    "size 0: the length, nothing written (NULL allowed)");
	return done_testing();
}
