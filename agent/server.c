/* SPDX-License-Identifier: MIT */
/* The consumer socket's listener: safe socket-file setup, accepting under a
 * connection cap, and handing connections to conn.c. */
#include "agent/server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "wire/response.h"

#define ACCEPT_BATCH                                                                               \
	16 /* connections accepted per wake-up: a burst of refusals must not hold up the requests  \
	      of connections already open */
#define ACCEPT_BACKOFF 1.0 /* seconds to pause accepting when out of fds */

struct server {
	struct conn_env env;
	char *path;
	int fd;
	dev_t dev; /* identity of the socket file we bound, to unlink only ours */
	ino_t ino;
	ev_io lio;
	ev_timer backoff;
	char *busy_line; /* sent to connections beyond max_conns */
	size_t busy_len;
	char *user_line; /* sent to connections beyond max_conns_per_user */
	size_t user_len;
	int spare_fd; /* given up to accept and refuse a client at EMFILE */
};

void server_limits_default(struct server_limits *l)
{
	l->max_line = WIRE_MAX_LINE;
	l->max_output = 4 * 1024 * 1024;
	l->max_output_total = 64 * 1024 * 1024;
	l->max_conns = 1024;
	l->max_conns_per_user = 128;
	l->idle_timeout = 300;
}

void server_set_limits(struct server *s, const struct server_limits *limits)
{
	size_t max_line = s->env.limits.max_line;

	s->env.limits = *limits;
	s->env.limits.max_line = max_line;
}

static int fail_msg(char *err, size_t errlen, int r, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail_msg(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static void make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, strlen(path) + 1);
}

/* Remove a stale socket at PATH; refuse a live one or a non-socket. */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail_msg(err, errlen, -errno, "cannot stat \"%s\": %s", path,
		                strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return fail_msg(err, errlen, -EEXIST, "\"%s\" exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_msg(err, errlen, -errno, "socket: %s", strerror(errno));
	make_addr(path, &sa);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0)
		r = -errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full, still alive. */
	if (r == 0 || r == -EAGAIN)
		return fail_msg(err, errlen, -EADDRINUSE,
		                "another process is listening on \"%s\"; not replacing it", path);
	if (r != -ECONNREFUSED)
		return fail_msg(err, errlen, r, "cannot probe existing socket \"%s\": %s", path,
		                strerror(-r));
	if (unlink(path) < 0 && errno != ENOENT)
		return fail_msg(err, errlen, -errno, "cannot remove stale socket \"%s\": %s", path,
		                strerror(errno));
	return 0;
}

static int lookup_group(const char *group, gid_t *ret, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[16384], *end;
	unsigned long n;
	int r;

	errno = 0;
	n = strtoul(group, &end, 10);
	if (*group && !*end && errno == 0 && n < (gid_t)-1) {
		*ret = (gid_t)n;
		return 0;
	}
	r = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (r != 0)
		return fail_msg(err, errlen, -r, "cannot look up group \"%s\": %s", group,
		                strerror(r));
	if (!res)
		return fail_msg(err, errlen, -ENOENT, "no such group \"%s\"", group);
	*ret = gr.gr_gid;
	return 0;
}

/* The socket's directory: made (0755) if missing; refused if it is not a
 * directory of ours (or root's) that only its owner may write, since
 * whoever may write it can replace the socket under the consumers. */
