/*
 * gateway/sipgw.c - sofia-sip nta endpoint: MESSAGE in, MESSAGE out.
 *
 * First and last stage of the SIP path.  imgate talks to nta, sofia's
 * transaction layer, directly: one default leg takes every request
 * outside a dialog, a MESSAGE server transaction (nta_incoming_t) is kept
 * by the gw_txn until the relay has the outcome (RFC 3428: 200 when the
 * far end took it, its error code otherwise, 503 with Retry-After for
 * temporary trouble), and each forwarded MESSAGE is one client
 * transaction (nta_outgoing_t) on the same leg.  nua, sofia's UA layer,
 * would add a handle, a tag list copy and an event per message, which was
 * two thirds of imgated's CPU and most of its memory per message
 * (bench/README.md); a pager-mode gateway needs none of it.
 *
 * With a sip.tls group (or a sips: sip.listen) nta also runs sofia's TLS
 * transport: it listens, and it carries every outbound MESSAGE whose
 * target is sips: or transport=tls, with the peer's certificate checked
 * against sip.tls.ca_file and its names against the target's host.  A
 * sips: request is never carried in clear: one that arrived over UDP or
 * TCP gets 416, and its relay must go over TLS too (480 otherwise).
 *
 * Client transactions carry the transaction id as their magic, never a
 * pointer: an answer for a transaction that already ended finds nothing
 * and is dropped.  Everything copied out of sofia structures is copied
 * before the callback returns.
 *
 * Which configuration (reload, gateway/runtime.h): anything about one
 * message comes from the runtime its transaction started with, t->rt.
 * A request that is not yet a transaction is judged by CONF, the newest
 * runtime, which txn_new() then gives it; the endpoint itself (listen
 * address) is set up once at start.
 */
#include "config.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "enum/siphash.h"
#include "enum/strcopy.h"
#include "gateway/dns.h"
#include "gateway/log.h"
#include "gateway/overload.h"
#include "gateway/overload_sip.h"
#include "gateway/runtime.h"
#include "gateway/sipgw.h"
#include "gateway/sipgw_screen.h"
#include "gateway/sipgw_tls.h"
#include "gateway/spool_key.h"
#include "gateway/flow/txn.h"
#include "gateway/xlate/xlate.h"

/* The newest runtime: for requests before they are transactions. */
#define CONF	(&runtime_current()->conf)

#define SIPGW_ALLOW	"MESSAGE, OPTIONS"
/* What the edges take: text, CPIM, and the notifications xmppgw maps. */
#define SIPGW_ACCEPT	"text/plain, message/cpim, message/imdn+xml, " \
			    "application/im-iscomposing+xml"
#define SIPGW_AGENT	"imgate/" PACKAGE_VERSION

static relay_reply_fn		sipgw_reply;
static relay_send_fn		sipgw_send;
static relay_abort_fn		sipgw_abort;

/*
 * The transaction holds nta's handles under this edge's names
 * (gateway/flow/txn.h): struct sipgw_in is the nta_incoming_t of the
 * request, struct sipgw_out the nta_outgoing_t of the attempt.  Neither
 * is ever defined; only this file converts them back.
 */
static struct sipgw_in *
in_of(nta_incoming_t *irq)
{
	return (struct sipgw_in *)(void *)irq;
}

static nta_incoming_t *
irq_of(const struct gw_txn *t)
{
	return (nta_incoming_t *)(void *)t->in.sip;
}

static struct sipgw_out *
out_of(nta_outgoing_t *orq)
{
	return (struct sipgw_out *)(void *)orq;
}

static nta_outgoing_t *
orq_of(const struct gw_txn *t)
{
	return (nta_outgoing_t *)(void *)t->out.sip;
}

const struct relay_side sipgw_side = { sipgw_reply, sipgw_send,
    sipgw_abort, NULL };

static su_home_t		 sipgw_home[1] = { SU_HOME_INIT(sipgw_home) };
static nta_agent_t		*sipgw_agent;
static nta_leg_t		*sipgw_leg;	/* default leg: in and out */
/* A worker of several sends its requests over UDP from a port of its
 * own (tport ident SIPGW_OWN_IDENT), so that the answers come back to it
 * and not to whichever worker the shared port's hash picks. */
static bool			 sipgw_own_port;
#define SIPGW_OWN_IDENT		"worker"
#define SIPGW_SHARED_IDENT	"shared"
static sip_allow_t		*sipgw_allow;
/* SIPGW_AGENT as the Server and User-Agent headers, parsed and encoded
 * once (preencode()): a shallow copy of each goes into every message as
 * text, neither parsed nor encoded again (bench/README.md). */
static sip_server_t		*sipgw_server;
static sip_user_agent_t		*sipgw_user_agent;
/* Likewise the Content-Types imgate relays most (RFC 3428 text/plain,
 * RFC 7572 message/cpim from XMPP) and Max-Forwards 0 to 70, so that the
 * usual forwarded MESSAGE parses and encodes neither. */
#define SIPGW_NCTYPES		2
static const char *const	 sipgw_ctypes[SIPGW_NCTYPES] = {
    "text/plain", "message/cpim" };
static sip_content_type_t	*sipgw_ctype[SIPGW_NCTYPES];
#define SIPGW_MF_MAX		70
static sip_max_forwards_t	*sipgw_mf[SIPGW_MF_MAX + 1];
static bool			 sipgw_has_tls;	/* a TLS transport is bound */
static bool			 sipgw_draining;	/* shutting down */
/* Overload control (gateway/overload): the share, its tick, what the
 * tick measures and the UDP socket whose queue it watches (-1: none). */
static struct overload		 sipgw_ol;
static su_timer_t		*sipgw_ol_timer;
static uint64_t			 sipgw_ol_last;
static uint32_t			 sipgw_ol_handled;
/* The last OVERLOAD_RATE_TICKS ticks' requests read and lengths (ms),
 * the read rate over which the queue's age is estimated. */
static uint32_t			 sipgw_ol_win_n[OVERLOAD_RATE_TICKS];
static uint32_t			 sipgw_ol_win_ms[OVERLOAD_RATE_TICKS];
static unsigned			 sipgw_ol_win_at;
static uint32_t			 sipgw_ol_drops = UINT32_MAX;
/* How long the UDP queue has been non-empty with nothing read from it
 * (ticks in a row), and whether the last tick saw it non-empty. */
static uint32_t			 sipgw_ol_unread_ms;
static bool			 sipgw_ol_was_queued;
/* Requests judged by their own wait since the last tick (the wait rule:
 * stamped, overload_wait_ms set): then the queue's age is theirs. */
static uint32_t			 sipgw_ol_stamped;
static int			 sipgw_udp_fd = -1;
static int			 sipgw_udp_port;	/* sip.listen's */
/*
 * Before parsing (sipgw_datagram()): what was decided lately for each
 * new MESSAGE, by the key of its top Via branch with the lowest bit set
 * when it was refused, so that a retransmission gets the same answer as
 * the first copy, as nta's server transaction would give it: never a
 * 503 after an acceptance, never an acceptance after a 503.  Sets of
 * SIPGW_DECIDED_WAYS keys (one cache line), the newest first: a key
 * lasts until that many newer ones landed in its set, about
 * SIPGW_DECIDED requests (17 s at 7 500/s); one forgotten sooner is
 * decided anew.  Then what was decided for the datagram that the stack
 * is about to parse (by its key), and what was refused and dropped.
 */
#define SIPGW_DECIDED			(1u << 17)
#define SIPGW_DECIDED_WAYS		8
static uint64_t			 sipgw_decided[SIPGW_DECIDED];
enum sipgw_ol_verdict { SIPGW_OL_NONE, SIPGW_OL_ACCEPT, SIPGW_OL_REFUSE };
static enum sipgw_ol_verdict	 sipgw_ol_next;
static uint64_t			 sipgw_ol_next_key;
static uint64_t			 sipgw_ol_raw, sipgw_ol_parsed;
static uint64_t			 sipgw_ol_dropped, sipgw_ol_logged;
static uint64_t			 sipgw_ol_batched;
/* Read calls on the own SIP UDP sockets and the datagrams they read
 * (gateway/sipgw_recv.c): how much the batching saves. */
static uint64_t			 sipgw_udp_reads, sipgw_udp_datagrams;
static uint64_t			 sipgw_ol_logged_at;
/* nta's counts of malformed requests and responses, as last logged. */
static usize_t			 sipgw_bad_req_logged, sipgw_bad_resp_logged;
/* Retry-After of every refusal for overload (seconds). */
#define SIPGW_RETRY_AFTER_S		5
#define SIPGW_RETRY_AFTER_STR		"5"
/* At most one summary line of refusals per this many ms. */
#define SIPGW_OL_LOG_MS			1000
/* A kernel arrival stamp further back than this is no wait: the clock
 * was set meanwhile (gateway/overload.h judges the share instead). */
#define SIPGW_WAIT_SANE_NS		60000000000ull
/* STUN datagrams dropped on the own UDP sockets (stun_drop()), and when
 * the last line about them was logged (dns_now_ms(); 0: never). */
static uint64_t			 sipgw_stun_dropped;
static uint64_t			 sipgw_stun_logged_at;
/* At most one line about dropped STUN per this many ms. */
#define SIPGW_STUN_LOG_MS		60000

/*
 * RFC 7339: an upstream peer whose Via carries "oc" gets the share this
 * worker sheds in the Via of every answer: a copy of the request's Via
 * with the oc parameters set (out of @home), or NULL when it did not ask
 * (nta then copies the request's Via as it is).
 */
