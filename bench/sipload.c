/*
 * bench/sipload.c - a light SIP MESSAGE load generator (UAC) and sink
 * (UAS) over UDP for the imgate benchmark: one process, one epoll loop,
 * recvmmsg/sendmmsg, every table bounded.  It exists because sipp costs
 * about as much CPU per message as the gateway under test, and on a
 * 2-CPU machine the generator and the gateway share the cores.
 *
 *   sipload uac HOST:PORT RATE SECONDS [options]
 *	Sends RATE MESSAGE requests a second for SECONDS (RATE*SECONDS in
 *	all) to HOST:PORT from a pool of local sockets, each request a
 *	non-INVITE client transaction (RFC 3261 17.1.2): Timer E
 *	retransmissions from T1 = 500 ms doubling to T2 = 4 s (every T2
 *	after a provisional), Timer F (--timeout, default 64*T1) ends it
 *	unanswered.  Prints one JSON line on stdout at the end.
 *	  --csv FILE       numbers, one a line, first field (sipp -inf;
 *			   a SEQUENTIAL/RANDOM first line is skipped)
 *	  --start N --count C  numbers N, N+1, .. N+C-1 (default +4930000000,
 *			   16), used in turn
 *	  --domain D       Request-URI host (default HOST:PORT)
 *	  --sockets K      local sockets (default 1024; sipp -t un opens
 *			   one a call, up to -max_socket: a gateway whose
 *			   workers share a port by SO_REUSEPORT spreads
 *			   its senders by address, so few sources would
 *			   load its workers unevenly, by chance)
 *	  --timeout MS     Timer F (default 32000)
 *	  --wait S         grace after the last send for what is still
 *			   outstanding (default: Timer F, i.e. until all end)
 *	  --max-inflight N transaction table (default 1048576); a request
 *			   that finds it full is not sent (counted: cap_hit)
 *	  --oc             Via asks for RFC 7339 feedback (oc;oc-algo)
 *	  --per-second     one JSON line a second on stderr
 *	  --tick-us N      wake up once in N µs at most (default 0: for
 *			   every datagram and send), reading and sending
 *			   what came meanwhile together: fewer wake-ups,
 *			   hence less CPU a message at moderate rates, for
 *			   up to N µs more on a latency
 *
 *   sipload uas HOST:PORT [--sockets N] [--seconds S] [--table N]
 *	    [--tick-us N]
 *	Answers every MESSAGE with 200 OK (Via, From, To, Call-ID, CSeq
 *	copied, a To tag added, Content-Length 0), sent per RFC 3261
 *	18.2.2 / RFC 3581 (rport: to the source address).  A retransmitted
 *	request (same branch within 32 s) gets the same answer again.
 *	Other requests but ACK get 405.  --tick-us as for uac.  Stops
 *	after S seconds (default: never) or at SIGTERM/SIGINT and prints
 *	one JSON line on stdout.
 *
 * Header parsing is only what the job needs, but robust: names are
 * case-insensitive, compact forms (v f t i l) are known, a line folded
 * onto the next is skipped, and a datagram it cannot read is counted as
 * malformed and ignored.  Loopback use only.
 * Build: cc -O2 -std=c11 -o sipload sipload.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH		64		/* datagrams per recvmmsg/sendmmsg */
#define DGRAM_MAX	4096		/* largest datagram read */
#define MSG_MAX		1500		/* largest request or answer built */
#define SOCKS_MAX	4096		/* --sockets */
#define T1_MS		500
#define T2_MS		4000
#define WHEEL		8192		/* ms; > T2, a power of two */
#define HIST_US		100		/* latency bucket: 0.1 ms */
#define HIST_N		320000		/* buckets: up to 32 s */
#define LATE_MS		500
#define NUMS_MAX	1000000		/* numbers read from --csv */
#define NUM_LEN		32
#define UAS_KEEP_NS	(32LL * 1000000000)	/* 64*T1: Timer J */

static volatile sig_atomic_t	stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "sipload: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sipload uac HOST:PORT RATE SECONDS "
	    "[--csv FILE | --start N --count C] [--domain D] [--sockets K]\n"
	    "\t[--timeout MS] [--wait S] [--max-inflight N] [--oc] "
	    "[--per-second] [--tick-us N]\n"
	    "       sipload uas HOST:PORT [--sockets N] [--seconds S] "
	    "[--table N] [--tick-us N]\n");
	exit(2);
}

static void
parse_addr(const char *s, struct sockaddr_in *sin)
{
	char		 host[64];
	const char	*colon = strrchr(s, ':');
	size_t		 n;

	if (colon == NULL || (n = (size_t)(colon - s)) >= sizeof(host))
		usage();
	memcpy(host, s, n);
	host[n] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		fprintf(stderr, "sipload: not an IPv4 address: %s\n", host);
		exit(2);
	}
}

/* A non-blocking UDP socket bound to @sin, 4 MiB buffers (as the bench
 * gives sipp); @reuse: SO_REUSEPORT, for several sockets on one port. */
static int
udp_socket(const struct sockaddr_in *sin, int reuse)
{
	int	fd, one = 1, sz = 4 * 1024 * 1024;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) < 0)
		die("SO_REUSEPORT");
	if (bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0)
		die("bind");
	return fd;
}

/* --------------------------------------------------------------------
 * Parsing: a message is a start line, header lines up to an empty line,
 * a body.  sipmsg_* find what the generator and the sink need; nothing
 * is copied.
 */

struct span {
	const char	*p;
	size_t		 n;
};

struct sipmsg {
	int		 is_response;
	int		 status;		/* response */
	struct span	 method;		/* request */
	struct span	 via[8];		/* Via lines, in order */
	int		 nvia;
	struct span	 from, to, callid, cseq;
	int		 retry_after;
};

