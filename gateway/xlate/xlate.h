/*
 * gateway/xlate/xlate.h - SIP <-> XMPP address and message translation.
 *
 * Sits on the edges of the inbound -> route -> pick -> outbound flow,
 * between the wire libraries and the protocol-neutral transaction:
 * gateway/sipgw and gateway/xmppgw call it when a message arrives (to name
 * the sender in the other protocol, check the content type, unwrap
 * message/cpim, check the body) and when a message leaves (to name the
 * recipient, size the SIP request).  Rules: RFC 7572 (pager-mode message
 * mapping and size), RFC 7247 (addresses), RFC 3922 (XMPP -> im:),
 * RFC 3862 (message/cpim), XEP-0106 (JID escaping, routing/imaddr).
 * Files: xlate_addr.c (addresses), xlate_cpim.c (message/cpim),
 * xlate_text.c (UTF-8, XML, content types, size), xlate_msg.c (the two
 * message mappers imgated runs), xlate_imdn.c (notifications).
 *
 * Pure: no I/O, no allocation, no globals; every input is borrowed for
 * the call and never modified; every output goes to a caller buffer that
 * is NUL-terminated ("" on failure) whenever its size is not zero.  Host
 * names go through routing/idna, whose libidn2 allocates only for the
 * length of one call.
 * Library types (sofia sip_t, libstrophe stanzas) never appear here: the
 * caller copies header values out first.  Error-to-status mapping is not
 * here but in gateway/status (status_sip_to_xmpp() and friends).
 */
#ifndef GATEWAY_XLATE_XLATE_H
#define GATEWAY_XLATE_XLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "routing/imaddr.h"

/* Every outcome of this module; xlate_strstatus() names them. */
/* The first nine are routing/imaddr's, value for value. */
enum xlate_status {
	XLATE_OK = IMADDR_OK,
	XLATE_E_NO_SPACE = IMADDR_E_NO_SPACE,	/* caller buffer too small */
	XLATE_E_SCHEME = IMADDR_E_SCHEME,	/* missing/unexpected scheme */
	XLATE_E_URI = IMADDR_E_URI,	/* malformed URI (host, %XX, param) */
	XLATE_E_JID = IMADDR_E_JID,	/* malformed JID or localpart */
	XLATE_E_LONG = IMADDR_E_LONG,	/* a JID part over 1023 octets */
	XLATE_E_EDGE_SPACE = IMADDR_E_EDGE_SPACE, /* space first/last */
	XLATE_E_UTF8 = IMADDR_E_UTF8,	/* not well-formed UTF-8 */
	XLATE_E_CHAR = IMADDR_E_CHAR,	/* control or non-XML-1.0 char */
	XLATE_E_DOMAIN,		/* domain has no SIP host form */
	XLATE_E_NOT_GW,		/* not an address of the gateway's form */
	XLATE_E_MEDIA,		/* content type not relayed */
	XLATE_E_TOO_LARGE,	/* SIP request over the size limit */
	XLATE_E_ERROR_STANZA,	/* type='error' is never relayed */
	XLATE_E_TYPE,		/* stanza type refused (groupchat, unknown) */
	XLATE_E_EMPTY,		/* neither body nor subject: nothing to send */
	XLATE_E_CPIM_LINE,	/* bare CR in a header line */
	XLATE_E_CPIM_HEADER,	/* header line not "Name: value" */
	XLATE_E_CPIM_CHAR,	/* control char / bad UTF-8 in a header */
	XLATE_E_CPIM_DUP,	/* From, DateTime or Content-Type twice */
	XLATE_E_CPIM_NO_FROM,	/* no From header */
	XLATE_E_CPIM_NO_TO,	/* no To header */
	XLATE_E_CPIM_ADDR,	/* From/To/cc/NS not "[name] <URI>" */
	XLATE_E_CPIM_DATETIME,	/* DateTime not an RFC 3339 date-time */
	XLATE_E_CPIM_REQUIRE,	/* Require names a header not understood */
	XLATE_E_CPIM_NS,	/* undeclared prefix, or too many NS */
	XLATE_E_CPIM_NO_CTYPE,	/* encapsulated part lacks Content-Type */
	XLATE_E_CPIM_TRUNCATED,	/* a header block has no blank line */
	XLATE_E_CPIM_ESCAPE,	/* bad backslash escape in a value */
	XLATE_E_CPIM_OUTER,	/* outer MIME type is not message/cpim */
	XLATE_E_IDNA		/* label not valid IDNA2008/UTS #46 */
};

