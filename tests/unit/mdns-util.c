/* SPDX-License-Identifier: MIT */
/* Shared by the mdns/ tests (see mdns-util.h). */
#include "tests/unit/mdns-util.h"

#include <stdio.h>
#include <stdlib.h>

#include <avahi-common/error.h>

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* Contract in mdns-util.h. */
void mt_run_for(struct ev_loop *loop, double s)
{
	ev_timer t;

	ev_timer_init(&t, stop_cb, s, 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

/* Contract in mdns-util.h. */
AvahiClient *mt_checker_new(struct ev_loop **ret_loop, struct evpoll **ret_ep,
                            AvahiClientCallback cb, void *userdata)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct evpoll *ep = evpoll_new(loop);
	AvahiClient *cl;
	int e;

	*ret_loop = loop;
	*ret_ep = ep;
	cl = avahi_client_new(evpoll_get(ep), 0, cb, userdata, &e);
	if (!cl) {
		printf("SKIP: no avahi-daemon reachable on the system bus: %s\n",
		       avahi_strerror(e));
		evpoll_free(ep);
		ev_loop_destroy(loop);
		exit(77);
	}
	return cl;
}
