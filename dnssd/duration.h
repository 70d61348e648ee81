/* SPDX-License-Identifier: MIT */
/* Durations as lanyard writes them in its configuration and on the command
 * line: a whole number followed by ms, s or m, or a bare number of
 * milliseconds ("500ms", "30s", "2m", "250"). No spaces, fractions or
 * other units. libc only, so that the CLI can use it too. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Parse S into *RET_MS. Returns 0 or -EINVAL (also on overflow). */
int duration_parse(const char *s, uint64_t *ret_ms);

/* MS as the shortest text duration_parse() reads back ("1m", "2s",
 * "500ms") into BUF of SIZE bytes. Returns BUF. */
const char *duration_format(uint64_t ms, char *buf, size_t size);
