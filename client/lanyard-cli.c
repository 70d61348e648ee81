/* SPDX-License-Identifier: MIT */
/* What the lanyard command's parts share: exit codes, error lines, and
 * text from the agent made safe for a terminal (dnssd/utf8.c's
 * utf8_escape(), the one rule). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/lanyard-cli.h"
#include "client/lanyard.h"
#include "dnssd/utf8.h"

/* Contract in lanyard-cli.h. */
char *cli_shown(const char *s)
{
	return utf8_escape(s, strlen(s), 0);
}

/* Contract in lanyard-cli.h. */
int cli_put_json(FILE *f, const json_t *j, size_t flags)
{
	char *text = json_dumps(j, flags), *p;
	int r = 0;

	if (!text)
		return -ENOMEM;
	/* Line by line: the newlines of JSON_INDENT are the only raw ones
	 * (a dump escapes those in strings), and they are to stay. */
	for (p = text;;) {
		size_t n = strcspn(p, "\n");
		char *line = utf8_escape(p, n, UTF8_ESCAPE_JSON);

		if (!line) {
			r = -ENOMEM;
			break;
		}
		fputs(line, f);
		free(line);
		if (!p[n])
			break;
		fputc('\n', f);
		p += n + 1;
	}
	free(text);
	return r;
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

void cli_print_name(FILE *f, const char *s, bool json)
{
	if (json) {
		json_t *j = json_string(s);

		if (!j || cli_put_json(f, j, JSON_ENCODE_ANY) < 0)
			fputs("null", f);
		json_decref(j);
	} else {
		char *t = cli_shown(s);

		fputs(t ? t : "?", f);
		free(t);
	}
}
