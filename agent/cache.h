/* SPDX-License-Identifier: MIT */
/* The instance cache: what the browse layer saw on the LAN, one entry per
 * logical instance, with O(1) lookups by key, type and service name. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnssd/txt.h"
#include "mdns/mdns.h"

#define CACHE_NAME_MAX      255 /* instance, type, domain and host names, bytes */
#define CACHE_MAX_SIGHTINGS 32  /* (ifindex, family) sightings per instance */
#define CACHE_DEFAULT_MAX   10000
/* The ifindex of a sighting found over unicast DNS (a browsed zone, not an
 * interface). The mDNS browse's lifecycle (cache_mark_stale(),
 * cache_sweep_stale(), cache_clear_type()) leaves such sightings alone:
 * their browser adds and removes them. */
#define CACHE_IFINDEX_DNS 0

/* What an upsert or removal did. */
enum cache_result {
	CACHE_UNCHANGED,
	CACHE_ADDED,
	CACHE_CHANGED,
	CACHE_REMOVED,
	CACHE_DROPPED, /* refused by a limit (counted in cache_stats.dropped) */
};

enum cache_event {
	CACHE_EVENT_ADDED,
	CACHE_EVENT_CHANGED,
	CACHE_EVENT_REMOVED,
};

/* What changed, for CACHE_EVENT_CHANGED (bits). */
enum cache_change {
	CACHE_CH_HOST = 1u << 0,
	CACHE_CH_PORT = 1u << 1,
	CACHE_CH_TXT = 1u << 2,
	CACHE_CH_ADDRS = 1u << 3,  /* the set of unique addresses */
	CACHE_CH_IFACES = 1u << 4, /* the set of (ifindex, family) sightings */
	CACHE_CH_LOCAL = 1u << 5,
	CACHE_CH_DOWN = 1u << 6, /* cache_set_down() */
};

/* Why an entry left the cache (cache_entry.gone, read in its REMOVED
 * event). */
enum cache_gone {
	CACHE_GONE_WITHDRAWN, /* its publisher said goodbye, or mDNS expired it */
	CACHE_GONE_HOST_DOWN, /* its host stopped answering (mdns liveness) */
	CACHE_GONE_STALE,     /* not seen again after a browse restart */
	CACHE_GONE_RELEASED,  /* this agent stopped browsing its type */
};

/* "withdrawn", "host_down", "stale", "released". */
const char *cache_gone_name(enum cache_gone why);

/* Why an upsert was refused. */
enum cache_drop {
	CACHE_DROP_TOTAL,     /* max_instances reached */
	CACHE_DROP_TYPE,      /* this type's share (max_per_type) reached */
	CACHE_DROP_SIGHTINGS, /* CACHE_MAX_SIGHTINGS reached for the instance */
	CACHE_DROP_INVALID,   /* malformed sighting (upsert returned -EINVAL), e.g. a
	                         name that is not UTF-8 */
	_CACHE_DROP_MAX,
};

struct cache_params {
	size_t max_instances; /* 0 = CACHE_DEFAULT_MAX */
	/* Instances one type may hold, so a flood of one type cannot crowd
	 * out the others; 0 = max(max_instances / 2, 1). */
	size_t max_per_type;
	uint8_t hash_key[16]; /* SipHash key: fill with random bytes (hash flooding) */
};

/* A unique address. scope_id is set for IPv6 link-local addresses. */
struct cache_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t len;    /* 4 or 16 */
	uint16_t unused;
	uint32_t scope_id;
	uint8_t bytes[16];
};

/* One (ifindex, family) on which the instance was resolved, and what that
 * resolver reported. */
struct cache_sighting {
	int32_t ifindex;
	int32_t family; /* as in struct mdns_instance */
	bool ours;      /* published by this lanyardd (mdns_instance.ours) */
	bool stale;     /* not confirmed since cache_mark_stale() */
	struct cache_addr addr;
};

struct cache_type;

