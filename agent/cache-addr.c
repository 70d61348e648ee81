/* SPDX-License-Identifier: MIT */
/* Cache addresses as text (the resolve hot path). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "agent/cache.h"

/* Dotted quad of B into BUF (room for 16): what inet_ntop() prints, without
 * its sprintf() (this runs for every resolve). */
static void format_ipv4(const uint8_t b[4], char *buf)
{
	char *p = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
}

const char *cache_addr_format(const struct cache_addr *a, char *buf, size_t len)
{
	if (a->family == AF_INET && !a->scope_id && len >= 16) {
		format_ipv4(a->bytes, buf);
		return buf;
	}
	if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
		return buf;
	}
	if (a->scope_id) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%%%u", a->scope_id);
	}
	return buf;
}