/* Does header name @n (@len bytes) equal @full or the compact @c? */
static int
hname_is(const char *n, size_t len, const char *full, char c)
{
	if (len == 1 && c != 0 && (n[0] | 0x20) == c)
		return 1;
	return strlen(full) == len && strncasecmp(n, full, len) == 0;
}

static struct span
trim(const char *p, const char *e)
{
	struct span	s;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	s.p = p;
	s.n = (size_t)(e - p);
	return s;
}

/* Reads @buf (@len bytes) into @m.  @return 0, or -1 when malformed: no
 * start line, no Via, From, To, Call-ID or CSeq, or no end of the
 * header. */
static int
sipmsg_parse(const char *buf, size_t len, struct sipmsg *m)
{
	const char	*p = buf, *e = buf + len, *eol, *colon;
	struct span	 v;

	memset(m, 0, sizeof(*m));
	eol = memchr(p, '\n', len);
	if (eol == NULL)
		return -1;
	if (len > 12 && memcmp(p, "SIP/2.0 ", 8) == 0) {
		if (p[8] < '1' || p[8] > '6' || p[9] < '0' || p[9] > '9' ||
		    p[10] < '0' || p[10] > '9')
			return -1;
		m->is_response = 1;
		m->status = (p[8] - '0') * 100 + (p[9] - '0') * 10 +
		    (p[10] - '0');
	} else {
		const char *sp = memchr(p, ' ', (size_t)(eol - p));

		if (sp == NULL || sp == p)
			return -1;
		m->method.p = p;
		m->method.n = (size_t)(sp - p);
	}
	for (p = eol + 1; p < e; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(e - p));
		if (eol == NULL)
			return -1;	/* the header has no end */
		if (p == eol || (p + 1 == eol && *p == '\r'))
			break;		/* the empty line */
		if (*p == ' ' || *p == '\t')
			continue;	/* folded: not needed here */
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			return -1;
		v = trim(colon + 1, eol);
		{
			struct span	n = trim(p, colon);

			if (hname_is(n.p, n.n, "Via", 'v')) {
				if (m->nvia < 8)
					m->via[m->nvia++] = v;
				else
					return -1;
			} else if (hname_is(n.p, n.n, "From", 'f'))
				m->from = v;
			else if (hname_is(n.p, n.n, "To", 't'))
				m->to = v;
			else if (hname_is(n.p, n.n, "Call-ID", 'i'))
				m->callid = v;
			else if (hname_is(n.p, n.n, "CSeq", 0))
				m->cseq = v;
			else if (hname_is(n.p, n.n, "Retry-After", 0))
				m->retry_after = 1;
		}
	}
	if (p >= e || m->nvia == 0 || m->from.p == NULL || m->to.p == NULL ||
	    m->callid.p == NULL || m->cseq.p == NULL)
		return -1;
	return 0;
}

/* The first value of a Via line (up to a comma: a line may carry more
 * than one). */
static struct span
via_first(struct span via)
{
	const char	*c = memchr(via.p, ',', via.n);

	if (c != NULL)
		via.n = (size_t)(c - via.p);
	return via;
}

/* Parameter @name of a Via value: @return 1 and its value in @val
 * (empty when it has none), or 0. */
static int
via_param(struct span via, const char *name, struct span *val)
{
	const char	*p = via.p, *e = via.p + via.n, *q;
	size_t		 nl = strlen(name);

	while ((p = memchr(p, ';', (size_t)(e - p))) != NULL) {
		p++;
		while (p < e && *p == ' ')
			p++;
		if ((size_t)(e - p) >= nl && strncasecmp(p, name, nl) == 0 &&
		    (p + nl == e || p[nl] == ';' || p[nl] == '=' ||
		    p[nl] == ' ')) {
			q = p + nl;
			while (q < e && *q == ' ')
				q++;
			if (q < e && *q == '=') {
				q++;
				val->p = q;
				while (q < e && *q != ';')
					q++;
				*val = trim(val->p, q);
			} else {
				val->p = q;
				val->n = 0;
			}
			return 1;
		}
	}
	return 0;
}

/* --------------------------------------------------------------------
 * uac
 */

struct txn {
	uint64_t	seq;
	int64_t		t_first;	/* ns */
	int32_t		prev, next;	/* timer wheel list, -1 ends */
	uint32_t	due;		/* ms tick of the next timer */
	uint32_t	interval;	/* ms: the next Timer E */
	uint16_t	sock;
	uint8_t		state;		/* 0 free, 1 trying, 2 proceeding */
	uint8_t		slot_used;
};

struct uac_counts {
	uint64_t	sent, retrans, provisional, final, ok2xx, r503,
			r503_ra, other, timeouts, late, stray, malformed,
			cap_hit, send_err;
	uint64_t	codes[700];
};

struct uac {
	struct sockaddr_in	 dst;
	char			 domain[128];
	int			 ep;
	int			 nsock;
	int			*fd;
	uint16_t		*lport;
	char			 lhost[INET_ADDRSTRLEN];
	char			(*nums)[NUM_LEN];
	size_t			 nnums;
	double			 rate;
	uint64_t		 total;
	int64_t			 timeout_ms;
	int			 oc;
	unsigned long		 run;		/* in branch, tag, Call-ID */
	struct txn		*txn;
	uint64_t		 cap;		/* power of two */
	int32_t			 wheel[WHEEL];
	uint32_t		 tick;		/* last tick done */
	int64_t			 t0;
	uint64_t		 inflight;
	struct uac_counts	 c;
	uint32_t		*hist, *hist2xx;
	int64_t			 max_us;
	int64_t			 first2xx, last2xx;	/* ns since t0 */
};

static uint32_t
uac_tick(const struct uac *u, int64_t t)
{
	return (uint32_t)((t - u->t0) / 1000000);
}

