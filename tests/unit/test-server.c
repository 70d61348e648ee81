/* SPDX-License-Identifier: MIT */
/* Unit tests of the socket server (agent/server.c, agent/conn.c): a server
 * with a canned handler runs in a forked child; the parent is the clients. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/server.h"
#include "wire/response.h"
#include "tests/unit/server-child.h"
#include "tests/unit/tap.h"

/* ---- the server child ------------------------------------------------ */

struct child {
	struct server *srv;
	struct ev_loop *loop;
	ev_timer release; /* releases a held request */
	struct conn *held;
	unsigned destroyed; /* watch destructors run */
	unsigned cancelled; /* hold cancellations */
};

static void release_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct child *ch = w->data;

	if (ch->held)
		conn_release_ok(ch->held, json_pack("{s:s}", "released", "yes"));
	ch->held = NULL;
}

static void watch_destroy(void *data)
{
	struct child *ch = data;

	ch->destroyed++;
}

static void hold_cancel(void *data)
{
	struct child *ch = data;

	ch->cancelled++;
	ch->held = NULL;
	ev_timer_stop(ch->loop, &ch->release);
}

static json_t *status_body(struct child *ch)
{
	struct server_stats st;
	json_t *j;

	server_get_stats(ch->srv, &st);
	/* The documented form must carry the same numbers. */
	j = server_stats_to_json(&st);
	if (!j || json_integer_value(json_object_get(j, "requests")) != (json_int_t)st.requests ||
	    json_integer_value(json_object_get(j, "connections")) != (json_int_t)st.conns_current ||
	    json_object_size(j) != 12)
		abort();
	json_decref(j);
	return json_pack("{s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i}}", "status", "current",
	                 (json_int_t)st.conns_current, "total", (json_int_t)st.conns_total,
	                 "requests", (json_int_t)st.requests, "errors", (json_int_t)st.errors,
	                 "dropped_slow", (json_int_t)st.dropped_slow, "busy",
	                 (json_int_t)st.rejected_busy, "timed_out", (json_int_t)st.timed_out,
	                 "too_large", (json_int_t)st.too_large, "destroyed", (int)ch->destroyed,
	                 "cancelled", (int)ch->cancelled);
}

static void handler(void *userdata, struct conn *c, const struct wire_request *req)
{
	struct child *ch = userdata;
	const char *svc = req->filter.service;
	uint64_t id;

	switch (req->op) {
	case WIRE_OP_STATUS:
		conn_reply_ok(c, req, status_body(ch));
		return;
	case WIRE_OP_RESOLVE:
		if (strcmp(svc, "hold") == 0) {
			/* Answer 50 ms later; later requests must wait for it. */
			conn_hold(c, req, hold_cancel, ch);
			ch->held = c;
			ev_timer_set(&ch->release, 0.05, 0);
			ev_timer_start(ch->loop, &ch->release);
			return;
		}
		conn_reply_error(c, req, WIRE_NOT_FOUND, "no instance of \"%s\"", svc);
		return;
	case WIRE_OP_LIST:
		if (svc && strcmp(svc, "big") == 0) {
			/* About 64 KiB of output per request. */
			char *pad = malloc(65536);

			memset(pad, 'x', 65535);
			pad[65535] = '\0';
			conn_reply_ok(c, req, json_pack("{s:s}", "pad", pad));
			free(pad);
			return;
		}
		if (svc && strcmp(svc, "raw") == 0) {
			/* 20 KB of pre-serialised array: larger than a fresh buffer. */
			char *raw = malloc(20001);

			raw[0] = '[';
			for (int i = 0; i < 10000; i++)
				memcpy(raw + 1 + 2 * i, "1,", 2);
			raw[20000] = ']'; /* replaces the last comma: [1,1,...,1] */
			struct iovec parts[2] = {{(void *)"\"instances\":", 12}, {raw, 20001}};

			conn_reply_ok_text(c, req, parts, 2);
			free(raw);
			return;
		}
		conn_reply_ok(c, req, json_pack("{s:[]}", "instances"));
		return;
	case WIRE_OP_WATCH:
		id = conn_watch_add(c, ch, watch_destroy);
		conn_reply_ok(c, req, json_pack("{s:I}", "watch", (json_int_t)id));
		if (svc && strcmp(svc, "flood") == 0) {
			/* 200 events of about 64 KiB, pushed at once. */
			char *pad = malloc(65536);
			json_t *ev;

			memset(pad, 'x', 65535);
			pad[65535] = '\0';
			ev = json_pack("{s:s,s:I,s:s}", "event", "changed", "watch", (json_int_t)id,
			               "pad", pad);
			for (int i = 0; i < 200 && conn_send_json(c, ev) == 0; i++)
				;
			json_decref(ev);
			free(pad);
		}
		return;
	case WIRE_OP_UNWATCH:
		if (conn_watch_remove(c, req->watch) < 0)
			conn_reply_error(c, req, WIRE_NOT_FOUND, "no watch %llu",
			                 (unsigned long long)req->watch);
		else
			conn_reply_ok(c, req, NULL);
		return;
	case WIRE_OP_SERVICES:
		return; /* deliberately unanswered: the server must say "internal" */
	default:
		conn_reply_ok(c, req, NULL);
		return;
	}
}

