/*
 * gateway/spoolfs.c - the spool's directory, files and lock (see
 * spoolfs.h for what is fixed and what is only reported).
 *
 * Every file is opened with O_NOFOLLOW and changed through its
 * descriptor (fchown, fchmod), so a symbolic link planted in a shared
 * directory cannot turn a chown into one of another file.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gateway/log.h"
#include "gateway/spoolfs.h"

/* The held lock: open for the life of the process (spoolfs.h). */
static int	 lock_fd = -1;

int
spoolfs_lock_name(const char *spool, char *out, size_t outsz)
{
	int	 n = snprintf(out, outsz, "%s.lock", spool);

	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

int
spoolfs_dir_name(const char *spool, char *out, size_t outsz)
{
	const char	*slash = strrchr(spool, '/');
	size_t		 len;

	if (slash == NULL) {
		if (outsz < 2)
			return -1;
		memcpy(out, ".", 2);
		return 0;
	}
	/* "/a//b" -> "/a": trailing slashes of the directory go. */
	while (slash > spool && slash[-1] == '/')
		slash--;
	len = slash == spool ? 1 : (size_t)(slash - spool);
	if (len >= outsz)
		return -1;
	memcpy(out, spool, len);
	out[len] = '\0';
	return 0;
}

long
spoolfs_parse_pid(const char *buf, size_t len)
{
	long	 pid = 0;
	size_t	 i;

	for (i = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (pid > (LONG_MAX - 9) / 10)
			return -1;
		pid = pid * 10 + (buf[i] - '0');
	}
	if (i == 0 || pid <= 0)
		return -1;
	if (i < len && (buf[i] != '\n' || i + 1 != len))
		return -1;
	return pid;
}

bool
spoolfs_dir_writable(uid_t downer, gid_t dgroup, mode_t mode, uid_t uid,
    gid_t gid)
{
	if (uid == 0)
		return true;
	if (downer == uid)
		return (mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
	if (dgroup == gid)
		return (mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
	return (mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

void
spoolfs_lock_note_pid(void)
{
	char	 buf[32];
	int	 n;

	if (lock_fd == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(lock_fd, 0) == -1 ||
	    pwrite(lock_fd, buf, (size_t)n, 0) != n)
		log_warn("spool: cannot write the pid into the lock file");
}

/*
 * Open and lock @name, the lock file of @spool_path: the descriptor, or
 * -1 with the reason in @err (who holds it, when its pid is written).
 */
static int
lock_open(const char *spool_path, const char *name, char *err,
    size_t errsz)
{
	char	 buf[32];
	ssize_t	 n;
	long	 pid;
	int	 fd;

	fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		snprintf(err, errsz, "cannot open the spool lock %s: %s",
		    name, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			snprintf(err, errsz, "cannot lock %s: %s", name,
			    strerror(errno));
		} else if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) > 0 &&
		    (pid = spoolfs_parse_pid(buf, (size_t)n)) > 0) {
			snprintf(err, errsz, "spool %s is in use: %s is "
			    "locked by pid %ld (one imgated per spool)",
			    spool_path, name, pid);
		} else {
			snprintf(err, errsz, "spool %s is in use: %s is "
			    "locked by another process (one imgated per "
			    "spool)", spool_path, name);
		}
		close(fd);
		return -1;
	}
	return fd;
}

int
spoolfs_lock(const char *spool_path, char *err, size_t errsz)
{
	char	 name[PATH_MAX];
	int	 fd;

	if (lock_fd != -1)
		return 0;
	if (spoolfs_lock_name(spool_path, name, sizeof(name)) != 0) {
		snprintf(err, errsz, "spool.path %s is too long", spool_path);
		return -1;
	}
	if ((fd = lock_open(spool_path, name, err, errsz)) == -1)
		return -1;
	lock_fd = fd;
	spoolfs_lock_note_pid();
	log_debug("spool: %s locked", name);
	return 0;
}

int
spoolfs_lock_check(const char *spool_path, char *err, size_t errsz)
{
	char		 name[PATH_MAX], why[PATH_MAX + 128];
	struct stat	 held, named;
	int		 fd;

	if (lock_fd == -1 ||
	    spoolfs_lock_name(spool_path, name, sizeof(name)) != 0)
		return 0;
	if (fstat(lock_fd, &held) == 0 && stat(name, &named) == 0 &&
	    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
		return 0;
	if ((fd = lock_open(spool_path, name, why, sizeof(why))) == -1) {
		snprintf(err, errsz, "the spool lock was deleted while held, "
		    "and cannot be taken again: %s", why);
		return -1;
	}
	/* The old one (deleted) is released where only this process held
	 * it; a supervisor's copy is released when the supervisor ends. */
	if (dup3(fd, lock_fd, O_CLOEXEC) == -1) {
		snprintf(err, errsz, "%s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	spoolfs_lock_note_pid();
	log_warnx("spool: the lock %s was deleted while held: created and "
	    "locked again", name);
	return 0;
}

/* Mode 0600 and @owner's ids for the open file @fd (@name for logs). */
static int
fix_fd(int fd, const char *name, const struct privs_target *owner,
    char *err, size_t errsz)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errsz, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s is not a regular file", name);
		return -1;
	}
	if (owner != NULL && (st.st_uid != owner->uid ||
	    st.st_gid != owner->gid)) {
		if (fchown(fd, owner->uid, owner->gid) == -1) {
			snprintf(err, errsz, "cannot give %s to %s:%s: %s",
			    name, owner->user, owner->group, strerror(errno));
			return -1;
		}
		log_info("spool: %s now belongs to %s:%s", name, owner->user,
		    owner->group);
	}
	if ((st.st_mode & 07777) != 0600) {
		if (fchmod(fd, 0600) == -1) {
			snprintf(err, errsz, "cannot make %s mode 0600: %s",
			    name, strerror(errno));
			return -1;
		}
		log_warnx("spool: %s was mode %04o, now 0600", name,
		    (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

/*
 * The database (created empty when @create: SQLite takes an empty file
 * for an empty database) or one of its -wal/-shm files.  This runs
 * before SQLite opens anything: closing a descriptor of a file drops
 * every POSIX lock the process holds on it.
 */
static int
fix_file(const char *name, bool create, const struct privs_target *owner,
    char *err, size_t errsz)
{
	int	 fd, rc;

	fd = open(name, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
	    (create ? O_CREAT : 0), 0600);
	if (fd == -1) {
		if (errno == ENOENT && !create)
			return 0;
		snprintf(err, errsz, "cannot open %s: %s", name,
		    errno == ELOOP ? "it is a symbolic link" :
		    strerror(errno));
		return -1;
	}
	rc = fix_fd(fd, name, owner, err, errsz);
	close(fd);
	return rc;
}

/* Create the spool directory (the last component only) 0700. */
static int
make_dir(const char *dir, const struct privs_target *owner, char *err,
    size_t errsz)
{
	int	 fd;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errsz, "cannot create the spool directory %s: "
		    "%s", dir, strerror(errno));
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || (owner != NULL &&
	    fchown(fd, owner->uid, owner->gid) == -1) ||
	    fchmod(fd, 0700) == -1) {
		snprintf(err, errsz, "cannot prepare the spool directory %s: "
		    "%s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	log_info("spool: created the directory %s (mode 0700%s%s%s%s)", dir,
	    owner != NULL ? ", owner " : "", owner != NULL ? owner->user : "",
	    owner != NULL ? ":" : "", owner != NULL ? owner->group : "");
	return 0;
}

/* Warn about a shared directory; fail when imgated cannot use it. */
static int
check_dir(const char *dir, const struct stat *st,
    const struct privs_target *owner, char *err, size_t errsz)
{
	bool	 ok;

	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (st->st_mode & S_ISVTX) == 0)
		log_warnx("spool: other users may replace files in %s (mode "
		    "%04o); make it 0700", dir,
		    (unsigned)(st->st_mode & 07777));
	else if ((st->st_mode & 077) != 0)
		log_warnx("spool: other users can list %s (mode %04o); 0700 "
		    "is recommended", dir, (unsigned)(st->st_mode & 07777));
	if (owner != NULL)
		ok = spoolfs_dir_writable(st->st_uid, st->st_gid, st->st_mode,
		    owner->uid, owner->gid);
	else
		ok = access(dir, W_OK | X_OK) == 0;
	if (!ok) {
		snprintf(err, errsz, "the spool directory %s is not writable "
		    "by %s%s: imgated creates the spool's -wal, -shm and .lock "
		    "files there (chown it, or choose another spool.path)",
		    dir, owner != NULL ? "user " : "the user imgated runs as",
		    owner != NULL ? owner->user : "");
		return -1;
	}
	return 0;
}

int
spoolfs_open(const struct gw_conf *c, const struct privs_target *owner,
    char *err, size_t errsz)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char		 dir[PATH_MAX], name[PATH_MAX];
	struct stat	 st;
	bool		 wanted = false;

	/* A PostgreSQL spool has no files here and any number of
	 * owners (gateway/spool_pg.c). */
	if (c->spool_backend != CONF_SPOOL_SQLITE)
		return 0;
	for (size_t i = 0; i < c->nroutes; i++)
		if (c->routes[i].mode == CONF_MODE_SAF)
			wanted = true;
	/*
	 * The same rule as spool_init(): without a store-and-forward route
	 * and without a file, nothing opens the spool at start, so there
	 * is nothing to own yet (a reload that brings a route takes the
	 * lock then, through spoolfs_lock()).
	 */
	if (!wanted && lstat(c->spool_path, &st) == -1 && errno == ENOENT) {
		log_debug("spool: no %s and no store-and-forward route: not "
		    "opened", c->spool_path);
		return 0;
	}
	if (spoolfs_dir_name(c->spool_path, dir, sizeof(dir)) != 0) {
		snprintf(err, errsz, "spool.path %s is too long",
		    c->spool_path);
		return -1;
	}
	if (stat(dir, &st) == -1) {
		if (errno != ENOENT || !wanted) {
			snprintf(err, errsz, "spool directory %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		if (make_dir(dir, owner, err, errsz) != 0)
			return -1;
		if (stat(dir, &st) == -1) {
			snprintf(err, errsz, "spool directory %s: %s", dir,
			    strerror(errno));
			return -1;
		}
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errsz, "%s (the directory of spool.path) is not "
		    "a directory", dir);
		return -1;
	}
	if (check_dir(dir, &st, owner, err, errsz) != 0)
		return -1;
	/* One owner before anything else touches the spool's files. */
	if (spoolfs_lock(c->spool_path, err, errsz) != 0)
		return -1;
	spoolfs_lock_name(c->spool_path, name, sizeof(name));
	if (fix_fd(lock_fd, name, owner, err, errsz) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		int n = snprintf(name, sizeof(name), "%s%s", c->spool_path,
		    suffix[i]);

		if (n < 0 || (size_t)n >= sizeof(name)) {
			snprintf(err, errsz, "spool.path %s is too long",
			    c->spool_path);
			return -1;
		}
		if (fix_file(name, wanted && i == 0, owner, err, errsz) != 0)
			return -1;
	}
	return 0;
}
