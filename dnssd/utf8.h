/* SPDX-License-Identifier: MIT */
/* UTF-8 validation: the one decoder behind every name, TXT value and wire string check. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* True when the LEN bytes at S are well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF) and hold no NUL byte. S may be
 * NULL when LEN is 0. */
bool utf8_valid(const void *s, size_t len);

/* Make the LEN bytes at S well-formed UTF-8 in place: every byte that
 * does not start a valid sequence, and every NUL, becomes '?'. */
void utf8_scrub(char *s, size_t len);

/* The length of the first LEN bytes of S without a multi-byte sequence
 * that LEN cuts short at its end: where to cut well-formed UTF-8 (a
 * string snprintf() truncated, say) so that it stays well-formed. */
size_t utf8_cut(const char *s, size_t len);

/* True when utf8_valid(S, LEN) and no code point is a control character
 * (C0, DEL, C1): text a person reads, such as an instance name or a tag. */
bool utf8_text(const char *s, size_t len);
