/*
 * gateway/sipgw.c - sofia-sip nua endpoint: MESSAGE in, MESSAGE out.
 *
 * First and last stage of the SIP path.  NUTAG_APPL_METHOD("MESSAGE")
 * keeps nua from answering MESSAGE by itself; the request is saved with
 * nua_save_event() and answered when the relay has the outcome (RFC 3428:
 * 200 when the far end took it, its error code otherwise, 503 with
 * Retry-After for temporary trouble).  Outgoing handles carry the
 * transaction id as their magic, never a pointer: an answer for a
 * transaction that already ended finds nothing and the handle is dropped.
 * Everything copied out of sofia structures is copied before the event
 * callback returns.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/url.h>
#include <sofia-sip/msg_addr.h>

#include <netinet/in.h>

#include "gateway/log.h"
#include "gateway/runtime.h"
#include "gateway/sipgw.h"
#include "gateway/txn.h"
#include "gateway/xlate.h"

/* Inbound side state, owned by the transaction (t->in). */
struct sipgw_in {
	nua_handle_t		*nh;
	nua_saved_event_t	 saved[1];
};

/* Settings come from the runtime in force (they may be reloaded). */
#define CONF	(&runtime_current()->conf)

static relay_reply_fn		sipgw_reply;
static relay_send_fn		sipgw_send;
static relay_abort_fn		sipgw_abort;

const struct relay_side sipgw_side = { sipgw_reply, sipgw_send,
    sipgw_abort };

static nua_t			*sipgw_nua;
static bool			 sipgw_down;

/* Answer inside the event callback, before any transaction exists. */
static void
respond_now(nua_handle_t *nh, int code)
{
	nua_respond(nh, code, sip_status_phrase(code),
	    NUTAG_WITH_THIS(sipgw_nua),
	    TAG_IF(code == 503, SIPTAG_RETRY_AFTER_STR("5")),
	    TAG_END());
	nua_handle_destroy(nh);
}

static char *
header_dup(su_home_t *home, const sip_header_t *h)
{
	char	*s, *copy;

	if (h == NULL)
		return NULL;
	if ((s = sip_header_as_string(home, h)) == NULL)
		return NULL;
	copy = txn_strndup(s, strlen(s));
	return copy;
}

/* "sip:USER@HOST" with "%40" in USER -> the JID it stands for. */
static int
direct_xmpp(const char *ruri, char *jid, size_t jidsz)
{
	char		 uri[1200];
	const char	*user, *at;

	if (strncasecmp(ruri, "sip:", 4) != 0)
		return -1;
	user = ruri + 4;
	if ((at = strchr(user, '@')) == NULL ||
	    memmem(user, (size_t)(at - user), "%40", 3) == NULL)
		return -1;
	/* The host was imgate's own address, whatever name reached it. */
	if (snprintf(uri, sizeof(uri), "sip:%.*s@%s", (int)(at - user), user,
	    CONF->domain) >= (int)sizeof(uri))
		return -1;
	return xlate_gw_sip_to_xmpp(uri, CONF->domain, jid, jidsz) ==
	    XLATE_OK ? 0 : -1;
}

/* Who sent the request being handled: its transport source address. */
static void
source_of(struct policy_source *src)
{
	msg_t		*m = nua_current_request(sipgw_nua);
	su_addrinfo_t	*ai = m != NULL ? msg_addrinfo(m) : NULL;

	memset(src, 0, sizeof(*src));
	src->proto = CONF_SRC_SIP;
	if (ai == NULL || ai->ai_addr == NULL)
		return;
	if (ai->ai_family == AF_INET) {
		src->family = AF_INET;
		memcpy(src->addr, &((struct sockaddr_in *)(void *)
		    ai->ai_addr)->sin_addr, 4);
		src->has_addr = true;
	} else if (ai->ai_family == AF_INET6) {
		src->family = AF_INET6;
		memcpy(src->addr, &((struct sockaddr_in6 *)(void *)
		    ai->ai_addr)->sin6_addr, 16);
		src->has_addr = true;
	}
}

