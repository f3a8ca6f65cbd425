/*
 * gateway/status.c - the one table from outcomes to SIP codes and XMPP
 * conditions, and the RFC 7247 code <-> condition tables.
 *
 * Resolution failures follow docs/resolution-policy.md:
 * malformed number -> 484 / jid-malformed; no ENUM data or no usable rule
 * -> 404 / item-not-found; no common IM protocol -> 404 /
 * remote-server-not-found; DNS temporary failure -> 503 with Retry-After /
 * remote-server-timeout.  A downstream answer is relayed as it is (SIP) or
 * mapped with RFC 7247 section 7.2 (XMPP).
 */
#include <stddef.h>
#include <string.h>

#include <sofia-sip/sip_status.h>

#include "gateway/status.h"

static const struct {
	enum gw_reason	 reason;
	const char	*name;
	int		 sip_code;
	bool		 retry_after;
	const char	*condition;
} reason_table[GW_REASON_COUNT] = {
	{ GW_R_NONE, "none", 500, false, "internal-server-error" },
	{ GW_R_DELIVERED, "delivered", 200, false, NULL },
	{ GW_R_BAD_NUMBER, "invalid number", 484, false, "jid-malformed" },
	{ GW_R_NOT_E164, "not an E.164 number", 484, false,
	    "jid-malformed" },
	{ GW_R_NUMBER_TOO_LONG, "number too long", 484, false,
	    "jid-malformed" },
	{ GW_R_NO_ROUTE, "no ENUM data", 404, false, "item-not-found" },
	{ GW_R_NO_USABLE_RULE, "no usable NAPTR", 404, false,
	    "item-not-found" },
	{ GW_R_INVALID_IM_URI, "invalid im: URI", 404, false,
	    "item-not-found" },
	{ GW_R_NO_COMMON_PROTOCOL, "no common IM protocol", 404, false,
	    "remote-server-not-found" },
	{ GW_R_DNS_TEMPFAIL, "DNS temporary failure", 503, true,
	    "remote-server-timeout" },
	{ GW_R_TARGET_UNREACHABLE, "no reachable server", 503, true,
	    "remote-server-timeout" },
	{ GW_R_PEER_TIMEOUT, "downstream timeout", 408, false,
	    "remote-server-timeout" },
	{ GW_R_PEER_ERROR, "downstream error", 500, false,
	    "undefined-condition" },
	{ GW_R_TOO_LARGE, "message too large", 413, false,
	    "policy-violation" },
	{ GW_R_UNSUPPORTED_MEDIA, "unsupported content type", 415, false,
	    "not-acceptable" },
	{ GW_R_OVERLOAD, "overloaded", 503, true, "resource-constraint" },
	{ GW_R_CANCELLED, "cancelled", 487, false, "service-unavailable" },
	{ GW_R_SHUTDOWN, "shutting down", 503, true,
	    "service-unavailable" },
	{ GW_R_BAD_REQUEST, "malformed message", 400, false, "bad-request" },
	{ GW_R_XMPP_DOWN, "XMPP server unreachable", 503, true,
	    "remote-server-timeout" },
	{ GW_R_TOO_BIG_FOR_SIP, "too large for SIP MESSAGE", 513, false,
	    "policy-violation" },
	{ GW_R_NOT_ALLOWED, "not relayed", 405, false, "not-acceptable" },
	{ GW_R_FORBIDDEN, "source not allowed", 403, false, "forbidden" },
	{ GW_R_RATE_LIMITED, "rate limit exceeded", 503, true,
	    "resource-constraint" },
	{ GW_R_DENIED, "denied by route", 403, false, "forbidden" },
	/* RFC 3428 7: 202 = a relay has it, delivery still to come. */
	{ GW_R_SPOOLED, "spooled for delivery", 202, false, NULL },
	{ GW_R_SPOOL_FULL, "spool full", 503, true, "resource-constraint" },
	{ GW_R_SPOOL_ERROR, "spool write failed", 503, true,
	    "resource-constraint" },
	{ GW_R_EXPIRED, "undelivered within the spool's maximum age", 504,
	    false, "remote-server-timeout" },
	/* RFC 7247 table: 482 and 483 are not-acceptable. */
	{ GW_R_LOOP, "forwarding loop", 482, false, "not-acceptable" },
	/*
	 * A sips: request, or a sips:/transport=tls target, that cannot go
	 * over TLS: refused rather than sent in clear (docs/imgate.conf.5,
	 * sip.tls).
	 */
	{ GW_R_NOT_SECURE, "no TLS path for a sips: request", 480, false,
	    "policy-violation" },
};

