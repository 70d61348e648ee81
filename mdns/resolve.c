/* SPDX-License-Identifier: MIT */
/* Resolving sightings within avahi-daemon's object budget. A short-lived
 * resolver freed at its answer costs two D-Bus round trips and no mDNS
 * query while avahi-daemon holds the records (it withdraws the query it
 * would have sent 100 ms later); a kept resolver reports changes within
 * seconds but costs avahi-daemon memory and the LAN queries. Every sighting
 * is on at most one list: fresh or queue (to resolve), refresh or slow
 * (resolved, due again), failed (retried), once (a short-lived resolver
 * runs), kept; or on none while its sibling's kept resolver tells of
 * changes. */
#include <stdlib.h>
#include <string.h>

#include <avahi-client/lookup.h>
#include <avahi-common/error.h>

#include "dnssd/clock.h"
#include "mdns/internal.h"
#include "mdns/resolve.h"
#include "mdns/sighting.h"

/* Short-lived resolvers open at once: bounds the objects they take. */
#ifndef INFLIGHT_MAX
#define INFLIGHT_MAX 16
#endif
/* Objects left free beyond INFLIGHT_MAX, for entry groups and browsers. */
#define OBJECTS_MARGIN 16
/* A sighting without a kept resolver is resolved again this often: its
 * changes arrive at most this late. Past the records' TTL in avahi-daemon
 * (SRV 120 s) that costs one query round on the LAN. */
#ifndef REFRESH_S
#define REFRESH_S 30.0
#endif
/* ...but at most this many refreshes a second: with thousands of sightings
 * the period grows (10 000 sightings: 200 s) rather than the load. */
#ifndef REFRESH_PER_S
#define REFRESH_PER_S 50.0
#endif
/* A sighting whose sibling has a kept resolver hears of TXT and port
 * changes from it; only its own address needs a look, this often. */
#ifndef SLOW_S
#define SLOW_S 300.0
#endif
/* A first resolution that failed (avahi-daemon swamped) is retried. */
#ifndef RETRY_S
#define RETRY_S 5.0
#endif
/* A short-lived resolver that has not answered after this long is given
 * up (avahi-daemon times out its own after 5 s; this catches what it
 * never reports) and tried again later. */
#ifndef ANSWER_S
#define ANSWER_S 30.0
#endif
/* Kept resolvers at most, whatever the budget: each costs avahi-daemon
 * about 4 KiB and makes it query the LAN (1, 2, 4... s after it opens,
 * then SRV every ~100 s); measured, 4 096 of them kept six avahi-daemons
 * busy. Past this, sightings are refreshed instead. */
#ifndef KEPT_MAX
#define KEPT_MAX 1024
#endif
/* Refreshes are queued only while the queue is shorter than this, so new
 * sightings never wait behind a backlog of them. */
#define QUEUE_LOW (4 * INFLIGHT_MAX)

struct res_list {
	struct br_inst *head, *tail;
	size_t n;
};

struct resolve {
	struct mdns_core *c;
	struct res_list fresh;   /* new sightings, first come first resolved */
	struct res_list queue;   /* refreshes and re-resolves, after fresh */
	struct res_list refresh; /* resolved without a kept resolver, due in order */
	struct res_list slow;    /* resolved, their sibling's resolver kept */
	struct res_list failed;  /* never resolved: their resolution failed */
	struct res_list kept;    /* kept open, oldest first */
	struct res_list once;    /* with a short-lived resolver, oldest first */
	double refreshed_at;     /* the last refresh round (ev_now) */
	double credit;           /* refreshes allowed now (the rate cap) */
	ev_timer retry;
	ev_timer refresh_timer;
	ev_timer answer_timer; /* gives up short-lived resolvers that never answer */
};

static void pump(struct resolve *r);
static void give_up(struct resolve *r, struct br_inst *i);

/* ---- lists ------------------------------------------------------------------ */

static void unlist(struct br_inst *i)
{
	struct res_list *l = i->on;

	if (!l)
		return;
	if (i->qprev)
		i->qprev->qnext = i->qnext;
	else
		l->head = i->qnext;
	if (i->qnext)
		i->qnext->qprev = i->qprev;
	else
		l->tail = i->qprev;
	i->qprev = i->qnext = NULL;
	i->on = NULL;
	l->n--;
}

