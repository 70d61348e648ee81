/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/balance-tier: unfiltered picks from a service's
 * cached tier give exactly the picks of the scan over every endpoint
 * (each policy, under churn, ejections and their end, panic, trust, zones,
 * stale and down entries), and cost nothing per endpoint. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/balance-private.h" /* BFTIER_SLOTS */
#include "tests/unit/tap.h"

#define TYPE "_tier._tcp"
#define ZONE "sd.example"
#define POOL 48

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (unsigned)(rng % n);
}

struct world {
	struct cache *c;
	struct balance *b;
	/* 0: no filter (the tier), 1: a filter that takes all (the scan), 2:
	 * mixed; 3: this step's filter (the scan), 4: the same with its key
	 * (the keyed filter's tier) */
	int mode;
};

static void world_init(struct world *w, int mode, uint64_t seed)
{
	struct balance_params p;

	balance_params_default(&p);
	p.seed = seed;
	w->c = cache_new(NULL);
	w->b = balance_new(&p, w->c);
	w->mode = mode;
	if (!w->c || !w->b)
		exit(1);
}

static void world_done(struct world *w)
{
	balance_free(w->b);
	cache_free(w->c);
}

static bool take_all(void *ud, const struct cache_entry *e)
{
	(void)e;
	if (ud)
		++*(int *)ud;
	return true;
}

static unsigned num(const struct cache_entry *e)
{
	return (unsigned)atoi(e->name + 1);
}

static bool take_even(void *ud, const struct cache_entry *e)
{
	(void)ud;
	return num(e) % 2 == 0;
}

static bool take_thirds(void *ud, const struct cache_entry *e)
{
	(void)ud;
	return num(e) % 3 != 0 && strcmp(e->domain, "local") == 0;
}

static bool take_none(void *ud, const struct cache_entry *e)
{
	(void)ud, (void)e;
	return false;
}

/* The filters of worlds 3 and 4, and their keys. */
static const struct {
	bool (*fn)(void *ud, const struct cache_entry *e);
	const char *key;
} filters[] = {
        {take_all, "all"}, {take_even, "even"}, {take_thirds, "thirds"}, {take_none, "none"}};
static unsigned cur_filter; /* this step's */

/* Instance I: "nI" on this LAN (over mDNS) or, ZONED, in a browsed zone;
 * TXT weight, priority, health and load as given (LOAD < 0: none). */
static void put(struct world *w, unsigned i, bool zoned, unsigned weight, unsigned prio, bool ours,
                bool warn, int load)
{
	char name[16], t[4][32];
	const uint8_t *strs[4];
	size_t lens[4], n = 0;
	struct mdns_instance in = {.name = name,
	                           .type = TYPE,
	                           .domain = zoned ? ZONE : "local",
	                           .host = "h.local",
	                           .ifindex = zoned ? CACHE_IFINDEX_DNS : 1,
	                           .family = AF_INET,
	                           .port = 80,
	                           .ours = ours && !zoned};
	struct sockaddr_in *a = (struct sockaddr_in *)&in.addr;

	snprintf(name, sizeof(name), "n%02u", i);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0xc0000200u + i * 5u); /* 192.0.2.(5 i) */
	lens[n] = (size_t)snprintf(t[n], sizeof(t[n]), "weight=%u", weight), n++;
	lens[n] = (size_t)snprintf(t[n], sizeof(t[n]), "priority=%u", prio), n++;
	if (warn)
		lens[n] = (size_t)snprintf(t[n], sizeof(t[n]), "health=warning"), n++;
	if (load >= 0)
		lens[n] = (size_t)snprintf(t[n], sizeof(t[n]), "load=0.%d", load), n++;
	for (size_t k = 0; k < n; k++)
		strs[k] = (const uint8_t *)t[k];
	in.txt = strs, in.txt_len = lens, in.n_txt = n;
	if (cache_upsert(w->c, &in, 0) < 0)
		exit(1);
}

static struct cache_entry *find(struct world *w, unsigned i, bool zoned)
{
	char name[16];

	snprintf(name, sizeof(name), "n%02u", i);
	return cache_find(w->c, name, TYPE, zoned ? ZONE : NULL);
}

static int pick(struct world *w, const struct balance_request *rq0, double now,
                struct cache_entry **ret)
{
	struct balance_request rq = *rq0;

