/*
 * gateway/sipgw_screen.c - size caps and hop count of an inbound request.
 *
 * Runs on the parsed request, before a transaction exists (first stage
 * of the SIP path).  The header block's size is the message's size as
 * received less the body; the headers are chained in wire order from
 * the request line to the empty line (sh_succ).
 * A list header written as one line ("Via: a, b, c") becomes several
 * header objects; each counts towards sip.max_headers, since each costs
 * memory and work downstream.
 *
 * Max-Forwards: sofia parses it as an unsigned long, so 300 and
 * 99999999999 are "valid"; RFC 3261 25.1 says 1*DIGIT and 20.22 a value
 * of 0-255.  A value sofia cannot parse ("-1", "ten") lands in the error
 * list and the header is then absent from sip->sip_max_forwards; looking
 * only there would pass it as missing, so the error list is read too.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include <sofia-sip/msg_types.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_hclasses.h>
#include <sofia-sip/sip_status.h>

#include "gateway/sipgw_screen.h"

/* RFC 3261 20.22: "a value of 0-255"; more is not a hop count. */
#define SIPGW_MAX_FORWARDS_MAX	255

static int
refuse(struct sipgw_verdict *v, int code, const char *phrase,
    const char *why, int64_t value, int64_t limit)
{
	v->code = code;
	v->phrase = phrase != NULL ? phrase : sip_status_phrase(code);
	v->why = why;
	v->value = value;
	v->limit = limit;
	return code;
}

/*
 * The length of @h as a header line: name, ": ", value, CRLF.  sofia
 * does not keep the received bytes of a header once it is parsed (h_len
 * is 0 by the time nta hands the request over), so the value is encoded
 * again to count it; msg_header_field_e() with no buffer only counts.
 */
static int64_t
line_length(const msg_header_t *h)
{
	issize_t	 n = msg_header_field_e(NULL, 0, h, 0);

	if (n < 0)
		return 0;
	return (int64_t)n + h->sh_class->hc_len + 4;
}

/*
 * The header block as a whole, then its header count, then (only when
 * the block is longer than one line may be, which a normal request
 * never is) each line's length: the common case costs a pointer walk.
 */
static int
screen_headers(const sip_t *sip, size_t msg_bytes,
    const struct sipgw_caps *caps, struct sipgw_verdict *v)
{
	const msg_header_t	*h;
	const sip_payload_t	*pl = sip->sip_payload;
	int64_t			 n = 0, block = (int64_t)msg_bytes;

	if (pl != NULL && (int64_t)pl->pl_len <= block)
		block -= (int64_t)pl->pl_len;
	if (block > caps->max_headers_size)
		return refuse(v, 513, "Header Block Too Large",
		    "header block over sip.max_headers_size", block,
		    caps->max_headers_size);
	if (sip->sip_request == NULL)
		return 0;
	for (h = (const msg_header_t *)sip->sip_request; h != NULL;
	    h = h->sh_succ) {
		if (h->sh_class == sip_separator_class ||
		    h->sh_class == sip_payload_class)
			break;		/* the header block ends here */
		if (++n > caps->max_headers)
			return refuse(v, 513, "Too Many Headers",
			    "more headers than sip.max_headers", n,
			    caps->max_headers);
	}
	if (block <= caps->max_header_line)
		return 0;
	for (h = (const msg_header_t *)sip->sip_request; h != NULL;
	    h = h->sh_succ) {
		int64_t	 len;

		if (h->sh_class == sip_separator_class ||
		    h->sh_class == sip_payload_class)
			break;
		if ((len = line_length(h)) > caps->max_header_line)
			return refuse(v, 513, "Header Line Too Long",
			    "header line over sip.max_header_line", len,
			    caps->max_header_line);
	}
	return 0;
}

/* Max-Forwards of the request: 400, 483, or the outbound value. */
static int
screen_hops(const sip_t *sip, struct sipgw_verdict *v)
{
	const sip_error_t	*e;
	unsigned long		 mf;

	/*
	 * The error list holds headers sofia could not parse (class
	 * sip_error_class, with er_name) and the second copy of a header
	 * that may appear once, in its own class: every entry has the
	 * common part and the next link, not always er_name.
	 */
	for (e = sip->sip_error; e != NULL; e = e->er_next) {
		const msg_header_t	*h = (const msg_header_t *)e;

		if (h->sh_class == sip_max_forwards_class)
			return refuse(v, 400, "Bad Max-Forwards",
			    "more than one Max-Forwards", -1,
			    SIPGW_MAX_FORWARDS_MAX);
		if (h->sh_class == sip_error_class && e->er_name != NULL &&
		    strcasecmp(e->er_name, "Max-Forwards") == 0)
			return refuse(v, 400, "Bad Max-Forwards",
			    "Max-Forwards is not 0-255 digits", -1,
			    SIPGW_MAX_FORWARDS_MAX);
	}
	if (sip->sip_max_forwards == NULL) {
		/* RFC 3261 16.6 step 3: a proxy adds 70 when there is none. */
		v->max_forwards = SIPGW_MAX_FORWARDS_DEFAULT;
		return 0;
	}
	mf = sip->sip_max_forwards->mf_count;
	if (mf > SIPGW_MAX_FORWARDS_MAX)
		return refuse(v, 400, "Bad Max-Forwards",
		    "Max-Forwards is not 0-255 digits", (int64_t)mf,
		    SIPGW_MAX_FORWARDS_MAX);
	if (mf == 0)
		return refuse(v, 483, NULL, "Max-Forwards is 0", -1, 0);
	v->max_forwards = (int)mf - 1;
	return 0;
}

int
sipgw_screen(const sip_t *sip, size_t msg_bytes,
    const struct sipgw_caps *caps, struct sipgw_verdict *v)
{
	const sip_payload_t	*pl = sip->sip_payload;

	memset(v, 0, sizeof(*v));
	v->max_forwards = SIPGW_MAX_FORWARDS_DEFAULT;
	if (screen_headers(sip, msg_bytes, caps, v) != 0)
		return v->code;
	if (sip->sip_request == NULL ||
	    sip->sip_request->rq_method != sip_method_message)
		return 0;
	if (pl != NULL && (int64_t)pl->pl_len > caps->max_body)
		return refuse(v, 413, NULL, "body over sip.max_body",
		    (int64_t)pl->pl_len, caps->max_body);
	return screen_hops(sip, v);
}
