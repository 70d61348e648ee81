/* SPDX-License-Identifier: MIT */
/* The avahi client's lifecycle: connect in the background, follow its
 * states, and rebuild everything on a new client after a failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-common/error.h>

#include "mdns/browse.h"
#include "mdns/evpoll.h"
#include "mdns/internal.h"
#include "mdns/publish.h"

/* Delay before reconnecting when the bus is absent or a client failed soon
 * after it was created; a long-lived client is replaced at once. */
#define RETRY_S  1.0
#define STABLE_S 5.0

static void set_state(struct mdns *m, enum mdns_client_state st, const char *msg)
{
	if (m->state == st && strcmp(m->last_msg, msg ? msg : "") == 0)
		return;
	m->state = st;
	snprintf(m->last_msg, sizeof(m->last_msg), "%s", msg ? msg : "");
	if (m->cb.client_state)
		m->cb.client_state(m->userdata, st, msg);
}

static void schedule_connect(struct mdns *m, ev_tstamp delay)
{
	ev_timer_stop(m->loop, &m->retry);
	ev_timer_set(&m->retry, delay, 0.);
	ev_timer_start(m->loop, &m->retry);
}

static void client_cb(AvahiClient *c, AvahiClientState st, void *userdata)
{
	struct mdns *m = userdata;
	char msg[200];

	/* The first call comes from inside avahi_client_new(). */
	m->client = c;
	switch (st) {
	case AVAHI_CLIENT_S_RUNNING:
		set_state(m, MDNS_CLIENT_RUNNING, NULL);
		publish_client_running(m->pub);
		browse_client_running(m->br);
		break;
	case AVAHI_CLIENT_S_COLLISION:
		set_state(m, MDNS_CLIENT_COLLISION,
		          "host name collision; avahi-daemon picks another");
		publish_client_reset(m->pub);
		break;
	case AVAHI_CLIENT_S_REGISTERING:
		set_state(m, MDNS_CLIENT_REGISTERING, NULL);
		publish_client_reset(m->pub);
		break;
	case AVAHI_CLIENT_CONNECTING:
		set_state(m, MDNS_CLIENT_CONNECTING, "waiting for avahi-daemon");
		break;
	case AVAHI_CLIENT_FAILURE:
		snprintf(msg, sizeof(msg), "avahi client failed: %s; reconnecting",
		         avahi_strerror(avahi_client_errno(c)));
		set_state(m, MDNS_CLIENT_FAILURE, msg);
		publish_client_lost(m->pub);
		browse_client_lost(m->br);
		m->client = NULL;
		/* Freeing the client from its own callback is what Avahi's
		 * tools do; the D-Bus glue's watches are released after this
		 * dispatch returns (evpoll defers). */
		avahi_client_free(c);
		schedule_connect(m,
		                 ev_now(m->loop) - m->connect_started >= STABLE_S ? 0. : RETRY_S);
		break;
	}
}

static void connect_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mdns *m = w->data;
	AvahiClient *c;
	char msg[200];
	int err = 0;

	m->connect_started = ev_now(loop);
	/* NO_FAIL: succeeds without avahi-daemon (CONNECTING, woken by the
	 * bus when the daemon appears); fails only without a system bus. */
	c = avahi_client_new(evpoll_get(m->ep), AVAHI_CLIENT_NO_FAIL, client_cb, m, &err);
	if (c) {
		m->client = c;
		return;
	}
	if (m->client) {
		/* It ran callbacks before failing: drop what it created. */
		publish_client_lost(m->pub);
		browse_client_lost(m->br);
		m->client = NULL;
	}
	snprintf(msg, sizeof(msg),
	         "cannot reach avahi-daemon over the D-Bus system bus: %s; retrying",
	         avahi_strerror(err));
	set_state(m, MDNS_CLIENT_CONNECTING, msg);
	schedule_connect(m, RETRY_S);
}

struct mdns *mdns_new(struct ev_loop *loop, const struct mdns_callbacks *cb, void *userdata,
                      char *err, size_t errlen)
{
	struct mdns *m;

	if (!loop) {
		if (err && errlen)
			snprintf(err, errlen, "no event loop");
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto oom;
	m->loop = loop;
	if (cb)
		m->cb = *cb;
	m->userdata = userdata;
	m->state = MDNS_CLIENT_CONNECTING;
	m->ep = evpoll_new(loop);
	m->pub = publish_new(m);
	m->br = browse_new(m);
	if (!m->ep || !m->pub || !m->br)
		goto oom;
	/* Connect from the loop, so no callback runs before we return. */
	ev_timer_init(&m->retry, connect_cb, 0., 0.);
	m->retry.data = m;
	ev_timer_start(loop, &m->retry);
	return m;
oom:
	if (err && errlen)
		snprintf(err, errlen, "out of memory");
	mdns_free(m);
	return NULL;
}

int mdns_publish(struct mdns *m, const struct lanyard_config *cfg)
{
	if (!m || !cfg)
		return -EINVAL;
	return publish_apply(m->pub, cfg);
}

int mdns_browse(struct mdns *m, const char *type)
{
	if (!m)
		return -EINVAL;
	return browse_add(m->br, type);
}

int mdns_browse_all(struct mdns *m)
{
	if (!m)
		return -EINVAL;
	return browse_all(m->br);
}

void mdns_set_max_instances(struct mdns *m, size_t max)
{
	browse_set_max(m->br, max);
}

void mdns_get_stats(const struct mdns *m, struct mdns_stats *ret)
{
	memset(ret, 0, sizeof(*ret));
	browse_stats(m->br, &ret->instances, &ret->unresolved, &ret->dropped);
}

enum mdns_client_state mdns_client_state(const struct mdns *m)
{
	return m->state;
}

const char *mdns_instance_name(const struct mdns *m, const char *service)
{
	if (!m || !service)
		return NULL;
	return publish_instance_name(m->pub, service);
}

void mdns_free(struct mdns *m)
{
	if (!m)
		return;
	ev_timer_stop(m->loop, &m->retry);
	/* Groups first: each free is a goodbye while the client still runs. */
	browse_free(m->br);
	publish_free(m->pub);
	if (m->client)
		avahi_client_free(m->client);
	evpoll_free(m->ep);
	free(m);
}
