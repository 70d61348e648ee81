/* SPDX-License-Identifier: MIT */
/* An AvahiPoll implementation on a libev loop: Avahi's watches become ev_io,
 * its timeouts ev_timer. */
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/time.h>

#include <ev.h>

#include "mdns/evpoll.h"

/* The libev watcher is the first member so the libev callback can get back
 * to the Avahi object with a cast. */
struct AvahiWatch {
	ev_io io;
	struct evpoll *ep;
	AvahiWatchEvent events;  /* requested */
	AvahiWatchEvent revents; /* delivered by the running callback */
	AvahiWatchCallback cb;
	void *userdata;
	bool dead; /* freed by Avahi; memory released after dispatch */
	struct AvahiWatch *prev, *next;
};

struct AvahiTimeout {
	ev_timer tm;
	struct evpoll *ep;
	AvahiTimeoutCallback cb;
	void *userdata;
	bool dead;
	struct AvahiTimeout *prev, *next;
};

struct evpoll {
	AvahiPoll api;
	struct ev_loop *loop;
	struct AvahiWatch *watches;
	struct AvahiTimeout *timeouts;
	unsigned n_watches, n_timeouts; /* live ones */
	unsigned depth;                 /* nesting of callbacks being dispatched */
	bool need_reap;
	bool freed; /* evpoll_free() called during dispatch */
};

static void reap(struct evpoll *ep, bool all)
{
	struct AvahiWatch *w, *wn;
	struct AvahiTimeout *t, *tn;

	for (w = ep->watches; w; w = wn) {
		wn = w->next;
		if (!all && !w->dead)
			continue;
		ev_io_stop(ep->loop, &w->io);
		if (w->prev)
			w->prev->next = w->next;
		else
			ep->watches = w->next;
		if (w->next)
			w->next->prev = w->prev;
		free(w);
	}
	for (t = ep->timeouts; t; t = tn) {
		tn = t->next;
		if (!all && !t->dead)
			continue;
		ev_timer_stop(ep->loop, &t->tm);
		if (t->prev)
			t->prev->next = t->next;
		else
			ep->timeouts = t->next;
		if (t->next)
			t->next->prev = t->prev;
		free(t);
	}
	ep->need_reap = false;
}

static void dispatch_enter(struct evpoll *ep)
{
	ep->depth++;
}

/* After the outermost callback returns, release what it freed. */
static void dispatch_leave(struct evpoll *ep)
{
	if (--ep->depth > 0)
		return;
	if (ep->freed) {
		reap(ep, true);
		free(ep);
		return;
	}
	if (ep->need_reap)
		reap(ep, false);
}

static int ev_events_from_avahi(AvahiWatchEvent e)
{
	return (e & AVAHI_WATCH_IN ? EV_READ : 0) | (e & AVAHI_WATCH_OUT ? EV_WRITE : 0);
}

static void io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct AvahiWatch *w = (struct AvahiWatch *)io;
	struct evpoll *ep = w->ep;
	AvahiWatchEvent ev = 0;
	struct pollfd pfd = {.fd = io->fd, .events = 0};

	if (revents & EV_READ)
		ev |= AVAHI_WATCH_IN;
	if (revents & EV_WRITE)
		ev |= AVAHI_WATCH_OUT;
	/* libev folds hang-ups and errors into readiness; ask the kernel so
	 * Avahi (and D-Bus under it) can tell EOF from data. */
	if (w->events & AVAHI_WATCH_IN)
		pfd.events |= POLLIN;
	if (w->events & AVAHI_WATCH_OUT)
		pfd.events |= POLLOUT;
	if (poll(&pfd, 1, 0) > 0) {
		if (pfd.revents & (POLLERR | POLLNVAL))
			ev |= AVAHI_WATCH_ERR;
		if (pfd.revents & POLLHUP)
			ev |= AVAHI_WATCH_HUP;
	}
	if (revents & EV_ERROR)
		ev |= AVAHI_WATCH_ERR;

	w->revents = ev;
	dispatch_enter(ep);
	w->cb(w, io->fd, ev, w->userdata);
	/* W is still allocated even if the callback freed it: reaping waits. */
	w->revents = 0;
	dispatch_leave(ep);
}

static AvahiWatch *watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent events,
                             AvahiWatchCallback cb, void *userdata)
{
	struct evpoll *ep = api->userdata;
	struct AvahiWatch *w;

	if (fd < 0 || !cb || ep->freed)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->ep = ep;
	w->events = events;
	w->cb = cb;
	w->userdata = userdata;
	ev_io_init(&w->io, io_cb, fd, ev_events_from_avahi(events));
	if (ev_events_from_avahi(events))
		ev_io_start(ep->loop, &w->io);
	w->next = ep->watches;
	if (w->next)
		w->next->prev = w;
	ep->watches = w;
	ep->n_watches++;
	return w;
}

