/*
 * gateway/xmppgw.c - libstrophe as an XEP-0114 component on the su_root.
 *
 * First and last stage of the XMPP path.  libstrophe has its own select()
 * loop; it joins ours like this: the sockopt callback hands us each new
 * socket, which is watched by su_root; readiness, a 250 ms tick and a
 * one-shot "kick" after every send call xmpp_run_once(ctx, 0), never from
 * inside itself.  libstrophe's select() cannot watch descriptors >= 1024,
 * so a socket above that is moved down with F_DUPFD before it is used.
 *
 * libstrophe 0.12 keeps no stream-management state for component
 * connections and dereferences it on the first stanza received.
 * sm_state_borrow() is the one wrapper around the workaround: a client
 * connection that fails to connect at once owns a fresh state, which is
 * moved to the component connection before it connects.
 *
 * Outbound stanzas carry id "imgate-<run tag>-<txn id>", so a receipt or
 * an error stanza finds its transaction without a table; a late one, or
 * one for another node's message (xg_run_tag), finds nothing.
 * Replies to XMPP senders (receipts, errors) produced while disconnected
 * wait, as text, in a bounded outbox.
 *
 * Which configuration (reload, gateway/runtime.h): anything about one
 * message comes from the runtime its transaction started with, t->rt
 * (receipt and queue waits, the sender's identity, the component
 * domain in its from).  The connection and its queues follow the newest
 * runtime, CONF: the server and backoff, and xmpp.queue_max, read each
 * time an item is held.  A stanza that is not yet a transaction
 * (on_message) is judged by CONF, the runtime txn_new() then gives it.
 * The held-message queue and the outbox grow on demand up to the cap in
 * force; a lower cap refuses new items and keeps those already held.
 *
 * Notifications (docs/ARCHITECTURE.md "Delivery notifications") are
 * mapped here, never relayed as text: a SIP isComposing becomes an
 * XEP-0085 chat state (or is dropped, xmpp.chat_states); a SIP IMDN for
 * a message that came from XMPP becomes the XEP-0184 receipt or XEP-0333
 * displayed marker its sender asked for; an XMPP receipt or marker for a
 * message whose SIP sender asked for an IMDN becomes that IMDN, a new
 * SIP MESSAGE.  gateway/notify remembers who asked, by id.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <strophe.h>

#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/notify.h"
#include "gateway/runtime.h"
#include "gateway/spool_key.h"
#include "gateway/status.h"
#include "gateway/xmlguard.h"
#include "gateway/flow/txn.h"
#include "gateway/xlate/xlate.h"
#include "gateway/xlate/xlate_imdn.h"
#include "gateway/xmppgw.h"
#include "routing/policy.h"

#define NS_RECEIPTS	XLATE_NS_RECEIPTS
#define NS_STANZAS	"urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_CHATSTATES	XLATE_NS_CHATSTATES
#define NS_MARKERS	XLATE_NS_MARKERS
/* imdn.Message-ID of an XMPP message sent to SIP asking for an IMDN. */
#define IMDN_PREFIX	"imgate-m-"
#define ID_PREFIX	"imgate-"
#define NS_ORIGIN_ID	"urn:xmpp:sid:0"
#define TICK_MS		250
#define BACKOFF_MIN_MS	500
/* From TCP connected to <handshake/>; a server that never answers. */
#define HANDSHAKE_MS	10000
#define JID_MAX		XLATE_JID_SIZE

/* The newest runtime: connection-level settings only (see above). */
#define CONF	(&runtime_current()->conf)
/* Slots the held queue and the outbox start with; doubled on demand. */
#define HOLD_MIN	16
/* The least cap on stanzas not yet written (sendq_full()). */
#define SENDQ_MIN	64

static relay_reply_fn	xmppgw_reply;
static relay_send_fn	xmppgw_send;
static relay_abort_fn	xmppgw_abort;
static relay_adopt_fn	xmppgw_adopt;

const struct relay_side xmppgw_side = { xmppgw_reply, xmppgw_send,
    xmppgw_abort, xmppgw_adopt };

struct xmppgw {
	su_root_t		*root;
	xmpp_ctx_t		*ctx;
	xmpp_conn_t		*conn;
	bool			 connected;
	bool			 in_run;	/* inside xmpp_run_once() */
	bool			 stopping;
	bool			 draining;	/* no new messages */
	int			 fd;		/* our duplicate of the socket, or -1 */
	int			 wait_index;	/* su_root registration */
	int			 wait_events;
	su_timer_t		*tick;
	su_timer_t		*kick;
	su_timer_t		*reconnect;
	su_timer_t		*handshake;	/* HANDSHAKE_MS after connecting */
	bool			 attempted;	/* conn tried once: renew it */
	bool			 bad_xml;	/* the server's stream broke */
	/* The caps on the server's stream (xmppgw_stream_feed()). */
	struct xmlguard		 guard;
	const void		*guard_parser;	/* whose stream, or NULL */
	bool			 guard_broken;	/* close it after the round */
	uint64_t		 backoff_ms;
	/* Transactions waiting for the connection, by id, oldest first. */
	uint64_t		*queue;
	size_t			 qlen, qcap;
	/* Stanzas (serialized) waiting for the connection. */
	char			**outbox;
	size_t			 nout, outcap;
};

static struct xmppgw	 xg = { .fd = -1 };

/*
 * The run's tag in stanza IDs ("imgate-<tag>-<txn id>"), drawn at start.
 * Transaction ids count from 1 in every process; several nodes share a
 * component name (docs/xmpp-component-failover.md), and after a takeover
 * receipts for the old node's messages reach the new one.  Without the
 * tag a receipt for the old node's txn 25 would confirm this node's txn
 * 25, a different message.
 */
static uint64_t		 xg_run_tag;

/*
 * This edge's state in a transaction (gateway/flow/txn.h).  t->in.xmpp:
 * the JID the sender wrote to, which the answer comes from; made here
 * (on_message, or xmppgw_adopt() for a spool delivery), freed by
 * xmppgw_reply() or, without an answer, by in_free().  t->out.xmpp:
 * where the attempt is, one of two static states (nothing to free).
 */
struct xmppgw_in {
	size_t		 len;
	char		 jid[];
};

struct xmppgw_out {
	const char	*what;
};

static const struct xmppgw_out	xmppgw_queued = { "held" };
static const struct xmppgw_out	xmppgw_sent = { "waiting for a receipt" };

static void	kick(void);
static void	connect_now(void);
static void	close_stream(const char *why);
static void	refuse_stream(void);
static enum gw_reason hold_txn(struct gw_txn *);
static void	take_back_unwritten(xmpp_conn_t *);

bool
xmppgw_connected(void)
{
	return xg.connected;
}

/* ---------------------------------------------------------- the loop */

static void
watch(int events)
{
	if (xg.fd < 0 || events == xg.wait_events)
		return;
	if (xg.wait_index > 0)
		su_root_eventmask(xg.root, xg.wait_index, xg.fd, events);
	xg.wait_events = events;
}

static void
unwatch(void)
{
	if (xg.wait_index > 0)
		su_root_deregister(xg.root, xg.wait_index);
	if (xg.fd >= 0)
		close(xg.fd);
	xg.wait_index = 0;
	xg.wait_events = 0;
	xg.fd = -1;
}

/* Let libstrophe do what is pending; never re-entered. */
static void
run(void)
{
	if (xg.in_run || xg.ctx == NULL)
		return;
	xg.in_run = true;
	xmpp_run_once(xg.ctx, 0);
	if (xg.guard_broken) {
		xg.guard_broken = false;
		xg.bad_xml = false;
		refuse_stream();
	}
	if (xg.bad_xml) {
		xg.bad_xml = false;
		close_stream("not well-formed XML");
	}
	/*
	 * xmpp_conn_send_queue_len() counts only our stanzas: what
	 * libstrophe queues itself (the stream header, the component
	 * handshake) is written at the start of its next round, which then
	 * waited for the 250 ms tick.  Until the component is accepted, run
	 * that round at once.
	 */
	if (!xg.connected && xg.conn != NULL &&
	    xmpp_conn_is_connected(xg.conn))
		xmpp_run_once(xg.ctx, 0);
	xg.in_run = false;
	if (xg.conn != NULL && xg.fd >= 0)
		watch(SU_WAIT_IN | (xmpp_conn_send_queue_len(xg.conn) > 0 ||
		    xmpp_conn_is_connecting(xg.conn) ? SU_WAIT_OUT : 0));
}

static int
on_fd(su_root_magic_t *m, su_wait_t *w, su_wakeup_arg_t *arg)
{
	(void)m;
	(void)w;
	(void)arg;
	run();
	return 0;
}

static void
on_kick(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	(void)t;
	(void)arg;
	run();
}

static void
kick(void)
{
	if (xg.kick == NULL || su_timer_is_set(xg.kick))
		return;
	su_timer_set_interval(xg.kick, on_kick, NULL, 1);
}

static void
on_tick(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	(void)t;
	(void)arg;
	run();
}

/*
 * A server that is gone without closing (its host down, the path cut)
 * left the component "connected" for as long as TCP retries: with
 * nothing to write, for ever (libstrophe 0.12 sets keepalive only when
 * asked, and imgated's own sockopt callback did not); with stanzas
 * written, about 15 minutes (tcp_retries2), while every message for XMPP
 * was written into the socket and answered 202 when no receipt came.  So
 * the socket probes an idle server from a third of xmpp.dead_after_s on
 * (three probes in the rest) and gives up on written data the server
 * has not acknowledged for that long (TCP_USER_TIMEOUT; Linux applies
 * it to a shut window too, a server that reads nothing); the
 * disconnection then reconnects as any other, and what was not yet
 * written is taken back (take_back_unwritten()).  0 leaves the kernel's
 * defaults.
 */
