/* SPDX-License-Identifier: MIT */
/* Property tests for agent/balance under random endpoint churn: picks stay
 * valid, round robin stays cyclic over the stable endpoints, smooth weighted
 * round robin stays within its bounds. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/balance.h"
#include "tests/unit/tap.h"

#define TYPE "_churn._tcp"
#define POOL 40

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (unsigned)(rng % n);
}

struct fx {
	struct cache *c;
	struct balance *b;
};

static void fx_init(struct fx *f)
{
	f->c = cache_new(NULL);
	f->b = balance_new(NULL, f->c);
	if (!f->c || !f->b)
		exit(1);
}

static void fx_done(struct fx *f)
{
	balance_free(f->b);
	cache_free(f->c);
}

static void put(struct fx *f, const char *name, unsigned weight, unsigned prio, bool local)
{
	char w[32], p[32];
	const uint8_t *strs[2] = {(const uint8_t *)w, (const uint8_t *)p};
	size_t lens[2] = {(size_t)snprintf(w, sizeof(w), "weight=%u", weight),
	                  (size_t)snprintf(p, sizeof(p), "priority=%u", prio)};
	struct mdns_instance in = {.name = name,
	                           .type = TYPE,
	                           .host = "h.local",
	                           .ifindex = 1,
	                           .family = AF_INET,
	                           .port = 1,
	                           .ours = local,
	                           .txt = strs,
	                           .txt_len = lens,
	                           .n_txt = 2};
	((struct sockaddr_in *)&in.addr)->sin_family = AF_INET;
	if (cache_upsert(f->c, &in, 0) < 0)
		exit(1);
}

static void drop(struct fx *f, const char *name)
{
	CHECK(cache_remove_sighting(f->c, name, TYPE, NULL, 1, AF_INET, CACHE_GONE_WITHDRAWN, 0) ==
	      CACHE_REMOVED);
}

static bool even_only(void *ud, const struct cache_entry *e)
{
	return (e->name[1] - '0' + e->name[2] - '0') % 2 == 0;
}

/* The final candidate set, computed the slow way, contains E. */
static bool allowed(struct fx *f, const struct balance_request *rq, const struct cache_entry *e,
                    double now)
{
	struct cache_type *t = cache_find_type(f->c, TYPE);
	const struct cache_entry *c[POOL];
	bool ej[POOL];
	size_t k = 0, usable = 0;
	for (struct cache_entry *x = t->first; x; x = x->next) {
		struct balance_status st;
		if (rq->filter && !rq->filter(NULL, x))
			continue;
		balance_status(f->b, x, now, &st);
		ej[k] = st.ejected;
		usable += !st.ejected;
		c[k++] = x;
	}
	bool panic = usable == 0 || usable < 0.5 * (double)k;
	unsigned best = 1u << 20;
	bool local = false, positive = false;
	for (size_t i = 0; i < k; i++)
		if ((panic || !ej[i]) && c[i]->txt->priority < best)
			best = c[i]->txt->priority;
	for (size_t i = 0; i < k; i++)
		if ((panic || !ej[i]) && c[i]->txt->priority == best)
			local = local || c[i]->local;
	bool want_local = rq->prefer_local && local;
	for (size_t i = 0; i < k; i++)
		if ((panic || !ej[i]) && c[i]->txt->priority == best &&
		    (!want_local || c[i]->local))
			positive = positive || c[i]->txt->weight > 0;
	for (size_t i = 0; i < k; i++)
		if (c[i] == e)
			return (panic || !ej[i]) && e->txt->priority == best &&
			       (!want_local || e->local) && (!positive || e->txt->weight > 0);
	return false; /* not a live, filtered-in entry */
}

