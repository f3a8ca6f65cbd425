/*
 * tests/unit/test_naptr.c - table-driven tests of enum/naptr.
 *
 * The record-level half of the ENUM step: flag classes, the stable
 * (order, preference) sort, Services parsing (compound, legacy, P-, X-,
 * case), naptr_evaluate() verdicts and reason strings, the absolute-URI
 * and replacement checks, and a small walk over every single-RRset kind
 * "enum" vector of tests/integration/vectors-public.json that asserts the
 * selected record, URI, enumservice and discard reasons.  Output is TAP.
 */
#include <stdio.h>
#include <string.h>

#include "enum/e2u.h"
#include "enum/naptr.h"
#include "tests/tap.h"

#define AUS_US	"+12025550100"
#define AUS_UK	"+441632960083"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Client policies used by the tables; POL_DEF is the built-in default
 * (docs/resolution-policy.md). */
enum pol {
	POL_DEF,	/* im; legacy on; private off; strict; schemes */
	POL_IMSIP,	/* im, sip (ENUM-003) */
	POL_IMSIPXMPP,	/* im, sip, xmpp (ENUM-017) */
	POL_NOLEGACY,	/* im, sip; accept_legacy off */
	POL_PIM,	/* im, p-im; allow_private off (ENUM-025) */
	POL_PIM_PRIV,	/* im, p-im; allow_private on */
	POL_XIM,	/* im, x-im: X- types are still ignored */
	POL_ALL,	/* im sip xmpp pres web h323 email */
	POL_LOOSE,	/* im; strict_delimiters off */
	POL_NOSCHEME	/* im; require_scheme_match off */
};

static void	make_policy(enum pol, struct naptr_policy *);

static void
make_policy(enum pol which, struct naptr_policy *p)
{
	naptr_policy_default(p);
	switch (which) {
	case POL_DEF:
		break;
	case POL_IMSIP:
		p->accept[1] = "sip";
		p->naccept = 2;
		break;
	case POL_IMSIPXMPP:
		p->accept[1] = "sip";
		p->accept[2] = "xmpp";
		p->naccept = 3;
		break;
	case POL_NOLEGACY:
		p->accept[1] = "sip";
		p->naccept = 2;
		p->accept_legacy = false;
		break;
	case POL_PIM:
		p->accept[1] = "p-im";
		p->naccept = 2;
		break;
	case POL_PIM_PRIV:
		p->accept[1] = "p-im";
		p->naccept = 2;
		p->allow_private = true;
		break;
	case POL_XIM:
		p->accept[1] = "x-im";
		p->naccept = 2;
		break;
	case POL_ALL:
		p->accept[1] = "sip";
		p->accept[2] = "xmpp";
		p->accept[3] = "pres";
		p->accept[4] = "web";
		p->accept[5] = "h323";
		p->accept[6] = "email";
		p->naccept = 7;
		break;
	case POL_LOOSE:
		p->strict_delimiters = false;
		break;
	case POL_NOSCHEME:
		p->require_scheme_match = false;
		break;
	}
}

/* ---- naptr_policy_default ------------------------------------------ */

static void
test_policy_default(void)
{
	struct naptr_policy	 p;

	memset(&p, 0xa5, sizeof(p));
	naptr_policy_default(&p);
	is_int(p.naccept, 1, "default: one accepted type");
	is_str(p.accept[0], "im", "default: accepts im");
	ok(p.accept[1] == NULL, "default: rest of accept[] cleared");
	ok(p.accept_legacy, "default: accept_legacy");
	ok(!p.allow_private, "default: no private types");
	ok(p.require_scheme_match, "default: require_scheme_match");
	ok(p.strict_delimiters, "default: strict_delimiters");
	is_int(p.max_chain, 5, "default: max_chain 5");
}

/* ---- naptr_flag_kind ------------------------------------------------ */

struct flag_case {
	const char		*flags;
	enum naptr_flag_kind	 kind;
};

static const struct flag_case flag_cases[] = {
	{ "u", NAPTR_TERMINAL_U },
	{ "U", NAPTR_TERMINAL_U },
	{ "", NAPTR_NONTERMINAL },
	{ NULL, NAPTR_NONTERMINAL },
	{ "s", NAPTR_UNKNOWN_FLAG },
	{ "a", NAPTR_UNKNOWN_FLAG },
	{ "p", NAPTR_UNKNOWN_FLAG },
	{ "us", NAPTR_UNKNOWN_FLAG },
	{ "uu", NAPTR_UNKNOWN_FLAG },
	{ "u ", NAPTR_UNKNOWN_FLAG },
	{ "0", NAPTR_UNKNOWN_FLAG },
};

static void
test_flag_kind(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(flag_cases); i++)
		is_int(naptr_flag_kind(flag_cases[i].flags), flag_cases[i].kind,
		    "flag_kind(%s%s%s)", flag_cases[i].flags ? "\"" : "",
		    flag_cases[i].flags ? flag_cases[i].flags : "NULL",
		    flag_cases[i].flags ? "\"" : "");
}

/* ---- naptr_sort ------------------------------------------------------ */

struct sort_case {
	const char	*name;
	size_t		 n;
	uint16_t	 key[10][2];	/* order, preference as served */
	const char	*want;		/* served indexes after sorting */
};

