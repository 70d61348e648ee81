/* SPDX-License-Identifier: MIT */
/* agent.wide_area.browse wired to the agent: one unicast DNS browser
 * (wide/browse.h) per zone, whose instances go into the same cache as
 * mDNS's, with the zone as their domain and "dns" as their interface. */
#pragma once

#include <jansson.h>

struct agent;
struct lanyard_config;

/* Browse the zones CFG names (agent.wide_area.browse, through
 * browse_server or server), stop browsing the others (their instances
 * leave the cache). A zone whose settings did not change keeps its copy.
 * Problems are logged. Returns 0 or a negative errno. */
int agent_wide_browse_apply(struct agent *a, const struct lanyard_config *cfg);

/* Stop every browser and take their instances out of the cache. */
void agent_wide_browse_stop(struct agent *a);

/* [{"zone","state","serial","records","instances","stale_hosts","polls",
 * "transfers","failures","last_error","since_success"}]; NULL on OOM. */
json_t *agent_wide_browse_status(const struct agent *a);
