/* SPDX-License-Identifier: MIT */
/* Selection's internal state, shared by agent/balance.c (policies and the
 * pick), agent/balance-trust.c (trust) and agent/balance-tier.c (the
 * per-service cached tiers). Not a public interface. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/balance.h"

struct bsvc;

/* Per-instance selection state, in the cache entry's user slot. */
struct bep {
	struct cache_entry *e;
	struct bsvc *svc;
	struct health health;
	/* Smooth weighted round robin: the current weight; while the
	 * endpoint is a member of its service's active lazy state (in_swrr),
	 * the base from which the current weight is derived (bswrr). */
	int64_t cw;
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
	bool in_swrr;     /* a member of svc->swrr */
	double load;
};

/* The final candidates of an unfiltered request of one variant (stale
 * entries left out or not, any domain or this LAN's first, local
 * preferred or not), after every narrowing rule, kept while nothing that
 * decides them changes (bsvc.epoch). */
struct btier {
	uint64_t epoch;  /* the bsvc epoch it was built for; 0 = never */
	struct bep **v;  /* in svc->eps order */
	size_t n, cap;   /* n == 0: no candidate (-ENOENT) */
	bool weighted;   /* some weight > 0: weights apply (else all count 1) */
	uint64_t *cum;   /* cum[i]: weight_of(v[0..i]) summed (weighted random) */
	struct bep **ll; /* least loaded: the lowest published load's, in order */
	size_t n_ll;
	/* Another variant's tier of this epoch with the same final set, used
	 * instead (its arrays are not filled): they share one rotation. */
	struct btier *alias;
	/* Hash with a key: recent keys' picks (memo_mask + 1 slots, by key
	 * hash; allocated at the first such pick, emptied when the tier is
	 * built, freed when it is built to another size). */
	struct bhmemo *memo;
	size_t memo_mask;
};

struct bhmemo {
	uint64_t kh;    /* the key's hash */
	struct bep *ep; /* its pick; NULL: unused */
};

#define BHMEMO_MAX  1024 /* slots of a tier's memo, at most (a power of 2) */
#define BHMEMO_FROM 32   /* fewer candidates: ranked every time */

/* The slots of the memo of a tier of N: a power of 2 of 1 to 2 per
 * candidate, 64 to BHMEMO_MAX. */
static inline size_t bhmemo_slots(size_t n)
{
	size_t slots = 64;

	while (slots <= n && slots < BHMEMO_MAX)
		slots *= 2;
	return slots;
}

#define BTIER_VARIANTS 8 /* skip_stale, any_domain, prefer_local */

/* The tier of a keyed filter (balance_request.filter_key) for one variant.
 * Unused while key_len is 0. */
struct bftier {
	void *key;
	size_t key_len, key_cap;
	unsigned variant; /* the index into bsvc.tiers an unfiltered request would use */
	uint64_t used;    /* bsvc.ft_clock at its last use: the least recent makes way */
	struct btier tier;
};

#define BFTIER_SLOTS 8 /* keyed filters' tiers per service */

/* Endpoints of one weight within the lazy smooth weighted state: a binary
 * max-heap in bswrr.heap[start, start + n) by (base, then lower idx). */
struct bgroup {
	int64_t w;
	size_t start, n;
};

/* Smooth weighted round robin over one tier without touching every
 * member per pick. A member's current weight is its base (bep.cw) plus
 * t times its weight; within a group of equal weight the order of the
 * current weights never changes with t, so each group's heap top is its
 * best, and a pick compares the tops of the groups. */
struct bswrr {
	const struct btier *tier; /* NULL: inactive (every bep.cw is current) */
	int64_t t;                /* picks since activation */
	int64_t total;            /* the tier's total weight */
	struct bep **heap;
	struct bgroup *groups; /* at most one per member */
	size_t cap;            /* of heap and groups */
	size_t n_groups;
};

