/*
 * tests/unit/test_privs.c - the pure parts of gateway/privs and
 * gateway/spoolfs: the start-up decision (who may serve as whom), the
 * -u argument, the spool's directory and lock names, the pid read back
 * from a lock file and the kernel's rule for creating files in a
 * directory.  Tables, each row with the answer written out.  Then, on
 * files in a temporary directory of the test's own, the lock: taken
 * once, 0600, holding the holder's pid, and a second open file
 * description (what a second imgated has) cannot take it.  The message
 * a second daemon prints is tested end to end in
 * tests/integration/test_privs.py.  TAP.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/privs.h"
#include "gateway/spoolfs.h"
#include "tests/tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	bool		 root;
	unsigned	 cur_uid, cur_gid;
	bool		 set;
	unsigned	 uid, gid;
	bool		 allow_root;
	enum privs_plan	 want;
	const char	*what;
} plans[] = {
	{ true, 0, 0, false, 0, 0, false, PRIVS_REFUSE_ROOT,
	  "root, no user: refused" },
	{ true, 0, 0, false, 0, 0, true, PRIVS_ROOT_ALLOWED,
	  "root, no user, allow_root: stays root" },
	{ true, 0, 0, true, 65534, 65534, false, PRIVS_SWITCH,
	  "root, user nobody: switch" },
	{ true, 0, 0, true, 65534, 65534, true, PRIVS_SWITCH,
	  "root, user and allow_root: the user wins" },
	{ true, 0, 0, true, 0, 0, false, PRIVS_REFUSE_ROOT,
	  "root, user root: still root, refused" },
	{ true, 0, 0, true, 0, 5, true, PRIVS_ROOT_ALLOWED,
	  "root, user root, allow_root: stays root" },
	{ true, 1000, 1000, true, 65534, 65534, false, PRIVS_SWITCH,
	  "real uid 0 (setuid binary): switch" },
	{ false, 1000, 100, false, 0, 0, false, PRIVS_KEEP,
	  "not root, no user: keep" },
	{ false, 1000, 100, true, 1000, 100, false, PRIVS_KEEP,
	  "not root, the user it is: keep" },
	{ false, 1000, 100, true, 1000, 101, false, PRIVS_CANNOT_SWITCH,
	  "not root, another group: cannot" },
	{ false, 1000, 100, true, 65534, 65534, true, PRIVS_CANNOT_SWITCH,
	  "not root, another user: cannot" },
};

static const struct {
	const char	*spec;
	int		 rc;
	const char	*user, *group;
} specs[] = {
	{ "nobody", 0, "nobody", "" },
	{ "nobody:nogroup", 0, "nobody", "nogroup" },
	{ "65534:65534", 0, "65534", "65534" },
	{ "imgate:", -1, NULL, NULL },
	{ ":nogroup", -1, NULL, NULL },
	{ "", -1, NULL, NULL },
	{ "a:b:c", 0, "a", "b:c" },	/* getgrnam() refuses it later */
	{ "abcdefghijklmnop", -1, NULL, NULL },	/* 16 bytes, buffer 16 */
	{ "abcdefghijklmno", 0, "abcdefghijklmno", "" },
};

static const struct {
	const char	*spool, *dir;
} dirs[] = {
	{ "/var/lib/imgate/spool.sqlite", "/var/lib/imgate" },
	{ "/spool.sqlite", "/" },
	{ "spool.sqlite", "." },
	{ "a/b", "a" },
	{ "/a//b", "/a" },
	{ "//b", "/" },
	{ "rel/dir/x", "rel/dir" },
};

static const struct {
	const char	*text;
	long		 pid;
} pids[] = {
	{ "1234\n", 1234 },
	{ "1234", 1234 },
	{ "1", 1 },
	{ "", -1 },
	{ "\n", -1 },
	{ "0\n", -1 },
	{ "12x\n", -1 },
	{ "-5\n", -1 },
	{ "99999999999999999999999\n", -1 },
	{ "42\n\n", -1 },	/* only one line is ever written */
};

