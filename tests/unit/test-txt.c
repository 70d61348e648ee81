/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/txt: RFC 6763 §6 rules, well-known keys, limits, semver. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/txt.h"
#include "tests/unit/tap.h"

/* Parse NUL-terminated strings (no binary content). */
static struct txt *parse(const char *const *s, size_t n)
{
	const uint8_t *strs[64];
	size_t lens[64];
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
	CHECK(t->n_pairs == 6 && t->n_raw == 6 && t->flags == 0);
	CHECK(t->version && strcmp(t->version, "1.4.2") == 0 && t->semver_ok);
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
	CHECK(t->n_pairs == 0 && t->n_raw == 0 && t->raw_len == 0 && t->flags == 0);
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
	CHECK(t->flags == (TXT_F_DUP_KEY | TXT_F_BAD_KEY));
	txt_free(t);

	/* keys must be printable ASCII */
	t = PARSE("k\x01=1", "k\x7f=1", "k\xc3\xa9=1", "sp ace=1");
	CHECK(t->n_pairs == 1 && txt_get(t, "sp ace") && (t->flags & TXT_F_BAD_KEY));
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
	CHECK(txt_utf8_valid((const uint8_t *)"\xf4\x8f\xbf\xbf", 4));
	CHECK(!txt_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4));
	CHECK(!txt_utf8_valid((const uint8_t *)"\xe2\x82", 2));
	CHECK(!txt_utf8_valid((const uint8_t *)"\xe0\x80\xaf", 3));
}

static void test_well_known_invalid(void)
{
	struct txt *t = PARSE("weight=65536", "priority=-1", "load=nan", "version=v1", "tags");
	CHECK(t->weight == 1 && t->priority == 0 && !t->has_load);
	CHECK(t->version && strcmp(t->version, "v1") == 0 && !t->semver_ok);
	CHECK(t->flags == (TXT_F_BAD_WEIGHT | TXT_F_BAD_PRIORITY | TXT_F_BAD_LOAD |
	                   TXT_F_BAD_VERSION | TXT_F_BAD_TAGS));
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
	CHECK(t->n_raw == 1 && t->n_pairs == 1 && (t->flags & TXT_F_TOO_LONG));
	txt_free(t);

	/* 60 strings of 201 wire bytes: 40 fit in 8 KiB, the rest is dropped */
	for (int i = 0; i < 60; i++) {
		int n = snprintf(s[i], sizeof(s[i]), "k%02d=", i);
		memset(s[i] + n, 'v', 200 - n);
		s[i][200] = '\0';
		strs[i] = s[i];
	}
	t = parse(strs, 60);
	CHECK(t->n_raw == 40 && t->raw_len == 40 * 201 && (t->flags & TXT_F_TRUNCATED));
	CHECK(txt_get(t, "k39") && !txt_get(t, "k40"));
	txt_free(t);

	/* more than TXT_PAIRS_MAX pairs */
	uint8_t wire[TXT_RECORD_MAX], *w = wire;
	for (int i = 0; i < 300; i++) {
		int n = snprintf((char *)w + 1, 16, "k%d", i);
		*w = (uint8_t)n;
		w += n + 1;
	}
	CHECK(txt_parse_wire(wire, (size_t)(w - wire), &t) == 0);
	CHECK(t->n_pairs == TXT_PAIRS_MAX && t->n_raw == 300 && (t->flags & TXT_F_TOO_MANY));
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

static struct txt_semver sv(const char *s)
{
	struct txt_semver v;
	if (!CHECK_MSG(txt_semver_parse(s, strlen(s), &v) == 0, "semver %s rejected", s))
		memset(&v, 0, sizeof(v));
	return v;
}

static void test_semver(void)
{
	const char *bad[] = {"1",          "1.2",    "01.2.3", "1.2.3-",    "1.2.3-01", "1.2.3+",
	                     "1.2.3-a..b", "1.2.3 ", "v1.2.3", "1.2.3-a_b", "",         "1.2.3.4"};
	struct txt_semver v;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		CHECK(txt_semver_parse(bad[i], strlen(bad[i]), &v) == -EINVAL);
	/* semver.org §11 ordering */
	const char *order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
	                       "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
	                       "1.0.0-rc.1",  "1.0.0",         "1.0.1",
	                       "1.2.0",       "2.0.0",         "10.0.0"};
	size_t n = sizeof(order) / sizeof(*order);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			struct txt_semver a = sv(order[i]), b = sv(order[j]);
			int c = txt_semver_cmp(&a, &b);
			CHECK((i < j && c < 0) || (i == j && c == 0) || (i > j && c > 0));
		}
	}
	struct txt_semver a = sv("1.0.0+build.1"), b = sv("1.0.0+other");
	CHECK(txt_semver_cmp(&a, &b) == 0 && a.pre == NULL);
	a = sv("1.0.0-rc.1+b");
	CHECK(a.pre && a.pre_len == 4 && memcmp(a.pre, "rc.1", 4) == 0);
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
	test_semver();
	return test_summary();
}
