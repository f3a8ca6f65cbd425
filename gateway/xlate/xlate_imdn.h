/*
 * gateway/xlate/xlate_imdn.h - delivery notifications and typing state across
 * SIP and XMPP: IMDN (RFC 5438) <-> XEP-0184 receipts / XEP-0333 markers,
 * isComposing (RFC 3994) <-> XEP-0085 chat states.
 *
 * Sits beside gateway/xlate on the edges: gateway/xmppgw calls it when a
 * SIP MESSAGE bound for XMPP is no text (an IMDN or an isComposing body
 * becomes a receipt, a marker or a chat state, never a <body/>), and when
 * an XMPP receipt or marker must go back to a SIP sender as an IMDN.
 *
 * Pure, as gateway/xlate: no I/O, no allocation, no globals; inputs are
 * borrowed and never changed; outputs go to caller buffers.  The XML read
 * here is small and flat; the scanner reads elements by local name (any
 * namespace prefix), refuses DTDs and entity references where a value is
 * taken, and never expands anything.
 */
#ifndef GATEWAY_XLATE_XLATE_IMDN_H
#define GATEWAY_XLATE_XLATE_IMDN_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/xlate/xlate.h"

/* RFC 5438 6.3 Message-ID values kept by imgate, with the NUL. */
#define XLATE_IMDN_ID_SIZE	128

/* RFC 5438 7.2.1: the notification kinds imgate maps. */
enum xlate_imdn_kind {
	XLATE_IMDN_DELIVERY,	/* <delivery-notification/> */
	XLATE_IMDN_DISPLAY	/* <display-notification/> */
};

/* The <status/> of a notification. */
enum xlate_imdn_result {
	XLATE_IMDN_DELIVERED,
	XLATE_IMDN_DISPLAYED,
	XLATE_IMDN_FAILED,	/* failed, forbidden, error */
	XLATE_IMDN_OTHER	/* processed, stored, unknown: no mapping */
};

/* Disposition-Notification bits (RFC 5438 6.3). */
#define XLATE_DN_POSITIVE_DELIVERY	0x01
#define XLATE_DN_NEGATIVE_DELIVERY	0x02
#define XLATE_DN_DISPLAY		0x04

/* What xlate_imdn_parse() found. */
struct xlate_imdn {
	char			 message_id[XLATE_IMDN_ID_SIZE];
	enum xlate_imdn_kind	 kind;
	enum xlate_imdn_result	 result;
};

/**
 * Read a message/imdn+xml document: root <imdn/>, its <message-id/>
 * text, and the first <delivery-notification/> or
 * <display-notification/> with its <status/> child.
 *
 * @param buf  borrowed, @len octets
 * @return XLATE_OK; XLATE_E_MEDIA (not an IMDN document, no message-id
 *         or notification, DTD, '&' in the message-id), XLATE_E_UTF8,
 *         XLATE_E_CHAR, XLATE_E_NO_SPACE (message-id too long)
 */
enum xlate_status xlate_imdn_parse(const char *buf, size_t len,
    struct xlate_imdn *out);

/* XMPP namespaces of the notifications mapped here. */
#define XLATE_NS_RECEIPTS	"urn:xmpp:receipts"		/* XEP-0184 */
#define XLATE_NS_MARKERS	"urn:xmpp:chat-markers:0"	/* XEP-0333 */
#define XLATE_NS_CHATSTATES	"http://jabber.org/protocol/chatstates"

/**
 * The XMPP element an IMDN becomes: delivered -> XEP-0184 <received/>,
 * displayed -> XEP-0333 <displayed/>; @bit gets the Disposition-
 * Notification bit that asked for it.  Failures and other statuses have
 * no XMPP form.
 *
 * @param name, ns  static strings on XLATE_OK
 * @return XLATE_OK, XLATE_E_MEDIA (no mapping)
 */
enum xlate_status xlate_imdn_to_xmpp(enum xlate_imdn_result result,
    const char **name, const char **ns, unsigned *bit);

/**
 * The IMDN an XMPP notification element becomes: XEP-0184 <received/>
 * and XEP-0333 <received/> -> delivery-notification delivered; XEP-0333
 * <displayed/> -> display-notification displayed.
 *
 * @return XLATE_OK, XLATE_E_MEDIA (anything else: no IMDN)
 */
enum xlate_status xlate_xmpp_to_imdn(const char *name, const char *ns,
    enum xlate_imdn_kind *kind, enum xlate_imdn_result *result);

