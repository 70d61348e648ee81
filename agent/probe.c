/* SPDX-License-Identifier: MIT */
/* Active TCP probing of handed-out endpoints; see probe.h. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/probe.h"
#include "dnssd/clock.h"
#include "dnssd/name.h"

/* A down endpoint nobody was handed for a window is probed this many
 * intervals apart, until it answers or leaves the cache. */
#define PROBE_IDLE_FACTOR 10
/* Connects in flight at once, whatever max_endpoints: descriptors stay
 * for the socket's clients. */
#define PROBE_CONNECTS_MAX 64

struct target {
	struct prober *p;
	struct target *hnext;       /* in its bucket */
	struct target *prev, *next; /* all targets */
	struct cache_entry *e;      /* valid until its REMOVED event */
	uint64_t id;                /* e->id */
	int fd;                     /* connecting, else -1 */
	ev_io io;
	ev_timer timer; /* next probe, or the connect timeout */
	double wanted;  /* last handed out (clock_mono) */
	unsigned oks, fails;
};

struct prober {
	struct ev_loop *loop;
	struct cache *c;
	struct cfg_probe cfg;
	struct target **buckets;
	size_t n_buckets; /* a power of two */
	struct target *all;
	size_t n, n_down;
	size_t connecting; /* connects in flight */
	uint64_t probes, failures, full;
	uint64_t rng;
};

/* ---- helpers ------------------------------------------------------------- */

static double rand_unit(struct prober *p)
{
	/* xorshift64*: jitter only, no need for more */
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return (double)((p->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static double secs(uint64_t ms)
{
	return (double)ms / 1000.0;
}

static struct target **bucket(const struct prober *p, uint64_t id)
{
	return &p->buckets[(id * 0x9E3779B97F4A7C15ULL >> 32) & (p->n_buckets - 1)];
}

static struct target *find(const struct prober *p, uint64_t id)
{
	if (!p->n_buckets)
		return NULL;
	for (struct target *t = *bucket(p, id); t; t = t->hnext)
		if (t->id == id)
			return t;
	return NULL;
}

static void set_down(struct target *t, bool down)
{
	struct prober *p = t->p;

	if (t->e->down == down)
		return;
	if (cache_set_down(p->c, t->e, down, ev_now(p->loop)) == CACHE_CHANGED)
		p->n_down += down ? 1 : (size_t)-1;
}

/* ---- one probe ------------------------------------------------------------- */

static void stop_connect(struct target *t)
{
	if (t->fd >= 0) {
		ev_io_stop(t->p->loop, &t->io);
		close(t->fd);
		t->fd = -1;
		t->p->connecting--;
	}
}

static void target_free(struct target *t);

/* Wait for the next probe, or forget T if nobody wants it any more. */
static void schedule(struct target *t)
{
	struct prober *p = t->p;
	double interval = secs(p->cfg.interval_ms);
	bool idle = clock_mono() - t->wanted > secs(p->cfg.window_ms);

	if (idle && !t->e->down) {
		target_free(t);
		return;
	}
	if (idle)
		interval *= PROBE_IDLE_FACTOR;
	ev_timer_stop(p->loop, &t->timer);
	ev_timer_set(&t->timer, interval * (0.9 + 0.2 * rand_unit(p)), 0.);
	ev_timer_start(p->loop, &t->timer);
}

static void result(struct target *t, bool ok)
{
	struct prober *p = t->p;

	stop_connect(t);
	if (ok) {
		t->fails = 0;
		if (t->oks < UINT32_MAX)
			t->oks++;
		if (t->e->down && t->oks >= p->cfg.rise)
			set_down(t, false);
	} else {
		p->failures++;
		t->oks = 0;
		if (t->fails < UINT32_MAX)
			t->fails++;
		if (!t->e->down && t->fails >= p->cfg.fall)
			set_down(t, true);
	}
	schedule(t);
}

/* The connect of T has finished: its outcome. */
static void connect_done(struct target *t)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	result(t, err == 0);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	connect_done(w->data);
}

static void start(struct target *t)
{
	struct prober *p = t->p;
	/* The address a consumer connects to first. */
	const struct cache_addr *a = cache_entry_addr(t->e, AF_UNSPEC);
	struct sockaddr_storage ss = {0};
	socklen_t len;

	if (!a || !t->e->port || p->connecting >= PROBE_CONNECTS_MAX) {
		schedule(t); /* nothing to probe, or too many at once: later */
		return;
	}
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(t->e->port);
		memcpy(&s4->sin_addr, a->bytes, 4);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(t->e->port);
		memcpy(&s6->sin6_addr, a->bytes, 16);
		s6->sin6_scope_id = a->scope_id;
		len = sizeof(*s6);
	}
	t->fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		/* Out of descriptors here says nothing of the endpoint. */
		schedule(t);
		return;
	}
	p->probes++;
	p->connecting++;
	if (connect(t->fd, (struct sockaddr *)&ss, len) == 0) {
		result(t, true);
		return;
	}
	if (errno != EINPROGRESS) {
		result(t, false); /* refused, unreachable */
		return;
	}
	ev_io_set(&t->io, t->fd, EV_WRITE);
	ev_io_start(p->loop, &t->io);
	ev_timer_stop(p->loop, &t->timer);
	ev_timer_set(&t->timer, secs(p->cfg.timeout_ms), 0.);
	ev_timer_start(p->loop, &t->timer);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct target *t = w->data;

	if (t->fd >= 0) {
		struct pollfd pfd = {.fd = t->fd, .events = POLLOUT};

		/* A loop that ran late (a busy agent) may see the timer before
		 * the connect it timed: an answer already there counts. */
		if (poll(&pfd, 1, 0) == 1)
			connect_done(t);
		else
			result(t, false); /* the connect timed out */
	} else
		start(t);
}

