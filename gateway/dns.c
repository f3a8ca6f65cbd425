/*
 * gateway/dns.c - c-ares on the su_root loop, with imgate's own cache.
 *
 * Below every resolution stage.  One ares_channel; ARES_OPT_SOCK_STATE_CB
 * tells us which sockets to watch, su_root_register() watches them and
 * readiness goes to ares_process_fd(); one su_timer follows
 * ares_timeout().  Queries are built by enum/dnsmsg (so the AD bit can be
 * set, RFC 6840 5.7) and sent with ares_send(); replies are parsed by
 * enum/dnsmsg, which sees TTLs, SOA and AD that c-ares 1.18 hides.
 *
 * The cache maps (name, type) to a parsed answer block (one allocation,
 * see dnsmsg_parse()).  A positive answer lives for min(TTL, max_ttl), a
 * negative one for min(SOA TTL, SOA MINIMUM, negative_max_ttl) and not at
 * all without SOA (RFC 2308 3, 5), a failure for failure_ttl seconds (RFC
 * 2308 7 allows up to five minutes).  An entry in flight collects waiters,
 * so N identical questions send one query.  Entries are evicted least
 * recently used first when the entry or byte cap is reached; an entry in
 * flight or being delivered is never evicted.
 */
#include <arpa/inet.h>
#include <ares.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/dns.h"
#include "gateway/log.h"

#define DNS_MAX_SOCKS	16
#define DNS_BUCKETS	(1u << 16)

struct dns_waiter {
	struct dns_waiter	*next;
	dnsq_cb			*cb;
	void			*arg;
};

struct dns_entry {
	struct dns_entry	*hnext;		/* hash chain */
	struct dns_entry	*prev, *next;	/* LRU, most recent first */
	uint32_t		 hash;
	uint16_t		 type;
	bool			 pending;	/* query in flight */
	bool			 asked_ad;	/* sent with the AD bit */
	bool			 valid;		/* holds a result */
	int			 busy;		/* being delivered */
	uint64_t		 expires_ms;
	enum dnsq_status	 status;
	int64_t			 negative_ttl;
	bool			 secure;
	int			 rcode;
	struct dnsmsg_answer	*ans;		/* owned block, or NULL */
	size_t			 ans_size;
	struct dns_waiter	*waiters;
	struct dns		*dns;
	char			 name[];	/* absolute, lower-case */
};

struct dns_sock {
	ares_socket_t	 fd;
	int		 index;		/* su_root registration */
};

struct dns {
	su_root_t		*root;
	ares_channel		 channel;
	su_timer_t		*timer;
	struct dns_config	 cfg;
	struct dnsq_ops		 ops;
	struct dns_sock		 socks[DNS_MAX_SOCKS];
	size_t			 nsocks;
	struct dns_entry	**buckets;
	struct dns_entry	*lru_head, *lru_tail;
	struct dns_stats	 st;
	size_t			 pending;
	bool			 destroying;
};

static void	arm_timer(struct dns *);

uint64_t
dns_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* FNV-1a over the name and the type. */
static uint32_t
entry_hash(const char *name, uint16_t type)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	h = (h ^ (type & 0xff)) * 16777619u;
	h = (h ^ (type >> 8)) * 16777619u;
	return h;
}

static void
lru_unlink(struct dns *d, struct dns_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else if (d->lru_head == e)
		d->lru_head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else if (d->lru_tail == e)
		d->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct dns *d, struct dns_entry *e)
{
	e->prev = NULL;
	e->next = d->lru_head;
	if (d->lru_head != NULL)
		d->lru_head->prev = e;
	d->lru_head = e;
	if (d->lru_tail == NULL)
		d->lru_tail = e;
}

