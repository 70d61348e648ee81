/* SPDX-License-Identifier: MIT */
/* Active probing (agent.probe, opt-in): the endpoints this host's
 * consumers were handed lately get a non-blocking TCP connect every
 * interval (jittered); one that fails FALL times in a row is marked down
 * in the cache (cache_set_down), so resolve stops handing it out whatever
 * published it, until RISE probes in a row succeed. docs/operations.md,
 * "Liveness". */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/cache.h"
#include "config/config.h"

struct prober;

struct prober_stats {
	bool enabled;
	size_t endpoints; /* probed now */
	size_t down;      /* of which marked down */
	uint64_t probes, failures;
	uint64_t full; /* endpoints not probed: max_endpoints reached */
};

/* A prober for the entries of C, on LOOP; off until configured. NULL on
 * OOM. */
struct prober *prober_new(struct ev_loop *loop, struct cache *c);
/* Stop every probe and free P (down marks stay: the cache goes next). */
void prober_free(struct prober *p);

/* Apply CFG (at start and on reload). Turning probing off forgets every
 * endpoint and clears their down marks. Returns 0 or -ENOMEM. */
int prober_configure(struct prober *p, const struct cfg_probe *cfg);

/* Resolve handed E out: probe it (from now on, or for longer). */
void prober_note(struct prober *p, const struct cache_entry *e);

/* The cache's event EV about E: a removed entry is forgotten, one whose
 * address or port changed starts over. Does not modify the cache. */
void prober_on_cache_event(struct prober *p, enum cache_event ev, const struct cache_entry *e,
                           unsigned changes);

void prober_get_stats(const struct prober *p, struct prober_stats *ret);
