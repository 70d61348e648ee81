/* SPDX-License-Identifier: MIT */
/* Shared by the probe tests (test-check-probes, test-check-exec): one probe's result, and running
 * libev's default loop until something happens. Each test program is one translation unit. */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <string.h>

#include "agent/check-probe.h"

/* How long a probe that must finish may take, however loaded the machine. */
#define DEADLINE_S 20.0

/* The test's loop: libev's default one (exec probes need it). */
static struct ev_loop *loop __attribute__((unused));

/* --- one probe's result -------------------------------------------------- */

struct result {
	int calls;
	enum check_result r;
	char out[2 * CHECK_OUTPUT_MAX];
	size_t len;
};

static inline void on_done(void *userdata, enum check_result r, const char *output, size_t len)
{
	struct result *res = userdata;

	res->calls++;
	res->r = r;
	if (len > sizeof(res->out) - 1)
		len = sizeof(res->out) - 1;
	memcpy(res->out, output, len);
	res->out[len] = '\0';
	res->len = len;
}

static inline bool result_in(void *arg)
{
	return ((struct result *)arg)->calls > 0;
}

static inline void on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
}

/* Run the loop until DONE(ARG) is true or MAX_S seconds have passed (polled
 * every 20 ms besides the loop's own events); returns DONE(ARG). */
static inline bool run_until(bool (*done)(void *), void *arg, double max_s)
{
	ev_timer tick;
	double end = ev_time() + max_s;

	ev_timer_init(&tick, on_tick, 0.02, 0.02);
	ev_timer_start(loop, &tick);
	while (!done(arg) && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
	return done(arg);
}

static inline bool never(void *arg)
{
	return false;
}

/* Run the loop for about S seconds. */
static inline void run_for(double s)
{
	run_until(never, NULL, s);
}
