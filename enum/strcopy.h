/*
 * enum/strcopy.h - bounded string copy and append for the pure modules
 * and the message path.
 *
 * The same result as snprintf(dst, size, "%s", src) - truncated, always
 * NUL-terminated when size > 0 - without the format machinery, which the
 * warm path's profile showed at a few thousand instructions a call, a
 * dozen calls per message (bench/README.md).  glibc 2.36 has no strlcpy.
 */
#ifndef ENUM_STRCOPY_H
#define ENUM_STRCOPY_H

#include <stddef.h>
#include <string.h>

/** Copy @src into @dst of @size bytes; @return strlen(@src). */
static inline size_t
str_copy(char *dst, size_t size, const char *src)
{
	size_t	 len = strlen(src);

	if (size > 0) {
		size_t	 n = len < size ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/**
 * The @n strings of @parts, one after the other, into @dst of @size
 * bytes: snprintf(dst, size, "%s%s...", parts...) - truncated, always
 * NUL-terminated when size > 0.  @return the length of the whole text,
 * as snprintf() does (>= @size: it was cut).
 */
static inline size_t
str_join(char *dst, size_t size, const char *const *parts, size_t n)
{
	size_t	 len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t	 pl = strlen(parts[i]);

		if (len + 1 < size) {
			size_t	 room = size - 1 - len;

			memcpy(dst + len, parts[i], pl < room ? pl : room);
		}
		len += pl;
	}
	if (size > 0)
		dst[len < size ? len : size - 1] = '\0';
	return len;
}

/**
 * Append the @n bytes at @src to the string of *@len bytes in @dst (@size
 * bytes), NUL-terminated; *@len grows by @n.  @return 0, or -1 when it
 * does not fit (@dst and *@len are then left as they were).
 */
static inline int
str_append(char *dst, size_t size, size_t *len, const char *src, size_t n)
{
	if (*len + n >= size)
		return -1;
	memcpy(dst + *len, src, n);
	*len += n;
	dst[*len] = '\0';
	return 0;
}

/** str_append() of the NUL-terminated @src. */
static inline int
str_append_s(char *dst, size_t size, size_t *len, const char *src)
{
	return str_append(dst, size, len, src, strlen(src));
}

/** str_append() of @v in decimal. */
static inline int
str_append_u(char *dst, size_t size, size_t *len, unsigned long v)
{
	char	 b[20];
	size_t	 i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return str_append(dst, size, len, b + i, sizeof(b) - i);
}

#endif /* ENUM_STRCOPY_H */
