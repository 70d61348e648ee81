/* SPDX-License-Identifier: MIT */
/* The browse/resolve state machine of mdns/ (browse.c, resolve.c) driven
 * through a stand-in for libavahi-client: short-lived and kept resolvers,
 * the object budget learnt from a refusal, refreshes and their rate cap,
 * failures and retries, sightings leaving at every step. Built with short
 * periods (tests/local.mk); run under ASan and valgrind like the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/address.h>
#include <avahi-common/error.h>

#include "mdns/browse.h"
#include "mdns/internal.h"
#include "mdns/liveness.h"
#include "mdns/resolve.h"
#include "mdns/sighting.h"
#include "tests/unit/avahi-fake.h"
#include "tests/unit/tap.h"

#define TYPE "_x._tcp"

/* ---- the events browse.c sends up (mdns.c is not linked) ------------------------ */

static struct {
	unsigned upserts, removes, settled, unsettled;
} av;

void core_emit_instance(struct mdns_core *c, enum mdns_instance_event ev,
                        const struct mdns_instance *in)
{
	if (ev == MDNS_INSTANCE_UPSERT)
		av.upserts++;
	else
		av.removes++;
}

void core_emit_browse_state(struct mdns_core *c, const char *type, bool settled)
{
	if (settled)
		av.settled++;
	else
		av.unsettled++;
}

void core_emit_type_found(struct mdns_core *c, const char *type)
{
}

/* Liveness (liveness.c, tested in test-mdns-liveness) is not linked: no
 * host is watched, no sighting withheld. */
bool liveness_found(struct liveness *lv, struct br_inst *i, const char *host)
{
	return false;
}

void liveness_drop(struct liveness *lv, struct br_inst *i)
{
}

/* ---- driving it -------------------------------------------------------------------- */

static struct mdns_core core;

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
	browse_add(core.br, TYPE);
	CHECK(avf.browser != NULL);
}

static void teardown(void)
{
	browse_free(core.br);
	resolve_free(core.res);
	CHECK(avf.n_open == 0); /* every resolver freed */
	CHECK(core.objects == 0);
	avahi_fake_reset();
	ev_loop_destroy(core.loop);
}

static void item(AvahiBrowserEvent ev, const char *name, AvahiProtocol proto)
{
	avahi_fake_item(ev, name, TYPE, proto);
}

static void answer(struct AvahiServiceResolver *r, AvahiResolverEvent ev)
{
	AvahiAddress a = {.proto = r->proto};

	r->cb((AvahiServiceResolver *)r, r->ifi, r->proto, ev, r->name, TYPE, "local", "h.local",
	      &a, 80, NULL, 0, r->ud);
}

/* Answer FOUND to every open short-lived resolver (those opened since
 * FROM), until none is left; returns how many answered. */
static unsigned answer_all(size_t from)
{
	unsigned n = 0;
	bool again = true;

	while (again) {
		again = false;
		for (size_t i = from; i < avf.n_res; i++) {
			struct br_inst *s = avf.res[i]->ud;

			if (avf.res[i]->open && s->res == RES_ONCE) {
				answer(avf.res[i], AVAHI_RESOLVER_FOUND);
				n++;
				again = true;
			}
		}
	}
	return n;
}

static struct mdns_stats stats(void)
{
	struct mdns_stats st = {0};

	browse_stats(core.br, &st);
	return st;
}

/* ---- the cases ------------------------------------------------------------------------ */

/* New sightings: a few resolvers at a time, one kept per instance, the
 * IPv6 sibling heard of through it. */
