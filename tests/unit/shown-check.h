/* SPDX-License-Identifier: MIT */
/* For the tests of the lanyard command's output (test-client-show,
 * fuzz-cli-table): is a text safe for a terminal? Its own strict UTF-8
 * decoder, so that it does not share a bug with the code it checks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Code points that reorder text on a terminal (bidi marks, embeddings,
 * overrides, isolates) or break a line (U+2028, U+2029). */
static inline bool shown_check_bidi(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

/* NULL when the LEN bytes at S are well-formed UTF-8 holding no control
 * character but '\n' (no C0, DEL, C1, U+0080-U+009F) and no code point of
 * shown_check_bidi(); else what is wrong. The number of '\n' goes to
 * *RET_LINES. */
static inline const char *shown_check(const char *s, size_t len, size_t *ret_lines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t lines = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp, min;
		size_t n;

		if (p[i] == '\n') {
			lines++;
			i++;
			continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f)
			return "a C0 control or DEL";
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 2, cp = p[i] & 0x1f, min = 0x80;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 3, cp = p[i] & 0x0f, min = 0x800;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 4, cp = p[i] & 0x07, min = 0x10000;
		else
			return "a byte that starts no UTF-8 sequence";
		if (n > len - i)
			return "a UTF-8 sequence cut short";
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return "a UTF-8 sequence cut short";
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return "an overlong form, a surrogate or a code point past U+10FFFF";
		if (cp <= 0x9f)
			return "a C1 control";
		if (shown_check_bidi(cp))
			return "a bidi control or a line separator";
		i += n;
	}
	*ret_lines = lines;
	return NULL;
}
