/* SPDX-License-Identifier: MIT */
/* The http health check: HTTP(S) GETs through libcurl's multi socket
 * interface, driven by the event loop (no thread, no blocking call). */
#pragma once

#include <stdbool.h>

#include "agent/check-probe.h"

struct ev_loop;
struct check_http_ctx;
struct check_http;

/* One libcurl multi handle whose sockets and timer are watched on LOOP.
 * NULL when out of memory or when libcurl cannot be initialised. */
struct check_http_ctx *check_http_ctx_new(struct ev_loop *loop);

/* Cancel every probe still running on CTX (their DONE is never called;
 * they must not be freed afterwards) and free CTX. NULL is fine. */
void check_http_ctx_free(struct check_http_ctx *ctx);

/* GET URL (copied) on a fresh connection, without a proxy, without
 * following redirects, verifying the server's certificate unless
 * TLS_SKIP_VERIFY. DONE (check-probe.h) gets CHECK_PASS for a 2xx status,
 * CHECK_FAIL for any other status, a transfer error, or when TIMEOUT
 * seconds pass first; the output is "HTTP <status>" and the start of the
 * body, or the error. Returns 0 with the running probe in *RET, or
 * -ENOMEM / -EINVAL (libcurl refused the request). */
int check_http_start(struct check_http_ctx *ctx, const char *url, bool tls_skip_verify,
                     double timeout, check_done_fn done, void *userdata, struct check_http **ret);

/* Cancel P if it still runs (DONE is then never called) and free it.
 * NULL is fine; DONE may call it. */
void check_http_free(struct check_http *p);
