/* SPDX-License-Identifier: MIT */
/* The http health check: libcurl's multi socket interface with its sockets on ev_io and its timeout
 * on an ev_timer. */
#include <curl/curl.h>
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/check-http.h"

struct check_http_ctx {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;            /* libcurl's own timeout */
	struct check_http *probes; /* running */
	struct http_sock *socks;   /* watched */
};

/* One socket libcurl asked us to watch. */
struct http_sock {
	struct check_http_ctx *ctx;
	ev_io io;
	struct http_sock *prev, *next;
};

static void sock_free(struct check_http_ctx *ctx, struct http_sock *s)
{
	ev_io_stop(ctx->loop, &s->io);
	if (s->prev)
		s->prev->next = s->next;
	else
		ctx->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
}

struct check_http {
	struct check_http_ctx *ctx;
	CURL *easy;
	bool running;
	bool body_full; /* the transfer was cut once CHECK_OUTPUT_MAX bytes arrived */
	char body[CHECK_OUTPUT_MAX];
	size_t len;
	char errbuf[CURL_ERROR_SIZE];
	check_done_fn done;
	void *userdata;
	struct check_http *prev, *next;
};

static void unlink_probe(struct check_http *p)
{
	if (!p->running)
		return;
	curl_multi_remove_handle(p->ctx->multi, p->easy);
	if (p->prev)
		p->prev->next = p->next;
	else
		p->ctx->probes = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
	p->running = false;
}

/* Hand the result of a finished transfer to its probe's DONE. */
static void finish(struct check_http *p, CURLcode res)
{
	char text[CHECK_OUTPUT_MAX + CURL_ERROR_SIZE + 32];
	enum check_result r = CHECK_FAIL;
	check_done_fn done = p->done;
	void *userdata = p->userdata;
	long code = 0;
	size_t n;

	if (res == CURLE_WRITE_ERROR && p->body_full)
		res = CURLE_OK; /* we stopped reading: the status is in */
	if (res == CURLE_OK) {
		curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200 && code <= 299)
			r = CHECK_PASS;
		n = (size_t)snprintf(text, sizeof(text), "HTTP %ld%s", code, p->len ? "\n" : "");
		memcpy(text + n, p->body, p->len);
		n += p->len;
	} else {
		n = (size_t)snprintf(text, sizeof(text), "%s",
		                     p->errbuf[0] ? p->errbuf : curl_easy_strerror(res));
	}
	unlink_probe(p);
	p->done = NULL;
	/* Last: DONE may free P. */
	done(userdata, r, text, n);
}

/* Finish every transfer libcurl reports done. */
static void collect(struct check_http_ctx *ctx)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(ctx->multi, &left))) {
		struct check_http *p = NULL;
		CURLcode res = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		if (p)
			finish(p, res);
	}
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct check_http_ctx *ctx = w->data;
	int running;

	curl_multi_socket_action(ctx->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect(ctx);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_sock *s = w->data;
	struct check_http_ctx *ctx = s->ctx;
	int running, action = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
	                      (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);

	/* S may be freed by libcurl's socket callback in here. */
	curl_multi_socket_action(ctx->multi, w->fd, action, &running);
	collect(ctx);
}

/* CURLMOPT_SOCKETFUNCTION: watch FD for WHAT, or stop watching it. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct check_http_ctx *ctx = userp;
	struct http_sock *s = socketp;
	int events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s)
			sock_free(ctx, s);
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->ctx = ctx;
		ev_init(&s->io, on_io);
		s->io.data = s;
		s->next = ctx->socks;
		if (s->next)
			s->next->prev = s;
		ctx->socks = s;
		curl_multi_assign(ctx->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	ev_io_stop(ctx->loop, &s->io);
	ev_io_set(&s->io, fd, events);
	ev_io_start(ctx->loop, &s->io);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: call libcurl back after TIMEOUT_MS (-1: never).
 * Never from here: libcurl asks not to be re-entered. */
