/*
 * tests/fuzz/fuzz_dnsmsg.c - libFuzzer target for enum/dnsmsg.
 *
 * Every byte of a DNS answer comes from the network, so dnsmsg_parse()
 * must refuse garbage without reading outside the message or the block:
 * the input is the whole message; both passes run (measure, then fill a
 * block of exactly the measured size, so an overrun shows under ASan) and
 * every string of the result is walked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enum/dnsmsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dnsmsg_answer	*a = NULL;
	size_t			 need, sum = 0;
	void			*mem;

	need = dnsmsg_parse(data, size, NULL, 0, NULL);
	if (need == 0)
		return 0;
	if ((mem = malloc(need)) == NULL)
		return 0;
	if (dnsmsg_parse(data, size, mem, need, &a) == need && a != NULL) {
		sum += strlen(a->qname) + strlen(a->final_name);
		for (size_t i = 0; i < a->nnaptr; i++)
			sum += strlen(a->naptr[i].flags) +
			    strlen(a->naptr[i].services) +
			    strlen(a->naptr[i].regexp) +
			    strlen(a->naptr[i].replacement);
		for (size_t i = 0; i < a->nsrv; i++)
			sum += strlen(a->srv[i].target);
		for (size_t i = 0; i < a->naddr; i++)
			sum += a->addr[i].bytes[0];
	}
	free(mem);
	return sum == (size_t)-1;
}