/* RFC 7622 3.1: each of localpart, domainpart, resourcepart. */
#define XLATE_PART_MAX		IMADDR_PART_MAX
/* Buffer for a whole JID: three parts, '@', '/' and NUL. */
#define XLATE_JID_SIZE		(3 * XLATE_PART_MAX + 3)
/* Buffer for any URI built here (percent-encoding triples octets). */
#define XLATE_URI_SIZE		8192
/* RFC 3428 8 / RFC 7572 6: a MESSAGE outside a session. */
#define XLATE_SIP_LIMIT		1300
/*
 * Bytes of a SIP MESSAGE that xlate_xmpp_to_sip_msg() cannot see: Via
 * with branch, Max-Forwards, CSeq, From tag, Content-Length, User-Agent
 * and the like, as sofia-sip writes them.  Deliberately generous.
 */
#define XLATE_SIP_OVERHEAD	300
/* Buffers of the message structs. */
#define XLATE_THREAD_SIZE	256	/* Call-ID <-> <thread/> */
#define XLATE_SUBJECT_SIZE	1024
#define XLATE_LANG_SIZE		64	/* one language tag */
/* At most this many NS headers in one message/cpim. */
#define XLATE_CPIM_NS_MAX	16

/** Static name of @st, e.g. "XLATE_E_EDGE_SPACE" (never NULL). */
const char *xlate_strstatus(enum xlate_status st);

/* A borrowed, length-delimited piece of someone else's buffer. */
struct xlate_span {
	const char	*p;	/* NULL when absent */
	size_t		 len;
};

/*
 * XEP-0106 (routing/imaddr does the work)
 */

/**
 * Escape a raw localpart: space " & ' / : < > @ become \20 \22 \26 \27
 * \2f \3a \3c \3e \40, and a backslash becomes \5c only where it would
 * otherwise start one of the ten sequences (\20..\40, \5c).
 *
 * @param in     raw localpart, borrowed, @inlen octets (no NUL needed)
 * @param out    caller buffer for the escaped localpart
 * @return XLATE_OK; XLATE_E_JID (empty), XLATE_E_EDGE_SPACE (space
 *         first or last), XLATE_E_UTF8, XLATE_E_CHAR (control char),
 *         XLATE_E_LONG (result over 1023 octets), XLATE_E_NO_SPACE.
 */
enum xlate_status xlate_jid_escape(const char *in, size_t inlen, char *out,
    size_t outsz);

/**
 * Undo xlate_jid_escape(): only the ten exact, lower-case sequences are
 * translated ("\2F" and "\41" stay as they are).  The input must be a
 * valid localpart: none of the nine characters unescaped, and \20 neither
 * first nor last.  unescape(escape(x)) == x for every valid x, and
 * escape(unescape(y)) == y when y uses \5c only where needed.
 *
 * @return XLATE_OK; XLATE_E_JID (empty, or a raw disallowed character),
 *         XLATE_E_EDGE_SPACE, XLATE_E_UTF8, XLATE_E_CHAR, XLATE_E_LONG,
 *         XLATE_E_NO_SPACE.
 */
enum xlate_status xlate_jid_unescape(const char *in, size_t inlen,
    char *out, size_t outsz);

/*
 * JIDs
 */

/* The three parts of a JID, borrowed from the string given to split. */
struct xlate_jid {
	struct xlate_span local;	/* p NULL: no localpart */
	struct xlate_span domain;	/* never empty; final dot dropped */
	struct xlate_span resource;	/* p NULL: bare JID */
};

/**
 * Split and check @jid (RFC 7622 3.1: the resource starts at the first
 * '/', the localpart ends at the first '@' before it).  The localpart must
 * hold none of the nine characters XEP-0106 escapes; the domain has no
 * empty label; parts are well-formed UTF-8 without control characters
 * and at most 1023 octets.  No stringprep/PRECIS mapping is done: JIDs
 * are taken as they arrive.
 *
 * @param jid  NUL-terminated, borrowed; @j points into it afterwards
 * @return XLATE_OK, XLATE_E_JID, XLATE_E_LONG, XLATE_E_UTF8, XLATE_E_CHAR
 */
