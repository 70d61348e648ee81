/* SPDX-License-Identifier: MIT */
/* Smoke test of publishing against a live avahi-daemon on the system bus
 * (or $DBUS_SYSTEM_BUS_ADDRESS); exits 77 when none is reachable. A second,
 * plain Avahi client on the same loop checks what the network sees. */
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>

#include "mdns/evpoll.h"
#include "mdns/mdns.h"
#include "tests/unit/mdns-util.h"
#include "tests/unit/tap.h"

#define TYPE "_lytest._tcp"
#define COLL "lanyard-test-coll"

struct pubrec {
	enum mdns_pub_state state;
	char instance[128];
	unsigned n_registering, n_collision;
	char collision_msg[256];
};

struct ctx {
	struct ev_loop *loop;
	enum mdns_client_state client;
	unsigned n_running;
	struct pubrec a, b, rc;
	/* checker */
	AvahiClient *chk;
	bool chk_failed;
	unsigned found;
	uint16_t port;
	uint8_t txt[512]; /* wire form of the last resolved TXT */
	size_t txt_len;
	int ifindex;
	char seen[8][128]; /* browse: instance names present */
	unsigned n_seen;
	bool sub_seen;
};

static void on_client(void *ud, enum mdns_client_state st, const char *msg)
{
	struct ctx *c = ud;

	c->client = st;
	if (st == MDNS_CLIENT_RUNNING)
		c->n_running++;
	printf("# client state %d %s\n", (int)st, msg ? msg : "");
}

static void on_pub(void *ud, const char *key, enum mdns_pub_state st, const char *instance,
                   const char *msg)
{
	struct ctx *c = ud;
	struct pubrec *p = strcmp(key, "lytesta") == 0   ? &c->a
	                   : strcmp(key, "lytestb") == 0 ? &c->b
	                                                 : &c->rc;

	p->state = st;
	snprintf(p->instance, sizeof(p->instance), "%s", instance ? instance : "");
	if (st == MDNS_PUB_REGISTERING)
		p->n_registering++;
	if (st == MDNS_PUB_COLLISION) {
		p->n_collision++;
		snprintf(p->collision_msg, sizeof(p->collision_msg), "%s", msg ? msg : "");
	}
	printf("# %s: state %d instance '%s' %s\n", key, (int)st, instance ? instance : "",
	       msg ? msg : "");
}

static void chk_client_cb(AvahiClient *cl, AvahiClientState st, void *ud)
{
	struct ctx *c = ud;

	if (st == AVAHI_CLIENT_FAILURE)
		c->chk_failed = true;
}

static void chk_resolve_cb(AvahiServiceResolver *r, AvahiIfIndex ifi, AvahiProtocol proto,
                           AvahiResolverEvent ev, const char *name, const char *type,
                           const char *domain, const char *host, const AvahiAddress *a,
                           uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags,
                           void *ud)
{
	struct ctx *c = ud;

	if (ev != AVAHI_RESOLVER_FOUND)
		return;
	c->found++;
	c->port = port;
	c->ifindex = ifi;
	/* A resolver's list iterates in record (wire) order, unlike a list
	 * built with avahi_string_list_add(). */
	c->txt_len = 0;
	for (AvahiStringList *l = txt; l; l = l->next) {
		if (c->txt_len + 1 + l->size > sizeof(c->txt))
			break;
		c->txt[c->txt_len++] = (uint8_t)l->size;
		memcpy(c->txt + c->txt_len, l->text, l->size);
		c->txt_len += l->size;
	}
}

static void chk_browse_cb(AvahiServiceBrowser *b, AvahiIfIndex ifi, AvahiProtocol proto,
                          AvahiBrowserEvent ev, const char *name, const char *type,
                          const char *domain, AvahiLookupResultFlags flags, void *ud)
{
	struct ctx *c = ud;

	if (ev == AVAHI_BROWSER_NEW && c->n_seen < 8) {
		for (unsigned i = 0; i < c->n_seen; i++)
			if (strcmp(c->seen[i], name) == 0)
				return;
		snprintf(c->seen[c->n_seen++], sizeof(c->seen[0]), "%s", name);
	} else if (ev == AVAHI_BROWSER_REMOVE) {
		for (unsigned i = 0; i < c->n_seen; i++)
			if (strcmp(c->seen[i], name) == 0) {
				memmove(c->seen[i], c->seen[i + 1],
				        (c->n_seen - i - 1) * sizeof(c->seen[0]));
				c->n_seen--;
				return;
			}
	}
}

static void chk_sub_cb(AvahiServiceBrowser *b, AvahiIfIndex ifi, AvahiProtocol proto,
                       AvahiBrowserEvent ev, const char *name, const char *type, const char *domain,
                       AvahiLookupResultFlags flags, void *ud)
{
	struct ctx *c = ud;

	if (ev == AVAHI_BROWSER_NEW && strncmp(name, "lyA on ", 7) == 0)
		c->sub_seen = true;
}

