/*
 * tests/fuzz/fuzz_e164.c - libFuzzer target for routing/e164.
 *
 * Feeds arbitrary bytes, as a destination received from a peer, to the
 * first stage of the flow: e164_parse() with every form enabled, a tight
 * output buffer and a generous one, then enumkey_first() on whatever AUS
 * comes out.  Invariants are checked with abort() so that a wrong answer
 * is reported like a crash.  Built with clang -fsanitize=fuzzer, or
 * replayed over tests/fuzz/corpus/e164 by tests/fuzz/fuzz_replay.c.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enum/enumkey.h"
#include "routing/e164.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	fuzz_e164_check(const char *, size_t, unsigned, unsigned,
		    size_t);

/* A successful parse yields '+' and 1..max_digits digits, else "". */
static void
fuzz_e164_check(const char *in, size_t len, unsigned forms,
    unsigned max_digits, size_t aussz)
{
	char			 aus[64], key[ENUMKEY_MAX];
	enum e164_status	 st;
	size_t			 i, n;

	memset(aus, 'X', sizeof(aus));
	st = e164_parse(in, len, forms, max_digits, aus, aussz);
	if (e164_strstatus(st) == NULL)
		abort();
	if (st != E164_OK) {
		if (aussz > 0 && aus[0] != '\0')
			abort();
		return;
	}
	n = strlen(aus);
	if (n < 2 || n > max_digits + 1 || n >= aussz || aus[0] != '+')
		abort();
	for (i = 1; i < n; i++)
		if (aus[i] < '0' || aus[i] > '9')
			abort();
	if (enumkey_first(aus, "e164.arpa.", key, sizeof(key)) != 0 ||
	    strlen(key) != 2 * (n - 1) + strlen("e164.arpa."))
		abort();
	if (enumkey_first(aus, "e164.arpa.", key, 2 * (n - 1) +
	    strlen("e164.arpa.")) != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data;

	fuzz_e164_check(in, size, E164_FORM_ALL, 15, 64);
	fuzz_e164_check(in, size, E164_FORM_ALL, 15, 8);
	fuzz_e164_check(in, size, E164_FORM_PLAIN | E164_FORM_TEL |
	    E164_FORM_SIP_USER_PHONE, 40, 64);
	fuzz_e164_check(in, size, E164_FORM_SIP_PLUS, 3, 64);
	return 0;
}
