/* SPDX-License-Identifier: MIT */
/* Cache addresses: from sightings, compared, as text (the resolve hot
 * path), and which one to use. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include "agent/cache-addr.h"
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

/* Contracts in cache-addr.h. */
int cache_addr_from(const struct mdns_instance *s, struct cache_addr *a)
{
	int fam = s->addr.ss_family ? s->addr.ss_family : s->family;
	memset(a, 0, sizeof(*a));
	if (fam == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&s->addr;
		a->family = AF_INET, a->len = 4;
		memcpy(a->bytes, &in->sin_addr, 4);
	} else if (fam == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&s->addr;
		a->family = AF_INET6, a->len = 16;
		memcpy(a->bytes, &in6->sin6_addr, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
			a->scope_id =
			        in6->sin6_scope_id ? in6->sin6_scope_id : (uint32_t)s->ifindex;
	} else {
		return -EINVAL;
	}
	return 0;
}

bool cache_addr_equal(const struct cache_addr *a, const struct cache_addr *b)
{
	return a->family == b->family && a->scope_id == b->scope_id &&
	       memcmp(a->bytes, b->bytes, a->len) == 0;
}

uint8_t cache_addrs_unique(const struct cache_sighting *s, size_t n, struct cache_addr *out)
{
	uint8_t m = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < m && !cache_addr_equal(&out[k], &s[i].addr))
			k++;
		if (k == m)
			out[m++] = s[i].addr;
	}
	return m;
}

bool cache_addrs_equal(const struct cache_addr *a, size_t na, const struct cache_addr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!cache_addr_equal(&a[i], &b[i]))
			return false;
	return true;
}
