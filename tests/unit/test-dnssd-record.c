/* SPDX-License-Identifier: MIT */
/* Unit tests of dnssd/record.c: records are valid by construction (names,
 * types, subtypes, TXT keys and limits), copy and compare as backends need. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/record.h"
#include "dnssd/txt.h"
#include "tests/unit/tap.h"

static struct dnssd_record *fixture(void)
{
	struct dnssd_record *r = NULL;

	CHECK(record_new("svc:payments", "payments@h1", "_payments._tcp", 8080, &r, NULL) == 0);
	CHECK(record_add_txt(r, "version", "1.2.0", 5, NULL) == 0);
	CHECK(record_add_txt(r, "weight", "1", 1, NULL) == 0);
	CHECK(record_add_txt(r, "blob", "a\0b", 3, NULL) == 0); /* binary-safe */
	CHECK(record_add_txt(r, "flag", NULL, 0, NULL) == 0);   /* a bare key */
	CHECK(record_add_subtype(r, "_api", NULL) == 0);
	return r;
}

static void test_build(void)
{
	static const uint8_t want[] = "\x0dversion=1.2.0\x08weight=1\x08"
	                              "blob=a\0b\x04"
	                              "flag";
	struct dnssd_record *r = fixture(), *c;
	const uint8_t *s;
	size_t off = 0, len, n = 0;

	/* Wire order is the order added; bare keys stay bare. */
	CHECK(r->txt_len == sizeof(want) - 1 && memcmp(r->txt, want, r->txt_len) == 0);
	while (record_txt_next(r, &off, &s, &len))
		n++;
	CHECK(n == 4);
	CHECK(r->n_subtypes == 1 && strcmp(r->subtypes[0], "_api") == 0);
	c = record_copy(r);
	CHECK(c && c != r && strcmp(c->key, r->key) == 0 && c->txt_len == r->txt_len &&
	      memcmp(c->txt, r->txt, r->txt_len) == 0 && c->n_subtypes == 1 && c->port == 8080);
	CHECK(record_compare(r, c) == RECORD_SAME);
	record_free(c);
	record_free(r);
	record_free(NULL);
}

static void test_refused(void)
{
	struct dnssd_record *r = NULL;
	const char *why = NULL;
	char big[300];

	CHECK(record_new("", "x", "_a._tcp", 1, &r, &why) == -EINVAL && why && !r);
	CHECK(record_new("k", "", "_a._tcp", 1, &r, &why) == -EINVAL && !r);
	CHECK(record_new("k", "x", "a._tcp", 1, &r, &why) == -EINVAL && !r);
	CHECK(record_new("k", "x", "_a._sctp", 1, &r, &why) == -EINVAL && !r);
	CHECK(record_new("k", "tab\there", "_a._tcp", 1, &r, &why) == -EINVAL && !r);
	/* 63 bytes of instance is one DNS label; 64 is not. */
	memset(big, 'i', 64);
	big[64] = '\0';
	CHECK(record_new("k", big, "_a._tcp", 1, &r, &why) == -EINVAL && !r);
	big[63] = '\0';
	CHECK(record_new("k", big, "_a._tcp", 1, &r, &why) == 0 && r);

	why = NULL;
	CHECK(record_add_txt(r, "we=ight", "1", 1, &why) == -EINVAL && why);
	CHECK(record_add_txt(r, "", "1", 1, &why) == -EINVAL);
	CHECK(record_add_txt(r, "k\x01", "1", 1, &why) == -EINVAL);
	CHECK(record_add_txt(r, "path", "/", 1, &why) == 0);
	why = NULL;
	CHECK(record_add_txt(r, "PATH", "/x", 2, &why) == -EINVAL && why &&
	      strstr(why, "duplicate"));
	CHECK(record_add_subtype(r, "api", &why) == -EINVAL);
	CHECK(record_add_subtype(r, "_a.b", &why) == -EINVAL);
	CHECK(record_add_subtype(r, "_api", &why) == 0);
	CHECK(record_add_subtype(r, "_API", &why) == -EINVAL); /* duplicate */
	CHECK(r->n_subtypes == 1 && r->txt_len == 7);

	/* 4 + 1 + 250 = 255 bytes is one string; 256 is not. */
	memset(big, 'v', sizeof(big));
	CHECK(record_add_txt(r, "long", big, 250, &why) == 0);
	CHECK(record_add_txt(r, "lon2", big, 251, &why) == -EINVAL);
	record_free(r);

	/* The whole record stops at TXT_PUBLISH_MAX, exactly. */
	CHECK(record_new("k", "x", "_a._tcp", 1, &r, NULL) == 0);
	for (int i = 0; i < 100; i++) {
		char key[8];
		size_t room = TXT_PUBLISH_MAX - r->txt_len;
		int e;

		snprintf(key, sizeof(key), "k%d", i);
		e = record_add_txt(r, key, big, 200, &why);
		if (e == -E2BIG) {
			CHECK(room < 1 + strlen(key) + 1 + 200);
			/* What fits still goes in, to the byte. */
			CHECK(room < 1 + strlen(key) + 1 ||
			      record_add_txt(r, key, big, room - 1 - strlen(key) - 1, &why) == 0);
			break;
		}
		CHECK(e == 0);
	}
	CHECK(r->txt_len <= TXT_PUBLISH_MAX && r->txt_len > TXT_PUBLISH_MAX - 8);
	record_free(r);
}

static void test_compare(void)
{
	struct dnssd_record *a = fixture(), *b;

	/* TXT only: value, order, a string more. */
	b = fixture();
	free(b->txt);
	b->txt = NULL;
	b->txt_len = 0;
	CHECK(record_add_txt(b, "version", "1.2.0", 5, NULL) == 0);
	CHECK(record_add_txt(b, "weight", "5", 1, NULL) == 0);
	CHECK(record_compare(a, b) == RECORD_TXT_ONLY);
	record_free(b);

	b = fixture();
	CHECK(record_add_txt(b, "extra", "1", 1, NULL) == 0);
	CHECK(record_compare(a, b) == RECORD_TXT_ONLY);
	record_free(b);

	/* Anything else re-registers. */
	b = fixture();
	b->port = 8081;
	CHECK(record_compare(a, b) == RECORD_CHANGED);
	record_free(b);
	b = fixture();
	free(b->instance);
	b->instance = strdup("payments@h2");
	CHECK(record_compare(a, b) == RECORD_CHANGED);
	record_free(b);
	b = fixture();
	CHECK(record_add_subtype(b, "_v2", NULL) == 0);
	CHECK(record_compare(a, b) == RECORD_CHANGED);
	record_free(b);

	/* Subtypes are a set; the type compares case-insensitively. */
	CHECK(record_add_subtype(a, "_v2", NULL) == 0);
	b = NULL;
	CHECK(record_new("svc:payments", "payments@h1", "_Payments._TCP", 8080, &b, NULL) == 0);
	CHECK(record_add_subtype(b, "_v2", NULL) == 0);
	CHECK(record_add_subtype(b, "_api", NULL) == 0);
	free(b->txt);
	b->txt = a->txt_len ? malloc(a->txt_len) : NULL;
	memcpy(b->txt, a->txt, a->txt_len);
	b->txt_len = a->txt_len;
	CHECK(record_compare(a, b) == RECORD_SAME);
	record_free(b);
	record_free(a);
}

int main(void)
{
	test_build();
	test_refused();
	test_compare();
	return test_summary();
}
