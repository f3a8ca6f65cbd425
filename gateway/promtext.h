/*
 * gateway/promtext.h - the Prometheus text exposition format (version
 * 0.0.4), written into a caller-owned, capped buffer.
 *
 * Off the message path: gateway/metrics fills one of these per scrape of
 * /metrics.  Pure: no I/O, no globals, no allocation; a buffer that fills
 * up is marked truncated rather than grown: a scrape must not make the
 * daemon's memory grow with the number of label sets.
 */
#ifndef GATEWAY_PROMTEXT_H
#define GATEWAY_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct promtext {
	char	*buf;		/* borrowed, @cap bytes */
	size_t	 cap;
	size_t	 len;		/* bytes written, buf[len] == '\0' */
	bool	 truncated;	/* something did not fit */
};

/* One label: name (a valid label name, not escaped) and value (escaped). */
struct promtext_label {
	const char	*name;
	const char	*value;
};

/** Start writing into @buf (@cap > 0 bytes, borrowed). */
void promtext_init(struct promtext *p, char *buf, size_t cap);

/**
 * "# HELP name help" and "# TYPE name type" (@type "counter", "gauge" or
 * "histogram").  @help is escaped (backslash, newline).
 */
void promtext_family(struct promtext *p, const char *name, const char *help,
    const char *type);

/** One sample "name{labels} value" with @nl labels (may be 0). */
void promtext_uint(struct promtext *p, const char *name,
    const struct promtext_label *l, size_t nl, uint64_t v);
void promtext_double(struct promtext *p, const char *name,
    const struct promtext_label *l, size_t nl, double v);

/**
 * A histogram's samples: name_bucket{...,le="B"} cumulative over @counts
 * (@nb per-bucket, non-cumulative counts for the upper bounds @bounds,
 * then one more count for +Inf), name_sum and name_count.
 */
void promtext_histogram(struct promtext *p, const char *name,
    const struct promtext_label *l, size_t nl, const double *bounds,
    const uint64_t *counts, size_t nb, double sum);

#endif /* GATEWAY_PROMTEXT_H */
