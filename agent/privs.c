/* SPDX-License-Identifier: MIT */
/* Dropping root for agent.user (privs.h). */
#include "agent/privs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* USER (a name or a number) into *RET; 0, -ENOENT or -errno. */
static int lookup(const char *user, struct passwd *ret, char *buf, size_t len)
{
	struct passwd *res = NULL;
	unsigned long n;
	char *end;
	int r;

	errno = 0;
	n = strtoul(user, &end, 10);
	if (*user && !*end && errno == 0 && n < (uid_t)-1)
		r = getpwuid_r((uid_t)n, ret, buf, len, &res);
	else
		r = getpwnam_r(user, ret, buf, len, &res);
	if (r != 0)
		return -r;
	return res ? 0 : -ENOENT;
}

int privs_drop(const struct lanyard_config *cfg, const char *socket_path, char *err, size_t errlen)
{
	const char *user = cfg->agent.user;
	const char *what = NULL;
	char buf[16384];
	struct passwd pw;
	int r;

	if (geteuid() != 0)
		return 0; /* started as someone already: stays so */
	if (!user)
		return 2; /* no agent.user: stays root (the caller warns) */
	r = lookup(user, &pw, buf, sizeof(buf));
	if (r < 0) {
		snprintf(err, errlen, "agent.user \"%s\": %s", user,
		         r == -ENOENT ? "no such user" : strerror(-r));
		return r;
	}
	if (pw.pw_uid == 0)
		return 0;
	if (pw.pw_gid == 0) {
		snprintf(err, errlen,
		         "agent.user \"%s\" has group root: give it a group of its own", user);
		return -EPERM;
	}
	/* The socket becomes the user's; without agent.socket_group, also
	 * its group's, so that the user's group members may connect (as
	 * under systemd's User=). */
	if (socket_path &&
	    fchownat(AT_FDCWD, socket_path, pw.pw_uid,
	             cfg->agent.socket_group ? (gid_t)-1 : pw.pw_gid, AT_SYMLINK_NOFOLLOW) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot give \"%s\" to %s: %s", socket_path, user,
		         strerror(-r));
		return r;
	}
	if (initgroups(pw.pw_name, pw.pw_gid) < 0)
		what = "initgroups";
	else if (setgid(pw.pw_gid) < 0)
		what = "setgid";
	else if (setuid(pw.pw_uid) < 0)
		what = "setuid";
	if (what) {
		r = -errno;
		snprintf(err, errlen, "cannot become %s (uid %u): %s: %s", user,
		         (unsigned)pw.pw_uid, what, strerror(-r));
		return r;
	}
	/* Irrevocably: root must not come back. */
	if (setuid(0) == 0 || geteuid() == 0) {
		snprintf(err, errlen, "still able to become root after switching to %s", user);
		return -EPERM;
	}
	return 1;
}
