/* SPDX-License-Identifier: MIT */
/* What the lanyard command's parts share: exit codes, error lines, names
 * made safe for a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/lanyard-cli.h"
#include "client/lanyard.h"

/* S for a terminal: names come from the LAN, and a control character
 * (ESC, a newline) would drive the terminal or forge a line, so each is
 * shown as \xNN. A new string; NULL on OOM. */
char *cli_shown(const char *s)
{
	size_t n = 0;
	char *out, *p;

	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		n += *c < 0x20 || *c == 0x7f ? 4 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	p = out;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			p += sprintf(p, "\\x%02x", *c);
		else
			*p++ = (char)*c;
	}
	*p = '\0';
	return out;
}

/* Report a failed library call; not_found means "nothing found". */
int cli_fail(struct lanyard *h, int r, const char *what)
{
	const char *msg = h ? lanyard_last_error(h) : "";
	char *s = cli_shown(*msg ? msg : lanyard_strerror(r));

	fprintf(stderr, "lanyard: %s: %s\n", what, s ? s : "?");
	free(s);
	return r == LANYARD_E_NOT_FOUND ? CLI_EXIT_NOTHING : CLI_EXIT_ERROR;
}