enum xlate_status xlate_jid_split(const char *jid, struct xlate_jid *j);

/*
 * SIP <-> XMPP addresses where the domains map one to one (RFC 7247,
 * RFC 7572 examples).
 */

/**
 * "sip:user@host;params" -> "user@host[/gr]".  The user part is
 * percent-decoded and then XEP-0106 escaped; the host is lower-cased,
 * its A-labels become U-labels (routing/idna: "xn--bcher-kva.example" ->
 * "bücher.example", RFC 7622 3.2 domainparts are IDNA2008 U-labels), and
 * the port, password, URI headers and parameters are dropped, except
 * ";gr=VALUE" which becomes the resourcepart (RFC 5627 GRUU).  With
 * user=phone, telephone-subscriber parameters inside the user part
 * (";isub=", ";postd=") are dropped too.  sip: and sips: are accepted,
 * case-insensitively.  A URI without user part maps to a domain JID.
 *
 * @param sip_uri a bare URI (no display name, no <>), borrowed
 * @return XLATE_OK, XLATE_E_SCHEME, XLATE_E_URI, XLATE_E_EDGE_SPACE
 *         (e.g. "sip:%20john@x"), XLATE_E_UTF8, XLATE_E_CHAR,
 *         XLATE_E_LONG, XLATE_E_IDNA (an A-label that is not one),
 *         XLATE_E_NO_SPACE
 */
enum xlate_status xlate_sip_to_jid(const char *sip_uri, char *jid,
    size_t jidsz);

/**
 * "local@domain/res" -> "sip:user@domain;gr=res".  The localpart is
 * XEP-0106 unescaped and then percent-encoded wherever the RFC 3261 user
 * production does not allow the octet (non-ASCII as UTF-8 octets, upper
 * case hex: "jürgen" -> "j%C3%BCrgen"); the resource is encoded the same
 * way as a paramchar string.  The domain is written in its ASCII form
 * (routing/idna: U-labels become A-labels, "bücher.example" ->
 * "xn--bcher-kva.example") and must then be a host name or IP literal.
 *
 * @return XLATE_OK, XLATE_E_JID, XLATE_E_LONG, XLATE_E_EDGE_SPACE,
 *         XLATE_E_UTF8, XLATE_E_CHAR, XLATE_E_IDNA (a label IDNA2008
 *         refuses), XLATE_E_DOMAIN (not a host, e.g. "exa_mple.com"),
 *         XLATE_E_NO_SPACE
 */
enum xlate_status xlate_jid_to_sip(const char *jid, char *uri, size_t urisz);

/**
 * As xlate_jid_to_sip(), written as a name-addr for a From header:
 * "<sip:juliet@example.com;gr=yn0cl4bnw0yr3vym>" (RFC 7572 Table 1).
 */
enum xlate_status xlate_jid_to_sip_from(const char *jid, char *out,
    size_t outsz);

/**
 * The URI of a From/To/Request-URI header value: the part inside <> of a
 * name-addr ("Bob" <sip:b@x>;tag=1), or an addr-spec up to its header
 * parameters (sip:b@x;tag=1 -> sip:b@x, RFC 3261 20.10: without <> the
 * parameters belong to the header).  Surrounding whitespace is dropped.
 *
 * @return XLATE_OK, XLATE_E_URI (unbalanced <>, empty), XLATE_E_NO_SPACE
 */
enum xlate_status xlate_sip_addr_uri(const char *hvalue, char *uri,
    size_t urisz);

/*
 * Senders at the gateway's own domain (XEP-0114: a component may only
 * send from its domain, so every sender is written at it).
 */

/**
 * A SIP sender as a JID at @gw_domain: the whole "user@host[:port]" is
 * the XEP-0106 escaped localpart ("sip:alice@a.example" ->
 * "alice\40a.example@gw.example.org").  A number (user=phone) keeps only
 * its user part ("sip:+12025550100@x;user=phone" ->
 * "+12025550100@gw.example.org").  ";gr=" becomes the resource.
 *
 * @param gw_domain the component's domain, borrowed
 * @return as xlate_sip_to_jid(), plus XLATE_E_DOMAIN for a bad @gw_domain
 */