static void
set_dead_after(int fd, int64_t dead_s)
{
	int		 on = 1, cnt = 3, idle, intvl;
	unsigned	 user;

	if (dead_s <= 0)
		return;
	idle = dead_s / 3 > 0 ? (int)(dead_s / 3) : 1;
	intvl = (dead_s - idle) / cnt > 0 ? (int)((dead_s - idle) / cnt) : 1;
	user = (unsigned)dead_s * 1000u;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle,
	    sizeof(idle)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
	    sizeof(intvl)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user,
	    sizeof(user)) != 0)
		log_warnx("xmpp: component socket: keepalive and user "
		    "timeout not set (%s); a server that is gone is noticed "
		    "only when TCP gives up", strerror(errno));
}

/*
 * libstrophe created a socket: keep it below FD_SETSIZE (its select()
 * needs that), set how long a silent server may take
 * (set_dead_after()), and watch it on the su_root.
 */
static int
on_sockopt(xmpp_conn_t *conn, void *sockp)
{
	int	*fdp = sockp, mine;
	su_wait_t wait[1];

	(void)conn;
	if (*fdp >= 1024) {
		int low = fcntl(*fdp, F_DUPFD_CLOEXEC, 3);

		if (low < 0 || low >= 1024) {
			log_warnx("xmpp: no descriptor below 1024 for the "
			    "component socket");
			if (low >= 0)
				close(low);
			return -1;
		}
		close(*fdp);
		*fdp = low;
	}
	set_dead_after(*fdp, CONF->xmpp_dead_after_s);
	if (xg.wait_index > 0)
		unwatch();
	/*
	 * su_root watches a duplicate of its own: libstrophe closes its
	 * descriptor before it reports the disconnection, and removing a
	 * closed descriptor from epoll fails (EBADF).  The duplicate keeps
	 * the socket open until unwatch() closes it, right after.
	 */
	if ((mine = fcntl(*fdp, F_DUPFD_CLOEXEC, 3)) < 0)
		return -1;
	if (su_wait_create(wait, mine, SU_WAIT_IN | SU_WAIT_OUT) != 0) {
		close(mine);
		return -1;
	}
	xg.wait_index = su_root_register(xg.root, wait, on_fd, NULL, 0);
	if (xg.wait_index <= 0) {
		su_wait_destroy(wait);
		close(mine);
		return -1;
	}
	xg.fd = mine;
	xg.wait_events = SU_WAIT_IN | SU_WAIT_OUT;
	return 0;
}

/* ------------------------------------------------ stream management */

static void
on_borrow_event(xmpp_conn_t *c, xmpp_conn_event_t e, int err,
    xmpp_stream_error_t *se, void *ud)
{
	(void)c;
	(void)e;
	(void)err;
	(void)se;
	(void)ud;
}

/*
 * The workaround for libstrophe 0.12's component crash (see the top of
 * this file).  The client connection targets a closed loopback port, so
 * it fails within the first rounds and never leaves this machine.
 */
static int
sm_state_borrow(xmpp_conn_t *component)
{
	xmpp_conn_t	*donor;
	xmpp_sm_state_t	*sm = NULL;

	if ((donor = xmpp_conn_new(xg.ctx)) == NULL)
		return -1;
	xmpp_conn_set_jid(donor, "donor@localhost");
	if (xmpp_connect_client(donor, "127.0.0.1", 1, on_borrow_event,
	    NULL) == XMPP_EOK)
		for (int i = 0; i < 100 && !xmpp_conn_is_disconnected(donor);
		    i++)
			xmpp_run_once(xg.ctx, 1);
	if (xmpp_conn_is_disconnected(donor))
		sm = xmpp_conn_get_sm_state(donor);
	xmpp_conn_release(donor);
	if (sm == NULL)
		return -1;
	if (xmpp_conn_set_sm_state(component, sm) != XMPP_EOK) {
		xmpp_free_sm_state(sm);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ helpers */

/*
 * Room for one more item of @size bytes in @arr, which holds @len of
 * @*cap slots, never past @max items.  Held items keep their order.
 * @return the array to use from now on (@arr or a larger copy; @arr is
 * then freed), or NULL when @max is reached or memory is short (@arr
 * unchanged).
 */
static void *
hold_room(void *arr, size_t *cap, size_t len, size_t size, size_t max)
{
	void	*n;
	size_t	 want;

	if (len >= max)
		return NULL;
	if (len < *cap)
		return arr;
	want = *cap < HOLD_MIN ? HOLD_MIN : *cap * 2;
	if (want > max)
		want = max;
	if ((n = realloc(arr, want * size)) == NULL)
		return NULL;
	*cap = want;
	return n;
}

/*
 * Does libstrophe's send queue hold as many stanzas as it may?  Written
 * as the socket takes them, they pile up only while the server reads
 * nothing (hung, or hostile); every message would be answered 202 and
 * kept in memory for ever.  The cap is xmpp.queue_max, never below
 * SENDQ_MIN so that a burst between two writes is never refused.
 */
static bool
sendq_full(size_t *n)
{
	size_t	 max = (size_t)CONF->xmpp_queue_max;

	*n = xg.conn != NULL ? (size_t)xmpp_conn_send_queue_len(xg.conn) : 0;
	return *n >= (max < SENDQ_MIN ? SENDQ_MIN : max);
}

/* Parse "imgate-<run tag>-<id>"; 0 when it is not this run's. */
static uint64_t
id_to_txn(const char *id)
{
	char		*end;
	uint64_t	 v;

	if (id == NULL || strncmp(id, ID_PREFIX, strlen(ID_PREFIX)) != 0)
		return 0;
	id += strlen(ID_PREFIX);
	if (strtoull(id, &end, 16) != xg_run_tag || end - id != 16 ||
	    *end != '-')
		return 0;
	v = strtoull(end + 1, &end, 10);
	return *end == '\0' ? v : 0;
}

static xmpp_stanza_t *
text_child(const char *name, const char *text)
{
	xmpp_stanza_t	*el, *tx;

	el = xmpp_stanza_new(xg.ctx);
	xmpp_stanza_set_name(el, name);
	tx = xmpp_stanza_new(xg.ctx);
	xmpp_stanza_set_text(tx, text);
	xmpp_stanza_add_child(el, tx);
	xmpp_stanza_release(tx);
	return el;
}

/* Keep the stanza @text for the reconnection; -1 when the outbox is
 * full (or memory short). */
static int
outbox_add(const char *text)
{
	char	**out = hold_room(xg.outbox, &xg.outcap, xg.nout,
	    sizeof(*xg.outbox), (size_t)CONF->xmpp_queue_max);

	if (out == NULL)
		return -1;
	xg.outbox = out;
	if ((xg.outbox[xg.nout] = strdup(text)) == NULL)
		return -1;
	xg.nout++;
	return 0;
}

/* Send now, or keep it for the reconnection (bounded; logged if lost). */
static void
send_or_hold(xmpp_stanza_t *st)
{
	char	*buf = NULL;
	size_t	 len, n;

	if (xg.connected && sendq_full(&n)) {
		log_warnx("xmpp: the server reads nothing (%zu stanzas not "
		    "written): a %s stanza to %s is lost", n,
		    xmpp_stanza_get_name(st), xmpp_stanza_get_to(st) ?
		    xmpp_stanza_get_to(st) : "?");
		return;
	}
	if (xg.connected) {
		xmpp_send(xg.conn, st);
		kick();
		return;
	}
	if (xmpp_stanza_to_text(st, &buf, &len) != XMPP_EOK ||
	    outbox_add(buf) != 0)
		log_warnx("xmpp: disconnected and outbox full: a %s stanza "
		    "to %s is lost", xmpp_stanza_get_name(st),
		    xmpp_stanza_get_to(st) ? xmpp_stanza_get_to(st) : "?");
	if (buf != NULL)
		xmpp_free(xg.ctx, buf);
}

/* -------------------------------------------------------- outbound */

/* The JID @jid as this edge's inbound state, or NULL (no memory). */
static struct xmppgw_in *
in_new(const char *jid)
{
	size_t			 n = strlen(jid);
	struct xmppgw_in	*in;

	if ((in = malloc(sizeof(*in) + n + 1)) == NULL)
		return NULL;
	in->len = n;
	memcpy(in->jid, jid, n + 1);
	return in;
}

/* A transaction ends without an answer: drop what is left. */
static void
in_free(struct gw_txn *t)
{
	free(t->in.xmpp);
	t->in.xmpp = NULL;
}

static int
xmppgw_adopt(struct gw_txn *t, const char *self)
{
	if ((t->in.xmpp = in_new(self)) == NULL)
		return -1;
	t->in.free = in_free;
	return 0;
}

static void
on_receipt_wait(struct gw_txn *t)
{
	/* RFC 3428 section 7: accepted by a relay, delivery unknown. */
	t->out.xmpp = NULL;
	relay_attempt_done(t, status_from_xmpp_sent(false));
}

static void
on_queue_wait(struct gw_txn *t)
{
	txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL, GW_R_XMPP_DOWN, 0,
	    NULL });
}

/*
 * One piece of an outgoing stanza: @lit as it is, then @len bytes of
 * @text XML-escaped (@attr: for an attribute value); a NULL @lit with no
 * text is skipped.
 */
struct xml_part {
	const char	*lit;
	const char	*text;
	size_t		 len;
	bool		 attr;
};

