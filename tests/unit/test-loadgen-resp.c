/* SPDX-License-Identifier: MIT */
/* Unit test of lanyard-loadgen's RESP reply framing (--raw): whole replies
 * counted with their success, partial ones left for the next read at every
 * split point, anything else failing the connection. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tests/bench/loadgen-resp.h"
#include "tests/unit/tap.h"

#define MAX_SEEN 16

/* What the framing reported, in place of loadgen.c's counting. */
static struct {
	unsigned n;
	size_t len[MAX_SEEN];
	bool ok[MAX_SEEN];
	unsigned fails;
} seen;

void loadgen_on_response(struct gen *g, struct lconn *c, const char *r, size_t len, bool ok,
                         uint64_t now)
{
	(void)g;
	(void)c;
	(void)r;
	(void)now;
	if (seen.n < MAX_SEEN) {
		seen.len[seen.n] = len;
		seen.ok[seen.n] = ok;
	}
	seen.n++;
}

void loadgen_conn_fail(struct gen *g, struct lconn *c, const char *why)
{
	(void)g;
	(void)why;
	c->dead = true;
	seen.fails++;
}

/* Frame the LEN bytes at BUF; returns how many replies, *RET_START as the
 * framing set it. */
static unsigned frame(const char *buf, size_t len, size_t *ret_start)
{
	static char in[4096];
	struct gen g = {0};
	struct lconn c = {.in = in, .in_len = len, .in_cap = sizeof(in)};

	memcpy(in, buf, len);
	memset(&seen, 0, sizeof(seen));
	return loadgen_resp_replies(&g, &c, 0, ret_start);
}

static void test_each_reply(void)
{
	static const struct {
		const char *bytes;
		bool ok;
	} cases[] = {
	        {"$5\r\nhello\r\n", true},  {"$0\r\n\r\n", true},        {"+OK\r\n", true},
	        {":42\r\n", true},          {"-ERR unknown\r\n", false}, {"$-1\r\n", false},
	        {"$4\r\na\r\nb\r\n", true}, /* CR LF inside a bulk string is data */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].bytes), start = 0;

		CHECK_INT_EQ(frame(cases[i].bytes, len, &start), 1);
		CHECK_INT_EQ(start, len);
		CHECK_INT_EQ(seen.len[0], len);
		CHECK_INT_EQ(seen.ok[0], cases[i].ok);
		CHECK_INT_EQ(seen.fails, 0);
	}
}

/* Pipelined replies split at every byte: only the complete ones count. */
static void test_split_everywhere(void)
{
	static const char stream[] =
	        "$3\r\nabc\r\n+PONG\r\n$-1\r\n-ERR x\r\n:7\r\n$12\r\n0123456789ab\r\n";
	static const size_t ends[] = {9, 16, 21, 29, 33, 52};
	size_t len = sizeof(stream) - 1;

	CHECK_INT_EQ(ends[5], len);
	for (size_t cut = 0; cut <= len; cut++) {
		size_t start = 0;
		unsigned want = 0;

		while (want < 6 && ends[want] <= cut)
			want++;
		CHECK_MSG(frame(stream, cut, &start) == want, "cut at %zu: %u replies, want %u",
		          cut, seen.n, want);
		CHECK_INT_EQ(start, want ? ends[want - 1] : 0);
		CHECK_INT_EQ(seen.fails, 0);
	}
}

static void test_not_resp(void)
{
	static const char *const bad[] = {
	        "*1\r\n$3\r\nkey\r\n", /* an array */
	        "$3\r\nabcXY",         /* a bulk string not ended by CR LF */
	        "$\r\n",               /* no length */
	        "$-2\r\n",             /* a negative length other than nil */
	        "$99999999999\r\n",    /* over Redis's own maximum */
	        "hello\r\n",           /* no type byte */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t start = 0;

		frame(bad[i], strlen(bad[i]), &start);
		CHECK_MSG(start == SIZE_MAX && seen.fails == 1, "not failed: %s", bad[i]);
	}
}

int main(void)
{
	test_each_reply();
	test_split_everywhere();
	test_not_resp();
	return test_summary();
}
