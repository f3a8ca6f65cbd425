/*
 * tests/unit/test_idna.c - table-driven tests of routing/idna.
 *
 * The host conversions routing/lookup and gateway/xlate share: U-labels
 * to A-labels (UTS #46 mapping, IDNA2008 validity, STD3), A-labels back
 * to U-labels with the round-trip check, and the host of a URI rewritten
 * in place.  Output is TAP.
 */
#include <stdio.h>
#include <string.h>

#include "routing/idna.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct row {
	const char		*in;
	const char		*out;	/* "" when refused */
	enum idna_status	 st;
};

static const struct row ascii_rows[] = {
	{ "example.com", "example.com", IDNA_OK },
	{ "Example.COM", "example.com", IDNA_OK },
	{ "192.0.2.1", "192.0.2.1", IDNA_OK },
	{ "[2001:DB8::1]", "[2001:db8::1]", IDNA_OK },
	{ "b\xc3\xbc" "cher.example", "xn--bcher-kva.example", IDNA_OK },
	{ "B\xc3\x9c" "CHER.example", "xn--bcher-kva.example", IDNA_OK },
	{ "b\xc3\xbc" "cher.example.", "xn--bcher-kva.example.", IDNA_OK },
	{ "b\xc3\xbc" "cher\xe3\x80\x82" "example", "xn--bcher-kva.example",
	    IDNA_OK },				/* U+3002 ideographic dot */
	/* Non-transitional: sharp s stays (fass.de would be transitional). */
	{ "fa\xc3\x9f" ".de", "xn--fa-hia.de", IDNA_OK },
	{ "\xe4\xbe\x8b\xe3\x81\x88.jp", "xn--r8jz45g.jp", IDNA_OK },
	{ "xn--bcher-kva.example", "xn--bcher-kva.example", IDNA_OK },
	{ "XN--BCHER-KVA.example", "xn--bcher-kva.example", IDNA_OK },
	{ "xn--zz.example", "", IDNA_E_INVALID },	/* no such A-label */
	{ "xn--.example", "", IDNA_E_INVALID },
	{ "b\xc3\xbc" "cher-.example", "", IDNA_E_INVALID },	/* STD3 */
	{ "\xe2\x98\x83" ".example", "", IDNA_E_INVALID },	/* symbol */
	/* ASCII that libidn2 maps away, leaving an empty label or a
	 * different name (fuzz_xlate): refused, not silently changed */
	{ "\t.b\xc3\xbc" "cher.example", "", IDNA_E_INVALID },
	{ "\tb\xc3\xbc" "cher.example", "", IDNA_E_INVALID },
	{ "char=set.b\xc3\xbc" "cher.example", "", IDNA_E_INVALID },
	{ "a\xcd\xb8" "b.example", "", IDNA_E_INVALID },	/* unassigned */
	{ "b\xff" "cher.example", "", IDNA_E_INVALID },	/* not UTF-8 */
	{ "b\xc3\xbc" "cher..example", "", IDNA_E_INVALID },
};

static const struct row unicode_rows[] = {
	{ "example.com", "example.com", IDNA_OK },
	{ "xn--bcher-kva.example", "b\xc3\xbc" "cher.example", IDNA_OK },
	{ "XN--Bcher-KVA.Example", "b\xc3\xbc" "cher.example", IDNA_OK },
	{ "b\xc3\xbc" "cher.example", "b\xc3\xbc" "cher.example", IDNA_OK },
	{ "xn--zz.example", "", IDNA_E_INVALID },
};

static const struct row uri_rows[] = {
	{ "sip:+12025550100@b\xc3\xbc" "cher.example;user=phone",
	    "sip:+12025550100@xn--bcher-kva.example;user=phone", IDNA_OK },
	{ "sip:alice@b%C3%BC" "cher.example:5070",
	    "sip:alice@xn--bcher-kva.example:5070", IDNA_OK },
	{ "im:alice@b\xc3\xbc" "cher.example", "im:alice@xn--bcher-kva.example",
	    IDNA_OK },
	{ "sip:b\xc3\xbc" "cher.example", "sip:xn--bcher-kva.example",
	    IDNA_OK },				/* no user part */
	{ "sip:Alice@Example.COM;transport=tcp",
	    "sip:Alice@Example.COM;transport=tcp", IDNA_OK },	/* as is */
	{ "sip:a@[2001:db8::1]:5060", "sip:a@[2001:db8::1]:5060", IDNA_OK },
	{ "sip:a@xn--zz.example", "", IDNA_E_INVALID },
	{ "sip:a@b%zz.example", "", IDNA_E_INVALID },
	{ "sip:a@", "", IDNA_E_INVALID },
	{ "nocolon", "", IDNA_E_INVALID },
};

