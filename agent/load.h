/* SPDX-License-Identifier: MIT */
/* The load figure this host publishes in TXT (load=...) for consumers'
 * least_loaded policy: the 1-minute load average per online CPU, sampled
 * every 2 s (or the number in $LANYARD_LOAD_FILE, taken as it is, when
 * something else on the host computes the figure) and republished only when it moved by at least
 * 0.1 and at most once per agent.load_interval, so the LAN is not flooded. */
#pragma once

#include <stdbool.h>

#include "config/config.h"

struct agent;
struct agent_load;

/* Start sampling for A (publishing only while agent.publish_load is true).
 * NULL on OOM. */
struct agent_load *agent_load_new(struct agent *a);
void agent_load_free(struct agent_load *l);

/* Start or stop sampling after a reload changed agent.publish_load. */
void agent_load_reconfigure(struct agent_load *l);

/* Put the current published figure into CFG's services (a "load" TXT pair,
 * replacing an older one). Call before every mdns_publish(). Returns 0 or
 * -ENOMEM. */
int agent_load_apply(const struct agent_load *l, struct lanyard_config *cfg);
