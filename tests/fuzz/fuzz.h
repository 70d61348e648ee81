/* SPDX-License-Identifier: MIT */
/* What every libFuzzer target shares: its entry point and an invariant check that aborts. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A broken invariant is a crash libFuzzer reports (and `make check` fails on). */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The target: must not crash, leak or hang for any DATA of SIZE bytes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
