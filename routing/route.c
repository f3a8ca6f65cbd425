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
