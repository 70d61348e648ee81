/* SPDX-License-Identifier: MIT */
/* Unit tests of dnssd/name.c and dnssd/utf8.c: service names and types, subtypes,
 * instance names and templates, domains, UTF-8. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dnssd/name.h"
#include "dnssd/utf8.h"
#include "tests/unit/tap.h"

static void test_service_names(void)
{
	static const char *const good[] = {"payments",        "a",  "x1",  "a-b-c",
	                                   "12345678901234a", "1a", "Web", "PAYMENTS",
	                                   "dns-SD"};
	static const struct {
		const char *s, *why;
	} bad[] = {
	        {"", "a service name has 1-15 characters"},
	        {"abcdefghijklmnop", "a service name has 1-15 characters"},
	        {"a_b", "a service name uses only letters, digits and '-'"},
	        {"a.b", "a service name uses only letters, digits and '-'"},
	        {"caf\xc3\xa9", "a service name uses only letters, digits and '-'"},
	        {"-a", "a service name cannot start or end with '-'"},
	        {"a-", "a service name cannot start or end with '-'"},
	        {"a--b", "a service name cannot contain '--'"},
	        {"123", "a service name needs at least one letter"},
	        {"123456789012345", "a service name needs at least one letter"},
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		CHECK_MSG(dnssd_check_service_name(good[i]) == NULL, "\"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (!CHECK_STR_EQ(dnssd_check_service_name(bad[i].s), bad[i].why))
			fprintf(stderr, "  for \"%s\"\n", bad[i].s);
}

static void test_types(void)
{
	static const char *const bad[] = {
	        "_http._tcp.", "http._tcp", "_._tcp", "_http._sctp",
	        "_a--b._tcp",  "_http",     "_http.", "_api._sub._http._tcp",
	        "_a_b._tcp",   "",          "._tcp",  "_abcdefghijklmnop._tcp"};
	enum dnssd_proto p = DNSSD_PROTO_UDP;
	char buf[DNSSD_TYPE_SIZE];

	CHECK(dnssd_check_type("_http._tcp", &p) == NULL && p == DNSSD_PROTO_TCP);
	CHECK(dnssd_check_type("_dns-sd._udp", &p) == NULL && p == DNSSD_PROTO_UDP);
	/* names and the protocol label in either case (RFC 6335: case-insensitive) */
	CHECK(dnssd_check_type("_HTTP._TCP", &p) == NULL && p == DNSSD_PROTO_TCP);
	CHECK(dnssd_check_type("_Http._Udp", &p) == NULL && p == DNSSD_PROTO_UDP);
	CHECK(dnssd_check_type("_http._tcp", NULL) == NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		CHECK_MSG(dnssd_check_type(bad[i], NULL) != NULL, "\"%s\" accepted", bad[i]);
	CHECK_STR_EQ(dnssd_check_type("_ok.tcp", NULL), "expected _<name>._tcp or _<name>._udp");
	CHECK_STR_EQ(dnssd_check_type("_a--b._udp", NULL), "a service name cannot contain '--'");

	CHECK_INT_EQ(dnssd_type_service("_payments._tcp", buf, sizeof(buf)), 8);
	CHECK_STR_EQ(buf, "payments");
	CHECK_INT_EQ(dnssd_type_service("_Web._UDP", buf, sizeof(buf)), 3);
	CHECK_STR_EQ(buf, "Web");
	CHECK_INT_EQ(dnssd_type_service("_payments._tcp", buf, 8), -ENOBUFS);
	CHECK_INT_EQ(dnssd_type_service("_payments._tcp", buf, 9), 8);
	/* what the cache once took as a service label is no type */
	CHECK_INT_EQ(dnssd_type_service("payments._tcp", buf, sizeof(buf)), -EINVAL);
	CHECK_INT_EQ(dnssd_type_service("_a_very_long_service_label._tcp", buf, sizeof(buf)),
	             -EINVAL);
	CHECK_INT_EQ(dnssd_type_service("_x._tcp.local", buf, sizeof(buf)), -EINVAL);

	CHECK_INT_EQ(dnssd_make_type("payments", DNSSD_PROTO_UDP, buf, sizeof(buf)), 14);
	CHECK_STR_EQ(buf, "_payments._udp");
	CHECK_INT_EQ(dnssd_make_type("123456789012345x", DNSSD_PROTO_TCP, buf, sizeof(buf)),
	             -EINVAL);
	CHECK_INT_EQ(dnssd_make_type("payments", (enum dnssd_proto)2, buf, sizeof(buf)), -EINVAL);
	CHECK_INT_EQ(dnssd_make_type("payments", DNSSD_PROTO_TCP, buf, 14), -ENOBUFS);
	CHECK_STR_EQ(dnssd_proto_name(DNSSD_PROTO_TCP), "tcp");
	CHECK(dnssd_proto_name((enum dnssd_proto)7) == NULL);
	/* the longest type fits DNSSD_TYPE_SIZE */
	CHECK_INT_EQ(dnssd_make_type("abcdefghijklmno", DNSSD_PROTO_TCP, buf, sizeof(buf)), 21);
}

