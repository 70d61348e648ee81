/* SPDX-License-Identifier: MIT */
/* Liveness (mdns/liveness.c) and presence (mdns/presence.c) driven through
 * a stand-in for libavahi-client, with browse.c and resolve.c for real: a
 * host whose heartbeat expires while its anchor stays is down and its
 * sightings are removed (MDNS_GONE_HOST_DOWN) and withheld; probes on the
 * other presence names bring it back; a goodbye of both records, or no
 * presence at all, leaves the host to mDNS's timing; the presence records
 * carry the TTLs the mechanism needs. Built with short periods
 * (tests/local.mk). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <sys/socket.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/address.h>
#include <avahi-common/defs.h>
#include <avahi-common/error.h>

#include "mdns/browse.h"
#include "mdns/internal.h"
#include "mdns/liveness.h"
#include "mdns/presence.h"
#include "mdns/publish.h"
#include "mdns/resolve.h"
#include "mdns/sighting.h"
#include "tests/unit/avahi-fake.h"
#include "tests/unit/tap.h"

#define TYPE "_x._tcp"

/* ---- libavahi-client, as far as browse, resolve, liveness and presence use it -- */

struct AvahiRecordBrowser {
	AvahiRecordBrowserCallback cb;
	void *ud;
	AvahiIfIndex ifi;
	AvahiProtocol proto;
	char name[256];
	bool open;
};

struct rec {
	AvahiIfIndex ifi;
	char name[256];
	uint32_t ttl;
	char text[32];
};

struct AvahiEntryGroup {
	AvahiEntryGroupCallback cb;
	void *ud;
};

static struct {
	int refuse_rb; /* refuse the next N record browsers */
	struct AvahiRecordBrowser *rb[1024];
	size_t n_rb, rb_open;
	/* events sent up */
	unsigned upserts, removes, removes_down;
	unsigned host_up, host_down, host_left;
	size_t last_n;
	char last_removed[64];
	/* presence */
	struct AvahiEntryGroup *group;
	struct rec recs[32];
	size_t n_recs;
	bool committed;
	const char *fqdn;
} av;

AvahiRecordBrowser *avahi_record_browser_new(AvahiClient *c, AvahiIfIndex ifi, AvahiProtocol proto,
                                             const char *name, uint16_t clazz, uint16_t type,
                                             AvahiLookupFlags flags, AvahiRecordBrowserCallback cb,
                                             void *ud)
{
	struct AvahiRecordBrowser *b;

	if (av.refuse_rb > 0) {
		av.refuse_rb--;
		avf.err = AVAHI_ERR_TOO_MANY_OBJECTS;
		return NULL;
	}
	if (clazz != AVAHI_DNS_CLASS_IN || type != AVAHI_DNS_TYPE_TXT)
		abort();
	b = calloc(1, sizeof(*b));
	if (!b || av.n_rb == sizeof(av.rb) / sizeof(av.rb[0]))
		abort();
	*b = (struct AvahiRecordBrowser){
	        .cb = cb, .ud = ud, .ifi = ifi, .proto = proto, .open = true};
	snprintf(b->name, sizeof(b->name), "%s", name);
	av.rb[av.n_rb++] = b;
	av.rb_open++;
	return b;
}

int avahi_record_browser_free(AvahiRecordBrowser *b)
{
	if (!b->open)
		abort();
	b->open = false;
	av.rb_open--;
	return 0;
}

AvahiEntryGroup *avahi_entry_group_new(AvahiClient *c, AvahiEntryGroupCallback cb, void *ud)
{
	av.group = calloc(1, sizeof(*av.group));
	av.group->cb = cb;
	av.group->ud = ud;
	return av.group;
}

int avahi_entry_group_free(AvahiEntryGroup *g)
{
	if (g != av.group)
		abort();
	free(g);
	av.group = NULL;
	av.n_recs = 0;
	av.committed = false;
	return 0;
}

