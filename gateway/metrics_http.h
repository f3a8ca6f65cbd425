/*
 * gateway/metrics_http.h - the /metrics HTTP endpoint.
 *
 * Beside the flow: libmicrohttpd serves GET /metrics from the one
 * su_root loop (no thread of its own); each scrape renders
 * gateway/metrics into a fresh buffer.
 */
#ifndef GATEWAY_METRICS_HTTP_H
#define GATEWAY_METRICS_HTTP_H

#include <sofia-sip/su_wait.h>

/**
 * Listen on @listen ("IP:PORT", as conf/ canonicalised metrics.listen)
 * and serve on @root.  @return 0, or -1 (logged) when the address cannot
 * be bound.
 */
int metrics_http_start(su_root_t *root, const char *listen);

/** Close the listener and every connection (safe when not started). */
void metrics_http_stop(void);

#endif /* GATEWAY_METRICS_HTTP_H */
