/*
 * routing/rfc3861.c - RFC 3861 owner names and RFC 2782 target order.
 *
 * Pure helpers for routing/lookup: which SRV name to ask for an im: URI,
 * and in which order to try the servers the answer lists.  The random
 * draw comes from the caller so that tests and imgate-lookup --seed are
 * repeatable.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "enum/strcopy.h"
#include "routing/rfc3861.h"

/* The C locale's isalnum() (imgated never calls setlocale()), inline. */
static inline bool
rfc3861_is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

int
rfc3861_parse_uri(const char *uri, char *user, size_t usersz, char *domain,
    size_t domainsz)
{
	const char	*p, *at, *end;
	size_t		 ul, dl, n, label;
	bool		 valid;

	if (strncasecmp(uri, "im:", 3) == 0)
		p = uri + 3;
	else if (strncasecmp(uri, "pres:", 5) == 0)
		p = uri + 5;
	else
		return -1;
	end = p + strcspn(p, "?");
	at = memchr(p, '@', (size_t)(end - p));
	if (at == NULL || at == p)
		return -1;
	/* A second '@' would make the split ambiguous. */
	if (memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL)
		return -1;
	ul = (size_t)(at - p);
	dl = (size_t)(end - at - 1);
	if (ul + 1 > usersz || dl + 1 > domainsz || dl == 0)
		return -1;
	memcpy(user, p, ul);
	user[ul] = '\0';
	/*
	 * The domain without a final dot, lower-cased and checked in one
	 * pass (the im: URI of every message comes through): labels of
	 * 1..63 letters, digits, '-' and '_', at most 253 octets; an empty
	 * last label (a second final dot) is let through.
	 */
	n = dl > 1 && at[dl] == '.' ? dl - 1 : dl;
	valid = n > 0 && n <= 253;
	label = 0;
	for (size_t i = 0; i < n; i++) {
		int	 c = tolower((unsigned char)at[1 + i]);

		domain[i] = (char)c;
		if (c == '.') {
			if (label == 0 && i != n - 1)
				valid = false;
			label = 0;
		} else if ((!rfc3861_is_alnum(c) && c != '-' && c != '_') ||
		    ++label > 63)
			valid = false;
	}
	domain[n] = '\0';
	return valid ? 0 : -1;
}

int
rfc3861_srv_owner(const char *service, const char *proto, const char *domain,
    char *out, size_t outsz)
{
	size_t	 sl = strlen(service), pl = strlen(proto);
	size_t	 dl = strlen(domain), n = 0;
	bool	 dot = !(dl > 0 && domain[dl - 1] == '.');

	/* snprintf("_%s._%s.%s%s") by hand, each length measured once:
	 * once per message.  What does not fit is cut as snprintf() would. */
	if (1 + sl + 2 + pl + 1 + dl + (dot ? 1 : 0) >= outsz) {
		const char *const parts[] = { "_", service, "._", proto, ".",
		    domain, dot ? "." : "" };

		(void)str_join(out, outsz, parts, 7);
		return -1;
	}
	out[n++] = '_';
	memcpy(out + n, service, sl);
	n += sl;
	out[n++] = '.';
	out[n++] = '_';
	memcpy(out + n, proto, pl);
	n += pl;
	out[n++] = '.';
	memcpy(out + n, domain, dl);
	n += dl;
	if (dot)
		out[n++] = '.';
	out[n] = '\0';
	return 0;
}

bool
rfc3861_not_offered(const struct srv_rr *rrs, size_t n)
{
	return n == 1 && strcmp(rrs[0].target, ".") == 0;
}

size_t
rfc3861_order(const struct srv_rr *rrs, size_t n, rfc3861_rng *rng,
    void *rngarg, const struct srv_rr **out, size_t outmax)
{
	const struct srv_rr	*pool[DNSMSG_MAX_SRV];
	size_t			 npool, nout = 0, i;

	/* Priority ascending; stable so that equal records keep DNS order. */
	npool = 0;
	for (i = 0; i < n && npool < DNSMSG_MAX_SRV; i++)
		if (strcmp(rrs[i].target, ".") != 0)
			pool[npool++] = &rrs[i];
	for (i = 1; i < npool; i++) {
		const struct srv_rr *t = pool[i];
		size_t		 j = i;

		while (j > 0 && pool[j - 1]->priority > t->priority) {
			pool[j] = pool[j - 1];
			j--;
		}
		pool[j] = t;
	}

	for (size_t start = 0; start < npool; ) {
		size_t	 end = start;

		while (end < npool && pool[end]->priority ==
		    pool[start]->priority)
			end++;
		/*
		 * RFC 2782: weight-0 records go first in the list, then a
		 * running sum; draw in [0, sum] and take the first record
		 * whose running sum reaches the draw; remove it; repeat.
		 */
		for (i = start + 1; i < end; i++) {
			const struct srv_rr *t = pool[i];
			size_t		 j = i;

			while (j > start && pool[j - 1]->weight != 0 &&
			    t->weight == 0) {
				pool[j] = pool[j - 1];
				j--;
			}
			pool[j] = t;
		}
		while (start < end) {
			uint64_t sum = 0, run = 0, draw;
			size_t	 pick = start;

			for (i = start; i < end; i++)
				sum += pool[i]->weight;
			draw = sum == 0 ? 0 : rng(rngarg) % (sum + 1);
			if (sum == 0 && end - start > 1)
				pick = start + rng(rngarg) % (end - start);
			else
				for (i = start; i < end; i++) {
					run += pool[i]->weight;
					if (run >= draw) {
						pick = i;
						break;
					}
				}
			if (nout < outmax)
				out[nout++] = pool[pick];
			/* remove pick, keeping the rest in order */
			for (i = pick; i > start; i--)
				pool[i] = pool[i - 1];
			start++;
		}
	}
	return nout;
}