static sip_via_t *
oc_via(nta_incoming_t *irq, su_home_t *home)
{
	msg_t		*msg = nta_incoming_getrequest(irq);
	sip_t		*sip = msg != NULL ? sip_object(msg) : NULL;
	sip_via_t	*via = NULL;
	char		 p[4][40];

	if (sip != NULL && sip->sip_via != NULL &&
	    sip->sip_via->v_params != NULL &&
	    overload_via_asks(msg_params_find(sip->sip_via->v_params,
	    "oc") != NULL, msg_params_find(sip->sip_via->v_params,
	    "oc-algo")) && overload_oc_params(&sipgw_ol, p) == 0 &&
	    (via = sip_via_dup(home, sip->sip_via)) != NULL) {
		/* sofia keeps the parameter strings, not copies. */
		for (size_t i = 0; i < 4; i++)
			msg_header_replace_param(home, via->v_common,
			    su_strdup(home, p[i]));
		/* Encoded again from its parameters, not copied. */
		msg_fragment_clear(via->v_common);
	}
	if (msg != NULL)
		msg_destroy(msg);
	return via;
}

/*
 * Answer @irq with @code: nta_incoming_treply() taken apart, so that
 * Server goes in as a shallow copy of the header encoded once at start
 * (preencode()), where SIPTAG_SERVER would copy it deeply and encode it
 * again for every answer.  @tag... are further headers, as for
 * nta_incoming_treply().  When the message cannot be put together here,
 * nta_incoming_treply() answers, without Server.
 */
static void
answer(nta_incoming_t *irq, int code, const char *phrase,
    tag_type_t tag, tag_value_t value, ...)
{
	ta_list		 ta;
	msg_t		*msg;
	msg_header_t	*srv = NULL;

	/* One final answer (nta_incoming_treply() checks the same). */
	if (nta_incoming_status(irq) >= 200)
		return;
	ta_start(ta, tag, value);
	if ((msg = nta_msg_create(sipgw_agent, 0)) != NULL)
		srv = msg_header_copy_one(msg_home(msg),
		    (const msg_header_t *)sipgw_server);
	if (srv == NULL || msg_header_insert(msg, NULL, srv) < 0 ||
	    nta_incoming_complete_response(irq, msg, code, phrase,
	    ta_tags(ta)) < 0) {
		if (msg != NULL)
			msg_destroy(msg);
		nta_incoming_treply(irq, code, phrase, ta_tags(ta));
	} else
		(void)nta_incoming_mreply(irq, msg);	/* takes msg */
	ta_end(ta);
}

/*
 * Answer @irq inside the leg callback, before any transaction exists;
 * the callback returns the code and nta destroys the transaction.
 */
static int
respond_now(nta_incoming_t *irq, int code)
{
	su_home_t	 home[1] = { SU_HOME_INIT(home) };
	sip_via_t	*via = oc_via(irq, home);

	answer(irq, code, sip_status_phrase(code),
	    TAG_IF(code == 503, SIPTAG_RETRY_AFTER_STR(SIPGW_RETRY_AFTER_STR)),
	    TAG_IF(code == 415, SIPTAG_ACCEPT_STR(SIPGW_ACCEPT)),
	    TAG_IF(via != NULL, SIPTAG_VIA(via)),
	    TAG_END());
	su_home_deinit(home);
	return code;
}

/*
 * What in_message() copies into a gw_txn, encoded once into a buffer
 * on the stack and copied once (txn_strndup()); sip_header_as_string()
 * and url_as_string() encoded into @home first, url_as_string() twice
 * (once to size it).  Only a value longer than the buffer still takes
 * that way.
 */
#define SIPGW_COPY_BUF	512

static char *
header_dup(su_home_t *home, const sip_header_t *h)
{
	char		 buf[SIPGW_COPY_BUF], *s;
	issize_t	 n;

	if (h == NULL)
		return NULL;
	n = sip_header_field_e(buf, sizeof(buf), h, 0);
	if (n >= 0 && (size_t)n < sizeof(buf))
		return txn_strndup(buf, (size_t)n);
	if ((s = sip_header_as_string(home, h)) == NULL)
		return NULL;
	return txn_strndup(s, strlen(s));
}

static char *
uri_dup(su_home_t *home, const url_t *url)
{
	char		 buf[SIPGW_COPY_BUF], *s;
	issize_t	 n;

	if (url == NULL)
		return NULL;
	n = url_e(buf, sizeof(buf), url);
	if (n >= 0 && (size_t)n < sizeof(buf))
		return txn_strndup(buf, (size_t)n);
	s = url_as_string(home, url);
	return txn_strndup(s, s != NULL ? strlen(s) : 0);
}

/*
 * "sip:USER@HOST;gr=RES" with "%40" in USER -> the JID it stands for
 * (gateway/xlate: xlate_gw_sip_to_xmpp()).  The host was imgate's own
 * address, whatever name reached it.
 */
static int
direct_xmpp(const char *ruri, char *jid, size_t jidsz)
{
	return xlate_gw_sip_to_xmpp(ruri, NULL, jid, jidsz) == XLATE_OK ?
	    0 : -1;
}

/*
 * Who sent the request: its transport source address, or, from a proxy
 * in acl.trusted_proxies, the address in the second Via (its received
 * parameter, else its host): the hop the proxy received the request from
 * (imgate.conf(5) acl.trusted_proxies, routing/policy.h).
 */
static void
source_of(nta_incoming_t *irq, struct policy_source *src)
{
	msg_t		*m = nta_incoming_getrequest(irq);	/* a reference */
	su_addrinfo_t	*ai = m != NULL ? msg_addrinfo(m) : NULL;

	memset(src, 0, sizeof(*src));
	src->proto = PROTO_SIP;
	if (ai != NULL && ai->ai_addr != NULL && ai->ai_family == AF_INET) {
		src->family = AF_INET;
		memcpy(src->addr, &((struct sockaddr_in *)(void *)
		    ai->ai_addr)->sin_addr, 4);
		src->has_addr = true;
	} else if (ai != NULL && ai->ai_addr != NULL &&
	    ai->ai_family == AF_INET6) {
		src->family = AF_INET6;
		memcpy(src->addr, &((struct sockaddr_in6 *)(void *)
		    ai->ai_addr)->sin6_addr, 16);
		src->has_addr = true;
	}
	if (m != NULL && src->has_addr) {
		const sip_t	*sip = sip_object(m);
		const sip_via_t	*v2 = NULL;

		if (sip != NULL && sip->sip_via != NULL)
			v2 = sip->sip_via->v_next;

		if (v2 != NULL)
			policy_proxy_source(CONF, src, v2->v_received != NULL ?
			    v2->v_received : v2->v_host);
	}
	msg_destroy(m);
}

/*
 * A MESSAGE: copy what the relay needs into a new gw_txn, which keeps
 * @irq (t->in.sip) until sipgw_reply(), its completion hook.  @return 0
 * (the transaction is ours) or the status already sent.
 */
static int
in_message(nta_incoming_t *irq, const sip_t *sip,
    const struct sipgw_verdict *v)
{
	char			 jid[XLATE_JID_SIZE];
	struct policy_source	 src;
	su_home_t		 home[1] = { SU_HOME_INIT(home) };
	struct gw_txn		*t;
	const sip_payload_t	*pl = sip->sip_payload;

	/* Shutting down: nothing new is started (imgated(8) SIGNALS). */
	if (sipgw_draining) {
		log_info("sip: MESSAGE %s from %s during shutdown -> 503",
		    sip->sip_call_id != NULL ? sip->sip_call_id->i_id : "?",
		    sip->sip_from != NULL && sip->sip_from->a_url->url_host !=
		    NULL ? sip->sip_from->a_url->url_host : "?");
		return respond_now(irq, 503);
	}
	if ((t = txn_new(PROTO_SIP)) == NULL) {
		log_warnx("sip: transaction table full -> 503");
		return respond_now(irq, 503);
	}
	t->in.sip = in_of(irq);
	t->done = sipgw_reply;
	t->max_forwards = v->max_forwards;
	source_of(irq, &src);

	t->dest = uri_dup(home, sip->sip_request->rq_url);
	if (sip->sip_from != NULL)
		t->from = uri_dup(home, sip->sip_from->a_url);
	if (sip->sip_call_id != NULL)
		t->call_id = txn_strndup(sip->sip_call_id->i_id,
		    strlen(sip->sip_call_id->i_id));
	/* What a retransmission or resend repeats (store-and-forward
	 * stores one copy per key; gateway/spool_key.h). */
	if (sip->sip_call_id != NULL && sip->sip_cseq != NULL) {
		char	 key[SPOOL_KEY_MAX];
		size_t	 klen = spool_key_sip(key, sizeof(key),
		    sip->sip_call_id->i_id, sip->sip_from != NULL ?
		    sip->sip_from->a_tag : NULL, sip->sip_cseq->cs_seq,
		    sip->sip_cseq->cs_method_name);

		if (klen > 0)
			t->accept_key = txn_strndup(key, klen);
	}
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

		txn_finish(t, o);
		return 0;
	}
	log_info("txn %llu: MESSAGE %s from %s (%zu bytes %s)",
	    (unsigned long long)t->id, t->dest, t->from ? t->from : "?",
	    t->body_len, t->content_type);
	/*
	 * sip:juliet%40b.example@gw is how an XMPP user appears in SIP:
	 * a message to it is a reply that goes straight to that JID.
	 */
	if (t->rt->conf.xmpp_enable && direct_xmpp(t->dest, jid, sizeof(jid)) ==
	    0) {
		relay_submit_direct(t, &src, PROTO_XMPP, jid);
		return 0;
	}
	relay_submit(t, &src);
	return 0;
}

