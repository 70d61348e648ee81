/* SPDX-License-Identifier: MIT */
/* One request and its reply line on the agent's socket, all within a
 * deadline, without blocking, signals or shared state (the NSS module runs
 * inside programs that know nothing of lanyard). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
int64_t nss_now_ns(void);

/* Connect to the Unix socket PATH, send REQ (LEN bytes) and read one
 * reply line into BUF of SIZE bytes (NUL-terminated, the newline removed,
 * its length in *RET_LEN), giving up at DEADLINE_NS (nss_now_ns() time).
 * Never blocks past the deadline, raises no SIGPIPE, leaks no descriptor
 * (CLOEXEC, closed on return). Returns 0; -ETIMEDOUT; -EMSGSIZE when
 * the line and its newline do not fit in SIZE - 1 bytes; -EPROTO when the
 * agent closes before a whole line; -ENAMETOOLONG for PATH; or the -errno
 * of socket(), connect() (-ENOENT, -ECONNREFUSED, -EAGAIN for a full
 * backlog), send() or recv(). */
int nss_agent_exchange(const char *path, const char *req, size_t len, int64_t deadline_ns,
                       char *buf, size_t size, size_t *ret_len);