static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	struct check_http_ctx *ctx = userp;

	ev_timer_stop(ctx->loop, &ctx->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&ctx->timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(ctx->loop, &ctx->timer);
	}
	return 0;
}

struct check_http_ctx *check_http_ctx_new(struct ev_loop *loop)
{
	struct check_http_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(ctx);
		return NULL;
	}
	ctx->loop = loop;
	ev_timer_init(&ctx->timer, on_timer, 0., 0.);
	ctx->timer.data = ctx;
	ctx->multi = curl_multi_init();
	if (!ctx->multi || curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETFUNCTION, on_socket) ||
	    curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETDATA, ctx) ||
	    curl_multi_setopt(ctx->multi, CURLMOPT_TIMERFUNCTION, on_timer_set) ||
	    curl_multi_setopt(ctx->multi, CURLMOPT_TIMERDATA, ctx)) {
		check_http_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

void check_http_ctx_free(struct check_http_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->probes) {
		struct check_http *p = ctx->probes;

		unlink_probe(p);
		curl_easy_cleanup(p->easy);
		free(p);
	}
	if (ctx->multi)
		curl_multi_cleanup(ctx->multi);
	while (ctx->socks)
		sock_free(ctx, ctx->socks);
	ev_timer_stop(ctx->loop, &ctx->timer);
	curl_global_cleanup();
	free(ctx);
}

/* CURLOPT_WRITEFUNCTION: keep the start of the body, then stop. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct check_http *p = userdata;
	size_t n = size * nmemb, room = sizeof(p->body) - p->len;

	if (n > room) {
		memcpy(p->body + p->len, data, room);
		p->len += room;
		p->body_full = true;
		return 0; /* enough: ends the transfer (CURLE_WRITE_ERROR) */
	}
	memcpy(p->body + p->len, data, n);
	p->len += n;
	return n;
}

int check_http_start(struct check_http_ctx *ctx, const char *url, bool tls_skip_verify,
                     double timeout, check_done_fn done, void *userdata, struct check_http **ret)
{
	struct check_http *p = calloc(1, sizeof(*p));
	long ms = (long)(timeout * 1000 + 0.5);
	CURL *e;

	*ret = NULL;
	if (!p)
		return -ENOMEM;
	e = p->easy = curl_easy_init();
	if (!e) {
		free(p);
		return -ENOMEM;
	}
	p->ctx = ctx;
	p->done = done;
	p->userdata = userdata;
	if (ms < 1)
		ms = 1;
	/* A health check asks the service itself, on a connection of its own
	 * each time: no proxy from the environment, no connection reuse, no
	 * redirects, no signals. A transfer given up while a host name is
	 * being looked up does not wait for libcurl's resolver thread
	 * (QUICK_EXIT, libcurl 7.87): by default libcurl joins it there,
	 * holding the loop until getaddrinfo() gives up, seconds to minutes
	 * against a silent name server. */
	if (curl_easy_setopt(e, CURLOPT_URL, url) || curl_easy_setopt(e, CURLOPT_PRIVATE, p) ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) || curl_easy_setopt(e, CURLOPT_PROXY, "") ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) ||
	    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms) ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms) ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, "lanyard-health-check/" PACKAGE_VERSION) ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf) ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, p) ||
	    curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L) ||
	    (tls_skip_verify && (curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L) ||
	                         curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L)))) {
		curl_easy_cleanup(e);
		free(p);
		return -EINVAL;
	}
	/* Results come from the loop: adding only arms libcurl's timer. */
	if (curl_multi_add_handle(ctx->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		free(p);
		return -ENOMEM;
	}
	p->running = true;
	p->next = ctx->probes;
	if (p->next)
		p->next->prev = p;
	ctx->probes = p;
	*ret = p;
	return 0;
}

void check_http_free(struct check_http *p)
{
	if (!p)
		return;
	unlink_probe(p);
	curl_easy_cleanup(p->easy);
	free(p);
}
