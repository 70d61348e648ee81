/* SPDX-License-Identifier: MIT */
/* agent/probe.c against real sockets on 127.0.0.1: a listener that stops
 * marks its endpoint down after `fall` failures (a changed event, not a
 * removal), a listener that comes back brings it up after `rise`; a silent
 * endpoint times out; endpoints nobody asks for are forgotten unless down;
 * a removed entry is forgotten; max_endpoints bounds the table; turning
 * probing off clears every mark. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/cache.h"
#include "agent/probe.h"
#include "tests/unit/tap.h"

static struct ev_loop *loop;
static struct cache *cache;
static struct prober *prober;
static unsigned down_events, removed_events;

static void on_event(void *ud, enum cache_event ev, const struct cache_entry *e, unsigned ch)
{
	if (ev == CACHE_EVENT_CHANGED && (ch & CACHE_CH_DOWN))
		down_events++;
	if (ev == CACHE_EVENT_REMOVED)
		removed_events++;
	prober_on_cache_event(prober, ev, e, ch);
}

static void stop_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	ev_break(l, EVBREAK_ALL);
}

static void run_for(double s)
{
	ev_timer t;

	ev_timer_init(&t, stop_cb, s, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

/* Run the loop until COND or S seconds; evaluates to COND. */
#define RUN_UNTIL(cond, s)                                                                         \
	({                                                                                         \
		for (int step_ = 0; !(cond) && step_ < (int)((s)*100); step_++)                    \
			run_for(0.01);                                                             \
		(cond);                                                                            \
	})

/* A listening TCP socket on 127.0.0.1:PORT (0: any), BACKLOG; its port in *ret. */
static int listener(uint16_t port, int backlog, uint16_t *ret)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t len = sizeof(sa);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("listener");
		exit(99);
	}
	if (ret)
		*ret = ntohs(sa.sin_port);
	return fd;
}

/* Accept and close what LFD's queue holds, on the loop (a live service:
 * probes must not fill its accept queue). */
static ev_io acceptors[4];
static size_t n_acceptors;

static void accept_cb(struct ev_loop *l, ev_io *w, int revents)
{
	int fd = accept(w->fd, NULL, NULL);

	if (fd >= 0)
		close(fd);
}

static void serve(int lfd)
{
	ev_io *w = &acceptors[n_acceptors++];

	ev_io_init(w, accept_cb, lfd, EV_READ);
	ev_io_start(loop, w);
}

/* Stop serving LFD and close it. */
static void unserve(int lfd)
{
	for (size_t i = 0; i < n_acceptors; i++)
		if (acceptors[i].fd == lfd)
			ev_io_stop(loop, &acceptors[i]);
	close(lfd);
}

/* Put instance NAME of TYPE at 127.0.0.1:PORT in the cache; returns its entry. */
static struct cache_entry *add_typed(const char *name, const char *type, uint16_t port)
{
	struct mdns_instance in = {.name = name,
	                           .type = type,
	                           .domain = "local",
	                           .host = "h.local",
	                           .ifindex = 1,
	                           .family = AF_INET,
	                           .port = port};
	struct sockaddr_in *a = (struct sockaddr_in *)&in.addr;

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(cache_upsert(cache, &in, ev_now(loop)) == CACHE_ADDED);
	return cache_find(cache, name, type, NULL);
}

static struct cache_entry *add(const char *name, uint16_t port)
{
	return add_typed(name, "_x._tcp", port);
}

static struct prober_stats stats(void)
{
	struct prober_stats st;

	prober_get_stats(prober, &st);
	return st;
}

static const struct cfg_probe fast = {
        .enabled = true,
        .interval_ms = 50,
        .timeout_ms = 40,
        .fall = 2,
        .rise = 2,
        .window_ms = 1000,
        .max_endpoints = 3,
};

static void setup(void)
{
	loop = ev_loop_new(EVFLAG_AUTO);
	cache = cache_new(NULL);
	prober = prober_new(loop, cache);
	cache_set_event_cb(cache, on_event, NULL);
	CHECK(prober_configure(prober, &fast) == 0);
	down_events = removed_events = 0;
}

