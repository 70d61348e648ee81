/* SPDX-License-Identifier: MIT */
/* Smoke test of browsing against a live avahi-daemon on the system bus (or
 * $DBUS_SYSTEM_BUS_ADDRESS); exits 77 when none is reachable. Services are
 * published by a plain Avahi client on the same loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include <avahi-client/client.h>
#include <avahi-client/publish.h>

#include "mdns/evpoll.h"
#include "mdns/mdns.h"
#include "tests/unit/mdns-util.h"
#include "tests/unit/tap.h"

#define TYPE    "_lybr._tcp"
#define CAPTYPE "_lycap._tcp"

/* The last event seen for one instance name. */
struct seen {
	char name[64];
	char type[64];
	unsigned upserts, removes;
	int ifindex, family;
	uint16_t port;
	bool local, ours;
	char host[64];
	char addr[64];
	char txt[256]; /* items joined with '|' */
};

struct ctx {
	struct ev_loop *loop;
	enum mdns_client_state client;
	struct seen s[16];
	unsigned n;
	unsigned settled_true, settled_false;
	bool type_found;
	AvahiClient *chk;
};

static struct seen *seen_get(struct ctx *c, const char *name)
{
	for (unsigned i = 0; i < c->n; i++)
		if (strcmp(c->s[i].name, name) == 0)
			return &c->s[i];
	if (c->n == 16)
		return NULL;
	snprintf(c->s[c->n].name, sizeof(c->s[0].name), "%s", name);
	return &c->s[c->n++];
}

static void on_client(void *ud, enum mdns_client_state st, const char *msg)
{
	((struct ctx *)ud)->client = st;
	printf("# client state %d %s\n", (int)st, msg ? msg : "");
}

static void on_instance(void *ud, enum mdns_instance_event ev, const struct mdns_instance *in)
{
	struct ctx *c = ud;
	struct seen *s = seen_get(c, in->name);
	size_t o = 0;

	if (!s)
		return;
	snprintf(s->type, sizeof(s->type), "%s", in->type);
	s->ifindex = in->ifindex;
	s->family = in->family;
	if (ev == MDNS_INSTANCE_REMOVE) {
		s->removes++;
		printf("# REMOVE '%s' %s if %d fam %d\n", in->name, in->type, in->ifindex,
		       in->family);
		return;
	}
	s->upserts++;
	s->port = in->port;
	s->local = in->local;
	s->ours = in->ours;
	snprintf(s->host, sizeof(s->host), "%s", in->host);
	if (in->addr.ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&in->addr)->sin_addr, s->addr,
		          sizeof(s->addr));
	else if (in->addr.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&in->addr)->sin6_addr, s->addr,
		          sizeof(s->addr));
	s->txt[0] = '\0';
	for (size_t i = 0; i < in->n_txt && o + in->txt_len[i] + 2 < sizeof(s->txt); i++) {
		if (i)
			s->txt[o++] = '|';
		memcpy(s->txt + o, in->txt[i], in->txt_len[i]);
		o += in->txt_len[i];
		s->txt[o] = '\0';
	}
	printf("# UPSERT '%s' %s if %d fam %d %s:%u host %s local %d ours %d txt %s\n", in->name,
	       in->type, in->ifindex, in->family, s->addr, in->port, in->host, in->local, in->ours,
	       s->txt);
}

static void on_browse_state(void *ud, const char *type, bool settled)
{
	struct ctx *c = ud;

	if (strcmp(type, TYPE) == 0) {
		if (settled)
			c->settled_true++;
		else
			c->settled_false++;
	}
	printf("# browse %s settled=%d\n", type, settled);
}

static void on_type(void *ud, const char *type)
{
	struct ctx *c = ud;

	if (strcmp(type, TYPE) == 0)
		c->type_found = true;
	printf("# type found %s\n", type);
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *ud)
{
}

static AvahiEntryGroup *publish(AvahiClient *cl, const char *name, const char *type, uint16_t port,
                                AvahiStringList *txt)
{
	AvahiEntryGroup *g = avahi_entry_group_new(cl, group_cb, NULL);

	if (!g)
		return NULL;
	if (avahi_entry_group_add_service_strlst(g, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, name,
	                                         type, NULL, NULL, port, txt) < 0 ||
	    avahi_entry_group_commit(g) < 0) {
		avahi_entry_group_free(g);
		return NULL;
	}
	return g;
}

static void chk_cb(AvahiClient *cl, AvahiClientState st, void *ud)
{
}