int avahi_entry_group_add_record(AvahiEntryGroup *g, AvahiIfIndex ifi, AvahiProtocol proto,
                                 AvahiPublishFlags flags, const char *name, uint16_t clazz,
                                 uint16_t type, uint32_t ttl, const void *rdata, size_t size)
{
	struct rec *r;

	if (av.n_recs == sizeof(av.recs) / sizeof(av.recs[0]) || size < 1 ||
	    ((const uint8_t *)rdata)[0] != size - 1 || size > sizeof(r->text))
		return AVAHI_ERR_INVALID_RECORD;
	/* Shared (not unique) TXT records on both protocols. */
	if (flags != 0 || clazz != AVAHI_DNS_CLASS_IN || type != AVAHI_DNS_TYPE_TXT ||
	    proto != AVAHI_PROTO_UNSPEC)
		return AVAHI_ERR_INVALID_FLAGS;
	r = &av.recs[av.n_recs++];
	r->ifi = ifi;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->ttl = ttl;
	memcpy(r->text, (const uint8_t *)rdata + 1, size - 1);
	r->text[size - 1] = '\0';
	return 0;
}

int avahi_entry_group_commit(AvahiEntryGroup *g)
{
	av.committed = true;
	return 0;
}

int avahi_entry_group_reset(AvahiEntryGroup *g)
{
	av.n_recs = 0;
	av.committed = false;
	return 0;
}

const char *avahi_client_get_host_name_fqdn(AvahiClient *c)
{
	return av.fqdn;
}

/* The publishing scope (publish.c is not linked): av.ifis, or every
 * interface when empty. */
static int scope_ifis[4], n_scope_ifis;

const struct pub_scope *publish_scope(const struct publish *p)
{
	return NULL;
}

