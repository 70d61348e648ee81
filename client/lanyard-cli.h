/* SPDX-License-Identifier: MIT */
/* What the lanyard command's parts share (client/lanyard-cli.c). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

struct lanyard;

/* The command's exit statuses (lanyard(1)). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_ERROR = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_NOTHING = 3,
	/* doctor: a check found a problem (the same status as an error) */
	CLI_EXIT_PROBLEMS = CLI_EXIT_ERROR,
};

/* S made safe for a terminal by the one rule, utf8_escape() (controls,
 * C1 codes, bidi controls and bytes that are not UTF-8 as \xHH or
 * \uXXXX, a backslash as \\). Every string from the agent, and so from
 * the LAN, that a person reads goes through it. A new string; NULL on
 * OOM. */
char *cli_shown(const char *s);

/* J dumped with jansson's FLAGS to F, its strings made safe for a
 * terminal by the same rule without changing the JSON they mean (no
 * double escape: utf8_escape() with UTF8_ESCAPE_JSON). Returns 0 or
 * -ENOMEM (then F may hold part of it). */
int cli_put_json(FILE *f, const json_t *j, size_t flags);

/* Print "lanyard: WHAT: <error of R>" (the agent's message when there is
 * one); returns the exit status for R. */
int cli_fail(struct lanyard *h, int r, const char *what);

/* S to F: as a JSON string, or made safe for a terminal. */
void cli_print_name(FILE *f, const char *s, bool json);

/* lanyard register (client/lanyard-register.c): ARGV[0] is "register";
 * H is connected. Returns the exit status. */
int cli_register(int argc, char **argv, struct lanyard *h, bool json);

struct lanyard_filter;
struct cli_run_opts; /* client/lanyard-run.h */

/* lanyard exec (client/lanyard-exec.c): resolve F (with POLICY, KEY, FLAGS
 * as lanyard_resolve()), run O's command against the pick with its
 * placeholders and LANYARD_* environment filled in, report how it went,
 * and try another pick after a failure, O->retries times. Returns the
 * command's exit status (128 + the signal that killed it),
 * CLI_EXIT_NOTHING if nothing matched, CLI_EXIT_ERROR if the agent
 * failed, 126 or 127 if the command could not be run. */
int cli_exec(struct lanyard *h, const struct lanyard_filter *f, const char *policy, const char *key,
             unsigned flags, const struct cli_run_opts *o);

/* lanyard fanout (client/lanyard-fanout.c): run O's command once for every
 * instance matching F, O->parallel at a time, each within O->timeout_ms;
 * report each result; print each command's output and a summary, or with
 * O->merge_json the merged object (summary on stderr). Returns
 * CLI_EXIT_OK if all succeeded, CLI_EXIT_ERROR if any failed,
 * CLI_EXIT_NOTHING if nothing matched, 128 + the signal if interrupted. */
int cli_fanout(struct lanyard *h, const struct lanyard_filter *f, const struct cli_run_opts *o);

/* What lanyard doctor is told (NULL: the default). */
struct cli_doctor_opts {
	const char *socket;       /* else $LANYARD_SOCKET, agent.socket, the default */
	const char *config;       /* else the one lanyardd runs with, else the default */
	const char *avahi_config; /* else /etc/avahi/avahi-daemon.conf */
	int timeout_ms;           /* per call; < 0: 5 s */
	bool json;                /* one JSON object per finding and line */
};

/* lanyard doctor (client/lanyard-doctor.c): check this host for lanyardd
 * (the agent, its configuration, the socket's permissions for this user,
 * avahi-daemon on the system bus and its limits, interfaces, packet
 * filter, NSS, clock) as O says, and print one line per finding. Returns
 * CLI_EXIT_OK when no finding is a problem, else CLI_EXIT_PROBLEMS. */
int cli_doctor(const struct cli_doctor_opts *o);