static void teardown(void)
{
	for (size_t i = 0; i < n_acceptors; i++)
		ev_io_stop(loop, &acceptors[i]);
	n_acceptors = 0;
	prober_free(prober);
	cache_free(cache);
	ev_loop_destroy(loop);
}

/* Up, a listener that goes away (refused), then comes back. */
static void test_refused_and_back(void)
{
	uint16_t port;
	int lfd;

	setup();
	lfd = listener(0, 16, &port);
	serve(lfd);
	struct cache_entry *e = add("a", port);
	prober_note(prober, e);
	CHECK(stats().endpoints == 1);
	CHECK(RUN_UNTIL(stats().probes >= 3, 2));
	CHECK(!e->down && stats().failures == 0);

	unserve(lfd);
	CHECK(RUN_UNTIL(e->down, 2));
	CHECK(stats().failures >= 2 && stats().down == 1 && down_events == 1);
	CHECK(removed_events == 0); /* marked down, not removed */

	/* Back: RISE (2) successes in a row. */
	uint64_t probes = stats().probes;
	lfd = listener(port, 16, NULL);
	serve(lfd);
	CHECK(RUN_UNTIL(!e->down, 2));
	CHECK(stats().probes >= probes + 2 && stats().down == 0 && down_events == 2);
	unserve(lfd);
	teardown();
}

/* A silent endpoint (SYNs dropped: its accept queue is full) times out. */
static void test_timeout(void)
{
	uint16_t port;
	int lfd, fillers[4];

	setup();
	lfd = listener(0, 0, &port);
	for (int i = 0; i < 4; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};

		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		connect(fillers[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	run_for(0.05);
	struct cache_entry *e = add("silent", port);
	prober_note(prober, e);
	CHECK(RUN_UNTIL(e->down, 3));
	CHECK(stats().failures >= 2);
	for (int i = 0; i < 4; i++)
		close(fillers[i]);
	close(lfd);
	teardown();
}

/* Endpoints nobody asks for are forgotten, unless down; removed entries go;
 * the table is bounded; turning probing off clears the marks. */
static void test_lifecycle(void)
{
	uint16_t port, dead_port;
	int lfd = listener(0, 16, &port), dfd = listener(0, 16, &dead_port);

	close(dfd); /* a port nobody listens on */
	setup();
	serve(lfd);
	struct cache_entry *up = add("up", port), *dead = add("dead", dead_port);
	prober_note(prober, up);
	prober_note(prober, dead);
	CHECK(RUN_UNTIL(dead->down, 2));
	/* Past the window: the healthy one is forgotten, the dead one stays. */
	CHECK(RUN_UNTIL(stats().endpoints == 1, 3));
	CHECK(dead->down && !up->down && stats().down == 1);

	/* A UDP service is not probed (a TCP connect says nothing of it). */
	prober_note(prober, add_typed("u", "_x._udp", dead_port));
	CHECK(stats().endpoints == 1);

	/* The bound: 3 endpoints at most. */
	struct cache_entry *b = add("b", port), *c = add("c", port), *d = add("d", port);
	prober_note(prober, b);
	prober_note(prober, c);
	prober_note(prober, d);
	CHECK(stats().endpoints == 3 && stats().full == 1);

	/* The dead entry leaves the cache (say its host went down). */
	CHECK(cache_remove_sighting(cache, "dead", "_x._tcp", NULL, 1, AF_INET,
	                            CACHE_GONE_HOST_DOWN, ev_now(loop)) == CACHE_REMOVED);
	CHECK(stats().endpoints == 2 && stats().down == 0);

	/* Off: every mark cleared, nothing probed. */
	struct cache_entry *x = add("x", dead_port);
	prober_note(prober, x);
	CHECK(RUN_UNTIL(x->down, 2));
	struct cfg_probe off = fast;
	off.enabled = false;
	CHECK(prober_configure(prober, &off) == 0);
	CHECK(!x->down && stats().endpoints == 0 && stats().down == 0 && !stats().enabled);
	prober_note(prober, x);
	CHECK(stats().endpoints == 0);
	unserve(lfd);
	teardown();
}

int main(void)
{
	test_refused_and_back();
	test_timeout();
	test_lifecycle();
	return test_summary();
}
