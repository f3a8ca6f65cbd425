/*
 * gateway/xlate/xlate_msg.c - pager-mode message mapping, RFC 7572 Tables
 * 1 and 2.
 *
 * The one SIP <-> XMPP message mapping: gateway/xmppgw calls
 * xlate_sip_to_xmpp_msg() for every message it sends to XMPP and
 * xlate_xmpp_to_sip_msg() for every <message/> it receives, and
 * tests/iw/iw_tool runs the interworking vectors through the same two
 * functions.  Addresses come from xlate_addr.c, bodies from
 * xlate_cpim.c, checks from xlate_text.c.  Pure: no I/O, no allocation;
 * output goes into the caller's structs, bodies stay borrowed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gateway/xlate/xlate.h"
#include "gateway/xlate/xlate_int.h"
#include "routing/imaddr.h"

static const char	 xlate_text_plain[] = "text/plain;charset=UTF-8";

static size_t	xlate_lang_tag(const char *, char *, size_t);
static bool	xlate_callid_ok(const char *);

/*
 * Message mapping.
 */

/*
 * The first language tag of a Content-Language list or an xml:lang
 * value, when it is a plausible BCP 47 tag (subtags of 1..8 letters or
 * digits, the first one letters only).  Returns its length, or 0 and ""
 * when there is none: the message then carries no language at all,
 * since a bad optional header is no reason to refuse it.
 */
static size_t
xlate_lang_tag(const char *in, char *out, size_t outsz)
{
	size_t	 i = 0, n = 0, sub = 0;
	bool	 first = true;
	int	 c;

	out[0] = '\0';
	if (in == NULL)
		return 0;
	while (in[i] == ' ' || in[i] == '\t')
		i++;
	for (; in[i] != '\0' && in[i] != ',' && in[i] != ' ' &&
	    in[i] != '\t'; i++) {
		c = (unsigned char)in[i];
		if (c == '-') {
			if (sub == 0)
				goto bad;
			sub = 0;
			first = false;
		} else if (!xlate_is_alnum(c) || ++sub > 8 ||
		    (first && xlate_is_digit(c)))
			goto bad;
		if (n + 1 >= outsz)
			goto bad;
		out[n++] = (char)c;
	}
	while (in[i] == ' ' || in[i] == '\t')
		i++;
	if (n == 0 || sub == 0 || (in[i] != '\0' && in[i] != ','))
		goto bad;
	out[n] = '\0';
	return n;
bad:
	out[0] = '\0';
	return 0;
}

/*
 * RFC 3261 25.1: callid = word [ "@" word ], and shorter than
 * XLATE_THREAD_SIZE, the cap of the other direction: a <thread/> of
 * kilobytes would become a Call-ID that peers refuse or ignore (a
 * hostile sender's 3000 characters left the request unanswered).
 */
static bool
xlate_callid_ok(const char *s)
{
	const char	*s0 = s;
	size_t		 w = 0;
	bool		 at = false;

	for (; *s != '\0'; s++) {
		if ((size_t)(s - s0) >= XLATE_THREAD_SIZE - 1)
			return false;
		if (*s == '@') {
			if (at || w == 0)
				return false;
			at = true;
			w = 0;
		} else if (xlate_is_alnum((unsigned char)*s) ||
		    xlate_in((unsigned char)*s, "-.!%*_+`'~()<>:\\\"/[]?{}"))
			w++;
		else
			return false;
	}
	return w > 0;
}

/*
 * RFC 3261 7.3.1: a header value folded over lines is one line; each run
 * of CR/LF with the white space around it reads as one SP.  XMPP would
 * keep the line breaks, so the value is unfolded on the way.
 * @return XLATE_OK, XLATE_E_NO_SPACE (over @outsz - 1 octets), or the
 *         errors of xlate_utf8_check()
 */
