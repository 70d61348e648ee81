/* SPDX-License-Identifier: MIT */
/* The tcp health check: one non-blocking connect on the event loop. */
#pragma once

#include <sys/socket.h>

#include "agent/check-probe.h"

struct ev_loop;
struct check_tcp;

/* Start connecting to ADDR (LEN bytes, copied) without blocking. DONE
 * (check-probe.h) gets CHECK_PASS once the connection is established (it
 * is then closed at once), CHECK_FAIL with the reason when it is refused
 * or fails, or when TIMEOUT seconds pass first. Returns 0 with the running
 * probe in *RET, or a negative errno when nothing could be started (no
 * socket: -EMFILE...). */
int check_tcp_start(struct ev_loop *loop, const struct sockaddr *addr, socklen_t len,
                    double timeout, check_done_fn done, void *userdata, struct check_tcp **ret);

/* Cancel P if it still runs (DONE is then never called) and free it.
 * NULL is fine; DONE may call it. */
void check_tcp_free(struct check_tcp *p);
