/* SPDX-License-Identifier: MIT */
/* One DNS exchange with a server on a libev loop: the message over UDP
 * (sent again after a second of silence, three times in all), then over
 * TCP when the answer is truncated; never blocks. And a bounded blocking
 * variant for shutdown. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ev_loop;
struct wide_xfer;

/* Longest answer read. */
#define WIDE_ANSWER_MAX 65535

/* An answer came (ANSWER, LEN bytes, valid during the call: ACCEPT it to
 * end the exchange), or the exchange failed (ERR a negative errno:
 * -ETIMEDOUT, -ECONNREFUSED...; ANSWER NULL). */
struct wide_xfer_ops {
	/* Whether ANSWER is the one awaited (then the exchange ends, or goes
	 * on over TCP when it says TRUNCATED: over TCP that ends it too);
	 * anything else is ignored. */
	int (*accept)(void *ud, const uint8_t *answer, size_t len);
	/* The end: ERR 0 with the accepted answer, or a negative errno. The
	 * callback may free the exchange. */
	void (*done)(void *ud, int err, const uint8_t *answer, size_t len);
};

/* accept() returns one of these. MORE (over TCP only): the answer goes on
 * in further messages (a zone transfer); each is passed to accept(), and
 * the last one it takes as ANSWER goes to done(). */
enum { WIDE_XFER_IGNORE = 0, WIDE_XFER_ANSWER = 1, WIDE_XFER_TRUNCATED = 2, WIDE_XFER_MORE = 3 };

/* Start sending MSG (LEN bytes, copied) to SERVER. Returns 0 with the
 * exchange in *RET (free with wide_xfer_free()), or a negative errno. */
int wide_xfer_start(struct ev_loop *loop, const struct sockaddr *server, socklen_t server_len,
                    const uint8_t *msg, size_t len, const struct wide_xfer_ops *ops, void *ud,
                    struct wide_xfer **ret);

/* The same over TCP from the start (zone transfers, RFC 5936 §4.2), each
 * message of the answer within 5 s of the one before, the whole answer
 * within 120 s; one message per loop iteration. */
int wide_xfer_start_tcp(struct ev_loop *loop, const struct sockaddr *server, socklen_t server_len,
                        const uint8_t *msg, size_t len, const struct wide_xfer_ops *ops, void *ud,
                        struct wide_xfer **ret);

/* Stop the exchange and free it; no callback runs. NULL is fine. */
void wide_xfer_free(struct wide_xfer *x);

/* Send MSG over UDP and wait, blocking, at most TIMEOUT_S seconds for an
 * answer OPS->accept() takes (only accept is used). Returns 0 or a
 * negative errno. For shutdown only. */
int wide_xfer_sync(const struct sockaddr *server, socklen_t server_len, const uint8_t *msg,
                   size_t len, double timeout_s, const struct wide_xfer_ops *ops, void *ud);
