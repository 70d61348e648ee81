/* SPDX-License-Identifier: MIT */
/* Selection policies over a type's cached instances, with state shared by all consumers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/balance-private.h"
#include "dnssd/name.h"

/* ---- hashing and randomness ---------------------------------------------- */

static uint64_t fmix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

/* FNV-1a, optionally over ASCII-lowercased bytes. Deliberately unkeyed:
 * every agent must rank the instances of a key the same way. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len, bool fold)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ (fold ? dnssd_lower(p[i]) : p[i])) * 0x100000001b3ULL;
	}
	return h;
}

static uint64_t entry_hash(const struct cache_entry *e)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, e->name, strlen(e->name) + 1, true);
	return fmix64(fnv1a(h, e->domain, strlen(e->domain), true));
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static uint64_t rng_next(uint64_t s[4])
{
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in [0, n) (Lemire's multiply; the bias is below n / 2^64). */
static size_t rand_below(struct balance *b, size_t n)
{
	return (size_t)(((unsigned __int128)rng_next(b->rng) * n) >> 64);
}

/* ---- state --------------------------------------------------------------- */

void balance_params_default(struct balance_params *p)
{
	*p = (struct balance_params){
	        .panic_threshold = 0.5, .outstanding_half_life = 30, .latency_alpha = 0.3};
	health_params_default(&p->health);
}

static void release_entry(void *ud, void *user)
{
	struct bep *ep = user;
	struct bsvc *s = ep->svc;
	/* The lazy state must not outlive a member (the tiers, which hold
	 * it too, are rebuilt: its removal changed the generation). */
	if (ep->in_swrr)
		bswrr_flush(ud, s);
	if (s->rr_ep == ep) {
		/* Remember where the rotation was, by key. */
		snprintf(s->rr_name, sizeof(s->rr_name), "%s", ep->e->name);
		snprintf(s->rr_domain, sizeof(s->rr_domain), "%s", ep->e->domain);
		s->rr_named = true;
		s->rr_ep = NULL;
	}
	free(ep);
}

static void release_type(void *ud, void *user)
{
	struct bsvc *s = user;
	btier_free_all(s);
	free(s->eps);
	free(s);
}

struct balance *balance_new(const struct balance_params *p, struct cache *c)
{
	struct balance *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	if (p)
		b->p = *p;
	else
		balance_params_default(&b->p);
	b->c = c;
	uint64_t x = b->p.seed;
	for (int i = 0; i < 4; i++) { /* splitmix64 */
		uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		b->rng[i] = z ^ (z >> 31);
	}
	cache_set_release(c, release_entry, release_type, b);
	return b;
}

void balance_free(struct balance *b)
{
	if (!b)
		return;
	for (struct cache_type *t = cache_first_type(b->c); t; t = t->next) {
		for (struct cache_entry *e = t->first; e; e = e->next) {
			free(e->user);
			e->user = NULL;
		}
		if (t->user)
			release_type(b, t->user);
		t->user = NULL;
	}
	cache_set_release(b->c, NULL, NULL, NULL);
	free(b->scratch);
	btrust_free_all(b);
	free(b);
}

static struct bsvc *svc_of(struct cache_type *t)
{
	if (!t->user) {
		struct bsvc *s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->rr_last = -1;
		s->dirty = true;
		t->user = s;
	}
	return t->user;
}

static struct bep *ep_of(struct cache_entry *e)
{
	struct bsvc *s = svc_of(e->type);
	if (!s)
		return NULL;
	if (!e->user) {
		struct bep *ep = calloc(1, sizeof(*ep));
		if (!ep)
			return NULL;
		ep->e = e;
		ep->svc = s;
		ep->hash = entry_hash(e);
		e->user = ep;
	}
	return e->user;
}

static int key_cmp(const char *name, const char *domain, const struct cache_entry *e)
{
	int r = strcmp(name, e->name);
	return r ? r : strcmp(domain, e->domain);
}