static void test_first_pass(void)
{
	char name[16];

	setup();
	for (int k = 0; k < 6; k++) {
		snprintf(name, sizeof(name), "i%d", k);
		item(AVAHI_BROWSER_NEW, name, AVAHI_PROTO_INET);
		item(AVAHI_BROWSER_NEW, name, AVAHI_PROTO_INET6);
	}
	item(AVAHI_BROWSER_ALL_FOR_NOW, NULL, AVAHI_PROTO_UNSPEC);
	/* INFLIGHT_MAX (4 in this build) at a time. */
	CHECK(avf.n_open == 4);
	CHECK(av.settled == 0);
	CHECK(answer_all(0) == 12);
	CHECK(av.upserts == 12 && av.settled == 1);
	/* Kept: the six IPv4 sightings' resolvers; the IPv6 ones are freed. */
	CHECK(stats().resolvers == 6 && avf.n_open == 6);
	CHECK(stats().unresolved == 0 && stats().instances == 12);
	for (int k = 0; k < 6; k++) {
		snprintf(name, sizeof(name), "i%d", k);
		CHECK(avahi_fake_open_res(name, AVAHI_PROTO_INET) != NULL);
		CHECK(avahi_fake_open_res(name, AVAHI_PROTO_INET6) == NULL);
	}
	/* A change through a kept resolver: reported, and the sibling's own
	 * address looked at again. */
	answer(avahi_fake_open_res("i2", AVAHI_PROTO_INET), AVAHI_RESOLVER_FOUND);
	CHECK(av.upserts == 13);
	CHECK(avahi_fake_open_res("i2", AVAHI_PROTO_INET6) != NULL);
	answer(avahi_fake_open_res("i2", AVAHI_PROTO_INET6), AVAHI_RESOLVER_FOUND);
	CHECK(avf.n_open == 6);
	/* The kept one leaves: its sibling needs a resolver of its own. */
	item(AVAHI_BROWSER_REMOVE, "i3", AVAHI_PROTO_INET);
	CHECK(av.removes == 1 && avahi_fake_open_res("i3", AVAHI_PROTO_INET6) != NULL);
	answer(avahi_fake_open_res("i3", AVAHI_PROTO_INET6), AVAHI_RESOLVER_FOUND);
	CHECK(avahi_fake_open_res("i3", AVAHI_PROTO_INET6) != NULL); /* kept now: no IPv4 sibling */
	CHECK(stats().resolvers == 6);
	teardown();
}

/* avahi-daemon refuses an object: the budget is learnt, kept resolvers
 * make room, and a sighting whose resolver was refused can leave at any
 * time (it once sat on two lists at once, then was used after free). */
static void test_refused(void)
{
	char name[16];

	setup();
	for (int k = 0; k < 6; k++) {
		snprintf(name, sizeof(name), "i%d", k);
		item(AVAHI_BROWSER_NEW, name, AVAHI_PROTO_INET);
		item(AVAHI_BROWSER_NEW, name, AVAHI_PROTO_INET6);
	}
	answer_all(0);
	CHECK(stats().resolvers == 6);
	/* i0's kept resolver reports a change: its IPv6 sibling is queued,
	 * and its resolver is the one refused. */
	avf.refuse = 1;
	answer(avahi_fake_open_res("i0", AVAHI_PROTO_INET), AVAHI_RESOLVER_FOUND);
	CHECK(core.objects_max != OBJECTS_UNKNOWN);
	printf("# budget learnt: %zu objects; %zu resolvers open\n", core.objects_max,
	       stats().resolvers);
	/* The budget (7 objects) leaves no room to keep any (the margins
	 * take more): every kept resolver was closed, refreshed instead; the
	 * refused one got its resolver then. */
	CHECK(stats().resolvers <= 1 && avf.n_open == stats().resolvers);
	item(AVAHI_BROWSER_REMOVE, "i0", AVAHI_PROTO_INET6);
	item(AVAHI_BROWSER_REMOVE, "i0", AVAHI_PROTO_INET);
	CHECK(stats().instances == 10);
	/* The rest still resolves: with room again (a new daemon), every
	 * sighting is reachable from some list. */
	core.objects_max = OBJECTS_UNKNOWN;
	avahi_fake_run(core.loop, 0.5); /* RETRY_S and REFRESH_S are short here */
	answer_all(0);
	CHECK(stats().unresolved == 0);
	teardown();
}

