/*
 * gateway/sipgw_recv.c - the recvmsg() through which sofia-sip reads the
 * SIP UDP socket, so that a shed request is refused before it is parsed
 * (gateway/sipgw.h sipgw_datagram(), gateway/overload_sip.h).
 *
 * Linked into imgated only, like gateway/workers_bind.c: it stands in
 * for the C library's recvmsg() in the whole process.  sofia's UDP
 * transport reads one datagram per wakeup, sized first with FIONREAD,
 * straight into the buffer of the message it will parse (one iovec);
 * this reads it there too, with the system call, and shows it to
 * sipgw_datagram() first.  A datagram that the edge consumed (answered
 * or dropped) is reported to sofia as EAGAIN, "nothing there after
 * all", which it handles by freeing the empty message: no parse, no
 * transaction.  For every other descriptor, a peek, a read of the error
 * queue (what comes back there is what imgate sent, with an ICMP
 * error), a datagram that does not fit the first iovec or a truncated
 * one, it is the system call and nothing else.
 *
 * Under overload most datagrams are refused, and a refusal that ends in
 * EAGAIN costs sofia's loop a wakeup, a FIONREAD and a message
 * allocated and freed for nothing: after one, this reads on (up to
 * SIPGW_RECV_BATCH datagrams a call) while the next datagram fits the
 * buffer sofia sized, and returns the first one that the edge lets
 * through, as if it had been the first in the queue.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <unistd.h>

#include "gateway/sipgw.h"

/* At most this many datagrams read in one call (the refused ones and
 * the one returned): the loop's timers wait meanwhile. */
#define SIPGW_RECV_BATCH	64

ssize_t
recvmsg(int fd, struct msghdr *mh, int flags)
{
	socklen_t	 namelen = mh->msg_namelen;
	int		 next;

	for (unsigned i = 0; ; i++) {
		ssize_t	 n = (ssize_t)syscall(SYS_recvmsg, fd, mh, flags);

		if (n <= 0 || (flags & (MSG_PEEK | MSG_ERRQUEUE)) != 0 ||
		    mh->msg_iovlen < 1 ||
		    (size_t)n > mh->msg_iov[0].iov_len ||
		    (mh->msg_flags & MSG_TRUNC) != 0 ||
		    !sipgw_datagram(fd, mh->msg_iov[0].iov_base, (size_t)n,
		    mh->msg_name, mh->msg_namelen))
			return n;
		/* Consumed: the next one, if it is there and fits. */
		if (i + 1 >= SIPGW_RECV_BATCH ||
		    ioctl(fd, FIONREAD, &next) != 0 || next <= 0 ||
		    (size_t)next > mh->msg_iov[0].iov_len)
			break;
		sipgw_recv_batched();
		mh->msg_namelen = namelen;
		flags |= MSG_DONTWAIT;
	}
	errno = EAGAIN;
	return -1;
}
