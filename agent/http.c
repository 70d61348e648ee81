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
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/http-page.h"
#include "agent/http-private.h"
#include "agent/http-query.h"
#include "agent/http.h"
#include "agent/log.h"
#include "agent/metrics.h"
#include "agent/server.h"
#include "dnssd/clock.h"

/* Bytes of request line and headers MHD keeps per connection: a larger
 * request is answered 431/414 by MHD itself. */
#define HTTP_CONN_MEMORY (32 * 1024)
/* Bytes of an over-long body without Content-Length read (and dropped)
 * before its connection is closed instead of answered 413. */
#define HTTP_DISCARD_MAX (1024 * 1024)
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
		http_req_error(r, WIRE_INTERNAL, 500, "out of memory");
		return http_req_queue_answer(r, NULL);
	}
	metrics_http(r->h->a->metrics, 200);
	ret = http_req_queue_buffer(r, 200, text, len, "text/plain; version=0.0.4; charset=utf-8",
	                            NULL);
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
			http_req_error(r, WIRE_BAD_REQUEST, 400,
			               "report takes no query parameters");
			return http_req_queue_answer(r, NULL);
		}
		req = json_loadb(r->body ? r->body : "", r->body_len, JSON_REJECT_DUPLICATES,
		                 &jerr);
		if (!json_is_object(req)) {
			json_decref(req);
			http_req_error(r, WIRE_BAD_REQUEST, 400,
			               "the body must be one JSON object");
			return http_req_queue_answer(r, NULL);
		}
		if (json_object_get(req, "op") || json_object_get(req, "id")) {
			json_decref(req);
			http_req_error(
			        r, WIRE_BAD_REQUEST, 400,
			        "the body is the report's members, without \"op\" or \"id\"");
			return http_req_queue_answer(r, NULL);
		}
		if (json_object_set_new(req, "op", json_string("report")) < 0) {
			json_decref(req);
			http_req_error(r, WIRE_INTERNAL, 500, "out of memory");
			return http_req_queue_answer(r, NULL);
		}
		return http_req_bridge(r, req);
	}
	if ((svc && http_unescape(svc, svc_len, false, &service) < 0) ||
	    http_query_parse(query, qlen, &q, msg, sizeof(msg)) < 0) {
		free(service);
		http_query_clear(&q);
		http_req_error(r, WIRE_BAD_REQUEST, 400, "%s",
		               service || !svc ? msg : "bad percent-escape in the service name");
		return http_req_queue_answer(r, NULL);
	}
	if (http_query_request(r->op, service, &q, &req, &err) < 0) {
		free(service);
		http_query_clear(&q);
		http_req_error(r, err.code, http_status_of(err.code), "%s", err.msg);
		return http_req_queue_answer(r, NULL);
	}
	free(service);
	http_query_clear(&q);
	r->sse = rt == ROUTE_WATCH;
	return http_req_bridge(r, req);
}

/* --- who may ask ---------------------------------------------------------- */

/* Whether HOST (the Host header, NULL if none) names listener L. Any does
 * on a non-loopback listener (allow_remote); on a loopback one, only L's
 * own address or a loopback name, with L's port or none: a web page of
 * another site whose name was rebound to 127.0.0.1 (DNS rebinding) sends
 * its own name. No Host at all (HTTP/1.0) is not a browser's request. */
static bool host_ok(const struct http_listener *l, const char *host)
{
	static const char *const names[] = {"localhost", "127.0.0.1", "[::1]"};
	char port[8];

	if (!l->loopback || !host || strcasecmp(host, l->addr) == 0)
		return true;
	snprintf(port, sizeof(port), ":%u", (unsigned)l->port);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		size_t n = strlen(names[i]);

		if (strncasecmp(host, names[i], n) == 0 &&
		    (host[n] == '\0' || strcmp(host + n, port) == 0))
			return true;
	}
	return false;
}

/* Whether a request with ORIGIN (NULL if none) and HOST is answered: no
 * Origin (not a browser's cross-site request), the same origin
 * ("http://" HOST: the page's own requests), or CORS's CORS_ORIGIN ("*":
 * any). Scripts of other sites are refused before anything is done,
 * rather than only kept from reading the answer. */
static bool origin_ok(const char *cors, const char *origin, const char *host)
{
	if (!origin)
		return true;
	if (cors && (strcmp(cors, "*") == 0 || strcmp(origin, cors) == 0))
		return true;
	return host && strncasecmp(origin, "http://", 7) == 0 && strcasecmp(origin + 7, host) == 0;
}

