/* SPDX-License-Identifier: MIT */
/* Unit tests of dnssd/version.c: the one version grammar, precedence and
 * constraint matching (test-config-check shows config, the TXT parser and the
 * matcher agree on it). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dnssd/version.h"
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
        {"=2.4.1", "2.4.1+build.7", true},
        {"=2.4.1", "v2.4.1", false}, /* no leading 'v', anywhere */
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
        /* an operand with a prerelease or build names one version */
        {"1.2-rc.1", "1.2.0-rc.1", true},
        {">=1.2-rc.1", "1.2.0-rc.2", true},
        {">=1.2-rc.1", "1.2.1-rc.2", false},
        {"=1.2+b7", "1.2.0", true},
        {"=1.2+b7", "1.2.1", false},
        /* unparsable published versions never match */
        {"*", "banana", false},
        {"*", "", false},
        {">=1", "1.2.3.4", false},
        {">=1", "1..2", false},
        {">=1", "1.x", false},
        {">=1", "01.2", false},
        {">=1", "1.0.0-01", false},
        {"*", "1.0.0-rc..1", false},
};

static void test_match(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dnssd_constraint c;
		char err[128] = "";

		if (!CHECK_MSG(constraint_parse(cases[i].constraint, &c, err, sizeof(err)) == 0,
		               "\"%s\" rejected: %s", cases[i].constraint, err))
			continue;
		CHECK_MSG(constraint_match_text(&c, cases[i].version, strlen(cases[i].version)) ==
		                  cases[i].match,
		          "\"%s\" vs \"%s\": want %s", cases[i].constraint, cases[i].version,
		          cases[i].match ? "match" : "no match");
	}
}

static void test_bad_constraints(void)
{
	static const char *const bad[] = {
	        ">=",
	        "abc",
	        "1.2.3.4",
	        ">*",
	        "<x",
	        "^1.2.3-",
	        "2.x.3",
	        "1 | 2",
	        "1.2.3-be ta",
	        ">=1 <2 >0 <3 >=0",
	        "1||2||3||4||5",
	        "=v",
	        "1.2.3+",
	        "99999999999",
	        "~>",
	        "1.2.3-a..b",
	        "v2",
	        ">=v1.2",
	        "01.2",
	        "1.2.3-01",
	        "2.x-rc",
	        "1234567890",
	        "2.*+b",
	};
	struct dnssd_constraint c;
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK_MSG(constraint_parse(bad[i], &c, err, sizeof(err)) == -EINVAL && err[0],
		          "\"%s\" accepted (or no message)", bad[i]);
	}
	CHECK(constraint_parse(NULL, &c, err, sizeof(err)) == -EINVAL);
	CHECK_STR_EQ(err, "missing version constraint");
	CHECK(constraint_parse(">=v1.2", &c, NULL, 0) == -EINVAL); /* no message buffer */
	CHECK(constraint_parse(">= 01.2", &c, err, sizeof(err)) == -EINVAL);
	CHECK_STR_EQ(err, "cannot parse \">= 01.2\": a number has a leading zero");
	CHECK(constraint_parse("1 || 2 | 3", &c, err, sizeof(err)) == -EINVAL);
	CHECK_STR_EQ(err,
	             "cannot parse \"|\": expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]");
	CHECK(constraint_parse("1||2||3||4||5", &c, err, sizeof(err)) == -EINVAL);
	CHECK_STR_EQ(err, "more than 4 alternatives");
	CHECK(constraint_parse(">*", &c, err, sizeof(err)) == -EINVAL);
	CHECK_STR_EQ(err, "cannot parse \">*\": a comparison needs a version");
}

