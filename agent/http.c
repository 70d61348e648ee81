/* SPDX-License-Identifier: MIT */
/* The HTTP interface: libmicrohttpd in its external epoll mode on the
 * agent's libev loop (one ev_io on each daemon's epoll descriptor, one
 * ev_timer from MHD_get_timeout()). An API request becomes one socket
 * request on a fresh socketpair whose other end the socket server serves
 * as an ordinary connection of uid HTTP_CLIENT_UID: the answer is the
 * socket's, by construction. The request is suspended meanwhile; a watch
 * streams its event lines as Server-Sent Events. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/http-page.h"
#include "agent/http-query.h"
#include "agent/http.h"
#include "agent/log.h"
#include "agent/metrics.h"
#include "agent/server.h"
#include "dnssd/clock.h"

/* Bytes of request line and headers MHD keeps per connection: a larger
 * request is answered 431/414 by MHD itself. */
#define HTTP_CONN_MEMORY (32 * 1024)
/* Event bytes an SSE stream buffers before it stops reading its socket
 * (then the socket's own output bound applies to the watch). */
#define SSE_HIGH (256 * 1024)
/* Bytes of an over-long body without Content-Length read (and dropped)
 * before its connection is closed instead of answered 413. */
#define HTTP_DISCARD_MAX (1024 * 1024)
/* A comment line on an idle event stream, so proxies and clients see it live. */
#define SSE_KEEPALIVE_S 15.0

#define CSP                                                                                        \
	"default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' "                 \
	"'unsafe-inline'; "                                                                        \
	"connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "      \
	"form-action 'none'"

struct http_listener {
	struct http *h;
	struct MHD_Daemon *d;
	ev_io io;
	ev_timer tm;
};

struct http {
	struct agent *a;
	struct http_listener *ls;
	size_t n_ls;
	ev_timer kick; /* run the daemons soon: a connection was resumed */
	struct http_req *reqs;
};

enum req_state {
	REQ_NEW,   /* the request line and headers are in */
	REQ_BODY,  /* reading a POST body */
	REQ_WAIT,  /* suspended, waiting for the socket's answer */
	REQ_READY, /* the answer is in; queue it at the next call */
	REQ_SENT,  /* a response is queued */
};

struct http_req {
	struct http *h;
	struct http_req *prev, *next;
	struct MHD_Connection *mc; /* NULL once MHD completed the request */
	int refs;                  /* MHD's request, and an SSE response */
	char *uri;                 /* as received: path and query, escaped */
	enum req_state state;
	bool suspended;
	enum wire_op op;
	bool sse;
	double started;

	char *body; /* the request body, at most agent.http.max_body */
	size_t body_len;
	size_t discarded; /* body bytes past max_body, dropped */

	/* The socket side. */
	int fd;
	ev_io rio, wio;
	char *out;
	size_t out_len, out_off;
	char *in;
	size_t in_len, in_cap;

	/* The answer. */
	unsigned status;
	char *resp;
	size_t resp_len;

	/* SSE: frames not yet taken by MHD. */
	char *ev;
	size_t ev_off, ev_len, ev_cap;
	bool ev_eof;
	ev_timer keep;
	ev_io hup; /* the client's socket, watched while the stream sleeps */
};

static void http_run(struct http *h);

/* --- the pure table ------------------------------------------------------- */

/* --- requests ------------------------------------------------------------- */

static void kick(struct http *h)
{
	if (!ev_is_active(&h->kick)) {
		ev_timer_set(&h->kick, 0., 0.);
		ev_timer_start(h->a->loop, &h->kick);
	}
}

static void req_resume(struct http_req *r)
{
	ev_io_stop(r->h->a->loop, &r->hup);
	if (r->suspended && r->mc) {
		r->suspended = false;
		MHD_resume_connection(r->mc);
		kick(r->h);
	}
}

static void bridge_close(struct http_req *r)
{
	struct ev_loop *loop = r->h->a->loop;

	ev_io_stop(loop, &r->rio);
	ev_io_stop(loop, &r->wio);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

static void req_unref(struct http_req *r)
{
	if (!r || --r->refs > 0)
		return;
	bridge_close(r);
	ev_timer_stop(r->h->a->loop, &r->keep);
	ev_io_stop(r->h->a->loop, &r->hup);
	if (r->prev)
		r->prev->next = r->next;
	else
		r->h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r->uri);
	free(r->body);
	free(r->out);
	free(r->in);
	free(r->resp);
	free(r->ev);
	free(r);
}