/* A literal part; a part "@l@v" that is left out when @v is NULL. */
#define XML_LIT(s)		{ (s), NULL, 0, false }
#define XML_TEXT(l, v, a)	{ (v) != NULL ? (l) : NULL, (v), \
				    (v) != NULL ? strlen(v) : 0, (a) }

/*
 * Write a stanza as text straight into libstrophe's send queue.  Built
 * with libstrophe's stanza tree and xmpp_stanza_to_text(), the message
 * cost a fifth of the SIP->XMPP path (bench/README.md, XMPP scenarios).
 * @return 0, or -1 when memory is short (nothing sent).
 */
static int
send_xml(const struct xml_part *parts, size_t n)
{
	size_t	 cap = 0, len = 0;
	char	*buf;

	for (size_t i = 0; i < n; i++)
		cap += (parts[i].lit != NULL ? strlen(parts[i].lit) : 0) +
		    XLATE_XML_ESCAPED_MAX(parts[i].text != NULL ?
		    parts[i].len : 0);
	if ((buf = malloc(cap + 1)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (parts[i].lit != NULL) {
			size_t	 l = strlen(parts[i].lit);

			memcpy(buf + len, parts[i].lit, l);
			len += l;
		}
		if (parts[i].text != NULL)
			len += xlate_xml_escape(parts[i].text, parts[i].len,
			    parts[i].attr, buf + len);
	}
	/* libstrophe copies it with strndup(), which looks for the NUL. */
	buf[len] = '\0';
	xmpp_send_raw(xg.conn, buf, len);
	free(buf);
	return 0;
}

/* ------------------------------------------------------ notifications */

static uint64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* RFC 3339 UTC "now" for CPIM DateTime and IMDN <datetime/>. */
static void
datetime_now(char *buf, size_t sz)
{
	time_t		 now = time(NULL);
	struct tm	 tm;

	gmtime_r(&now, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * A stanza with one empty payload element:
 * <message to from [type]><NAME xmlns='NS' [id='ID']/></message>.
 */
static int
send_notice(const char *to, const char *from, const char *type,
    const char *name, const char *ns, const char *id)
{
	struct xml_part	 parts[] = {
		XML_TEXT("<message to='", to, true),
		XML_TEXT("' from='", from, true),
		XML_TEXT("' type='", type, true),
		XML_TEXT("'><", name, true),
		XML_TEXT(" xmlns='", ns, true),
		XML_TEXT("' id='", id, true),
		XML_LIT("'/></message>"),
	};
	size_t		 n;

	if (!xg.connected || sendq_full(&n))
		return -1;
	if (send_xml(parts, sizeof(parts) / sizeof(parts[0])) != 0)
		return -1;
	kick();
	return 0;
}

/* RFC 3994 isComposing -> XEP-0085 chat state, or nothing. */
static enum gw_reason
send_chat_state(struct gw_txn *t, const char *to, const char *from,
    const char *body, size_t blen)
{
	enum xlate_composing	 cs;
	const char		*state;

	if (xlate_iscomposing_parse(body, blen, &cs) != XLATE_OK) {
		log_warnx("txn %llu: malformed isComposing document refused",
		    (unsigned long long)t->id);
		return GW_R_BAD_REQUEST;
	}
	state = xlate_composing_chatstate(cs);
	if (t->rt->conf.xmpp_chat_states == CONF_CHAT_DROP)
		log_info("txn %llu: isComposing (%s) to %s dropped "
		    "(xmpp.chat_states = drop)", (unsigned long long)t->id,
		    state, to);
	else {
		/* XEP-0085 5.1: chat states travel in type='chat'. */
		if (send_notice(to, from, "chat", state, NS_CHATSTATES,
		    NULL) != 0)
			return GW_R_OVERLOAD;
		log_info("txn %llu: isComposing -> <%s/> to %s",
		    (unsigned long long)t->id, state, to);
	}
	relay_attempt_done(t, status_from_xmpp_sent(true));
	return GW_R_NONE;
}

/*
 * A SIP IMDN: the XEP-0184 receipt or XEP-0333 marker the XMPP sender of
 * the message it reports on asked for.  Never a <body/>.
 */
static enum gw_reason
send_imdn_as_xmpp(struct gw_txn *t, const char *body, size_t blen)
{
	struct xlate_imdn	 m;
	struct notify_entry	 e;
	unsigned		 clear;
	const char		*name, *ns;

	if (xlate_imdn_parse(body, blen, &m) != XLATE_OK) {
		log_warnx("txn %llu: malformed IMDN document refused",
		    (unsigned long long)t->id);
		return GW_R_BAD_REQUEST;
	}
	if (xlate_imdn_to_xmpp(m.result, &name, &ns, &clear) != XLATE_OK)
		clear = 0;
	if (!notify_take(NOTIFY_TO_XMPP, m.message_id, clear, mono_ms(),
	    &e))
		log_info("txn %llu: IMDN for unknown message %s: no XMPP "
		    "sender to notify, consumed", (unsigned long long)t->id,
		    m.message_id);
	else if (clear != 0 && (e.bits & clear) != 0) {
		if (send_notice(e.peer, e.self, NULL, name, ns, e.orig_id) !=
		    0)
			return GW_R_OVERLOAD;
		log_info("txn %llu: IMDN -> <%s xmlns='%s'/> for %s to %s",
		    (unsigned long long)t->id, name, ns, e.orig_id, e.peer);
	} else
		log_info("txn %llu: IMDN for %s not asked for or not "
		    "mappable, consumed", (unsigned long long)t->id,
		    m.message_id);
	relay_attempt_done(t, status_from_xmpp_sent(true));
	return GW_R_NONE;
}

/* Remember a SIP sender's imdn.Disposition-Notification; its bits. */
static unsigned
remember_sip_sender(struct gw_txn *t, const struct xlate_cpim *cpim,
    const char *stanza_id)
{
	struct notify_entry	 e;
	const struct xlate_span	*mid = &cpim->imdn_message_id;

	memset(&e, 0, sizeof(e));
	e.bits = xlate_imdn_disp_parse(cpim->imdn_disp.p,
	    cpim->imdn_disp.len) &
	    (XLATE_DN_POSITIVE_DELIVERY | XLATE_DN_DISPLAY);
	if (e.bits == 0 || mid->p == NULL || t->from == NULL)
		return 0;
	e.kind = NOTIFY_TO_SIP;
	snprintf(e.key, sizeof(e.key), "%s", stanza_id);
	if (mid->len >= sizeof(e.orig_id) ||
	    cpim->to_uri.len >= sizeof(e.self) ||
	    xlate_sip_addr_uri(t->from, e.peer, sizeof(e.peer)) != XLATE_OK) {
		log_info("txn %llu: IMDN request not kept (too long)",
		    (unsigned long long)t->id);
		return 0;
	}
	memcpy(e.orig_id, mid->p, mid->len);
	memcpy(e.self, cpim->to_uri.p, cpim->to_uri.len);
	if (notify_put(&e, mono_ms(),
	    (uint64_t)t->rt->conf.xmpp_notify_ttl_s * 1000) != 0) {
		log_info("txn %llu: IMDN request not kept (xmpp.notify_max "
		    "is 0)", (unsigned long long)t->id);
		return 0;
	}
	return e.bits;
}

/*
 * An XMPP receipt or marker for a message whose SIP sender asked for an
 * IMDN: send that IMDN, a new SIP MESSAGE straight to the sender's URI.
 */
static void
notify_sip(const char *stanza_id, enum xlate_imdn_kind kind)
{
	struct notify_entry	 e;
	struct xlate_imdn_out	 o;
	struct policy_source	 src;
	struct gw_txn		*t;
	char			 body[2048], mid[48], now[40], from[600];
	size_t			 blen;
	unsigned		 want = kind == XLATE_IMDN_DELIVERY ?
	    XLATE_DN_POSITIVE_DELIVERY : XLATE_DN_DISPLAY;

	if (stanza_id == NULL ||
	    !notify_take(NOTIFY_TO_SIP, stanza_id, want, mono_ms(), &e) ||
	    (e.bits & want) == 0)
		return;
	if ((t = txn_new(PROTO_XMPP)) == NULL) {
		log_warnx("notify: no transaction for the IMDN to %s", e.peer);
		return;
	}
	snprintf(mid, sizeof(mid), "imgate-n-%" PRIu64, t->id);
	datetime_now(now, sizeof(now));
	o = (struct xlate_imdn_out){ .from = e.self, .to = e.peer,
	    .message_id = mid, .orig_id = e.orig_id, .datetime = now,
	    .kind = kind, .result = kind == XLATE_IMDN_DELIVERY ?
	    XLATE_IMDN_DELIVERED : XLATE_IMDN_DISPLAYED };
	snprintf(from, sizeof(from), "<%s>", e.self);
	if (xlate_imdn_build(&o, body, sizeof(body), &blen) != XLATE_OK) {
		log_warnx("txn %llu: IMDN for %s to %s cannot be written",
		    (unsigned long long)t->id, e.orig_id, e.peer);
		txn_finish(t, (struct gw_outcome){ GW_PERMFAIL,
		    GW_R_BAD_REQUEST, 0, NULL });
		return;
	}
	t->from = txn_strndup(from, strlen(from));
	t->dest = txn_strndup(e.peer, strlen(e.peer));
	t->content_type = txn_strndup("message/cpim", 12);
	t->body = txn_strndup(body, blen);
	t->body_len = blen;
	if (t->from == NULL || t->dest == NULL || t->content_type == NULL ||
	    t->body == NULL) {
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_OVERLOAD, 0, NULL });
		return;
	}
	log_info("txn %llu: XMPP %s -> IMDN %s for %s to %s",
	    (unsigned long long)t->id, kind == XLATE_IMDN_DELIVERY ?
	    "receipt" : "displayed marker", kind == XLATE_IMDN_DELIVERY ?
	    "delivered" : "displayed", e.orig_id, e.peer);
	memset(&src, 0, sizeof(src));
	src.proto = PROTO_XMPP;
	src.xmpp_domain = CONF->xmpp_domain;
	relay_submit_direct(t, &src, PROTO_SIP, e.peer);
}

/*
 * XMPP -> SIP with xmpp.request_imdn: the text goes in message/cpim with
 * an imdn.Message-ID and a Disposition-Notification for what the XMPP
 * sender asked (XEP-0184 receipt: positive-delivery; XEP-0333 markable:
 * display); the receipt is then sent when the IMDN comes, not on 200.
 * Without room in the table the message goes as plain text, as before.
 */
static void
ask_imdn(struct gw_txn *t, const char *dest, bool direct_sip, bool markable)
{
	struct notify_entry	 e;
	struct xlate_cpim_req	 r;
	char			 mid[48], now[40], to[600], from[600];
	char			*buf;
	size_t			 cap, blen;

	memset(&e, 0, sizeof(e));
	e.kind = NOTIFY_TO_XMPP;
	e.bits = (t->want_receipt ? XLATE_DN_POSITIVE_DELIVERY : 0) |
	    (markable ? XLATE_DN_DISPLAY : 0);
	snprintf(mid, sizeof(mid), IMDN_PREFIX "%" PRIu64, t->id);
	snprintf(e.key, sizeof(e.key), "%s", mid);
	if (e.bits == 0 || strlen(t->xmpp_from) >= sizeof(e.peer) ||
	    t->in.xmpp == NULL || t->in.xmpp->len >= sizeof(e.self) ||
	    strlen(t->xmpp_id) >= sizeof(e.orig_id) ||
	    xlate_sip_addr_uri(t->from, from, sizeof(from)) != XLATE_OK)
		return;
	snprintf(e.peer, sizeof(e.peer), "%s", t->xmpp_from);
	snprintf(e.self, sizeof(e.self), "%s", t->in.xmpp->jid);
	snprintf(e.orig_id, sizeof(e.orig_id), "%s", t->xmpp_id);
	if (snprintf(to, sizeof(to), direct_sip ? "%s" : "tel:%s", dest) >=
	    (int)sizeof(to))
		return;
	datetime_now(now, sizeof(now));
	r = (struct xlate_cpim_req){ .from = from, .to = to,
	    .message_id = mid, .datetime = now, .disp = e.bits,
	    .body = t->body, .body_len = t->body_len };
	cap = t->body_len + 2048;
	if ((buf = malloc(cap)) == NULL)
		return;
	if (xlate_cpim_wrap(&r, buf, cap, &blen) != XLATE_OK ||
	    notify_put(&e, mono_ms(),
	    (uint64_t)t->rt->conf.xmpp_notify_ttl_s * 1000) != 0) {
		log_info("txn %llu: no IMDN asked (table off or bad address)",
		    (unsigned long long)t->id);
		free(buf);
		return;
	}
	free(t->body);
	free(t->content_type);
	t->body = buf;
	t->body_len = blen;
	t->content_type = txn_strndup("message/cpim", 12);
	/* The receipt now waits for the IMDN (send_imdn_as_xmpp). */
	t->want_receipt = false;
	log_info("txn %llu: IMDN asked as %s (%s%s)", (unsigned long long)t->id,
	    mid, e.bits & XLATE_DN_POSITIVE_DELIVERY ? "positive-delivery" :
	    "", e.bits & XLATE_DN_DISPLAY ? " display" : "");
}

/*
 * What the SIP -> XMPP mapper's refusal means for the sender: a body
 * that is no text or a broken CPIM wrapper is 415 (with Accept, RFC 7572
 * section 7 makes only text/plain mandatory), anything else a bad
 * request.
 */
static enum gw_reason
sip_to_xmpp_reason(enum xlate_status st)
{
	switch (st) {
	case XLATE_E_MEDIA:
	case XLATE_E_CPIM_LINE:
	case XLATE_E_CPIM_HEADER:
	case XLATE_E_CPIM_CHAR:
	case XLATE_E_CPIM_DUP:
	case XLATE_E_CPIM_NO_FROM:
	case XLATE_E_CPIM_NO_TO:
	case XLATE_E_CPIM_ADDR:
	case XLATE_E_CPIM_DATETIME:
	case XLATE_E_CPIM_REQUIRE:
	case XLATE_E_CPIM_NS:
	case XLATE_E_CPIM_NO_CTYPE:
	case XLATE_E_CPIM_TRUNCATED:
	case XLATE_E_CPIM_ESCAPE:
	case XLATE_E_CPIM_OUTER:
		return GW_R_UNSUPPORTED_MEDIA;
	default:
		return GW_R_BAD_REQUEST;
	}
}

static enum gw_reason
send_message(struct gw_txn *t, const char *to)
{
	const struct gw_conf	*c = &t->rt->conf;
	/* Static: 7 kB of buffers, one message at a time (one loop). */
	static struct xlate_xmpp_msg m;
	struct xlate_sip_msg	 in;
	enum xlate_status	 st;
	const char		*body, *from, *subject, *thread, *lang;
	size_t			 blen;
	char			 id[64];
	unsigned		 dn = 0;

	/*
	 * RFC 7572 Table 2, the one mapping (gateway/xlate/xlate.h): routing
	 * chose the JID; XEP-0114 makes every stanza from the component's
	 * domain, where a sender in the identity table shows up as its
	 * number and an XMPP sender as its escaped bare JID.
	 */
	memset(&in, 0, sizeof(in));
	in.from = t->from;
	in.to = t->dest;
	in.xmpp_to = to;
	in.call_id = t->call_id;
	in.content_type = t->content_type;
	in.content_language = t->lang;
	in.subject = t->subject;
	in.body = t->body;
	in.body_len = t->body_len;
	in.sender_number = policy_identity_number(c,
	    t->origin == PROTO_SIP ? t->from : NULL,
	    t->origin == PROTO_XMPP ? t->xmpp_from : NULL);
	if (in.sender_number == NULL && t->origin == PROTO_XMPP)
		in.sender_jid = t->xmpp_from;
	if ((st = xlate_sip_to_xmpp_msg(&in, c->xmpp_domain, &m)) !=
	    XLATE_OK) {
		log_info("txn %llu: not mapped to XMPP: %s",
		    (unsigned long long)t->id, xlate_strstatus(st));
		return sip_to_xmpp_reason(st);
	}
	body = m.body.p;
	blen = m.body.len;
	/* Notifications are mapped, never sent as a <body/>. */
	if (m.kind == XLATE_CT_IMDN)
		return send_imdn_as_xmpp(t, body, blen);
	from = m.from;
	subject = m.subject[0] != '\0' ? m.subject : NULL;
	thread = m.thread[0] != '\0' ? m.thread : NULL;
	lang = m.lang[0] != '\0' ? m.lang : NULL;
	if (m.kind == XLATE_CT_ISCOMPOSING)
		return send_chat_state(t, to, from, body, blen);
	snprintf(id, sizeof(id), ID_PREFIX "%016" PRIx64 "-%" PRIu64,
	    xg_run_tag, t->id);
	/* A SIP sender's imdn.Disposition-Notification (RFC 5438 7.1.1). */
	if (m.cpim && m.wrap.imdn_message_id.p != NULL)
		dn = remember_sip_sender(t, &m.wrap, id);
	{
		/* RFC 7572 section 5: no type, or type='normal'. */
		struct xml_part	 parts[] = {
			XML_TEXT("<message to='", to, true),
			XML_TEXT("' from='", from, true),
			XML_TEXT("' id='", id, true),
			XML_TEXT("' xml:lang='", lang, true),
			{ "'><body>", body, blen, false },
			XML_LIT("</body>"),
			XML_TEXT("<subject>", subject, false),
			XML_LIT(subject != NULL ? "</subject>" : NULL),
			/* RFC 7572 table 1: the Call-ID becomes <thread/>. */
			XML_TEXT("<thread>", thread, false),
			XML_LIT(thread != NULL ? "</thread>" : NULL),
			XML_LIT("<request xmlns='" NS_RECEIPTS "'/>"),
			/* XEP-0333: a display notification was asked. */
			XML_LIT(dn & XLATE_DN_DISPLAY ?
			    "<markable xmlns='" NS_MARKERS "'/>" : NULL),
			/*
			 * The stanza id names this attempt (replies find the
			 * transaction by it); a spooled message's own id, the
			 * same on every attempt, goes in an XEP-0359
			 * origin-id so that receivers can drop duplicates
			 * (at-least-once delivery).
			 */
			XML_TEXT("<origin-id xmlns='" NS_ORIGIN_ID "' id='",
			    t->stable_call_id, true),
			XML_LIT(t->stable_call_id != NULL ? "'/>" : NULL),
			XML_LIT("</message>"),
		};

		if (send_xml(parts, sizeof(parts) / sizeof(parts[0])) != 0)
			return GW_R_OVERLOAD;
	}
	kick();
	log_debug("txn %llu: <message to='%s' from='%s' id='%s'>",
	    (unsigned long long)t->id, to, from, id);
	t->out.xmpp = &xmppgw_sent;
	if (c->xmpp_receipt_wait_ms == 0)
		on_receipt_wait(t);
	else
		txn_set_deadline(t, (uint64_t)c->xmpp_receipt_wait_ms,
		    on_receipt_wait);
	return GW_R_NONE;
}

static enum gw_reason
xmppgw_send(struct gw_txn *t, const char *to, const char *next_hop)
{
	size_t		 max = (size_t)CONF->xmpp_queue_max, q_n;

	(void)next_hop;
	if (xg.connected && sendq_full(&q_n)) {
		log_warnx("txn %llu: the XMPP server reads nothing: %zu "
		    "stanzas not written (xmpp.queue_max %zu): refused",
		    (unsigned long long)t->id, q_n, max);
		return GW_R_XMPP_DOWN;
	}
	if (xg.connected)
		return send_message(t, to);
	return hold_txn(t);
}

/*
 * Hold @t until the component is back (flush() sends it), or until
 * xmpp.queue_wait_ms of its runtime; GW_R_XMPP_DOWN when none may wait
 * or xmpp.queue_max are held.
 */
static enum gw_reason
hold_txn(struct gw_txn *t)
{
	size_t		 max = (size_t)CONF->xmpp_queue_max;
	uint64_t	*q;

	if (xg.qlen >= max) {
		size_t	 i, k = 0;

		/* Drop the ids of transactions that ended meanwhile. */
		for (i = 0; i < xg.qlen; i++) {
			struct gw_txn *o = txn_get(xg.queue[i]);

			if (o != NULL && o->out.xmpp == &xmppgw_queued)
				xg.queue[k++] = xg.queue[i];
		}
		xg.qlen = k;
	}
	if (t->rt->conf.xmpp_queue_wait_ms == 0 || (q = hold_room(xg.queue,
	    &xg.qcap, xg.qlen, sizeof(*xg.queue), max)) == NULL) {
		log_warnx("txn %llu: XMPP server not connected and %zu "
		    "messages held (xmpp.queue_max %zu): refused",
		    (unsigned long long)t->id, xg.qlen, max);
		return GW_R_XMPP_DOWN;
	}
	xg.queue = q;
	xg.queue[xg.qlen++] = t->id;
	t->out.xmpp = &xmppgw_queued;
	txn_set_deadline(t, (uint64_t)t->rt->conf.xmpp_queue_wait_ms,
	    on_queue_wait);
	log_info("txn %llu: XMPP server not connected, message held "
	    "(%zu held, xmpp.queue_max %zu)", (unsigned long long)t->id,
	    xg.qlen, max);
	return GW_R_NONE;
}

/*
 * The value of the id attribute of the start tag @text begins with,
 * into @out (@outsz bytes, cut short); "" when it has none.
 */
static void
stanza_id(const char *text, char *out, size_t outsz)
{
	const char	*end = strchr(text, '>'), *p = text;
	size_t		 n;

	out[0] = '\0';
	while (end != NULL && (p = strstr(p, " id=")) != NULL && p < end) {
		char	 q = p[4];
		const char *v = p + 5, *e;

		if ((q == '\'' || q == '"') && (e = strchr(v, q)) != NULL &&
		    e < end) {
			n = (size_t)(e - v) < outsz - 1 ? (size_t)(e - v) :
			    outsz - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return;
		}
		p += 4;
	}
}

/*
 * The connection is gone: what libstrophe had not begun to write never
 * left this host.  It used to be freed with the connection object, and
 * its messages were answered 202 when no receipt came.  Now a message
 * whose transaction still waits for its receipt is held again and sent
 * after the reconnection (xmpp.queue_wait_ms, as when disconnected); any
 * other stanza (a reply, a notice, a message whose sender already has an
 * answer) goes to the outbox, as it would have been kept had the
 * component been down when it was made.  What does not fit is failed
 * (503 to a waiting sender) or lost, and counted.  The stanza that was
 * being written when the connection broke is lost with it: the server
 * got part of it, never a whole one.
 */
static void
take_back_unwritten(xmpp_conn_t *c)
{
	char		*text, id[96];
	size_t		 held = 0, kept = 0, failed = 0, lost = 0;

	while ((text = xmpp_conn_send_queue_drop_element(c,
	    XMPP_QUEUE_OLDEST)) != NULL) {
		struct gw_txn	*t;

		stanza_id(text, id, sizeof(id));
		t = txn_get(id_to_txn(id));
		if (t != NULL && t->out.xmpp == &xmppgw_sent) {
			if (hold_txn(t) == GW_R_NONE)
				held++;
			else {
				/* The end of a held message whose wait ran
				 * out: 503, the component down. */
				failed++;
				on_queue_wait(t);
			}
		} else if (outbox_add(text) == 0)
			kept++;
		else
			lost++;
		xmpp_free(xg.ctx, text);
	}
	metrics_component_taken_back(held + kept);
	if (held + kept + failed + lost > 0)
		log_warnx("xmpp: %zu stanzas not yet written when the "
		    "connection went: %zu messages held again, %zu other "
		    "stanzas kept, for the reconnection; %zu messages failed "
		    "and %zu stanzas lost (xmpp.queue_max %lld)", held + kept +
		    failed + lost, held, kept, failed, lost,
		    (long long)CONF->xmpp_queue_max);
}

static void
xmppgw_abort(struct gw_txn *t)
{
	/* A queued id is skipped when the queue is flushed. */
	t->out.xmpp = NULL;
}

/* The connection is up: send what waited. */
static void
flush(void)
{
	size_t	 i, n = xg.qlen;

	for (i = 0; i < xg.nout; i++) {
		xmpp_send_raw_string(xg.conn, "%s", xg.outbox[i]);
		free(xg.outbox[i]);
	}
	xg.nout = 0;
	xg.qlen = 0;
	for (i = 0; i < n; i++) {
		struct gw_txn	*t = txn_get(xg.queue[i]);
		enum gw_reason	 why;

		if (t == NULL || t->out.xmpp != &xmppgw_queued ||
		    t->route == NULL)
			continue;
		why = send_message(t, t->route->dest);
		if (why != GW_R_NONE)
			txn_finish(t, (struct gw_outcome){ GW_PERMFAIL, why,
			    0, NULL });
	}
	kick();
}

/* --------------------------------------------------------- inbound */

static void
xmppgw_reply(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	struct xmppgw_in *in = t->in.xmpp;
	const char	*me = in != NULL ? in->jid : NULL;
	xmpp_stanza_t	*msg, *el, *err, *cond, *text;

	/* t->in.xmpp is this side's (see on_message); it ends here. */
	t->in.xmpp = NULL;
	if (me == NULL || t->xmpp_from == NULL) {
		free(in);
		return;
	}
	if (o->status == GW_OK) {
		/*
		 * XEP-0184 receipt only for 200 (the far end has it); a 202
		 * says a relay has it, which is no delivery (RFC 3428 7).
		 */
		if (!t->want_receipt || r->sip_code != 200 ||
		    t->xmpp_id == NULL) {
			free(in);
			return;
		}
		msg = xmpp_message_new(xg.ctx, NULL, t->xmpp_from, NULL);
		xmpp_stanza_set_from(msg, me);
		el = xmpp_stanza_new(xg.ctx);
		xmpp_stanza_set_name(el, "received");
		xmpp_stanza_set_ns(el, NS_RECEIPTS);
		xmpp_stanza_set_attribute(el, "id", t->xmpp_id);
		xmpp_stanza_add_child(msg, el);
		xmpp_stanza_release(el);
		send_or_hold(msg);
		xmpp_stanza_release(msg);
		free(in);
		return;
	}
	/* RFC 6120 8.3.2 error stanza, condition from the one table. */
	msg = xmpp_message_new(xg.ctx, "error", t->xmpp_from, t->xmpp_id);
	xmpp_stanza_set_from(msg, me);
	err = xmpp_stanza_new(xg.ctx);
	xmpp_stanza_set_name(err, "error");
	xmpp_stanza_set_type(err, r->xmpp_type != NULL ? r->xmpp_type :
	    "cancel");
	cond = xmpp_stanza_new(xg.ctx);
	xmpp_stanza_set_name(cond, r->xmpp_condition != NULL ?
	    r->xmpp_condition : "undefined-condition");
	xmpp_stanza_set_ns(cond, NS_STANZAS);
	xmpp_stanza_add_child(err, cond);
	xmpp_stanza_release(cond);
	text = text_child("text", status_strreason(o->reason));
	xmpp_stanza_set_ns(text, NS_STANZAS);
	xmpp_stanza_set_attribute(text, "xml:lang", "en");
	xmpp_stanza_add_child(err, text);
	xmpp_stanza_release(text);
	xmpp_stanza_add_child(msg, err);
	xmpp_stanza_release(err);
	send_or_hold(msg);
	xmpp_stanza_release(msg);
	free(in);
}

/*
 * RFC 6121 5.2.2: the recipient of a headline SHOULD NOT reply, and a
 * server silently ignores one it cannot deliver, where a groupchat gets
 * an error (RFC 6121 8.5.2).  A headline is relayed like any message
 * but never answered, not even with an error: its failure is logged.
 */
static bool
is_headline(xmpp_stanza_t *st)
{
	const char	*type = xmpp_stanza_get_type(st);

	return type != NULL && strcmp(type, "headline") == 0;
}

/* Answer a stanza that never became a transaction. */
static void
refuse(xmpp_stanza_t *st, enum gw_reason reason, const char *condition)
{
	struct gw_outcome o = { GW_PERMFAIL, reason, 0, NULL };
	struct gw_reply	 r;
	xmpp_stanza_t	*e;

	status_reply(&o, &r);
	if (condition == NULL)
		condition = r.xmpp_condition;
	log_warnx("xmpp: message from %s to %s refused: %s (%s)",
	    xmpp_stanza_get_from(st) ? xmpp_stanza_get_from(st) : "?",
	    xmpp_stanza_get_to(st) ? xmpp_stanza_get_to(st) : "?",
	    status_strreason(reason), condition);
	if (xmpp_stanza_get_from(st) == NULL)
		return;
	/* A chat state that cannot go on gets no error (XEP-0085). */
	if (xmpp_stanza_get_child_by_name(st, "body") == NULL &&
	    xmpp_stanza_get_child_by_ns(st, NS_CHATSTATES) != NULL)
		return;
	if (is_headline(st))
		return;
	e = xmpp_stanza_reply_error(st, status_xmpp_type(condition),
	    condition, status_strreason(reason));
	if (e != NULL) {
		send_or_hold(e);
		xmpp_stanza_release(e);
	}
}

static const char *
child_text(xmpp_stanza_t *st, const char *name, char **owned)
{
	xmpp_stanza_t	*c = xmpp_stanza_get_child_by_name(st, name);

	*owned = c != NULL ? xmpp_stanza_get_text(c) : NULL;
	return *owned;
}

/* An error stanza or a receipt for one of our outbound messages. */
static bool
result_for_us(xmpp_stanza_t *st, const char *type)
{
	xmpp_stanza_t	*rcv, *err, *c;
	struct gw_txn	*t;
	const char	*cond = "undefined-condition";
	enum xlate_imdn_kind	 nk;
	enum xlate_imdn_result	 nr;

	if (type != NULL && strcmp(type, "error") == 0) {
		t = txn_get(id_to_txn(xmpp_stanza_get_id(st)));
		/* Never answer an error with an error (RFC 6120 8.3.1). */
		if (t == NULL || t->out.xmpp != &xmppgw_sent) {
			log_info("xmpp: error stanza from %s for no pending "
			    "message, dropped", xmpp_stanza_get_from(st) ?
			    xmpp_stanza_get_from(st) : "?");
			return true;
		}
		if ((err = xmpp_stanza_get_child_by_name(st, "error")) !=
		    NULL)
			for (c = xmpp_stanza_get_children(err); c != NULL;
			    c = xmpp_stanza_get_next(c))
				if (xmpp_stanza_is_tag(c) &&
				    xmpp_stanza_get_ns(c) != NULL &&
				    strcmp(xmpp_stanza_get_ns(c),
				    NS_STANZAS) == 0 &&
				    strcmp(xmpp_stanza_get_name(c), "text") !=
				    0) {
					cond = xmpp_stanza_get_name(c);
					break;
				}
		log_info("txn %llu: XMPP error <%s/> from %s",
		    (unsigned long long)t->id, cond,
		    xmpp_stanza_get_from(st) ? xmpp_stanza_get_from(st) : "?");
		t->out.xmpp = NULL;
		relay_attempt_done(t,
		    status_from_xmpp_error(status_xmpp_condition(cond)));
		return true;
	}
	/* XEP-0333 markers: displayed (and received) for an IMDN ask. */
	if ((c = xmpp_stanza_get_child_by_ns(st, NS_MARKERS)) != NULL &&
	    xlate_xmpp_to_imdn(xmpp_stanza_get_name(c), NS_MARKERS, &nk,
	    &nr) == XLATE_OK) {
		notify_sip(xmpp_stanza_get_attribute(c, "id"), nk);
		if (xmpp_stanza_get_child_by_name(st, "body") == NULL)
			return true;
	}
	rcv = xmpp_stanza_get_child_by_name_and_ns(st, "received",
	    NS_RECEIPTS);
	if (rcv != NULL) {
		/* A SIP sender that asked for an IMDN gets it now. */
		notify_sip(xmpp_stanza_get_attribute(rcv, "id"),
		    XLATE_IMDN_DELIVERY);
		t = txn_get(id_to_txn(xmpp_stanza_get_attribute(rcv, "id")));
		if (t != NULL && t->out.xmpp == &xmppgw_sent) {
			log_info("txn %llu: XEP-0184 receipt from %s",
			    (unsigned long long)t->id,
			    xmpp_stanza_get_from(st));
			t->out.xmpp = NULL;
			relay_attempt_done(t, status_from_xmpp_sent(true));
		}
		/* A receipt carries no message: nothing else to do. */
		if (xmpp_stanza_get_child_by_name(st, "body") == NULL)
			return true;
	}
	return false;
}

/*
 * Does @st carry an extension payload (a child element in a namespace of
 * its own) other than the ones imgate reads alongside a body?
 */
static bool
foreign_payload(xmpp_stanza_t *st)
{
	static const char *const known[] = {
		NS_RECEIPTS, NS_MARKERS, NS_ORIGIN_ID, "urn:xmpp:hints"
	};
	xmpp_stanza_t	*c;
	const char	*ns;
	bool		 mine;

	for (c = xmpp_stanza_get_children(st); c != NULL;
	    c = xmpp_stanza_get_next(c)) {
		if (!xmpp_stanza_is_tag(c) ||
		    (ns = xmpp_stanza_get_ns(c)) == NULL ||
		    strncmp(ns, "jabber:component:", 17) == 0 ||
		    strcmp(ns, "jabber:client") == 0)
			continue;
		mine = false;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(ns, known[i]) == 0)
				mine = true;
		if (!mine)
			return true;
	}
	return false;
}

