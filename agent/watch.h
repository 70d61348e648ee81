/* SPDX-License-Identifier: MIT */
/* Watches: consumers that asked to be told of every added, changed or
 * removed instance matching a filter, fed from the cache's events. */
#pragma once

#include <stdint.h>

#include "agent/cache.h"
#include "agent/conn.h"
#include "wire/request.h"

struct ev_loop;
struct peer;
struct watches;

/* Watches over CACHE (borrowed, outlives them). NULL on OOM. */
struct watches *watches_new(struct ev_loop *loop, const struct cache *cache);
/* Free the registry; connections' attachments must be gone already
 * (server_free() first). NULL is fine. */
void watches_free(struct watches *ws);

/* Attach a watch for FILTER (copied) to C, counted in OWNER's watches
 * (NULL: none) while it lasts. Returns 0 with its id in *RET_ID, or
 * negative errno. */
int watches_add(struct watches *ws, struct conn *c, const struct wire_filter *filter,
                struct peer *owner, uint64_t *ret_id);
/* Send watch ID's snapshot, after the reply that carried its id: one
 * "added" event per matching entry, then "snapshot_end", in slices that
 * wait for the reader and let the loop run in between. Returns 0 or
 * -ENOENT. */
int watches_snapshot(struct watches *ws, struct conn *c, uint64_t id);

/* Forward cache event EV on E to every matching watch. */
void watches_on_cache_event(struct watches *ws, enum cache_event ev, const struct cache_entry *e);

size_t watches_count(const struct watches *ws);
/* Bytes the watches hold (filters, announced sets), for status. */
size_t watches_bytes(const struct watches *ws);