/* Whether the Content-Type CT is JSON ("application/json", parameters allowed). */
static bool content_is_json(const char *ct)
{
	static const char json[] = "application/json";
	size_t n = sizeof(json) - 1;

	if (!ct)
		return false;
	ct += strspn(ct, " \t");
	return strncasecmp(ct, json, n) == 0 && strchr(";\t ", ct[n]) != NULL;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *mc, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	struct http_listener *l = cls;
	struct http *h = l->h;
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
		return http_req_queue_answer(r, NULL);
	if (r->state == REQ_WAIT || r->state == REQ_SENT)
		return MHD_YES;
	uri = r->uri;
	qm = strchr(uri, '?');
	plen = qm ? (size_t)(qm - uri) : strlen(uri);
	rt = route_of(uri, plen, &svc, &svc_len);
	if (rt == ROUTE_PAGE && plen != 1)
		rt = ROUTE_NONE;
	if (r->state == REQ_NEW) {
		const char *host =
		        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
		const char *origin =
		        MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);

		/* The first call has the headers only. A request that cannot be
		 * taken is answered now (MHD then closes the connection rather
		 * than read a body); everything else waits for the end of the
		 * request, so that the connection may be kept alive. */
		if (!host_ok(l, host)) {
			http_req_error(r, WIRE_FORBIDDEN, 403,
			               "the Host header does not name this agent: a loopback "
			               "listener answers its own address, localhost, 127.0.0.1 "
			               "or [::1] only");
			return http_req_queue_answer(r, NULL);
		}
		if (!origin_ok(cfg->cors_origin, origin, host)) {
			http_req_error(r, WIRE_FORBIDDEN, 403,
			               "requests from another origin are refused "
			               "(agent.http.cors_origin)");
			return http_req_queue_answer(r, NULL);
		}
		if (rt == ROUTE_REPORT && strcmp(method, "POST") == 0) {
			const char *cl = MHD_lookup_connection_value(
			        mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

			if (!cfg->allow_report) {
				http_req_error(
				        r, WIRE_FORBIDDEN, 403,
				        "reports over HTTP are off (agent.http.allow_report)");
				return http_req_queue_answer(r, NULL);
			}
			/* Not a form a page of any site may post without asking. */
			if (!content_is_json(MHD_lookup_connection_value(
			            mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
				http_req_error(r, WIRE_BAD_REQUEST, 415,
				               "the body must be sent as Content-Type: "
				               "application/json");
				return http_req_queue_answer(r, NULL);
			}
			if (cl && strtoull(cl, NULL, 10) > cfg->max_body) {
				http_req_error(r, WIRE_TOO_LARGE, 413,
				               "the body is longer than %llu bytes",
				               (unsigned long long)cfg->max_body);
				return http_req_queue_answer(r, NULL);
			}
		}
		r->state = REQ_BODY;
		return MHD_YES;
	}
	if (r->state == REQ_BODY) {
		if (*upload_size && r->body_len + *upload_size <= cfg->max_body) {
			char *n = realloc(r->body, r->body_len + *upload_size);

			if (!n) {
				http_req_error(r, WIRE_INTERNAL, 500, "out of memory");
				return http_req_queue_answer(r, NULL);
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
			http_req_error(r, WIRE_TOO_LARGE, 413, "the body is longer than %llu bytes",
			               (unsigned long long)cfg->max_body);
			return http_req_queue_answer(r, NULL);
		}
	}
	/* The whole request is in. */
	if (rt == ROUTE_NONE) {
		http_req_error(r, WIRE_NOT_FOUND, 404, "no such endpoint: see docs/http.md");
		return http_req_queue_answer(r, NULL);
	}
	if (routes[rt].post ? strcmp(method, "POST") != 0 : !get) {
		http_req_error(r, WIRE_BAD_REQUEST, 405, "method not allowed here");
		return http_req_queue_answer(r, routes[rt].post ? "POST" : "GET, HEAD");
	}
	if (rt == ROUTE_PAGE) {
		const unsigned char *body;
		size_t len;

		/* A query string is the page's own business (its script reads it). */
		http_page_index(&body, &len);
		metrics_http(h->a->metrics, 200);
		return http_req_queue_buffer(r, 200, body, len, "text/html; charset=utf-8", NULL);
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
	return http_req_new(cls, uri, mc);
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
	r->hc = NULL;
	r->suspended = false;
	/* MHD closes the client's socket: watch it no more. */
	ev_io_stop(r->h->a->loop, &r->hup);
	ev_timer_stop(r->h->a->loop, &r->keep);
	http_req_unref(r);
}

/* A TCP connection opens or closes: its struct http_conn. */
static void conn_cb(void *cls, struct MHD_Connection *mc, void **socket_context,
                    enum MHD_ConnectionNotificationCode toe)
{
	(void)mc;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		/* NULL: its requests make socket sides anew */
		*socket_context = http_conn_new(cls);
	} else {
		http_conn_free(*socket_context);
		*socket_context = NULL;
	}
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

void http_run(struct http *h)
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
	l->loopback = loopback;
	l->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                         : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	/* No MHD_OPTION_LISTENING_ADDRESS_REUSE: it sets SO_REUSEPORT, and a
	 * second lanyardd on the same port would then share it silently.
	 * MHD's default SO_REUSEADDR is enough to listen again at once after
	 * a restart. */
	l->d = MHD_start_daemon(
	        flags, 0, NULL, NULL, handler, l, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
	        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
	        (unsigned int)cfg->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
	        (unsigned int)((cfg->idle_timeout_ms + 999) / 1000),
	        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	        MHD_OPTION_URI_LOG_CALLBACK, uri_cb, h, MHD_OPTION_NOTIFY_COMPLETED, completed_cb,
	        h, MHD_OPTION_NOTIFY_CONNECTION, conn_cb, h, MHD_OPTION_END);
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
		http_req_bridge_close(r);
		r->ev_eof = true;
		if (r->state == REQ_WAIT)
			http_req_error(r, WIRE_UNAVAILABLE, 503, "the HTTP interface is closing");
		http_req_resume(r);
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
		http_req_unref(h->reqs);
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
