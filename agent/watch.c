/* SPDX-License-Identifier: MIT */
/* Watches: cache events streamed to consumers for a filter. Each watch
 * remembers which entries it has announced, so a change that makes an entry
 * stop matching is a "removed" and one that makes it match an "added".
 * Snapshots go out in slices between loop iterations, never more than
 * SNAP_HIGH ahead of the reader. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "agent/peers.h"
#include "agent/present.h"
#include "agent/watch.h"
#include "wire/response.h"

/* Entries announced per slice of a snapshot, and looked at (a filter
 * that matches few entries still costs the walk). */
#define SNAP_SLICE 32
#define SNAP_VISIT 512
/* Slices per turn of the loop, over all snapshotting watches in turn. */
#define SNAP_TURN 4
/* A snapshot waits while its connection has this much output unsent. */
#define SNAP_HIGH (256 * 1024)
/* How long to wait for congested readers before looking again. */
#define SNAP_RETRY_S 0.01

struct watch {
	struct watches *ws;
	struct watch *prev, *next;
	struct conn *conn;
	struct peer *owner; /* counts this watch (NULL: nobody) */
	uint64_t id;
	struct wire_filter filter;
	size_t filter_bytes;
	bool snapshotting; /* its snapshot_end is not sent yet */
	/* The snapshot's cursor: the type being walked and its next entry
	 * (NULL: that type is done). Moved on by cache events before an entry
	 * or type it points at is freed. */
	struct cache_type *snap_t;
	struct cache_entry *snap_e;
	struct watch *snap_next; /* the snapshot queue */
	/* Ids of the entries this watch has announced (open addressing, 0 = empty). */
	uint64_t *seen;
	size_t seen_cap, n_seen;
};

struct watches {
	struct ev_loop *loop;
	const struct cache *cache;
	struct watch *all;
	size_t n;
	size_t bytes;                        /* memory the watches hold */
	size_t snapshots;                    /* watches still snapshotting */
	struct watch *snap_head, *snap_tail; /* their queue, served in turn */
	ev_idle more;                        /* the next slices, once the loop is idle */
	ev_timer retry;                      /* every snapshotting reader was congested */
};

static void more_cb(struct ev_loop *loop, ev_idle *w, int revents);
static void snapshot_unqueue(struct watch *w);
static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents);

struct watches *watches_new(struct ev_loop *loop, const struct cache *cache)
{
	struct watches *ws = calloc(1, sizeof(struct watches));

	if (!ws)
		return NULL;
	ws->loop = loop;
	ws->cache = cache;
	ev_idle_init(&ws->more, more_cb);
	ws->more.data = ws;
	ev_timer_init(&ws->retry, retry_cb, SNAP_RETRY_S, 0.);
	ws->retry.data = ws;
	return ws;
}

void watches_free(struct watches *ws)
{
	if (!ws)
		return;
	ev_idle_stop(ws->loop, &ws->more);
	ev_timer_stop(ws->loop, &ws->retry);
	free(ws);
}

size_t watches_bytes(const struct watches *ws)
{
	return ws->bytes;
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
		w->ws->bytes += (cap - old_cap) * sizeof(*n);
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

static size_t filter_bytes(const struct wire_filter *f)
{
	size_t n = 0;

	n += f->service ? strlen(f->service) + 1 : 0;
	n += f->instance ? strlen(f->instance) + 1 : 0;
	n += f->version ? strlen(f->version) + 1 : 0;
	for (size_t i = 0; i < f->n_tags; i++)
		n += sizeof(char *) + strlen(f->tags[i]) + 1;
	for (size_t i = 0; i < f->n_txt; i++)
		n += sizeof(*f->txt) + strlen(f->txt[i].key) + 1 +
		     (f->txt[i].value ? strlen(f->txt[i].value) + 1 : 0);
	return n;
}

static void watch_destroy(void *data)
{
	struct watch *w = data;

	if (w->owner)
		w->owner->watches--;
	if (w->snapshotting)
		snapshot_unqueue(w);
	w->ws->bytes -= sizeof(*w) + w->filter_bytes + w->seen_cap * sizeof(*w->seen);
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
                struct peer *owner, uint64_t *ret_id)
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
	w->filter_bytes = filter_bytes(&w->filter);
	w->id = conn_watch_add(c, w, watch_destroy);
	if (!w->id) {
		wire_filter_clear(&w->filter);
		free(w);
		return -ENOMEM;
	}
	ws->bytes += sizeof(*w) + w->filter_bytes;
	w->owner = owner;
	if (owner)
		owner->watches++;
	w->next = ws->all;
	if (ws->all)
		ws->all->prev = w;
	ws->all = w;
	ws->n++;
	*ret_id = w->id;
	return 0;
}

/* Send an added or changed event about E from its cached text (no JSON
 * tree per event): 1 if it cannot be sent that way (a family filter
 * rewrites the addresses), else as conn_send_text. */
static int send_event_text(struct watch *w, enum wire_event_type t, struct cache_entry *e)
{
	char head[96];
	struct iovec parts[5];
	size_t n = 0, len;
	const char *text;

	if (w->filter.family != WIRE_FAMILY_ANY || !(text = present_instance_text(e, &len)))
		return 1;
	parts[n].iov_base = head;
	parts[n++].iov_len = (size_t)snprintf(head, sizeof(head),
	                                      "{\"event\":\"%s\",\"watch\":%llu,\"instance\":",
	                                      wire_event_name(t), (unsigned long long)w->id);
	parts[n++] = (struct iovec){(void *)text, len};
	if (e->stale)
		parts[n++] = (struct iovec){(void *)",\"stale\":true", 13};
	if (e->down)
		parts[n++] = (struct iovec){(void *)",\"down\":true", 12};
	parts[n++] = (struct iovec){(void *)"}}", 2};
	return conn_send_text(w->conn, parts, n);
}

