/* SPDX-License-Identifier: MIT */
/* The per-service cached tiers that unfiltered picks choose from, kept
 * until something that decides them changes, and smooth weighted round
 * robin over a tier without visiting every member on each pick. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/balance-private.h"

/* Whether S's tiers still hold at NOW. Nothing but ejections makes the
 * final set depend on time: an endpoint is ejected while now <
 * ejected_until, so a set built at epoch_t holds until the earliest
 * ejection still running then ends (or time goes back). Otherwise a new
 * epoch: the tiers are rebuilt as they are asked for. */
static void epoch_check(struct balance *b, struct bsvc *s, double now)
{
	if (!s->dirty && now >= s->epoch_t && now < s->next_expiry)
		return;
	bswrr_flush(b, s);
	s->epoch++;
	s->dirty = false;
	s->epoch_t = now;
	s->next_expiry = INFINITY;
	for (size_t i = 0; i < s->n; i++) {
		double until = s->eps[i]->health.ejected_until;

		if (until > now && until < s->next_expiry)
			s->next_expiry = until;
	}
	b->visited += s->n;
}

static int grow(void *p, size_t n, size_t size)
{
	void *q = realloc(*(void **)p, n * size);

	if (!q)
		return -ENOMEM;
	*(void **)p = q;
	return 0;
}

/* The final set of RQ (its filter, if any, applied) at NOW into
 * b->scratch, whether weights apply into *WEIGHTED. Returns its size. */
static size_t tier_candidates(struct balance *b, struct bsvc *s, const struct balance_request *rq,
                              double now, bool *weighted)
{
	size_t usable, k = balance_collect(b, s, rq, now, &usable);

	*weighted = false;
	if (k)
		k = balance_narrow(b, b->scratch, k, usable, rq->prefer_local, rq->any_domain,
		                   weighted);
	return k;
}

/* Make TR the K candidates in b->scratch, of S's current epoch. */
static int tier_store(struct balance *b, struct bsvc *s, struct btier *tr, size_t k, bool weighted)
{
	struct bep **c = b->scratch;
	uint64_t sum = 0;

	if (k > tr->cap) {
		if (grow(&tr->v, k, sizeof(*tr->v)) < 0 ||
		    grow(&tr->cum, k, sizeof(*tr->cum)) < 0 ||
		    grow(&tr->ll, k, sizeof(*tr->ll)) < 0)
			return -ENOMEM;
		tr->cap = k;
	}
	if (k)
		memcpy(tr->v, c, k * sizeof(*c));
	tr->n = k;
	tr->weighted = weighted;
	for (size_t i = 0; i < k; i++) {
		sum += bep_weight(tr->v[i], weighted);
		tr->cum[i] = sum;
	}
	if (k)
		memcpy(tr->ll, tr->v, k * sizeof(*c));
	tr->n_ll = k ? balance_least_loaded(tr->ll, k) : 0;
	tr->alias = NULL;
	if (tr->memo && bhmemo_slots(k) != tr->memo_mask + 1) { /* sized for another set */
		free(tr->memo);
		tr->memo = NULL;
	} else if (tr->memo) {
		memset(tr->memo, 0, (tr->memo_mask + 1) * sizeof(*tr->memo));
	}
	tr->epoch = s->epoch;
	return 0;
}

/* The index of RQ's variant in bsvc.tiers. */
static unsigned variant_of(const struct balance_request *rq)
{
	return (rq->skip_stale ? 1 : 0) | (rq->any_domain ? 2 : 0) | (rq->prefer_local ? 4 : 0);
}

/* Build TR, S's tier for RQ's variant, at NOW: the candidates and
 * narrowing of a filtered pick, without the filter. A tier with the same
 * final set as one already built in this epoch becomes its alias, so
 * that variants that come to the same set share one rotation state. */
