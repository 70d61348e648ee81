/* SPDX-License-Identifier: MIT */
/* The mDNS backend's contract with agent/: publish records of the published
 * set and browse the LAN through avahi-daemon. Every libavahi-client call
 * runs on the backend's own thread; the caller's loop only queues commands
 * and receives events, so it never waits on D-Bus. No Avahi type appears
 * here, and nothing of config/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "dnssd/record.h"

struct ev_loop;
struct mdns; /* opaque */

/* State of the avahi client connection. */
enum mdns_client_state {
	MDNS_CLIENT_CONNECTING,  /* daemon or bus not (yet) reachable */
	MDNS_CLIENT_REGISTERING, /* host name being probed */
	MDNS_CLIENT_RUNNING,
	MDNS_CLIENT_COLLISION, /* host name collision, being resolved */
	MDNS_CLIENT_FAILURE,   /* lost; a new client is being created */
};

/* State of one published record (one entry group). */
enum mdns_pub_state {
	MDNS_PUB_PENDING,     /* waiting for the client to run */
	MDNS_PUB_REGISTERING, /* probing */
	MDNS_PUB_ESTABLISHED,
	MDNS_PUB_COLLISION, /* renamed, re-probing */
	MDNS_PUB_FAILED,    /* gave up; message says why */
};

/* One resolved instance as seen on one (interface, protocol). */
struct mdns_instance {
	const char *name;   /* instance name */
	const char *type;   /* "_http._tcp" */
	const char *domain; /* "local" */
	const char *host;   /* "hostb.local" */
	int ifindex;
	int family;                   /* AF_INET or AF_INET6 (address family) */
	struct sockaddr_storage addr; /* port not set; see port */
	uint16_t port;
	/* TXT as raw strings in record order (binary-safe). */
	const uint8_t *const *txt;
	const size_t *txt_len;
	size_t n_txt;
	/* Announced from this host: by this lanyardd or by any other local
	 * client of avahi-daemon (AVAHI_LOOKUP_RESULT_LOCAL). */
	bool local;
	/* Published by this lanyardd: one of the entry groups of the backend's
	 * own avahi client (AVAHI_LOOKUP_RESULT_OUR_OWN), so not another local
	 * user's (avahi-daemon lets every local user publish over D-Bus). */
	bool ours;
	uint8_t gone; /* REMOVE: enum mdns_gone, why */
};

enum mdns_instance_event {
	MDNS_INSTANCE_UPSERT, /* new or changed (resolver result) */
	MDNS_INSTANCE_REMOVE, /* gone on this (ifindex, family); only
	                         name/type/domain/ifindex/family/gone set */
};

/* Why an instance was removed. */
enum mdns_gone {
	MDNS_GONE_WITHDRAWN, /* mDNS withdrew it: a goodbye, or its records expired */
	MDNS_GONE_HOST_DOWN, /* its host's lanyardd stopped answering (liveness) */
};

/* What the backend knows of a host running lanyardd (its presence
 * records, see docs/operations.md), on one interface. */
enum mdns_host_state {
	MDNS_HOST_UP,   /* its presence answers */
	MDNS_HOST_DOWN, /* its presence expired: its instances are removed
	                   (MDNS_GONE_HOST_DOWN) until it answers again */
	MDNS_HOST_LEFT, /* its lanyardd said goodbye: mDNS's own timing again */
};

/* Callbacks run on the loop given to mdns_new(), in the order the backend
 * produced them, never from inside an mdns_* call. They may call any mdns_*
 * function but mdns_free(). Pointers are valid only during the call. */
struct mdns_callbacks {
	void (*client_state)(void *userdata, enum mdns_client_state state, const char *msg);
	/* The record KEY changed publishing state; INSTANCE is its current
	 * (possibly renamed) instance name. */
	void (*pub_state)(void *userdata, const char *key, enum mdns_pub_state state,
	                  const char *instance, const char *msg);
	/* Browse results. */
	void (*instance)(void *userdata, enum mdns_instance_event ev,
	                 const struct mdns_instance *inst);
	/* settled=true: the browse of TYPE finished its first pass
	 * (ALL_FOR_NOW) and every instance seen in it has been resolved once
	 * (UPSERT) or failed to resolve. settled=false: the client was lost
	 * (or the browser failed); no REMOVE is sent for its instances. The
	 * cache should mark TYPE's entries stale, refresh those UPSERTed
	 * again, and drop the ones still stale at the next settled=true. */
	void (*browse_state)(void *userdata, const char *type, bool settled);
	/* The type enumeration (mdns_browse_types) met TYPE (once per type
	 * per enumeration). It is not browsed unless mdns_browse() is called. */
	void (*type_found)(void *userdata, const char *type);
	/* HOST (an SRV target, "hostb.local") changed state on IFINDEX; N is
	 * how many of its sightings were removed (DOWN) or are back (UP). */
	void (*host_state)(void *userdata, const char *host, int ifindex,
	                   enum mdns_host_state state, size_t n);
};

