/* SPDX-License-Identifier: MIT */
/* What agent/http.c (listeners, routing) and agent/http-req.c (one
 * request: its answer, its socket side, its event stream) share; nothing
 * else includes this. */
#pragma once

#include <ev.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/request.h"

struct agent;

/* Event bytes an SSE stream buffers before it stops reading its socket
 * (then the socket's own output bound applies to the watch). */
#define SSE_HIGH (256 * 1024)
/* A comment line on an event stream this long without events, so proxies
 * and clients see it live. */
#define SSE_KEEPALIVE_S 15.0

struct http_listener {
	struct http *h;
	struct MHD_Daemon *d;
	ev_io io;
	ev_timer tm;
	bool loopback; /* then only a Host naming it is answered */
	char addr[64]; /* the listen address as configured: "127.0.0.1:8787" */
	unsigned short port;
};

struct http {
	struct agent *a;
	struct http_listener *ls;
	size_t n_ls;
	ev_timer kick; /* run the daemons soon: a connection was resumed */
	struct http_req *reqs;
	/* HTTP connections holding an idle socket side, oldest first: at most
	 * http_parked_max() of them, so that idle keep-alive clients never
	 * fill uid 65534's connections_per_user. */
	struct http_conn *parked, *parked_last;
	size_t n_parked;
};

enum req_state {
	REQ_NEW,   /* the request line and headers are in */
	REQ_BODY,  /* reading a POST body */
	REQ_WAIT,  /* suspended, waiting for the socket's answer */
	REQ_READY, /* the answer is in; queue it at the next call */
	REQ_SENT,  /* a response is queued */
};

/* One HTTP connection (MHD's socket context): a socket side kept between
 * its requests, so that a keep-alive client does not cost a socketpair
 * and a socket connection per request. */
struct http_conn {
	struct http *h;
	int fd;       /* an idle socket side (no request, no watch on it), or -1 */
	uint64_t sid; /* its server connection's conn_id(), while fd >= 0 */
	struct http_conn *pprev, *pnext; /* h->parked, while fd >= 0 */
};

struct http_req {
	struct http *h;
	struct http_conn *hc; /* its HTTP connection's; NULL once MHD completed it */
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
	uint64_t sid; /* its server connection's conn_id() */
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

/* Run every listener's daemon (http.c). */
void http_run(struct http *h);

/* --- http-req.c ---------------------------------------------------------- */

/* A request of H whose raw URI is URI (copied), on MHD connection MC, with
 * one reference (MHD's, dropped by http_req_unref() when MHD completes
 * it). NULL on OOM. */
struct http_req *http_req_new(struct http *h, const char *uri, struct MHD_Connection *mc);
/* Drop a reference; the last frees R (its socket side closed, its watchers
 * stopped, unlinked from H). NULL is fine. */
void http_req_unref(struct http_req *r);
/* Let MHD go on with R's connection (a no-op unless suspended), soon. */
void http_req_resume(struct http_req *r);
/* Close R's socket side (the socket server then frees its connection and
 * any watch on it). */
void http_req_bridge_close(struct http_req *r);
/* A struct http_conn of H, with no socket side; NULL on OOM. */
struct http_conn *http_conn_new(struct http *h);
/* Close HC's idle socket side, if any, and free HC. NULL is fine. */
void http_conn_free(struct http_conn *hc);
/* Close every idle socket side of H (their server connections at once). */
void http_conn_close_parked(struct http *h);
/* R's answer: STATUS with the LEN bytes of BODY (copied). */
void http_req_answer(struct http_req *r, unsigned status, const char *body, size_t len);
/* R's answer: STATUS with the error object {"ok":false,"error":{"code":
 * CODE,"message":...}} of a printf-formatted message, counted. */
void http_req_error(struct http_req *r, enum wire_code code, unsigned status, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* Queue a response with STATUS, the LEN bytes at BODY (copied), content
 * type CTYPE and, if not NULL, an Allow header. */
enum MHD_Result http_req_queue_buffer(struct http_req *r, unsigned status, const void *body,
                                      size_t len, const char *ctype, const char *allow);
/* Queue R's answer (its JSON, or for a watch that started, the event
 * stream), with an Allow header if ALLOW is not NULL. */
enum MHD_Result http_req_queue_answer(struct http_req *r, const char *allow);
/* Send REQ (consumed) to the socket server on a new socketpair, as uid
 * HTTP_CLIENT_UID, and suspend R until the reply (an error answer is
 * queued at once if that cannot start). */
enum MHD_Result http_req_bridge(struct http_req *r, json_t *req);
