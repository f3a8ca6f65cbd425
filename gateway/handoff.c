/*
 * gateway/handoff.c - hand XMPP-bound and store-and-forward messages to
 * worker 0, and their outcomes back (gateway/handoff.h).
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/handoff.h"
#include "gateway/log.h"
#include "gateway/flow/relay.h"
#include "gateway/workers.h"

enum handoff_kind {
	HANDOFF_XMPP = 'X',	/* send to the XMPP "to" given */
	HANDOFF_SPOOL = 'S',	/* accept for a store-and-forward route */
	HANDOFF_REPLY = 'R'	/* worker 0's outcome */
};

#define HANDOFF_NULL	UINT32_MAX

struct handoff_buf {
	uint8_t		*p;
	size_t		 len, cap;
	bool		 bad;
};

struct handoff_watch {
	int		 k;
	int		 fd;
	su_wait_t	 wait;
	int		 index;
};

static struct handoff_watch	 hw[WORKERS_MAX];
static size_t			 hw_n;
static su_root_t		*hw_root;
static uint32_t			 hw_gen;
static uint8_t			*hw_rbuf;	/* HANDOFF_MAX each, */
static uint8_t			*hw_sbuf;	/* from handoff_init() */
/* t->out.handoff of a handed transaction: the attempt is worker 0's
 * (one static state, nothing to free; gateway/flow/txn.h). */
struct handoff_out {
	const char	*what;
};
static const struct handoff_out	 handoff_mark = { "at worker 0" };