/* One logical instance, keyed by (name, type, domain), compared
 * case-insensitively. Read-only for callers; valid until the call that
 * removes it (its CACHE_EVENT_REMOVED is the last look). */
struct cache_entry {
	const char *name;   /* instance name */
	const char *domain; /* "local" */
	const char *host;   /* target host name of the latest sighting, "" if none */
	struct cache_type *type;
	uint16_t port; /* of the latest sighting */
	/* Published by this lanyardd (a sighting's mdns_instance.ours): its
	 * own declared services and registrations, never what another local
	 * user or a peer announces. Selection's "prefer local" means this. */
	bool local;
	bool stale;   /* every sighting is stale */
	uint8_t gone; /* enum cache_gone; set for the REMOVED event */
	bool down;    /* probing found it dead (cache_set_down): not handed out */
	uint8_t n_sightings;
	uint8_t n_addrs;
	uint8_t cap; /* room in sightings/addrs */
	struct cache_sighting *sightings;
	struct cache_addr *addrs; /* unique addresses of the sightings, first seen first */
	struct txt *txt;          /* of the latest sighting; never NULL */
	double first_seen, last_changed;
	/* Changes with last_changed, whenever the entry's content does (a
	 * value its type's generation took then: unique in the cache). */
	uint64_t generation;
	uint64_t id; /* unique for the cache's lifetime */
	void *user;  /* caller's slot; see cache_set_release() */
	/* The presentation layer's serialised form of the entry (agent/present.c),
	 * free()d with the entry; current while text_gen == generation. */
	char *text;
	size_t text_len;
	uint64_t text_gen;
	/* private */
	struct cache_entry *hnext, *prev, *next; /* key chain; list of the type */
	uint64_t hash;
};

/* Every instance of one DNS-SD type. A type exists while it has entries. */
struct cache_type {
	const char *name;    /* "_payments._tcp" */
	const char *service; /* "payments" */
	size_t n_entries;
	/* Changes whenever an entry of the type is added, changed or removed,
	 * or its stale mark changes (cache_mark_stale(), an upsert that
	 * confirms it: no event for these);
	 * unique across types and across the type's lifetimes, so it can key
	 * a derived array: same generation, same entries. */
	uint64_t generation;
	struct cache_entry *first; /* iterate with entry->next */
	struct cache_type *next;   /* all types: cache_first_type(), then ->next */
	void *user;                /* caller's slot; see cache_set_release() */
	/* private */
	struct cache_type *prev, *hnext, *snext;
	uint64_t hash, shash;
};

struct cache_stats {
	size_t instances;
	size_t types;
	size_t bytes; /* heap bytes the cache holds (requested sizes) */
	uint64_t added, changed, removed;
	uint64_t dropped[_CACHE_DROP_MAX];
};

struct cache;

typedef void (*cache_event_fn)(void *userdata, enum cache_event ev, const struct cache_entry *e,
                               unsigned changes);
typedef void (*cache_release_fn)(void *userdata, void *user);

/* Whether E was found in a browsed zone (its sightings are; a zone is never
 * "local", so mDNS and unicast DNS sightings never share an entry). */
static inline bool cache_entry_from_dns(const struct cache_entry *e)
{
	return e->n_sightings && e->sightings[0].ifindex == CACHE_IFINDEX_DNS;
}

/* New empty cache; P may be NULL for defaults. NULL on OOM. */
struct cache *cache_new(const struct cache_params *p);

/* Bound the instances held from now on to MAX (0: CACHE_DEFAULT_MAX), each
 * type to half of it (the params' max_per_type is recomputed). Entries
 * already held stay; the bounds refuse new ones. */
void cache_set_max_instances(struct cache *c, size_t max);

/* Free every entry (no events; release hooks run) and the cache. */
void cache_free(struct cache *c);

/* Call FN after every add, change and removal (REMOVED before the entry
 * is freed). FN must not call a cache function that modifies the cache:
 * those return -EBUSY meanwhile. NULL disables. */
void cache_set_event_cb(struct cache *c, cache_event_fn fn, void *userdata);

