/* SPDX-License-Identifier: MIT */
/* liblanyard internals shared by its source files: the handle, the
 * request/response exchange, and wire <-> public struct conversion. */
#pragma once

#include <pthread.h>

#include "client/lanyard.h"
#include "wire/request.h"
#include "wire/response.h"

#define LANYARD_MAX_QUEUED_EVENTS 100000

struct queued_line {
	struct queued_line *next;
	size_t len;
	char line[]; /* NUL-terminated */
};

struct lanyard {
	pthread_mutex_t lock;
	char *path;
	int fd;           /* -1 while disconnected */
	bool ever_used;   /* the connection has carried a request */
	bool lost;        /* the connection dropped while watches existed */
	size_t n_watches; /* watches started on the current connection */
	int timeout_ms;
	uint64_t next_id;
	char *rbuf;                       /* bytes read; rbuf[rstart..rlen) not yet returned */
	size_t rstart, rscan, rlen, rcap; /* rbuf[rstart..rscan) holds no newline */
	struct queued_line *events, **events_tail; /* event lines read during calls */
	size_t n_events;
	char *last_line;
	char err[WIRE_MSG_MAX];
};

/* Record a printf-formatted message on H and return CODE. */
int client_fail(struct lanyard *h, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Send REQ (its id is assigned here) and wait for its response, queueing
 * events met on the way. With H locked. Returns 0 with *ret filled (ok or
 * not: an error response has already been turned into the return value,
 * so 0 means ok), or a negative LANYARD_E_* code. */
int client_call(struct lanyard *h, struct wire_request *req, struct wire_message *ret);

/* Read one line from the daemon within TIMEOUT_MS into a malloc'd buffer.
 * With H locked. Returns 0, LANYARD_E_TIMEOUT or LANYARD_E_IO. */
int client_read_line(struct lanyard *h, int timeout_ms, char **ret, size_t *ret_len);

/* Convert a filter from the public API into REQ->filter. */
int client_fill_filter(struct lanyard *h, const struct lanyard_filter *f, struct wire_request *req);

/* Parse an instance object into a public instance. */
int client_instance_from_json(struct lanyard *h, const json_t *o, struct lanyard_instance **ret);

/* lanyard_resolve() and lanyard_report() with H already locked. */
int client_resolve_unlocked(struct lanyard *h, const struct lanyard_filter *f, const char *policy,
                            const char *key, unsigned flags, struct lanyard_instance **ret);
int client_report_unlocked(struct lanyard *h, const char *service, const char *instance, bool ok,
                           double latency_ms);

/* Map a wire error code to LANYARD_E_*. */
int client_code_from_wire(enum wire_code code);
