/*
 * tests/unit/test_dialplan.c - national dialling to E.164.
 *
 * Drives routing/dialplan with dial plans built in code: NANP (US), UK,
 * Germany, Australia (international prefix 0011), a plan without a trunk
 * prefix, broken plans, and no plan at all.  Each row is the dialled
 * string, the expected status and the AUS; together they walk every rule
 * (separators, "+" numbers, international prefix, trunk prefix + NSN,
 * bare NSN, the trunk-before-bare order, length limits, junk).  TAP.
 */
#include <stdio.h>
#include <string.h>

#include "routing/dialplan.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct conf_dialplan plan_us, plan_uk, plan_de, plan_au, plan_it;
static struct conf_dialplan plan_nocc, plan_badcc, plan_minzero;
static struct conf_dialplan plan_toolong, plan_copy;

static void
mkplan(struct conf_dialplan *dp, const char *name, const char *cc,
    const char *np, const char *ip, int minl, int maxl)
{
	memset(dp, 0, sizeof(*dp));
	snprintf(dp->name, sizeof(dp->name), "%s", name);
	snprintf(dp->country_code, sizeof(dp->country_code), "%s", cc);
	snprintf(dp->national_prefix, sizeof(dp->national_prefix), "%s", np);
	snprintf(dp->international_prefix, sizeof(dp->international_prefix),
	    "%s", ip);
	dp->min_length = minl;
	dp->max_length = maxl;
}

static void
setup(void)
{
	mkplan(&plan_us, "us", "1", "1", "011", 10, 10);
	mkplan(&plan_uk, "uk", "44", "0", "00", 9, 10);
	mkplan(&plan_de, "de", "49", "0", "00", 5, 11);
	mkplan(&plan_au, "au", "61", "0", "0011", 9, 9);
	mkplan(&plan_it, "it", "39", "", "00", 6, 11);
	mkplan(&plan_nocc, "nocc", "", "1", "011", 10, 10);
	mkplan(&plan_badcc, "badcc", "4a", "0", "00", 9, 10);
	mkplan(&plan_minzero, "minzero", "1", "", "011", 0, 3);
	mkplan(&plan_toolong, "toolong", "44", "0", "00", 9, 14);
}

struct dcase {
	const struct conf_dialplan	*dp;
	const char			*in;
	enum e164_status		 want;
	const char			*aus;
};