enum xlate_status xlate_sip_sender_to_gw_jid(const char *sip_uri,
    const char *gw_domain, char *jid, size_t jidsz);

/**
 * Reverse of xlate_sip_sender_to_gw_jid(): "alice\40a.example@gw..." ->
 * "sip:alice@a.example" (exact round trip of what it produced).  A host
 * typed with U-labels goes out with A-labels (routing/idna); a label
 * IDNA2008 refuses is XLATE_E_IDNA.  An ASCII host comes back as it is.  A
 * number localpart ("+12025550100@gw...") has lost its host and yields a
 * tel: URI ("tel:+12025550100") for the router.
 *
 * @return XLATE_OK; XLATE_E_NOT_GW when the domain is not @gw_domain or
 *         the localpart is neither "user@host" nor a global number; the
 *         errors of xlate_jid_split(), XLATE_E_URI (bad host), and
 *         XLATE_E_NO_SPACE
 */
enum xlate_status xlate_gw_jid_to_sip(const char *jid,
    const char *gw_domain, char *uri, size_t urisz);

/**
 * An XMPP sender as a SIP URI at @gw_domain: the bare JID, unescaped,
 * is the percent-encoded user part and the resource, as RFC 7572 Table 1
 * maps it, a ";gr=" parameter ("juliet@b.example/res" ->
 * "sip:juliet%40b.example@gw.example.org;gr=res"), so that a reply
 * reaches the same resource; a domain JID becomes "%40domain".
 *
 * @return XLATE_OK, the errors of xlate_jid_split(), XLATE_E_EDGE_SPACE,
 *         XLATE_E_DOMAIN (bad @gw_domain), XLATE_E_NO_SPACE
 */
enum xlate_status xlate_xmpp_sender_to_gw_sip(const char *jid,
    const char *gw_domain, char *uri, size_t urisz);

/**
 * An XMPP sender as a JID at @gw_domain: its bare JID, XEP-0106
 * escaped, is the localpart ("juliet@b.example/res" ->
 * "juliet\40b.example@gw.example.org"), for XMPP -> XMPP through imgate.
 *
 * @return XLATE_OK, the errors of xlate_jid_escape(), XLATE_E_NO_SPACE
 */
enum xlate_status xlate_xmpp_sender_to_gw_jid(const char *jid,
    const char *gw_domain, char *out, size_t outsz);

/**
 * Reverse of xlate_xmpp_sender_to_gw_sip(): "sip:juliet%40b.example@gw"
 * -> "juliet@b.example".  ";gr=" becomes the resource.  A NULL
 * @gw_domain takes any host: a Request-URI that reached imgate names it,
 * whatever name the sender used.
 *
 * @return XLATE_OK; XLATE_E_NOT_GW when the host is not @gw_domain or the
 *         decoded user part holds no '@'; URI and JID errors as above
 */
enum xlate_status xlate_gw_sip_to_xmpp(const char *sip_uri,
    const char *gw_domain, char *jid, size_t jidsz);

/*
 * XMPP <-> CPIM im: (RFC 3922 3.2 / 3.3)
 */

/**
 * "local@domain/res" -> "im:local@domain": the resource is dropped, the
 * XEP-0106 sequences and RFC 3922's own "#26;" "#27;" "#2f;" are turned
 * back into characters, and every localpart octet outside
 * A-Za-z0-9!$*.?_~+= is percent-encoded (upper-case hex).  Domain octets
 * outside A-Za-z0-9.- are percent-encoded too (only IDN/IP literals).
 *
 * @return XLATE_OK, XLATE_E_JID (also: no localpart, im: needs one), the
 *         errors of xlate_jid_split(), XLATE_E_NO_SPACE
 */
enum xlate_status xlate_jid_to_im(const char *jid, char *im, size_t imsz);

/**
 * "im:local@domain" -> "local@domain": the localpart is percent-decoded
 * and XEP-0106 escaped; "?headers" are dropped.
 *
 * @return XLATE_OK, XLATE_E_SCHEME, XLATE_E_URI (no '@', bad %XX), the
 *         errors of xlate_jid_escape(), XLATE_E_NO_SPACE
 */
