/*
 * gateway/txnlog.h - the one log line of a finished transaction.
 *
 * txn_finish() calls txnlog_finish() for every transaction, whatever
 * ended it: id, origin and source, the inbound Call-ID or stanza id,
 * from, to, route, target, protocol, the final status and reason, the
 * attempts and the duration.  log.format chooses text (key=value, every
 * value escaped to printable ASCII) or one JSON object per line (jansson,
 * so any input bytes give valid JSON); bodies only with log.bodies.
 * Refusals (ACL, rate limit) pass log_refusal_admit() first.
 */
#ifndef GATEWAY_TXNLOG_H
#define GATEWAY_TXNLOG_H

#include "gateway/status.h"
#include "gateway/flow/txn.h"

/** Log the end of @t (which is not modified) with @o answered as @r. */
void txnlog_finish(const struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r);

/**
 * Copy @s into @buf (@bufsz > 0, always terminated) with every byte that
 * is not printable ASCII, a space, '"' or '\\' written as \xHH.
 * @return @buf
 */
char *txnlog_escape(const char *s, char *buf, size_t bufsz);

#endif /* GATEWAY_TXNLOG_H */
