/* SPDX-License-Identifier: MIT */
/* Unit tests for dnssd/txt: RFC 6763 §6 rules, the key rule, well-known keys, the
 * overlay reserve, the load format, the parser's limits and versions. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/txt.h"
#include "tests/unit/tap.h"

/* Parse NUL-terminated strings (no binary content). */
static struct txt *parse(const char *const *s, size_t n)
{
	const uint8_t *strs[512];
	size_t lens[512];
	struct txt *t = NULL;
	for (size_t i = 0; i < n; i++)
		strs[i] = (const uint8_t *)s[i], lens[i] = strlen(s[i]);
	if (txt_parse(strs, lens, n, &t) < 0) {
		fprintf(stderr, "txt_parse failed\n");
		exit(1);
	}
	return t;
}

#define PARSE(...)                                                                                 \
	parse((const char *const[]){__VA_ARGS__},                                                  \
	      sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void test_typical(void)
{
	struct txt *t = PARSE("version=1.4.2", "weight=10", "priority=2", "tags=eu, canary ,,blue",
	                      "region=eu-west-1", "load=0.25");
	CHECK(t->n_pairs == 6 && t->n_raw == 6);
	CHECK(t->version && strcmp(t->version, "1.4.2") == 0 && t->version_ok);
	CHECK(t->semver.major == 1 && t->semver.minor == 4 && t->semver.patch == 2);
	CHECK(t->weight == 10 && t->priority == 2);
	CHECK(t->has_load && t->load == 0.25);
	CHECK(t->n_tags == 3 && strcmp(t->tags[0], "eu") == 0 &&
	      strcmp(t->tags[1], "canary") == 0 && strcmp(t->tags[2], "blue") == 0);
	CHECK(txt_has_tag(t, "canary") && !txt_has_tag(t, "Canary") && !txt_has_tag(t, ""));
	const struct txt_pair *p = txt_get(t, "REGION");
	CHECK(p && strcmp(p->key, "region") == 0 && p->value_len == 9 &&
	      strcmp(p->value, "eu-west-1") == 0 && p->utf8);
	CHECK(!txt_get(t, "regio") && !txt_get(t, "region="));
	/* raw round trip, in order */
	size_t off = 0, i = 0, len;
	const uint8_t *s;
	const char *want[] = {"version=1.4.2", "weight=10", "priority=2"};
	while (i < 3 && txt_raw_next(t, &off, &s, &len)) {
		CHECK(len == strlen(want[i]) && memcmp(s, want[i], len) == 0);
		i++;
	}
	CHECK(i == 3);
	txt_free(t);
}

static void test_defaults(void)
{
	struct txt *t = PARSE("");
	CHECK(t->n_pairs == 0 && t->n_raw == 0 && t->raw_len == 0);
	CHECK(t->weight == 1 && t->priority == 0 && !t->has_load && !t->version && t->n_tags == 0);
	txt_free(t);
	CHECK(txt_parse(NULL, NULL, 0, &t) == 0 && t && t->weight == 1);
	txt_free(t);
	txt_free(NULL);
}

static void test_rfc6763_rules(void)
{
	/* empty strings ignored; boolean keys; case-insensitive first-wins */
	struct txt *t = PARSE("", "paper", "Color=red", "COLOR=blue", "color", "=novalue",
	                      "empty=", "a=b=c");
	CHECK(t->n_raw == 7);
	CHECK(t->n_pairs == 4);
	const struct txt_pair *p = txt_get(t, "paper");
	CHECK(p && p->value == NULL && p->value_len == 0);
	p = txt_get(t, "color");
	CHECK(p && strcmp(p->key, "Color") == 0 && strcmp(p->value, "red") == 0);
	p = txt_get(t, "empty");
	CHECK(p && p->value && p->value_len == 0);
	p = txt_get(t, "a");
	CHECK(p && strcmp(p->value, "b=c") == 0);
	txt_free(t);

	/* keys must be printable ASCII */
	t = PARSE("k\x01=1", "k\x7f=1", "k\xc3\xa9=1", "sp ace=1");
	CHECK(t->n_pairs == 1 && txt_get(t, "sp ace"));
	CHECK(t->n_raw == 4); /* raw keeps them all */
	txt_free(t);
}

static void test_binary_values(void)
{
	const uint8_t bin[] = "bin=\x00\xff\x00z", utf[] = "u=\xc3\xa9t\xc3\xa9",
	              bad[] = "o=\xc0\xaf", sur[] = "s=\xed\xa0\x80";
	const uint8_t *strs[] = {bin, utf, bad, sur};
	size_t lens[] = {sizeof(bin) - 1, sizeof(utf) - 1, sizeof(bad) - 1, sizeof(sur) - 1};
	struct txt *t;
	CHECK(txt_parse(strs, lens, 4, &t) == 0);
	const struct txt_pair *p = txt_get(t, "bin");
	CHECK(p && p->value_len == 4 && memcmp(p->value, "\x00\xff\x00z", 4) == 0 && !p->utf8);
	CHECK(txt_get(t, "u")->utf8 && !txt_get(t, "o")->utf8 && !txt_get(t, "s")->utf8);
	txt_free(t);
}

static void test_well_known_invalid(void)
{
	struct txt *t = PARSE("weight=65536", "priority=-1", "load=nan", "version=v1", "tags");
	CHECK(t->weight == 1 && t->priority == 0 && !t->has_load);
	CHECK(t->version && strcmp(t->version, "v1") == 0 && !t->version_ok);
	CHECK(t->n_tags == 0 && t->n_pairs == 5);
	txt_free(t);
	t = PARSE("WEIGHT=0", "Priority=65535", "load=1.5e2", "weight=7");
	CHECK(t->weight == 0 && t->priority == 65535 && t->has_load && t->load == 150.0);
	txt_free(t);
	t = PARSE("weight", "load= 1", "load=1", "priority=1x", "tags=,, ,");
	CHECK(t->weight == 1 && !t->has_load && t->priority == 0 && t->n_tags == 0);
	txt_free(t);
}

static void test_limits(void)
{
	char big[400], s[60][256];
	const char *strs[60];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "x=", 2);
	struct txt *t = PARSE(big, "y=1");
	CHECK(t->n_raw == 1 && t->n_pairs == 1 && !txt_get(t, "x"));
	txt_free(t);

	/* 60 strings of 201 wire bytes: 40 fit in 8 KiB, the rest is dropped */
	for (int i = 0; i < 60; i++) {
		int n = snprintf(s[i], sizeof(s[i]), "k%02d=", i);
		memset(s[i] + n, 'v', 200 - n);
		s[i][200] = '\0';
		strs[i] = s[i];
	}
	t = parse(strs, 60);
	CHECK(t->n_raw == 40 && t->raw_len == 40 * 201);
	CHECK(txt_get(t, "k39") && !txt_get(t, "k40"));
	txt_free(t);

	/* more than TXT_PAIRS_MAX pairs */
	static char keys[300][8];
	const char *kp[300];
	for (int i = 0; i < 300; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		kp[i] = keys[i];
	}
	t = parse(kp, 300);
	CHECK(t->n_pairs == TXT_PAIRS_MAX && t->n_raw == 300);
	CHECK(txt_get(t, "k254") && !txt_get(t, "k255"));
	txt_free(t);

	/* more than TXT_TAGS_MAX tags */
	char tags[400];
	size_t n = (size_t)snprintf(tags, sizeof(tags), "tags=");
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(tags + n, sizeof(tags) - n, "%s%c", i ? "," : "",
		                      'a' + i % 26);
	t = PARSE(tags);
	CHECK(t->n_tags == TXT_TAGS_MAX && strcmp(t->tags[63], "l") == 0);
	txt_free(t);
}