static enum xlate_status
xlate_unfold(const char *in, char *out, size_t outsz)
{
	enum xlate_status	 st;
	size_t			 i, n = 0, len = strlen(in);

	if ((st = xlate_utf8_check(in, len, NULL)) != XLATE_OK)
		return st;
	for (i = 0; i < len; i++) {
		if (in[i] == '\r' || in[i] == '\n') {
			while (n > 0 && (out[n - 1] == ' ' ||
			    out[n - 1] == '\t'))
				n--;
			while (i + 1 < len && (in[i + 1] == '\r' ||
			    in[i + 1] == '\n' || in[i + 1] == ' ' ||
			    in[i + 1] == '\t'))
				i++;
			if (i + 1 == len)	/* a break at the end: none */
				break;
			if (n + 1 >= outsz)
				return xlate_fail(out, outsz, XLATE_E_NO_SPACE);
			out[n++] = ' ';
			continue;
		}
		if (n + 1 >= outsz)
			return xlate_fail(out, outsz, XLATE_E_NO_SPACE);
		out[n++] = in[i];
	}
	out[n] = '\0';
	return XLATE_OK;
}

enum xlate_status
xlate_sip_to_xmpp_msg(const struct xlate_sip_msg *in, const char *gw_domain,
    struct xlate_xmpp_msg *out)
{
	const struct xlate_cpim	*cpim;
	enum xlate_status	 st;
	enum xlate_ctype	 ct;
	char			 uri[XLATE_URI_SIZE];
	const char		*dest;
	size_t			 n;
	bool			 mine;

	/*
	 * Field by field, not memset(): the struct holds 7 kB of buffers
	 * and this runs for every message to XMPP.
	 */
	out->from[0] = out->to[0] = out->thread[0] = out->subject[0] =
	    out->lang[0] = '\0';
	out->type = NULL;
	out->body.p = NULL;
	out->body.len = 0;
	out->cpim = false;
	out->kind = XLATE_CT_TEXT;
	/* from: the number the identity table gives, an XMPP sender seen
	 * at the gateway, or the URI of the From header, never its tag. */
	if (in->sender_number != NULL) {
		if (gw_domain == NULL)
			return XLATE_E_DOMAIN;
		n = (size_t)snprintf(out->from, sizeof(out->from), "%s@%s",
		    in->sender_number, gw_domain);
		if (n >= sizeof(out->from))
			return xlate_fail(out->from, sizeof(out->from),
			    XLATE_E_NO_SPACE);
	} else if (in->sender_jid != NULL) {
		if (gw_domain == NULL)
			return XLATE_E_DOMAIN;
		if ((st = xlate_xmpp_sender_to_gw_jid(in->sender_jid,
		    gw_domain, out->from, sizeof(out->from))) != XLATE_OK)
			return st;
	} else {
		if (in->from == NULL)
			return XLATE_E_URI;
		if ((st = xlate_sip_addr_uri(in->from, uri, sizeof(uri))) !=
		    XLATE_OK)
			return st;
		st = gw_domain != NULL ?
		    xlate_sip_sender_to_gw_jid(uri, gw_domain, out->from,
		    sizeof(out->from)) :
		    xlate_sip_to_jid(uri, out->from, sizeof(out->from));
		if (st != XLATE_OK)
			return st;
	}

	/* to: the JID routing chose, else Request-URI, else To. */
	if (in->xmpp_to != NULL) {
		n = strlen(in->xmpp_to);
		if (n >= sizeof(out->to))
			return XLATE_E_NO_SPACE;
		memcpy(out->to, in->xmpp_to, n + 1);
	} else {
		if (in->to == NULL)
			return XLATE_E_URI;
		dest = in->request_uri != NULL ? in->request_uri : in->to;
		mine = false;
		st = xlate_sip_addr_uri(dest, uri, sizeof(uri));
		if (st == XLATE_OK && gw_domain != NULL)
			st = xlate_sip_host_is(uri, gw_domain, &mine);
		if (st == XLATE_OK) {
			st = mine ? xlate_gw_sip_to_xmpp(uri, gw_domain,
			    out->to, sizeof(out->to)) : XLATE_E_NOT_GW;
			if (st == XLATE_E_NOT_GW)
				st = xlate_sip_to_jid(uri, out->to,
				    sizeof(out->to));
		}
		/* Behind a gateway domain the router names the recipient
		 * anyway (tel:, im: and numbers reach it here): leave "to"
		 * empty. */
		if (st != XLATE_OK) {
			if (gw_domain == NULL)
				return st;
			out->to[0] = '\0';
		}
	}