static void append(struct res_list *l, struct br_inst *i)
{
	unlist(i);
	i->qnext = NULL;
	i->qprev = l->tail;
	if (l->tail)
		l->tail->qnext = i;
	else
		l->head = i;
	l->tail = i;
	i->on = l;
	l->n++;
}

static void push(struct res_list *l, struct br_inst *i)
{
	unlist(i);
	i->qprev = NULL;
	i->qnext = l->head;
	if (l->head)
		l->head->qprev = i;
	else
		l->tail = i;
	l->head = i;
	i->on = l;
	l->n++;
}

/* ---- schedule ---------------------------------------------------------------- */

static void arm_refresh(struct resolve *r)
{
	struct br_inst *a = r->refresh.head, *b = r->slow.head;
	double due, now = clock_mono();

	if (!a && !b)
		return;
	due = a && (!b || a->due <= b->due) ? a->due : b->due;
	if (ev_is_active(&r->refresh_timer))
		ev_timer_stop(r->c->loop, &r->refresh_timer);
	ev_timer_set(&r->refresh_timer, due > now ? due - now : 0., 0.);
	ev_timer_start(r->c->loop, &r->refresh_timer);
}

/* I was resolved and has no resolver: resolve it again later; much later
 * if its sibling's kept resolver tells of changes. */
static void schedule_refresh(struct resolve *r, struct br_inst *i)
{
	struct br_inst *o = sighting_sibling(i);
	double now = clock_mono();

	if (o && o->res == RES_KEPT) {
		i->due = now + SLOW_S;
		append(&r->slow, i);
	} else {
		i->due = now + REFRESH_S;
		append(&r->refresh, i);
	}
	if (!ev_is_active(&r->refresh_timer))
		arm_refresh(r);
}

/* Resolve I again soon (after new sightings). */
static void requeue(struct resolve *r, struct br_inst *i)
{
	if (i->res == RES_NONE)
		append(&r->queue, i);
}

static void refresh_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolve *r = w->data;
	double now = clock_mono();
	struct res_list *lists[] = {&r->refresh, &r->slow};
	bool more = false;

	/* The rate cap, a token bucket: REFRESH_PER_S tokens a second, a
	 * tenth of a second's worth at most in store. */
	r->credit += REFRESH_PER_S * (now - r->refreshed_at);
	if (r->credit > REFRESH_PER_S / 10 + 1)
		r->credit = REFRESH_PER_S / 10 + 1;
	r->refreshed_at = now;
	for (size_t k = 0; k < 2; k++) {
		struct br_inst *i;

		while ((i = lists[k]->head) && i->due <= now) {
			if (r->credit < 1 || r->queue.n >= QUEUE_LOW) {
				more = true;
				break;
			}
			requeue(r, i);
			r->credit -= 1;
		}
	}
	if (more) {
		ev_timer_set(w, 0.1, 0.);
		ev_timer_start(loop, w);
	} else {
		arm_refresh(r);
	}
	pump(r);
}

/* ---- resolvers ---------------------------------------------------------------- */

static size_t kept_budget(const struct resolve *r)
{
	size_t max = r->c->objects_max;

	if (max == OBJECTS_UNKNOWN)
		return SIZE_MAX;
	return max > INFLIGHT_MAX + OBJECTS_MARGIN ? max - INFLIGHT_MAX - OBJECTS_MARGIN : 0;
}

/* May I keep its resolver open? One per instance and interface: the IPv4
 * sighting's, or the IPv6 one's when there is no IPv4 sighting; and only
 * within the budget. */
static bool may_keep(const struct resolve *r, const struct br_inst *i)
{
	if (r->kept.n >= KEPT_MAX || r->c->objects > kept_budget(r))
		return false;
	return i->proto == AVAHI_PROTO_INET || !sighting_sibling(i);
}

/* Close I's resolver (without freeing it when CLIENT_GONE). */
static void close_resolver(struct resolve *r, struct br_inst *i, bool client_gone)
{
	if (i->r && !client_gone) {
		core_call(r->c, -1);
		avahi_service_resolver_free(i->r);
	}
	i->r = NULL;
	if (i->res != RES_NONE)
		unlist(i); /* from once or kept */
	i->res = RES_NONE;
}

