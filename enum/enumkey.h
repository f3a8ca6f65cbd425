/*
 * enum/enumkey.h - the RFC 6116 owner name of an AUS under a suffix.
 *
 * Second stage of the flow: routing/e164 yields an AUS ("+" then digits)
 * and enum/enumq asks for the first well-known key of RFC 6116 section
 * 3.2 ("0.0.1.0.5.5.5.2.0.2.1.e164.arpa.") before its first NAPTR query.
 * The builder lives here, below routing/, so that enum/ needs nothing from
 * the layer above it.  Pure: no I/O, no allocation, no globals.
 */
#ifndef ENUM_ENUMKEY_H
#define ENUM_ENUMKEY_H

#include <stddef.h>

/* Longest first key: 2 chars per digit + suffix (<= 255) + dot + NUL. */
#define ENUMKEY_MAX	300

/**
 * Build the RFC 6116 first key: digits reversed, dot-separated, then
 * @suffix, always absolute ("...e164.arpa.").  @suffix may be given with
 * or without its trailing dot.
 * @param aus    "+digits", borrowed
 * @param suffix ENUM suffix, borrowed; "" or "." for the root
 * @param out    caller buffer; "" on failure when @outsz > 0
 * @param outsz  size of @out
 * @return 0, or -1 when @aus is not "+digits", @suffix has an empty label
 *         or @out is too small.
 */
int enumkey_first(const char *aus, const char *suffix, char *out,
    size_t outsz);

#endif /* ENUM_ENUMKEY_H */
