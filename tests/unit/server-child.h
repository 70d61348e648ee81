/* SPDX-License-Identifier: MIT */
/* Shared by the socket and client tests: agent/server with a test's own
 * handler, run in a forked child until SIGTERM. */
#pragma once

#include <sys/types.h>

#include "agent/server.h"

/* What the child runs; the callbacks get the USERDATA of server_child_start(). */
struct server_child_ops {
	server_handler_fn handler;
	/* In the child, once the server listens and before the loop runs (may be NULL). */
	void (*setup)(void *userdata, struct ev_loop *loop, struct server *srv);
	/* In the child, after the server was freed and before the loop is (may be NULL). */
	void (*teardown)(void *userdata);
};

/* Fork a child serving on PATH with MODE and LIMITS (NULL: the defaults);
 * USERDATA is the child's copy of what it points to. Returns the child's pid
 * once it listens; exits 1 if it could not start. The child dies with the
 * parent. */
pid_t server_child_start(const char *path, mode_t mode, const struct server_limits *limits,
                         const struct server_child_ops *ops, void *userdata);

/* SIGTERM the child and wait; returns 0 if it exited with status 0. */
int server_child_stop(pid_t pid);