static int ep_cmp(const void *a, const void *b)
{
	const struct cache_entry *x = (*(struct bep *const *)a)->e;
	return key_cmp(x->name, x->domain, (*(struct bep *const *)b)->e);
}

/* Whether E's provider says its checks warn (TXT health=warning, or any
 * value other than passing from another publisher). */
static bool degraded(const struct cache_entry *e)
{
	const struct txt_pair *p = txt_get(e->txt, txt_known_name(TXT_KNOWN_HEALTH));
	const char *passing = txt_health_name(TXT_HEALTH_PASSING);

	if (!p || !p->value)
		return false;
	return p->value_len != strlen(passing) || memcmp(p->value, passing, p->value_len) != 0;
}

/* Rebuild S's sorted endpoint array from T (only when T changed). */
static int rebuild(struct balance *b, struct bsvc *s, struct cache_type *t)
{
	size_t n = t->n_entries;
	if (n > s->cap) {
		struct bep **eps = realloc(s->eps, n * sizeof(*eps));
		if (!eps)
			return -ENOMEM;
		s->eps = eps, s->cap = n;
	}
	if (n > b->scratch_cap) {
		struct bep **sc = realloc(b->scratch, n * sizeof(*sc));
		if (!sc)
			return -ENOMEM;
		b->scratch = sc, b->scratch_cap = n;
	}
	bswrr_flush(b, s); /* the weights of the lazy state may change */
	s->trust = btrust_for(b, t);
	s->trust_gen = b->trust_gen;
	s->n = 0;
	bool reweighted = false;
	for (struct cache_entry *e = t->first; e; e = e->next) {
		bool known = e->user != NULL;
		struct bep *ep = ep_of(e);
		if (!ep)
			return -ENOMEM;
		uint16_t was = ep->weight;
		ep->trusted = btrust_judge(s->trust, e, &ep->weight, &ep->priority);
		reweighted = reweighted || (known && ep->weight != was);
		ep->has_load = e->txt->has_load;
		ep->load = e->txt->load;
		ep->local = e->local;
		ep->lan = !cache_entry_from_dns(e);
		ep->degraded = degraded(e);
		s->eps[s->n++] = ep;
	}
	/* A weight changed (TXT, or a trust cap): smooth weighted round robin
	 * starts a fresh round, or the current weights earned under the old
	 * ones (up to the old total) would skew picks for a long while. */
	for (size_t i = 0; reweighted && i < s->n; i++)
		s->eps[i]->cw = 0;
	qsort(s->eps, s->n, sizeof(*s->eps), ep_cmp);
	for (size_t i = 0; i < s->n; i++)
		s->eps[i]->idx = i;
	if (s->rr_ep) {
		s->rr_last = (ptrdiff_t)s->rr_ep->idx;
	} else if (s->rr_named) {
		size_t lo = 0, hi = s->n; /* first key >= the remembered one */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (key_cmp(s->rr_name, s->rr_domain, s->eps[mid]->e) > 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		bool same = lo < s->n && key_cmp(s->rr_name, s->rr_domain, s->eps[lo]->e) == 0;
		s->rr_last = (ptrdiff_t)lo - (same ? 0 : 1);
	}
	s->gen = t->generation;
	s->dirty = true; /* the cached tiers with it */
	b->visited += n;
	return 0;
}

/* Picks fade with the configured half-life. */
static double outstanding_at(const struct balance *b, const struct bep *ep, double now)
{
	double hl = b->p.outstanding_half_life;
	if (hl <= 0 || now <= ep->out_t || ep->outstanding <= 0)
		return ep->outstanding;
	return ep->outstanding * exp2(-(now - ep->out_t) / hl);
}

static void outstanding_add(const struct balance *b, struct bep *ep, double now, double d)
{
	double v = outstanding_at(b, ep, now) + d;
	ep->outstanding = v > 0 ? v : 0;
	/* A resolve's NOW is its arrival, a little before a report handled
	 * after it in the same batch: the decay's origin never goes back. */
	if (now > ep->out_t)
		ep->out_t = now;
}

/* ---- policies over the K final candidates C (in array order) ------------ */

static struct bep *pick_rr(struct bsvc *s, struct bep **c, size_t k)
{
	size_t lo = 0, hi = k; /* first candidate after rr_last */

	/* C is in idx order: when the last pick is at rr_pos in it (the same
	 * tier as last time, most often), the next one follows it. */
	if (s->rr_ep && s->rr_pos < k && c[s->rr_pos] == s->rr_ep)
		lo = hi = s->rr_pos + 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((ptrdiff_t)c[mid]->idx <= s->rr_last)
			lo = mid + 1;
		else
			hi = mid;
	}
	s->rr_pos = lo < k ? lo : 0;
	struct bep *ep = c[s->rr_pos];
	s->rr_last = (ptrdiff_t)ep->idx;
	s->rr_ep = ep;
	s->rr_named = false;
	return ep;
}

