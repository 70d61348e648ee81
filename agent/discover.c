/* SPDX-License-Identifier: MIT */
/* Discovery: the browsed types and their state, browse results into the
 * cache, and on-demand browses that a first request waits for. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/discover.h"
#include "agent/log.h"
#include "dnssd/clock.h"
#include "dnssd/name.h"

/* Why a type is in the table (bits): what the configuration asks for, the
 * LAN's type enumeration (browse: all), a consumer's request, or entries a
 * test hook put in the cache (never browsed). */
enum {
	SRC_CONFIG = 1u << 0,
	SRC_ALL = 1u << 1,
	SRC_DEMAND = 1u << 2,
	SRC_FAKE = 1u << 3,
};

struct dtype {
	char *type;
	unsigned sources; /* SRC_ bits */
	bool browsed;     /* mdns_browse() was asked for it */
	bool settled;     /* first pass done since the browse (re)started */
	bool up;          /* browse running */
	bool waited;      /* a first request already waited for it (and timed out) */
	double last_used; /* latest consumer request naming it (clock_mono) */
	uid_t owner;      /* who started it on demand (counts against their quota) */
	uint64_t drops_logged;
};

struct discover_wait {
	struct discover *d;
	struct discover_wait *prev, *next;
	char *types[2];
	size_t n_types;
	ev_timer timer;
	void (*ready)(void *userdata, bool timed_out);
	void *userdata;
};

struct discover {
	struct ev_loop *loop;
	struct cache *cache;
	struct mdns *mdns;
	struct dtype *types;
	size_t n_types;
	/* Open addressing over types by name (case-insensitive): slot holds
	 * index + 1, 0 when empty; at most half full. */
	uint32_t *index;
	size_t index_cap;
	size_t n_browsed; /* types with browsed set: bounded by DISCOVER_MAX_TYPES */
	bool browse_all;
	bool client_up;
	struct discover_wait *waits;
	uint64_t upsert_errors;
	uint64_t refused;    /* browses refused by DISCOVER_MAX_TYPES */
	bool warned_all;     /* that browse: all met the cap was logged */
	uint64_t released;   /* on-demand browses released when idle */
	uint64_t over_quota; /* requests refused by a user's browse quota */
	ev_timer idle;       /* releases idle on-demand browses */
	double idle_s;       /* agent.browse_idle */
};

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents);

struct discover *discover_new(struct ev_loop *loop, struct cache *c)
{
	struct discover *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->loop = loop;
	d->cache = c;
	ev_init(&d->idle, idle_cb);
	d->idle.data = d;
	return d;
}

static void wait_free(struct discover_wait *w)
{
	struct discover *d = w->d;

	ev_timer_stop(d->loop, &w->timer);
	if (w->prev)
		w->prev->next = w->next;
	else
		d->waits = w->next;
	if (w->next)
		w->next->prev = w->prev;
	for (size_t i = 0; i < w->n_types; i++)
		free(w->types[i]);
	free(w);
}

/* Run W's callback once and forget W. */
static void wait_finish(struct discover_wait *w, bool timed_out)
{
	void (*ready)(void *, bool) = w->ready;
	void *userdata = w->userdata;

	wait_free(w);
	ready(userdata, timed_out);
}

void discover_free(struct discover *d)
{
	if (!d)
		return;
	ev_timer_stop(d->loop, &d->idle);
	while (d->waits)
		wait_finish(d->waits, true);
	for (size_t i = 0; i < d->n_types; i++)
		free(d->types[i].type);
	free(d->types);
	free(d->index);
	free(d);
}

/* FNV-1a over the ASCII-lowercased name. Unkeyed: at most
 * DISCOVER_MAX_TYPES names, so collisions cost at worst the linear scan
 * this replaced. */
static size_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ dnssd_lower((unsigned char)*s)) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 32));
}