static struct dns_entry *
entry_find(struct dns *d, const char *name, uint16_t type, uint32_t h)
{
	struct dns_entry *e;

	for (e = d->buckets[h & (DNS_BUCKETS - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->type == type &&
		    strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static void
entry_free(struct dns *d, struct dns_entry *e)
{
	struct dns_entry **pp = &d->buckets[e->hash & (DNS_BUCKETS - 1)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	lru_unlink(d, e);
	d->st.entries--;
	d->st.bytes -= e->ans_size;
	free(e->ans);
	free(e);
}

/* Evict from the cold end until both caps hold (skipping live entries). */
static void
evict(struct dns *d)
{
	struct dns_entry *e = d->lru_tail, *prev;

	while (e != NULL && (d->st.entries > d->cfg.cache_entries ||
	    d->st.bytes > d->cfg.cache_bytes)) {
		prev = e->prev;
		if (!e->pending && e->busy == 0)
			entry_free(d, e);
		e = prev;
	}
}

/* Deliver @e's result to the callback @cb. */
static void
deliver(struct dns_entry *e, dnsq_cb *cb, void *arg, bool from_cache,
    const char *why)
{
	struct dnsq_result	 res;
	uint64_t		 now = dns_now_ms();

	memset(&res, 0, sizeof(res));
	res.status = e->status;
	res.ans = e->ans;
	res.secure = e->secure;
	res.rcode = e->rcode;
	res.from_cache = from_cache;
	res.why = why;
	res.negative_ttl = -1;
	res.failure_ttl = -1;
	if (e->status == DNSQ_NODATA || e->status == DNSQ_NXDOMAIN) {
		/* What is left of the negative TTL (RFC 2308 5). */
		if (e->negative_ttl >= 0)
			res.negative_ttl = e->expires_ms > now ?
			    (int64_t)((e->expires_ms - now + 999) / 1000) : 0;
		if (!from_cache)
			res.negative_ttl = e->negative_ttl;
	} else if (e->status == DNSQ_TEMPFAIL)
		res.failure_ttl = e->expires_ms > now ?
		    (int64_t)((e->expires_ms - now + 999) / 1000) : 0;
	e->busy++;
	cb(arg, &res);
	e->busy--;
}

/* Turn a c-ares completion into the entry's result. */
static const char *
classify(struct dns *d, struct dns_entry *e, int status,
    const unsigned char *abuf, int alen)
{
	struct dnsmsg_answer	*a = NULL;
	size_t			 need;
	void			*mem;
	uint64_t		 now = dns_now_ms(), ttl_s;

	free(e->ans);
	d->st.bytes -= e->ans_size;
	e->ans = NULL;
	e->ans_size = 0;
	e->valid = true;
	e->secure = false;
	e->negative_ttl = -1;
	e->rcode = -1;

	if (status != ARES_SUCCESS) {
		e->status = DNSQ_TEMPFAIL;
		/*
		 * With ARES_FLAG_NOCHECKRESP a SERVFAIL reaches classify()
		 * as an answer; ECONNREFUSED here is a real refusal.
		 */
		if (status == ARES_ESERVFAIL)
			e->rcode = DNSMSG_RCODE_SERVFAIL;
		e->expires_ms = now + (uint64_t)d->cfg.failure_ttl * 1000;
		d->st.failures++;
		return ares_strerror(status);
	}
	need = dnsmsg_parse(abuf, (size_t)alen, NULL, 0, NULL);
	mem = need != 0 ? malloc(need) : NULL;
	if (mem == NULL || dnsmsg_parse(abuf, (size_t)alen, mem, need,
	    &a) == 0) {
		free(mem);
		e->status = DNSQ_TEMPFAIL;
		e->expires_ms = now + (uint64_t)d->cfg.failure_ttl * 1000;
		d->st.failures++;
		return "malformed answer";
	}
	e->ans = a;
	e->ans_size = need;
	d->st.bytes += need;
	e->rcode = a->rcode;
	e->secure = a->ad;
	switch (a->rcode) {
	case DNSMSG_RCODE_NOERROR:
		if (a->nnaptr + a->nsrv + a->naddr > 0 ||
		    (a->has_cname && a->qtype != DNSMSG_T_CNAME)) {
			/* A bare CNAME counts as data: the caller chases. */
			e->status = DNSQ_OK;
			ttl_s = a->ttl < d->cfg.max_ttl ? a->ttl :
			    d->cfg.max_ttl;
			e->expires_ms = now + ttl_s * 1000;
			return NULL;
		}
		e->status = DNSQ_NODATA;
		break;
	case DNSMSG_RCODE_NXDOMAIN:
		e->status = DNSQ_NXDOMAIN;
		break;
	default:
		e->status = DNSQ_TEMPFAIL;
		e->expires_ms = now + (uint64_t)d->cfg.failure_ttl * 1000;
		d->st.failures++;
		return a->rcode == DNSMSG_RCODE_SERVFAIL ? "SERVFAIL" :
		    a->rcode == DNSMSG_RCODE_REFUSED ? "REFUSED" :
		    "error rcode";
	}
	/* Negative answer: RFC 2308 3 and 5. */
	if (a->has_soa) {
		uint32_t t = a->soa_ttl < a->soa_minimum ? a->soa_ttl :
		    a->soa_minimum;

		if (t > d->cfg.negative_max_ttl)
			t = d->cfg.negative_max_ttl;
		e->negative_ttl = t;
		e->expires_ms = now + (uint64_t)t * 1000;
	} else
		e->expires_ms = now;	/* no SOA: not cacheable */
	return NULL;
}

static void
on_ares(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_entry	*e = arg;
	struct dns		*d = e->dns;
	struct dns_waiter	*w, *next;
	const char		*why;
	struct dnsmsg_answer	*stale = NULL;
	size_t			 stale_size = 0;
	enum dnsq_status	 stale_status = DNSQ_TEMPFAIL;

	(void)timeouts;
	e->pending = false;
	d->pending--;
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		why = "shutdown";
		free(e->ans);
		d->st.bytes -= e->ans_size;
		e->ans = NULL;
		e->ans_size = 0;
		e->status = DNSQ_TEMPFAIL;
		e->rcode = -1;
		e->expires_ms = 0;
	} else {
		/*
		 * Serve-stale (RFC 8767): keep the old answer aside; if the
		 * refresh fails, hand the old one out once more.
		 */
		if (d->cfg.serve_stale && e->valid && e->ans != NULL &&
		    (e->status == DNSQ_OK || e->status == DNSQ_NODATA ||
		    e->status == DNSQ_NXDOMAIN)) {
			stale = e->ans;
			stale_size = e->ans_size;
			stale_status = e->status;
			e->ans = NULL;
			d->st.bytes -= stale_size;
			e->ans_size = 0;
		}
		why = classify(d, e, status, abuf, alen);
		if (stale != NULL) {
			if (e->status == DNSQ_TEMPFAIL) {
				free(e->ans);
				d->st.bytes -= e->ans_size;
				e->ans = stale;
				e->ans_size = stale_size;
				d->st.bytes += stale_size;
				e->status = stale_status;
				e->expires_ms = dns_now_ms() + 30 * 1000;
				why = "stale";
			} else
				free(stale);
		}
	}
	if (why != NULL && e->status == DNSQ_TEMPFAIL)
		log_debug("dns: %s/%u failed: %s", e->name, e->type, why);

	w = e->waiters;
	e->waiters = NULL;
	e->busy++;
	for (; w != NULL; w = next) {
		next = w->next;
		deliver(e, w->cb, w->arg, false, why);
		free(w);
	}
	e->busy--;
	/* An answer asked for the other way than a reload now wants is
	 * delivered to its waiters but not kept (see dns_reconfigure). */
	if (d->cfg.cache_entries == 0 || d->destroying ||
	    e->asked_ad != d->cfg.want_ad)
		entry_free(d, e);
	else
		evict(d);
}

static int
dns_query(void *ctx, const char *name0, uint16_t type, dnsq_cb *cb,
    void *arg)
{
	struct dns		*d = ctx;
	struct dns_entry	*e;
	struct dns_waiter	*w;
	char			 name[DNSMSG_NAME_MAX];
	uint8_t			 q[DNSMSG_QUERY_MAX];
	size_t			 qlen;
	uint32_t		 h;

	if (d->destroying || dnsmsg_name_normalize(name0, name,
	    sizeof(name)) != 0)
		return -1;
	h = entry_hash(name, type);
	e = entry_find(d, name, type, h);
	if (e != NULL && !e->pending && e->valid &&
	    dns_now_ms() < e->expires_ms) {
		d->st.cache_hits++;
		lru_unlink(d, e);
		lru_push(d, e);
		deliver(e, cb, arg, true, e->status == DNSQ_TEMPFAIL ?
		    "cached failure" : NULL);
		return 0;
	}
	if ((w = malloc(sizeof(*w))) == NULL)
		return -1;
	w->cb = cb;
	w->arg = arg;
	w->next = NULL;
	if (e != NULL && e->pending) {
		struct dns_waiter **tail = &e->waiters;

		/* Waiters are answered in arrival order. */
		while (*tail != NULL)
			tail = &(*tail)->next;
		*tail = w;
		d->st.coalesced++;
		return 0;
	}
	qlen = dnsmsg_build_query(name, type, 0, d->cfg.want_ad, true, q,
	    sizeof(q));
	if (qlen == 0) {
		free(w);
		return -1;
	}
	if (e == NULL) {
		size_t	 nl = strlen(name) + 1;

		if ((e = calloc(1, sizeof(*e) + nl)) == NULL) {
			free(w);
			return -1;
		}
		memcpy(e->name, name, nl);
		e->hash = h;
		e->type = type;
		e->dns = d;
		e->hnext = d->buckets[h & (DNS_BUCKETS - 1)];
		d->buckets[h & (DNS_BUCKETS - 1)] = e;
		d->st.entries++;
	} else
		lru_unlink(d, e);
	lru_push(d, e);
	e->waiters = w;
	e->pending = true;
	e->asked_ad = d->cfg.want_ad;
	d->pending++;
	d->st.queries_sent++;
	ares_send(d->channel, q, (int)qlen, on_ares, e);
	/*
	 * ares_timeout() walks every query in flight: with a timer already
	 * armed (for an older query, due no later than this one) skip it.
	 */
	if (!su_timer_is_set(d->timer))
		arm_timer(d);
	return 0;
}

static void
on_timer(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct dns	*d = (struct dns *)arg;

	(void)magic;
	(void)t;
	ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	arm_timer(d);
}

static void
arm_timer(struct dns *d)
{
	struct timeval	 tv, *tvp;
	su_duration_t	 ms;

	if (d->destroying)
		return;
	tvp = ares_timeout(d->channel, NULL, &tv);
	if (tvp == NULL) {
		su_timer_reset(d->timer);
		return;
	}
	ms = (su_duration_t)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
	su_timer_set_interval(d->timer, on_timer, (su_timer_arg_t *)d,
	    ms > 0 ? ms : 1);
}

static int
on_sock(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct dns	*d = (struct dns *)arg;
	ares_socket_t	 fd = w->fd;
	int		 ev = su_wait_events(w, fd);

	(void)magic;
	ares_process_fd(d->channel,
	    ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR) ? fd :
	    ARES_SOCKET_BAD, ev & SU_WAIT_OUT ? fd : ARES_SOCKET_BAD);
	/* An armed timer may now be early, never late: keep it. */
	if (!su_timer_is_set(d->timer))
		arm_timer(d);
	return 0;
}

/* c-ares tells us which sockets to watch and for what. */
static void
on_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns	*d = data;
	int		 events = (readable ? SU_WAIT_IN : 0) |
	    (writable ? SU_WAIT_OUT : 0);
	size_t		 i;

	for (i = 0; i < d->nsocks; i++)
		if (d->socks[i].fd == fd)
			break;
	if (events == 0) {
		if (i < d->nsocks) {
			su_root_deregister(d->root, d->socks[i].index);
			d->socks[i] = d->socks[--d->nsocks];
		}
		return;
	}
	if (i < d->nsocks) {
		su_root_eventmask(d->root, d->socks[i].index, fd, events);
		return;
	}
	if (d->nsocks >= DNS_MAX_SOCKS) {
		log_warnx("dns: more than %d resolver sockets",
		    DNS_MAX_SOCKS);
		return;
	}
	{
		su_wait_t	 wait[1];
		int		 index;

		if (su_wait_create(wait, fd, events) != 0) {
			log_warnx("dns: su_wait_create failed");
			return;
		}
		index = su_root_register(d->root, wait, on_sock,
		    (su_wakeup_arg_t *)d, 0);
		if (index <= 0) {
			su_wait_destroy(wait);
			log_warnx("dns: su_root_register failed");
			return;
		}
		d->socks[d->nsocks].fd = fd;
		d->socks[d->nsocks].index = index;
		d->nsocks++;
	}
}

struct dns *
dns_create(su_root_t *root, const struct dns_config *cfg)
{
	struct dns		*d;
	struct ares_options	 o;
	int			 mask, rc;
	static bool		 ares_ready;

	if (!ares_ready) {
		if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != 0) {
			log_warnx("dns: ares_library_init: %s",
			    ares_strerror(rc));
			return NULL;
		}
		ares_ready = true;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((d->buckets = calloc(DNS_BUCKETS, sizeof(*d->buckets))) == NULL) {
		free(d);
		return NULL;
	}
	d->root = root;
	d->cfg = *cfg;
	if (d->cfg.cache_bytes == 0)
		d->cfg.cache_bytes = 64u << 20;
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = d;
	o.timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : 2000;
	o.tries = cfg->tries > 0 ? cfg->tries : 2;
	/*
	 * NOCHECKRESP: hand SERVFAIL/REFUSED to us at once instead of
	 * retrying and reporting ECONNREFUSED; EDNS: accept answers up to
	 * 1232 bytes over UDP (RFC 6116 7.1: cope with DNSSEC-sized
	 * answers); truncated ones are retried over TCP by c-ares.
	 */
	o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS;
	o.ednspsz = 1232;
	o.lookups = (char *)"b";
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_LOOKUPS;
	if ((rc = ares_init_options(&d->channel, &o, mask)) != ARES_SUCCESS) {
		log_warnx("dns: ares_init_options: %s", ares_strerror(rc));
		free(d->buckets);
		free(d);
		return NULL;
	}
	if (cfg->nservers > 0) {
		char	 csv[16 * 64] = "";

		for (size_t i = 0; i < cfg->nservers && i < 16; i++) {
			if (i > 0)
				strncat(csv, ",", sizeof(csv) - strlen(csv) -
				    1);
			strncat(csv, cfg->servers[i], sizeof(csv) -
			    strlen(csv) - 1);
		}
		if ((rc = ares_set_servers_ports_csv(d->channel, csv)) !=
		    ARES_SUCCESS) {
			log_warnx("dns: bad resolver list \"%s\": %s", csv,
			    ares_strerror(rc));
			ares_destroy(d->channel);
			free(d->buckets);
			free(d);
			return NULL;
		}
	}
	d->timer = su_timer_create(su_root_task(root), 0);
	d->ops.query = dns_query;
	d->ops.ctx = d;
	return d;
}

void
dns_destroy(struct dns *d)
{
	if (d == NULL)
		return;
	d->destroying = true;
	/* Every pending query completes with ARES_EDESTRUCTION here. */
	ares_destroy(d->channel);
	while (d->lru_head != NULL)
		entry_free(d, d->lru_head);
	for (size_t i = 0; i < d->nsocks; i++)
		su_root_deregister(d->root, d->socks[i].index);
	su_timer_destroy(d->timer);
	free(d->buckets);
	free(d);
}

/*
 * A reload (gateway/reload.c).  An entry's lifetime was fixed when its
 * answer came; a lower cap now shortens it to at most the new cap from
 * now, so "a failure is cached for servfail_ttl" holds right after the
 * reload too.  A higher cap applies to answers that arrive later.  A
 * change of the AD bit empties the cache; answers still in flight then
 * reach their waiters and are not kept.
 */
void
dns_reconfigure(struct dns *d, const struct dns_config *cfg)
{
	struct dns_entry	*e;
	uint64_t		 now = dns_now_ms(), cap;
	bool			 flush = d->cfg.want_ad != cfg->want_ad;

	d->cfg.want_ad = cfg->want_ad;
	d->cfg.max_ttl = cfg->max_ttl;
	d->cfg.negative_max_ttl = cfg->negative_max_ttl;
	d->cfg.failure_ttl = cfg->failure_ttl;
	d->cfg.serve_stale = cfg->serve_stale;
	d->cfg.cache_entries = cfg->cache_entries;
	if (flush) {
		dns_cache_flush(d);
		log_info("dns: AD bit %s in queries; cache emptied",
		    d->cfg.want_ad ? "set" : "no longer set");
	}
	for (e = d->lru_head; e != NULL; e = e->next) {
		if (e->pending || !e->valid)
			continue;
		switch (e->status) {
		case DNSQ_OK:
			cap = d->cfg.max_ttl;
			break;
		case DNSQ_NODATA:
		case DNSQ_NXDOMAIN:
			cap = d->cfg.negative_max_ttl;
			break;
		default:
			cap = d->cfg.failure_ttl;
			break;
		}
		if (e->expires_ms > now + cap * 1000)
			e->expires_ms = now + cap * 1000;
	}
	evict(d);
}

const struct dnsq_ops *
dns_ops(struct dns *d)
{
	return &d->ops;
}

void
dns_get_stats(const struct dns *d, struct dns_stats *st)
{
	*st = d->st;
}

void
dns_cache_flush(struct dns *d)
{
	struct dns_entry *e = d->lru_tail, *prev;

	for (; e != NULL; e = prev) {
		prev = e->prev;
		if (!e->pending && e->busy == 0)
			entry_free(d, e);
	}
}

size_t
dns_pending(const struct dns *d)
{
	return d->pending;
}
