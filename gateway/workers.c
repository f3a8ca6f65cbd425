/*
 * gateway/workers.c - the supervisor and its workers (gateway/workers.h);
 * the bind() that gives each worker its share of the SIP port is
 * gateway/workers_bind, what they share gateway/workers_shm.
 *
 * A reload, all or none: the supervisor loads the file (the only step
 * whose failure depends on the file), writes the result into the shared
 * region and sends SIGHUP to every worker; each applies exactly that
 * configuration (gateway/reload: reload_apply), not the file as it may
 * be by then, and writes its verdict into its slot.  What could still
 * fail in a worker is memory; the one verdict then names the worker.
 */
#include <sys/prctl.h>
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
#include "gateway/reload.h"
#include "gateway/workers.h"
#include "gateway/workers_shm.h"

/* A worker that keeps dying is started at most this often. */
#define WORKERS_RESTART_MS	1000
/* Start-up of every worker, before the supervisor gives up. */
#define WORKERS_START_S		60

/* Every worker gets a slot of the shared region. */
_Static_assert(WORKERS_MAX <= WORKERS_SHM_MAX,
    "the shared region holds a slot for every worker");

static int			 w_self = -1;
static int			 w_n = 1;
static int			 w_ready_fd = -1;
static pid_t			 w_supervisor;	/* in a worker */
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

