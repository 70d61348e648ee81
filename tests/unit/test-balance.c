/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/balance and agent/health: each policy, tiers, local preference, ejection. */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/balance.h"
#include "tests/unit/tap.h"

#define TYPE "_svc._tcp"

struct fx {
	struct cache *c;
	struct balance *b;
};

static void fx_init(struct fx *f, uint64_t seed)
{
	struct balance_params p;
	balance_params_default(&p);
	p.seed = seed;
	f->c = cache_new(NULL);
	f->b = balance_new(&p, f->c);
	if (!f->c || !f->b)
		exit(1);
}

static void fx_done(struct fx *f)
{
	balance_free(f->b);
	cache_free(f->c);
}

/* Add or update instance NAME with TXT strings separated by '|'. */
static void add(struct fx *f, const char *name, const char *txt, bool local)
{
	struct mdns_instance in = {.name = name,
	                           .type = TYPE,
	                           .domain = "local",
	                           .host = "h.local",
	                           .ifindex = 1,
	                           .family = AF_INET,
	                           .port = 80,
	                           .ours = local};
	const uint8_t *strs[8];
	size_t lens[8], n = 0;
	struct sockaddr_in *a = (struct sockaddr_in *)&in.addr;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0xc0000201);
	for (const char *p = txt; p && *p && n < 8;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		strs[n] = (const uint8_t *)p, lens[n++] = l;
		p += l + (bar ? 1 : 0);
	}
	in.txt = strs, in.txt_len = lens, in.n_txt = n;
	if (cache_upsert(f->c, &in, 0) < 0) {
		fprintf(stderr, "upsert %s failed\n", name);
		exit(1);
	}
}

static void del(struct fx *f, const char *name)
{
	CHECK(cache_remove_sighting(f->c, name, TYPE, NULL, 1, AF_INET, CACHE_GONE_WITHDRAWN, 0) ==
	      CACHE_REMOVED);
}

static struct cache_entry *ent(struct fx *f, const char *name)
{
	return cache_find(f->c, name, TYPE, NULL);
}

static struct cache_entry *pick_rq(struct fx *f, const struct balance_request *rq, double now)
{
	struct cache_entry *e = NULL;
	int r = balance_pick(f->b, cache_find_type(f->c, TYPE), rq, now, &e);
	if (!CHECK_MSG(r >= 0, "balance_pick: %d", r))
		exit(1);
	return e;
}

static struct cache_entry *pick(struct fx *f, enum cfg_policy policy, double now)
{
	struct balance_request rq = {.policy = policy};
	return pick_rq(f, &rq, now);
}

/* N of an instance named "eN", else the offset of its one letter from 'a' (not "e"). */
static int num(const struct cache_entry *e)
{
	return e->name[0] == 'e' ? atoi(e->name + 1) : e->name[0] - 'a';
}

static void add_n(struct fx *f, int n, const char *txt)
{
	char name[16];
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "e%d", (i * 7) % n); /* not in name order */
		add(f, name, txt, false);
	}
}

static void fail_n(struct fx *f, const char *name, int n, double now)
{
	for (int i = 0; i < n; i++)
		CHECK(balance_report(f->b, ent(f, name), false, -1, now) == 0);
}

static void test_round_robin_cyclic(void)
{
	struct fx f;
	int count[5] = {0};
	fx_init(&f, 1);
	add_n(&f, 5, "");
	int prev = num(pick(&f, CFG_POLICY_ROUND_ROBIN, 0));
	count[prev]++;
	for (int i = 1; i < 100000; i++) {
		int cur = num(pick(&f, CFG_POLICY_ROUND_ROBIN, 0));
		if (cur != (prev + 1) % 5) {
			CHECK(!"round robin not cyclic");
			break;
		}
		count[cur]++, prev = cur;
	}
	for (int i = 0; i < 5; i++)
		CHECK(count[i] == 20000);
	fx_done(&f);
}