static void child_setup(void *userdata, struct ev_loop *loop, struct server *srv)
{
	struct child *ch = userdata;

	ch->loop = loop;
	ch->srv = srv;
	ev_init(&ch->release, release_cb);
	ch->release.data = ch;
}

static void child_teardown(void *userdata)
{
	struct child *ch = userdata;

	ev_timer_stop(ch->loop, &ch->release);
}

static const struct server_child_ops child_ops = {
        .handler = handler, .setup = child_setup, .teardown = child_teardown};

/* Run a server on PATH in a child; returns its pid once it listens. */
static pid_t start_server(const char *path, const struct server_limits *limits)
{
	struct child ch = {0};

	return server_child_start(path, 0660, limits, &child_ops, &ch);
}

/* ---- client helpers -------------------------------------------------- */

struct client {
	int fd;
	char *buf;
	size_t len, cap;
};

/* How long a client waits for anything the server must do: generous, so
 * that a loaded machine is not mistaken for a broken server. */
#define DEADLINE_S 20

static int connect_fd(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = DEADLINE_S};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static struct client *client_new(const char *path)
{
	struct client *c = calloc(1, sizeof(*c));

	c->fd = connect_fd(path);
	if (c->fd < 0) {
		fprintf(stderr, "connect %s: %s\n", path, strerror(-c->fd));
		exit(1);
	}
	return c;
}

static void client_free(struct client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

static void client_send(struct client *c, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the server may have closed on us */
		s += n;
		len -= (size_t)n;
	}
}

static void sends(struct client *c, const char *s)
{
	client_send(c, s, strlen(s));
}

/* Next line as parsed JSON, or NULL on EOF/timeout. */
static json_t *client_read(struct client *c)
{
	for (;;) {
		char *nl = c->buf ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - c->buf);
			json_t *j = json_loadb(c->buf, l, 0, NULL);

			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return j ? j : json_string("<malformed>");
		}
		if (c->cap - c->len < 65536) {
			c->cap = c->cap * 2 + 65536;
			c->buf = realloc(c->buf, c->cap);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

/* True if the server closed the connection (EOF, or reset) within DEADLINE_S. */
static bool client_closed(struct client *c)
{
	json_t *j;

	while ((j = client_read(c)))
		json_decref(j);
	return errno != EAGAIN && errno != EWOULDBLOCK;
}

static const char *error_code(const json_t *j)
{
	return json_string_value(json_object_get(json_object_get(j, "error"), "code"));
}

static json_int_t status_of(const char *path, const char *key)
{
	struct client *c = client_new(path);
	json_t *j;
	json_int_t v;

	sends(c, "{\"op\":\"status\"}\n");
	j = client_read(c);
	v = json_integer_value(json_object_get(json_object_get(j, "status"), key));
	json_decref(j);
	client_free(c);
	return v;
}

static json_int_t status_field(const json_t *j, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(j, "status"), key));
}