/* Smooth weighted round robin, the plain way: every candidate gains its
 * weight, the first with the highest current weight wins and pays the
 * total. agent/balance-tier.c gives the same picks over a cached tier
 * without visiting every candidate. */
static struct bep *pick_swrr(struct bep **c, size_t k, bool weighted)
{
	int64_t total = 0;
	struct bep *best = NULL;
	for (size_t i = 0; i < k; i++) {
		int64_t w = (int64_t)bep_weight(c[i], weighted);
		c[i]->cw += w;
		total += w;
		if (!best || c[i]->cw > best->cw)
			best = c[i];
	}
	best->cw -= total;
	return best;
}

static struct bep *pick_weighted_random(struct balance *b, struct bep **c, size_t k, bool weighted)
{
	uint64_t total = 0;
	for (size_t i = 0; i < k; i++)
		total += bep_weight(c[i], weighted);
	uint64_t r = rand_below(b, total);
	for (size_t i = 0; i < k; i++) {
		uint64_t w = bep_weight(c[i], weighted);
		if (r < w)
			return c[i];
		r -= w;
	}
	return c[k - 1];
}

/* The same pick over a tier's cumulative weights: the first candidate
 * whose running total exceeds the draw. */
static struct bep *pick_weighted_random_tier(struct balance *b, const struct btier *tr)
{
	uint64_t r = rand_below(b, tr->cum[tr->n - 1]);
	size_t lo = 0, hi = tr->n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tr->cum[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	return tr->v[lo];
}

/* Rendezvous (highest random weight) hashing: each candidate scores
 * hash(key, instance); the highest wins, so removing one of N candidates
 * moves only the keys it held (1/N). Weighted by the logarithmic method
 * (score = w / -ln(u), u uniform in (0,1) from the hash), which gives
 * candidate i a share of w_i / sum(w). Linear in the candidates, for key
 * hash KH. */
static struct bep *hash_rank(struct balance *b, struct bep **c, size_t k, bool weighted,
                             uint64_t kh)
{
	b->visited += k;
	bool equal = true;
	for (size_t i = 1; i < k && equal; i++)
		equal = bep_weight(c[i], weighted) == bep_weight(c[0], weighted);
	struct bep *best = NULL;
	uint64_t best_h = 0;
	double best_score = -1;
	for (size_t i = 0; i < k; i++) {
		uint64_t h = fmix64(kh ^ c[i]->hash);
		if (equal) {
			if (!best || h > best_h)
				best = c[i], best_h = h;
			continue;
		}
		double u = ((double)(h >> 11) + 0.5) * 0x1p-53;
		double score = (double)bep_weight(c[i], weighted) / -log(u);
		if (score > best_score)
			best = c[i], best_score = score;
	}
	return best;
}

static uint64_t key_hash(const void *key, size_t key_len)
{
	return fmix64(fnv1a(0xcbf29ce484222325ULL, key, key_len, false));
}

static struct bep *pick_hash(struct balance *b, struct bep **c, size_t k, bool weighted,
                             const void *key, size_t key_len)
{
	if (!key)
		return c[rand_below(b, k)];
	return hash_rank(b, c, k, weighted, key_hash(key, key_len));
}

/* The same over a tier, remembering each key's pick in the tier's memo
 * (by key hash, one per slot; bhmemo_slots()):
 * a key asked again costs O(1) until the tier is built again. Below
 * BHMEMO_FROM candidates the ranking is as cheap. */
static struct bep *pick_hash_tier(struct balance *b, struct btier *tr, const void *key,
                                  size_t key_len)
{
	struct bhmemo *m;
	uint64_t kh;

	if (!key || tr->n < BHMEMO_FROM)
		return pick_hash(b, tr->v, tr->n, tr->weighted, key, key_len);
	kh = key_hash(key, key_len);
	if (!tr->memo) {
		size_t n = bhmemo_slots(tr->n);

		if (!(tr->memo = calloc(n, sizeof(*tr->memo))))
			return hash_rank(b, tr->v, tr->n, tr->weighted, kh);
		tr->memo_mask = n - 1;
	}
	m = &tr->memo[kh & tr->memo_mask];
	if (!m->ep || m->kh != kh)
		*m = (struct bhmemo){kh, hash_rank(b, tr->v, tr->n, tr->weighted, kh)};
	return m->ep;
}

/* Power of two choices: two distinct random candidates, the one with the
 * lower (outstanding + 1) * latency / weight wins. */
static struct bep *pick_p2c(struct balance *b, struct bsvc *s, struct bep **c, size_t k,
                            bool weighted, double now)
{
	if (k == 1)
		return c[0];
	size_t i = rand_below(b, k), j = rand_below(b, k - 1);
	if (j >= i)
		j++;
	double fallback = s->latency > 0 ? s->latency : 1;
	double cost[2], out[2];
	struct bep *two[2] = {c[i], c[j]};
	for (int x = 0; x < 2; x++) {
		out[x] = outstanding_at(b, two[x], now);
		double lat = two[x]->latency > 0 ? two[x]->latency : fallback;
		cost[x] = (out[x] + 1) * lat / (double)bep_weight(two[x], weighted);
	}
	if (cost[1] < cost[0] || (cost[1] == cost[0] && out[1] < out[0]))
		return two[1];
	return two[0];
}

/* Least loaded: the lowest published load; ties (and instances
 * publishing none, when nobody does) share the round-robin rotation. */
size_t balance_least_loaded(struct bep **c, size_t k)
{
	bool any = false;
	double min = 0;
	for (size_t i = 0; i < k; i++) {
		if (c[i]->has_load && (!any || c[i]->load < min))
			min = c[i]->load, any = true;
	}
	size_t m = k;
	if (any) {
		m = 0;
		for (size_t i = 0; i < k; i++)
			if (c[i]->has_load && c[i]->load == min)
				c[m++] = c[i];
	}
	return m;
}

/* ---- the pick ------------------------------------------------------------ */

size_t balance_collect(struct balance *b, struct bsvc *s, const struct balance_request *rq,
                       double now, size_t *ret_usable)
{
	struct bep **c = b->scratch;
	size_t k = 0, usable = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct bep *ep = s->eps[i];
		/* Found dead by probing, or outside trust.from: out, whatever
		 * the panic threshold. */
		if (ep->e->down || !ep->trusted || (rq->skip_stale && ep->e->stale) ||
		    (rq->filter && !rq->filter(rq->filter_userdata, ep->e)))
			continue;
		ep->ejected_now = health_ejected(&ep->health, now);
		usable += !ep->ejected_now;
		c[k++] = ep;
	}
	b->visited += s->n;
	*ret_usable = usable;
	return k;
}

