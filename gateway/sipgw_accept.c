/*
 * gateway/sipgw_accept.c - a hard cap on the connections sofia-sip
 * accepts on imgate's SIP TCP and TLS listeners.
 *
 * Linked into imgated only, like gateway/sipgw_recv.c: accept() here
 * stands in for the C library's in the whole process.  sofia's stream
 * transports (1.12.11 tport_accept()) call it once per wakeup of a
 * listening socket; imgate's control socket (gateway/ctl.c) calls
 * accept4() and is not concerned.
 *
 * Why: each accepted connection is a descriptor for as long as it stays
 * open, and sofia has no limit of its own on how many it accepts.
 * Once a flood of connections (idle, or each with half a request) had
 * taken every descriptor of the soft RLIMIT_NOFILE (1024 under systemd
 * by default), c-ares could open no socket (every new number got 503),
 * and accept() failed with EMFILE while the connection stayed queued:
 * the listening socket stayed readable, sofia's loop woke for it on
 * every turn and logged the error every time (a core at 100 % and
 * 100 MB of log in ten seconds, tests/integration/test_sip_conn.py).
 *
 * So a connection whose descriptor is one of the last
 * SIPGW_ACCEPT_RESERVE below the soft limit is closed at once: the
 * descriptors are handed out lowest first, so its number is about the
 * number of descriptors open, and the last ones stay for DNS, the
 * spool, outbound connections and the log.  The limit is read on every
 * call (a connection is rare next to a datagram), so that a limit
 * changed while imgated runs (prlimit(1)) counts at once.  Should
 * accept() fail all the same for want of a descriptor, the spare one
 * kept open here is closed, the connection taken off the queue and
 * closed, and the spare opened again: no busy loop.
 *
 * sofia times out a connection only once it has read something from it
 * (1.12.11 arms a connection's timer in tport_recv_event()): one that
 * sends nothing, or stops within a TLS handshake or a TLS record, it
 * keeps for ever.  So every accepted connection is remembered here (by
 * descriptor, with its peer's address), and at most once per
 * SIPGW_ACCEPT_SWEEP_MS, when a connection is offered, those from
 * which the kernel has received no data for SIPGW_ACCEPT_IDLE_MS
 * (TCP_INFO's tcpi_last_data_recv) are shut down: sofia then reads the
 * end of the stream and closes the transport itself (the descriptor is
 * sofia's, never closed here).  A descriptor that is no longer that
 * connection (another peer, or no peer) is forgotten.  Descriptors from
 * SIPGW_ACCEPT_FDS up are never handed over: that many connections at
 * most.
 *
 * One address may hold at most sip.max_connections_per_source of them
 * (sipgw_accept_per_source()): one host must not take the whole cap
 * from the others.  The remembered connections from that address are
 * counted when one is offered; only when they reach the limit is each of
 * them checked to be still open (getpeername()), so that a peer that
 * closed its connections and opens new ones is not refused for the old
 * ones.  Each worker counts its own (SO_REUSEPORT spreads one address's
 * connections over the workers by port).
 *
 * A refused connection is returned as -1 with errno 0: tport_accept()
 * hands errno to tport_error_report(), which ignores an error code of 0
 * (sofia 1.12.11), so that sofia neither logs nor retries; imgated logs
 * the refusals itself, at most one line per SIPGW_ACCEPT_LOG_MS.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/log.h"
#include "gateway/sipgw.h"

/* Descriptors below the soft RLIMIT_NOFILE that no accepted connection
 * may take. */
#define SIPGW_ACCEPT_RESERVE	64
/* At most one log line of refusals per this many ms. */
#define SIPGW_ACCEPT_LOG_MS	1000
/* Descriptors remembered: no connection is handed over on one above. */
#define SIPGW_ACCEPT_FDS	4096
/* A connection with no data received for this long is shut down (as
 * long as sofia's idle timeout, gateway/sipgw.c SIPGW_TCP_IDLE_MS). */
#define SIPGW_ACCEPT_IDLE_MS	120000
/* The remembered connections are looked at once per this many ms at
 * most. */
#define SIPGW_ACCEPT_SWEEP_MS	1000

