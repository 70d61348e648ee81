/* SPDX-License-Identifier: MIT */
/* Cache addresses: as text (the resolve hot path), and which one to use. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <sys/socket.h>
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

int cache_addr_rank(const struct cache_addr *a)
{
	bool scoped = a->scope_id != 0 ||
	              (a->family == AF_INET && a->bytes[0] == 169 && a->bytes[1] == 254);

	return (scoped ? 2 : 0) + (a->family == AF_INET ? 0 : 1);
}

const struct cache_addr *cache_entry_addr(const struct cache_entry *e, int family)
{
	const struct cache_addr *best = NULL;

	for (size_t i = 0; i < e->n_addrs; i++) {
		const struct cache_addr *ad = &e->addrs[i];

		if (family != AF_UNSPEC && ad->family != family)
			continue;
		if (!best || cache_addr_rank(ad) < cache_addr_rank(best))
			best = ad;
	}
	return best;
}