/* Close I's kept resolver: I is refreshed from now on, and so is its
 * sibling, which heard of changes from it. */
static void demote(struct resolve *r, struct br_inst *i)
{
	struct br_inst *o = sighting_sibling(i);

	close_resolver(r, i, false);
	schedule_refresh(r, i);
	if (o && o->on == &r->slow) {
		o->due = clock_mono() + REFRESH_S;
		append(&r->refresh, o);
	}
}

size_t resolve_make_room(struct resolve *r, size_t n)
{
	struct mdns_core *c;
	size_t freed = 0;

	if (!r)
		return 0;
	c = r->c;
	if (c->objects_max == OBJECTS_UNKNOWN)
		return 0;
	while (r->kept.head && (c->objects + n + INFLIGHT_MAX + OBJECTS_MARGIN > c->objects_max ||
	                        r->kept.n > kept_budget(r))) {
		demote(r, r->kept.head);
		freed++;
	}
	return freed;
}

static void found(struct resolve *r, struct br_inst *i, AvahiIfIndex ifi, const char *host,
                  const AvahiAddress *a, uint16_t port, AvahiStringList *txt,
                  AvahiLookupResultFlags flags)
{
	struct br_inst *o = sighting_sibling(i);

	sighting_found(i, ifi, host, a, port, txt, flags);
	if (i->withheld)
		return; /* parked by sighting_found(): its host is down */
	if (i->res == RES_KEPT) {
		/* A change: the sibling's port, TXT or host may have changed
		 * too. */
		if (o && o->res == RES_NONE && o->reported)
			requeue(r, o);
		return;
	}
	if (may_keep(r, i)) {
		i->res = RES_KEPT;
		append(&r->kept, i);
		/* Its sibling hears of changes from this resolver now. */
		if (o && o->on == &r->refresh) {
			o->due = clock_mono() + SLOW_S;
			append(&r->slow, o);
		}
		return;
	}
	close_resolver(r, i, false);
	schedule_refresh(r, i);
}

static void resolve_cb(AvahiServiceResolver *ar, AvahiIfIndex ifi, AvahiProtocol proto,
                       AvahiResolverEvent ev, const char *name, const char *type,
                       const char *domain, const char *host, const AvahiAddress *a, uint16_t port,
                       AvahiStringList *txt, AvahiLookupResultFlags flags, void *userdata)
{
	struct br_inst *i = userdata;
	struct resolve *r = i->t->c->res;

	if (ar != i->r)
		return;
	if (ev == AVAHI_RESOLVER_FOUND && a)
		found(r, i, ifi, host, a, port, txt, flags);
	else if (i->res == RES_ONCE)
		/* A timeout, typically while avahi-daemon is swamped (or an
		 * answer without an address). A kept resolver that fails (the
		 * records expired) stays: it reports the instance again if it
		 * comes back; removal comes from the browser. */
		give_up(r, i);
	pump(r);
}

/* I's short-lived resolver failed: try again later. */
static void give_up(struct resolve *r, struct br_inst *i)
{
	close_resolver(r, i, false);
	if (i->reported) {
		schedule_refresh(r, i); /* due REFRESH_S from now */
		return;
	}
	append(&r->failed, i);
	if (!ev_is_active(&r->retry)) {
		ev_timer_set(&r->retry, RETRY_S, 0.);
		ev_timer_start(r->c->loop, &r->retry);
	}
	sighting_failed(i);
}

static void arm_answer(struct resolve *r)
{
	double now = clock_mono();

	if (!r->once.head || ev_is_active(&r->answer_timer))
		return;
	ev_timer_set(&r->answer_timer, r->once.head->due > now ? r->once.head->due - now : 0., 0.);
	ev_timer_start(r->c->loop, &r->answer_timer);
}

static void answer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolve *r = w->data;
	struct br_inst *i;

	while ((i = r->once.head) && i->due <= clock_mono())
		give_up(r, i);
	arm_answer(r);
	pump(r);
}

