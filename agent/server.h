/* SPDX-License-Identifier: MIT */
/* The consumer socket: a Unix SOCK_STREAM listener on a libev loop that
 * parses request lines with wire/ and hands them to one handler. */
#pragma once

#include <sys/types.h>

#include "agent/conn.h"

struct server;

/* Fill L with the defaults: 64 KiB lines, 4 MiB pending output per
 * connection and 64 MiB in all, 1024 connections and 128 per user, 300 s
 * idle timeout. */
void server_limits_default(struct server_limits *l);

/* Take LIMITS for what comes next (a reload): connections and output
 * already held stay; max_line keeps its value. */
void server_set_limits(struct server *s, const struct server_limits *limits);

/* Listen on PATH (at most sizeof(sun_path) - 1 bytes). PATH's directory is
 * made (0755) if missing, and refused if it is not a directory (-ENOTDIR),
 * belongs to another user than root or ours, or is writable by others
 * (-EPERM). The socket gets MODE (e.g. 0660) from the umask at bind and, if
 * GROUP is not NULL, that group (name or number), both before listen(). A
 * stale socket file (nobody accepting) is replaced; a live one is left
 * alone (-EADDRINUSE); any other existing file is refused (-EEXIST). LIMITS may be NULL for the
 * defaults. HANDLER is called with USERDATA for every valid request. Returns 0 and the server in
 * *ret, or a negative errno with a message in ERR. */
int server_new(struct ev_loop *loop, const char *path, mode_t mode, const char *group,
               const struct server_limits *limits, server_handler_fn handler, void *userdata,
               struct server **ret, char *err, size_t errlen);

/* Close every connection (running their destructors), stop listening and
 * remove the socket file if it is still the one this server created. Not to
 * be called from inside the handler. NULL is fine. */
void server_free(struct server *s);

/* Serve FD, one end of a socketpair made by lanyardd (the HTTP bridge), as
 * a connection of the user in CRED, under the limits accepted connections
 * get (conn_new_local()). Past them, FD receives the "busy" line a refused
 * client gets and is closed: -EBUSY. Returns 0 and, if RET_ID is not NULL,
 * the connection's conn_id() in *RET_ID (for server_close_conn()), or
 * -EBUSY or -ENOMEM; FD is the server's in every case. */
int server_adopt(struct server *s, int fd, const struct ucred *cred, uint64_t *ret_id);

/* Close the connection whose conn_id() is ID now, if it is still open: its
 * slot in the limits is free on return (its destructors run before the
 * next poll). Not to be called from inside the handler. */
void server_close_conn(struct server *s, uint64_t id);

/* Copy the counters. */
void server_get_stats(const struct server *s, struct server_stats *ret);

/* The counters as the "server" member of the status response
 * (docs/protocol.md): {"connections","connections_total","requests",
 * "errors","dropped_slow","rejected_busy","timed_out","too_large"}.
 * A new reference, or NULL on OOM. */
json_t *server_stats_to_json(const struct server_stats *st);

/* The path the server listens on. */
const char *server_path(const struct server *s);