static struct dtype *type_find(struct discover *d, const char *type)
{
	if (!d->index_cap)
		return NULL;
	for (size_t i = name_hash(type) & (d->index_cap - 1);; i = (i + 1) & (d->index_cap - 1)) {
		uint32_t slot = d->index[i];

		if (!slot)
			return NULL;
		if (strcasecmp(d->types[slot - 1].type, type) == 0)
			return &d->types[slot - 1];
	}
}

static void index_put(uint32_t *idx, size_t cap, const char *name, size_t k)
{
	size_t i = name_hash(name) & (cap - 1);

	while (idx[i])
		i = (i + 1) & (cap - 1);
	idx[i] = (uint32_t)k + 1;
}

/* Index types[0..n_types) anew with room for one more (cap >= 2 (n + 1)). */
static int index_grow(struct discover *d)
{
	size_t cap = d->index_cap ? d->index_cap : 16;
	uint32_t *idx;

	while (cap < 2 * (d->n_types + 1))
		cap *= 2;
	if (cap == d->index_cap)
		return 0;
	idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t k = 0; k < d->n_types; k++)
		index_put(idx, cap, d->types[k].type, k);
	free(d->index);
	d->index = idx;
	d->index_cap = cap;
	return 0;
}

/* Ask the backend to browse T, within the one cap on browsed types.
 * Returns 0 or -ENOSPC. */
static int type_start(struct discover *d, struct dtype *t)
{
	if (t->browsed)
		return 0;
	if (d->n_browsed >= DISCOVER_MAX_TYPES) {
		d->refused++;
		return -ENOSPC;
	}
	t->browsed = true;
	d->n_browsed++;
	if (d->mdns && mdns_browse(d->mdns, t->type) == 0)
		t->up = d->client_up;
	log_debug("browsing %s", t->type);
	return 0;
}

/* Browsed types that the LAN announced (browse: all) and the configuration
 * does not name, whoever else asked for them: a consumer asking for one
 * must not make room for another. */
static size_t all_only_count(const struct discover *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_types; i++)
		n += (d->types[i].sources & SRC_ALL) && !(d->types[i].sources & SRC_CONFIG) &&
		     d->types[i].browsed;
	return n;
}

/* TYPE into the table for SOURCE (idempotent), browsed unless it is only
 * fake; T is its state when it is listed already (type_find()), NOW the
 * time of a demand. Returns the type's state, or NULL with -ENOSPC (the
 * cap: a type is not even listed then) or -ENOMEM in *ret_err. type_get()
 * looks T up and reads the clock. */

static struct dtype *type_use(struct discover *d, struct dtype *t, const char *type,
                              unsigned source, double now, int *ret_err)
{
	struct dtype *n;

	*ret_err = 0;
	if (!t) {
		/* What the LAN announces may not take the room kept for what the
		 * configuration and consumers ask for: a peer announcing
		 * thousands of types must not stop on-demand browses. */
		if ((source != SRC_FAKE && d->n_browsed >= DISCOVER_MAX_TYPES) ||
		    (source == SRC_ALL && all_only_count(d) >= DISCOVER_MAX_ALL)) {
			d->refused++;
			*ret_err = -ENOSPC;
			return NULL;
		}
		if (index_grow(d) < 0 || !(n = realloc(d->types, (d->n_types + 1) * sizeof(*n)))) {
			*ret_err = -ENOMEM;
			return NULL;
		}
		d->types = n;
		t = &d->types[d->n_types];
		*t = (struct dtype){.type = strdup(type)};
		if (!t->type) {
			*ret_err = -ENOMEM;
			return NULL;
		}
		index_put(d->index, d->index_cap, t->type, d->n_types);
		d->n_types++;
	}
	t->sources |= source;
	if (source == SRC_DEMAND)
		t->last_used = now;
	if (source != SRC_FAKE)
		*ret_err = type_start(d, t);
	return *ret_err < 0 ? NULL : t;
}

