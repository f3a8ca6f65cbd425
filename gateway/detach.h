/*
 * gateway/detach.h - become a daemon only once start-up has succeeded.
 *
 * Start-up order (imgated(8)): parse, bind every socket, open the spool,
 * drop privileges, then detach.  detach_start() forks; the parent stays
 * attached to the terminal and waits for the child's word, so that
 * whoever started imgated learns from its exit status whether it is
 * serving: the child calls detach_ready() once the loop is about to run
 * (the parent exits 0), or dies before that with fatal() (the parent
 * exits with the child's status; the child's stderr, still the
 * terminal's, carries the reason).  Without -d only; with -d imgated
 * stays in the foreground and calls neither.
 */
#ifndef GATEWAY_DETACH_H
#define GATEWAY_DETACH_H

/**
 * Fork.  Returns in the child only, which has a new session and "/" as
 * its directory; the parent never returns (it _exit()s with the child's
 * word, skipping atexit handlers and sanitizer exit checks that belong
 * to the child).
 * @return 0 in the child, or -1 (logged) when nothing was forked
 */
int detach_start(void);

/**
 * The child serves: tell the waiting parent (exit status 0) and put
 * /dev/null on stdin, stdout and stderr.  No-op without detach_start().
 */
void detach_ready(void);

#endif /* GATEWAY_DETACH_H */
