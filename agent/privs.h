/* SPDX-License-Identifier: MIT */
/* Giving up root: lanyardd started as root runs as agent.user once its
 * socket exists (it needs only avahi-daemon's D-Bus API, its socket and its
 * configuration). */
#pragma once

#include <stddef.h>

#include "config/config.h"

/* If running as root, become CFG's agent.user ("root" or 0 to stay), first
 * giving it the socket file at SOCKET_PATH (and its group, without
 * agent.socket_group). Its groups are those of the user database. What the
 * machine holds never decides: with no agent.user lanyardd stays as
 * started. Returns 1 when privileges were dropped, 2 when staying root
 * because no agent.user is set, 0 when there was nothing to do, or a
 * negative errno with
 * a message in ERR (an agent.user that does not exist or whose group is
 * root, or a switch that failed: lanyardd must not go on as root then). */
int privs_drop(const struct lanyard_config *cfg, const char *socket_path, char *err, size_t errlen);
