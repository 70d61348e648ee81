/* SPDX-License-Identifier: MIT */
/* How long each iteration of the agent's loop spends in its callbacks
 * (from the end of the poll to the next one): the time a consumer's request
 * may wait behind other work. For status and benchmarks. */
#pragma once

#include <jansson.h>

struct ev_loop;
struct loopwatch;

/* Start watching LOOP. NULL on OOM. */
struct loopwatch *loopwatch_new(struct ev_loop *loop);
/* Stop and free; NULL is fine. */
void loopwatch_free(struct loopwatch *w);

/* {"iterations","busy_over_1ms","busy_over_10ms","busy_over_50ms",
 * "busy_max_ms"} since start. NULL on OOM. */
json_t *loopwatch_status(const struct loopwatch *w);