static int tier_build(struct balance *b, struct bsvc *s, const struct balance_request *rq,
                      double now, struct btier *tr)
{
	struct balance_request all = {.skip_stale = rq->skip_stale,
	                              .prefer_local = rq->prefer_local,
	                              .any_domain = rq->any_domain};
	bool weighted;
	size_t k = tier_candidates(b, s, &all, now, &weighted);

	for (size_t i = 0; i < BTIER_VARIANTS; i++) {
		struct btier *o = &s->tiers[i];

		/* (weighted follows from the set: some weight > 0 in it) */
		if (o != tr && o->epoch == s->epoch && !o->alias && o->n == k &&
		    memcmp(o->v, b->scratch, k * sizeof(*b->scratch)) == 0) {
			tr->alias = o;
			tr->epoch = s->epoch;
			return 0;
		}
	}
	return tier_store(b, s, tr, k, weighted);
}

int btier_get(struct balance *b, struct bsvc *s, const struct balance_request *rq, double now,
              struct btier **ret)
{
	struct btier *tr = &s->tiers[variant_of(rq)];
	int r;

	epoch_check(b, s, now);
	if (tr->epoch != s->epoch && (r = tier_build(b, s, rq, now, tr)) < 0)
		return r;
	*ret = tr->alias ? tr->alias : tr;
	return 0;
}

/* The slot of S that holds RQ's keyed filter, else the one to reuse for
 * it (an unused one, or the least recently used). */
static struct bftier *ftier_find(struct bsvc *s, const struct balance_request *rq, unsigned variant,
                                 bool *found)
{
	struct bftier *lru = &s->ft[0];

	for (size_t i = 0; i < BFTIER_SLOTS; i++) {
		struct bftier *f = &s->ft[i];

		if (f->key_len == rq->filter_key_len && f->variant == variant &&
		    memcmp(f->key, rq->filter_key, f->key_len) == 0) {
			*found = true;
			return f;
		}
		if (f->used < lru->used)
			lru = f;
	}
	*found = false;
	return lru;
}

int btier_get_keyed(struct balance *b, struct bsvc *s, const struct balance_request *rq, double now,
                    struct btier **ret)
{
	unsigned variant = variant_of(rq);
	struct bftier *f;
	bool found, weighted;
	size_t k;
	int r;

	epoch_check(b, s, now);
	if (!s->ft && !(s->ft = calloc(BFTIER_SLOTS, sizeof(*s->ft))))
		return -ENOMEM;
	f = ftier_find(s, rq, variant, &found);
	if (found && f->tier.epoch == s->epoch) {
		f->used = ++s->ft_clock;
		*ret = &f->tier;
		return 0;
	}
	/* The set first, then a slot: a filter that leaves nothing is not
	 * kept (its scan counts what the error reports), nor does it push a
	 * kept one out. */
	k = tier_candidates(b, s, rq, now, &weighted);
	if (k == 0) {
		if (found) { /* its set was of another epoch: free the slot */
			f->key_len = 0;
			f->used = 0;
		}
		return -ENOENT;
	}
	if (!found) {
		if (s->swrr.tier == &f->tier)
			bswrr_flush(b, s); /* its set is about to change */
		/* Another key's set, maybe of this epoch: not this key's, even
		 * if what follows fails. */
		f->key_len = 0;
		f->tier.epoch = 0;
		if (rq->filter_key_len > f->key_cap) {
			if (grow(&f->key, rq->filter_key_len, 1) < 0)
				return -ENOMEM;
			f->key_cap = rq->filter_key_len;
		}
		memcpy(f->key, rq->filter_key, rq->filter_key_len);
		f->key_len = rq->filter_key_len;
		f->variant = variant;
	}
	f->used = ++s->ft_clock;
	if ((r = tier_store(b, s, &f->tier, k, weighted)) < 0)
		return r;
	*ret = &f->tier;
	return 0;
}

/* ---- smooth weighted round robin over a tier ----------------------------- */

/* X goes above Y in its group's heap: the higher base, then the earlier
 * endpoint (the plain pick takes the first of equal current weights). */
static bool heap_above(const struct bep *x, const struct bep *y)
{
	return x->cw > y->cw || (x->cw == y->cw && x->idx < y->idx);
}

static void sift_down(struct bep **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, top = i;

		if (l < n && heap_above(h[l], h[top]))
			top = l;
		if (l + 1 < n && heap_above(h[l + 1], h[top]))
			top = l + 1;
		if (top == i)
			return;
		struct bep *x = h[i];
		h[i] = h[top];
		h[top] = x;
		i = top;
	}
}