/* Set R's answer to JSON text BODY (LEN bytes, copied) with STATUS. */
static void req_answer(struct http_req *r, unsigned status, const char *body, size_t len)
{
	free(r->resp);
	r->resp = malloc(len ? len : 1);
	r->resp_len = r->resp ? len : 0;
	if (r->resp)
		memcpy(r->resp, body, len);
	r->status = r->resp ? status : 500;
	r->state = REQ_READY;
}

/* R's answer: {"ok":false,"error":{"code":CODE,"message":...}}, the socket's
 * error object, for what the HTTP side refuses itself. */
static void req_error(struct http_req *r, enum wire_code code, unsigned status, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
static void req_error(struct http_req *r, enum wire_code code, unsigned status, const char *fmt,
                      ...)
{
	char msg[WIRE_MSG_MAX];
	json_t *o;
	char *text;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = json_pack("{s:b,s:{s:s,s:s}}", "ok", 0, "error", "code", wire_code_name(code),
	              "message", msg);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	req_answer(r, status, text ? text : "", text ? strlen(text) : 0);
	free(text);
	metrics_http(r->h->a->metrics, status);
}

/* --- responses ------------------------------------------------------------ */

static void add_common_headers(struct http *h, struct MHD_Response *resp, const char *ctype)
{
	const char *origin = h->a->cfg->agent.http.cors_origin;

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (origin) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, origin);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
	}
}

static enum MHD_Result queue_buffer(struct http_req *r, unsigned status, const void *body,
                                    size_t len, const char *ctype, const char *allow)
{
	struct MHD_Response *resp =
	        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	add_common_headers(r->h, resp, ctype);
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (strcmp(ctype, "text/html; charset=utf-8") == 0)
		MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	ret = MHD_queue_response(r->mc, status, resp);
	MHD_destroy_response(resp);
	r->state = REQ_SENT;
	return ret;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max);
static void sse_free(void *cls);

/* Queue R's answer (REQ_READY). */
static enum MHD_Result queue_answer(struct http_req *r, const char *allow)
{
	const union MHD_ConnectionInfo *info;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!r->sse || r->status != 200)
		return queue_buffer(r, r->status, r->resp, r->resp_len, "application/json", allow);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, r,
	                                         sse_free);
	if (!resp)
		return MHD_NO;
	r->refs++;
	add_common_headers(r->h, resp, "text/event-stream");
	ret = MHD_queue_response(r->mc, 200, resp);
	MHD_destroy_response(resp);
	r->state = REQ_SENT;
	info = MHD_get_connection_info(r->mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info)
		ev_io_set(&r->hup, info->connect_fd, EV_READ);
	return ret;
}

/* --- Server-Sent Events -------------------------------------------------- */

static int ev_append(struct http_req *r, const char *s, size_t len)
{
	if (r->ev_off && r->ev_off == r->ev_len)
		r->ev_off = r->ev_len = 0;
	if (r->ev_len + len > r->ev_cap) {
		size_t cap = r->ev_cap ? r->ev_cap : 4096;
		char *n;

		if (r->ev_off) {
			memmove(r->ev, r->ev + r->ev_off, r->ev_len - r->ev_off);
			r->ev_len -= r->ev_off;
			r->ev_off = 0;
		}
		while (cap < r->ev_len + len)
			cap *= 2;
		if (cap != r->ev_cap) {
			n = realloc(r->ev, cap);
			if (!n)
				return -ENOMEM;
			r->ev = n;
			r->ev_cap = cap;
		}
	}
	memcpy(r->ev + r->ev_len, s, len);
	r->ev_len += len;
	return 0;
}

