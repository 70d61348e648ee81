/* SPDX-License-Identifier: MIT */
/* What the lanyard command's parts share (client/lanyard-cli.c). */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct lanyard;

/* The command's exit statuses (lanyard(1)). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_ERROR = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_NOTHING = 3,
};

/* S for a terminal: control characters as \xNN. A new string; NULL on OOM. */
char *cli_shown(const char *s);

/* Print "lanyard: WHAT: <error of R>" (the agent's message when there is
 * one); returns the exit status for R. */
int cli_fail(struct lanyard *h, int r, const char *what);

/* S to F: as a JSON string, or made safe for a terminal. */
void cli_print_name(FILE *f, const char *s, bool json);

/* lanyard register (client/lanyard-register.c): ARGV[0] is "register";
 * H is connected. Returns the exit status. */
int cli_register(int argc, char **argv, struct lanyard *h, bool json);