/* Narrow the K candidates in C to the final set: usable (not ejected,
 * unless panic), on this LAN if any is (unless ANY_DOMAIN), the lowest
 * priority, not degraded (health=warning) if any
 * is not, local if preferred and present, weight > 0 if any. Sets
 * *weighted when weights apply. Returns the count. */
size_t balance_narrow(const struct balance *b, struct bep **c, size_t k, size_t usable,
                      bool prefer_local, bool any_domain, bool *weighted)
{
	bool panic = usable == 0 || (double)usable < (1 - b->p.panic_threshold) * (double)k;
	bool lan = false;
	size_t m = 0;
	uint16_t best = UINT16_MAX;
	for (size_t i = 0; i < k; i++)
		if (panic || !c[i]->ejected_now) {
			c[m++] = c[i];
			lan = lan || c[i]->lan;
		}
	/* This LAN's endpoints before other sites' (browsed zones). */
	if (lan && !any_domain) {
		k = m, m = 0;
		for (size_t i = 0; i < k; i++)
			if (c[i]->lan)
				c[m++] = c[i];
	}
	for (size_t i = 0; i < m; i++)
		if (c[i]->priority < best)
			best = c[i]->priority;
	bool local = false, positive = false, healthy = false;
	k = m, m = 0;
	for (size_t i = 0; i < k; i++) {
		if (c[i]->priority == best) {
			c[m++] = c[i];
			healthy = healthy || !c[i]->degraded;
		}
	}
	/* Within the tier, passing endpoints before warning ones. */
	k = m, m = 0;
	for (size_t i = 0; i < k; i++) {
		if (!healthy || !c[i]->degraded) {
			c[m++] = c[i];
			local = local || c[i]->local;
		}
	}
	if (prefer_local && local) {
		k = m, m = 0;
		for (size_t i = 0; i < k; i++)
			if (c[i]->local)
				c[m++] = c[i];
	}
	for (size_t i = 0; i < m && !positive; i++)
		positive = c[i]->weight > 0;
	/* Weight 0 is standby: used only when nothing else is left, then as 1. */
	if (positive) {
		k = m, m = 0;
		for (size_t i = 0; i < k; i++)
			if (c[i]->weight > 0)
				c[m++] = c[i];
	}
	*weighted = positive;
	return m;
}