static int by_weight(const void *a, const void *b)
{
	const struct bep *x = *(struct bep *const *)a, *y = *(struct bep *const *)b;

	return (x->weight > y->weight) - (x->weight < y->weight);
}

/* Make TR's members S's lazy state, their current weights the bases. */
static int swrr_start(struct balance *b, struct bsvc *s, const struct btier *tr)
{
	struct bswrr *w = &s->swrr;
	size_t n = tr->n;

	if (n > w->cap) {
		if (grow(&w->heap, n, sizeof(*w->heap)) < 0 ||
		    grow(&w->groups, n, sizeof(*w->groups)) < 0)
			return -ENOMEM;
		w->cap = n;
	}
	memcpy(w->heap, tr->v, n * sizeof(*w->heap));
	if (tr->weighted) /* else every weight counts 1: one group */
		qsort(w->heap, n, sizeof(*w->heap), by_weight);
	w->n_groups = 0;
	for (size_t i = 0, j; i < n; i = j) {
		int64_t wt = (int64_t)bep_weight(w->heap[i], tr->weighted);

		for (j = i + 1; j < n && (int64_t)bep_weight(w->heap[j], tr->weighted) == wt; j++)
			;
		w->groups[w->n_groups++] = (struct bgroup){.w = wt, .start = i, .n = j - i};
		for (size_t x = (j - i) / 2; x-- > 0;)
			sift_down(w->heap + i, j - i, x);
	}
	for (size_t i = 0; i < n; i++)
		w->heap[i]->in_swrr = true;
	w->total = (int64_t)tr->cum[n - 1];
	w->t = 0;
	w->tier = tr;
	b->visited += n;
	return 0;
}

/* Each pick adds every member's weight to its current weight: rather
 * than doing so, count the picks (t) and keep bases, a member's current
 * weight being its base + t * weight. The winner pays the total from its
 * base. Rebased before t * weight could overflow. */
int bswrr_pick(struct balance *b, struct bsvc *s, const struct btier *tr, struct bep **ret)
{
	struct bswrr *w = &s->swrr;
	const struct bgroup *best = NULL;
	int64_t t, best_cw = 0;

	if (w->tier != tr || w->t >= (INT64_C(1) << 40)) {
		int r;

		bswrr_flush(b, s);
		if ((r = swrr_start(b, s, tr)) < 0)
			return r;
	}
	t = w->t + 1;
	for (size_t i = 0; i < w->n_groups; i++) {
		const struct bgroup *g = &w->groups[i];
		const struct bep *top = w->heap[g->start];
		int64_t cw = top->cw + t * g->w;

		if (!best || cw > best_cw ||
		    (cw == best_cw && top->idx < w->heap[best->start]->idx))
			best = g, best_cw = cw;
	}
	*ret = w->heap[best->start];
	(*ret)->cw -= w->total;
	sift_down(w->heap + best->start, best->n, 0);
	w->t = t;
	return 0;
}

void bswrr_flush(struct balance *b, struct bsvc *s)
{
	struct bswrr *w = &s->swrr;

	if (!w->tier)
		return;
	for (size_t i = 0; i < w->n_groups; i++) {
		const struct bgroup *g = &w->groups[i];

		for (size_t j = g->start; j < g->start + g->n; j++) {
			w->heap[j]->cw += w->t * g->w;
			w->heap[j]->in_swrr = false;
		}
		b->visited += g->n;
	}
	w->tier = NULL;
}

static void tier_free(struct btier *tr)
{
	free(tr->v);
	free(tr->cum);
	free(tr->ll);
	free(tr->memo);
}

void btier_free_all(struct bsvc *s)
{
	for (size_t i = 0; i < BTIER_VARIANTS; i++)
		tier_free(&s->tiers[i]);
	for (size_t i = 0; s->ft && i < BFTIER_SLOTS; i++) {
		free(s->ft[i].key);
		tier_free(&s->ft[i].tier);
	}
	free(s->ft);
	free(s->swrr.heap);
	free(s->swrr.groups);
}
