/*
 * gateway/sipgw_screen.h - what a SIP request must pass before it becomes
 * a transaction: size caps on its header block and the hop count.
 *
 * First stage of the SIP path, run by gateway/sipgw on every request that
 * sofia-sip parsed, before anything is copied out of it.  Nothing over a
 * cap is ever relayed: a 1 MiB Subject or ten thousand headers are
 * answered (513) and dropped here, and a request whose Max-Forwards is
 * used up is answered 483 instead of being forwarded (RFC 3261 16.3,
 * 16.6 step 3).  The fuzz target tests/fuzz/fuzz_sipin.c feeds raw bytes
 * through sofia's parser and this function, as imgated does.
 */
#ifndef GATEWAY_SIPGW_SCREEN_H
#define GATEWAY_SIPGW_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/sip.h>

/* RFC 3261 16.6 step 3: what a proxy adds when a request has none. */
#define SIPGW_MAX_FORWARDS_DEFAULT	70

/* The caps (from the configuration, see imgate.conf(5) "sip"). */
struct sipgw_caps {
	int64_t		 max_body;		/* sip.max_body */
	int64_t		 max_header_line;	/* sip.max_header_line */
	int64_t		 max_headers_size;	/* sip.max_headers_size */
	int64_t		 max_headers;		/* sip.max_headers */
};

/* The verdict on one request. */
struct sipgw_verdict {
	int		 code;		/* 0: go on; else the final status */
	const char	*phrase;	/* reason phrase for @code (static) */
	const char	*why;		/* log text (static), or NULL */
	int64_t		 value;		/* the offending size or count */
	int64_t		 limit;		/* ... and the cap it broke */
	/* Max-Forwards the forwarded request carries: inbound - 1, or
	 * SIPGW_MAX_FORWARDS_DEFAULT when the request had none. */
	int		 max_forwards;
};

/**
 * Screen @sip (borrowed, only read), received as @msg_bytes bytes in
 * all (sofia's msg_size()), against @caps.  Header caps apply to
 * every request; the hop count to requests imgate forwards (MESSAGE).
 * @return v->code: 0 when the request may go on, otherwise 400 (bad
 * Max-Forwards), 413 (body), 483 (Max-Forwards 0) or 513 (header caps),
 * with v->why naming what was over which cap.
 */
int sipgw_screen(const sip_t *sip, size_t msg_bytes,
    const struct sipgw_caps *caps, struct sipgw_verdict *v);

#endif /* GATEWAY_SIPGW_SCREEN_H */
