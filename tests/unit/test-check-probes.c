/* SPDX-License-Identifier: MIT */
/* Unit tests of the health check probes (agent/check-{tcp,http,exec}.c) against real listeners,
 * an HTTP server and programs on 127.0.0.1: results, kept output, timeouts, cancelling, and that
 * an exec check's whole process group is gone afterwards. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/check-exec.h"
#include "agent/check-http.h"
#include "agent/check-tcp.h"
#include "tests/unit/tap.h"

/* How long a probe that must finish may take, however loaded the machine. */
#define DEADLINE_S 20.0

static struct ev_loop *loop;

/* --- one probe's result -------------------------------------------------- */

struct result {
	int calls;
	enum check_result r;
	char out[2 * CHECK_OUTPUT_MAX];
	size_t len;
};

static void on_done(void *userdata, enum check_result r, const char *output, size_t len)
{
	struct result *res = userdata;

	res->calls++;
	res->r = r;
	if (len > sizeof(res->out) - 1)
		len = sizeof(res->out) - 1;
	memcpy(res->out, output, len);
	res->out[len] = '\0';
	res->len = len;
}

static bool result_in(void *arg)
{
	return ((struct result *)arg)->calls > 0;
}

static void on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
}

/* Run the loop until DONE(ARG) is true or MAX_S seconds have passed (polled
 * every 20 ms besides the loop's own events); returns DONE(ARG). */
static bool run_until(bool (*done)(void *), void *arg, double max_s)
{
	ev_timer tick;
	double end = ev_time() + max_s;

	ev_timer_init(&tick, on_tick, 0.02, 0.02);
	ev_timer_start(loop, &tick);
	while (!done(arg) && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
	return done(arg);
}

static bool never(void *arg)
{
	return false;
}

/* Run the loop for about S seconds. */
static void run_for(double s)
{
	run_until(never, NULL, s);
}

/* --- processes ------------------------------------------------------------ */

/* The state letter and process group of PID from /proc; 0 when it is gone. */
static char proc_state(pid_t pid, pid_t *ret_pgrp)
{
	char path[64], buf[512], state;
	const char *p;
	int ppid, pgrp;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %d %d", &state, &ppid, &pgrp) != 3)
		return 0;
	if (ret_pgrp)
		*ret_pgrp = pgrp;
	return state;
}

/* The live (not zombie) members of process group PGID: how many, and up to
 * MAX of their pids into PIDS. */
static int group_members(pid_t pgid, pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)atoi(de->d_name), pgrp = 0;
		char st = pid > 0 ? proc_state(pid, &pgrp) : 0;

		if (st && st != 'Z' && pgrp == pgid) {
			if (n < max)
				pids[n] = pid;
			n++;
		}
	}
	closedir(d);
	return n;
}

/* Dead: no such process, or a zombie (killed, not reaped yet). */
static bool pid_dead(pid_t pid)
{
	char st = proc_state(pid, NULL);

	return st == 0 || st == 'Z';
}

/* Every pid seen in a process group while an exec probe ran. */
struct group_watch {
	pid_t pgid;
	pid_t seen[16];
	int n;
	struct result *res;
};

static bool watch_group(void *arg)
{
	struct group_watch *g = arg;
	pid_t now[16];
	int n = group_members(g->pgid, now, 16);

	for (int i = 0; i < n && i < 16; i++) {
		bool known = false;

		for (int j = 0; j < g->n; j++)
			known = known || g->seen[j] == now[i];
		if (!known && g->n < 16)
			g->seen[g->n++] = now[i];
	}
	return g->res->calls > 0;
}

static bool pid_dead_arg(void *arg)
{
	return pid_dead(*(pid_t *)arg);
}

static bool all_seen_dead(void *arg)
{
	struct group_watch *g = arg;

	for (int i = 0; i < g->n; i++)
		if (!pid_dead(g->seen[i]))
			return false;
	return true;
}

/* The group is gone altogether: every member dead and reaped (this process
 * is a subreaper, and libev reaps whatever child exits). */
static bool group_gone(void *arg)
{
	pid_t pgid = *(pid_t *)arg;

	return kill(-pgid, 0) < 0 && errno == ESRCH;
}

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

/* --- exec ----------------------------------------------------------------- */

/* One exec probe of ARGV with TIMEOUT; its result in *RES, its process
 * group's pids seen while it ran in *G. */
