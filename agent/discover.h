/* SPDX-License-Identifier: MIT */
/* Discovery: which DNS-SD types the agent browses, their state (settled,
 * down while avahi is away), browse results fed into the cache, and waiting
 * for the first browse of a type asked for on demand. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "agent/cache.h"
#include "config/config.h"
#include "mdns/mdns.h"

/* The one cap on browsed types (configured, enumerated and asked for):
 * each costs avahi-daemon an object and the LAN queries. */
#define DISCOVER_MAX_TYPES 512
/* Of those, what browse: all finds on the LAN may take at most this many:
 * the rest is kept for the configuration and for consumers' requests. */
#define DISCOVER_MAX_ALL 384

struct ev_loop;
struct discover;
struct discover_wait;

/* New discovery state over cache C (borrowed). NULL on OOM. */
struct discover *discover_new(struct ev_loop *loop, struct cache *c);
/* Cancel every wait (their callbacks run with timed_out = true) and free. */
void discover_free(struct discover *d);

/* The mDNS layer to browse through (set once it exists; NULL to forget). */
void discover_set_mdns(struct discover *d, struct mdns *m);

/* Browse what CFG asks for: agent.browse (types, or service names meaning
 * both _NAME._tcp and _NAME._udp, or all) and the host's own declared
 * types. Types the previous configuration asked for and CFG does not are
 * kept as on-demand browses. An on-demand browse is released, and its
 * entries dropped, after agent.browse_idle without a request naming it.
 * Returns 0 or the first
 * negative errno (-ENOSPC past DISCOVER_MAX_TYPES). */
int discover_configure(struct discover *d, const struct lanyard_config *cfg);

/* Who asks for an on-demand browse, and how many they may have started
 * that are still only on demand (MAX 0: no limit). */
struct discover_quota {
	uid_t uid;
	unsigned max;
};

/* Make sure SERVICE (a name or a DNS-SD type) is browsed (an on-demand
 * browse, kept while requests name it: NOW, clock_mono() at the request's
 * arrival, is its latest use). Returns 1 when
 * every type it maps to has settled (answer from the cache now), 0 when the
 * first browse is still running: then READY(USERDATA, timed_out) is called
 * once, when it settles or after TIMEOUT_MS, unless discover_wait_cancel()
 * is called first (*ret_wait is set for that). Negative errno on error:
 * -EDQUOT when Q (NULL: none) would start more browses than Q->max. */
int discover_need(struct discover *d, const char *service, double now,
                  const struct discover_quota *q, double timeout_s,
                  void (*ready)(void *userdata, bool timed_out), void *userdata,
                  struct discover_wait **ret_wait);
void discover_wait_cancel(struct discover_wait *w);

/* mDNS callbacks, forwarded by the agent. */
void discover_on_instance(struct discover *d, enum mdns_instance_event ev,
                          const struct mdns_instance *inst);
void discover_on_browse_state(struct discover *d, const char *type, bool settled);
void discover_on_type_found(struct discover *d, const char *type);
void discover_on_client_state(struct discover *d, enum mdns_client_state state);

/* Treat TYPE as settled without browsing it (entries a test hook put in the
 * cache); it does not count against DISCOVER_MAX_TYPES. */
void discover_mark_settled(struct discover *d, const char *type);

/* True while every browse is up (avahi reachable and no browse failed). */
bool discover_up(const struct discover *d);

/* {"up","all","types":[{"type","settled","up"}],"dropped","max_types",
 * "types_refused","types_released"}; NULL on OOM. */
json_t *discover_status(const struct discover *d);