static void test_round_robin_churn(void)
{
	struct fx f;
	fx_init(&f, 1);
	add(&f, "b", "", false), add(&f, "d", "", false), add(&f, "f", "", false);
	CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 0)->name[0] == 'b');
	CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 0)->name[0] == 'd');
	add(&f, "e", "", false); /* joins after the cursor: next */
	add(&f, "a", "", false); /* joins before it: next round */
	CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 0)->name[0] == 'e');
	del(&f, "e"); /* the cursor goes: continue after its key */
	CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 0)->name[0] == 'f');
	CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 0)->name[0] == 'a');
	del(&f, "b"); /* the next one goes: skipped, nothing repeated */
	CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 0)->name[0] == 'd');
	add(&f, "d", "weight=3", false); /* a change of the cursor keeps the place */
	CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 0)->name[0] == 'f');
	fx_done(&f);
}

static void test_weighted(void)
{
	struct fx f;
	fx_init(&f, 1);
	add(&f, "a", "weight=5", false), add(&f, "b", "weight=1", false);
	add(&f, "c", "weight=1", false);
	const char *want = "aabacaa";
	for (int i = 0; i < 7; i++)
		CHECK(pick(&f, CFG_POLICY_WEIGHTED, 0)->name[0] == want[i]);
	int count[3] = {0};
	for (int i = 0; i < 100002; i++)
		count[num(pick(&f, CFG_POLICY_WEIGHTED, 0))]++;
	/* 100002 = 14286 rounds of 7: exact */
	CHECK(count[0] == 71430 && count[1] == 14286 && count[2] == 14286);
	fx_done(&f);

	/* weight 0 only when nothing else is left */
	fx_init(&f, 1);
	add(&f, "x", "weight=3", false), add(&f, "z", "weight=0", false);
	for (int i = 0; i < 1000; i++)
		CHECK(pick(&f, CFG_POLICY_WEIGHTED, 0)->name[0] == 'x');
	for (int i = 0; i < 1000; i++)
		CHECK(pick(&f, CFG_POLICY_WEIGHTED_RANDOM, 0)->name[0] == 'x');
	fail_n(&f, "x", 5, 0); /* 1 of 2 usable: not panic */
	CHECK(pick(&f, CFG_POLICY_WEIGHTED, 1)->name[0] == 'z');
	CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 1)->name[0] == 'z');
	fx_done(&f);

	/* a newcomer starts at current weight 0: no burst */
	fx_init(&f, 1);
	add(&f, "a", "weight=4", false), add(&f, "b", "weight=6", false);
	for (int i = 0; i < 1003; i++)
		pick(&f, CFG_POLICY_WEIGHTED, 0);
	add(&f, "c", "weight=10", false);
	int c2[3] = {0};
	for (int i = 0; i < 20; i++)
		c2[num(pick(&f, CFG_POLICY_WEIGHTED, 0))]++;
	CHECK(abs(c2[0] - 4) <= 1 && abs(c2[1] - 6) <= 1 && abs(c2[2] - 10) <= 1);
	fx_done(&f);
}

static void check_shares(const int *count, const double *want, int n, int total)
{
	for (int i = 0; i < n; i++) {
		double share = (double)count[i] / total;
		CHECK_MSG(fabs(share - want[i]) <= 0.01, "share of %d: %.4f, want %.4f", i, share,
		          want[i]);
	}
}

static void test_random(void)
{
	struct fx f;
	int count[4] = {0};
	fx_init(&f, 42);
	add(&f, "a", "weight=1", false), add(&f, "b", "weight=2", false);
	add(&f, "c", "weight=3", false), add(&f, "d", "weight=4", false);
	for (int i = 0; i < 100000; i++)
		count[num(pick(&f, CFG_POLICY_RANDOM, 0))]++;
	check_shares(count, (double[]){0.25, 0.25, 0.25, 0.25}, 4, 100000);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 100000; i++)
		count[num(pick(&f, CFG_POLICY_WEIGHTED_RANDOM, 0))]++;
	check_shares(count, (double[]){0.1, 0.2, 0.3, 0.4}, 4, 100000);
	fx_done(&f);
}

enum { KEYS = 100000 };

static void map_keys(struct fx *f, short *out)
{
	char key[32];
	for (int i = 0; i < KEYS; i++) {
		struct balance_request rq = {.policy = CFG_POLICY_HASH, .key = key};
		rq.key_len = (size_t)snprintf(key, sizeof(key), "user-%d", i);
		out[i] = (short)num(pick_rq(f, &rq, 0));
	}
}