static void exec_run(char *const *argv, double timeout, struct result *res, struct group_watch *g)
{
	struct check_exec *p = NULL;
	int r;

	*res = (struct result){0};
	*g = (struct group_watch){.res = res};
	r = check_exec_start(loop, argv, timeout, on_done, res, &p);
	if (!CHECK_MSG(r == 0, "exec %s: %s", argv[0], strerror(-r)))
		return;
	g->pgid = check_exec_pid(p);
	CHECK(g->pgid > 0);
	/* in a group of its own */
	CHECK_INT_EQ(getpgid(g->pgid), g->pgid);
	CHECK_INT_EQ(res->calls, 0);
	CHECK_MSG(run_until(watch_group, g, DEADLINE_S), "no result from %s", argv[0]);
	CHECK_INT_EQ(res->calls, 1);
	check_exec_free(p);
}

/* sh -c SCRIPT */
#define SH(script) ((char *const[]){"/bin/sh", "-c", (script), NULL})

/* Valgrind preloads its own libraries. */
static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

/* PROG cannot run: check_exec_start() says so with ERR. (Under valgrind,
 * whose posix_spawn() is a plain fork, the child's exec failure cannot be
 * reported back: the program then runs and fails with status 127.) */
static void cannot_run(const char *prog, int err)
{
	char *const argv[] = {(char *)prog, NULL};
	struct check_exec *p = (struct check_exec *)&p;
	struct result res = {0};
	int r = check_exec_start(loop, argv, 5.0, on_done, &res, &p);

	if (r == 0 && under_valgrind()) {
		CHECK(run_until(result_in, &res, DEADLINE_S));
		CHECK_INT_EQ(res.r, CHECK_FAIL);
		CHECK_STR_EQ(res.out, "exit status 127");
		check_exec_free(p);
		return;
	}
	CHECK_MSG(r == err, "%s: %d, expected %d", prog, r, err);
	CHECK(p == NULL);
	if (r == 0)
		check_exec_free(p);
	run_for(0.05);
	CHECK_INT_EQ(res.calls, 0);
}

