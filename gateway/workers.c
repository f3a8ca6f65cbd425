/*
 * gateway/workers.c - the supervisor, its workers and the bind() that
 * gives each worker its share of the SIP port (gateway/workers.h).
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "gateway/detach.h"
#include "gateway/log.h"
#include "gateway/workers.h"

/* A worker that keeps dying is started at most this often. */
#define WORKERS_RESTART_MS	1000
/* Start-up of every worker, before the supervisor gives up. */
#define WORKERS_START_S		60

static int			 w_self = -1;
static int			 w_n = 1;
static int			 w_ready_fd = -1;
/* Handoff socketpairs: [k][0] worker 0's end, [k][1] worker k's. */
static int			 w_pair[WORKERS_MAX][2];

int
workers_count(const struct gw_conf *c)
{
	long	 n;

	if (c->workers > 0)
		return c->workers > WORKERS_MAX ? WORKERS_MAX :
		    (int)c->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > WORKERS_AUTO_MAX ? WORKERS_AUTO_MAX : (int)n;
}

int
workers_self(void)
{
	return w_self;
}

int
workers_n(void)
{
	return w_n;
}

int
workers_handoff_fd(int k, bool zero_end)
{
	if (w_self < 0 || k < 1 || k >= w_n)
		return -1;
	return w_pair[k][zero_end ? 0 : 1];
}

void
workers_ready(void)
{
	char	 c = 'r';

	if (w_ready_fd == -1)
		return;
	if (write(w_ready_fd, &c, 1) != 1)
		log_warn("worker %d: cannot tell the supervisor", w_self);
	close(w_ready_fd);
	w_ready_fd = -1;
}

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct workers_child {
	pid_t		 pid;		/* 0: not running */
	uint64_t	 started_ms;
};

static pid_t
spawn(int k, int ready_w, bool reloaded, workers_main_fn *fn, void *arg,
    const sigset_t *old)
{
	pid_t	 pid = fork();

	if (pid != 0)
		return pid;
	w_self = k;
	w_ready_fd = ready_w;
	sigprocmask(SIG_SETMASK, old, NULL);
	_exit(fn(k, reloaded, arg));
}

static void
describe_exit(int k, pid_t pid, int st)
{
	if (WIFSIGNALED(st))
		log_warnx("worker %d (pid %ld) killed by signal %d", k,
		    (long)pid, WTERMSIG(st));
	else
		log_warnx("worker %d (pid %ld) exited with status %d", k,
		    (long)pid, WEXITSTATUS(st));
}

/* Every worker says it is ready, or start-up failed. */
static void
await_ready(int ready_r, struct workers_child *ch, int n)
{
	int	 got = 0;
	time_t	 end = time(NULL) + WORKERS_START_S;

	while (got < n) {
		struct pollfd	 p = { .fd = ready_r, .events = POLLIN };
		char		 buf[WORKERS_MAX];
		ssize_t		 r;
		pid_t		 pid;
		int		 st;

		if ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			for (int k = 0; k < n; k++)
				if (ch[k].pid == pid) {
					describe_exit(k, pid, st);
					ch[k].pid = 0;
				}
			for (int k = 0; k < n; k++)
				if (ch[k].pid != 0)
					kill(ch[k].pid, SIGKILL);
			fatalx("a worker failed to start");
		}
		if (time(NULL) > end)
			fatalx("workers did not start in %d s",
			    WORKERS_START_S);
		if (poll(&p, 1, 100) > 0 &&
		    (r = read(ready_r, buf, sizeof(buf))) > 0)
			got += (int)r;
	}
}

int
workers_run(int n, uint64_t stop_ms, workers_main_fn *fn, void *arg)
{
	uint64_t		 stop_at = 0;
	struct workers_child	 ch[WORKERS_MAX];
	sigset_t		 set, old;
	int			 ready[2], st;
	bool			 stopping = false, reloaded = false;
	pid_t			 pid;

	w_n = n;
	memset(ch, 0, sizeof(ch));
	for (int k = 1; k < n; k++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, w_pair[k]) != 0)
			fatal("socketpair");
	if (pipe(ready) != 0)
		fatal("pipe");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int k = 0; k < n; k++) {
		ch[k].started_ms = now_ms();
		if ((ch[k].pid = spawn(k, ready[1], false, fn, arg, &old)) < 0)
			fatal("fork");
	}
	await_ready(ready[0], ch, n);
	log_info("imgated ready: %d workers serving", n);
	detach_ready();
#ifdef HAVE_SYSTEMD
	/* Type=notify (the shipped unit): ready once every worker is. */
	sd_notify(0, "READY=1");
#endif
	log_set_stderr(false);

	for (;;) {
		struct timespec	 tick = { 0, 200 * 1000000 };
		siginfo_t	 si;
		int		 sig = sigtimedwait(&set, &si, &tick);
		bool		 any = false;

		if (sig == SIGTERM || sig == SIGINT) {
			if (!stopping) {
				log_info("imgated: signal %d, stopping the "
				    "workers", sig);
				stop_at = now_ms() + stop_ms;
#ifdef HAVE_SYSTEMD
				sd_notify(0, "STOPPING=1");
#endif
			}
			stopping = true;
			for (int k = 0; k < n; k++)
				if (ch[k].pid > 0)
					kill(ch[k].pid, SIGTERM);
		} else if (sig == SIGHUP && !stopping) {
			reloaded = true;
			for (int k = 0; k < n; k++)
				if (ch[k].pid > 0)
					kill(ch[k].pid, SIGHUP);
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			for (int k = 0; k < n; k++)
				if (ch[k].pid == pid) {
					if (!stopping)
						describe_exit(k, pid, st);
					ch[k].pid = 0;
				}
		for (int k = 0; k < n; k++) {
			any |= ch[k].pid > 0;
			if (stopping || ch[k].pid > 0 ||
			    now_ms() - ch[k].started_ms < WORKERS_RESTART_MS)
				continue;
			ch[k].started_ms = now_ms();
			/* A restarted worker reads the file again if the
			 * others did (SIGHUP). */
			ch[k].pid = spawn(k, -1, reloaded, fn, arg, &old);
			if (ch[k].pid < 0) {
				log_warn("worker %d: fork", k);
				ch[k].pid = 0;
			} else
				log_info("worker %d restarted (pid %ld)", k,
				    (long)ch[k].pid);
		}
		if (stopping && !any)
			break;
		if (stopping && now_ms() > stop_at) {
			for (int k = 0; k < n; k++)
				if (ch[k].pid > 0) {
					log_warnx("worker %d (pid %ld) still "
					    "running: killed", k,
					    (long)ch[k].pid);
					kill(ch[k].pid, SIGKILL);
				}
			stop_at = UINT64_MAX;
		}
	}
	log_info("imgated: stopped");
	return 0;
}