/* Any policy, any churn: every pick is a live entry of the final set. */
static void test_valid_picks(void)
{
	struct fx f;
	bool present[POOL] = {0};
	char name[8], key[16];
	int picks = 0;
	fx_init(&f);
	for (int step = 0; step < 40000; step++) {
		double now = step * 0.05;
		unsigned r = rnd(100), i = rnd(POOL);
		snprintf(name, sizeof(name), "n%02u", i);
		if (r < 10) {
			put(&f, name, rnd(4), rnd(3), rnd(4) == 0);
			present[i] = true;
		} else if (r < 18 && present[i]) {
			drop(&f, name);
			present[i] = false;
		} else if (r < 25 && present[i]) {
			balance_report(f.b, cache_find(f.c, name, TYPE, NULL), rnd(3) != 0, rnd(50),
			               now);
		} else {
			struct balance_request rq = {.policy =
			                                     (enum cfg_policy)rnd(_CFG_POLICY_MAX),
			                             .prefer_local = rnd(2),
			                             .key = key};
			rq.key_len = (size_t)snprintf(key, sizeof(key), "k%u", rnd(1000));
			if (rnd(4) == 0)
				rq.filter = even_only;
			struct cache_entry *e = NULL;
			int ret = balance_pick(f.b, cache_find_type(f.c, TYPE), &rq, now, &e);
			if (ret == 0) {
				picks++;
				CHECK(allowed(&f, &rq, e, now));
				if (rnd(2))
					balance_report(f.b, e, rnd(10) != 0, rnd(100), now);
			} else {
				CHECK(ret == -ENOENT && !e);
			}
		}
	}
	printf("valid picks under churn: %d picks\n", picks);
	CHECK(picks > 20000);
	fx_done(&f);
}

/* Round robin over ten stable endpoints while twenty others come and go:
 * the stable ones are picked in exact cyclic order, none skipped or
 * repeated. */
static void test_round_robin_stable(void)
{
	struct fx f;
	bool present[20] = {0};
	char name[8];
	int last = -1, stable_picks = 0;
	fx_init(&f);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%02d", i * 3); /* transients: 3j + 1 */
		put(&f, name, 1, 0, false);
	}
	for (int step = 0; step < 100000; step++) {
		unsigned r = rnd(100), i = rnd(20);
		snprintf(name, sizeof(name), "n%02u", 3 * i + 1);
		if (r < 10) {
			put(&f, name, 1 + rnd(3), 0, false);
			present[i] = true;
		} else if (r < 20 && present[i]) {
			drop(&f, name);
			present[i] = false;
		} else {
			struct balance_request rq = {.policy = CFG_POLICY_ROUND_ROBIN};
			struct cache_entry *e = NULL;
			CHECK(balance_pick(f.b, cache_find_type(f.c, TYPE), &rq, 0, &e) == 0);
			if (e && atoi(e->name + 1) % 3 == 0) {
				int n = atoi(e->name + 1) / 3;
				CHECK_MSG(last < 0 || n == (last + 1) % 10,
				          "stable n%02d after n%02d", n * 3, last * 3);
				last = n, stable_picks++;
			}
		}
	}
	printf("round robin: %d stable picks in cyclic order\n", stable_picks);
	CHECK(stable_picks > 10000);
	fx_done(&f);
}

/* Between churn events, K full rounds of smooth weighted round robin give
 * every endpoint K * weight picks, give or take one. */
static void test_weighted_bounds(void)
{
	struct fx f;
	bool present[12] = {0};
	unsigned weight[12] = {0};
	char name[8];
	int worst = 0;
	fx_init(&f);
	for (int round = 0; round < 2000; round++) {
		for (int ev = 0; ev < 1 + (int)rnd(3); ev++) {
			unsigned i = rnd(12);
			snprintf(name, sizeof(name), "w%02u", i);
			if (present[i] && rnd(3) == 0) {
				drop(&f, name);
				present[i] = false;
			} else {
				weight[i] = 1 + rnd(9);
				put(&f, name, weight[i], 0, false);
				present[i] = true;
			}
		}
		unsigned total = 0, k = 1 + rnd(3);
		int count[12] = {0};
		for (int i = 0; i < 12; i++)
			total += present[i] ? weight[i] : 0;
		if (!total)
			continue;
		for (unsigned p = 0; p < k * total; p++) {
			struct balance_request rq = {.policy = CFG_POLICY_WEIGHTED};
			struct cache_entry *e = NULL;
			CHECK(balance_pick(f.b, cache_find_type(f.c, TYPE), &rq, 0, &e) == 0);
			if (e)
				count[atoi(e->name + 1)]++;
		}
		for (int i = 0; i < 12; i++) {
			int dev = abs(count[i] - (int)(present[i] ? k * weight[i] : 0));
			worst = dev > worst ? dev : worst;
		}
	}
	printf("weighted: worst deviation over K full rounds after churn: %d\n", worst);
	CHECK(worst <= 1);
	fx_done(&f);
}

int main(void)
{
	test_valid_picks();
	test_round_robin_stable();
	test_weighted_bounds();
	return test_summary();
}
