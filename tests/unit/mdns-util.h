/* SPDX-License-Identifier: MIT */
/* Shared by the mdns/ tests: running the loop for a while or until a
 * condition holds, and the plain Avahi client the live tests check with. */
#pragma once

#include <stdbool.h>

#include <ev.h>

#include <avahi-client/client.h>

#include "mdns/evpoll.h"

/* Run LOOP for S seconds (less if a callback breaks it). */
void mt_run_for(struct ev_loop *loop, double s);

/* Run LOOP in 20 ms steps until COND holds, for at most LIMIT seconds;
 * true if COND holds in the end. */
#define MT_WAIT(loop, cond, limit)                                                                 \
	({                                                                                         \
		bool ok_ = false;                                                                  \
		for (double t_ = 0; t_ < (limit); t_ += 0.02) {                                    \
			if (cond) {                                                                \
				ok_ = true;                                                        \
				break;                                                             \
			}                                                                          \
			mt_run_for((loop), 0.02);                                                  \
		}                                                                                  \
		ok_ || (cond);                                                                     \
	})

/* A new loop (*RET_LOOP), its evpoll (*RET_EP) and a plain Avahi client on
 * them with CB and USERDATA, for checking what the network sees. When no
 * avahi-daemon is reachable, prints "SKIP: ...", frees the loop and evpoll
 * and exits 77. The caller frees the client, evpoll and loop. */
AvahiClient *mt_checker_new(struct ev_loop **ret_loop, struct evpoll **ret_ep,
                            AvahiClientCallback cb, void *userdata);
