/* SPDX-License-Identifier: MIT */
/* systemd readiness notification (sd_notify protocol) without libsystemd. */
#pragma once

/* Send STATE (e.g. "READY=1") to $NOTIFY_SOCKET if set. Returns 1 if sent,
 * 0 if there is no notify socket, negative errno on failure. */
int notify_send(const char *state);