	if (w->mode == 1 || (w->mode == 2 && rnd(2)))
		rq.filter = take_all;
	if (w->mode >= 3)
		rq.filter = filters[cur_filter].fn;
	if (w->mode == 4) {
		rq.filter_key = filters[cur_filter].key;
		rq.filter_key_len = strlen(filters[cur_filter].key);
	}
	return balance_pick(w->b, cache_find_type(w->c, TYPE), &rq, now, ret);
}

/* Agents fed the same events: picks from the tier, from the scan, and
 * alternating between the two, every pick the same; and picks with
 * filters (changing at random, more of them than a service keeps) from
 * the scan and from the keyed filters' tiers, every pick the same. */
static void test_same_picks(void)
{
	enum { WORLDS = 5 };
	struct world w[WORLDS];
	struct cfg_trust_net net = {.family = AF_INET, .prefix = 26, .addr = {192, 0, 2, 0}};
	struct cfg_service svc = {.type = TYPE,
	                          .trust = {.has_from = true, .nets = &net, .n_nets = 1}};
	struct lanyard_config trusting = {0}, capped = {.services = &svc, .n_services = 1};
	double now = 0;
	int picks = 0, differ = 0, filtered = 0;
	char key[16];

	capped.agent.trust = (struct cfg_trust){.has_max_weight = true,
	                                        .max_weight = 2,
	                                        .has_min_priority = true,
	                                        .min_priority = 1};
	for (int k = 0; k < WORLDS; k++)
		world_init(&w[k], k, 5);
	for (int step = 0; step < 60000; step++) {
		/* Churn, then quiet spells where only reports and time move. */
		bool quiet = (step / 3000) % 2 == 1;
		unsigned r = quiet ? 166 + rnd(834) : rnd(1000), i = rnd(POOL);
		bool zoned = rnd(4) == 0;
		/* Decide everything before touching the worlds: same events. */
		unsigned weight = rnd(4), prio = rnd(2), ours = rnd(5) == 0, warn = rnd(6) == 0;
		int load = rnd(3) ? -1 : (int)rnd(3);
		unsigned fails = rnd(3) ? 1 : 5;
		bool ok = rnd(3) == 0, down = rnd(2), cap = rnd(2);
		struct balance_request rq = {.policy = (enum cfg_policy)rnd(_CFG_POLICY_MAX),
		                             .prefer_local = rnd(3) == 0,
		                             .any_domain = rnd(3) == 0,
		                             .skip_stale = rnd(2)};
		if (rnd(2)) {
			rq.key = key;
			rq.key_len = (size_t)snprintf(key, sizeof(key), "k%u", rnd(500));
		}
		cur_filter = rnd(4) ? rnd(3) : 3;
		unsigned dt = rnd(1000);
		if (dt < 2)
			now -= 5; /* time goes back: the tiers must not trust it */
		else if (dt < 10)
			now += 20; /* ejections end */
		else
			now += 0.01;
		for (int k = 0; k < WORLDS; k++) {
			struct cache_entry *e = find(&w[k], i, zoned);

			if (r < 100) {
				put(&w[k], i, zoned, weight, prio, ours, warn, load);
			} else if (r < 140 && e) {
				CHECK(cache_remove_sighting(w[k].c, e->name, TYPE, e->domain,
				                            e->sightings[0].ifindex, AF_INET,
				                            CACHE_GONE_WITHDRAWN,
				                            now) == CACHE_REMOVED);
			} else if (r < 160 && e) {
				CHECK(cache_set_down(w[k].c, e, down, now) >= 0);
			} else if (r < 163) {
				CHECK(cache_mark_stale(w[k].c, TYPE) >= 0);
			} else if (r < 166) {
				CHECK(balance_set_trust(w[k].b, cap ? &capped : &trusting) == 0);
			} else if (r < 300 && e) {
				for (unsigned f = 0; f < fails; f++)
					CHECK(balance_report(w[k].b, e, ok, 5, now) == 0);
			}
		}
		if (r < 300)
			continue;
		struct cache_entry *e[WORLDS] = {0};
		int ret[WORLDS];
		for (int k = 0; k < WORLDS; k++)
			ret[k] = pick(&w[k], &rq, now, &e[k]);
		picks++;
		filtered += ret[3] == 0;
		for (int k = 1; k < WORLDS; k++) {
			int o = k < 3 ? 0 : 3; /* the world it must agree with */
			bool same = ret[k] == ret[o] &&
			            (ret[o] < 0 || (strcmp(e[k]->name, e[o]->name) == 0 &&
			                            strcmp(e[k]->domain, e[o]->domain) == 0));
			if (k != o && !same && differ++ < 5)
				CHECK_MSG(
				        false,
				        "step %d policy %d world %d: %d %s/%s, world %d: %d %s/%s",
				        step, rq.policy, k, ret[k], ret[k] ? "-" : e[k]->name,
				        ret[k] ? "-" : e[k]->domain, o, ret[o],
				        ret[o] ? "-" : e[o]->name, ret[o] ? "-" : e[o]->domain);
		}
		if (ret[0] == 0 && rnd(3) == 0)
			for (int k = 0; k < 3; k++)
				CHECK(balance_report(w[k].b, e[k], true, 3, now) == 0);
		if (ret[3] == 0 && rnd(3) == 0)
			for (int k = 3; k < WORLDS; k++)
				CHECK(balance_report(w[k].b, e[k], true, 3, now) == 0);
	}
	printf("tier, scan and mixed: %d picks (%d filtered found one), %d differ\n", picks,
	       filtered, differ);
	CHECK(differ == 0 && picks > 30000 && filtered > 20000);
	for (int k = 0; k < WORLDS; k++)
		world_done(&w[k]);
}

