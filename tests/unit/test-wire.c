/* SPDX-License-Identifier: MIT */
/* Unit tests of request parsing and validation (wire/request.c), with
 * parse -> print -> parse round trips. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/request.h"
#include "tests/unit/tap.h"

static int parse(const char *line, struct wire_request *req, struct wire_err *err)
{
	memset(err, 0, sizeof(*err));
	return wire_request_parse(line, strlen(line), req, err);
}

/* Lines that must be rejected, with their code and a piece of the message. */
static const struct {
	const char *line;
	enum wire_code code;
	const char *msg;
} bad[] = {
        {"", WIRE_BAD_REQUEST, "malformed JSON"},
        {"{", WIRE_BAD_REQUEST, "malformed JSON"},
        {"{\"op\":\"list\"} x", WIRE_BAD_REQUEST, "malformed JSON"},
        {"[1,2]", WIRE_BAD_REQUEST, "must be a JSON object"},
        {"\"list\"", WIRE_BAD_REQUEST, "must be a JSON object"},
        {"{}", WIRE_BAD_REQUEST, "missing \"op\""},
        {"{\"op\":7}", WIRE_BAD_REQUEST, "\"op\" must be a string"},
        {"{\"op\":\"frobnicate\"}", WIRE_UNKNOWN_OP, "unknown op \"frobnicate\""},
        {"{\"op\":\"list\",\"colour\":1}", WIRE_BAD_REQUEST,
         "unknown field \"colour\" for op \"list\""},
        {"{\"op\":\"status\",\"service\":\"x\"}", WIRE_BAD_REQUEST, "unknown field \"service\""},
        {"{\"op\":\"list\",\"op\":\"list\"}", WIRE_BAD_REQUEST, "duplicate"},
        {"{\"op\":\"list\",\"service\":5}", WIRE_BAD_REQUEST, "\"service\" must be a string"},
        {"{\"op\":\"list\",\"service\":\"\"}", WIRE_BAD_REQUEST, "must not be empty"},
        {"{\"op\":\"list\",\"service\":\"a\\nb\"}", WIRE_BAD_REQUEST, "control character"},
        {"{\"op\":\"list\",\"tags\":\"eu\"}", WIRE_BAD_REQUEST, "\"tags\" must be an array"},
        {"{\"op\":\"list\",\"tags\":[\"eu\",3]}", WIRE_BAD_REQUEST, "\"tags[]\" must be a string"},
        {"{\"op\":\"list\",\"txt\":[]}", WIRE_BAD_REQUEST, "\"txt\" must be an object"},
        {"{\"op\":\"list\",\"txt\":{\"a\":1}}", WIRE_BAD_REQUEST,
         "value for \"a\" must be a string"},
        {"{\"op\":\"list\",\"txt\":{\"a=b\":\"c\"}}", WIRE_BAD_REQUEST, "not a valid TXT key"},
        {"{\"op\":\"list\",\"family\":\"ipv5\"}", WIRE_BAD_REQUEST, "unknown value \"ipv5\""},
        {"{\"op\":\"list\",\"family\":4}", WIRE_BAD_REQUEST, "\"family\" must be a string"},
        {"{\"op\":\"list\",\"version\":\">=x.1\"}", WIRE_BAD_REQUEST, "cannot parse"},
        {"{\"op\":\"list\",\"version\":2}", WIRE_BAD_REQUEST, "\"version\" must be a string"},
        {"{\"op\":\"list\",\"policy\":\"random\"}", WIRE_BAD_REQUEST, "unknown field \"policy\""},
        {"{\"op\":\"resolve\"}", WIRE_BAD_REQUEST, "resolve needs \"service\""},
        {"{\"op\":\"resolve\",\"service\":\"a\",\"policy\":\"Round Robin\"}", WIRE_BAD_REQUEST,
         "not a policy name"},
        {"{\"op\":\"resolve\",\"service\":\"a\",\"prefer\":\"remote\"}", WIRE_BAD_REQUEST,
         "unknown value \"remote\""},
        {"{\"op\":\"resolve\",\"service\":\"a\",\"key\":1}", WIRE_BAD_REQUEST, "\"key\" must be"},
        {"{\"op\":\"report\",\"result\":\"ok\"}", WIRE_BAD_REQUEST, "report needs \"instance\""},
        {"{\"op\":\"report\",\"instance\":\"i\"}", WIRE_BAD_REQUEST, "report needs \"result\""},
        {"{\"op\":\"report\",\"instance\":\"i\",\"result\":\"maybe\"}", WIRE_BAD_REQUEST,
         "unknown value \"maybe\""},
        {"{\"op\":\"report\",\"instance\":\"i\",\"result\":\"ok\",\"latency_ms\":-1}",
         WIRE_BAD_REQUEST, "latency_ms"},
        {"{\"op\":\"report\",\"instance\":\"i\",\"result\":\"ok\",\"latency_ms\":\"3\"}",
         WIRE_BAD_REQUEST, "latency_ms"},
        {"{\"op\":\"report\",\"instance\":\"i\",\"result\":\"ok\",\"tags\":[]}", WIRE_BAD_REQUEST,
         "unknown field \"tags\" for op \"report\""},
        {"{\"op\":\"unwatch\"}", WIRE_BAD_REQUEST, "unwatch needs \"watch\""},
        {"{\"op\":\"unwatch\",\"watch\":0}", WIRE_BAD_REQUEST, "positive integer"},
        {"{\"op\":\"unwatch\",\"watch\":1.5}", WIRE_BAD_REQUEST, "positive integer"},
        {"{\"op\":\"list\",\"id\":[1]}", WIRE_BAD_REQUEST, "\"id\" must be"},
        {"{\"op\":\"list\",\"id\":{}}", WIRE_BAD_REQUEST, "\"id\" must be"},
        {"{\"op\":\"list\",\"service\":\"a\\u0000b\"}", WIRE_BAD_REQUEST, "malformed JSON"},
        {"{\"op\":\"list\",\"service\":\"\xff\"}", WIRE_BAD_REQUEST, "malformed JSON"},
        /* check: a ttl check's report */
        {"{\"op\":\"check\",\"status\":\"pass\"}", WIRE_BAD_REQUEST, "check needs \"service\""},
        {"{\"op\":\"check\",\"service\":\"p\"}", WIRE_BAD_REQUEST, "check needs \"status\""},
        {"{\"op\":\"check\",\"service\":\"p\",\"status\":\"ok\"}", WIRE_BAD_REQUEST,
         "unknown value \"ok\""},
        {"{\"op\":\"check\",\"service\":\"p\",\"status\":\"PASS\"}", WIRE_BAD_REQUEST,
         "unknown value \"PASS\""},
        {"{\"op\":\"check\",\"service\":\"p\",\"status\":1}", WIRE_BAD_REQUEST,
         "\"status\" must be a string"},
        {"{\"op\":\"check\",\"service\":\"p\",\"status\":\"pass\",\"output\":3}", WIRE_BAD_REQUEST,
         "\"output\" must be a string"},
        {"{\"op\":\"check\",\"service\":\"p\",\"status\":\"pass\",\"output\":null}",
         WIRE_BAD_REQUEST, "\"output\" must be a string"},
        {"{\"op\":\"check\",\"service\":\"p\",\"status\":\"pass\",\"output\":\"a\\u0000\"}",
         WIRE_BAD_REQUEST, "malformed JSON"},
        {"{\"op\":\"check\",\"service\":\"p\",\"status\":\"pass\",\"reason\":\"x\"}",
         WIRE_BAD_REQUEST, "unknown field \"reason\" for op \"check\""},
        {"{\"op\":\"check\",\"service\":\"p\",\"status\":\"pass\",\"tags\":[]}", WIRE_BAD_REQUEST,
         "unknown field \"tags\" for op \"check\""},
        {"{\"op\":\"check\",\"service\":\"\",\"status\":\"pass\"}", WIRE_BAD_REQUEST,
         "must not be empty"},
        /* maint: maintenance on or off */
        {"{\"op\":\"maint\",\"state\":\"on\"}", WIRE_BAD_REQUEST, "maint needs \"service\""},
        {"{\"op\":\"maint\",\"service\":\"p\"}", WIRE_BAD_REQUEST, "maint needs \"state\""},
        {"{\"op\":\"maint\",\"service\":\"p\",\"state\":true}", WIRE_BAD_REQUEST,
         "\"state\" must be a string"},
        {"{\"op\":\"maint\",\"service\":\"p\",\"state\":\"yes\"}", WIRE_BAD_REQUEST,
         "unknown value \"yes\""},
        {"{\"op\":\"maint\",\"service\":\"p\",\"state\":\"on\",\"reason\":\"a\\nb\"}",
         WIRE_BAD_REQUEST, "\"reason\" contains a control character"},
        {"{\"op\":\"maint\",\"service\":\"p\",\"state\":\"on\",\"reason\":7}", WIRE_BAD_REQUEST,
         "\"reason\" must be a string"},
        {"{\"op\":\"maint\",\"service\":\"p\",\"state\":\"on\",\"output\":\"x\"}", WIRE_BAD_REQUEST,
         "unknown field \"output\" for op \"maint\""},
        {"{\"op\":\"maint\",\"service\":\"p\",\"state\":\"on\",\"status\":\"pass\"}",
         WIRE_BAD_REQUEST, "unknown field \"status\" for op \"maint\""},
};

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wire_request req;
		struct wire_err err;
		int r = parse(bad[i].line, &req, &err);

		CHECK_MSG(r == -EINVAL && err.code == bad[i].code && strstr(err.msg, bad[i].msg),
		          "line %s: r=%d code=%s msg=\"%s\", want %s \"%s\"", bad[i].line, r,
		          wire_code_name(err.code), err.msg, wire_code_name(bad[i].code),
		          bad[i].msg);
		wire_request_clear(&req);
	}
}

