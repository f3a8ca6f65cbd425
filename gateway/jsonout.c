/*
 * gateway/jsonout.c - strings of any bytes into jansson.
 *
 * jansson refuses a string that is not valid UTF-8 (json_string() returns
 * NULL), so a hand-made fallback would be the next place for a bug.  The
 * strings imgate prints are dialled numbers, URIs and DNS names that a
 * sender controls; they are made valid here, once, with the replacement
 * character, so the document always parses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/jsonout.h"

/* Length of the well-formed UTF-8 sequence at @s (@n bytes left), or 0
 * (RFC 3629 section 4: shortest form, no surrogates, up to U+10FFFF). */
static size_t
seq_len(const unsigned char *s, size_t n)
{
	uint32_t	 cp;
	size_t		 need, i;

	if (s[0] >= 0x01 && s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

size_t
jsonout_utf8(const char *in, size_t len, char *out, size_t outsz)
{
	static const char	 repl[] = "\xef\xbf\xbd";
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i = 0, o = 0, k;

	if (outsz == 0)
		return 0;
	while (i < len) {
		k = seq_len(s + i, len - i);
		if (k > 0) {
			if (o + k >= outsz)
				break;
			memcpy(out + o, s + i, k);
			i += k;
		} else {
			if (o + 3 >= outsz)
				break;
			memcpy(out + o, repl, 3);
			i++;
			k = 3;
		}
		o += k;
	}
	out[o] = '\0';
	return o;
}

json_t *
jsonout_str(const char *s)
{
	json_t	*v;
	char	*buf;
	size_t	 len, n;

	if (s == NULL)
		return json_null();
	len = strlen(s);
	/* Each input byte becomes at most 3 output bytes. */
	if ((buf = malloc(len * 3 + 1)) == NULL)
		return NULL;
	n = jsonout_utf8(s, len, buf, len * 3 + 1);
	v = json_stringn(buf, n);
	free(buf);
	return v;
}

int
jsonout_dump(const json_t *v, FILE *f)
{
	if (json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		return -1;
	return fputc('\n', f) == EOF ? -1 : 0;
}
