/* SPDX-License-Identifier: MIT */
/* One HTTP request of the HTTP interface: its socket side (a socketpair
 * adopted by the socket server as a connection of uid HTTP_CLIENT_UID, one
 * request line out, the reply line back as the body), its answer, and for
 * a watch its Server-Sent Events stream. Freed when MHD is done with it and
 * its event stream (if any) is destroyed. */
#include <errno.h>
#include <ev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/http-private.h"
#include "agent/http-query.h"
#include "agent/http.h"
#include "agent/metrics.h"
#include "agent/server.h"
#include "dnssd/clock.h"
#include "wire/response.h"

/* The page's Content-Security-Policy (docs/http.md). */
#define CSP                                                                                        \
	"default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' "                 \
	"'unsafe-inline'; "                                                                        \
	"connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "      \
	"form-action 'none'"

/* --- requests ------------------------------------------------------------- */

static void kick(struct http *h)
{
	if (!ev_is_active(&h->kick)) {
		ev_timer_set(&h->kick, 0., 0.);
		ev_timer_start(h->a->loop, &h->kick);
	}
}

void http_req_resume(struct http_req *r)
{
	ev_io_stop(r->h->a->loop, &r->hup);
	if (r->suspended && r->mc) {
		r->suspended = false;
		MHD_resume_connection(r->mc);
		kick(r->h);
	}
}

void http_req_bridge_close(struct http_req *r)
{
	struct ev_loop *loop = r->h->a->loop;

	ev_io_stop(loop, &r->rio);
	ev_io_stop(loop, &r->wio);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* --- idle socket sides ---------------------------------------------------- */

/* How many idle socket sides H keeps: a quarter of uid 65534's
 * connections_per_user (of HTTP_PARKED_UNLIMITED when that is 0), at least
 * one. The other three quarters stay for requests in flight and watches. */
#define HTTP_PARKED_UNLIMITED 128
static size_t parked_max(const struct http *h)
{
	unsigned per_user = h->a->cfg->agent.limits.connections_per_user;
	size_t max = (per_user ? per_user : HTTP_PARKED_UNLIMITED) / 4;

	return max ? max : 1;
}

/* Take HC's idle socket side off H's list: its fd (HC's no more), or -1. */
static int unpark(struct http_conn *hc)
{
	struct http *h = hc->h;
	int fd = hc->fd;

	if (fd < 0)
		return -1;
	if (hc->pprev)
		hc->pprev->pnext = hc->pnext;
	else
		h->parked = hc->pnext;
	if (hc->pnext)
		hc->pnext->pprev = hc->pprev;
	else
		h->parked_last = hc->pprev;
	hc->pprev = hc->pnext = NULL;
	hc->fd = -1;
	h->n_parked--;
	return fd;
}

/* Close HC's idle socket side, and its server connection at once (its
 * slot in uid 65534's quota is free on return, not at the server's next
 * read of EOF). */
static void parked_close(struct http_conn *hc)
{
	struct http *h = hc->h;
	uint64_t sid = hc->sid;
	int fd = unpark(hc);

	if (fd < 0)
		return;
	if (h->a->server)
		server_close_conn(h->a->server, sid);
	close(fd);
}

/* Keep FD (server connection SID) as HC's idle socket side, closing the
 * oldest ones of H past parked_max(). */
static void park(struct http_conn *hc, int fd, uint64_t sid)
{
	struct http *h = hc->h;

	hc->fd = fd;
	hc->sid = sid;
	hc->pnext = NULL;
	hc->pprev = h->parked_last;
	if (h->parked_last)
		h->parked_last->pnext = hc;
	else
		h->parked = hc;
	h->parked_last = hc;
	h->n_parked++;
	while (h->n_parked > parked_max(h))
		parked_close(h->parked);
}

void http_conn_close_parked(struct http *h)
{
	while (h->parked)
		parked_close(h->parked);
}

struct http_conn *http_conn_new(struct http *h)
{
	struct http_conn *hc = calloc(1, sizeof(*hc));

	if (!hc)
		return NULL;
	hc->h = h;
	hc->fd = -1;
	return hc;
}

void http_conn_free(struct http_conn *hc)
{
	if (!hc)
		return;
	parked_close(hc);
	free(hc);
}

/* Done with R's socket side after a reply: keep it for the next request
 * of the same HTTP connection when nothing else is on it, else close it. */
static void bridge_release(struct http_req *r)
{
	struct ev_loop *loop = r->h->a->loop;

	if (!r->hc || r->hc->fd >= 0 || r->fd < 0 || r->in_len || r->out) {
		http_req_bridge_close(r);
		return;
	}
	ev_io_stop(loop, &r->rio);
	ev_io_stop(loop, &r->wio);
	park(r->hc, r->fd, r->sid);
	r->fd = -1;
}

/* The idle socket side of R's HTTP connection, if it still works, else -1. */
static int bridge_reuse(struct http_req *r)
{
	int fd;
	char c;

	if (!r->hc || r->hc->fd < 0)
		return -1;
	r->sid = r->hc->sid;
	fd = unpark(r->hc);
	/* Nothing may be pending on an idle one: EOF (the server closed it,
	 * e.g. idle for agent.limits' timeout) or stray bytes retire it. */
	if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EINTR))
		return fd;
	if (r->h->a->server)
		server_close_conn(r->h->a->server, r->sid);
	close(fd);
	return -1;
}

