/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the TXT parser; with -DFUZZ_REPLAY a main() replays the seed corpus. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/txt.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strings are length-prefixed: one length byte, except 0xff, which is
 * followed by a 16-bit little-endian length (to reach over-long strings). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *strs[512];
	size_t lens[512], n = 0, off = 0;
	struct txt *t = NULL, *t2 = NULL;

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
	CHECK(txt_equal_raw(t, strs, lens, n));
	for (size_t i = 0; i < t->n_pairs; i++) {
		const struct txt_pair *p = &t->pairs[i];
		CHECK(p->key_len > 0 && strlen(p->key) == p->key_len && !strchr(p->key, '='));
		CHECK(txt_get(t, p->key) == p); /* first wins, no duplicates */
	}
	for (size_t i = 0; i < t->n_tags; i++)
		CHECK(t->tags[i][0] && txt_has_tag(t, t->tags[i]));
	if (t->flags & TXT_F_BAD_WEIGHT)
		CHECK(t->weight == 1);
	/* The kept raw strings parse to the same record. */
	CHECK(txt_parse_wire(t->raw, t->raw_len, &t2) == 0);
	CHECK(t2->raw_len == t->raw_len && memcmp(t2->raw, t->raw, t->raw_len) == 0);
	CHECK(t2->n_pairs == t->n_pairs && t2->weight == t->weight && t2->n_tags == t->n_tags);
	txt_free(t2);
	txt_free(t);
	return 0;
}

#ifdef FUZZ_REPLAY
static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[65536];
	if (!f) {
		perror(path);
		return 1;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return LLVMFuzzerTestOneInput(buf, n);
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dir[4096], path[8192];
	int r = 0, count = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			r |= replay(argv[i]);
		return r;
	}
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/txt", top ? top : ".");
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return 77;
	}
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		r |= replay(path);
		count++;
	}
	closedir(d);
	printf("replayed %d inputs\n", count);
	return r || count == 0;
}
#endif
