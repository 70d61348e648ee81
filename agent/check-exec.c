/* SPDX-License-Identifier: MIT */
/* The exec health check: posix_spawn into a new process group, output through a non-blocking pipe,
 * reaped by ev_child. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/check-exec.h"

extern char **environ;

/* Reads of the output pipe per loop iteration: 64 KiB, a full pipe. */
#define DRAIN_READS 16
/* After SIGKILL at the timeout, how long to wait for the exit before the
 * run is reported anyway (a program in uninterruptible sleep, on a hung
 * NFS mount say, outlives SIGKILL). */
#define REAP_GRACE_S 0.25
/* Check programs killed but not reaped yet, at most: past that, runs
 * fail at once instead of piling up stuck processes. */
#define UNREAPED_MAX 32

/* Killed programs nobody waits for any more: reaped (and counted off)
 * whenever they exit. */
struct orphan {
	ev_child child;
};
static unsigned unreaped;

struct check_exec {
	struct ev_loop *loop;
	pid_t pid; /* also the process group id; 0 once reaped */
	int fd;    /* read end of the output pipe, -1 once closed */
	ev_io io;
	ev_child child;
	ev_timer timer;
	double timeout;
	bool timed_out;
	char out[CHECK_OUTPUT_MAX];
	size_t len;
	check_done_fn done;
	void *userdata;
};

pid_t check_exec_pid(const struct check_exec *p)
{
	return p->pid;
}

static void orphan_exit(struct ev_loop *loop, ev_child *w, int revents)
{
	ev_child_stop(loop, w);
	kill(-w->rpid, SIGKILL); /* what is left of its group */
	unreaped--;
	free(w->data);
}

/* Leave P's killed program to be reaped whenever it exits. */
static void orphan(struct check_exec *p)
{
	struct orphan *o;

	ev_child_stop(p->loop, &p->child);
	if (p->pid <= 0)
		return;
	o = malloc(sizeof(*o));
	if (o) {
		ev_child_init(&o->child, orphan_exit, p->pid, 0);
		o->child.data = o;
		ev_child_start(p->loop, &o->child);
	} else {
		unreaped--; /* libev reaps it unseen */
	}
	p->pid = 0;
}

/* Kill the program and whatever is left of its group. */
static void kill_group(struct check_exec *p)
{
	if (p->pid <= 0)
		return;
	kill(-p->pid, SIGKILL);
	/* in case it left the group */
	kill(p->pid, SIGKILL);
}

static void close_pipe(struct check_exec *p)
{
	ev_io_stop(p->loop, &p->io);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* Read what the pipe holds now, at most DRAIN_READS reads (a program that
 * writes without pause gets the rest read at the next iteration: the loop
 * is never held); returns false at end of file or error. */
static bool drain(struct check_exec *p)
{
	char buf[4096];

	for (int i = 0; i < DRAIN_READS; i++) {
		ssize_t n = read(p->fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK;
		if (n == 0)
			return false;
		/* keep the first CHECK_OUTPUT_MAX bytes, read the rest away */
		if (p->len < sizeof(p->out)) {
			size_t k = (size_t)n < sizeof(p->out) - p->len ? (size_t)n
			                                               : sizeof(p->out) - p->len;

			memcpy(p->out + p->len, buf, k);
			p->len += k;
		}
	}
	return true;
}

static void on_output(struct ev_loop *loop, ev_io *w, int revents)
{
	struct check_exec *p = w->data;

	if (!drain(p))
		close_pipe(p);
}

/* The result of exit status STATUS, with the output, to DONE. */
static void finish(struct check_exec *p, int status)
{
	char text[CHECK_OUTPUT_MAX + 128];
	enum check_result r = CHECK_FAIL;
	check_done_fn done = p->done;
	void *userdata = p->userdata;
	size_t n = 0, len = p->len;

	while (len > 0 && (p->out[len - 1] == '\n' || p->out[len - 1] == '\r'))
		len--;
	if (p->timed_out)
		n = (size_t)snprintf(text, sizeof(text), "timed out after %.0f ms",
		                     p->timeout * 1000);
	else if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
		r = WEXITSTATUS(status) == 0 ? CHECK_PASS : CHECK_WARN;
	else if (WIFEXITED(status))
		n = (size_t)snprintf(text, sizeof(text), "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		n = (size_t)snprintf(text, sizeof(text), "killed by signal %d (%s)",
		                     WTERMSIG(status), strsignal(WTERMSIG(status)));
	if (n && len)
		text[n++] = '\n';
	memcpy(text + n, p->out, len);
	n += len;
	p->done = NULL;
	/* Last: DONE may free P. */
	done(userdata, r, text, n);
}

static void on_exit_status(struct ev_loop *loop, ev_child *w, int revents)
{
	struct check_exec *p = w->data;
	int status = w->rstatus;

	ev_child_stop(loop, &p->child);
	ev_timer_stop(loop, &p->timer);
	/* Whatever the program left running in its group goes with it: its
	 * pid is reaped, but the group lives while a member does, and while
	 * it does the kernel does not hand its id out again. (With no member
	 * left, the id could only be some new group's if the pids wrapped
	 * around between libev's waitpid() and here.) */
	kill(-p->pid, SIGKILL);
	p->pid = 0;
	unreaped--;
	/* What it wrote before it exited is in the pipe. */
	if (p->fd >= 0)
		drain(p);
	close_pipe(p);
	finish(p, status);
}

/* Killed at the timeout, and still not reaped: report the run now. */
static void on_grace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct check_exec *p = w->data;

	orphan(p);
	if (p->fd >= 0)
		drain(p);
	close_pipe(p);
	finish(p, 0);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct check_exec *p = w->data;

	/* Not reaped yet (the ev_child watcher would have stopped this
	 * timer), so the group id is still this program's. */
	p->timed_out = true;
	kill_group(p);
	ev_timer_init(&p->timer, on_grace, REAP_GRACE_S, 0.);
	p->timer.data = p;
	ev_timer_start(loop, &p->timer);
}

/* lanyardd's environment without what belongs to lanyardd alone: systemd's
 * notification socket (a check must not speak for the daemon) and socket
 * activation. A new array (of borrowed strings), NULL on OOM. */
static char **child_env(void)
{
	static const char *const own[] = {
	        "NOTIFY_SOCKET=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES="};
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		bool skip = false;

		for (size_t j = 0; j < sizeof(own) / sizeof(own[0]); j++)
			skip = skip || strncmp(environ[i], own[j], strlen(own[j])) == 0;
		if (!skip)
			env[k++] = environ[i];
	}
	return env;
}

