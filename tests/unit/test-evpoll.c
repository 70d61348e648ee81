/* SPDX-License-Identifier: MIT */
/* Unit test of the AvahiPoll-on-libev adapter, driven with pipes and timers
 * and no avahi-daemon. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <ev.h>

#include "mdns/evpoll.h"
#include "tests/unit/tap.h"

/* Shared state of one test case. */
struct tctx {
	struct ev_loop *loop;
	struct evpoll *ep;
	const AvahiPoll *api;
	/* events seen, by slot */
	unsigned calls[8];
	AvahiWatchEvent got[8];
	AvahiWatchEvent got_via_get[8];
	int order[16];
	unsigned n_order;
	struct timeval fired_at[8];
	struct timeval due[8];
	AvahiWatch *w[8];
	AvahiTimeout *t[8];
	int fds[8];
	unsigned rearm_left;
};

/* Slot tag passed as Avahi userdata. */
struct slot {
	struct tctx *c;
	int i;
};

static void guard_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop for MS milliseconds (or until a callback breaks it). */
static void run_for(struct tctx *c, double ms)
{
	ev_timer guard;

	ev_timer_init(&guard, guard_cb, ms / 1000.0, 0.);
	ev_timer_start(c->loop, &guard);
	ev_run(c->loop, 0);
	ev_timer_stop(c->loop, &guard);
}

static void tv_in(struct timeval *tv, long ms)
{
	gettimeofday(tv, NULL);
	tv->tv_sec += ms / 1000;
	tv->tv_usec += (ms % 1000) * 1000;
	while (tv->tv_usec >= 1000000) {
		tv->tv_sec++;
		tv->tv_usec -= 1000000;
	}
	while (tv->tv_usec < 0) {
		tv->tv_sec--;
		tv->tv_usec += 1000000;
	}
}

static int tv_cmp(const struct timeval *a, const struct timeval *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_usec != b->tv_usec)
		return a->tv_usec < b->tv_usec ? -1 : 1;
	return 0;
}

static void setup(struct tctx *c)
{
	memset(c, 0, sizeof(*c));
	c->loop = ev_loop_new(EVFLAG_AUTO);
	c->ep = evpoll_new(c->loop);
	CHECK(c->ep != NULL);
	c->api = evpoll_get(c->ep);
	for (int i = 0; i < 8; i++)
		c->fds[i] = -1;
}

