/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/http-query.c: percent-decoding, query strings, the
 * socket request each API call stands for (accepted by the socket's own
 * parser), and the status table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http-query.h"
#include "wire/response.h"
#include "tests/unit/tap.h"

static void test_unescape(void)
{
	static const struct {
		const char *in;
		bool plus;
		const char *out; /* NULL: refused */
	} cases[] = {
	        {"", false, ""},
	        {"plain", false, "plain"},
	        {"a%20b", false, "a b"},
	        {"a+b", true, "a b"},
	        {"a+b", false, "a+b"},
	        {"%2B", true, "+"},
	        {"%c3%a9t%C3%A9", false, "\xc3\xa9t\xc3\xa9"},
	        {"_http._tcp", false, "_http._tcp"},
	        {"%", false, NULL},
	        {"%2", false, NULL},
	        {"abc%", false, NULL},
	        {"%zz", false, NULL},
	        {"%2g", false, NULL},
	        {"%00", false, NULL}, /* no NUL in a C string */
	        {"x%0", false, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *out = NULL;
		int r = http_unescape(cases[i].in, strlen(cases[i].in), cases[i].plus, &out);

		if (cases[i].out) {
			CHECK_MSG(r == 0, "unescape \"%s\": %d", cases[i].in, r);
			CHECK_STR_EQ(out, cases[i].out);
		} else {
			CHECK_MSG(r == -EINVAL, "unescape \"%s\" should fail, got %d", cases[i].in,
			          r);
			CHECK(out == NULL);
		}
		free(out);
	}
	/* An embedded NUL byte in the input is refused too. */
	{
		char *out = NULL;

		CHECK_INT_EQ(http_unescape("a\0b", 3, false, &out), -EINVAL);
		CHECK(out == NULL);
	}
}

static void test_query(void)
{
	struct http_query q;
	char err[128] = "";
	static const char s[] = "tag=a&tag=b%2Cc&&txt=env%3Dprod&version=%3E%3D1.2+%3C2&flag";

	CHECK_INT_EQ(http_query_parse(s, strlen(s), &q, err, sizeof(err)), 0);
	CHECK_INT_EQ(q.n, 5);
	if (q.n == 5) {
		CHECK_STR_EQ(q.params[0].name, "tag");
		CHECK_STR_EQ(q.params[0].value, "a");
		CHECK_STR_EQ(q.params[1].value, "b,c");
		CHECK_STR_EQ(q.params[2].name, "txt");
		CHECK_STR_EQ(q.params[2].value, "env=prod");
		CHECK_STR_EQ(q.params[3].value, ">=1.2 <2");
		CHECK_STR_EQ(q.params[4].name, "flag");
		CHECK_STR_EQ(q.params[4].value, "");
	}
	http_query_clear(&q);

	CHECK_INT_EQ(http_query_parse("", 0, &q, err, sizeof(err)), 0);
	CHECK_INT_EQ(q.n, 0);
	http_query_clear(&q);

	/* Bad escapes, an empty name. */
	CHECK_INT_EQ(http_query_parse("a=%4", 4, &q, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "percent-escape") != NULL);
	http_query_clear(&q);
	CHECK_INT_EQ(http_query_parse("=x", 2, &q, err, sizeof(err)), -EINVAL);
	http_query_clear(&q);
	CHECK_INT_EQ(http_query_parse("a%00=x", 6, &q, err, sizeof(err)), -EINVAL);
	http_query_clear(&q);

	/* At most HTTP_QUERY_MAX_PARAMS pairs. */
	{
		char big[HTTP_QUERY_MAX_PARAMS * 4 + 8] = "";

		for (int i = 0; i <= HTTP_QUERY_MAX_PARAMS; i++)
			strcat(big, i ? "&a=1" : "a=1");
		CHECK_INT_EQ(http_query_parse(big, strlen(big), &q, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, "more than") != NULL);
		http_query_clear(&q);
	}
}

/* The request of OP/SERVICE?QUERY as compact JSON, or the error code as "!code". */
static char *request_of(enum wire_op op, const char *service, const char *query)
{
	struct http_query q;
	struct wire_err err = {0};
	char msg[128];
	json_t *o = NULL;
	char *text;

	if (http_query_parse(query, strlen(query), &q, msg, sizeof(msg)) < 0) {
		http_query_clear(&q);
		return strdup("!query");
	}
	if (http_query_request(op, service, &q, &o, &err) < 0) {
		http_query_clear(&q);
		text = malloc(32);
		snprintf(text, 32, "!%s", wire_code_name(err.code));
		return text;
	}
	http_query_clear(&q);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/* The request as the socket's parser reads it: 0 or its error code. */
static int socket_accepts(enum wire_op op, const char *service, const char *query)
{
	struct http_query q;
	struct wire_request req;
	struct wire_err err = {0};
	char msg[128];
	json_t *o = NULL;
	char *line;
	size_t len;
	int r;

	http_query_parse(query, strlen(query), &q, msg, sizeof(msg));
	r = http_query_request(op, service, &q, &o, &err);
	http_query_clear(&q);
	if (r < 0)
		return -1;
	line = wire_dump_line(o, &len);
	json_decref(o);
	r = wire_request_parse(line, len - 1, &req, &err);
	wire_request_clear(&req);
	free(line);
	return r < 0 ? (int)err.code : 0;
}

static void test_request(void)
{
	char *t;

	t = request_of(WIRE_OP_RESOLVE, "payments",
	               "policy=hash&key=user%2042&version=%5E1.2&tag=eu&tag=gpu&txt=env%3Dprod&"
	               "txt=tier%3D1&family=ipv4&prefer=local&instance=pay%40hostb");
	CHECK_STR_EQ(t, "{\"family\":\"ipv4\",\"instance\":\"pay@hostb\",\"key\":\"user 42\","
	                "\"op\":\"resolve\",\"policy\":\"hash\",\"prefer\":\"local\","
	                "\"service\":\"payments\",\"tags\":[\"eu\",\"gpu\"],"
	                "\"txt\":{\"env\":\"prod\",\"tier\":\"1\"},\"version\":\"^1.2\"}");
	free(t);
	t = request_of(WIRE_OP_SERVICES, NULL, "");
	CHECK_STR_EQ(t, "{\"op\":\"services\"}");
	free(t);
	t = request_of(WIRE_OP_WATCH, NULL, "");
	CHECK_STR_EQ(t, "{\"op\":\"watch\"}");
	free(t);
	/* Refused on the HTTP side: unknown, twice, txt without '=', not UTF-8. */
	t = request_of(WIRE_OP_LIST, "x", "colour=red");
	CHECK_STR_EQ(t, "!bad_request");
	free(t);
	t = request_of(WIRE_OP_LIST, "x", "version=1&version=2");
	CHECK_STR_EQ(t, "!bad_request");
	free(t);
	t = request_of(WIRE_OP_LIST, "x", "txt=novalue");
	CHECK_STR_EQ(t, "!bad_request");
	free(t);
	t = request_of(WIRE_OP_LIST, "x", "txt=a%3D1&txt=a%3D2");
	CHECK_STR_EQ(t, "!bad_request");
	free(t);
	t = request_of(WIRE_OP_LIST, "x", "tag=%ff");
	CHECK_STR_EQ(t, "!bad_request");
	free(t);
	t = request_of(WIRE_OP_LIST, "\xff", "");
	CHECK_STR_EQ(t, "!bad_request");
	free(t);
	t = request_of(WIRE_OP_LIST, "x", "a=%zz");
	CHECK_STR_EQ(t, "!query");
	free(t);

	/* Left to the socket, which judges by its own rules: the same answer
	 * as on the socket, by construction. */
	CHECK_INT_EQ(socket_accepts(WIRE_OP_RESOLVE, "payments", "policy=hash&tag=a"), 0);
	CHECK_INT_EQ(socket_accepts(WIRE_OP_LIST, NULL, "family=ipv6&version=%3E%3D1"), 0);
	CHECK_INT_EQ(socket_accepts(WIRE_OP_WATCH, NULL, ""), 0);
	CHECK_INT_EQ(socket_accepts(WIRE_OP_LIST, "x", "policy=hash"), WIRE_BAD_REQUEST);
	CHECK_INT_EQ(socket_accepts(WIRE_OP_LIST, "x", "family=ipx"), WIRE_BAD_REQUEST);
	CHECK_INT_EQ(socket_accepts(WIRE_OP_RESOLVE, "x", "version=%3E%3Dbanana"),
	             WIRE_BAD_REQUEST);
	CHECK_INT_EQ(socket_accepts(WIRE_OP_RESOLVE, NULL, ""), WIRE_BAD_REQUEST);
}

static void test_status(void)
{
	CHECK_INT_EQ(http_status_of(WIRE_OK), 200);
	CHECK_INT_EQ(http_status_of(WIRE_BAD_REQUEST), 400);
	CHECK_INT_EQ(http_status_of(WIRE_UNKNOWN_OP), 400);
	CHECK_INT_EQ(http_status_of(WIRE_NOT_FOUND), 404);
	CHECK_INT_EQ(http_status_of(WIRE_TOO_LARGE), 413);
	CHECK_INT_EQ(http_status_of(WIRE_BUSY), 429);
	CHECK_INT_EQ(http_status_of(WIRE_INTERNAL), 500);
	CHECK_INT_EQ(http_status_of(WIRE_UNAVAILABLE), 503);
	CHECK_INT_EQ(http_status_of(WIRE_FORBIDDEN), 403);
	CHECK_INT_EQ(http_status_of(WIRE_CONFLICT), 409);
	CHECK_INT_EQ(http_status_of(_WIRE_CODE_MAX), 500);
	/* Every code has a status of its own kind: none left at 0. */
	for (int c = 0; c < _WIRE_CODE_MAX; c++)
		CHECK_MSG(http_status_of((enum wire_code)c) >= 200, "code %d has no status", c);
}

int main(void)
{
	test_unescape();
	test_query();
	test_request();
	test_status();
	return test_summary();
}
