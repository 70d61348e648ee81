/* SPDX-License-Identifier: MIT */
/* Watches: cache events streamed to consumers for a filter. Each watch
 * remembers which entries it has announced, so a change that makes an entry
 * stop matching is a "removed" and one that makes it match an "added". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/present.h"
#include "agent/watch.h"
#include "wire/response.h"

struct watch {
	struct watches *ws;
	struct watch *prev, *next;
	struct conn *conn;
	uint64_t id;
	struct wire_filter filter;
	/* Ids of the entries this watch has announced (open addressing, 0 = empty). */
	uint64_t *seen;
	size_t seen_cap, n_seen;
};

struct watches {
	struct watch *all;
	size_t n;
};

struct watches *watches_new(void)
{
	return calloc(1, sizeof(struct watches));
}

void watches_free(struct watches *ws)
{
	free(ws);
}

size_t watches_count(const struct watches *ws)
{
	return ws->n;
}

/* --- the set of announced entry ids ------------------------------------ */

static size_t seen_slot(const struct watch *w, uint64_t id)
{
	size_t mask = w->seen_cap - 1, i = (size_t)(id * 0x9E3779B97F4A7C15ull) & mask;

	while (w->seen[i] && w->seen[i] != id)
		i = (i + 1) & mask;
	return i;
}

static bool seen_has(const struct watch *w, uint64_t id)
{
	return w->seen_cap && w->seen[seen_slot(w, id)] == id;
}

static int seen_add(struct watch *w, uint64_t id)
{
	if ((w->n_seen + 1) * 2 > w->seen_cap) {
		size_t cap = w->seen_cap ? w->seen_cap * 2 : 64;
		uint64_t *old = w->seen, *n = calloc(cap, sizeof(*n));
		size_t old_cap = w->seen_cap;

		if (!n)
			return -ENOMEM;
		w->seen = n;
		w->seen_cap = cap;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i])
				w->seen[seen_slot(w, old[i])] = old[i];
		free(old);
	}
	w->seen[seen_slot(w, id)] = id;
	w->n_seen++;
	return 0;
}

static void seen_del(struct watch *w, uint64_t id)
{
	size_t mask = w->seen_cap - 1, i, j;

	if (!seen_has(w, id))
		return;
	i = seen_slot(w, id);
	w->seen[i] = 0;
	w->n_seen--;
	/* Re-place the rest of the cluster so lookups still find it. */
	for (j = (i + 1) & mask; w->seen[j]; j = (j + 1) & mask) {
		uint64_t v = w->seen[j];

		w->seen[j] = 0;
		w->seen[seen_slot(w, v)] = v;
	}
}

/* --- lifecycle ---------------------------------------------------------- */

static void watch_destroy(void *data)
{
	struct watch *w = data;

	if (w->prev)
		w->prev->next = w->next;
	else
		w->ws->all = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->ws->n--;
	wire_filter_clear(&w->filter);
	free(w->seen);
	free(w);
}

int watches_add(struct watches *ws, struct conn *c, const struct wire_filter *filter,
                uint64_t *ret_id)
{
	struct watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	if (wire_filter_copy(filter, &w->filter) < 0) {
		free(w);
		return -ENOMEM;
	}
	w->ws = ws;
	w->conn = c;
	w->id = conn_watch_add(c, w, watch_destroy);
	if (!w->id) {
		wire_filter_clear(&w->filter);
		free(w);
		return -ENOMEM;
	}
	w->next = ws->all;
	if (ws->all)
		ws->all->prev = w;
	ws->all = w;
	ws->n++;
	*ret_id = w->id;
	return 0;
}

/* Send event T about E (NULL for snapshot_end); a removed event says
 * WHY ("host_down", "unmatched", ...). */
static int send_event(struct watch *w, enum wire_event_type t, const struct cache_entry *e,
                      const char *why)
{
	json_t *ev = wire_event_new(t, w->id, NULL);
	json_t *inst = NULL;
	int r;

	if (!ev)
		return -ENOMEM;
	if (why && json_object_set_new(ev, "reason", json_string(why)) < 0) {
		json_decref(ev);
		return -ENOMEM;
	}
	if (e) {
		inst = t == WIRE_EVENT_REMOVED ? present_instance_id(e)
		                               : present_instance(e, NULL, 0);
		if (inst)
			present_only_family(inst, w->filter.family);
		if (!inst || json_object_set_new(ev, "instance", inst) < 0) {
			json_decref(ev);
			return -ENOMEM;
		}
	}
	/* A reader too slow for its own watch is dropped by conn (-ENOBUFS). */
	r = conn_send_json(w->conn, ev);
	json_decref(ev);
	return r;
}

int watches_snapshot(struct watches *ws, struct conn *c, uint64_t id, const struct cache *cache)
{
	struct watch *w = conn_watch_get(c, id);
	int r;

	if (!w)
		return -ENOENT;
	for (struct cache_type *t = cache_first_type(cache); t; t = t->next) {
		if (!present_type_match(t, &w->filter))
			continue;
		for (struct cache_entry *e = t->first; e; e = e->next) {
			if (!present_match(e, &w->filter))
				continue;
			if (seen_add(w, e->id) < 0)
				return -ENOMEM;
			r = send_event(w, WIRE_EVENT_ADDED, e, NULL);
			if (r < 0)
				return r;
		}
	}
	return send_event(w, WIRE_EVENT_SNAPSHOT_END, NULL, NULL);
}

void watches_on_cache_event(struct watches *ws, enum cache_event ev, const struct cache_entry *e)
{
	struct watch *w, *next;

	for (w = ws->all; w; w = next) {
		bool was, now;

		next = w->next; /* a send may drop the connection and its watch */
		if (!present_type_match(e->type, &w->filter))
			continue;
		was = seen_has(w, e->id);
		now = ev != CACHE_EVENT_REMOVED && present_match(e, &w->filter);
		if (was && !now) {
			seen_del(w, e->id);
			/* Still in the cache: it no longer matches the filter. */
			send_event(w, WIRE_EVENT_REMOVED, e,
			           ev == CACHE_EVENT_REMOVED ? cache_gone_name(e->gone)
			                                     : "unmatched");
		} else if (!was && now) {
			if (seen_add(w, e->id) == 0)
				send_event(w, WIRE_EVENT_ADDED, e, NULL);
		} else if (was && now) {
			send_event(w, WIRE_EVENT_CHANGED, e, NULL);
		}
	}
}
