/*
 * routing/rfc3263.c - RFC 3263 decision table, NAPTR choice, SRV owners.
 *
 * Pure helpers for routing/siptarget, the last routing stage of a SIP
 * destination.  The SRV ordering itself (RFC 2782) is routing/rfc3861's;
 * what is here is only what RFC 3263 adds on top: the URI decides the
 * first question, a NAPTR record names a transport, a transport names an
 * SRV owner.  maddr is not honoured (RFC 3263 4 lets a client ignore it
 * and an ENUM answer has no business routing through one).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "enum/ipparse.h"
#include "enum/strcopy.h"
#include "routing/rfc3263.h"

const char *
rfc3263_strtransport(enum rfc3263_transport tp)
{
	switch (tp) {
	case RFC3263_TP_UDP:
		return "udp";
	case RFC3263_TP_TCP:
		return "tcp";
	case RFC3263_TP_TLS:
		return "tls";
	case RFC3263_TP_NONE:
		break;
	}
	return NULL;
}

uint16_t
rfc3263_default_port(enum rfc3263_transport tp)
{
	return tp == RFC3263_TP_TLS ? 5061 : 5060;
}

/* The C locale's isdigit()/isalnum() (imgated never calls setlocale()),
 * inline: no call per octet. */
static inline bool
rfc3263_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A host name octet (letters, digits, '-', '_'), by table: every octet
 * of every target host is looked up. */
#define HC(c)	((((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z') || \
    ((c) >= '0' && (c) <= '9') || (c) == '-' || (c) == '_')
#define HC8(c)	HC(c), HC((c) + 1), HC((c) + 2), HC((c) + 3), \
    HC((c) + 4), HC((c) + 5), HC((c) + 6), HC((c) + 7)
#define HC64(c)	HC8(c), HC8((c) + 8), HC8((c) + 16), HC8((c) + 24), \
    HC8((c) + 32), HC8((c) + 40), HC8((c) + 48), HC8((c) + 56)
static const bool rfc3263_hostc[256] = {
	HC64(0), HC64(64), HC64(128), HC64(192)
};
#undef HC64
#undef HC8
#undef HC

/* The value of ";transport=" in @params (up to '?'), or NONE; -1 bad. */
static int
transport_param(const char *params, size_t len, enum rfc3263_transport *tp)
{
	const char	*p = params, *end = params + len;

	*tp = RFC3263_TP_NONE;
	while (p < end) {
		const char	*next = memchr(p, ';', (size_t)(end - p));
		size_t		 n = (size_t)((next != NULL ? next : end) - p);

		if (n > 10 && strncasecmp(p, "transport=", 10) == 0) {
			const char	*v = p + 10;
			size_t		 vl = n - 10;

			if (vl == 3 && strncasecmp(v, "udp", 3) == 0)
				*tp = RFC3263_TP_UDP;
			else if (vl == 3 && strncasecmp(v, "tcp", 3) == 0)
				*tp = RFC3263_TP_TCP;
			else if (vl == 3 && strncasecmp(v, "tls", 3) == 0)
				*tp = RFC3263_TP_TLS;
			else
				return -1;
		}
		p = next != NULL ? next + 1 : end;
	}
	return 0;
}

/*
 * Parsed for every target of every message (routing/resolve asks for
 * the destination's transport, routing/siptarget for the target URI):
 * one scan to the end, the host lower-cased and checked in one pass,
 * the IP literal read by enum/ipparse (inet_pton(3)'s grammar) and only
 * when the host can be one.
 */
int
rfc3263_parse_uri(const char *uri, struct rfc3263_uri *out)
{
	const char	*p, *at, *hend, *end, *q;
	size_t		 hl, n, label;
	uint8_t		 buf[16];
	bool		 valid;

	out->secure = out->numeric = false;
	out->family = 0;
	out->host[0] = '\0';
	out->port = 0;
	out->transport = RFC3263_TP_NONE;
	if (tolower((unsigned char)uri[0]) != 's' ||
	    tolower((unsigned char)uri[1]) != 'i' ||
	    tolower((unsigned char)uri[2]) != 'p')
		return -1;
	if (uri[3] == ':')
		p = uri + 4;
	else if (tolower((unsigned char)uri[3]) == 's' &&
	    uri[4] == ':') {
		out->secure = true;
		p = uri + 5;
	} else
		return -1;
	/* The userinfo ends at the last '@' before the parameters.  The
	 * ends are found by glibc's vector strcspn() and memrchr(). */
	q = p + strcspn(p, "?>;");
	end = *q == ';' ? q + strcspn(q, "?>") : q;
	if ((at = memrchr(p, '@', (size_t)(q - p))) != NULL)
		p = at + 1;
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(end - p));
		if (hend == NULL)
			return -1;
		hl = (size_t)(hend - p - 1);
		if (hl == 0 || hl >= sizeof(out->host))
			return -1;
		memcpy(out->host, p + 1, hl);
		out->host[hl] = '\0';
		if (ipparse_addr(out->host, hl, buf) != AF_INET6)
			return -1;
		out->numeric = true;
		out->family = AF_INET6;
		hend++;
	} else {
		hend = p + strcspn(p, ":;?>");
		if (hend > end)
			hend = end;
		hl = (size_t)(hend - p);
		if (hl == 0 || hl >= sizeof(out->host))
			return -1;
		/* Without a final dot: the host as stored and checked. */
		n = hl > 1 && p[hl - 1] == '.' ? hl - 1 : hl;
		/* Lower-cased and its labels checked in the same pass:
		 * 1..63 host octets each, 253 in all. */
		valid = n <= 253;
		label = 0;	/* where the current label starts */
		for (size_t i = 0; i < n; i++) {
			int	 c = tolower((unsigned char)p[i]);

			out->host[i] = (char)c;
			if (c == '.') {
				if (i == label || i - label > 63)
					valid = false;
				label = i + 1;
			} else if (!rfc3263_hostc[c])
				valid = false;
		}
		if (n - label > 63)
			valid = false;
		out->host[n] = '\0';
		hl = n;
		/* A dotted quad starts with a digit (inet_pton(3)). */
		if (rfc3263_is_digit((unsigned char)out->host[0]) &&
		    ipparse_addr(out->host, hl, buf) == AF_INET) {
			out->numeric = true;
			out->family = AF_INET;
		} else if (!valid)
			return -1;
	}
	if (hend < end && *hend == ':') {
		unsigned long	 port = 0;
		const char	*d = hend + 1;

		if (!rfc3263_is_digit((unsigned char)*d))
			return -1;
		while (d < end && rfc3263_is_digit((unsigned char)*d) &&
		    port <= 65535)
			port = port * 10 + (unsigned long)(*d++ - '0');
		if (port == 0 || port > 65535)
			return -1;
		out->port = (uint16_t)port;
		hend = d;
	}
	if (hend < end && *hend != ';')
		return -1;
	if (hend < end && transport_param(hend + 1, (size_t)(end - hend - 1),
	    &out->transport) != 0)
		return -1;
	/* sips: is TLS end to end: never clear text (RFC 3261 19.1.2). */
	if (out->secure && out->transport == RFC3263_TP_UDP)
		return -1;
	if (out->secure && out->transport == RFC3263_TP_TCP)
		out->transport = RFC3263_TP_TLS;
	return 0;
}