/* A new socket side for R, adopted by the server: its fd, or -1 with
 * errno set. Refused busy while idle sides of other HTTP connections hold
 * part of the quota, it closes them and tries once more. */
static int bridge_open(struct http_req *r)
{
	struct http *h = r->h;
	const struct ucred cred = {.pid = 0, .uid = HTTP_CLIENT_UID, .gid = HTTP_CLIENT_GID};
	int sv[2];

	for (int attempt = 0;; attempt++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			return -1;
		/* The server takes sv[1] whatever happens; a refusal arrives as
		 * its "busy" line on sv[0]. */
		if (server_adopt(h->a->server, sv[1], &cred, &r->sid) != -EBUSY || attempt > 0 ||
		    !h->n_parked)
			return sv[0];
		close(sv[0]);
		http_conn_close_parked(h);
	}
}

void http_req_unref(struct http_req *r)
{
	if (!r || --r->refs > 0)
		return;
	http_req_bridge_close(r);
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
void http_req_answer(struct http_req *r, unsigned status, const char *body, size_t len)
{
	free(r->resp);
	r->resp = malloc(len ? len : 1);
	r->resp_len = r->resp ? len : 0;
	if (r->resp)
		memcpy(r->resp, body, len);
	r->status = r->resp ? status : 500;
	r->state = REQ_READY;
}

/* The socket's error object, for what the HTTP side refuses itself. */
void http_req_error(struct http_req *r, enum wire_code code, unsigned status, const char *fmt, ...)
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
	http_req_answer(r, status, text ? text : "", text ? strlen(text) : 0);
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

enum MHD_Result http_req_queue_buffer(struct http_req *r, unsigned status, const void *body,
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
enum MHD_Result http_req_queue_answer(struct http_req *r, const char *allow)
{
	const union MHD_ConnectionInfo *info;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!r->sse || r->status != 200)
		return http_req_queue_buffer(r, r->status, r->resp, r->resp_len, "application/json",
		                             allow);
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
	if (ret == MHD_YES)
		ev_timer_start(r->h->a->loop, &r->keep);
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
	/* The keep-alive comment is for a quiet stream: 15 s after the last
	 * event, not every 15 s. */
	if (ev_is_active(&r->keep))
		ev_timer_again(r->h->a->loop, &r->keep);
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
	http_req_unref(cls);
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
		http_req_bridge_close(r);
		r->ev_eof = true;
		http_req_resume(r);
	}
}

static void keep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http_req *r = w->data;

	(void)loop;
	(void)revents;
	if (r->ev_len == r->ev_off && ev_append(r, ": keep-alive\n\n", 14) == 0)
		http_req_resume(r);
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
	http_req_answer(r, status, line, len);
	metrics_http(r->h->a->metrics, status);
}

/* Drop the first OFF bytes of R's input. */
static void bridge_consume(struct http_req *r, size_t off)
{
	if (!off)
		return;
	memmove(r->in, r->in + off, r->in_len - off);
	r->in_len -= off;
}

