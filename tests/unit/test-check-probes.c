/* SPDX-License-Identifier: MIT */
/* Unit tests of the tcp and http health check probes (agent/check-{tcp,http}.c) against real
 * listeners and an HTTP server on 127.0.0.1: results, kept output, timeouts, cancelling, and a
 * name lookup that hangs. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/check-http.h"
#include "agent/check-tcp.h"
#include "tests/unit/check-util.h"
#include "tests/unit/tap.h"

/* --- tcp ------------------------------------------------------------------- */

/* A TCP socket listening on 127.0.0.1:*PORT (0: any, set on return) with
 * BACKLOG. */
static int listener(uint16_t *port, int backlog)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(*port)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		perror("listener");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* One tcp probe to PORT with TIMEOUT; its result in *RES. */
static void tcp_run(uint16_t port, double timeout, struct result *res)
{
	struct sockaddr_in a = loopback(port);
	struct check_tcp *p = NULL;

	*res = (struct result){0};
	if (!CHECK_INT_EQ(check_tcp_start(loop, (struct sockaddr *)&a, sizeof(a), timeout, on_done,
	                                  res, &p),
	                  0))
		return;
	/* Never from within start: the result comes from the loop. */
	CHECK_INT_EQ(res->calls, 0);
	CHECK(run_until(result_in, res, DEADLINE_S));
	CHECK_INT_EQ(res->calls, 1);
	check_tcp_free(p);
}

static void test_tcp(void)
{
	struct result res;
	uint16_t port = 0;
	int fd = listener(&port, 16), filler;
	struct check_tcp *p = NULL;
	struct sockaddr_in a;

	/* A listener: passes. */
	tcp_run(port, 1.0, &res);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_STR_EQ(res.out, "connected");
	tcp_run(port, 1.0, &res);
	CHECK_INT_EQ(res.r, CHECK_PASS);

	/* The listener stops: refused, and the reason is kept. */
	close(fd);
	tcp_run(port, 1.0, &res);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "connect: Connection refused");

	/* It comes back on the same port: passes again. */
	fd = listener(&port, 0);
	tcp_run(port, 1.0, &res);
	CHECK_INT_EQ(res.r, CHECK_PASS);

	/* A listener whose accept queue is full drops new SYNs: the connect
	 * hangs until the probe's own timeout. (The connection made just
	 * above, never accepted, fills the queue of this backlog-0
	 * listener; one more, not waited for, makes sure.) */
	filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	a = loopback(port);
	connect(filler, (struct sockaddr *)&a, sizeof(a));
	tcp_run(port, 0.3, &res);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "connect: timed out after 300 ms");

	/* Cancelled while it runs: DONE never comes. */
	res = (struct result){0};
	CHECK_INT_EQ(
	        check_tcp_start(loop, (struct sockaddr *)&a, sizeof(a), 0.2, on_done, &res, &p), 0);
	check_tcp_free(p);
	run_for(0.4);
	CHECK_INT_EQ(res.calls, 0);
	check_tcp_free(NULL);
	close(filler);
	close(fd);
}

/* --- http ----------------------------------------------------------------- */

/* A small HTTP/1.1 server on its own thread: /ok 200, /empty 204, /fail
 * 500, /redirect 302 to /ok, /big 200 with a 20000-byte body, /hang never
 * answers. */
struct http_server {
	int fd;
	uint16_t port;
	pthread_t thread;
	int hung[32];
	int n_hung;
	char paths[64][32]; /* the paths asked for, in order */
	int n_paths;
	pthread_mutex_t lock;
};

static void send_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the client may stop reading */
		s += n;
		len -= (size_t)n;
	}
}

static void http_answer(struct http_server *s, int c, const char *path)
{
	char head[256];
	char *body = NULL;
	int n;

	if (strcmp(path, "/hang") == 0) {
		pthread_mutex_lock(&s->lock);
		if (s->n_hung < 32)
			s->hung[s->n_hung++] = c;
		else
			close(c);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	if (strcmp(path, "/ok") == 0) {
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		             "Connection: close\r\n\r\nfine\n");
	} else if (strcmp(path, "/empty") == 0) {
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 204 No Content\r\n"
		             "Connection: close\r\n\r\n");
	} else if (strcmp(path, "/fail") == 0) {
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 500 Internal Server Error\r\n"
		             "Content-Length: 7\r\nConnection: close\r\n\r\n"
		             "broken\n");
	} else if (strcmp(path, "/redirect") == 0) {
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%u/ok\r\n"
		             "Content-Length: 0\r\nConnection: close\r\n\r\n",
		             s->port);
	} else if (strcmp(path, "/big") == 0) {
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n"
		             "Connection: close\r\n\r\n");
		body = malloc(20000);
		if (body)
			memset(body, 'y', 20000);
	} else {
		n = snprintf(head, sizeof(head),
		             "HTTP/1.1 404 Not Found\r\n"
		             "Content-Length: 0\r\nConnection: close\r\n\r\n");
	}
	send_all(c, head, (size_t)n);
	if (body)
		send_all(c, body, 20000);
	free(body);
	close(c);
}

