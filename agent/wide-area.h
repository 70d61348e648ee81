/* SPDX-License-Identifier: MIT */
/* agent.wide_area wired to the agent: the unicast DNS backend (wide/)
 * started, moved or stopped as the configuration says, fed the same
 * published set as mDNS, and its status. */
#pragma once

#include <jansson.h>

#include "dnssd/record.h"

struct agent;
struct lanyard_config;

/* Make the backend match CFG's agent.wide_area: start it (and hand it the
 * published set so far), move it, or withdraw and stop it. Problems are
 * logged. Returns 0 or a negative errno (the backend is then off). */
int agent_wide_apply(struct agent *a, const struct lanyard_config *cfg);

/* A put or a delete of the published set for the backend, when it runs.
 * Returns 0 or -ENOMEM. */
int agent_wide_put(struct agent *a, const struct dnssd_record *r);
int agent_wide_delete(struct agent *a, const char *key);

/* Delete what was published (bounded wait) and stop: clean shutdown. */
void agent_wide_stop(struct agent *a);

/* The status operation's "wide_area" member: null when off. */
json_t *agent_wide_status(const struct agent *a);