static void test_too_large(void)
{
	size_t n = WIRE_MAX_LINE + 1;
	char *line = malloc(n);
	struct wire_request req;
	struct wire_err err;

	memset(line, ' ', n);
	memcpy(line, "{\"op\":\"list\"}", 13);
	CHECK(wire_request_parse(line, n, &req, &err) == -EINVAL);
	CHECK(err.code == WIRE_TOO_LARGE);
	wire_request_clear(&req);
	/* Exactly the limit is fine (trailing spaces are JSON whitespace). */
	CHECK(wire_request_parse(line, WIRE_MAX_LINE, &req, &err) == 0);
	wire_request_clear(&req);
	free(line);
}

/* The id survives a failed parse so the error can echo it. */
static void test_id_on_error(void)
{
	struct wire_request req;
	struct wire_err err;

	CHECK(parse("{\"id\":\"abc\",\"op\":\"nope\"}", &req, &err) == -EINVAL);
	CHECK(err.code == WIRE_UNKNOWN_OP);
	CHECK(json_is_string(req.id) && strcmp(json_string_value(req.id), "abc") == 0);
	wire_request_clear(&req);
	CHECK(req.id == NULL);

	CHECK(parse("{\"id\":42,\"op\":\"list\",\"bogus\":true}", &req, &err) == -EINVAL);
	CHECK(json_integer_value(req.id) == 42);
	CHECK(req.filter.service == NULL);
	wire_request_clear(&req);

	CHECK(parse("{\"id\":null,\"op\":\"status\"}", &req, &err) == 0);
	CHECK(json_is_null(req.id));
	wire_request_clear(&req);
}