static void *http_serve(void *arg)
{
	struct http_server *s = arg;

	for (;;) {
		char req[4096], path[32] = "";
		size_t len = 0;
		struct timeval tv = {.tv_sec = 5};
		int c = accept(s->fd, NULL, NULL);

		if (c < 0 && errno == EINTR)
			continue;
		if (c < 0)
			break; /* shut down */
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		while (len < sizeof(req) - 1) {
			ssize_t n = recv(c, req + len, sizeof(req) - 1 - len, 0);

			if (n <= 0)
				break;
			len += (size_t)n;
			req[len] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[len] = '\0';
		if (sscanf(req, "GET %31s HTTP/1.", path) != 1) {
			close(c);
			continue;
		}
		pthread_mutex_lock(&s->lock);
		if (s->n_paths < 64)
			snprintf(s->paths[s->n_paths++], sizeof(s->paths[0]), "%s", path);
		pthread_mutex_unlock(&s->lock);
		http_answer(s, c, path);
	}
	return NULL;
}

static void http_server_start(struct http_server *s)
{
	*s = (struct http_server){.port = 0};
	pthread_mutex_init(&s->lock, NULL);
	s->fd = listener(&s->port, 64);
	if (pthread_create(&s->thread, NULL, http_serve, s) != 0) {
		perror("pthread_create");
		exit(1);
	}
}

static void http_server_stop(struct http_server *s)
{
	/* A blocked accept() returns once its socket is shut down. */
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->fd);
	for (int i = 0; i < s->n_hung; i++)
		close(s->hung[i]);
	pthread_mutex_destroy(&s->lock);
}

/* How many times the server was asked for PATH. */
static int http_asked(struct http_server *s, const char *path)
{
	int n = 0;

	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < s->n_paths; i++)
		n += strcmp(s->paths[i], path) == 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* One http probe of PATH on PORT with TIMEOUT; its result in *RES. */
static void http_run(struct check_http_ctx *ctx, uint16_t port, const char *path, double timeout,
                     struct result *res)
{
	struct check_http *p = NULL;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	*res = (struct result){0};
	if (!CHECK_INT_EQ(check_http_start(ctx, url, false, timeout, on_done, res, &p), 0))
		return;
	CHECK_INT_EQ(res->calls, 0);
	CHECK_MSG(run_until(result_in, res, DEADLINE_S), "no result for %s", url);
	CHECK_INT_EQ(res->calls, 1);
	check_http_free(p);
}

static void test_http(void)
{
	struct check_http_ctx *ctx = check_http_ctx_new(loop);
	struct http_server srv;
	struct check_http *p = NULL, *q = NULL;
	struct result res, res2;
	char url[128];
	uint16_t port;

	if (!CHECK(ctx))
		return;
	http_server_start(&srv);
	port = srv.port;

	/* 2xx passes; the output is the status and the start of the body. */
	http_run(ctx, port, "/ok", 2.0, &res);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_STR_EQ(res.out, "HTTP 200\nfine\n");
	http_run(ctx, port, "/empty", 2.0, &res);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_STR_EQ(res.out, "HTTP 204");

	/* Anything else fails. */
	http_run(ctx, port, "/fail", 2.0, &res);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "HTTP 500\nbroken\n");
	http_run(ctx, port, "/nothing-here", 2.0, &res);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "HTTP 404");

	/* A redirect is not followed: it fails, and /ok is not asked for. */
	{
		int before = http_asked(&srv, "/ok");

		http_run(ctx, port, "/redirect", 2.0, &res);
		CHECK_INT_EQ(res.r, CHECK_FAIL);
		CHECK_STR_EQ(res.out, "HTTP 302");
		CHECK_INT_EQ(http_asked(&srv, "/redirect"), 1);
		CHECK_INT_EQ(http_asked(&srv, "/ok"), before);
	}

	/* A large body: the first CHECK_OUTPUT_MAX bytes are kept, the
	 * transfer stops there and the check still passes. */
	http_run(ctx, port, "/big", 2.0, &res);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_INT_EQ(res.len, strlen("HTTP 200\n") + CHECK_OUTPUT_MAX);
	CHECK(strncmp(res.out, "HTTP 200\nyyyy", 13) == 0);
	CHECK(res.out[res.len - 1] == 'y');

	/* A server that never answers: the probe's timeout fails it. */
	http_run(ctx, port, "/hang", 0.3, &res);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_MSG(strstr(res.out, "timed out") != NULL, "hang: \"%s\"", res.out);

	/* Two at once on one context, one hanging and one answered. */
	res = (struct result){0};
	res2 = (struct result){0};
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hang", port);
	CHECK_INT_EQ(check_http_start(ctx, url, false, 0.5, on_done, &res, &p), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok", port);
	CHECK_INT_EQ(check_http_start(ctx, url, false, 5.0, on_done, &res2, &q), 0);
	CHECK(run_until(result_in, &res2, DEADLINE_S));
	CHECK_INT_EQ(res2.r, CHECK_PASS);
	CHECK_INT_EQ(res.calls, 0);
	CHECK(run_until(result_in, &res, DEADLINE_S));
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	check_http_free(p);
	check_http_free(q);

	/* Cancelled while it runs: DONE never comes. */
	res = (struct result){0};
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hang", port);
	CHECK_INT_EQ(check_http_start(ctx, url, false, 0.2, on_done, &res, &p), 0);
	run_for(0.05);
	check_http_free(p);
	run_for(0.4);
	CHECK_INT_EQ(res.calls, 0);
	check_http_free(NULL);

	/* Only http and https: another scheme fails when it runs (config/
	 * refuses it first). */
	CHECK_INT_EQ(check_http_start(ctx, "gopher://127.0.0.1/", false, 1.0, on_done, &res, &p),
	             0);
	CHECK(run_until(result_in, &res, DEADLINE_S));
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_MSG(strstr(res.out, "gopher") || strstr(res.out, "rotocol"), "gopher: \"%s\"",
	          res.out);
	check_http_free(p);

	/* The server is gone: refused. */
	http_server_stop(&srv);
	http_run(ctx, port, "/ok", 2.0, &res);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK(res.len > 0);

	/* The context goes with a probe still running (its DONE never comes). */
	res = (struct result){0};
	srv.fd = listener(&port, 0); /* accepts, never answers */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", port);
	CHECK_INT_EQ(check_http_start(ctx, url, false, 5.0, on_done, &res, &p), 0);
	run_for(0.05);
	check_http_ctx_free(ctx);
	run_for(0.05);
	CHECK_INT_EQ(res.calls, 0);
	close(srv.fd);
	check_http_ctx_free(NULL);
}