/* An accepted connection, by its descriptor: its peer. */
struct acc_conn {
	bool		 used;
	socklen_t	 peerlen;
	struct sockaddr_storage peer;
};

static int		 acc_spare = -1;	/* /dev/null, or -1 */
static uint64_t		 acc_refused;		/* since the last line */
static uint64_t		 acc_logged_at;		/* ms, CLOCK_MONOTONIC */
static struct acc_conn	 acc_conns[SIPGW_ACCEPT_FDS];
static int		 acc_top;		/* conns[0, top) may be used */
static uint64_t		 acc_swept_at;		/* ms, CLOCK_MONOTONIC */
static unsigned		 acc_per_source;	/* 0: no limit */

static void __attribute__((constructor))
sipgw_accept_init(void)
{
	acc_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int
sys_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	return (int)syscall(SYS_accept4, fd, sa, len, 0);
}

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The first descriptor no accepted connection may have; -1: none. */
static long
accept_mark(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (rlim_t)INT32_MAX)
		return -1;
	if (rl.rlim_cur <= 2 * SIPGW_ACCEPT_RESERVE)
		return (long)rl.rlim_cur / 2;
	if (rl.rlim_cur - SIPGW_ACCEPT_RESERVE > SIPGW_ACCEPT_FDS)
		return SIPGW_ACCEPT_FDS;
	return (long)rl.rlim_cur - SIPGW_ACCEPT_RESERVE;
}

/* Is @fd still the connection remembered in @c (the same peer)? */
static bool
same_conn(int fd, const struct acc_conn *c)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);

	return getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    sl == c->peerlen && memcmp(&ss, &c->peer, sl) == 0;
}

/* Shut down the remembered connections that received nothing for
 * SIPGW_ACCEPT_IDLE_MS; forget those that are gone. */
static void
sweep(uint64_t now)
{
	unsigned	 shut = 0;
	int		 top = 0;

	if (acc_swept_at != 0 && now - acc_swept_at < SIPGW_ACCEPT_SWEEP_MS)
		return;
	acc_swept_at = now;
	for (int fd = 0; fd < acc_top; fd++) {
		struct acc_conn	*c = &acc_conns[fd];
		struct tcp_info	 ti;
		socklen_t	 tl = sizeof(ti);

		if (!c->used)
			continue;
		if (!same_conn(fd, c) || getsockopt(fd, IPPROTO_TCP,
		    TCP_INFO, &ti, &tl) != 0) {
			c->used = false;
			continue;
		}
		top = fd + 1;
		if (ti.tcpi_last_data_recv >= SIPGW_ACCEPT_IDLE_MS &&
		    shutdown(fd, SHUT_RDWR) == 0) {
			c->used = false;
			shut++;
		}
	}
	acc_top = top;
	if (shut > 0)
		log_warnx("sip: %u connection(s) shut down: nothing received "
		    "for %d s", shut, SIPGW_ACCEPT_IDLE_MS / 1000);
}

/* The peer of connection @fd, just accepted: @sa as accept() filled it,
 * or, when the caller asked for none (or too short a buffer), its
 * getpeername() in @ss; NULL when neither tells. */
static const struct sockaddr *
peer_of(int fd, const struct sockaddr *sa, socklen_t len,
    struct sockaddr_storage *ss, socklen_t *peerlen)
{
	socklen_t	 sl = sizeof(*ss);

	if (sa != NULL && len >= sizeof(struct sockaddr_in) &&
	    len <= sizeof(*ss)) {
		*peerlen = len;
		return sa;
	}
	if (getpeername(fd, (struct sockaddr *)ss, &sl) != 0)
		return NULL;
	*peerlen = sl;
	return (const struct sockaddr *)ss;
}

/* Remember connection @fd from @sa (NULL: not remembered). */
static void
remember(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct acc_conn	*c;

	if (fd < 0 || fd >= SIPGW_ACCEPT_FDS || sa == NULL)
		return;
	c = &acc_conns[fd];
	memset(&c->peer, 0, sizeof(c->peer));
	memcpy(&c->peer, sa, len);
	c->peerlen = len;
	c->used = true;
	if (fd >= acc_top)
		acc_top = fd + 1;
}

