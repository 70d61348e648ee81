/* SPDX-License-Identifier: MIT */
/* libFuzzer target for dnssd/version.c. Input: lines; the first is a
 * constraint, the others versions. Parsing never crashes, comparison is a
 * total order on what parses, a version is a constraint matching itself,
 * and matching never crashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/version.h"
#include "tests/fuzz/fuzz.h"

#define MAX_VERSIONS 16   /* versions compared pairwise and in triples */
#define MAX_LINE     1024 /* bytes of a line kept */

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* A parsed version printed back and parsed again is the same version. */
static void check_print(const struct dnssd_version *v)
{
	struct dnssd_version w;
	char text[128];
	int n = snprintf(text, sizeof(text), "%u.%u.%u%s%s", (unsigned)v->major, (unsigned)v->minor,
	                 (unsigned)v->patch, v->pre[0] ? "-" : "", v->pre);

	CHECK(n > 0 && (size_t)n < sizeof(text));
	CHECK(version_parse(text, (size_t)n, &w, NULL) == 0);
	CHECK(version_compare(v, &w) == 0 && strcmp(v->pre, w.pre) == 0);
}

/* The version as a constraint of its own: "V" and ">=V" match it, "<V"
 * does not. */
static void check_self(const char *text, const struct dnssd_version *v)
{
	struct dnssd_constraint c;
	char buf[MAX_LINE + 4];

	CHECK(constraint_parse(text, &c, NULL, 0) == 0);
	CHECK(constraint_match(&c, v));
	snprintf(buf, sizeof(buf), ">=%s", text);
	CHECK(constraint_parse(buf, &c, NULL, 0) == 0 && constraint_match(&c, v));
	snprintf(buf, sizeof(buf), "<%s", text);
	CHECK(constraint_parse(buf, &c, NULL, 0) == 0 && !constraint_match(&c, v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char lines[MAX_VERSIONS + 1][MAX_LINE + 1];
	struct dnssd_version v[MAX_VERSIONS];
	struct dnssd_constraint c;
	char err[128];
	size_t n_lines = 0, n = 0, off = 0;
	bool have_c;

	while (off < size && n_lines <= MAX_VERSIONS) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - data - off) : size - off;

		if (len > MAX_LINE)
			len = MAX_LINE;
		memcpy(lines[n_lines], data + off, len);
		lines[n_lines][len] = '\0';
		n_lines++;
		off = nl ? (size_t)(nl - data) + 1 : size;
	}
	if (n_lines == 0)
		return 0;
	have_c = constraint_parse(lines[0], &c, err, sizeof(err)) == 0;
	CHECK(have_c || err[0]);
	for (size_t i = 1; i < n_lines; i++) {
		const char *why = NULL;
		size_t len = strlen(lines[i]);

		if (version_parse(lines[i], len, &v[n], &why) < 0) {
			CHECK(why != NULL);
			if (have_c)
				CHECK(!constraint_match_text(&c, lines[i], len));
			continue;
		}
		CHECK(strlen(v[n].pre) < DNSSD_VERSION_PRE_MAX);
		check_print(&v[n]);
		check_self(lines[i], &v[n]);
		if (have_c)
			CHECK(constraint_match_text(&c, lines[i], len) ==
			      constraint_match(&c, &v[n]));
		n++;
	}
	/* a total order: reflexive, antisymmetric, transitive */
	for (size_t i = 0; i < n; i++) {
		CHECK(version_compare(&v[i], &v[i]) == 0);
		for (size_t j = 0; j < n; j++) {
			int ij = sign(version_compare(&v[i], &v[j]));

			CHECK(ij == -sign(version_compare(&v[j], &v[i])));
			for (size_t k = 0; k < n; k++) {
				int jk = sign(version_compare(&v[j], &v[k]));

				if (ij <= 0 && jk <= 0)
					CHECK(version_compare(&v[i], &v[k]) <= 0);
			}
		}
	}
	return 0;
}
