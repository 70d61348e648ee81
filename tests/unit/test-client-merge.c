/* SPDX-License-Identifier: MIT */
/* Tests of fanout's --merge json (client/lanyard-merge.c) and the CLI's
 * small helpers: durations (dnssd/duration.c), names shown on a
 * terminal (client/lanyard-cli.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/lanyard-cli.h"
#include "client/lanyard-merge.h"
#include "client/lanyard-run.h"
#include "dnssd/duration.h"
#include "tests/unit/tap.h"

static json_t *parse(const char *s, char *why)
{
	return merge_parse(s, strlen(s), why, 128);
}

/* What merge_parse() accepts and why it refuses. */
static void test_parse(void)
{
	char why[128];
	json_t *j;

	j = parse(" \n{\"a\": 1, \"b\": {\"c\": [1, null]}}\n\n", why);
	CHECK(json_is_object(j) && json_integer_value(json_object_get(j, "a")) == 1);
	json_decref(j);
	j = parse("{}", why);
	CHECK(json_is_object(j) && json_object_size(j) == 0);
	json_decref(j);

	CHECK(!parse("", why));
	CHECK_STR_EQ(why, "no output");
	CHECK(!parse(" \n\t", why));
	CHECK_STR_EQ(why, "no output");
	CHECK(!parse("[1,2]", why));
	CHECK_STR_EQ(why, "output is an array, not a JSON object");
	CHECK(!parse("42", why));
	CHECK_STR_EQ(why, "output is a number, not a JSON object");
	CHECK(!parse("\"hi\"", why));
	CHECK_STR_EQ(why, "output is a string, not a JSON object");
	CHECK(!parse("null", why));
	CHECK_STR_EQ(why, "output is null, not a JSON object");
	CHECK(!parse("hello", why));
	CHECK(strncmp(why, "output is not JSON: ", 20) == 0);
	/* Two objects, or one and then text: not one object. */
	CHECK(!parse("{\"a\":1}\n{\"a\":2}\n", why));
	CHECK(strncmp(why, "output is not JSON: ", 20) == 0);
	CHECK(!parse("{\"a\":1,\"a\":2}", why));
	CHECK(strstr(why, "duplicate"));
	/* Bytes from the endpoint are not copied into why as they are. */
	CHECK(!parse("\x1b[2J\xff", why));
	for (const char *c = why; *c; c++)
		CHECK_MSG(*c >= 0x20 && *c < 0x7f, "why has byte 0x%02x", (unsigned char)*c);
	{
		const char nul[] = "{\"a\":1}\0{}";

		CHECK(!merge_parse(nul, sizeof(nul) - 1, why, sizeof(why)));
	}
}

static void add(struct merge *m, const char *inst, const char *addr, uint16_t port,
                const char *text)
{
	struct merge_endpoint ep = {.instance = inst, .address = addr, .port = port};
	char why[128];
	json_t *j = parse(text, why);

	CHECK_MSG(j, "%s: %s", text, why);
	CHECK_INT_EQ(merge_add(m, &ep, j), 0);
	json_decref(j);
}

static void check_result(const struct merge *m, const char *want)
{
	json_t *out = merge_result(m);
	char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;

	CHECK_STR_EQ(text, want);
	free(text);
	json_decref(out);
}

