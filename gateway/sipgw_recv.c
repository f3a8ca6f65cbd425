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
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <unistd.h>

#include "gateway/sipgw.h"

ssize_t
recvmsg(int fd, struct msghdr *mh, int flags)
{
	ssize_t	 n = (ssize_t)syscall(SYS_recvmsg, fd, mh, flags);

	if (n > 0 && (flags & (MSG_PEEK | MSG_ERRQUEUE)) == 0 &&
	    mh->msg_iovlen >= 1 &&
	    (size_t)n <= mh->msg_iov[0].iov_len &&
	    (mh->msg_flags & MSG_TRUNC) == 0 &&
	    sipgw_datagram(fd, mh->msg_iov[0].iov_base, (size_t)n,
	    mh->msg_name, mh->msg_namelen)) {
		errno = EAGAIN;
		return -1;
	}
	return n;
}
