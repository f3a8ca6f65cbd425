/*
 * enum/strcopy.h - bounded string copy for the pure modules.
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

#endif /* ENUM_STRCOPY_H */