/* The address whoever sent the request, for log lines. */
static const char *
source_text(nta_incoming_t *irq, char *buf, size_t bufsz)
{
	struct policy_source	 src;

	source_of(irq, &src);
	if (!src.has_addr || inet_ntop(src.family, src.addr, buf,
	    (socklen_t)bufsz) == NULL)
		snprintf(buf, bufsz, "?");
	return buf;
}

/*
 * sipgw_screen() with the caps in force; a refusal is answered here and
 * logged with the cap that was broken.  @return 0 or the status sent.
 */
static int
screen_request(nta_incoming_t *irq, const sip_t *sip,
    struct sipgw_verdict *v)
{
	const struct gw_conf	*c = CONF;	/* connection level: newest */
	struct sipgw_caps	 caps = { c->sip_max_body,
	    c->sip_max_header_line, c->sip_max_headers_size,
	    c->sip_max_headers };
	char			 who[INET6_ADDRSTRLEN];
	msg_t			*m = nta_incoming_getrequest(irq);
	size_t			 bytes = (size_t)msg_size(m);

	msg_destroy(m);		/* the reference getrequest() took */
	if (sipgw_screen(sip, bytes, &caps, v) == 0)
		return 0;
	if (v->value >= 0)
		log_warnx("sip: %s from %s: %s (%lld > %lld) -> %d",
		    sip->sip_request->rq_method_name,
		    source_text(irq, who, sizeof(who)), v->why,
		    (long long)v->value, (long long)v->limit, v->code);
	else
		log_warnx("sip: %s from %s: %s -> %d",
		    sip->sip_request->rq_method_name,
		    source_text(irq, who, sizeof(who)), v->why, v->code);
	answer(irq, v->code, v->phrase, TAG_END());
	return v->code;
}

/* Whether @irq came over TLS (a sips: Request-URI must, RFC 3261 26.2). */
static bool
over_tls(nta_incoming_t *irq)
{
	tport_t	*tp = nta_incoming_transport(sipgw_agent, irq, NULL);
	bool	 tls = tp != NULL && tport_has_tls(tp);

	if (tp != NULL)
		tport_unref(tp);
	return tls;
}

/*
 * Every request outside a dialog.  @return 0 when the transaction is
 * kept (a MESSAGE now owned by a gw_txn), otherwise the final status
 * already sent; nta then destroys @irq.  The checks are the ones nua
 * made for imgate before (RFC 3261 8.2.1-8.2.2).
 */
static int
on_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
    const sip_t *sip)
{
	struct sipgw_verdict	 v;

	(void)magic;
	(void)leg;
	if (sip->sip_request->rq_method == sip_method_ack) {
		/* A stray ACK has nothing to answer. */
		nta_incoming_destroy(irq);
		return 0;
	}
	sipgw_ol_handled++;
	/*
	 * Overload (RFC 6357): the share being shed is refused first of
	 * all, before anything is copied, so that what is accepted is
	 * answered before the senders retransmit.  A MESSAGE read from
	 * the UDP socket was decided before it was parsed
	 * (sipgw_datagram()); this decides the others, and refuses those
	 * that the raw path could not answer itself.
	 */
	if (sip->sip_request->rq_method == sip_method_message) {
		enum sipgw_ol_verdict ov = sipgw_ol_next;

		/* The verdict is this request's only if its branch is the
		 * one decided (a datagram nta absorbed leaves one behind). */
		if (ov != SIPGW_OL_NONE && (sip->sip_via == NULL ||
		    sip->sip_via->v_branch == NULL ||
		    overload_sip_key(sip->sip_via->v_branch,
		    strlen(sip->sip_via->v_branch)) != sipgw_ol_next_key))
			ov = SIPGW_OL_NONE;
		sipgw_ol_next = SIPGW_OL_NONE;
		if (ov == SIPGW_OL_REFUSE || (ov == SIPGW_OL_NONE &&
		    overload_shed(&sipgw_ol))) {
			sipgw_ol_parsed++;
			return respond_now(irq, 503);
		}
	}
	/* Caps and hop count before anything is copied or relayed. */
	if (screen_request(irq, sip, &v) != 0)
		return v.code;
	/* CANCEL of a transaction nta knows never gets here. */
	if (sip->sip_request->rq_method == sip_method_cancel)
		return respond_now(irq, 481);
	/* imgate relays pager-mode messages only: 405 with Allow. */
	if (nta_check_method(irq, sip, sipgw_allow,
	    SIPTAG_SERVER(sipgw_server), TAG_END()))
		return 405;
	switch (sip->sip_request->rq_url->url_type) {
	case url_sips:
		if (!over_tls(irq)) {
			char	 who[INET6_ADDRSTRLEN];

			log_warnx("sip: sips: request from %s over a clear "
			    "transport -> 416", source_text(irq, who,
			    sizeof(who)));
			return respond_now(irq, 416);
		}
		break;
	case url_sip:
	case url_tel:
	case url_im:
		break;
	default:
		return respond_now(irq, 416);
	}
	/* No extension is supported: a Require gets 420. */
	if (nta_check_required(irq, sip, NULL,
	    SIPTAG_SERVER(sipgw_server), TAG_END()))
		return 420;
	if (sip->sip_request->rq_method == sip_method_options) {
		answer(irq, SIP_200_OK,
		    SIPTAG_ALLOW(sipgw_allow),
		    SIPTAG_ACCEPT_STR(SIPGW_ACCEPT),
		    TAG_END());
		return 200;
	}
	return in_message(irq, sip, &v);
}

static void
sipgw_reply(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	nta_incoming_t	*irq = irq_of(t);
	char		 retry[16] = "5";
	su_home_t	 home[1] = { SU_HOME_INIT(home) };
	sip_via_t	*via;

	(void)o;
	if (irq == NULL)
		return;
	if (t->retry_after_s > 0)
		snprintf(retry, sizeof(retry), "%u", t->retry_after_s);
	via = oc_via(irq, home);
	answer(irq, r->sip_code, r->sip_phrase,
	    TAG_IF(r->retry_after, SIPTAG_RETRY_AFTER_STR(retry)),
	    TAG_IF(r->sip_code == 415, SIPTAG_ACCEPT_STR(SIPGW_ACCEPT)),
	    TAG_IF(via != NULL, SIPTAG_VIA(via)),
	    TAG_END());
	su_home_deinit(home);
	/* nta keeps it for retransmissions (Timer J), then frees it. */
	nta_incoming_destroy(irq);
	t->in.sip = NULL;
}

/*
 * The Call-ID and From tag of each forwarded MESSAGE, made here rather
 * than by nta (a UUID through sprintf and a tag through su_sprintf:
 * about 6,500 instructions a message, bench/README.md): SipHash-2-4
 * under a key drawn from getrandom() when the endpoint starts, of a
 * counter, in hex.  Unique (a new key per process, a new counter value
 * per message) and unguessable without the key, as RFC 3261 8.1.1.4
 * and 19.3 ask: 128 bits for the Call-ID, 64 for the tag.  Each worker
 * draws its own key in sipgw_start(), after the fork.  Without a key
 * (getrandom() failed) nta makes them as before.
 */
#define SIPGW_CALL_ID_LEN	32
#define SIPGW_TAG_LEN		16
static uint8_t			 sipgw_id_key[SIPHASH_KEY_SIZE];
static bool			 sipgw_id_keyed;
static uint64_t			 sipgw_id_seq;

/* @v as 16 lower-case hex digits at @out. */
static void
hex64(char *out, uint64_t v)
{
	static const char	 hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 0xf];
}

/* The next value of the keyed sequence. */
static uint64_t
next_id(void)
{
	uint64_t	 seq = sipgw_id_seq++;

	return siphash24(sipgw_id_key, &seq, sizeof(seq));
}

/*
 * A Call-ID into @cid (SIPGW_CALL_ID_LEN + 1 bytes) and a From tag into
 * @tag (SIPGW_TAG_LEN + 1 bytes).  @return false when there is no key.
 */
static bool
new_ids(char *cid, char *tag)
{
	if (!sipgw_id_keyed)
		return false;
	hex64(cid, next_id());
	hex64(cid + 16, next_id());
	cid[SIPGW_CALL_ID_LEN] = '\0';
	hex64(tag, next_id());
	tag[SIPGW_TAG_LEN] = '\0';
	return true;
}

/*
 * "@from;tag=@tag" into @out when @from is a bare URI whose tag nta
 * would add as the same header parameter (no ';', '?' or ',' that would
 * make the text mean something else, no brackets); @return false
 * otherwise, and nta adds its own tag to @from as before.
 */
static bool
from_with_tag(char *out, size_t outsz, const char *from, const char *tag)
{
	size_t	 n = 0;

	if (from[strcspn(from, ";?,<>\" \t")] != '\0')
		return false;
	out[0] = '\0';
	return str_append_s(out, outsz, &n, from) == 0 &&
	    str_append(out, outsz, &n, ";tag=", 5) == 0 &&
	    str_append_s(out, outsz, &n, tag) == 0;
}

/*
 * Headers built here rather than parsed from text go into a message in
 * one piece: a header put together on the stack, then copied with
 * sip_*_dup(), which takes one block of the message's memory home for
 * the header, its URL and its parameters.  Each further block costs more
 * than its size: sofia keeps a table of a home's blocks and grows it (a
 * calloc) as it fills; one block too many in the outgoing MESSAGE cost
 * about 3,000 instructions (callgrind).
 */

