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

/* How utf8_escape() writes its escapes. */
enum utf8_escape_flags {
	/* S is JSON text (a jansson dump): a backslash is left alone, since it
	 * already escapes there, and every escape is \uXXXX (a byte that is
	 * not UTF-8, which a dump never holds, becomes \ufffd), so the result
	 * is the same JSON value. */
	UTF8_ESCAPE_JSON = 1u << 0,
};

/* The LEN bytes at S (any bytes) made safe to print on a terminal, as a
 * new NUL-terminated string (NULL on OOM): the one rule for what people
 * read. Each code point that could drive a terminal, reorder the text
 * around it or break a line, that is C0 controls (NUL, TAB, LF, CR, ESC
 * ...), DEL, C1 controls (U+0080-U+009F), the bidi marks, embeddings,
 * overrides and isolates (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069) and U+2028, U+2029, is written as \xHH (ASCII) or
 * \uXXXX; each byte that does not start well-formed UTF-8 (a raw 0x9B
 * too) as \xHH; a backslash as \\, so the text reads back unambiguously.
 * Other text, "café" say, stays as it is. FLAGS: enum utf8_escape_flags. */
char *utf8_escape(const char *s, size_t len, unsigned flags);
