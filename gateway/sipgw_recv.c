/*
 * gateway/sipgw_recv.c - how sofia-sip reads imgate's own SIP UDP
 * sockets: up to SIPGW_RECV_BATCH datagrams with one recvmmsg(), handed
 * to sofia one at a time, each shown to sipgw_datagram() before the SIP
 * stack parses it, so that a shed request is refused before it is
 * parsed (gateway/sipgw.h, gateway/overload_sip.h).
 *
 * Linked into imgated only, like gateway/workers_bind.c: recvmsg(),
 * ioctl(), epoll_ctl() and epoll_wait() here stand in for the C
 * library's in the whole process.  For every descriptor that is not an
 * own SIP UDP socket (sipgw_udp_own(): c-ares, TCP, TLS, the control
 * socket, the metrics listener) they are the system call and nothing
 * else.
 *
 * Why here and not in sofia: its UDP transport (1.12.11,
 * tport_recv_dgram()) reads one datagram per wakeup of the loop:
 * epoll_wait() reports the socket, FIONREAD sizes the message, recvmsg()
 * reads it into one iovec, and tport_recv_event() reads again only
 * while a stream reports a partial read (its return value 2), never
 * for a datagram, whatever recvmsg() returns.  So the batch is held
 * here, per socket, and the loop is woken for it here too:
 *
 * - recvmsg() on an own socket with nothing held reads up to
 *   SIPGW_RECV_BATCH datagrams in one call: the first straight into
 *   sofia's buffer (no copy, as before), the others into the socket's
 *   slots.  With datagrams held it copies out the oldest one: first
 *   in, first out, so a socket's datagrams are never reordered, and
 *   none is dropped (a slot holds the largest UDP payload).
 * - ioctl(FIONREAD) on such a socket answers the oldest held
 *   datagram's length: the size sofia allocates for it.
 * - epoll_ctl() remembers with which epoll descriptor, events and data
 *   each descriptor below SIPGW_RECV_FDS was registered; epoll_wait()
 *   on the epoll descriptor of an own socket with datagrams held (and
 *   registered for EPOLLIN: a stalled transport stays stalled) does
 *   not wait (timeout 0) and reports that socket readable beside what
 *   the kernel reports.  A held datagram thus waits one loop turn at
 *   most, however empty the socket is in the kernel; the kernel is
 *   polled (for the other descriptors, and for more of the socket's
 *   datagrams) every SIPGW_RECV_POLL-th turn meanwhile, so that most
 *   held datagrams cost no system call at all.  A socket never
 *   registered with an epoll seen here (another su_port) is read one
 *   datagram per call, as before.
 *
 * The other way, a wakeup of imgated's making (an eventfd or a zero
 * timer per held batch), costs a system call or a timer per datagram
 * as well and reorders nothing better; sofia's tport internals are not
 * public.
 *
 * After sipgw_datagram() consumed a datagram (answered or dropped) the
 * next one is read in the same call while it fits the buffer sofia
 * sized, up to SIPGW_RECV_REFUSALS a call; when none is left, sofia sees
 * EAGAIN, "nothing there after all", and frees the empty message: no
 * parse, no transaction.  A peek returns the oldest held datagram
 * without taking it; a read of the error queue (what comes back there
 * is what imgate sent, with an ICMP error) is the system call.  A
 * zero-length datagram in a batch is skipped (sofia discards one
 * unparsed).  Each datagram of a batch comes with the kernel's arrival
 * stamp (SO_TIMESTAMPNS, set on the own sockets by gateway/sipgw.c),
 * read into the socket's own ancillary buffers, the first one's too
 * when sofia asked for none (it gets none back), and handed to
 * sipgw_datagram() with it (0 when read one datagram a call): overload
 * control judges a request by how long it waited.  One thread uses
 * the own sockets and their epoll descriptor: sofia's loop.  A process
 * that dies loses what it held (read, not yet answered): the senders
 * retransmit over UDP, as after a datagram lost on the way.  Overload
 * control's queue age (gateway/sipgw.c) sees the kernel's queue, not
 * the at most SIPGW_RECV_BATCH - 1 datagrams held here.
 */
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "gateway/sipgw.h"

