/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the connection's line framing (agent/conn.c): an
 * arbitrary byte stream, cut into arbitrary writes (partial lines,
 * pipelined requests, CR LF, blank and over-long lines), reaches a real
 * connection over a socketpair; requests are answered at once, held and
 * released later, or fill the output budget. Never a crash or a leak, and
 * everything the connection writes is whole lines of JSON objects. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/conn.h"
#include "tests/fuzz/fuzz.h"
#include "wire/response.h"

struct fz {
	struct conn_env env;
	struct conn *held; /* a connection whose reply is held */
	struct conn *conn; /* the connection, once it made a request */
	char out[1 << 16];
	size_t out_len;
	size_t lines;
};

static void on_destroy(void *data)
{
	(void)data;
}

static void on_cancel(void *data)
{
	struct fz *f = data;

	f->held = NULL;
}

/* Answer by what the request names: "hold" defers, "big" asks for more
 * than the output budget, "watch" attaches and sends an event. */
static void handler(void *userdata, struct conn *c, const struct wire_request *req)
{
	struct fz *f = userdata;
	const char *svc = req->filter.service ? req->filter.service : "";
	json_t *ev;

	f->conn = c;
	if (req->op == WIRE_OP_RESOLVE && strcmp(svc, "hold") == 0 && !f->held &&
	    conn_hold(c, req, on_cancel, f) == 0) {
		f->held = c;
		return;
	}
	if (req->op == WIRE_OP_LIST && strcmp(svc, "big") == 0) {
		size_t n = f->env.limits.max_output + 16;
		char *pad = malloc(n + 1);

		CHECK(pad);
		memset(pad, 'x', n);
		pad[n] = '\0';
		conn_reply_ok(c, req, json_pack("{s:s}", "pad", pad));
		free(pad);
		return;
	}
	if (req->op == WIRE_OP_WATCH) {
		uint64_t id = conn_watch_add(c, f, on_destroy);

		conn_reply_ok(c, req, json_pack("{s:I}", "watch", (json_int_t)id));
		ev = wire_event_new(WIRE_EVENT_SNAPSHOT_END, id, NULL);
		if (ev)
			conn_send_json(c, ev);
		json_decref(ev);
		return;
	}
	if (req->op == WIRE_OP_UNWATCH) {
		if (conn_watch_remove(c, req->watch) < 0)
			conn_reply_error(c, req, WIRE_NOT_FOUND, "no watch");
		else
			conn_reply_ok(c, req, NULL);
		return;
	}
	conn_reply_ok(c, req, json_pack("{s:s}", "service", svc));
}

/* The output accounting is exact: what the connection has not written is
 * what the server counts, and nothing once it is closed. */
static void check_accounting(const struct fz *f)
{
	const struct server_stats *st = &f->env.stats;

	if (st->conns_current == 0) {
		CHECK(st->output_bytes == 0 && f->env.n_users == 0);
	} else {
		CHECK(f->env.n_users == 1);
		if (f->conn)
			CHECK(st->output_bytes == conn_pending_output(f->conn));
	}
}

/* Read what the connection wrote; every complete line must be a JSON object. */
static void drain(struct fz *f, int fd)
{
	for (;;) {
		ssize_t n = read(fd, f->out + f->out_len, sizeof(f->out) - f->out_len);
		char *nl;

		if (n <= 0)
			return;
		f->out_len += (size_t)n;
		while ((nl = memchr(f->out, '\n', f->out_len))) {
			size_t len = (size_t)(nl - f->out);
			json_t *j = json_loadb(f->out, len, 0, NULL);

			CHECK(j && json_is_object(j));
			json_decref(j);
			f->lines++;
			memmove(f->out, nl + 1, f->out_len - len - 1);
			f->out_len -= len + 1;
		}
		/* A single line longer than the buffer: the budget is 64 KiB. */
		CHECK(f->out_len < sizeof(f->out));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ucred cred = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
	int sv[2];
	size_t off = 0;

	CHECK(loop);
	memset(&f, 0, sizeof(f));
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	conn_env_init(&f.env, loop);
	f.env.limits = (struct server_limits){
	        .max_line = 512,
	        .max_output = 8192,
	        .max_output_total = 16384,
	        .max_conns = 4,
	        .max_conns_per_user = 4,
	        .idle_timeout = 0,
	};
	f.env.handler = handler;
	f.env.userdata = &f;
	CHECK(conn_new(&f.env, sv[0], &cred) == 0);
	/* The first byte of each chunk says how many follow (0: release a hold). */
	while (off < size) {
		size_t n = data[off++] % 64;

		if (n == 0) {
			if (f.held)
				conn_release_ok(f.held, NULL);
			f.held = NULL;
		}
		if (n > size - off)
			n = size - off;
		if (n && send(sv[1], data + off, n, MSG_NOSIGNAL) < 0)
			CHECK(errno == EAGAIN || errno == EPIPE || errno == ECONNRESET);
		off += n;
		ev_run(loop, EVRUN_NOWAIT);
		check_accounting(&f);
		drain(&f, sv[1]);
	}
	if (f.held)
		conn_release_ok(f.held, NULL);
	shutdown(sv[1], SHUT_WR);
	for (int i = 0; i < 8; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		check_accounting(&f);
		drain(&f, sv[1]);
	}
	conn_env_fini(&f.env);
	close(sv[1]);
	ev_loop_destroy(loop);
	return 0;
}
