/*
 * gateway/spool_key.h - what identifies a sender's transaction, and the
 * spool message id derived from it (exactly-once acceptance).
 *
 * Where it sits: the inbound sides (gateway/sipgw, gateway/xmppgw) write
 * the key of every message into t->accept_key; gateway/flow/spool stores it
 * under a unique index and derives the message id (and with it the
 * outbound Call-ID "<id>@<gateway.domain>") from it.  A retransmission
 * or resend of a message that is already in the spool, reaching this or
 * any later incarnation of imgated, has the same key and is answered as
 * the stored message was (202) without being stored again; one that
 * arrives after the message was delivered and removed is stored and
 * delivered again under the same Call-ID, which the receiver recognises.
 *
 * The key is the fields written length-prefixed after a protocol tag, so
 * two different field lists never give the same key:
 *   SIP  (RFC 3261 17.2.3 without the branch, which a resend changes):
 *        "sip:" Call-ID, From tag, CSeq number and CSeq method;
 *   XMPP: "xmpp:" the sender's bare JID, then the XEP-0359 origin-id
 *        ("o") when the stanza has one, else the stanza id ("i").
 * All functions here are pure: caller buffers, no I/O, no allocation.
 */
#ifndef GATEWAY_SPOOL_KEY_H
#define GATEWAY_SPOOL_KEY_H

#include <stddef.h>
#include <stdint.h>

/* Longest key; a sender whose fields do not fit gets no key (see below). */
#define SPOOL_KEY_MAX		1024
/* Bytes of a message id, 32 hex digits, plus NUL (as SPOOL_ID_SIZE). */
#define SPOOL_KEY_ID_SIZE	33

/**
 * The key of a SIP request into @buf (@bufsz bytes, NUL-terminated).
 * @param call_id  Call-ID (borrowed)
 * @param from_tag the From tag, NULL or "" when the request has none
 * @param cseq     the CSeq number
 * @param method   the CSeq method name (borrowed)
 * @return the key's length, or 0 when @call_id or @method is NULL or
 *         empty or the key does not fit (@buf is then "")
 */
size_t spool_key_sip(char *buf, size_t bufsz, const char *call_id,
    const char *from_tag, uint32_t cseq, const char *method);

/**
 * The key of an XMPP <message/> into @buf (@bufsz bytes).
 * @param from      the sender's JID, full or bare (borrowed); the
 *                  resource is left out: a resend from another resource
 *                  of the same account is the same message
 * @param origin_id the XEP-0359 origin-id, or NULL
 * @param stanza_id the stanza id, or NULL
 * @return the key's length, or 0 (and "") when @from is empty, both ids
 *         are missing or empty, or the key does not fit
 */
size_t spool_key_xmpp(char *buf, size_t bufsz, const char *from,
    const char *origin_id, const char *stanza_id);

/**
 * The message id of @key (@len bytes): the first 128 bits of its
 * SHA-256 (FIPS 180-4) as 32 lower-case hex digits into @out.  A
 * cryptographic hash, so that no sender can choose a key whose id is
 * another message's.
 */
void spool_key_msgid(const char *key, size_t len,
    char out[SPOOL_KEY_ID_SIZE]);

#endif /* GATEWAY_SPOOL_KEY_H */
