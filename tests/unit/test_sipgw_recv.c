/*
 * tests/unit/test_sipgw_recv.c - gateway/sipgw_recv.c's epoll_wait():
 * on the loop's epoll descriptor (the one imgate's own SIP UDP socket is
 * registered with, learnt at its first read) a poll (timeout 0) that
 * follows a poll that found nothing waits up to a millisecond, so that
 * the loop does not spin while sofia's next timer is under a
 * millisecond away; any other descriptor, and a poll that finds
 * something, is the system call as asked.  The edge (gateway/sipgw.c)
 * is stubbed: one socket is "own", nothing is consumed.  A wait is
 * shown by a lower bound of elapsed time (a wait of at least 1 ms is
 * the kernel's promise), its absence by a bound hundreds of times what
 * the calls take, or by counts of events.
 * With SO_TIMESTAMPNS on the own socket, each datagram reaches
 * sipgw_datagram() with the kernel's arrival time (the one read into
 * the caller's buffer and those held in the batch alike), between the
 * sends and the read, and the caller, who asked for no ancillary data,
 * gets none; without it, 0.  TAP.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/sipgw.h"
#include "tests/tap.h"

/* Polls per check: waiting a millisecond every second one takes at
 * least POLLS / 2 ms; not waiting takes well under a millisecond, and
 * FAST_MS leaves room for a loaded machine between the two. */
#define POLLS		400
#define FAST_MS		150

static int	 own_fd = -1;
/* What sipgw_datagram() was shown, in order. */
static uint64_t	 arrived[8];
static size_t	 n_arrived;

bool
sipgw_udp_own(int fd)
{
	return fd == own_fd;
}

bool
sipgw_datagram(int fd, const void *buf, size_t len,
    const struct sockaddr *from, socklen_t fromlen, uint64_t arrived_ns)
{
	if (n_arrived < sizeof(arrived) / sizeof(arrived[0]))
		arrived[n_arrived++] = arrived_ns;
	(void)fd;
	(void)buf;
	(void)len;
	(void)from;
	(void)fromlen;
	return false;
}

void
sipgw_recv_batched(void)
{
}

void
sipgw_recv_read(unsigned datagrams)
{
	(void)datagrams;
}

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* @n zero-timeout waits on @ep; @return the ms they took, *@events the
 * events they reported. */
static double
polls(int ep, int n, int *events)
{
	struct epoll_event	 ev[4];
	double			 t0 = now_ms();

	*events = 0;
	for (int i = 0; i < n; i++) {
		int	 r = epoll_wait(ep, ev, 4, 0);

		if (r > 0)
			*events += r;
	}
	return now_ms() - t0;
}

static void
send_to(int s, int to)
{
	struct sockaddr_in	 a;
	socklen_t		 al = sizeof(a);

	getsockname(to, (struct sockaddr *)&a, &al);
	sendto(s, "x", 1, 0, (struct sockaddr *)&a, al);
}

