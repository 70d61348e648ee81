/* SPDX-License-Identifier: MIT */
/* Selection policies over a type's cached instances, with state shared by all consumers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "agent/balance.h"

struct bsvc;

/* Per-instance selection state, in the cache entry's user slot. */
struct bep {
	struct cache_entry *e;
	struct bsvc *svc;
	struct health health;
	int64_t cw; /* smooth weighted round robin: current weight */
	double outstanding, out_t;
	double latency; /* EWMA, ms; 0 = none yet */
	uint64_t picks;
	uint64_t hash; /* of the instance key, for rendezvous hashing */
	size_t idx;    /* position in svc->eps */
	/* The entry's inputs, copied at each rebuild (the generation changes
	 * whenever they do). */
	uint16_t weight, priority; /* within the trust caps */
	bool local, has_load;
	bool lan;         /* found over mDNS, not in a browsed zone */
	bool trusted;     /* not excluded by trust.from */
	bool degraded;    /* TXT health= says something else than passing */
	bool ejected_now; /* scratch for one pick */
	double load;
};

/* Per-type state, in the cache type's user slot. */
struct bsvc {
	uint64_t gen;     /* type generation eps was built for; 0 = never */
	struct bep **eps; /* sorted by (name, domain) */
	size_t n, cap;
	/* Round robin: the next pick is the first candidate after rr_last.
	 * rr_ep is the last pick while its entry lives; when it goes, its key
	 * is kept in rr_name/rr_domain and found again at the next rebuild. */
	struct bep *rr_ep;
	ptrdiff_t rr_last;
	bool rr_named;
	char rr_name[CACHE_NAME_MAX + 1], rr_domain[CACHE_NAME_MAX + 1];
	double latency;             /* EWMA over the whole type, for instances without one */
	const struct btrust *trust; /* the type's, current while trust_gen is b's */
	uint64_t trust_gen;
};

/* The trust of one type, or the default: balance_set_trust() resolved
 * each key, the service's over agent.trust over no limit. */
struct btrust {
	char *type;            /* NULL: the default (types no service declares) */
	uint16_t max_weight;   /* UINT16_MAX: no cap */
	uint16_t min_priority; /* 0: no floor */
	bool has_from;
	struct cfg_trust_net *nets;
	size_t n_nets;
	char **hosts;
	size_t n_hosts;
};

struct balance {
	struct balance_params p;
	struct cache *c;
	uint64_t rng[4];
	struct bep **scratch; /* candidates of the current pick */
	size_t scratch_cap;
	struct btrust *trust; /* [0] the default, then the declared types with a trust */
	size_t n_trust;
	uint64_t trust_gen; /* bumped by balance_set_trust(): every type rebuilds */
};

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
		unsigned c = p[i];
		if (fold && c >= 'A' && c <= 'Z')
			c += 32;
		h = (h ^ c) * 0x100000001b3ULL;
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

/* ---- trust --------------------------------------------------------------- */

static const struct btrust no_limit = {.max_weight = UINT16_MAX};

static void btrust_clear(struct btrust *t)
{
	free(t->type);
	free(t->nets);
	for (size_t i = 0; i < t->n_hosts; i++)
		free(t->hosts[i]);
	free(t->hosts);
}

static void trust_free(struct btrust *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		btrust_clear(&v[i]);
	free(v);
}

/* *RET from SVC's keys over AGENT's (SVC may be NULL), copied, for TYPE
 * (NULL: the default). Returns 0 or -ENOMEM (*RET then needs clearing). */
static int btrust_make(struct btrust *ret, const char *type, const struct cfg_trust *svc,
                       const struct cfg_trust *agent)
{
	const struct cfg_trust *from = svc && svc->has_from ? svc : agent->has_from ? agent : NULL;

	*ret = no_limit;
	if (svc && svc->has_max_weight)
		ret->max_weight = svc->max_weight;
	else if (agent->has_max_weight)
		ret->max_weight = agent->max_weight;
	if (svc && svc->has_min_priority)
		ret->min_priority = svc->min_priority;
	else if (agent->has_min_priority)
		ret->min_priority = agent->min_priority;
	if (type && !(ret->type = strdup(type)))
		return -ENOMEM;
	if (!from)
		return 0;
	ret->has_from = true;
	if (from->n_nets) {
		ret->nets = malloc(from->n_nets * sizeof(*ret->nets));
		if (!ret->nets)
			return -ENOMEM;
		memcpy(ret->nets, from->nets, from->n_nets * sizeof(*ret->nets));
		ret->n_nets = from->n_nets;
	}
	if (from->n_hosts && !(ret->hosts = calloc(from->n_hosts, sizeof(*ret->hosts))))
		return -ENOMEM;
	for (; ret->n_hosts < from->n_hosts; ret->n_hosts++)
		if (!(ret->hosts[ret->n_hosts] = strdup(from->hosts[ret->n_hosts])))
			return -ENOMEM;
	return 0;
}

