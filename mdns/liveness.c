/* SPDX-License-Identifier: MIT */
/* Liveness of browsed hosts through their presence records (presence.h),
 * with avahi-daemon's cache doing the timing: a record browser on the
 * host's main presence name keeps the heartbeat in the cache, so
 * avahi-daemon asks for it at 80-95% of its 4 s TTL and reports it removed
 * when no answer came. The anchor tells a death from a goodbye. While a
 * host is down, short-lived browsers on its two probe names, in turn,
 * each with a fresh querier (a query at once, 1 s and 3 s later), find it
 * when it answers again. Every browser counts against avahi-daemon's
 * object budget, one per watched host and interface. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <avahi-client/lookup.h>
#include <avahi-common/defs.h>
#include <avahi-common/error.h>

#include "dnssd/clock.h"
#include "mdns/internal.h"
#include "mdns/liveness.h"
#include "mdns/presence.h"
#include "mdns/resolve.h"
#include "mdns/sighting.h"

/* The heartbeat went and the anchor did not (yet): ask once more on a
 * probe name and wait this long for an answer (a host busy announcing a
 * storm of services answers late), or for the anchor's goodbye (it comes
 * in the same packet when lanyardd stops), before judging it down. */
#ifndef LV_JUDGE_S
#define LV_JUDGE_S 0.8
#endif
/* The anchor outlives the heartbeat by PRESENCE_ANCHOR_TTL -
 * PRESENCE_HEARTBEAT_TTL seconds when they expire; a goodbye takes both at
 * once. Records gone further apart than this expired: a crash, even when
 * the judging could not run in between (a late loop). */
#define LV_GOODBYE_GAP_S ((PRESENCE_ANCHOR_TTL - PRESENCE_HEARTBEAT_TTL) / 2.0)
/* A first look ended (ALL_FOR_NOW) without a heartbeat: an answer may be
 * late (the querier asks again at 1 s and 3 s), so judge after this: an
 * anchor alone is a host that died seconds ago, nothing at all a host
 * without lanyardd. */
#ifndef LV_PENDING_S
#define LV_PENDING_S 2.5
#endif
/* Probing a down host: the first probe this long after it went down, each
 * probe browser open this long (two queries: at 0 and 1 s), one every
 * period; slower once it has been down for LV_FAST_S, yet within the 10 s
 * a healed host must take. A probe name is used again two periods later,
 * when the querier of its last use is gone (at its next query time, 3 s),
 * so that the new browser sends its own query at once. */
#ifndef LV_PROBE_FIRST_S
#define LV_PROBE_FIRST_S 1.0
#endif
#ifndef LV_PROBE_HOLD_S
#define LV_PROBE_HOLD_S 1.5
#endif
#ifndef LV_PROBE_PERIOD_S
#define LV_PROBE_PERIOD_S 4.0
#endif
#ifndef LV_FAST_S
#define LV_FAST_S 60.0
#endif
#ifndef LV_SLOW_PERIOD_S
#define LV_SLOW_PERIOD_S 8.0
#endif
/* A down host no sighting points to any more is forgotten after this. */
#ifndef LV_LINGER_S
#define LV_LINGER_S 600.0
#endif
/* A host without presence is looked at again when a new sighting of it
 * comes, at most this often. */
#ifndef LV_RECHECK_S
#define LV_RECHECK_S 10.0
#endif
/* A browser avahi-daemon refused or failed is tried again after this. */
#ifndef LV_RETRY_S
#define LV_RETRY_S 5.0
#endif
/* Hosts watched at most: a flood of made-up SRV targets costs no more. */
#ifndef LV_HOSTS_MAX
#define LV_HOSTS_MAX 256
#endif

enum lv_state {
	LV_PENDING, /* first look (or waiting for the client): reported */
	LV_PLAIN,   /* no presence, or it said goodbye: mDNS's timing */
	LV_UP,      /* the heartbeat answers */
	LV_DOWN,    /* the heartbeat expired: sightings withheld */
};