static void teardown(struct tctx *c)
{
	evpoll_free(c->ep);
	for (int i = 0; i < 8; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	ev_loop_destroy(c->loop);
}

/* A pipe in P whose ends teardown() closes: fds[SLOT] reads, fds[SLOT + 1] writes. */
static void open_pipe(struct tctx *c, int slot, int p[2])
{
	CHECK(pipe(p) == 0);
	c->fds[slot] = p[0];
	c->fds[slot + 1] = p[1];
}

/* Records the event; drains one byte on IN so level-triggered IN stops. */
static void watch_record_cb(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *userdata)
{
	struct slot *s = userdata;
	struct tctx *c = s->c;
	char b;

	c->calls[s->i]++;
	c->got[s->i] |= ev;
	c->got_via_get[s->i] |= c->api->watch_get_events(w);
	if (c->n_order < 16)
		c->order[c->n_order++] = s->i;
	if ((ev & AVAHI_WATCH_IN) && read(fd, &b, 1) <= 0) {
		/* EOF: stop watching, as a real user must. */
		c->api->watch_update(w, 0);
	}
	if (ev & AVAHI_WATCH_OUT)
		c->api->watch_update(w, 0);
	if (ev & AVAHI_WATCH_ERR)
		c->api->watch_update(w, 0);
}

static void test_watch_in_out_hup(void)
{
	struct tctx c;
	int p[2];
	struct slot s0, s1;

	setup(&c);
	open_pipe(&c, 0, p);
	s0 = (struct slot){&c, 0};
	s1 = (struct slot){&c, 1};
	c.w[0] = c.api->watch_new(c.api, p[0], AVAHI_WATCH_IN, watch_record_cb, &s0);
	CHECK(c.w[0] != NULL);

	/* Nothing written: no IN. */
	run_for(&c, 20);
	CHECK(c.calls[0] == 0);

	CHECK(write(p[1], "x", 1) == 1);
	run_for(&c, 20);
	CHECK(c.calls[0] == 1);
	CHECK(c.got[0] == AVAHI_WATCH_IN);
	CHECK(c.got_via_get[0] == AVAHI_WATCH_IN);
	/* Outside a callback there are no "events that happened". */
	CHECK(c.api->watch_get_events(c.w[0]) == 0);

	/* OUT on the write end fires at once. */
	c.w[1] = c.api->watch_new(c.api, p[1], AVAHI_WATCH_OUT, watch_record_cb, &s1);
	run_for(&c, 20);
	CHECK(c.calls[1] == 1);
	CHECK(c.got[1] == AVAHI_WATCH_OUT);
	c.api->watch_free(c.w[1]);
	c.w[1] = NULL;

	/* Closing the writer is a hang-up on the reader. */
	close(p[1]);
	c.fds[1] = -1;
	c.got[0] = 0;
	run_for(&c, 20);
	CHECK(c.calls[0] == 2);
	CHECK(c.got[0] & AVAHI_WATCH_HUP);
	c.api->watch_free(c.w[0]);
	teardown(&c);
}

static void test_watch_err(void)
{
	struct tctx c;
	int p[2];
	struct slot s0;

	setup(&c);
	CHECK(pipe(p) == 0);
	c.fds[1] = p[1];
	close(p[0]); /* a writer without reader polls as POLLERR */
	s0 = (struct slot){&c, 0};
	c.w[0] = c.api->watch_new(c.api, p[1], AVAHI_WATCH_OUT, watch_record_cb, &s0);
	run_for(&c, 20);
	CHECK(c.calls[0] == 1);
	CHECK(c.got[0] & AVAHI_WATCH_ERR);
	teardown(&c);
}

static void test_watch_update(void)
{
	struct tctx c;
	int p[2];
	struct slot s0;

	setup(&c);
	open_pipe(&c, 0, p);
	s0 = (struct slot){&c, 0};
	/* A watch for nothing does not fire even with data pending. */
	c.w[0] = c.api->watch_new(c.api, p[0], 0, watch_record_cb, &s0);
	CHECK(write(p[1], "ab", 2) == 2);
	run_for(&c, 20);
	CHECK(c.calls[0] == 0);
	/* Enabling IN delivers it. */
	c.api->watch_update(c.w[0], AVAHI_WATCH_IN);
	run_for(&c, 20);
	CHECK(c.calls[0] == 2); /* one byte per call, two bytes */
	/* Disable again: new data is not reported. */
	c.api->watch_update(c.w[0], 0);
	CHECK(write(p[1], "c", 1) == 1);
	run_for(&c, 20);
	CHECK(c.calls[0] == 2);
	teardown(&c);
}

static void timeout_record_cb(AvahiTimeout *t, void *userdata)
{
	struct slot *s = userdata;
	struct tctx *c = s->c;

	c->calls[s->i]++;
	gettimeofday(&c->fired_at[s->i], NULL);
	if (c->n_order < 16)
		c->order[c->n_order++] = s->i;
}

static void test_timeouts_in_order(void)
{
	struct tctx c;
	struct slot s[3];
	static const long ms[3] = {60, 20, 40};

	setup(&c);
	for (int i = 0; i < 3; i++) {
		s[i] = (struct slot){&c, i};
		tv_in(&c.due[i], ms[i]);
		c.t[i] = c.api->timeout_new(c.api, &c.due[i], timeout_record_cb, &s[i]);
		CHECK(c.t[i] != NULL);
	}
	run_for(&c, 150);
	CHECK(c.n_order == 3);
	CHECK(c.order[0] == 1 && c.order[1] == 2 && c.order[2] == 0);
	for (int i = 0; i < 3; i++) {
		CHECK(c.calls[i] == 1); /* disabled after firing */
		CHECK(tv_cmp(&c.fired_at[i], &c.due[i]) >= 0);
	}
	/* Re-enable one by update. */
	tv_in(&c.due[0], 10);
	c.api->timeout_update(c.t[0], &c.due[0]);
	run_for(&c, 60);
	CHECK(c.calls[0] == 2);
	CHECK(c.calls[1] == 1);
	teardown(&c);
}

static void test_timeout_past_and_stale_clock(void)
{
	struct tctx c;
	struct slot s0, s1;
	struct timeval tv;

	setup(&c);
	s0 = (struct slot){&c, 0};
	s1 = (struct slot){&c, 1};
	/* A time in the past fires on the next iteration. */
	tv_in(&tv, -1000);
	c.t[0] = c.api->timeout_new(c.api, &tv, timeout_record_cb, &s0);
	run_for(&c, 20);
	CHECK(c.calls[0] == 1);

	/* The loop's cached clock is stale after a long callback-free
	 * pause; an absolute timeout must still not fire early. */
	usleep(150 * 1000);
	tv_in(&c.due[1], 100);
	c.t[1] = c.api->timeout_new(c.api, &c.due[1], timeout_record_cb, &s1);
	run_for(&c, 300);
	CHECK(c.calls[1] == 1);
	CHECK(tv_cmp(&c.fired_at[1], &c.due[1]) >= 0);
	teardown(&c);
}

static void test_timeout_null(void)
{
	struct tctx c;
	struct slot s0, s1;
	struct timeval tv;

	setup(&c);
	s0 = (struct slot){&c, 0};
	s1 = (struct slot){&c, 1};
	/* NULL means disabled: it must never fire (libevent-watch.c's bug). */
	c.t[0] = c.api->timeout_new(c.api, NULL, timeout_record_cb, &s0);
	CHECK(c.t[0] != NULL);
	/* Updating to NULL disables an armed one. */
	tv_in(&tv, 10);
	c.t[1] = c.api->timeout_new(c.api, &tv, timeout_record_cb, &s1);
	c.api->timeout_update(c.t[1], NULL);
	run_for(&c, 80);
	CHECK(c.calls[0] == 0);
	CHECK(c.calls[1] == 0);
	/* And a disabled one can be enabled later. */
	tv_in(&tv, 5);
	c.api->timeout_update(c.t[0], &tv);
	run_for(&c, 50);
	CHECK(c.calls[0] == 1);
	CHECK(c.calls[1] == 0);
	c.api->timeout_free(c.t[0]);
	c.api->timeout_free(c.t[1]);
	teardown(&c);
}

/* Re-arms itself rearm_left times, then frees itself. */
static void timeout_rearm_cb(AvahiTimeout *t, void *userdata)
{
	struct slot *s = userdata;
	struct tctx *c = s->c;
	struct timeval tv;

	c->calls[s->i]++;
	if (c->rearm_left > 0) {
		c->rearm_left--;
		tv_in(&tv, 5);
		c->api->timeout_update(t, &tv);
	} else {
		c->api->timeout_free(t);
		c->t[s->i] = NULL;
	}
}

static void watch_free_self_cb(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *userdata)
{
	struct slot *s = userdata;
	struct tctx *c = s->c;

	c->calls[s->i]++;
	c->api->watch_free(w);
	c->w[s->i] = NULL;
	/* Still safe to ask after freeing (returns nothing). */
}

static void test_free_self(void)
{
	struct tctx c;
	struct slot s0, s1;
	struct timeval tv;
	int p[2];
	unsigned nw, nt;

	setup(&c);
	s0 = (struct slot){&c, 0};
	s1 = (struct slot){&c, 1};
	c.rearm_left = 3;
	tv_in(&tv, 1);
	c.t[0] = c.api->timeout_new(c.api, &tv, timeout_rearm_cb, &s0);
	open_pipe(&c, 0, p);
	CHECK(write(p[1], "xy", 2) == 2);
	c.w[1] = c.api->watch_new(c.api, p[0], AVAHI_WATCH_IN, watch_free_self_cb, &s1);
	evpoll_count(c.ep, &nw, &nt);
	CHECK(nw == 1 && nt == 1);
	run_for(&c, 100);
	CHECK(c.calls[0] == 4);
	CHECK(c.calls[1] == 1); /* data still pending, but freed */
	evpoll_count(c.ep, &nw, &nt);
	CHECK(nw == 0 && nt == 0);
	teardown(&c);
}

/* Slot 0 and 1 both become ready in one iteration; whichever runs first
 * frees the other, which must then not be called. */
static void watch_free_other_cb(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *userdata)
{
	struct slot *s = userdata;
	struct tctx *c = s->c;
	int other = 1 - s->i;
	char b;

	c->calls[s->i]++;
	if (read(fd, &b, 1) != 1)
		c->api->watch_update(w, 0);
	if (c->w[other]) {
		c->api->watch_free(c->w[other]);
		c->w[other] = NULL;
	}
}

static void timeout_free_other_cb(AvahiTimeout *t, void *userdata)
{
	struct slot *s = userdata;
	struct tctx *c = s->c;
	int other = 5 - s->i; /* slots 2 and 3 */

	c->calls[s->i]++;
	if (c->t[other]) {
		c->api->timeout_free(c->t[other]);
		c->t[other] = NULL;
	}
}

static void test_free_other_during_dispatch(void)
{
	struct tctx c;
	struct slot s[4];
	int p[2], q[2];
	struct timeval tv;

	setup(&c);
	for (int i = 0; i < 4; i++)
		s[i] = (struct slot){&c, i};
	open_pipe(&c, 0, p);
	open_pipe(&c, 2, q);
	CHECK(write(p[1], "a", 1) == 1 && write(q[1], "b", 1) == 1);
	c.w[0] = c.api->watch_new(c.api, p[0], AVAHI_WATCH_IN, watch_free_other_cb, &s[0]);
	c.w[1] = c.api->watch_new(c.api, q[0], AVAHI_WATCH_IN, watch_free_other_cb, &s[1]);
	/* Two timeouts already due: both pending in the same iteration. */
	tv_in(&tv, -5);
	c.t[2] = c.api->timeout_new(c.api, &tv, timeout_free_other_cb, &s[2]);
	c.t[3] = c.api->timeout_new(c.api, &tv, timeout_free_other_cb, &s[3]);
	run_for(&c, 30);
	CHECK(c.calls[0] + c.calls[1] == 1);
	CHECK(c.calls[2] + c.calls[3] == 1);
	teardown(&c);
}

static void never_watch_cb(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *userdata)
{
	FAIL("callback of a freed watch ran");
}

static void never_timeout_cb(AvahiTimeout *t, void *userdata)
{
	FAIL("callback of a freed timeout ran");
}

static void test_free_all_live(void)
{
	struct tctx c;
	int p[2];
	struct timeval tv;

	setup(&c);
	open_pipe(&c, 0, p);
	CHECK(write(p[1], "a", 1) == 1);
	CHECK(c.api->watch_new(c.api, p[0], AVAHI_WATCH_IN, never_watch_cb, NULL) != NULL);
	CHECK(c.api->watch_new(c.api, p[1], AVAHI_WATCH_OUT, never_watch_cb, NULL) != NULL);
	tv_in(&tv, 10);
	CHECK(c.api->timeout_new(c.api, &tv, never_timeout_cb, NULL) != NULL);
	CHECK(c.api->timeout_new(c.api, NULL, never_timeout_cb, NULL) != NULL);
	evpoll_free(c.ep);
	c.ep = NULL;
	/* No watcher of ours is left on the loop: ev_run returns at once. */
	alarm(5);
	ev_run(c.loop, 0);
	alarm(0);
	teardown(&c);
}

/* Frees the whole adapter from inside a watch callback. */
static void watch_free_all_cb(AvahiWatch *w, int fd, AvahiWatchEvent ev, void *userdata)
{
	struct tctx *c = userdata;

	c->calls[0]++;
	evpoll_free(c->ep);
	c->ep = NULL;
}

static void test_free_all_in_callback(void)
{
	struct tctx c;
	int p[2];
	struct timeval tv;

	setup(&c);
	open_pipe(&c, 0, p);
	CHECK(write(p[1], "a", 1) == 1);
	c.w[0] = c.api->watch_new(c.api, p[0], AVAHI_WATCH_IN, watch_free_all_cb, &c);
	tv_in(&tv, 10);
	CHECK(c.api->timeout_new(c.api, &tv, never_timeout_cb, NULL) != NULL);
	/* Ready in the same iteration; whichever runs first frees all. */
	CHECK(c.api->watch_new(c.api, p[1], AVAHI_WATCH_OUT, watch_free_all_cb, &c) != NULL);
	alarm(5);
	ev_run(c.loop, 0); /* returns once nothing is left */
	alarm(0);
	CHECK(c.calls[0] == 1);
	CHECK(c.ep == NULL);
	teardown(&c);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_watch_in_out_hup();
	test_watch_err();
	test_watch_update();
	test_timeouts_in_order();
	test_timeout_past_and_stale_clock();
	test_timeout_null();
	test_free_self();
	test_free_other_during_dispatch();
	test_free_all_live();
	test_free_all_in_callback();
	return test_summary();
}
