/* SPDX-License-Identifier: MIT */
/* The consumer socket's operations: list, services, status, watch, unwatch,
 * resolve, report, answered from the cache and the selector; check and
 * maint, which change what this host announces. */
#pragma once

#include "agent/conn.h"
#include "wire/request.h"

/* server_handler_fn for struct agent *USERDATA. */
void ops_handle(void *userdata, struct conn *c, const struct wire_request *req);