static int
on_message(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	const char	*type = xmpp_stanza_get_type(st);
	const char	*to = xmpp_stanza_get_to(st);
	const char	*from = xmpp_stanza_get_from(st);
	char		*node = NULL, *domain = NULL, *body = NULL;
	char		*thread = NULL, *subject = NULL;
	char		 dest[JID_MAX];
	struct gw_txn	*t;
	const char	*lang;
	/* Static: 17 kB of buffers, one stanza at a time (one loop). */
	static struct xlate_sip_out xout;
	struct xlate_xmpp_in	 xin;
	enum xlate_status	 xst;
	bool		 direct_sip = false, chatstate = false;
	char		*cdoc = NULL;
	const char	*text;

	(void)conn;
	(void)ud;
	if (result_for_us(st, type))
		return 1;
	if (from == NULL || to == NULL) {
		refuse(st, GW_R_BAD_REQUEST, "bad-request");
		return 1;
	}
	if (type != NULL && strcmp(type, "groupchat") == 0) {
		refuse(st, GW_R_NOT_ALLOWED, "not-acceptable");
		return 1;
	}
	child_text(st, "body", &body);
	if (body == NULL) {
		xmpp_stanza_t	*cs = xmpp_stanza_get_child_by_ns(st,
		    NS_CHATSTATES);
		enum xlate_composing comp;
		char		 doc[512];
		size_t		 dlen;

		/*
		 * A chat state alone (XEP-0085) is no message: mapped to an
		 * RFC 3994 isComposing MESSAGE (xmpp.chat_states = map) and
		 * routed like one, never answered with an error stanza.
		 */
		if (cs != NULL && (CONF->xmpp_chat_states == CONF_CHAT_DROP ||
		    xlate_chatstate_composing(xmpp_stanza_get_name(cs),
		    &comp) != XLATE_OK ||
		    xlate_iscomposing_build(comp, doc, sizeof(doc), &dlen) !=
		    XLATE_OK || (cdoc = strdup(doc)) == NULL)) {
			log_debug("xmpp: chat state from %s dropped", from);
			return 1;
		}
		/*
		 * No body and no chat state: an empty <body/> is a bad
		 * request; any other payload (files, reactions, ...) has no
		 * SIP mapping and is never sent as text (RFC 6120 8.3.3.3).
		 */
		if (cs == NULL) {
			if (foreign_payload(st))
				refuse(st, GW_R_UNSUPPORTED_MEDIA,
				    "feature-not-implemented");
			else
				refuse(st, GW_R_BAD_REQUEST, "bad-request");
			return 1;
		}
		chatstate = true;
	}
	text = body != NULL ? body : cdoc;
	if (text[0] == '\0') {
		refuse(st, GW_R_BAD_REQUEST, "bad-request");
		goto done;
	}
	node = xmpp_jid_node(xg.ctx, to);
	domain = xmpp_jid_domain(xg.ctx, to);
	if (node == NULL || domain == NULL ||
	    strcasecmp(domain, CONF->xmpp_domain) != 0) {
		refuse(st, GW_R_BAD_NUMBER, "jid-malformed");
		goto done;
	}
	/*
	 * A localpart holding an escaped address ("alice\40a.example") is
	 * a reply to a SIP user seen through imgate: it goes straight to
	 * that SIP URI.  Anything else should be a number.
	 */
	if (strstr(node, "\\40") != NULL) {
		if (xlate_gw_jid_to_sip(to, CONF->xmpp_domain, dest,
		    sizeof(dest)) != XLATE_OK) {
			refuse(st, GW_R_BAD_NUMBER, "jid-malformed");
			goto done;
		}
		direct_sip = true;
	} else
		snprintf(dest, sizeof(dest), "%s", node);
	if ((int64_t)strlen(text) > CONF->sip_max_body) {
		refuse(st, GW_R_TOO_LARGE, "policy-violation");
		goto done;
	}
	/*
	 * RFC 7572 Table 1, the one mapping (gateway/xlate/xlate.h): from ->
	 * From at the SIP domain (or the identity table's number), thread
	 * -> Call-ID when it is one, subject -> Subject on one line,
	 * xml:lang -> Content-Language (one tag).  Routing names the
	 * recipient; the size is sip.max_body's, checked above.
	 */
	child_text(st, "thread", &thread);
	child_text(st, "subject", &subject);
	/* libstrophe's parser drops attribute namespaces: "xml:lang"
	 * arrives as "lang". */
	lang = xmpp_stanza_get_attribute(st, "lang");
	if (lang == NULL)
		lang = xmpp_stanza_get_attribute(st, "xml:lang");
	memset(&xin, 0, sizeof(xin));
	xin.from = from;
	xin.to = to;
	xin.to_routed = true;
	xin.type = type;
	xin.thread = thread;
	xin.subject = subject;
	xin.lang = lang;
	xin.body = text;
	xin.body_len = strlen(text);
	xin.sender_number = policy_identity_number(CONF, NULL, from);
	if ((xst = xlate_xmpp_to_sip_msg(&xin, CONF->domain, SIZE_MAX,
	    &xout)) != XLATE_OK) {
		log_info("xmpp: <message> from %s not mapped to SIP: %s", from,
		    xlate_strstatus(xst));
		if (xst == XLATE_E_TOO_LARGE)
			refuse(st, GW_R_TOO_LARGE, "policy-violation");
		else if (xst == XLATE_E_TYPE)
			refuse(st, GW_R_NOT_ALLOWED, "not-acceptable");
		else if (xst == XLATE_E_UTF8 || xst == XLATE_E_CHAR ||
		    xst == XLATE_E_EMPTY)
			refuse(st, GW_R_BAD_REQUEST, "bad-request");
		else
			refuse(st, GW_R_BAD_REQUEST, "jid-malformed");
		goto done;
	}
	/* Shutting down: nothing new is started (imgated(8) SIGNALS). */
	if (xg.draining) {
		refuse(st, GW_R_SHUTDOWN, NULL);
		goto done;
	}
	if ((t = txn_new(PROTO_XMPP)) == NULL) {
		refuse(st, GW_R_OVERLOAD, "resource-constraint");
		goto done;
	}
	if ((t->in.xmpp = in_new(to)) != NULL)
		t->in.free = in_free;
	t->done = xmppgw_reply;
	t->dest = txn_strndup(dest, strlen(dest));
	t->from = txn_strndup(xout.from, strlen(xout.from));
	t->xmpp_from = txn_strndup(from, strlen(from));
	if (xmpp_stanza_get_id(st) != NULL)
		t->xmpp_id = txn_strndup(xmpp_stanza_get_id(st),
		    strlen(xmpp_stanza_get_id(st)));
	t->want_receipt = xmpp_stanza_get_child_by_name_and_ns(st, "request",
	    NS_RECEIPTS) != NULL && t->xmpp_id != NULL;
	/* What a resend repeats: the bare JID and the XEP-0359 origin-id,
	 * else the stanza id (gateway/spool_key.h). */
	{
		xmpp_stanza_t	*oid = xmpp_stanza_get_child_by_name_and_ns(st,
		    "origin-id", NS_ORIGIN_ID);
		char		 key[SPOOL_KEY_MAX];
		size_t		 klen = spool_key_xmpp(key, sizeof(key), from,
		    oid != NULL ? xmpp_stanza_get_attribute(oid, "id") : NULL,
		    xmpp_stanza_get_id(st));

		if (klen > 0)
			t->accept_key = txn_strndup(key, klen);
	}
	if (chatstate) {
		t->content_type = txn_strndup(
		    "application/im-iscomposing+xml", 30);
		t->want_receipt = false;
	} else
		t->content_type = txn_strndup(xout.content_type,
		    strlen(xout.content_type));
	t->body = txn_strndup(xout.body.p, xout.body.len);
	t->body_len = xout.body.len;
	/* Without a <thread/> that can be a Call-ID sofia makes one. */
	if (xout.call_id != NULL && xout.call_id[0] != '\0')
		t->call_id = txn_strndup(xout.call_id,
		    strlen(xout.call_id));
	if (xout.subject[0] != '\0')
		t->subject = txn_strndup(xout.subject, strlen(xout.subject));
	if (xout.content_language[0] != '\0')
		t->lang = txn_strndup(xout.content_language,
		    strlen(xout.content_language));
	if (t->in.xmpp == NULL || t->dest == NULL || t->from == NULL ||
	    t->xmpp_from == NULL || t->body == NULL ||
	    t->content_type == NULL) {
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_OVERLOAD, 0, NULL });
		goto done;
	}
	/*
	 * A chat state is answered to nobody, an error least of all; nor
	 * is a headline (is_headline()).
	 */
	if (chatstate || is_headline(st))
		in_free(t);
	else if (t->rt->conf.xmpp_request_imdn && t->xmpp_id != NULL)
		ask_imdn(t, dest, direct_sip,
		    xmpp_stanza_get_child_by_name_and_ns(st, "markable",
		    NS_MARKERS) != NULL);
	if (t->content_type == NULL) {
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_OVERLOAD, 0, NULL });
		goto done;
	}
	log_info("txn %llu: <message> to %s from %s (%zu bytes%s)",
	    (unsigned long long)t->id, to, from, t->body_len,
	    chatstate ? ", chat state -> isComposing" : "");
	{
		struct policy_source	 src;
		char			*fromdom = xmpp_jid_domain(xg.ctx, from);

		memset(&src, 0, sizeof(src));
		src.proto = PROTO_XMPP;
		src.xmpp_domain = fromdom;
		if (direct_sip)
			relay_submit_direct(t, &src, PROTO_SIP, dest);
		else
			relay_submit(t, &src);
		if (fromdom != NULL)
			xmpp_free(xg.ctx, fromdom);
	}