static const struct sort_case sort_cases[] = {
	{ "ENUM-015 order beats preference", 3,
	    { { 100, 20 }, { 100, 10 }, { 90, 50 } }, "210" },
	{ "ENUM-017 full tie keeps DNS order", 3,
	    { { 100, 10 }, { 100, 10 }, { 100, 10 } }, "012" },
	{ "ENUM-003 already sorted", 3,
	    { { 100, 50 }, { 100, 51 }, { 100, 52 } }, "012" },
	{ "reverse", 4, { { 4, 0 }, { 3, 0 }, { 2, 0 }, { 1, 0 } }, "3210" },
	{ "ties inside groups stay stable", 6,
	    { { 20, 5 }, { 10, 5 }, { 20, 5 }, { 10, 1 }, { 10, 5 },
	    { 20, 1 } }, "314502" },
	{ "ten with ties", 10,
	    { { 1, 1 }, { 0, 9 }, { 1, 1 }, { 0, 9 }, { 1, 0 }, { 0, 9 },
	    { 1, 1 }, { 0, 0 }, { 65535, 65535 }, { 0, 9 } }, "7135940268" },
	{ "one record", 1, { { 7, 7 } }, "0" },
	{ "empty set", 0, { { 0, 0 } }, "" },
};

static void
test_sort(void)
{
	const struct sort_case	*c;
	struct naptr_rr		 rr[10];
	const struct naptr_rr	*v[10];
	char			 got[11];
	size_t			 i, j;

	for (i = 0; i < NELEM(sort_cases); i++) {
		c = &sort_cases[i];
		memset(rr, 0, sizeof(rr));
		for (j = 0; j < c->n; j++) {
			rr[j].order = c->key[j][0];
			rr[j].preference = c->key[j][1];
			rr[j].index = (uint16_t)j;
			v[j] = &rr[j];
		}
		naptr_sort(v, c->n);
		for (j = 0; j < c->n; j++)
			got[j] = (char)('0' + v[j]->index);
		got[c->n] = '\0';
		is_str(got, c->want, "sort: %s", c->name);
	}
}

/* ---- naptr_pick_service ---------------------------------------------- */

struct svc_case {
	const char		*services;
	enum pol		 pol;
	enum naptr_verdict	 v;
	const char		*type;
};