/*
 * The From of @t's request with @tagged ("sip:...;tag=..." from
 * from_with_tag()) as its text, without parsing that text: for a MESSAGE
 * relayed SIP->SIP while its sender waits, the URL of the parsed request
 * (t->from was written from it, in_message()) and imgate's tag
 * (sip_from_d(): about 1,900 instructions a message).  @return the
 * header, in @msg's home, or NULL (the text is parsed then).
 */
static sip_from_t *
from_of_request(const struct gw_txn *t, msg_t *msg, const char *tagged)
{
	nta_incoming_t	*irq = irq_of(t);
	msg_t		*req;
	const sip_t	*sip;
	const char	*tag = strstr(tagged, ";tag=");
	sip_from_t	 f[1], *from = NULL;
	msg_param_t	 params[2];

	if (t->origin != PROTO_SIP || irq == NULL || t->from == NULL ||
	    tag == NULL || (req = nta_incoming_getrequest(irq)) == NULL)
		return NULL;
	sip = sip_object(req);
	if (sip != NULL && sip->sip_from != NULL) {
		sip_from_init(f);
		*f->a_url = *sip->sip_from->a_url;
		params[0] = tag + 1;		/* "tag=..." */
		params[1] = NULL;
		f->a_params = params;
		from = sip_from_dup(msg_home(msg), f);
	}
	msg_destroy(req);
	return from;
}

/*
 * @request_uri parsed into @url, its strings in @buf (@bufsz bytes), and
 * To naming it in @msg's home.  @return To or NULL.
 */
static sip_to_t *
to_of_uri(msg_t *msg, const char *request_uri, url_t *url, char *buf,
    size_t bufsz)
{
	sip_to_t	 to[1];
	size_t		 n = 0;

	if (str_append_s(buf, bufsz, &n, request_uri) != 0 ||
	    url_d(url, buf) < 0)
		return NULL;
	sip_to_init(to);
	*to->a_url = *url;
	return sip_to_dup(msg_home(msg), to);
}

/* A shallow copy of @h (preencode()) into @msg; @return 0 or -1. */
static int
insert_copy(msg_t *msg, const void *h)
{
	msg_header_t	*c = msg_header_copy_one(msg_home(msg), h);

	return c != NULL ? msg_header_insert(msg, NULL, c) : -1;
}

/*
 * RFC 3428 section 8 / RFC 3261 18.1.1: a MESSAGE over 1300 bytes must
 * not go over UDP.  The headers imgate writes stay well under 500 bytes.
 */
#define SIPGW_UDP_LIMIT		1300
#define SIPGW_HEADER_ESTIMATE	500

static int	out_response(nta_outgoing_magic_t *, nta_outgoing_t *,
		    const sip_t *);

/*
 * imgate's own SIP sockets, read back from the kernel at start (what nta
 * really bound, whatever name sip.listen used), and the host's interface
 * addresses for a socket bound to a wildcard address.  A forwarded
 * request whose next hop is in here would come straight back.
 */
#define SIPGW_SELF_MAX		16
#define SIPGW_LOCAL_MAX		64

struct sipgw_addr {
	int		 family;
	unsigned char	 bytes[16];
	uint16_t	 port;		/* 0 in the interface list */
	bool		 wildcard;
	int		 fd, type;	/* own sockets: descriptor, SOCK_* */
};

static struct sipgw_addr	sipgw_self[SIPGW_SELF_MAX];
static size_t			sipgw_nself;
static struct sipgw_addr	sipgw_local[SIPGW_LOCAL_MAX];
static size_t			sipgw_nlocal;

static bool
addr_from_sockaddr(const struct sockaddr *sa, struct sipgw_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		a->family = AF_INET;
		memcpy(a->bytes, &in->sin_addr, 4);
		a->port = ntohs(in->sin_port);
		a->wildcard = in->sin_addr.s_addr == htonl(INADDR_ANY);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		a->family = AF_INET6;
		memcpy(a->bytes, &in6->sin6_addr, 16);
		a->port = ntohs(in6->sin6_port);
		a->wildcard = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
		return true;
	}
	return false;
}

static void
remember_local_addresses(void)
{
	struct ifaddrs	*ifa, *i;

	sipgw_nlocal = 0;
	if (getifaddrs(&ifa) != 0) {
		log_warn("sip: getifaddrs");
		return;
	}
	for (i = ifa; i != NULL && sipgw_nlocal < SIPGW_LOCAL_MAX;
	    i = i->ifa_next)
		if (i->ifa_addr != NULL && addr_from_sockaddr(i->ifa_addr,
		    &sipgw_local[sipgw_nlocal]))
			sipgw_nlocal++;
	freeifaddrs(ifa);
}

/*
 * Record every IP socket open now with its address and type: only the
 * SIP stack's exist yet (c-ares opens its own on demand), so this is
 * what nta bound.  The one walk over the descriptors serves the loop
 * check, the receive buffers and the overload probe's UDP socket.
 */
static void
remember_own_sockets(void)
{
	bool	 wildcard = false;

	sipgw_nself = 0;
	for (int fd = 3; fd < 1024 && sipgw_nself < SIPGW_SELF_MAX; fd++) {
		struct sockaddr_storage ss;
		socklen_t	 sl = sizeof(ss), tl = sizeof(int);
		struct sipgw_addr *a = &sipgw_self[sipgw_nself];

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
		    !addr_from_sockaddr((struct sockaddr *)&ss, a) ||
		    a->port == 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &a->type, &tl) != 0)
			continue;
		a->fd = fd;
		wildcard |= a->wildcard;
		sipgw_nself++;
	}
	if (wildcard)
		remember_local_addresses();
}