done:
	if (node != NULL)
		xmpp_free(xg.ctx, node);
	if (domain != NULL)
		xmpp_free(xg.ctx, domain);
	if (body != NULL)
		xmpp_free(xg.ctx, body);
	free(cdoc);
	if (thread != NULL)
		xmpp_free(xg.ctx, thread);
	if (subject != NULL)
		xmpp_free(xg.ctx, subject);
	return 1;
}

/*
 * RFC 6120 8.2.3: an <iq/> get or set is always answered, or its sender
 * waits for ever.  imgate relays messages and offers no IQ service, so
 * every request gets <service-unavailable/> (RFC 6120 8.4, a payload
 * namespace not understood); a result or an error is never answered
 * (RFC 6120 8.3.1).  Presence means nothing to a gateway of numbers.
 */
static int
on_iq(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	const char	*type = xmpp_stanza_get_type(st);
	const char	*from = xmpp_stanza_get_from(st);
	const char	*cond = "service-unavailable";
	xmpp_stanza_t	*e;

	(void)conn;
	(void)ud;
	if (type == NULL || (strcmp(type, "get") != 0 &&
	    strcmp(type, "set") != 0)) {
		log_debug("xmpp: <iq type='%s'/> from %s dropped",
		    type != NULL ? type : "", from != NULL ? from : "?");
		return 1;
	}
	log_info("xmpp: <iq type='%s'/> from %s to %s refused: no IQ "
	    "service (%s)", type, from != NULL ? from : "?",
	    xmpp_stanza_get_to(st) != NULL ? xmpp_stanza_get_to(st) : "?",
	    cond);
	if (from == NULL)
		return 1;
	e = xmpp_stanza_reply_error(st, status_xmpp_type(cond), cond, NULL);
	if (e != NULL) {
		send_or_hold(e);
		xmpp_stanza_release(e);
	}
	return 1;
}