/* RFC 7247 section 7.2, most specific first. */
static const struct {
	int		 lo, hi;
	const char	*condition;
} sip_to_xmpp[] = {
	{ 400, 400, "bad-request" },
	{ 401, 401, "not-authorized" },
	{ 402, 402, "bad-request" },
	{ 403, 403, "forbidden" },
	{ 404, 404, "item-not-found" },
	{ 405, 405, "feature-not-implemented" },
	{ 406, 406, "not-acceptable" },
	{ 407, 407, "not-authorized" },
	{ 408, 408, "remote-server-timeout" },
	{ 410, 410, "gone" },
	{ 413, 414, "policy-violation" },
	{ 415, 416, "bad-request" },
	{ 420, 421, "bad-request" },
	{ 423, 423, "bad-request" },
	{ 480, 480, "recipient-unavailable" },
	{ 481, 481, "item-not-found" },
	{ 482, 483, "not-acceptable" },
	{ 484, 485, "item-not-found" },
	{ 486, 486, "recipient-unavailable" },
	{ 487, 487, "service-unavailable" },
	{ 488, 488, "not-acceptable" },
	{ 491, 491, "unexpected-request" },
	{ 493, 493, "bad-request" },
	{ 500, 500, "internal-server-error" },
	{ 501, 501, "feature-not-implemented" },
	{ 502, 502, "remote-server-not-found" },
	{ 503, 503, "service-unavailable" },
	{ 504, 504, "remote-server-timeout" },
	{ 505, 505, "not-acceptable" },
	{ 513, 513, "policy-violation" },
	{ 600, 600, "service-unavailable" },
	{ 603, 603, "service-unavailable" },
	{ 604, 604, "item-not-found" },
	{ 606, 606, "not-acceptable" },
	{ 300, 399, "redirect" },
	{ 400, 499, "bad-request" },
	{ 500, 599, "internal-server-error" },
	{ 600, 699, "service-unavailable" },
};

/* RFC 7247 7.1 and RFC 6120 8.3.3 default types. */
static const struct {
	const char	*condition;
	int		 sip_code;
	const char	*type;
} xmpp_to_sip[] = {
	{ "bad-request", 400, "modify" },
	{ "conflict", 400, "cancel" },
	{ "feature-not-implemented", 405, "cancel" },
	{ "forbidden", 403, "auth" },
	{ "gone", 410, "cancel" },
	{ "internal-server-error", 500, "cancel" },
	{ "item-not-found", 404, "cancel" },
	{ "jid-malformed", 400, "modify" },
	{ "not-acceptable", 406, "modify" },
	{ "not-allowed", 405, "cancel" },
	{ "not-authorized", 401, "auth" },
	{ "policy-violation", 403, "modify" },
	{ "recipient-unavailable", 480, "wait" },
	{ "redirect", 302, "modify" },
	{ "registration-required", 400, "auth" },
	{ "remote-server-not-found", 404, "cancel" },
	{ "remote-server-timeout", 408, "wait" },
	{ "resource-constraint", 500, "wait" },
	{ "service-unavailable", 503, "cancel" },
	{ "subscription-required", 400, "auth" },
	{ "undefined-condition", 400, "cancel" },
	{ "unexpected-request", 400, "wait" },
};

const char *
status_sip_to_xmpp(int code)
{
	for (size_t i = 0; i < sizeof(sip_to_xmpp) / sizeof(sip_to_xmpp[0]);
	    i++)
		if (code >= sip_to_xmpp[i].lo && code <= sip_to_xmpp[i].hi)
			return sip_to_xmpp[i].condition;
	return "undefined-condition";
}

int
status_xmpp_to_sip(const char *condition)
{
	for (size_t i = 0; i < sizeof(xmpp_to_sip) / sizeof(xmpp_to_sip[0]);
	    i++)
		if (strcmp(condition, xmpp_to_sip[i].condition) == 0)
			return xmpp_to_sip[i].sip_code;
	return 400;
}

const char *
status_xmpp_condition(const char *condition)
{
	for (size_t i = 0; i < sizeof(xmpp_to_sip) / sizeof(xmpp_to_sip[0]);
	    i++)
		if (condition != NULL &&
		    strcmp(condition, xmpp_to_sip[i].condition) == 0)
			return xmpp_to_sip[i].condition;
	return "undefined-condition";
}

const char *
status_xmpp_type(const char *condition)
{
	for (size_t i = 0; i < sizeof(xmpp_to_sip) / sizeof(xmpp_to_sip[0]);
	    i++)
		if (strcmp(condition, xmpp_to_sip[i].condition) == 0)
			return xmpp_to_sip[i].type;
	return "cancel";
}