	/* A Call-ID too long for a thread id is left out, as a bad
	 * Content-Language is: an optional header refuses no message. */
	if (in->call_id != NULL &&
	    (n = strlen(in->call_id)) < sizeof(out->thread)) {
		if ((st = xlate_text_check(in->call_id, n)) != XLATE_OK)
			return st;
		memcpy(out->thread, in->call_id, n + 1);
	}
	(void)xlate_lang_tag(in->content_language, out->lang,
	    sizeof(out->lang));
	if (in->subject != NULL && (st = xlate_unfold(in->subject,
	    out->subject, sizeof(out->subject))) != XLATE_OK)
		return st;

	if (in->content_type == NULL && in->body_len == 0) {
		out->body.p = in->body != NULL ? in->body : "";
		out->body.len = 0;
		return XLATE_OK;
	}
	ct = xlate_content_type_ok(in->content_type);
	if (ct == XLATE_CT_UNSUPPORTED)
		return XLATE_E_MEDIA;
	out->body.p = in->body != NULL ? in->body : "";
	out->body.len = in->body != NULL ? in->body_len : 0;
	if (ct == XLATE_CT_CPIM) {
		if ((st = xlate_cpim_parse(in->body, in->body_len,
		    &out->wrap)) != XLATE_OK)
			return st;
		cpim = &out->wrap;
		ct = xlate_content_type_okn(cpim->content_type.p,
		    cpim->content_type.len);
		if (ct == XLATE_CT_CPIM || ct == XLATE_CT_UNSUPPORTED)
			return XLATE_E_MEDIA;
		out->body = cpim->body;
		out->cpim = true;
		/* RFC 3922 4.1: Subject <-> <subject/>; a subject that
		 * does not decode to XML text is dropped, not fatal. */
		if (in->subject == NULL && cpim->subject.p != NULL &&
		    (xlate_cpim_unescape(cpim->subject.p, cpim->subject.len,
		    out->subject, sizeof(out->subject)) != XLATE_OK ||
		    xlate_utf8_check(out->subject, strlen(out->subject),
		    NULL) != XLATE_OK))
			out->subject[0] = '\0';
	}
	/* RFC 5438 / RFC 3994 documents are notifications, not text: the
	 * caller maps them (gateway/xlate/xlate_imdn.h). */
	out->kind = ct;
	return xlate_utf8_check(out->body.p, out->body.len, NULL);
}

