/* SPDX-License-Identifier: MIT */
/* The TSIG key file parser (config/tsig-key.c): the formats BIND's
 * tsig-keygen and Knot's keymgr write, and each error with its position. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/tsig-key.h"
#include "tests/unit/tap.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="

static void expect_ok(const char *text, const char *name, enum cfg_tsig_alg alg)
{
	struct cfg_tsig_key k;
	char err[256];
	int r = cfg_tsig_key_parse(text, strlen(text), &k, err, sizeof(err));

	if (!CHECK_INT_EQ(r, 0)) {
		fprintf(stderr, "  %s\n  for: %s\n", err, text);
		return;
	}
	CHECK_STR_EQ(k.name, name);
	CHECK_INT_EQ(k.alg, alg);
	CHECK_STR_EQ(k.secret, SECRET);
	cfg_tsig_key_clear(&k);
	CHECK(k.name == NULL && k.secret == NULL);
}

static void expect_err(const char *text, size_t len, const char *msg)
{
	struct cfg_tsig_key k;
	char err[256];
	int r = cfg_tsig_key_parse(text, len, &k, err, sizeof(err));

	CHECK_INT_EQ(r, -EINVAL);
	CHECK_STR_EQ(err, msg);
	CHECK(k.name == NULL && k.secret == NULL);
}

#define ERR(text, msg) expect_err(text, strlen(text), msg)

static void test_good(void)
{
	/* BIND tsig-keygen */
	expect_ok("key \"lanyard\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET "\";\n};\n",
	          "lanyard", CFG_TSIG_HMAC_SHA256);
	/* Knot keymgr -t: a comment line first */
	expect_ok("# hmac-sha512:upd.example.:" SECRET "\nkey \"upd.example.\" {\n"
	          "\talgorithm hmac-sha512;\n\tsecret \"" SECRET "\";\n};\n",
	          "upd.example", CFG_TSIG_HMAC_SHA512);
	/* no algorithm: hmac-sha256; comments of every kind; a bare word name */
	expect_ok("// c\nkey k1 { /* x\n y */ secret \"" SECRET "\"; # z\n};", "k1",
	          CFG_TSIG_HMAC_SHA256);
	expect_ok("key k { algorithm hmac-md5.sig-alg.reg.int.; secret " SECRET "; };", "k",
	          CFG_TSIG_HMAC_MD5);
	expect_ok("key k{algorithm HMAC-SHA1;secret \"" SECRET "\";};", "k", CFG_TSIG_HMAC_SHA1);
	CHECK_STR_EQ(cfg_tsig_alg_name(CFG_TSIG_HMAC_SHA256), "hmac-sha256");
	CHECK(cfg_tsig_alg_name(_CFG_TSIG_ALG_MAX) == NULL);
}

static void test_errors(void)
{
	ERR("", "1:1: no key block (key \"name\" { ... };)");
	ERR("# only a comment\n", "2:1: no key block (key \"name\" { ... };)");
	ERR("secret \"x\";", "1:1: expected 'key'");
	ERR("key {", "1:5: expected the key's name after 'key'");
	ERR("key \"bad name\" {", "1:5: the key name is not a domain name: a domain name uses only "
	                          "letters, digits, '-', '_' and '.'");
	ERR("key k secret", "1:7: expected '{' after the key name");
	ERR("key k {\n  algorithm hmac-sha3;\n",
	    "2:13: algorithm \"hmac-sha3\" is not supported "
	    "(hmac-sha256, hmac-sha512, hmac-sha1 or hmac-md5)");
	ERR("key k {\n  secret \"abc\";\n};", "2:10: the secret is not base64 (its length is not "
	                                      "a multiple of 4)");
	ERR("key k {\n  secret \"ab*d\";\n};", "2:10: the secret is not base64");
	ERR("key k {\n  secret \"\";\n};", "2:10: the secret is empty");
	ERR("key k {\n  secret \"ab==\";\n};", "2:10: the secret is not canonical base64");
	ERR("key k {\n  secret \"" SECRET "\"\n};", "3:1: expected ';' after the secret");
	ERR("key k {\n  algorithm hmac-sha256;\n};", "3:1: the key has no secret");
	ERR("key k {\n  secret \"" SECRET "\";\n", "3:1: the key block is not closed");
	ERR("key k { secret \"" SECRET "\"; }", "1:65: expected ';' after '}'");
	ERR("key k { secret \"" SECRET "\"; };\nkey j {};", "2:1: more than one key in the file");
	ERR("key k { owner x; };", "1:9: expected 'algorithm', 'secret' or '}', got \"owner\"");
	ERR("key k { secret \"" SECRET "\"; secret \"" SECRET "\"; };", "1:71: a second secret");
	ERR("key \"k\n\" {", "1:5: unterminated string");
	ERR("key k { /* open", "1:9: unclosed comment");
	ERR("key k { @", "1:9: unexpected '@'");
	ERR("key k {\x01", "1:8: unexpected byte 0x01");
	expect_err("key k\0{", 7, "1:6: a NUL byte");
	ERR("key \"\x7f\" {", "1:6: a control character in a string");
}

static void test_bounds(void)
{
	static char big[CFG_TSIG_FILE_MAX + 2];
	static char longword[3000];
	struct cfg_tsig_key k;
	char err[16];

	memset(big, ' ', sizeof(big));
	expect_err(big, sizeof(big), "1:1: the file is larger than 65536 bytes");
	memset(longword, 'a', sizeof(longword) - 1);
	ERR(longword, "1:1: a word longer than 1024 bytes");
	/* a secret decoding to more than 512 bytes */
	{
		char text[1200];
		int n = snprintf(text, sizeof(text), "key k { secret \"");

		memset(text + n, 'A', 688);
		snprintf(text + n + 688, sizeof(text) - (size_t)n - 688, "\"; };");
		ERR(text, "1:16: the secret is too long");
	}
	/* a short error buffer is cut, not overrun */
	CHECK_INT_EQ(cfg_tsig_key_parse("x", 1, &k, err, sizeof(err)), -EINVAL);
	CHECK_INT_EQ(strlen(err), sizeof(err) - 1);
	CHECK_INT_EQ(cfg_tsig_key_parse("x", 1, &k, NULL, 0), -EINVAL);
}

int main(void)
{
	test_good();
	test_errors();
	test_bounds();
	return test_summary();
}
