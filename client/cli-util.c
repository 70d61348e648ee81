/* SPDX-License-Identifier: MIT */
/* Small helpers of the lanyard command: names shown on a terminal,
 * durations on the command line. */
#include "client/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* Contract in cli.h. */
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

/* Contract in cli.h. The grammar of config/'s cfg_parse_duration(), which
 * the CLI does not link (it would bring libyaml). */
int cli_parse_duration(const char *s, uint64_t *ret_ms)
{
	uint64_t v = 0, mult;
	const char *p = s;

	if (!s || *p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (*p == '\0' || (p[0] == 'm' && p[1] == 's' && p[2] == '\0'))
		mult = 1;
	else if (p[0] == 's' && p[1] == '\0')
		mult = 1000;
	else if (p[0] == 'm' && p[1] == '\0')
		mult = 60000;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*ret_ms = v * mult;
	return 0;
}