/* One event line of the watch as an SSE frame: "event: NAME" and the line as data. */
static int sse_event(struct http_req *r, const char *line, size_t len)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *name = json_string_value(json_object_get(o, "event"));
	char head[64];
	int n, ret;

	/* The socket's event names are plain words; anything else is "message". */
	if (!name || strlen(name) > 32 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz_") != strlen(name))
		name = "message";
	n = snprintf(head, sizeof(head), "event: %s\ndata: ", name);
	json_decref(o);
	ret = ev_append(r, head, (size_t)n);
	if (ret == 0)
		ret = ev_append(r, line, len);
	if (ret == 0)
		ret = ev_append(r, "\n\n", 2);
	return ret;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_req *r = cls;
	size_t n = r->ev_len - r->ev_off;

	(void)pos;
	if (n == 0) {
		if (r->ev_eof || !r->mc)
			return MHD_CONTENT_READER_END_OF_STREAM;
		/* Nothing to send: sleep until an event or the keep-alive,
		 * or the client's hangup, which MHD does not watch for while
		 * the connection is suspended. */
		r->suspended = true;
		MHD_suspend_connection(r->mc);
		if (r->hup.fd >= 0)
			ev_io_start(r->h->a->loop, &r->hup);
		return 0;
	}
	if (n > max)
		n = max;
	memcpy(buf, r->ev + r->ev_off, n);
	r->ev_off += n;
	if (r->fd >= 0 && !ev_is_active(&r->rio) && r->ev_len - r->ev_off < SSE_HIGH)
		ev_io_start(r->h->a->loop, &r->rio);
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	req_unref(cls);
}

/* The client of a sleeping event stream is readable: if it hung up, end
 * the stream (and its watch) now rather than at the next keep-alive. */
static void hup_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_req *r = w->data;
	char c;
	ssize_t n = recv(w->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	(void)revents;
	ev_io_stop(loop, w);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		bridge_close(r);
		r->ev_eof = true;
		req_resume(r);
	}
}

static void keep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http_req *r = w->data;

	(void)loop;
	(void)revents;
	if (r->ev_len == r->ev_off && ev_append(r, ": keep-alive\n\n", 14) == 0)
		req_resume(r);
}

/* --- the socket side ------------------------------------------------------ */

/* The socket's first line for R (its reply) is in: map it to the answer. */
static void on_reply(struct http_req *r, const char *line, size_t len)
{
	static const char ok[] = "{\"ok\":true";
	unsigned status = 200;

	if (len < sizeof(ok) - 1 || memcmp(line, ok, sizeof(ok) - 1) != 0) {
		json_t *o = json_loadb(line, len, 0, NULL);
		const char *code =
		        json_string_value(json_object_get(json_object_get(o, "error"), "code"));
		enum wire_code c;

		wire_code_from_name(code ? code : "internal", &c);
		status = http_status_of(c);
		json_decref(o);
	}
	req_answer(r, status, line, len);
	metrics_http(r->h->a->metrics, status);
	if (!r->sse || status != 200)
		bridge_close(r);
	req_resume(r);
}

static void bridge_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_req *r = w->data;
	/* A reply may be as long as the socket lets one be. */
	size_t max = (size_t)r->h->a->cfg->agent.limits.output_per_connection + 1;
	char *nl;
	ssize_t n;

	(void)revents;
	if (r->in_cap - r->in_len < 4096) {
		size_t cap = r->in_cap ? r->in_cap * 2 : 16384;
		char *p = cap <= max + 4096 ? realloc(r->in, cap) : NULL;

		if (!p) {
			bridge_close(r);
			if (r->state == REQ_WAIT) {
				req_error(r, WIRE_TOO_LARGE, 413, "the answer is too long");
				req_resume(r);
			} else {
				r->ev_eof = true;
				req_resume(r);
			}
			return;
		}
		r->in = p;
		r->in_cap = cap;
	}
	n = read(r->fd, r->in + r->in_len, r->in_cap - r->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		bridge_close(r);
		if (r->state == REQ_WAIT) {
			req_error(r, WIRE_INTERNAL, 500, "the agent closed the request unanswered");
			req_resume(r);
		} else {
			r->ev_eof = true;
			req_resume(r);
		}
		return;
	}
	r->in_len += (size_t)n;
	while (r->fd >= 0 && (nl = memchr(r->in, '\n', r->in_len))) {
		size_t len = (size_t)(nl - r->in);

		if (r->state == REQ_WAIT)
			on_reply(r, r->in, len);
		else if (sse_event(r, r->in, len) < 0)
			r->ev_eof = true;
		memmove(r->in, nl + 1, r->in_len - len - 1);
		r->in_len -= len + 1;
		if (r->state != REQ_WAIT)
			req_resume(r);
	}
	if (r->sse && r->fd >= 0 && r->ev_len - r->ev_off >= SSE_HIGH)
		ev_io_stop(loop, &r->rio);
}