static void test_fields(void)
{
	struct wire_request req;
	struct wire_err err;

	CHECK(parse("{\"op\":\"list\",\"service\":\"_http._tcp\",\"instance\":\"web@a\","
	            "\"version\":\"^2.4\",\"tags\":[\"eu\",\"ssd\"],\"txt\":{\"path\":\"/v2\"},"
	            "\"family\":\"ipv6\"}",
	            &req, &err) == 0);
	CHECK(req.op == WIRE_OP_LIST);
	CHECK(req.id == NULL);
	CHECK(strcmp(req.filter.service, "_http._tcp") == 0);
	CHECK(strcmp(req.filter.instance, "web@a") == 0);
	CHECK(strcmp(req.filter.version, "^2.4") == 0);
	CHECK(constraint_match_text(&req.filter.constraint, "2.9.1", 5));
	CHECK(!constraint_match_text(&req.filter.constraint, "3.0.0", 5));
	CHECK(req.filter.n_tags == 2 && strcmp(req.filter.tags[1], "ssd") == 0);
	CHECK(req.filter.n_txt == 1 && strcmp(req.filter.txt[0].key, "path") == 0 &&
	      strcmp(req.filter.txt[0].value, "/v2") == 0);
	CHECK(req.filter.family == WIRE_FAMILY_IPV6);
	wire_request_clear(&req);

	CHECK(parse("{\"op\":\"resolve\",\"id\":1,\"service\":\"payments\",\"policy\":\"p2c\","
	            "\"key\":\"user-17\",\"prefer\":\"local\"}",
	            &req, &err) == 0);
	CHECK(req.op == WIRE_OP_RESOLVE && strcmp(req.policy, "p2c") == 0 &&
	      strcmp(req.key, "user-17") == 0 && req.prefer_local);
	wire_request_clear(&req);

	CHECK(parse("{\"op\":\"report\",\"instance\":\"payments@b\",\"result\":\"fail\","
	            "\"latency_ms\":12.5}",
	            &req, &err) == 0);
	CHECK(req.op == WIRE_OP_REPORT && !req.result_ok && req.has_latency &&
	      req.latency_ms == 12.5 && strcmp(req.filter.instance, "payments@b") == 0);
	wire_request_clear(&req);

	CHECK(parse("{\"op\":\"report\",\"instance\":\"x\",\"result\":\"ok\"}", &req, &err) == 0);
	CHECK(req.result_ok && !req.has_latency);
	wire_request_clear(&req);

	CHECK(parse("{\"op\":\"unwatch\",\"watch\":9007199254740992}", &req, &err) == 0);
	CHECK(req.watch == UINT64_C(9007199254740992));
	wire_request_clear(&req);
	CHECK(parse("{\"op\":\"unwatch\",\"watch\":9007199254740993}", &req, &err) == -EINVAL);
	wire_request_clear(&req);
}