static bool
is_local_address(const struct sipgw_addr *a)
{
	/* All of 127.0.0.0/8 reaches a socket bound to 0.0.0.0. */
	if (a->family == AF_INET && a->bytes[0] == 127)
		return true;
	for (size_t i = 0; i < sipgw_nlocal; i++)
		if (sipgw_local[i].family == a->family &&
		    memcmp(sipgw_local[i].bytes, a->bytes, a->family ==
		    AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

bool
sipgw_is_self(const char *hop)
{
	char			 ip[INET6_ADDRSTRLEN + 2];
	const char		*colon;
	struct sipgw_addr	 a;
	unsigned long		 port;
	size_t			 n;

	memset(&a, 0, sizeof(a));
	if (hop[0] == '[') {
		colon = strstr(hop, "]:");
		n = colon != NULL ? (size_t)(colon - hop - 1) : 0;
		hop++;
		colon = colon != NULL ? colon + 1 : NULL;
	} else {
		colon = strrchr(hop, ':');
		n = colon != NULL ? (size_t)(colon - hop) : 0;
	}
	if (colon == NULL || n == 0 || n >= sizeof(ip))
		return false;
	memcpy(ip, hop, n);
	ip[n] = '\0';
	port = strtoul(colon + 1, NULL, 10);
	if (inet_pton(AF_INET, ip, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, a.bytes) == 1)
		a.family = AF_INET6;
	else
		return false;
	for (size_t i = 0; i < sipgw_nself; i++) {
		const struct sipgw_addr *s = &sipgw_self[i];

		if (s->port != port || s->family != a.family)
			continue;
		if (s->wildcard ? is_local_address(&a) :
		    memcmp(s->bytes, a.bytes, a.family == AF_INET ? 4 : 16) ==
		    0)
			return true;
	}
	return false;
}

static bool
is_sips(const char *uri)
{
	return uri != NULL && strncasecmp(uri, "sips:", 5) == 0;
}

/* A sips: URI or one with transport=tls among its parameters. */
static bool
uri_wants_tls(const char *uri)
{
	const char	*p;

	if (is_sips(uri))
		return true;
	for (p = strchr(uri, ';'); p != NULL; p = strchr(p + 1, ';'))
		if (strncasecmp(p, ";transport=tls", 14) == 0 &&
		    strchr(";?>", p[14]) != NULL)
			return true;	/* (strchr finds the NUL too) */
	return false;
}

/*
 * The loose Route that makes nta connect to @next_hop ("IP:PORT" or
 * "[IPv6]:PORT") over TLS and check the peer's certificate against
 * @host, the target's name (an absolute name, or an IP literal): the
 * name is the Route's host, which sofia checks the certificate's DNS and
 * IP subjectAltNames and its CN against, and maddr carries the address
 * imgate resolved, so nta does no lookup of its own.  @return -1 when
 * it does not fit.
 */
static int
tls_route(char *buf, size_t bufsz, const char *host, const char *next_hop)
{
	const char	*colon = strrchr(next_hop, ':');
	size_t		 hl = strlen(host);
	int		 n;

	if (colon == NULL)
		return -1;
	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if ((size_t)(colon - next_hop) == hl &&
	    strncasecmp(host, next_hop, hl) == 0)
		n = snprintf(buf, bufsz, "<sips:%s;lr>", next_hop);
	else
		n = snprintf(buf, bufsz, "<sips:%.*s%s;maddr=%.*s;lr>",
		    (int)hl, host, colon, (int)(colon - next_hop), next_hop);
	return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

static enum gw_reason
sipgw_send(struct gw_txn *t, const char *request_uri, const char *next_hop)
{
	nta_outgoing_t	*orq;
	msg_t		*msg;
	sip_from_t	*fh = NULL;
	sip_to_t	*toh = NULL;
	url_t		 ru[1];
	char		 rubuf[LOOKUP_URI_MAX + 16];
	const void	*ct = NULL, *mfh = NULL;
	char		 route[400], from[300], mf[8];
	char		 cid[SIPGW_CALL_ID_LEN + 1], tag[SIPGW_TAG_LEN + 1];
	char		 tagged[LOOKUP_URI_MAX + SIPGW_TAG_LEN + 8];
	const char	*call_id, *from_hdr;
	bool		 ids;
	size_t		 len;	/* of mf and route: written by hand, once
				 * per message (no format parsing) */
	sip_payload_t	 pl[1];
	bool		 big = t->body_len + SIPGW_HEADER_ESTIMATE >
	    SIPGW_UDP_LIMIT;
	bool		 tls = uri_wants_tls(request_uri) ||
	    t->next_transport == RFC3263_TP_TLS;
	const char	*host;

	/*
	 * XMPP stanzas may be far bigger than a SIP MESSAGE should be (RFC
	 * 7572 section 6): send those over TCP, or refuse them, as the
	 * operator chose.  SIP->SIP keeps whatever the sender used; nta
	 * switches to TCP by itself above its UDP MTU.
	 */
	if (big && t->origin == PROTO_XMPP &&
	    t->rt->conf.xmpp_large_to_sip == CONF_LARGE_REFUSE)
		return GW_R_TOO_BIG_FOR_SIP;
	/*
	 * A next hop that is one of imgate's own sockets (an ENUM record or
	 * a name that points back at the gateway) would make imgate send
	 * itself the message again and again: 482 instead (relay may try
	 * another target).
	 */
	if (sipgw_is_self(next_hop)) {
		log_warnx("txn %llu: next hop %s for %s is imgate itself",
		    (unsigned long long)t->id, next_hop, request_uri);
		return GW_R_LOOP;
	}
	/* RFC 3261 16.6 step 3: one hop fewer than it arrived with. */
	len = 0;
	if (t->max_forwards < 0 ||
	    str_append_u(mf, sizeof(mf), &len,
	    (unsigned long)t->max_forwards) != 0)
		return GW_R_TARGET_UNREACHABLE;
	/*
	 * A sips: request stays secure on the next hop (RFC 3261 26.2):
	 * only a target that is itself sips: or transport=tls will do.
	 * Nothing that asks for TLS goes out in clear, whatever the
	 * configuration.
	 */
	if (t->origin == PROTO_SIP && is_sips(t->dest) && !tls) {
		log_warnx("txn %llu: sips: request, but the target %s is "
		    "neither sips: nor transport=tls: not sent in clear",
		    (unsigned long long)t->id, request_uri);
		return GW_R_NOT_SECURE;
	}
	if (tls && !sipgw_has_tls) {
		log_warnx("txn %llu: target %s needs TLS and no TLS transport "
		    "is configured (sip.tls)", (unsigned long long)t->id,
		    request_uri);
		return GW_R_NOT_SECURE;
	}
	/*
	 * The SRV target is the next hop: a loose Route to its address
	 * (RFC 3261 16.12), so the Request-URI stays sip:user@domain.
	 */
	/*
	 * The name the hop came from (RFC 3263: SRV target or URI host) is
	 * what a TLS peer's certificate is checked against.
	 */
	host = t->hop > 0 && t->hop <= t->nhops ? t->hops[t->hop - 1].host :
	    NULL;
	if (tls) {
		if (host == NULL || tls_route(route, sizeof(route), host,
		    next_hop) != 0)
			return GW_R_TARGET_UNREACHABLE;
		log_debug("txn %llu: over TLS to %s, certificate checked for "
		    "%s", (unsigned long long)t->id, next_hop, host);
	} else if (len = 0, str_append_s(route, sizeof(route), &len,
	    "<sip:") != 0 ||
	    str_append_s(route, sizeof(route), &len, next_hop) != 0 ||
	    str_append_s(route, sizeof(route), &len,
	    t->next_transport == RFC3263_TP_TCP || big ?
	    ";lr;transport=tcp>" : ";lr>") != 0)
		return GW_R_TARGET_UNREACHABLE;
	/* nta wants a From; a message without a sender is the gateway's. */
	if (t->from == NULL)
		snprintf(from, sizeof(from), "<sip:imgate@%s>",
		    t->rt->conf.domain);
	from_hdr = t->from != NULL ? t->from : from;
	/*
	 * A spooled message keeps one Call-ID on every attempt, so that the
	 * far end can drop duplicates (at-least-once delivery); otherwise
	 * RFC 7572 table 1: <thread/> becomes the Call-ID; otherwise a new
	 * one (new_ids()).
	 */
	ids = new_ids(cid, tag);
	call_id = t->stable_call_id != NULL ? t->stable_call_id :
	    t->origin == PROTO_XMPP && t->call_id != NULL ? t->call_id :
	    ids ? cid : NULL;
	if (ids && from_with_tag(tagged, sizeof(tagged), from_hdr, tag))
		from_hdr = tagged;
	for (size_t i = 0; i < SIPGW_NCTYPES; i++)
		if (t->content_type != NULL &&
		    strcmp(t->content_type, sipgw_ctypes[i]) == 0)
			ct = sipgw_ctype[i];
	if (t->max_forwards <= SIPGW_MF_MAX)
		mfh = sipgw_mf[t->max_forwards];
	sip_payload_init(pl);
	pl->pl_data = t->body;
	pl->pl_len = (isize_t)t->body_len;
	log_debug("txn %llu: MESSAGE %s via %s", (unsigned long long)t->id,
	    request_uri, next_hop);
	/*
	 * The request is put together here and handed to nta whole: nta
	 * filters every tag it is given for the transport's (tl_afilter(),
	 * about 450 instructions a tag), and of these only TPTAG_IDENT is
	 * one.  The headers go in as nta_outgoing_tcreate() would add them
	 * (sip_add_tl()), then the leg adds CSeq, and Call-ID and From tag
	 * unless given (nta_msg_request_complete()), as tcreate does.
	 */
	if ((msg = nta_msg_create(sipgw_agent, 0)) == NULL)
		orq = NULL;
	/*
	 * The Request-URI parsed once, for the request line and To (a URL,
	 * not text: its parameters, user=phone, stay the URI's and go out
	 * inside To's angle brackets, not as To header parameters).
	 */
	else if ((toh = to_of_uri(msg, request_uri, ru, rubuf,
	    sizeof(rubuf))) == NULL ||
	    msg_header_insert(msg, NULL, (msg_header_t *)toh) < 0 ||
	    (from_hdr == tagged &&
	    (fh = from_of_request(t, msg, tagged)) != NULL &&
	    msg_header_insert(msg, NULL, (msg_header_t *)fh) < 0) ||
	    (ct != NULL && insert_copy(msg, ct) < 0) ||
	    (mfh != NULL && insert_copy(msg, mfh) < 0) ||
	    insert_copy(msg, sipgw_user_agent) < 0 ||
	    sip_add_tl(msg, sip_object(msg),
	    TAG_IF(fh == NULL, SIPTAG_FROM_STR(from_hdr)),
	    TAG_IF(call_id != NULL, SIPTAG_CALL_ID_STR(call_id)),
	    SIPTAG_ROUTE_STR(route),
	    TAG_IF(mfh == NULL, SIPTAG_MAX_FORWARDS_STR(mf)),
	    TAG_IF(ct == NULL, SIPTAG_CONTENT_TYPE_STR(t->content_type)),
	    TAG_IF(t->subject != NULL, SIPTAG_SUBJECT_STR(t->subject)),
	    TAG_IF(t->lang != NULL, SIPTAG_CONTENT_LANGUAGE_STR(t->lang)),
	    SIPTAG_PAYLOAD(pl),
	    TAG_END()) < 0 ||
	    nta_msg_request_complete(msg, sipgw_leg, SIP_METHOD_MESSAGE,
	    (url_string_t *)ru) < 0)
		orq = NULL;
	/*
	 * No tag at all unless one is needed: nta filters even a skipped
	 * one (TAG_IF) against every transport tag (tl_afilter()).
	 */
	else if (sipgw_own_port && !big && !tls)
		orq = nta_outgoing_mcreate(sipgw_agent, out_response,
		    (nta_outgoing_magic_t *)(uintptr_t)t->id, NULL, msg,
		    TPTAG_IDENT(SIPGW_OWN_IDENT), TAG_END());
	else
		orq = nta_outgoing_mcreate(sipgw_agent, out_response,
		    (nta_outgoing_magic_t *)(uintptr_t)t->id, NULL, msg,
		    TAG_END());
	/* mcreate() leaves a message it did not take to its caller. */
	if (orq == NULL && msg != NULL)
		msg_destroy(msg);
	if (orq == NULL) {
		log_info("txn %llu: cannot send MESSAGE to %s via %s",
		    (unsigned long long)t->id, request_uri, next_hop);
		return GW_R_TARGET_UNREACHABLE;
	}
	t->out.sip = out_of(orq);
	return GW_R_NONE;
}

static void
sipgw_abort(struct gw_txn *t)
{
	if (t->out.sip != NULL) {
		/* nta finishes the transaction on its own, without us. */
		nta_outgoing_destroy(orq_of(t));
		t->out.sip = NULL;
	}
}

/* A response to a forwarded MESSAGE (408/503 when nta made it up). */
static int
out_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
    const sip_t *sip)
{
	struct gw_txn	*t;
	int		 status = nta_outgoing_status(orq);
	bool		 ours;

	(void)sip;
	if (status < 200)
		return 0;
	t = txn_get((uint64_t)(uintptr_t)magic);
	ours = t != NULL && orq_of(t) == orq;
	nta_outgoing_destroy(orq);
	if (!ours)
		return 0;	/* the transaction ended first */
	t->out.sip = NULL;
	relay_attempt_done(t, status_from_sip(status));
	return 0;
}

/*
 * sofia-sip leaves its UDP socket at the kernel's default receive buffer
 * (208 KiB here); a burst of MESSAGEs then overflows it and the senders
 * must retransmit.  Find the socket(s) nta bound and ask for more (the
 * kernel caps the request at net.core.rmem_max).
 */
#define SIPGW_UDP_RCVBUF	(4 << 20)

/* sip.max_body and sip.max_headers_size at their upper bounds, plus
 * room for the empty line: the most any configuration accepts. */
#define SIPGW_MAXSIZE		(65536 + 65536 + 1024)

/* Bytes preloaded into every SIP message's memory home (see below). */
#define SIPGW_PRELOAD		2048

/*
 * TCP and TLS connections (sofia's defaults: a half-read message waits
 * for the rest for ever, an idle connection is closed after 30 min):
 * a connection with part of a message and nothing more for
 * SIPGW_TCP_RECV_TIMEOUT_MS (64*T1, RFC 3261 Timer B/F: by then its
 * sender has given up on that request) is closed, and so is one
 * without traffic and without a transaction for SIPGW_TCP_IDLE_MS.
 * Each one holds a descriptor, of which an accepted connection may
 * take only so many (gateway/sipgw_accept.c).
 */
#define SIPGW_TCP_RECV_TIMEOUT_MS	32000
#define SIPGW_TCP_IDLE_MS		120000

/*
 * The text of @h, encoded once into sipgw_home as nta would encode it
 * in every message (with @flags, the agent's message flags), kept in the
 * header: a shallow copy of it (msg_header_copy_one()) then goes on the
 * wire as it is.  The copies point into sipgw_home, which outlives the
 * agent and so every message (sipgw_destroy()).  @return 0 or -1.
 */
static int
preencode(msg_header_t *h, int flags)
{
	char		 buf[256];
	issize_t	 n;

	n = msg_header_e(buf, sizeof(buf), h, flags);
	if (n <= 0 || (size_t)n >= sizeof(buf) ||
	    (h->sh_data = su_strndup(sipgw_home, buf, n)) == NULL)
		return -1;
	h->sh_len = (usize_t)n;
	return 0;
}

/* Every header preencode() keeps, made; @return 0 or -1. */
static int
preencode_all(void)
{
	/* The flags nta gives every message it makes (one look). */
	msg_t		*msg = nta_msg_create(sipgw_agent, 0);
	int		 flags;

	if (msg == NULL)
		return -1;
	flags = sip_object(msg)->sip_flags;
	msg_destroy(msg);
	if (sipgw_server == NULL || sipgw_user_agent == NULL ||
	    preencode((msg_header_t *)sipgw_server, flags) != 0 ||
	    preencode((msg_header_t *)sipgw_user_agent, flags) != 0)
		return -1;
	for (size_t i = 0; i < SIPGW_NCTYPES; i++)
		if ((sipgw_ctype[i] = sip_content_type_make(sipgw_home,
		    sipgw_ctypes[i])) == NULL ||
		    preencode((msg_header_t *)sipgw_ctype[i], flags) != 0)
			return -1;
	for (unsigned long i = 0; i <= SIPGW_MF_MAX; i++) {
		char	 n[8];
		size_t	 len = 0;

		if (str_append_u(n, sizeof(n), &len, i) != 0 ||
		    (sipgw_mf[i] = sip_max_forwards_make(sipgw_home,
		    n)) == NULL ||
		    preencode((msg_header_t *)sipgw_mf[i], flags) != 0)
			return -1;
	}
	return 0;
}

static void
grow_udp_buffers(void)
{
	for (size_t i = 0; i < sipgw_nself; i++) {
		int	 size = SIPGW_UDP_RCVBUF, one = 1;

		if (sipgw_self[i].type != SOCK_DGRAM)
			continue;
		if (setsockopt(sipgw_self[i].fd, SOL_SOCKET, SO_RCVBUF, &size,
		    sizeof(size)) != 0)
			log_debug("sip: SO_RCVBUF on fd %d: %s",
			    sipgw_self[i].fd, strerror(errno));
		if (setsockopt(sipgw_self[i].fd, SOL_SOCKET, SO_TIMESTAMPNS,
		    &one, sizeof(one)) != 0)
			log_debug("sip: SO_TIMESTAMPNS on fd %d: %s",
			    sipgw_self[i].fd, strerror(errno));
	}
}

/*
 * What the SIP stack refused without imgate seeing it: a request that
 * does not parse (a bad CSeq, no From, a Content-Length past its end)
 * is answered "400 Bad <header> Header", 413 or 505 by nta itself, or
 * dropped when its Via is unusable, and a malformed response is
 * dropped; nta says so only at its debug level 5, which would also
 * format lines for every message.  Its counters, read once a second
 * (@ms since the last read), give one line for them all; the sources
 * are not known here.  Datagrams that are not SIP at all nta logs
 * itself ("received garbage").
 */
static void
log_malformed(uint64_t ms)
{
	usize_t	 req = 0, resp = 0;

	if (sipgw_agent == NULL || nta_agent_get_stats(sipgw_agent,
	    NTATAG_S_BAD_REQUEST_REF(req), NTATAG_S_BAD_RESPONSE_REF(resp),
	    TAG_END()) < 2)
		return;
	if (req != sipgw_bad_req_logged || resp != sipgw_bad_resp_logged)
		log_warnx("sip: malformed SIP refused by the SIP stack in "
		    "%llu ms: %llu requests (answered 400, 413 or 505, or "
		    "dropped for an unusable Via), %llu responses (dropped)",
		    (unsigned long long)ms,
		    (unsigned long long)(req - sipgw_bad_req_logged),
		    (unsigned long long)(resp - sipgw_bad_resp_logged));
	sipgw_bad_req_logged = req;
	sipgw_bad_resp_logged = resp;
}

/*
 * Every OVERLOAD_TICK_MS: how late this tick is (the loop's lag) and how
 * old the oldest request waiting in the UDP socket probably is (bytes
 * queued, SO_MEMINFO, over what the last ticks read).
 */
static void
on_overload_tick(su_root_magic_t *m, su_timer_t *tm, su_timer_arg_t *arg)
{
	uint64_t	 now = dns_now_ms();
	uint64_t	 since = now - sipgw_ol_last;
	uint32_t	 lag = since > OVERLOAD_TICK_MS ?
	    (uint32_t)(since - OVERLOAD_TICK_MS) : 0, age = 0;
	uint32_t	 mi[SK_MEMINFO_VARS];
	uint32_t	 win_n = 0, win_ms = 0;
	socklen_t	 ml = sizeof(mi);
	int		 next = 0;

	(void)m;
	(void)tm;
	(void)arg;
	sipgw_ol_win_n[sipgw_ol_win_at] = sipgw_ol_handled;
	sipgw_ol_win_ms[sipgw_ol_win_at] = since > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)since;
	sipgw_ol_win_at = (sipgw_ol_win_at + 1) % OVERLOAD_RATE_TICKS;
	overload_read_rate(sipgw_ol_win_n, sipgw_ol_win_ms,
	    OVERLOAD_RATE_TICKS, &win_n, &win_ms);
	if (sipgw_udp_fd >= 0 && getsockopt(sipgw_udp_fd, SOL_SOCKET,
	    SO_MEMINFO, mi, &ml) == 0) {
		bool queued = mi[SK_MEMINFO_RMEM_ALLOC] > 0;

		/*
		 * The age estimated from the bytes queued and the read rate,
		 * unless the requests read meanwhile were judged by their
		 * own waits: the wait rule sheds by those, measured, and the
		 * estimate, read while a stall's backlog drains, made the
		 * share climb on stalls the queue was already recovering
		 * from (bench/README.md, the AMD guest).
		 */
		if (queued && sipgw_ol_stamped == 0 &&
		    ioctl(sipgw_udp_fd, SIOCINQ, &next) == 0)
			age = overload_queue_age_ms(mi[SK_MEMINFO_RMEM_ALLOC],
			    (uint32_t)next, win_n, win_ms);
		/*
		 * Queued at the last tick and at this one, nothing read in
		 * between: the oldest request has waited at least that
		 * long.  (A request that arrived just before this tick on
		 * an idle gateway is not old: that is why one non-empty
		 * look does not count.)
		 */
		if (queued && sipgw_ol_was_queued && sipgw_ol_handled == 0) {
			uint64_t u = (uint64_t)sipgw_ol_unread_ms + since;

			sipgw_ol_unread_ms = u > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)u;
		} else
			sipgw_ol_unread_ms = 0;
		sipgw_ol_was_queued = queued;
		if (sipgw_ol_unread_ms > age)
			age = sipgw_ol_unread_ms;
		/* The kernel dropped requests: the queue was full, older
		 * than the limit can allow. */
		if (mi[SK_MEMINFO_DROPS] != sipgw_ol_drops &&
		    sipgw_ol_drops != UINT32_MAX)
			age = OVERLOAD_AGE_DROPPED;
		sipgw_ol_drops = mi[SK_MEMINFO_DROPS];
	}
	sipgw_ol_handled = 0;
	sipgw_ol_stamped = 0;
	sipgw_ol_last = now;
	if (runtime_current() != NULL) {
		overload_set_limit(&sipgw_ol,
		    (uint32_t)runtime_current()->conf.overload_lag_ms);
		overload_set_wait(&sipgw_ol,
		    (uint32_t)runtime_current()->conf.overload_wait_ms);
		/* A connection is judged by the newest runtime too. */
		sipgw_accept_per_source((unsigned)runtime_current()->
		    conf.sip_max_connections_per_source);
	}
	{
		uint32_t was = overload_share(&sipgw_ol), share;

		overload_tick(&sipgw_ol, now, lag, age);
		share = overload_share(&sipgw_ol);
		if (share != was && (was == 0 || share == 0))
			log_warnx("sip: overload: %s (share %u %%, of requests "
			    "that waited %u %%; worst of the last %u ms: %s%u "
			    "ms; now lag %u ms, queue %u ms)",
			    share > 0 ? "shedding new requests" :
			    "no longer shedding", share,
			    sipgw_ol.waited_share, OVERLOAD_INTERVAL_MS,
			    sipgw_ol.last_worst_ms == OVERLOAD_AGE_DROPPED ?
			    "socket overflowed, " : "",
			    sipgw_ol.last_worst_ms == OVERLOAD_AGE_DROPPED ? 0 :
			    sipgw_ol.last_worst_ms, lag, age);
	}
	/* What was refused, one line a second at most: a line per
	 * refusal would be work the overload cannot afford. */
	if (now - sipgw_ol_logged_at >= SIPGW_OL_LOG_MS) {
		uint64_t all = sipgw_ol_raw + sipgw_ol_parsed +
		    sipgw_ol_dropped;

		if (all != sipgw_ol_logged)
			log_warnx("sip: overload: %llu new MESSAGEs refused "
			    "with 503 in %llu ms (%llu in all: %llu before "
			    "parsing, %llu dropped unanswered), share %u %%",
			    (unsigned long long)(all - sipgw_ol_logged),
			    (unsigned long long)(now - sipgw_ol_logged_at),
			    (unsigned long long)all,
			    (unsigned long long)sipgw_ol_raw,
			    (unsigned long long)sipgw_ol_dropped,
			    overload_share(&sipgw_ol));
		sipgw_ol_logged = all;
		log_malformed(now - sipgw_ol_logged_at);
		sipgw_ol_logged_at = now;
	}
}

/* @sa's address as text (an IPv4-mapped one as IPv4) and its port. */
static bool
sockaddr_text(const struct sockaddr *sa, socklen_t len, char *ip,
    size_t ipsz, uint16_t *port)
{
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		*port = ntohs(in->sin_port);
		return inet_ntop(AF_INET, &in->sin_addr, ip,
		    (socklen_t)ipsz) != NULL;
	}
	if (sa->sa_family == AF_INET6 &&
	    len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		*port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return inet_ntop(AF_INET,
			    &in6->sin6_addr.s6_addr[12], ip,
			    (socklen_t)ipsz) != NULL;
		return inet_ntop(AF_INET6, &in6->sin6_addr, ip,
		    (socklen_t)ipsz) != NULL;
	}
	return false;
}

