/*
 * gateway/notify.h - the delivery-notification correlation table.
 *
 * A notification comes back long after its message: an XEP-0184 receipt
 * or XEP-0333 marker for a message that came from SIP, or an IMDN
 * (RFC 5438) for a message that came from XMPP, may arrive minutes after
 * the transaction ended.  gateway/xmppgw remembers, per message that
 * asked for one, where the notification must go and under which id; the
 * entry is found again by (kind, id) and dropped when it has served or
 * expired.  The table has a hard cap (xmpp.notify_max): when full, the
 * entry closest to expiry is evicted, so a flood of requests costs
 * memory once and old notifications are the ones lost.
 *
 * No I/O and no wire library; time is passed in.  One table per process,
 * owned by this module; entries are copied in and out.
 */
#ifndef GATEWAY_NOTIFY_H
#define GATEWAY_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/xlate/xlate_imdn.h"

/* An address kept in an entry (longer ones are not remembered). */
#define NOTIFY_ADDR_SIZE	512

enum notify_kind {
	/* SIP sender asked for an IMDN; key = our XMPP stanza id. */
	NOTIFY_TO_SIP,
	/* XMPP sender asked for a receipt/marker; key = our imdn id. */
	NOTIFY_TO_XMPP
};

struct notify_entry {
	enum notify_kind kind;
	char		 key[XLATE_IMDN_ID_SIZE];
	/* TO_SIP: the SIP sender's URI; TO_XMPP: the XMPP sender's JID. */
	char		 peer[NOTIFY_ADDR_SIZE];
	/* The recipient as the sender named it (From of the notification). */
	char		 self[NOTIFY_ADDR_SIZE];
	/* TO_SIP: the sender's imdn.Message-ID; TO_XMPP: its stanza id. */
	char		 orig_id[XLATE_IMDN_ID_SIZE];
	unsigned	 bits;		/* XLATE_DN_* still wanted */
	uint64_t	 expires_ms;
};

/**
 * Size the table (0 disables it: nothing is remembered).  Calling it
 * again empties the table.
 * @return 0, or -1 without memory (logged; the table stays disabled)
 */
int	notify_init(size_t cap);

/** Free the table. */
void	notify_fini(void);

/**
 * Remember @e (copied) until @now_ms + @ttl_ms, replacing an entry of
 * the same kind and key.
 * @return 0; -1 when the table is disabled or a string does not fit
 */
int	notify_put(const struct notify_entry *e, uint64_t now_ms,
	    uint64_t ttl_ms);

/**
 * Find the live entry of @kind and @key and copy it to @out; @clear bits
 * are then removed from the stored entry, which goes when none is left.
 * @return true when found
 */
bool	notify_take(enum notify_kind kind, const char *key, unsigned clear,
	    uint64_t now_ms, struct notify_entry *out);

/** Live entries (for tests and stats). */
size_t	notify_count(uint64_t now_ms);

#endif /* GATEWAY_NOTIFY_H */
