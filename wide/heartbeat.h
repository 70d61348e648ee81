/* SPDX-License-Identifier: MIT */
/* Reading a lanyard heartbeat (docs/wide-area.md): the TXT at
 * <host>._lanyard.<zone>, "t=<wall-clock seconds>" "r=<refresh seconds>";
 * private to wide/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest refresh period a heartbeat may claim; longer ones count as this. */
#define WIDE_HEARTBEAT_REFRESH_CAP_S 3600

/* The wall-clock second after which heartbeat TXT rdata HB (LEN bytes)
 * is stale: its time (into *RET_TIME unless NULL) plus three of its
 * refresh periods. False when HB is not a well-formed heartbeat (such a
 * host is never taken for dead). */
bool wide_heartbeat_deadline(const uint8_t *hb, size_t len, uint64_t *ret, uint64_t *ret_time);
