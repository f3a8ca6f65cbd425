/*
 * gateway/workers.h - the supervisor and its worker processes
 * (imgate.conf(5) gateway.workers, imgated(8) PROCESSES).
 *
 * With more than one worker, imgated starts as a supervisor: it binds
 * the SIP sockets (one per worker and address, all with SO_REUSEPORT, so
 * that the kernel spreads the senders over the workers by address), drops
 * privileges and detaches as a single process would, then forks the
 * workers and watches them: a worker that dies is started again, SIGTERM
 * is passed on to every worker, SIGHUP reaches every worker or none (the
 * supervisor checks the file first; gateway/workers.c).  Each worker is
 * a whole gateway with one loop per process.  What they share, counters
 * and the rare commands, is gateway/workers_shm.
 *
 * nta binds its own sockets: while armed (workers_bind_record() in the
 * supervisor, workers_bind_replay() in a worker), the bind() that nta
 * calls for a listening address is answered by this module, which puts
 * the supervisor's socket for that worker in place of nta's.
 */
#ifndef GATEWAY_WORKERS_H
#define GATEWAY_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/conf.h"

#define WORKERS_MAX		64
#define WORKERS_AUTO_MAX	16

/* A worker's life: start, serve, return the exit status.  @reloaded:
 * the supervisor has a reloaded configuration the worker must apply
 * (workers_reload_apply()) once it serves. */
typedef int workers_main_fn(int k, bool reloaded, void *arg);

/* The supervisor's check of the configuration file on SIGHUP: load it
 * into @c (the command line's adjustments applied).  0, or -1 with @err
 * saying why. */
typedef int workers_check_fn(struct gw_conf *c, char *err, size_t errsz);

/* How long the supervisor waits for every worker's reload verdict. */
#define WORKERS_RELOAD_MS	10000

/** How many workers @c asks for (0: one per CPU, at most 16). */
int workers_count(const struct gw_conf *c);

/** Record the listening binds of the next sipgw_start() for @n workers. */
void workers_bind_record(int n);

/** Give worker @k its sockets in the binds of the next sipgw_start(). */
void workers_bind_replay(int k);

/** Disarm: bind() is the system's again; a worker closes the
 * supervisor's sockets it inherited (nta keeps copies of its own). */
void workers_bind_off(void);

/** The child that recorded: send the sockets over @sock.  0 or -1. */
int workers_bind_send(int sock);

/**
 * The supervisor: take the sockets for @n workers from @sock, until the
 * child closes it.  0, or -1 when nothing usable came.
 */
int workers_bind_receive(int sock, int n);

/**
 * Supervise @n workers running @fn(k, reloaded, @arg) until SIGTERM or
 * SIGINT; calls detach_ready() once every worker is ready.  A worker
 * still running @stop_ms after the signal is killed.  On SIGHUP, @check
 * loads the file; only if it passes does every worker get it (all or
 * none), and the one verdict is logged and handed to whoever asked
 * (workers_reload_request()).  @return the supervisor's exit status.
 */
int workers_run(int n, uint64_t stop_ms, workers_main_fn *fn,
    workers_check_fn *check, void *arg);

/**
 * A worker, on SIGHUP: apply the configuration the supervisor checked,
 * if it has a new one (or, with @force, the latest one at all: a
 * worker started again), and leave the verdict for the supervisor.
 * @path names the file in the log.  Does nothing in a single process.
 */
void workers_reload_apply(const char *path, bool force);

/**
 * Ask the supervisor to reload (imgatectl reload in worker 0).
 * @return the ticket for workers_reload_answer(), 0 when it cannot ask.
 */
uint64_t workers_reload_request(void);

/**
 * The verdict for @ticket: true with @rc (0 in force everywhere, -1
 * kept) and @verdict filled once the supervisor answered, else false.
 */
bool workers_reload_answer(uint64_t ticket, int *rc, char *verdict,
    size_t verdictsz);

/** The worker says it serves (a no-op in a single process). */
void workers_ready(void);

/** This process's worker number, or -1 in a single process. */
int workers_self(void);

/**
 * The handoff socket between worker @k (1..n-1) and worker 0: the end
 * worker 0 uses when @zero_end, otherwise worker @k's.  -1 if none.
 */
int workers_handoff_fd(int k, bool zero_end);

/** The daemon's pid: the supervisor's, or this single process's. */
pid_t workers_supervisor(void);

/** Number of workers (1 in a single process). */
int workers_n(void);

#endif /* GATEWAY_WORKERS_H */