static void test_hash(void)
{
	static short m1[KEYS], m2[KEYS];
	struct fx f, g;
	int count[11] = {0};
	fx_init(&f, 1);
	add_n(&f, 10, "");
	map_keys(&f, m1);
	for (int i = 0; i < KEYS; i++)
		count[m1[i]]++;
	for (int i = 0; i < 10; i++)
		CHECK(abs(count[i] - KEYS / 10) < KEYS / 100);

	/* one of N leaves: only its keys move */
	del(&f, "e3");
	map_keys(&f, m2);
	int moved = 0, wrong = 0;
	for (int i = 0; i < KEYS; i++)
		if (m1[i] != m2[i])
			moved++, wrong += m1[i] != 3;
	printf("hash: e3 of 10 leaves: %.4f of keys move (1/N = 0.1)\n", (double)moved / KEYS);
	CHECK(wrong == 0 && moved <= 1.2 * KEYS / 10);
	/* it comes back: the same map */
	add(&f, "e3", "", false);
	map_keys(&f, m2);
	CHECK(memcmp(m1, m2, sizeof(m1)) == 0);
	/* one joins N: about 1/(N+1) of the keys move, all to it */
	add(&f, "e10", "", false);
	map_keys(&f, m2);
	moved = wrong = 0;
	for (int i = 0; i < KEYS; i++)
		if (m1[i] != m2[i])
			moved++, wrong += m2[i] != 10;
	printf("hash: e10 joins 10: %.4f of keys move (1/(N+1) = %.4f)\n", (double)moved / KEYS,
	       1.0 / 11);
	CHECK(wrong == 0 && moved >= 0.8 * KEYS / 11 && moved <= 1.2 * KEYS / 11);

	/* another agent (other seed, other insertion order) maps keys alike */
	fx_init(&g, 99);
	for (int i = 10; i >= 0; i--) {
		char name[16];
		snprintf(name, sizeof(name), "e%d", i);
		add(&g, name, "", false);
	}
	map_keys(&g, m1);
	CHECK(memcmp(m1, m2, sizeof(m1)) == 0);
	fx_done(&g);
	/* no key: still a pick */
	CHECK(pick(&f, CFG_POLICY_HASH, 0) != NULL);
	fx_done(&f);

	/* weighted */
	fx_init(&f, 1);
	add(&f, "a", "weight=1", false), add(&f, "b", "weight=2", false);
	add(&f, "c", "weight=3", false), add(&f, "d", "weight=4", false);
	map_keys(&f, m1);
	memset(count, 0, sizeof(count));
	for (int i = 0; i < KEYS; i++)
		count[m1[i]]++;
	check_shares(count, (double[]){0.1, 0.2, 0.3, 0.4}, 4, KEYS);
	del(&f, "b");
	map_keys(&f, m2);
	moved = wrong = 0;
	for (int i = 0; i < KEYS; i++)
		if (m1[i] != m2[i])
			moved++, wrong += m1[i] != 1;
	CHECK(wrong == 0 && moved == count[1]);
	fx_done(&f);
}

static void test_p2c(void)
{
	struct fx f;
	struct balance_status st;
	fx_init(&f, 7);
	add(&f, "a", "", false), add(&f, "b", "", false);
	int count[2] = {0};
	for (int i = 0; i < 10000; i++) {
		struct cache_entry *e = pick(&f, CFG_POLICY_P2C, 0);
		count[num(e)]++;
		balance_report(f.b, e, true, num(e) == 0 ? 100 : 1, 0);
	}
	CHECK(count[1] > 9 * count[0]);
	balance_status(f.b, ent(&f, "a"), 0, &st);
	CHECK(fabs(st.latency_ms - 100) < 1e-9 && st.outstanding == 0 && !st.ejected);
	fx_done(&f);

	/* outstanding picks spread the load; reports and time end them */
	fx_init(&f, 7);
	add(&f, "a", "", false), add(&f, "b", "", false), add(&f, "c", "", false);
	int n[3] = {0};
	for (int i = 0; i < 999; i++)
		n[num(pick(&f, CFG_POLICY_P2C, 0))]++;
	CHECK(abs(n[0] - 333) <= 2 && abs(n[1] - 333) <= 2 && abs(n[2] - 333) <= 2);
	balance_status(f.b, ent(&f, "a"), 0, &st);
	CHECK(st.outstanding == n[0] && st.picks == (uint64_t)n[0]);
	balance_report(f.b, ent(&f, "a"), true, -1, 0);
	balance_status(f.b, ent(&f, "a"), 0, &st);
	CHECK(st.outstanding == n[0] - 1 && st.latency_ms == 0);
	balance_status(f.b, ent(&f, "a"), 30, &st);
	CHECK(fabs(st.outstanding - (n[0] - 1) / 2.0) < 1e-6);
	fx_done(&f);
}

