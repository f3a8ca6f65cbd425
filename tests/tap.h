/*
 * tests/tap.h - a tiny header-only TAP producer for the unit tests.
 *
 * Sits beside the flow rather than in it: every tests/unit/test_*.c binary
 * includes it once and prints the Test Anything Protocol that automake's
 * tap-driver.sh reads under "make check".
 *
 *	plan(n);			optional: print "1..n" up front
 *	ok(cond, "fmt", ...);		one test point
 *	is_int(got, want, "fmt", ...);	integers, with a diagnostic on failure
 *	is_str(got, want, "fmt", ...);	strings (NULL-safe), likewise
 *	diag("fmt", ...);		"# ..." comment line
 *	return done_testing();		"1..N" if there was no plan; exit code
 *
 * done_testing() returns 1 when a point failed or the plan was not met, 0
 * otherwise.  The counters are file-scope statics, so include this header
 * from exactly one translation unit per binary.
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__) || defined(__clang__)
#define TAP_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define TAP_PRINTF(f, a)
#endif

/* One counter set per test binary. */
struct tap_state {
	int	 planned;	/* -1 until plan() */
	int	 run;
	int	 failed;
};

static struct tap_state tap_st = { -1, 0, 0 };

static inline void
tap_plan(int n)
{
	tap_st.planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void TAP_PRINTF(1, 2)
tap_diag(const char *fmt, ...)
{
	va_list	 ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static inline int
tap_vok(int pass, const char *file, int line, const char *fmt, va_list ap)
    TAP_PRINTF(4, 0);

static inline int
tap_vok(int pass, const char *file, int line, const char *fmt, va_list ap)
{
	tap_st.run++;
	printf("%sok %d - ", pass ? "" : "not ", tap_st.run);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	if (!pass) {
		tap_st.failed++;
		printf("#   Failed test at %s line %d.\n", file, line);
	}
	fflush(stdout);
	return pass;
}

static inline int TAP_PRINTF(4, 5)
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	pass = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	return pass;
}

static inline int TAP_PRINTF(5, 6)
tap_is_int(long long got, long long want, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 pass;

	pass = got == want;
	va_start(ap, fmt);
	tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		tap_diag("       got: %lld\n#   expected: %lld", got, want);
	return pass;
}

static inline int TAP_PRINTF(5, 6)
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 pass;

	if (got == NULL || want == NULL)
		pass = got == want;
	else
		pass = strcmp(got, want) == 0;
	va_start(ap, fmt);
	tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		tap_diag("       got: \"%s\"\n#   expected: \"%s\"",
		    got != NULL ? got : "(null)",
		    want != NULL ? want : "(null)");
	return pass;
}

static inline int
tap_done(void)
{
	if (tap_st.planned < 0)
		printf("1..%d\n", tap_st.run);
	else if (tap_st.planned != tap_st.run)
		tap_diag("planned %d tests but ran %d", tap_st.planned,
		    tap_st.run);
	if (tap_st.failed > 0)
		tap_diag("failed %d of %d tests", tap_st.failed, tap_st.run);
	fflush(stdout);
	return tap_st.failed > 0 ||
	    (tap_st.planned >= 0 && tap_st.planned != tap_st.run);
}

#define plan(n)			tap_plan(n)
#define ok(cond, ...)		tap_ok(!!(cond), __FILE__, __LINE__, \
				    __VA_ARGS__)
#define is_int(got, want, ...)	tap_is_int((long long)(got), \
				    (long long)(want), __FILE__, __LINE__, \
				    __VA_ARGS__)
#define is_str(got, want, ...)	tap_is_str((got), (want), __FILE__, \
				    __LINE__, __VA_ARGS__)
#define diag(...)		tap_diag(__VA_ARGS__)
#define done_testing()		tap_done()

#endif /* TESTS_TAP_H */
