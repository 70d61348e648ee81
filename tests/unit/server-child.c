/* SPDX-License-Identifier: MIT */
/* A forked agent/server for the socket and client tests (see server-child.h). */
#include "tests/unit/server-child.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void term_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* The child: serve until SIGTERM, then exit 0 (3: no server, 4: no pipe). */
static void __attribute__((noreturn))
serve(int ready_fd, const char *path, mode_t mode, const struct server_limits *limits,
      const struct server_child_ops *ops, void *userdata)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct server *srv = NULL;
	char err[256];
	ev_signal sig;

	ev_signal_init(&sig, term_cb, SIGTERM);
	ev_signal_start(loop, &sig);
	if (server_new(loop, path, mode, NULL, limits, ops->handler, userdata, &srv, err,
	               sizeof(err)) < 0) {
		fprintf(stderr, "test server on %s: %s\n", path, err);
		_exit(3);
	}
	if (ops->setup)
		ops->setup(userdata, loop, srv);
	if (write(ready_fd, "k", 1) != 1)
		_exit(4);
	close(ready_fd);
	ev_run(loop, 0);
	server_free(srv);
	if (ops->teardown)
		ops->teardown(userdata);
	ev_signal_stop(loop, &sig);
	ev_loop_destroy(loop);
	exit(0); /* not _exit: let the leak checker run */
}

/* Contract in server-child.h. */
pid_t server_child_start(const char *path, mode_t mode, const struct server_limits *limits,
                         const struct server_child_ops *ops, void *userdata)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		/* Do not outlive a test that crashed. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		close(p[0]);
		serve(p[1], path, mode, limits, ops, userdata);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		fprintf(stderr, "test server on %s failed to start\n", path);
		exit(1);
	}
	close(p[0]);
	return pid;
}

/* Contract in server-child.h. */
int server_child_stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
