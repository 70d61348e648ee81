/* SPDX-License-Identifier: MIT */
/* lanyard-loadgen's RESP reply framing, for the raw-line mode. */
#include "tests/bench/loadgen-resp.h"

#include <stdbool.h>
#include <string.h>

#define RESP_LINE_MAX (64 * 1024)         /* a header or simple line longer is not RESP */
#define RESP_BULK_MAX (512 * 1024 * 1024) /* Redis's own proto-max-bulk-len */

/* The length of the complete reply at P (AVAIL bytes): 0 while it is
 * incomplete, -1 if it is not one of the replies handled; *RET_OK says
 * whether it is a success. */
static long long reply_len(const char *p, size_t avail, bool *ret_ok)
{
	const char *eol;
	size_t line;
	long long n = 0;

	if (avail == 0)
		return 0;
	eol = memmem(p, avail, "\r\n", 2);
	if (!eol)
		return avail > RESP_LINE_MAX ? -1 : 0;
	line = (size_t)(eol - p) + 2;
	switch (p[0]) {
	case '+':
	case ':':
		*ret_ok = true;
		return (long long)line;
	case '-':
		*ret_ok = false;
		return (long long)line;
	case '$':
		if (line == 5 && memcmp(p, "$-1", 3) == 0) {
			*ret_ok = false;
			return (long long)line;
		}
		if (line < 4)
			return -1;
		for (const char *d = p + 1; d < eol; d++) {
			if (*d < '0' || *d > '9' || n > RESP_BULK_MAX)
				return -1;
			n = n * 10 + (*d - '0');
		}
		if (n > RESP_BULK_MAX)
			return -1;
		if (avail < line + (size_t)n + 2)
			return 0;
		if (p[line + (size_t)n] != '\r' || p[line + (size_t)n + 1] != '\n')
			return -1;
		*ret_ok = true;
		return (long long)line + n + 2;
	default:
		return -1;
	}
}

unsigned loadgen_resp_replies(struct gen *g, struct lconn *c, uint64_t now, size_t *ret_start)
{
	unsigned answered = 0;
	size_t start = 0;

	for (;;) {
		bool ok = false;
		long long len = reply_len(c->in + start, c->in_len - start, &ok);

		if (len == 0)
			break;
		if (len < 0) {
			loadgen_conn_fail(g, c,
			                  "a reply that is not a RESP string, integer or error");
			*ret_start = SIZE_MAX;
			return answered;
		}
		loadgen_on_response(g, c, c->in + start, (size_t)len, ok, now);
		start += (size_t)len;
		answered++;
	}
	*ret_start = start;
	return answered;
}