static void bridge_write(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_req *r = w->data;

	(void)revents;
	while (r->out_off < r->out_len) {
		ssize_t n = send(r->fd, r->out + r->out_off, r->out_len - r->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			ev_io_start(loop, &r->wio);
			return;
		}
		if (n < 0)
			break; /* the reader sees the hangup */
		r->out_off += (size_t)n;
	}
	ev_io_stop(loop, &r->wio);
	free(r->out);
	r->out = NULL;
}

/* Send REQ (consumed) to the socket server on a new socketpair and suspend
 * R until the reply. */
static enum MHD_Result bridge_start(struct http_req *r, json_t *req)
{
	struct http *h = r->h;
	const struct ucred cred = {.pid = 0, .uid = HTTP_CLIENT_UID, .gid = HTTP_CLIENT_GID};
	int sv[2];
	size_t len;

	r->out = wire_dump_line(req, &len);
	json_decref(req);
	if (!r->out || !h->a->server) {
		req_error(r, WIRE_INTERNAL, 500, "out of memory");
		return queue_answer(r, NULL);
	}
	r->out_len = len;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
		req_error(r, WIRE_BUSY, 503, "cannot make a socketpair: %s", strerror(errno));
		return queue_answer(r, NULL);
	}
	/* The server takes sv[1] whatever happens; a refusal arrives as its
	 * "busy" line on sv[0]. */
	server_adopt(h->a->server, sv[1], &cred);
	r->fd = sv[0];
	ev_io_init(&r->rio, bridge_read, r->fd, EV_READ);
	r->rio.data = r;
	ev_io_init(&r->wio, bridge_write, r->fd, EV_WRITE);
	r->wio.data = r;
	ev_io_start(h->a->loop, &r->rio);
	bridge_write(h->a->loop, &r->wio, 0);
	r->state = REQ_WAIT;
	r->suspended = true;
	MHD_suspend_connection(r->mc);
	return MHD_YES;
}

/* --- routing -------------------------------------------------------------- */

enum route {
	ROUTE_NONE,
	ROUTE_PAGE,
	ROUTE_METRICS,
	ROUTE_STATUS,
	ROUTE_SERVICES,
	ROUTE_RESOLVE,
	ROUTE_LIST,
	ROUTE_WATCH,
	ROUTE_REPORT,
};

static const struct {
	const char *prefix;
	bool takes_service; /* /v1/op/{service} */
	bool needs_service; /* ... and only so */
	bool post;          /* POST, else GET and HEAD */
	enum wire_op op;
} routes[] = {
        [ROUTE_PAGE] = {"/"},
        [ROUTE_METRICS] = {"/metrics"},
        [ROUTE_STATUS] = {"/v1/status", .op = WIRE_OP_STATUS},
        [ROUTE_SERVICES] = {"/v1/services", .op = WIRE_OP_SERVICES},
        [ROUTE_RESOLVE] = {"/v1/resolve", true, true, .op = WIRE_OP_RESOLVE},
        [ROUTE_LIST] = {"/v1/list", true, .op = WIRE_OP_LIST},
        [ROUTE_WATCH] = {"/v1/watch", true, .op = WIRE_OP_WATCH},
        [ROUTE_REPORT] = {"/v1/report", .post = true, .op = WIRE_OP_REPORT},
};

/* The route of escaped PATH (LEN bytes) and its escaped {service} segment. */
static enum route route_of(const char *path, size_t len, const char **ret_svc, size_t *ret_svc_len)
{
	*ret_svc = NULL;
	*ret_svc_len = 0;
	for (size_t i = 1; i < sizeof(routes) / sizeof(*routes); i++) {
		size_t pl = strlen(routes[i].prefix);

		if (len < pl || memcmp(path, routes[i].prefix, pl) != 0)
			continue;
		if (len == pl && !routes[i].needs_service)
			return (enum route)i;
		if (routes[i].takes_service && len > pl + 1 && path[pl] == '/' &&
		    !memchr(path + pl + 1, '/', len - pl - 1)) {
			*ret_svc = path + pl + 1;
			*ret_svc_len = len - pl - 1;
			return (enum route)i;
		}
	}
	return ROUTE_NONE;
}

static enum MHD_Result serve_metrics(struct http_req *r)
{
	char *text = NULL;
	size_t len = 0;
	enum MHD_Result ret;

