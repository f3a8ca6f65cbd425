/*
 * tests/fuzz/fuzz_sipin.c - SIP ingress: bytes -> sofia's parser ->
 * sipgw_screen(), as imgated takes a request off the wire.
 *
 * Hostile input reaches imgate through sofia-sip's parser first; what
 * imgate itself does with the parsed request before copying it (walk the
 * header chain, the error list, Max-Forwards, re-encode long lines) is
 * what this target exercises, with small caps so every refusal path is
 * reachable from short inputs.  Invariants: the verdict is one of the
 * documented codes, and a request that goes on has a hop count in 0-254
 * or the default 70.
 */
#include <stdint.h>
#include <stdlib.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>

#include "gateway/sipgw_screen.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sipgw_caps caps = { 512, 256, 2048, 24 };
	struct sipgw_verdict	 v;
	msg_t			*msg;
	sip_t			*sip;

	if (size > 65536)
		return 0;
	msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)size);
	if (msg == NULL)
		return 0;
	sip = sip_object(msg);
	if (sip != NULL && sip->sip_request != NULL) {
		int code = sipgw_screen(sip, (size_t)msg_size(msg), &caps, &v);

		if (code != 0 && code != 400 && code != 413 && code != 483 &&
		    code != 513)
			abort();
		if (code == 0 && (v.max_forwards < 0 ||
		    v.max_forwards > 254))
			abort();
		if (code != 0 && (v.why == NULL || v.phrase == NULL))
			abort();
	}
	msg_destroy(msg);
	return 0;
}
