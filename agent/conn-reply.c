/* SPDX-License-Identifier: MIT */
/* The output side of a connection: lines queued under the output budgets,
 * replies in request order, deferred (held) replies. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/conn-private.h"
#include "agent/conn.h"
#include "wire/response.h"

/* Drop what was appended to C's output after START pending bytes. */
static void out_truncate(struct conn *c, size_t start)
{
	c->env->stats.output_bytes -= conn_pending(c) - start;
	c->out_len = c->out_off + start;
}

/* Make room for NEED more bytes at the end of C's output buffer. */
static int out_reserve(struct conn *c, size_t need)
{
	size_t cap;
	char *p;

	if (c->out_cap - c->out_len >= need)
		return 0;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_cap - c->out_len >= need)
			return 0;
	}
	cap = c->out_cap ? c->out_cap * 2 : 4096;
	while (cap - c->out_len < need)
		cap *= 2;
	p = realloc(c->out, cap);
	if (!p)
		return -ENOMEM;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

/* json_dump_callback() sink: append to the output buffer, never past
 * max_output pending bytes (c->overflow says why it failed). */
static int out_append(const char *buf, size_t len, void *data)
{
	struct conn *c = data;

	if (conn_pending(c) + len > c->env->limits.max_output) {
		c->overflow = true;
		return -1;
	}
	if (out_reserve(c, len) < 0)
		return -1;
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	c->env->stats.output_bytes += len;
	return 0;
}

/* Before a line is appended: 0, or the error conn_send_json() returns. */
static int out_begin(struct conn *c)
{
	if (c->state == CONN_DEAD)
		return -EPIPE;
	/* Behind by more than a connection may be, or, past the total, by
	 * more than a busy reader is: the biggest holders go first. */
	if (conn_pending(c) > c->env->limits.max_output ||
	    (c->env->stats.output_bytes > c->env->limits.max_output_total &&
	     conn_pending(c) > OUT_HIGH)) {
		c->env->stats.dropped_slow++;
		conn_close(c);
		return -ENOBUFS;
	}
	c->overflow = false;
	return 0;
}

/* A line that did not fit after START pending bytes: it is dropped. Behind
 * no more than a connection taking requests may be, the line itself was too
 * long (-EMSGSIZE: the caller may answer with an error); further behind,
 * its reader is too slow and is dropped (-ENOBUFS). */
static int out_failed(struct conn *c, size_t start)
{
	out_truncate(c, start);
	if (!c->overflow)
		return -ENOMEM;
	if (start <= OUT_HIGH)
		return -EMSGSIZE;
	c->env->stats.dropped_slow++;
	conn_close(c);
	return -ENOBUFS;
}

int conn_send_json(struct conn *c, const json_t *msg)
{
	size_t start;
	int r = out_begin(c);

	if (r < 0)
		return r;
	/* Serialise straight into the buffer, once (not measure, then copy). */
	start = conn_pending(c); /* out_reserve() may move the pending bytes */
	if (json_dump_callback(msg, out_append, c, WIRE_DUMP_FLAGS) < 0 ||
	    out_append("\n", 1, c) < 0)
		return out_failed(c, start); /* the partial line is dropped */
	conn_schedule(c);
	return 0;
}

int conn_send_text(struct conn *c, const struct iovec *parts, size_t n)
{
	size_t start;
	int r = out_begin(c);

	if (r < 0)
		return r;
	start = conn_pending(c);
	for (size_t i = 0; i < n; i++)
		if (out_append(parts[i].iov_base, parts[i].iov_len, c) < 0)
			return out_failed(c, start);
	if (out_append("\n", 1, c) < 0)
		return out_failed(c, start);
	conn_schedule(c);
	return 0;
}

/* {"id":ID,"ok":true,PARTS}: what wire_response_ok(ID, body) prints. */
static int send_ok_text(struct conn *c, const json_t *id, const struct iovec *parts, size_t n)
{
	size_t start, total = 0;
	int r = out_begin(c);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		total += parts[i].iov_len;
	start = conn_pending(c);
	if (out_append("{", 1, c) < 0 ||
	    (id && (out_append("\"id\":", 5, c) < 0 ||
	            json_dump_callback(id, out_append, c, WIRE_DUMP_FLAGS | JSON_ENCODE_ANY) < 0 ||
	            out_append(",", 1, c) < 0)) ||
	    out_append("\"ok\":true", 9, c) < 0 || (total && out_append(",", 1, c) < 0))
		goto oom;
	for (size_t i = 0; i < n; i++)
		if (out_append(parts[i].iov_base, parts[i].iov_len, c) < 0)
			goto oom;
	if (out_append("}\n", 2, c) < 0)
		goto oom;
	conn_schedule(c);
	return 0;
oom:
	return out_failed(c, start);
}

