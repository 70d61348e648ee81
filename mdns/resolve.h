/* SPDX-License-Identifier: MIT */
/* Resolving sightings on the backend thread within avahi-daemon's
 * per-client object budget: short-lived resolvers (a few at a time, new
 * sightings first), one resolver per instance kept open while the budget
 * allows so that its changes arrive as they happen, and the others
 * resolved again on a schedule. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct br_inst;
struct mdns_core;
struct mdns_stats;
struct resolve;

/* The resolving half of C's browsing; NULL on OOM. */
struct resolve *resolve_new(struct mdns_core *c);
/* Free R; every sighting must have been removed. NULL is fine. */
void resolve_free(struct resolve *r);

/* Resolve new sighting I soon, before any refresh. */
void resolve_add(struct resolve *r, struct br_inst *i);
/* Why a sighting is removed. */
enum resolve_gone {
	RESOLVE_GONE_ONE,    /* it left: its sibling may need its own resolver */
	RESOLVE_GONE_TYPE,   /* its type is no longer browsed: so goes the sibling */
	RESOLVE_GONE_CLIENT, /* the client went, with the resolver */
};

/* Forget I: close its resolver (the client's already did, for
 * RESOLVE_GONE_CLIENT). Call while I is still in the table of sightings. */
void resolve_remove(struct resolve *r, struct br_inst *i, enum resolve_gone why);

/* Resolve I again soon, before refreshes, so that it is reported again
 * even if nothing changed (a kept resolver reports only changes). */
void resolve_soon(struct resolve *r, struct br_inst *i);

/* I's host is down: close its resolver and take it off every list (it
 * would fail, or report what is withheld) until resolve_soon(). */
void resolve_park(struct resolve *r, struct br_inst *i);

/* Close kept resolvers, oldest first, until N more objects fit in the
 * budget (for an entry group or a browser). Returns how many. */
size_t resolve_make_room(struct resolve *r, size_t n);

/* The client runs (again): resolve what failed before, and what waits. */
void resolve_client_running(struct resolve *r);
/* The client is gone: stop retrying (its sightings are removed with
 * CLIENT_GONE). */
void resolve_client_lost(struct resolve *r);

/* The resolver counters of *ret (resolvers). R may be NULL. */
void resolve_stats(const struct resolve *r, struct mdns_stats *ret);
