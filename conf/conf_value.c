/*
 * conf/conf_value.c - the value parsers of the loader, and its messages.
 *
 * One function per kind of value a file holds (host names, resolver
 * addresses, SIP URIs, networks, static targets, numbers, JIDs): each
 * checks a string and writes its canonical form, or says why it is
 * wrong, quoting the value.  conf_load.c applies them to schema rows,
 * conf_policy.c to the keys of routes, dial plans and identities.  No
 * libconfig here; no state but the caller's buffers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "conf/conf.h"
#include "conf/conf_int.h"
#include "conf/conf_schema.h"

/*
 * Messages quote values from the file.  Keep them short and printable so
 * a hostile or broken file cannot put control characters into logs.
 */
void
conf_quote(const char *in, char *out, size_t outsz)
{
	size_t	i, o = 0;

	if (outsz < 8) {
		if (outsz > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (i = 0; in[i] != '\0'; i++) {
		if (o + 5 >= outsz || i >= 64) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		out[o++] = isprint((unsigned char)in[i]) ? in[i] : '?';
	}
	out[o++] = '"';
	out[o] = '\0';
}

void
conf_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/*
 * The name to show for a file libconfig recorded.  libconfig 1.5 keeps
 * an included file under the name written in the @include line, but it
 * opened it relative to the include directory; show the path it opened.
 */
static void
conf_display_file(const struct conf_ctx *ctx, const char *file, char *out,
    size_t outsz)
{
	if (file == NULL)
		file = ctx->path;
	if (strcmp(file, ctx->path) == 0 || file[0] == '/' ||
	    strcmp(ctx->dir, ".") == 0 ||
	    snprintf(out, outsz, "%s/%s", ctx->dir, file) >= (int)outsz)
		snprintf(out, outsz, "%s", file);
}

void
conf_errorf(struct conf_ctx *ctx, const char *file, unsigned int line,
    const char *fmt, ...)
{
	char	shown[CONF_PATH_MAX], what[CONF_WHY_MAX * 2];
	va_list	ap;

	if (ctx->err == NULL || ctx->errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	conf_display_file(ctx, file, shown, sizeof(shown));
	if (line > 0)
		snprintf(ctx->err, ctx->errsz, "%s:%u: %s", shown, line, what);
	else
		snprintf(ctx->err, ctx->errsz, "%s: %s", shown, what);
}

int
conf_in_list(const char *const *words, const char *s)
{
	int	i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(words[i], s) == 0)
			return i;
	return -1;
}

/* "off, prefer, require" for messages. */
void
conf_join(const char *const *words, char *out, size_t outsz)
{
	size_t	i, o = 0;
	int	n;

	out[0] = '\0';
	for (i = 0; words[i] != NULL && o < outsz; i++) {
		n = snprintf(out + o, outsz - o, "%s%s", i ? ", " : "",
		    words[i]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

/*
 * A DNS host name: dot-separated labels of letters, digits and inner
 * hyphens, 1..63 bytes each, 253 in all.  One trailing dot is accepted.
 * The result is lower-case, with a trailing dot only if @absolute.
 */
int
conf_check_host(const char *in, int absolute, char *out, size_t outsz,
    char *why, size_t whysz)
{
	char	q[96];
	size_t	len = strlen(in), i, label = 0;

	conf_quote(in, q, sizeof(q));
	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || len + 2 > outsz) {
		conf_why(why, whysz, "%s is not a domain name", q);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == '.') {
			if (label == 0 || in[i - 1] == '-')
				goto bad;
			label = 0;
		} else if (isalnum(ch) || ch == '-') {
			if (label == 0 && ch == '-')
				goto bad;
			if (++label > 63)
				goto bad;
		} else
			goto bad;
		out[i] = (char)tolower(ch);
	}
	if (in[len - 1] == '-')
		goto bad;
	if (absolute)
		out[len++] = '.';
	out[len] = '\0';
	return 0;
bad:
	conf_why(why, whysz, "%s is not a domain name", q);
	return -1;
}

/* Decimal 1..65535, nothing else. */
static int
conf_parse_port(const char *s, unsigned int *port)
{
	unsigned long	v = 0;
	size_t		i;

	if (s[0] == '\0' || strlen(s) > 5)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (unsigned int)v;
	return 0;
}

/*
 * A resolver address: "192.0.2.1", "192.0.2.1:5353", "2001:db8::1" or
 * "[2001:db8::1]:5353".  Stored as "IP:PORT" with the address in the
 * form inet_ntop() prints, so that duplicates compare equal.
 */
int
conf_check_server(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char		 host[INET6_ADDRSTRLEN + 1], txt[INET6_ADDRSTRLEN];
	char		 q[96];
	const char	*port = NULL, *colon, *end;
	unsigned char	 bin[sizeof(struct in6_addr)];
	unsigned int	 portnum = 53;
	size_t		 hlen;
	int		 af;

	conf_quote(in, q, sizeof(q));
	if (in[0] == '[') {
		if ((end = strchr(in, ']')) == NULL)
			goto bad;
		hlen = (size_t)(end - in - 1);
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, in + 1, hlen);
		host[hlen] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto bad;
		af = AF_INET6;
	} else if ((colon = strchr(in, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		hlen = (size_t)(colon - in);
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, in, hlen);
		host[hlen] = '\0';
		port = colon + 1;
		af = AF_INET;
	} else {
		if (strlen(in) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%s", in);
		af = colon != NULL ? AF_INET6 : AF_INET;
	}
	if (inet_pton(af, host, bin) != 1)
		goto bad;
	if (port != NULL && conf_parse_port(port, &portnum) == -1)
		goto bad;
	if (inet_ntop(af, bin, txt, sizeof(txt)) == NULL)
		goto bad;
	if (snprintf(out, outsz, af == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    txt, portnum) >= (int)outsz)
		goto bad;
	return 0;
bad:
	conf_why(why, whysz, "%s is not IP, IP:PORT or [IPv6]:PORT", q);
	return -1;
}

/* An address literal: libstrophe is given IPs only (its lookup blocks). */
int
conf_check_ip(const char *in, char *why, size_t whysz)
{
	unsigned char	 bin[sizeof(struct in6_addr)];
	char		 q[96];

	if (inet_pton(AF_INET, in, bin) == 1 ||
	    inet_pton(AF_INET6, in, bin) == 1)
		return 0;
	conf_quote(in, q, sizeof(q));
	conf_why(why, whysz, "%s is not an IPv4 or IPv6 address", q);
	return -1;
}

/*
 * The listen URI handed to sofia-sip: "sip:" or "sips:" (TLS), then
 * HOST [":" PORT] [";" params] where HOST is "*", an IPv4 address,
 * "[IPv6]" or a host name.  No user part.  Stored as written.
 */
int
conf_check_sip_uri(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char		 host[CONF_STR_MAX], tmp[CONF_STR_MAX], q[96];
	unsigned char	 bin[sizeof(struct in6_addr)];
	const char	*p, *hend, *params;
	unsigned int	 port;
	size_t		 hlen, i;

	conf_quote(in, q, sizeof(q));
	if (strlen(in) >= outsz)
		goto bad;
	if (strncasecmp(in, "sip:", 4) == 0)
		p = in + 4;
	else if (strncasecmp(in, "sips:", 5) == 0)
		p = in + 5;
	else
		goto bad;
	params = strchr(p, ';');
	if (p[0] == '[') {
		if ((hend = strchr(p, ']')) == NULL ||
		    (params != NULL && params < hend))
			goto bad;
		hlen = (size_t)(hend - p - 1);
		memcpy(host, p + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1)
			goto bad;
		hend++;
	} else {
		hend = p + strcspn(p, ":;");
		hlen = (size_t)(hend - p);
		memcpy(host, p, hlen);
		host[hlen] = '\0';
		if (strcmp(host, "*") == 0)
			;
		else if (strspn(host, "0123456789.") == hlen) {
			if (inet_pton(AF_INET, host, bin) != 1)
				goto bad;
		} else if (conf_check_host(host, 0, tmp, sizeof(tmp), why,
		    whysz) == -1 || host[hlen - 1] == '.')
			goto bad;
	}
	if (*hend == ':') {
		hlen = params != NULL ? (size_t)(params - hend - 1) :
		    strlen(hend + 1);
		if (hlen >= sizeof(tmp))
			goto bad;
		memcpy(tmp, hend + 1, hlen);
		tmp[hlen] = '\0';
		if (conf_parse_port(tmp, &port) == -1)
			goto bad;
	} else if (*hend != '\0' && *hend != ';')
		goto bad;
	if (params != NULL) {
		for (i = 1; params[i] != '\0'; i++)
			if (!isalnum((unsigned char)params[i]) &&
			    strchr("=;._-", params[i]) == NULL)
				goto bad;
	}
	snprintf(out, outsz, "%s", in);
	return 0;
bad:
	conf_why(why, whysz, "%s is not sip:HOST[:PORT][;params] or "
	    "sips:HOST[:PORT][;params]", q);
	return -1;
}

/*
 * "10.0.0.0/8", "2001:db8::/32" or a bare address (/32, /128).  Bits
 * beyond the length must be zero: "10.0.0.1/8" is refused, since it
 * usually means a mistyped length rather than the network 10.0.0.0/8.
 */
int
conf_parse_net(const char *in, struct conf_net *net, char *why,
    size_t whysz)
{
	char		 addr[INET6_ADDRSTRLEN + 1], txt[INET6_ADDRSTRLEN];
	char		 q[96];
	const char	*slash = strchr(in, '/'), *len;
	uint8_t		 masked[16];
	size_t		 alen = slash != NULL ? (size_t)(slash - in) :
			    strlen(in);
	unsigned int	 max, bits, i;

	conf_quote(in, q, sizeof(q));
	memset(net, 0, sizeof(*net));
	if (alen == 0 || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, in, alen);
	addr[alen] = '\0';
	net->family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	max = net->family == AF_INET6 ? 128 : 32;
	if (inet_pton(net->family, addr, net->addr) != 1)
		goto bad;
	bits = max;
	if (slash != NULL) {
		len = slash + 1;
		if (len[0] == '\0' || strlen(len) > 3 ||
		    strspn(len, "0123456789") != strlen(len))
			goto bad;
		bits = (unsigned int)strtoul(len, NULL, 10);
		if (bits > max) {
			conf_why(why, whysz, "%s: length %u is more than %u",
			    q, bits, max);
			return -1;
		}
	}
	net->prefixlen = bits;
	memcpy(masked, net->addr, sizeof(masked));
	for (i = 0; i < max / 8; i++) {
		if (bits >= (i + 1) * 8)
			continue;
		masked[i] &= bits > i * 8 ?
		    (uint8_t)(0xffu << (8 - (bits - i * 8))) : 0;
	}
	if (memcmp(masked, net->addr, max / 8) != 0) {
		/* Safe to print unquoted: inet_pton() accepted it. */
		if (inet_ntop(net->family, masked, txt, sizeof(txt)) == NULL)
			txt[0] = '\0';
		conf_why(why, whysz, "%s has host bits set (the network is "
		    "%s/%u)", in, txt, bits);
		return -1;
	}
	return 0;
bad:
	conf_why(why, whysz, "%s is not ADDRESS/LENGTH or an IPv4 or IPv6 "
	    "address", q);
	return -1;
}

/* A SIP or IM user part: unreserved characters and %XX escapes. */
static int
conf_user_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (isalnum((unsigned char)s[i]) ||
		    strchr("-_.!~*'()&=+$,", s[i]) != NULL)
			continue;
		if (s[i] == '%' && i + 2 < len &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			i += 2;
			continue;
		}
		return 0;
	}
	return 1;
}

/*
 * HOST[:PORT]: an IPv4 address, "[IPv6]" or a host name (lower-cased).
 * @out gets the canonical "host[:port]"; @host, when not NULL, the host
 * alone (an IPv6 literal without its brackets) and @port its port, 0 when
 * none was written.
 */
static int
conf_hostport(const char *in, int port_ok, char *out, size_t outsz,
    char *hostout, size_t hostsz, unsigned int *portout)
{
	char		 host[CONF_STR_MAX], canon[CONF_STR_MAX], why[8];
	unsigned char	 bin[sizeof(struct in6_addr)];
	const char	*end, *rest, *bare;
	unsigned int	 port = 0;
	size_t		 hlen;

	if (in[0] == '[') {
		if ((end = strchr(in, ']')) == NULL)
			return -1;
		hlen = (size_t)(end - in - 1);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, in + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1)
			return -1;
		snprintf(canon, sizeof(canon), "[%s]", host);
		bare = host;
		rest = end + 1;
	} else {
		rest = in + strcspn(in, ":");
		hlen = (size_t)(rest - in);
		if (hlen == 0 || hlen >= sizeof(host))
			return -1;
		memcpy(host, in, hlen);
		host[hlen] = '\0';
		if (strspn(host, "0123456789.") == hlen) {
			if (inet_pton(AF_INET, host, bin) != 1)
				return -1;
			snprintf(canon, sizeof(canon), "%s", host);
		} else if (host[hlen - 1] == '.' ||
		    conf_check_host(host, 0, canon, sizeof(canon), why,
		    sizeof(why)) == -1)
			return -1;
		bare = canon;
	}
	if (*rest == ':') {
		if (!port_ok || conf_parse_port(rest + 1, &port) == -1)
			return -1;
	} else if (*rest != '\0')
		return -1;
	if (snprintf(out, outsz, "%s%s", canon, rest) >= (int)outsz)
		return -1;
	if (hostout != NULL &&
	    snprintf(hostout, hostsz, "%s", bare) >= (int)hostsz)
		return -1;
	if (portout != NULL)
		*portout = port;
	return 0;
}

/* ";transport=tls" among URI parameters @params (RFC 3261 19.1.2:
 * TLS defaults to port 5061). */
static bool
conf_transport_tls(const char *params)
{
	const char	*p;

	for (p = params; (p = strchr(p, ';')) != NULL; p++)
		if (strncasecmp(p, ";transport=tls", 14) == 0 &&
		    (p[14] == '\0' || p[14] == ';'))
			return true;
	return false;
}

/*
 * A static target: "sip:HOST[:PORT]", "sip:USER@HOST[:PORT]" (either
 * also sips:, either with URI parameters such as ";transport=tls"),
 * "xmpp:DOMAIN" or "im:USER@DOMAIN".  The text is kept with the scheme
 * and host in lower case, so that duplicates compare equal; parameters
 * as written.  This is the one parser of targets: routing/policy.c only
 * fills the number into what is stored here.
 */
int
conf_target_parse(const char *in, struct conf_target *t, char *why,
    size_t whysz)
{
	const char	*p, *at, *form, *params;
	char		 q[96], hp[CONF_STR_MAX];
	char		*out = t->text;
	size_t		 outsz = sizeof(t->text), o, i;
	unsigned int	 port;
	bool		 sips = strncasecmp(in, "sips:", 5) == 0;

	memset(t, 0, sizeof(*t));
	conf_quote(in, q, sizeof(q));
	if (strncasecmp(in, "sip:", 4) == 0 || sips) {
		form = "sip:HOST[:PORT][;params], "
		    "sip:USER@HOST[:PORT][;params] or the same with sips:";
		t->kind = CONF_TARGET_SIP;
		t->secure = sips;
		p = in + (sips ? 5 : 4);
		o = (size_t)snprintf(out, outsz, sips ? "sips:" : "sip:");
		if ((at = strchr(p, '@')) != NULL) {
			if (!conf_user_ok(p, (size_t)(at - p)) ||
			    o + (size_t)(at - p) + 1 >= outsz)
				goto bad;
			memcpy(out + o, p, (size_t)(at - p) + 1);
			memcpy(t->user, p, (size_t)(at - p));
			o += (size_t)(at - p) + 1;
			p = at + 1;
		}
		params = p + strcspn(p, ";");
		if ((size_t)(params - p) >= sizeof(hp))
			goto bad;
		memcpy(hp, p, (size_t)(params - p));
		hp[params - p] = '\0';
		if (conf_hostport(hp, 1, out + o, outsz - o, t->host,
		    sizeof(t->host), &port) == -1)
			goto bad;
		if (*params != '\0') {
			/* ";name[=value]" words only: nothing that ends the
			 * URI. */
			for (i = 1; params[i] != '\0'; i++)
				if (!isalnum((unsigned char)params[i]) &&
				    strchr("=;._-", params[i]) == NULL)
					goto bad;
			if (params[1] == '\0' ||
			    strstr(params, ";;") != NULL ||
			    (o = strlen(out)) + strlen(params) >= outsz)
				goto bad;
			memcpy(out + o, params, strlen(params) + 1);
			memcpy(t->params, params, strlen(params) + 1);
		}
		if (port != 0)
			t->port = (uint16_t)port;
		else
			t->port = sips || conf_transport_tls(t->params) ?
			    5061 : 5060;
		return 0;
	}
	if (strncasecmp(in, "xmpp:", 5) == 0) {
		form = "xmpp:DOMAIN";
		t->kind = CONF_TARGET_XMPP;
		p = in + 5;
		o = (size_t)snprintf(out, outsz, "xmpp:");
		if (strchr(p, '@') != NULL ||
		    conf_hostport(p, 0, out + o, outsz - o, t->host,
		    sizeof(t->host), NULL) == -1)
			goto bad;
		return 0;
	}
	if (strncasecmp(in, "im:", 3) == 0) {
		form = "im:USER@DOMAIN";
		t->kind = CONF_TARGET_IM;
		p = in + 3;
		o = (size_t)snprintf(out, outsz, "im:");
		if ((at = strchr(p, '@')) == NULL ||
		    !conf_user_ok(p, (size_t)(at - p)) ||
		    o + (size_t)(at - p) + 1 >= outsz)
			goto bad;
		memcpy(out + o, p, (size_t)(at - p) + 1);
		memcpy(t->user, p, (size_t)(at - p));
		o += (size_t)(at - p) + 1;
		if (conf_hostport(at + 1, 0, out + o, outsz - o, t->host,
		    sizeof(t->host), NULL) == -1)
			goto bad;
		return 0;
	}
	memset(t, 0, sizeof(*t));
	conf_why(why, whysz, "%s is not a sip:, xmpp: or im: URI", q);
	return -1;
bad:
	memset(t, 0, sizeof(*t));
	conf_why(why, whysz, "%s is not %s", q, form);
	return -1;
}

/* A route or dial plan name: it appears in logs and messages. */
int
conf_check_name(const char *s, char *why, size_t whysz)
{
	char	q[96];
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("_.-", s[i]) == NULL) {
			conf_quote(s, q, sizeof(q));
			conf_why(why, whysz, "%s: only letters, digits, "
			    "'_', '.' and '-' are allowed", q);
			return -1;
		}
	return 0;
}