/* The longest time the loop went without running a 10 ms timer. */
struct stall {
	ev_timer timer;
	double last, max_gap;
};

static void on_stall_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	struct stall *st = w->data;
	double now = ev_time();

	if (st->last > 0 && now - st->last > st->max_gap)
		st->max_gap = now - st->last;
	st->last = now;
}

/* Regression: a host name whose lookup hangs. The probe's timeout fails
 * it, and the loop is held neither while the resolver runs nor when the
 * transfer is given up (libcurl waited there for its resolver thread
 * unless told otherwise). The name server is a socket that never answers,
 * seen through a private mount of /etc/resolv.conf in this process only:
 * root and mount namespaces, or the test is skipped. */
static void test_http_slow_dns(void)
{
	static const char conf_text[] = "nameserver 127.0.0.2\noptions timeout:20 attempts:1\n";
	struct sockaddr_in ns_addr = loopback(53);
	char conf[] = "/tmp/lanyard-resolv.XXXXXX";
	struct stall st = {.last = 0};
	struct check_http_ctx *ctx;
	struct check_http *p = NULL;
	struct result res = {0};
	int ns = -1, fd;
	double t0;

	ns_addr.sin_addr.s_addr = htonl(0x7f000002);
	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "# skipped the slow DNS test: needs root and mount namespaces\n");
		return;
	}
	ns = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	fd = mkstemp(conf);
	if (ns < 0 || bind(ns, (struct sockaddr *)&ns_addr, sizeof(ns_addr)) < 0 || fd < 0 ||
	    write(fd, conf_text, sizeof(conf_text) - 1) != (ssize_t)sizeof(conf_text) - 1 ||
	    mount(conf, "/etc/resolv.conf", "none", MS_BIND, NULL) < 0) {
		fprintf(stderr, "# skipped the slow DNS test: %s\n", strerror(errno));
		goto out;
	}
	ctx = check_http_ctx_new(loop);
	if (!CHECK(ctx))
		goto out;
	ev_timer_init(&st.timer, on_stall_tick, 0.01, 0.01);
	st.timer.data = &st;
	ev_timer_start(loop, &st.timer);
	CHECK_INT_EQ(check_http_start(ctx, "http://hang.lanyard-test.example/", false, 0.3, on_done,
	                              &res, &p),
	             0);
	CHECK(run_until(result_in, &res, DEADLINE_S));
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	t0 = ev_time();
	check_http_free(p);
	check_http_ctx_free(ctx);
	on_stall_tick(loop, &st.timer, 0);
	ev_timer_stop(loop, &st.timer);
	/* a resolver waited for would hold it 20 s */
	CHECK_MSG(st.max_gap < 5.0, "the loop was held %.1f s (output \"%s\")", st.max_gap,
	          res.out);
	CHECK_MSG(ev_time() - t0 < 5.0, "freeing the probe took %.1f s", ev_time() - t0);
	umount2("/etc/resolv.conf", MNT_DETACH);
out:
	if (fd >= 0) {
		close(fd);
		unlink(conf);
	}
	if (ns >= 0)
		close(ns);
}

int main(void)
{
	/* as lanyardd does */
	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(0);
	test_tcp();
	test_http();
	/* last: it leaves this process in a mount namespace of its own */
	test_http_slow_dns();
	ev_loop_destroy(loop);
	return test_summary();
}