	if (metrics_render(r->h->a, &text, &len) < 0) {
		req_error(r, WIRE_INTERNAL, 500, "out of memory");
		return queue_answer(r, NULL);
	}
	metrics_http(r->h->a->metrics, 200);
	ret = queue_buffer(r, 200, text, len, "text/plain; version=0.0.4; charset=utf-8", NULL);
	free(text);
	return ret;
}

/* The socket request for route RT of R: from its query, or its body. */
static enum MHD_Result serve_api(struct http_req *r, enum route rt, const char *svc, size_t svc_len,
                                 const char *query, size_t qlen)
{
	struct http_query q = {0};
	struct wire_err err = {0};
	char msg[WIRE_MSG_MAX];
	char *service = NULL;
	json_t *req = NULL;

	r->op = routes[rt].op;
	if (rt == ROUTE_REPORT) {
		json_error_t jerr;

		if (qlen) {
			req_error(r, WIRE_BAD_REQUEST, 400, "report takes no query parameters");
			return queue_answer(r, NULL);
		}
		req = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES,
		                 &jerr);
		if (!json_is_object(req)) {
			json_decref(req);
			req_error(r, WIRE_BAD_REQUEST, 400, "the body must be one JSON object");
			return queue_answer(r, NULL);
		}
		if (json_object_get(req, "op") || json_object_get(req, "id")) {
			json_decref(req);
			req_error(r, WIRE_BAD_REQUEST, 400,
			          "the body is the report's members, without \"op\" or \"id\"");
			return queue_answer(r, NULL);
		}
		if (json_object_set_new(req, "op", json_string("report")) < 0) {
			json_decref(req);
			req_error(r, WIRE_INTERNAL, 500, "out of memory");
			return queue_answer(r, NULL);
		}
		return bridge_start(r, req);
	}
	if ((svc && http_unescape(svc, svc_len, false, &service) < 0) ||
	    http_query_parse(query, qlen, &q, msg, sizeof(msg)) < 0) {
		free(service);
		http_query_clear(&q);
		req_error(r, WIRE_BAD_REQUEST, 400, "%s",
		          service || !svc ? msg : "bad percent-escape in the service name");
		return queue_answer(r, NULL);
	}
	if (http_query_request(r->op, service, &q, &req, &err) < 0) {
		free(service);
		http_query_clear(&q);
		req_error(r, err.code, http_status_of(err.code), "%s", err.msg);
		return queue_answer(r, NULL);
	}
	free(service);
	http_query_clear(&q);
	r->sse = rt == ROUTE_WATCH;
	return bridge_start(r, req);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *mc, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct http_req *r = *con_cls;
	const struct cfg_http *cfg = &h->a->cfg->agent.http;
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	const char *uri, *qm, *svc;
	size_t plen, svc_len;
	enum route rt;

	(void)url;
	(void)version;
	if (!r)
		return MHD_NO; /* the URI callback ran out of memory */
	r->mc = mc;
	if (r->state == REQ_READY)
		return queue_answer(r, NULL);
	if (r->state == REQ_WAIT || r->state == REQ_SENT)
		return MHD_YES;
	uri = r->uri;
	qm = strchr(uri, '?');
	plen = qm ? (size_t)(qm - uri) : strlen(uri);
	rt = route_of(uri, plen, &svc, &svc_len);
	if (rt == ROUTE_PAGE && plen != 1)
		rt = ROUTE_NONE;
	if (r->state == REQ_NEW) {
		/* The first call has the headers only. A report that cannot be
		 * taken is answered now (MHD then closes the connection rather
		 * than read the body); everything else waits for the end of the
		 * request, so that the connection may be kept alive. */
		if (rt == ROUTE_REPORT && strcmp(method, "POST") == 0) {
			const char *cl = MHD_lookup_connection_value(
			        mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

			if (!cfg->allow_report) {
				req_error(r, WIRE_FORBIDDEN, 403,
				          "reports over HTTP are off (agent.http.allow_report)");
				return queue_answer(r, NULL);
			}
			if (cl && strtoull(cl, NULL, 10) > cfg->max_body) {
				req_error(r, WIRE_TOO_LARGE, 413,
				          "the body is longer than %llu bytes",
				          (unsigned long long)cfg->max_body);
				return queue_answer(r, NULL);
			}
		}
		r->state = REQ_BODY;
		return MHD_YES;
	}
	if (r->state == REQ_BODY) {
		if (*upload_size && r->body_len + *upload_size <= cfg->max_body) {
			char *n = realloc(r->body, r->body_len + *upload_size);

			if (!n) {
				req_error(r, WIRE_INTERNAL, 500, "out of memory");
				return queue_answer(r, NULL);
			}
			memcpy(n + r->body_len, upload, *upload_size);
			r->body = n;
			r->body_len += *upload_size;
			*upload_size = 0;
			return MHD_YES;
		}
		if (*upload_size) {
			/* MHD answers only once the body is in: a body without a
			 * length (chunked) is read and dropped up to
			 * HTTP_DISCARD_MAX, then the connection is closed. */
			r->discarded += *upload_size;
			*upload_size = 0;
			return r->discarded > HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
		}
		if (r->discarded) {
			req_error(r, WIRE_TOO_LARGE, 413, "the body is longer than %llu bytes",
			          (unsigned long long)cfg->max_body);
			return queue_answer(r, NULL);
		}
	}
	/* The whole request is in. */
	if (rt == ROUTE_NONE) {
		req_error(r, WIRE_NOT_FOUND, 404, "no such endpoint: see docs/http.md");
		return queue_answer(r, NULL);
	}
	if (routes[rt].post ? strcmp(method, "POST") != 0 : !get) {
		req_error(r, WIRE_BAD_REQUEST, 405, "method not allowed here");
		return queue_answer(r, routes[rt].post ? "POST" : "GET, HEAD");
	}
	if (rt == ROUTE_PAGE) {
		const unsigned char *body;
		size_t len;

		if (qm) {
			req_error(r, WIRE_BAD_REQUEST, 400, "the page takes no query parameters");
			return queue_answer(r, NULL);
		}
		http_page_index(&body, &len);
		metrics_http(h->a->metrics, 200);
		return queue_buffer(r, 200, body, len, "text/html; charset=utf-8", NULL);
	}
	if (rt == ROUTE_METRICS)
		return serve_metrics(r);
	if (rt == ROUTE_REPORT)
		return serve_api(r, rt, NULL, 0, qm ? qm + 1 : "", qm ? strlen(qm + 1) : 0);
	return serve_api(r, rt, svc, svc_len, qm ? qm + 1 : "", qm ? strlen(qm + 1) : 0);
}

