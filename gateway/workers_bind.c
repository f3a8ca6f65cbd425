/*
 * gateway/workers_bind.c - the bind() that gives each worker its share of
 * the SIP port (gateway/workers.h).  Linked into imgated only: it stands
 * in for the C library's bind() in the whole process, the SIP stack's
 * calls included; disarmed, it is the system call.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "gateway/workers.h"

/* Listening addresses nta binds: UDP and TCP, IPv4 and IPv6, TLS. */
#define WORKERS_BINDS_MAX	8
enum workers_mode { WB_OFF, WB_RECORD, WB_REPLAY };

struct workers_bind {
	int			 family;
	int			 type;
	struct sockaddr_storage	 addr;
	socklen_t		 len;
	int			 fds[WORKERS_MAX];
};

static enum workers_mode	 wb_mode;
static int			 wb_n;		/* sockets per address */
static int			 wb_k;		/* replay: the worker */
static struct workers_bind	 wb[WORKERS_BINDS_MAX];
static size_t			 wb_count;

static int
sys_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	return (int)syscall(SYS_bind, fd, sa, len);
}

static uint16_t
port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

/* Put @src in @fd's place, with @fd's file status flags (non-blocking). */
static int
take_place(int src, int fd)
{
	int	 fl = fcntl(fd, F_GETFL);

	if (fl != -1)
		(void)fcntl(src, F_SETFL, fl);
	return dup2(src, fd) == fd ? 0 : -1;
}

static int
record(int fd, const struct sockaddr *sa, socklen_t len, int type)
{
	struct workers_bind	*b;
	int			 one = 1, v6only = 0;
	socklen_t		 ol = sizeof(v6only);

	if (wb_count == WORKERS_BINDS_MAX) {
		errno = EMFILE;
		return -1;
	}
	b = &wb[wb_count];
	memset(b, 0, sizeof(*b));
	b->family = sa->sa_family;
	b->type = type;
	b->len = len > sizeof(b->addr) ? sizeof(b->addr) : len;
	memcpy(&b->addr, sa, b->len);
	if (sa->sa_family == AF_INET6)
		(void)getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &ol);
	for (int i = 0; i < wb_n; i++) {
		int s = socket(sa->sa_family, type, 0);

		if (s == -1 ||
		    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one)) != 0 ||
		    setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one,
		    sizeof(one)) != 0 ||
		    (sa->sa_family == AF_INET6 && setsockopt(s, IPPROTO_IPV6,
		    IPV6_V6ONLY, &v6only, sizeof(v6only)) != 0) ||
		    sys_bind(s, sa, len) != 0 ||
		    (type == SOCK_STREAM && listen(s, SOMAXCONN) != 0)) {
			int e = errno;

			if (s != -1)
				close(s);
			while (i-- > 0)
				close(b->fds[i]);
			errno = e;
			return -1;
		}
		b->fds[i] = s;
	}
	wb_count++;
	return take_place(b->fds[0], fd);
}

/*
 * The bind() nta's tport calls (it resolves to this definition before
 * the C library's).  Disarmed, or for an address without a port (an
 * outgoing connection, a resolver socket), it is the system call.
 */
int
bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	int		 type;
	socklen_t	 tl = sizeof(type);

	if (wb_mode == WB_OFF || sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6) || port_of(sa) == 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0)
		return sys_bind(fd, sa, len);
	if (wb_mode == WB_RECORD)
		return record(fd, sa, len, type);
	for (size_t i = 0; i < wb_count; i++)
		if (wb[i].family == sa->sa_family && wb[i].type == type &&
		    wb[i].len == len && memcmp(&wb[i].addr, sa, len) == 0)
			return take_place(wb[i].fds[wb_k], fd);
	return sys_bind(fd, sa, len);
}

void
workers_bind_record(int n)
{
	wb_mode = WB_RECORD;
	wb_n = n;
	wb_count = 0;
}

void
workers_bind_replay(int k)
{
	wb_mode = WB_REPLAY;
	wb_k = k;
}

void
workers_bind_off(void)
{
	/* A worker keeps its own sockets (nta's copies) and no other: the
	 * supervisor's are not its to read. */
	if (wb_mode == WB_REPLAY)
		for (size_t i = 0; i < wb_count; i++)
			for (int k = 0; k < wb_n; k++)
				close(wb[i].fds[k]);
	wb_mode = WB_OFF;
}


/*
 * The supervisor binds in a child of its own (gateway/main): the SIP
 * stack seeds its random state when it starts, and workers forked from
 * a process that holds one would all make the same Call-IDs and
 * branches.  The child sends the table, one message per address with
 * that address's sockets attached (SCM_RIGHTS), then exits.
 */
int
workers_bind_send(int sock)
{
	for (size_t i = 0; i < wb_count; i++) {
		struct workers_bind	*b = &wb[i];
		char			 cbuf[CMSG_SPACE(sizeof(int) *
		    WORKERS_MAX)];
		struct iovec		 iov = { b, sizeof(*b) };
		struct msghdr		 mh;
		struct cmsghdr		*cm;

		memset(&mh, 0, sizeof(mh));
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)wb_n);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)wb_n);
		memcpy(CMSG_DATA(cm), b->fds, sizeof(int) * (size_t)wb_n);
		if (sendmsg(sock, &mh, 0) != (ssize_t)sizeof(*b))
			return -1;
	}
	return 0;
}

int
workers_bind_receive(int sock, int n)
{
	wb_n = n;
	wb_count = 0;
	for (;;) {
		struct workers_bind	 b;
		char			 cbuf[CMSG_SPACE(sizeof(int) *
		    WORKERS_MAX)];
		struct iovec		 iov = { &b, sizeof(b) };
		struct msghdr		 mh;
		struct cmsghdr		*cm;
		ssize_t			 r;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if ((r = recvmsg(sock, &mh, 0)) == 0)
			break;
		if (r != (ssize_t)sizeof(b) || wb_count == WORKERS_BINDS_MAX ||
		    (cm = CMSG_FIRSTHDR(&mh)) == NULL ||
		    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len !=
		    CMSG_LEN(sizeof(int) * (size_t)n))
			return -1;
		memcpy(b.fds, CMSG_DATA(cm), sizeof(int) * (size_t)n);
		wb[wb_count++] = b;
	}
	return wb_count > 0 ? 0 : -1;
}