/* check and maint: their fields, and the limits on their free text. */
static void test_check_maint(void)
{
	size_t n = WIRE_MAX_OUTPUT + 64;
	char *line = malloc(n + 128), *text = malloc(n + 1);
	struct wire_request req;
	struct wire_err err;

	CHECK(parse("{\"op\":\"check\",\"id\":5,\"service\":\"payments\",\"status\":\"warn\","
	            "\"output\":\"slow: 900 ms\\nsecond line\\t\\u00e9\"}",
	            &req, &err) == 0);
	CHECK(req.op == WIRE_OP_CHECK && req.check_status == WIRE_CHECK_WARN);
	CHECK_STR_EQ(req.filter.service, "payments");
	/* output may span lines: it is what a check printed */
	CHECK_STR_EQ(req.text, "slow: 900 ms\nsecond line\t\xc3\xa9");
	wire_request_clear(&req);
	CHECK(parse("{\"op\":\"check\",\"service\":\"p\",\"status\":\"fail\"}", &req, &err) == 0);
	CHECK(req.check_status == WIRE_CHECK_FAIL && req.text == NULL);
	wire_request_clear(&req);
	CHECK(parse("{\"op\":\"check\",\"service\":\"p\",\"status\":\"pass\",\"output\":\"\"}",
	            &req, &err) == 0);
	CHECK(req.check_status == WIRE_CHECK_PASS && req.text && !*req.text);
	wire_request_clear(&req);

	CHECK(parse("{\"op\":\"maint\",\"service\":\"payments\",\"state\":\"on\",\"reason\":"
	            "\"disk swap, back at 14:00\"}",
	            &req, &err) == 0);
	CHECK(req.op == WIRE_OP_MAINT && req.maint_on);
	CHECK_STR_EQ(req.text, "disk swap, back at 14:00");
	wire_request_clear(&req);
	CHECK(parse("{\"op\":\"maint\",\"service\":\"payments\",\"state\":\"off\"}", &req, &err) ==
	      0);
	CHECK(!req.maint_on && req.text == NULL);
	wire_request_clear(&req);

	CHECK_STR_EQ(wire_check_status_name(WIRE_CHECK_PASS), "pass");
	CHECK_STR_EQ(wire_check_status_name(WIRE_CHECK_FAIL), "fail");
	CHECK(wire_check_status_name((enum wire_check_status)3) == NULL);
	CHECK_STR_EQ(wire_op_name(WIRE_OP_CHECK), "check");
	CHECK_STR_EQ(wire_op_name(WIRE_OP_MAINT), "maint");

	if (!CHECK(line && text))
		goto out;
	/* output: at most WIRE_MAX_OUTPUT bytes */
	memset(text, 'o', WIRE_MAX_OUTPUT);
	text[WIRE_MAX_OUTPUT] = '\0';
	snprintf(line, n + 128,
	         "{\"op\":\"check\",\"service\":\"p\",\"status\":\"pass\",\"output\":\"%s\"}",
	         text);
	CHECK(parse(line, &req, &err) == 0);
	CHECK(req.text && strlen(req.text) == WIRE_MAX_OUTPUT);
	wire_request_clear(&req);
	snprintf(line, n + 128,
	         "{\"op\":\"check\",\"service\":\"p\",\"status\":\"pass\",\"output\":\"%so\"}",
	         text);
	CHECK(parse(line, &req, &err) == -EINVAL);
	CHECK_STR_EQ(err.msg, "\"output\" is longer than 4096 bytes");
	wire_request_clear(&req);
	/* reason: at most WIRE_MAX_STRING bytes */
	text[WIRE_MAX_STRING] = '\0';
	snprintf(line, n + 128,
	         "{\"op\":\"maint\",\"service\":\"p\",\"state\":\"on\",\"reason\":\"%s\"}", text);
	CHECK(parse(line, &req, &err) == 0);
	wire_request_clear(&req);
	snprintf(line, n + 128,
	         "{\"op\":\"maint\",\"service\":\"p\",\"state\":\"on\",\"reason\":\"%so\"}", text);
	CHECK(parse(line, &req, &err) == -EINVAL);
	CHECK_STR_EQ(err.msg, "\"reason\" is longer than 1024 bytes");
	wire_request_clear(&req);
out:
	free(line);
	free(text);
}