static void test_equal_raw(void)
{
	const uint8_t *strs[] = {(const uint8_t *)"a=1", (const uint8_t *)"", (const uint8_t *)"b"};
	size_t lens[] = {3, 0, 1};
	struct txt *t;
	CHECK(txt_parse(strs, lens, 3, &t) == 0);
	CHECK(txt_equal_raw(t, strs, lens, 3));
	CHECK(txt_equal_raw(t, (const uint8_t *[]){strs[0], strs[2]}, (size_t[]){3, 1}, 2));
	CHECK(!txt_equal_raw(t, strs, lens, 1));
	CHECK(!txt_equal_raw(t, (const uint8_t *[]){strs[2], strs[0]}, (size_t[]){1, 3}, 2));
	CHECK(!txt_equal_raw(t, (const uint8_t *[]){(const uint8_t *)"a=2", strs[2]},
	                     (size_t[]){3, 1}, 2));
	CHECK(txt_equal_raw(NULL, strs + 1, lens + 1, 1) && !txt_equal_raw(NULL, strs, lens, 1));
	txt_free(t);
}

/* The parsed version follows dnssd/version.h: build metadata allowed, no 'v'. */
static void test_version(void)
{
	struct txt *t = PARSE("version=1.0.0-rc.1+b.7");
	CHECK(t->version_ok && t->semver.major == 1 && strcmp(t->semver.pre, "rc.1") == 0);
	txt_free(t);
	t = PARSE("version=1.2");
	CHECK(t->version_ok && t->semver.minor == 2 && t->semver.patch == 0);
	txt_free(t);
	t = PARSE("version=1.2.3-01");
	CHECK(t->version && !t->version_ok);
	txt_free(t);
	t = PARSE("version");
	CHECK(!t->version && !t->version_ok);
	txt_free(t);
}