/* Open a short-lived resolver for I. Returns 0 or the Avahi error. */
static int open_resolver(struct resolve *r, struct br_inst *i)
{
	struct mdns_core *c = r->c;

	core_call(c, 1);
	c->resolves++;
	/* The address of the sighting's own protocol: an IPv4 sighting
	 * reports the A record, an IPv6 one the AAAA. */
	i->r = avahi_service_resolver_new(c->client, i->ifindex, i->proto, i->name, i->t->type,
	                                  i->domain, i->proto, 0, resolve_cb, i);
	if (!i->r) {
		core_call(c, -1);
		return avahi_client_errno(c->client);
	}
	i->res = RES_ONCE;
	i->due = clock_mono() + ANSWER_S;
	append(&r->once, i);
	arm_answer(r);
	return 0;
}

/* Open resolvers for what waits (new sightings first), as many as fit. */
static void pump(struct resolve *r)
{
	struct br_inst *i;

	if (!core_running(r->c))
		return;
	while (r->once.n < INFLIGHT_MAX && (i = r->fresh.head ? r->fresh.head : r->queue.head)) {
		struct res_list *from = i->on;
		int e;

		unlist(i);
		e = open_resolver(r, i);
		if (e == 0)
			continue;
		/* Refused: back in front, tried again later. I is on its
		 * list again before kept resolvers make room. */
		push(from, i);
		if (!ev_is_active(&r->retry)) {
			ev_timer_set(&r->retry, RETRY_S, 0.);
			ev_timer_start(r->c->loop, &r->retry);
		}
		if (e == AVAHI_ERR_TOO_MANY_OBJECTS && core_refused(r->c) &&
		    resolve_make_room(r, 0) > 0)
			continue;
		return;
	}
}

/* Failed first resolutions go back to the front. */
static void retry_failed(struct resolve *r)
{
	while (r->failed.tail)
		push(&r->fresh, r->failed.tail);
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolve *r = w->data;

	retry_failed(r);
	pump(r);
}

/* ---- sightings ------------------------------------------------------------------ */

void resolve_add(struct resolve *r, struct br_inst *i)
{
	append(&r->fresh, i);
	pump(r);
}

void resolve_soon(struct resolve *r, struct br_inst *i)
{
	if (i->res == RES_ONCE)
		return; /* its answer comes soon */
	if (i->res == RES_KEPT)
		demote(r, i);
	append(&r->fresh, i);
	pump(r);
}

void resolve_park(struct resolve *r, struct br_inst *i)
{
	/* As if it left: its sibling, if reported, needs its own resolver. */
	resolve_remove(r, i, RESOLVE_GONE_ONE);
}

void resolve_remove(struct resolve *r, struct br_inst *i, enum resolve_gone why)
{
	struct br_inst *o =
	        why == RESOLVE_GONE_ONE && i->res == RES_KEPT ? sighting_sibling(i) : NULL;

	close_resolver(r, i, why == RESOLVE_GONE_CLIENT);
	unlist(i);
	/* Its sibling heard of changes from I's resolver: it needs its own. */
	if (o && o->res == RES_NONE && o->reported) {
		requeue(r, o);
		pump(r);
	}
}

void resolve_client_running(struct resolve *r)
{
	retry_failed(r);
	pump(r);
}

void resolve_client_lost(struct resolve *r)
{
	ev_timer_stop(r->c->loop, &r->retry);
	ev_timer_stop(r->c->loop, &r->answer_timer);
}

void resolve_stats(const struct resolve *r, struct mdns_stats *ret)
{
	if (!r)
		return;
	ret->resolvers = r->once.n + r->kept.n;
	ret->kept = r->kept.n;
	ret->queued = r->fresh.n + r->queue.n;
	ret->failed = r->failed.n;
}

struct resolve *resolve_new(struct mdns_core *c)
{
	struct resolve *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->c = c;
	r->refreshed_at = clock_mono();
	ev_timer_init(&r->retry, retry_cb, RETRY_S, 0.);
	r->retry.data = r;
	ev_timer_init(&r->refresh_timer, refresh_cb, REFRESH_S, 0.);
	r->refresh_timer.data = r;
	ev_timer_init(&r->answer_timer, answer_cb, ANSWER_S, 0.);
	r->answer_timer.data = r;
	return r;
}

void resolve_free(struct resolve *r)
{
	if (!r)
		return;
	ev_timer_stop(r->c->loop, &r->retry);
	ev_timer_stop(r->c->loop, &r->refresh_timer);
	ev_timer_stop(r->c->loop, &r->answer_timer);
	free(r);
}