static void
wheel_add(struct uac *u, int32_t i, uint32_t due)
{
	struct txn	*t = &u->txn[i];
	int32_t		*h;

	if (due <= u->tick)
		due = u->tick + 1;
	if (due - u->tick >= WHEEL)
		due = u->tick + WHEEL - 1;
	t->due = due;
	h = &u->wheel[due & (WHEEL - 1)];
	t->prev = -1;
	t->next = *h;
	if (*h >= 0)
		u->txn[*h].prev = i;
	*h = i;
}

static void
wheel_del(struct uac *u, int32_t i)
{
	struct txn	*t = &u->txn[i];

	if (t->prev >= 0)
		u->txn[t->prev].next = t->next;
	else
		u->wheel[t->due & (WHEEL - 1)] = t->next;
	if (t->next >= 0)
		u->txn[t->next].prev = t->prev;
}

/* Request @seq, the same bytes every time (a retransmission is the
 * request again): the number, branch, tag and Call-ID follow from it. */
static size_t
uac_build(const struct uac *u, uint64_t seq, int sock, char *buf)
{
	const char	*num = u->nums[seq % u->nnums];
	char		 body[64];
	int		 bl, n;

	bl = snprintf(body, sizeof(body), "bench message %" PRIu64, seq);
	n = snprintf(buf, MSG_MAX,
	    "MESSAGE sip:%s@%s SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-sl%lx-%" PRIu64 ";rport%s\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:sipload@%s:%u>;tag=%lx-%" PRIu64 "\r\n"
	    "To: <sip:%s@%s>\r\n"
	    "Call-ID: %lx-%" PRIu64 "@sipload\r\n"
	    "CSeq: 1 MESSAGE\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: %d\r\n"
	    "\r\n%s",
	    num, u->domain,
	    u->lhost, u->lport[sock], u->run, seq,
	    u->oc ? ";oc;oc-algo=\"loss\"" : "",
	    u->lhost, u->lport[sock], u->run, seq,
	    num, u->domain, u->run, seq, bl, body);
	return n < 0 || n >= MSG_MAX ? 0 : (size_t)n;
}

static void
uac_latency(struct uac *u, struct txn *t, int64_t now, int ok)
{
	int64_t		us = (now - t->t_first) / 1000;
	int64_t		b = us / HIST_US;

	if (b >= HIST_N)
		b = HIST_N - 1;
	u->hist[b]++;
	if (ok) {
		u->hist2xx[b]++;
		if (u->first2xx < 0)
			u->first2xx = now - u->t0;
		u->last2xx = now - u->t0;
	}
	if (us > u->max_us)
		u->max_us = us;
	if (us > LATE_MS * 1000)
		u->c.late++;
}

static void
uac_free(struct uac *u, int32_t i)
{
	wheel_del(u, i);
	u->txn[i].state = 0;
	u->inflight--;
}

/* One datagram received on a UAC socket. */
static void
uac_input(struct uac *u, const char *buf, size_t len, int64_t now)
{
	struct sipmsg	 m;
	struct span	 br;
	char		 pfx[32];
	int		 pl;
	uint64_t	 seq = 0;
	size_t		 k;
	int32_t		 i;
	struct txn	*t;

	if (sipmsg_parse(buf, len, &m) < 0 || !m.is_response ||
	    !via_param(via_first(m.via[0]), "branch", &br)) {
		u->c.malformed++;
		return;
	}
	pl = snprintf(pfx, sizeof(pfx), "z9hG4bK-sl%lx-", u->run);
	if (br.n <= (size_t)pl || memcmp(br.p, pfx, (size_t)pl) != 0) {
		u->c.stray++;
		return;
	}
	for (k = (size_t)pl; k < br.n; k++) {
		if (br.p[k] < '0' || br.p[k] > '9') {
			u->c.stray++;
			return;
		}
		seq = seq * 10 + (uint64_t)(br.p[k] - '0');
	}
	i = (int32_t)(seq & (u->cap - 1));
	t = &u->txn[i];
	if (t->state == 0 || t->seq != seq) {
		u->c.stray++;	/* an answer to a transaction that ended */
		return;
	}
	if (m.status < 200) {
		u->c.provisional++;
		t->state = 2;
		t->interval = T2_MS;
		return;
	}
	u->c.final++;
	u->c.codes[m.status < 700 ? m.status : 0]++;
	if (m.status < 300)
		u->c.ok2xx++;
	else if (m.status == 503) {
		u->c.r503++;
		if (m.retry_after)
			u->c.r503_ra++;
	} else
		u->c.other++;
	uac_latency(u, t, now, m.status < 300);
	uac_free(u, i);
}

/* A recvmmsg() batch of BATCH datagrams into @bufs, each sender's
 * address into @src when not NULL. */
static void
recv_batch_init(struct mmsghdr *mm, struct iovec *iov,
    char (*bufs)[DGRAM_MAX], struct sockaddr_in *src)
{
	for (int j = 0; j < BATCH; j++) {
		iov[j].iov_base = bufs[j];
		iov[j].iov_len = DGRAM_MAX;
		memset(&mm[j].msg_hdr, 0, sizeof(mm[j].msg_hdr));
		mm[j].msg_hdr.msg_iov = &iov[j];
		mm[j].msg_hdr.msg_iovlen = 1;
		if (src != NULL) {
			mm[j].msg_hdr.msg_name = &src[j];
			mm[j].msg_hdr.msg_namelen = sizeof(src[j]);
		}
	}
}

static void
uac_recv(struct uac *u, int fd)
{
	static char		bufs[BATCH][DGRAM_MAX];
	struct mmsghdr		mm[BATCH];
	struct iovec		iov[BATCH];
	int			n, j;
	int64_t			now;

	for (;;) {
		recv_batch_init(mm, iov, bufs, NULL);
		n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = now_ns();
		for (j = 0; j < n; j++)
			uac_input(u, bufs[j], mm[j].msg_len, now);
		if (n < BATCH)
			return;
	}
}

