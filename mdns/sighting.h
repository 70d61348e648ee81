/* SPDX-License-Identifier: MIT */
/* A sighting (an instance on one interface and protocol) and its type, as
 * browse.c (browsers, the table of sightings) and resolve.c (resolvers,
 * their budget and schedule) share them on the backend thread; never
 * included outside mdns/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <avahi-client/lookup.h>

struct browse;
struct br_type;
struct lv_host;
struct mdns_core;
struct res_list;

/* What resolver a sighting has (resolve.c). */
enum res_state {
	RES_NONE, /* none */
	RES_ONCE, /* a short-lived one, freed at its answer */
	RES_KEPT, /* one kept open: its changes arrive as they happen */
};

/* One instance on one (interface, protocol). */
struct br_inst {
	/* browse.c */
	struct br_inst *hnext;       /* hash chain */
	struct br_inst *prev, *next; /* in its type's list */
	struct br_type *t;
	uint32_t hash;
	bool reported; /* an UPSERT was sent, so a REMOVE is owed */
	bool awaited;  /* its first result gates the type's settled state */
	bool local;    /* announced from this host (browse's LOCAL flag) */
	/* resolve.c: at most one list at a time */
	struct res_list *on;
	struct br_inst *qprev, *qnext;
	double due; /* when its refresh is due (ev_now), on a refresh list */
	AvahiServiceResolver *r;
	uint8_t res; /* enum res_state */
	/* liveness.c: the host it was last resolved on, if that is watched */
	struct lv_host *host;
	struct br_inst *lprev, *lnext; /* in the host's list */
	bool withheld;                 /* browse.c: its host is down, not reported */
	/* what it is */
	AvahiIfIndex ifindex;
	AvahiProtocol proto;
	char *domain; /* NULL: "local" */
	char name[];  /* instance name */
};

struct br_type {
	struct browse *b;
	struct mdns_core *c;
	char *type;
	AvahiServiceBrowser *sb; /* NULL while not running */
	struct br_inst *insts;
	size_t awaiting;  /* sightings found before ALL_FOR_NOW, unresolved */
	bool all_for_now; /* the browser's first pass is done */
	bool settled;     /* reported settled */
	struct br_type *next;
};

/* For resolve.c, from browse.c: */

/* I's resolver answered: report the instance and count I's first result. */
void sighting_found(struct br_inst *i, AvahiIfIndex ifi, const char *host, const AvahiAddress *a,
                    uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags);

/* I's first resolution failed: it no longer holds up its type's settling. */
void sighting_failed(struct br_inst *i);

/* The sighting of I's instance on the same interface with the other
 * protocol, or NULL. */
struct br_inst *sighting_sibling(const struct br_inst *i);

/* For liveness.c, from browse.c: */

/* I's host is down: report I removed (MDNS_GONE_HOST_DOWN) if it was
 * reported, and withhold it, unresolved (resolve_park()). Idempotent. */
void sighting_withhold(struct br_inst *i);
/* I's host answers again: resolve I again soon, to report it. */
void sighting_release(struct br_inst *i);