/* The grammar, with the reason for each refusal (config prints them). */
static void test_parse(void)
{
	static const char *const good[] = {
	        "0",
	        "1",
	        "1.2",
	        "1.2.3",
	        "0.0.0",
	        "10.20.30",
	        "1-rc",
	        "1.2-rc.1",
	        "1.2.3-alpha",
	        "1.0.0-0.3.7",
	        "1.0.0-x-y-z.--",
	        "1.0.0-alpha.beta.1",
	        "1.0.0-0A.is.legal",
	        "999999999.0.0",
	        "1.2.3+build",
	        "1.2+b.01.x",
	        "1.0.0-rc.1+build.1-2",
	        "1.2.3-a+b",
	};
	static const struct {
		const char *s, *why;
	} bad[] = {
	        {"", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {"01", "a number has a leading zero"},
	        {"1.02", "a number has a leading zero"},
	        {"1.2.03", "a number has a leading zero"},
	        {"1.2.3.4", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {"1.", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {".1", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {"1..2", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {"-1", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {"v1", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {"V1.2", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {"1.2.x", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {"1.2.3 ", "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"},
	        {"1.2.3-", "a prerelease identifier is empty"},
	        {"1.2.3-a..b", "a prerelease identifier is empty"},
	        {"1.2.3-a.", "a prerelease identifier is empty"},
	        {"1.2.3-01", "a number has a leading zero"},
	        {"1.2.3-a_b", "a prerelease identifier uses characters other than [0-9A-Za-z-]"},
	        {"1.2.3-\xc3\xa4",
	         "a prerelease identifier uses characters other than [0-9A-Za-z-]"},
	        {"1.2.3+", "a build identifier is empty"},
	        {"1.2.3+a..b", "a build identifier is empty"},
	        {"1.2.3+a+b", "a build identifier uses characters other than [0-9A-Za-z-]"},
	        {"1000000000", "a number has more than 9 digits"},
	        {"1.0.0-a23456789012345678901234567890123456789012345678901234567890123.4",
	         "a prerelease is longer than 63 bytes"},
	};
	struct dnssd_version v;
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		why = NULL;
		CHECK_MSG(version_parse(good[i], strlen(good[i]), &v, &why) == 0, "\"%s\": %s",
		          good[i], why);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		CHECK(version_parse(bad[i].s, strlen(bad[i].s), &v, &why) == -EINVAL);
		if (!CHECK_STR_EQ(why, bad[i].why))
			fprintf(stderr, "  for \"%s\"\n", bad[i].s);
	}
	CHECK(version_parse("1.0.0-a23456789012345678901234567890123456789012345678901234567890123",
	                    69, &v, NULL) == 0); /* 63 bytes of prerelease */
	CHECK(strlen(v.pre) == 63);
	CHECK(version_parse("1.2", 3, &v, NULL) == 0 && v.major == 1 && v.minor == 2 &&
	      v.patch == 0 && v.pre[0] == '\0');
	CHECK(version_parse("1.2-rc.1+b", 10, &v, NULL) == 0 && v.patch == 0 &&
	      strcmp(v.pre, "rc.1") == 0);
	CHECK(version_parse("1.2.3junk", 5, &v, NULL) == 0 && v.patch == 3); /* LEN bounds it */
	CHECK(version_parse("1.2\0", 4, &v, &why) == -EINVAL);
	CHECK(version_parse(NULL, 0, &v, NULL) == -EINVAL);
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
	struct dnssd_version a, b;
	struct dnssd_constraint c;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j ? 1 : 0;

			CHECK(version_parse(order[i], strlen(order[i]), &a, NULL) == 0);
			CHECK(version_parse(order[j], strlen(order[j]), &b, NULL) == 0);
			CHECK_MSG(version_compare(&a, &b) == want, "compare(%s, %s) != %d",
			          order[i], order[j], want);
		}
	/* build metadata does not rank; missing parts are 0 */
	CHECK(version_parse("1.0.0+build.1", 13, &a, NULL) == 0 &&
	      version_parse("1+other", 7, &b, NULL) == 0 && version_compare(&a, &b) == 0);
	CHECK(version_parse("1.0.0-00x.1", 11, &a, NULL) == 0 && strcmp(a.pre, "00x.1") == 0);
	CHECK(version_parse("1.0.0-2", 7, &a, NULL) == 0 &&
	      version_parse("1.0.0-10", 8, &b, NULL) == 0 && version_compare(&a, &b) < 0);

	/* Bounds at the top of the number range do not wrap around. */
	CHECK(constraint_parse("^999999999", &c, NULL, 0) == 0);
	CHECK(constraint_match_text(&c, "999999999.7.1", 13));
	CHECK(!constraint_match_text(&c, "0.1.0", 5));
	CHECK(constraint_parse(">999999999", &c, NULL, 0) == 0);
	CHECK(!constraint_match_text(&c, "999999999.999999999.999999999", 29));
	CHECK(!constraint_match_text(&c, NULL, 0));
}

int main(void)
{
	test_parse();
	test_match();
	test_bad_constraints();
	test_compare();
	return test_summary();
}