static struct cache_entry *pick1(struct world *w, enum cfg_policy policy, double now)
{
	struct balance_request rq = {.policy = policy};
	struct cache_entry *e = NULL;

	if (!CHECK(pick(w, &rq, now, &e) == 0))
		exit(1);
	return e;
}

/* Smooth weighted round robin from the tier: the plain algorithm's
 * sequence and exact shares, also across a change of the set. */
static void test_weighted(void)
{
	struct world w;
	unsigned count[4] = {0};

	world_init(&w, 0, 1);
	put(&w, 0, false, 3, 0, false, false, -1), put(&w, 1, false, 1, 0, false, false, -1);
	/* current weights 3,1 -> pick 0 (-1,1); 2,2 -> tie, the first: 0
	 * (-2,2); 1,3 -> 1 (1,-1); 4,0 -> 0 (0,0): "0010" per round */
	for (int i = 0; i < 8; i++)
		CHECK_INT_EQ(num(pick1(&w, CFG_POLICY_WEIGHTED, 0)), "00100010"[i] - '0');
	for (int i = 0; i < 40000; i++)
		count[num(pick1(&w, CFG_POLICY_WEIGHTED, 0))]++;
	CHECK(count[0] == 30000 && count[1] == 10000);
	/* a newcomer starts at current weight 0; K full rounds: exact */
	put(&w, 2, false, 4, 0, false, false, -1);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 8000; i++)
		count[num(pick1(&w, CFG_POLICY_WEIGHTED, 0))]++;
	CHECK(count[0] == 3000 && count[1] == 1000 && count[2] == 4000);
	/* an ejection takes one out (1 of 3: not panic), its end brings it back */
	for (int i = 0; i < 5; i++)
		CHECK(balance_report(w.b, find(&w, 2, false), false, -1, 1) == 0);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 4000; i++)
		count[num(pick1(&w, CFG_POLICY_WEIGHTED, 2))]++;
	CHECK(count[0] == 3000 && count[1] == 1000 && count[2] == 0);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 8000; i++)
		count[num(pick1(&w, CFG_POLICY_WEIGHTED, 31))]++;
	CHECK(count[0] == 3000 && count[1] == 1000 && count[2] == 4000);
	world_done(&w);
}

/* Ejection and its end at the exact instant, the panic threshold, round
 * robin's order through them. */
