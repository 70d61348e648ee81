/* SPDX-License-Identifier: MIT */
/* The connection's state, shared by its input and lifecycle side (conn.c)
 * and its output side (conn-reply.c); nothing else includes this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/conn.h"

/* Above this much unsent output a connection takes no further request
 * until the reader catches up: a client that pipelines many large requests
 * is slowed to its own reading pace instead of being dropped as slow. */
#define OUT_HIGH (256 * 1024)

enum conn_state {
	CONN_OPEN,
	CONN_DRAINING, /* no more input: close once output is written and no reply is held */
	CONN_DEAD,     /* fd closed; freed before the next poll */
};

struct conn_watch {
	struct conn_watch *next;
	enum conn_att kind;
	uint64_t id;
	void *data;
	void (*destroy)(void *data);
};

/* Connections of one uid (conn_env's users). */
struct conn_user {
	uid_t uid;
	unsigned n;
};

struct conn {
	struct conn_env *env;
	struct ucred cred;        /* the peer, as it was at connect() */
	struct conn *prev, *next; /* env->all */
	struct conn *pending_next;
	bool pending; /* on env->pending */
	enum conn_state state;
	int fd;
	uint64_t id;
	ev_io rio, wio;
	ev_timer idle;
	double last_activity;   /* clock_mono() */
	unsigned activity_iter; /* ev_iteration() when last_activity was set */
	double arrived;         /* clock_mono() of the last read that brought bytes */
	bool read_eof;
	bool peer_gone; /* hung up both ways: held replies cannot be delivered */
	bool synthetic; /* conn_new_local(): the peer is lanyardd itself */

	char *in;
	size_t in_len, in_cap;
	size_t in_scanned; /* in[0..in_scanned) holds no newline of the current line */

	char *out;
	size_t out_off, out_len, out_cap;
	bool overflow; /* the line being appended passed max_output */

	const struct wire_request *cur; /* request being handled */
	bool cur_answered;
	bool held;   /* a deferred reply is outstanding */
	bool resume; /* process buffered input before the next poll */
	bool paused; /* not taking requests until its output drains */
	json_t *held_id;
	void (*hold_cancel)(void *data);
	void *hold_data;

	struct conn_watch *watches;
	size_t n_att[_CONN_ATT_MAX]; /* attachments by kind */
	uint64_t next_watch;
};

/* Pending output bytes of C. */
static inline size_t conn_pending(const struct conn *c)
{
	return c->out_len - c->out_off;
}

/* Put C on its server's list to flush, resume or free before the next poll. */
void conn_schedule(struct conn *c);

/* Queue an error line for ID (counted in the server's errors). Returns as
 * conn_send_json(). */
int conn_send_error(struct conn *c, const json_t *id, enum wire_code code, const char *msg);