/* Per-type state, in the cache type's user slot. */
struct bsvc {
	uint64_t gen;     /* type generation eps was built for; 0 = never */
	struct bep **eps; /* sorted by (name, domain) */
	size_t n, cap;
	/* Round robin: the next pick is the first candidate after rr_last.
	 * rr_ep is the last pick while its entry lives; when it goes, its key
	 * is kept in rr_name/rr_domain and found again at the next rebuild.
	 * rr_pos is where rr_ep was in the candidates it was picked from (a
	 * hint, checked before use: rr_last == rr_ep->idx). */
	struct bep *rr_ep;
	ptrdiff_t rr_last;
	size_t rr_pos;
	bool rr_named;
	double latency;             /* EWMA over the whole type, for instances without one */
	const struct btrust *trust; /* the type's, current while trust_gen is b's */
	uint64_t trust_gen;
	/* The cached tiers are current while epoch is theirs. It moves on
	 * when eps is rebuilt or an endpoint is ejected (dirty), when an
	 * ejection ends (next_expiry) or when time goes back (epoch_t). */
	uint64_t epoch;
	bool dirty;
	double epoch_t, next_expiry;
	struct btier tiers[BTIER_VARIANTS];
	struct bftier *ft; /* BFTIER_SLOTS, allocated at the first keyed filter */
	uint64_t ft_clock;
	struct bswrr swrr;
	/* Last: read only when rr_ep's entry goes and at the rebuild after
	 * (the fields above share a few cache lines on the pick's path). */
	char rr_name[CACHE_NAME_MAX + 1], rr_domain[CACHE_NAME_MAX + 1];
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
	uint64_t visited;   /* balance_visited() */
};

/* ---- agent/balance-trust.c ---- */

/* Free B's trust settings. */
void btrust_free_all(struct balance *b);

/* The trust of type T: its declared service's, else the default. */
const struct btrust *btrust_for(const struct balance *b, const struct cache_type *t);

/* The one trust rule: E's weight and priority as selection uses them
 * (TXT's within TR's caps) into *RET_W and *RET_P, and whether TR lets E
 * be picked at all. What this lanyardd publishes is exempt. */
bool btrust_judge(const struct btrust *tr, const struct cache_entry *e, uint16_t *ret_w,
                  uint16_t *ret_p);

/* ---- agent/balance.c, for the tiers ---- */

/* The candidates of S for RQ at NOW into b->scratch (down, untrusted,
 * stale if asked and filtered-out endpoints left out; ejected_now set),
 * their count into *RET_USABLE those not ejected. Returns the count. */
size_t balance_collect(struct balance *b, struct bsvc *s, const struct balance_request *rq,
                       double now, size_t *ret_usable);

/* Narrow the K candidates in C to the final set (see balance.c). */
size_t balance_narrow(const struct balance *b, struct bep **c, size_t k, size_t usable,
                      bool prefer_local, bool any_domain, bool *weighted);

/* Keep, of the K in C, those with the lowest published load (all when
 * none publishes one) in C[0..]; returns their count. */
size_t balance_least_loaded(struct bep **c, size_t k);

static inline uint64_t bep_weight(const struct bep *ep, bool weighted)
{
	return weighted ? ep->weight : 1;
}

/* ---- agent/balance-tier.c ---- */

/* The current tier of S for unfiltered request RQ at NOW into *RET
 * (built if needed). Returns 0 or -ENOMEM. */
int btier_get(struct balance *b, struct bsvc *s, const struct balance_request *rq, double now,
              struct btier **ret);

/* The current tier of RQ's keyed filter in S at NOW into *RET (built if
 * needed: the filter is called then). Returns 0, -ENOENT (the filter
 * leaves no candidate: nothing is kept, so that the next request calls
 * the filter again) or -ENOMEM. */
int btier_get_keyed(struct balance *b, struct bsvc *s, const struct balance_request *rq, double now,
                    struct btier **ret);

/* Smooth weighted round robin over TR (S's current tier): the pick into
 * *RET. O(groups + log n). Returns 0 or -ENOMEM. */
int bswrr_pick(struct balance *b, struct bsvc *s, const struct btier *tr, struct bep **ret);

/* Make every member's bep.cw its current weight again and deactivate
 * S's lazy state (before a scan, a rebuild or a member's release). */
void bswrr_flush(struct balance *b, struct bsvc *s);

/* Free what S's tiers and lazy state hold (not the endpoints). */
void btier_free_all(struct bsvc *s);