enum xlate_status
xlate_xmpp_to_sip_msg(const struct xlate_xmpp_in *in, const char *gw_domain,
    size_t limit, struct xlate_sip_out *out)
{
	struct xlate_jid	 j;
	enum xlate_status	 st;
	size_t			 n, est;
	char			 c;

	/* Field by field, not memset(): 17 kB of buffers, every message. */
	out->request_uri[0] = out->from[0] = out->subject[0] =
	    out->content_language[0] = '\0';
	out->call_id = NULL;
	out->body.p = NULL;
	out->body.len = 0;
	out->size_estimate = 0;
	out->content_type = xlate_text_plain;
	/* RFC 6120 8.3.1: an error is never answered, so never relayed. */
	if (in->type != NULL && strcmp(in->type, "error") == 0)
		return XLATE_E_ERROR_STANZA;
	if (in->type != NULL && strcmp(in->type, "normal") != 0 &&
	    strcmp(in->type, "chat") != 0 &&
	    strcmp(in->type, "headline") != 0)
		return XLATE_E_TYPE;
	if (in->body == NULL && in->subject == NULL)
		return XLATE_E_EMPTY;
	if (in->from == NULL || (in->to == NULL && !in->to_routed))
		return XLATE_E_JID;

	if (in->sender_number != NULL) {
		if (gw_domain == NULL)
			return XLATE_E_DOMAIN;
		n = (size_t)snprintf(out->from, sizeof(out->from),
		    "<sip:%s@%s;user=phone>", in->sender_number, gw_domain);
		if (n >= sizeof(out->from))
			return xlate_fail(out->from, sizeof(out->from),
			    XLATE_E_NO_SPACE);
	} else if (gw_domain != NULL) {
		/* "<" + URI + ">": the URI gets the middle of the buffer. */
		st = xlate_xmpp_sender_to_gw_sip(in->from, gw_domain,
		    out->from + 1, sizeof(out->from) - 2);
		if (st != XLATE_OK)
			return xlate_fail(out->from, sizeof(out->from), st);
		out->from[0] = '<';
		n = strlen(out->from);
		out->from[n] = '>';
		out->from[n + 1] = '\0';
	} else if ((st = xlate_jid_to_sip_from(in->from, out->from,
	    sizeof(out->from))) != XLATE_OK)
		return st;

	st = XLATE_E_NOT_GW;
	if (in->to_routed)
		st = XLATE_OK;	/* routing writes the Request-URI */
	else if (gw_domain != NULL) {
		if ((st = xlate_jid_split(in->to, &j)) != XLATE_OK)
			return st;
		if (xlate_host_eq(j.domain.p, j.domain.len, gw_domain)) {
			st = xlate_gw_jid_to_sip(in->to, gw_domain,
			    out->request_uri, sizeof(out->request_uri));
			if (st != XLATE_OK)
				return st;
		} else
			st = XLATE_E_NOT_GW;
	}
	if (st == XLATE_E_NOT_GW &&
	    (st = xlate_jid_to_sip(in->to, out->request_uri,
	    sizeof(out->request_uri))) != XLATE_OK)
		return st;

	if (in->thread != NULL && xlate_callid_ok(in->thread))
		out->call_id = in->thread;
	if (in->subject != NULL) {
		n = strlen(in->subject);
		if (n >= sizeof(out->subject))
			return XLATE_E_TOO_LARGE;
		if ((st = xlate_utf8_check(in->subject, n, NULL)) != XLATE_OK)
			return st;
		/* A header holds one line (RFC 3261 7.3.1). */
		for (size_t i = 0; i <= n; i++) {
			c = in->subject[i];
			out->subject[i] = (c == '\r' || c == '\n' ||
			    c == '\t') ? ' ' : c;
		}
	}
	(void)xlate_lang_tag(in->lang, out->content_language,
	    sizeof(out->content_language));
	if (in->body != NULL) {
		if ((st = xlate_utf8_check(in->body, in->body_len, NULL)) !=
		    XLATE_OK)
			return st;
		out->body.p = in->body;
		out->body.len = in->body_len;
	} else {
		out->body.p = "";
		out->body.len = 0;
	}

	/* RFC 7572 6: estimate the request the SIP side will write. */
	n = strlen(out->request_uri);
	est = sizeof("MESSAGE  SIP/2.0\r\n") - 1 + n;
	est += sizeof("To: <>\r\n") - 1 + n;
	est += sizeof("From: \r\n") - 1 + strlen(out->from);
	est += sizeof("Call-ID: \r\n") - 1 +
	    (out->call_id != NULL ? strlen(out->call_id) : 36);
	if (out->subject[0] != '\0')
		est += sizeof("Subject: \r\n") - 1 + strlen(out->subject);
	if (out->content_language[0] != '\0')
		est += sizeof("Content-Language: \r\n") - 1 +
		    strlen(out->content_language);
	est += sizeof("Content-Type: \r\n") - 1 + strlen(out->content_type);
	est += 2 + out->body.len + XLATE_SIP_OVERHEAD;
	out->size_estimate = est;
	if (!xlate_sip_size_ok(est, limit))
		return XLATE_E_TOO_LARGE;
	return XLATE_OK;
}