static void
put(struct handoff_buf *b, const void *v, size_t n)
{
	if (b->bad || b->len + n > b->cap) {
		b->bad = true;
		return;
	}
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void
put_u32(struct handoff_buf *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

static void
put_str(struct handoff_buf *b, const char *s, size_t n)
{
	if (s == NULL) {
		put_u32(b, HANDOFF_NULL);
		return;
	}
	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

static void
put_cstr(struct handoff_buf *b, const char *s)
{
	put_str(b, s, s != NULL ? strlen(s) : 0);
}

static void
get(struct handoff_buf *b, void *v, size_t n)
{
	if (b->bad || b->len + n > b->cap) {
		b->bad = true;
		memset(v, 0, n);
		return;
	}
	memcpy(v, b->p + b->len, n);
	b->len += n;
}

static uint32_t
get_u32(struct handoff_buf *b)
{
	uint32_t v;

	get(b, &v, sizeof(v));
	return v;
}

/* A heap copy (txn_strndup), NULL for a NULL string or a short buffer. */
static char *
get_str(struct handoff_buf *b, size_t *lenp)
{
	uint32_t	 n = get_u32(b);
	char		*s;

	if (lenp != NULL)
		*lenp = 0;
	if (b->bad || n == HANDOFF_NULL)
		return NULL;
	if (b->len + n > b->cap) {
		b->bad = true;
		return NULL;
	}
	s = txn_strndup((const char *)b->p + b->len, n);
	if (s == NULL)
		b->bad = true;
	b->len += n;
	if (lenp != NULL)
		*lenp = n;
	return s;
}

bool
handoff_active(void)
{
	return workers_self() > 0;
}

static int
send_buf(int fd, const struct handoff_buf *b)
{
	if (b->bad)
		return -1;
	if (send(fd, b->p, b->len, MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    (ssize_t)b->len) {
		log_warn("handoff: send");
		return -1;
	}
	return 0;
}

/* Worker k: one message for worker 0. */
static enum gw_reason
hand_over(struct gw_txn *t, enum handoff_kind kind, const char *dest,
    const struct policy_source *src)
{
	struct handoff_buf	 b = { hw_sbuf, 0, HANDOFF_MAX, false };
	struct policy_source	 none;
	uint8_t			 u8;
	int32_t			 i32;
	int			 rc;

	if (b.p == NULL)
		return GW_R_OVERLOAD;
	if (src == NULL) {
		memset(&none, 0, sizeof(none));
		src = &none;
	}
	u8 = (uint8_t)kind;
	put(&b, &u8, 1);
	put(&b, &t->id, sizeof(t->id));
	put_u32(&b, hw_gen);
	i32 = t->max_forwards;
	put(&b, &i32, sizeof(i32));
	u8 = t->want_receipt;
	put(&b, &u8, 1);
	i32 = (int32_t)src->proto;
	put(&b, &i32, sizeof(i32));
	i32 = src->family;
	put(&b, &i32, sizeof(i32));
	put(&b, src->addr, sizeof(src->addr));
	u8 = src->has_addr;
	put(&b, &u8, 1);
	put_cstr(&b, src->xmpp_domain);
	put_cstr(&b, dest);
	put_cstr(&b, t->dest);
	put_cstr(&b, t->from);
	put_cstr(&b, t->from_display);
	put_cstr(&b, t->call_id);
	put_cstr(&b, t->content_type);
	put_str(&b, t->body, t->body_len);
	put_cstr(&b, t->subject);
	put_cstr(&b, t->lang);
	put_cstr(&b, t->xmpp_from);
	put_cstr(&b, t->xmpp_id);
	put_cstr(&b, t->accept_key);
	rc = send_buf(workers_handoff_fd(workers_self(), false), &b);
	if (rc != 0)
		return GW_R_OVERLOAD;
	t->out.handoff = &handoff_mark;
	t->out_proto = PROTO_XMPP;
	log_debug("txn %llu: handed to worker 0", (unsigned long long)t->id);
	return GW_R_NONE;
}

static enum gw_reason
handoff_send(struct gw_txn *t, const char *dest, const char *next_hop)
{
	(void)next_hop;
	return hand_over(t, HANDOFF_XMPP, dest, NULL);
}

static void
handoff_abort(struct gw_txn *t)
{
	/* Worker 0 finishes on its own; its answer finds nothing here. */
	t->out.handoff = NULL;
}

static void
handoff_noreply(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	(void)t;
	(void)o;
	(void)r;
}

const struct relay_side handoff_side = {
	handoff_noreply, handoff_send, handoff_abort, NULL
};

void
handoff_spool(struct gw_txn *t, const struct policy_source *src)
{
	enum gw_reason	 why;

	txn_enter_state(t, TXN_SPOOLING);
	if ((why = hand_over(t, HANDOFF_SPOOL, NULL, src)) != GW_R_NONE)
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL, why, 0,
		    NULL });
}

void
handoff_reply(struct gw_txn *t, const struct gw_outcome *o)
{
	uint8_t			 buf[512];
	struct handoff_buf	 b = { buf, 0, sizeof(buf), false };
	uint8_t			 u8 = HANDOFF_REPLY;
	int32_t			 i32;

	put(&b, &u8, 1);
	put(&b, &t->handoff_id, sizeof(t->handoff_id));
	put_u32(&b, t->handoff_gen);
	i32 = (int32_t)o->status;
	put(&b, &i32, sizeof(i32));
	i32 = (int32_t)o->reason;
	put(&b, &i32, sizeof(i32));
	i32 = o->peer_code;
	put(&b, &i32, sizeof(i32));
	put_u32(&b, t->retry_after_s);
	put_cstr(&b, o->peer_condition);
	if (send_buf(workers_handoff_fd(t->handoff_from, true), &b) != 0)
		log_warnx("txn %llu: outcome lost for worker %d; its sender "
		    "will retransmit", (unsigned long long)t->id,
		    t->handoff_from);
}

/* Worker 0: the completion hook of a handed transaction. */
static void
handoff_done(struct gw_txn *t, const struct gw_outcome *o,
    const struct gw_reply *r)
{
	(void)r;
	handoff_reply(t, o);
}

/* Worker k: worker 0's outcome for one of ours. */
static void
take_reply(struct handoff_buf *b)
{
	uint64_t		 id;
	uint32_t		 gen, retry;
	int32_t			 st, reason, code;
	char			*cond;
	struct gw_txn		*t;
	struct gw_outcome	 o;

	get(b, &id, sizeof(id));
	gen = get_u32(b);
	get(b, &st, sizeof(st));
	get(b, &reason, sizeof(reason));
	get(b, &code, sizeof(code));
	retry = get_u32(b);
	cond = get_str(b, NULL);
	if (b->bad || gen != hw_gen || (t = txn_get(id)) == NULL ||
	    t->out.handoff != &handoff_mark || reason < 0 ||
	    reason >= GW_REASON_COUNT) {
		free(cond);
		return;
	}
	o.status = (enum gw_status)st;
	o.reason = (enum gw_reason)reason;
	o.peer_code = code;
	o.peer_condition = cond != NULL ? status_xmpp_condition(cond) : NULL;
	free(cond);
	t->out.handoff = NULL;
	if (retry != 0)
		t->retry_after_s = retry;
	txn_finish(t, o);
}

/* Worker 0: a message from worker @k. */
static void
take_message(int k, enum handoff_kind kind, struct handoff_buf *b)
{
	struct policy_source	 src;
	struct gw_txn		*t;
	uint64_t		 id;
	uint32_t		 gen;
	int32_t			 mf, proto, family;
	uint8_t			 receipt, has_addr;
	char			*domain, *dest;

	memset(&src, 0, sizeof(src));
	get(b, &id, sizeof(id));
	gen = get_u32(b);
	get(b, &mf, sizeof(mf));
	get(b, &receipt, 1);
	get(b, &proto, sizeof(proto));
	get(b, &family, sizeof(family));
	get(b, src.addr, sizeof(src.addr));
	get(b, &has_addr, 1);
	if (b->bad)
		return;
	if ((t = txn_new(PROTO_SIP)) == NULL) {
		struct gw_txn	 fake;

		memset(&fake, 0, sizeof(fake));
		fake.handoff_from = k;
		fake.handoff_id = id;
		fake.handoff_gen = gen;
		handoff_reply(&fake, &(struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_OVERLOAD, 0, NULL });
		return;
	}
	t->done = handoff_done;
	t->handoff_from = k;
	t->handoff_id = id;
	t->handoff_gen = gen;
	t->max_forwards = mf;
	t->want_receipt = receipt != 0;
	src.proto = (enum proto)proto;
	src.family = family;
	src.has_addr = has_addr != 0;
	domain = get_str(b, NULL);
	src.xmpp_domain = domain;
	dest = get_str(b, NULL);
	t->dest = get_str(b, NULL);
	t->from = get_str(b, NULL);
	t->from_display = get_str(b, NULL);
	t->call_id = get_str(b, NULL);
	t->content_type = get_str(b, NULL);
	t->body = get_str(b, &t->body_len);
	t->subject = get_str(b, NULL);
	t->lang = get_str(b, NULL);
	t->xmpp_from = get_str(b, NULL);
	t->xmpp_id = get_str(b, NULL);
	t->accept_key = get_str(b, NULL);
	log_debug("txn %llu: handed over by worker %d (its txn %llu)",
	    (unsigned long long)t->id, k, (unsigned long long)id);
	if (b->bad || t->dest == NULL || (kind == HANDOFF_XMPP &&
	    dest == NULL)) {
		txn_finish(t, (struct gw_outcome){ GW_TEMPFAIL,
		    GW_R_OVERLOAD, 0, NULL });
	} else if (kind == HANDOFF_XMPP)
		relay_resubmit_direct(t, PROTO_XMPP, dest);
	else
		relay_submit_handed(t, &src);
	free(domain);
	free(dest);
}

static int
on_readable(su_root_magic_t *m, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct handoff_watch	*h = (struct handoff_watch *)arg;

	(void)m;
	(void)w;
	/* A burst at a time, so that SIP is not starved. */
	for (int i = 0; i < 64; i++) {
		ssize_t			 n = recv(h->fd, hw_rbuf, HANDOFF_MAX,
		    MSG_DONTWAIT);
		struct handoff_buf	 b;
		uint8_t			 kind;

		if (n <= 0)
			break;
		b = (struct handoff_buf){ hw_rbuf, 0, (size_t)n, false };
		get(&b, &kind, 1);
		if (kind == HANDOFF_REPLY && h->k == 0)
			take_reply(&b);
		else if ((kind == HANDOFF_XMPP || kind == HANDOFF_SPOOL) &&
		    h->k > 0)
			take_message(h->k, (enum handoff_kind)kind, &b);
	}
	return 0;
}

static int
watch(int k, int fd)
{
	struct handoff_watch	*h = &hw[hw_n];

	h->k = k;
	h->fd = fd;
	if (su_wait_create(&h->wait, fd, SU_WAIT_IN) != 0 ||
	    (h->index = su_root_register(hw_root, &h->wait, on_readable,
	    (su_wakeup_arg_t *)h, 0)) < 0)
		return -1;
	hw_n++;
	return 0;
}

int
handoff_init(su_root_t *root)
{
	int	 self = workers_self();

	hw_root = root;
	hw_gen = (uint32_t)getpid();
	if (self < 0 || workers_n() < 2)
		return 0;
	if ((hw_rbuf = malloc(HANDOFF_MAX)) == NULL ||
	    (hw_sbuf = malloc(HANDOFF_MAX)) == NULL)
		return -1;
	if (self > 0)
		/* k is 0 here: what comes in are replies. */
		return watch(0, workers_handoff_fd(self, false));
	for (int k = 1; k < workers_n(); k++)
		if (watch(k, workers_handoff_fd(k, true)) != 0)
			return -1;
	return 0;
}

void
handoff_fini(void)
{
	for (size_t i = 0; i < hw_n; i++)
		su_root_deregister(hw_root, hw[i].index);
	hw_n = 0;
	free(hw_rbuf);
	free(hw_sbuf);
	hw_rbuf = hw_sbuf = NULL;
}
