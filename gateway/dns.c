/*
 * gateway/dns.c - c-ares on the su_root loop, with imgate's own cache.
 *
 * Below every resolution stage.  One ares_channel per configured server
 * (one for /etc/resolv.conf when none is configured); for each,
 * ARES_OPT_SOCK_STATE_CB tells us which sockets to watch,
 * su_root_register() watches them and readiness goes to
 * ares_process_fd() of the channel that owns the socket; one su_timer
 * follows the earliest ares_timeout() of all channels.
 *
 * Server health (docs/ARCHITECTURE.md "DNS server health").  c-ares 1.18
 * keeps no per-server health: with several servers in one channel it
 * asks them in order on every query and a frozen first server costs
 * every query its full timeout.  So each server has a channel of its own
 * and enum/dnshealth chooses: a query goes to the server it picks (hunt
 * or round-robin over the servers in service), and when that server
 * gives no usable answer (timeout, SERVFAIL, REFUSED, refused
 * connection) the query goes, with a fresh ID, to the next one it picks.
 * dns.health.failures such failures in a row take the server out of
 * service (logged); every dns.health.interval_ms it is sent the probe
 * query on its channel, and an answer puts it back (logged).  NXDOMAIN
 * and NODATA are answers.  Retries and probes pass the same answer
 * checks as every query.
 *
 * Queries are built by enum/dnsmsg (so the AD bit can be set, RFC 6840
 * 5.7) and sent with ares_send(); replies are parsed by enum/dnsmsg,
 * which sees TTLs, SOA and AD that c-ares 1.18 hides.
 *
 * The cache maps (name, type) to a parsed answer block (one allocation,
 * see dnsmsg_parse()).  A positive answer lives for min(TTL, max_ttl), a
 * negative one for min(SOA TTL, SOA MINIMUM, negative_max_ttl) and not at
 * all without SOA (RFC 2308 3, 5), a failure for failure_ttl seconds (RFC
 * 2308 7 allows up to five minutes).  An entry in flight collects waiters,
 * so N identical questions send one query.  Entries are evicted least
 * recently used first when the entry or byte cap is reached; an entry in
 * flight or being delivered is never evicted.  The hash table is keyed by
 * SipHash-2-4 under 128 random bits drawn at start (enum/siphash.h): the
 * names come from the network, and an unkeyed hash would let anyone who
 * publishes records fill one bucket.
 *
 * Answer authenticity (docs/ARCHITECTURE.md "DNS answer authenticity").
 * c-ares 1.18 takes the query ID from the buffer given to ares_send()
 * (it does not make one up), matches answers by ID and compares the
 * question case-INsensitively, then ends the query with the first match:
 * a forged answer in the wrong case that arrives first would win.  Its
 * options offer nothing stricter (no ARES_OPT_UDP_MAX_QUERIES, no 0x20;
 * both came in later releases), but ares_set_socket_functions() hands us
 * every socket call.  So:
 *  - each query gets a fresh random ID from getrandom() (a 512-byte pool),
 *    unique among the queries in flight (enum/dnsauth's 65536-slot
 *    table), and with dns.case_randomization the letters of its name in
 *    random case (DNS 0x20);
 *  - our arecvfrom() reads every UDP datagram first and passes on only
 *    one whose ID is in flight and whose question is byte for byte a form
 *    that we sent (dnsauth_judge()).  The rest are dropped, counted and
 *    logged (debug each, a warning at most every 10 s); c-ares never sees
 *    them and goes on waiting for the genuine answer.  An empty datagram
 *    is dropped too: c-ares would take it for a socket error and reset
 *    the server's sockets;
 *  - an answer that matches but for the case (a server that does not
 *    echo case, or a forger) is not accepted: the query is sent again at
 *    once with the name in lower case (once per query), and after
 *    DNS_0X20_STRIKES such answers from one server within
 *    DNS_0X20_WINDOW_MS that server gets lower-case names for
 *    DNS_0X20_HOLD_MS, logged once each time;
 *  - sockets are ours: non-blocking, close-on-exec, connected (so the
 *    kernel drops datagrams from other addresses), the UDP source port
 *    chosen at random by the kernel.  c-ares keeps one UDP socket per
 *    server while any query is in flight and closes them all when none
 *    is (no ARES_FLAG_STAYOPEN), so a busy gateway would keep one source
 *    port per server; every dns.udp_max_queries queries port_change()
 *    moves the socket to a new port under c-ares (see there), and the
 *    old one is drained of late answers.  docs/imgate.conf.5 says what
 *    operators should do beyond that.
 * TCP is passed through unfiltered: an off-path forger cannot complete
 * the handshake, and c-ares still checks ID and question there.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "enum/dnsauth.h"
#include "enum/dnshealth.h"
#include "enum/siphash.h"
#include "gateway/dns.h"
#include "gateway/log.h"

#define DNS_MAX_SOCKS	32
#define DNS_BUCKETS	(1u << 16)
/* Sockets c-ares may hold: a UDP and a TCP one per server. */
#define DNS_MAX_FDS	(2 * 16)
#define DNS_MAX_SERVERS	16
/* Queries in flight: half the ID space, so a free ID is quick to draw. */
#define DNS_MAX_INFLIGHT	32768
/* Datagrams judged per read call before yielding to the loop. */
#define DNS_MAX_DROPS_PER_READ	64
/* 0x20 fallback: strikes within the window put a server on lower case. */
#define DNS_0X20_STRIKES	3
#define DNS_0X20_WINDOW_MS	(60 * 1000)
#define DNS_0X20_HOLD_MS	(10 * 60 * 1000)
#define DNS_DROP_WARN_MS	(10 * 1000)
#define DNS_RND_POOL	512
/* Old UDP sockets still read after a port change, and how long at most. */
#define DNS_MAX_DRAIN	32
#define DNS_DRAIN_MAX_MS	(30 * 1000)
/* Answers read on an old socket waiting for c-ares, per socket. */
#define DNS_MAX_STASH	8
/* Largest UDP answer read (c-ares 1.18 reads at most 4097 bytes). */
#define DNS_UDP_MAX	4097

/*
 * A query on the wire: what dnsauth_judge() checks answers against, and
 * the query as built (for resend_lower(), which casts from aq: first).
 */
struct dns_inflight {
	struct dnsauth_query	 aq;
	size_t			 len;
	uint8_t			 msg[DNSMSG_QUERY_MAX];
};

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
	uint64_t		 sent_ms;	/* query in flight since */
	enum dnsq_status	 status;
	int64_t			 negative_ttl;
	bool			 secure;
	int			 rcode;
	struct dnsmsg_answer	*ans;		/* owned block, or NULL */
	size_t			 ans_size;
	struct dns_waiter	*waiters;
	struct dns		*dns;
	struct dns_inflight	*inflight;	/* owned while pending */
	int			 chan;		/* server asked now */
	uint32_t		 tried;		/* asked, a bit each */
	char			 name[];	/* absolute, lower-case */
};