/* Timers up to @now: Timer E resends, Timer F ends unanswered. */
static void
uac_timers(struct uac *u, int64_t now)
{
	uint32_t	 to = uac_tick(u, now);
	char		 buf[MSG_MAX];
	int32_t		 i, next;
	struct txn	*t;
	size_t		 len;

	while (u->tick < to) {
		u->tick++;
		for (i = u->wheel[u->tick & (WHEEL - 1)]; i >= 0; i = next) {
			t = &u->txn[i];
			next = t->next;
			if (t->due != u->tick)
				continue;
			wheel_del(u, i);
			if ((int64_t)u->tick >= (int64_t)uac_tick(u,
			    t->t_first) + u->timeout_ms) {
				u->c.timeouts++;
				t->state = 0;
				u->inflight--;
				continue;
			}
			len = uac_build(u, t->seq, t->sock, buf);
			if (sendto(u->fd[t->sock], buf, len, 0,
			    (struct sockaddr *)&u->dst, sizeof(u->dst)) < 0)
				u->c.send_err++;
			else
				u->c.retrans++;
			if (t->state == 1) {
				t->interval *= 2;
				if (t->interval > T2_MS)
					t->interval = T2_MS;
			}
			{
				/* the next Timer E, or Timer F first */
				int64_t f = uac_tick(u, t->t_first) +
				    u->timeout_ms;
				uint32_t e = u->tick + t->interval;

				wheel_add(u, i, (int64_t)e < f ? e :
				    (uint32_t)f);
			}
		}
	}
}

/* Sends requests @u->c.sent .. @upto - 1 (their first transmission),
 * BATCH at a time from one socket, the sockets in turn. */
static void
uac_send(struct uac *u, uint64_t upto, int *cur)
{
	static char		bufs[BATCH][MSG_MAX];
	struct mmsghdr		mm[BATCH];
	struct iovec		iov[BATCH];
	int32_t			idx[BATCH];
	int			n, j, s;
	int64_t			now = now_ns();
	uint32_t		tk;

	while (u->c.sent + u->c.cap_hit < upto) {
		s = *cur;
		*cur = (*cur + 1) % u->nsock;
		for (n = 0; n < BATCH && u->c.sent + u->c.cap_hit + n < upto;
		    n++) {
			uint64_t seq = u->c.sent + u->c.cap_hit + n;

			idx[n] = (int32_t)(seq & (u->cap - 1));
			if (u->txn[idx[n]].state != 0)
				break;
			iov[n].iov_base = bufs[n];
			iov[n].iov_len = uac_build(u, seq, s, bufs[n]);
			memset(&mm[n].msg_hdr, 0, sizeof(mm[n].msg_hdr));
			mm[n].msg_hdr.msg_name = &u->dst;
			mm[n].msg_hdr.msg_namelen = sizeof(u->dst);
			mm[n].msg_hdr.msg_iov = &iov[n];
			mm[n].msg_hdr.msg_iovlen = 1;
			/* claimed now, so that the batch has no repeats */
			u->txn[idx[n]].state = 1;
			u->txn[idx[n]].seq = seq;
		}
		if (n == 0) {
			/* the table is full: this one is not sent */
			u->c.cap_hit++;
			continue;
		}
		j = sendmmsg(u->fd[s], mm, (unsigned)n, 0);
		if (j < 0)
			j = 0;
		for (int k = j; k < n; k++)
			u->txn[idx[k]].state = 0;	/* again next time */
		tk = uac_tick(u, now);
		for (int k = 0; k < j; k++) {
			struct txn *t = &u->txn[idx[k]];

			t->t_first = now;
			t->interval = T1_MS;
			t->sock = (uint16_t)s;
			u->inflight++;
			wheel_add(u, idx[k], tk + T1_MS <
			    tk + (uint32_t)u->timeout_ms ? tk + T1_MS :
			    tk + (uint32_t)u->timeout_ms);
		}
		u->c.sent += (uint64_t)j;
		if (j < n) {
			u->c.send_err++;
			return;		/* the socket is full: later */
		}
	}
}

static double
hist_pct(const uint32_t *h, uint64_t total, double p)
{
	uint64_t	want, acc = 0;
	int		i;

	if (total == 0)
		return -1;
	want = (uint64_t)(p * (double)total);
	if (want >= total)
		want = total - 1;
	for (i = 0; i < HIST_N; i++) {
		acc += h[i];
		if (acc > want)
			return (i + 1) * HIST_US / 1000.0;	/* upper edge */
	}
	return -1;
}

static double
pct_max(const struct uac *u, const uint32_t *h, uint64_t total, double p)
{
	double	v = hist_pct(h, total, p);

	return v > u->max_us / 1000.0 ? u->max_us / 1000.0 : v;
}

static void
json_ms(FILE *f, const char *k, double v)
{
	if (v < 0)
		fprintf(f, ",\"%s\":null", k);
	else
		fprintf(f, ",\"%s\":%.1f", k, v);
}

