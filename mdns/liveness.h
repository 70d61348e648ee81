/* SPDX-License-Identifier: MIT */
/* Liveness of the hosts whose instances are browsed, on the backend
 * thread: each (SRV target host, interface) that resolved sightings point
 * to is looked up for a presence (presence.h). A host that answers is UP;
 * one whose heartbeat expires while its anchor stays is DOWN, and its
 * sightings are reported removed and withheld until it answers again; a
 * goodbye of both (lanyardd stopped) or no presence at all leaves the host
 * to mDNS's own timing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct br_inst;
struct liveness;
struct mdns_core;
struct mdns_stats;

/* Liveness for C's sightings; NULL on OOM. */
struct liveness *liveness_new(struct mdns_core *c);
/* Free every host (closing its browsers). NULL is fine. */
void liveness_free(struct liveness *lv);

/* Sighting I was resolved (its reported flag not yet updated) with target
 * HOST: attach it to HOST on I's interface, watching that host if it is
 * new. Returns true when I must be withheld: its host is down. */
bool liveness_found(struct liveness *lv, struct br_inst *i, const char *host);
/* I is removed from the table of sightings: detach it. */
void liveness_drop(struct liveness *lv, struct br_inst *i);

/* The client runs: open the browsers of the hosts that wait for it. */
void liveness_client_running(struct liveness *lv);
/* The client is gone with every browser: forget every host (call before
 * the sightings are dropped). */
void liveness_client_lost(struct liveness *lv);

/* The counters of *ret (hosts, hosts_up, hosts_down). LV may be NULL. */
void liveness_stats(const struct liveness *lv, struct mdns_stats *ret);