void
rfc3263_plan(const struct rfc3263_uri *u, struct rfc3263_plan *out)
{
	enum rfc3263_transport	 tp = u->transport;

	/*
	 * RFC 3263 4.1: a URI without a transport parameter, with an IP
	 * literal or a port, means UDP for sip: and TLS (over TCP) for
	 * sips:.  4.2: an explicit port means no SRV.
	 */
	if (tp == RFC3263_TP_NONE && (u->numeric || u->port != 0))
		tp = u->secure ? RFC3263_TP_TLS : RFC3263_TP_UDP;
	out->transport = tp;
	out->port = u->port;
	if (u->numeric)
		out->step = RFC3263_STEP_NUMERIC;
	else if (u->port != 0)
		out->step = RFC3263_STEP_ADDR;
	else if (tp != RFC3263_TP_NONE)
		out->step = RFC3263_STEP_SRV;
	else
		out->step = RFC3263_STEP_NAPTR;
	if (out->step == RFC3263_STEP_NUMERIC && out->port == 0)
		out->port = rfc3263_default_port(tp);
}

int
rfc3263_srv_owner(enum rfc3263_transport tp, const char *host, char *out,
    size_t outsz)
{
	const char	*pfx;
	size_t		 hl = strlen(host);
	int		 n;

	switch (tp) {
	case RFC3263_TP_UDP:
		pfx = "_sip._udp";
		break;
	case RFC3263_TP_TCP:
		pfx = "_sip._tcp";
		break;
	case RFC3263_TP_TLS:
		pfx = "_sips._tcp";
		break;
	default:
		return -1;
	}
	n = snprintf(out, outsz, "%s.%s%s", pfx, host,
	    hl > 0 && host[hl - 1] == '.' ? "" : ".");
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

/* The transport a NAPTR service field names (RFC 3263 4.1), or NONE. */
static enum rfc3263_transport
service_transport(const char *s)
{
	if (strcasecmp(s, "SIP+D2U") == 0)
		return RFC3263_TP_UDP;
	if (strcasecmp(s, "SIP+D2T") == 0)
		return RFC3263_TP_TCP;
	if (strcasecmp(s, "SIPS+D2T") == 0)
		return RFC3263_TP_TLS;
	return RFC3263_TP_NONE;
}

size_t
rfc3263_naptr_select(const struct naptr_rr *rrs, size_t n, bool secure,
    unsigned allowed, struct rfc3263_naptr *out, size_t outmax)
{
	size_t	 nout = 0;

	for (size_t i = 0; i < n && i < NAPTR_MAX_RRS; i++) {
		const struct naptr_rr	*r = &rrs[i];
		enum rfc3263_transport	 tp = service_transport(r->services);
		struct rfc3263_naptr	 c;
		size_t			 j;

		/* RFC 3263 4.1: "s" records only, and the replacement
		 * is the SRV owner (a regexp is not used here). */
		if (tp == RFC3263_TP_NONE || strcasecmp(r->flags, "s") != 0)
			continue;
		if ((allowed & RFC3263_TP_BIT(tp)) == 0)
			continue;
		if (secure && tp != RFC3263_TP_TLS)
			continue;
		if (r->replacement == NULL || strcmp(r->replacement, ".") ==
		    0 || r->regexp[0] != '\0')
			continue;
		c.transport = tp;
		c.order = r->order;
		c.preference = r->preference;
		c.index = r->index;
		if (str_copy(c.srv_owner, sizeof(c.srv_owner),
		    r->replacement) >= sizeof(c.srv_owner))
			continue;
		/* Insert by (order, preference); equal ones keep DNS order. */
		j = nout < outmax ? nout : outmax;
		while (j > 0 && (out[j - 1].order > c.order ||
		    (out[j - 1].order == c.order &&
		    out[j - 1].preference > c.preference))) {
			if (j < outmax)
				out[j] = out[j - 1];
			j--;
		}
		if (j < outmax) {
			out[j] = c;
			if (nout < outmax)
				nout++;
		}
	}
	return nout;
}
