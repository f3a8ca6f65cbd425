/*
 * tests/unit/test_sipgw_accept.c - gateway/sipgw_accept.c's accept():
 * a connection is handed over while its descriptor is below the mark
 * (the soft RLIMIT_NOFILE less the reserve, half the limit when that
 * is small); one at or above it is closed at once and reported as -1
 * with errno 0, and the queue is empty after it (no busy loop: the
 * listening socket is not left readable); when accept() fails for want
 * of descriptors (EMFILE), the connection is taken off the queue all
 * the same (-1, errno 0), its peer sees the close, and the spare
 * descriptor is back (a connection is accepted again once descriptors
 * are free).  Per address (sipgw_accept_per_source()): with a limit of
 * 3, a fourth connection from 127.0.0.1 is refused the same way while a
 * connection from 127.0.0.2 is accepted; once one of the three is
 * closed, the address may connect again; with 0, no limit.  TAP.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "gateway/sipgw.h"
#include "tests/tap.h"

static int
listener(struct sockaddr_in *sin)
{
	socklen_t	 sl = sizeof(*sin);
	int		 l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)sin, sizeof(*sin)) != 0 ||
	    listen(l, 16) != 0 ||
	    getsockname(l, (struct sockaddr *)sin, &sl) != 0)
		return -1;
	return l;
}

static int
dial(const struct sockaddr_in *sin)
{
	int	 c = socket(AF_INET, SOCK_STREAM, 0);

	if (c >= 0 && connect(c, (const struct sockaddr *)sin,
	    sizeof(*sin)) != 0) {
		close(c);
		return -1;
	}
	return c;
}

/* A connection to @sin from the loopback address @from (host order). */
static int
dial_from(const struct sockaddr_in *sin, uint32_t from)
{
	struct sockaddr_in	 me = { .sin_family = AF_INET };
	int			 c = socket(AF_INET, SOCK_STREAM, 0);

	me.sin_addr.s_addr = htonl(from);
	if (c >= 0 && (bind(c, (struct sockaddr *)&me, sizeof(me)) != 0 ||
	    connect(c, (const struct sockaddr *)sin, sizeof(*sin)) != 0)) {
		close(c);
		return -1;
	}
	return c;
}

/* Is @fd readable within @ms? */
static bool
readable(int fd, int ms)
{
	struct pollfd	 p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms) == 1;
}

/* Did the peer of @c close (EOF or reset)? */
static bool
closed_by_peer(int c)
{
	char	 b;
	ssize_t	 n;

	if (!readable(c, 2000))
		return false;
	n = recv(c, &b, 1, MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* The lowest free descriptor. */
static int
next_fd(void)
{
	int	 fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

int
main(void)
{
	struct sockaddr_in	 sin;
	struct rlimit		 rl0, rl;
	int			 l, c, s, e, fill[256], nfill = 0, f;

	plan(20);
	if (getrlimit(RLIMIT_NOFILE, &rl0) != 0 || (l = listener(&sin)) < 0)
		return 1;

	/* Below the mark: handed over. */
	c = dial(&sin);
	s = accept(l, NULL, NULL);
	ok(s >= 0, "a connection below the mark is accepted (%d)", s);
	if (s >= 0)
		close(s);
	close(c);

	/* At the mark: closed at once, -1 with errno 0, queue empty. */
	c = dial(&sin);
	f = next_fd();
	rl = rl0;
	rl.rlim_cur = (rlim_t)(2 * f);	/* the mark is half: f */
	ok(f > 0 && 2 * f <= 128 && setrlimit(RLIMIT_NOFILE, &rl) == 0,
	    "soft limit %d: the mark is the next descriptor, %d", 2 * f, f);
	errno = EINVAL;
	s = accept(l, NULL, NULL);
	e = errno;
	ok(s == -1 && e == 0, "a connection at the mark is refused: -1, "
	    "errno 0 (got %d, errno %d)", s, e);
	ok(closed_by_peer(c), "its peer sees the close");
	ok(!readable(l, 0), "the listening socket is not left readable");
	close(c);
	(void)setrlimit(RLIMIT_NOFILE, &rl0);

	/* No descriptor at all: EMFILE, the connection is taken off,
	 * twice in a row (the spare is open again after the first). */
	for (int round = 1; round <= 2; round++) {
		c = dial(&sin);
		rl = rl0;
		rl.rlim_cur = 64;
		if (c < 0 || setrlimit(RLIMIT_NOFILE, &rl) != 0)
			return 1;
		while (nfill < (int)(sizeof(fill) / sizeof(fill[0])) &&
		    (fill[nfill] = dup(0)) >= 0)
			nfill++;
		ok(errno == EMFILE, "round %d: every descriptor below 64 in "
		    "use", round);
		errno = EINVAL;
		s = accept(l, NULL, NULL);
		e = errno;
		ok(s == -1 && e == 0, "round %d: accept() at EMFILE: -1, "
		    "errno 0 (got %d, errno %d)", round, s, e);
		ok(closed_by_peer(c), "round %d: the connection was taken "
		    "off and closed", round);
		ok(!readable(l, 0), "round %d: the listening socket is not "
		    "left readable", round);
		close(c);
		while (nfill > 0)
			close(fill[--nfill]);
		(void)setrlimit(RLIMIT_NOFILE, &rl0);
	}

	/* At most 3 at once from one address. */
	{
		struct sockaddr_in	 peer;
		socklen_t		 pl;
		int			 cs[3], ss[3], n = 0, c2, s2;

		sipgw_accept_per_source(3);
		for (int i = 0; i < 3; i++) {
			cs[i] = dial_from(&sin, 0x7f000001);
			pl = sizeof(peer);
			/* The address asked for, or not (getpeername()). */
			ss[i] = accept(l, i % 2 ? (struct sockaddr *)&peer :
			    NULL, i % 2 ? &pl : NULL);
			n += cs[i] >= 0 && ss[i] >= 0;
		}
		is_int(n, 3, "per address 3: three connections from "
		    "127.0.0.1 accepted");
		c = dial_from(&sin, 0x7f000001);
		errno = EINVAL;
		pl = sizeof(peer);
		s = accept(l, (struct sockaddr *)&peer, &pl);
		e = errno;
		ok(s == -1 && e == 0, "a fourth one is refused: -1, errno 0 "
		    "(got %d, errno %d)", s, e);
		ok(closed_by_peer(c), "... its peer sees the close");
		close(c);
		c2 = dial_from(&sin, 0x7f000002);
		s2 = accept(l, NULL, NULL);
		ok(s2 >= 0, "one from 127.0.0.2 is accepted (%d)", s2);
		close(ss[1]);	/* sofia closed it */
		close(cs[1]);
		c = dial_from(&sin, 0x7f000001);
		s = accept(l, NULL, NULL);
		ok(s >= 0, "one of the three closed: 127.0.0.1 may connect "
		    "again (%d)", s);
		ss[1] = s;
		cs[1] = c;
		sipgw_accept_per_source(0);
		c = dial_from(&sin, 0x7f000001);
		s = accept(l, NULL, NULL);
		ok(s >= 0, "limit 0: a fourth one is accepted (%d)", s);
		close(s);
		close(c);
		for (int i = 0; i < 3; i++) {
			close(ss[i]);
			close(cs[i]);
		}
		close(s2);
		close(c2);
	}

	/* With descriptors free, a connection is accepted again. */
	c = dial(&sin);
	s = accept(l, NULL, NULL);
	ok(s >= 0, "a connection is accepted again (%d)", s);
	if (s >= 0)
		close(s);
	close(c);
	close(l);
	return done_testing();
}