static const struct svc_case svc_cases[] = {
	{ "E2U+im", POL_DEF, NAPTR_OK, "im" },
	{ "e2u+IM", POL_DEF, NAPTR_OK, "im" },		/* ENUM-019 */
	{ "E2u+Im", POL_DEF, NAPTR_OK, "im" },
	{ "E2U+im:foo", POL_DEF, NAPTR_OK, "im" },
	{ "E2U+im:foo:bar-2", POL_DEF, NAPTR_OK, "im" },
	{ "E2U+im:", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+im::x", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+im:s_b", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+:im", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+pres", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" }, /* -005 */
	{ "E2U+sip", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+sip", POL_IMSIP, NAPTR_OK, "sip" },		/* -003 */
	{ "E2U+h323", POL_IMSIP, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+email:mailto", POL_IMSIP, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	/* compound, left to right (ENUM-021) */
	{ "E2U+web:http+ft:ftp", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+web:http+im", POL_DEF, NAPTR_OK, "im" },
	{ "E2U+voice:tel+sms:tel+im", POL_DEF, NAPTR_OK, "im" },
	{ "E2U+sip+im", POL_DEF, NAPTR_OK, "im" },
	{ "E2U+sip+im", POL_IMSIP, NAPTR_OK, "sip" },
	{ "E2U+im+sip", POL_IMSIP, NAPTR_OK, "im" },
	{ "E2U+xmpp+sip+im", POL_IMSIPXMPP, NAPTR_OK, "xmpp" },
	{ "E2U+bad_one+im", POL_DEF, NAPTR_OK, "im" },
	{ "E2U++im", POL_DEF, NAPTR_OK, "im" },
	{ "E2U+im+", POL_DEF, NAPTR_OK, "im" },
	{ "E2U+\xc3\xa9+im", POL_DEF, NAPTR_OK, "im" },
	{ "E2U", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	/* not ENUM at all (ENUM-023) */
	{ "", POL_DEF, NAPTR_NOT_ENUM_SERVICES, "" },
	{ "X2U+im", POL_DEF, NAPTR_NOT_ENUM_SERVICES, "" },
	{ "SIP+D2U", POL_ALL, NAPTR_NOT_ENUM_SERVICES, "" },
	{ "SIPS+D2T", POL_ALL, NAPTR_NOT_ENUM_SERVICES, "" },
	{ "E2Ux+im", POL_DEF, NAPTR_NOT_ENUM_SERVICES, "" },
	{ "E2+im", POL_DEF, NAPTR_NOT_ENUM_SERVICES, "" },
	{ "E2U +im", POL_DEF, NAPTR_NOT_ENUM_SERVICES, "" },
	{ "im", POL_DEF, NAPTR_NOT_ENUM_SERVICES, "" },
	/* RFC 2916 legacy form (ENUM-026) */
	{ "sip+E2U", POL_IMSIP, NAPTR_OK, "sip" },
	{ "SIP+e2u", POL_IMSIP, NAPTR_OK, "sip" },
	{ "im+E2U", POL_DEF, NAPTR_OK, "im" },
	{ "sip+E2U", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "sip+E2U", POL_NOLEGACY, NAPTR_NOT_ENUM_SERVICES, "" },
	{ "E2U+sip", POL_NOLEGACY, NAPTR_OK, "sip" },
	{ "a+im+E2U", POL_DEF, NAPTR_NOT_ENUM_SERVICES, "" },
	{ "+E2U", POL_DEF, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	/* private and experimental types (ENUM-025) */
	{ "E2U+P-im", POL_PIM, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+P-im", POL_PIM_PRIV, NAPTR_OK, "p-im" },
	{ "E2U+p-IM:x", POL_PIM_PRIV, NAPTR_OK, "p-im" },
	{ "E2U+P-im+im", POL_PIM, NAPTR_OK, "im" },
	{ "E2U+X-im", POL_XIM, NAPTR_NO_ACCEPTABLE_SERVICE, "" },
	{ "E2U+x-im+im", POL_XIM, NAPTR_OK, "im" },
};

static void
test_pick_service(void)
{
	const struct svc_case	*c;
	struct naptr_policy	 p;
	enum naptr_verdict	 v;
	char			 type[NAPTR_TYPE_MAX], svc[256];
	size_t			 i, n;

	for (i = 0; i < NELEM(svc_cases); i++) {
		c = &svc_cases[i];
		make_policy(c->pol, &p);
		memset(type, 'X', sizeof(type));
		v = naptr_pick_service(c->services, &p, type);
		is_str(naptr_strverdict(v, 0), naptr_strverdict(c->v, 0),
		    "services \"%s\" (policy %d): verdict", c->services,
		    (int)c->pol);
		is_str(type, c->type, "services \"%s\": type", c->services);
	}

	/* subtype of exactly 32 octets is fine, 33 is not */
	make_policy(POL_DEF, &p);
	snprintf(svc, sizeof(svc), "E2U+im:%.32s", "abcdefghijklmnopqrstuvwxyz"
	    "0123456789");
	is_int(naptr_pick_service(svc, &p, type), NAPTR_OK,
	    "32-octet subtype accepted");
	snprintf(svc, sizeof(svc), "E2U+im:%.33s", "abcdefghijklmnopqrstuvwxyz"
	    "0123456789");
	is_int(naptr_pick_service(svc, &p, type),
	    NAPTR_NO_ACCEPTABLE_SERVICE, "33-octet subtype refused");

	/* at most NAPTR_MAX_SERVICES members are looked at */
	n = (size_t)snprintf(svc, sizeof(svc), "E2U");
	for (i = 0; i + 1 < NAPTR_MAX_SERVICES; i++)
		n += (size_t)snprintf(svc + n, sizeof(svc) - n, "+web");
	snprintf(svc + n, sizeof(svc) - n, "+im");
	is_int(naptr_pick_service(svc, &p, type), NAPTR_OK,
	    "im as member %d is found", NAPTR_MAX_SERVICES);
	snprintf(svc + n, sizeof(svc) - n, "+web+im");
	is_int(naptr_pick_service(svc, &p, type),
	    NAPTR_NO_ACCEPTABLE_SERVICE, "im as member %d is not looked at",
	    NAPTR_MAX_SERVICES + 1);

	is_int(naptr_pick_service(NULL, &p, type), NAPTR_NOT_ENUM_SERVICES,
	    "NULL services");
	is_int(naptr_pick_service("E2U+im", &p, NULL), NAPTR_OK,
	    "NULL type_out is allowed");
}

/* ---- naptr_evaluate -------------------------------------------------- */

struct eval_case {
	const char		*name;
	enum pol		 pol;
	const char		*services;
	const char		*regexp;
	const char		*replacement;
	const char		*aus;
	size_t			 urisz;		/* 0: E2U_MAX_LEN + 1 */
	enum naptr_verdict	 v;
	const char		*reason;
	const char		*uri;
	const char		*svc;
};

static const struct eval_case eval_cases[] = {
	{ "ENUM-001", POL_DEF, "E2U+im", "!^.*$!im:info@example.co.uk!", ".",
	    "+442079460148", 0, NAPTR_OK, "ok", "im:info@example.co.uk",
	    "im" },
	{ "ENUM-003", POL_IMSIP, "E2U+sip",
	    "!^(\\+441632960083)$!sip:\\1@example.com!", ".", AUS_UK, 0,
	    NAPTR_OK, "ok", "sip:+441632960083@example.com", "sip" },
	{ "ENUM-005 pres skipped", POL_DEF, "E2U+pres",
	    "!^.*$!pres:jon.peterson@example.net!", ".", AUS_UK, 0,
	    NAPTR_NO_ACCEPTABLE_SERVICE, "no-acceptable-enumservice", "",
	    "" },
	{ "ENUM-019 case", POL_DEF, "e2u+IM", "!^.*$!im:Alice@Example.COM!",
	    ".", AUS_US, 0, NAPTR_OK, "ok", "im:Alice@Example.COM", "im" },
	{ "ENUM-021 compound, none usable", POL_DEF, "E2U+web:http+ft:ftp",
	    "!^.*$!http://www.example.com/!", ".", AUS_US, 0,
	    NAPTR_NO_ACCEPTABLE_SERVICE, "no-acceptable-enumservice", "",
	    "" },
	{ "ENUM-023 X2U", POL_DEF, "X2U+im", "!^.*$!im:wrong@example.com!",
	    ".", AUS_US, 0, NAPTR_NOT_ENUM_SERVICES, "not-enum-services", "",
	    "" },
	{ "SIP+D2U", POL_DEF, "SIP+D2U", "", ".", AUS_US, 0,
	    NAPTR_NOT_ENUM_SERVICES, "not-enum-services", "", "" },
	{ "ENUM-025 P-im", POL_PIM, "E2U+P-im",
	    "!^.*$!im:private@corp.example!", ".", AUS_US, 0,
	    NAPTR_NO_ACCEPTABLE_SERVICE, "no-acceptable-enumservice", "",
	    "" },
	{ "P-im on its private network", POL_PIM_PRIV, "E2U+P-im",
	    "!^.*$!im:private@corp.example!", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "im:private@corp.example", "p-im" },
	{ "legacy sip+E2U", POL_IMSIP, "sip+E2U",
	    "!^\\+(.*)$!sip:\\1@example.com!", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "sip:12025550100@example.com", "sip" },
	{ "legacy sip+E2U, legacy off", POL_NOLEGACY, "sip+E2U",
	    "!^\\+(.*)$!sip:\\1@example.com!", ".", AUS_US, 0,
	    NAPTR_NOT_ENUM_SERVICES, "not-enum-services", "", "" },
	{ "ENUM-037", POL_DEF, "E2U+im", "!^.*$!im:broken@example.com", ".",
	    AUS_US, 0, NAPTR_REGEXP_ERROR, "regexp-delimiter-count", "", "im" },
	{ "ENUM-037, strict_delimiters off", POL_LOOSE, "E2U+im",
	    "!^.*$!im:broken@example.com", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "im:broken@example.com", "im" },
	{ "one delimiter, strict_delimiters off", POL_LOOSE, "E2U+im",
	    "!^.*$", ".", AUS_US, 0, NAPTR_REGEXP_ERROR,
	    "regexp-delimiter-count", "", "im" },
	{ "four delimiters, strict_delimiters off", POL_LOOSE, "E2U+im",
	    "!^.*$!im:a@b!!", ".", AUS_US, 0, NAPTR_REGEXP_ERROR,
	    "regexp-delimiter-count", "", "im" },
	{ "ENUM-039", POL_DEF, "E2U+im", "!^\\+(.*)$!im:\\2@example.com!",
	    ".", AUS_US, 0, NAPTR_REGEXP_ERROR, "bad-backref", "", "im" },
	{ "ENUM-041", POL_DEF, "E2U+im", "@^.*$@im:alice\\@example.com@",
	    ".", AUS_US, 0, NAPTR_OK, "ok", "im:alice@example.com", "im" },
	{ "ENUM-043", POL_DEF, "E2U+im", "!^.*$!im:x@example.com!g", ".",
	    AUS_US, 0, NAPTR_REGEXP_ERROR, "regexp-bad-flags", "", "im" },
	{ "ENUM-045", POL_DEF, "E2U+im",
	    "!^\\+441632960083$!im:other@example.com!", ".", AUS_US, 0,
	    NAPTR_REGEXP_ERROR, "no-match", "", "im" },
	{ "ENUM-047", POL_DEF, "E2U+im", "!^.*$!im:x@example.com!",
	    "bogus.example.", AUS_US, 0, NAPTR_REGEXP_AND_REPLACEMENT,
	    "regexp-and-replacement", "", "im" },
	{ "ENUM-049", POL_DEF, "E2U+im", "!^.*$!alice@example.com!", ".",
	    AUS_US, 0, NAPTR_NOT_ABSOLUTE_URI, "not-absolute-uri", "", "im" },
	{ "ENUM-050 wrong scheme for im", POL_DEF, "E2U+im",
	    "!^.*$!sip:alice@example.com!", ".", AUS_US, 0,
	    NAPTR_WRONG_SCHEME, "wrong-scheme", "", "im" },
	{ "scheme check off", POL_NOSCHEME, "E2U+im",
	    "!^.*$!sip:alice@example.com!", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "sip:alice@example.com", "im" },
	{ "scheme compared case-insensitively", POL_DEF, "E2U+im",
	    "!^.*$!IM:alice@example.com!", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "IM:alice@example.com", "im" },
	{ "im: prefix is not im", POL_DEF, "E2U+im",
	    "!^.*$!imx:alice@example.com!", ".", AUS_US, 0,
	    NAPTR_WRONG_SCHEME, "wrong-scheme", "", "im" },
	{ "sip accepts sips:", POL_IMSIP, "E2U+sip",
	    "!^.*$!sips:alice@example.com!", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "sips:alice@example.com", "sip" },
	{ "sip refuses tel:", POL_IMSIP, "E2U+sip",
	    "!^.*$!tel:+12025550100!", ".", AUS_US, 0, NAPTR_WRONG_SCHEME,
	    "wrong-scheme", "", "sip" },
	{ "xmpp wants xmpp:", POL_ALL, "E2U+xmpp",
	    "!^.*$!xmpp:alice@example.com!", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "xmpp:alice@example.com", "xmpp" },
	{ "xmpp refuses im:", POL_ALL, "E2U+xmpp",
	    "!^.*$!im:alice@example.com!", ".", AUS_US, 0, NAPTR_WRONG_SCHEME,
	    "wrong-scheme", "", "xmpp" },
	{ "pres wants pres:", POL_ALL, "E2U+pres",
	    "!^.*$!pres:alice@example.com!", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "pres:alice@example.com", "pres" },
	{ "pres refuses im:", POL_ALL, "E2U+pres",
	    "!^.*$!im:alice@example.com!", ".", AUS_US, 0, NAPTR_WRONG_SCHEME,
	    "wrong-scheme", "", "pres" },
	{ "web: any absolute URI", POL_ALL, "E2U+web:http",
	    "!^.*$!http://www.example.com/!", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "http://www.example.com/", "web" },
	{ "h323: any absolute URI", POL_ALL, "E2U+h323",
	    "!^\\+441632960083$!h323:operator@example.com!", ".", AUS_UK, 0,
	    NAPTR_OK, "ok", "h323:operator@example.com", "h323" },
	{ "email:mailto", POL_ALL, "E2U+email:mailto",
	    "!^.*$!mailto:info@example.com!", ".", AUS_UK, 0, NAPTR_OK, "ok",
	    "mailto:info@example.com", "email" },
	{ "compound: first accepted member reported", POL_ALL,
	    "E2U+ft:ftp+sip+im", "!^.*$!sip:a@example.com!", ".", AUS_US, 0,
	    NAPTR_OK, "ok", "sip:a@example.com", "sip" },
	{ "empty regexp", POL_DEF, "E2U+im", "", ".", AUS_US, 0,
	    NAPTR_EMPTY_REGEXP, "empty-regexp", "", "im" },
	{ "services checked before regexp", POL_DEF, "E2U+web", "", ".",
	    AUS_US, 0, NAPTR_NO_ACCEPTABLE_SERVICE,
	    "no-acceptable-enumservice", "", "" },
	{ "empty regexp before replacement", POL_DEF, "E2U+im", "",
	    "next.example.", AUS_US, 0, NAPTR_EMPTY_REGEXP, "empty-regexp",
	    "", "im" },
	{ "replacement \"\" counts as \".\"", POL_DEF, "E2U+im",
	    "!^.*$!im:a@example.com!", "", AUS_US, 0, NAPTR_OK, "ok",
	    "im:a@example.com", "im" },
	{ "replacement NULL counts as \".\"", POL_DEF, "E2U+im",
	    "!^.*$!im:a@example.com!", NULL, AUS_US, 0, NAPTR_OK, "ok",
	    "im:a@example.com", "im" },
	{ "bad delimiter", POL_DEF, "E2U+im", "1^.*$1im:a@b1", ".", AUS_US,
	    0, NAPTR_REGEXP_ERROR, "regexp-bad-delimiter", "", "im" },
	{ "compile error", POL_DEF, "E2U+im", "!^(.*$!im:a@b!", ".", AUS_US,
	    0, NAPTR_REGEXP_ERROR, "regexp-compile", "", "im" },
	{ "URI too long for the buffer", POL_DEF, "E2U+im",
	    "!^.*$!im:alice@example.com!", ".", AUS_US, 20,
	    NAPTR_REGEXP_ERROR, "uri-too-long", "", "im" },
	{ "URI exactly fits", POL_DEF, "E2U+im",
	    "!^.*$!im:alice@example.com!", ".", AUS_US, 21, NAPTR_OK, "ok",
	    "im:alice@example.com", "im" },
	{ "empty path is not enough", POL_DEF, "E2U+im", "!^.*$!im:!", ".",
	    AUS_US, 0, NAPTR_NOT_ABSOLUTE_URI, "not-absolute-uri", "", "im" },
	{ "space in result", POL_DEF, "E2U+im", "!^.*$!im:a b@example.com!",
	    ".", AUS_US, 0, NAPTR_NOT_ABSOLUTE_URI, "not-absolute-uri", "",
	    "im" },
	{ "i flag tolerated (ENUM-042)", POL_DEF, "E2U+im",
	    "!^\\+1(.*)$!im:\\1@example.net!i", ".", AUS_US, 0, NAPTR_OK, "ok",
	    "im:2025550100@example.net", "im" },
};

static void
test_evaluate(void)
{
	const struct eval_case	*c;
	struct naptr_policy	 p;
	struct naptr_rr		 rr;
	struct naptr_result	 res;
	enum naptr_verdict	 v;
	char			 uri[E2U_MAX_LEN + 1];
	size_t			 i;

	for (i = 0; i < NELEM(eval_cases); i++) {
		c = &eval_cases[i];
		make_policy(c->pol, &p);
		memset(&rr, 0, sizeof(rr));
		rr.order = 100;
		rr.preference = 10;
		rr.flags = "u";
		rr.services = c->services;
		rr.regexp = c->regexp;
		rr.replacement = c->replacement;
		memset(uri, 'X', sizeof(uri));
		memset(&res, 'X', sizeof(res));
		v = naptr_evaluate(&rr, c->aus, &p, uri,
		    c->urisz ? c->urisz : sizeof(uri), &res);
		is_str(naptr_strverdict(v, res.e2u_status), c->reason,
		    "evaluate %s: reason", c->name);
		is_int(v, c->v, "evaluate %s: verdict", c->name);
		is_str(uri, c->uri, "evaluate %s: uri", c->name);
		is_str(res.enumservice, c->svc, "evaluate %s: enumservice",
		    c->name);
	}

	make_policy(POL_DEF, &p);
	memset(&rr, 0, sizeof(rr));
	rr.flags = "u";
	rr.services = "E2U+im";
	rr.regexp = "!^.*$!im:a@example.com!";
	rr.replacement = ".";
	v = naptr_evaluate(&rr, AUS_US, &p, uri, sizeof(uri), NULL);
	is_int(v, NAPTR_OK, "evaluate: NULL result pointer is allowed");
	is_str(uri, "im:a@example.com", "evaluate: URI with NULL result");
}

/* ---- naptr_strverdict ------------------------------------------------ */

struct verdict_case {
	enum naptr_verdict	 v;
	int			 detail;
	const char		*reason;
};

static const struct verdict_case verdict_cases[] = {
	{ NAPTR_OK, 0, "ok" },
	{ NAPTR_NOT_ENUM_SERVICES, 0, "not-enum-services" },
	{ NAPTR_NO_ACCEPTABLE_SERVICE, 0, "no-acceptable-enumservice" },
	{ NAPTR_EMPTY_REGEXP, 0, "empty-regexp" },
	{ NAPTR_REGEXP_AND_REPLACEMENT, 0, "regexp-and-replacement" },
	{ NAPTR_NOT_ABSOLUTE_URI, 0, "not-absolute-uri" },
	{ NAPTR_WRONG_SCHEME, 0, "wrong-scheme" },
	{ NAPTR_REGEXP_ERROR, E2U_EMPTY, "empty-regexp" },
	{ NAPTR_REGEXP_ERROR, E2U_BAD_DELIM, "regexp-bad-delimiter" },
	{ NAPTR_REGEXP_ERROR, E2U_DELIM_COUNT, "regexp-delimiter-count" },
	{ NAPTR_REGEXP_ERROR, E2U_BAD_FLAGS, "regexp-bad-flags" },
	{ NAPTR_REGEXP_ERROR, E2U_COMPILE, "regexp-compile" },
	{ NAPTR_REGEXP_ERROR, E2U_BAD_BACKREF, "bad-backref" },
	{ NAPTR_REGEXP_ERROR, E2U_NO_MATCH, "no-match" },
	{ NAPTR_REGEXP_ERROR, E2U_TOO_LONG, "uri-too-long" },
	{ (enum naptr_verdict)99, 0, "unknown" },
};

static void
test_strverdict(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(verdict_cases); i++)
		is_str(naptr_strverdict(verdict_cases[i].v,
		    verdict_cases[i].detail), verdict_cases[i].reason,
		    "strverdict(%d, %d)", (int)verdict_cases[i].v,
		    verdict_cases[i].detail);
}

/* ---- naptr_is_absolute_uri / naptr_valid_replacement ----------------- */

struct bool_case {
	const char	*s;
	bool		 want;
};

static const struct bool_case uri_cases[] = {
	{ "im:alice@example.com", true },
	{ "sip:+12025550100@example.com;user=phone", true },
	{ "http://www.example.com/a?b=c", true },
	{ "xmpp:alice@example.com/res", true },
	{ "h323:operator@example.com", true },
	{ "tel:+1-202-555-0100", true },
	{ "a+b-c.d:x", true },
	{ "mailto:a%20b@example.com", true },
	{ "sip:[2001:db8::1]", true },
	{ "alice@example.com", false },
	{ "im:", false },
	{ ":alice", false },
	{ "1im:alice", false },
	{ "-im:alice", false },
	{ "i_m:alice", false },
	{ "im:a b", false },
	{ "im:a#frag", false },
	{ "im:a%2", false },
	{ "im:a%zz", false },
	{ "im:caf\xc3\xa9", false },
	{ "im:a\"b", false },
	{ "", false },
};

static const struct bool_case repl_cases[] = {
	{ "enum.example.net.", true },
	{ "next.example.net.", true },
	{ "_sip._udp.example.com.", true },
	{ "a.", true },
	{ "0.0.1.0.5.5.5.2.0.2.1.e164.arpa.", true },
	{ "Loop-A.Example.", true },
	{ ".", false },
	{ "", false },
	{ "enum.example.net", false },
	{ "enum..example.", false },
	{ ".enum.example.", false },
	{ "bad label.example.", false },
	{ "bad!.example.", false },
	{ "caf\xc3\xa9.example.", false },
};

static void
test_uri_and_replacement(void)
{
	char	 name[300];
	size_t	 i;

	for (i = 0; i < NELEM(uri_cases); i++)
		is_int(naptr_is_absolute_uri(uri_cases[i].s),
		    uri_cases[i].want, "is_absolute_uri(\"%s\")",
		    uri_cases[i].s);
	ok(!naptr_is_absolute_uri(NULL), "is_absolute_uri(NULL)");
	{
		/* Every octet after the scheme, as the RFC 3986 rule
		 * (written with strchr() here) says. */
		char	 u[8];
		int	 bad = 0;

		for (int c = 1; c < 256; c++) {
			bool	 want = c != '%' && (
			    (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') ||
			    strchr("-._~!$&'()*+,;=:@/?[]", c) != NULL);

			snprintf(u, sizeof(u), "im:a%cb", c);
			if (naptr_is_absolute_uri(u) != want && bad++ < 5)
				diag("octet %#x: %d", c, !want);
		}
		is_int(bad, 0, "is_absolute_uri: each of the 255 octets");
	}

	for (i = 0; i < NELEM(repl_cases); i++)
		is_int(naptr_valid_replacement(repl_cases[i].s),
		    repl_cases[i].want, "valid_replacement(\"%s\")",
		    repl_cases[i].s);
	ok(!naptr_valid_replacement(NULL), "valid_replacement(NULL)");

	/* 63-octet label fine, 64 not; 254 octets with the dot fine, 255
	 * not */
	memset(name, 'a', 63);
	memcpy(name + 63, ".x.", 4);
	ok(naptr_valid_replacement(name), "63-octet label");
	memset(name, 'a', 64);
	memcpy(name + 64, ".x.", 4);
	ok(!naptr_valid_replacement(name), "64-octet label");
	for (i = 0; i < 254; i += 2)
		memcpy(name + i, "a.", 2);
	name[254] = '\0';
	ok(naptr_valid_replacement(name), "254-octet name");
	memmove(name + 1, name, 255);
	name[0] = 'b';
	ok(strlen(name) == 255 && !naptr_valid_replacement(name),
	    "255-octet name");
}

/* ---- vectors-public.json: one RRset, terminal records ---------------- */

struct vec_rr {
	uint16_t	 order;
	uint16_t	 pref;
	const char	*flags;
	const char	*services;
	const char	*regexp;
	const char	*replacement;
};

struct vec_case {
	const char	*id;
	enum pol	 pol;
	const char	*aus;
	int		 selected;	/* served index, -1: none */
	const char	*uri;
	const char	*svc;
	const char	*discards;	/* "index:reason " in walk order */
	size_t		 nrr;
	struct vec_rr	 rr[3];
};

#define U(o, p, s, r)	{ o, p, "u", s, r, "." }

static const struct vec_case vec_cases[] = {
	{ "ENUM-001", POL_DEF, "+442079460148", 0, "im:info@example.co.uk",
	    "im", "", 1,
	    { U(100, 10, "E2U+im", "!^.*$!im:info@example.co.uk!") } },
	{ "ENUM-003", POL_IMSIP, AUS_UK, 0, "sip:+441632960083@example.com",
	    "sip", "", 3,
	    { U(100, 50, "E2U+sip",
	    "!^(\\+441632960083)$!sip:\\1@example.com!"),
	    U(100, 51, "E2U+h323",
	    "!^\\+441632960083$!h323:operator@example.com!"),
	    U(100, 52, "E2U+email:mailto", "!^.*$!mailto:info@example.com!") } },
	{ "ENUM-005", POL_DEF, AUS_UK, 1, "im:jon.peterson@example.net", "im",
	    "0:no-acceptable-enumservice ", 2,
	    { U(100, 10, "E2U+pres", "!^.*$!pres:jon.peterson@example.net!"),
	    U(100, 20, "E2U+im", "!^.*$!im:jon.peterson@example.net!") } },
	{ "ENUM-015", POL_DEF, AUS_US, 2, "im:c@example.com", "im", "", 3,
	    { U(100, 20, "E2U+im", "!^.*$!im:a@example.com!"),
	    U(100, 10, "E2U+im", "!^.*$!im:b@example.com!"),
	    U(90, 50, "E2U+im", "!^.*$!im:c@example.com!") } },
	{ "ENUM-017", POL_IMSIPXMPP, AUS_US, 0, "sip:alice@example.com",
	    "sip", "", 3,
	    { U(100, 10, "E2U+sip", "!^.*$!sip:alice@example.com!"),
	    U(100, 10, "E2U+im", "!^.*$!im:alice@example.com!"),
	    U(100, 10, "E2U+xmpp", "!^.*$!xmpp:alice@example.com!") } },
	{ "ENUM-019", POL_DEF, AUS_US, 0, "im:Alice@Example.COM", "im", "", 1,
	    { { 100, 10, "U", "e2u+IM", "!^.*$!im:Alice@Example.COM!",
	    "." } } },
	{ "ENUM-021", POL_DEF, AUS_US, 1, "im:alice@example.com", "im",
	    "0:no-acceptable-enumservice ", 2,
	    { U(100, 10, "E2U+web:http+ft:ftp",
	    "!^.*$!http://www.example.com/!"),
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "ENUM-023", POL_DEF, AUS_US, 1, "im:alice@example.com", "im",
	    "0:not-enum-services ", 2,
	    { U(100, 10, "X2U+im", "!^.*$!im:wrong@example.com!"),
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "ENUM-025", POL_PIM, AUS_US, 1, "im:alice@example.com", "im",
	    "0:no-acceptable-enumservice ", 2,
	    { U(100, 10, "E2U+P-im", "!^.*$!im:private@corp.example!"),
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "ENUM-037", POL_DEF, AUS_US, 1, "im:alice@example.com", "im",
	    "0:regexp-delimiter-count ", 2,
	    { U(100, 10, "E2U+im", "!^.*$!im:broken@example.com"),
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "ENUM-039", POL_DEF, AUS_US, 1, "im:alice@example.com", "im",
	    "0:bad-backref ", 2,
	    { U(100, 10, "E2U+im", "!^\\+(.*)$!im:\\2@example.com!"),
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "ENUM-041", POL_DEF, AUS_US, 0, "im:alice@example.com", "im", "", 1,
	    { U(100, 10, "E2U+im", "@^.*$@im:alice\\@example.com@") } },
	{ "ENUM-043", POL_DEF, AUS_US, 1, "im:alice@example.com", "im",
	    "0:regexp-bad-flags ", 2,
	    { U(100, 10, "E2U+im", "!^.*$!im:x@example.com!g"),
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "ENUM-045", POL_DEF, AUS_US, 1, "im:alice@example.com", "im",
	    "0:no-match ", 2,
	    { U(100, 10, "E2U+im", "!^\\+441632960083$!im:other@example.com!"),
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "ENUM-047", POL_DEF, AUS_US, 1, "im:alice@example.com", "im",
	    "0:regexp-and-replacement ", 2,
	    { { 100, 10, "u", "E2U+im", "!^.*$!im:x@example.com!",
	    "bogus.example." },
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "ENUM-049", POL_DEF, AUS_US, 1, "im:alice@example.com", "im",
	    "0:not-absolute-uri ", 2,
	    { U(100, 10, "E2U+im", "!^.*$!alice@example.com!"),
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "unknown flag skipped (ENUM-024 style)", POL_DEF, AUS_US, 1,
	    "im:alice@example.com", "im", "0:unknown-flag ", 2,
	    { { 100, 10, "s", "E2U+im", "!^.*$!im:x@example.com!", "." },
	    U(100, 20, "E2U+im", "!^.*$!im:alice@example.com!") } },
	{ "nothing usable", POL_DEF, AUS_US, -1, "", "",
	    "1:wrong-scheme 0:no-match ", 2,
	    { U(100, 20, "E2U+im", "!^9$!im:x@example.com!"),
	    U(100, 10, "E2U+im", "!^.*$!sip:a@example.com!") } },
};

/*
 * The terminal part of the RFC 6116 section 5.2 walk
 * (docs/resolution-policy.md, "The NAPTR walk"), the way
 * enum/enumq drives this module: sort, skip unknown flags, evaluate in
 * order, stop at the first acceptable record.
 */
static void
test_vectors(void)
{
	const struct vec_case	*c;
	struct naptr_policy	 p;
	struct naptr_rr		 rr[3];
	const struct naptr_rr	*v[3];
	struct naptr_result	 res;
	enum naptr_verdict	 verdict;
	char			 uri[E2U_MAX_LEN + 1], discards[256];
	char			 svc[NAPTR_TYPE_MAX];
	size_t			 i, j, n;
	int			 selected;

	for (i = 0; i < NELEM(vec_cases); i++) {
		c = &vec_cases[i];
		make_policy(c->pol, &p);
		for (j = 0; j < c->nrr; j++) {
			rr[j].order = c->rr[j].order;
			rr[j].preference = c->rr[j].pref;
			rr[j].index = (uint16_t)j;
			rr[j].flags = c->rr[j].flags;
			rr[j].services = c->rr[j].services;
			rr[j].regexp = c->rr[j].regexp;
			rr[j].replacement = c->rr[j].replacement;
			v[j] = &rr[j];
		}
		naptr_sort(v, c->nrr);
		selected = -1;
		discards[0] = svc[0] = '\0';
		n = 0;
		for (j = 0; j < c->nrr && selected < 0; j++) {
			if (naptr_flag_kind(v[j]->flags) != NAPTR_TERMINAL_U) {
				n += (size_t)snprintf(discards + n,
				    sizeof(discards) - n, "%u:unknown-flag ",
				    (unsigned)v[j]->index);
				continue;
			}
			verdict = naptr_evaluate(v[j], c->aus, &p, uri,
			    sizeof(uri), &res);
			if (verdict == NAPTR_OK) {
				selected = v[j]->index;
				memcpy(svc, res.enumservice, sizeof(svc));
			} else
				n += (size_t)snprintf(discards + n,
				    sizeof(discards) - n, "%u:%s ",
				    (unsigned)v[j]->index,
				    naptr_strverdict(verdict, res.e2u_status));
		}
		if (selected < 0)
			uri[0] = '\0';
		is_int(selected, c->selected, "%s: selected record", c->id);
		is_str(uri, c->uri, "%s: uri", c->id);
		is_str(svc, c->svc, "%s: enumservice", c->id);
		is_str(discards, c->discards, "%s: discards", c->id);
	}
}

int
main(void)
{
	test_policy_default();
	test_flag_kind();
	test_sort();
	test_pick_service();
	test_evaluate();
	test_strverdict();
	test_uri_and_replacement();
	test_vectors();
	return done_testing();
}