static int
on_presence(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	(void)conn;
	(void)ud;
	log_debug("xmpp: <presence/> from %s dropped",
	    xmpp_stanza_get_from(st) != NULL ? xmpp_stanza_get_from(st) :
	    "?");
	return 1;
}

/* ------------------------------------------------------ connection */

static void
on_reconnect(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)m;
	(void)t;
	(void)arg;
	connect_now();
}

static void
schedule_reconnect(void)
{
	if (xg.stopping)
		return;
	if (xg.backoff_ms == 0)
		xg.backoff_ms = BACKOFF_MIN_MS;
	/* A reload may have lowered the cap since the last doubling. */
	if (xg.backoff_ms > (uint64_t)CONF->xmpp_reconnect_max_ms)
		xg.backoff_ms = (uint64_t)CONF->xmpp_reconnect_max_ms;
	log_info("xmpp: reconnecting in %llu ms",
	    (unsigned long long)xg.backoff_ms);
	su_timer_set_interval(xg.reconnect, on_reconnect, NULL,
	    (su_duration_t)xg.backoff_ms);
	xg.backoff_ms *= 2;
	if (xg.backoff_ms > (uint64_t)CONF->xmpp_reconnect_max_ms)
		xg.backoff_ms = (uint64_t)CONF->xmpp_reconnect_max_ms;
}