/* "+" and up to 15 digits, or "" (any number); "+" alone is stored "". */
int
conf_check_prefix(const char *s, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char	q[96];
	size_t	len = strlen(s);

	if (len == 0 || strcmp(s, "+") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (s[0] != '+' || len - 1 > 15 ||
	    strspn(s + 1, "0123456789") != len - 1 || len >= outsz) {
		conf_quote(s, q, sizeof(q));
		conf_why(why, whysz, "%s is not \"+\" followed by up to 15 "
		    "digits", q);
		return -1;
	}
	memcpy(out, s, len + 1);
	return 0;
}

/* Digits only, as the key's length bounds allow (checked already). */
int
conf_check_digits(const char *s, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char	q[96];

	if (strspn(s, "0123456789") != strlen(s) || strlen(s) >= outsz) {
		conf_quote(s, q, sizeof(q));
		conf_why(why, whysz, "%s is not a string of digits", q);
		return -1;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* An E.164 number: "+" and 1..15 digits. */
int
conf_check_e164(const char *s, char *out, size_t outsz, char *why,
    size_t whysz)
{
	char	q[96];
	size_t	len = strlen(s);

	if (len < 2 || s[0] != '+' || len - 1 > 15 ||
	    strspn(s + 1, "0123456789") != len - 1 || len >= outsz) {
		conf_quote(s, q, sizeof(q));
		conf_why(why, whysz, "%s is not \"+\" followed by 1 to 15 "
		    "digits", q);
		return -1;
	}
	memcpy(out, s, len + 1);
	return 0;
}

/*
 * An identity's SIP address: "sip:USER@HOST[:PORT]", no parameters or
 * headers.  Scheme and host are stored lower-case, the user as written
 * (SIP user parts are case-sensitive).
 */
int
conf_canon_id_sip(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	const char	*p, *at;
	char		 q[96];
	size_t		 ulen, o;

	if (strncasecmp(in, "sip:", 4) != 0)
		goto bad;
	p = in + 4;
	if ((at = strchr(p, '@')) == NULL)
		goto bad;
	ulen = (size_t)(at - p);
	if (!conf_user_ok(p, ulen) || 4 + ulen + 1 >= outsz)
		goto bad;
	memcpy(out, "sip:", 4);
	memcpy(out + 4, p, ulen + 1);
	o = 4 + ulen + 1;
	if (conf_hostport(at + 1, 1, out + o, outsz - o, NULL, 0, NULL) == -1)
		goto bad;
	for (; out[o] != '\0'; o++)		/* "[2001:DB8::1]" too */
		out[o] = (char)tolower((unsigned char)out[o]);
	return 0;
bad:
	conf_quote(in, q, sizeof(q));
	conf_why(why, whysz, "%s is not sip:USER@HOST[:PORT]", q);
	return -1;
}

/*
 * An identity's XMPP address: a bare JID "local@domain" (RFC 7622), no
 * resource.  The domain is a host name, stored lower-case; the local
 * part is kept as written.
 */
int
conf_canon_jid(const char *in, char *out, size_t outsz, char *why,
    size_t whysz)
{
	const char	*at, *slash;
	char		 q[96];
	size_t		 llen, i;

	conf_quote(in, q, sizeof(q));
	if ((slash = strchr(in, '/')) != NULL) {
		conf_why(why, whysz, "%s is a full JID: give the bare JID "
		    "local@domain, without \"/resource\"", q);
		return -1;
	}
	if ((at = strchr(in, '@')) == NULL)
		goto bad;
	llen = (size_t)(at - in);
	if (llen == 0 || llen > 1023 || llen + 1 >= outsz)
		goto bad;
	for (i = 0; i < llen; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch <= 0x20 || ch == 0x7f || strchr("\"&'/:<>@",
		    ch) != NULL)
			goto bad;
	}
	memcpy(out, in, llen + 1);
	if (conf_check_host(at + 1, 0, out + llen + 1, outsz - llen - 1,
	    why, whysz) == -1)
		goto bad;
	return 0;
bad:
	conf_why(why, whysz, "%s is not a bare JID local@domain", q);
	return -1;
}