struct lv_host {
	struct liveness *lv;
	struct lv_host *prev, *next;
	struct br_inst *insts; /* attached sightings */
	size_t n_insts;
	AvahiIfIndex ifindex;
	AvahiProtocol proto; /* watched on one protocol: IPv4 when it has it */
	enum lv_state state;
	/* Browsers by presence name, and what each has in the cache. The
	 * primary one's events count; the main one (0) also runs while a
	 * healed host is watched through a probe name, and takes over once
	 * it has the heartbeat. */
	AvahiRecordBrowser *rb[PRESENCE_KEYS];
	bool heartbeat[PRESENCE_KEYS], anchor[PRESENCE_KEYS];
	double heartbeat_lost[PRESENCE_KEYS]; /* when it went (clock_mono), 0: there */
	unsigned primary;
	unsigned next_probe; /* 1 or 2 */
	bool judging;        /* LV_JUDGE_S or LV_PENDING_S runs */
	ev_timer timer;      /* judging, probing, retrying */
	double since;        /* in this state since (clock_mono) */
	double checked;      /* last look for a presence */
	char host[];
};

struct liveness {
	struct mdns_core *c;
	struct lv_host *hosts;
	size_t n, n_up, n_down;
};

static void host_free(struct lv_host *h);

/* ---- browsers ------------------------------------------------------------ */

static void rb_close(struct lv_host *h, unsigned k)
{
	if (h->rb[k]) {
		core_call(h->lv->c, -1);
		avahi_record_browser_free(h->rb[k]);
	}
	h->rb[k] = NULL;
	h->heartbeat[k] = h->anchor[k] = false;
	h->heartbeat_lost[k] = 0;
}

static void rb_close_all(struct lv_host *h)
{
	for (unsigned k = 0; k < PRESENCE_KEYS; k++)
		rb_close(h, k);
}

static void rb_cb(AvahiRecordBrowser *b, AvahiIfIndex ifi, AvahiProtocol proto,
                  AvahiBrowserEvent ev, const char *name, uint16_t clazz, uint16_t type,
                  const void *rdata, size_t size, AvahiLookupResultFlags flags, void *userdata);

/* Open the browser of presence name K. Returns false if it cannot be
 * opened now (no client, refused). */
static bool rb_open(struct lv_host *h, unsigned k)
{
	struct mdns_core *c = h->lv->c;
	char name[256];

	if (h->rb[k])
		return true;
	if (!core_running(c) || !presence_name(k, h->host, name, sizeof(name)))
		return false;
	h->heartbeat[k] = h->anchor[k] = false;
	h->heartbeat_lost[k] = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		core_call(c, 1);
		h->rb[k] = avahi_record_browser_new(c->client, h->ifindex, h->proto, name,
		                                    AVAHI_DNS_CLASS_IN, AVAHI_DNS_TYPE_TXT, 0,
		                                    rb_cb, h);
		if (h->rb[k])
			return true;
		core_call(c, -1);
		/* Watching a host comes before a kept resolver. */
		if (avahi_client_errno(c->client) != AVAHI_ERR_TOO_MANY_OBJECTS ||
		    !core_refused(c) || resolve_make_room(c->res, 1) == 0)
			break;
	}
	return false;
}

/* ---- states ---------------------------------------------------------------- */

static void arm(struct lv_host *h, double after)
{
	struct ev_loop *loop = h->lv->c->loop;

	ev_timer_stop(loop, &h->timer);
	ev_timer_set(&h->timer, after, 0.);
	ev_timer_start(loop, &h->timer);
}

static void set_state(struct lv_host *h, enum lv_state st)
{
	struct liveness *lv = h->lv;

	if (h->state == LV_UP)
		lv->n_up--;
	else if (h->state == LV_DOWN)
		lv->n_down--;
	if (st == LV_UP)
		lv->n_up++;
	else if (st == LV_DOWN)
		lv->n_down++;
	h->state = st;
	h->since = clock_mono();
	h->judging = false;
	ev_timer_stop(lv->c->loop, &h->timer);
}

/* Look for a presence on the main name. */
static void look(struct lv_host *h)
{
	set_state(h, LV_PENDING);
	h->checked = clock_mono();
	h->primary = 0;
	if (!rb_open(h, 0) && core_running(h->lv->c))
		arm(h, LV_RETRY_S);
}