enum xlate_status xlate_im_to_jid(const char *im, char *jid, size_t jidsz);

/*
 * message/cpim (RFC 3862)
 */

/* What xlate_cpim_parse() found; every span points into its buffer. */
struct xlate_cpim {
	struct xlate_span from;		/* whole From value */
	struct xlate_span from_name;	/* Formal-name, p NULL if none */
	struct xlate_span from_uri;	/* inside <> */
	struct xlate_span to;		/* first To value */
	struct xlate_span to_name;
	struct xlate_span to_uri;
	unsigned	  nto;		/* To headers seen */
	unsigned	  ncc;		/* cc headers seen */
	struct xlate_span subject;	/* first Subject, raw (escapes) */
	struct xlate_span subject_lang;	/* its ;lang= tag, p NULL if none */
	struct xlate_span datetime;	/* p NULL if absent */
	struct xlate_span content_type;	/* of the encapsulated part */
	struct xlate_span body;		/* the encapsulated content */
	bool		  outer;	/* an outer MIME block was skipped */
	/* RFC 5438 headers (NS XLATE_IMDN_NS, any prefix), p NULL if none */
	struct xlate_span imdn_message_id;	/* <prefix>.Message-ID */
	struct xlate_span imdn_disp;	/* <prefix>.Disposition-Notification */
};

/* RFC 5438 6.3: the CPIM namespace of the IMDN headers. */
#define XLATE_IMDN_NS		"urn:ietf:params:imdn"

/**
 * Parse a message/cpim body.  @buf normally starts with the message
 * headers (the SIP Content-Type header is the outer MIME header); a
 * leading "Content-Type: message/cpim" block is skipped if present.
 *
 * Strict where RFC 3862 is: header names are case-sensitive ("from" is an
 * unknown header, ignored), "Name:" then optional ";param=value" then
 * exactly one space then the value, no folding, no control characters,
 * UTF-8; From once and at least one To; DateTime at most once and RFC
 * 3339; "prefix.Name" needs an NS declaration; every name in Require must
 * be one this parser understands.  Lines end in CRLF or LF.  The
 * encapsulated MIME headers are case-insensitive and must include
 * Content-Type.  The body is everything after their blank line.
 *
 * @param buf  borrowed; @out's spans point into it (valid while it is)
 * @param len  bytes in @buf (NULs inside are control characters)
 * @return XLATE_OK or an XLATE_E_CPIM_* code; @out is zeroed on failure
 */
enum xlate_status xlate_cpim_parse(const char *buf, size_t len,
    struct xlate_cpim *out);

/**
 * Decode the RFC 3862 2.3 escapes of a header value (\uXXXX with
 * surrogate pairs, \\ \" \' \b \t \n \r) into NUL-terminated UTF-8.
 *
 * @return XLATE_OK, XLATE_E_CPIM_ESCAPE (unknown escape, lone surrogate,
 *         \u0000), XLATE_E_NO_SPACE
 */
enum xlate_status xlate_cpim_unescape(const char *v, size_t len, char *out,
    size_t outsz);

/*
 * Content checks
 */

enum xlate_ctype {
	XLATE_CT_TEXT,		/* text/plain, charset absent/UTF-8/US-ASCII */
	XLATE_CT_CPIM,		/* message/cpim */
	XLATE_CT_IMDN,		/* message/imdn+xml (RFC 5438) */
	XLATE_CT_ISCOMPOSING,	/* application/im-iscomposing+xml (RFC 3994) */
	XLATE_CT_UNSUPPORTED	/* anything else, other charsets, garbage */
};

/**
 * Classify a Content-Type value: type, subtype and parameter names and
 * the charset value are case-insensitive, whitespace around ';' and '='
 * and quoted values are allowed.  NULL is XLATE_CT_UNSUPPORTED.
 */
enum xlate_ctype xlate_content_type_ok(const char *ctype);

/** As xlate_content_type_ok() for a span that need not end in NUL. */
enum xlate_ctype xlate_content_type_okn(const char *ctype, size_t len);

/**
 * XML-escape @len bytes of @in into @out, which has room for at least
 * XLATE_XML_ESCAPED_MAX(@len) bytes (not NUL-terminated): & < > always,
 * and ' " too when @attr (attribute values, either quote).
 * @return the bytes written.
 */