/* ---- targets ------------------------------------------------------------------ */

static void target_free(struct target *t)
{
	struct prober *p = t->p;
	struct target **pp = bucket(p, t->id);

	stop_connect(t);
	ev_timer_stop(p->loop, &t->timer);
	while (*pp != t)
		pp = &(*pp)->hnext;
	*pp = t->hnext;
	if (t->prev)
		t->prev->next = t->next;
	else
		p->all = t->next;
	if (t->next)
		t->next->prev = t->prev;
	p->n--;
	free(t);
}

void prober_note(struct prober *p, const struct cache_entry *e)
{
	struct target *t;

	if (!p || !p->cfg.enabled)
		return;
	if ((t = find(p, e->id))) {
		t->wanted = clock_mono();
		return;
	}
	if (p->n >= p->cfg.max_endpoints) {
		p->full++;
		return;
	}
	/* TCP connects say nothing of a UDP service. */
	enum dnssd_proto proto;
	if (dnssd_check_type(e->type->name, &proto) || proto != DNSSD_PROTO_TCP)
		return;
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	t->p = p;
	t->e = (struct cache_entry *)e; /* marked down through the cache only */
	t->id = e->id;
	t->fd = -1;
	t->wanted = clock_mono();
	ev_init(&t->io, io_cb);
	t->io.data = t;
	ev_init(&t->timer, timer_cb);
	t->timer.data = t;
	t->hnext = *bucket(p, t->id);
	*bucket(p, t->id) = t;
	t->next = p->all;
	if (t->next)
		t->next->prev = t;
	p->all = t;
	p->n++;
	/* The first probe within one interval, spread so that a burst of
	 * new endpoints does not probe in step. */
	ev_timer_set(&t->timer, secs(p->cfg.interval_ms) * rand_unit(p), 0.);
	ev_timer_start(p->loop, &t->timer);
}

void prober_on_cache_event(struct prober *p, enum cache_event ev, const struct cache_entry *e,
                           unsigned changes)
{
	struct target *t = p ? find(p, e->id) : NULL;

	if (!t)
		return;
	if (ev == CACHE_EVENT_REMOVED) {
		if (e->down)
			p->n_down--;
		target_free(t);
	} else if (ev == CACHE_EVENT_CHANGED && (changes & (CACHE_CH_ADDRS | CACHE_CH_PORT))) {
		/* Another endpoint now: judged afresh (a down mark stays until
		 * the next result). */
		t->oks = t->fails = 0;
	}
}

/* ---- life cycle ------------------------------------------------------------------ */

struct prober *prober_new(struct ev_loop *loop, struct cache *c)
{
	struct prober *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->loop = loop;
	p->c = c;
	if (getrandom(&p->rng, sizeof(p->rng), GRND_NONBLOCK) != sizeof(p->rng) || !p->rng)
		p->rng = (uint64_t)(uintptr_t)p ^ 0x9E3779B97F4A7C15ULL;
	return p;
}

static void forget_all(struct prober *p)
{
	while (p->all) {
		struct target *t = p->all;

		set_down(t, false);
		target_free(t);
	}
}

int prober_configure(struct prober *p, const struct cfg_probe *cfg)
{
	size_t want = 16;

	if (!cfg->enabled) {
		forget_all(p);
		p->cfg = *cfg;
		return 0;
	}
	while (want < (size_t)cfg->max_endpoints * 2 && want < ((size_t)1 << 20))
		want *= 2;
	if (want != p->n_buckets) {
		struct target **nb = calloc(want, sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		free(p->buckets);
		p->buckets = nb;
		p->n_buckets = want;
		for (struct target *t = p->all; t; t = t->next) {
			t->hnext = *bucket(p, t->id);
			*bucket(p, t->id) = t;
		}
	}
	p->cfg = *cfg;
	/* Fewer endpoints allowed: the latest comers go first. */
	while (p->n > cfg->max_endpoints) {
		set_down(p->all, false);
		target_free(p->all);
	}
	return 0;
}

void prober_free(struct prober *p)
{
	if (!p)
		return;
	while (p->all)
		target_free(p->all);
	free(p->buckets);
	free(p);
}

void prober_get_stats(const struct prober *p, struct prober_stats *ret)
{
	*ret = (struct prober_stats){
	        .enabled = p && p->cfg.enabled,
	        .endpoints = p ? p->n : 0,
	        .down = p ? p->n_down : 0,
	        .probes = p ? p->probes : 0,
	        .failures = p ? p->failures : 0,
	        .full = p ? p->full : 0,
	};
}