/* The heartbeat answers on presence name K. */
static void go_up(struct lv_host *h, unsigned k)
{
	bool was_down = h->state == LV_DOWN;
	size_t n = 0;

	set_state(h, LV_UP);
	h->primary = k;
	if (k != 0)
		rb_open(h, 0); /* to take over, see struct lv_host */
	if (!was_down)
		return;
	for (struct br_inst *i = h->insts, *next; i; i = next) {
		next = i->lnext;
		if (i->withheld) {
			sighting_release(i);
			n++;
		}
	}
	core_emit_host_state(h->lv->c, h->host, h->ifindex, MDNS_HOST_UP, n);
}

static void go_down(struct lv_host *h)
{
	size_t n = 0;

	set_state(h, LV_DOWN);
	/* Its querier dies with no browser left; probes use other names
	 * (first the one the confirmation did not use). */
	rb_close_all(h);
	if (h->next_probe == 0)
		h->next_probe = 1;
	for (struct br_inst *i = h->insts; i; i = i->lnext) {
		n += !i->withheld;
		sighting_withhold(i); /* also one still withheld, being resolved again */
	}
	core_emit_host_state(h->lv->c, h->host, h->ifindex, MDNS_HOST_DOWN, n);
	arm(h, LV_PROBE_FIRST_S);
}

/* No presence: mDNS's timing. LEFT says it went with a goodbye. */
static void go_plain(struct lv_host *h, bool left)
{
	set_state(h, LV_PLAIN);
	rb_close_all(h);
	if (left)
		core_emit_host_state(h->lv->c, h->host, h->ifindex, MDNS_HOST_LEFT, 0);
}

/* The heartbeat expired while the anchor is still there: dead, or only
 * slow. Ask on a probe name, whose fresh querier asks at once, and judge
 * after LV_JUDGE_S. */
static void confirm(struct lv_host *h)
{
	unsigned k = h->primary != 0 ? 3 - h->primary : h->next_probe ? h->next_probe : 1;

	h->next_probe = k == 1 ? 2 : 1; /* probing, if it comes to that, uses the other */
	rb_open(h, k);
	h->judging = true;
	arm(h, LV_JUDGE_S);
}

/* A record of presence name K appeared (NEW) or went. */
static void on_record(struct lv_host *h, unsigned k, bool present, enum presence_kind kind)
{
	unsigned p = h->primary;

	if (kind == PRESENCE_IS_HEARTBEAT) {
		h->heartbeat[k] = present;
		h->heartbeat_lost[k] = present ? 0 : clock_mono();
	} else if (kind == PRESENCE_IS_ANCHOR)
		h->anchor[k] = present;
	else
		return;
	switch (h->state) {
	case LV_PENDING:
		if (k == p && h->heartbeat[k])
			go_up(h, k);
		break;
	case LV_DOWN:
		if (h->heartbeat[k])
			go_up(h, k); /* a probe was answered */
		break;
	case LV_PLAIN:
		break;
	case LV_UP:
		if (k != p) {
			/* The main name has the heartbeat: watch it alone (a
			 * judgement of the probe name's heartbeat is moot). */
			if (k == 0 && h->heartbeat[0]) {
				rb_close(h, p);
				h->primary = 0;
				h->judging = false;
				ev_timer_stop(h->lv->c->loop, &h->timer);
			} else if (k != 0 && h->heartbeat[k] && h->judging) {
				/* The confirmation is answered: alive, watched on
				 * that name until the main one has it again. */
				if (p != 0)
					rb_close(h, p);
				h->primary = k;
				h->judging = false;
				ev_timer_stop(h->lv->c->loop, &h->timer);
			}
			break;
		}
		if (h->heartbeat[k]) {
			if (h->judging) {
				h->judging = false;
				ev_timer_stop(h->lv->c->loop, &h->timer);
			}
		} else if (!h->anchor[k] && h->heartbeat_lost[k] &&
		           clock_mono() - h->heartbeat_lost[k] > LV_GOODBYE_GAP_S) {
			go_down(h); /* one expired after the other: dead */
		} else if (!h->anchor[k]) {
			go_plain(h, true); /* both went: a goodbye */
		} else if (!h->judging) {
			confirm(h);
		}
		break;
	}
}

static unsigned rb_key(const struct lv_host *h, const AvahiRecordBrowser *b)
{
	for (unsigned k = 0; k < PRESENCE_KEYS; k++)
		if (h->rb[k] == b)
			return k;
	return PRESENCE_KEYS;
}

