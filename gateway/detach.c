/*
 * gateway/detach.c - fork, and let the parent exit with the child's
 * start-up status (see detach.h).
 *
 * The word is one byte on a pipe.  End of file without a byte means the
 * child exited (fatal() during start-up): the parent then waits for it
 * and passes its exit status on, so "imgated" fails exactly when its
 * child did.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "gateway/detach.h"
#include "gateway/log.h"

static int	 ready_fd = -1;		/* the child's end of the pipe */
static int	 null_fd = -1;		/* /dev/null, opened before fork */

/* The parent: wait for the child's byte or its exit, then leave. */
static void
parent_wait(pid_t child, int fd)
{
	unsigned char	 word;
	ssize_t		 n;
	int		 st;

	do
		n = read(fd, &word, 1);
	while (n == -1 && errno == EINTR);
	if (n == 1)
		_exit(word);
	while (waitpid(child, &st, 0) == -1)
		if (errno != EINTR)
			_exit(1);
	if (WIFEXITED(st))
		_exit(WEXITSTATUS(st) != 0 ? WEXITSTATUS(st) : 1);
	fprintf(stderr, "imgated: start-up ended by signal %d\n",
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	_exit(1);
}

int
detach_start(void)
{
	int	 p[2];
	pid_t	 pid;

	if ((null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		log_warn("detach: /dev/null");
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("detach: pipe");
		return -1;
	}
	/* What stdio holds would otherwise be written twice. */
	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_warn("detach: fork");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid != 0) {
		close(p[1]);
		parent_wait(pid, p[0]);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() == -1)
		log_warn("detach: setsid");
	if (chdir("/") == -1)
		log_warn("detach: chdir /");
	return 0;
}

void
detach_ready(void)
{
	unsigned char	 word = 0;

	if (ready_fd == -1)
		return;
	fflush(NULL);
	if (null_fd != -1) {
		(void)dup2(null_fd, STDIN_FILENO);
		(void)dup2(null_fd, STDOUT_FILENO);
		(void)dup2(null_fd, STDERR_FILENO);
		close(null_fd);
		null_fd = -1;
	}
	if (write(ready_fd, &word, 1) != 1)
		log_warn("detach: cannot tell the parent");
	close(ready_fd);
	ready_fd = -1;
}
