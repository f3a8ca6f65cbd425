/*
 * gateway/jsonout.h - every JSON document imgate writes goes through
 * jansson; this is the thin layer that makes any C string acceptable to
 * it.
 *
 * Used at the end of the flow by the tools and the control socket
 * (imgate-lookup --json, gateway/explain, gateway/ctl): the strings come
 * from the network or the command line and may hold any byte, while
 * jansson, like every JSON parser, accepts only UTF-8.
 */
#ifndef GATEWAY_JSONOUT_H
#define GATEWAY_JSONOUT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/**
 * Copy @in (@len bytes) into @out (@outsz bytes, NUL-terminated) as
 * valid UTF-8: every byte that does not start a well-formed, shortest
 * form, non-surrogate sequence becomes U+FFFD, and NUL becomes U+FFFD
 * too.  Pure: no allocation, @in unchanged.
 * @return the length written (truncated on a sequence boundary when
 *         @out is short).
 */
size_t jsonout_utf8(const char *in, size_t len, char *out, size_t outsz);

/**
 * A new JSON string for @s (any bytes, see jsonout_utf8()), or JSON null
 * when @s is NULL.  The reference is owned by the caller (json_decref, or
 * steal it with json_object_set_new).  Never NULL except on ENOMEM.
 */
json_t *jsonout_str(const char *s);

/**
 * Write @v to @f, indented by 2 as imgate-lookup always did, with a
 * final newline.  @v is borrowed.  @return 0 or -1.
 */
int jsonout_dump(const json_t *v, FILE *f);

#endif /* GATEWAY_JSONOUT_H */
