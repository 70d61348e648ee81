/* SPDX-License-Identifier: MIT */
/* Running a command against one endpoint, for exec and fanout: its
 * arguments and environment filled in for the endpoint, spawned without
 * a shell, and its end described. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client/lanyard.h"

#define CLI_FANOUT_PARALLEL     8     /* fanout: commands at once by default */
#define CLI_FANOUT_PARALLEL_MAX 256   /* and at most */
#define CLI_FANOUT_TIMEOUT_MS   30000 /* per command by default */
#define CLI_EXEC_RETRIES_MAX    100

/* Options of exec and fanout (cli_exec(), cli_fanout() in lanyard-cli.h),
 * and the command after "--". */
struct cli_run_opts {
	unsigned retries;    /* exec: further picks after a failure */
	unsigned parallel;   /* fanout: commands at once (0: the default) */
	uint64_t timeout_ms; /* fanout: per command, 0 = none */
	bool timeout_set;    /* else CLI_FANOUT_TIMEOUT_MS */
	bool merge_json;     /* fanout: merge each command's JSON object */
	char **argv;         /* the command's arguments (templates) */
	int argc;
};

/* A command made for one endpoint: NULL-terminated argv and envp. */
struct run_cmd {
	char **argv;
	char **envp;
};

/* Fill C for endpoint IN: each of the ARGC templates of TMPL expanded by
 * lanyard_expand(), and this process's environment with LANYARD_ADDRESS,
 * LANYARD_PORT, LANYARD_HOST, LANYARD_INSTANCE and LANYARD_SERVICE set
 * for IN (one that IN lacks is left out, not inherited). Returns 0,
 * LANYARD_E_NOT_FOUND if an argument names a value IN lacks, or
 * LANYARD_E_NOMEM; run_cmd_clear() frees C in every case. */
int run_cmd_make(struct run_cmd *c, const struct lanyard_instance *in, enum lanyard_family family,
                 char *const *tmpl, int argc);

void run_cmd_clear(struct run_cmd *c);

/* Spawn C (posix_spawnp: searched in PATH, no shell) with default signal
 * dispositions and no blocked signal. OWN_GROUP: in a new process group
 * whose id is its pid, stdin from /dev/null, and stdout into a pipe whose
 * read end (non-blocking, close-on-exec) goes to *ret_out; else (RET_OUT
 * unused) every descriptor is inherited. Returns 0 and the pid, or -errno
 * (-ENOENT: no such program). */
int run_spawn(const struct run_cmd *c, bool own_group, pid_t *ret_pid, int *ret_out);

/* The exit status a shell gives for WSTATUS: the code, or 128 + signal. */
int run_exit_code(int wstatus);

/* The status of a command that could not be spawned (run_spawn()'s -E):
 * 127 when not found, else 126, as a shell says. */
int run_spawn_code(int e);

/* WSTATUS as text into BUF: "exit status 3", "killed by signal 9 (KILL)".
 * Returns BUF. */
const char *run_describe(int wstatus, char *buf, size_t size);

/* "ADDRESS:PORT" of IN for FAMILY, an IPv6 address in brackets, "-" for
 * a missing address, the address escaped by cli_shown(); for people and
 * for fanout's summary. A new string, NULL on OOM. */
char *run_endpoint_text(const struct lanyard_instance *in, enum lanyard_family family);

/* A monotonic clock in milliseconds. */
double run_now_ms(void);