static void
uac_report(struct uac *u, FILE *f, int64_t now, int final)
{
	uint64_t	n2 = u->c.ok2xx, i;

	fprintf(f, "{\"mode\":\"uac\",\"t\":%.3f,\"rate\":%.0f,\"total\":%"
	    PRIu64 ",\"sockets\":%d,\"sent\":%" PRIu64 ",\"retrans\":%" PRIu64
	    ",\"provisional\":%" PRIu64 ",\"final\":%" PRIu64 ",\"ok2xx\":%"
	    PRIu64 ",\"r503\":%" PRIu64 ",\"r503_retry_after\":%" PRIu64
	    ",\"other\":%" PRIu64 ",\"timeouts\":%" PRIu64 ",\"late\":%"
	    PRIu64 ",\"outstanding\":%" PRIu64 ",\"stray\":%" PRIu64
	    ",\"malformed\":%" PRIu64 ",\"cap_hit\":%" PRIu64
	    ",\"send_errors\":%" PRIu64,
	    (double)(now - u->t0) / 1e9, u->rate, u->total, u->nsock,
	    u->c.sent, u->c.retrans, u->c.provisional, u->c.final,
	    u->c.ok2xx, u->c.r503, u->c.r503_ra, u->c.other, u->c.timeouts,
	    u->c.late, u->inflight, u->c.stray, u->c.malformed, u->c.cap_hit,
	    u->c.send_err);
	if (final) {
		/* a bucket's upper edge, never above the max seen */
		json_ms(f, "p50_ms", pct_max(u, u->hist, u->c.final, 0.5));
		json_ms(f, "p99_ms", pct_max(u, u->hist, u->c.final, 0.99));
		json_ms(f, "max_ms", u->c.final ? u->max_us / 1000.0 : -1);
		json_ms(f, "p50_2xx_ms", pct_max(u, u->hist2xx, n2, 0.5));
		json_ms(f, "p99_2xx_ms", pct_max(u, u->hist2xx, n2, 0.99));
		json_ms(f, "first_2xx_ms", u->first2xx < 0 ? -1 :
		    u->first2xx / 1e6);
		json_ms(f, "last_2xx_ms", u->first2xx < 0 ? -1 :
		    u->last2xx / 1e6);
		fprintf(f, ",\"codes\":{");
		for (i = 0, n2 = 0; i < 700; i++)
			if (u->c.codes[i])
				fprintf(f, "%s\"%" PRIu64 "\":%" PRIu64,
				    n2++ ? "," : "", i, u->c.codes[i]);
		fprintf(f, "}");
	}
	fprintf(f, "}\n");
	fflush(f);
}

static void
uac_numbers(struct uac *u, const char *csv, uint64_t start, size_t count)
{
	size_t	i;

	if (csv != NULL) {
		FILE	*f = fopen(csv, "r");
		char	 line[256];

		if (f == NULL)
			die(csv);
		u->nums = calloc(NUMS_MAX, NUM_LEN);
		if (u->nums == NULL)
			die("calloc");
		while (u->nnums < NUMS_MAX && fgets(line, sizeof(line), f)) {
			size_t n = strcspn(line, ";,\r\n");

			if (n == 0 || n >= NUM_LEN ||
			    strncmp(line, "SEQUENTIAL", 10) == 0 ||
			    strncmp(line, "RANDOM", 6) == 0 ||
			    strncmp(line, "USER", 4) == 0)
				continue;
			memcpy(u->nums[u->nnums], line, n);
			u->nums[u->nnums++][n] = '\0';
		}
		fclose(f);
		if (u->nnums == 0) {
			fprintf(stderr, "sipload: no numbers in %s\n", csv);
			exit(2);
		}
		return;
	}
	if (count == 0 || count > NUMS_MAX)
		usage();
	u->nums = calloc(count, NUM_LEN);
	if (u->nums == NULL)
		die("calloc");
	for (i = 0; i < count; i++)
		snprintf(u->nums[i], NUM_LEN, "+%" PRIu64, start + i);
	u->nnums = count;
}

