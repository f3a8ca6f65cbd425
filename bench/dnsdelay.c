/*
 * bench/dnsdelay.c - a delaying UDP DNS forwarder and a small DNS load
 * generator for the imgate benchmark (this kernel has no netem).
 *
 *   dnsdelay fwd  LISTEN_PORT UPSTREAM_PORT DELAY_MS [SECONDS]
 *	Listens on 127.0.0.1:LISTEN_PORT.  Every query is held DELAY_MS
 *	(constant, FIFO) and then sent to 127.0.0.1:UPSTREAM_PORT under an
 *	ID of its own; answers are relayed to the client at once with the
 *	client's ID restored.  Stops by itself after SECONDS (default 900)
 *	or on SIGTERM/SIGINT, and prints its counters to stderr.
 *
 *   dnsdelay load TARGET_PORT RATE SECONDS QNAME [QTYPE]
 *	Sends RATE queries/s for SECONDS to 127.0.0.1:TARGET_PORT (QTYPE
 *	is a number, default 35 = NAPTR), waits up to 2 s for the last
 *	answers and prints one line:
 *	  sent N recv M rate R/s p50 X us p99 Y us max Z us
 *
 * Loopback only, bounded in time.  Build: cc -O2 -o dnsdelay dnsdelay.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QMAX		512		/* largest query held */
#define RING		32768		/* queries held at once */

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

static int
udp_socket(int port)
{
	struct sockaddr_in	sin;
	int			fd, sz = 4 * 1024 * 1024;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("bind");
		exit(1);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void
connect_to(int fd, int port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("connect");
		exit(1);
	}
}

/* ---- forwarder ---------------------------------------------------- */

struct held {
	int64_t			due;
	struct sockaddr_in	from;
	uint16_t		len;
	unsigned char		buf[QMAX];
};

struct idmap {
	struct sockaddr_in	from;
	uint16_t		orig;
	uint8_t			used;
};

static int
run_fwd(int lport, int uport, int delay_ms, int seconds)
{
	static struct held	ring[RING];
	static struct idmap	map[65536];
	unsigned char		abuf[65536];
	struct pollfd		pfd[2];
	struct timespec		ts;
	struct sockaddr_in	from;
	socklen_t		flen;
	unsigned long		nq = 0, na = 0, ndrop = 0, nlate = 0;
	unsigned		head = 0, tail = 0;	/* ring[head..tail) */
	uint16_t		next_id = 1;
	int64_t			delay = (int64_t)delay_ms * 1000000;
	int64_t			end = now_ns() + (int64_t)seconds * 1000000000;
	int			lfd, ufd;
	ssize_t			n;

	lfd = udp_socket(lport);
	ufd = udp_socket(0);
	connect_to(ufd, uport);
	fprintf(stderr, "dnsdelay: 127.0.0.1:%d -> 127.0.0.1:%d, %d ms\n",
	    lport, uport, delay_ms);
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = ufd;
	pfd[1].events = POLLIN;
	while (!stop) {
		int64_t	t = now_ns(), wait;

		if (t >= end)
			break;
		/* send every query whose time has come, in order */
		while (head != tail && ring[head % RING].due <= t) {
			struct held	*h = &ring[head % RING];
			uint16_t	 id;

			id = next_id++;
			if (next_id == 0)
				next_id = 1;
			map[id].from = h->from;
			map[id].orig = (uint16_t)(h->buf[0] << 8 | h->buf[1]);
			map[id].used = 1;
			h->buf[0] = id >> 8;
			h->buf[1] = id & 0xff;
			if (send(ufd, h->buf, h->len, 0) == -1)
				ndrop++;
			if (t - h->due > 1000000)
				nlate++;
			head++;
		}
		wait = head != tail ? ring[head % RING].due - t : 50000000;
		if (wait < 0)
			wait = 0;
		ts.tv_sec = wait / 1000000000;
		ts.tv_nsec = wait % 1000000000;
		if (ppoll(pfd, 2, &ts, NULL) == -1 && errno != EINTR)
			break;
		for (;;) {		/* queries in */
			struct held	*h;

			if (tail - head >= RING) {
				/* full: read and drop */
				flen = sizeof(from);
				if (recvfrom(lfd, abuf, sizeof(abuf), 0,
				    (struct sockaddr *)&from, &flen) < 0)
					break;
				ndrop++;
				continue;
			}
			h = &ring[tail % RING];
			flen = sizeof(h->from);
			n = recvfrom(lfd, abuf, sizeof(abuf), 0,
			    (struct sockaddr *)&h->from, &flen);
			if (n < 0)
				break;
			if (n < 12 || n > QMAX) {
				ndrop++;
				continue;
			}
			memcpy(h->buf, abuf, n);
			h->len = (uint16_t)n;
			h->due = now_ns() + delay;
			tail++;
			nq++;
		}
		for (;;) {		/* answers out at once */
			uint16_t	id;

			n = recv(ufd, abuf, sizeof(abuf), 0);
			if (n < 0)
				break;
			if (n < 12)
				continue;
			id = (uint16_t)(abuf[0] << 8 | abuf[1]);
			if (!map[id].used)
				continue;
			abuf[0] = map[id].orig >> 8;
			abuf[1] = map[id].orig & 0xff;
			map[id].used = 0;
			sendto(lfd, abuf, n, 0, (struct sockaddr *)&map[id].from,
			    sizeof(map[id].from));
			na++;
		}
	}
	fprintf(stderr, "dnsdelay: queries %lu answers %lu dropped %lu "
	    "late(>1ms) %lu\n", nq, na, ndrop, nlate);
	return 0;
}