static void test_exec_results(void)
{
	struct group_watch g;
	struct result res;
	sigset_t term, old;

	exec_run(SH("echo fine; exit 0"), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_STR_EQ(res.out, "fine");
	/* exit 1 warns; stderr is kept too */
	exec_run(SH("echo degraded >&2; exit 1"), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_WARN);
	CHECK_STR_EQ(res.out, "degraded");
	/* anything else fails, saying how it ended */
	exec_run(SH("echo bad; exit 2"), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "exit status 2\nbad");
	exec_run(SH("exit 255"), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "exit status 255");
	/* a signal the daemon blocks is the program's default again */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	exec_run(SH("kill -TERM $$; sleep 5"), 10.0, &res, &g);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_STR_EQ(res.out, "killed by signal 15 (Terminated)");
	/* and one it ignores (SIGPIPE, as lanyardd does) is not ignored: bit
	 * 12 of SigIgn */
	exec_run(SH("m=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status); "
	            "echo \"$m\"; [ $((0x$m & 0x1000)) = 0 ]"),
	         5.0, &res, &g);
	CHECK_MSG(res.r == CHECK_PASS, "SigIgn %s", res.out);

	/* a command name is looked up in PATH */
	exec_run((char *const[]){"sh", "-c", "exit 0", NULL}, 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_STR_EQ(res.out, "");
	/* stdin is /dev/null: cat ends at once */
	exec_run((char *const[]){"cat", NULL}, 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);

	/* a program that cannot run: an error from start, nothing started */
	cannot_run("/nonexistent/check", -ENOENT);
	cannot_run("no-such-lanyard-check", -ENOENT);
	cannot_run("/dev/null", -EACCES);
}

/* Descriptors of the daemon do not leak into the program. */
static void test_exec_fds(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0); /* no CLOEXEC */
	struct group_watch g;
	struct result res;
	char script[128];

	snprintf(script, sizeof(script), "test -e /proc/$$/fd/%d && echo leaked; exit 0", fd);
	exec_run(SH(script), 5.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_STR_EQ(res.out, "");
	close(fd);
}

/* The first CHECK_OUTPUT_MAX bytes of output are kept; the rest is read
 * away, so a chatty program neither blocks nor fills memory. */
static void test_exec_output_cap(void)
{
	struct group_watch g;
	struct result res;
	bool all_x = true;

	exec_run(SH("head -c 100000 /dev/zero | tr '\\000' x"), 10.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_INT_EQ(res.len, CHECK_OUTPUT_MAX);
	for (size_t i = 0; i < res.len; i++)
		all_x = all_x && res.out[i] == 'x';
	CHECK(all_x);

	/* the line saying how it ended comes before the kept output */
	exec_run(SH("head -c 100000 /dev/zero | tr '\\000' x; exit 3"), 10.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_INT_EQ(res.len, strlen("exit status 3\n") + CHECK_OUTPUT_MAX);
	CHECK(strncmp(res.out, "exit status 3\nxxxx", 18) == 0);

	/* 20 MB through the pipe */
	exec_run(SH("head -c 20000000 /dev/zero"), 20.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	CHECK_INT_EQ(res.len, CHECK_OUTPUT_MAX);
}

/* The pid sh printed on the line after SKIP lines of OUT; 0 if none. */
static pid_t pid_in(const char *out, int skip)
{
	for (; skip > 0 && out; skip--) {
		out = strchr(out, '\n');
		out = out ? out + 1 : NULL;
	}
	return out ? (pid_t)atoi(out) : 0;
}

/* A program past its timeout is killed with everything it started. */
static void test_exec_timeout_kills_group(void)
{
	struct group_watch g;
	struct result res;
	pid_t child;

	exec_run(SH("sleep 100 & echo $!; sleep 100"), 1.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_FAIL);
	CHECK_MSG(strncmp(res.out, "timed out after 1000 ms\n", 24) == 0, "out: \"%s\"", res.out);
	child = pid_in(res.out, 1);
	CHECK_MSG(child > 1, "no child pid in \"%s\"", res.out);
	/* the group had the shell and both sleeps (or the shell exec'd the
	 * last one): at least two processes were seen in it */
	CHECK_MSG(g.n >= 2, "only %d process(es) seen in the group", g.n);
	CHECK_MSG(run_until(all_seen_dead, &g, DEADLINE_S), "a process of group %d lives on",
	          (int)g.pgid);
	CHECK(child <= 1 || run_until(pid_dead_arg, &child, DEADLINE_S));
	CHECK_MSG(run_until(group_gone, &g.pgid, DEADLINE_S), "group %d not reaped", (int)g.pgid);
}

/* A program that exits leaves nothing behind: what it started in the
 * background is killed with its group, and the result does not wait for
 * it (it holds the output pipe open). */
static void test_exec_leftovers_killed(void)
{
	struct group_watch g;
	struct result res;
	pid_t child;

	exec_run(SH("sleep 100 & echo $!"), 30.0, &res, &g);
	CHECK_INT_EQ(res.r, CHECK_PASS);
	child = pid_in(res.out, 0);
	CHECK_MSG(child > 1, "no child pid in \"%s\"", res.out);
	CHECK(child <= 1 || run_until(pid_dead_arg, &child, DEADLINE_S));
	CHECK_MSG(run_until(group_gone, &g.pgid, DEADLINE_S), "group %d not reaped", (int)g.pgid);
}

static bool two_members(void *arg)
{
	pid_t pids[4];

	return group_members(*(pid_t *)arg, pids, 4) >= 2;
}

/* Cancelled while it runs: the group is killed, DONE never comes. */
static void test_exec_free_running(void)
{
	struct check_exec *p = NULL;
	struct result res = {0};
	pid_t pgid;

	if (!CHECK_INT_EQ(
	            check_exec_start(loop, SH("sleep 100 & sleep 100"), 30.0, on_done, &res, &p),
	            0))
		return;
	pgid = check_exec_pid(p);
	CHECK(run_until(two_members, &pgid, DEADLINE_S));
	check_exec_free(p);
	CHECK_MSG(run_until(group_gone, &pgid, DEADLINE_S), "group %d survived its check",
	          (int)pgid);
	run_for(0.1);
	CHECK_INT_EQ(res.calls, 0);
	check_exec_free(NULL);
}

int main(void)
{
	/* as lanyardd does */
	signal(SIGPIPE, SIG_IGN);
	/* Orphans of killed groups come back to this process to be reaped, so
	 * that "gone" can be checked as "reaped". */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		perror("PR_SET_CHILD_SUBREAPER");
	loop = ev_default_loop(0);
	test_tcp();
	test_http();
	test_exec_results();
	test_exec_fds();
	test_exec_output_cap();
	test_exec_timeout_kills_group();
	test_exec_leftovers_killed();
	test_exec_free_running();
	/* last: it leaves this process in a mount namespace of its own */
	test_http_slow_dns();
	ev_loop_destroy(loop);
	return test_summary();
}
