/* SPDX-License-Identifier: MIT */
/* State shared by the files of the mDNS backend on its own thread (client
 * lifecycle, publishing, browsing) and the events they send up; never
 * included outside mdns/. */
#pragma once

#include <ev.h>
#include <stdint.h>

#include <avahi-client/client.h>

#include "mdns/mdns.h"

struct evpoll;
struct publish;
struct presence;
struct browse;
struct resolve;
struct liveness;

/* Everything that lives on the backend thread. Only that thread touches
 * it, except where a member says otherwise. */
struct mdns_core {
	struct mdns *m;       /* the façade: queues and stats (mdns.c) */
	struct ev_loop *loop; /* the thread's own loop */
	struct evpoll *ep;
	/* The current client; NULL between a failure and the next connect. */
	AvahiClient *client;
	enum mdns_client_state state;
	/* (Re)connect attempt, also used for the first connect. */
	ev_timer retry;
	ev_tstamp connect_started;
	char last_msg[256]; /* last client_state message, to report changes once */
	struct publish *pub;
	struct presence *pres; /* this host's presence records (presence.c) */
	struct browse *br;
	struct resolve *res; /* browse's resolvers (resolve.c) */
	struct liveness *lv; /* the browsed hosts' presence (liveness.c) */
	ev_async wake;       /* commands queued (sent by the caller's thread) */
	/* Publishes the counters once an iteration's callbacks ran, before the
	 * loop blocks (an ev_check would run before them, a wakeup late). */
	ev_prepare stats_prepare;
	size_t objects;     /* Avahi objects this client holds */
	size_t objects_max; /* avahi-daemon's objects-per-client-max, once learnt */
	uint64_t avahi_calls;
	uint64_t resolves;
};

/* True if C has a client that can take registrations and browsers. */
static inline bool core_running(const struct mdns_core *c)
{
	return c->client && c->state == MDNS_CLIENT_RUNNING;
}

/* Count one blocking libavahi-client call (a D-Bus round trip); OBJECTS
 * is +1 / -1 when it created or freed an Avahi object, else 0. */
static inline void core_call(struct mdns_core *c, int objects)
{
	c->avahi_calls++;
	c->objects = (size_t)((ptrdiff_t)c->objects + objects);
}

/* objects_max until avahi-daemon refuses an object: objects-per-client-max
 * cannot be read over D-Bus, so it is learnt from the first refusal. */
#define OBJECTS_UNKNOWN SIZE_MAX

/* avahi-daemon refused an object (AVAHI_ERR_TOO_MANY_OBJECTS): its budget
 * is what C holds now. Returns true if that lowered the known budget. */
static inline bool core_refused(struct mdns_core *c)
{
	if (c->objects_max != OBJECTS_UNKNOWN && c->objects_max <= c->objects)
		return false;
	c->objects_max = c->objects;
	return true;
}

/* Events up to the caller's loop (mdns.c); each copies what it needs. On
 * OOM the event is lost and counted. */
void core_emit_client_state(struct mdns_core *c, enum mdns_client_state st, const char *msg);
void core_emit_pub_state(struct mdns_core *c, const char *key, enum mdns_pub_state st,
                         const char *instance, const char *msg);
void core_emit_instance(struct mdns_core *c, enum mdns_instance_event ev,
                        const struct mdns_instance *inst);
void core_emit_browse_state(struct mdns_core *c, const char *type, bool settled);
void core_emit_type_found(struct mdns_core *c, const char *type);
void core_emit_host_state(struct mdns_core *c, const char *host, int ifindex,
                          enum mdns_host_state st, size_t n);

/* Publish the backend's counters for mdns_get_stats(). */
void core_stats_update(struct mdns_core *c);

/* The client lifecycle (client.c): start connecting, and tear down. */
int client_start(struct mdns_core *c);
void client_stop(struct mdns_core *c);
