/* SPDX-License-Identifier: MIT */
/* UTF-8 validation: the one decoder behind every name, TXT value and wire string check. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* True when the LEN bytes at S are well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF) and hold no NUL byte. S may be
 * NULL when LEN is 0. */
bool utf8_valid(const void *s, size_t len);

/* True when utf8_valid(S, LEN) and no code point is a control character
 * (C0, DEL, C1): text a person reads, such as an instance name or a tag. */
bool utf8_text(const char *s, size_t len);
