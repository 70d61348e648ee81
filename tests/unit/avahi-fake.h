/* SPDX-License-Identifier: MIT */
/* A stand-in for the part of libavahi-client that mdns/browse.c and
 * mdns/resolve.c use (service browsers and resolvers), for unit tests that
 * drive them without avahi-daemon: each object created is kept, so a test
 * can answer it, see whether it is still open, and refuse the next ones. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <ev.h>

#define AVAHI_FAKE_RESOLVERS 4096

struct AvahiServiceResolver {
	AvahiServiceResolverCallback cb;
	void *ud;
	AvahiIfIndex ifi;
	AvahiProtocol proto;
	char name[64];
	bool open;
};

struct AvahiServiceBrowser {
	AvahiServiceBrowserCallback cb;
	void *ud;
};

struct avahi_fake {
	int refuse; /* refuse the next N resolvers with TOO_MANY_OBJECTS */
	int err;    /* what avahi_client_errno() says */
	struct AvahiServiceResolver *res[AVAHI_FAKE_RESOLVERS]; /* every one created */
	size_t n_res, n_open;
	struct AvahiServiceBrowser *browser; /* the last one, NULL once freed */
};

extern struct avahi_fake avf;

/* Forget every object (freeing the resolvers) and zero the state. */
void avahi_fake_reset(void);

/* Run LOOP for S seconds (its timers: retries, refreshes, judgements). */
void avahi_fake_run(struct ev_loop *loop, double s);

/* The browser reports EV about instance NAME of TYPE on interface 2. */
void avahi_fake_item(AvahiBrowserEvent ev, const char *name, const char *type, AvahiProtocol proto);

/* The newest open resolver of NAME (on PROTO, or any with
 * AVAHI_PROTO_UNSPEC), or NULL. */
struct AvahiServiceResolver *avahi_fake_open_res(const char *name, AvahiProtocol proto);