static int
uac_main(int argc, char **argv)
{
	static struct uac	 u;
	struct sockaddr_in	 loc;
	struct epoll_event	 ev, evs[64];
	socklen_t		 sl;
	const char		*csv = NULL;
	uint64_t		 start = 4930000000ULL;
	size_t			 count = 16;
	double			 seconds, wait_s = -1;
	int			 per_second = 0, cur = 0, i, n;
	int64_t			 now, t_send_end, t_end, next_print, tick = 0;
	int64_t			 last = 0;
	uint64_t		 due;

	if (argc < 4)
		usage();
	parse_addr(argv[1], &u.dst);
	u.rate = atof(argv[2]);
	seconds = atof(argv[3]);
	if (u.rate <= 0 || seconds <= 0)
		usage();
	snprintf(u.domain, sizeof(u.domain), "%s", argv[1]);
	u.nsock = 1024;
	u.cap = 1 << 20;
	u.timeout_ms = 64 * T1_MS;
	for (i = 4; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--oc") == 0)
			u.oc = 1;
		else if (strcmp(a, "--per-second") == 0)
			per_second = 1;
		else if (v == NULL)
			usage();
		else if (strcmp(a, "--csv") == 0)
			csv = v, i++;
		else if (strcmp(a, "--start") == 0)
			start = strtoull(v[0] == '+' ? v + 1 : v, NULL, 10), i++;
		else if (strcmp(a, "--count") == 0)
			count = strtoul(v, NULL, 10), i++;
		else if (strcmp(a, "--domain") == 0)
			snprintf(u.domain, sizeof(u.domain), "%s", v), i++;
		else if (strcmp(a, "--sockets") == 0)
			u.nsock = atoi(v), i++;
		else if (strcmp(a, "--timeout") == 0)
			u.timeout_ms = atol(v), i++;
		else if (strcmp(a, "--wait") == 0)
			wait_s = atof(v), i++;
		else if (strcmp(a, "--tick-us") == 0)
			tick = atol(v) * 1000LL, i++;
		else if (strcmp(a, "--max-inflight") == 0) {
			uint64_t want = strtoull(v, NULL, 10);

			for (u.cap = 1; u.cap < want && u.cap < (1ULL << 26);)
				u.cap <<= 1;
			i++;
		} else
			usage();
	}
	if (u.nsock < 1 || u.nsock > SOCKS_MAX || u.timeout_ms < 1 ||
	    u.timeout_ms > 3600000 || tick < 0 || tick > 100000000)
		usage();
	if (wait_s < 0)
		wait_s = u.timeout_ms / 1000.0 + 1;
	{
		/* The default asks for more descriptors than a soft limit
		 * of 1024 gives (main() raised it to the hard limit): use
		 * what there is, and say so. */
		struct rlimit	rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		    rl.rlim_cur != RLIM_INFINITY &&
		    (rlim_t)u.nsock + 32 > rl.rlim_cur &&
		    rl.rlim_cur > 64 + 32) {
			fprintf(stderr, "sipload: %d sockets, not %d: the "
			    "open-file limit is %llu\n",
			    (int)(rl.rlim_cur - 32), u.nsock,
			    (unsigned long long)rl.rlim_cur);
			u.nsock = (int)(rl.rlim_cur - 32);
		}
	}
	uac_numbers(&u, csv, start, count);
	u.total = (uint64_t)(u.rate * seconds + 0.5);
	u.run = ((unsigned long)getpid() << 12) ^
	    (unsigned long)(now_ns() & 0xfff);
	u.txn = calloc(u.cap, sizeof(*u.txn));
	u.hist = calloc(HIST_N, sizeof(*u.hist));
	u.hist2xx = calloc(HIST_N, sizeof(*u.hist2xx));
	u.fd = calloc((size_t)u.nsock, sizeof(*u.fd));
	u.lport = calloc((size_t)u.nsock, sizeof(*u.lport));
	if (!u.txn || !u.hist || !u.hist2xx || !u.fd || !u.lport)
		die("calloc");
	for (i = 0; i < WHEEL; i++)
		u.wheel[i] = -1;
	u.first2xx = -1;
	u.ep = epoll_create1(EPOLL_CLOEXEC);
	if (u.ep < 0)
		die("epoll_create1");
	memset(&loc, 0, sizeof(loc));
	loc.sin_family = AF_INET;
	loc.sin_addr = u.dst.sin_addr;		/* the same loopback address */
	inet_ntop(AF_INET, &loc.sin_addr, u.lhost, sizeof(u.lhost));
	for (i = 0; i < u.nsock; i++) {
		u.fd[i] = udp_socket(&loc, 0);
		sl = sizeof(loc);
		if (getsockname(u.fd[i], (struct sockaddr *)&loc, &sl) < 0)
			die("getsockname");
		u.lport[i] = ntohs(loc.sin_port);
		loc.sin_port = 0;
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(u.ep, EPOLL_CTL_ADD, u.fd[i], &ev) < 0)
			die("epoll_ctl");
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	u.t0 = now_ns();
	t_send_end = u.t0 + (int64_t)(seconds * 1e9);
	t_end = -1;
	next_print = u.t0 + 1000000000;
	for (;;) {
		struct timespec	ts;
		int64_t		wake;

		now = now_ns();
		if (stop)
			break;
		due = (uint64_t)((double)(now - u.t0) * u.rate / 1e9) + 1;
		if (due > u.total)
			due = u.total;
		uac_send(&u, due, &cur);
		uac_timers(&u, now);
		if (now >= t_send_end + (int64_t)(wait_s * 1e9) + 1000000000)
			break;	/* sends kept failing: the rest is not sent */
		if (u.c.sent + u.c.cap_hit >= u.total) {
			if (t_end < 0) {
				int64_t t = now > t_send_end ? now : t_send_end;

				t_end = t + (int64_t)(wait_s * 1e9);
			}
			if (u.inflight == 0 || now >= t_end)
				break;
		}
		if (per_second && now >= next_print) {
			uac_report(&u, stderr, now, 0);
			next_print += 1000000000;
		}
		/* sleep to the next send, the next ms tick at most while a
		 * timer may be due, 100 ms otherwise */
		wake = now + 100000000;
		if (u.c.sent + u.c.cap_hit < u.total) {
			int64_t	t = u.t0 + (int64_t)((double)(u.c.sent +
			    u.c.cap_hit) * 1e9 / u.rate);

			if (t < wake)
				wake = t;
		}
		if (u.inflight > 0) {
			/* the first non-empty wheel slot within 64 ms */
			uint32_t	k, tk = uac_tick(&u, now);

			for (k = 1; k <= 64; k++)
				if (u.wheel[(tk + k) & (WHEEL - 1)] >= 0)
					break;
			if (u.t0 + (int64_t)(tk + k) * 1000000 < wake)
				wake = u.t0 + (int64_t)(tk + k) * 1000000;
		}
		if (t_end >= 0 && t_end < wake)
			wake = t_end;
		if (tick > 0 && now < last + tick) {
			/* one wake-up a tick at most: what comes meanwhile
			 * is read together */
			ts.tv_sec = 0;
			ts.tv_nsec = last + tick - now;
			nanosleep(&ts, NULL);
			now = now_ns();
		}
		if (wake < now)
			wake = now;
		ts.tv_sec = (wake - now) / 1000000000;
		ts.tv_nsec = (wake - now) % 1000000000;
		n = epoll_pwait2(u.ep, evs, 64, &ts, NULL);
		if (n < 0 && errno != EINTR)
			die("epoll_pwait2");
		last = now_ns();
		for (i = 0; i < n; i++)
			uac_recv(&u, u.fd[evs[i].data.u32]);
	}
	uac_report(&u, stdout, now_ns(), 1);
	return 0;
}

/* --------------------------------------------------------------------
 * uas
 */

struct seen {
	uint64_t	key;
	int64_t		t;
	int32_t		next;		/* hash chain, -1 ends */
};

struct uas {
	int		 nfd;
	int		*fd;
	struct seen	*ring;		/* FIFO of the requests seen */
	int32_t		*bucket;
	uint32_t	 cap;		/* power of two */
	uint32_t	 head, len;
	uint64_t	 requests, retrans, answered, acks, other_methods,
			 malformed, evicted, send_err, too_big;
};