static void
in_message(nua_handle_t *nh, const sip_t *sip)
{
	char			 jid[XLATE_JID_SIZE];
	struct policy_source	 src;
	su_home_t		 home[1] = { SU_HOME_INIT(home) };
	struct gw_txn		*t;
	struct sipgw_in		*in;
	const sip_payload_t	*pl = sip->sip_payload;
	char			*s;

	if (pl != NULL && (int64_t)pl->pl_len > CONF->sip_max_body) {
		log_warnx("sip: MESSAGE from %s: body of %zu bytes over the "
		    "%lld-byte limit -> 413", sip->sip_from != NULL ?
		    sip->sip_from->a_url->url_host : "?",
		    (size_t)pl->pl_len, (long long)CONF->sip_max_body);
		respond_now(nh, 413);
		return;
	}
	if ((t = txn_new(TXN_FROM_SIP)) == NULL ||
	    (in = calloc(1, sizeof(*in))) == NULL) {
		log_warnx("sip: transaction table full -> 503");
		if (t != NULL)
			txn_free(t);
		respond_now(nh, 503);
		return;
	}
	t->in = in;
	in->nh = nh;
	source_of(&src);
	nua_save_event(sipgw_nua, in->saved);

	s = url_as_string(home, sip->sip_request->rq_url);
	t->dest = txn_strndup(s, s != NULL ? strlen(s) : 0);
	if (sip->sip_from != NULL) {
		s = url_as_string(home, sip->sip_from->a_url);
		t->from = txn_strndup(s, s != NULL ? strlen(s) : 0);
	}
	if (sip->sip_call_id != NULL)
		t->call_id = txn_strndup(sip->sip_call_id->i_id,
		    strlen(sip->sip_call_id->i_id));
	t->content_type = sip->sip_content_type != NULL ?
	    header_dup(home, (const sip_header_t *)sip->sip_content_type) :
	    txn_strndup("text/plain", 10);
	if (pl != NULL) {
		t->body = txn_strndup(pl->pl_data, pl->pl_len);
		t->body_len = pl->pl_len;
	} else
		t->body = txn_strndup("", 0);
	if (sip->sip_subject != NULL && sip->sip_subject->g_value != NULL)
		t->subject = txn_strndup(sip->sip_subject->g_value,
		    strlen(sip->sip_subject->g_value));
	if (sip->sip_content_language != NULL)
		t->lang = header_dup(home,
		    (const sip_header_t *)sip->sip_content_language);
	su_home_deinit(home);
	if (t->dest == NULL || t->content_type == NULL || t->body == NULL) {
		struct gw_outcome o = { GW_TEMPFAIL, GW_R_OVERLOAD, 0 };

		relay_finish(t, o);
		return;
	}
	log_info("txn %llu: MESSAGE %s from %s (%zu bytes %s)",
	    (unsigned long long)t->id, t->dest, t->from ? t->from : "?",
	    t->body_len, t->content_type);
	/*
	 * sip:juliet%40b.example@gw is how an XMPP user appears in SIP:
	 * a message to it is a reply that goes straight to that JID.
	 */
	if (CONF->xmpp_enable && direct_xmpp(t->dest, jid,
	    sizeof(jid)) == 0) {
		relay_submit_direct(t, &src, LOOKUP_PROTO_XMPP, jid);
		return;
	}
	relay_submit(t, &src);
}

static void
sipgw_reply(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	struct sipgw_in	*in = t->in;
	char		 retry[16] = "5";

	(void)o;
	if (in == NULL)
		return;
	if (t->retry_after_s > 0)
		snprintf(retry, sizeof(retry), "%u", t->retry_after_s);
	nua_respond(in->nh, r->sip_code, r->sip_phrase,
	    NUTAG_WITH_SAVED(in->saved),
	    TAG_IF(r->retry_after, SIPTAG_RETRY_AFTER_STR(retry)),
	    TAG_IF(r->sip_code == 415,
	    SIPTAG_ACCEPT_STR("text/plain, message/cpim")),
	    TAG_END());
	nua_destroy_event(in->saved);
	nua_handle_destroy(in->nh);
	free(in);
	t->in = NULL;
}

/*
 * RFC 3428 section 8 / RFC 3261 18.1.1: a MESSAGE over 1300 bytes must
 * not go over UDP.  The headers imgate writes stay well under 500 bytes.
 */
#define SIPGW_UDP_LIMIT		1300
#define SIPGW_HEADER_ESTIMATE	500

static enum gw_reason
sipgw_send(struct gw_txn *t, const char *request_uri, const char *next_hop)
{
	nua_handle_t	*nh;
	char		 route[160];
	sip_payload_t	*pl;
	bool		 big = t->body_len + SIPGW_HEADER_ESTIMATE >
	    SIPGW_UDP_LIMIT;

	/*
	 * XMPP stanzas may be far bigger than a SIP MESSAGE should be (RFC
	 * 7572 section 6): send those over TCP, or refuse them, as the
	 * operator chose.  SIP->SIP keeps whatever the sender used; sofia
	 * switches to TCP by itself above its UDP MTU.
	 */
	if (big && t->origin == TXN_FROM_XMPP &&
	    CONF->xmpp_large_to_sip == CONF_LARGE_REFUSE)
		return GW_R_TOO_BIG_FOR_SIP;
	/*
	 * The SRV target is the next hop: a loose Route to its address
	 * (RFC 3261 16.12), so the Request-URI stays sip:user@domain.
	 */
	snprintf(route, sizeof(route), "<sip:%s;lr%s>", next_hop,
	    big ? ";transport=tcp" : "");
	nh = nua_handle(sipgw_nua, (nua_hmagic_t *)(uintptr_t)t->id,
	    SIPTAG_TO_STR(request_uri),
	    /* RFC 7572 table 1: <thread/> becomes the Call-ID. */
	    TAG_IF(t->origin == TXN_FROM_XMPP && t->call_id != NULL,
	    SIPTAG_CALL_ID_STR(t->call_id)),
	    TAG_END());
	if (nh == NULL)
		return GW_R_TARGET_UNREACHABLE;
	pl = sip_payload_create(nua_handle_home(nh), t->body,
	    (isize_t)t->body_len);
	t->out = nh;
	log_debug("txn %llu: MESSAGE %s via %s", (unsigned long long)t->id,
	    request_uri, next_hop);
	nua_message(nh, NUTAG_URL(request_uri),
	    TAG_IF(t->from != NULL, SIPTAG_FROM_STR(t->from)),
	    SIPTAG_CONTENT_TYPE_STR(t->content_type),
	    TAG_IF(t->subject != NULL, SIPTAG_SUBJECT_STR(t->subject)),
	    TAG_IF(t->lang != NULL, SIPTAG_CONTENT_LANGUAGE_STR(t->lang)),
	    SIPTAG_PAYLOAD(pl),
	    SIPTAG_ROUTE_STR(route),
	    TAG_END());
	return GW_R_NONE;
}