static struct dtype *type_get(struct discover *d, const char *type, unsigned source, int *ret_err)
{
	return type_use(d, type_find(d, type), type, source, clock_mono(), ret_err);
}

/* Forget the type at index K: stop its browse, drop its entries. */
static void type_release(struct discover *d, size_t k)
{
	struct dtype *t = &d->types[k];

	if (t->browsed) {
		d->n_browsed--;
		if (d->mdns)
			mdns_unbrowse(d->mdns, t->type);
	}
	cache_clear_type(d->cache, t->type, ev_now(d->loop));
	log_debug("stopped browsing %s", t->type);
	free(t->type);
	d->types[k] = d->types[d->n_types - 1];
	d->n_types--;
	/* Indexes moved: build the index anew (releases are rare). */
	memset(d->index, 0, d->index_cap * sizeof(*d->index));
	for (size_t i = 0; i < d->n_types; i++)
		index_put(d->index, d->index_cap, d->types[i].type, i);
}

/* Is a request waiting for TYPE's first browse? */
static bool waited_for(const struct discover *d, const char *type)
{
	for (const struct discover_wait *w = d->waits; w; w = w->next)
		for (size_t i = 0; i < w->n_types; i++)
			if (strcasecmp(w->types[i], type) == 0)
				return true;
	return false;
}

/* Release on-demand browses nobody asked for in agent.browse_idle: they
 * cost avahi objects and LAN traffic, and any consumer could pin them. */
static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct discover *d = w->data;
	double now = clock_mono();

	for (size_t k = d->n_types; k-- > 0;) {
		struct dtype *t = &d->types[k];

		if (t->sources == SRC_DEMAND && now - t->last_used >= d->idle_s &&
		    !waited_for(d, t->type)) {
			type_release(d, k);
			d->released++;
		}
	}
}

void discover_set_mdns(struct discover *d, struct mdns *m)
{
	d->mdns = m;
	if (!m)
		return;
	for (size_t i = 0; i < d->n_types; i++)
		if (d->types[i].browsed)
			mdns_browse(m, d->types[i].type);
	if (d->browse_all)
		mdns_browse_types(m, true);
}

int discover_configure(struct discover *d, const struct lanyard_config *cfg)
{
	char types[2][DNSSD_TYPE_SIZE];
	double now = clock_mono();
	int r = 0, e, n;

	/* Idle browses are looked for every tenth of the idle time (at most
	 * every 30 s): released within 10 % of it. */
	d->idle_s = (double)cfg->agent.browse_idle_ms / 1000.0;
	d->idle.repeat = d->idle_s / 10 < 30 ? d->idle_s / 10 : 30;
	ev_timer_again(d->loop, &d->idle);

	/* What the old configuration asked for and the new one does not is
	 * kept as if a consumer had just asked: released once idle. */
	for (size_t i = 0; i < d->n_types; i++) {
		struct dtype *t = &d->types[i];
		unsigned gone = t->sources & (SRC_CONFIG | (cfg->agent.browse_all ? 0 : SRC_ALL));

		if (!gone)
			continue;
		t->sources = (t->sources & ~gone) | SRC_DEMAND;
		t->last_used = now;
	}
	for (size_t i = 0; i < cfg->agent.n_browse; i++) {
		n = dnssd_service_types(cfg->agent.browse[i], types);
		for (int j = 0; j < n; j++)
			if (!type_get(d, types[j], SRC_CONFIG, &e) && !r)
				r = e;
	}
	for (size_t i = 0; i < cfg->n_services; i++)
		if (!type_get(d, cfg->services[i].type, SRC_CONFIG, &e) && !r)
			r = e;
	if (cfg->agent.browse_all != d->browse_all) {
		d->browse_all = cfg->agent.browse_all;
		if (d->mdns && mdns_browse_types(d->mdns, d->browse_all) < 0 && !r)
			r = -ENOMEM;
	}
	return r;
}