/* The version filter follows dnssd/version.h: no leading 'v', the reason in
 * the message. */
static void test_version_filter(void)
{
	struct wire_request req;
	struct wire_err err;
	struct wire_filter f = {0};

	CHECK(parse("{\"op\":\"list\",\"version\":\">=v2\"}", &req, &err) == -EINVAL);
	CHECK_STR_EQ(err.msg, "version constraint \">=v2\": cannot parse \">=v2\": expected "
	                      "MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]");
	wire_request_clear(&req);
	CHECK(parse("{\"op\":\"list\",\"version\":\"=1.2.3+b.7\"}", &req, &err) == 0);
	CHECK(constraint_match_text(&req.filter.constraint, "1.2.3", 5));
	wire_request_clear(&req);

	CHECK(wire_filter_set_version(&f, "^1.2", &err) == 0 && strcmp(f.version, "^1.2") == 0);
	CHECK(wire_filter_set_version(&f, "~2.0", &err) == 0 && strcmp(f.version, "~2.0") == 0);
	CHECK(constraint_match_text(&f.constraint, "2.0.5", 5));
	CHECK(wire_filter_set_version(&f, NULL, &err) == -EINVAL && err.code == WIRE_BAD_REQUEST);
	wire_filter_clear(&f);
	CHECK(f.version == NULL && f.n_tags == 0);
}

/* A deep copy outlives its source and prints the same request. */
static void test_request_copy(void)
{
	static const char *const lines[] = {
	        "{\"op\":\"watch\",\"id\":\"w1\",\"service\":\"_ipp._tcp\",\"version\":\"^2\","
	        "\"tags\":[\"a\",\"b\"],\"txt\":{\"k\":\"v\",\"e\":\"\"},\"family\":\"ipv4\","
	        "\"instance\":\"x@y\"}",
	        "{\"op\":\"resolve\",\"service\":\"s\",\"key\":\"u\",\"policy\":\"hash\","
	        "\"prefer\":\"local\",\"tags\":[],\"txt\":{}}",
	        "{\"op\":\"report\",\"instance\":\"i\",\"result\":\"ok\",\"latency_ms\":3.5}",
	        "{\"op\":\"unwatch\",\"watch\":12}",
	        "{\"op\":\"status\"}",
	        "{\"op\":\"check\",\"service\":\"p\",\"status\":\"warn\",\"output\":\"x\\ny\"}",
	        "{\"op\":\"maint\",\"service\":\"p\",\"state\":\"on\",\"reason\":\"r\"}",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
		struct wire_request a, b;
		struct wire_err err;
		json_t *ja, *jb;

		if (!CHECK(parse(lines[i], &a, &err) == 0))
			continue;
		CHECK(wire_request_copy(&a, &b) == 0);
		ja = wire_request_to_json(&a);
		wire_request_clear(&a); /* the copy owns its own strings */
		jb = wire_request_to_json(&b);
		CHECK_MSG(ja && jb && json_equal(ja, jb), "copy of %s differs", lines[i]);
		CHECK(b.filter.version == NULL ||
		      constraint_match_text(&b.filter.constraint, "2.1.0", 5));
		json_decref(ja);
		json_decref(jb);
		wire_request_clear(&b);
	}
}