static bool trust_given(const struct cfg_trust *t)
{
	return t->has_max_weight || t->has_min_priority || t->has_from;
}

int balance_set_trust(struct balance *b, const struct lanyard_config *cfg)
{
	size_t n = 1;
	struct btrust *v;

	for (size_t i = 0; i < cfg->n_services; i++)
		n += trust_given(&cfg->services[i].trust) && cfg->services[i].type;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (btrust_make(&v[0], NULL, NULL, &cfg->agent.trust) < 0)
		goto fail;
	n = 1;
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct cfg_service *s = &cfg->services[i];

		if (trust_given(&s->trust) && s->type &&
		    btrust_make(&v[n++], s->type, &s->trust, &cfg->agent.trust) < 0)
			goto fail;
	}
	trust_free(b->trust, b->n_trust);
	b->trust = v;
	b->n_trust = n;
	b->trust_gen++;
	return 0;
fail:
	trust_free(v, n);
	return -ENOMEM;
}

/* The trust of type T: its declared service's, else the default. */
static const struct btrust *trust_for(const struct balance *b, const struct cache_type *t)
{
	const struct bsvc *s = t->user;

	if (s && s->trust && s->trust_gen == b->trust_gen)
		return s->trust;
	for (size_t i = 1; i < b->n_trust; i++)
		if (strcasecmp(b->trust[i].type, t->name) == 0)
			return &b->trust[i];
	return b->n_trust ? &b->trust[0] : &no_limit;
}

/* Host name item ITEM names HOST (an SRV target): equal but for case and
 * a trailing dot; an item of one label ("h2") names "h2.local". */
static bool host_match(const char *item, const char *host)
{
	size_t il = strlen(item), hl = strlen(host);

	if (hl > 1 && host[hl - 1] == '.')
		hl--;
	if (!strchr(item, '.'))
		return hl == il + 6 && strncasecmp(host, item, il) == 0 &&
		       strncasecmp(host + il, ".local", 6) == 0;
	return hl == il && strncasecmp(host, item, il) == 0;
}

/* Network N holds address A (an IPv6 zone does not matter). */
static bool net_has(const struct cfg_trust_net *n, const struct cache_addr *a)
{
	size_t full = n->prefix / 8u;
	unsigned rem = n->prefix % 8u;

	if (n->family != a->family || memcmp(n->addr, a->bytes, full) != 0)
		return false;
	return rem == 0 || ((n->addr[full] ^ a->bytes[full]) & (0xffu << (8 - rem)) & 0xffu) == 0;
}

/* trust.from allows E: its host is one of the names, or every address it
 * resolved to is inside one of the networks (so a consumer connects
 * nowhere else, whichever address it takes). */
static bool from_allows(const struct btrust *tr, const struct cache_entry *e)
{
	for (size_t i = 0; i < tr->n_hosts; i++)
		if (host_match(tr->hosts[i], e->host))
			return true;
	if (!tr->n_nets || !e->n_addrs)
		return false;
	for (size_t i = 0; i < e->n_addrs; i++) {
		size_t k = 0;

		while (k < tr->n_nets && !net_has(&tr->nets[k], &e->addrs[i]))
			k++;
		if (k == tr->n_nets)
			return false;
	}
	return true;
}

/* The one trust rule: E's weight and priority as selection uses them
 * (TXT's within TR's caps) into *RET_W and *RET_P, and whether TR lets E
 * be picked at all. What this lanyardd publishes is exempt. */
static bool trust_judge(const struct btrust *tr, const struct cache_entry *e, uint16_t *ret_w,
                        uint16_t *ret_p)
{
	*ret_w = e->txt->weight;
	*ret_p = e->txt->priority;
	if (e->local)
		return true;
	if (*ret_w > tr->max_weight)
		*ret_w = tr->max_weight;
	if (*ret_p < tr->min_priority)
		*ret_p = tr->min_priority;
	return !tr->has_from || from_allows(tr, e);
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
	trust_free(b->trust, b->n_trust);
	free(b);
}

