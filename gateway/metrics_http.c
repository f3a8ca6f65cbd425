/*
 * gateway/metrics_http.c - GET /metrics through libmicrohttpd on the
 * su_root loop (see metrics_http.h).
 *
 * MHD runs without a thread (no MHD_USE_INTERNAL_POLLING_THREAD) in its
 * epoll mode: its epoll descriptor, readable whenever one of its sockets
 * is, is the one descriptor registered with su_root_register(); readiness
 * calls MHD_run(), and a timer from MHD_get_timeout() covers its idle
 * timeouts.  Connections are capped (METRICS_HTTP_MAX_CONN) and time out
 * after METRICS_HTTP_TIMEOUT_S, so a slow scraper cannot hold the loop or
 * pile up sockets; a response is one buffer of at most
 * METRICS_HTTP_MAX_BODY bytes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/metrics_http.h"

#define METRICS_HTTP_MAX_CONN	8
#define METRICS_HTTP_TIMEOUT_S	10
#define METRICS_HTTP_MAX_BODY	(1024 * 1024)

static struct {
	struct MHD_Daemon	*mhd;
	su_root_t		*root;
	int			 index;
	su_timer_t		*timer;
} mh;

static void	arm_timer(void);

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, const char *type,
    const char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	/* MHD frees a MUST_FREE body and never writes a PERSISTENT one. */
	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    mode);
	if (r == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free((void *)(uintptr_t)body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req)
{
	static const char plain[] = "text/plain; charset=utf-8";
	struct promtext	 p;
	char		*buf;

	(void)cls;
	(void)version;
	(void)upload;
	(void)req;
	if (*upload_size != 0)
		return MHD_NO;	/* a GET has no body */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, plain,
		    "only GET\n", 9, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return answer(c, MHD_HTTP_NOT_FOUND, plain,
		    "not found: try /metrics\n", 24, MHD_RESPMEM_PERSISTENT);
	if ((buf = malloc(METRICS_HTTP_MAX_BODY)) == NULL)
		return MHD_NO;
	promtext_init(&p, buf, METRICS_HTTP_MAX_BODY);
	metrics_render(&p);
	if (p.truncated) {
		free(buf);
		log_warnx("metrics: exposition over %d bytes, not served",
		    METRICS_HTTP_MAX_BODY);
		return answer(c, MHD_HTTP_INTERNAL_SERVER_ERROR, plain,
		    "too large\n", 10, MHD_RESPMEM_PERSISTENT);
	}
	return answer(c, MHD_HTTP_OK, "text/plain; version=0.0.4; "
	    "charset=utf-8", buf, p.len, MHD_RESPMEM_MUST_FREE);
}

static void
run_mhd(void)
{
	if (mh.mhd == NULL)
		return;
	MHD_run(mh.mhd);
	arm_timer();
}

static void
on_timer(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)magic;
	(void)t;
	(void)arg;
	run_mhd();
}

static void
arm_timer(void)
{
	MHD_UNSIGNED_LONG_LONG	 ms;

	if (MHD_get_timeout(mh.mhd, &ms) != MHD_YES) {
		su_timer_reset(mh.timer);
		return;
	}
	su_timer_set_interval(mh.timer, on_timer, NULL,
	    (su_duration_t)(ms > 0 ? (ms < 60000 ? ms : 60000) : 1));
}

static int
on_ready(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	(void)magic;
	(void)w;
	(void)arg;
	run_mhd();
	return 0;
}

/* "IP:PORT" or "[IPv6]:PORT" into @ss. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)ss;
	char			 host[64];
	const char		*colon = strrchr(s, ':');
	long			 port;
	char			*end;
	size_t			 n;

	if (colon == NULL)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535)
		return -1;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return AF_INET6;
	}
	return -1;
}

int
metrics_http_start(su_root_t *root, const char *listen)
{
	struct sockaddr_storage	 ss;
	const union MHD_DaemonInfo *info;
	su_wait_t		 wait[1];
	unsigned		 flags = MHD_USE_EPOLL;
	int			 af;

	if ((af = parse_listen(listen, &ss)) < 0) {
		log_warnx("metrics.listen %s: expected IP:PORT", listen);
		return -1;
	}
	if (af == AF_INET6)
		flags |= MHD_USE_IPv6;
	mh.root = root;
	mh.mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_MAX_CONN,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT_S,
	    MHD_OPTION_END);
	if (mh.mhd == NULL) {
		log_warnx("metrics: cannot listen on %s", listen);
		return -1;
	}
	info = MHD_get_daemon_info(mh.mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || su_wait_create(wait, info->epoll_fd,
	    SU_WAIT_IN) != 0) {
		log_warnx("metrics: no epoll descriptor");
		metrics_http_stop();
		return -1;
	}
	if ((mh.index = su_root_register(root, wait, on_ready, NULL, 0)) <=
	    0) {
		su_wait_destroy(wait);
		log_warnx("metrics: cannot watch the listener");
		metrics_http_stop();
		return -1;
	}
	mh.timer = su_timer_create(su_root_task(root), 1000);
	arm_timer();
	log_info("metrics: serving http://%s/metrics", listen);
	return 0;
}

void
metrics_http_stop(void)
{
	if (mh.index > 0)
		su_root_deregister(mh.root, mh.index);
	mh.index = 0;
	if (mh.timer != NULL)
		su_timer_destroy(mh.timer);
	mh.timer = NULL;
	if (mh.mhd != NULL)
		MHD_stop_daemon(mh.mhd);
	mh.mhd = NULL;
}
