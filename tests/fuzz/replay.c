/* SPDX-License-Identifier: MIT */
/* main() for a fuzz target built without libFuzzer: replays its seed corpus
 * (tests/fuzz/corpus/FUZZ_CORPUS) or the files named on the command line. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"

#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS names the target's directory under tests/fuzz/corpus"
#endif

/* Run one input file through the target; 0, or 1 when it cannot be read. */
static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		perror(path);
		return 1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *p = realloc(buf, cap ? cap * 2 : 4096);

			if (!p) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(f);
				return 1;
			}
			buf = p;
			cap = cap ? cap * 2 : 4096;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	/* A target aborts on a broken invariant: reaching here is a pass. */
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dir[4096], path[8192];
	int r = 0, count = 0;
	DIR *d;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			r |= replay(argv[i]);
		return r;
	}
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_CORPUS);
	d = opendir(dir);
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
	printf("%s: replayed %d inputs\n", FUZZ_CORPUS, count);
	return r || count == 0;
}