pid_t
workers_supervisor(void)
{
	return w_self < 0 ? getpid() : w_supervisor;
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
	struct workers_shm_slot	*s = workers_shm_slot(k);
	pid_t			 pid = fork();

	if (pid > 0) {
		s->started_s = (int64_t)time(NULL);
		__atomic_store_n(&s->pid, (int64_t)pid, __ATOMIC_RELEASE);
	}
	if (pid != 0)
		return pid;
	w_self = k;
	w_ready_fd = ready_w;
	/*
	 * A worker does not outlive its supervisor: nobody would restart
	 * it, pass it SIGTERM or SIGHUP, and it would keep the SIP port and
	 * the spool's lock, so that the next imgated could not start
	 * ("spool in use").  The supervisor's death stops it as SIGTERM
	 * does (drained, within gateway.shutdown_grace_ms).  The setting
	 * survives because the credentials no longer change after the
	 * fork (privileges went before it); the check after it covers a
	 * supervisor that died before it was made.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		log_warn("worker %d: cannot ask for SIGTERM when the "
		    "supervisor dies", k);
	sigprocmask(SIG_SETMASK, old, NULL);
	if (getppid() != w_supervisor)
		raise(SIGTERM);
	_exit(fn(k, reloaded, arg));
}

/*
 * Worker @k is gone: its slot says so, and its resolver counters join
 * the retired ones (a new worker's start from zero; the sums must not
 * go back).  The message counters live in the slot and go on.
 */
static void
reap(struct workers_child *ch, int k)
{
	struct workers_shm_slot	*s = workers_shm_slot(k);

	ch[k].pid = 0;
	__atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
	workers_shm_dns_add(&s->retired_dns, &s->dns);
	s->retired_dns.entries = 0;
	s->retired_dns.bytes = 0;
	memset(&s->dns, 0, sizeof(s->dns));
	workers_shm_overload_add(&s->retired_overload, &s->overload);
	memset(&s->overload, 0, sizeof(s->overload));
	s->transactions = 0;
}

/* ------------------------------------------------------------ reload */

/* The supervisor's reload in progress. */
static struct {
	bool		 pending;	/* workers are applying seq */
	bool		 again;		/* a SIGHUP came meanwhile */
	uint64_t	 req;		/* requests this one answers */
	uint64_t	 deadline_ms;
} rl;

/* The one verdict: logged, and left for whoever asked. */
static void
reload_answer(int rc, const char *verdict)
{
	struct workers_shm_head	*h = workers_shm_head();

	if (rc == 0)
		log_info("%s", verdict);
	else
		log_warnx("%s", verdict);
	h->reload_rc = rc;
	snprintf(h->reload_verdict, sizeof(h->reload_verdict), "%s",
	    verdict);
	__atomic_store_n(&h->reload_answered, rl.req, __ATOMIC_RELEASE);
}

/* SIGHUP: check the file, then hand it to every worker. */
static void
reload_begin(struct workers_child *ch, int n, workers_check_fn *check)
{
	struct workers_shm_head	*h = workers_shm_head();
	uint64_t		 seq = h->reload_seq + 1;
	char			 err[WORKERS_SHM_VERDICT - 100];
	char			 v[WORKERS_SHM_VERDICT];

	if (rl.pending) {
		rl.again = true;
		return;
	}
	rl.req = __atomic_load_n(&h->reload_req, __ATOMIC_ACQUIRE);
	/* The other buffer: a worker late for the last reload still
	 * reads this one's. */
	if (check(&h->conf[seq & 1], err, sizeof(err)) != 0) {
		snprintf(v, sizeof(v), "reload: %s; every worker keeps the "
		    "running configuration", err);
		reload_answer(-1, v);
		return;
	}
	__atomic_store_n(&h->reload_seq, seq, __ATOMIC_RELEASE);
	rl.pending = true;
	rl.deadline_ms = now_ms() + WORKERS_RELOAD_MS;
	for (int k = 0; k < n; k++)
		if (ch[k].pid > 0)
			kill(ch[k].pid, SIGHUP);
}

/* Has every running worker applied it?  Then the one verdict. */
static void
reload_poll(struct workers_child *ch, int n, workers_check_fn *check)
{
	struct workers_shm_head	*h = workers_shm_head();
	uint64_t		 seq = h->reload_seq;
	char			 v[WORKERS_SHM_VERDICT + 64];
	int			 late = -1, failed = -1, first = -1;

	if (!rl.pending)
		return;
	for (int k = 0; k < n; k++) {
		const struct workers_shm_slot *s = workers_shm_slot(k);

		/* A worker that died is started again with this one. */
		if (ch[k].pid <= 0)
			continue;
		if (__atomic_load_n(&s->reload_seen, __ATOMIC_ACQUIRE) !=
		    seq) {
			if (late < 0)
				late = k;
		} else if (s->reload_rc != 0 && failed < 0)
			failed = k;
		else if (first < 0)
			first = k;
	}
	if (late >= 0 && now_ms() < rl.deadline_ms)
		return;
	rl.pending = false;
	if (failed >= 0)
		snprintf(v, sizeof(v), "reload: worker %d: %s (the others "
		    "switched: reload again)", failed,
		    workers_shm_slot(failed)->reload_verdict);
	else if (late >= 0)
		snprintf(v, sizeof(v), "reload: worker %d did not apply the "
		    "configuration in %d ms", late, WORKERS_RELOAD_MS);
	else if (first >= 0)
		snprintf(v, sizeof(v), "%s, in all %d workers",
		    workers_shm_slot(first)->reload_verdict, n);
	else
		snprintf(v, sizeof(v), "reload: no worker running; they "
		    "start with the new configuration");
	reload_answer(failed >= 0 || late >= 0 ? -1 : 0, v);
	if (rl.again) {
		rl.again = false;
		reload_begin(ch, n, check);
	}
}

void
workers_reload_apply(const char *path, bool force)
{
	struct workers_shm_head	*h = workers_shm_head();
	struct workers_shm_slot	*s = workers_shm_slot(w_self);
	struct gw_conf		*c;
	uint64_t		 seq;
	char			 v[WORKERS_SHM_VERDICT];
	int			 rc;

	if (w_self < 0 || h == NULL || s == NULL)
		return;
	seq = __atomic_load_n(&h->reload_seq, __ATOMIC_ACQUIRE);
	if (seq == 0 || (!force && seq == s->reload_seen)) {
		if (!force)
			log_info("worker %d: SIGHUP without a new "
			    "configuration: reloads go through the "
			    "supervisor (pid %ld)", w_self, (long)w_supervisor);
		return;
	}
	if ((c = malloc(sizeof(*c))) == NULL) {
		snprintf(v, sizeof(v), "reload: out of memory; keeping the "
		    "running configuration");
		rc = -1;
	} else {
		memcpy(c, &h->conf[seq & 1], sizeof(*c));
		rc = reload_apply(c, path, v, sizeof(v));
		free(c);
	}
	s->reload_rc = rc;
	snprintf(s->reload_verdict, sizeof(s->reload_verdict), "%s", v);
	__atomic_store_n(&s->reload_seen, seq, __ATOMIC_RELEASE);
}

uint64_t
workers_reload_request(void)
{
	struct workers_shm_head	*h = workers_shm_head();
	uint64_t		 t;

	if (w_self < 0 || h == NULL)
		return 0;
	/* Orphaned, the parent is somebody else (init): ask nobody. */
	if (getppid() != w_supervisor) {
		log_warnx("worker %d: the supervisor is gone", w_self);
		return 0;
	}
	t = __atomic_add_fetch(&h->reload_req, 1, __ATOMIC_ACQ_REL);
	if (kill(w_supervisor, SIGHUP) != 0) {
		log_warn("worker %d: cannot signal the supervisor", w_self);
		return 0;
	}
	return t;
}

bool
workers_reload_answer(uint64_t ticket, int *rc, char *verdict,
    size_t verdictsz)
{
	struct workers_shm_head	*h = workers_shm_head();

	if (h == NULL ||
	    __atomic_load_n(&h->reload_answered, __ATOMIC_ACQUIRE) < ticket)
		return false;
	*rc = (int)h->reload_rc;
	snprintf(verdict, verdictsz, "%s", h->reload_verdict);
	return true;
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
workers_run(int n, uint64_t stop_ms, workers_main_fn *fn,
    workers_check_fn *check, void *arg)
{
	uint64_t		 stop_at = 0;
	struct workers_child	 ch[WORKERS_MAX];
	sigset_t		 set, old;
	int			 ready[2], st;
	bool			 stopping = false, reloaded = false;
	pid_t			 pid;

	w_n = n;
	w_supervisor = getpid();
	memset(ch, 0, sizeof(ch));
	workers_shm_create(n);
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
		/* Shorter while the workers apply a reload. */
		struct timespec	 tick = { 0, (rl.pending ? 20 : 200) *
		    1000000 };
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
		} else if (sig == SIGHUP && !stopping)
			reload_begin(ch, n, check);
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			for (int k = 0; k < n; k++)
				if (ch[k].pid == pid) {
					if (!stopping)
						describe_exit(k, pid, st);
					reap(ch, k);
				}
		reload_poll(ch, n, check);
		/* A worker started again applies the last configuration
		 * the workers switched to. */
		reloaded = workers_shm_head()->reload_seq > 0;
		for (int k = 0; k < n; k++) {
			any |= ch[k].pid > 0;
			if (stopping || ch[k].pid > 0 ||
			    now_ms() - ch[k].started_ms < WORKERS_RESTART_MS)
				continue;
			ch[k].started_ms = now_ms();
			ch[k].pid = spawn(k, -1, reloaded, fn, arg, &old);
			if (ch[k].pid < 0) {
				log_warn("worker %d: fork", k);
				ch[k].pid = 0;
			} else {
				workers_shm_slot(k)->restarts++;
				log_info("worker %d restarted (pid %ld)", k,
				    (long)ch[k].pid);
			}
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