static void test_least_loaded(void)
{
	struct fx f;
	fx_init(&f, 1);
	add(&f, "a", "load=0.5", false), add(&f, "b", "load=0.2", false);
	add(&f, "c", "load=0.9", false), add(&f, "d", "", false);
	for (int i = 0; i < 100; i++)
		CHECK(pick(&f, CFG_POLICY_LEAST_LOADED, 0)->name[0] == 'b');
	add(&f, "c", "load=0.2", false); /* a tie rotates */
	CHECK(pick(&f, CFG_POLICY_LEAST_LOADED, 0)->name[0] == 'c');
	CHECK(pick(&f, CFG_POLICY_LEAST_LOADED, 0)->name[0] == 'b');
	CHECK(pick(&f, CFG_POLICY_LEAST_LOADED, 0)->name[0] == 'c');
	fx_done(&f);
	fx_init(&f, 1); /* nobody publishes a load: round robin */
	add(&f, "a", "", false), add(&f, "b", "", false);
	CHECK(pick(&f, CFG_POLICY_LEAST_LOADED, 0)->name[0] == 'a');
	CHECK(pick(&f, CFG_POLICY_LEAST_LOADED, 0)->name[0] == 'b');
	CHECK(pick(&f, CFG_POLICY_LEAST_LOADED, 0)->name[0] == 'a');
	fx_done(&f);
}

static void test_tiers_and_panic(void)
{
	struct fx f;
	fx_init(&f, 1);
	add(&f, "a", "priority=0", false), add(&f, "b", "priority=0", false);
	add(&f, "c", "priority=1", false), add(&f, "d", "priority=1", false);
	add(&f, "e", "priority=1", false);
	for (enum cfg_policy p = 0; p < _CFG_POLICY_MAX; p++)
		for (int i = 0; i < 100; i++)
			CHECK(pick(&f, p, 0)->name[0] <= 'b');
	/* tier 0 ejected; 3 of 5 usable is not panic: tier 1 */
	fail_n(&f, "a", 5, 0), fail_n(&f, "b", 5, 0);
	for (enum cfg_policy p = 0; p < _CFG_POLICY_MAX; p++)
		for (int i = 0; i < 100; i++)
			CHECK(pick(&f, p, 1)->name[0] >= 'c');
	/* 2 of 5 usable: panic, ejection ignored, tier 0 again */
	fail_n(&f, "c", 5, 1);
	for (int i = 0; i < 100; i++)
		CHECK(pick(&f, CFG_POLICY_RANDOM, 2)->name[0] <= 'b');
	/* ejections end */
	CHECK(pick(&f, CFG_POLICY_RANDOM, 31.5)->name[0] <= 'b');
	fx_done(&f);

	/* panic threshold on 10 equal endpoints */
	fx_init(&f, 1);
	add_n(&f, 10, "");
	char name[8];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		fail_n(&f, name, 5, 0);
	}
	int seen[10] = {0};
	for (int i = 0; i < 1000; i++)
		seen[num(pick(&f, CFG_POLICY_RANDOM, 1))]++;
	for (int i = 0; i < 10; i++)
		CHECK(i < 5 ? seen[i] == 0 : seen[i] > 0);
	fail_n(&f, "e5", 5, 1); /* 4 of 10 usable: panic */
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 1000; i++)
		seen[num(pick(&f, CFG_POLICY_RANDOM, 2))]++;
	for (int i = 0; i < 10; i++)
		CHECK(seen[i] > 0);
	fx_done(&f);

	/* everything ejected: still picks */
	fx_init(&f, 1);
	add(&f, "a", "", false);
	fail_n(&f, "a", 5, 0);
	CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 1)->name[0] == 'a');
	fx_done(&f);
}

