/* SPDX-License-Identifier: MIT */
/* Time spent in the callbacks of each loop iteration, measured between the
 * first check watcher after the poll and the prepare watcher before the
 * next one. */
#include <ev.h>
#include <stdint.h>
#include <stdlib.h>

#include "agent/loopwatch.h"

struct loopwatch {
	struct ev_loop *loop;
	ev_check woke;    /* right after the poll (highest priority) */
	ev_prepare sleep; /* right before the next poll */
	ev_tstamp woke_at;
	uint64_t iterations, over_1ms, over_10ms, over_50ms;
	double max_s;
};

static void woke_cb(struct ev_loop *loop, ev_check *c, int revents)
{
	struct loopwatch *w = c->data;

	w->woke_at = ev_time();
}

static void sleep_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct loopwatch *w = p->data;
	double busy;

	if (w->woke_at == 0)
		return; /* the first poll */
	busy = ev_time() - w->woke_at;
	w->iterations++;
	w->over_1ms += busy > 0.001;
	w->over_10ms += busy > 0.010;
	w->over_50ms += busy > 0.050;
	if (busy > w->max_s)
		w->max_s = busy;
}

struct loopwatch *loopwatch_new(struct ev_loop *loop)
{
	struct loopwatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->loop = loop;
	ev_check_init(&w->woke, woke_cb);
	w->woke.data = w;
	ev_set_priority(&w->woke, EV_MAXPRI);
	ev_check_start(loop, &w->woke);
	ev_prepare_init(&w->sleep, sleep_cb);
	w->sleep.data = w;
	ev_set_priority(&w->sleep, EV_MINPRI);
	ev_prepare_start(loop, &w->sleep);
	/* Watching alone must not keep the loop running. */
	ev_unref(loop);
	ev_unref(loop);
	return w;
}

void loopwatch_free(struct loopwatch *w)
{
	if (!w)
		return;
	ev_ref(w->loop);
	ev_ref(w->loop);
	ev_check_stop(w->loop, &w->woke);
	ev_prepare_stop(w->loop, &w->sleep);
	free(w);
}

json_t *loopwatch_status(const struct loopwatch *w)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:f}", "iterations", (json_int_t)w->iterations,
	                 "busy_over_1ms", (json_int_t)w->over_1ms, "busy_over_10ms",
	                 (json_int_t)w->over_10ms, "busy_over_50ms", (json_int_t)w->over_50ms,
	                 "busy_max_ms", w->max_s * 1000.0);
}