#define XLATE_XML_ESCAPED_MAX(len)	((len) * 6)
size_t xlate_xml_escape(const char *in, size_t len, bool attr, char *out);

/**
 * Check that @s is well-formed UTF-8 (no overlong forms, surrogates or
 * values above U+10FFFF) made of XML 1.0 characters only (#x9 #xA #xD,
 * #x20-#xD7FF, #xE000-#xFFFD, #x10000-#x10FFFF), as an XMPP body must be.
 *
 * @param erroff if not NULL, gets the offset of the first bad octet
 * @return XLATE_OK, XLATE_E_UTF8, XLATE_E_CHAR
 */
enum xlate_status xlate_utf8_check(const char *s, size_t len,
    size_t *erroff);

/**
 * RFC 3428 8 / RFC 7572 6: may a MESSAGE of @size bytes be sent?  True
 * when @size <= @limit; @limit 0 means XLATE_SIP_LIMIT (1300).  On false
 * an XMPP sender gets <policy-violation/> (gateway/status GW_R_TOO_LARGE).
 */
bool xlate_sip_size_ok(size_t size, size_t limit);

/*
 * Pager-mode message mapping (RFC 7572 Tables 1 and 2)
 */

/* A SIP MESSAGE as sipgw copied it out of sofia; all borrowed. */
struct xlate_sip_msg {
	const char	*from;		/* From header value (tag allowed) */
	const char	*to;		/* To header value */
	const char	*request_uri;	/* NULL: use To */
	const char	*call_id;
	const char	*content_type;	/* NULL only with an empty body */
	const char	*content_language; /* NULL if absent */
	const char	*subject;	/* NULL if absent */
	const char	*body;
	size_t		 body_len;
	/* Set by the daemon, NULL in a plain mapping: */
	const char	*xmpp_to;	/* the JID routing chose: used as is */
	const char	*sender_number;	/* identity table: NUMBER@gw_domain */
	const char	*sender_jid;	/* an XMPP sender (XMPP -> XMPP) */
};

/* The <message/> to send; buffers are the caller's (in the struct). */
struct xlate_xmpp_msg {
	char		 from[XLATE_JID_SIZE];
	char		 to[XLATE_JID_SIZE];
	const char	*type;		/* always NULL: RFC 7572 5, no type */
	char		 thread[XLATE_THREAD_SIZE];	/* "" if none */
	char		 subject[XLATE_SUBJECT_SIZE];	/* "" if none */
	char		 lang[XLATE_LANG_SIZE];		/* xml:lang, "" */
	struct xlate_span body;	/* into the SIP body or its CPIM part */
	bool		 cpim;		/* body was unwrapped from CPIM */
	/* XLATE_CT_TEXT; XLATE_CT_IMDN or XLATE_CT_ISCOMPOSING: body is
	 * that document, a notification the caller maps (xlate_imdn.h) */
	enum xlate_ctype kind;
	/* The CPIM wrapper's headers (imdn.*, To), valid when cpim */
	struct xlate_cpim wrap;
};

/**
 * SIP MESSAGE -> XMPP <message/> (RFC 7572 Table 2): From -> from (tag
 * dropped), Request-URI or To -> to, Call-ID -> thread, Subject ->
 * subject (unfolded: CR/LF runs become one space, RFC 3261 7.3.1),
 * Content-Language (first tag) -> xml:lang, body -> body, no type.
 * text/plain is relayed; message/cpim is unwrapped (its part is the
 * body, its Subject is used when SIP had none, its imdn.* headers are
 * kept in @out->wrap).  An IMDN or isComposing document, bare or in CPIM, is
 * mapped with @out->kind saying which: the caller turns it into a
 * receipt, marker or chat state, never a <body/>.
 *
 * imgated fills @in->xmpp_to (routing chose the JID: no To mapping),
 * and @in->sender_number (the identity table names the sender: "NUMBER@
 * gw_domain") or @in->sender_jid (an XMPP sender: its bare JID, escaped,
 * at @gw_domain, xlate_xmpp_sender_to_gw_jid()) in place of From.
 *
 * With @gw_domain NULL domains map one to one (xlate_sip_to_jid()).
 * Otherwise the sender becomes a JID at @gw_domain
 * (xlate_sip_sender_to_gw_jid()), and a recipient at @gw_domain written
 * as "sip:juliet%40b.example@gw..." is mapped back
 * (xlate_gw_sip_to_xmpp()); a destination that maps to no JID (tel:,
 * im:) leaves @out->to "", and the relay replaces @out->to anyway when
 * routing chose the destination.
 *
 * @param in  borrowed; @out->body points into @in->body afterwards
 * @return XLATE_OK; address errors; XLATE_E_MEDIA (content type, or a
 *         CPIM part that is not text/plain; reply 415); XLATE_E_CPIM_*;
 *         XLATE_E_UTF8 / XLATE_E_CHAR (body, subject or Call-ID not
 *         XML text); XLATE_E_NO_SPACE (Subject longer than its buffer
 *         in struct xlate_xmpp_msg; a Call-ID too long for
 *         XLATE_THREAD_SIZE gives no <thread/> instead)
 */
