/* SPDX-License-Identifier: MIT */
/* State shared by the files of the mDNS layer (client lifecycle, publishing,
 * browsing); never included outside mdns/. */
#pragma once

#include <ev.h>

#include <avahi-client/client.h>

#include "mdns/mdns.h"

struct evpoll;
struct publish;
struct browse;

struct mdns {
	struct ev_loop *loop;
	struct mdns_callbacks cb;
	void *userdata;
	struct evpoll *ep;
	/* The current client; NULL between a failure and the next connect. */
	AvahiClient *client;
	enum mdns_client_state state;
	/* (Re)connect attempt, also used for the first connect so no callback
	 * runs before mdns_new() returns. */
	ev_timer retry;
	ev_tstamp connect_started;
	char last_msg[256]; /* last client_state message, to report changes once */
	struct publish *pub;
	struct browse *br;
};

/* True if M has a client that can take registrations and browsers. */
static inline bool mdns_running(const struct mdns *m)
{
	return m->client && m->state == MDNS_CLIENT_RUNNING;
}