int
main(void)
{
	char	 out[256];

	for (size_t i = 0; i < NELEM(ascii_rows); i++) {
		const struct row *r = &ascii_rows[i];

		is_int(idna_to_ascii(r->in, strlen(r->in), out, sizeof(out)),
		    r->st, "to_ascii(\"%s\") status", r->in);
		is_str(out, r->out, "to_ascii(\"%s\")", r->in);
	}
	for (size_t i = 0; i < NELEM(unicode_rows); i++) {
		const struct row *r = &unicode_rows[i];

		is_int(idna_to_unicode(r->in, strlen(r->in), out,
		    sizeof(out)), r->st, "to_unicode(\"%s\") status", r->in);
		is_str(out, r->out, "to_unicode(\"%s\")", r->in);
	}
	for (size_t i = 0; i < NELEM(uri_rows); i++) {
		const struct row *r = &uri_rows[i];

		is_int(idna_uri_to_ascii(r->in, out, sizeof(out)), r->st,
		    "uri_to_ascii(\"%s\") status", r->in);
		is_str(out, r->out, "uri_to_ascii(\"%s\")", r->in);
		/* In place (routing/lookup): the same result, and the URI
		 * as it was on failure. */
		snprintf(out, sizeof(out), "%s", r->in);
		is_int(idna_uri_to_ascii(out, out, sizeof(out)), r->st,
		    "uri_to_ascii(\"%s\") in place: status", r->in);
		is_str(out, r->st == IDNA_OK ? r->out : r->in,
		    "uri_to_ascii(\"%s\") in place", r->in);
	}
	/* In place, a host that grows: the tail moves first. */
	snprintf(out, sizeof(out), "sip:a@b\xc3\xbc" "cher.example:5070;"
	    "transport=tcp?subject=x");
	is_int(idna_uri_to_ascii(out, out, sizeof(out)), IDNA_OK,
	    "uri_to_ascii in place, longer host: status");
	is_str(out, "sip:a@xn--bcher-kva.example:5070;transport=tcp?"
	    "subject=x", "uri_to_ascii in place, longer host");
	snprintf(out, sizeof(out), "sip:a@b\xc3\xbc" "cher.example");
	is_int(idna_uri_to_ascii(out, out, 20), IDNA_E_NO_SPACE,
	    "uri_to_ascii in place: small buffer");
	is_str(out, "sip:a@b\xc3\xbc" "cher.example",
	    "uri_to_ascii in place: small buffer leaves the URI");
	/* Buffers: too small is an error with "" written, never a cut. */
	is_int(idna_to_ascii("b\xc3\xbc" "cher.example", 13, out, 10),
	    IDNA_E_NO_SPACE, "to_ascii: small buffer");
	is_str(out, "", "to_ascii: small buffer leaves \"\"");
	is_int(idna_uri_to_ascii("sip:a@b\xc3\xbc" "cher.example", out, 12),
	    IDNA_E_NO_SPACE, "uri_to_ascii: small buffer");
	is_int(idna_to_ascii("b\xc3\xbc" "cher.example", 0, out, sizeof(out)),
	    IDNA_OK, "to_ascii: empty input copies nothing");
	/* Only len bytes are read. */
	is_int(idna_to_ascii("b\xc3\xbc" "cher.exampleXYZ", 15, out,
	    sizeof(out)), IDNA_OK, "to_ascii reads only len bytes");
	is_str(out, "xn--bcher-kva.example", "to_ascii: len respected");
	is_str(idna_strstatus(IDNA_E_INVALID), "IDNA_E_INVALID",
	    "strstatus");
	return done_testing();
}