/* parse -> print -> parse gives the same request. */
static void test_round_trip(void)
{
	static const char *const lines[] = {
	        "{\"op\":\"list\"}",
	        "{\"op\":\"services\",\"id\":\"s\"}",
	        "{\"op\":\"status\",\"id\":true}",
	        "{\"op\":\"list\",\"id\":3.25,\"service\":\"payments\",\"version\":\">=1.2 <2 || "
	        "3.x\","
	        "\"tags\":[],\"txt\":{},\"family\":\"any\"}",
	        "{\"op\":\"watch\",\"id\":-7,\"service\":\"_ipp._tcp\",\"tags\":[\"a\",\"b\"],"
	        "\"txt\":{\"k\":\"v\",\"e\":\"\"},\"family\":\"ipv4\",\"instance\":"
	        "\"\\u00e9t\\u00e9\"}",
	        "{\"op\":\"resolve\",\"service\":\"s\",\"key\":\"\",\"policy\":\"hash\"}",
	        "{\"op\":\"report\",\"service\":\"s\",\"instance\":\"i\",\"result\":\"ok\","
	        "\"latency_ms\":3}",
	        "{\"op\":\"unwatch\",\"watch\":12,\"id\":null}",
	        "{\"op\":\"check\",\"service\":\"payments\",\"status\":\"pass\"}",
	        "{\"op\":\"check\",\"service\":\"p\",\"status\":\"fail\",\"output\":\"\"}",
	        "{\"op\":\"check\",\"id\":1,\"service\":\"p\",\"status\":\"warn\",\"output\":"
	        "\"a\\nb\\u00e9\\\"\"}",
	        "{\"op\":\"maint\",\"service\":\"p\",\"state\":\"off\"}",
	        "{\"op\":\"maint\",\"service\":\"p\",\"state\":\"on\",\"reason\":\"\"}",
	        "{\"op\":\"maint\",\"service\":\"p\",\"state\":\"on\",\"reason\":\"a \\u00e9\"}",
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct wire_request a, b;
		struct wire_err err;
		json_t *ja = NULL, *jb = NULL;
		char *text = NULL;

		if (!CHECK_MSG(parse(lines[i], &a, &err) >= 0, "%s: %s", lines[i], err.msg)) {
			wire_request_clear(&a);
			continue;
		}
		ja = wire_request_to_json(&a);
		text = ja ? json_dumps(ja, WIRE_DUMP_FLAGS) : NULL;
		CHECK(text && parse(text, &b, &err) == 0);
		jb = wire_request_to_json(&b);
		CHECK(jb && json_equal(ja, jb));
		CHECK(a.op == b.op && a.filter.n_tags == b.filter.n_tags &&
		      a.filter.n_txt == b.filter.n_txt && a.filter.family == b.filter.family);
		free(text);
		json_decref(ja);
		json_decref(jb);
		wire_request_clear(&a);
		wire_request_clear(&b);
	}
}

static void test_codes(void)
{
	enum wire_code c;

	for (unsigned i = 0; i < _WIRE_CODE_MAX; i++) {
		CHECK(wire_code_from_name(wire_code_name((enum wire_code)i), &c) == 0);
		CHECK(c == (enum wire_code)i);
	}
	CHECK(wire_code_from_name("nope", &c) == -EINVAL && c == WIRE_INTERNAL);
	CHECK(strcmp(wire_code_name(WIRE_TOO_LARGE), "too_large") == 0);
	CHECK(strcmp(wire_code_name((enum wire_code)99), "internal") == 0);
	CHECK(wire_op_name(_WIRE_OP_MAX) == NULL);
}

/* Plain requests take a fast scanner, anything else jansson's parser: both
 * must give the same request. Each pair is one request written both ways. */
static void test_two_paths(void)
{
	static const char *const pairs[][2] = {
	        {"{\"op\":\"resolve\",\"service\":\"payments\",\"id\":7}",
	         "{\"op\":\"resolve\",\"service\":\"pay\\u006dents\",\"id\":7}"},
	        {"{ \"op\" : \"list\" , \"service\" : \"x\" }",
	         "{\"op\":\"list\",\"service\":\"\\u0078\"}"},
	        {"{\"op\":\"report\",\"instance\":\"a@h\",\"result\":\"fail\",\"latency_ms\":12}",
	         "{\"op\":\"report\",\"instance\":\"a@h\",\"result\":\"fail\",\"latency_ms\":12."
	         "0}"},
	        {"{\"op\":\"status\",\"id\":-5}", "{\"op\":\"status\",\"id\":-5e0}"},
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(*pairs); i++) {
		struct wire_request a, b;
		struct wire_err ea, eb;
		int ra = parse(pairs[i][0], &a, &ea), rb = parse(pairs[i][1], &b, &eb);
		json_t *ja = ra == 0 ? wire_request_to_json(&a) : NULL;
		json_t *jb = rb == 0 ? wire_request_to_json(&b) : NULL;

		CHECK_MSG(ra == rb, "pair %zu: %d vs %d (%s / %s)", i, ra, rb, ea.msg, eb.msg);
		if (ra == 0 && rb == 0 && i != 3)
			CHECK_MSG(json_equal(ja, jb), "pair %zu parses differently", i);
		json_decref(ja);
		json_decref(jb);
		wire_request_clear(&a);
		wire_request_clear(&b);
	}
}

/* Regression (found by fuzz-wire-request): the fast scanner read an integer
 * with strtoll() past the end of a line that is not NUL-terminated. */