/**
 * The bits of a Disposition-Notification value ("positive-delivery,
 * display"; tokens case-insensitive, unknown tokens ignored).  0 when
 * @v is NULL.
 */
unsigned xlate_imdn_disp_parse(const char *v, size_t len);

/* The IMDN a SIP user gets back for one of its messages. */
struct xlate_imdn_out {
	const char		*from;		/* CPIM From URI */
	const char		*to;		/* CPIM To URI */
	const char		*message_id;	/* this IMDN's own id */
	const char		*orig_id;	/* the id it reports on */
	const char		*datetime;	/* RFC 3339, now */
	enum xlate_imdn_kind	 kind;
	enum xlate_imdn_result	 result;	/* DELIVERED / DISPLAYED */
};

/**
 * Write the message/cpim body of an IMDN (RFC 5438 7.2.1.1): CPIM
 * headers From, To, NS imdn, imdn.Message-ID, DateTime, then the
 * message/imdn+xml part with Content-Disposition: notification.  The
 * ids must be tokens (RFC 5438 6.3) and the URIs free of '<' '>'.
 *
 * @param outlen  gets the body length (the body is NUL-terminated too)
 * @return XLATE_OK, XLATE_E_URI (bad URI or id), XLATE_E_NO_SPACE
 */
enum xlate_status xlate_imdn_build(const struct xlate_imdn_out *in,
    char *out, size_t outsz, size_t *outlen);

/* A text message to SIP that asks for notifications (RFC 5438 7.1.1). */
struct xlate_cpim_req {
	const char	*from;		/* CPIM From URI */
	const char	*to;		/* CPIM To URI */
	const char	*message_id;	/* imdn.Message-ID, a token */
	const char	*datetime;	/* RFC 3339, now */
	unsigned	 disp;		/* XLATE_DN_* asked, not 0 */
	const char	*body;		/* UTF-8 text, borrowed */
	size_t		 body_len;
};

/**
 * Write the message/cpim body of a text message that asks for
 * notifications: From, To, NS imdn, imdn.Message-ID, DateTime,
 * imdn.Disposition-Notification, then a text/plain part.
 *
 * @return XLATE_OK, XLATE_E_URI (bad URI, id or empty @disp),
 *         XLATE_E_NO_SPACE
 */
enum xlate_status xlate_cpim_wrap(const struct xlate_cpim_req *in,
    char *out, size_t outsz, size_t *outlen);

/* RFC 3994 3.1 <state/> values, as XEP-0085 states they map to. */
enum xlate_composing {
	XLATE_COMPOSING_ACTIVE,	/* "active": XEP-0085 <composing/> */
	XLATE_COMPOSING_IDLE	/* "idle": XEP-0085 <paused/> */
};

/**
 * Read an application/im-iscomposing+xml document (root <isComposing/>,
 * its <state/>).
 *
 * @return XLATE_OK; XLATE_E_MEDIA (not such a document, DTD, a state
 *         other than "active" or "idle"), XLATE_E_UTF8, XLATE_E_CHAR
 */
enum xlate_status xlate_iscomposing_parse(const char *buf, size_t len,
    enum xlate_composing *state);

/**
 * The RFC 3994 state of an XEP-0085 chat state element: <composing/> is
 * "active"; <paused/>, <active/>, <inactive/> and <gone/> are "idle".
 * @return XLATE_OK, XLATE_E_MEDIA (not a chat state)
 */
enum xlate_status xlate_chatstate_composing(const char *name,
    enum xlate_composing *state);

/**
 * Write an application/im-iscomposing+xml document for @state (RFC 3994
 * 3.1, with <contenttype>text/plain</contenttype>; an active state asks
 * for a refresh within 120 s, RFC 3994 3.2).
 * @return XLATE_OK, XLATE_E_NO_SPACE
 */
enum xlate_status xlate_iscomposing_build(enum xlate_composing state,
    char *out, size_t outsz, size_t *outlen);

/**
 * Is this body a notification (IMDN or isComposing, bare or in
 * message/cpim) rather than a message?  Such bodies are worth nothing
 * late: they are never stored for later delivery.
 */
bool xlate_is_notification(const char *ctype, const char *body,
    size_t len);

/** The XEP-0085 element name for @state ("composing" or "paused"). */
const char *xlate_composing_chatstate(enum xlate_composing state);

#endif /* GATEWAY_XLATE_XLATE_IMDN_H */