/* A refresh that fails is not retried at once (it once spun at 10/s). */
static void test_failed_refresh(void)
{
	char name[16], lone[16] = "";
	size_t before;

	setup();
	/* Nine: KEPT_MAX (8 here) are kept, one is refreshed. */
	for (int k = 0; k < 9; k++) {
		snprintf(name, sizeof(name), "f%d", k);
		item(AVAHI_BROWSER_NEW, name, AVAHI_PROTO_INET);
	}
	answer_all(0);
	for (int k = 0; k < 9; k++) {
		snprintf(name, sizeof(name), "f%d", k);
		if (!avahi_fake_open_res(name, AVAHI_PROTO_INET))
			snprintf(lone, sizeof(lone), "%s", name);
	}
	CHECK(lone[0] != '\0');
	avahi_fake_run(core.loop, 0.5); /* past REFRESH_S (0.3 s): resolved again */
	CHECK(avahi_fake_open_res(lone, AVAHI_PROTO_INET) != NULL);
	answer(avahi_fake_open_res(lone, AVAHI_PROTO_INET), AVAHI_RESOLVER_FAILURE);
	before = avf.n_res;
	avahi_fake_run(core.loop, 0.1); /* less than REFRESH_S */
	CHECK(avf.n_res == before);
	avahi_fake_run(core.loop, 0.5);
	CHECK(avf.n_res == before + 1); /* once, REFRESH_S after the failure */
	answer_all(0);
	teardown();
}

/* A first resolution that failed while the client re-probes its host name
 * is retried when it runs again (it once stayed unresolved for ever). */
static void test_failed_first(void)
{
	setup();
	item(AVAHI_BROWSER_NEW, "b", AVAHI_PROTO_INET);
	answer(avahi_fake_open_res("b", AVAHI_PROTO_INET), AVAHI_RESOLVER_FAILURE);
	CHECK(stats().unresolved == 1);
	core.state = MDNS_CLIENT_REGISTERING;
	avahi_fake_run(core.loop, 0.4); /* the retry comes and goes: not running */
	CHECK(avahi_fake_open_res("b", AVAHI_PROTO_INET) == NULL);
	core.state = MDNS_CLIENT_RUNNING;
	browse_client_running(core.br);
	CHECK(avahi_fake_open_res("b", AVAHI_PROTO_INET) != NULL);
	answer_all(0);
	CHECK(stats().unresolved == 0);
	teardown();
}

/* A resolver that answers without an address, or never answers, is given
 * up and its sighting tried again (one once stayed open for ever). */
static void test_no_answer(void)
{
	struct AvahiServiceResolver *r;

	setup();
	item(AVAHI_BROWSER_NEW, "c", AVAHI_PROTO_INET);
	r = avahi_fake_open_res("c", AVAHI_PROTO_INET);
	r->cb((AvahiServiceResolver *)r, r->ifi, r->proto, AVAHI_RESOLVER_FOUND, r->name, TYPE,
	      "local", "h.local", NULL, 80, NULL, 0, r->ud);
	CHECK(!r->open && stats().failed == 1 && av.upserts == 0);
	avahi_fake_run(core.loop, 0.3); /* RETRY_S: 0.2 s here */
	r = avahi_fake_open_res("c", AVAHI_PROTO_INET);
	CHECK(r != NULL);
	/* That one never answers: given up ANSWER_S (0.4 s here) after it
	 * opened (at 0.2 s). */
	avahi_fake_run(core.loop, 0.05);
	CHECK(r->open);
	avahi_fake_run(core.loop, 0.45);
	CHECK(!r->open);
	avahi_fake_run(core.loop, 0.3);
	CHECK(avahi_fake_open_res("c", AVAHI_PROTO_INET) != NULL); /* tried again */
	answer_all(0);
	CHECK(av.upserts == 1 && stats().unresolved == 0);
	teardown();
}

/* Past KEPT_MAX, sightings are refreshed, at most REFRESH_PER_S a second. */
static void test_refresh_rate(void)
{
	char name[16];
	size_t before;

	setup();
	for (int k = 0; k < 120; k++) {
		snprintf(name, sizeof(name), "r%d", k);
		item(AVAHI_BROWSER_NEW, name, AVAHI_PROTO_INET);
	}
	answer_all(0);
	CHECK(stats().resolvers == 8); /* KEPT_MAX in this build */
	/* Answer refreshes as they come, for 1 s: the cap (50/s) holds. */
	before = avf.n_res;
	for (int t = 0; t < 20; t++) {
		avahi_fake_run(core.loop, 0.05);
		answer_all(before);
	}
	printf("# %zu refreshes in 1 s of 112 sightings due every 0.3 s\n", avf.n_res - before);
	CHECK(avf.n_res - before >= 5 && avf.n_res - before <= 60);
	teardown();
}

int main(void)
{
	test_first_pass();
	test_refused();
	test_failed_refresh();
	test_failed_first();
	test_no_answer();
	test_refresh_rate();
	return test_summary();
}
