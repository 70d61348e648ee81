/* SPDX-License-Identifier: MIT */
/* Unit tests of semantic-version parsing, precedence and constraint matching
 * (wire/version.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wire/version.h"
#include "tests/unit/tap.h"

static const struct {
	const char *constraint;
	const char *version;
	bool match;
} cases[] = {
        {">=2.0", "2.0.0", true},
        {">=2.0", "1.9.9", false},
        {">=2.0", "10.0", true},
        {">2.4.1", "2.4.1", false},
        {">2.4.1", "2.4.2", true},
        {">2.4", "2.4.9", false},
        {">2.4", "2.5.0", true},
        {">2", "2.9.9", false},
        {">2", "3.0.0", true},
        {"<2.4", "2.3.99", true},
        {"<2.4", "2.4.0", false},
        {"<2.4", "2.4.0-rc1", false},
        {"<=2.4", "2.4.7", true},
        {"<=2.4", "2.5.0", false},
        {"<=2.4.1", "2.4.1", true},
        {"<=2.4.1", "2.4.2", false},
        {"^2.4", "2.4.0", true},
        {"^2.4", "2.99.1", true},
        {"^2.4", "3.0.0", false},
        {"^2.4", "2.3.9", false},
        {"^2.4", "3.0.0-rc.1", false},
        {"^2.4.1", "2.4.0", false},
        {"^0.2.3", "0.2.9", true},
        {"^0.2.3", "0.3.0", false},
        {"^0.0.3", "0.0.3", true},
        {"^0.0.3", "0.0.4", false},
        {"^0.0", "0.0.9", true},
        {"^0.0", "0.1.0", false},
        {"^0", "0.9.9", true},
        {"^0", "1.0.0", false},
        {"~2.4.1", "2.4.9", true},
        {"~2.4.1", "2.4.0", false},
        {"~2.4.1", "2.5.0", false},
        {"~2.4", "2.4.0", true},
        {"~2", "2.9.0", true},
        {"~2", "3.0.0", false},
        {"~>2.4", "2.4.3", true},
        {"=2.4.1", "2.4.1", true},
        {"=2.4.1", "v2.4.1+build.7", true},
        {"=2.4.1", "2.4.2", false},
        {"2.4.1", "2.4.1", true},
        {"==2.4", "2.4.5", true},
        {"=2.4", "2.5.0", false},
        {"2.x", "2.0.0", true},
        {"2.x", "2.7.3", true},
        {"2.x", "3.0.0", false},
        {"2.X", "1.9.0", false},
        {"2.4.*", "2.4.11", true},
        {"2.4.*", "2.5.0", false},
        {"2", "2.3", true},
        {"*", "0.0.1", true},
        {"*", "99.1.2", true},
        {"", "1.0", true},
        {"x", "1.0", true},
        {">=1.2 <2", "1.5.0", true},
        {">=1.2 <2", "2.0.0", false},
        {">=1.2, <2", "1.1.0", false},
        {">= 1.2 , < 2", "1.2.0", true},
        {"<2 || >=3", "2.5.0", false},
        {"<2 || >=3", "1.0.0", true},
        {"<2 || >=3", "3.1.0", true},
        {"1.x||3.x", "3.0.0", true},
        /* prereleases match only when asked for on the same M.m.p */
        {">=2.0", "2.5.0-beta", false},
        {">=2.5.0-alpha", "2.5.0-beta", true},
        {">=2.5.0-alpha", "2.6.0-beta", false},
        {">=2.5.0-alpha", "2.6.0", true},
        {">=2.5.0-beta.2", "2.5.0-beta.11", true},
        {">=2.5.0-beta.11", "2.5.0-beta.2", false},
        {">=2.5.0-beta", "2.5.0-alpha", false},
        {"=2.5.0-rc.1", "2.5.0-rc.1", true},
        {"=2.5.0-rc.1", "2.5.0", false},
        /* unparsable published versions never match */
        {"*", "banana", false},
        {"*", "", false},
        {">=1", "1.2.3.4", false},
        {">=1", "1..2", false},
        {">=1", "1.x", false},
};

