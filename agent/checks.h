/* SPDX-License-Identifier: MIT */
/* The health checks of the declared services: each check run on the event
 * loop (tcp, http, exec) or fed over the socket (ttl), its state kept
 * through rise and fall, and each service's health (the worst of its
 * checks) reported to the agent, which withdraws or announces it. */
#pragma once

#include <stddef.h>

#include <jansson.h>

#include "agent/check-probe.h"
#include "config/config.h"
#include "dnssd/txt.h"

struct ev_loop;
struct checks;

struct checks_callbacks {
	/* SERVICE's health is now HEALTH; WHY (NULL when passing) says which
	 * check decides it and how. */
	void (*health)(void *userdata, const char *service, enum txt_health health,
	               const char *why);
	/* Called once after the health() calls caused by a check's result or
	 * a report (not by checks_apply()): time to publish. */
	void (*sync)(void *userdata);
};

/* An engine with no checks, running them on LOOP (libev's default loop:
 * exec checks are reaped with ev_child), reporting through CB (copied).
 * NULL on OOM. */
struct checks *checks_new(struct ev_loop *loop, const struct checks_callbacks *cb, void *userdata);

/* Make CFG's services' checks the running set (CFG is read during the
 * call only). A check that stays (same service name, same kind and
 * target, cfg_check_same_target()) keeps its state and counts and takes
 * its new interval, timeout, rise, fall or ttl; a new check starts
 * critical, its first run at the next loop iteration; a check that left
 * is cancelled. Before it returns, health() is called for every service
 * whose health is new or changed (a new service with checks: critical; a
 * service that lost its last check: passing), and sync() is not: the
 * caller publishes. Returns 0, or -ENOMEM with the running set unchanged. */
int checks_apply(struct checks *cs, const struct lanyard_config *cfg);

/* A report for the ttl check of SERVICE (compared case-insensitively): R
 * with LEN bytes of OUTPUT (copied, at most CHECK_OUTPUT_MAX kept). Counts
 * as one result and restarts the ttl. Health changes are reported through
 * health() then sync() before it returns. Returns 0, or -ENOENT when
 * SERVICE has no ttl check. */
int checks_report(struct checks *cs, const char *service, enum check_result r, const char *output,
                  size_t len);

/* The checks of SERVICE for the status operation: an array (empty when it
 * has none) of {"kind","target","state","since","passes","failures",
 * "last_result","last_run","output","duration_ms","rise","fall", and
 * "interval_ms","timeout_ms" or "ttl_ms","expires_in"}. NULL on OOM. */
json_t *checks_status(const struct checks *cs, const char *service);

/* Cancel every running check (exec groups are killed) and free CS.
 * NULL is fine. */
void checks_free(struct checks *cs);