/* MHD's first word on a request: the raw URI, before any decoding. */
static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct http *h = cls;
	struct http_req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->uri = strdup(uri);
	if (!r->uri) {
		free(r);
		return NULL;
	}
	r->h = h;
	r->mc = mc;
	r->refs = 1;
	r->fd = -1;
	r->started = clock_mono();
	ev_timer_init(&r->keep, keep_cb, SSE_KEEPALIVE_S, SSE_KEEPALIVE_S);
	r->keep.data = r;
	ev_io_init(&r->hup, hup_cb, -1, EV_READ);
	r->hup.data = r;
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
	return r;
}

static void completed_cb(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct http_req *r = *con_cls;

	(void)cls;
	(void)mc;
	(void)toe;
	if (!r)
		return;
	*con_cls = NULL;
	r->mc = NULL;
	r->suspended = false;
	req_unref(r);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("http: %s", buf);
}

/* --- the loop ------------------------------------------------------------- */

static void listener_arm(struct http_listener *l)
{
	struct ev_loop *loop = l->h->a->loop;
	MHD_UNSIGNED_LONG_LONG ms;

	ev_timer_stop(loop, &l->tm);
	if (MHD_get_timeout(l->d, &ms) == MHD_YES) {
		ev_timer_set(&l->tm, (double)ms / 1000.0, 0.);
		ev_timer_start(loop, &l->tm);
	}
}

static unsigned conns_of(struct http_listener *l)
{
	const union MHD_DaemonInfo *i =
	        MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return i ? i->num_connections : 0;
}

static void listener_run(struct http_listener *l)
{
	unsigned before = conns_of(l), max = l->h->a->cfg->agent.http.max_connections;

	MHD_run(l->d);
	/* At max_connections MHD takes its listening socket out of its epoll
	 * set, and puts it back only at the start of a run: when connections
	 * went, run again, or the clients waiting in the backlog would wait
	 * for the next event, which may never come. */
	if (before >= max && conns_of(l) < before)
		MHD_run(l->d);
	/* The SSE streams started by this run need their keep-alive. */
	for (struct http_req *r = l->h->reqs; r; r = r->next)
		if (r->sse && r->state == REQ_SENT && r->mc && !ev_is_active(&r->keep))
			ev_timer_start(l->h->a->loop, &r->keep);
	listener_arm(l);
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	listener_run(w->data);
}