static void test_check_key(void)
{
	CHECK(txt_check_key("path", 4) == NULL);
	CHECK(txt_check_key("a b~", 4) == NULL);
	CHECK(txt_check_key("path=x", 4) == NULL); /* LEN bounds the key */
	CHECK_STR_EQ(txt_check_key("", 0), "a TXT key cannot be empty");
	CHECK_STR_EQ(txt_check_key("a=b", 3), "a TXT key cannot contain '='");
	CHECK_STR_EQ(txt_check_key("a\x7f", 2), "a TXT key uses printable ASCII only");
	CHECK_STR_EQ(txt_check_key("a\x1f", 2), "a TXT key uses printable ASCII only");
	CHECK_STR_EQ(txt_check_key("\xc3\xa9", 2), "a TXT key uses printable ASCII only");
	CHECK_STR_EQ(txt_check_key("a\0b", 3), "a TXT key uses printable ASCII only");
}

static void test_known_keys(void)
{
	static const char *const names[_TXT_KNOWN_MAX] = {
	        [TXT_KNOWN_VERSION] = "version",   [TXT_KNOWN_WEIGHT] = "weight",
	        [TXT_KNOWN_PRIORITY] = "priority", [TXT_KNOWN_TAGS] = "tags",
	        [TXT_KNOWN_LOAD] = "load",         [TXT_KNOWN_HEALTH] = "health",
	};

	for (int k = 0; k < _TXT_KNOWN_MAX; k++) {
		CHECK_STR_EQ(txt_known_name((enum txt_known)k), names[k]);
		CHECK_INT_EQ(txt_known_find(names[k], strlen(names[k])), k);
	}
	CHECK_INT_EQ(txt_known_find("WeIgHt", 6), TXT_KNOWN_WEIGHT);
	CHECK_INT_EQ(txt_known_find("tags=x", 4), TXT_KNOWN_TAGS);
	CHECK_INT_EQ(txt_known_find("weigh", 5), -1);
	CHECK_INT_EQ(txt_known_find("weights", 7), -1);
	CHECK_INT_EQ(txt_known_find("", 0), -1);
	CHECK(txt_known_name(_TXT_KNOWN_MAX) == NULL);
	CHECK_STR_EQ(txt_health_name(TXT_HEALTH_WARNING), "warning");
	CHECK(txt_health_name(_TXT_HEALTH_MAX) == NULL);
}

/* The reserve holds the longest load= and health= strings the agent can
 * add, each with its length byte. */
static void test_overlay_reserve(void)
{
	char buf[32];
	size_t health = 0;

	CHECK_INT_EQ(txt_format_load(1e300, buf, sizeof(buf)), 7);
	CHECK_STR_EQ(buf, "9999.99");
	CHECK_INT_EQ(strlen("load=") + strlen(buf), strlen(TXT_LOAD_LONGEST));
	CHECK_STR_EQ(TXT_LOAD_LONGEST + strlen("load="), buf);
	for (int h = 0; h < _TXT_HEALTH_MAX; h++) {
		size_t len = strlen("health=") + strlen(txt_health_name((enum txt_health)h));

		health = len > health ? len : health;
	}
	CHECK_INT_EQ(health, strlen(TXT_HEALTH_LONGEST));
	CHECK_INT_EQ(TXT_OVERLAY_RESERVE, 1 + strlen(TXT_LOAD_LONGEST) + 1 + health);
	CHECK_INT_EQ(TXT_OVERLAY_RESERVE, 29);
	CHECK(TXT_OVERLAY_RESERVE < TXT_PUBLISH_MAX);
}

static void test_format_load(void)
{
	static const struct {
		double v;
		const char *s;
	} cases[] = {
	        {0, "0.00"},          {0.254, "0.25"},       {1.5, "1.50"},
	        {-3, "0.00"},         {9999.99, "9999.99"},  {10000, "9999.99"},
	        {12.345678, "12.35"}, {INFINITY, "9999.99"}, {-INFINITY, "0.00"},
	        {NAN, "0.00"},
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		CHECK_INT_EQ(txt_format_load(cases[i].v, buf, sizeof(buf)), strlen(cases[i].s));
		CHECK_STR_EQ(buf, cases[i].s);
	}
	CHECK_INT_EQ(txt_format_load(9999.99, buf, 7), -ENOBUFS);
	CHECK_INT_EQ(txt_format_load(9999.99, buf, 8), 7);
	/* what is published parses back */
	{
		char pair[32];
		struct txt *t;

		snprintf(pair, sizeof(pair), "load=%s", "9999.99");
		t = PARSE(pair);
		CHECK(t->has_load && t->load == 9999.99);
		txt_free(t);
	}
}

int main(void)
{
	test_typical();
	test_defaults();
	test_rfc6763_rules();
	test_binary_values();
	test_well_known_invalid();
	test_limits();
	test_equal_raw();
	test_version();
	test_check_key();
	test_known_keys();
	test_overlay_reserve();
	test_format_load();
	return test_summary();
}
