/*
 * tests/unit/rfc3263_ref.c - rfc3263_parse_uri() as it stood before the
 * single-scan parser (routing/rfc3263.c), the reference test_rfc3263
 * compares the current one against on generated URIs.  Only the names
 * differ.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "tests/unit/rfc3263_ref.h"

static bool
ref_valid_host(const char *h)
{
	size_t	 label = 0, n = strlen(h);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

/* The value of ";transport=" in @params (up to '?'), or NONE; -1 bad. */
static int
ref_transport_param(const char *params, size_t len, enum rfc3263_transport *tp)
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

int
rfc3263ref_parse_uri(const char *uri, struct rfc3263_uri *out)
{
	const char	*p, *at, *hend, *end;
	size_t		 hl;
	unsigned char	 buf[16];

	memset(out, 0, sizeof(*out));
	if (strncasecmp(uri, "sips:", 5) == 0) {
		out->secure = true;
		p = uri + 5;
	} else if (strncasecmp(uri, "sip:", 4) == 0)
		p = uri + 4;
	else
		return -1;
	end = p + strcspn(p, "?>");
	/* The userinfo ends at the last '@' before the parameters. */
	at = NULL;
	for (const char *q = p; q < end && *q != ';'; q++)
		if (*q == '@')
			at = q;
	if (at != NULL)
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
		if (inet_pton(AF_INET6, out->host, buf) != 1)
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
		for (size_t i = 0; i < hl; i++)
			out->host[i] = (char)tolower((unsigned char)p[i]);
		out->host[hl] = '\0';
		if (hl > 1 && out->host[hl - 1] == '.')
			out->host[hl - 1] = '\0';
		if (inet_pton(AF_INET, out->host, buf) == 1) {
			out->numeric = true;
			out->family = AF_INET;
		} else if (!ref_valid_host(out->host))
			return -1;
	}
	if (hend < end && *hend == ':') {
		unsigned long	 port = 0;
		const char	*d = hend + 1;

		if (!isdigit((unsigned char)*d))
			return -1;
		while (d < end && isdigit((unsigned char)*d) &&
		    port <= 65535)
			port = port * 10 + (unsigned long)(*d++ - '0');
		if (port == 0 || port > 65535)
			return -1;
		out->port = (uint16_t)port;
		hend = d;
	}
	if (hend < end && *hend != ';')
		return -1;
	if (hend < end && ref_transport_param(hend + 1,
	    (size_t)(end - hend - 1), &out->transport) != 0)
		return -1;
	/* sips: is TLS end to end: never clear text (RFC 3261 19.1.2). */
	if (out->secure && out->transport == RFC3263_TP_UDP)
		return -1;
	if (out->secure && out->transport == RFC3263_TP_TCP)
		out->transport = RFC3263_TP_TLS;
	return 0;
}