static void test_local(void)
{
	struct fx f;
	fx_init(&f, 1);
	add(&f, "a", "", false), add(&f, "b", "", true), add(&f, "c", "", false);
	add(&f, "d", "", true);
	struct balance_request rq = {.policy = CFG_POLICY_ROUND_ROBIN, .prefer_local = true};
	for (int i = 0; i < 10; i++)
		CHECK(pick_rq(&f, &rq, 0)->name[0] == (i % 2 ? 'd' : 'b'));
	rq.prefer_local = false;
	int seen = 0;
	for (int i = 0; i < 4; i++)
		seen |= 1 << num(pick_rq(&f, &rq, 0));
	CHECK(seen == 15);
	/* local preference stays inside the tier */
	add(&f, "b", "priority=1", true), add(&f, "d", "priority=1", true);
	rq.prefer_local = true;
	for (int i = 0; i < 10; i++)
		CHECK(!pick_rq(&f, &rq, 0)->local);
	add(&f, "b", "", true), add(&f, "d", "", true);
	fail_n(&f, "b", 5, 0), fail_n(&f, "d", 5, 0); /* locals ejected: remote */
	for (int i = 0; i < 10; i++)
		CHECK(!pick_rq(&f, &rq, 1)->local);
	fx_done(&f);
}

/* Add or update instance NAME of TYPE_ from HOST at address IP (one
 * sighting per address family given), TXT as in add(). */
static void add_at(struct fx *f, const char *type_, const char *name, const char *txt, bool ours,
                   const char *host, const char *ip)
{
	const uint8_t *strs[8];
	size_t lens[8], n = 0;
	struct mdns_instance in = {
	        .name = name, .type = type_, .host = host, .ifindex = 1, .port = 80, .ours = ours};
	for (const char *p = txt; p && *p && n < 8;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		strs[n] = (const uint8_t *)p, lens[n++] = l;
		p += l + (bar ? 1 : 0);
	}
	in.txt = strs, in.txt_len = lens, in.n_txt = n;
	memset(&in.addr, 0, sizeof(in.addr));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&in.addr;
		in.family = a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&in.addr;
		in.family = a->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &a->sin_addr);
	}
	if (cache_upsert(f->c, &in, 0) < 0)
		exit(1);
}

/* trust: caps, floor, allow-list by network and host name, this
 * lanyardd's own entries exempt, a reload undoing it all. */