static const struct dcase cases[] = {
	/* US (NANP): bare NSN, trunk "1", international "011" */
	{ &plan_us, "2025550100", E164_OK, "+12025550100" },
	{ &plan_us, "12025550100", E164_OK, "+12025550100" },
	{ &plan_us, "011442079460148", E164_OK, "+442079460148" },
	{ &plan_us, "011 44 20 7946 0148", E164_OK, "+442079460148" },
	{ &plan_us, "(202) 555-0100", E164_OK, "+12025550100" },
	{ &plan_us, "202.555.0100", E164_OK, "+12025550100" },
	{ &plan_us, "1-202-555-0100", E164_OK, "+12025550100" },
	{ &plan_us, "1 (202) 555.0100", E164_OK, "+12025550100" },
	{ &plan_us, "555-0100", E164_NOT_E164, "" },
	{ &plan_us, "911", E164_NOT_E164, "" },
	{ &plan_us, "202555010", E164_NOT_E164, "" },
	{ &plan_us, "120255501001", E164_NOT_E164, "" },
	{ &plan_us, "011", E164_NOT_E164, "" },
	{ &plan_us, "0111234567890123456", E164_TOO_LONG, "" },
	{ &plan_us, "011123456789012345", E164_OK, "+123456789012345" },
	{ &plan_us, "1234567890123456", E164_TOO_LONG, "" },
	{ &plan_us, "1234567890123456789012345678901234567890",
	  E164_TOO_LONG, "" },
	/* "+" numbers are e164_parse()'s, whatever the plan */
	{ &plan_us, "+1 202 555 0100", E164_OK, "+12025550100" },
	{ &plan_us, "+44 (20) 7946-0148", E164_OK, "+442079460148" },
	{ &plan_us, "+1234567890123456", E164_TOO_LONG, "" },
	{ &plan_us, "1+2025550100", E164_INVALID_NUMBER, "" },
	{ &plan_us, "++12025550100", E164_INVALID_NUMBER, "" },
	{ &plan_us, "+", E164_INVALID_NUMBER, "" },
	/* junk */
	{ &plan_us, "+1-800-FLOWERS", E164_INVALID_NUMBER, "" },
	{ &plan_us, "1800FLOWERS", E164_INVALID_NUMBER, "" },
	{ &plan_us, "202555010a", E164_INVALID_NUMBER, "" },
	{ &plan_us, "*67 202 555 0100", E164_INVALID_NUMBER, "" },
	{ &plan_us, "2025550100#", E164_INVALID_NUMBER, "" },
	{ &plan_us, "sip:2025550100@pbx", E164_INVALID_NUMBER, "" },
	{ &plan_us, "202\t555 0100", E164_INVALID_NUMBER, "" },
	{ &plan_us, "---", E164_INVALID_NUMBER, "" },
	{ &plan_us, " ", E164_INVALID_NUMBER, "" },
	{ &plan_us, "", E164_INVALID_NUMBER, "" },

	/* UK: trunk "0", international "00", NSN 9..10 */
	{ &plan_uk, "02079460148", E164_OK, "+442079460148" },
	{ &plan_uk, "020 7946 0148", E164_OK, "+442079460148" },
	{ &plan_uk, "2079460148", E164_OK, "+442079460148" },
	{ &plan_uk, "00 1 202 555 0100", E164_OK, "+12025550100" },
	{ &plan_uk, "0044 20 7946 0148", E164_OK, "+442079460148" },
	{ &plan_uk, "0161 496 0000", E164_OK, "+441614960000" },
	{ &plan_uk, "07700 900123", E164_OK, "+447700900123" },
	{ &plan_uk, "0800 123 456", E164_OK, "+44800123456" },
	/* trunk reading beats the bare 10-digit NSN reading */
	{ &plan_uk, "0123456789", E164_OK, "+44123456789" },
	{ &plan_uk, "12345", E164_NOT_E164, "" },
	{ &plan_uk, "0", E164_NOT_E164, "" },
	{ &plan_uk, "00", E164_NOT_E164, "" },
	{ &plan_uk, "011442079460148", E164_NOT_E164, "" },

	/* Germany: variable length NSN */
	{ &plan_de, "030 1234567", E164_OK, "+49301234567" },
	{ &plan_de, "0049 30 1234567", E164_OK, "+49301234567" },
	{ &plan_de, "089 12345", E164_OK, "+498912345" },
	{ &plan_de, "1234", E164_NOT_E164, "" },

	/* Australia: "0011" international, "00" is not */
	{ &plan_au, "0011 1 202 555 0100", E164_OK, "+12025550100" },
	{ &plan_au, "02 9876 5432", E164_OK, "+61298765432" },
	{ &plan_au, "298765432", E164_OK, "+61298765432" },
	{ &plan_au, "0012025550100", E164_NOT_E164, "" },

	/* no trunk prefix: the leading 0 belongs to the NSN */
	{ &plan_it, "06 1234 5678", E164_OK, "+390612345678" },
	{ &plan_it, "00 33 1 23 45 67 89", E164_OK, "+33123456789" },
	{ &plan_it, "12345", E164_NOT_E164, "" },

	/* broken country codes disable the national rules only */
	{ &plan_nocc, "2025550100", E164_NOT_E164, "" },
	{ &plan_nocc, "12025550100", E164_NOT_E164, "" },
	{ &plan_nocc, "011442079460148", E164_OK, "+442079460148" },
	{ &plan_badcc, "02079460148", E164_NOT_E164, "" },
	{ &plan_badcc, "0033123456789", E164_OK, "+33123456789" },

	/* min_length 0 counts as 1 */
	{ &plan_minzero, "7", E164_OK, "+17" },
	{ &plan_minzero, "1234", E164_NOT_E164, "" },

	/* country code + NSN over 15 digits */
	{ &plan_toolong, "012345678901234", E164_TOO_LONG, "" },
	{ &plan_toolong, "0123456789012", E164_OK, "+44123456789012" },

	/* no plan: only "+" numbers */
	{ NULL, "+12025550100", E164_OK, "+12025550100" },
	{ NULL, "2025550100", E164_NOT_E164, "" },
	{ NULL, "1234567890123456", E164_TOO_LONG, "" },
	{ NULL, "abc", E164_INVALID_NUMBER, "" },
};