static void test_ejection_and_panic(void)
{
	struct world w;
	unsigned seen;

	world_init(&w, 0, 1);
	for (unsigned i = 0; i < 4; i++)
		put(&w, i, false, 1, 0, false, false, -1);
	CHECK_INT_EQ(num(pick1(&w, CFG_POLICY_ROUND_ROBIN, 0)), 0);
	for (int i = 0; i < 5; i++) /* ejected until 30 */
		CHECK(balance_report(w.b, find(&w, 1, false), false, -1, 0) == 0);
	CHECK_INT_EQ(num(pick1(&w, CFG_POLICY_ROUND_ROBIN, 1)), 2);
	CHECK_INT_EQ(num(pick1(&w, CFG_POLICY_ROUND_ROBIN, 29.999)), 3);
	CHECK_INT_EQ(num(pick1(&w, CFG_POLICY_ROUND_ROBIN, 29.999)), 0);
	CHECK_INT_EQ(num(pick1(&w, CFG_POLICY_ROUND_ROBIN, 30)), 1); /* back, in its turn */
	/* 2 of 4 usable is not panic (threshold 0.5); 1 of 4 is */
	for (int i = 0; i < 5; i++) {
		CHECK(balance_report(w.b, find(&w, 0, false), false, -1, 31) == 0);
		CHECK(balance_report(w.b, find(&w, 1, false), false, -1, 31) == 0);
	}
	seen = 0;
	for (int i = 0; i < 8; i++)
		seen |= 1u << num(pick1(&w, CFG_POLICY_ROUND_ROBIN, 32));
	CHECK_INT_EQ(seen, 0xc);
	for (int i = 0; i < 5; i++)
		CHECK(balance_report(w.b, find(&w, 2, false), false, -1, 32) == 0);
	seen = 0;
	for (int i = 0; i < 8; i++)
		seen |= 1u << num(pick1(&w, CFG_POLICY_ROUND_ROBIN, 33));
	CHECK_INT_EQ(seen, 0xf);
	/* time going back before the ejections: every endpoint again, still */
	seen = 0;
	for (int i = 0; i < 8; i++)
		seen |= 1u << num(pick1(&w, CFG_POLICY_ROUND_ROBIN, 0));
	CHECK_INT_EQ(seen, 0xf);
	world_done(&w);
}

/* A pick from a current tier looks at no endpoint, whatever the service's
 * size, nor does a keyed filter's once built; a filtered one without a
 * key at every endpoint, hash with a key at the tier. */
static void test_visits(void)
{
	enum { N = 10000, PICKS = 1000 };
	struct world w;
	uint64_t v;
	int calls = 0;

	world_init(&w, 0, 1);
	cache_set_max_instances(w.c, 2 * N); /* a type may hold half */
	for (unsigned i = 0; i < N; i++) {
		char name[16];
		const uint8_t *strs[1];
		char t[16];
		size_t lens[1] = {(size_t)snprintf(t, sizeof(t), "weight=%u", 1 + i % 3)};
		struct mdns_instance in = {.name = name,
		                           .type = TYPE,
		                           .host = "h.local",
		                           .ifindex = 1,
		                           .family = AF_INET,
		                           .txt = strs,
		                           .txt_len = lens,
		                           .n_txt = 1};

		strs[0] = (const uint8_t *)t;
		snprintf(name, sizeof(name), "big%u", i);
		((struct sockaddr_in *)&in.addr)->sin_family = AF_INET;
		if (cache_upsert(w.c, &in, 0) < 0)
			exit(1);
	}
	for (enum cfg_policy p = 0; p < _CFG_POLICY_MAX; p++) {
		pick1(&w, p, 0); /* builds the tier (and the weighted state) */
		v = balance_visited(w.b);
		for (int i = 0; i < PICKS; i++)
			pick1(&w, p, 0);
		CHECK_MSG(balance_visited(w.b) == v,
		          "policy %d: %llu endpoints looked at in %d picks", (int)p,
		          (unsigned long long)(balance_visited(w.b) - v), PICKS);
	}
	struct balance_request rq = {.policy = CFG_POLICY_HASH, .key = "user-1", .key_len = 6};
	struct cache_entry *e, *again;
	v = balance_visited(w.b);
	CHECK(pick(&w, &rq, 0, &e) == 0);
	CHECK_INT_EQ(balance_visited(w.b) - v, N);
	/* the same key again: remembered, nothing ranked */
	v = balance_visited(w.b);
	CHECK(pick(&w, &rq, 0, &again) == 0);
	CHECK(balance_visited(w.b) == v && again == e);
	rq = (struct balance_request){
	        .policy = CFG_POLICY_ROUND_ROBIN, .filter = take_all, .filter_userdata = &calls};
	v = balance_visited(w.b);
	CHECK(balance_pick(w.b, cache_find_type(w.c, TYPE), &rq, 0, &e) == 0);
	CHECK_INT_EQ(balance_visited(w.b) - v, N);
	CHECK_INT_EQ(calls, N);
	/* a keyed filter: built once (the filter called for each endpoint),
	 * then picks look at none; another key is built on its own */
	calls = 0;
	rq.filter_key = "mine", rq.filter_key_len = 4;
	for (int i = 0; i < PICKS; i++)
		CHECK(balance_pick(w.b, cache_find_type(w.c, TYPE), &rq, 0, &e) == 0);
	CHECK_INT_EQ(calls, N);
	v = balance_visited(w.b);
	rq.filter_key = "mint";
	CHECK(balance_pick(w.b, cache_find_type(w.c, TYPE), &rq, 0, &e) == 0);
	CHECK_INT_EQ(balance_visited(w.b) - v, N);
	CHECK_INT_EQ(calls, 2 * N);
	/* one that leaves nothing is not kept: the filter explains each time;
	 * nor do more of them than there are slots push the kept ones out */
	char none[8];
	rq = (struct balance_request){.policy = CFG_POLICY_ROUND_ROBIN,
	                              .filter = take_none,
	                              .filter_key = none,
	                              .filter_key_len = 5};
	for (int i = 0; i < 3 * BFTIER_SLOTS; i++) {
		snprintf(none, sizeof(none), "no%03d", i % (2 * BFTIER_SLOTS));
		v = balance_visited(w.b);
		CHECK(balance_pick(w.b, cache_find_type(w.c, TYPE), &rq, 0, &e) == -ENOENT);
		CHECK_INT_EQ(balance_visited(w.b) - v, N);
	}
	rq = (struct balance_request){.policy = CFG_POLICY_ROUND_ROBIN,
	                              .filter = take_all,
	                              .filter_userdata = &calls,
	                              .filter_key = "mine",
	                              .filter_key_len = 4};
	v = balance_visited(w.b);
	CHECK(balance_pick(w.b, cache_find_type(w.c, TYPE), &rq, 0, &e) == 0);
	CHECK(balance_visited(w.b) == v);
	rq = (struct balance_request){
	        .policy = CFG_POLICY_ROUND_ROBIN, .filter = take_all, .filter_userdata = &calls};
	/* a filtered weighted pick, then unfiltered again: one rebase each */
	rq.policy = CFG_POLICY_WEIGHTED;
	CHECK(balance_pick(w.b, cache_find_type(w.c, TYPE), &rq, 0, &e) == 0);
	pick1(&w, CFG_POLICY_WEIGHTED, 0);
	v = balance_visited(w.b);
	pick1(&w, CFG_POLICY_WEIGHTED, 0);
	CHECK(balance_visited(w.b) == v);
	world_done(&w);
}

