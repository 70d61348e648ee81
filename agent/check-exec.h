/* SPDX-License-Identifier: MIT */
/* The exec health check: a program run in its own process group, without a shell. */
#pragma once

#include <sys/types.h>

#include "agent/check-probe.h"

struct ev_loop;
struct check_exec;

/* Run ARGV (argv[0] an absolute path, or a name looked up in PATH; copied
 * by the kernel, not kept) in a new process group, stdin from /dev/null,
 * stdout and stderr into a pipe read without blocking (the first
 * CHECK_OUTPUT_MAX bytes kept), every signal at its default and none
 * blocked. DONE (check-probe.h) gets CHECK_PASS for exit status 0,
 * CHECK_WARN for 1, CHECK_FAIL for any other status, a signal, or when
 * TIMEOUT seconds pass first: then the whole group is killed (SIGKILL).
 * When the program exits, what is left of its group is killed too. The
 * program is reaped with an ev_child watcher: LOOP must be libev's default
 * loop. Returns 0 with the running probe in *RET, or a negative errno when
 * the program could not be started (-ENOENT, -EACCES, -EMFILE...). */
int check_exec_start(struct ev_loop *loop, char *const *argv, double timeout, check_done_fn done,
                     void *userdata, struct check_exec **ret);

/* The process (and group) id of a running probe. */
pid_t check_exec_pid(const struct check_exec *p);

/* Cancel P if it still runs (its group is killed; libev reaps the
 * program; DONE is never called) and free it. NULL is fine; DONE may call
 * it. */
void check_exec_free(struct check_exec *p);
