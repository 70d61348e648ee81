/* SPDX-License-Identifier: MIT */
/* The host's publishable addresses from getifaddrs(), in a stable order so
 * that two readings compare equal when nothing changed. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wide/hostaddr.h"

static bool wanted_iface(const char *name, const char *const *ifaces, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, ifaces[i]) == 0)
			return true;
	return false;
}

static int addr_cmp(const void *a, const void *b)
{
	const struct wide_addr *x = a, *y = b;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* Contract in hostaddr.h. */
int wide_host_addrs(const char *const *ifaces, size_t n_ifaces, struct wide_addr *ret, size_t max)
{
	struct ifaddrs *list, *i;
	size_t n = 0;

	if (getifaddrs(&list) < 0)
		return -errno;
	for (i = list; i && n < max; i = i->ifa_next) {
		struct wide_addr a = {0};

		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK) ||
		    !wanted_iface(i->ifa_name, ifaces, n_ifaces))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *s = (const struct sockaddr_in *)i->ifa_addr;
			const uint8_t *b = (const uint8_t *)&s->sin_addr;

			if (b[0] == 127 || (b[0] == 169 && b[1] == 254) || b[0] == 0)
				continue;
			a.family = AF_INET;
			memcpy(a.addr, b, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)i->ifa_addr;

			if (IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr) ||
			    IN6_IS_ADDR_LOOPBACK(&s->sin6_addr) ||
			    IN6_IS_ADDR_MULTICAST(&s->sin6_addr) ||
			    IN6_IS_ADDR_UNSPECIFIED(&s->sin6_addr))
				continue;
			a.family = AF_INET6;
			memcpy(a.addr, &s->sin6_addr, 16);
		} else {
			continue;
		}
		ret[n++] = a;
	}
	freeifaddrs(list);
	qsort(ret, n, sizeof(*ret), addr_cmp);
	/* the same address on two interfaces counts once */
	{
		size_t k = 0;

		for (size_t j = 0; j < n; j++)
			if (k == 0 || addr_cmp(&ret[k - 1], &ret[j]) != 0)
				ret[k++] = ret[j];
		n = k;
	}
	return (int)n;
}
