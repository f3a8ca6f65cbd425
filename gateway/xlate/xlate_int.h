/*
 * gateway/xlate/xlate_int.h - helpers shared by the files of gateway/xlate.
 *
 * Not for use outside gateway/xlate/: the edges call the mappers of
 * gateway/xlate/xlate.h (tests/check_one_mapping.py).  Character classes
 * take an unsigned char value; the status helpers pass routing/imaddr's
 * outcomes on as enum xlate_status (its first nine values are imaddr's).
 */
#ifndef GATEWAY_XLATE_XLATE_INT_H
#define GATEWAY_XLATE_XLATE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/xlate/xlate.h"
#include "routing/imaddr.h"

/* xlate_text.c: "" into @out (if it has room) and return @st. */
enum xlate_status xlate_fail(char *, size_t, enum xlate_status);
/* xlate_text.c: routing/imaddr's outcome as ours, and its checks. */
enum xlate_status xlate_st(enum imaddr_status);
enum xlate_status xlate_buf_done(struct imaddr_buf *);
enum xlate_status xlate_text_check(const char *, size_t);
/* xlate_text.c: ASCII character classes and comparisons. */
bool	xlate_is_digit(int);
bool	xlate_is_alnum(int);
int	xlate_lower(int);
int	xlate_hexval(int);
bool	xlate_in(int, const char *);
bool	xlate_ieq(const char *, size_t, const char *);
bool	xlate_span_ieq(struct xlate_span, const char *);
bool	xlate_host_eq(const char *, size_t, const char *);
bool	xlate_prefix(const char *, const char *);
/* xlate_addr.c: *yes when the host of @sip_uri is @gw_domain. */
enum xlate_status xlate_sip_host_is(const char *, const char *,
		    bool *);
/* xlate_cpim.c: RFC 2045 token character; @n digits in [min, max]. */
bool	xlate_token_char(int);
bool	xlate_digits(const char *, size_t, int, int);

#endif /* GATEWAY_XLATE_XLATE_INT_H */