/* Datagrams read with one recvmmsg(): the slots of a socket. */
#define SIPGW_RECV_BATCH	32
/* A slot: the largest UDP payload (65 507 bytes over IPv4, 65 527 over
 * IPv6) fits, so no datagram is cut.  The slots are mapped, not
 * touched: a batch of small datagrams makes a page or two of each
 * resident. */
#define SIPGW_RECV_SLOT		65536
/* Own sockets read in batches (sip.listen's UDP, IPv4 and IPv6, a
 * worker's own port); any further one is read one datagram a call. */
#define SIPGW_RECV_SOCKS	8
_Static_assert(SIPGW_RECV_SOCKS <= 32, "rs_held has a bit per socket");
/* Descriptors whose epoll registration is remembered. */
#define SIPGW_RECV_FDS		1024
/* At most this many datagrams taken in one recvmsg() (the refused ones
 * and the one returned): the loop's timers wait meanwhile. */
#define SIPGW_RECV_REFUSALS	64
/* While datagrams are held, the other descriptors are polled every
 * this many loop turns (a turn handles one datagram, tens of
 * microseconds), not on every turn. */
#define SIPGW_RECV_POLL		4

/* A held datagram: its length and source. */
struct sipgw_recv_dgram {
	size_t			 len;
	uint64_t		 arrived_ns;	/* kernel's, 0: unknown */
	socklen_t		 namelen;
	struct sockaddr_storage	 name;
};

/*
 * One own socket's batch: slot i holds d[i]; d[head] .. d[count - 1]
 * are held, the oldest first.  slots is mapped once (SIPGW_RECV_BATCH *
 * SIPGW_RECV_SLOT bytes) and kept for the process' life, and so are
 * the headers that recvmmsg() fills (set up with it).
 */
struct sipgw_recv_sock {
	bool			 used;
	int			 fd;
	unsigned		 head, count;
	unsigned char		*slots;
	struct sipgw_recv_dgram	 d[SIPGW_RECV_BATCH];
	struct mmsghdr		 v[SIPGW_RECV_BATCH];
	struct iovec		 iov[SIPGW_RECV_BATCH];
	union {
		char		 buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr	 align;
	}			 ctl[SIPGW_RECV_BATCH];
	bool			 v0_caller;	/* v[0] was sofia's */
};

/* What epoll_ctl() registered a descriptor with. */
struct sipgw_recv_reg {
	bool			 set;
	int			 epfd;
	uint32_t		 events;
	epoll_data_t		 data;
};

static struct sipgw_recv_sock	 rs_sock[SIPGW_RECV_SOCKS];
/* Bit i: rs_sock[i] may hold datagrams (cleared by held_sock() once it
 * holds none).  0, the usual case at low rates: epoll_wait() and
 * ioctl() are the system call at once. */
static unsigned			 rs_held;
static struct sipgw_recv_reg	 rs_reg[SIPGW_RECV_FDS];
/* epoll_wait() calls while datagrams were held (SIPGW_RECV_POLL). */
static unsigned			 rs_turn;
/*
 * The loop's epoll descriptor (the one an own socket is registered
 * with, learnt at its first read; -1 before) and whether the loop's
 * last wait was a poll (timeout 0) that found nothing: see epoll_wait().
 */
static int			 rs_loop_epfd = -1;
static bool			 rs_idle_poll;

static ssize_t
sys_recvmsg(int fd, struct msghdr *mh, int flags)
{
	return (ssize_t)syscall(SYS_recvmsg, fd, mh, flags);
}

/*
 * The C library's epoll_wait(), found once: sofia's loop calls it many
 * times per message (a timer less than a millisecond away is a timeout
 * of 0), and the generic syscall() costs twice as many instructions.
 */