static struct bsvc *svc_of(struct cache_type *t)
{
	if (!t->user) {
		struct bsvc *s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->rr_last = -1;
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
	s->trust = trust_for(b, t);
	s->trust_gen = b->trust_gen;
	s->n = 0;
	bool reweighted = false;
	for (struct cache_entry *e = t->first; e; e = e->next) {
		bool known = e->user != NULL;
		struct bep *ep = ep_of(e);
		if (!ep)
			return -ENOMEM;
		uint16_t was = ep->weight;
		ep->trusted = trust_judge(s->trust, e, &ep->weight, &ep->priority);
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
	ep->out_t = now;
}

/* ---- policies over the K final candidates C (in array order) ------------ */

static struct bep *pick_rr(struct bsvc *s, struct bep **c, size_t k)
{
	size_t lo = 0, hi = k; /* first candidate after rr_last */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((ptrdiff_t)c[mid]->idx <= s->rr_last)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct bep *ep = c[lo < k ? lo : 0];
	s->rr_last = (ptrdiff_t)ep->idx;
	s->rr_ep = ep;
	s->rr_named = false;
	return ep;
}

static uint64_t weight_of(const struct bep *ep, bool weighted)
{
	return weighted ? ep->weight : 1;
}

static struct bep *pick_swrr(struct bep **c, size_t k, bool weighted)
{
	int64_t total = 0;
	struct bep *best = NULL;
	for (size_t i = 0; i < k; i++) {
		int64_t w = (int64_t)weight_of(c[i], weighted);
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
		total += weight_of(c[i], weighted);
	uint64_t r = rand_below(b, total);
	for (size_t i = 0; i < k; i++) {
		uint64_t w = weight_of(c[i], weighted);
		if (r < w)
			return c[i];
		r -= w;
	}
	return c[k - 1];
}

/* Rendezvous (highest random weight) hashing: each candidate scores
 * hash(key, instance); the highest wins, so removing one of N candidates
 * moves only the keys it held (1/N). Weighted by the logarithmic method
 * (score = w / -ln(u), u uniform in (0,1) from the hash), which gives
 * candidate i a share of w_i / sum(w). */
static struct bep *pick_hash(struct balance *b, struct bep **c, size_t k, bool weighted,
                             const void *key, size_t key_len)
{
	if (!key)
		return c[rand_below(b, k)];
	uint64_t kh = fmix64(fnv1a(0xcbf29ce484222325ULL, key, key_len, false));
	bool equal = true;
	for (size_t i = 1; i < k && equal; i++)
		equal = weight_of(c[i], weighted) == weight_of(c[0], weighted);
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
		double score = (double)weight_of(c[i], weighted) / -log(u);
		if (score > best_score)
			best = c[i], best_score = score;
	}
	return best;
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
		cost[x] = (out[x] + 1) * lat / (double)weight_of(two[x], weighted);
	}
	if (cost[1] < cost[0] || (cost[1] == cost[0] && out[1] < out[0]))
		return two[1];
	return two[0];
}

/* The lowest published load; ties (and instances publishing none, when
 * nobody does) share the round-robin rotation. */
static struct bep *pick_least_loaded(struct bsvc *s, struct bep **c, size_t k)
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
	return pick_rr(s, c, m);
}

/* ---- the pick ------------------------------------------------------------ */

/* Narrow the K candidates in C to the final set: usable (not ejected,
 * unless panic), on this LAN if any is (unless ANY_DOMAIN), the lowest
 * priority, not degraded (health=warning) if any
 * is not, local if preferred and present, weight > 0 if any. Sets
 * *weighted when weights apply. Returns the count. */
static size_t narrow(const struct balance *b, struct bep **c, size_t k, size_t usable,
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

int balance_pick(struct balance *b, struct cache_type *t, const struct balance_request *rq,
                 double now, struct cache_entry **ret)
{
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

	struct bep **c = b->scratch;
	size_t k = 0, usable = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct bep *ep = s->eps[i];
		/* Found dead by probing, or outside trust.from: out, whatever
		 * the panic threshold. */
		if (ep->e->down || !ep->trusted ||
		    (rq->filter && !rq->filter(rq->filter_userdata, ep->e)))
			continue;
		ep->ejected_now = health_ejected(&ep->health, now);
		usable += !ep->ejected_now;
		c[k++] = ep;
	}
	if (k == 0)
		return -ENOENT;
	bool weighted;
	k = narrow(b, c, k, usable, rq->prefer_local, rq->any_domain, &weighted);

	struct bep *ep = NULL;
	switch (rq->policy) {
	case CFG_POLICY_ROUND_ROBIN:
		ep = pick_rr(s, c, k);
		break;
	case CFG_POLICY_WEIGHTED:
		ep = pick_swrr(c, k, weighted);
		break;
	case CFG_POLICY_RANDOM:
		ep = c[rand_below(b, k)];
		break;
	case CFG_POLICY_WEIGHTED_RANDOM:
		ep = pick_weighted_random(b, c, k, weighted);
		break;
	case CFG_POLICY_HASH:
		ep = pick_hash(b, c, k, weighted, rq->key, rq->key_len);
		break;
	case CFG_POLICY_P2C:
		ep = pick_p2c(b, s, c, k, weighted, now);
		break;
	case CFG_POLICY_LEAST_LOADED:
	case _CFG_POLICY_MAX:
		ep = pick_least_loaded(s, c, k);
		break;
	}
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
	health_report(&ep->health, &b->p.health, ok, now);
	return 0;
}

void balance_status(const struct balance *b, const struct cache_entry *e, double now,
                    struct balance_status *ret)
{
	const struct bep *ep = e->user;
	memset(ret, 0, sizeof(*ret));
	ret->trusted = trust_judge(trust_for(b, e->type), e, &ret->weight, &ret->priority);
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
