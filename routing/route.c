/*
 * routing/route.c - normalise, then first matching route (see route.h).
 *
 * A dial plan applies only to what is not already an E.164 number: a
 * dialled string ("02025550100") from a sender whose source matches the
 * plan.  The digits handed to the plan are the user part of a sip: URI
 * or the number of a tel: URI, without parameters.  With no routes
 * configured every number goes to ENUM with the enum group's settings,
 * which is how imgate behaves out of the box.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "enum/strcopy.h"
#include "routing/dialplan.h"
#include "routing/route.h"

const char *
route_strverdict(enum route_verdict v)
{
	switch (v) {
	case ROUTE_ENUM:
		return "enum";
	case ROUTE_STATIC:
		return "static";
	case ROUTE_DENY:
		return "deny";
	case ROUTE_BAD_NUMBER:
		return "bad-number";
	case ROUTE_NO_MATCH:
		return "no-match";
	}
	return "?";
}

/* The dialled digits inside @dest: user part of sip:, number of tel:. */
static size_t
dialled_part(const char *dest, const char **start)
{
	const char	*p = dest;
	size_t		 n;

	if (strncasecmp(p, "sip:", 4) == 0)
		p += 4;
	else if (strncasecmp(p, "sips:", 5) == 0)
		p += 5;
	else if (strncasecmp(p, "tel:", 4) == 0) {
		p += 4;
		*start = p;
		return strcspn(p, ";");
	}
	*start = p;
	n = strcspn(p, "@");
	if (p[n] != '@' && p != dest)
		return 0;		/* sip: URI without user part */
	return strcspn(p, ";@") < n ? strcspn(p, ";@") : n;
}

void
route_decide(const struct gw_conf *c, unsigned forms, unsigned max_digits,
    const char *dest, const struct policy_source *src,
    struct route_decision *d)
{
	const struct conf_route	*r;
	const char		*digits;
	size_t			 n;

	memset(d, 0, sizeof(*d));
	d->dialplan = -1;
	d->route = -1;
	d->number_status = e164_parse(dest, strlen(dest), forms, max_digits,
	    d->aus, sizeof(d->aus));
	if (d->number_status == E164_NOT_E164 && src != NULL &&
	    (d->dialplan = policy_match_dialplan(c, src)) >= 0 &&
	    (n = dialled_part(dest, &digits)) > 0) {
		d->number_status = dialplan_normalize(&c->dialplans[
		    d->dialplan], digits, n, d->aus, sizeof(d->aus));
		if (d->number_status != E164_OK)
			d->dialplan = -1;
	} else
		d->dialplan = -1;
	if (d->number_status != E164_OK) {
		d->verdict = ROUTE_BAD_NUMBER;
		snprintf(d->why, sizeof(d->why), "%s is not a usable number "
		    "(%s)", dest, e164_strstatus(d->number_status));
		return;
	}
	if (c->nroutes == 0) {
		d->verdict = ROUTE_ENUM;
		snprintf(d->why, sizeof(d->why), "no routes configured: ENUM "
		    "with the enum group's settings");
		return;
	}
	d->route = policy_match_route(c, d->aus, src, d->why,
	    sizeof(d->why));
	if (d->route < 0) {
		d->verdict = ROUTE_NO_MATCH;
		return;
	}
	r = &c->routes[d->route];
	switch (r->action) {
	case CONF_ROUTE_ENUM:
		d->verdict = ROUTE_ENUM;
		break;
	case CONF_ROUTE_STATIC:
		d->verdict = ROUTE_STATIC;
		break;
	case CONF_ROUTE_DENY:
		d->verdict = ROUTE_DENY;
		d->deny_status = r->deny_status >= 400 && r->deny_status <= 699 ?
		    r->deny_status : 403;
		break;
	}
}

/* An empty result: no error, nothing chosen, no TTLs. */
static void
result_init(struct lookup_result *r, enum lookup_error e)
{
	memset(r, 0, sizeof(*r));
	r->error = e;
	r->negative_ttl = r->failure_ttl = r->min_ttl = -1;
}

void
route_direct_result(struct lookup_result *r, enum proto proto,
    const char *dest, const char *host, uint16_t port, const char *aus)
{
	result_init(r, LOOKUP_OK);
	r->protocol = proto;
	str_copy(r->input, sizeof(r->input), dest);
	if (aus != NULL)
		str_copy(r->aus, sizeof(r->aus), aus);
	if (proto == PROTO_XMPP) {
		str_copy(r->xmpp_to, sizeof(r->xmpp_to), dest);
		return;
	}
	str_copy(r->request_uri, sizeof(r->request_uri), dest);
	if (host != NULL) {
		str_copy(r->targets[0].host, sizeof(r->targets[0].host), host);
		r->targets[0].port = port;
		r->ntargets = 1;
	}
}

int
route_static_result(const struct conf_target *target, const char *aus,
    struct lookup_result *r)
{
	struct policy_target	 tg;

	if (policy_expand_target(target, aus, &tg) != 0) {
		result_init(r, LOOKUP_E_INVALID_IM_URI);
		return -1;
	}
	if (tg.kind == POLICY_T_IM) {
		result_init(r, LOOKUP_OK);
		str_copy(r->uri, sizeof(r->uri), tg.uri);
		return 1;
	}
	route_direct_result(r, tg.kind == POLICY_T_XMPP ? PROTO_XMPP :
	    PROTO_SIP, tg.uri, tg.kind == POLICY_T_SIP ? tg.host : NULL,
	    tg.port, aus);
	/* What was configured, for logs and imgate-lookup. */
	str_copy(r->input, sizeof(r->input), target->text);
	return 0;
}
