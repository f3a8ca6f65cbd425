/*
 * tests/unit/test_status.c - the one outcome table (gateway/status).
 *
 * Every resolution outcome maps to the SIP code and XMPP condition of the
 * policy in docs/resolution-policy.md; downstream answers are relayed; the
 * RFC 7247 tables map SIP codes to conditions and back (the public
 * interworking vectors IW-011, -013, -015, -017 are among the rows).  TAP.
 */
#include <string.h>

#include "gateway/status.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	enum lookup_error	 e;
	int			 sip;
	bool			 retry;
	const char		*cond;
	const char		*type;
} lookup_rows[] = {
	{ LOOKUP_E_INVALID_NUMBER, 484, false, "jid-malformed", "modify" },
	{ LOOKUP_E_NOT_E164, 484, false, "jid-malformed", "modify" },
	{ LOOKUP_E_NUMBER_TOO_LONG, 484, false, "jid-malformed", "modify" },
	{ LOOKUP_E_ENUM_NO_DATA, 404, false, "item-not-found", "cancel" },
	{ LOOKUP_E_ENUM_NO_USABLE_RULE, 404, false, "item-not-found",
	    "cancel" },
	{ LOOKUP_E_INVALID_IM_URI, 404, false, "item-not-found", "cancel" },
	{ LOOKUP_E_IM_NO_COMMON_PROTOCOL, 404, false,
	    "remote-server-not-found", "cancel" },
	{ LOOKUP_E_DNS_TEMPFAIL, 503, true, "remote-server-timeout", "wait" },
};

static const struct {
	int		 code;
	const char	*cond;
	const char	*type;
} sip_rows[] = {
	{ 404, "item-not-found", "cancel" },		/* IW-015 */
	{ 503, "service-unavailable", "cancel" },	/* IW-017 */
	{ 400, "bad-request", "modify" },
	{ 401, "not-authorized", "auth" },
	{ 403, "forbidden", "auth" },
	{ 408, "remote-server-timeout", "wait" },
	{ 413, "policy-violation", "modify" },
	{ 480, "recipient-unavailable", "wait" },
	{ 486, "recipient-unavailable", "wait" },
	{ 488, "not-acceptable", "modify" },
	{ 500, "internal-server-error", "cancel" },
	{ 502, "remote-server-not-found", "cancel" },
	{ 504, "remote-server-timeout", "wait" },
	{ 302, "redirect", "modify" },
	{ 499, "bad-request", "modify" },
	{ 603, "service-unavailable", "cancel" },
	{ 604, "item-not-found", "cancel" },
};

static const struct {
	const char	*cond;
	int		 code;
} xmpp_rows[] = {
	{ "item-not-found", 404 },		/* IW-011 */
	{ "remote-server-timeout", 408 },	/* IW-013 */
	{ "bad-request", 400 },
	{ "forbidden", 403 },
	{ "jid-malformed", 400 },
	{ "not-acceptable", 406 },
	{ "recipient-unavailable", 480 },
	{ "service-unavailable", 503 },
	{ "internal-server-error", 500 },
	{ "no-such-condition", 400 },
};

/* Which downstream answers a store-and-forward route tries again. */
static const struct {
	int	 code;
	bool	 temporary;
} temporary_rows[] = {
	{ 200, false }, { 202, false }, { 400, false }, { 403, false },
	{ 404, false }, { 407, false }, { 408, true }, { 413, false },
	{ 415, false }, { 480, true }, { 481, false }, { 486, false },
	{ 500, true }, { 503, true }, { 504, true }, { 600, false },
	{ 603, false },
};

int
main(void)
{
	struct gw_reply	 r;

	for (size_t i = 0; i < NELEM(temporary_rows); i++)
		ok(status_sip_temporary(temporary_rows[i].code) ==
		    temporary_rows[i].temporary, "SIP %d is %s",
		    temporary_rows[i].code, temporary_rows[i].temporary ?
		    "temporary" : "final");

	for (size_t i = 0; i < NELEM(lookup_rows); i++) {
		struct gw_outcome o = status_from_lookup(lookup_rows[i].e);

		status_reply(&o, &r);
		is_int(r.sip_code, lookup_rows[i].sip, "%s -> SIP %d",
		    lookup_strerror(lookup_rows[i].e), lookup_rows[i].sip);
		ok(r.retry_after == lookup_rows[i].retry, "%s: Retry-After %s",
		    lookup_strerror(lookup_rows[i].e),
		    lookup_rows[i].retry ? "yes" : "no");
		is_str(r.xmpp_condition, lookup_rows[i].cond, "%s -> <%s/>",
		    lookup_strerror(lookup_rows[i].e), lookup_rows[i].cond);
		is_str(r.xmpp_type, lookup_rows[i].type, "%s: type %s",
		    lookup_strerror(lookup_rows[i].e), lookup_rows[i].type);
		ok(r.sip_phrase != NULL && r.sip_phrase[0] != '\0',
		    "%s: reason phrase \"%s\"",
		    lookup_strerror(lookup_rows[i].e), r.sip_phrase);
	}
	for (size_t i = 0; i < NELEM(sip_rows); i++) {
		is_str(status_sip_to_xmpp(sip_rows[i].code), sip_rows[i].cond,
		    "SIP %d -> %s", sip_rows[i].code, sip_rows[i].cond);
		is_str(status_xmpp_type(sip_rows[i].cond), sip_rows[i].type,
		    "%s is type %s", sip_rows[i].cond, sip_rows[i].type);
	}
	for (size_t i = 0; i < NELEM(xmpp_rows); i++)
		is_int(status_xmpp_to_sip(xmpp_rows[i].cond), xmpp_rows[i].code,
		    "<%s/> -> SIP %d", xmpp_rows[i].cond, xmpp_rows[i].code);

	/* Downstream answers are relayed with their own code. */
	{
		struct gw_outcome ok200 = { GW_OK, GW_R_DELIVERED, 200 };
		struct gw_outcome ok202 = { GW_OK, GW_R_DELIVERED, 202 };
		struct gw_outcome e486 = { GW_PERMFAIL, GW_R_PEER_ERROR, 486 };
		struct gw_outcome tmo = { GW_TEMPFAIL, GW_R_PEER_TIMEOUT, 0 };
		struct gw_outcome big = { GW_PERMFAIL, GW_R_TOO_LARGE, 0 };
		struct gw_outcome full = { GW_TEMPFAIL, GW_R_OVERLOAD, 0 };
		struct gw_outcome insecure = { GW_PERMFAIL, GW_R_NOT_SECURE,
		    0 };

		status_reply(&ok200, &r);
		ok(r.sip_code == 200 && r.xmpp_condition == NULL,
		    "delivered 200 relayed, no XMPP error");
		status_reply(&ok202, &r);
		is_int(r.sip_code, 202, "delivered 202 relayed");
		status_reply(&e486, &r);
		ok(r.sip_code == 486 && strcmp(r.xmpp_condition,
		    "recipient-unavailable") == 0, "486 relayed, maps to "
		    "recipient-unavailable");
		status_reply(&tmo, &r);
		is_int(r.sip_code, 408, "downstream timeout -> 408");
		status_reply(&big, &r);
		is_int(r.sip_code, 413, "too large -> 413");
		status_reply(&full, &r);
		ok(r.sip_code == 503 && r.retry_after,
		    "overload -> 503 with Retry-After");
		status_reply(&insecure, &r);
		ok(r.sip_code == 480 && !r.retry_after &&
		    strcmp(r.xmpp_condition, "policy-violation") == 0,
		    "sips: without a TLS path -> 480, <policy-violation/>");
	}
	return done_testing();
}