static void test_merge(void)
{
	struct merge *m = merge_new();
	struct merge_endpoint fail = {.instance = "w@h3", .address = "192.0.2.13", .port = 83};
	struct merge_endpoint noaddr = {.instance = "w@h4", .port = 84};

	/* Nothing at all. */
	check_result(m, "{\"_endpoints\":{\"answered\":[],\"failed\":[]}}");
	/* Keys absent from some endpoints make shorter arrays; values keep
	 * their endpoint's order, nested ones as they were. */
	add(m, "w@h1", "192.0.2.11", 81,
	    "{\"host\":\"h1\",\"n\":1,\"deep\":{\"a\":[1,{\"b\":null}]}}");
	add(m, "w@h2", "fe80::1%2", 82, "{\"n\":2,\"only2\":[true,false],\"host\":\"h2\"}");
	CHECK_INT_EQ(merge_add_failure(m, &fail, "exit status 1"), 0);
	add(m, "w@h5", "192.0.2.15", 85, "{}");
	CHECK_INT_EQ(merge_add_failure(m, &noaddr, "not run: no value for a placeholder"), 0);
	add(m, "w@h6", "192.0.2.16", 86, "{\"n\":6.5,\"_endpoints\":\"forged\"}");
	check_result(m, "{\"host\":[\"h1\",\"h2\"],\"n\":[1,2,6.5],"
	                "\"deep\":[{\"a\":[1,{\"b\":null}]}],\"only2\":[[true,false]],"
	                "\"_endpoints\":{\"answered\":["
	                "{\"instance\":\"w@h1\",\"address\":\"192.0.2.11\",\"port\":81},"
	                "{\"instance\":\"w@h2\",\"address\":\"fe80::1%2\",\"port\":82},"
	                "{\"instance\":\"w@h5\",\"address\":\"192.0.2.15\",\"port\":85},"
	                "{\"instance\":\"w@h6\",\"address\":\"192.0.2.16\",\"port\":86}],"
	                "\"failed\":["
	                "{\"instance\":\"w@h3\",\"address\":\"192.0.2.13\",\"port\":83,"
	                "\"why\":\"exit status 1\"},"
	                "{\"instance\":\"w@h4\",\"address\":null,\"port\":84,"
	                "\"why\":\"not run: no value for a placeholder\"}]}}");
	/* The result is a copy: asking twice gives the same. */
	check_result(m, "{\"host\":[\"h1\",\"h2\"],\"n\":[1,2,6.5],"
	                "\"deep\":[{\"a\":[1,{\"b\":null}]}],\"only2\":[[true,false]],"
	                "\"_endpoints\":{\"answered\":["
	                "{\"instance\":\"w@h1\",\"address\":\"192.0.2.11\",\"port\":81},"
	                "{\"instance\":\"w@h2\",\"address\":\"fe80::1%2\",\"port\":82},"
	                "{\"instance\":\"w@h5\",\"address\":\"192.0.2.15\",\"port\":85},"
	                "{\"instance\":\"w@h6\",\"address\":\"192.0.2.16\",\"port\":86}],"
	                "\"failed\":["
	                "{\"instance\":\"w@h3\",\"address\":\"192.0.2.13\",\"port\":83,"
	                "\"why\":\"exit status 1\"},"
	                "{\"instance\":\"w@h4\",\"address\":null,\"port\":84,"
	                "\"why\":\"not run: no value for a placeholder\"}]}}");
	merge_free(m);

	/* Not an object, or a name that is not UTF-8: refused. */
	m = merge_new();
	{
		struct merge_endpoint ep = {.instance = "x", .port = 1};
		struct merge_endpoint bad = {.instance = "\xff", .port = 1};
		json_t *arr = json_array(), *obj = json_object();

		CHECK_INT_EQ(merge_add(m, &ep, arr), -EINVAL);
		CHECK_INT_EQ(merge_add(m, &bad, obj), -EINVAL);
		CHECK_INT_EQ(merge_add_failure(m, &bad, "x"), -EINVAL);
		json_decref(arr);
		json_decref(obj);
	}
	check_result(m, "{\"_endpoints\":{\"answered\":[],\"failed\":[]}}");
	merge_free(m);
	merge_free(NULL);
}

static void test_duration(void)
{
	uint64_t ms = 7;

	CHECK(duration_parse("500ms", &ms) == 0 && ms == 500);
	CHECK(duration_parse("30s", &ms) == 0 && ms == 30000);
	CHECK(duration_parse("2m", &ms) == 0 && ms == 120000);
	CHECK(duration_parse("250", &ms) == 0 && ms == 250);
	CHECK(duration_parse("0", &ms) == 0 && ms == 0);
	ms = 7;
	CHECK(duration_parse("", &ms) == -EINVAL);
	CHECK(duration_parse("s", &ms) == -EINVAL);
	CHECK(duration_parse("-1s", &ms) == -EINVAL);
	CHECK(duration_parse("1.5s", &ms) == -EINVAL);
	CHECK(duration_parse("1 s", &ms) == -EINVAL);
	CHECK(duration_parse("5x", &ms) == -EINVAL);
	CHECK(duration_parse("1h", &ms) == -EINVAL);
	CHECK(duration_parse("99999999999999999999", &ms) == -EINVAL);
	CHECK(duration_parse("999999999999999999m", &ms) == -EINVAL);
	CHECK(duration_parse(NULL, &ms) == -EINVAL);
	CHECK(ms == 7);
}

static void test_shown(void)
{
	char *s = cli_shown("evil\x1b[2J\nforged\x7f é");

	CHECK_STR_EQ(s, "evil\\x1b[2J\\x0aforged\\x7f é");
	free(s);
	s = cli_shown("");
	CHECK_STR_EQ(s, "");
	free(s);
}

int main(void)
{
	test_parse();
	test_merge();
	test_duration();
	test_shown();
	return test_summary();
}
