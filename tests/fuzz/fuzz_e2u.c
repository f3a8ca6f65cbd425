/*
 * tests/fuzz/fuzz_e2u.c - libFuzzer target for enum/e2u.
 *
 * The REGEXP field of a NAPTR comes from whoever runs the zone, so
 * e2u_apply() must survive anything.  The input is split at its first NUL
 * byte: before it the field (passed by length, not NUL-terminated, so an
 * over-read shows up under ASan), after it the AUS (at most 64 bytes;
 * real ones have 16).  Without a NUL the fixed AUS "+12025550100" is
 * used.  The output buffer size varies with the input length to exercise
 * the bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enum/e2u.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_AUS_MAX	64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*nul;
	char		 aus[FUZZ_AUS_MAX + 1];
	char		 out[E2U_MAX_LEN + 1];
	enum e2u_status	 st;
	size_t		 rlen, alen, outsz;

	nul = memchr(data, 0, size);
	if (nul != NULL) {
		rlen = (size_t)(nul - data);
		alen = size - rlen - 1;
		if (alen > FUZZ_AUS_MAX)
			alen = FUZZ_AUS_MAX;
		memcpy(aus, nul + 1, alen);
		aus[alen] = '\0';
	} else {
		rlen = size;
		memcpy(aus, "+12025550100", sizeof("+12025550100"));
	}

	outsz = 1 + size % sizeof(out);
	memset(out, 'X', sizeof(out));
	st = e2u_apply((const char *)data, rlen, aus, out, outsz);
	if (e2u_strstatus(st) == NULL)
		abort();
	if (memchr(out, '\0', outsz) == NULL)
		abort();
	if (st != E2U_OK && out[0] != '\0')
		abort();
	if (st == E2U_OK && strlen(out) > E2U_MAX_LEN)
		abort();

	st = e2u_apply((const char *)data, rlen, aus, out, sizeof(out));
	if (memchr(out, '\0', sizeof(out)) == NULL)
		abort();
	if (st != E2U_OK && out[0] != '\0')
		abort();
	return 0;
}