static void rb_cb(AvahiRecordBrowser *b, AvahiIfIndex ifi, AvahiProtocol proto,
                  AvahiBrowserEvent ev, const char *name, uint16_t clazz, uint16_t type,
                  const void *rdata, size_t size, AvahiLookupResultFlags flags, void *userdata)
{
	struct lv_host *h = userdata;
	unsigned k = rb_key(h, b);

	if (k == PRESENCE_KEYS)
		return; /* from inside avahi_record_browser_new() */
	switch (ev) {
	case AVAHI_BROWSER_NEW:
	case AVAHI_BROWSER_REMOVE:
		if (clazz == AVAHI_DNS_CLASS_IN && type == AVAHI_DNS_TYPE_TXT)
			on_record(h, k, ev == AVAHI_BROWSER_NEW, presence_classify(rdata, size));
		break;
	case AVAHI_BROWSER_ALL_FOR_NOW:
		/* The first look is over: what the cache had, and the answers
		 * to the first query, unless they are late. Judged after
		 * LV_PENDING_S: an anchor alone is a host that died a moment
		 * ago, nothing at all a host without lanyardd. */
		if (h->state != LV_PENDING || k != h->primary || h->heartbeat[k] || h->judging)
			break;
		h->judging = true;
		arm(h, LV_PENDING_S);
		break;
	case AVAHI_BROWSER_CACHE_EXHAUSTED:
		break;
	case AVAHI_BROWSER_FAILURE:
		rb_close(h, k);
		if (h->state == LV_DOWN || k != h->primary)
			break; /* the next probe opens another; the main one waits */
		/* Reported meanwhile; looked at again later. */
		rb_close_all(h);
		set_state(h, LV_PENDING);
		arm(h, LV_RETRY_S);
		break;
	}
}

/* The next step of probing a down host. */
static void probe_step(struct lv_host *h)
{
	double now = clock_mono();
	double period = now - h->since < LV_FAST_S ? LV_PROBE_PERIOD_S : LV_SLOW_PERIOD_S;
	unsigned k = h->next_probe;

	if (h->rb[1] || h->rb[2]) {
		rb_close_all(h);
		arm(h, period - LV_PROBE_HOLD_S);
		return;
	}
	if (!h->insts && now - h->since >= LV_LINGER_S) {
		host_free(h);
		return;
	}
	h->next_probe = k == 1 ? 2 : 1;
	rb_open(h, k);
	arm(h, LV_PROBE_HOLD_S);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lv_host *h = w->data;
	unsigned p = h->primary;

	switch (h->state) {
	case LV_DOWN:
		probe_step(h);
		break;
	case LV_UP:
	case LV_PENDING:
		if (h->judging && !h->heartbeat[p]) {
			if (h->state == LV_PENDING && !h->anchor[p])
				go_plain(h, false); /* no presence: no lanyardd */
			else
				go_down(h);
		} else if (!h->rb[p]) {
			/* A browser to retry. */
			rb_close_all(h);
			look(h);
		}
		break;
	case LV_PLAIN:
		look(h); /* a recheck deferred by liveness_found() */
		break;
	}
}

/* ---- hosts ------------------------------------------------------------------- */

static struct lv_host *host_find(const struct liveness *lv, const char *host, AvahiIfIndex ifi)
{
	for (struct lv_host *h = lv->hosts; h; h = h->next)
		if (h->ifindex == ifi && strcasecmp(h->host, host) == 0)
			return h;
	return NULL;
}

static struct lv_host *host_new(struct liveness *lv, const char *host, const struct br_inst *i)
{
	size_t n = strlen(host);
	struct lv_host *h;
	char name[256];

	if (lv->n >= LV_HOSTS_MAX)
		return NULL;
	for (unsigned k = 0; k < PRESENCE_KEYS; k++)
		if (!presence_name(k, host, name, sizeof(name)))
			return NULL; /* not a name every key can be looked up at */
	h = calloc(1, sizeof(*h) + n + 1);
	if (!h)
		return NULL;
	memcpy(h->host, host, n + 1);
	h->lv = lv;
	h->ifindex = i->ifindex;
	/* Every watcher picks IPv4 when the host has it, so that they all
	 * refresh the same record: one query and answer for all. */
	h->proto = i->proto == AVAHI_PROTO_INET || sighting_sibling(i) ? AVAHI_PROTO_INET
	                                                               : AVAHI_PROTO_INET6;
	h->state = LV_PENDING;
	ev_timer_init(&h->timer, timer_cb, 0., 0.);
	h->timer.data = h;
	h->next = lv->hosts;
	if (h->next)
		h->next->prev = h;
	lv->hosts = h;
	lv->n++;
	look(h);
	return h;
}

