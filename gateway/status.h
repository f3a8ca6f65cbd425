/*
 * gateway/status.h - one status model for every message outcome.
 *
 * The last stage of the flow: whatever happened to a message (bad number,
 * no route, DNS trouble, the far end's answer) is a struct gw_outcome;
 * this module alone turns it into the SIP final response or the XMPP error
 * condition the sender gets (RFC 7247 section 7 for answers from the far
 * end, docs/resolution-policy.md for resolution failures).
 */
#ifndef GATEWAY_STATUS_H
#define GATEWAY_STATUS_H

#include <stdbool.h>

#include "routing/lookup.h"

enum gw_status { GW_OK, GW_TEMPFAIL, GW_PERMFAIL };

enum gw_reason {
	GW_R_NONE = 0,
	GW_R_DELIVERED,		/* far end accepted (code in outcome) */
	GW_R_BAD_NUMBER,	/* E_INVALID_NUMBER */
	GW_R_NOT_E164,		/* E_NOT_E164 */
	GW_R_NUMBER_TOO_LONG,	/* E_NUMBER_TOO_LONG */
	GW_R_NO_ROUTE,		/* E_ENUM_NO_DATA */
	GW_R_NO_USABLE_RULE,	/* E_ENUM_NO_USABLE_RULE */
	GW_R_INVALID_IM_URI,	/* E_INVALID_IM_URI */
	GW_R_NO_COMMON_PROTOCOL, /* E_IM_NO_COMMON_PROTOCOL */
	GW_R_DNS_TEMPFAIL,	/* E_DNS_TEMPFAIL */
	GW_R_TARGET_UNREACHABLE, /* no SRV target address worked */
	GW_R_PEER_TIMEOUT,	/* downstream did not answer in time */
	GW_R_PEER_ERROR,	/* downstream answered with an error */
	GW_R_TOO_LARGE,		/* body over the configured cap */
	GW_R_UNSUPPORTED_MEDIA,	/* content type refused */
	GW_R_OVERLOAD,		/* transaction table full */
	GW_R_CANCELLED,
	GW_R_SHUTDOWN,
	GW_R_BAD_REQUEST,	/* malformed message (empty body, ...) */
	GW_R_XMPP_DOWN,		/* component not connected in time */
	GW_R_TOO_BIG_FOR_SIP,	/* XMPP->SIP over 1300 bytes, refused */
	GW_R_NOT_ALLOWED,	/* stanza kind imgate does not relay */
	GW_R_FORBIDDEN,		/* source refused by the ACL */
	GW_R_RATE_LIMITED,	/* source over its token bucket */
	GW_R_DENIED,		/* a deny route (code in peer_code) */
	GW_R_SPOOLED,		/* store-and-forward: spooled (202) */
	GW_R_SPOOL_FULL,	/* spool.max_messages reached */
	GW_R_SPOOL_ERROR,	/* the spool could not be written */
	GW_R_EXPIRED,		/* spooled longer than spool.max_age_s */
	GW_R_LOOP,		/* the target is imgate itself */
	GW_R_NOT_SECURE		/* sips: but no TLS path to the target */
};

#define GW_REASON_COUNT	(GW_R_NOT_SECURE + 1)

struct gw_outcome {
	enum gw_status	 status;
	enum gw_reason	 reason;
	int		 peer_code;	/* SIP code from downstream, or 0 */
	/* XMPP condition from downstream (static string), or NULL: kept so
	 * that XMPP->XMPP errors pass through unchanged. */
	const char	*peer_condition;
	/* The attempt got no answer from the far end (no reply in time,
	 * the transport failed): another hop, target or fallback link may
	 * do, where the relay has one (RFC 3263 4.3). */
	bool		 retry_elsewhere;
};

/* What the sender is told. */
struct gw_reply {
	int		 sip_code;
	const char	*sip_phrase;
	bool		 retry_after;	/* add Retry-After */
	const char	*xmpp_condition;
	const char	*xmpp_type;	/* cancel|modify|auth|wait */
};

/** Map @o to the reply (the one table). Never fails. */
void status_reply(const struct gw_outcome *o, struct gw_reply *r);

/** Outcome of a failed lookup (@e != LOOKUP_OK). */
struct gw_outcome status_from_lookup(enum lookup_error e);

/*
 * What an attempt's answer means, one per protocol: the edges report
 * their far end's answer through these, so that the middle (gateway/flow)
 * sees outcomes and never a SIP code or an XMPP condition.
 */
/** A SIP final response @code (408 and 503 made by the stack itself
 * or by the far end: retry_elsewhere). */
struct gw_outcome status_from_sip(int code);
/** An XMPP error stanza with @condition (a static string). */
struct gw_outcome status_from_xmpp_error(const char *condition);
/** The XMPP server took the message; @receipt: its XEP-0184 receipt
 * came (a SIP sender gets 200), else none was asked for or none came in
 * time (202: accepted, delivery unknown). */
struct gw_outcome status_from_xmpp_sent(bool receipt);

/** RFC 7247 7.2: SIP response code -> XMPP condition. */
/**
 * Is a downstream SIP final @code worth trying again later (store-and-
 * forward retries, "temporary" in the log)?  408 (no answer), 480 (not
 * reachable now) and 5xx; everything else is final.
 */
bool status_sip_temporary(int code);
const char *status_sip_to_xmpp(int code);
/** RFC 7247 7.1: XMPP condition -> SIP response code (400 if unknown). */
int status_xmpp_to_sip(const char *condition);
/** The table's own copy of @condition, or "undefined-condition" for a
 * condition imgate does not know (so callers may keep the pointer). */
const char *status_xmpp_condition(const char *condition);
/** RFC 6120 8.3.3 default error type of a condition ("cancel"...). */
const char *status_xmpp_type(const char *condition);

const char *status_strreason(enum gw_reason r);

#endif /* GATEWAY_STATUS_H */