static const struct {
	unsigned	 owner, group, mode, uid, gid;
	bool		 want;
	const char	*what;
} writable[] = {
	{ 65534, 65534, 0700, 65534, 65534, true, "owner, 0700" },
	{ 65534, 65534, 0500, 65534, 65534, false, "owner, 0500" },
	{ 65534, 65534, 0600, 65534, 65534, false, "owner, no search" },
	{ 0, 0, 0755, 65534, 65534, false, "root's 0755" },
	{ 0, 0, 0777, 65534, 65534, true, "0777 lets anyone" },
	{ 0, 0, 01777, 65534, 65534, true, "sticky 1777 (/tmp) too" },
	{ 0, 65534, 0770, 65534, 65534, true, "group 0770" },
	{ 0, 65534, 0750, 65534, 65534, false, "group 0750" },
	/* The owner's bits alone apply to the owner. */
	{ 65534, 65534, 0570, 65534, 65534, false, "owner r-x, group rwx" },
	{ 1, 65534, 0707, 65534, 65534, false, "group ---, other rwx" },
	{ 1, 1, 0700, 0, 0, true, "root may always" },
};

/* The lock, on real files: held once, refused twice. */
static void
lock_cases(void)
{
	char	 dir[] = "/tmp/test_privs.XXXXXX", spool[256], lock[300];
	char	 err[512], buf[64];
	struct stat st;
	int	 fd, n;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(spool, sizeof(spool), "%s/s.sqlite", dir);
	snprintf(lock, sizeof(lock), "%s.lock", spool);
	err[0] = '\0';
	is_int(spoolfs_lock(spool, err, sizeof(err)), 0, "lock: taken (%s)",
	    err);
	is_int(spoolfs_lock(spool, err, sizeof(err)), 0,
	    "lock: taking it again in the holder is a no-op");
	fd = open(lock, O_RDONLY);
	n = fd == -1 ? -1 : (int)read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	is_int(spoolfs_parse_pid(buf, (size_t)(n > 0 ? n : 0)),
	    (long)getpid(), "lock: the file holds the holder's pid");
	ok(fd != -1 && flock(fd, LOCK_EX | LOCK_NB) == -1,
	    "lock: another open file description cannot take it");
	if (fd != -1)
		close(fd);
	ok(stat(lock, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "lock: the file is mode 0600");
	unlink(lock);
	rmdir(dir);
}

int
main(void)
{
	char	 user[16], group[16], out[64];
	size_t	 i;

	for (i = 0; i < NELEM(plans); i++) {
		struct privs_target t = { .set = plans[i].set,
		    .uid = plans[i].uid, .gid = plans[i].gid };

		is_int(privs_plan(plans[i].root, plans[i].cur_uid,
		    plans[i].cur_gid, &t, plans[i].allow_root), plans[i].want,
		    "plan: %s", plans[i].what);
	}
	is_int(privs_plan(true, 0, 0, NULL, false), PRIVS_REFUSE_ROOT,
	    "plan: no target at all");

	for (i = 0; i < NELEM(specs); i++) {
		int rc = privs_parse_spec(specs[i].spec, user, sizeof(user),
		    group, sizeof(group));

		is_int(rc, specs[i].rc, "-u '%s': %s", specs[i].spec,
		    specs[i].rc == 0 ? "accepted" : "refused");
		if (rc == 0 && specs[i].rc == 0) {
			is_str(user, specs[i].user, "-u '%s': user",
			    specs[i].spec);
			is_str(group, specs[i].group, "-u '%s': group",
			    specs[i].spec);
		}
	}

	for (i = 0; i < NELEM(dirs); i++) {
		is_int(spoolfs_dir_name(dirs[i].spool, out, sizeof(out)), 0,
		    "dir of %s: fits", dirs[i].spool);
		is_str(out, dirs[i].dir, "dir of %s", dirs[i].spool);
	}
	is_int(spoolfs_dir_name("/var/lib/imgate/spool.sqlite", out, 10),
	    -1, "dir: too small a buffer is refused");
	is_int(spoolfs_lock_name("/var/lib/imgate/spool.sqlite", out,
	    sizeof(out)), 0, "lock name: fits");
	is_str(out, "/var/lib/imgate/spool.sqlite.lock", "lock name: "
	    "beside the spool");
	is_int(spoolfs_lock_name("/var/lib/imgate/spool.sqlite", out, 33),
	    -1, "lock name: too small a buffer is refused");

	for (i = 0; i < NELEM(pids); i++)
		is_int(spoolfs_parse_pid(pids[i].text, strlen(pids[i].text)),
		    pids[i].pid, "pid from lock file text, row %zu", i);

	for (i = 0; i < NELEM(writable); i++)
		is_int(spoolfs_dir_writable(writable[i].owner,
		    writable[i].group, writable[i].mode, writable[i].uid,
		    writable[i].gid), writable[i].want, "dir writable: %s",
		    writable[i].what);

	lock_cases();
	return done_testing();
}