int main(void)
{
	struct ctx c = {0};
	struct evpoll *ep;
	struct mdns *m;
	struct mdns_callbacks cb = {.client_state = on_client,
	                            .instance = on_instance,
	                            .browse_state = on_browse_state,
	                            .type_found = on_type};
	const char *stop = getenv("MDNS_TEST_STOP_CMD"), *start = getenv("MDNS_TEST_START_CMD"),
	           *remote = getenv("MDNS_TEST_REMOTE_INSTANCE");
	AvahiStringList *txt;
	AvahiEntryGroup *g, *g2, *g3;
	struct seen *s;
	struct mdns_stats st;
	char err[128];
	int e;

	c.chk = mt_checker_new(&c.loop, &ep, chk_cb, &c);
	m = mdns_new(c.loop, &cb, &c, err, sizeof(err));
	CHECK(m != NULL);
	CHECK(mdns_browse(m, "not a type") == -EINVAL);
	CHECK(mdns_browse(m, TYPE) == 0);
	CHECK(mdns_browse(m, TYPE) == 0); /* idempotent */
	CHECK(MT_WAIT(c.loop, c.client == MDNS_CLIENT_RUNNING, 5));
	/* Nothing there yet: settles once the first pass is done. */
	CHECK(MT_WAIT(c.loop, c.settled_true == 1, 5));

	/* A local service: TXT order kept, bare key, empty value. */
	txt = avahi_string_list_add(NULL, "a=1");
	txt = avahi_string_list_add(txt, "b");
	txt = avahi_string_list_add(txt, "c=");
	g = publish(c.chk, "inst one", TYPE, 6001, txt);
	avahi_string_list_free(txt);
	CHECK(g != NULL);
	CHECK(MT_WAIT(c.loop, (s = seen_get(&c, "inst one")) && s->upserts > 0, 5));
	s = seen_get(&c, "inst one");
	CHECK(strcmp(s->type, TYPE) == 0);
	CHECK(s->port == 6001);
	CHECK(strcmp(s->txt, "a=1|b|c=") == 0);
	/* From this host, but another avahi client's: not ours (another
	 * local user's avahi-publish is no different). */
	CHECK(s->local);
	CHECK(!s->ours);
	CHECK(s->ifindex > 0);
	CHECK(s->family == AF_INET || s->family == AF_INET6);
	CHECK(s->addr[0] != '\0');
	CHECK(strstr(s->host, ".local") != NULL);

	/* TXT changes reach us through the resolver kept open (the budget has
	 * room for it). */
	txt = avahi_string_list_add(NULL, "a=2");
	CHECK(avahi_entry_group_update_service_txt_strlst(g, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
	                                                  "inst one", TYPE, NULL, txt) == 0);
	avahi_string_list_free(txt);
	CHECK(MT_WAIT(c.loop, strcmp(s->txt, "a=2") == 0, 5));

	/* Withdrawn: REMOVE on the same (interface, family). */
	avahi_entry_group_free(g);
	CHECK(MT_WAIT(c.loop, s->removes > 0, 5));

	/* Published through the backend itself: local and ours. */
	{
		struct dnssd_record *r = NULL;

		CHECK(record_new("own", "inst own", TYPE, 6003, &r, NULL) == 0);
		CHECK(r && mdns_put(m, r) == 0);
		record_free(r);
		CHECK(MT_WAIT(c.loop, (s = seen_get(&c, "inst own")) && s->upserts > 0, 5));
		s = seen_get(&c, "inst own");
		CHECK(s && s->local && s->ours);
		CHECK(mdns_delete(m, "own") == 0);
		CHECK(MT_WAIT(c.loop, s->removes > 0, 5));
	}

	/* Every type: ours is discovered once something of it exists. */
	g = publish(c.chk, "inst two", TYPE, 6002, NULL);
	CHECK(g != NULL);
	CHECK(mdns_browse_types(m, true) == 0);
	CHECK(MT_WAIT(c.loop, c.type_found, 5));

	if (remote) {
		/* The harness publishes REMOTE of TYPE on another host. */
		CHECK(MT_WAIT(c.loop, (s = seen_get(&c, remote)) && s->upserts > 0, 5));
		s = seen_get(&c, remote);
		CHECK(!s->local && !s->ours);
	}

	/* The cap: one more instance allowed, the second is dropped. */
	CHECK(MT_WAIT(c.loop, (s = seen_get(&c, "inst two")) && s->upserts > 0, 5));
	mt_run_for(c.loop, 0.2);
	mdns_get_stats(m, &st);
	CHECK(mdns_set_max_instances(m, st.instances + 1) == 0);
	CHECK(mdns_browse(m, CAPTYPE) == 0);
	g2 = publish(c.chk, "cap one", CAPTYPE, 7001, NULL);
	g3 = publish(c.chk, "cap two", CAPTYPE, 7002, NULL);
	CHECK(g2 && g3);
	mt_run_for(c.loop, 3.0);
	mdns_get_stats(m, &st);
	CHECK(st.dropped >= 1);
	CHECK((seen_get(&c, "cap one")->upserts > 0) + (seen_get(&c, "cap two")->upserts > 0) == 1);
	CHECK(mdns_set_max_instances(m, 100000) == 0);

	if (stop && start) {
		unsigned f0 = c.settled_false, t0 = c.settled_true;

		s = seen_get(&c, "inst two");
		s->upserts = 0;
		avahi_client_free(c.chk); /* with its groups */
		c.chk = NULL;
		printf("# stopping: %s\n", stop);
		CHECK(system(stop) == 0);
		CHECK(MT_WAIT(c.loop, c.settled_false > f0, 3));
		printf("# starting: %s\n", start);
		CHECK(system(start) == 0);
		c.chk = avahi_client_new(evpoll_get(ep), 0, chk_cb, &c, &e);
		CHECK(c.chk != NULL);
		g = c.chk ? publish(c.chk, "inst two", TYPE, 6002, NULL) : NULL;
		/* Browsing resumes by itself, the instance comes back. */
		CHECK(MT_WAIT(c.loop, s->upserts > 0, 6));
		CHECK(MT_WAIT(c.loop, c.settled_true > t0, 6));
	}

	mdns_free(m);
	if (c.chk)
		avahi_client_free(c.chk);
	evpoll_free(ep);
	ev_loop_destroy(c.loop);
	return test_summary();
}