/* Ask for status on C until its KEY is WANT or DEADLINE_S have passed;
 * returns the last status (the caller frees it), NULL if C got no answer. */
static json_t *status_until(struct client *c, const char *key, json_int_t want)
{
	time_t end = time(NULL) + DEADLINE_S;
	struct timespec pause = {.tv_nsec = 10 * 1000000};
	json_t *j;

	for (;;) {
		sends(c, "{\"op\":\"status\"}\n");
		j = client_read(c);
		if (!j || status_field(j, key) == want || time(NULL) >= end)
			return j;
		json_decref(j);
		nanosleep(&pause, NULL);
	}
}

/* Like status_until() on a fresh connection each time (for a server whose
 * other connections are busy); returns the last value of KEY. */
static json_int_t status_of_until(const char *path, const char *key, json_int_t want)
{
	struct client *c = client_new(path);
	json_t *j = status_until(c, key, want);
	json_int_t v = status_field(j, key);

	json_decref(j);
	client_free(c);
	return v;
}

static char dir[64];
static char sock[128];

/* ---- the tests -------------------------------------------------------- */

/* Pipelined requests are answered in order, ids echoed, even when one reply
 * is deferred; garbage costs an error, not the connection. */
static void test_pipeline(void)
{
	pid_t pid = start_server(sock, NULL);
	struct client *c = client_new(sock);
	struct stat st;
	json_t *j;

	CHECK(stat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660);
	sends(c, "{\"op\":\"list\",\"id\":1}\n{\"op\":\"resolve\",\"service\":\"hold\",\"id\":"
	         "\"two\"}\n"
	         "{\"op\":\"resolve\",\"service\":\"nope\",\"id\":3}\n\n   \r\n"
	         "not json\n{\"op\":\"bogus\",\"id\":[5]}\n{\"op\":\"bogus\",\"id\":6}\r\n"
	         "{\"op\":\"services\",\"id\":7}\n{\"op\":\"status\",\"id\":8.5}\n");
	j = client_read(c);
	CHECK(json_integer_value(json_object_get(j, "id")) == 1 &&
	      json_is_true(json_object_get(j, "ok")) &&
	      json_is_array(json_object_get(j, "instances")));
	json_decref(j);
	j = client_read(c);
	CHECK(strcmp(json_string_value(json_object_get(j, "id")), "two") == 0 &&
	      strcmp(json_string_value(json_object_get(j, "released")), "yes") == 0);
	json_decref(j);
	j = client_read(c);
	CHECK(json_integer_value(json_object_get(j, "id")) == 3 &&
	      json_is_false(json_object_get(j, "ok")) && strcmp(error_code(j), "not_found") == 0);
	json_decref(j);
	j = client_read(c); /* "not json": no id to echo */
	CHECK(j && !json_object_get(j, "id") && strcmp(error_code(j), "bad_request") == 0);
	json_decref(j);
	j = client_read(c); /* invalid id: bad_request, no id */
	CHECK(j && !json_object_get(j, "id") && strcmp(error_code(j), "bad_request") == 0);
	json_decref(j);
	j = client_read(c);
	CHECK(json_integer_value(json_object_get(j, "id")) == 6 &&
	      strcmp(error_code(j), "unknown_op") == 0);
	json_decref(j);
	j = client_read(c);
	CHECK(json_integer_value(json_object_get(j, "id")) == 7 &&
	      strcmp(error_code(j), "internal") == 0);
	json_decref(j);
	j = client_read(c);
	CHECK(json_real_value(json_object_get(j, "id")) == 8.5 &&
	      json_is_true(json_object_get(j, "ok")));
	/* Eight request lines (blank ones do not count), five errors. */
	CHECK(json_integer_value(json_object_get(json_object_get(j, "status"), "requests")) == 8);
	CHECK(json_integer_value(json_object_get(json_object_get(j, "status"), "errors")) == 5);
	json_decref(j);

	/* A spliced, pre-serialised reply arrives whole and in order. */
	sends(c,
	      "{\"op\":\"list\",\"service\":\"raw\",\"id\":\"r\"}\n{\"op\":\"list\",\"id\":2}\n");
	j = client_read(c);
	CHECK(j && strcmp(json_string_value(json_object_get(j, "id")), "r") == 0 &&
	      json_array_size(json_object_get(j, "instances")) == 10000);
	json_decref(j);
	j = client_read(c);
	CHECK(j && json_integer_value(json_object_get(j, "id")) == 2);
	json_decref(j);

	/* A last line without newline is answered at EOF, then the server closes. */
	sends(c, "{\"op\":\"list\",\"id\":\"last\"}");
	shutdown(c->fd, SHUT_WR);
	j = client_read(c);
	CHECK(j && strcmp(json_string_value(json_object_get(j, "id")), "last") == 0);
	json_decref(j);
	CHECK(client_closed(c));
	client_free(c);

	/* Closing while a reply is held cancels it. */
	c = client_new(sock);
	sends(c, "{\"op\":\"resolve\",\"service\":\"hold\"}\n");
	client_free(c);
	CHECK(status_of_until(sock, "cancelled", 1) == 1);
	CHECK(server_child_stop(pid) == 0);
	CHECK(access(sock, F_OK) < 0 && errno == ENOENT);
}