int conn_send_error(struct conn *c, const json_t *id, enum wire_code code, const char *msg)
{
	json_t *m = wire_response_error(id, code, msg);
	int r;

	c->env->stats.errors++;
	if (!m)
		return -ENOMEM;
	r = conn_send_json(c, m);
	json_decref(m);
	return r;
}

/* Before a reply: an error instead of it when all connections' pending
 * output is past max_output_total (1), else 0. */
static int over_total(struct conn *c, const json_t *id)
{
	struct conn_env *env = c->env;

	if (env->stats.output_bytes <= env->limits.max_output_total)
		return 0;
	env->stats.output_busy++;
	conn_send_error(c, id, WIRE_BUSY,
	                "the agent's output buffers are full (agent.limits.output_total); retry");
	return 1;
}

/* After a reply that did not fit (R from the send): the error to send. */
static int too_long(struct conn *c, const json_t *id, int r)
{
	char msg[WIRE_MSG_MAX];

	if (r != -EMSGSIZE)
		return r;
	c->env->stats.too_long++;
	snprintf(msg, sizeof(msg),
	         "the reply would be longer than %zu bytes (agent.limits.output_per_connection): "
	         "narrow the request with filters",
	         c->env->limits.max_output);
	return conn_send_error(c, id, WIRE_TOO_LARGE, msg);
}

static int send_ok(struct conn *c, const json_t *id, json_t *body)
{
	json_t *m;
	int r;

	if (over_total(c, id)) {
		json_decref(body);
		return 0;
	}
	m = wire_response_ok(id, body);
	if (!m)
		return conn_send_error(c, id, WIRE_INTERNAL, "cannot build the response");
	r = conn_send_json(c, m);
	json_decref(m);
	return too_long(c, id, r);
}

int conn_reply_ok(struct conn *c, const struct wire_request *req, json_t *body)
{
	if (!req || req != c->cur || c->cur_answered) {
		json_decref(body);
		return -EALREADY;
	}
	c->cur_answered = true;
	return send_ok(c, req->id, body);
}

int conn_reply_ok_text(struct conn *c, const struct wire_request *req, const struct iovec *parts,
                       size_t n)
{
	if (!req || req != c->cur || c->cur_answered)
		return -EALREADY;
	c->cur_answered = true;
	if (over_total(c, req->id))
		return 0;
	return too_long(c, req->id, send_ok_text(c, req->id, parts, n));
}

int conn_reply_error(struct conn *c, const struct wire_request *req, enum wire_code code,
                     const char *fmt, ...)
{
	char msg[WIRE_MSG_MAX];
	va_list ap;

	if (!req || req != c->cur || c->cur_answered)
		return -EALREADY;
	c->cur_answered = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return conn_send_error(c, req->id, code, msg);
}

int conn_hold(struct conn *c, const struct wire_request *req, void (*cancel)(void *data),
              void *data)
{
	if (!req || req != c->cur || c->cur_answered || c->held)
		return -EALREADY;
	c->cur_answered = true;
	c->held = true;
	c->held_id = req->id ? json_incref(req->id) : NULL;
	c->hold_cancel = cancel;
	c->hold_data = data;
	return 0;
}

/* Forget the held request and arrange for pipelined input to resume. */
static json_t *unhold(struct conn *c)
{
	json_t *id = c->held_id;

	c->held = false;
	c->held_id = NULL;
	c->hold_cancel = NULL;
	c->hold_data = NULL;
	c->resume = true;
	conn_schedule(c);
	return id;
}

int conn_release_ok(struct conn *c, json_t *body)
{
	json_t *id;
	int r;

	if (!c->held) {
		json_decref(body);
		return -EALREADY;
	}
	id = unhold(c);
	r = send_ok(c, id, body);
	json_decref(id);
	return r;
}

int conn_release_ok_text(struct conn *c, const struct iovec *parts, size_t n)
{
	json_t *id;
	int r;

	if (!c->held)
		return -EALREADY;
	id = unhold(c);
	r = over_total(c, id) ? 0 : too_long(c, id, send_ok_text(c, id, parts, n));
	json_decref(id);
	return r;
}

int conn_release_error(struct conn *c, enum wire_code code, const char *fmt, ...)
{
	char msg[WIRE_MSG_MAX];
	json_t *id;
	va_list ap;
	int r;

	if (!c->held)
		return -EALREADY;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	id = unhold(c);
	r = conn_send_error(c, id, code, msg);
	json_decref(id);
	return r;
}