static void
sipgw_abort(struct gw_txn *t)
{
	if (t->out != NULL) {
		nua_handle_destroy(t->out);
		t->out = NULL;
	}
}

static void
out_response(nua_handle_t *nh, void *hmagic, int status)
{
	struct gw_txn	*t = txn_get((uint64_t)(uintptr_t)hmagic);

	if (status < 200)
		return;
	if (t == NULL || t->out != nh) {
		/* The transaction ended first: drop the late answer. */
		nua_handle_destroy(nh);
		return;
	}
	nua_handle_destroy(nh);
	relay_attempt_done(t, status);
}

static void
on_event(nua_event_t event, int status, char const *phrase, nua_t *nua,
    nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic,
    sip_t const *sip, tagi_t tags[])
{
	(void)phrase;
	(void)nua;
	(void)magic;
	(void)tags;
	switch (event) {
	case nua_i_message:
		in_message(nh, sip);
		break;
	case nua_r_message:
		out_response(nh, hmagic, status);
		break;
	case nua_i_invite:
	case nua_i_subscribe:
	case nua_i_register:
	case nua_i_publish:
	case nua_i_refer:
	case nua_i_info:
	case nua_i_notify:
		/* imgate relays pager-mode messages only. */
		nua_respond(nh, 405, sip_status_phrase(405),
		    NUTAG_WITH_THIS(sipgw_nua),
		    SIPTAG_ALLOW_STR("MESSAGE, OPTIONS"), TAG_END());
		nua_handle_destroy(nh);
		break;
	case nua_r_shutdown:
		if (status >= 200)
			sipgw_down = true;
		break;
	default:
		break;
	}
}

/*
 * sofia-sip leaves its UDP socket at the kernel's default receive buffer
 * (208 KiB here); a burst of MESSAGEs then overflows it and the senders
 * must retransmit.  Find the socket(s) nua bound and ask for more (the
 * kernel caps the request at net.core.rmem_max).
 */
#define SIPGW_UDP_RCVBUF	(4 << 20)

static void
grow_udp_buffers(void)
{
	for (int fd = 3; fd < 1024; fd++) {
		int		 type, size = SIPGW_UDP_RCVBUF;
		socklen_t	 len = sizeof(type);
		struct sockaddr_storage ss;
		socklen_t	 sl = sizeof(ss);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
		    type != SOCK_DGRAM)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size)) != 0)
			log_debug("sip: SO_RCVBUF on fd %d: %s", fd,
			    strerror(errno));
	}
}

int
sipgw_start(su_root_t *root, const struct gw_conf *conf)
{
	sipgw_nua = nua_create(root, on_event, NULL,
	    NUTAG_URL(conf->sip_listen),
	    NUTAG_APPL_METHOD("MESSAGE"),
	    NUTAG_ALLOW("MESSAGE, OPTIONS"),
	    NUTAG_ENABLEMESSAGE(1),
	    /* Pager mode only: no SDP engine cloned per handle. */
	    NUTAG_MEDIA_ENABLE(0),
	    /*
	     * 64*T1 bounds how long finished UDP transactions are kept
	     * (Timer J) and outbound ones wait (Timer F): the configured
	     * downstream timeout, not a fixed 32 s (imgate.conf(5)).
	     */
	    NTATAG_SIP_T1X64((unsigned)conf->sip_timeout_ms),
	    NTATAG_UDP_MTU(1300),
	    TAG_END());
	if (sipgw_nua == NULL) {
		log_warnx("sip: cannot listen on %s", conf->sip_listen);
		return -1;
	}
	/* Only nua's sockets exist yet: c-ares opens its own on demand. */
	grow_udp_buffers();
	log_info("sip: listening on %s (UDP and TCP)", conf->sip_listen);
	return 0;
}

bool
sipgw_shutdown(void)
{
	if (sipgw_nua != NULL && !sipgw_down)
		nua_shutdown(sipgw_nua);
	return sipgw_down;
}

void
sipgw_destroy(void)
{
	if (sipgw_nua != NULL)
		nua_destroy(sipgw_nua);
	sipgw_nua = NULL;
}