int check_exec_start(struct ev_loop *loop, char *const *argv, double timeout, check_done_fn done,
                     void *userdata, struct check_exec **ret)
{
	struct check_exec *p = calloc(1, sizeof(*p));
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int fds[2] = {-1, -1}, r;
	pid_t pid;

	*ret = NULL;
	if (!p)
		return -ENOMEM;
	if (unreaped >= UNREAPED_MAX) {
		free(p);
		return -EAGAIN; /* too many killed programs still there */
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = -errno;
		free(p);
		return r;
	}
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	r = posix_spawn_file_actions_init(&fa);
	if (r) {
		r = -r;
		goto fail;
	}
	r = posix_spawnattr_init(&attr);
	if (r) {
		posix_spawn_file_actions_destroy(&fa);
		r = -r;
		goto fail;
	}
	sigemptyset(&none);
	sigfillset(&all);
	/* stdin from /dev/null, stdout and stderr into the pipe, nothing
	 * else inherited; a group of its own so that a timeout kills its
	 * children too; the daemon's ignored SIGPIPE and blocked signals
	 * are not the program's business. */
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	if (!r)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	if (!r)
		r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
		                                            POSIX_SPAWN_SETSIGDEF);
	if (!r)
		r = posix_spawnattr_setpgroup(&attr, 0);
	if (!r)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (!r)
		r = posix_spawnattr_setsigdefault(&attr, &all);
	char **env = r ? NULL : child_env();

	if (!r && !env)
		r = ENOMEM;
	if (!r)
		r = strchr(argv[0], '/') ? posix_spawn(&pid, argv[0], &fa, &attr, argv, env)
		                         : posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r) {
		r = -r;
		goto fail;
	}
	close(fds[1]);
	unreaped++;
	*p = (struct check_exec){.loop = loop,
	                         .pid = pid,
	                         .fd = fds[0],
	                         .timeout = timeout,
	                         .done = done,
	                         .userdata = userdata};
	ev_io_init(&p->io, on_output, p->fd, EV_READ);
	p->io.data = p;
	ev_io_start(loop, &p->io);
	/* Reaping happens in the loop, after this returns: no exit is missed. */
	ev_child_init(&p->child, on_exit_status, pid, 0);
	p->child.data = p;
	ev_child_start(loop, &p->child);
	ev_timer_init(&p->timer, on_timeout, timeout, 0.);
	p->timer.data = p;
	ev_timer_start(loop, &p->timer);
	*ret = p;
	return 0;
fail:
	close(fds[0]);
	close(fds[1]);
	free(p);
	return r;
}

void check_exec_free(struct check_exec *p)
{
	if (!p)
		return;
	ev_timer_stop(p->loop, &p->timer);
	/* Not reaped: killed, and reaped once it exits. */
	kill_group(p);
	orphan(p);
	close_pipe(p);
	free(p);
}