/* Send event T about E (NULL for snapshot_end); a removed event says
 * WHY ("host_down", "unmatched", ...). */
static int send_event(struct watch *w, enum wire_event_type t, const struct cache_entry *e,
                      const char *why)
{
	json_t *ev, *inst = NULL;
	int r;

	if (e && t != WIRE_EVENT_REMOVED) {
		/* The entry is the cache's; its cached text is filled on demand. */
		r = send_event_text(w, t, (struct cache_entry *)e);
		if (r != 1)
			return r;
	}
	ev = wire_event_new(t, w->id, NULL);
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

/* Announce up to SNAP_SLICE matching entries W has not announced, looking
 * at up to SNAP_VISIT; after the last, snapshot_end. Entries added or
 * changed meanwhile reach W as cache events (an entry added before
 * snapshot_end is part of the snapshot). Returns 1 when the snapshot is
 * complete (or cannot go on), else 0. */
static int snapshot_slice(struct watch *w)
{
	size_t sent = 0, visited = 0;

	while (w->snap_t) {
		struct cache_entry *e = w->snap_e;

		if (!e || !present_type_match(w->snap_t, &w->filter)) {
			w->snap_t = w->snap_t->next;
			w->snap_e = w->snap_t ? w->snap_t->first : NULL;
			continue;
		}
		if (sent == SNAP_SLICE || visited++ == SNAP_VISIT)
			return 0;
		w->snap_e = e->next;
		if (seen_has(w, e->id) || !present_match(e, &w->filter))
			continue;
		if (seen_add(w, e->id) < 0 || send_event(w, WIRE_EVENT_ADDED, e, NULL) < 0)
			return 1; /* out of memory, or the reader was dropped */
		sent++;
	}
	send_event(w, WIRE_EVENT_SNAPSHOT_END, NULL, NULL);
	return 1;
}

static void snapshot_queue(struct watch *w)
{
	struct watches *ws = w->ws;

	w->snap_next = NULL;
	if (ws->snap_tail)
		ws->snap_tail->snap_next = w;
	else
		ws->snap_head = w;
	ws->snap_tail = w;
}

static struct watch *snapshot_pop(struct watches *ws)
{
	struct watch *w = ws->snap_head;

	if (w) {
		ws->snap_head = w->snap_next;
		if (!ws->snap_head)
			ws->snap_tail = NULL;
	}
	return w;
}

/* W stops snapshotting before it is done (destroyed): out of the queue. */
static void snapshot_unqueue(struct watch *w)
{
	struct watches *ws = w->ws;
	struct watch *prev = NULL;

	for (struct watch *q = ws->snap_head; q; prev = q, q = q->snap_next) {
		if (q != w)
			continue;
		if (prev)
			prev->snap_next = q->snap_next;
		else
			ws->snap_head = q->snap_next;
		if (ws->snap_tail == q)
			ws->snap_tail = prev;
		break;
	}
	w->snapshotting = false;
	ws->snapshots--;
}

/* Up to SNAP_TURN slices, for the snapshotting watches in turn, skipping
 * readers that are behind. */
static void more_cb(struct ev_loop *loop, ev_idle *iw, int revents)
{
	struct watches *ws = iw->data;
	size_t slices = 0, looked = 0, n = ws->snapshots;
	struct watch *w;

	while (slices < SNAP_TURN && looked++ < n && (w = snapshot_pop(ws))) {
		if (conn_pending_output(w->conn) > SNAP_HIGH) {
			snapshot_queue(w);
			continue;
		}
		slices++;
		if (snapshot_slice(w)) {
			w->snapshotting = false;
			ws->snapshots--;
		} else {
			snapshot_queue(w);
		}
	}
	if (ws->snapshots == 0) {
		ev_idle_stop(loop, iw);
	} else if (slices == 0) {
		/* Every reader is behind: look again shortly, not on every
		 * idle turn of the loop. */
		ev_idle_stop(loop, iw);
		ev_timer_start(loop, &ws->retry);
	}
}

static void retry_cb(struct ev_loop *loop, ev_timer *tw, int revents)
{
	struct watches *ws = tw->data;

	if (ws->snapshots)
		ev_idle_start(loop, &ws->more);
}

int watches_snapshot(struct watches *ws, struct conn *c, uint64_t id)
{
	struct watch *w = conn_watch_get(c, id);

	if (!w)
		return -ENOENT;
	w->snap_t = cache_first_type(ws->cache);
	w->snap_e = w->snap_t ? w->snap_t->first : NULL;
	if (snapshot_slice(w))
		return 0;
	w->snapshotting = true;
	ws->snapshots++;
	snapshot_queue(w);
	ev_idle_start(ws->loop, &ws->more);
	return 0;
}

/* E is about to be freed (its REMOVED event): move every snapshot cursor
 * off it, and off its type if E is the type's last entry. */
static void snapshot_forget(struct watches *ws, const struct cache_entry *e)
{
	for (struct watch *w = ws->snap_head; w; w = w->snap_next) {
		if (w->snap_e == e)
			w->snap_e = e->next;
		if (w->snap_t == e->type && e->type->n_entries == 1) {
			w->snap_t = e->type->next;
			w->snap_e = w->snap_t ? w->snap_t->first : NULL;
		}
	}
}

void watches_on_cache_event(struct watches *ws, enum cache_event ev, const struct cache_entry *e)
{
	struct watch *w, *next;

	if (ev == CACHE_EVENT_REMOVED)
		snapshot_forget(ws, e);
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
