/*
 * enum/strfmt.h - vsnprintf() for the few conversions that sofia-sip's
 * header encoders use, without the C library's format machinery.
 *
 * sofia-sip writes the request and status lines, CSeq, Content-Length
 * and the To tag of every message it sends with snprintf(): a few
 * thousand instructions each in glibc's vfprintf, about 10,000 per
 * relayed SIP->SIP message (bench/README.md).  strfmt_v() writes the
 * very same bytes for plain text, "%%", "%s", "%c", "%d", "%i", "%u",
 * "%x" and "%X" with the length modifiers "l", "ll" and "z", a decimal
 * width (space-padded, or zero-padded with the "0" flag for the integer
 * conversions) and the precision ".*" or ".N" of "%s".  Anything else -
 * another conversion or flag, "%n", "*" widths, positional arguments,
 * a NULL "%s" - it does not format: it says so, and the caller runs the
 * C library's vsnprintf() on a copy of the arguments taken before.
 * None of the handled forms depends on the locale in glibc either
 * (grouping needs the "'" flag).  Pure: no I/O, no allocation, nothing
 * global.
 */
#ifndef ENUM_STRFMT_H
#define ENUM_STRFMT_H

#include <stdarg.h>
#include <stddef.h>

/* strfmt_v(): "not a format I handle; run the C library's". */
#define STRFMT_NOT_MINE	(-2)

/**
 * vsnprintf(@buf, @size, @fmt, @ap) with its contract: the length of
 * the whole text is returned; at most @size - 1 bytes and a NUL are
 * written when @size > 0, nothing when it is 0; bytes past the NUL are
 * left alone.  @fmt and the strings it takes are borrowed.
 * @return that length, or STRFMT_NOT_MINE when @fmt has a form this
 * module does not handle or the text would be longer than INT_MAX.
 * Arguments from @ap are then consumed up to that form and @buf may
 * hold a prefix of the text: the C library's run, from a va_copy() of
 * @ap taken before, writes those same bytes again.
 */
int strfmt_v(char *buf, size_t size, const char *fmt, va_list ap);

#endif /* ENUM_STRFMT_H */
