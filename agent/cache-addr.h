/* SPDX-License-Identifier: MIT */
/* Address rules the cache applies to sightings (cache-addr.c); for
 * cache.c only: consumers use cache.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/cache.h"

/* S's address (its interface as the scope of an IPv6 link-local one) into
 * A. Returns 0 or -EINVAL for a family that is neither IPv4 nor IPv6. */
int cache_addr_from(const struct mdns_instance *s, struct cache_addr *a);
/* Same family, scope and bytes. */
bool cache_addr_equal(const struct cache_addr *a, const struct cache_addr *b);
/* The unique addresses of the N sightings S into OUT (room for N), in
 * order of first appearance; returns how many. */
uint8_t cache_addrs_unique(const struct cache_sighting *s, size_t n, struct cache_addr *out);
/* The same NA and NB addresses in the same order. */
bool cache_addrs_equal(const struct cache_addr *a, size_t na, const struct cache_addr *b,
                       size_t nb);