int pub_scope_ifindexes(const struct pub_scope *sc, int **ret)
{
	int n = n_scope_ifis ? n_scope_ifis : 1;

	*ret = calloc((size_t)n, sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		(*ret)[i] = n_scope_ifis ? scope_ifis[i] : AVAHI_IF_UNSPEC;
	return n;
}

/* The events sent up (mdns.c is not linked). */
void core_emit_instance(struct mdns_core *c, enum mdns_instance_event ev,
                        const struct mdns_instance *in)
{
	if (ev == MDNS_INSTANCE_UPSERT) {
		av.upserts++;
		return;
	}
	av.removes++;
	if (in->gone == MDNS_GONE_HOST_DOWN)
		av.removes_down++;
	snprintf(av.last_removed, sizeof(av.last_removed), "%s", in->name);
}

void core_emit_browse_state(struct mdns_core *c, const char *type, bool settled)
{
}

void core_emit_type_found(struct mdns_core *c, const char *type)
{
}

void core_emit_host_state(struct mdns_core *c, const char *host, int ifindex,
                          enum mdns_host_state st, size_t n)
{
	av.last_n = n;
	if (st == MDNS_HOST_UP)
		av.host_up++;
	else if (st == MDNS_HOST_DOWN)
		av.host_down++;
	else
		av.host_left++;
}

/* ---- driving it -------------------------------------------------------------------- */

static struct mdns_core core;

/* Run the loop in small steps until COND holds or S seconds passed;
 * evaluates to COND. */
#define RUN_UNTIL(cond, s)                                                                         \
	({                                                                                         \
		for (int step_ = 0; !(cond) && step_ < (int)((s)*100); step_++)                    \
			avahi_fake_run(core.loop, 0.01);                                           \
		(cond);                                                                            \
	})

static void setup(void)
{
	memset(&av, 0, sizeof(av));
	avahi_fake_reset();
	memset(&core, 0, sizeof(core));
	core.loop = ev_loop_new(EVFLAG_AUTO);
	core.client = (AvahiClient *)&core; /* never dereferenced by the stand-in */
	core.state = MDNS_CLIENT_RUNNING;
	core.objects_max = OBJECTS_UNKNOWN;
	core.res = resolve_new(&core);
	core.br = browse_new(&core);
	core.lv = liveness_new(&core);
	browse_add(core.br, TYPE);
	CHECK(avf.browser != NULL);
}

static void teardown(void)
{
	/* The order of mdns.c: sightings first, then the hosts they hang on. */
	browse_free(core.br);
	liveness_free(core.lv);
	resolve_free(core.res);
	CHECK(avf.n_open == 0 && av.rb_open == 0); /* every Avahi object freed */
	CHECK(core.objects == 0);
	avahi_fake_reset();
	for (size_t i = 0; i < av.n_rb; i++)
		free(av.rb[i]);
	ev_loop_destroy(core.loop);
}

static void item(AvahiBrowserEvent ev, const char *name, AvahiProtocol proto)
{
	avahi_fake_item(ev, name, TYPE, proto);
}

static struct AvahiServiceResolver *open_res(const char *name)
{
	return avahi_fake_open_res(name, AVAHI_PROTO_UNSPEC);
}

/* Resolve NAME's open resolver to HOST (FLAGS: AVAHI_LOOKUP_RESULT_LOCAL). */
static bool answer(const char *name, const char *host, AvahiLookupResultFlags flags)
{
	struct AvahiServiceResolver *r = open_res(name);
	AvahiAddress a = {.proto = AVAHI_PROTO_INET};

	if (!r)
		return false;
	r->cb((AvahiServiceResolver *)r, r->ifi, r->proto, AVAHI_RESOLVER_FOUND, r->name, TYPE,
	      "local", host, &a, 80, NULL, flags, r->ud);
	return true;
}

/* A sighting NAME on HOST, resolved. */
static void sight(const char *name, const char *host)
{
	item(AVAHI_BROWSER_NEW, name, AVAHI_PROTO_INET);
	CHECK(answer(name, host, 0));
}

/* The open record browser of presence name KEY of HOST, or NULL. */
static struct AvahiRecordBrowser *open_rb(unsigned key, const char *host)
{
	char name[256];

	if (!presence_name(key, host, name, sizeof(name)))
		return NULL;
	for (size_t i = av.n_rb; i-- > 0;)
		if (av.rb[i]->open && !strcasecmp(av.rb[i]->name, name))
			return av.rb[i];
	return NULL;
}

/* Record browser B says EV about the presence record TEXT. */
static void rec(struct AvahiRecordBrowser *b, AvahiBrowserEvent ev, const char *text)
{
	uint8_t rdata[32];
	size_t n = text ? strlen(text) : 0;

	rdata[0] = (uint8_t)n;
	memcpy(rdata + 1, text ? text : "", n);
	b->cb((AvahiRecordBrowser *)b, b->ifi, b->proto, ev, text ? b->name : NULL,
	      AVAHI_DNS_CLASS_IN, AVAHI_DNS_TYPE_TXT, text ? rdata : NULL, text ? n + 1 : 0, 0,
	      b->ud);
}

static struct mdns_stats stats(void)
{
	struct mdns_stats st = {0};

	browse_stats(core.br, &st);
	resolve_stats(core.res, &st);
	liveness_stats(core.lv, &st);
	return st;
}

/* HOST's presence answers on the main name: both records. */
static struct AvahiRecordBrowser *host_up(const char *host)
{
	struct AvahiRecordBrowser *b = open_rb(0, host);

	CHECK(b != NULL);
	if (!b)
		return NULL;
	rec(b, AVAHI_BROWSER_NEW, PRESENCE_HEARTBEAT);
	rec(b, AVAHI_BROWSER_NEW, PRESENCE_ANCHOR);
	rec(b, AVAHI_BROWSER_ALL_FOR_NOW, NULL);
	return b;
}

/* ---- the cases ------------------------------------------------------------------------ */

static void test_names(void)
{
	char buf[256];

	CHECK(presence_name(0, "h1.local", buf, sizeof(buf)) &&
	      !strcmp(buf, "_lanyard-alive.h1.local"));
	CHECK(presence_name(1, "h1.local", buf, sizeof(buf)) &&
	      !strcmp(buf, "_lanyard-alive-a.h1.local"));
	CHECK(presence_name(2, "h1.local", buf, sizeof(buf)) &&
	      !strcmp(buf, "_lanyard-alive-b.h1.local"));
	CHECK(!presence_name(3, "h1.local", buf, sizeof(buf)));
	CHECK(!presence_name(0, "", buf, sizeof(buf)));
	CHECK(!presence_name(0, "h1.local", buf, 10));
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(!presence_name(0, longname, buf, sizeof(buf)));
	/* Escaped characters (avahi's "\032" for a space) and bad labels. */
	CHECK(!presence_name(0, "my\\032host.local", buf, sizeof(buf)));
	CHECK(!presence_name(0, "a..local", buf, sizeof(buf)));
	CHECK(presence_classify("\x09heartbeat", 10) == PRESENCE_IS_HEARTBEAT);
	CHECK(presence_classify("\x06"
	                        "anchor",
	                        7) == PRESENCE_IS_ANCHOR);
	CHECK(presence_classify("\x09heartbea", 9) == PRESENCE_OTHER); /* truncated */
	CHECK(presence_classify("\x06"
	                        "anchorX",
	                        8) == PRESENCE_OTHER);
	CHECK(presence_classify("", 0) == PRESENCE_OTHER);
	CHECK(presence_classify(NULL, 0) == PRESENCE_OTHER);
}

/* The records this host publishes: three names, each a heartbeat and an
 * anchor, shared, with the TTLs that make the mechanism work. */
static void test_presence_records(void)
{
	setup();
	av.fqdn = "me.local";
	struct presence *p = presence_new(&core);
	presence_client_running(p);
	CHECK(av.committed && presence_published(p));
	CHECK(av.n_recs == 2 * PRESENCE_KEYS && av.recs[0].ifi == AVAHI_IF_UNSPEC);
	for (unsigned k = 0; k < PRESENCE_KEYS; k++) {
		char name[256];
		unsigned hb = 0, an = 0;

		presence_name(k, "me.local", name, sizeof(name));
		for (size_t i = 0; i < av.n_recs; i++) {
			if (strcmp(av.recs[i].name, name))
				continue;
			if (!strcmp(av.recs[i].text, PRESENCE_HEARTBEAT) &&
			    av.recs[i].ttl == PRESENCE_HEARTBEAT_TTL)
				hb++;
			if (!strcmp(av.recs[i].text, PRESENCE_ANCHOR) &&
			    av.recs[i].ttl == PRESENCE_ANCHOR_TTL)
				an++;
		}
		CHECK(hb == 1 && an == 1);
	}
	/* The anchor outlives the heartbeat, yet is past half its TTL (in
	 * whole seconds, as avahi-daemon counts) when the heartbeat is
	 * refreshed at 80%: no known answer in the refresh query. */
	CHECK(PRESENCE_ANCHOR_TTL > PRESENCE_HEARTBEAT_TTL + 1);
	CHECK((unsigned)(PRESENCE_HEARTBEAT_TTL * 0.8) >= PRESENCE_ANCHOR_TTL / 2);
	/* The host name is re-probed: withdrawn, then published again. */
	presence_client_reset(p);
	CHECK(!presence_published(p) && !av.committed);
	presence_client_running(p);
	CHECK(presence_published(p) && av.n_recs == 2 * PRESENCE_KEYS);
	/* agent.interfaces: on those interfaces only, republished. */
	scope_ifis[0] = 3, scope_ifis[1] = 5, n_scope_ifis = 2;
	presence_rescope(p);
	CHECK(presence_published(p) && av.n_recs == 2 * 2 * PRESENCE_KEYS);
	CHECK(av.recs[0].ifi == 3 && av.recs[av.n_recs - 1].ifi == 5);
	n_scope_ifis = 0;
	presence_rescope(p);
	CHECK(av.n_recs == 2 * PRESENCE_KEYS && av.recs[0].ifi == AVAHI_IF_UNSPEC);
	/* A failed group is retried. */
	av.group->cb(av.group, AVAHI_ENTRY_GROUP_FAILURE, av.group->ud);
	CHECK(!presence_published(p));
	avahi_fake_run(core.loop, PRESENCE_RETRY_S + 0.2);
	CHECK(presence_published(p));
	/* No host name: nothing published. */
	presence_client_lost(p);
	free(av.group);
	av.group = NULL;
	av.n_recs = 0;
	av.fqdn = "";
	presence_client_running(p);
	CHECK(!presence_published(p) && !av.group);
	presence_free(p);
	core.objects--; /* the client freed the group behind presence's back */
	teardown();
}

/* Up, heartbeat lost with the anchor kept: down, sightings removed and
 * withheld; a probe answered: up, sightings back. */
static void test_down_and_back(void)
{
	setup();
	sight("a", "h1.local");
	sight("b", "h1.local");
	sight("c", "h2.local");
	CHECK(av.upserts == 3);
	struct AvahiRecordBrowser *b1 = host_up("h1.local");
	host_up("h2.local");
	CHECK(b1 && b1->proto == AVAHI_PROTO_INET && b1->ifi == 2);
	struct mdns_stats st = stats();
	CHECK(st.hosts == 2 && st.hosts_up == 2 && st.hosts_down == 0);

	/* The heartbeat expires; the anchor stays: down after the judging. */
	rec(b1, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	CHECK(av.removes == 0);
	avahi_fake_run(core.loop, LV_JUDGE_S + 0.1);
	CHECK(av.removes == 2 && av.removes_down == 2);
	CHECK(av.host_down == 1 && av.last_n == 2);
	CHECK(!open_rb(0, "h1.local")); /* its querier is left to die */
	st = stats();
	CHECK(st.hosts_down == 1 && st.hosts_up == 1 && st.withheld == 2);
	CHECK(st.unresolved == 0);

	/* Not resolved while down: no resolver left open for them. */
	unsigned up = av.upserts;
	CHECK(!open_res("a") && !open_res("b") && open_res("c"));
	CHECK(stats().failed == 0);

	/* Probes alternate between the two other names, one at a time. */
	CHECK(RUN_UNTIL(open_rb(1, "h1.local"), LV_PROBE_FIRST_S + 0.5));
	struct AvahiRecordBrowser *p1 = open_rb(1, "h1.local");
	CHECK(!open_rb(2, "h1.local"));
	rec(p1, AVAHI_BROWSER_ALL_FOR_NOW, NULL); /* nothing: still down */
	CHECK(RUN_UNTIL(!open_rb(1, "h1.local"), LV_PROBE_HOLD_S + 0.5));
	CHECK(RUN_UNTIL(open_rb(2, "h1.local"), LV_PROBE_PERIOD_S + 0.5));
	struct AvahiRecordBrowser *p2 = open_rb(2, "h1.local");
	CHECK(!open_rb(1, "h1.local"));
	CHECK(stats().hosts_down == 1);
	if (!p2) {
		teardown();
		return;
	}

	/* The host answers a probe: up, its sightings resolved and back. */
	rec(p2, AVAHI_BROWSER_NEW, PRESENCE_ANCHOR);
	CHECK(stats().hosts_down == 1); /* an anchor alone says nothing */
	rec(p2, AVAHI_BROWSER_NEW, PRESENCE_HEARTBEAT);
	CHECK(av.host_up == 1 && av.last_n == 2); /* only a return is told */
	CHECK(stats().hosts_down == 0 && stats().hosts_up == 2);
	struct AvahiRecordBrowser *m = open_rb(0, "h1.local");
	CHECK(m != NULL); /* the main name, to take over */
	avahi_fake_run(core.loop, 0.05);
	CHECK(answer("a", "h1.local", 0) && answer("b", "h1.local", 0));
	CHECK(av.upserts == up + 2 && stats().withheld == 0);
	/* The probe name's heartbeat lapses (a judgement starts), then the
	 * main name has both: it takes over, the probe browser goes, and the
	 * judgement with it. */
	rec(p2, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	rec(m, AVAHI_BROWSER_NEW, PRESENCE_ANCHOR);
	rec(m, AVAHI_BROWSER_NEW, PRESENCE_HEARTBEAT);
	CHECK(!open_rb(2, "h1.local") && open_rb(0, "h1.local") == m);
	avahi_fake_run(core.loop, LV_JUDGE_S + 0.1);
	CHECK(av.host_down == 1 && stats().hosts_up == 2);
	/* ... and the main name counts from now on. */
	rec(m, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	avahi_fake_run(core.loop, LV_JUDGE_S + 0.1);
	CHECK(av.host_down == 2 && av.removes_down == 4);
	teardown();
}

/* A sighting resolved anew to a host that is down: removed and withheld,
 * and the counters stay straight. */
static void test_moved_to_down_host(void)
{
	setup();
	sight("a", "h1.local");
	sight("z", "h2.local");
	host_up("h1.local");
	struct AvahiRecordBrowser *b2 = host_up("h2.local");
	rec(b2, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	avahi_fake_run(core.loop, LV_JUDGE_S + 0.1);
	CHECK(av.removes_down == 1 && stats().withheld == 1);
	/* a's kept resolver: its SRV now points to h2. */
	CHECK(answer("a", "h2.local", 0));
	CHECK(av.removes_down == 2 && !strcmp(av.last_removed, "a"));
	struct mdns_stats st = stats();
	CHECK(st.withheld == 2 && st.unresolved == 0 && st.instances == 2);
	CHECK(!open_res("a")); /* parked */
	teardown();
}

/* A host slow to answer its refreshes (busy announcing) is asked once more
 * on a probe name before it is judged: an answer there keeps it up. */
static void test_confirmed_alive(void)
{
	setup();
	sight("a", "h1.local");
	struct AvahiRecordBrowser *b = host_up("h1.local");
	rec(b, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	struct AvahiRecordBrowser *c = open_rb(1, "h1.local");
	CHECK(c != NULL); /* asked at once, on a fresh name */
	if (c)
		rec(c, AVAHI_BROWSER_NEW, PRESENCE_HEARTBEAT);
	avahi_fake_run(core.loop, LV_JUDGE_S + 0.1);
	CHECK(av.removes == 0 && av.host_down == 0 && stats().hosts_up == 1);
	/* The main name answers again: it takes over, the probe goes. */
	rec(b, AVAHI_BROWSER_NEW, PRESENCE_HEARTBEAT);
	CHECK(!open_rb(1, "h1.local") && open_rb(0, "h1.local") == b);
	teardown();
}

/* A heartbeat that comes back within the judging is no death. */
static void test_blip(void)
{
	setup();
	sight("a", "h1.local");
	struct AvahiRecordBrowser *b = host_up("h1.local");
	rec(b, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	rec(b, AVAHI_BROWSER_NEW, PRESENCE_HEARTBEAT);
	avahi_fake_run(core.loop, LV_JUDGE_S + 0.1);
	CHECK(av.removes == 0 && av.host_down == 0 && stats().hosts_up == 1);
	teardown();
}

/* Both records go at once: a goodbye (lanyardd stopped). The host is
 * left to mDNS: nothing removed, no browser kept. */
static void test_goodbye(void)
{
	setup();
	sight("a", "h1.local");
	struct AvahiRecordBrowser *b = host_up("h1.local");
	rec(b, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	rec(b, AVAHI_BROWSER_REMOVE, PRESENCE_ANCHOR);
	avahi_fake_run(core.loop, LV_JUDGE_S + 0.1);
	CHECK(av.removes == 0 && av.host_down == 0 && av.host_left == 1);
	CHECK(!open_rb(0, "h1.local") && stats().hosts_up == 0 && stats().hosts == 1);
	/* A new instance of that host soon after: looked at again once
	 * LV_RECHECK_S has passed since the last look, without waiting for
	 * another instance (it may be its lanyardd's only one). */
	sight("b", "h1.local");
	CHECK(!open_rb(0, "h1.local"));
	CHECK(RUN_UNTIL(open_rb(0, "h1.local") != NULL, LV_RECHECK_S + 0.5));
	host_up("h1.local");
	CHECK(stats().hosts_up == 1);
	/* Nothing there later: plain again, and a new instance long after
	 * is looked at at once. */
	struct AvahiRecordBrowser *b2 = open_rb(0, "h1.local");
	rec(b2, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	rec(b2, AVAHI_BROWSER_REMOVE, PRESENCE_ANCHOR);
	CHECK(!open_rb(0, "h1.local"));
	avahi_fake_run(core.loop, LV_RECHECK_S + 0.05);
	sight("c", "h1.local");
	CHECK(open_rb(0, "h1.local") != NULL);
	teardown();
}

/* A crash seen by a late loop (a loaded host): the heartbeat expires, the
 * judging cannot run, and the anchor expires two seconds later. One after
 * the other is no goodbye: the host is down. */
static void test_crash_late_loop(void)
{
	setup();
	sight("a", "h1.local");
	struct AvahiRecordBrowser *b = host_up("h1.local");
	rec(b, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	/* the loop stalls: no timer runs (what the test simulates) */
	usleep((useconds_t)((PRESENCE_ANCHOR_TTL - PRESENCE_HEARTBEAT_TTL) * 1e6));
	rec(b, AVAHI_BROWSER_REMOVE, PRESENCE_ANCHOR);
	CHECK(av.host_left == 0);
	CHECK(av.host_down == 1 && av.removes_down == 1);
	CHECK(stats().hosts_down == 1);
	teardown();
}

/* No presence (a host without lanyardd): mDNS's timing, browser closed.
 * Only an anchor at the first look (the host died a moment ago): down. */
static void test_plain_and_anchor_only(void)
{
	setup();
	sight("a", "printer.local");
	struct AvahiRecordBrowser *b = open_rb(0, "printer.local");
	CHECK(b != NULL);
	rec(b, AVAHI_BROWSER_ALL_FOR_NOW, NULL);
	CHECK(open_rb(0, "printer.local") == b); /* an answer may be late */
	avahi_fake_run(core.loop, LV_PENDING_S + 0.1);
	CHECK(!open_rb(0, "printer.local") && stats().hosts_up == 0);
	CHECK(av.removes == 0 && av.host_down == 0);

	/* A late answer within that time: up. */
	sight("l", "late.local");
	b = open_rb(0, "late.local");
	rec(b, AVAHI_BROWSER_ALL_FOR_NOW, NULL);
	avahi_fake_run(core.loop, LV_PENDING_S / 2);
	rec(b, AVAHI_BROWSER_NEW, PRESENCE_HEARTBEAT);
	avahi_fake_run(core.loop, LV_PENDING_S);
	CHECK(open_rb(0, "late.local") == b && stats().hosts_up == 1 && av.host_down == 0);

	sight("z", "dead.local");
	b = open_rb(0, "dead.local");
	rec(b, AVAHI_BROWSER_NEW, PRESENCE_ANCHOR);
	rec(b, AVAHI_BROWSER_ALL_FOR_NOW, NULL);
	CHECK(av.removes == 0);
	avahi_fake_run(core.loop, LV_PENDING_S + 0.1);
	CHECK(av.removes_down == 1 && !strcmp(av.last_removed, "z"));
	CHECK(av.host_down == 1 && stats().hosts_down == 1);
	teardown();
}

/* A host whose probe names would not be valid (too long) is not
 * watched at all: it could be taken for down but never probed. */
static void test_unwatchable_host(void)
{
	char host[256], buf[256];

	/* 238 bytes: 253 with "_lanyard-alive.", 255 with "-a". */
	snprintf(host, sizeof(host), "%.60s.%.60s.%.60s.%.49s.local",
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	         "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	         "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	CHECK(strlen(host) == 238);
	CHECK(presence_name(0, host, buf, sizeof(buf)) &&
	      !presence_name(1, host, buf, sizeof(buf)));
	setup();
	sight("x", host);
	CHECK(av.n_rb == 0 && stats().hosts == 0 && av.upserts == 1);
	teardown();
}

/* This host's own sightings are not watched. */
static void test_local(void)
{
	setup();
	item(AVAHI_BROWSER_NEW, "mine", AVAHI_PROTO_INET);
	CHECK(answer("mine", "me.local", AVAHI_LOOKUP_RESULT_LOCAL));
	CHECK(av.n_rb == 0 && stats().hosts == 0 && av.upserts == 1);
	teardown();
}

/* A withheld sighting that mDNS withdraws is not reported twice; a down
 * host without sightings is forgotten after LV_LINGER_S. */
static void test_withdrawn_while_down(void)
{
	setup();
	sight("a", "h1.local");
	struct AvahiRecordBrowser *b = host_up("h1.local");
	rec(b, AVAHI_BROWSER_REMOVE, PRESENCE_HEARTBEAT);
	avahi_fake_run(core.loop, LV_JUDGE_S + 0.1);
	CHECK(av.removes == 1);
	item(AVAHI_BROWSER_REMOVE, "a", AVAHI_PROTO_INET);
	CHECK(av.removes == 1 && stats().withheld == 0 && stats().instances == 0);
	CHECK(stats().hosts == 1); /* lingers: its sightings may come back */
	avahi_fake_run(core.loop, LV_LINGER_S + LV_PROBE_PERIOD_S + 0.2);
	CHECK(stats().hosts == 0 && stats().hosts_down == 0);
	teardown();
}

/* A refused browser (avahi-daemon's object budget) is retried. */
static void test_refused(void)
{
	setup();
	av.refuse_rb = 1; /* nothing to make room with yet: retried later */
	sight("a", "h1.local");
	CHECK(!open_rb(0, "h1.local"));
	avahi_fake_run(core.loop, LV_RETRY_S + 0.1);
	CHECK(open_rb(0, "h1.local") != NULL);
	host_up("h1.local");
	CHECK(stats().hosts_up == 1);
	/* A browser failure: looked at again later, nothing removed. */
	rec(open_rb(0, "h1.local"), AVAHI_BROWSER_FAILURE, NULL);
	CHECK(!open_rb(0, "h1.local") && stats().hosts_up == 0 && av.removes == 0);
	avahi_fake_run(core.loop, LV_RETRY_S + 0.1);
	CHECK(open_rb(0, "h1.local") != NULL);
	teardown();
}

/* The client goes away: every host forgotten, nothing left open. */
static void test_client_lost(void)
{
	setup();
	sight("a", "h1.local");
	host_up("h1.local");
	struct AvahiRecordBrowser *b = open_rb(0, "h1.local");
	/* The client frees its objects itself. */
	b->open = false;
	av.rb_open--;
	core.objects--;
	liveness_client_lost(core.lv);
	CHECK(stats().hosts == 0);
	teardown();
}

int main(void)
{
	test_names();
	test_presence_records();
	test_down_and_back();
	test_moved_to_down_host();
	test_confirmed_alive();
	test_blip();
	test_goodbye();
	test_crash_late_loop();
	test_plain_and_anchor_only();
	test_local();
	test_unwatchable_host();
	test_withdrawn_while_down();
	test_refused();
	test_client_lost();
	return test_summary();
}
