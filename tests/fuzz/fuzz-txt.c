/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the TXT parser (dnssd/txt.c): never crashes, keeps
 * its invariants, and the kept raw strings parse to the same record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/txt.h"
#include "dnssd/utf8.h"
#include "tests/fuzz/fuzz.h"

/* Parse T's kept raw strings again: the same record must come out. */
static void check_reparse(const struct txt *t)
{
	static const uint8_t *strs[TXT_RECORD_MAX / 2];
	static size_t lens[TXT_RECORD_MAX / 2];
	struct txt *t2 = NULL;
	size_t off = 0, n = 0;

	while (txt_raw_next(t, &off, &strs[n], &lens[n]))
		n++;
	CHECK(n == t->n_raw);
	CHECK(txt_parse(strs, lens, n, &t2) == 0);
	CHECK(t2->raw_len == t->raw_len && memcmp(t2->raw, t->raw, t->raw_len) == 0);
	CHECK(t2->n_pairs == t->n_pairs && t2->weight == t->weight && t2->priority == t->priority &&
	      t2->n_tags == t->n_tags && t2->version_ok == t->version_ok &&
	      t2->has_load == t->has_load);
	if (t->version_ok)
		CHECK(version_compare(&t->semver, &t2->semver) == 0);
	txt_free(t2);
}

/* Strings are length-prefixed: one length byte, except 0xff, which is
 * followed by a 16-bit little-endian length (to reach over-long strings). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *strs[512];
	size_t lens[512], n = 0, off = 0;
	struct txt *t = NULL;

	while (off < size && n < 512) {
		size_t l = data[off++];
		if (l == 0xff && size - off >= 2)
			l = data[off] | (size_t)data[off + 1] << 8, off += 2;
		if (l > size - off)
			l = size - off;
		strs[n] = data + off, lens[n++] = l, off += l;
	}
	if (txt_parse(strs, lens, n, &t) < 0)
		return 0;
	CHECK(t->raw_len <= TXT_RECORD_MAX && t->n_pairs <= TXT_PAIRS_MAX);
	CHECK(t->n_tags <= TXT_TAGS_MAX);
	CHECK(txt_equal_raw(t, strs, lens, n));
	for (size_t i = 0; i < t->n_pairs; i++) {
		const struct txt_pair *p = &t->pairs[i];
		CHECK(txt_check_key(p->key, p->key_len) == NULL && strlen(p->key) == p->key_len);
		CHECK(txt_get(t, p->key) == p); /* first wins, no duplicates */
		CHECK(!p->value || p->utf8 == utf8_valid(p->value, p->value_len));
	}
	for (size_t i = 0; i < t->n_tags; i++)
		CHECK(t->tags[i][0] && txt_has_tag(t, t->tags[i]));
	if (!txt_get(t, "weight"))
		CHECK(t->weight == 1);
	if (t->version_ok)
		CHECK(t->version && version_parse(t->version, strlen(t->version),
		                                  &(struct dnssd_version){0}, NULL) == 0);
	check_reparse(t);
	txt_free(t);
	return 0;
}