static void test_match(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wire_constraint c;
		struct wire_err err;

		if (!CHECK_MSG(wire_constraint_parse(cases[i].constraint, &c, &err) >= 0,
		               "\"%s\" rejected: %s", cases[i].constraint, err.msg))
			continue;
		CHECK_MSG(wire_version_match(&c, cases[i].version) == cases[i].match,
		          "\"%s\" vs \"%s\": want %s", cases[i].constraint, cases[i].version,
		          cases[i].match ? "match" : "no match");
	}
}

static void test_bad_constraints(void)
{
	static const char *const bad[] = {
	        ">=",         "abc",         "1.2.3.4",          ">*",
	        "<x",         "^1.2.3-",     "1.2-rc1",          "2.x.3",
	        "1 | 2",      "1.2.3-be ta", ">=1 <2 >0 <3 >=0", "1||2||3||4||5",
	        "=v",         "1.2.3+",      "99999999999",      "~>",
	        "1.2.3-a..b",
	};
	char longstr[WIRE_MAX_STRING + 2];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wire_constraint c;
		struct wire_err err = {0};

		CHECK_MSG(wire_constraint_parse(bad[i], &c, &err) == -EINVAL &&
		                  err.code == WIRE_BAD_REQUEST &&
		                  strstr(err.msg, "version constraint"),
		          "\"%s\" accepted (or wrong error \"%s\")", bad[i], err.msg);
	}
	memset(longstr, '1', sizeof(longstr) - 1);
	longstr[sizeof(longstr) - 1] = '\0';
	{
		struct wire_constraint c;
		struct wire_err err;

		CHECK(wire_constraint_parse(longstr, &c, &err) == -EINVAL);
		CHECK(wire_constraint_parse(NULL, &c, &err) == -EINVAL);
	}
}

static void test_compare(void)
{
	/* The precedence example of semver 2.0 section 11, in order. */
	static const char *const order[] = {
	        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
	        "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
	        "1.0.0-rc.1",  "1.0.0",         "1.0.1",
	        "1.1.0",       "2.0.0",         "10.0.0",
	};
	size_t n = sizeof(order) / sizeof(order[0]);
	struct wire_version a, b;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j ? 1 : 0;

			CHECK(wire_version_parse(order[i], &a) == 0);
			CHECK(wire_version_parse(order[j], &b) == 0);
			CHECK_MSG(wire_version_compare(&a, &b) == want, "compare(%s, %s) != %d",
			          order[i], order[j], want);
		}
	CHECK(wire_version_parse("v2.4", &a) == 0 && a.major == 2 && a.minor == 4 && a.patch == 0 &&
	      a.pre[0] == '\0');
	CHECK(wire_version_parse("1.0.0-00x.0001", &a) == 0 && strcmp(a.pre, "00x.0001") == 0);
	CHECK(wire_version_parse("1.0.0-1", &a) == 0 && wire_version_parse("1.0.0-01", &b) == 0 &&
	      wire_version_compare(&a, &b) == 0);
	CHECK(wire_version_parse("4294967295.0.0", &a) == 0);
	CHECK(wire_version_parse("4294967296.0.0", &a) == -EINVAL);
	CHECK(wire_version_parse("2.*", &a) == -EINVAL);
	CHECK(wire_version_parse(NULL, &a) == -EINVAL);

	/* Bounds at the top of the number range do not wrap around. */
	{
		struct wire_constraint c;
		struct wire_err err;

		CHECK(wire_constraint_parse("^4294967295", &c, &err) == 0);
		CHECK(wire_version_match(&c, "4294967295.7.1"));
		CHECK(!wire_version_match(&c, "0.1.0"));
		CHECK(wire_constraint_parse(">4294967295", &c, &err) == -EINVAL);
	}
}

int main(void)
{
	test_match();
	test_bad_constraints();
	test_compare();
	return test_summary();
}