static bool seen(const struct ctx *c, const char *name)
{
	for (unsigned i = 0; i < c->n_seen; i++)
		if (strcmp(c->seen[i], name) == 0)
			return true;
	return false;
}

static void coll_group_cb(AvahiEntryGroup *g, AvahiEntryGroupState st, void *ud)
{
}

/* Wire form of "version=1", "flag", "k=<v>". */
static size_t expect_txt(uint8_t *buf, const char *v)
{
	size_t n = 0, vl = strlen(v);

	buf[n++] = 9;
	memcpy(buf + n, "version=1", 9);
	n += 9;
	buf[n++] = 4;
	memcpy(buf + n, "flag", 4);
	n += 4;
	buf[n++] = (uint8_t)(2 + vl);
	memcpy(buf + n, "k=", 2);
	memcpy(buf + n + 2, v, vl);
	return n + 2 + vl;
}

/* Record A: "version=1", "flag", "k=<V>", subtype _api, on PORT. */
static struct dnssd_record *record_a(const char *instance, uint16_t port, const char *v)
{
	struct dnssd_record *r = NULL;

	if (record_new("lytesta", instance, TYPE, port, &r, NULL) < 0 ||
	    record_add_txt(r, "version", "1", 1, NULL) < 0 ||
	    record_add_txt(r, "flag", NULL, 0, NULL) < 0 ||
	    record_add_txt(r, "k", v, strlen(v), NULL) < 0 ||
	    record_add_subtype(r, "_api", NULL) < 0) {
		record_free(r);
		return NULL;
	}
	return r;
}

/* Put a record without TXT. */
static int put_plain(struct mdns *m, const char *key, const char *instance, uint16_t port)
{
	struct dnssd_record *r = NULL;
	int e = record_new(key, instance, TYPE, port, &r, NULL);

	if (e == 0)
		e = mdns_put(m, r);
	record_free(r);
	return e;
}

