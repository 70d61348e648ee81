/* SPDX-License-Identifier: MIT */
/* Watches: consumers that asked to be told of every added, changed or
 * removed instance matching a filter, fed from the cache's events. */
#pragma once

#include <stdint.h>

#include "agent/cache.h"
#include "agent/conn.h"
#include "wire/request.h"

struct watches;

struct watches *watches_new(void);
/* Free the registry; connections' attachments must be gone already
 * (server_free() first). NULL is fine. */
void watches_free(struct watches *ws);

/* Attach a watch for FILTER (copied) to C and queue its snapshot: one
 * "added" event per matching entry of CACHE, then "snapshot_end". The
 * reply to the request must be sent before (the watch id comes back in
 * *ret_id first). Returns 0 or negative errno. */
int watches_add(struct watches *ws, struct conn *c, const struct wire_filter *filter,
                uint64_t *ret_id);
int watches_snapshot(struct watches *ws, struct conn *c, uint64_t id, const struct cache *cache);

/* Forward cache event EV on E to every matching watch. */
void watches_on_cache_event(struct watches *ws, enum cache_event ev, const struct cache_entry *e);

size_t watches_count(const struct watches *ws);