/* A filtered pick without a key: scan S's endpoints for the candidates, narrow them,
 * apply the policy. */
static int pick_scan(struct balance *b, struct bsvc *s, const struct balance_request *rq,
                     double now, struct bep **ret)
{
	struct bep **c = b->scratch;
	size_t usable, k = balance_collect(b, s, rq, now, &usable);
	bool weighted;

	if (k == 0)
		return -ENOENT;
	k = balance_narrow(b, c, k, usable, rq->prefer_local, rq->any_domain, &weighted);
	switch (rq->policy) {
	case CFG_POLICY_ROUND_ROBIN:
		*ret = pick_rr(s, c, k);
		break;
	case CFG_POLICY_WEIGHTED:
		bswrr_flush(b, s); /* the current weights, all of them */
		*ret = pick_swrr(c, k, weighted);
		break;
	case CFG_POLICY_RANDOM:
		*ret = c[rand_below(b, k)];
		break;
	case CFG_POLICY_WEIGHTED_RANDOM:
		*ret = pick_weighted_random(b, c, k, weighted);
		break;
	case CFG_POLICY_HASH:
		*ret = pick_hash(b, c, k, weighted, rq->key, rq->key_len);
		break;
	case CFG_POLICY_P2C:
		*ret = pick_p2c(b, s, c, k, weighted, now);
		break;
	case CFG_POLICY_LEAST_LOADED:
	case _CFG_POLICY_MAX:
		*ret = pick_rr(s, c, balance_least_loaded(c, k));
		break;
	}
	return 0;
}

/* An unfiltered pick or a keyed filter's: the same policies over S's
 * cached tier for RQ. */