struct dns_sock {
	ares_socket_t	 fd;
	struct dns_chan	*chan;
	int		 index;		/* su_root registration */
	int		 events;
};

/* An answer read on an old socket, handed to c-ares by sock_recvfrom(). */
struct dns_stash {
	struct dns_stash	*next;
	size_t			 len;
	uint8_t			 msg[];
};

/* A socket made by our asocket() for c-ares. */
struct dns_fd {
	ares_socket_t		 fd;
	bool			 udp;
	struct dns_chan		*chan;		/* its channel */
	int			 server;	/* index in servers[], -1 */
	unsigned		 sent;		/* queries, this port */
	struct dns_stash	*stash;		/* owned, oldest first */
	size_t			 nstash;
};

/*
 * A UDP socket whose port was retired (dns.udp_max_queries): kept open
 * and read for answers to the queries sent from it, until @until.
 */
struct dns_drain {
	int		 fd;		/* ours alone */
	ares_socket_t	 cfd;		/* c-ares descriptor it was */
	int		 server;
	int		 index;		/* su_root registration */
	uint64_t	 until;
};

/* What we know of one resolver's 0x20 echo. */
struct dns_server {
	struct sockaddr_storage	 addr;
	socklen_t		 alen;
	unsigned		 strikes;
	uint64_t		 window_start;
	uint64_t		 plain_until;	/* lower case until */
};

/*
 * One configured server and its c-ares channel (the socket functions'
 * and sock_state_cb's argument, so each socket is found again).
 */
struct dns_chan {
	struct dns		*d;
	ares_channel		 ch;
	int			 idx;
	char			 name[64];	/* as configured */
};

/* A health probe in flight (owned by c-ares' callback argument). */
struct dns_probe {
	struct dns		*d;
	int			 chan;
	struct dns_inflight	*inf;		/* owned */
};

struct dns {
	su_root_t		*root;
	struct dns_chan		 chans[DNS_MAX_SERVERS];
	size_t			 nchans;
	struct dnshealth	 health;
	su_timer_t		*health_timer;
	char			 probe_name[DNSMSG_NAME_MAX];
	uint16_t		 probe_type;
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
	bool			 case_rand;
	struct dnsauth_table	*auth;	/* queries in flight */
	struct dns_fd		 fds[DNS_MAX_FDS];
	size_t			 nfds;
	struct dns_server	 servers[DNS_MAX_SERVERS];
	size_t			 nservers;
	uint64_t		 last_drop_warn;
	unsigned		 udp_max_queries;	/* 0: no port change */
	struct dns_drain	 drains[DNS_MAX_DRAIN];
	size_t			 ndrains;
	su_timer_t		*drain_timer;
	uint8_t			 hashkey[SIPHASH_KEY_SIZE];
	uint8_t			 pool[DNS_RND_POOL];
	size_t			 pool_left;
};

static void	arm_timer(struct dns *);
static int	on_sock(su_root_magic_t *, su_wait_t *, su_wakeup_arg_t *);

uint64_t
dns_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* SipHash-2-4 of the name and the type under the run's secret key. */
static uint32_t
entry_hash(const struct dns *d, const char *name, uint16_t type)
{
	uint8_t	 buf[DNSMSG_NAME_MAX + 2];
	size_t	 n = strnlen(name, DNSMSG_NAME_MAX);

	memcpy(buf, name, n);
	buf[n] = (uint8_t)(type >> 8);
	buf[n + 1] = (uint8_t)type;
	return (uint32_t)siphash24(d->hashkey, buf, n + 2);
}

/*
 * @n random bytes from the pool, refilled from getrandom() (the kernel's
 * CSPRNG; GRND_NONBLOCK never waits once dns_create() has drawn the key).
 * Bytes handed out are wiped from the pool.
 * @return 0, or -1 when the kernel gives none
 */
