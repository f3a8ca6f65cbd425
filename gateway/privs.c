/*
 * gateway/privs.c - resolve the target user and drop root for good (see
 * privs.h).
 *
 * Order matters: supplementary groups and gids first, while the process
 * may still change them, uids last.  setres[ug]id() rather than
 * set[ug]id() so that the saved ids are named, not implied; the checks
 * afterwards read them back instead of trusting the calls.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/privs.h"

enum privs_plan
privs_plan(bool root, uid_t cur_uid, gid_t cur_gid,
    const struct privs_target *t, bool allow_root)
{
	bool	 named = t != NULL && t->set && t->uid != 0;

	if (root)
		return named ? PRIVS_SWITCH :
		    allow_root ? PRIVS_ROOT_ALLOWED : PRIVS_REFUSE_ROOT;
	if (!named || (t->uid == cur_uid && t->gid == cur_gid))
		return PRIVS_KEEP;
	return PRIVS_CANNOT_SWITCH;
}

int
privs_parse_spec(const char *spec, char *user, size_t usz, char *group,
    size_t gsz)
{
	const char	*colon = strchr(spec, ':');
	size_t		 ulen = colon != NULL ? (size_t)(colon - spec) :
			    strlen(spec);

	if (usz == 0 || gsz == 0 || ulen == 0 || ulen >= usz)
		return -1;
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	group[0] = '\0';
	if (colon == NULL)
		return 0;
	if (colon[1] == '\0' || strlen(colon + 1) >= gsz)
		return -1;
	memcpy(group, colon + 1, strlen(colon + 1) + 1);
	return 0;
}

/* A decimal id, as chown(1) accepts; -1 when @s is not one. */
static long
numeric_id(const char *s)
{
	char	*end;
	long	 v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > INT_MAX)
		return -1;
	return v;
}

int
privs_resolve(const char *user, const char *group, struct privs_target *t,
    char *err, size_t errsz)
{
	struct passwd	*pw;
	struct group	*gr;
	long		 id;

	memset(t, 0, sizeof(*t));
	if (strlen(user) >= sizeof(t->user) ||
	    strlen(group) >= sizeof(t->group)) {
		snprintf(err, errsz, "user or group name too long");
		return -1;
	}
	pw = getpwnam(user);
	if (pw == NULL && (id = numeric_id(user)) >= 0)
		pw = getpwuid((uid_t)id);
	if (pw == NULL) {
		snprintf(err, errsz, "no such user '%s'", user);
		return -1;
	}
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	snprintf(t->user, sizeof(t->user), "%s", user);
	if (group[0] == '\0') {
		gr = getgrgid(t->gid);
		if (gr != NULL && strlen(gr->gr_name) < sizeof(t->group))
			snprintf(t->group, sizeof(t->group), "%s",
			    gr->gr_name);
		else
			snprintf(t->group, sizeof(t->group), "%lu",
			    (unsigned long)t->gid);
	} else {
		gr = getgrnam(group);
		if (gr != NULL)
			t->gid = gr->gr_gid;
		else if ((id = numeric_id(group)) >= 0)
			t->gid = (gid_t)id;
		else {
			snprintf(err, errsz, "no such group '%s'", group);
			return -1;
		}
		snprintf(t->group, sizeof(t->group), "%s", group);
	}
	t->set = true;
	return 0;
}

int
privs_verify(uid_t uid, gid_t gid, char *err, size_t errsz)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg, groups[2];
	int	 n;

	if (getresuid(&ru, &eu, &su) == -1 ||
	    getresgid(&rg, &eg, &sg) == -1) {
		snprintf(err, errsz, "cannot read the process ids: %s",
		    strerror(errno));
		return -1;
	}
	if (ru != uid || eu != uid || su != uid) {
		snprintf(err, errsz, "uids are %lu/%lu/%lu, not %lu",
		    (unsigned long)ru, (unsigned long)eu, (unsigned long)su,
		    (unsigned long)uid);
		return -1;
	}
	if (rg != gid || eg != gid || sg != gid) {
		snprintf(err, errsz, "gids are %lu/%lu/%lu, not %lu",
		    (unsigned long)rg, (unsigned long)eg, (unsigned long)sg,
		    (unsigned long)gid);
		return -1;
	}
	/* Two slots: a second group would show as n == 2 (or -1 EINVAL
	 * when there are more); either is a failure. */
	n = getgroups(2, groups);
	if (n > 1 || n < 0 || (n == 1 && groups[0] != gid)) {
		snprintf(err, errsz, "supplementary groups other than %lu "
		    "remain", (unsigned long)gid);
		return -1;
	}
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errsz, "could become root again");
		return -1;
	}
	if (uid != 0 && gid != 0 && (setgid(0) != -1 || setegid(0) != -1)) {
		snprintf(err, errsz, "could take group 0 again");
		return -1;
	}
	return 0;
}

int
privs_drop(const struct privs_target *t, char *err, size_t errsz)
{
	if (setgroups(1, &t->gid) == -1) {
		snprintf(err, errsz, "setgroups(%lu): %s",
		    (unsigned long)t->gid, strerror(errno));
		return -1;
	}
	if (setresgid(t->gid, t->gid, t->gid) == -1) {
		snprintf(err, errsz, "setresgid(%lu): %s",
		    (unsigned long)t->gid, strerror(errno));
		return -1;
	}
	if (setresuid(t->uid, t->uid, t->uid) == -1) {
		snprintf(err, errsz, "setresuid(%lu): %s",
		    (unsigned long)t->uid, strerror(errno));
		return -1;
	}
	if (privs_verify(t->uid, t->gid, err, errsz) != 0)
		return -1;
	return 0;
}