/* Hooks called with a non-NULL entry->user / type->user when the entry or
 * type is freed, so a caller can keep per-instance state in the slot. */
void cache_set_release(struct cache *c, cache_release_fn entry_fn, cache_release_fn type_fn,
                       void *userdata);

/* Record sighting S (the resolver result for one (ifindex, family)) at
 * time NOW. The entry takes S's host, port and TXT (latest wins) and keeps
 * one address per sighting. Copies what it keeps. Returns CACHE_ADDED,
 * CACHE_CHANGED, CACHE_UNCHANGED (also clears the sighting's stale mark)
 * or CACHE_DROPPED; -EINVAL for a malformed sighting (empty or over-long
 * names, names (host included) that are not UTF-8 or hold a NUL, a type
 * dnssd_check_type() refuses, an address neither IPv4 nor IPv6), -ENOMEM
 * (the cache is unchanged) or -EBUSY. So every string of an entry is
 * valid UTF-8 and renders as a JSON string. */
int cache_upsert(struct cache *c, const struct mdns_instance *s, double now);

/* Forget the (IFINDEX, FAMILY) sighting of an instance; the entry goes
 * with its last sighting, for reason WHY. DOMAIN NULL means "local". Returns
 * CACHE_REMOVED, CACHE_CHANGED, -ENOENT (no such entry or sighting) or
 * -EBUSY. */
int cache_remove_sighting(struct cache *c, const char *name, const char *type, const char *domain,
                          int ifindex, int family, enum cache_gone why, double now);

/* Mark E down (or up again) at NOW: a CHANGED event with CACHE_CH_DOWN
 * when that changes it. Returns CACHE_CHANGED, CACHE_UNCHANGED or
 * -EBUSY. */
int cache_set_down(struct cache *c, struct cache_entry *e, bool down, double now);

/* Mark every mDNS sighting of TYPE (NULL: of all types) stale, e.g. when
 * the browse restarts after avahi-daemon came back. Upserts clear the
 * marks; cache_sweep_stale() then drops what was not seen again. Stale
 * entries stay usable. Returns the number of entries marked or -EBUSY. */
int cache_mark_stale(struct cache *c, const char *type);

/* Remove the stale sightings of TYPE (NULL: of all types), and the
 * entries left without one. Returns the number of entries removed or
 * -EBUSY. */
int cache_sweep_stale(struct cache *c, const char *type, double now);

/* Remove every entry of TYPE found over mDNS. Returns the number removed
 * or -EBUSY. */
int cache_clear_type(struct cache *c, const char *type, double now);

/* O(1) lookups; NULL when absent. DOMAIN NULL means "local". */
struct cache_entry *cache_find(const struct cache *c, const char *name, const char *type,
                               const char *domain);
struct cache_type *cache_find_type(const struct cache *c, const char *type);

/* The first type whose service label is SERVICE ("payments" finds
 * "_payments._tcp"); cache_service_next() gives the others (e.g. the
 * "_udp" one) in no particular order. */
struct cache_type *cache_find_service(const struct cache *c, const char *service);
struct cache_type *cache_service_next(const struct cache_type *t);

/* First type for iteration (then type->next), or NULL. */
struct cache_type *cache_first_type(const struct cache *c);

void cache_get_stats(const struct cache *c, struct cache_stats *ret);

/* Preference of address A for connecting, lower is better: 0 IPv4, 1 IPv6,
 * 2 IPv4 link-local, 3 IPv6 link-local (scoped). Instance objects list
 * addresses in this order. */
int cache_addr_rank(const struct cache_addr *a);

/* The address to connect to E on: of FAMILY (AF_INET, AF_INET6 or
 * AF_UNSPEC for either), the best ranked; NULL if none. */
const struct cache_addr *cache_entry_addr(const struct cache_entry *e, int family);

/* A as text ("192.0.2.1", "fe80::1%2" with a scope) into BUF (at least 64
 * bytes). Returns BUF. */
const char *cache_addr_format(const struct cache_addr *a, char *buf, size_t len);
