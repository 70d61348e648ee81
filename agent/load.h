/* SPDX-License-Identifier: MIT */
/* The load figure this host publishes in TXT (load=...) for consumers'
 * least_loaded policy: the 1-minute load average per online CPU, sampled
 * every 2 s and republished only when it moved by at least 0.1 and at most
 * once per agent.load_interval, so the LAN is not flooded. It is an overlay
 * of the published set (agent/pubset.h). */
#pragma once

struct agent;
struct agent_load;

/* Start sampling for A (publishing only while agent.publish_load is true);
 * the first figure is put in the published set at once. NULL on OOM. */
struct agent_load *agent_load_new(struct agent *a);
void agent_load_free(struct agent_load *l);

/* Follow a reload: start or stop sampling, and add or drop the overlay. */
void agent_load_reconfigure(struct agent_load *l);

/* The first number of file PATH (e.g. /proc/loadavg: the 1-minute load
 * average) into *ret: a finite number >= 0. Returns 0 or a negative errno
 * (-EINVAL when it holds none). */
int agent_load_read(const char *path, double *ret);
