/*
 * bench/xmlguard_cost.c - what the caps on the component's stream
 * (gateway/xmlguard) cost per stanza, on its own.
 *
 *   cc -O2 -I. bench/xmlguard_cost.c gateway/xmlguard.c -o /tmp/xgc
 *   /tmp/xgc [STANZAS]          (default 2 000 000)
 *
 * Feeds a stream of STANZAS messages as Prosody hands them to imgated in
 * scenario h of bench/run.py (a c2s client's <message/> with a body and
 * an XEP-0184 request, stamped by Prosody), in reads of 4096 bytes as
 * libstrophe 0.12 makes them, and prints ns per stanza and per byte.  A
 * message costs imgated 40-150 us of CPU (bench/README.md); this is the
 * share the scanner adds.  With valgrind --tool=callgrind the
 * instruction count per stanza is exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/xmlguard.h"

#define STANZA	"<message xmlns='jabber:component:accept' " \
		"to='+4932000007@gw.bench' from='s0@xmpp.bench/load' " \
		"type='chat' id='b%07d'><body>bench message %07d</body>" \
		"<request xmlns='urn:xmpp:receipts'/></message>"

int
main(int argc, char **argv)
{
	long		 n = argc > 1 ? atol(argv[1]) : 2000000;
	size_t		 one, len, off;
	char		*buf;
	struct xmlguard	 g;
	struct timespec	 t0, t1;
	double		 ns;
	const char	*hdr = "<?xml version='1.0'?><stream:stream "
	    "xmlns:stream='http://etherx.jabber.org/streams' "
	    "xmlns='jabber:component:accept' from='gw.bench' id='x'>";

	if (n <= 0 || n > 100000000)
		return 2;
	one = (size_t)snprintf(NULL, 0, STANZA, 0, 0);
	len = strlen(hdr) + one * (size_t)n;
	if ((buf = malloc(len + 1)) == NULL)
		return 1;
	off = (size_t)sprintf(buf, "%s", hdr);
	for (long i = 0; i < n; i++)
		off += (size_t)sprintf(buf + off, STANZA, (int)(i % 10000000),
		    (int)(i % 10000000));
	xmlguard_init(&g, 524288);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (off = 0; off < len; off += 4096) {
		size_t	 piece = len - off < 4096 ? len - off : 4096;

		if (xmlguard_feed(&g, buf + off, piece) != piece) {
			fprintf(stderr, "refused at %zu\n", off);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	    (double)(t1.tv_nsec - t0.tv_nsec);
	printf("%ld stanzas of %zu bytes: %.1f ns a stanza, %.2f ns a byte\n",
	    n, one, ns / (double)n, ns / (double)len);
	free(buf);
	return 0;
}
