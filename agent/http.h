/* SPDX-License-Identifier: MIT */
/* The optional HTTP interface (agent.http, docs/http.md): libmicrohttpd
 * driven from the agent's libev loop, each API request bridged to the
 * consumer socket's own operations through a socketpair, /metrics and the
 * live page. */
#pragma once

#include <stddef.h>

struct agent;
struct http;

/* The uid and gid HTTP clients have on the socket: nobody's, so that the
 * per-user quotas apply to them and they are never administrators. */
#define HTTP_CLIENT_UID 65534
#define HTTP_CLIENT_GID 65534

/* Listen on A's agent.http addresses (A's loop, server and
 * configuration, which must outlive the result). Returns 0 with the
 * listeners in *RET (NULL when agent.http is off), or a negative errno
 * with a message in ERR. */
int http_new(struct agent *a, struct http **ret, char *err, size_t errlen);

/* Close every HTTP connection and stop listening. NULL is fine. */
void http_free(struct http *h);

/* After a reload that changed agent.http's listeners (addresses,
 * connection cap, idle timeout, on/off: cfg_http_same_listeners()): close
 * the old ones with their connections and open the new ones, logging what
 * fails. Other agent.http keys apply to the next request without this. */
void http_restart(struct agent *a);