static int (*libc_epoll_wait)(int, struct epoll_event *, int, int);

static void __attribute__((constructor))
sipgw_recv_init(void)
{
	*(void **)&libc_epoll_wait = dlsym(RTLD_NEXT, "epoll_wait");
}

static int
sys_epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	if (libc_epoll_wait != NULL)
		return libc_epoll_wait(epfd, ev, max, timeout);
#ifdef SYS_epoll_wait
	return (int)syscall(SYS_epoll_wait, epfd, ev, max, timeout);
#else
	return (int)syscall(SYS_epoll_pwait, epfd, ev, max, timeout, NULL,
	    (size_t)(_NSIG / 8));
#endif
}

/* The batch of @s, or NULL when nothing is held; a batch of a
 * descriptor that is no own socket any more (closed) is forgotten. */
static struct sipgw_recv_sock *
held_sock(struct sipgw_recv_sock *s)
{
	unsigned	 bit = 1u << (s - rs_sock);

	if ((rs_held & bit) == 0)
		return NULL;
	if (!s->used || !sipgw_udp_own(s->fd)) {
		s->used = false;
		s->head = s->count = 0;
	}
	while (s->head < s->count && s->d[s->head].len == 0)
		s->head++;
	if (s->head < s->count)
		return s;
	rs_held &= ~bit;
	return NULL;
}

static struct sipgw_recv_sock *
held_fd(int fd)
{
	if (rs_held == 0)
		return NULL;
	for (size_t i = 0; i < SIPGW_RECV_SOCKS; i++)
		if (rs_sock[i].used && rs_sock[i].fd == fd)
			return held_sock(&rs_sock[i]);
	return NULL;
}

static bool
registered_in(int fd, int epfd)
{
	return fd >= 0 && fd < SIPGW_RECV_FDS && rs_reg[fd].set &&
	    rs_reg[fd].epfd == epfd && (rs_reg[fd].events & EPOLLIN) != 0;
}

/* Point header @i of @s at slot @i and its ancillary buffer (recvmmsg()
 * changes only its name and control lengths, flags and length). */
static void
slot_header(struct sipgw_recv_sock *s, unsigned i)
{
	struct msghdr	*h = &s->v[i].msg_hdr;

	s->iov[i].iov_base = s->slots + (size_t)i * SIPGW_RECV_SLOT;
	s->iov[i].iov_len = SIPGW_RECV_SLOT;
	memset(h, 0, sizeof(*h));
	h->msg_name = &s->d[i].name;
	h->msg_namelen = sizeof(s->d[i].name);
	h->msg_iov = &s->iov[i];
	h->msg_iovlen = 1;
	h->msg_control = s->ctl[i].buf;
	h->msg_controllen = sizeof(s->ctl[i].buf);
}

/* The kernel's arrival time in @h's ancillary data (SO_TIMESTAMPNS),
 * nanoseconds of CLOCK_REALTIME; 0 when there is none. */
static uint64_t
arrival_of(struct msghdr *h)
{
	struct cmsghdr	*c;

	if (h->msg_control == NULL || h->msg_controllen == 0)
		return 0;
	for (c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec	 ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (uint64_t)ts.tv_sec * 1000000000u +
			    (uint64_t)ts.tv_nsec;
		}
	return 0;
}

/* The batch of own socket @fd, set up on first use; NULL: read it one
 * datagram a call (no epoll seen for it, no slot, no memory). */