static void
test_table(void)
{
	char	 aus[E164_AUS_MAX];
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++) {
		const struct dcase *c = &cases[i];
		enum e164_status st;

		memset(aus, 'x', sizeof(aus));
		st = dialplan_normalize(c->dp, c->in, strlen(c->in), aus,
		    sizeof(aus));
		is_str(e164_strstatus(st), e164_strstatus(c->want),
		    "%s \"%s\": status", c->dp != NULL ? c->dp->name : "none",
		    c->in);
		is_str(aus, c->aus, "%s \"%s\": AUS",
		    c->dp != NULL ? c->dp->name : "none", c->in);
	}
}

static void
test_edges(void)
{
	char			 aus[E164_AUS_MAX], tiny[12];
	const char		 withnul[] = "202\0" "5550100";
	enum e164_status	 st;

	/* Length-delimited input: the bytes past inlen are not read. */
	st = dialplan_normalize(&plan_us, "2025550100999", 10, aus,
	    sizeof(aus));
	is_int(st, E164_OK, "inlen bounds the input");
	is_str(aus, "+12025550100", "inlen bounds the input: AUS");

	st = dialplan_normalize(&plan_us, withnul, sizeof(withnul) - 1, aus,
	    sizeof(aus));
	is_int(st, E164_INVALID_NUMBER, "NUL inside the input is junk");

	/* "+12025550100" needs 13 bytes. */
	memset(tiny, 'x', sizeof(tiny));
	st = dialplan_normalize(&plan_us, "2025550100", 10, tiny,
	    sizeof(tiny));
	is_int(st, E164_NO_SPACE, "12-byte buffer is too small");
	is_str(tiny, "", "12-byte buffer left empty");
	st = dialplan_normalize(&plan_us, "2025550100", 10, aus, 13);
	is_int(st, E164_OK, "13-byte buffer is enough");
	st = dialplan_normalize(&plan_us, "+12025550100", 12, tiny,
	    sizeof(tiny));
	is_int(st, E164_NO_SPACE, "12-byte buffer too small for \"+\" form");
	st = dialplan_normalize(&plan_us, "2025550100", 10, NULL, 0);
	is_int(st, E164_NO_SPACE, "NULL buffer");

	st = dialplan_normalize(&plan_us, NULL, 0, aus, sizeof(aus));
	is_int(st, E164_INVALID_NUMBER, "NULL input");

	/* A prefix array without its NUL is not trusted. */
	memcpy(&plan_copy, &plan_us, sizeof(plan_copy));
	memset(plan_copy.international_prefix, '0',
	    sizeof(plan_copy.international_prefix));
	st = dialplan_normalize(&plan_copy, "00000000442079460148", 20, aus,
	    sizeof(aus));
	is_int(st, E164_TOO_LONG, "unterminated international prefix "
	    "ignored");

	/* The plan is read only. */
	memcpy(&plan_copy, &plan_uk, sizeof(plan_copy));
	(void)dialplan_normalize(&plan_uk, "02079460148", 11, aus,
	    sizeof(aus));
	ok(memcmp(&plan_copy, &plan_uk, sizeof(plan_uk)) == 0,
	    "plan left untouched");
}

int
main(void)
{
	setup();
	test_table();
	test_edges();
	return done_testing();
}