/* A line over 64 KiB gets too_large and the connection is closed. */
static void test_too_large(void)
{
	pid_t pid = start_server(sock, NULL);
	struct client *c = client_new(sock), *d;
	size_t n = 1024 * 1024;
	char *big = malloc(n);
	json_t *j;

	memset(big, 'a', n);
	big[n - 1] = '\n';
	client_send(c, big, n);
	j = client_read(c);
	CHECK(j && strcmp(error_code(j), "too_large") == 0);
	json_decref(j);
	CHECK(client_closed(c));
	client_free(c);

	/* Exactly 64 KiB of line is still accepted. */
	d = client_new(sock);
	memset(big, ' ', WIRE_MAX_LINE);
	memcpy(big, "{\"op\":\"list\",\"id\":1}", 20);
	big[WIRE_MAX_LINE] = '\n';
	client_send(d, big, WIRE_MAX_LINE + 1);
	j = client_read(d);
	CHECK(j && json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	client_free(d);
	free(big);
	CHECK(status_of(sock, "too_large") == 1);
	CHECK(server_child_stop(pid) == 0);
}

/* Idle connections are closed, except those with a watch. */
static void test_idle(void)
{
	struct server_limits l;
	struct client *idle, *watcher, *late;
	pid_t pid;
	json_t *j;

	server_limits_default(&l);
	l.idle_timeout = 0.3;
	pid = start_server(sock, &l);
	idle = client_new(sock);
	watcher = client_new(sock);
	sends(watcher, "{\"op\":\"watch\",\"service\":\"x\"}\n");
	j = client_read(watcher);
	CHECK(json_integer_value(json_object_get(j, "watch")) == 1);
	json_decref(j);
	/* LATE connects after the watcher's last request: were the watcher not
	 * exempt, its idle timeout would expire before LATE's. */
	late = client_new(sock);
	CHECK(client_closed(idle));
	CHECK(client_closed(late));
	sends(watcher, "{\"op\":\"status\",\"id\":1}\n");
	j = client_read(watcher);
	CHECK(j &&
	      json_integer_value(json_object_get(json_object_get(j, "status"), "timed_out")) == 2);
	json_decref(j);
	/* Unwatching makes it an ordinary connection again. */
	sends(watcher, "{\"op\":\"unwatch\",\"watch\":1}\n{\"op\":\"unwatch\",\"watch\":1}\n");
	j = client_read(watcher);
	CHECK(j && json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	j = client_read(watcher);
	CHECK(j && strcmp(error_code(j), "not_found") == 0);
	json_decref(j);
	CHECK(client_closed(watcher));
	CHECK(status_of(sock, "destroyed") == 1);
	client_free(idle);
	client_free(late);
	client_free(watcher);
	CHECK(server_child_stop(pid) == 0);
}

/* Beyond max_conns a connection gets "busy" and is closed; the slot frees
 * when a client leaves. Watch destructors run on close. */
static void test_cap(void)
{
	struct server_limits l;
	struct client *c[4], *extra;
	pid_t pid;
	json_t *j;

	server_limits_default(&l);
	l.max_conns = 4;
	pid = start_server(sock, &l);
	for (int i = 0; i < 4; i++) {
		c[i] = client_new(sock);
		sends(c[i], "{\"op\":\"watch\"}\n");
		j = client_read(c[i]);
		CHECK(j && json_is_true(json_object_get(j, "ok")));
		json_decref(j);
	}
	extra = client_new(sock);
	j = client_read(extra);
	CHECK(j && strcmp(error_code(j), "busy") == 0);
	json_decref(j);
	CHECK(client_closed(extra));
	client_free(extra);
	client_free(c[0]);
	j = status_until(c[1], "current", 3);
	CHECK(j && json_integer_value(json_object_get(json_object_get(j, "status"), "busy")) == 1);
	CHECK(j &&
	      json_integer_value(json_object_get(json_object_get(j, "status"), "current")) == 3);
	CHECK(j &&
	      json_integer_value(json_object_get(json_object_get(j, "status"), "destroyed")) == 1);
	json_decref(j);
	extra = client_new(sock);
	sends(extra, "{\"op\":\"list\"}\n");
	j = client_read(extra);
	CHECK(j && json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	client_free(extra);
	for (int i = 1; i < 4; i++)
		client_free(c[i]);
	CHECK(server_child_stop(pid) == 0);
}

/* A client that pipelines many large requests without reading is paused
 * once its unsent output passes a high-water mark (so it stays under the
 * cap: not dropped, memory bounded); others are served meanwhile; when it
 * reads, it gets every reply, in order. */
static void test_pipelining_reader_paused(void)
{
	struct server_limits l;
	struct client *slow, *fast;
	pid_t pid;
	json_t *j;
	json_int_t asked = 0, taken = 0;
	int got = 0;

	server_limits_default(&l);
	l.max_output = 512 * 1024;
	pid = start_server(sock, &l);
	slow = client_new(sock);
	fast = client_new(sock);
	for (int i = 0; i < 200; i++)
		sends(slow, "{\"op\":\"list\",\"service\":\"big\"}\n");
	/* Wait until the server took some of SLOW's requests (the requests
	 * counter passes FAST's own status requests). It dispatches what one
	 * read brings (dozens of these lines) in one go and only writes
	 * between loop iterations, so by then a server that did not pause
	 * would have queued past the cap (9 replies) and dropped SLOW. */
	{
		time_t end = time(NULL) + DEADLINE_S;
		struct timespec pause = {.tv_nsec = 10 * 1000000};

		for (;;) {
			sends(fast, "{\"op\":\"status\"}\n");
			asked++;
			j = client_read(fast);
			taken = status_field(j, "requests") - asked;
			if (!j || taken > 0 || time(NULL) >= end)
				break;
			json_decref(j);
			nanosleep(&pause, NULL);
		}
	}
	CHECK(j && json_is_true(json_object_get(j, "ok")));
	CHECK(taken > 0 && taken < 200); /* paused: it took some, not all */
	CHECK(j && json_integer_value(
	                   json_object_get(json_object_get(j, "status"), "dropped_slow")) == 0);
	json_decref(j);
	while (got < 200 && (j = client_read(slow))) {
		if (!json_is_true(json_object_get(j, "ok")))
			break;
		got++;
		json_decref(j);
	}
	CHECK_INT_EQ(got, 200);
	client_free(slow);
	client_free(fast);
	CHECK(server_child_stop(pid) == 0);
}

/* A watcher that never reads while events pile up is dropped once its
 * output passes the cap; others are served meanwhile. */
static void test_slow_watcher_dropped(void)
{
	struct server_limits l;
	struct client *slow, *fast;
	size_t total = 0;
	pid_t pid;
	json_t *j;

	server_limits_default(&l);
	l.max_output = 512 * 1024;
	pid = start_server(sock, &l);
	slow = client_new(sock);
	fast = client_new(sock);
	sends(slow, "{\"op\":\"watch\",\"service\":\"flood\"}\n");
	j = status_until(fast, "dropped_slow", 1);
	CHECK(j && json_integer_value(
	                   json_object_get(json_object_get(j, "status"), "dropped_slow")) == 1);
	json_decref(j);
	/* What the watcher can still read is far less than the 200 events. */
	for (;;) {
		char buf[65536];
		ssize_t n = recv(slow->fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		total += (size_t)n;
	}
	CHECK(total < 100 * 65536);
	client_free(slow);
	client_free(fast);
	CHECK(server_child_stop(pid) == 0);
}

static int try_server(const char *path, char *err, size_t errlen)
{
	struct ev_loop *loop = ev_loop_new(0);
	struct server *s = NULL;
	int r = server_new(loop, path, 0600, NULL, NULL, handler, NULL, &s, err, errlen);

	server_free(s);
	ev_loop_destroy(loop);
	return r;
}

/* Stale sockets are replaced, live ones and other files are not touched. */
static void test_socket_file(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char err[256], longpath[200];
	struct client *c;
	pid_t pid;
	json_t *j;
	int fd;

	/* A socket file nobody listens on. */
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);
	CHECK(connect_fd(sock) == -ECONNREFUSED);
	pid = start_server(sock, NULL);
	c = client_new(sock);
	sends(c, "{\"op\":\"status\"}\n");
	j = client_read(c);
	CHECK(j && json_is_true(json_object_get(j, "ok")));
	json_decref(j);

	/* A live server is not stolen, and keeps working. */
	CHECK(try_server(sock, err, sizeof(err)) == -EADDRINUSE);
	CHECK(strstr(err, "another process is listening") != NULL);
	sends(c, "{\"op\":\"status\"}\n");
	j = client_read(c);
	CHECK(j && json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	client_free(c);
	c = client_new(sock);
	client_free(c);
	CHECK(server_child_stop(pid) == 0);

	/* A regular file is refused. */
	fd = open(sock, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK(try_server(sock, err, sizeof(err)) == -EEXIST);
	CHECK(access(sock, F_OK) == 0);
	unlink(sock);

	/* Over-long paths are refused. */
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(try_server(longpath, err, sizeof(err)) == -ENAMETOOLONG);
	CHECK(strstr(err, "longer than") != NULL);

	/* A group that does not exist is an error, and leaves no socket behind. */
	{
		struct ev_loop *loop = ev_loop_new(0);
		struct server *s = NULL;
		struct stat st;
		char gid[16];

		CHECK(server_new(loop, sock, 0660, "no-such-group-lanyard", NULL, handler, NULL, &s,
		                 err, sizeof(err)) == -ENOENT);
		CHECK(s == NULL && strstr(err, "no such group") != NULL);
		CHECK(access(sock, F_OK) < 0);
		snprintf(gid, sizeof(gid), "%u", (unsigned)getgid());
		CHECK(server_new(loop, sock, 0640, gid, NULL, handler, NULL, &s, err,
		                 sizeof(err)) == 0);
		CHECK(stat(sock, &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_gid == getgid());
		server_free(s);
		ev_loop_destroy(loop);
	}
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test-server.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/lanyard.sock", dir);
	signal(SIGPIPE, SIG_IGN);

	test_pipeline();
	test_too_large();
	test_idle();
	test_cap();
	test_pipelining_reader_paused();
	test_slow_watcher_dropped();
	test_socket_file();

	unlink(sock);
	rmdir(dir);
	return test_summary();
}