static struct sipgw_recv_sock *
sock_of(int fd)
{
	struct sipgw_recv_sock	*s = NULL;

	for (size_t i = 0; i < SIPGW_RECV_SOCKS; i++) {
		if (rs_sock[i].used && rs_sock[i].fd == fd)
			return &rs_sock[i];
		if (s == NULL && !rs_sock[i].used)
			s = &rs_sock[i];
	}
	if (s == NULL || fd < 0 || fd >= SIPGW_RECV_FDS ||
	    !rs_reg[fd].set || (rs_reg[fd].events & EPOLLIN) == 0)
		return NULL;
	if (s->slots == NULL) {
		void	*p = mmap(NULL, (size_t)SIPGW_RECV_BATCH *
		    SIPGW_RECV_SLOT, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			return NULL;
		s->slots = p;
		for (unsigned i = 0; i < SIPGW_RECV_BATCH; i++)
			slot_header(s, i);
	}
	s->used = true;
	s->fd = fd;
	s->head = s->count = 0;
	return s;
}

/*
 * Read what the kernel holds for @s, up to SIPGW_RECV_BATCH datagrams:
 * with @mh, the first into @mh (returned as recvmsg() would return it,
 * @flags as given, waiting for it if the socket blocks) and the others
 * into the slots; without, all into the slots, not waiting.
 */
static ssize_t
fill(struct sipgw_recv_sock *s, struct msghdr *mh, int flags)
{
	struct mmsghdr	*v = s->v;
	unsigned	 first = mh != NULL ? 1 : 0;
	int		 r;

	if (mh != NULL) {
		v[0].msg_hdr = *mh;
		if (mh->msg_control == NULL) {
			v[0].msg_hdr.msg_control = s->ctl[0].buf;
			v[0].msg_hdr.msg_controllen = sizeof(s->ctl[0].buf);
		}
	} else if (s->v0_caller)
		slot_header(s, 0);
	s->v0_caller = mh != NULL;
	for (unsigned i = first; i < SIPGW_RECV_BATCH; i++)
		v[i].msg_hdr.msg_controllen = sizeof(s->ctl[i].buf);
	r = recvmmsg(s->fd, v, SIPGW_RECV_BATCH, mh != NULL ?
	    flags | MSG_WAITFORONE : flags | MSG_DONTWAIT, NULL);
	if (r <= 0) {
		if (r == 0)
			errno = EAGAIN;
		return -1;
	}
	sipgw_recv_read((unsigned)r);
	s->d[0].arrived_ns = arrival_of(&v[0].msg_hdr);
	for (unsigned i = first; i < (unsigned)r; i++) {
		s->d[i].arrived_ns = arrival_of(&v[i].msg_hdr);
		s->d[i].len = v[i].msg_len;
		s->d[i].namelen = v[i].msg_hdr.msg_namelen;
		v[i].msg_hdr.msg_namelen = sizeof(s->d[i].name);
	}
	s->head = first;
	s->count = (unsigned)r;
	if (s->count > s->head)
		rs_held |= 1u << (s - rs_sock);
	if (mh == NULL)
		return 0;
	mh->msg_namelen = v[0].msg_hdr.msg_namelen;
	mh->msg_controllen = mh->msg_control == NULL ? 0 :
	    v[0].msg_hdr.msg_controllen;
	mh->msg_flags = v[0].msg_hdr.msg_flags;
	return (ssize_t)v[0].msg_len;
}

/* The oldest datagram held for @s into @mh, as recvmsg() would read it
 * with @flags; taken unless peeked at. */
static ssize_t
take(struct sipgw_recv_sock *s, struct msghdr *mh, int flags,
    uint64_t *arrived_ns)
{
	const struct sipgw_recv_dgram *d = &s->d[s->head];
	const unsigned char *p = s->slots + (size_t)s->head *
	    SIPGW_RECV_SLOT;
	size_t		 off = 0;

	for (size_t i = 0; i < mh->msg_iovlen && off < d->len; i++) {
		size_t	 k = d->len - off < mh->msg_iov[i].iov_len ?
		    d->len - off : mh->msg_iov[i].iov_len;

		memcpy(mh->msg_iov[i].iov_base, p + off, k);
		off += k;
	}
	if (mh->msg_name != NULL) {
		memcpy(mh->msg_name, &d->name, d->namelen <
		    mh->msg_namelen ? d->namelen : mh->msg_namelen);
		mh->msg_namelen = d->namelen;
	}
	/* No ancillary data was asked for in the batch. */
	mh->msg_controllen = 0;
	mh->msg_flags = off < d->len ? MSG_TRUNC : 0;
	*arrived_ns = d->arrived_ns;
	if ((flags & MSG_PEEK) == 0)
		s->head++;
	return (ssize_t)((flags & MSG_TRUNC) != 0 ? d->len : off);
}

/* An own socket without a batch, or any other descriptor: one datagram
 * a system call, shown to sipgw_datagram() (which decides only for the
 * SIP socket), and after a refusal the next one while it fits. */
static ssize_t
recv_one(int fd, struct msghdr *mh, int flags, bool own)
{
	socklen_t	 namelen = mh->msg_namelen;
	int		 next;

	for (unsigned i = 0; ; i++) {
		ssize_t	 n = sys_recvmsg(fd, mh, flags);

		if (own && n >= 0)
			sipgw_recv_read(1);
		if (n <= 0 || (flags & (MSG_PEEK | MSG_ERRQUEUE)) != 0 ||
		    mh->msg_iovlen < 1 ||
		    (size_t)n > mh->msg_iov[0].iov_len ||
		    (mh->msg_flags & MSG_TRUNC) != 0 ||
		    !sipgw_datagram(fd, mh->msg_iov[0].iov_base, (size_t)n,
		    mh->msg_name, mh->msg_namelen, 0))
			return n;
		/* Consumed: the next one, if it is there and fits. */
		if (i + 1 >= SIPGW_RECV_REFUSALS ||
		    syscall(SYS_ioctl, fd, FIONREAD, &next) != 0 ||
		    next <= 0 || (size_t)next > mh->msg_iov[0].iov_len)
			break;
		sipgw_recv_batched();
		mh->msg_namelen = namelen;
		flags |= MSG_DONTWAIT;
	}
	errno = EAGAIN;
	return -1;
}

ssize_t
recvmsg(int fd, struct msghdr *mh, int flags)
{
	struct sipgw_recv_sock	*s;
	socklen_t		 namelen = mh->msg_namelen;
	bool			 own = sipgw_udp_own(fd);
	uint64_t		 arrived = 0;

	if (own && fd < SIPGW_RECV_FDS && rs_reg[fd].set)
		rs_loop_epfd = rs_reg[fd].epfd;
	if (!own || (flags & MSG_ERRQUEUE) != 0 || mh->msg_iovlen < 1 ||
	    (s = sock_of(fd)) == NULL)
		return recv_one(fd, mh, flags, own);
	if ((flags & MSG_PEEK) != 0)
		return held_sock(s) != NULL ? take(s, mh, flags, &arrived) :
		    sys_recvmsg(fd, mh, flags);
	for (unsigned i = 0; ; i++) {
		ssize_t	 n = -1;

		if (held_sock(s) != NULL)
			n = take(s, mh, flags, &arrived);
		else if (i == 0) {
			n = fill(s, mh, flags);
			arrived = s->d[0].arrived_ns;
		}
		if (n <= 0 || (size_t)n > mh->msg_iov[0].iov_len ||
		    (mh->msg_flags & MSG_TRUNC) != 0 ||
		    !sipgw_datagram(fd, mh->msg_iov[0].iov_base, (size_t)n,
		    mh->msg_name, mh->msg_namelen, arrived))
			return n;
		/*
		 * Consumed: the next one, if it is there and fits.  An
		 * error of the socket's met on the way is sofia's, as its
		 * next read would have met it.
		 */
		if (i + 1 >= SIPGW_RECV_REFUSALS)
			break;
		if (held_sock(s) == NULL && fill(s, NULL, flags) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		if (held_sock(s) == NULL ||
		    s->d[s->head].len > mh->msg_iov[0].iov_len)
			break;
		sipgw_recv_batched();
		mh->msg_namelen = namelen;
	}
	errno = EAGAIN;
	return -1;
}

int
ioctl(int fd, unsigned long req, ...)
{
	struct sipgw_recv_sock	*s;
	va_list			 ap;
	void			*arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	/* FIONREAD is SIOCINQ: the next datagram's length. */
	if (req == FIONREAD && arg != NULL && (s = held_fd(fd)) != NULL) {
		*(int *)arg = (int)s->d[s->head].len;
		return 0;
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int	 r = (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);

	if (r != 0 || fd < 0 || fd >= SIPGW_RECV_FDS)
		return r;
	if (op == EPOLL_CTL_DEL) {
		if (rs_reg[fd].epfd == epfd)
			rs_reg[fd].set = false;
	} else if (ev != NULL) {
		rs_reg[fd].set = true;
		rs_reg[fd].epfd = epfd;
		rs_reg[fd].events = ev->events;
		rs_reg[fd].data = ev->data;
	}
	return r;
}

/* epoll_wait() while some socket may hold datagrams.  Out of line:
 * the usual call, with nothing held, must cost next to nothing more
 * than the C library's (sys_epoll_wait()). */
static int __attribute__((noinline))
epoll_wait_held(int epfd, struct epoll_event *ev, int max, int timeout)
{
	struct sipgw_recv_sock	*ready[SIPGW_RECV_SOCKS];
	int			 nready = 0, n = 0, room;

	for (size_t i = 0; i < SIPGW_RECV_SOCKS; i++)
		if (held_sock(&rs_sock[i]) != NULL &&
		    registered_in(rs_sock[i].fd, epfd))
			ready[nready++] = &rs_sock[i];
	if (nready == 0 || max <= 0)
		return sys_epoll_wait(epfd, ev, max, timeout);
	/*
	 * Datagrams held: no waiting.  The kernel is asked every
	 * SIPGW_RECV_POLL-th turn, for what fits beside the held sockets
	 * (all of the room when nothing does: the held ones then come
	 * next turn), so that a held datagram costs no system call at all
	 * on the other turns.
	 */
	room = 0;
	if (rs_turn++ % SIPGW_RECV_POLL == 0)
		room = max > nready ? max - nready : max;
	if (room > 0 && (n = sys_epoll_wait(epfd, ev, room, 0)) < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	for (int k = 0; k < nready; k++) {
		const struct sipgw_recv_reg *g = &rs_reg[ready[k]->fd];
		int	 j;

		for (j = 0; j < n; j++)
			if (ev[j].data.u64 == g->data.u64)
				break;
		if (j < n)
			ev[j].events |= EPOLLIN;
		else if (n < max) {
			ev[n].events = EPOLLIN;
			ev[n].data = g->data;
			n++;
		}
	}
	return n;
}

/*
 * sofia's loop (1.12.11 su_base_port_run()) waits for its next timer in
 * whole milliseconds, rounded down: a timer due in 0.7 ms is a timeout
 * of 0, and the loop polls the kernel again and again until it is due.
 * With a transaction's timers always a little ahead, that was thousands
 * of empty polls per message at 200 messages a second and several
 * hundred microseconds of CPU per message at 1,000 (bench/README.md),
 * taken from whatever else shares the cores.  So on the loop's
 * descriptor a poll that follows a poll that found nothing waits up to
 * a millisecond instead: any descriptor that becomes ready ends the
 * wait at once, and a timer is run at most a millisecond late (sofia's
 * timers are kept in milliseconds).  The first poll after any wakeup is
 * still a poll, so what sofia polls for with a timeout of 0 (messages
 * queued to the loop) is handled first.
 */
int
epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	int	 n;

	if (rs_held != 0) {
		rs_idle_poll = false;
		return epoll_wait_held(epfd, ev, max, timeout);
	}
	if (epfd != rs_loop_epfd)
		return sys_epoll_wait(epfd, ev, max, timeout);
	if (timeout == 0 && rs_idle_poll)
		timeout = 1;
	n = sys_epoll_wait(epfd, ev, max, timeout);
	rs_idle_poll = timeout == 0 && n == 0;
	return n;
}
