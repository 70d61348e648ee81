/* SPDX-License-Identifier: MIT */
/* What the lanyard command's source files share: exit statuses, names
 * made safe for a terminal, and the exec and fanout commands. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "client/lanyard.h"

enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_NOTHING = 3,
};

/* S for a terminal: names come from the LAN, and a control character
 * (ESC, a newline) would drive the terminal or forge a line, so each is
 * shown as \xNN. A new string; NULL on OOM. */
char *cli_shown(const char *s);

/* Parse a duration the way the configuration writes them: a whole number
 * followed by ms, s or m, or a bare number of milliseconds ("500ms",
 * "30s", "2m", "250"). Returns 0 or -EINVAL. */
int cli_parse_duration(const char *s, uint64_t *ret_ms);

#define CLI_FANOUT_PARALLEL     8     /* fanout: commands at once by default */
#define CLI_FANOUT_PARALLEL_MAX 256   /* and at most */
#define CLI_FANOUT_TIMEOUT_MS   30000 /* per command by default */
#define CLI_EXEC_RETRIES_MAX    100

/* Options of exec and fanout, and the command after "--". */
struct cli_run_opts {
	unsigned retries;    /* exec: further picks after a failure */
	unsigned parallel;   /* fanout: commands at once (0: the default) */
	uint64_t timeout_ms; /* fanout: per command, 0 = none */
	bool merge_json;     /* fanout: merge each command's JSON object */
	char **argv;         /* the command's arguments (templates) */
	int argc;
};

/* lanyard exec: resolve F (with POLICY, KEY, FLAGS as lanyard_resolve()),
 * run O's command against the pick with its placeholders and LANYARD_*
 * environment filled in, report how it went, and try another pick after
 * a failure, O->retries times. Returns the command's exit status (128 +
 * the signal that killed it), EXIT_NOTHING if nothing matched, EXIT_ERROR
 * if the agent failed, 126 or 127 if the command could not be run. */
int cli_exec(struct lanyard *h, const struct lanyard_filter *f, const char *policy, const char *key,
             unsigned flags, const struct cli_run_opts *o);

/* lanyard fanout: run O's command once for every instance matching F,
 * O->parallel at a time, each within O->timeout_ms; report each result;
 * print each command's output and a summary, or with O->merge_json the
 * merged object (summary on stderr). Returns EXIT_OK if all succeeded,
 * EXIT_ERROR if any failed, EXIT_NOTHING if nothing matched, 128 + the
 * signal if interrupted. */
int cli_fanout(struct lanyard *h, const struct lanyard_filter *f, const struct cli_run_opts *o);