/* Read what the socket sent R: its reply, then (a watch) its events. */
static void bridge_input(struct ev_loop *loop, struct http_req *r)
{
	/* A reply may be as long as the socket lets one be. */
	size_t max = (size_t)r->h->a->cfg->agent.limits.output_per_connection + 1;
	size_t off = 0;
	char *nl;
	ssize_t n;

	if (r->in_cap - r->in_len < 4096) {
		size_t cap = r->in_cap ? r->in_cap * 2 : 16384;
		char *p = cap <= max + 4096 ? realloc(r->in, cap) : NULL;

		if (!p) {
			http_req_bridge_close(r);
			if (r->state == REQ_WAIT) {
				http_req_error(r, WIRE_TOO_LARGE, 413, "the answer is too long");
				http_req_resume(r);
			} else {
				r->ev_eof = true;
				http_req_resume(r);
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
		http_req_bridge_close(r);
		if (r->state == REQ_WAIT) {
			http_req_error(r, WIRE_INTERNAL, 500,
			               "the agent closed the request unanswered");
			http_req_resume(r);
		} else {
			r->ev_eof = true;
			http_req_resume(r);
		}
		return;
	}
	r->in_len += (size_t)n;
	/* The lines read are consumed from OFF on, and the rest moved to the
	 * front once per read, not once per line. */
	while (r->fd >= 0 && (nl = memchr(r->in + off, '\n', r->in_len - off))) {
		size_t len = (size_t)(nl - (r->in + off));
		bool reply = r->state == REQ_WAIT;

		if (reply)
			on_reply(r, r->in + off, len);
		else if (sse_event(r, r->in + off, len) < 0)
			r->ev_eof = true;
		off += len + 1;
		/* After a reply, the socket side is done unless a watch started
		 * (kept only if nothing follows the reply: in_len must be the
		 * bytes not consumed). */
		if (reply && (!r->sse || r->status != 200)) {
			bridge_consume(r, off);
			off = 0;
			bridge_release(r);
		}
		http_req_resume(r);
	}
	bridge_consume(r, off);
	if (r->sse && r->fd >= 0 && r->ev_len - r->ev_off >= SSE_HIGH)
		ev_io_stop(loop, &r->rio);
}

static void bridge_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_req *r = w->data;
	struct http *h = r->h;

	(void)revents;
	bridge_input(loop, r);
	/* A connection resumed: serve it now rather than after another poll.
	 * R may be freed by the run; it is not used after it. */
	if (ev_is_active(&h->kick)) {
		ev_timer_stop(loop, &h->kick);
		http_run(h);
	}
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
enum MHD_Result http_req_bridge(struct http_req *r, json_t *req)
{
	struct http *h = r->h;
	size_t len;

	r->out = wire_dump_line(req, &len);
	json_decref(req);
	if (!r->out || !h->a->server) {
		http_req_error(r, WIRE_INTERNAL, 500, "out of memory");
		return http_req_queue_answer(r, NULL);
	}
	r->out_len = len;
	/* Started as root with agent.user nobody, lanyardd would count its
	 * HTTP clients as administrators (conn_uid_is_admin()). */
	if (conn_uid_is_admin(HTTP_CLIENT_UID)) {
		http_req_error(
		        r, WIRE_UNAVAILABLE, 503,
		        "lanyardd runs as uid %u, the uid HTTP clients get: not serving them "
		        "as administrators (agent.user)",
		        (unsigned)HTTP_CLIENT_UID);
		return http_req_queue_answer(r, NULL);
	}
	r->fd = bridge_reuse(r);
	if (r->fd < 0 && (r->fd = bridge_open(r)) < 0) {
		http_req_error(r, WIRE_UNAVAILABLE, 503, "cannot make a socketpair: %s",
		               strerror(errno));
		return http_req_queue_answer(r, NULL);
	}
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

/* --- life ---------------------------------------------------------------- */

struct http_req *http_req_new(struct http *h, const char *uri, struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *info;
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
	info = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	r->hc = info ? info->socket_context : NULL;
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