static bool wait_satisfied(struct discover *d, const struct discover_wait *w)
{
	for (size_t i = 0; i < w->n_types; i++) {
		struct dtype *t = type_find(d, w->types[i]);

		/* A type past the browse cap is not waited for. */
		if (t && !t->settled)
			return false;
	}
	return true;
}

static void on_wait_timeout(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct discover_wait *w = timer->data;

	/* Later requests answer from the cache at once: one wait per type. */
	for (size_t i = 0; i < w->n_types; i++) {
		struct dtype *t = type_find(w->d, w->types[i]);

		if (t)
			t->waited = true;
	}
	wait_finish(w, true);
}

/* The on-demand browses UID started that are still only on demand. */
static unsigned demand_count(const struct discover *d, uid_t uid)
{
	unsigned n = 0;

	for (size_t i = 0; i < d->n_types; i++)
		n += d->types[i].sources == SRC_DEMAND && d->types[i].owner == uid;
	return n;
}

int discover_need(struct discover *d, const char *service, double now,
                  const struct discover_quota *q, double timeout_s,
                  void (*ready)(void *userdata, bool timed_out), void *userdata,
                  struct discover_wait **ret_wait)
{
	struct discover_wait *w;
	char types[2][DNSSD_TYPE_SIZE];
	struct dtype *found[2];
	bool settled = true, moved = false;
	int n, r, fresh = 0;

	*ret_wait = NULL;
	n = dnssd_service_types(service, types);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		fresh += (found[i] = type_find(d, types[i])) == NULL;
	if (q && q->max && fresh && demand_count(d, q->uid) + (unsigned)fresh > q->max) {
		d->over_quota++;
		return -EDQUOT;
	}
	for (int i = 0; i < n; i++) {
		/* adding or starting a type may move the table: look again after */
		struct dtype *f = moved ? type_find(d, types[i]) : found[i];
		bool is_new = f == NULL;
		bool was_browsed = f && f->browsed;
		struct dtype *t = type_use(d, f, types[i], SRC_DEMAND, now, &r);

		moved = moved || !was_browsed;

		if (t && is_new && q)
			t->owner = q->uid;

		/* Past the cap on browsed types, answer from the cache as it
		 * is rather than refuse: the cap bounds what consumers make us
		 * browse, not what they may ask. */
		if (!t && r == -ENOSPC)
			continue;
		if (!t)
			return r;
		settled = settled && (t->settled || t->waited);
	}
	/* Without avahi there is nothing to wait for: answer from the cache
	 * (status says the browse is down). */
	if (settled || !d->client_up)
		return 1;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->d = d;
	for (int i = 0; i < n; i++) {
		w->types[i] = strdup(types[i]);
		if (!w->types[i]) {
			for (int j = 0; j < i; j++)
				free(w->types[j]);
			free(w);
			return -ENOMEM;
		}
	}
	w->n_types = (size_t)n;
	w->ready = ready;
	w->userdata = userdata;
	ev_timer_init(&w->timer, on_wait_timeout, timeout_s, 0);
	w->timer.data = w;
	ev_timer_start(d->loop, &w->timer);
	w->next = d->waits;
	if (d->waits)
		d->waits->prev = w;
	d->waits = w;
	*ret_wait = w;
	return 0;
}

void discover_wait_cancel(struct discover_wait *w)
{
	if (w)
		wait_free(w);
}

