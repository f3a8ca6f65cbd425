/*
 * gateway/sipgw_send.c - how sofia-sip sends on imgate's own SIP UDP
 * sockets: without a getsockopt() before every datagram.
 *
 * Linked into imgated only, like gateway/sipgw_recv.c: getsockopt() and
 * sendmsg() here stand in for the C library's in the whole process.  For
 * every descriptor that is not an own SIP UDP socket (sipgw_udp_own()),
 * and every option but SO_ERROR, they are the C library's functions and
 * nothing else.
 *
 * Why: sofia's UDP transport (1.12.11, tport_send_dgram()) calls
 * su_soerror(), getsockopt(SO_ERROR), before each datagram it sends and
 * throws the answer away ("XXX - we *still* have a race condition").
 * The call clears an error that an ICMP message left pending on the
 * socket (the sockets have IP_RECVERR, so any ICMP error does), which
 * would otherwise fail the send: the kernel reports a pending error
 * from the next send on the socket (sock_alloc_send_skb()) instead of
 * sending.  That is two system calls of about five a relayed message
 * (the request forwarded, the answer sent back), each about a
 * microsecond where system calls are dear (bench/README.md).
 *
 * So on an own socket getsockopt(SO_ERROR) answers 0 without asking the
 * kernel, and leaves the error pending, and sendmsg() that fails for
 * anything but a full buffer sends once more: the failed send took the
 * pending error (and nothing left), so the second one is the send sofia
 * asked for and its result is the one sofia gets; a second failure is
 * the send's own (no route, say).  The ICMP errors themselves still
 * reach sofia as before: the socket's error queue, which sofia reads
 * when epoll reports EPOLLERR (tport_udp_error()), and reading the last
 * one clears the pending error too.  Before, an error that arrived
 * between sofia's getsockopt() and its send failed the send; now it is
 * sent again.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "gateway/sipgw.h"

static int (*libc_getsockopt)(int, int, int, void *, socklen_t *);
static ssize_t (*libc_sendmsg)(int, const struct msghdr *, int);

static void __attribute__((constructor))
sipgw_send_init(void)
{
	*(void **)&libc_getsockopt = dlsym(RTLD_NEXT, "getsockopt");
	*(void **)&libc_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
}

/* A library that could not be found (no dynamic loader, say) leaves the
 * pointers NULL: then every call is the system call. */
static int
sys_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (libc_getsockopt != NULL)
		return libc_getsockopt(fd, level, name, val, len);
	return (int)syscall(SYS_getsockopt, fd, level, name, val, len);
}

static ssize_t
sys_sendmsg(int fd, const struct msghdr *mh, int flags)
{
	if (libc_sendmsg != NULL)
		return libc_sendmsg(fd, mh, flags);
	return (ssize_t)syscall(SYS_sendmsg, fd, mh, flags);
}

int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int	 none = 0;

	if (level != SOL_SOCKET || name != SO_ERROR || val == NULL ||
	    len == NULL || *len < (socklen_t)sizeof(none) ||
	    !sipgw_udp_own(fd))
		return sys_getsockopt(fd, level, name, val, len);
	memcpy(val, &none, sizeof(none));
	*len = (socklen_t)sizeof(none);
	return 0;
}

ssize_t
sendmsg(int fd, const struct msghdr *mh, int flags)
{
	ssize_t	 n = sys_sendmsg(fd, mh, flags);

	if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR || !sipgw_udp_own(fd))
		return n;
	return sys_sendmsg(fd, mh, flags);
}
