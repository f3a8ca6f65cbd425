/*
 * gateway/privs.h - whom imgated serves as.
 *
 * Start-up, before the first message flows: main.c resolves the target
 * user (gateway.user / gateway.group, or -u USER[:GROUP]) and decides
 * with privs_plan() whether it may start at all; it then binds every
 * socket, opens the log and the spool as the user it was started as
 * (root, to bind port 5060), and only then calls privs_drop().  From
 * there on the message path runs as the target user, and privs_drop()
 * has proved that it cannot become root again.  Nothing here runs on the
 * message path.
 */
#ifndef GATEWAY_PRIVS_H
#define GATEWAY_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Bytes of a user or group name, NUL included (LOGIN_NAME_MAX is larger;
 * useradd refuses names over 32). */
#define PRIVS_NAME_MAX	64

/* The user and group imgated switches to; resolved from the names. */
struct privs_target {
	bool	 set;			/* a user was named */
	char	 user[PRIVS_NAME_MAX];
	char	 group[PRIVS_NAME_MAX];	/* as named, or the login group */
	uid_t	 uid;
	gid_t	 gid;
};

/* What start-up does about its user (privs_plan()). */
enum privs_plan {
	PRIVS_KEEP,		/* not root; no user, or the user we are */
	PRIVS_SWITCH,		/* root now, a non-root user named: drop */
	PRIVS_ROOT_ALLOWED,	/* root stays root: gateway.allow_root */
	PRIVS_REFUSE_ROOT,	/* root would stay root: refuse to start */
	PRIVS_CANNOT_SWITCH	/* not root, and another user was named */
};

/**
 * Decide what start-up does.  Pure.
 * @param root        started as root (real or effective uid 0)
 * @param cur_uid     effective uid now
 * @param cur_gid     effective gid now
 * @param t           the target (t->set false: none named)
 * @param allow_root  gateway.allow_root
 * @return the plan; a target whose uid is 0 counts as no target
 */
enum privs_plan privs_plan(bool root, uid_t cur_uid, gid_t cur_gid,
    const struct privs_target *t, bool allow_root);

/**
 * Split the -u argument "USER" or "USER:GROUP" into caller buffers.
 * Pure.  @group is set to "" when the argument names no group.
 * @return 0, or -1 when a part is empty or too long for its buffer
 */
int privs_parse_spec(const char *spec, char *user, size_t usz,
    char *group, size_t gsz);

/**
 * Look up @user (a name, or a number) and @group (a name, a number, or
 * "": the user's login group) in the system databases.  Start-up only:
 * getpwnam() may read files or ask NSS services.
 * @param err  caller buffer receiving why not, "no such user 'x'"
 * @return 0 with @t filled (t->set true), or -1
 */
int privs_resolve(const char *user, const char *group,
    struct privs_target *t, char *err, size_t errsz);

/**
 * Become @t for good: supplementary groups reduced to t->gid, then the
 * real, effective and saved gid, then the uids.  Verified afterwards:
 * getresuid()/getresgid() give the target ids only, getgroups() only
 * t->gid, and setuid(0)/setgid(0) fail.
 * @return 0, or -1 with @err filled (the caller must not go on serving)
 */
int privs_drop(const struct privs_target *t, char *err, size_t errsz);

/**
 * Check that the process runs as @uid/@gid only: real, effective and
 * saved ids, supplementary groups none but @gid, and (when @uid is not
 * 0) no way back to root.
 * @return 0, or -1 with @err filled
 */
int privs_verify(uid_t uid, gid_t gid, char *err, size_t errsz);

#endif /* GATEWAY_PRIVS_H */
