/* SPDX-License-Identifier: MIT */
/* Browsing and resolving: one service browser per type, one resolver kept
 * open per (interface, protocol, instance), reported as instance events. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct mdns;
struct browse;

/* The browsing half of M (which owns it); NULL on out-of-memory. */
struct browse *browse_new(struct mdns *m);
/* Free every browser and resolver (no callbacks). browse_free(NULL) is fine. */
void browse_free(struct browse *b);

/* Browse TYPE; idempotent. Returns 0, -EINVAL (bad type), -E2BIG (too many
 * types) or -ENOMEM. */
int browse_add(struct browse *b, const char *type);
/* Enumerate all types and browse each. Returns 0 or -ENOMEM. */
int browse_all(struct browse *b);

/* Cap on instances tracked at once (each holds a resolver). */
void browse_set_max(struct browse *b, size_t max);
/* Counters for mdns_get_stats(); any ret_* may be NULL. */
void browse_stats(const struct browse *b, size_t *ret_instances, size_t *ret_unresolved,
                  size_t *ret_dropped);

/* The client reached RUNNING: (re)create browsers. */
void browse_client_running(struct browse *b);
/* The client is gone with its browsers and resolvers: forget them and
 * report each type unsettled. */
void browse_client_lost(struct browse *b);
