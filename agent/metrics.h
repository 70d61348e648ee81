/* SPDX-License-Identifier: MIT */
/* Prometheus metrics of the agent (GET /metrics, docs/http.md): counters
 * the request path and the event callbacks bump, and the text exposition
 * rendered from them and from the agent's state at scrape time. */
#pragma once

#include <stddef.h>

#include "mdns/mdns.h"
#include "wire/request.h"

struct agent;
struct metrics;

/* New zeroed counters; NULL on OOM. */
struct metrics *metrics_new(void);
/* NULL is fine. */
void metrics_free(struct metrics *m);

/* One socket request of operation OP answered with OUTCOME (WIRE_OK or the
 * error code) SECONDS after it arrived (ops.c, the one place). M may be
 * NULL (then nothing is counted); OP out of range counts as "unknown". */
void metrics_request(struct metrics *m, enum wire_op op, enum wire_code outcome, double seconds);

/* One HTTP response with STATUS (agent/http.c). */
void metrics_http(struct metrics *m, unsigned status);

/* avahi-daemon's client STATE as delivered (counts reconnects). */
void metrics_avahi_state(struct metrics *m, enum mdns_client_state state);

/* One browse result from avahi (an instance found or changed: UPSERT, or gone). */
void metrics_mdns_event(struct metrics *m, enum mdns_instance_event ev);

/* The text exposition (format 0.0.4) of A's metrics into *RET (malloc'd,
 * *RET_LEN bytes). Per-type series are capped by
 * agent.http.metrics_max_services; the rest add up under type="_other".
 * Returns 0 or -ENOMEM. */
int metrics_render(const struct agent *a, char **ret, size_t *ret_len);