static int check_dir(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail_msg(err, errlen, -errno, "cannot create \"%s\": %s", dir,
		                strerror(errno));
	if (lstat(dir, &st) < 0)
		return fail_msg(err, errlen, -errno, "cannot stat \"%s\": %s", dir,
		                strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail_msg(err, errlen, -ENOTDIR,
		                "the socket's directory \"%s\" is not a directory (a symlink?)",
		                dir);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return fail_msg(err, errlen, -EPERM,
		                "the socket's directory \"%s\" belongs to uid %u, not to root or "
		                "lanyardd's user",
		                dir, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail_msg(err, errlen, -EPERM,
		                "the socket's directory \"%s\" is writable by others (mode %04o)",
		                dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

static int open_socket(struct server *s, mode_t mode, const char *group, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	gid_t gid;
	int r;

	r = check_dir(s->path, err, errlen);
	if (r < 0)
		return r;
	r = clear_stale(s->path, err, errlen);
	if (r < 0)
		return r;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return fail_msg(err, errlen, -errno, "socket: %s", strerror(errno));
	make_addr(s->path, &sa);
	/* The final mode comes from the umask at bind: no chmod() that could
	 * follow a symlink put there since. Nobody can connect before listen()
	 * anyway, so the group is set in between. */
	old = umask(~mode & 0777);
	r = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0)
		r = -errno;
	umask(old);
	if (r < 0)
		return fail_msg(err, errlen, r, "cannot bind \"%s\": %s", s->path, strerror(-r));
	if (lstat(s->path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	if (group) {
		r = lookup_group(group, &gid, err, errlen);
		if (r < 0)
			return r;
		if (fchownat(AT_FDCWD, s->path, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return fail_msg(err, errlen, -errno,
			                "cannot chown \"%s\" to group \"%s\": %s", s->path, group,
			                strerror(errno));
	}
	if (listen(s->fd, SOMAXCONN) < 0)
		return fail_msg(err, errlen, -errno, "cannot listen on \"%s\": %s", s->path,
		                strerror(errno));
	return 0;
}

/* Refuse FD with LINE and close it. */
static void refuse(struct server *s, int fd, const char *line, size_t len)
{
	/* Best effort: a fresh socket buffer takes one short line. */
	if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		errno = 0;
	close(fd);
	s->env.stats.rejected_busy++;
	s->env.stats.errors++;
}

/* Out of descriptors: give up the spare one to accept the next client and
 * tell it "busy", so it learns why instead of hanging in the backlog.
 * Returns false if there was no spare (then accepting pauses). */
static bool refuse_with_spare(struct server *s)
{
	int fd;

	if (s->spare_fd < 0)
		return false;
	close(s->spare_fd);
	s->spare_fd = -1;
	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		s->env.stats.conns_total++;
		refuse(s, fd, s->busy_line, s->busy_len);
	}
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0 && s->spare_fd >= 0;
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *s = w->data;
	const struct server_limits *l = &s->env.limits;

	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ucred cred;
		socklen_t len = sizeof(cred);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) && refuse_with_spare(s))
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of descriptors: the listener would stay readable
				 * and spin, so pause accepting for a moment. */
				ev_io_stop(loop, &s->lio);
				ev_timer_set(&s->backoff, ACCEPT_BACKOFF, 0);
				ev_timer_start(loop, &s->backoff);
			}
			return;
		}
		s->env.stats.conns_total++;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(fd); /* a peer the kernel cannot name: gone already */
			continue;
		}
		if (s->env.stats.conns_current >= l->max_conns) {
			refuse(s, fd, s->busy_line, s->busy_len);
			continue;
		}
		if (l->max_conns_per_user && !conn_uid_is_admin(cred.uid) &&
		    conn_env_user_count(&s->env, cred.uid) >= l->max_conns_per_user) {
			s->env.stats.rejected_user++;
			refuse(s, fd, s->user_line, s->user_len);
			continue;
		}
		conn_new(&s->env, fd, &cred);
	}
}

int server_adopt(struct server *s, int fd, const struct ucred *cred, uint64_t *ret_id)
{
	const struct server_limits *l = &s->env.limits;
	int r;

	/* The accept path's own limits, with the same refusal lines. */
	s->env.stats.conns_total++;
	if (s->env.stats.conns_current >= l->max_conns) {
		refuse(s, fd, s->busy_line, s->busy_len);
		return -EBUSY;
	}
	if (l->max_conns_per_user && !conn_uid_is_admin(cred->uid) &&
	    conn_env_user_count(&s->env, cred->uid) >= l->max_conns_per_user) {
		s->env.stats.rejected_user++;
		refuse(s, fd, s->user_line, s->user_len);
		return -EBUSY;
	}
	r = conn_new_local(&s->env, fd, cred);
	/* conn_new_local() put the new connection first on env->all. */
	if (r == 0 && ret_id)
		*ret_id = conn_id(s->env.all);
	return r;
}