static int pick_tier(struct balance *b, struct bsvc *s, const struct balance_request *rq,
                     double now, struct bep **ret)
{
	struct btier *tr;
	int r = rq->filter ? btier_get_keyed(b, s, rq, now, &tr) : btier_get(b, s, rq, now, &tr);

	if (r < 0)
		return r;
	if (tr->n == 0)
		return -ENOENT;
	switch (rq->policy) {
	case CFG_POLICY_ROUND_ROBIN:
		*ret = pick_rr(s, tr->v, tr->n);
		break;
	case CFG_POLICY_WEIGHTED:
		return bswrr_pick(b, s, tr, ret);
	case CFG_POLICY_RANDOM:
		*ret = tr->v[rand_below(b, tr->n)];
		break;
	case CFG_POLICY_WEIGHTED_RANDOM:
		*ret = pick_weighted_random_tier(b, tr);
		break;
	case CFG_POLICY_HASH:
		*ret = pick_hash_tier(b, tr, rq->key, rq->key_len);
		break;
	case CFG_POLICY_P2C:
		*ret = pick_p2c(b, s, tr->v, tr->n, tr->weighted, now);
		break;
	case CFG_POLICY_LEAST_LOADED:
	case _CFG_POLICY_MAX:
		*ret = pick_rr(s, tr->ll, tr->n_ll);
		break;
	}
	return 0;
}

int balance_pick(struct balance *b, struct cache_type *t, const struct balance_request *rq,
                 double now, struct cache_entry **ret)
{
	struct bep *ep = NULL;
	int r;

	*ret = NULL;
	if ((unsigned)rq->policy >= _CFG_POLICY_MAX)
		return -EINVAL;
	if (!t)
		return -ENOENT;
	struct bsvc *s = svc_of(t);
	if (!s)
		return -ENOMEM;
	if ((s->gen != t->generation || s->trust_gen != b->trust_gen) && rebuild(b, s, t) < 0)
		return -ENOMEM;
	if (rq->filter && rq->filter_key_len == 0)
		r = pick_scan(b, s, rq, now, &ep);
	else if ((r = pick_tier(b, s, rq, now, &ep)) == -ENOMEM)
		r = pick_scan(b, s, rq, now, &ep); /* the same pick, without keeping a set */
	if (r < 0)
		return r;
	ep->picks++;
	outstanding_add(b, ep, now, 1);
	*ret = ep->e;
	return 0;
}

int balance_report(struct balance *b, struct cache_entry *e, bool ok, double latency_ms, double now)
{
	struct bep *ep = ep_of(e);
	if (!ep)
		return -ENOMEM;
	outstanding_add(b, ep, now, -1);
	if (ok && latency_ms >= 0 && isfinite(latency_ms)) {
		double a = b->p.latency_alpha;
		struct bsvc *s = ep->svc;
		ep->latency =
		        ep->latency > 0 ? ep->latency + a * (latency_ms - ep->latency) : latency_ms;
		s->latency =
		        s->latency > 0 ? s->latency + a * (latency_ms - s->latency) : latency_ms;
	}
	if (health_report(&ep->health, &b->p.health, ok, now))
		ep->svc->dirty = true; /* its tiers leave it out from now */
	return 0;
}

void balance_status(const struct balance *b, const struct cache_entry *e, double now,
                    struct balance_status *ret)
{
	const struct bep *ep = e->user;
	memset(ret, 0, sizeof(*ret));
	ret->trusted = btrust_judge(btrust_for(b, e->type), e, &ret->weight, &ret->priority);
	if (!ep)
		return;
	ret->ejected = health_ejected(&ep->health, now);
	ret->reason = ret->ejected ? ep->health.reason : HEALTH_OK;
	ret->time_left = health_time_left(&ep->health, now);
	ret->failures = ep->health.failures;
	ret->ejections = ep->health.ejections;
	ret->outstanding = outstanding_at(b, ep, now);
	ret->latency_ms = ep->latency;
	ret->picks = ep->picks;
}

uint64_t balance_visited(const struct balance *b)
{
	return b->visited;
}
