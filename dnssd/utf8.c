/* SPDX-License-Identifier: MIT */
/* UTF-8 validation (RFC 3629): well-formed sequences, optionally without
 * control characters; and text escaped for a terminal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/utf8.h"

/* Length of the UTF-8 sequence at S (at most LEFT bytes, LEFT > 0) with its
 * code point in *ret_cp, or 0 when it is not well-formed. */
static size_t decode(const unsigned char *s, size_t left, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t n;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0)
		n = 2, cp = s[0] & 0x1F, min = 0x80;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3, cp = s[0] & 0x0F, min = 0x800;
	else if ((s[0] & 0xF8) == 0xF0)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*ret_cp = cp;
	return n;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* The one scan: well-formed, no NUL, and (TEXT) no control character. */
static bool scan(const unsigned char *s, size_t len, bool text)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = decode(s + i, len - i, &cp);

		if (n == 0 || cp == 0 || (text && is_control(cp)))
			return false;
		i += n;
	}
	return true;
}

/* Contract in utf8.h. */
bool utf8_valid(const void *s, size_t len)
{
	return scan(s, len, false);
}

/* Contract in utf8.h. */
bool utf8_text(const char *s, size_t len)
{
	return scan((const unsigned char *)s, len, true);
}

size_t utf8_cut(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t lead = len, need;

	/* Back over the continuation bytes (at most 3) to the last lead. */
	while (lead > 0 && len - lead < 4 && (p[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0 || len - lead >= 4)
		return len; /* not UTF-8 as expected: leave it */
	lead--;
	need = p[lead] < 0x80    ? 1
	       : p[lead] >= 0xf0 ? 4
	       : p[lead] >= 0xe0 ? 3
	       : p[lead] >= 0xc0 ? 2
	                         : 1;
	return lead + need > len ? lead : len;
}

void utf8_scrub(char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char b = (unsigned char)s[i];
		size_t n = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;

		if (n > len - i || !utf8_valid(s + i, n)) {
			s[i] = '?';
			n = 1;
		}
		i += n;
	}
}

/* Code points shown escaped: what drives a terminal (C0, DEL, C1), what
 * reorders the text around it (bidi marks, embeddings, overrides,
 * isolates) and what breaks a line (U+2028, U+2029). */
static bool is_unsafe(uint32_t cp)
{
	return is_control(cp) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	       (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

/* utf8_escape() into OUT (NULL: only count); returns the length. */
static size_t escape(const unsigned char *s, size_t len, unsigned flags, char *out)
{
	bool json = flags & UTF8_ESCAPE_JSON;
	size_t i = 0, n_out = 0;
	char tmp[16];

	while (i < len) {
		uint32_t cp = 0;
		size_t n = decode(s + i, len - i, &cp), k;
		const char *put = tmp;

		if (n == 0) {
			/* Not UTF-8: the byte itself (JSON has no notation for one). */
			k = json ? (size_t)snprintf(tmp, sizeof(tmp), "\\ufffd")
			         : (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
			n = 1;
		} else if (is_unsafe(cp)) {
			k = json || cp > 0x7F ? (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", cp)
			                      : (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", cp);
		} else if (cp == '\\' && !json) {
			put = "\\\\", k = 2;
		} else {
			put = (const char *)s + i, k = n;
		}
		if (out)
			memcpy(out + n_out, put, k);
		n_out += k;
		i += n;
	}
	return n_out;
}

/* Contract in utf8.h. */
char *utf8_escape(const char *s, size_t len, unsigned flags)
{
	size_t n = escape((const unsigned char *)s, len, flags, NULL);
	char *out = malloc(n + 1);

	if (!out)
		return NULL;
	escape((const unsigned char *)s, len, flags, out);
	out[n] = '\0';
	return out;
}