/*
 * A datagram whose first byte is 0 or 1 is what sofia-sip takes for
 * STUN (RFC 5389 6: a STUN message starts with two zero bits; no SIP
 * message starts so).  sofia 1.12.11 (tport_recv_stun_dgram()) answers
 * a binding request on a SIP port with a binding response, RFC 5626's
 * keepalive answer: 44 bytes for 20, sent wherever the request's forged
 * source says, a reflector.  imgate takes no REGISTER and so keeps no
 * flow alive that RFC 5626 keepalives would need: STUN is dropped here
 * unread, counted and logged, one line a minute at most.
 */
static bool
is_stun(int fd, const void *buf, size_t len)
{
	return len > 0 && *(const unsigned char *)buf <= 1 &&
	    sipgw_udp_own(fd);
}

static void
stun_drop(const struct sockaddr *from, socklen_t fromlen)
{
	char		 ip[INET6_ADDRSTRLEN] = "?";
	uint16_t	 port = 0;
	uint64_t	 now = dns_now_ms();

	sipgw_stun_dropped++;
	if (sipgw_stun_logged_at != 0 &&
	    now - sipgw_stun_logged_at < SIPGW_STUN_LOG_MS)
		return;
	sipgw_stun_logged_at = now;
	if (from != NULL)
		(void)sockaddr_text(from, fromlen, ip, sizeof(ip), &port);
	log_warnx("sip: STUN datagram from %s port %u dropped unanswered: "
	    "imgate answers no STUN on its SIP ports (%llu dropped in all, "
	    "one line a minute at most)", ip, (unsigned)port,
	    (unsigned long long)sipgw_stun_dropped);
}