/* ---- load generator ----------------------------------------------- */

static int
cmp64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t
make_query(unsigned char *q, const char *name, int qtype, uint16_t id)
{
	size_t		 i = 12;
	const char	*p = name, *dot;

	memset(q, 0, 12);
	q[0] = id >> 8;
	q[1] = id & 0xff;
	q[2] = 0x01;		/* RD */
	q[5] = 1;		/* QDCOUNT */
	while (*p != '\0') {
		size_t	len;

		dot = strchr(p, '.');
		len = dot ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len > 63 || i + len + 6 > QMAX)
			break;
		q[i++] = (unsigned char)len;
		memcpy(q + i, p, len);
		i += len;
		p += len;
		if (*p == '.')
			p++;
	}
	q[i++] = 0;
	q[i++] = qtype >> 8;
	q[i++] = qtype & 0xff;
	q[i++] = 0;
	q[i++] = 1;		/* IN */
	return i;
}

static int
run_load(int port, int rate, int seconds, const char *qname, int qtype)
{
	static int64_t	sent_at[65536];
	int64_t		*lat, t0, t, end, wait_end;
	unsigned char	q[QMAX], a[4096];
	unsigned long	total = (unsigned long)rate * seconds, ns = 0, nr = 0;
	struct pollfd	pfd;
	size_t		qlen;
	int		fd;
	ssize_t		n;

	if ((lat = calloc(total + 1, sizeof(*lat))) == NULL)
		return 1;
	fd = udp_socket(0);
	connect_to(fd, port);
	qlen = make_query(q, qname, qtype, 0);
	for (int i = 0; i < 65536; i++)
		sent_at[i] = -1;
	pfd.fd = fd;
	pfd.events = POLLIN;
	t0 = now_ns();
	end = t0 + (int64_t)seconds * 1000000000;
	wait_end = end + 2000000000;
	while (!stop) {
		t = now_ns();
		while (ns < total && t0 + (int64_t)(ns * 1e9 / rate) <= t) {
			uint16_t	id = ns & 0xffff;

			q[0] = id >> 8;
			q[1] = id & 0xff;
			sent_at[id] = now_ns();
			if (send(fd, q, qlen, 0) == -1)
				sent_at[id] = -1;
			ns++;
		}
		if (nr >= ns && ns >= total)
			break;
		if (t >= wait_end)
			break;
		poll(&pfd, 1, ns < total ? 0 : 10);
		while ((n = recv(fd, a, sizeof(a), 0)) >= 12) {
			uint16_t id = (uint16_t)(a[0] << 8 | a[1]);

			if (sent_at[id] < 0)
				continue;
			lat[nr++] = now_ns() - sent_at[id];
			sent_at[id] = -1;
		}
		if (ns < total) {
			/* busy-wait a little less: sleep to the next send */
			int64_t next = t0 + (int64_t)(ns * 1e9 / rate) - now_ns();

			if (next > 50000) {
				struct timespec ts = { 0, next - 20000 };
				pfd.revents = 0;
				ppoll(&pfd, 1, &ts, NULL);
			}
		}
	}
	t = now_ns();
	qsort(lat, nr, sizeof(*lat), cmp64);
	printf("sent %lu recv %lu rate %.0f/s p50 %.0f us p99 %.0f us "
	    "max %.0f us\n", ns, nr,
	    ns / ((end < t ? end : t) - t0 > 0 ?
	    (double)((end < t ? end : t) - t0) / 1e9 : 1),
	    nr ? lat[nr / 2] / 1e3 : -1.0,
	    nr ? lat[(size_t)(nr * 0.99)] / 1e3 : -1.0,
	    nr ? lat[nr - 1] / 1e3 : -1.0);
	free(lat);
	return nr == ns ? 0 : 2;
}

int
main(int argc, char *argv[])
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc >= 5 && strcmp(argv[1], "fwd") == 0)
		return run_fwd(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
		    argc > 5 ? atoi(argv[5]) : 900);
	if (argc >= 6 && strcmp(argv[1], "load") == 0)
		return run_load(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
		    argv[5], argc > 6 ? atoi(argv[6]) : 35);
	fprintf(stderr, "usage: dnsdelay fwd LPORT UPORT DELAY_MS [SECONDS]\n"
	    "       dnsdelay load PORT RATE SECONDS QNAME [QTYPE]\n");
	return 1;
}