int main(void)
{
	struct ctx c = {0};
	struct evpoll *ep;
	struct mdns *m;
	struct mdns_callbacks cb = {.client_state = on_client, .pub_state = on_pub};
	struct dnssd_record *ra;
	AvahiEntryGroup *coll;
	AvahiServiceResolver *res = NULL;
	AvahiServiceBrowser *br, *sub;
	const char *iface = getenv("MDNS_TEST_IFACE"), *remote = getenv("MDNS_TEST_REMOTE_NAME"),
	           *stop = getenv("MDNS_TEST_STOP_CMD"), *start = getenv("MDNS_TEST_START_CMD");
	char name_a[128], err[128], renamed[160];
	uint8_t want[64];
	size_t want_len;
	int e;

	c.chk = mt_checker_new(&c.loop, &ep, chk_client_cb, &c);
	/* Someone else on this host already holds COLL: a local collision. */
	coll = avahi_entry_group_new(c.chk, coll_group_cb, &c);
	CHECK(coll &&
	      avahi_entry_group_add_service(coll, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, COLL,
	                                    TYPE, NULL, NULL, 1, NULL) == 0 &&
	      avahi_entry_group_commit(coll) == 0);
	br = avahi_service_browser_new(c.chk, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, TYPE, NULL, 0,
	                               chk_browse_cb, &c);
	sub = avahi_service_browser_new(c.chk, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
	                                "_api._sub." TYPE, NULL, 0, chk_sub_cb, &c);
	CHECK(br && sub);

	m = mdns_new(c.loop, &cb, &c, err, sizeof(err));
	CHECK(m != NULL);
	CHECK(MT_WAIT(c.loop, c.client == MDNS_CLIENT_RUNNING, 5));
	if (iface) {
		struct mdns_scope scope = {.interfaces = &iface, .n_interfaces = 1};

		CHECK(mdns_set_scope(m, &scope) == 0);
	}

	snprintf(name_a, sizeof(name_a), "lyA on %s", avahi_client_get_host_name(c.chk));
	ra = record_a(name_a, 5001, "v");
	CHECK(ra && mdns_put(m, ra) == 0);
	record_free(ra);
	CHECK(put_plain(m, "lytestb", COLL, 5002) == 0);
	CHECK(MT_WAIT(c.loop,
	              c.a.state == MDNS_PUB_ESTABLISHED && c.b.state == MDNS_PUB_ESTABLISHED, 5));
	CHECK(strcmp(c.a.instance, name_a) == 0);
	/* Local collision: renamed, reported once with both names. */
	CHECK(c.b.n_collision == 1);
	CHECK(strcmp(c.b.instance, COLL " #2") == 0);
	CHECK(strstr(c.b.collision_msg, "'" COLL "'") &&
	      strstr(c.b.collision_msg, "'" COLL " #2'"));
	CHECK(MT_WAIT(c.loop, seen(&c, name_a) && seen(&c, COLL " #2"), 3));
	CHECK(MT_WAIT(c.loop, c.sub_seen, 3));

	/* What the network sees: port, TXT in record order, interface. */
	res = avahi_service_resolver_new(c.chk, AVAHI_IF_UNSPEC, AVAHI_PROTO_INET, name_a, TYPE,
	                                 NULL, AVAHI_PROTO_UNSPEC, 0, chk_resolve_cb, &c);
	CHECK(res != NULL);
	CHECK(MT_WAIT(c.loop, c.found > 0, 3));
	want_len = expect_txt(want, "v");
	CHECK(c.port == 5001);
	CHECK(c.txt_len == want_len && memcmp(c.txt, want, want_len) == 0);
	if (iface)
		CHECK(c.ifindex == (int)if_nametoindex(iface));

	/* TXT-only change: updated in place, no new probe. */
	c.a.n_registering = 0;
	c.found = 0;
	ra = record_a(name_a, 5001, "v2");
	CHECK(ra && mdns_put(m, ra) == 0);
	want_len = expect_txt(want, "v2");
	CHECK(MT_WAIT(c.loop,
	              c.found > 0 && c.txt_len == want_len && memcmp(c.txt, want, want_len) == 0,
	              3));
	CHECK(c.a.n_registering == 0);
	CHECK(c.a.state == MDNS_PUB_ESTABLISHED);

	/* The same record again: nothing happens at all. */
	c.found = 0;
	CHECK(mdns_put(m, ra) == 0);
	record_free(ra);
	mt_run_for(c.loop, 1.0);
	CHECK(c.a.n_registering == 0);

	/* Port change: re-registered. */
	ra = record_a(name_a, 5003, "v2");
	CHECK(ra && mdns_put(m, ra) == 0);
	record_free(ra);
	CHECK(MT_WAIT(c.loop, c.a.n_registering == 1 && c.a.state == MDNS_PUB_ESTABLISHED, 5));
	CHECK(MT_WAIT(c.loop, c.port == 5003, 3));

	/* Optional: another host already announces REMOTE (the harness runs
	 * e.g. avahi-publish there): a remote collision while probing. */
	if (remote) {
		CHECK(put_plain(m, "lytestc", remote, 5004) == 0);
		snprintf(renamed, sizeof(renamed), "%s #2", remote);
		CHECK(MT_WAIT(c.loop, c.rc.state == MDNS_PUB_ESTABLISHED, 8));
		CHECK(c.rc.n_collision == 1);
		CHECK(strcmp(c.rc.instance, renamed) == 0);
		CHECK(strstr(c.rc.collision_msg, "in use on the network") &&
		      strstr(c.rc.collision_msg, renamed));
		CHECK(mdns_delete(m, "lytestc") == 0);
	}

	/* Deleting B sends a goodbye: gone from the browser at once. */
	CHECK(mdns_delete(m, "lytestb") == 0);
	CHECK(MT_WAIT(c.loop, !seen(&c, COLL " #2"), 3));
	CHECK(seen(&c, name_a));

	/* Optional: the daemon dies and comes back (commands given by the
	 * harness, e.g. in a private network namespace). */
	if (stop && start) {
		ev_tstamp t0;

		avahi_service_resolver_free(res);
		avahi_service_browser_free(br);
		avahi_service_browser_free(sub);
		avahi_client_free(c.chk); /* our COLL group goes with it */
		c.chk = NULL;
		printf("# stopping: %s\n", stop);
		CHECK(system(stop) == 0);
		CHECK(MT_WAIT(c.loop, c.client == MDNS_CLIENT_CONNECTING, 3.0));
		CHECK(c.a.state == MDNS_PUB_PENDING);
		mt_run_for(c.loop, 1.0);
		CHECK(c.client == MDNS_CLIENT_CONNECTING);
		c.n_running = 0;
		printf("# starting: %s\n", start);
		CHECK(system(start) == 0);
		ev_now_update(c.loop);
		t0 = ev_now(c.loop);
		CHECK(MT_WAIT(c.loop, c.n_running > 0, 2.0));
		printf("# running again %.2f s after the daemon was back\n", ev_now(c.loop) - t0);
		CHECK(MT_WAIT(c.loop, c.a.state == MDNS_PUB_ESTABLISHED, 4.0));
		printf("# republished %.2f s after the daemon was back\n", ev_now(c.loop) - t0);
		CHECK(strcmp(c.a.instance, name_a) == 0);
		c.chk = avahi_client_new(evpoll_get(ep), 0, chk_client_cb, &c, &e);
		CHECK(c.chk != NULL);
		c.n_seen = 0;
		br = avahi_service_browser_new(c.chk, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, TYPE,
		                               NULL, 0, chk_browse_cb, &c);
		CHECK(MT_WAIT(c.loop, seen(&c, name_a), 3));
		res = NULL;
		sub = NULL;
	}

	/* mdns_free withdraws everything. */
	mdns_free(m);
	CHECK(MT_WAIT(c.loop, !seen(&c, name_a), 3));

	if (res)
		avahi_service_resolver_free(res);
	if (sub)
		avahi_service_browser_free(sub);
	avahi_service_browser_free(br);
	avahi_client_free(c.chk);
	evpoll_free(ep);
	ev_loop_destroy(c.loop);
	return test_summary();
}
