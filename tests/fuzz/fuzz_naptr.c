/*
 * tests/fuzz/fuzz_naptr.c - libFuzzer target for enum/naptr.
 *
 * Builds NAPTR records from arbitrary bytes the way gateway DNS parsing
 * would hand them over: the input is split at NUL bytes into services,
 * regexp, flags and replacement (missing fields are "" and "."), each at
 * most 255 octets like a DNS character-string.  The record is classified
 * and evaluated under two policies (the defaults, and a permissive one
 * with loose delimiters and private types), the helper predicates are run
 * on every field, and the input bytes also drive naptr_sort(), whose
 * result is checked for order and stability.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enum/e2u.h"
#include "enum/naptr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_FIELDS	4
#define FUZZ_FIELD_MAX	255

static void	fuzz_naptr_eval(const struct naptr_rr *,
		    const struct naptr_policy *);
static void	fuzz_naptr_sort(const uint8_t *, size_t);

static void
fuzz_naptr_eval(const struct naptr_rr *rr, const struct naptr_policy *p)
{
	struct naptr_result	 res;
	enum naptr_verdict	 v;
	char			 uri[E2U_MAX_LEN + 1];
	char			 type[NAPTR_TYPE_MAX];

	(void)naptr_flag_kind(rr->flags);
	v = naptr_pick_service(rr->services, p, type);
	if (v != NAPTR_OK && type[0] != '\0')
		abort();
	if (strlen(type) >= NAPTR_TYPE_MAX)
		abort();

	v = naptr_evaluate(rr, "+12025550100", p, uri, sizeof(uri), &res);
	if (naptr_strverdict(v, res.e2u_status) == NULL)
		abort();
	if (v == NAPTR_OK && !naptr_is_absolute_uri(uri))
		abort();
	if (v != NAPTR_OK && uri[0] != '\0')
		abort();
	if (v == NAPTR_OK && strcmp(res.enumservice, type) != 0)
		abort();

	/* a small buffer must fail cleanly, never overflow */
	v = naptr_evaluate(rr, "+1", p, uri, 8, &res);
	if (memchr(uri, '\0', 8) == NULL)
		abort();
	(void)v;
}

/* Up to 16 records keyed by input bytes; sorted, stable. */
static void
fuzz_naptr_sort(const uint8_t *data, size_t size)
{
	struct naptr_rr		 rr[16];
	const struct naptr_rr	*v[16];
	size_t			 n, i;

	n = size / 2 < 16 ? size / 2 : 16;
	memset(rr, 0, sizeof(rr));
	for (i = 0; i < n; i++) {
		rr[i].order = data[2 * i] % 4;
		rr[i].preference = data[2 * i + 1] % 4;
		rr[i].index = (uint16_t)i;
		v[i] = &rr[i];
	}
	naptr_sort(v, n);
	for (i = 1; i < n; i++) {
		if (v[i - 1]->order > v[i]->order)
			abort();
		if (v[i - 1]->order == v[i]->order &&
		    v[i - 1]->preference > v[i]->preference)
			abort();
		if (v[i - 1]->order == v[i]->order &&
		    v[i - 1]->preference == v[i]->preference &&
		    v[i - 1]->index > v[i]->index)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			 field[FUZZ_FIELDS][FUZZ_FIELD_MAX + 1];
	struct naptr_policy	 def, loose;
	struct naptr_rr		 rr;
	size_t			 i, f, n;

	f = n = 0;
	memset(field, 0, sizeof(field));
	for (i = 0; i < size && f < FUZZ_FIELDS; i++) {
		if (data[i] == '\0') {
			field[f++][n] = '\0';
			n = 0;
			continue;
		}
		if (n < FUZZ_FIELD_MAX)
			field[f][n++] = (char)data[i];
	}
	if (f < FUZZ_FIELDS)
		field[f][n] = '\0';
	if (f < 3)
		memcpy(field[3], ".", 2);

	memset(&rr, 0, sizeof(rr));
	rr.order = 100;
	rr.preference = 10;
	rr.services = field[0];
	rr.regexp = field[1];
	rr.flags = field[2];
	rr.replacement = field[3];

	naptr_policy_default(&def);
	naptr_policy_default(&loose);
	loose.accept[1] = "sip";
	loose.accept[2] = "xmpp";
	loose.accept[3] = "p-im";
	loose.accept[4] = "web";
	loose.naccept = 5;
	loose.allow_private = true;
	loose.strict_delimiters = false;
	loose.accept_legacy = false;
	loose.require_scheme_match = false;

	fuzz_naptr_eval(&rr, &def);
	fuzz_naptr_eval(&rr, &loose);
	for (i = 0; i < FUZZ_FIELDS; i++) {
		(void)naptr_is_absolute_uri(field[i]);
		(void)naptr_valid_replacement(field[i]);
	}
	fuzz_naptr_sort(data, size);
	return 0;
}
