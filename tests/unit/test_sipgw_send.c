/*
 * tests/unit/test_sipgw_send.c - gateway/sipgw_send.c: on imgate's own
 * SIP UDP socket getsockopt(SO_ERROR) asks the kernel nothing, and a
 * send that a pending ICMP error fails is sent once more, so the
 * datagram sofia sends after such an error still goes out, once; on any
 * other socket both are the system calls (there the pending error
 * fails the send: the kernel behaviour the interposition stands in
 * for).  The edge (gateway/sipgw.c) is stubbed: one socket is "own".
 * The ICMP port unreachable comes from a send to a closed port on the
 * loopback (no rate limit there).  TAP.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "gateway/sipgw.h"
#include "tests/tap.h"

static int	 own_fd = -1;

bool
sipgw_udp_own(int fd)
{
	return fd == own_fd;
}

static int
udp_socket(struct sockaddr_in *a)
{
	socklen_t	 al = sizeof(*a);
	int		 s = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)a, sizeof(*a)) != 0 ||
	    getsockname(s, (struct sockaddr *)a, &al) != 0 ||
	    setsockopt(s, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) != 0)
		return -1;
	return s;
}

/* sofia's su_vsend(): one datagram to @to with sendmsg(). */
static ssize_t
send_msg(int s, const struct sockaddr_in *to, const char *text)
{
	struct iovec	 iov = { (void *)text, strlen(text) };
	struct msghdr	 mh = { 0 };

	mh.msg_name = (void *)to;
	mh.msg_namelen = sizeof(*to);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	return sendmsg(s, &mh, MSG_NOSIGNAL);
}

/* Send to the closed port @dead from @s and wait (1 s at most) for the
 * ICMP error to be pending on it. */
static bool
provoke_icmp(int s, const struct sockaddr_in *dead)
{
	struct pollfd	 p = { .fd = s, .events = 0 };

	if (sendto(s, "x", 1, 0, (const struct sockaddr *)dead,
	    sizeof(*dead)) != 1)
		return false;
	return poll(&p, 1, 1000) == 1 && (p.revents & POLLERR) != 0;
}

/* The datagrams waiting on @s, read without waiting, into @buf. */
static int
drain(int s, char *buf, size_t len)
{
	int	 n = 0;

	while (recv(s, buf, len, MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

int
main(void)
{
	struct sockaddr_in	 own_a, other_a, sink_a, dead;
	int			 other, sink, d, err, type;
	socklen_t		 len;
	char			 buf[64];
	ssize_t			 n;

	own_fd = udp_socket(&own_a);
	other = udp_socket(&other_a);
	sink = udp_socket(&sink_a);
	d = udp_socket(&dead);
	ok(own_fd >= 0 && other >= 0 && sink >= 0 && d >= 0,
	    "sockets on 127.0.0.1");
	close(d);	/* its port is closed now: ICMP port unreachable */

	/* Nothing pending: one send, one datagram (no second send). */
	n = send_msg(own_fd, &sink_a, "first");
	is_int((long long)n, 5, "own socket: a plain send sends");
	usleep(20000);
	is_int(drain(sink, buf, sizeof(buf)), 1, "... exactly once");

	/* The pending error, on the own socket. */
	ok(provoke_icmp(own_fd, &dead), "own socket: an ICMP port "
	    "unreachable is pending (POLLERR)");
	err = -1;
	len = sizeof(err);
	ok(getsockopt(own_fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	    err == 0 && len == sizeof(err), "getsockopt(SO_ERROR) answers 0");
	err = 0;
	len = sizeof(err);
	n = (ssize_t)syscall(SYS_getsockopt, own_fd, SOL_SOCKET, SO_ERROR,
	    &err, &len);
	ok(n == 0 && err == ECONNREFUSED, "... and asked the kernel nothing: "
	    "the error is still pending (the system call says %d)", err);
	ok(provoke_icmp(own_fd, &dead), "... pending again");
	n = send_msg(own_fd, &sink_a, "second");
	is_int((long long)n, 6, "the send after it sends (sent again after "
	    "the pending error failed it)");
	usleep(20000);
	n = recv(sink, buf, sizeof(buf), MSG_DONTWAIT);
	ok(n == 6 && memcmp(buf, "second", 6) == 0, "... the datagram "
	    "arrives");
	is_int(drain(sink, buf, sizeof(buf)), 0, "... once");

	/* Other options on the own socket are the system call. */
	type = 0;
	len = sizeof(type);
	ok(getsockopt(own_fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_DGRAM, "getsockopt(SO_TYPE) on it is the system "
	    "call");

	/* A send that fails on its own fails again, with its own error. */
	{
		struct sockaddr_in6	 v6 = { .sin6_family = AF_INET6 };
		char			 x = 'x';
		struct iovec		 iov = { &x, 1 };
		struct msghdr		 mh = { 0 };
		int			 e1;

		mh.msg_name = &v6;
		mh.msg_namelen = sizeof(v6);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		errno = 0;
		n = (ssize_t)syscall(SYS_sendmsg, own_fd, &mh, 0);
		e1 = errno;
		errno = 0;
		ok(n == -1 && sendmsg(own_fd, &mh, 0) == -1 && errno == e1,
		    "own socket: a send that fails by itself fails with its "
		    "own error (errno %d)", e1);
	}

	/* Any other socket: the system calls, and the pending error fails
	 * the next send, which is not sent again. */
	ok(provoke_icmp(other, &dead), "other socket: an ICMP port "
	    "unreachable is pending");
	n = send_msg(other, &sink_a, "third");
	err = errno;
	ok(n == -1 && err == ECONNREFUSED, "... the next send fails with "
	    "ECONNREFUSED: the kernel reports the pending error instead of "
	    "sending (n %zd, errno %d)", n, err);
	usleep(20000);
	is_int(drain(sink, buf, sizeof(buf)), 0, "... and nothing was sent");
	ok(provoke_icmp(other, &dead), "... pending again");
	err = 0;
	len = sizeof(err);
	n = getsockopt(other, SOL_SOCKET, SO_ERROR, &err, &len);
	ok(n == 0 && err == ECONNREFUSED, "getsockopt(SO_ERROR) there is the "
	    "system call: ECONNREFUSED (%d)", err);
	is_int((long long)send_msg(other, &sink_a, "fourth"), 6, "... which "
	    "cleared it: the next send sends");

	close(own_fd);
	close(other);
	close(sink);
	return done_testing();
}
