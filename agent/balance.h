/* SPDX-License-Identifier: MIT */
/* Selection: one balanced pick among a service's cached instances, with
 * agent-wide per-service state, priority tiers, local preference and
 * outlier ejection from consumer feedback. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/cache.h"
#include "agent/health.h"
#include "config/config.h"

struct balance_params {
	struct health_params health; /* ejection: 5 failures, 30 s doubling, 300 s cap */
	/* The largest share of a request's candidates that ejection may take
	 * out: when fewer than (1 - panic_threshold) of them are usable,
	 * ejection is ignored for that pick. Default 0.5. */
	double panic_threshold;
	/* Picks never reported fade with this half-life (a consumer that
	 * crashed must not skew p2c forever). Default 30 s; 0 = never. */
	double outstanding_half_life;
	double latency_alpha; /* EWMA weight of a new latency sample; 0.3 */
	uint64_t seed;        /* for random, weighted_random and p2c */
};

struct balance_request {
	enum cfg_policy policy;
	bool prefer_local; /* local instances first, within the chosen tier */
	/* Browsed zones' endpoints compete with this LAN's; by default those
	 * of this LAN (mDNS) go first while any is usable. */
	bool any_domain;
	/* Leave out stale entries (cache_entry.stale: every sighting is from
	 * a browse that went down). */
	bool skip_stale;
	/* CFG_POLICY_HASH: the request key (bytes). Without one, hash picks
	 * at random. */
	const void *key;
	size_t key_len;
	/* Optional: candidates are the entries for which this returns true
	 * (version, tags, TXT, family filters). Must not modify the cache.
	 * A request with a filter scans the service's entries; one without is
	 * served from the service's cached tier. */
	bool (*filter)(void *userdata, const struct cache_entry *e);
	void *filter_userdata;
	/* Optional, with a filter: FILTER_KEY_LEN > 0 bytes that identify it.
	 * Filters with equal keys must give the same verdict on every entry,
	 * and a verdict must depend on nothing but the entry's content (what
	 * changes its type's generation). The final set of a keyed filter is
	 * then kept like an unfiltered request's tier, for the next request
	 * with the same key (a few keys per service, the least recently used
	 * making way), and the filter is called only when that set is built
	 * again. */
	const void *filter_key;
	size_t filter_key_len;
};

/* What list/status show for one endpoint. */
struct balance_status {
	/* trust (balance_set_trust()): false when the endpoint is a peer's
	 * from outside its service's trust.from allow-list, and never picked */
	bool trusted;
	uint16_t weight, priority; /* what selection uses: TXT's, within the caps */
	bool ejected;
	enum health_reason reason; /* HEALTH_OK unless ejected */
	double time_left;          /* seconds of ejection left */
	uint32_t failures;         /* consecutive failures */
	uint32_t ejections;        /* ejections in a row */
	double outstanding;        /* picks not yet reported (fading) */
	double latency_ms;         /* EWMA of reported latencies; 0 = none yet */
	uint64_t picks;
};

struct balance;

void balance_params_default(struct balance_params *p);

/* New selector for the entries of C (P NULL: defaults). It keeps its
 * per-service and per-instance state in the user slots of C's types and
 * entries and installs C's release hooks. Free it with balance_free()
 * before C. NULL on OOM. */
struct balance *balance_new(const struct balance_params *p, struct cache *c);

/* Drop all selection state (the cache's slots are cleared) and free B. */
void balance_free(struct balance *b);

/* Take the trust settings of CFG (copied; CFG may be freed afterwards):
 * for each type, the trust of the declared service of that type, key by
 * key over agent.trust. Entries published by this lanyardd
 * (cache_entry.local) are exempt; the others' TXT weight is capped at
 * max_weight, their priority raised to min_priority, and those outside
 * trust.from are never picked. Call at start and after every reload; until
 * then nothing is capped. Returns 0 or -ENOMEM (the old settings stay). */
int balance_set_trust(struct balance *b, const struct lanyard_config *cfg);

/* Pick one instance of type T for RQ at time NOW into *ret.
 * Candidates are T's entries that are not down, pass the filter (and are
 * not stale, if asked) and trust.from (see balance_set_trust(), which
 * also caps their weight and priority); ejected ones are set aside unless
 * that would leave too few (panic); of the rest, this LAN's before
 * browsed zones' (unless any_domain), only the lowest priority value,
 * passing before degraded, local instances first if asked, and weight 0
 * only when nothing else is left.
 * Without a filter the final set comes from T's cached tier, rebuilt only
 * when T's generation or the trust changed, an endpoint was ejected or an
 * ejection ended: a pick then costs O(log n) in T's size (O(1) for
 * random, p2c, and round robin or least loaded picking from the tier
 * they picked from last; smooth weighted round robin O(d + log n) for d
 * distinct weights in the tier; hash with a key is linear in the tier
 * the first time the key is asked for, O(1) while the tier remembers it:
 * 1 to 2 keys per candidate, 64 to 1 024 per tier). A keyed
 * filter's final set is kept the same way; with another filter, every
 * entry of T is looked at. Per-type arrays are
 * (re)allocated only on those rebuilds: otherwise no allocation.
 * Counts the pick as outstanding. Returns 0, -ENOENT (no candidate),
 * -EINVAL (unknown policy) or -ENOMEM. */
int balance_pick(struct balance *b, struct cache_type *t, const struct balance_request *rq,
                 double now, struct cache_entry **ret);

/* Consumer feedback on instance E at NOW: ends one outstanding pick,
 * feeds the latency EWMA (LATENCY_MS < 0: unknown) on success, and counts
 * consecutive failures towards ejection. Returns 0 or -ENOMEM. */
int balance_report(struct balance *b, struct cache_entry *e, bool ok, double latency_ms,
                   double now);

/* E's selection state at NOW; all zeros if it was never picked or
 * reported, but for the trust fields, always set. */
void balance_status(const struct balance *b, const struct cache_entry *e, double now,
                    struct balance_status *ret);

/* Endpoints looked at so far by picks, rebuilds and tier refreshes (one
 * per endpoint per loop over a service): what makes a pick's cost grow
 * with the service. For tests and measurements. */
uint64_t balance_visited(const struct balance *b);