void
sipgw_accept_per_source(unsigned max)
{
	acc_per_source = max;
}

/* Is @c from the IP address of @sa (any port)? */
static bool
same_address(const struct acc_conn *c, const struct sockaddr *sa)
{
	const struct sockaddr *p = (const struct sockaddr *)&c->peer;

	if (p->sa_family != sa->sa_family)
		return false;
	if (sa->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)(const void *)p)->
		    sin_addr, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, sizeof(struct in_addr)) == 0;
	if (sa->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)p)->
		    sin6_addr, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, sizeof(struct in6_addr)) == 0;
	return false;
}

/* The remembered connections from the address of @sa, less those found
 * gone when @check (forgotten then). */
static unsigned
from_address(const struct sockaddr *sa, bool check)
{
	unsigned	 n = 0;

	for (int fd = 0; fd < acc_top; fd++) {
		struct acc_conn	*c = &acc_conns[fd];

		if (!c->used || !same_address(c, sa))
			continue;
		if (check && !same_conn(fd, c)) {
			c->used = false;
			continue;
		}
		n++;
	}
	return n;
}

/* Is a connection just accepted from @sa (NULL: unknown) one too many
 * from its address? */
static bool
over_per_source(const struct sockaddr *sa)
{
	return acc_per_source != 0 && sa != NULL &&
	    from_address(sa, false) >= acc_per_source &&
	    from_address(sa, true) >= acc_per_source;
}

/* Count a refusal of a connection from @sa; log it unless one was
 * logged less than SIPGW_ACCEPT_LOG_MS ago (then the next line counts
 * it). */
static void
refused(const struct sockaddr *sa, socklen_t len, const char *why)
{
	char		 ip[INET6_ADDRSTRLEN] = "?";
	uint64_t	 now = now_ms();

	acc_refused++;
	if (acc_logged_at != 0 && now - acc_logged_at < SIPGW_ACCEPT_LOG_MS)
		return;
	if (sa != NULL && len >= sizeof(struct sockaddr_in) &&
	    sa->sa_family == AF_INET)
		(void)inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, ip, sizeof(ip));
	else if (sa != NULL && len >= sizeof(struct sockaddr_in6) &&
	    sa->sa_family == AF_INET6)
		(void)inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, ip, sizeof(ip));
	log_warnx("sip: connection from %s refused: %s (%llu refused "
	    "since the last such line)", ip, why,
	    (unsigned long long)acc_refused);
	acc_refused = 0;
	acc_logged_at = now;
}

int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	socklen_t	 len0 = len != NULL ? *len : 0, peerlen = 0;
	long		 mark = accept_mark();
	int		 s, e;
	struct sockaddr_storage ss;
	const struct sockaddr *peer;

	sweep(now_ms());
	s = sys_accept(fd, sa, len);

	if (s < 0 && (errno == EMFILE || errno == ENFILE) &&
	    acc_spare >= 0) {
		/* Take the connection off the queue with the spare. */
		e = errno;
		(void)close(acc_spare);
		if (len != NULL)
			*len = len0;
		s = sys_accept(fd, sa, len);
		if (s >= 0)
			(void)close(s);
		acc_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (s < 0)
			return -1;	/* errno: the second accept()'s */
		refused(sa, len != NULL ? *len : 0, e == EMFILE ?
		    "no descriptor left in the process" :
		    "no descriptor left in the system");
		errno = 0;
		return -1;
	}
	if (s < 0)
		return s;
	if (mark >= 0 && s >= mark) {
		(void)close(s);
		refused(sa, len != NULL ? *len : 0,
		    "too many connections (descriptors near RLIMIT_NOFILE)");
		errno = 0;
		return -1;
	}
	peer = peer_of(s, sa, len != NULL ? *len : 0, &ss, &peerlen);
	if (over_per_source(peer)) {
		(void)close(s);
		refused(peer, peerlen, "too many connections from this "
		    "address (sip.max_connections_per_source)");
		errno = 0;
		return -1;
	}
	remember(s, peer, peerlen);
	return s;
}