static void test_trust(void)
{
	struct fx f;
	struct cfg_trust_net nets[2] = {{.family = AF_INET, .prefix = 25, .addr = {192, 0, 2, 0}},
	                                {.family = AF_INET6, .prefix = 16, .addr = {0xfe, 0x80}}};
	char *hosts[] = {"trusted"};
	struct cfg_service svc = {.type = TYPE,
	                          .trust = {.has_min_priority = true,
	                                    .min_priority = 1,
	                                    .has_from = true,
	                                    .nets = nets,
	                                    .n_nets = 2,
	                                    .hosts = hosts,
	                                    .n_hosts = 1}};
	struct lanyard_config cfg = {.services = &svc, .n_services = 1};
	struct lanyard_config none = {0};
	struct balance_request rq = {.policy = CFG_POLICY_WEIGHTED};
	struct balance_status st;
	int count[8] = {0};

	cfg.agent.trust = (struct cfg_trust){.has_max_weight = true, .max_weight = 10};
	fx_init(&f, 1);
	add_at(&f, TYPE, "rogue", "weight=65535", false, "h1.local", "203.0.113.5");
	/* Before any trust: the rogue's weight rules. */
	for (int i = 0; i < 100; i++)
		count[0] += strcmp(pick_rq(&f, &rq, 0)->name, "rogue") == 0;
	CHECK_INT_EQ(count[0], 100);
	add_at(&f, TYPE, "own", "weight=1", true, "h1.local", "198.51.100.1");
	add_at(&f, TYPE, "peer", "weight=5", false, "h2.local", "192.0.2.7");
	add_at(&f, TYPE, "big", "weight=65535|priority=0", false, "h3.local", "192.0.2.8");
	add_at(&f, TYPE, "named", "weight=1", false, "Trusted.local.", "203.0.113.9");
	add_at(&f, TYPE, "dual", "weight=1", false, "h4.local", "192.0.2.9");
	add_at(&f, TYPE, "dual", "weight=1", false, "h4.local", "2001:db8::9");
	add_at(&f, TYPE, "ll", "weight=1", false, "h5.local", "fe80::5");
	add_at(&f, TYPE, "past25", "weight=1", false, "h6.local", "192.0.2.200");
	add_at(&f, "_other._tcp", "x", "weight=65535|priority=0", false, "h7.local", "203.0.113.1");
	CHECK(balance_set_trust(f.b, &cfg) == 0);

	balance_status(f.b, ent(&f, "rogue"), 0, &st);
	CHECK(!st.trusted && st.weight == 10 && st.priority == 1);
	balance_status(f.b, ent(&f, "own"), 0, &st);
	CHECK(st.trusted && st.weight == 1 && st.priority == 0);
	balance_status(f.b, ent(&f, "big"), 0, &st);
	CHECK(st.trusted && st.weight == 10 && st.priority == 1);
	balance_status(f.b, ent(&f, "named"), 0, &st);
	CHECK(st.trusted);
	balance_status(f.b, ent(&f, "dual"), 0, &st); /* one address outside */
	CHECK(!st.trusted);
	balance_status(f.b, ent(&f, "ll"), 0, &st);
	CHECK(st.trusted);
	balance_status(f.b, ent(&f, "past25"), 0, &st);
	CHECK(!st.trusted);
	/* A type no service declares: agent.trust alone (a cap, no list). */
	balance_status(f.b, cache_find(f.c, "x", "_other._tcp", NULL), 0, &st);
	CHECK(st.trusted && st.weight == 10 && st.priority == 0);

	/* Peers cannot claim a better tier than 1: this host's own wins. */
	for (int i = 0; i < 50; i++)
		CHECK(strcmp(pick_rq(&f, &rq, 0)->name, "own") == 0);
	del(&f, "own");
	/* Then peer 5, big 10 (capped), named 1, ll 1; never the others. */
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 170; i++) {
		const char *n = pick_rq(&f, &rq, 0)->name;
		int k = !strcmp(n, "peer")    ? 0
		        : !strcmp(n, "big")   ? 1
		        : !strcmp(n, "named") ? 2
		        : !strcmp(n, "ll")    ? 3
		                              : 4;
		count[k]++;
	}
	CHECK(count[0] == 50 && count[1] == 100 && count[2] == 10 && count[3] == 10 &&
	      count[4] == 0);
	/* prefer local without one of ours: no rogue either. */
	rq.prefer_local = true;
	for (int i = 0; i < 50; i++)
		CHECK(strcmp(pick_rq(&f, &rq, 0)->name, "rogue") != 0);

	/* A reload without trust: everything as published again. */
	CHECK(balance_set_trust(f.b, &none) == 0);
	balance_status(f.b, ent(&f, "rogue"), 0, &st);
	CHECK(st.trusted && st.weight == 65535 && st.priority == 0);
	rq.prefer_local = false;
	memset(count, 0, sizeof(count));
	for (int i = 0; i < 100; i++)
		count[0] += strcmp(pick_rq(&f, &rq, 0)->name, "rogue") == 0;
	CHECK(count[0] == 50); /* rogue and big: 65535 each, a fresh round */
	/* An empty from: no peer at all. */
	svc.trust.n_nets = svc.trust.n_hosts = 0;
	CHECK(balance_set_trust(f.b, &cfg) == 0);
	struct cache_entry *e = NULL;
	CHECK(balance_pick(f.b, cache_find_type(f.c, TYPE), &rq, 0, &e) == -ENOENT);
	add_at(&f, TYPE, "own", "weight=1", true, "h1.local", "198.51.100.1");
	CHECK(strcmp(pick_rq(&f, &rq, 0)->name, "own") == 0);
	fx_done(&f);
}