static void
on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
    xmpp_stream_error_t *se, void *ud)
{
	char	 why[256];

	(void)conn;
	(void)ud;
	/* NULL: xmppgw_stop() releasing the connection. */
	if (xg.handshake != NULL)
		su_timer_reset(xg.handshake);
	if (ev == XMPP_CONN_CONNECT) {
		log_info("xmpp: component %s connected to %s:%lld",
		    CONF->xmpp_domain, CONF->xmpp_server,
		    (long long)CONF->xmpp_port);
		xg.connected = true;
		metrics_component_state(true);
		xg.backoff_ms = BACKOFF_MIN_MS;
		flush();
		return;
	}
	xg.connected = false;
	metrics_component_state(false);
	snprintf(why, sizeof(why), "%s%s%s", error != 0 ? strerror(error) :
	    "closed", se != NULL && se->text != NULL ? ": " : "",
	    se != NULL && se->text != NULL ? se->text : "");
	/* Leaving at shutdown is no news; losing the server is. */
	if (xg.stopping)
		log_info("xmpp: component %s disconnected (%s)",
		    CONF->xmpp_domain, why);
	else {
		log_warnx("xmpp: component %s disconnected (%s)",
		    CONF->xmpp_domain, why);
		take_back_unwritten(conn);
	}
	unwatch();
	schedule_reconnect();
}