static void test_integer_at_end_of_unterminated_line(void)
{
	static const char text[] = "{\"op\":\"status\",\"id\":1234567";
	size_t len = sizeof(text) - 1;
	char *line = malloc(len); /* exactly the line: no NUL after it */
	struct wire_request req;
	struct wire_err err;

	memcpy(line, text, len);
	CHECK(wire_request_parse(line, len, &req, &err) == -EINVAL);
	CHECK_INT_EQ(err.code, WIRE_BAD_REQUEST);
	wire_request_clear(&req);
	free(line);
}

/* wire_request_parse_scratch() against wire_request_parse() on LINE: the
 * same result, the same error; *borrowed says which path it took. */
static void same_as_parse(const char *line, struct wire_scratch *sc, bool *borrowed)
{
	struct wire_request a, b;
	struct wire_err ea = {0}, eb = {0};
	int ra = wire_request_parse_scratch(line, strlen(line), &a, sc, &ea);
	int rb = wire_request_parse(line, strlen(line), &b, &eb);

	*borrowed = a.borrowed;
	CHECK_MSG(ra == rb, "%s: %d vs %d", line, ra, rb);
	if (ra == 0 && rb == 0) {
		json_t *ja = wire_request_to_json(&a), *jb = wire_request_to_json(&b);

		CHECK_MSG(ja && jb && json_equal(ja, jb), "%s parses differently", line);
		CHECK_MSG(json_equal(a.id, b.id) || (!a.id && !b.id), "%s: the id differs", line);
		CHECK(a.filter.constraint.n_ranges == b.filter.constraint.n_ranges);
		json_decref(ja);
		json_decref(jb);
	} else {
		CHECK_MSG(ea.code == eb.code && strcmp(ea.msg, eb.msg) == 0, "%s: \"%s\" vs \"%s\"",
		          line, ea.msg, eb.msg);
	}
	wire_request_clear(&a);
	wire_request_clear(&b);
}

/* The resolve path parses common requests into a scratch, without
 * allocating, and everything else as before: the same request, the same
 * error, either way. */