static void tm_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	listener_run(w->data);
}

static void http_run(struct http *h)
{
	for (size_t i = 0; i < h->n_ls; i++)
		listener_run(&h->ls[i]);
}

static void kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	http_run(w->data);
}

/* --- life ------------------------------------------------------------------ */

static int listener_open(struct http *h, struct http_listener *l, const char *addr, char *err,
                         size_t errlen)
{
	const struct cfg_http *cfg = &h->a->cfg->agent.http;
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	socklen_t sl;
	bool loopback;
	const char *why = cfg_http_parse_listen(addr, &ss, &sl, &loopback);
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	if (why) {
		snprintf(err, errlen, "agent.http: listen \"%s\": %s", addr, why);
		return -EINVAL;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	l->h = h;
	l->d = MHD_start_daemon(
	        flags, 0, NULL, NULL, handler, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
	        (unsigned int)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
	        (unsigned int)((cfg->idle_timeout_ms + 999) / 1000),
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	        MHD_OPTION_URI_LOG_CALLBACK, uri_cb, h, MHD_OPTION_NOTIFY_COMPLETED, completed_cb,
	        h, MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1, MHD_OPTION_END);
	if (!l->d) {
		snprintf(err, errlen,
		         "agent.http: cannot listen on %s (in use, or not an address of "
		         "this host?)",
		         addr);
		return -EADDRNOTAVAIL;
	}
	info = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		snprintf(err, errlen, "agent.http: libmicrohttpd has no epoll descriptor");
		return -EIO;
	}
	ev_io_init(&l->io, io_cb, info->epoll_fd, EV_READ);
	l->io.data = l;
	ev_io_start(h->a->loop, &l->io);
	ev_init(&l->tm, tm_cb);
	l->tm.data = l;
	listener_arm(l);
	return 0;
}

int http_new(struct agent *a, struct http **ret, char *err, size_t errlen)
{
	const struct cfg_http *cfg = &a->cfg->agent.http;
	struct http *h;
	int r;

	*ret = NULL;
	if (!cfg->enabled)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h || !(h->ls = calloc(cfg->n_listen, sizeof(*h->ls)))) {
		free(h);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	h->a = a;
	ev_init(&h->kick, kick_cb);
	h->kick.data = h;
	for (size_t i = 0; i < cfg->n_listen; i++) {
		r = listener_open(h, &h->ls[i], cfg->listen[i], err, errlen);
		if (r < 0) {
			h->n_ls = i + 1;
			http_free(h);
			return r;
		}
		h->n_ls = i + 1;
		log_info("http: listening on %s%s", cfg->listen[i],
		         cfg->allow_remote ? " (allow_remote: no authentication)" : "");
	}
	*ret = h;
	return 0;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	/* MHD stops only with every connection resumed; nothing is answered
	 * any more. */
	for (struct http_req *r = h->reqs; r; r = r->next) {
		bridge_close(r);
		r->ev_eof = true;
		if (r->state == REQ_WAIT)
			req_error(r, WIRE_UNAVAILABLE, 503, "the HTTP interface is closing");
		req_resume(r);
	}
	for (size_t i = 0; i < h->n_ls; i++) {
		struct http_listener *l = &h->ls[i];

		if (!l->d)
			continue;
		ev_io_stop(h->a->loop, &l->io);
		ev_timer_stop(h->a->loop, &l->tm);
		MHD_stop_daemon(l->d);
	}
	ev_timer_stop(h->a->loop, &h->kick);
	/* Requests MHD did not complete (none expected) go now. */
	while (h->reqs) {
		h->reqs->refs = 1;
		req_unref(h->reqs);
	}
	free(h->ls);
	free(h);
}

void http_restart(struct agent *a)
{
	char err[256];

	log_info("http: agent.http's listeners changed: reopening them (open HTTP connections "
	         "close)");
	http_free(a->http);
	a->http = NULL;
	if (http_new(a, &a->http, err, sizeof(err)) < 0)
		log_error("%s: the HTTP interface is off until the next reload", err);
}
