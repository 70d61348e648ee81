/* SPDX-License-Identifier: MIT */
/* Browsing on the backend thread: one service browser per type, the type
 * enumeration, and the table of sightings ((interface, protocol,
 * instance)) whose resolution resolve.h schedules. Results go up as
 * instance events. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct mdns_core;
struct mdns_stats;
struct browse;

/* True when TYPE is a DNS-SD service type the backend can browse
 * ("_http._tcp"). Pure; callable from any thread. */
bool browse_type_ok(const char *type);

/* The browsing half of C (which owns it); NULL on out-of-memory. */
struct browse *browse_new(struct mdns_core *c);
/* Free every browser and resolver (no events). browse_free(NULL) is fine. */
void browse_free(struct browse *b);

/* Browse TYPE (valid per browse_type_ok()); idempotent. */
void browse_add(struct browse *b, const char *type);
/* Stop browsing TYPE and forget its sightings (no events). */
void browse_remove(struct browse *b, const char *type);
/* Enumerate the LAN's service types (type_found events) while ON. */
void browse_types(struct browse *b, bool on);
/* Cap on sightings tracked at once. */
void browse_set_max(struct browse *b, size_t max);

/* Close kept resolvers until N more Avahi objects fit in the budget (for a
 * new entry group). Returns how many. */
size_t browse_make_room(struct browse *b, size_t n);

/* Fill the browse counters of *ret (instances, unresolved: never resolved
 * yet, dropped, resolvers). B may be NULL (left alone). */
void browse_stats(const struct browse *b, struct mdns_stats *ret);

/* The client reached RUNNING: (re)create browsers. */
void browse_client_running(struct browse *b);
/* The client is gone with its browsers and resolvers: forget them and
 * report each type unsettled. */
void browse_client_lost(struct browse *b);