/* Hash with a key over a large tier, remembered per key: the same picks
 * as ranking every candidate each time (the scan), before and after the
 * set changes (a removal, an ejection, a weight). */
static void test_hash_memo(void)
{
	enum { N = 300, KEYS = 3000 };
	struct world w[2];
	char key[16];
	int differ = 0, picks = 0;

	for (int k = 0; k < 2; k++) {
		world_init(&w[k], k, 1);
		for (unsigned i = 0; i < N; i++)
			put(&w[k], i, false, 1 + i % 3, 0, false, false, -1);
	}
	for (int round = 0; round < 4; round++) {
		for (int pass = 0; pass < 2; pass++) { /* the second: remembered */
			for (unsigned i = 0; i < KEYS; i++) {
				struct balance_request rq = {.policy = CFG_POLICY_HASH, .key = key};
				struct cache_entry *e[2];

				rq.key_len = (size_t)snprintf(key, sizeof(key), "u%u", i);
				for (int k = 0; k < 2; k++)
					CHECK(pick(&w[k], &rq, 10.0 * round, &e[k]) == 0);
				picks++;
				if (strcmp(e[0]->name, e[1]->name) != 0 && differ++ < 5)
					CHECK_MSG(false, "round %d key %s: %s, ranked: %s", round,
					          key, e[0]->name, e[1]->name);
			}
		}
		for (int k = 0; k < 2; k++) {
			struct cache_entry *x = find(&w[k], (unsigned)round * 7, false);

			if (round == 0)
				CHECK(cache_remove_sighting(w[k].c, x->name, TYPE, x->domain, 1,
				                            AF_INET, CACHE_GONE_WITHDRAWN,
				                            0) == CACHE_REMOVED);
			for (int f = 0; round == 1 && f < 5; f++)
				CHECK(balance_report(w[k].b, x, false, -1, 10) == 0);
			if (round == 2)
				put(&w[k], 21, false, 9, 0, false, false, -1);
		}
	}
	printf("hash over %d: %d picks, %d differ\n", N, picks, differ);
	CHECK(differ == 0);
	for (int k = 0; k < 2; k++)
		world_done(&w[k]);
}

int main(void)
{
	test_same_picks();
	test_weighted();
	test_ejection_and_panic();
	test_visits();
	test_hash_memo();
	return test_summary();
}