/*
 * Close the component stream (RFC 6120 4.9.1.1: a stream error ends the
 * stream); libstrophe then reports the disconnection and on_conn()
 * schedules the reconnection.  Until then nothing more is sent on it:
 * new messages and replies wait as when disconnected.
 */
static void
close_stream(const char *why)
{
	if (xg.conn == NULL || xmpp_conn_is_disconnected(xg.conn))
		return;
	log_warnx("xmpp: component stream to %s:%lld: %s; closing it",
	    CONF->xmpp_server, (long long)CONF->xmpp_port, why);
	if (xg.connected) {
		xg.connected = false;
		metrics_component_state(false);
	}
	xmpp_disconnect(xg.conn);
	kick();
}

/* ------------------------------------------------ the stream's caps */

size_t
xmppgw_stream_feed(const void *parser, const char *buf, size_t len)
{
	size_t	 n;

	/* Not the component's (no other parser runs in imgated). */
	if (xg.ctx == NULL)
		return len;
	if (parser != xg.guard_parser) {
		xmlguard_init(&xg.guard, (uint64_t)CONF->xmpp_max_stanza);
		xg.guard_parser = parser;
	} else
		xmlguard_set_max(&xg.guard, (uint64_t)CONF->xmpp_max_stanza);
	if (xmlguard_verdict(&xg.guard) != XMLGUARD_OK)
		return 0;
	if ((n = xmlguard_feed(&xg.guard, buf, len)) < len)
		xg.guard_broken = true;
	return n;
}

void
xmppgw_stream_gone(const void *parser)
{
	if (parser == xg.guard_parser)
		xg.guard_parser = NULL;
}

/*
 * A cap broke (xmppgw_stream_feed()): the stanzas before it were read;
 * the rest of the stream is not.  The server is told why in a stream
 * error (RFC 6120 4.9.3.14 <policy-violation/>, 11.1
 * <restricted-xml/>), the stream closes, and the component reconnects
 * as after any closed stream.
 */
static void
refuse_stream(void)
{
	char	 why[128], text[160];

	if (xg.conn == NULL || xmpp_conn_is_disconnected(xg.conn))
		return;
	xmlguard_explain(&xg.guard, why, sizeof(why));
	metrics_component_refused((unsigned)xmlguard_verdict(&xg.guard) - 1);
	snprintf(text, sizeof(text), "imgate: %s", why);
	xmpp_send_error(xg.conn, xmlguard_verdict(&xg.guard) ==
	    XMLGUARD_RESTRICTED ? XMPP_SE_RESTRICTED_XML :
	    XMPP_SE_POLICY_VIOLATION, text);
	snprintf(text, sizeof(text), "the server sent %s", why);
	close_stream(text);
}

/*
 * libstrophe has no timeout past the TCP connection: a server that
 * accepts it and never sends its stream header or <handshake/> would
 * hold the component down for good, with no reconnection.
 */
static void
on_handshake_wait(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	char	 why[64];

	(void)m;
	(void)t;
	(void)arg;
	if (xg.connected)
		return;
	snprintf(why, sizeof(why), "no handshake within %d ms",
	    HANDSHAKE_MS);
	close_stream(why);
}

static int	conn_setup(xmpp_conn_t *, const char *, const char *);

/*
 * A new connection object for every attempt after the first.
 * libstrophe 0.12's parser_reset() (src/parser_expat.c), run when a
 * connection starts, frees the text of a stanza the last disconnection
 * cut off but keeps its length: the next text on the new stream is then
 * appended to an uninitialised buffer (heap bytes in a body) or to NULL
 * (a crash).  A new connection gets a new parser.  The stream-management
 * state moves over (see sm_state_borrow()).
 */
static int
conn_renew(void)
{
	xmpp_conn_t	*n;
	xmpp_sm_state_t	*sm;

	if (!xmpp_conn_is_disconnected(xg.conn) ||
	    (n = xmpp_conn_new(xg.ctx)) == NULL)
		return -1;
	if ((sm = xmpp_conn_get_sm_state(xg.conn)) != NULL &&
	    xmpp_conn_set_sm_state(n, sm) != XMPP_EOK) {
		xmpp_free_sm_state(sm);
		sm = NULL;
	}
	/* The old identity: xmpp.domain and secret need a restart. */
	if ((sm == NULL && sm_state_borrow(n) != 0) || conn_setup(n,
	    xmpp_conn_get_jid(xg.conn), xmpp_conn_get_pass(xg.conn)) != 0) {
		xmpp_conn_release(n);
		return -1;
	}
	xmpp_conn_release(xg.conn);
	xg.conn = n;
	return 0;
}

static void
connect_now(void)
{
	int	 rc;

	if (xg.stopping || xg.conn == NULL)
		return;
	if (xg.attempted && conn_renew() != 0) {
		log_warnx("xmpp: no new connection object (memory)");
		schedule_reconnect();
		return;
	}
	xg.attempted = true;
	rc = xmpp_connect_component(xg.conn, CONF->xmpp_server,
	    (unsigned short)CONF->xmpp_port, on_conn, NULL);
	if (rc != XMPP_EOK) {
		log_warnx("xmpp: cannot start connecting to %s:%lld (%d)",
		    CONF->xmpp_server, (long long)CONF->xmpp_port, rc);
		schedule_reconnect();
		return;
	}
	su_timer_set_interval(xg.handshake, on_handshake_wait, NULL,
	    HANDSHAKE_MS);
	kick();
}

static void
strophe_log(void *ud, xmpp_log_level_t level, const char *area,
    const char *msg)
{
	(void)ud;
	/*
	 * libstrophe 0.12 (src/event.c) answers XML it cannot parse with an
	 * <invalid-xml/> stream error but keeps the stream open, its parser
	 * failed for good: every later stanza would be lost, both ways,
	 * while the component looks connected.  Its debug line is the only
	 * sign; run() closes the stream after the round.
	 */
	if (level == XMPP_LEVEL_DEBUG && strcmp(area, "xmpp") == 0 &&
	    strncmp(msg, "parse error", 11) == 0)
		xg.bad_xml = true;
	if (level >= XMPP_LEVEL_WARN)
		log_warnx("xmpp: %s: %s", area, msg);
	else if (log_enabled(LOG_L_DEBUG) && level >= XMPP_LEVEL_INFO)
		log_debug("xmpp: %s: %.200s", area, msg);
}

static xmpp_log_t strophe_logger = { strophe_log, NULL };

/* Identity (@jid, @pass: copied) and handlers of a new connection. */
static int
conn_setup(xmpp_conn_t *c, const char *jid, const char *pass)
{
	xmpp_conn_set_jid(c, jid);
	xmpp_conn_set_pass(c, pass);
	if (xmpp_conn_get_jid(c) == NULL || xmpp_conn_get_pass(c) == NULL)
		return -1;
	xmpp_conn_set_sockopt_callback(c, on_sockopt);
	xmpp_handler_add(c, on_message, NULL, "message", NULL, NULL);
	xmpp_handler_add(c, on_iq, NULL, "iq", NULL, NULL);
	xmpp_handler_add(c, on_presence, NULL, "presence", NULL, NULL);
	return 0;
}

int
xmppgw_start(su_root_t *root, const struct gw_conf *conf)
{
	xg.root = root;
	xg.fd = -1;
	if (getrandom(&xg_run_tag, sizeof(xg_run_tag), 0) !=
	    (ssize_t)sizeof(xg_run_tag)) {
		log_warn("xmpp: getrandom");
		return -1;
	}
	xmpp_initialize();
	if ((xg.ctx = xmpp_ctx_new(NULL, &strophe_logger)) == NULL ||
	    (xg.conn = xmpp_conn_new(xg.ctx)) == NULL)
		return -1;
	if (notify_init((size_t)conf->xmpp_notify_max) != 0)
		return -1;
	if (sm_state_borrow(xg.conn) != 0)
		log_warnx("xmpp: no stream-management state for the "
		    "component; libstrophe may crash on a stanza");
	if (conn_setup(xg.conn, conf->xmpp_domain, conf->xmpp_secret) != 0)
		return -1;
	xg.tick = su_timer_create(su_root_task(root), TICK_MS);
	xg.kick = su_timer_create(su_root_task(root), 1);
	xg.reconnect = su_timer_create(su_root_task(root), BACKOFF_MIN_MS);
	xg.handshake = su_timer_create(su_root_task(root), HANDSHAKE_MS);
	su_timer_set_for_ever(xg.tick, on_tick, NULL);
	xg.backoff_ms = BACKOFF_MIN_MS;
	connect_now();
	return 0;
}

void
xmppgw_drain(void)
{
	xg.draining = true;
}

void
xmppgw_stop(void)
{
	if (xg.ctx == NULL)
		return;
	xg.stopping = true;
	if (xg.conn != NULL && xg.connected) {
		xmpp_disconnect(xg.conn);
		for (int i = 0; i < 20 && !xmpp_conn_is_disconnected(xg.conn);
		    i++)
			xmpp_run_once(xg.ctx, 10);
	}
	unwatch();
	su_timer_destroy(xg.tick);
	su_timer_destroy(xg.kick);
	su_timer_destroy(xg.reconnect);
	su_timer_destroy(xg.handshake);
	xg.handshake = NULL;
	if (xg.conn != NULL)
		xmpp_conn_release(xg.conn);
	xmpp_ctx_free(xg.ctx);
	xmpp_shutdown();
	for (size_t i = 0; i < xg.nout; i++)
		free(xg.outbox[i]);
	free(xg.outbox);
	free(xg.queue);
	notify_fini();
	memset(&xg, 0, sizeof(xg));
	xg.fd = -1;
}
