/* SPDX-License-Identifier: MIT */
/* This host's presence records: one entry group with the heartbeat and
 * the anchor (presence.h), on every interface avahi-daemon uses, shared
 * records (no probing: the host name is unique already), re-registered
 * under the new name when the host is renamed. */
#include <stdlib.h>
#include <string.h>

#include <avahi-client/publish.h>
#include <avahi-common/defs.h>
#include <avahi-common/error.h>

#include "mdns/browse.h"
#include "mdns/internal.h"
#include "dnssd/name.h"
#include "mdns/presence.h"
#include "mdns/publish.h"

#ifndef PRESENCE_RETRY_S
#define PRESENCE_RETRY_S 5.0 /* after avahi-daemon refused the group */
#endif

struct presence {
	struct mdns_core *c;
	AvahiEntryGroup *group;
	bool committed;
	ev_timer retry;
};

enum presence_kind presence_classify(const void *rdata, size_t size)
{
	const uint8_t *p = rdata;
	size_t hl = strlen(PRESENCE_HEARTBEAT), al = strlen(PRESENCE_ANCHOR);

	if (!p || size < 1 || p[0] != size - 1)
		return PRESENCE_OTHER; /* not exactly one string */
	if (size - 1 == hl && memcmp(p + 1, PRESENCE_HEARTBEAT, hl) == 0)
		return PRESENCE_IS_HEARTBEAT;
	if (size - 1 == al && memcmp(p + 1, PRESENCE_ANCHOR, al) == 0)
		return PRESENCE_IS_ANCHOR;
	return PRESENCE_OTHER;
}

bool presence_name(unsigned key, const char *host, char *buf, size_t len)
{
	static const char *const labels[PRESENCE_KEYS] = {
	        "_lanyard-alive.",
	        "_lanyard-alive-a.",
	        "_lanyard-alive-b.",
	};
	size_t pl, hl = host ? strlen(host) : 0;

	if (key >= PRESENCE_KEYS)
		return false;
	pl = strlen(labels[key]);
	if (hl == 0 || pl + hl + 1 > len)
		return false;
	memcpy(buf, labels[key], pl);
	memcpy(buf + pl, host, hl + 1);
	/* The DNS name rules (length, labels, characters): a host name that
	 * breaks them, escaped characters included, is not watched. */
	return dnssd_check_domain(buf) == NULL;
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *userdata);

static void start_retry(struct presence *p)
{
	if (!ev_is_active(&p->retry)) {
		ev_timer_set(&p->retry, PRESENCE_RETRY_S, 0.);
		ev_timer_start(p->c->loop, &p->retry);
	}
}

/* Add both records (one TXT string each) at NAME on interface IFI to the
 * group. Returns 0 or an Avahi error. */
static int add_pair(struct presence *p, AvahiIfIndex ifi, const char *name)
{
	static const struct {
		const char *text;
		uint32_t ttl;
	} recs[] = {
	        {PRESENCE_HEARTBEAT, PRESENCE_HEARTBEAT_TTL},
	        {PRESENCE_ANCHOR, PRESENCE_ANCHOR_TTL},
	};
	uint8_t rdata[32];

	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		size_t n = strlen(recs[i].text);
		int e;

		rdata[0] = (uint8_t)n;
		memcpy(rdata + 1, recs[i].text, n);
		core_call(p->c, 0);
		e = avahi_entry_group_add_record(p->group, ifi, AVAHI_PROTO_UNSPEC, 0, name,
		                                 AVAHI_DNS_CLASS_IN, AVAHI_DNS_TYPE_TXT,
		                                 recs[i].ttl, rdata, n + 1);
		if (e < 0)
			return e;
	}
	return 0;
}

static void do_register(struct presence *p)
{
	struct mdns_core *c = p->c;
	char name[256];
	const char *host;
	int e;

	AvahiIfIndex *ifis = NULL;
	int n_ifis;

	if (p->committed || !core_running(c))
		return;
	core_call(c, 0);
	host = avahi_client_get_host_name_fqdn(c->client);
	for (unsigned k = 0; k < PRESENCE_KEYS; k++)
		if (!presence_name(k, host, name, sizeof(name)))
			return; /* no usable host name: nothing to vouch for */
	/* Where the services go (agent.interfaces). */
	n_ifis = pub_scope_ifindexes(publish_scope(c->pub), &ifis);
	if (n_ifis < 0) {
		start_retry(p);
		return;
	}
	if (n_ifis == 0) {
		free(ifis);
		return; /* none of the interfaces exists: at the next scope */
	}
	if (!p->group) {
		/* Before kept resolvers, like our other records. */
		browse_make_room(c->br, 1);
		core_call(c, 1);
		p->group = avahi_entry_group_new(c->client, group_cb, p);
		if (!p->group) {
			core_call(c, -1);
			if (avahi_client_errno(c->client) == AVAHI_ERR_TOO_MANY_OBJECTS)
				core_refused(c);
			free(ifis);
			start_retry(p);
			return;
		}
	}
	e = 0;
	for (int f = 0; f < n_ifis && e == 0; f++)
		for (unsigned k = 0; k < PRESENCE_KEYS && e == 0; k++)
			if (presence_name(k, host, name, sizeof(name)))
				e = add_pair(p, ifis[f], name);
	free(ifis);
	if (e == 0) {
		core_call(c, 0);
		e = avahi_entry_group_commit(p->group);
	}
	if (e < 0) {
		core_call(c, 0);
		avahi_entry_group_reset(p->group);
		start_retry(p);
		return;
	}
	p->committed = true;
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *userdata)
{
	struct presence *p = userdata;

	if (p->group != g)
		return; /* from inside avahi_entry_group_new() */
	if (state == AVAHI_ENTRY_GROUP_FAILURE || state == AVAHI_ENTRY_GROUP_COLLISION) {
		/* Shared records do not collide; a failure is retried. */
		core_call(p->c, 0);
		avahi_entry_group_reset(g);
		p->committed = false;
		start_retry(p);
	}
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	do_register(w->data);
}

struct presence *presence_new(struct mdns_core *c)
{
	struct presence *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->c = c;
	ev_timer_init(&p->retry, retry_cb, PRESENCE_RETRY_S, 0.);
	p->retry.data = p;
	return p;
}

void presence_free(struct presence *p)
{
	if (!p)
		return;
	ev_timer_stop(p->c->loop, &p->retry);
	if (p->group) {
		core_call(p->c, -1);
		avahi_entry_group_free(p->group);
	}
	free(p);
}

bool presence_published(const struct presence *p)
{
	return p && p->committed;
}

void presence_client_running(struct presence *p)
{
	do_register(p);
}

void presence_client_reset(struct presence *p)
{
	if (p->group && p->committed) {
		core_call(p->c, 0);
		avahi_entry_group_reset(p->group);
	}
	p->committed = false;
}

void presence_rescope(struct presence *p)
{
	presence_client_reset(p);
	do_register(p);
}

void presence_client_lost(struct presence *p)
{
	p->group = NULL; /* the client frees its groups */
	p->committed = false;
	ev_timer_stop(p->c->loop, &p->retry);
}