static void test_scratch(void)
{
	static const char *const fast[] = {
	        "{\"op\":\"resolve\",\"service\":\"payments\"}",
	        " { \"service\" : \"_http._tcp\" , \"op\" : \"resolve\" } \t",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"id\":42}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"id\":\"a-b\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"id\":null}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"id\":-7,\"policy\":\"p2c\","
	        "\"key\":\"\",\"prefer\":\"any\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"instance\":\"p@h1\",\"domain\":"
	        "\"local\",\"version\":\">=1.2, <2\",\"tags\":[\"eu\", \"ssd\"],\"family\":"
	        "\"ipv6\",\"policy\":\"hash\",\"key\":\"user 7\",\"prefer\":\"local\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"tags\":[],\"prefer\":\"lan\"}",
	};
	static const char *const slow[] = {
	        "{\"op\":\"list\",\"service\":\"p\"}",
	        "{\"service\":\"p\",\"op\":\"list\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"txt\":{\"a\":\"b\"}}",
	        "{\"op\":\"resolve\",\"service\":\"pay\\u006dents\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"id\":1.5}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"id\":[1]}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"service\":\"q\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"colour\":\"red\"}",
	        "{\"op\":\"resolve\",\"service\":\"\"}",
	        "{\"op\":\"resolve\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"policy\":\"Round\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"policy\":"
	        "\"abcdefghijklmnopqrstuvwxyz0123456\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"version\":\">=x.1\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"family\":\"ipv5\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"prefer\":\"remote\"}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"tags\":[\"a\",3]}",
	        "{\"op\":\"resolve\",\"service\":\"p\",\"tags\":[\"\"]}",
	        "{\"op\":\"resolve\",\"service\":\"p\"} x",
	        "{\"op\":\"resolve\",\"service\":\"p\",}",
	        "{\"op\":\"resolve\",\"service\":\"p\"",
	        "{\"op\":\"resolve\",\"service\":7}",
	        "{\"op\":\"frobnicate\",\"service\":\"p\"}",
	};
	struct wire_scratch *sc = malloc(sizeof(*sc));
	struct wire_request req, copy;
	struct wire_err err;
	char *line;
	bool borrowed;

	CHECK(sc != NULL);
	for (size_t i = 0; i < sizeof(fast) / sizeof(*fast); i++) {
		same_as_parse(fast[i], sc, &borrowed);
		CHECK_MSG(borrowed, "%s was not parsed into the scratch", fast[i]);
	}
	for (size_t i = 0; i < sizeof(slow) / sizeof(*slow); i++) {
		same_as_parse(slow[i], sc, &borrowed);
		CHECK_MSG(!borrowed, "%s was parsed into the scratch", slow[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		same_as_parse(bad[i].line, sc, &borrowed);

	/* 64 tags take the fast path, 65 the full parser (which refuses
	 * them); a name of 256 bytes is refused the same way. */
	line = malloc(WIRE_MAX_LINE);
	CHECK(line != NULL);
	strcpy(line, "{\"op\":\"resolve\",\"service\":\"p\",\"tags\":[\"t\"");
	for (int i = 1; i < WIRE_MAX_ITEMS; i++)
		strcat(line, ",\"t\"");
	strcat(line, "]}");
	same_as_parse(line, sc, &borrowed);
	CHECK(borrowed);
	strcpy(line + strlen(line) - 2, ",\"t\"]}");
	same_as_parse(line, sc, &borrowed);
	CHECK(!borrowed);
	snprintf(line, WIRE_MAX_LINE, "{\"op\":\"resolve\",\"service\":\"%0256d\"}", 0);
	same_as_parse(line, sc, &borrowed);
	CHECK(!borrowed);
	free(line);

	/* A copy owns its strings: the scratch may be used again. */
	line = "{\"op\":\"resolve\",\"service\":\"payments\",\"tags\":[\"eu\"],\"key\":\"k\"}";
	CHECK(wire_request_parse_scratch(line, strlen(line), &req, sc, &err) == 0 && req.borrowed);
	CHECK(wire_request_copy(&req, &copy) == 0 && !copy.borrowed);
	wire_request_clear(&req);
	line = "{\"op\":\"resolve\",\"service\":\"ZZZZZZZZ\",\"tags\":[\"ZZ\"],\"key\":\"Z\"}";
	CHECK(wire_request_parse_scratch(line, strlen(line), &req, sc, &err) == 0);
	CHECK_STR_EQ(copy.filter.service, "payments");
	CHECK(copy.filter.n_tags == 1 && strcmp(copy.filter.tags[0], "eu") == 0);
	CHECK_STR_EQ(copy.key, "k");
	wire_request_clear(&req);
	wire_request_clear(&copy);
	free(sc);
}

static void test_register(void)
{
	struct wire_request req, copy;
	struct wire_err err;
	json_t *j;

	CHECK(parse("{\"op\":\"register\",\"id\":1,\"service\":{\"name\":\"web\",\"port\":8080,"
	            "\"tags\":[\"a\"]}}",
	            &req, &err) == 0);
	CHECK(req.op == WIRE_OP_REGISTER && req.decl);
	CHECK_STR_EQ(req.decl, "{\"name\":\"web\",\"port\":8080,\"tags\":[\"a\"]}");
	/* Copied and written back as it came. */
	CHECK(wire_request_copy(&req, &copy) == 0);
	CHECK_STR_EQ(copy.decl, req.decl);
	j = wire_request_to_json(&copy);
	CHECK(j && json_is_object(json_object_get(j, "service")) &&
	      json_integer_value(json_object_get(json_object_get(j, "service"), "port")) == 8080);
	json_decref(j);
	wire_request_clear(&copy);
	wire_request_clear(&req);
	/* The service is an object; it is required; deregister needs its id. */
	CHECK(parse("{\"op\":\"register\",\"service\":\"web\"}", &req, &err) < 0 &&
	      err.code == WIRE_BAD_REQUEST && strstr(err.msg, "must be an object"));
	CHECK(parse("{\"op\":\"register\"}", &req, &err) < 0 && strstr(err.msg, "needs"));
	CHECK(parse("{\"op\":\"register\",\"service\":{},\"tags\":[]}", &req, &err) < 0 &&
	      strstr(err.msg, "unknown field"));
	CHECK(parse("{\"op\":\"deregister\",\"registration\":3}", &req, &err) == 0 &&
	      req.op == WIRE_OP_DEREGISTER && req.registration == 3);
	wire_request_clear(&req);
	CHECK(parse("{\"op\":\"deregister\",\"registration\":0}", &req, &err) < 0);
	CHECK(parse("{\"op\":\"deregister\"}", &req, &err) < 0);
	CHECK(strcmp(wire_code_name(WIRE_CONFLICT), "conflict") == 0 &&
	      strcmp(wire_code_name(WIRE_FORBIDDEN), "forbidden") == 0);
}

int main(void)
{
	test_register();
	test_check_maint();
	test_version_filter();
	test_request_copy();
	test_integer_at_end_of_unterminated_line();
	test_two_paths();
	test_scratch();
	test_bad();
	test_too_large();
	test_id_on_error();
	test_fields();
	test_round_trip();
	test_codes();
	return test_summary();
}