void discover_on_instance(struct discover *d, enum mdns_instance_event ev,
                          const struct mdns_instance *inst)
{
	double now = ev_now(d->loop);
	int r;

	/* Late news of a type released since: not ours any more. */
	if (!type_find(d, inst->type))
		return;
	if (ev == MDNS_INSTANCE_REMOVE) {
		enum cache_gone why = inst->gone == MDNS_GONE_HOST_DOWN ? CACHE_GONE_HOST_DOWN
		                                                        : CACHE_GONE_WITHDRAWN;
		cache_remove_sighting(d->cache, inst->name, inst->type, inst->domain, inst->ifindex,
		                      inst->family, why, now);
		return;
	}
	r = cache_upsert(d->cache, inst, now);
	if (r == CACHE_DROPPED || r < 0) {
		struct dtype *t = type_find(d, inst->type);

		d->upsert_errors++;
		/* Log the first drop of a type, then every 1000th: a flood must
		 * not also flood the log. Counts are in status. */
		if (!t || t->drops_logged++ % 1000 == 0)
			log_warning("cache: dropped \"%s\" (%s): %s", inst->name, inst->type,
			            r == CACHE_DROPPED
			                    ? "instance limit reached (agent.max_instances)"
			                    : strerror(-r));
	}
}

void discover_on_browse_state(struct discover *d, const char *type, bool settled)
{
	struct dtype *t = type_find(d, type);
	struct discover_wait *w, *next;

	if (!t)
		return;
	if (!settled) {
		/* The browse is gone (avahi-daemon lost): keep the entries but
		 * stop presenting them as current until the browse is back. */
		t->settled = false;
		t->up = false;
		cache_mark_stale(d->cache, type);
		return;
	}
	t->up = true;
	if (!t->settled) {
		int n = cache_sweep_stale(d->cache, type, ev_now(d->loop));

		if (n > 0)
			log_info("%s: %d instance(s) gone while the browse was down", type, n);
	}
	t->settled = true;
	for (w = d->waits; w; w = next) {
		next = w->next;
		if (wait_satisfied(d, w))
			wait_finish(w, false);
	}
}

void discover_mark_settled(struct discover *d, const char *type)
{
	int r;
	struct dtype *t = type_get(d, type, SRC_FAKE, &r);

	if (t) {
		t->settled = true;
		t->up = true;
	}
}

void discover_on_type_found(struct discover *d, const char *type)
{
	int r;

	if (d->browse_all && !type_get(d, type, SRC_ALL, &r) && r == -ENOSPC && !d->warned_all) {
		d->warned_all = true;
		log_warning("browse: all: more than %d types on the LAN; the others are not "
		            "browsed (counted in status)",
		            DISCOVER_MAX_TYPES);
	}
}

void discover_on_client_state(struct discover *d, enum mdns_client_state state)
{
	/* The browsers live through a host-name re-probe (REGISTERING,
	 * COLLISION); they go with the client (CONNECTING, FAILURE). */
	bool up = state != MDNS_CLIENT_CONNECTING && state != MDNS_CLIENT_FAILURE;

	if (up == d->client_up)
		return;
	d->client_up = up;
	if (!up)
		for (size_t i = 0; i < d->n_types; i++)
			if (d->types[i].browsed)
				discover_on_browse_state(d, d->types[i].type, false);
}

bool discover_up(const struct discover *d)
{
	if (!d->client_up)
		return false;
	for (size_t i = 0; i < d->n_types; i++)
		if (d->types[i].browsed && !d->types[i].up)
			return false;
	return true;
}

json_t *discover_status(const struct discover *d)
{
	json_t *types = json_array(), *o;

	if (!types)
		return NULL;
	for (size_t i = 0; i < d->n_types; i++) {
		const struct dtype *t = &d->types[i];

		if (json_array_append_new(types, json_pack("{s:s,s:b,s:b}", "type", t->type,
		                                           "settled", t->settled, "up", t->up)) <
		    0) {
			json_decref(types);
			return NULL;
		}
	}
	o = json_pack("{s:b,s:b,s:o,s:I,s:I,s:I,s:I,s:I}", "up", discover_up(d), "all",
	              d->browse_all, "types", types, "dropped", (json_int_t)d->upsert_errors,
	              "max_types", (json_int_t)DISCOVER_MAX_TYPES, "types_refused",
	              (json_int_t)d->refused, "over_quota", (json_int_t)d->over_quota,
	              "types_released", (json_int_t)d->released);
	return o;
}