enum xlate_status xlate_sip_to_xmpp_msg(const struct xlate_sip_msg *in,
    const char *gw_domain, struct xlate_xmpp_msg *out);

/* An XMPP <message/> as xmppgw copied it out of libstrophe; borrowed. */
struct xlate_xmpp_in {
	const char	*from;		/* full JID */
	const char	*to;
	const char	*type;		/* NULL = normal */
	const char	*thread;	/* NULL if absent */
	const char	*subject;	/* NULL if absent */
	const char	*lang;		/* xml:lang, NULL if absent */
	const char	*body;		/* NULL if absent */
	size_t		 body_len;
	/* Set by the daemon, NULL/false in a plain mapping: */
	bool		 to_routed;	/* routing writes the Request-URI */
	const char	*sender_number;	/* identity table: the From number */
};

/* The MESSAGE to send; To carries the same URI as the Request-URI. */
struct xlate_sip_out {
	char		 request_uri[XLATE_URI_SIZE];
	char		 from[XLATE_URI_SIZE];	/* name-addr, "<sip:...>" */
	const char	*call_id;	/* = thread, or NULL: make one */
	char		 subject[XLATE_SUBJECT_SIZE];	/* "" if none */
	char		 content_language[XLATE_LANG_SIZE]; /* "" if none */
	const char	*content_type;	/* static "text/plain;charset=UTF-8" */
	struct xlate_span body;		/* into @in->body */
	size_t		 size_estimate;	/* whole request, see below */
};

/**
 * XMPP <message/> -> SIP MESSAGE (RFC 7572 Table 1): to -> Request-URI
 * and To, from -> From (resource as ;gr=), thread -> Call-ID (when it is
 * a valid Call-ID word shorter than XLATE_THREAD_SIZE), subject ->
 * Subject (CR/LF/TAB become spaces), xml:lang -> Content-Language, body
 * -> text/plain body; type not mapped.
 * type='error' is never relayed (RFC 6120 8.3.1) and groupchat is
 * refused by policy.  @gw_domain selects the address mode as in
 * xlate_sip_to_xmpp_msg().  With @in->to_routed @in->to is not mapped
 * (@out->request_uri stays ""): routing names the recipient later.  With
 * @in->sender_number From is "<sip:NUMBER@gw_domain;user=phone>".  The
 * request size is estimated from the mapped fields plus
 * XLATE_SIP_OVERHEAD and checked against @limit (imgated passes
 * SIZE_MAX: it checks sip.max_body itself and sends large requests over
 * TCP).
 *
 * @param limit  byte cap (0: XLATE_SIP_LIMIT)
 * @return XLATE_OK; XLATE_E_ERROR_STANZA, XLATE_E_TYPE, XLATE_E_EMPTY;
 *         address errors; XLATE_E_UTF8 / XLATE_E_CHAR;
 *         XLATE_E_TOO_LARGE (<policy-violation/>, RFC 7572 6).  On
 *         XLATE_E_TOO_LARGE the fields stay filled (for logging).
 */
enum xlate_status xlate_xmpp_to_sip_msg(const struct xlate_xmpp_in *in,
    const char *gw_domain, size_t limit, struct xlate_sip_out *out);

#endif /* GATEWAY_XLATE_XLATE_H */
