/* SPDX-License-Identifier: MIT */
/* Cache addresses as socket addresses and as text (the resolve hot path). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "agent/cache.h"

socklen_t cache_addr_sockaddr(const struct cache_addr *a, uint16_t port,
                              struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ret;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->bytes, 4);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	in6->sin6_scope_id = a->scope_id;
	memcpy(&in6->sin6_addr, a->bytes, 16);
	return sizeof(*in6);
}

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