static void watch_update(AvahiWatch *w, AvahiWatchEvent events)
{
	int e = ev_events_from_avahi(events);

	if (w->dead)
		return;
	w->events = events;
	/* libev requires a stopped watcher to change its events. */
	ev_io_stop(w->ep->loop, &w->io);
	ev_io_set(&w->io, w->io.fd, e);
	if (e)
		ev_io_start(w->ep->loop, &w->io);
}

static AvahiWatchEvent watch_get_events(AvahiWatch *w)
{
	return w->dead ? 0 : w->revents;
}

static void watch_free(AvahiWatch *w)
{
	struct evpoll *ep = w->ep;

	if (w->dead)
		return;
	/* Stopping also clears a pending event, so libev never calls back. */
	ev_io_stop(ep->loop, &w->io);
	w->dead = true;
	ep->n_watches--;
	ep->need_reap = true;
	if (ep->depth == 0)
		reap(ep, false);
}

static void timer_cb(struct ev_loop *loop, ev_timer *tm, int revents)
{
	struct AvahiTimeout *t = (struct AvahiTimeout *)tm;
	struct evpoll *ep = t->ep;

	/* A non-repeating ev_timer is already stopped here: the timeout is
	 * disabled until Avahi calls timeout_update(), as the API says. */
	dispatch_enter(ep);
	t->cb(t, t->userdata);
	dispatch_leave(ep);
}

/* Arm T for the absolute wall-clock time TV, or leave it stopped if NULL. */
static void timeout_arm(struct AvahiTimeout *t, const struct timeval *tv)
{
	struct ev_loop *loop = t->ep->loop;
	ev_tstamp delay;

	ev_timer_stop(loop, &t->tm);
	if (!tv)
		return;
	/* libev schedules relative to its cached loop time, which is the
	 * same wall clock as gettimeofday() sampled at the last iteration;
	 * measuring from it keeps a stale cache from firing early. */
	delay = (ev_tstamp)tv->tv_sec + (ev_tstamp)tv->tv_usec * 1e-6 - ev_now(loop);
	if (delay < 0)
		delay = 0;
	ev_timer_set(&t->tm, delay, 0.);
	ev_timer_start(loop, &t->tm);
}

static AvahiTimeout *timeout_new(const AvahiPoll *api, const struct timeval *tv,
                                 AvahiTimeoutCallback cb, void *userdata)
{
	struct evpoll *ep = api->userdata;
	struct AvahiTimeout *t;

	if (!cb || ep->freed)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ep = ep;
	t->cb = cb;
	t->userdata = userdata;
	ev_init(&t->tm, timer_cb);
	timeout_arm(t, tv);
	t->next = ep->timeouts;
	if (t->next)
		t->next->prev = t;
	ep->timeouts = t;
	ep->n_timeouts++;
	return t;
}

static void timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	if (t->dead)
		return;
	timeout_arm(t, tv);
}

static void timeout_free(AvahiTimeout *t)
{
	struct evpoll *ep = t->ep;

	if (t->dead)
		return;
	ev_timer_stop(ep->loop, &t->tm);
	t->dead = true;
	ep->n_timeouts--;
	ep->need_reap = true;
	if (ep->depth == 0)
		reap(ep, false);
}

struct evpoll *evpoll_new(struct ev_loop *loop)
{
	struct evpoll *ep;

	if (!loop)
		return NULL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	ep->loop = loop;
	ep->api.userdata = ep;
	ep->api.watch_new = watch_new;
	ep->api.watch_update = watch_update;
	ep->api.watch_get_events = watch_get_events;
	ep->api.watch_free = watch_free;
	ep->api.timeout_new = timeout_new;
	ep->api.timeout_update = timeout_update;
	ep->api.timeout_free = timeout_free;
	return ep;
}

const AvahiPoll *evpoll_get(struct evpoll *ep)
{
	return &ep->api;
}

void evpoll_count(const struct evpoll *ep, unsigned *ret_watches, unsigned *ret_timeouts)
{
	if (ret_watches)
		*ret_watches = ep ? ep->n_watches : 0;
	if (ret_timeouts)
		*ret_timeouts = ep ? ep->n_timeouts : 0;
}

void evpoll_free(struct evpoll *ep)
{
	struct AvahiWatch *w;
	struct AvahiTimeout *t;

	if (!ep || ep->freed)
		return;
	if (ep->depth > 0) {
		/* Inside a callback: stop everything now, release on return. */
		for (w = ep->watches; w; w = w->next) {
			ev_io_stop(ep->loop, &w->io);
			w->dead = true;
		}
		for (t = ep->timeouts; t; t = t->next) {
			ev_timer_stop(ep->loop, &t->tm);
			t->dead = true;
		}
		ep->n_watches = ep->n_timeouts = 0;
		ep->freed = true;
		return;
	}
	reap(ep, true);
	free(ep);
}