int
main(void)
{
	struct sockaddr_in	 a = { .sin_family = AF_INET };
	struct epoll_event	 ev = { .events = EPOLLIN };
	int			 ep = epoll_create1(0), other = epoll_create1(0);
	int			 peer = socket(AF_INET, SOCK_DGRAM, 0);
	int			 events;
	char			 buf[64];
	double			 ms;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	own_fd = socket(AF_INET, SOCK_DGRAM, 0);
	bind(own_fd, (struct sockaddr *)&a, sizeof(a));
	ev.data.fd = own_fd;
	ok(epoll_ctl(ep, EPOLL_CTL_ADD, own_fd, &ev) == 0 &&
	    epoll_ctl(other, EPOLL_CTL_ADD, peer, &ev) == 0,
	    "epoll descriptors set up");

	/* Before the own socket was read, the loop's descriptor is not
	 * known: polls are polls (POLLS of them, if every second one
	 * waited a millisecond, would take POLLS / 2 ms; the bound below
	 * leaves room for a busy machine). */
	ms = polls(ep, POLLS, &events);
	ok(ms < FAST_MS && events == 0, "before the first read: %d empty "
	    "polls in %.1f ms, none waited", POLLS, ms);

	/* The first read of the own socket tells which descriptor is the
	 * loop's. */
	send_to(peer, own_fd);
	{
		struct iovec	 iov = { buf, sizeof(buf) };
		struct msghdr	 mh = { .msg_iov = &iov, .msg_iovlen = 1 };

		/* recvmsg(), as sofia reads (recv() is another call) */
		ok(recvmsg(own_fd, &mh, 0) == 1, "a datagram read from the "
		    "own socket");
	}
	ms = polls(ep, POLLS, &events);
	ok(ms >= POLLS / 2 - 1 && events == 0, "the loop's descriptor: %d "
	    "empty polls took %.1f ms: every second one waited a "
	    "millisecond", POLLS, ms);

	/* Something to read: no poll waits, each reports it. */
	send_to(peer, own_fd);
	ms = polls(ep, POLLS, &events);
	ok(events == POLLS, "a datagram waiting: each of %d polls reports "
	    "it (%d events in %.1f ms)", POLLS, events, ms);
	ok(ms < FAST_MS, "... and none of them waited (%.1f ms)", ms);
	recv(own_fd, buf, sizeof(buf), 0);

	/* Another epoll descriptor (the metrics server's, say): as asked. */
	ms = polls(other, POLLS, &events);
	ok(ms < FAST_MS && events == 0, "another epoll descriptor: %d empty "
	    "polls in %.1f ms, none waited", POLLS, ms);

	/* A wait that was asked for is the wait asked for. */
	{
		struct epoll_event	 e[1];
		double			 t0 = now_ms();

		ok(epoll_wait(ep, e, 1, 5) == 0 && now_ms() - t0 >= 4.9,
		    "a 5 ms wait on the loop's descriptor waits 5 ms");
	}
	/* Arrival stamps. */
	{
		struct iovec	 iov = { buf, sizeof(buf) };
		struct msghdr	 mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct timespec	 ts;
		uint64_t	 t1, t2;
		int		 one = 1;
		bool		 within = true, controls = true;

		ok(n_arrived >= 1 && arrived[0] == 0, "without "
		    "SO_TIMESTAMPNS: shown with no arrival time (0)");
		ok(setsockopt(own_fd, SOL_SOCKET, SO_TIMESTAMPNS, &one,
		    sizeof(one)) == 0, "SO_TIMESTAMPNS set");
		/* What arrives from now on is stamped, once the kernel has
		 * turned stamping on (a deferred work item: a datagram
		 * that came before is stamped when read, wait 0). */
		usleep(20000);
		clock_gettime(CLOCK_REALTIME, &ts);
		t1 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		for (int i = 0; i < 3; i++)
			send_to(peer, own_fd);
		usleep(20000);
		n_arrived = 0;
		for (int i = 0; i < 3; i++) {
			mh.msg_controllen = 0;
			if (recvmsg(own_fd, &mh, 0) != 1 ||
			    mh.msg_controllen != 0)
				controls = false;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		t2 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		is_int((long long)n_arrived, 3, "three datagrams shown to "
		    "sipgw_datagram()");
		ok(controls, "... each read whole, no ancillary data for a "
		    "caller that asked for none");
		for (size_t i = 0; i < 3; i++)
			within = within && arrived[i] >= t1 &&
			    arrived[i] + 20000000u <= t2;
		ok(within, "sent after it: stamped between the send and 20 ms "
		    "before the read (%llu, %llu, %llu ns after the sends "
		    "began)", (unsigned long long)(arrived[0] - t1),
		    (unsigned long long)(arrived[1] - t1),
		    (unsigned long long)(arrived[2] - t1));
	}
	close(own_fd);
	close(peer);
	close(ep);
	close(other);
	return done_testing();
}
