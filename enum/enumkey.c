/*
 * enum/enumkey.c - the RFC 6116 first key of an AUS.
 *
 * Called by enum/enumq once per suffix, before the walk's first query.
 * Moved here from routing/e164 so that enum/ does not include routing/.
 */
#include <string.h>

#include "enum/enumkey.h"

int
enumkey_first(const char *aus, const char *suffix, char *out, size_t outsz)
{
	size_t	 nd, slen, need, i, n;

	if (out != NULL && outsz > 0)
		out[0] = '\0';
	if (aus == NULL || suffix == NULL || out == NULL || aus[0] != '+')
		return -1;
	/* The digits are checked as they are written, below. */
	if ((nd = strlen(aus + 1)) == 0)
		return -1;

	slen = strlen(suffix);
	if (slen > 0 && suffix[slen - 1] == '.')
		slen--;
	if (slen > 0 && suffix[0] == '.')
		return -1;
	for (i = 0; i + 1 < slen; i++)
		if (suffix[i] == '.' && suffix[i + 1] == '.')
			return -1;

	/* "d." per digit, then the suffix and its dot, then NUL */
	need = 2 * nd + (slen > 0 ? slen + 1 : 0) + 1;
	if (outsz < need)
		return -1;
	n = 0;
	for (i = nd; i > 0; i--) {
		if (aus[i] < '0' || aus[i] > '9') {
			out[0] = '\0';
			return -1;
		}
		out[n++] = aus[i];
		out[n++] = '.';
	}
	if (slen > 0) {
		memcpy(out + n, suffix, slen);
		n += slen;
		out[n++] = '.';
	}
	out[n] = '\0';
	return 0;
}
