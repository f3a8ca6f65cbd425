/*
 * gateway/spoolfs.h - the spool's files on disk: one owner, safe modes.
 *
 * Start-up, before gateway/flow/spool opens the SQLite file: main.c calls
 * spoolfs_open(), which creates the spool directory (0700) when a
 * store-and-forward route needs it, takes the lock that makes one
 * imgated the only owner of the spool, and gives the spool's files the
 * mode 0600 and the owner that imgated will run as after privs_drop().
 * gateway/flow/spool calls spoolfs_lock() again before it opens the file
 * later (a reload that brings the first store-and-forward route): a
 * no-op when the lock is held.
 *
 * The lock is flock(LOCK_EX) on "<spool.path>.lock", whose descriptor
 * stays open (O_CLOEXEC) for the life of the process: through the
 * privilege drop (nothing is reopened) and through daemonizing (the
 * child inherits the open file description and with it the lock; the
 * parent only ever _exit()s).  The file holds the owner's pid, for the
 * message of a second imgated and for operators.
 *
 * What is fixed and what is only reported (imgate.conf(5), spool.path):
 * the spool's own files (the database, its -wal and -shm, the lock)
 * are set to 0600 and to imgated's user; an existing directory is left
 * as it is (it may be shared), with a warning when other users can
 * read or write it, and start-up fails when imgated's user cannot
 * create files in it (SQLite creates -wal and -shm there).
 */
#ifndef GATEWAY_SPOOLFS_H
#define GATEWAY_SPOOLFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf/conf.h"
#include "gateway/privs.h"

/**
 * Prepare the spool's directory and files and take the lock.  Nothing
 * is done when no route uses store-and-forward and the file does not
 * exist: then gateway/flow/spool does not open it at start either.
 * @param c      the configuration (spool.path, the routes' modes)
 * @param owner  the user imgated will run as (files are chown()ed to
 *               it), or NULL to stay the user it runs as now
 * @param err    caller buffer receiving why not, naming the file
 * @return 0, or -1 (start-up must stop; @err says why)
 */
int spoolfs_open(const struct gw_conf *c, const struct privs_target *owner,
    char *err, size_t errsz);

/**
 * Take the lock of @spool_path (created 0600) unless already held.
 * @param err  caller buffer: "SPOOL.lock is held by pid N (another
 *             imgated on the same spool)" or the system error
 * @return 0, or -1
 */
int spoolfs_lock(const char *spool_path, char *err, size_t errsz);

/** Write the pid of the calling process into the held lock file (after
 * daemonizing: the holder's pid changed).  No-op without the lock. */
void spoolfs_lock_note_pid(void);

/**
 * Is the held lock still the file named "<@spool_path>.lock"?  A lock
 * file deleted while held (rm spool.sqlite*) would let a second
 * imgated lock a new one and open the same spool: it is created and
 * locked again (pid written).  No-op without the lock.
 * @param err  caller buffer: why the name could not be taken back
 *             (another process holds the lock under it)
 * @return 0 when the lock under the name is ours, or -1
 */
int spoolfs_lock_check(const char *spool_path, char *err, size_t errsz);

/**
 * "<spool>.lock" into @out.  Pure.
 * @return 0, or -1 when it does not fit
 */
int spoolfs_lock_name(const char *spool, char *out, size_t outsz);

/**
 * The directory part of @spool ("." when it has none, "/" for a file
 * directly under it) into @out.  Pure.
 * @return 0, or -1 when it does not fit
 */
int spoolfs_dir_name(const char *spool, char *out, size_t outsz);

/**
 * The pid written in a lock file: decimal, then at most one newline.
 * Pure.
 * @return the pid, or -1 when @buf holds none
 */
long spoolfs_parse_pid(const char *buf, size_t len);

/**
 * Whether a process running as @uid with the one group @gid may create
 * files in a directory of owner @downer, group @dgroup and mode @mode
 * (write and search permission; owner bits alone apply to the owner,
 * group bits to the group, as the kernel decides).  Root may always.
 * Pure.
 */
bool spoolfs_dir_writable(uid_t downer, gid_t dgroup, mode_t mode,
    uid_t uid, gid_t gid);

#endif /* GATEWAY_SPOOLFS_H */