bool
sipgw_datagram(int fd, const void *buf, size_t len,
    const struct sockaddr *from, socklen_t fromlen, uint64_t arrived_ns)
{
	struct overload_sip_req	 r;
	struct overload_sip_answer a;
	struct sockaddr_storage	 to;
	char			 ip[INET6_ADDRSTRLEN], out[OVERLOAD_SIP_MAX];
	uint64_t		*set, key;
	uint16_t		 port, src_port;
	size_t			 i;
	ssize_t			 n;

	if (is_stun(fd, buf, len)) {
		stun_drop(from, fromlen);
		return true;
	}
	if (fd != sipgw_udp_fd)
		return false;
	sipgw_ol_next = SIPGW_OL_NONE;
	if (overload_sip_scan(buf, len, &r) != OVERLOAD_SIP_MESSAGE)
		return false;
	key = (r.key | 2) & ~(uint64_t)1;
	set = &sipgw_decided[(r.key >> 1) & (SIPGW_DECIDED - 1) &
	    ~(uint64_t)(SIPGW_DECIDED_WAYS - 1)];
	sipgw_ol_next_key = r.key;
	for (i = 0; i < SIPGW_DECIDED_WAYS; i++)
		if ((set[i] & ~(uint64_t)1) == key)
			break;
	if (i < SIPGW_DECIDED_WAYS) {
		/* A retransmission: an accepted one is nta's to answer
		 * (and never shed, should nta have let it go already), a
		 * refused one is refused again below. */
		if ((set[i] & 1) == 0) {
			sipgw_ol_next = SIPGW_OL_ACCEPT;
			return false;
		}
	} else {
		bool	 shed, judged = arrived_ns != 0 &&
		    sipgw_ol.wait_ms != 0;
		struct timespec ts;
		uint64_t now;

		/*
		 * Judged by how long it waited in the socket when the
		 * kernel stamped its arrival (SO_TIMESTAMPNS, the same
		 * clock; a stamp from the future or from over
		 * SIPGW_WAIT_SANE_NS ago means the clock was set
		 * meanwhile), and by the share, which the wait rule keeps
		 * at 0 unless the loop itself lags (gateway/overload.h).
		 */
		if (judged)
			sipgw_ol_stamped++;
		shed = judged && clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
		    (now = (uint64_t)ts.tv_sec * 1000000000u +
		    (uint64_t)ts.tv_nsec) >= arrived_ns &&
		    now - arrived_ns < SIPGW_WAIT_SANE_NS &&
		    overload_shed_waited(&sipgw_ol, now / 1000,
		    (now - arrived_ns) / 1000);
		if (!shed)
			shed = overload_shed(&sipgw_ol);

		memmove(set + 1, set, sizeof(*set) *
		    (SIPGW_DECIDED_WAYS - 1));
		set[0] = key | (shed ? 1 : 0);
		if (!shed) {
			sipgw_ol_next = SIPGW_OL_ACCEPT;
			return false;
		}
	}
	/*
	 * Refused: answered from its bytes and never parsed.  What the
	 * scanner cannot answer goes on to the stack, which refuses it
	 * in on_request() (the share already counted it).
	 */
	sipgw_ol_next = SIPGW_OL_REFUSE;
	if (from == NULL || fromlen > sizeof(to) ||
	    !sockaddr_text(from, fromlen, ip, sizeof(ip), &src_port))
		return false;
	a.src_ip = ip;
	a.src_port = src_port;
	a.retry_after_s = SIPGW_RETRY_AFTER_S;
	a.server = SIPGW_AGENT;
	a.ol = &sipgw_ol;
	if ((n = overload_sip_refuse(buf, len, &a, out, sizeof(out),
	    &port)) < 0)
		return false;
	sipgw_ol_next = SIPGW_OL_NONE;
	sipgw_ol_handled++;
	memcpy(&to, from, fromlen);
	if (to.ss_family == AF_INET)
		((struct sockaddr_in *)(void *)&to)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)&to)->sin6_port = htons(port);
	/* A full send buffer drops the answer: the sender retransmits,
	 * and is refused or accepted again. */
	if (sendto(fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&to, fromlen) == n)
		sipgw_ol_raw++;
	else
		sipgw_ol_dropped++;
	return true;
}

void
sipgw_recv_batched(void)
{
	sipgw_ol_batched++;
}

bool
sipgw_udp_own(int fd)
{
	for (size_t i = 0; i < sipgw_nself; i++)
		if (sipgw_self[i].fd == fd)
			return sipgw_self[i].type == SOCK_DGRAM;
	return false;
}

void
sipgw_recv_read(unsigned datagrams)
{
	sipgw_udp_reads++;
	sipgw_udp_datagrams += datagrams;
}

void
sipgw_overload_stats(struct sipgw_overload_stats *s)
{
	s->share = overload_share(&sipgw_ol);
	s->refused_raw = sipgw_ol_raw;
	s->refused_parsed = sipgw_ol_parsed;
	s->dropped = sipgw_ol_dropped;
	s->batched = sipgw_ol_batched;
	s->held = sipgw_ol.held;
	s->udp_reads = sipgw_udp_reads;
	s->udp_datagrams = sipgw_udp_datagrams;
}

/* The port of sip.listen. */
static int
listen_port(const struct gw_conf *conf)
{
	url_t	*u = url_hdup(sipgw_home, URL_STRING_MAKE(conf->sip_listen)->
	    us_url);

	return u != NULL && u->url_port != NULL ? atoi(u->url_port) : 5060;
}