struct gw_outcome
status_from_sip(int code)
{
	struct gw_outcome o = { GW_OK, GW_R_DELIVERED, code, NULL, false };

	if (code >= 300) {
		o.status = status_sip_temporary(code) ? GW_TEMPFAIL :
		    GW_PERMFAIL;
		o.reason = code == 408 ? GW_R_PEER_TIMEOUT : GW_R_PEER_ERROR;
		if (code == 408)
			o.peer_code = 0;
	}
	/* No answer (408, also what the stack says after Timer F) or a
	 * transport failure (503, also what the stack makes of one). */
	o.retry_elsewhere = code == 408 || code == 503;
	return o;
}

struct gw_outcome
status_from_xmpp_error(const char *condition)
{
	int	 code = status_xmpp_to_sip(condition);

	return (struct gw_outcome){ status_sip_temporary(code) ? GW_TEMPFAIL :
	    GW_PERMFAIL, GW_R_PEER_ERROR, code, condition, false };
}

struct gw_outcome
status_from_xmpp_sent(bool receipt)
{
	/* RFC 3261 21.2.1: 202, the request was accepted, delivery not
	 * confirmed; a receipt (XEP-0184) confirms it: 200. */
	return (struct gw_outcome){ GW_OK, GW_R_DELIVERED, receipt ? 200 :
	    202, NULL, false };
}

void
status_reply(const struct gw_outcome *o, struct gw_reply *r)
{
	enum gw_reason	 reason = o->reason;

	if ((unsigned)reason >= GW_REASON_COUNT)
		reason = GW_R_NONE;
	r->sip_code = reason_table[reason].sip_code;
	r->retry_after = reason_table[reason].retry_after;
	r->xmpp_condition = reason_table[reason].condition;
	/* A downstream answer (or a deny route's status) is relayed with
	 * its own code. */
	if ((reason == GW_R_DELIVERED || reason == GW_R_PEER_ERROR ||
	    reason == GW_R_DENIED) &&
	    o->peer_code >= 200 && o->peer_code <= 699) {
		r->sip_code = o->peer_code;
		r->xmpp_condition = o->peer_code < 300 ? NULL :
		    o->peer_condition != NULL ? o->peer_condition :
		    status_sip_to_xmpp(o->peer_code);
	}
	r->sip_phrase = sip_status_phrase(r->sip_code);
	if (r->sip_phrase == NULL)
		r->sip_phrase = r->sip_code < 300 ? "OK" : "Error";
	r->xmpp_type = r->xmpp_condition != NULL ?
	    status_xmpp_type(r->xmpp_condition) : NULL;
	/* A temporary failure is a "wait" error (RFC 6120 8.3.2: retry
	 * later; docs/resolution-policy.md). */
	if (reason == GW_R_DNS_TEMPFAIL || reason == GW_R_OVERLOAD ||
	    reason == GW_R_XMPP_DOWN || reason == GW_R_RATE_LIMITED ||
	    reason == GW_R_SPOOL_FULL || reason == GW_R_SPOOL_ERROR)
		r->xmpp_type = "wait";
}

bool
status_sip_temporary(int code)
{
	return code == 408 || code == 480 || (code >= 500 && code < 600);
}

struct gw_outcome
status_from_lookup(enum lookup_error e)
{
	struct gw_outcome o = { GW_PERMFAIL, GW_R_NONE, 0, NULL };

	switch (e) {
	case LOOKUP_OK:
		o.status = GW_OK;
		o.reason = GW_R_NONE;
		break;
	case LOOKUP_E_INVALID_NUMBER:
		o.reason = GW_R_BAD_NUMBER;
		break;
	case LOOKUP_E_NOT_E164:
		o.reason = GW_R_NOT_E164;
		break;
	case LOOKUP_E_NUMBER_TOO_LONG:
		o.reason = GW_R_NUMBER_TOO_LONG;
		break;
	case LOOKUP_E_ENUM_NO_DATA:
		o.reason = GW_R_NO_ROUTE;
		break;
	case LOOKUP_E_ENUM_NO_USABLE_RULE:
		o.reason = GW_R_NO_USABLE_RULE;
		break;
	case LOOKUP_E_INVALID_IM_URI:
		o.reason = GW_R_INVALID_IM_URI;
		break;
	case LOOKUP_E_IM_NO_COMMON_PROTOCOL:
		o.reason = GW_R_NO_COMMON_PROTOCOL;
		break;
	case LOOKUP_E_DNS_TEMPFAIL:
		o.status = GW_TEMPFAIL;
		o.reason = GW_R_DNS_TEMPFAIL;
		break;
	}
	return o;
}

const char *
status_strreason(enum gw_reason r)
{
	if ((unsigned)r >= GW_REASON_COUNT)
		return "unknown";
	return reason_table[r].name;
}
