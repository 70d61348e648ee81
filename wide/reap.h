/* SPDX-License-Identifier: MIT */
/* Reaping: DNS servers keep no leases, so every agent looks for hosts
 * whose heartbeat in the zone is older than three of their refresh periods
 * and deletes their records (docs/wide-area.md); private to wide/. */
#pragma once

#include <stdint.h>

#include "wide/settings.h"

struct ev_loop;
struct wide_reaper;

/* A reaper working under S (read at each round: it must outlive the
 * reaper). NULL on OOM. */
struct wide_reaper *wide_reaper_new(struct ev_loop *loop, const struct wide_settings *s);

/* Start a round unless one is running: read the index of hosts, then
 * each other host's heartbeat; delete at most one stale host. */
void wide_reaper_round(struct wide_reaper *r);

/* Stop any exchange (a new round starts afresh). */
void wide_reaper_stop(struct wide_reaper *r);

/* Hosts deleted so far. */
uint64_t wide_reaper_reaped(const struct wide_reaper *r);

/* Stop and free. NULL is fine. */
void wide_reaper_free(struct wide_reaper *r);