static int
dns_random(struct dns *d, void *out, size_t n)
{
	uint8_t	*p;

	if (n > sizeof(d->pool))
		return -1;
	if (d->pool_left < n) {
		if (getrandom(d->pool, sizeof(d->pool), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(d->pool))
			return -1;
		d->pool_left = sizeof(d->pool);
	}
	p = d->pool + sizeof(d->pool) - d->pool_left;
	memcpy(out, p, n);
	memset(p, 0, n);
	d->pool_left -= n;
	return 0;
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
	uint64_t		 now;

	memset(&res, 0, sizeof(res));
	res.status = e->status;
	res.ans = e->ans;
	res.secure = e->secure;
	res.rcode = e->rcode;
	res.from_cache = from_cache;
	res.why = why;
	res.negative_ttl = -1;
	res.failure_ttl = -1;
	/* The clock only for what is left of a TTL: not for an answer. */
	if (e->status == DNSQ_NODATA || e->status == DNSQ_NXDOMAIN) {
		now = dns_now_ms();
		/* What is left of the negative TTL (RFC 2308 5). */
		if (e->negative_ttl >= 0)
			res.negative_ttl = e->expires_ms > now ?
			    (int64_t)((e->expires_ms - now + 999) / 1000) : 0;
		if (!from_cache)
			res.negative_ttl = e->negative_ttl;
	} else if (e->status == DNSQ_TEMPFAIL) {
		now = dns_now_ms();
		res.failure_ttl = e->expires_ms > now ?
		    (int64_t)((e->expires_ms - now + 999) / 1000) : 0;
	}
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

/* The metrics of a completed query (gateway/metrics reads them). */
static void
count_answer(struct dns *d, const struct dns_entry *e)
{
	static const uint64_t	 bounds[] = DNS_LATENCY_BOUNDS_MS;
	uint64_t		 now = dns_now_ms();
	uint64_t		 ms = now > e->sent_ms ? now - e->sent_ms : 0;
	size_t			 i;

	if ((size_t)e->status <= DNSQ_TEMPFAIL)
		d->st.answers[e->status]++;
	for (i = 0; i < DNS_LATENCY_NB && ms > bounds[i]; i++)
		;
	d->st.latency[i]++;
	d->st.latency_sum_ms += ms;
}

/*
 * Build the query for @name/@type with a fresh random ID that no query in
 * flight has, and with dns.case_randomization its 0x20 form.
 * @return the owned record (not yet in the table), or NULL (logged)
 */
static struct dns_inflight *
new_inflight(struct dns *d, const char *name, uint16_t type)
{
	struct dns_inflight	*inf;
	uint8_t			 rnd[DNSAUTH_RND_BYTES];
	uint16_t		 id;
	int			 tries;

	if (d->auth->n >= DNS_MAX_INFLIGHT) {
		d->st.refused++;
		log_warnx("dns: %zu queries in flight; %s refused",
		    d->auth->n, name);
		return NULL;
	}
	for (tries = 0; ; tries++) {
		if (tries == 64 || dns_random(d, &id, sizeof(id)) != 0) {
			d->st.refused++;
			log_warnx("dns: no random query ID; %s refused", name);
			return NULL;
		}
		if (dnsauth_find(d->auth, id) == NULL)
			break;
	}
	if (d->case_rand && dns_random(d, rnd, sizeof(rnd)) != 0) {
		d->st.refused++;
		log_warnx("dns: no random bits for 0x20; %s refused", name);
		return NULL;
	}
	if ((inf = malloc(sizeof(*inf))) == NULL)
		return NULL;
	inf->len = dnsmsg_build_query(name, type, id, d->cfg.want_ad, true,
	    inf->msg, sizeof(inf->msg));
	if (inf->len == 0 || dnsauth_query_init(&inf->aq, inf->msg, inf->len,
	    d->case_rand ? rnd : NULL) != 0) {
		free(inf);
		return NULL;
	}
	/* c-ares holds the 0x20 form; our asendv() may send it lower. */
	dnsauth_set_question(&inf->aq, inf->aq.cased, inf->msg, inf->len);
	return inf;
}

static struct dns_fd *
fd_find(struct dns *d, ares_socket_t fd)
{
	for (size_t i = 0; i < d->nfds; i++)
		if (d->fds[i].fd == fd)
			return &d->fds[i];
	return NULL;
}

/* A printable form of server @i for log lines. */
static const char *
server_str(const struct dns *d, int i, char *buf, size_t sz)
{
	const struct sockaddr_storage	*ss;
	char				 a[INET6_ADDRSTRLEN] = "?";
	unsigned			 port = 0;

	if (i < 0 || (size_t)i >= d->nservers)
		return "?";
	ss = &d->servers[i].addr;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
	}
	snprintf(buf, sz, "%s port %u", a, port);
	return buf;
}

/* Index of the server at @sa (added when new), or -1. */
static int
server_index(struct dns *d, const struct sockaddr *sa, socklen_t len)
{
	if (len > sizeof(struct sockaddr_storage))
		return -1;
	for (size_t i = 0; i < d->nservers; i++)
		if (d->servers[i].alen == len &&
		    memcmp(&d->servers[i].addr, sa, len) == 0)
			return (int)i;
	if (d->nservers >= DNS_MAX_SERVERS)
		return -1;
	memset(&d->servers[d->nservers], 0, sizeof(d->servers[0]));
	memcpy(&d->servers[d->nservers].addr, sa, len);
	d->servers[d->nservers].alen = len;
	return (int)d->nservers++;
}

/* Does server @i get lower-case names now (it did not echo 0x20)? */
static bool
server_plain(const struct dns *d, int i)
{
	return i >= 0 && (size_t)i < d->nservers &&
	    dns_now_ms() < d->servers[i].plain_until;
}

/* Server @i answered in the wrong case: a strike (see the file comment). */
static void
server_strike(struct dns *d, int i)
{
	struct dns_server	*s;
	uint64_t		 now = dns_now_ms();
	char			 buf[INET6_ADDRSTRLEN + 16];

	if (i < 0 || (size_t)i >= d->nservers)
		return;
	s = &d->servers[i];
	if (now - s->window_start > DNS_0X20_WINDOW_MS) {
		s->window_start = now;
		s->strikes = 0;
	}
	if (++s->strikes < DNS_0X20_STRIKES || now < s->plain_until)
		return;
	s->strikes = 0;
	s->plain_until = now + DNS_0X20_HOLD_MS;
	log_warnx("dns: %s answered %d queries in the wrong letter case "
	    "within %d s (it does not echo DNS 0x20, or answers are being "
	    "forged): lower-case names to it for %d s",
	    server_str(d, i, buf, sizeof(buf)), DNS_0X20_STRIKES,
	    DNS_0X20_WINDOW_MS / 1000, DNS_0X20_HOLD_MS / 1000);
}

/* Count and log a dropped datagram; a warning at most every 10 s. */
static void
note_drop(struct dns *d, enum dnsauth_verdict v, const uint8_t *msg,
    size_t len, int server)
{
	uint64_t	 now = dns_now_ms();
	char		 buf[INET6_ADDRSTRLEN + 16];
	int32_t		 id = dnsmsg_header_id(msg, len);

	switch (v) {
	case DNSAUTH_UNKNOWN_ID:
		d->st.dropped_unknown_id++;
		break;
	case DNSAUTH_WRONG_QUESTION:
		d->st.dropped_question++;
		break;
	case DNSAUTH_WRONG_CASE:
		d->st.dropped_case++;
		break;
	default:
		d->st.dropped_malformed++;
		break;
	}
	log_debug("dns: answer from %s dropped (id %u, %zu bytes): %s",
	    server_str(d, server, buf, sizeof(buf)),
	    (unsigned)(id < 0 ? 0 : id), len,
	    dnsauth_strverdict(v));
	if (now - d->last_drop_warn >= DNS_DROP_WARN_MS ||
	    d->last_drop_warn == 0) {
		d->last_drop_warn = now;
		log_warnx("dns: answers dropped as forged or stray so far: "
		    "%llu unknown id, %llu wrong question, %llu wrong case, "
		    "%llu malformed (last from %s: %s)",
		    (unsigned long long)d->st.dropped_unknown_id,
		    (unsigned long long)d->st.dropped_question,
		    (unsigned long long)d->st.dropped_case,
		    (unsigned long long)d->st.dropped_malformed,
		    server_str(d, server, buf, sizeof(buf)),
		    dnsauth_strverdict(v));
	}
}

/*
 * Send @aq's query once more, now, with the name in lower case (after an
 * answer that matched but for the case).  At most once per query, so a
 * forger cannot make us send more than one extra datagram per query.
 */
static void
resend_lower(struct dns *d, struct dnsauth_query *aq, ares_socket_t fd)
{
	struct dns_inflight	*inf = (struct dns_inflight *)aq;
	uint8_t			 m[DNSMSG_QUERY_MAX];

	if (aq->fallback)
		return;
	aq->fallback = true;
	memcpy(m, inf->msg, inf->len);
	if (dnsauth_set_question(aq, aq->lower, m, inf->len) != 0)
		return;
	if (send(fd, m, inf->len, MSG_NOSIGNAL) == (ssize_t)inf->len) {
		aq->sent |= DNSAUTH_SENT_LOWER;
		d->st.case_fallbacks++;
	}
}

/* ---- source port changes (dns.udp_max_queries) */

static void
stash_clear(struct dns_fd *f)
{
	struct dns_stash	*s, *next;

	for (s = f->stash; s != NULL; s = next) {
		next = s->next;
		free(s);
	}
	f->stash = NULL;
	f->nstash = 0;
}

/* Keep @msg for c-ares' next read of @f (at most DNS_MAX_STASH). */
static bool
stash_push(struct dns_fd *f, const uint8_t *msg, size_t len)
{
	struct dns_stash	*s, **tail;

	if (f->nstash >= DNS_MAX_STASH ||
	    (s = malloc(sizeof(*s) + len)) == NULL)
		return false;
	s->next = NULL;
	s->len = len;
	memcpy(s->msg, msg, len);
	for (tail = &f->stash; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = s;
	f->nstash++;
	return true;
}

/* The oldest stashed answer, as recvfrom() would give it. */
static ssize_t
stash_pop(struct dns *d, struct dns_fd *f, void *buf, size_t len,
    struct sockaddr *from, ares_socklen_t *fromlen)
{
	struct dns_stash	*s = f->stash;
	size_t			 n = s->len < len ? s->len : len;

	memcpy(buf, s->msg, n);
	f->stash = s->next;
	f->nstash--;
	free(s);
	/* c-ares checks the sender against the server's address. */
	if (from != NULL && fromlen != NULL && f->server >= 0 &&
	    (size_t)f->server < d->nservers) {
		socklen_t l = d->servers[f->server].alen;

		if (l > *fromlen)
			l = *fromlen;
		memcpy(from, &d->servers[f->server].addr, l);
		*fromlen = l;
	}
	return (ssize_t)n;
}

/* How long a retired socket is read: as long as a query can live. */
static uint64_t
drain_ms(const struct dns *d)
{
	uint64_t t = (uint64_t)(d->cfg.timeout_ms > 0 ? d->cfg.timeout_ms :
	    2000);
	int	 tries = d->cfg.tries > 0 ? d->cfg.tries : 2;

	t = t * ((1u << (tries < 10 ? tries : 10)) - 1) + 1000;
	return t < DNS_DRAIN_MAX_MS ? t : DNS_DRAIN_MAX_MS;
}

static void
drain_close(struct dns *d, size_t i)
{
	su_root_deregister(d->root, d->drains[i].index);
	close(d->drains[i].fd);
	d->drains[i] = d->drains[--d->ndrains];
}

/* Close the retired sockets whose time is up; re-arm for the next. */
static void
on_drain_timer(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct dns	*d = (struct dns *)arg;
	uint64_t	 now = dns_now_ms(), next = 0;

	(void)magic;
	(void)t;
	for (size_t i = 0; i < d->ndrains; ) {
		if (d->drains[i].until <= now) {
			drain_close(d, i);
			continue;
		}
		if (next == 0 || d->drains[i].until < next)
			next = d->drains[i].until;
		i++;
	}
	if (next != 0)
		su_timer_set_interval(d->drain_timer, on_drain_timer,
		    (su_timer_arg_t *)d, (su_duration_t)(next - now));
}

/*
 * A retired socket is readable: judge what came; a genuine late answer
 * is stashed on the c-ares descriptor the socket once was and c-ares is
 * told to read it there.
 */
static int
on_drain(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct dns		*d = (struct dns *)arg;
	struct dnsauth_query	*aq;
	struct dns_fd		*f;
	enum dnsauth_verdict	 v;
	uint8_t			 buf[DNS_UDP_MAX];
	ares_socket_t		 cfd = ARES_SOCKET_BAD;
	int			 server = -1;
	bool			 stashed = false;
	ssize_t			 n;
	size_t			 i;

	(void)magic;
	for (i = 0; i < d->ndrains; i++)
		if (d->drains[i].fd == w->fd)
			break;
	if (i == d->ndrains) {
		(void)recv(w->fd, buf, sizeof(buf), 0);
		return 0;
	}
	cfd = d->drains[i].cfd;
	server = d->drains[i].server;
	for (int k = 0; k < DNS_MAX_DROPS_PER_READ; k++) {
		n = recv(w->fd, buf, sizeof(buf), 0);
		if (n < 0)
			break;
		v = dnsauth_judge(d->auth, buf, (size_t)n, &aq);
		if (v != DNSAUTH_ACCEPT) {
			note_drop(d, v, buf, (size_t)n, server);
			if (v == DNSAUTH_WRONG_CASE) {
				server_strike(d, server);
				if (fd_find(d, cfd) != NULL)
					resend_lower(d, aq, cfd);
			}
			continue;
		}
		/* Handed over at once: c-ares reads the stash first. */
		f = fd_find(d, cfd);
		if (f != NULL && f->udp && f->server == server &&
		    stash_push(f, buf, (size_t)n)) {
			ares_process_fd(f->chan->ch, cfd, ARES_SOCKET_BAD);
			stashed = true;
		}
	}
	if (stashed && !su_timer_is_set(d->timer))
		arm_timer(d);
	return 0;
}

/*
 * Give the c-ares UDP socket @f a new source port: a new socket,
 * connected to the same server (the kernel picks a random port), takes
 * over @f's descriptor number with dup2(), so c-ares goes on with it
 * unaware; the old socket stays open under a new number and is read by
 * on_drain() until the queries sent from it are over.  The su_root
 * registration of the descriptor is renewed around the dup2() (epoll
 * registers the open socket, not the number).  Nothing happens when
 * DNS_MAX_DRAIN old sockets are already draining: the port is kept.
 */
static void
port_change(struct dns *d, struct dns_fd *f)
{
	struct dns_server	*s;
	struct dns_sock		*ws = NULL;
	su_wait_t		 wait[1];
	int			 nfd, old, index;

	if (d->ndrains >= DNS_MAX_DRAIN || f->server < 0 ||
	    (size_t)f->server >= d->nservers)
		return;
	s = &d->servers[f->server];
	for (size_t i = 0; i < d->nsocks; i++)
		if (d->socks[i].fd == f->fd)
			ws = &d->socks[i];
	nfd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (nfd < 0)
		return;
	if (connect(nfd, (struct sockaddr *)&s->addr, s->alen) != 0 ||
	    (old = fcntl(f->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		close(nfd);
		return;
	}
	if (ws != NULL)
		su_root_deregister(d->root, ws->index);
	if (dup2(nfd, f->fd) < 0) {
		/* Not expected; keep the old socket where it was. */
		close(old);
		old = -1;
	}
	close(nfd);
	if (ws != NULL) {
		index = -1;
		if (su_wait_create(wait, f->fd, ws->events) == 0 &&
		    (index = su_root_register(d->root, wait, on_sock,
		    (su_wakeup_arg_t *)ws->chan, 0)) <= 0)
			su_wait_destroy(wait);
		if (index <= 0) {
			log_warnx("dns: cannot watch the resolver socket "
			    "again");
			*ws = d->socks[--d->nsocks];
		} else
			ws->index = index;
	}
	f->sent = 0;
	if (old < 0)
		return;
	d->st.port_changes++;
	index = -1;
	if (su_wait_create(wait, old, SU_WAIT_IN) == 0 &&
	    (index = su_root_register(d->root, wait, on_drain,
	    (su_wakeup_arg_t *)d, 0)) <= 0)
		su_wait_destroy(wait);
	if (index <= 0) {
		close(old);
		return;
	}
	d->drains[d->ndrains].fd = old;
	d->drains[d->ndrains].cfd = f->fd;
	d->drains[d->ndrains].server = f->server;
	d->drains[d->ndrains].index = index;
	d->drains[d->ndrains].until = dns_now_ms() + drain_ms(d);
	d->ndrains++;
	if (!su_timer_is_set(d->drain_timer))
		su_timer_set_interval(d->drain_timer, on_drain_timer,
		    (su_timer_arg_t *)d, (su_duration_t)drain_ms(d));
}

/* ---- the socket functions c-ares calls (ares_set_socket_functions) */

static ares_socket_t
sock_open(int af, int type, int proto, void *arg)
{
	struct dns_chan	*c = arg;
	struct dns	*d = c->d;
	int		 fd;

	if (d->nfds >= DNS_MAX_FDS) {
		errno = EMFILE;
		return ARES_SOCKET_BAD;
	}
	/* What c-ares' configure_socket() does for its own sockets. */
	fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return ARES_SOCKET_BAD;
	memset(&d->fds[d->nfds], 0, sizeof(d->fds[0]));
	d->fds[d->nfds].fd = fd;
	d->fds[d->nfds].udp = type == SOCK_DGRAM;
	d->fds[d->nfds].server = -1;
	d->fds[d->nfds].chan = c;
	d->nfds++;
	return fd;
}

static int
sock_close(ares_socket_t fd, void *arg)
{
	struct dns	*d = ((struct dns_chan *)arg)->d;
	struct dns_fd	*f = fd_find(d, fd);

	if (f != NULL) {
		stash_clear(f);
		*f = d->fds[--d->nfds];
	}
	return close(fd);
}

static int
sock_connect(ares_socket_t fd, const struct sockaddr *sa, ares_socklen_t len,
    void *arg)
{
	struct dns	*d = ((struct dns_chan *)arg)->d;
	struct dns_fd	*f = fd_find(d, fd);

	/*
	 * Connected: the kernel delivers only datagrams from the server
	 * and picks the source port at random among its ephemeral ports.
	 */
	if (f != NULL)
		f->server = server_index(d, sa, len);
	return connect(fd, sa, len);
}

/*
 * Every UDP datagram stops here first: only an answer to a query in
 * flight, question byte for byte as sent, goes on to c-ares.
 */
static ares_ssize_t
sock_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
    struct sockaddr *from, ares_socklen_t *fromlen, void *arg)
{
	struct dns		*d = ((struct dns_chan *)arg)->d;
	struct dns_fd		*f = fd_find(d, fd);
	struct dnsauth_query	*aq;
	enum dnsauth_verdict	 v;
	ares_socklen_t		 fl = fromlen != NULL ? *fromlen : 0;
	ssize_t			 n;

	if (f == NULL || !f->udp)
		return recvfrom(fd, buf, len, flags, from, fromlen);
	for (int i = 0; i < DNS_MAX_DROPS_PER_READ; i++) {
		if (fromlen != NULL)
			*fromlen = fl;
		if (f->stash != NULL)
			n = stash_pop(d, f, buf, len, from, fromlen);
		else
			n = recvfrom(fd, buf, len, flags, from, fromlen);
		if (n < 0)
			return n;
		/* Judged again: the query may have ended meanwhile. */
		v = dnsauth_judge(d->auth, buf, (size_t)n, &aq);
		if (v == DNSAUTH_ACCEPT)
			return n;
		note_drop(d, v, buf, (size_t)n, f->server);
		if (v == DNSAUTH_WRONG_CASE) {
			server_strike(d, f->server);
			resend_lower(d, aq, fd);
		}
	}
	/* More waiting: the loop calls again (level-triggered). */
	errno = EAGAIN;
	return -1;
}

/*
 * c-ares sends each UDP query as one buffer; the name goes out in its
 * 0x20 form unless the query or its server fell back to lower case.
 */
static ares_ssize_t
sock_sendv(ares_socket_t fd, const struct iovec *iov, int iovcnt, void *arg)
{
	struct dns		*d = ((struct dns_chan *)arg)->d;
	struct dns_fd		*f = fd_find(d, fd);
	struct dnsauth_query	*aq;
	struct msghdr		 mh;
	uint8_t			 m[DNSMSG_QUERY_MAX];
	const uint8_t		*p;
	bool			 plain;
	ssize_t			 n;

	if (f != NULL && f->udp && d->udp_max_queries > 0 &&
	    f->sent >= d->udp_max_queries)
		port_change(d, f);
	if (f != NULL && f->udp)
		f->sent++;
	if (f != NULL && f->udp && iovcnt == 1 &&
	    iov[0].iov_len >= DNSMSG_HDR_LEN &&
	    iov[0].iov_len <= sizeof(m)) {
		p = iov[0].iov_base;
		aq = dnsauth_find(d->auth,
		    (uint16_t)dnsmsg_header_id(p, iov[0].iov_len));
		if (aq != NULL) {
			plain = aq->fallback || server_plain(d, f->server);
			memcpy(m, p, iov[0].iov_len);
			if (dnsauth_set_question(aq, plain ? aq->lower :
			    aq->cased, m, iov[0].iov_len) == 0) {
				n = send(fd, m, iov[0].iov_len, MSG_NOSIGNAL);
				if (n > 0)
					aq->sent |= plain ? DNSAUTH_SENT_LOWER :
					    DNSAUTH_SENT_CASED;
				return n;
			}
		}
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	return sendmsg(fd, &mh, MSG_NOSIGNAL);
}

static const struct ares_socket_functions dns_sockfuncs = {
	sock_open, sock_close, sock_connect, sock_recvfrom, sock_sendv
};

/* ---- server health (enum/dnshealth; see the file comment) */

static void	on_ares(void *, int, int, unsigned char *, int);

/*
 * What a completed query says of the server asked: DNSHEALTH_ANSWER,
 * DNSHEALTH_FAILURE, or -1 when it says nothing (shutdown, an answer
 * that failed the checks, no memory).
 */
static int
outcome(int status, const unsigned char *abuf, int alen)
{
	int	 rcode;

	switch (status) {
	case ARES_SUCCESS:
		rcode = abuf != NULL && alen > 0 ?
		    dnsmsg_header_rcode(abuf, (size_t)alen) : -1;
		return rcode == DNSMSG_RCODE_SERVFAIL ||
		    rcode == DNSMSG_RCODE_REFUSED ? DNSHEALTH_FAILURE :
		    DNSHEALTH_ANSWER;
	case ARES_ETIMEOUT:
	case ARES_ECONNREFUSED:
	case ARES_ESERVFAIL:
	case ARES_EREFUSED:
		return DNSHEALTH_FAILURE;
	default:
		return -1;
	}
}

/* Why a query to a server failed, for log lines. */
static const char *
failure_str(int status, const unsigned char *abuf, int alen)
{
	if (status != ARES_SUCCESS)
		return ares_strerror(status);
	if (abuf != NULL && alen > 0 &&
	    dnsmsg_header_rcode(abuf, (size_t)alen) == DNSMSG_RCODE_REFUSED)
		return "REFUSED";
	return "SERVFAIL";
}

static void	on_health_timer(su_root_magic_t *, su_timer_t *,
		    su_timer_arg_t *);

/* Arm the health timer for the next probe due, if any. */
static void
health_arm(struct dns *d)
{
	uint64_t	 t = dnshealth_next_probe(&d->health), now;

	if (d->destroying || t == 0)
		return;
	now = dns_now_ms();
	su_timer_set_interval(d->health_timer, on_health_timer,
	    (su_timer_arg_t *)d, t > now ? (su_duration_t)(t - now) : 1);
}

/* Log a state change of server @i (and arm the probe when it left). */
static void
health_event(struct dns *d, int i, enum dnshealth_event ev, const char *why)
{
	const struct dnshealth_server	*s = &d->health.s[i];

	if (ev == DNSHEALTH_EV_DOWN) {
		log_warnx("dns: server %s out of service after %u failures "
		    "in a row (last: %s); probe %s type %u in %llu ms; %zu "
		    "of %zu servers in service", d->chans[i].name,
		    s->consecutive, why, d->probe_name, d->probe_type,
		    (unsigned long long)d->health.interval_ms,
		    dnshealth_in_service(&d->health), d->health.n);
		health_arm(d);
	} else if (ev == DNSHEALTH_EV_UP)
		log_info("dns: server %s back in service (%s); %zu of %zu "
		    "servers in service", d->chans[i].name, why,
		    dnshealth_in_service(&d->health), d->health.n);
}

/*
 * Send @e's query @inf (owned by @e from here on) to server @chan.
 * Touches nothing of @e after ares_send(), which may answer at once.
 */
static void
send_entry(struct dns *d, struct dns_entry *e, struct dns_inflight *inf,
    int chan)
{
	uint8_t	 q[DNSMSG_QUERY_MAX];
	size_t	 qlen = inf->len;

	memcpy(q, inf->msg, qlen);
	e->pending = true;
	/* In the table before ares_send(), which may answer at once. */
	dnsauth_add(d->auth, &inf->aq);
	e->inflight = inf;
	e->asked_ad = d->cfg.want_ad;
	e->chan = chan;
	/* The latency metric runs from the first server asked. */
	if (e->tried == 0)
		e->sent_ms = dns_now_ms();
	e->tried |= UINT32_C(1) << chan;
	d->pending++;
	d->st.queries_sent++;
	ares_send(d->chans[chan].ch, q, (int)qlen, on_ares, e);
	/*
	 * ares_timeout() walks every query in flight: with a timer already
	 * armed (for an older query, due no later than this one) skip it.
	 */
	if (!su_timer_is_set(d->timer))
		arm_timer(d);
}

/*
 * Server e->chan gave no usable answer: ask the next server in service
 * not yet asked, with a fresh query ID.
 * @return true when the query went out again (e is pending once more)
 */
static bool
retry_entry(struct dns *d, struct dns_entry *e, const char *why)
{
	struct dns_inflight	*inf;
	int			 next;

	next = dnshealth_pick(&d->health, e->tried);
	if (next < 0 || (inf = new_inflight(d, e->name, e->type)) == NULL)
		return false;
	log_debug("dns: %s/%u: no answer from %s (%s); asking %s", e->name,
	    e->type, d->chans[e->chan].name, why, d->chans[next].name);
	d->st.server_retries++;
	send_entry(d, e, inf, next);
	return true;
}

static void
on_probe(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct dns_probe	*p = arg;
	struct dns		*d = p->d;
	enum dnshealth_event	 ev;
	int			 o;

	(void)timeouts;
	if (status == ARES_SUCCESS && !dnsauth_answers(&p->inf->aq, abuf,
	    alen > 0 ? (size_t)alen : 0))
		status = ARES_EBADRESP;
	dnsauth_del(d->auth, &p->inf->aq);
	free(p->inf);
	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED ||
	    d->destroying) {
		free(p);
		return;
	}
	o = outcome(status, abuf, alen);
	ev = dnshealth_probe_result(&d->health, (size_t)p->chan,
	    o == DNSHEALTH_ANSWER ? DNSHEALTH_ANSWER : DNSHEALTH_FAILURE,
	    dns_now_ms());
	if (o != DNSHEALTH_ANSWER)
		log_info("dns: probe of server %s failed (%s); still out of "
		    "service, next probe in %llu ms", d->chans[p->chan].name,
		    o < 0 ? ares_strerror(status) :
		    failure_str(status, abuf, alen),
		    (unsigned long long)d->health.interval_ms);
	health_event(d, p->chan, ev, "answered the probe");
	free(p);
	health_arm(d);
}

/* Send the probe query to server @i (out of service, probe due). */
static void
probe_send(struct dns *d, int i)
{
	struct dns_probe	*p;
	uint8_t			 q[DNSMSG_QUERY_MAX];
	size_t			 qlen;

	if ((p = calloc(1, sizeof(*p))) == NULL || (p->inf =
	    new_inflight(d, d->probe_name, d->probe_type)) == NULL) {
		free(p);
		(void)dnshealth_probe_result(&d->health, (size_t)i,
		    DNSHEALTH_FAILURE, dns_now_ms());
		return;
	}
	p->d = d;
	p->chan = i;
	qlen = p->inf->len;
	memcpy(q, p->inf->msg, qlen);
	dnsauth_add(d->auth, &p->inf->aq);
	log_debug("dns: probing server %s with %s type %u",
	    d->chans[i].name, d->probe_name, d->probe_type);
	ares_send(d->chans[i].ch, q, (int)qlen, on_probe, p);
	if (!su_timer_is_set(d->timer))
		arm_timer(d);
}

static void
on_health_timer(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct dns	*d = (struct dns *)arg;
	int		 i;

	(void)magic;
	(void)t;
	while ((i = dnshealth_probe_due(&d->health, dns_now_ms())) >= 0)
		probe_send(d, i);
	health_arm(d);
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
	int			 o;

	(void)timeouts;
	e->pending = false;
	d->pending--;
	if (e->inflight != NULL) {
		/*
		 * c-ares matched ID and question (case-insensitively); over
		 * UDP dnsauth_judge() already held it to the exact bytes.
		 * Check the ID and question once more here, on every path
		 * (TCP too), so no other answer can reach the cache.
		 */
		if (status == ARES_SUCCESS &&
		    !dnsauth_answers(&e->inflight->aq, abuf,
		    alen > 0 ? (size_t)alen : 0)) {
			log_warnx("dns: %s/%u: answer does not match the "
			    "query; ignored", e->name, e->type);
			status = ARES_EBADRESP;
		}
		dnsauth_del(d->auth, &e->inflight->aq);
		free(e->inflight);
		e->inflight = NULL;
	}
	if (!d->destroying && (o = outcome(status, abuf, alen)) >= 0) {
		health_event(d, e->chan, dnshealth_report(&d->health,
		    (size_t)e->chan, (enum dnshealth_outcome)o, dns_now_ms()),
		    o == DNSHEALTH_FAILURE ? failure_str(status, abuf, alen) :
		    "answered a query");
		/* Failover only when the server gave no usable answer. */
		if (o == DNSHEALTH_FAILURE && retry_entry(d, e,
		    failure_str(status, abuf, alen)))
			return;
	}
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
		count_answer(d, e);
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
	uint32_t		 h;
	struct dns_inflight	*inf;
	int			 chan;

	if (d->destroying || dnsmsg_name_normalize(name0, name,
	    sizeof(name)) != 0)
		return -1;
	h = entry_hash(d, name, type);
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
	if ((inf = new_inflight(d, name, type)) == NULL) {
		free(w);
		return -1;
	}
	if (e == NULL) {
		size_t	 nl = strlen(name) + 1;

		if ((e = calloc(1, sizeof(*e) + nl)) == NULL) {
			free(inf);
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
	e->tried = 0;
	if ((chan = dnshealth_pick(&d->health, 0)) < 0)
		chan = 0;
	send_entry(d, e, inf, chan);
	return 0;
}

static void
on_timer(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct dns	*d = (struct dns *)arg;

	(void)magic;
	(void)t;
	for (size_t i = 0; i < d->nchans; i++)
		ares_process_fd(d->chans[i].ch, ARES_SOCKET_BAD,
		    ARES_SOCKET_BAD);
	arm_timer(d);
}

static void
arm_timer(struct dns *d)
{
	struct timeval	 tv, *tvp;
	su_duration_t	 ms = -1, m;

	if (d->destroying)
		return;
	for (size_t i = 0; i < d->nchans; i++) {
		if ((tvp = ares_timeout(d->chans[i].ch, NULL, &tv)) == NULL)
			continue;
		m = (su_duration_t)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
		if (ms < 0 || m < ms)
			ms = m;
	}
	if (ms < 0) {
		su_timer_reset(d->timer);
		return;
	}
	su_timer_set_interval(d->timer, on_timer, (su_timer_arg_t *)d,
	    ms > 0 ? ms : 1);
}

static int
on_sock(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct dns_chan	*c = (struct dns_chan *)arg;
	struct dns	*d = c->d;
	ares_socket_t	 fd = w->fd;
	int		 ev = su_wait_events(w, fd);

	(void)magic;
	ares_process_fd(c->ch,
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
	struct dns_chan	*c = data;
	struct dns	*d = c->d;
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
		d->socks[i].events = events;
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
		    (su_wakeup_arg_t *)c, 0);
		if (index <= 0) {
			su_wait_destroy(wait);
			log_warnx("dns: su_root_register failed");
			return;
		}
		d->socks[d->nsocks].fd = fd;
		d->socks[d->nsocks].chan = c;
		d->socks[d->nsocks].index = index;
		d->socks[d->nsocks].events = events;
		d->nsocks++;
	}
}

/* The probe query from @cfg: its name normalised, SOA by default. */
static void
set_probe(struct dns *d, const struct dns_config *cfg)
{
	const char	*n = cfg->probe_name != NULL &&
	    cfg->probe_name[0] != '\0' ? cfg->probe_name : "e164.arpa";

	if (dnsmsg_name_normalize(n, d->probe_name,
	    sizeof(d->probe_name)) != 0)
		(void)dnsmsg_name_normalize("e164.arpa", d->probe_name,
		    sizeof(d->probe_name));
	d->probe_type = cfg->probe_type != 0 ? cfg->probe_type :
	    DNSMSG_T_SOA;
}

/*
 * Set up channel @i for @server ("IP", "IP:PORT", "[v6]:PORT"), or for
 * /etc/resolv.conf when @server is NULL.
 * @return 0, or -1 (logged)
 */
static int
chan_init(struct dns *d, size_t i, const struct dns_config *cfg,
    const char *server)
{
	struct dns_chan		*c = &d->chans[i];
	struct ares_options	 o;
	int			 mask, rc;

	c->d = d;
	c->idx = (int)i;
	snprintf(c->name, sizeof(c->name), "%s", server != NULL ? server :
	    "resolv.conf");
	memset(&o, 0, sizeof(o));
	o.sock_state_cb = on_sock_state;
	o.sock_state_cb_data = c;
	o.timeout = cfg->timeout_ms > 0 ? cfg->timeout_ms : 2000;
	o.tries = cfg->tries > 0 ? cfg->tries : 2;
	/*
	 * NOCHECKRESP: hand SERVFAIL/REFUSED to us at once instead of
	 * retrying and reporting ECONNREFUSED (we move on to the next
	 * server ourselves); EDNS: accept answers up to 1232 bytes over
	 * UDP (RFC 6116 7.1: cope with DNSSEC-sized answers); truncated
	 * ones are retried over TCP by c-ares.
	 */
	o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS;
	o.ednspsz = 1232;
	o.lookups = (char *)"b";
	mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_LOOKUPS;
	if ((rc = ares_init_options(&c->ch, &o, mask)) != ARES_SUCCESS) {
		log_warnx("dns: ares_init_options: %s", ares_strerror(rc));
		return -1;
	}
	ares_set_socket_functions(c->ch, &dns_sockfuncs, c);
	if (server != NULL && (rc = ares_set_servers_ports_csv(c->ch,
	    server)) != ARES_SUCCESS) {
		log_warnx("dns: bad resolver \"%s\": %s", server,
		    ares_strerror(rc));
		ares_destroy(c->ch);
		return -1;
	}
	return 0;
}

struct dns *
dns_create(su_root_t *root, const struct dns_config *cfg)
{
	struct dns		*d;
	int			 rc;
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
	if ((d->buckets = calloc(DNS_BUCKETS, sizeof(*d->buckets))) == NULL ||
	    (d->auth = calloc(1, sizeof(*d->auth))) == NULL) {
		free(d->buckets);
		free(d);
		return NULL;
	}
	/*
	 * Start-up may wait for the kernel's CSPRNG to be seeded (flags 0);
	 * afterwards dns_random()'s GRND_NONBLOCK refills never wait.
	 */
	if (getrandom(d->hashkey, sizeof(d->hashkey), 0) !=
	    (ssize_t)sizeof(d->hashkey)) {
		log_warn("dns: getrandom");
		free(d->auth);
		free(d->buckets);
		free(d);
		return NULL;
	}
	d->root = root;
	d->cfg = *cfg;
	/* The strings are the caller's: keep only what is copied. */
	d->cfg.nservers = 0;
	d->cfg.probe_name = NULL;
	d->case_rand = cfg->case_randomization;
	if (d->cfg.cache_bytes == 0)
		d->cfg.cache_bytes = 64u << 20;
	set_probe(d, cfg);
	for (size_t i = 0; i == 0 || (i < cfg->nservers &&
	    i < DNS_MAX_SERVERS); i++) {
		if (chan_init(d, i, cfg, cfg->nservers > 0 ?
		    cfg->servers[i] : NULL) != 0) {
			while (d->nchans > 0)
				ares_destroy(d->chans[--d->nchans].ch);
			free(d->auth);
			free(d->buckets);
			free(d);
			return NULL;
		}
		d->nchans++;
	}
	dnshealth_init(&d->health, d->nchans, cfg->health_failures,
	    cfg->health_interval_ms, cfg->health_mode, dns_now_ms());
	d->timer = su_timer_create(su_root_task(root), 0);
	d->drain_timer = su_timer_create(su_root_task(root), 0);
	d->health_timer = su_timer_create(su_root_task(root), 0);
	d->udp_max_queries = cfg->udp_max_queries;
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
	for (size_t i = 0; i < d->nchans; i++)
		ares_destroy(d->chans[i].ch);
	while (d->lru_head != NULL)
		entry_free(d, d->lru_head);
	for (size_t i = 0; i < d->nsocks; i++)
		su_root_deregister(d->root, d->socks[i].index);
	while (d->ndrains > 0)
		drain_close(d, 0);
	su_timer_destroy(d->health_timer);
	su_timer_destroy(d->drain_timer);
	su_timer_destroy(d->timer);
	free(d->auth);
	free(d->buckets);
	free(d);
}

void
dns_set_case_randomization(struct dns *d, bool on)
{
	if (d != NULL)
		d->case_rand = on;
}

void
dns_set_udp_max_queries(struct dns *d, unsigned n)
{
	if (d != NULL)
		d->udp_max_queries = n;
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
	d->cfg.health_failures = cfg->health_failures;
	d->cfg.health_interval_ms = cfg->health_interval_ms;
	d->cfg.health_mode = cfg->health_mode;
	dnshealth_configure(&d->health, cfg->health_failures,
	    cfg->health_interval_ms, cfg->health_mode);
	set_probe(d, cfg);
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

void
dns_cache_foreach(const struct dns *d, dns_cache_visit_fn *fn, void *arg)
{
	const struct dns_entry	*e;
	struct dns_cache_info	 ci;
	uint64_t		 now = dns_now_ms();

	for (e = d->lru_head; e != NULL; e = e->next) {
		ci.name = e->name;
		ci.type = e->type;
		ci.pending = e->pending;
		ci.status = e->status;
		ci.ttl_s = e->expires_ms > now ?
		    (int64_t)((e->expires_ms - now + 999) / 1000) : 0;
		fn(arg, &ci);
	}
}

size_t
dns_cache_flush_name(struct dns *d, const char *name)
{
	struct dns_entry	*e = d->lru_tail, *prev;
	size_t			 n = 0, len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (; e != NULL; e = prev) {
		prev = e->prev;
		if (strncasecmp(e->name, name, len) == 0 &&
		    strcmp(e->name + len, ".") == 0 && !e->pending &&
		    e->busy == 0) {
			entry_free(d, e);
			n++;
		}
	}
	return n;
}

size_t
dns_server_stats(const struct dns *d, struct dns_server_stats *out,
    size_t max)
{
	for (size_t i = 0; i < d->nchans && i < max; i++) {
		const struct dnshealth_server *s = &d->health.s[i];

		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].name, sizeof(out[i].name), "%s",
		    d->chans[i].name);
		out[i].up = !s->down;
		out[i].probing = s->probing;
		out[i].consecutive = s->consecutive;
		out[i].since_ms = s->since;
		out[i].queries = s->queries;
		out[i].failures = s->failures;
		out[i].outages = s->outages;
		out[i].probes = s->probes;
		out[i].probe_failures = s->probe_failures;
	}
	return d->nchans;
}

void
dns_log_servers(const struct dns *d)
{
	struct dns_server_stats	 st[DNS_MAX_SERVERS];
	size_t			 n;

	n = dns_server_stats(d, st, DNS_MAX_SERVERS);

	for (size_t i = 0; i < n && i < DNS_MAX_SERVERS; i++)
		log_info("dns: server %s: %s, %llu queries, %llu failures, "
		    "%llu times out of service, %llu probes (%llu failed)",
		    st[i].name, st[i].up ? "in service" : "out of service",
		    (unsigned long long)st[i].queries,
		    (unsigned long long)st[i].failures,
		    (unsigned long long)st[i].outages,
		    (unsigned long long)st[i].probes,
		    (unsigned long long)st[i].probe_failures);
}

size_t
dns_pending(const struct dns *d)
{
	return d->pending;
}
