/* SPDX-License-Identifier: MIT */
/* The mDNS layer's contract with agent/: publish declared services and browse
 * the LAN through avahi-daemon, reporting back through callbacks. No Avahi
 * type appears here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "config/config.h"

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

/* State of one published service (one entry group). */
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
	bool local; /* published by this host */
};

enum mdns_instance_event {
	MDNS_INSTANCE_UPSERT, /* new or changed (resolver result) */
	MDNS_INSTANCE_REMOVE, /* gone on this (ifindex, family); only
	                         name/type/domain/ifindex/family set */
};

struct mdns_callbacks {
	void (*client_state)(void *userdata, enum mdns_client_state state, const char *msg);
	/* A declared service changed publishing state; instance is its current
	 * (possibly renamed) instance name. */
	void (*pub_state)(void *userdata, const char *service, enum mdns_pub_state state,
	                  const char *instance, const char *msg);
	/* Browse results (issue 4). */
	void (*instance)(void *userdata, enum mdns_instance_event ev,
	                 const struct mdns_instance *inst);
	/* settled=true: the browse of TYPE finished its first pass
	 * (ALL_FOR_NOW) and every instance seen in it has been resolved once
	 * (UPSERT) or failed to resolve. settled=false: the client was lost
	 * (or the browser failed); no REMOVE is sent for its instances. The
	 * cache should mark TYPE's entries stale, refresh those UPSERTed
	 * again, and drop the ones still stale at the next settled=true. */
	void (*browse_state)(void *userdata, const char *type, bool settled);
	/* mdns_browse_all() discovered TYPE (once per type); it is browsed. */
	void (*type_found)(void *userdata, const char *type);
};

/* Callbacks run from LOOP, never from inside mdns_new() or mdns_free().
 * A callback must not call mdns_free() or mdns_publish(); defer those (e.g.
 * with an ev_idle). Pointers passed to callbacks are valid only during the
 * call. */

/* Create the mDNS layer on LOOP. Never fails because avahi-daemon is absent:
 * it connects (and reconnects) in the background. Returns NULL on OOM or a
 * fatal Avahi error, with a message in err. */
struct mdns *mdns_new(struct ev_loop *loop, const struct mdns_callbacks *cb, void *userdata,
                      char *err, size_t errlen);

/* Make the published set equal CFG's services: unchanged services are left
 * alone, TXT-only changes are updated in place, changed ones re-registered,
 * removed ones withdrawn, new ones published. CFG is only read during the
 * call (the layer copies what it needs; free it afterwards). A change of
 * agent.domain or agent.interfaces re-registers every service. pub_state
 * may be called from inside this function (PENDING, FAILED, COLLISION).
 * Services whose registration FAILED (other than for invalid content) are
 * retried by every call, even if unchanged.
 * Returns 0, -EINVAL, or -ENOMEM (then nothing changed). */
int mdns_publish(struct mdns *m, const struct lanyard_config *cfg);

/* Current instance name of declared SERVICE (after %h expansion and any
 * collision rename), or NULL if unknown or not yet registered. Owned by the
 * layer; valid until the next mdns_* call or loop iteration. */
const char *mdns_instance_name(const struct mdns *m, const char *service);

/* Browse TYPE (a DNS-SD type like "_http._tcp", or a subtype like
 * "_api._sub._http._tcp"); idempotent, and remembered: re-created after a
 * reconnect. Every instance found gets a resolver kept open, so TXT, port
 * and address changes arrive as further UPSERTs. Safe to call from a
 * callback. Returns 0, -EINVAL (not a service type), -E2BIG (more than 512
 * types) or -ENOMEM. */
int mdns_browse(struct mdns *m, const char *type);
/* Enumerate every service type on the LAN and browse each (type_found is
 * called once per new type). Returns 0 or -EINVAL. */
int mdns_browse_all(struct mdns *m);

/* Cap on instances tracked at once (one open resolver each, keyed by
 * interface, protocol and name); more are dropped and counted. Default
 * 100000. avahi-daemon itself refuses more than objects-per-client-max
 * (default 1024) browsers+resolvers per client: raise it in
 * avahi-daemon.conf for large LANs; refused resolvers are retried every 5 s
 * and counted as unresolved. */
void mdns_set_max_instances(struct mdns *m, size_t max);

struct mdns_stats {
	size_t instances;  /* tracked (interface, protocol, name) sightings */
	size_t unresolved; /* of which avahi-daemon refused a resolver */
	size_t dropped;    /* sightings ignored because of the cap */
};
/* Fill *ret with the browse counters above. */
void mdns_get_stats(const struct mdns *m, struct mdns_stats *ret);

/* The last client state reported (CONNECTING until the loop first runs). */
enum mdns_client_state mdns_client_state(const struct mdns *m);

/* Withdraw every published service (goodbye packets) and free everything. */
void mdns_free(struct mdns *m);