/* Where records are published: the interfaces (names; none = every
 * interface avahi-daemon uses) and the domain (NULL or "local" = avahi's
 * default). */
struct mdns_scope {
	const char *const *interfaces;
	size_t n_interfaces;
	const char *domain;
};

/* Start the backend: its thread connects to avahi-daemon in the background
 * and reconnects whenever the daemon comes back (republishing and
 * rebrowsing). Callbacks are delivered on LOOP. Returns NULL on OOM or when
 * the thread cannot start, with a message in ERR. */
struct mdns *mdns_new(struct ev_loop *loop, const struct mdns_callbacks *cb, void *userdata,
                      char *err, size_t errlen);

/* Publish on SCOPE from now on (copied); a change re-registers every
 * record. Returns 0 or -ENOMEM (nothing changed). */
int mdns_set_scope(struct mdns *m, const struct mdns_scope *scope);

/* Publish R under R->key (copied), replacing the record of that key: an
 * identical one is left alone, a TXT-only change updated in place, any
 * other change withdrawn and re-registered. A record whose registration
 * FAILED is retried by a put, even if unchanged. Returns 0 or -ENOMEM. */
int mdns_put(struct mdns *m, const struct dnssd_record *r);

/* Withdraw the record KEY (goodbye packets). Unknown keys are ignored.
 * Returns 0 or -ENOMEM. */
int mdns_delete(struct mdns *m, const char *key);

/* Browse TYPE ("_http._tcp"); idempotent, remembered across reconnects.
 * Every instance found is resolved, and changes to it (TXT, port,
 * address) arrive as further UPSERTs. Returns 0, -EINVAL (not a DNS-SD
 * service type) or -ENOMEM. The caller bounds how many types it browses. */
int mdns_browse(struct mdns *m, const char *type);

/* Stop browsing TYPE; its instances are forgotten without REMOVE events
 * (the caller drops them). Returns 0, -EINVAL or -ENOMEM. */
int mdns_unbrowse(struct mdns *m, const char *type);

/* Enumerate the service types on the LAN (type_found per type) while ON.
 * Returns 0 or -ENOMEM. */
int mdns_browse_types(struct mdns *m, bool on);

/* Cap on instance sightings tracked at once ((interface, protocol, name));
 * more are dropped and counted. Default 100000. Returns 0 or -ENOMEM. */
int mdns_set_max_instances(struct mdns *m, size_t max);

struct mdns_stats {
	size_t instances;        /* tracked (interface, protocol, name) sightings */
	size_t unresolved;       /* of which not resolved yet */
	size_t dropped;          /* sightings ignored because of the cap */
	size_t resolvers;        /* Avahi resolvers open now: */
	size_t kept;             /* of which kept open for changes */
	size_t queued;           /* sightings waiting for a resolver */
	size_t failed;           /* sightings whose first resolution failed (retried) */
	size_t objects;          /* Avahi objects (groups, browsers, resolvers) open now */
	size_t objects_max;      /* avahi-daemon's per-client budget once learnt, else 0 */
	uint64_t resolves;       /* resolutions started since start */
	uint64_t avahi_calls;    /* blocking libavahi-client calls (D-Bus round trips) */
	size_t hosts;            /* hosts whose presence is watched (liveness) */
	size_t hosts_up;         /* of which answering */
	size_t hosts_down;       /* of which down: their sightings withheld */
	size_t withheld;         /* sightings withheld because their host is down */
	bool presence;           /* this host's presence records are published */
	size_t commands_pending; /* queued for the backend thread */
	size_t events_pending;   /* produced, not yet delivered */
	uint64_t events_lost;    /* lost for lack of memory (the cache may be off) */
};
/* Fill *ret with the counters above (a consistent snapshot). */
void mdns_get_stats(struct mdns *m, struct mdns_stats *ret);

/* The last client state delivered (CONNECTING until the first event). */
enum mdns_client_state mdns_client_state(const struct mdns *m);

/* Withdraw every published record (goodbye packets), stop the thread and
 * free everything. Blocks until the backend is done. Events still queued
 * are dropped. NULL is fine. */
void mdns_free(struct mdns *m);