void server_close_conn(struct server *s, uint64_t id)
{
	struct conn *c = conn_env_find(&s->env, id);

	if (c)
		conn_close(c);
}

static void backoff_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;

	ev_io_start(loop, &s->lio);
}

int server_new(struct ev_loop *loop, const char *path, mode_t mode, const char *group,
               const struct server_limits *limits, server_handler_fn handler, void *userdata,
               struct server **ret, char *err, size_t errlen)
{
	struct server *s = NULL;
	json_t *busy = NULL;
	int r;

	*ret = NULL;
	if (!path || !*path)
		return fail_msg(err, errlen, -EINVAL, "empty socket path");
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return fail_msg(err, errlen, -ENAMETOOLONG,
		                "socket path \"%s\" is longer than %zu bytes", path,
		                sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	s = calloc(1, sizeof(*s));
	if (!s)
		return fail_msg(err, errlen, -ENOMEM, "out of memory");
	s->fd = -1;
	s->spare_fd = -1;
	conn_env_init(&s->env, loop);
	if (limits)
		s->env.limits = *limits;
	else
		server_limits_default(&s->env.limits);
	if (s->env.limits.max_line == 0 || s->env.limits.max_line > WIRE_MAX_LINE)
		s->env.limits.max_line = WIRE_MAX_LINE;
	s->env.handler = handler;
	s->env.userdata = userdata;
	s->path = strdup(path);
	busy = wire_response_error(NULL, WIRE_BUSY, "too many connections");
	s->busy_line = busy ? wire_dump_line(busy, &s->busy_len) : NULL;
	json_decref(busy);
	busy = wire_response_error(NULL, WIRE_BUSY,
	                           "too many connections of this user "
	                           "(agent.limits.connections_per_user)");
	s->user_line = busy ? wire_dump_line(busy, &s->user_len) : NULL;
	json_decref(busy);
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!s->path || !s->busy_line || !s->user_line) {
		r = fail_msg(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}
	r = open_socket(s, mode, group, err, errlen);
	if (r < 0)
		goto fail;
	ev_io_init(&s->lio, accept_cb, s->fd, EV_READ);
	s->lio.data = s;
	ev_init(&s->backoff, backoff_cb);
	s->backoff.data = s;
	ev_io_start(loop, &s->lio);
	*ret = s;
	return 0;
fail:
	server_free(s);
	return r;
}

void server_free(struct server *s)
{
	struct stat st;

	if (!s)
		return;
	conn_env_fini(&s->env);
	if (s->env.loop) {
		ev_io_stop(s->env.loop, &s->lio);
		ev_timer_stop(s->env.loop, &s->backoff);
	}
	if (s->fd >= 0) {
		close(s->fd);
		if (s->ino && lstat(s->path, &st) == 0 && st.st_dev == s->dev &&
		    st.st_ino == s->ino)
			unlink(s->path);
	}
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	free(s->path);
	free(s->busy_line);
	free(s->user_line);
	free(s);
}

void server_get_stats(const struct server *s, struct server_stats *ret)
{
	*ret = s->env.stats;
}

json_t *server_stats_to_json(const struct server_stats *st)
{
	return json_pack(
	        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "connections",
	        (json_int_t)st->conns_current, "rejected_per_user", (json_int_t)st->rejected_user,
	        "replies_too_large", (json_int_t)st->too_long, "replies_busy_output",
	        (json_int_t)st->output_busy, "output_bytes", (json_int_t)st->output_bytes,
	        "connections_total", (json_int_t)st->conns_total, "requests",
	        (json_int_t)st->requests, "errors", (json_int_t)st->errors, "dropped_slow",
	        (json_int_t)st->dropped_slow, "rejected_busy", (json_int_t)st->rejected_busy,
	        "timed_out", (json_int_t)st->timed_out, "too_large", (json_int_t)st->too_large);
}

const char *server_path(const struct server *s)
{
	return s->path;
}
