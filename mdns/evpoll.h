/* SPDX-License-Identifier: MIT */
/* An AvahiPoll implementation on a libev loop: Avahi's watches become ev_io,
 * its timeouts ev_timer. */
#pragma once

#include <avahi-common/watch.h>

struct ev_loop;
struct evpoll;

/* Create an AvahiPoll adapter running on LOOP (borrowed; it must outlive the
 * adapter). Returns NULL on out-of-memory. */
struct evpoll *evpoll_new(struct ev_loop *loop);

/* The AvahiPoll vtable to hand to avahi_client_new(); valid until
 * evpoll_free(). */
const AvahiPoll *evpoll_get(struct evpoll *ep);

/* Stop and free every watch and timeout still registered, then the adapter.
 * Free every Avahi object using it first. evpoll_free(NULL) is a no-op. If
 * called from inside an Avahi callback dispatched by EP, every watcher is
 * stopped at once and the memory is released when that callback returns. */
void evpoll_free(struct evpoll *ep);

/* Number of live (not freed) watches and timeouts; for tests and stats. */
void evpoll_count(const struct evpoll *ep, unsigned *ret_watches, unsigned *ret_timeouts);