static void test_service_types(void)
{
	char t[2][DNSSD_TYPE_SIZE];
	static const char *const bad[] = {"",    "_http._sctp", "a_b",    "-a", "123",
	                                  "a.b", "_http",       "_._tcp", NULL};

	CHECK_INT_EQ(dnssd_service_types("payments", t), 2);
	CHECK_STR_EQ(t[0], "_payments._tcp");
	CHECK_STR_EQ(t[1], "_payments._udp");
	CHECK_INT_EQ(dnssd_service_types("_http._tcp", t), 1);
	CHECK_STR_EQ(t[0], "_http._tcp");
	CHECK_INT_EQ(dnssd_service_types("Payments", t), 2);
	CHECK_STR_EQ(t[0], "_Payments._tcp");
	CHECK_INT_EQ(dnssd_service_types("_HTTP._TCP", t), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		CHECK_MSG(dnssd_service_types(bad[i], t) == -EINVAL, "\"%s\" accepted",
		          bad[i] ? bad[i] : "(null)");
	CHECK(dnssd_check_service("payments") == NULL && dnssd_check_service("_x._udp") == NULL);
	CHECK_STR_EQ(dnssd_check_service("_x._sctp"), "expected _<name>._tcp or _<name>._udp");
	CHECK_STR_EQ(dnssd_check_service("x y"),
	             "a service name uses only letters, digits and '-'");
}

static void test_subtypes(void)
{
	char s[66];

	CHECK(dnssd_check_subtype("_api") == NULL);
	CHECK(dnssd_check_subtype("_Printer") == NULL);
	CHECK(dnssd_check_subtype("_a b") == NULL);
	CHECK(dnssd_check_subtype("_caf\xc3\xa9") == NULL);
	CHECK_STR_EQ(dnssd_check_subtype("_"),
	             "a subtype is '_' followed by a label, 2-63 bytes in all");
	CHECK_STR_EQ(dnssd_check_subtype("api"),
	             "a subtype is '_' followed by a label, 2-63 bytes in all");
	CHECK_STR_EQ(dnssd_check_subtype("_a.b"), "a subtype cannot contain '.' or '\\'");
	CHECK_STR_EQ(dnssd_check_subtype("_a\\b"), "a subtype cannot contain '.' or '\\'");
	CHECK_STR_EQ(dnssd_check_subtype("_a\tb"), "a subtype must be printable UTF-8");
	CHECK_STR_EQ(dnssd_check_subtype("_a\xc0\xaf"), "a subtype must be printable UTF-8");
	memset(s, 'a', sizeof(s));
	s[0] = '_';
	s[63] = '\0';
	CHECK(dnssd_check_subtype(s) == NULL); /* 63 bytes: one DNS label */
	s[63] = 'a';
	s[64] = '\0';
	CHECK(dnssd_check_subtype(s) != NULL);
}

static void test_instances(void)
{
	char s[70];

	CHECK(dnssd_check_instance("payments@hostb", 14) == NULL);
	CHECK(dnssd_check_instance("Caf\xc3\xa9 (2nd floor)", 17) == NULL);
	CHECK_STR_EQ(dnssd_check_instance("", 0), "an instance name cannot be empty");
	CHECK_STR_EQ(dnssd_check_instance("a\nb", 3),
	             "an instance name must be printable UTF-8 text");
	CHECK_STR_EQ(dnssd_check_instance("a\0b", 3),
	             "an instance name must be printable UTF-8 text");
	CHECK_STR_EQ(dnssd_check_instance("\xff", 1),
	             "an instance name must be printable UTF-8 text");
	memset(s, 'x', sizeof(s));
	CHECK(dnssd_check_instance(s, 63) == NULL);
	CHECK_STR_EQ(dnssd_check_instance(s, 64), "an instance name is longer than 63 bytes");
}

/* avahi-daemon's rename rule, which mDNS and unicast DNS share. */
static void test_instance_alternative(void)
{
	char buf[DNSSD_INSTANCE_MAX + 1], s[64];
	static const char *const cases[][2] = {
	        {"web", "web #2"},
	        {"web #2", "web #3"},
	        {"web #9", "web #10"},
	        {"a #1 #41", "a #1 #42"},
	        {"web #0", "web #0 #2"},   /* a leading zero is text */
	        {"web #", "web # #2"},     /* no digits */
	        {"web #2x", "web #2x #2"}, /* not only digits */
	        {"web#2", "web#2 #2"},     /* the space is part of the mark */
	        {"web #1234567890", "web #1234567890 #2"},
	        {"Caf\xc3\xa9", "Caf\xc3\xa9 #2"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		CHECK_INT_EQ(dnssd_instance_alternative(cases[i][0], buf, sizeof(buf)),
		             (ssize_t)strlen(cases[i][1]));
		CHECK_STR_EQ(buf, cases[i][1]);
	}
	/* 63 bytes: the base is cut to make room */
	memset(s, 'x', 63);
	s[63] = '\0';
	CHECK_INT_EQ(dnssd_instance_alternative(s, buf, sizeof(buf)), 63);
	CHECK(strncmp(buf, s, 60) == 0 && strcmp(buf + 60, " #2") == 0);
	memcpy(s + 57, " #99", 5);
	CHECK_INT_EQ(dnssd_instance_alternative(s, buf, sizeof(buf)), 62);
	CHECK(strcmp(buf + 57, " #100") == 0);
	/* never in the middle of a UTF-8 character: "é" at bytes 59-60 */
	memset(s, 'x', 63);
	memcpy(s + 59, "\xc3\xa9", 2);
	CHECK_INT_EQ(dnssd_instance_alternative(s, buf, sizeof(buf)), 62);
	CHECK(strcmp(buf + 59, " #2") == 0);
	CHECK_INT_EQ(dnssd_instance_alternative("", buf, sizeof(buf)), -EINVAL);
	CHECK_INT_EQ(dnssd_instance_alternative("a\nb", buf, sizeof(buf)), -EINVAL);
	CHECK_INT_EQ(dnssd_instance_alternative("web", buf, 6), -ENOBUFS);
}

static void test_instance_expand(void)
{
	char buf[DNSSD_INSTANCE_MAX + 1];

	CHECK_INT_EQ(dnssd_instance_expand("web@%h", "box", buf, sizeof(buf)), 7);
	CHECK_STR_EQ(buf, "web@box");
	CHECK_INT_EQ(dnssd_instance_expand("100%% %h%h", "x", buf, sizeof(buf)), 7);
	CHECK_STR_EQ(buf, "100% xx");
	/* one '%' rule for everyone: anything but %h and %% is an error */
	CHECK_INT_EQ(dnssd_instance_expand("a%", "x", buf, sizeof(buf)), -EINVAL);
	CHECK_INT_EQ(dnssd_instance_expand("a%d", "x", buf, sizeof(buf)), -EINVAL);
	CHECK_INT_EQ(dnssd_instance_expand("a%H", "x", buf, sizeof(buf)), -EINVAL);
	/* too long is an error, never a silent cut at 63 bytes */
	CHECK_INT_EQ(dnssd_instance_expand("abcd", "x", buf, 4), -ENOBUFS);
	CHECK_INT_EQ(dnssd_instance_expand("abc", "x", buf, 4), 3);
	CHECK_INT_EQ(dnssd_instance_expand("", "x", buf, 0), -ENOBUFS);
	CHECK_INT_EQ(dnssd_instance_expand("", "x", buf, 1), 0);
	CHECK_INT_EQ(dnssd_instance_expand(
	                     "0123456789012345678901234567890123456789012345678901234567890%h",
	                     "ab", buf, sizeof(buf)),
	             63);
	CHECK_INT_EQ(dnssd_instance_expand(
	                     "0123456789012345678901234567890123456789012345678901234567890%h",
	                     "abc", buf, sizeof(buf)),
	             -ENOBUFS);

	CHECK_INT_EQ(dnssd_host_label(buf, sizeof(buf)), 0);
	CHECK(strchr(buf, '.') == NULL);
	CHECK_INT_EQ(dnssd_host_label(buf, 0), -ENOBUFS);
	CHECK_INT_EQ(dnssd_host_label(buf, 1), 0);
	CHECK_STR_EQ(buf, "");
}

static void test_domains(void)
{
	static const char *const good[] = {"local", "local.", "example.com", "a-b.c_d.e", "X1.Y2"};
	char big[300];

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		CHECK_MSG(dnssd_check_domain(good[i]) == NULL, "\"%s\" refused", good[i]);
	CHECK_STR_EQ(dnssd_check_domain(""), "a domain name has 1-253 bytes");
	CHECK_STR_EQ(dnssd_check_domain("."), "a domain name has 1-253 bytes");
	CHECK_STR_EQ(dnssd_check_domain("bad..domain"), "a domain name cannot have an empty label");
	CHECK_STR_EQ(dnssd_check_domain(".local"), "a domain name cannot have an empty label");
	CHECK_STR_EQ(dnssd_check_domain("local.."), "a domain name cannot have an empty label");
	CHECK_STR_EQ(dnssd_check_domain("a b"),
	             "a domain name uses only letters, digits, '-', '_' and '.'");
	memset(big, 'a', 64);
	big[64] = '\0';
	CHECK_STR_EQ(dnssd_check_domain(big), "a domain label has more than 63 bytes");
	for (int i = 0; i < 254; i++)
		big[i] = i % 2 ? '.' : 'a';
	big[253] = '\0';
	CHECK(dnssd_check_domain(big) == NULL);
	big[253] = 'a';
	big[254] = '\0';
	CHECK_STR_EQ(dnssd_check_domain(big), "a domain name has 1-253 bytes");
}

static void test_utf8(void)
{
	CHECK(utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15));
	CHECK(utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
	CHECK(utf8_valid("", 0) && utf8_valid(NULL, 0));
	CHECK(utf8_valid("a\tb\x7f", 4)); /* controls are valid UTF-8 ... */
	CHECK(!utf8_text("a\tb", 3));     /* ... but not text */
	CHECK(!utf8_valid("a\0b", 3));
	CHECK(!utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	CHECK(!utf8_valid("\xe0\x80\xaf", 3));     /* overlong, three bytes */
	CHECK(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	CHECK(!utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
	CHECK(!utf8_valid("\xf8\x88\x80\x80\x80", 5));
	CHECK(!utf8_valid("\xe2\x82", 2)); /* truncated */
	CHECK(!utf8_valid("\xc3", 1));
	CHECK(!utf8_valid("\x80", 1)); /* a lone continuation byte */
	CHECK(utf8_text("h\xc3\xa9llo \xe2\x82\xac", 10));
	CHECK(!utf8_text("\xc2\x85", 2)); /* C1 control NEL */
	CHECK(!utf8_text("\x7f", 1));
	CHECK(!utf8_text("\xff", 1));
	/* Cutting between characters: "h\xc3\xa9" + "\xe2\x82\xac" (euro). */
	const char *s = "h\xc3\xa9\xe2\x82\xac";
	CHECK(utf8_cut(s, 6) == 6 && utf8_cut(s, 5) == 3 && utf8_cut(s, 4) == 3);
	CHECK(utf8_cut(s, 3) == 3 && utf8_cut(s, 2) == 1 && utf8_cut(s, 1) == 1);
	CHECK(utf8_cut(s, 0) == 0 && utf8_cut("\xf0\x9f\x98", 3) == 0);
	CHECK(utf8_cut("ab", 2) == 2);
	/* Scrubbing: bad bytes, a cut sequence and a NUL become '?'. */
	char bad[] = "a\xff\xc3\xa9\xe2\x82z\0b";
	utf8_scrub(bad, sizeof(bad) - 1);
	CHECK(memcmp(bad, "a?\xc3\xa9??z?b", 10) == 0 && utf8_valid(bad, sizeof(bad) - 1));
}

int main(void)
{
	test_service_names();
	test_types();
	test_service_types();
	test_subtypes();
	test_instances();
	test_instance_alternative();
	test_instance_expand();
	test_domains();
	test_utf8();
	return test_summary();
}
