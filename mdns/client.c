/* SPDX-License-Identifier: MIT */
/* The avahi client's lifecycle on the backend thread: connect in the
 * background, follow its states, and rebuild everything on a new client
 * after a failure. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <avahi-common/error.h>

#include "dnssd/clock.h"
#include "mdns/browse.h"
#include "mdns/evpoll.h"
#include "mdns/internal.h"
#include "mdns/liveness.h"
#include "mdns/presence.h"
#include "mdns/publish.h"

/* Delay before reconnecting when the bus is absent or a client failed soon
 * after it was created; a long-lived client is replaced at once. */
#define RETRY_S  1.0
#define STABLE_S 5.0

static void set_state(struct mdns_core *c, enum mdns_client_state st, const char *msg)
{
	if (c->state == st && strcmp(c->last_msg, msg ? msg : "") == 0)
		return;
	c->state = st;
	snprintf(c->last_msg, sizeof(c->last_msg), "%s", msg ? msg : "");
	core_emit_client_state(c, st, msg);
}

static void schedule_connect(struct mdns_core *c, ev_tstamp delay)
{
	ev_timer_stop(c->loop, &c->retry);
	ev_timer_set(&c->retry, delay, 0.);
	ev_timer_start(c->loop, &c->retry);
}

/* The client is gone with every object it created. */
static void client_lost(struct mdns_core *c)
{
	publish_client_lost(c->pub);
	presence_client_lost(c->pres);
	/* Before the sightings go: it lets go of them. */
	liveness_client_lost(c->lv);
	browse_client_lost(c->br);
	c->client = NULL;
	c->objects = 0;
	c->objects_max = OBJECTS_UNKNOWN; /* a new daemon may have new limits */
}

static void client_cb(AvahiClient *cl, AvahiClientState st, void *userdata)
{
	struct mdns_core *c = userdata;
	char msg[200];

	/* The first call comes from inside avahi_client_new(). */
	c->client = cl;
	switch (st) {
	case AVAHI_CLIENT_S_RUNNING:
		set_state(c, MDNS_CLIENT_RUNNING, NULL);
		presence_client_running(c->pres);
		publish_client_running(c->pub);
		browse_client_running(c->br);
		liveness_client_running(c->lv);
		break;
	case AVAHI_CLIENT_S_COLLISION:
		set_state(c, MDNS_CLIENT_COLLISION,
		          "host name collision; avahi-daemon picks another");
		presence_client_reset(c->pres);
		publish_client_reset(c->pub);
		break;
	case AVAHI_CLIENT_S_REGISTERING:
		set_state(c, MDNS_CLIENT_REGISTERING, NULL);
		presence_client_reset(c->pres);
		publish_client_reset(c->pub);
		break;
	case AVAHI_CLIENT_CONNECTING:
		set_state(c, MDNS_CLIENT_CONNECTING, "waiting for avahi-daemon");
		break;
	case AVAHI_CLIENT_FAILURE:
		snprintf(msg, sizeof(msg), "avahi client failed: %s; reconnecting",
		         avahi_strerror(avahi_client_errno(cl)));
		set_state(c, MDNS_CLIENT_FAILURE, msg);
		client_lost(c);
		/* Freeing the client from its own callback is what Avahi's
		 * tools do; the D-Bus glue's watches are released after this
		 * dispatch returns (evpoll defers). */
		avahi_client_free(cl);
		schedule_connect(c, clock_mono() - c->connect_started >= STABLE_S ? 0. : RETRY_S);
		break;
	}
}

static void connect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mdns_core *c = w->data;
	AvahiClient *cl;
	char msg[200];
	int err = 0;

	c->connect_started = clock_mono();
	/* NO_FAIL: succeeds without avahi-daemon (CONNECTING, woken by the
	 * bus when the daemon appears); fails only without a system bus. */
	core_call(c, 0);
	cl = avahi_client_new(evpoll_get(c->ep), AVAHI_CLIENT_NO_FAIL, client_cb, c, &err);
	if (cl) {
		c->client = cl;
		return;
	}
	if (c->client)
		client_lost(c); /* it ran callbacks before failing */
	snprintf(msg, sizeof(msg),
	         "cannot reach avahi-daemon over the D-Bus system bus: %s; retrying",
	         avahi_strerror(err));
	set_state(c, MDNS_CLIENT_CONNECTING, msg);
	schedule_connect(c, RETRY_S);
}

int client_start(struct mdns_core *c)
{
	/* Connect from the thread's loop, once it runs. */
	ev_timer_init(&c->retry, connect_cb, 0., 0.);
	c->retry.data = c;
	ev_timer_start(c->loop, &c->retry);
	return 0;
}

void client_stop(struct mdns_core *c)
{
	AvahiClient *cl = c->client;

	ev_timer_stop(c->loop, &c->retry);
	if (cl) {
		/* One step: closing the connection makes avahi-daemon free
		 * this client's groups (sending their goodbyes), browsers and
		 * resolvers itself, and libavahi-client free its copies
		 * without a D-Bus round trip each (one each would take
		 * minutes with avahi-daemon swamped). */
		client_lost(c);
		avahi_client_free(cl);
	}
	browse_free(c->br);
	c->br = NULL;
	liveness_free(c->lv);
	c->lv = NULL;
	presence_free(c->pres);
	c->pres = NULL;
	publish_free(c->pub);
	c->pub = NULL;
}