/* Unlink and free H; its sightings are detached (not released). */
static void host_free(struct lv_host *h)
{
	struct liveness *lv = h->lv;

	set_state(h, LV_PLAIN); /* counters */
	rb_close_all(h);
	while (h->insts) {
		struct br_inst *i = h->insts;

		h->insts = i->lnext;
		i->host = NULL;
		i->lprev = i->lnext = NULL;
	}
	if (h->prev)
		h->prev->next = h->next;
	else
		lv->hosts = h->next;
	if (h->next)
		h->next->prev = h->prev;
	lv->n--;
	free(h);
}

static void detach(struct br_inst *i)
{
	struct lv_host *h = i->host;

	if (!h)
		return;
	if (i->lprev)
		i->lprev->lnext = i->lnext;
	else
		h->insts = i->lnext;
	if (i->lnext)
		i->lnext->lprev = i->lprev;
	i->lprev = i->lnext = NULL;
	i->host = NULL;
	h->n_insts--;
	/* A down host is kept a while: its sightings may come back. */
	if (!h->insts && h->state != LV_DOWN)
		host_free(h);
}

static void attach(struct lv_host *h, struct br_inst *i)
{
	i->host = h;
	i->lprev = NULL;
	i->lnext = h->insts;
	if (h->insts)
		h->insts->lprev = i;
	h->insts = i;
	h->n_insts++;
}

bool liveness_found(struct liveness *lv, struct br_inst *i, const char *host)
{
	struct lv_host *h = i->host;
	double now = clock_mono();

	/* This host's own sightings need no watching. */
	if (i->local || !host || !*host) {
		detach(i);
		return false;
	}
	if (!h || h->ifindex != i->ifindex || strcasecmp(h->host, host) != 0) {
		detach(i);
		h = host_find(lv, host, i->ifindex);
		if (!h && !(h = host_new(lv, host, i)))
			return false; /* not watched: mDNS's timing */
		attach(h, i);
	}
	if (h->state == LV_DOWN)
		return true;
	if (i->proto == AVAHI_PROTO_INET && h->proto == AVAHI_PROTO_INET6) {
		/* Watched on IPv6 before its IPv4 sighting came: move. */
		rb_close_all(h);
		h->proto = AVAHI_PROTO_INET;
		look(h);
	} else if (h->state == LV_PLAIN && !i->reported) {
		/* A new instance: its lanyardd may have started. Looked at
		 * again at most every LV_RECHECK_S, but never skipped: the
		 * instance may be lanyardd's first one. */
		if (now - h->checked >= LV_RECHECK_S)
			look(h);
		else if (!ev_is_active(&h->timer))
			arm(h, h->checked + LV_RECHECK_S - now);
	}
	return false;
}

void liveness_drop(struct liveness *lv, struct br_inst *i)
{
	detach(i);
}

/* ---- life cycle ------------------------------------------------------------------ */

struct liveness *liveness_new(struct mdns_core *c)
{
	struct liveness *lv = calloc(1, sizeof(*lv));

	if (lv)
		lv->c = c;
	return lv;
}

void liveness_free(struct liveness *lv)
{
	if (!lv)
		return;
	while (lv->hosts)
		host_free(lv->hosts);
	free(lv);
}

void liveness_client_running(struct liveness *lv)
{
	for (struct lv_host *h = lv->hosts; h; h = h->next)
		if (h->state == LV_PENDING && !h->rb[0])
			look(h);
}

void liveness_client_lost(struct liveness *lv)
{
	/* The client took the browsers with it. */
	for (struct lv_host *h = lv->hosts; h; h = h->next)
		for (unsigned k = 0; k < PRESENCE_KEYS; k++)
			h->rb[k] = NULL;
	while (lv->hosts)
		host_free(lv->hosts);
}

void liveness_stats(const struct liveness *lv, struct mdns_stats *ret)
{
	if (!lv)
		return;
	ret->hosts = lv->n;
	ret->hosts_up = lv->n_up;
	ret->hosts_down = lv->n_down;
}