static void test_ejection(void)
{
	struct fx f;
	struct balance_status st;
	fx_init(&f, 1);
	add(&f, "a", "", false), add(&f, "b", "", false), add(&f, "c", "", false);
	struct cache_entry *a = ent(&f, "a");
	fail_n(&f, "a", 4, 0);
	balance_report(f.b, a, true, 5, 0); /* a success resets the count */
	fail_n(&f, "a", 4, 0);
	balance_status(f.b, a, 0, &st);
	CHECK(!st.ejected && st.failures == 4 && st.reason == HEALTH_OK);
	fail_n(&f, "a", 1, 0);
	balance_status(f.b, a, 10, &st);
	CHECK(st.ejected && st.reason == HEALTH_FAILURES && fabs(st.time_left - 20) < 1e-9);
	CHECK(strcmp(health_reason_name(st.reason), "failures") == 0);
	for (int i = 0; i < 100; i++)
		CHECK(pick(&f, CFG_POLICY_ROUND_ROBIN, 10) != a);

	/* back-off doubles up to the cap */
	double t = 30, want[] = {60, 120, 240, 300, 300};
	for (int k = 0; k < 5; k++) {
		fail_n(&f, "a", 5, t);
		balance_status(f.b, a, t, &st);
		CHECK(st.ejected && fabs(st.time_left - want[k]) < 1e-9);
		t += want[k];
	}
	balance_status(f.b, a, t, &st);
	CHECK(!st.ejected && st.ejections == 6);
	/* still capped */
	fail_n(&f, "a", 5, t);
	balance_status(f.b, a, t + 1, &st);
	CHECK(st.ejected && fabs(st.time_left - 299) < 1e-9);
	/* 300 s healthy forgives */
	t += 300 + 300;
	fail_n(&f, "a", 5, t);
	balance_status(f.b, a, t, &st);
	CHECK(st.ejected && fabs(st.time_left - 30) < 1e-9 && st.ejections == 1);
	/* others are not touched */
	balance_status(f.b, ent(&f, "c"), t, &st);
	CHECK(!st.ejected && st.picks > 0);
	fx_done(&f);
}

static bool only_odd(void *ud, const struct cache_entry *e)
{
	++*(int *)ud;
	return num(e) % 2 == 1;
}

static bool none(void *ud, const struct cache_entry *e)
{
	return false;
}

static void test_filters_and_errors(void)
{
	struct fx f;
	int calls = 0;
	fx_init(&f, 1);
	add_n(&f, 6, "");
	struct balance_request rq = {
	        .policy = CFG_POLICY_ROUND_ROBIN, .filter = only_odd, .filter_userdata = &calls};
	for (int i = 0; i < 9; i++)
		CHECK(num(pick_rq(&f, &rq, 0)) == 1 + 2 * (i % 3));
	CHECK(calls == 9 * 6);
	struct cache_entry *e = NULL;
	rq.filter = none;
	CHECK(balance_pick(f.b, cache_find_type(f.c, TYPE), &rq, 0, &e) == -ENOENT && !e);
	rq.filter = NULL;
	CHECK(balance_pick(f.b, NULL, &rq, 0, &e) == -ENOENT);
	rq.policy = _CFG_POLICY_MAX;
	CHECK(balance_pick(f.b, cache_find_type(f.c, TYPE), &rq, 0, &e) == -EINVAL);

	/* picks on an unchanged type allocate nothing */
	rq.policy = CFG_POLICY_WEIGHTED;
	pick_rq(&f, &rq, 0);
	struct mallinfo2 before = mallinfo2();
	for (enum cfg_policy p = 0; p < _CFG_POLICY_MAX; p++)
		for (int i = 0; i < 1000; i++)
			pick(&f, p, 0);
	struct mallinfo2 after = mallinfo2();
	CHECK(after.uordblks == before.uordblks);
	fx_done(&f);
}

int main(void)
{
	test_round_robin_cyclic();
	test_round_robin_churn();
	test_weighted();
	test_random();
	test_hash();
	test_p2c();
	test_least_loaded();
	test_tiers_and_panic();
	test_local();
	test_trust();
	test_ejection();
	test_filters_and_errors();
	return test_summary();
}
