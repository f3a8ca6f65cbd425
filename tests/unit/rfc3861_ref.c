/*
 * tests/unit/rfc3861_ref.c - rfc3861_parse_uri() as it stood before the
 * one-pass domain check (routing/rfc3861.c), the reference test_rfc3861
 * compares the current one against on generated URIs.  Only the names
 * differ.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "tests/unit/rfc3861_ref.h"

static bool
ref_valid_hostname(const char *h)
{
	size_t	 label = 0, n = strlen(h);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (c == '.') {
			if (label == 0 && i != n - 1)
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

int
rfc3861ref_parse_uri(const char *uri, char *user, size_t usersz, char *domain,
    size_t domainsz)
{
	const char	*p, *at, *end;
	size_t		 ul, dl;

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
	for (size_t i = 0; i < dl; i++)
		domain[i] = (char)tolower((unsigned char)at[1 + i]);
	domain[dl] = '\0';
	if (dl > 1 && domain[dl - 1] == '.')
		domain[dl - 1] = '\0';
	if (!ref_valid_hostname(domain))
		return -1;
	return 0;
}