static uint64_t
fnv(uint64_t h, const char *p, size_t n)
{
	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Forgets the oldest request seen. */
static void
uas_pop(struct uas *s)
{
	struct seen	*e = &s->ring[s->head];
	int32_t		*pp = &s->bucket[e->key & (s->cap - 1)];

	while (*pp >= 0 && *pp != (int32_t)s->head)
		pp = &s->ring[*pp].next;
	if (*pp >= 0)
		*pp = e->next;
	s->head = (s->head + 1) & (s->cap - 1);
	s->len--;
}

/* Was a request with @key seen in the last 32 s?  Remembers it if not.
 * @return 1 when seen (a retransmission). */
static int
uas_seen(struct uas *s, uint64_t key, int64_t now)
{
	int32_t		i;
	uint32_t	slot;

	while (s->len > 0 && now - s->ring[s->head].t > UAS_KEEP_NS)
		uas_pop(s);
	for (i = s->bucket[key & (s->cap - 1)]; i >= 0; i = s->ring[i].next)
		if (s->ring[i].key == key)
			return 1;
	if (s->len == s->cap) {
		s->evicted++;
		uas_pop(s);
	}
	slot = (s->head + s->len) & (s->cap - 1);
	s->ring[slot].key = key;
	s->ring[slot].t = now;
	s->ring[slot].next = s->bucket[key & (s->cap - 1)];
	s->bucket[key & (s->cap - 1)] = (int32_t)slot;
	s->len++;
	return 0;
}

static size_t
put(char *o, size_t at, const char *p, size_t n)
{
	if (at + n >= MSG_MAX)
		return MSG_MAX;
	memcpy(o + at, p, n);
	return at + n;
}

/* The answer to request @m from @src into @out; @dst: where it goes
 * (RFC 3261 18.2.2, RFC 3581).  @return its length, 0 when none (ACK)
 * or it does not fit. */
static size_t
uas_answer(struct uas *s, const struct sipmsg *m,
    const struct sockaddr_in *src, char *out, struct sockaddr_in *dst)
{
	struct span	 v0 = via_first(m->via[0]), rp, sb;
	char		 ip[INET_ADDRSTRLEN], tmp[128], tag[24];
	const char	*status;
	size_t		 at = 0, k;
	int		 n, i, is_msg;
	uint64_t	 h;

	is_msg = m->method.n == 7 && memcmp(m->method.p, "MESSAGE", 7) == 0;
	if (m->method.n == 3 && memcmp(m->method.p, "ACK", 3) == 0) {
		s->acks++;
		return 0;
	}
	if (!is_msg)
		s->other_methods++;
	status = is_msg ? "SIP/2.0 200 OK\r\n" :
	    "SIP/2.0 405 Method Not Allowed\r\nAllow: MESSAGE\r\n";
	inet_ntop(AF_INET, &src->sin_addr, ip, sizeof(ip));
	*dst = *src;
	/* sent-by: "SIP/2.0/UDP host[:port]" up to the first ';' */
	sb.p = memchr(v0.p, ' ', v0.n);
	if (sb.p == NULL)
		return 0;
	sb = trim(sb.p, v0.p + v0.n);
	{
		const char *semi = memchr(sb.p, ';', sb.n);

		if (semi != NULL)
			sb = trim(sb.p, semi);
	}
	at = put(out, at, status, strlen(status));
	at = put(out, at, "Via: ", 5);
	if (via_param(v0, "rport", &rp)) {
		/* RFC 3581: rport filled in, the answer to the source */
		const char	*q = rp.p;	/* just after "rport" */

		if (rp.n > 0) {
			/* filled in already (not by a client): kept */
			at = put(out, at, v0.p, v0.n);
		} else {
			at = put(out, at, v0.p, (size_t)(q - v0.p));
			n = snprintf(tmp, sizeof(tmp), "=%u",
			    ntohs(src->sin_port));
			at = put(out, at, tmp, (size_t)n);
			at = put(out, at, q, (size_t)(v0.p + v0.n - q));
		}
		n = snprintf(tmp, sizeof(tmp), ";received=%s", ip);
		at = put(out, at, tmp, (size_t)n);
	} else {
		/* RFC 3261 18.2.2: to the source address and the sent-by
		 * port (5060 when none), received= when the host differs */
		const char	*c = memchr(sb.p, ':', sb.n);
		long		 port = c ? strtol(c + 1, NULL, 10) : 5060;

		if (port <= 0 || port > 65535)
			return 0;
		dst->sin_port = htons((uint16_t)port);
		at = put(out, at, v0.p, v0.n);
		k = c ? (size_t)(c - sb.p) : sb.n;
		if (k != strlen(ip) || memcmp(sb.p, ip, k) != 0) {
			n = snprintf(tmp, sizeof(tmp), ";received=%s", ip);
			at = put(out, at, tmp, (size_t)n);
		}
	}
	/* the rest of the first Via line, then the other Via lines */
	at = put(out, at, v0.p + v0.n, m->via[0].n - v0.n);
	at = put(out, at, "\r\n", 2);
	for (i = 1; i < m->nvia; i++) {
		at = put(out, at, "Via: ", 5);
		at = put(out, at, m->via[i].p, m->via[i].n);
		at = put(out, at, "\r\n", 2);
	}
	at = put(out, at, "From: ", 6);
	at = put(out, at, m->from.p, m->from.n);
	at = put(out, at, "\r\nTo: ", 6);
	at = put(out, at, m->to.p, m->to.n);
	{
		struct span	tg;
		struct span	to = m->to;

		/* a To without a tag gets one, the same for every
		 * retransmission: it follows from the Call-ID */
		if (!via_param(to, "tag", &tg)) {
			h = fnv(0xcbf29ce484222325ULL, m->callid.p,
			    m->callid.n);
			n = snprintf(tag, sizeof(tag), ";tag=%016" PRIx64, h);
			at = put(out, at, tag, (size_t)n);
		}
	}
	at = put(out, at, "\r\nCall-ID: ", 11);
	at = put(out, at, m->callid.p, m->callid.n);
	at = put(out, at, "\r\nCSeq: ", 8);
	at = put(out, at, m->cseq.p, m->cseq.n);
	at = put(out, at, "\r\nContent-Length: 0\r\n\r\n", 23);
	if (at >= MSG_MAX) {
		s->too_big++;
		return 0;
	}
	return at;
}

static void
uas_recv(struct uas *s, int fd)
{
	static char		in[BATCH][DGRAM_MAX], out[BATCH][MSG_MAX];
	struct mmsghdr		mm[BATCH], om[BATCH];
	struct iovec		iov[BATCH], oiov[BATCH];
	struct sockaddr_in	src[BATCH], dst[BATCH];
	struct sipmsg		m;
	struct span		br;
	int			n, j, no, sent;
	int64_t			now;
	uint64_t		key;
	size_t			len;

	for (;;) {
		recv_batch_init(mm, iov, in, src);
		n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = now_ns();
		for (j = 0, no = 0; j < n; j++) {
			if (sipmsg_parse(in[j], mm[j].msg_len, &m) < 0 ||
			    m.is_response ||
			    mm[j].msg_hdr.msg_namelen != sizeof(src[j])) {
				s->malformed++;
				continue;
			}
			s->requests++;
			key = fnv(0xcbf29ce484222325ULL, m.callid.p,
			    m.callid.n);
			if (via_param(via_first(m.via[0]), "branch", &br))
				key = fnv(key, br.p, br.n);
			key = fnv(key, m.cseq.p, m.cseq.n);
			if (uas_seen(s, key, now))
				s->retrans++;
			len = uas_answer(s, &m, &src[j], out[no], &dst[no]);
			if (len == 0)
				continue;
			oiov[no].iov_base = out[no];
			oiov[no].iov_len = len;
			memset(&om[no].msg_hdr, 0, sizeof(om[no].msg_hdr));
			om[no].msg_hdr.msg_iov = &oiov[no];
			om[no].msg_hdr.msg_iovlen = 1;
			om[no].msg_hdr.msg_name = &dst[no];
			om[no].msg_hdr.msg_namelen = sizeof(dst[no]);
			no++;
		}
		for (j = 0; j < no; j += sent) {
			sent = sendmmsg(fd, om + j, (unsigned)(no - j), 0);
			if (sent <= 0) {
				/* the buffer is full: the peer retransmits */
				s->send_err += (uint64_t)(no - j);
				break;
			}
			s->answered += (uint64_t)sent;
		}
		if (n < BATCH)
			return;
	}
}

static int
uas_main(int argc, char **argv)
{
	static struct uas	 s;
	struct sockaddr_in	 sin;
	struct epoll_event	 ev, evs[64];
	double			 seconds = 0;
	int			 ep, i, n;
	uint32_t		 want = 1 << 20;
	int64_t			 t0, t_end, now = 0, last;
	long			 tick_us = 0;

	if (argc < 2)
		usage();
	parse_addr(argv[1], &sin);
	s.nfd = 1;
	for (i = 2; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--sockets") == 0)
			s.nfd = atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--table") == 0)
			want = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--tick-us") == 0)
			tick_us = atol(argv[++i]);
		else
			usage();
	}
	if (s.nfd < 1 || s.nfd > SOCKS_MAX || want < 1 || want > (1u << 26) ||
	    tick_us < 0 || tick_us > 100000)
		usage();
	for (s.cap = 1; s.cap < want; s.cap <<= 1)
		;
	s.ring = calloc(s.cap, sizeof(*s.ring));
	s.bucket = malloc(s.cap * sizeof(*s.bucket));
	s.fd = calloc((size_t)s.nfd, sizeof(*s.fd));
	if (!s.ring || !s.bucket || !s.fd)
		die("calloc");
	memset(s.bucket, 0xff, s.cap * sizeof(*s.bucket));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < s.nfd; i++) {
		s.fd[i] = udp_socket(&sin, s.nfd > 1);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s.fd[i], &ev) < 0)
			die("epoll_ctl");
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	t0 = now_ns();
	t_end = seconds > 0 ? t0 + (int64_t)(seconds * 1e9) : -1;
	last = 0;
	while (!stop) {
		now = now_ns();
		if (t_end >= 0 && now >= t_end)
			break;
		if (tick_us > 0 && now < last + tick_us * 1000) {
			/* one wake-up a tick at most: what comes meanwhile
			 * is read together */
			struct timespec ts = { 0, last + tick_us * 1000 - now };

			nanosleep(&ts, NULL);
		}
		n = epoll_wait(ep, evs, 64, 200);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		last = now_ns();
		for (i = 0; i < n; i++)
			uas_recv(&s, s.fd[evs[i].data.u32]);
	}
	printf("{\"mode\":\"uas\",\"t\":%.3f,\"requests\":%" PRIu64
	    ",\"retrans\":%" PRIu64 ",\"distinct\":%" PRIu64
	    ",\"answered\":%" PRIu64 ",\"acks\":%" PRIu64
	    ",\"other_methods\":%" PRIu64 ",\"malformed\":%" PRIu64
	    ",\"table_evicted\":%" PRIu64 ",\"send_errors\":%" PRIu64
	    ",\"too_big\":%" PRIu64 "}\n",
	    (double)(now_ns() - t0) / 1e9, s.requests, s.retrans,
	    s.requests - s.retrans, s.answered, s.acks, s.other_methods,
	    s.malformed, s.evicted, s.send_err, s.too_big);
	fflush(stdout);
	return 0;
}

int
main(int argc, char **argv)
{
	struct rlimit	rl;

	if (argc < 2)
		usage();
	/* A socket a source: more than the usual soft limit of 1024. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (strcmp(argv[1], "uac") == 0)
		return uac_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "uas") == 0)
		return uas_main(argc - 1, argv + 1);
	usage();
	return 2;
}