/* The UDP socket nta reads requests from on the configured port. */
static int
find_udp_socket(int port)
{
	for (size_t i = 0; i < sipgw_nself; i++)
		if (sipgw_self[i].type == SOCK_DGRAM &&
		    sipgw_self[i].port == port)
			return sipgw_self[i].fd;
	return -1;
}

void
sipgw_sockets_settled(void)
{
	remember_own_sockets();
	grow_udp_buffers();
	sipgw_udp_fd = find_udp_socket(sipgw_udp_port);
}

/* A worker's own UDP port for the requests it sends (sipgw_own_port). */
static int
add_own_port(const struct gw_conf *conf)
{
	url_t	*u = url_hdup(sipgw_home, URL_STRING_MAKE(conf->sip_listen)->
	    us_url);
	char	 buf[CONF_STR_MAX + 32];

	if (u == NULL || u->url_host == NULL)
		return -1;
	snprintf(buf, sizeof(buf), "sip:%s:0;transport=udp",
	    strcmp(u->url_host, "*") == 0 ? "0.0.0.0" : u->url_host);
	if (nta_agent_add_tport(sipgw_agent, URL_STRING_MAKE(buf),
	    TPTAG_IDENT(SIPGW_OWN_IDENT), TAG_END()) != 0) {
		log_warnx("sip: cannot open a port of this worker's own (%s)",
		    buf);
		return -1;
	}
	sipgw_own_port = true;
	return 0;
}

/*
 * sofia's TLS transport checks the peer's certificate against the CAs in
 * cafile.pem on outbound connections and, TPTLS_VERIFY_SUBJECTS_OUT, the
 * target's name against its subjects; with sip.tls.verify_client it
 * demands a certificate from TLS clients as well.  Not-yet-valid and
 * expired certificates are refused (TPTAG_TLS_VERIFY_DATE).
 */
static unsigned
tls_policy(const struct gw_conf *conf)
{
	return TPTLS_VERIFY_SUBJECTS_OUT |
	    (conf->sip_tls_verify_client ? TPTLS_VERIFY_IN : 0);
}

int
sipgw_start(su_root_t *root, const struct gw_conf *conf, bool worker)
{
	char	 tlsdir[512] = "";
	bool	 tls = is_sips(conf->sip_listen) ||
	    conf->sip_tls_listen[0] != '\0';

	if (tls) {
		sipgw_tls_log_init();
		if (sipgw_tls_policy_check(conf) != 0 ||
		    sipgw_tls_prepare(conf, tlsdir, sizeof(tlsdir)) != 0)
			return -1;
		sipgw_tls_policy_arm();
	}
	sipgw_agent = nta_agent_create(root, URL_STRING_MAKE(conf->sip_listen),
	    NULL, NULL,
	    TAG_IF(tls, TPTAG_CERTIFICATE(tlsdir)),
	    TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(tls_policy(conf))),
	    TAG_IF(tls, TPTAG_TLS_VERIFY_DATE(1)),
	    /*
	     * A TLS connection that sofia closes because the peer's
	     * certificate failed verification fails the MESSAGE queued on
	     * it at once (503, so the relay tries the next target) instead
	     * of leaving it to time out.
	     */
	    TAG_IF(tls, TPTAG_SDWN_ERROR(1)),
	    TPTAG_TIMEOUT(SIPGW_TCP_RECV_TIMEOUT_MS),
	    TPTAG_IDLE(SIPGW_TCP_IDLE_MS),
	    /* A user agent: To tags on responses, rport in Via. */
	    NTATAG_UA(1),
	    NTATAG_CLIENT_RPORT(1),
	    NTATAG_MERGE_482(1),
	    /*
	     * 64*T1 bounds how long finished UDP transactions are kept
	     * (Timer J) and outbound ones wait (Timer F): the configured
	     * downstream timeout, not a fixed 32 s (imgate.conf(5)).
	     */
	    NTATAG_SIP_T1X64((unsigned)conf->sip_timeout_ms),
	    NTATAG_UDP_MTU(1300),
	    /*
	     * Each message's parsed headers come out of one block of this
	     * size instead of a malloc per header, and go back with one
	     * free when nta drops the transaction: 17 % less CPU per
	     * message in steady state, no more memory per transaction in
	     * flight (bench/README.md).
	     */
	    NTATAG_PRELOAD(SIPGW_PRELOAD),
	    /*
	     * No message bigger than the largest body plus the largest
	     * header block imgate's caps allow is read at all (sofia
	     * answers 413 or closes the connection); the configured caps
	     * answer 413/513 below that (sipgw_screen.c).
	     */
	    NTATAG_MAXSIZE(SIPGW_MAXSIZE),
	    /* A worker's shared sockets need a name too: nta compares the
	     * names of every transport when a request asks for one. */
	    TAG_IF(worker, TPTAG_IDENT(SIPGW_SHARED_IDENT)),
	    TAG_END());
	if (sipgw_agent != NULL && conf->sip_tls_listen[0] != '\0' &&
	    nta_agent_add_tport(sipgw_agent,
	    URL_STRING_MAKE(conf->sip_tls_listen),
	    TAG_IF(worker, TPTAG_IDENT(SIPGW_SHARED_IDENT)),
	    TPTAG_CERTIFICATE(tlsdir),
	    TPTAG_TLS_VERIFY_POLICY(tls_policy(conf)),
	    TPTAG_TLS_VERIFY_DATE(1),
	    TPTAG_TIMEOUT(SIPGW_TCP_RECV_TIMEOUT_MS),
	    TPTAG_IDLE(SIPGW_TCP_IDLE_MS),
	    TAG_END()) < 0) {
		log_warnx("sip: cannot listen on %s", conf->sip_tls_listen);
		nta_agent_destroy(sipgw_agent);
		sipgw_agent = NULL;
		sipgw_tls_remove(tlsdir);
		(void)sipgw_tls_policy_disarm(false);
		return -1;
	}
	/* sofia has read the key: do not leave a second copy on disk. */
	if (tls)
		sipgw_tls_remove(tlsdir);
	if (tls && sipgw_tls_policy_disarm(sipgw_agent != NULL) != 0) {
		nta_agent_destroy(sipgw_agent);
		sipgw_agent = NULL;
		return -1;
	}
	if (sipgw_agent == NULL) {
		log_warnx("sip: cannot listen on %s", conf->sip_listen);
		return -1;
	}
	sipgw_has_tls = tls;
	sipgw_id_keyed = getrandom(sipgw_id_key, sizeof(sipgw_id_key), 0) ==
	    (ssize_t)sizeof(sipgw_id_key);
	if (!sipgw_id_keyed)
		log_warn("sip: getrandom: nta makes the Call-IDs");
	sipgw_allow = sip_allow_make(sipgw_home, SIPGW_ALLOW);
	sipgw_server = sip_server_make(sipgw_home, SIPGW_AGENT);
	sipgw_user_agent = sip_user_agent_make(sipgw_home, SIPGW_AGENT);
	if (preencode_all() != 0)
		sipgw_server = NULL;	/* fails the check below */
	sipgw_leg = nta_leg_tcreate(sipgw_agent, on_request, NULL,
	    NTATAG_NO_DIALOG(1), TAG_END());
	if (sipgw_allow == NULL || sipgw_server == NULL ||
	    sipgw_user_agent == NULL || sipgw_leg == NULL) {
		log_warnx("sip: cannot set up the SIP stack");
		sipgw_destroy();
		return -1;
	}
	if (worker && add_own_port(conf) != 0) {
		sipgw_destroy();
		return -1;
	}
	sipgw_udp_port = listen_port(conf);
	sipgw_sockets_settled();
	overload_init(&sipgw_ol, (uint32_t)conf->overload_lag_ms);
	overload_set_wait(&sipgw_ol, (uint32_t)conf->overload_wait_ms);
	sipgw_accept_per_source((unsigned)conf->sip_max_connections_per_source);
	sipgw_ol.seq = dns_now_ms();
	sipgw_ol_last = dns_now_ms();
	sipgw_ol_logged_at = sipgw_ol_last;
	if ((sipgw_ol_timer = su_timer_create(su_root_task(root),
	    OVERLOAD_TICK_MS)) != NULL)
		su_timer_set_for_ever(sipgw_ol_timer, on_overload_tick, NULL);
	log_info("sip: listening on %s (%s)%s%s", conf->sip_listen,
	    is_sips(conf->sip_listen) ? "TLS" : "UDP and TCP",
	    conf->sip_tls_listen[0] != '\0' ? " and on TLS " : "",
	    conf->sip_tls_listen);
	return 0;
}

void
sipgw_drain(void)
{
	sipgw_draining = true;
}

void
sipgw_destroy(void)
{
	if (sipgw_ol_timer != NULL)
		su_timer_destroy(sipgw_ol_timer);
	sipgw_ol_timer = NULL;
	sipgw_udp_fd = -1;
	if (sipgw_leg != NULL)
		nta_leg_destroy(sipgw_leg);
	sipgw_leg = NULL;
	if (sipgw_agent != NULL)
		nta_agent_destroy(sipgw_agent);
	sipgw_agent = NULL;
	/* Closed: no descriptor is an own socket any more (a batch still
	 * held for one goes with it, gateway/sipgw_recv.c). */
	sipgw_nself = 0;
	sipgw_allow = NULL;
	sipgw_server = NULL;
	sipgw_user_agent = NULL;
	memset(sipgw_ctype, 0, sizeof(sipgw_ctype));
	memset(sipgw_mf, 0, sizeof(sipgw_mf));
	sipgw_has_tls = false;
	su_home_deinit(sipgw_home);
}
