/* SPDX-License-Identifier: MIT */
/* One consumer connection of the socket server: bounded line input, ordered
 * replies, bounded output, idle timeout, and state attached by watches. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ev.h>
#include <jansson.h>

#include "wire/request.h"

struct conn;
struct conn_user;

/* Per-server limits; server_limits_default() gives the defaults below. */
struct server_limits {
	size_t max_line;             /* request bytes without newline, <= WIRE_MAX_LINE (64 KiB) */
	size_t max_output;           /* pending output of one connection: a longer reply is
	                                refused (too_large), a reader further behind is
	                                dropped (4 MiB) */
	size_t max_output_total;     /* pending output of all connections: past it,
	                                replies are refused (busy) (64 MiB) */
	unsigned max_conns;          /* concurrent connections (1024) */
	unsigned max_conns_per_user; /* of one uid, except root and lanyardd's
	                                own user (128; 0 = no cap) */
	double idle_timeout;         /* seconds without traffic (300); 0 = never. Not applied
	                                while a watch is attached or a reply is held. */
};

/* Counters for the status op; all monotonic except conns_current. */
struct server_stats {
	uint64_t conns_current;
	uint64_t conns_total;   /* accepted, including those refused as busy */
	uint64_t requests;      /* request lines received */
	uint64_t errors;        /* error responses sent */
	uint64_t dropped_slow;  /* dropped for exceeding max_output */
	uint64_t rejected_busy; /* refused beyond max_conns or max_conns_per_user */
	uint64_t rejected_user; /* of those, beyond max_conns_per_user */
	uint64_t too_long;      /* replies refused for exceeding max_output */
	uint64_t output_busy;   /* replies refused for exceeding max_output_total */
	uint64_t output_bytes;  /* pending output of all connections now */
	uint64_t timed_out;     /* closed by the idle timeout */
	uint64_t too_large;     /* closed for an over-long line */
};

/* Called once per valid request, in order. The handler must, before it
 * returns, either reply exactly once (conn_reply_ok/conn_reply_error) or
 * defer with conn_hold(). REQ is valid only during the call. If it does
 * neither, the server answers "internal". */
typedef void (*server_handler_fn)(void *userdata, struct conn *c, const struct wire_request *req);

/* State shared by the connections of one server; embedded in struct server
 * (server.c) and private to server.c and conn.c. */
struct conn_env {
	struct ev_loop *loop;
	struct server_limits limits;
	server_handler_fn handler;
	void *userdata;
	struct server_stats stats;
	struct conn *all;        /* every connection not yet freed */
	struct conn *pending;    /* connections to flush, resume or free before the next poll */
	struct conn_user *users; /* connections per uid */
	size_t n_users, cap_users;
	uint64_t next_id;
	ev_prepare prepare;
	/* the strings of the request being dispatched (a resolve parsed
	 * without allocating); allocated at the first request */
	struct wire_scratch *scratch;
	bool scratch_busy;
};

/* --- for server.c ------------------------------------------------------ */

/* Initialise ENV (not the limits/handler members, set by the caller). */
void conn_env_init(struct conn_env *env, struct ev_loop *loop);
/* Free every connection at once (running watch and hold destructors). */
void conn_env_fini(struct conn_env *env);
/* Take ownership of accepted, non-blocking FD, whose peer is CRED
 * (SO_PEERCRED). Returns 0 or -ENOMEM (FD is closed either way on
 * failure). */
int conn_new(struct conn_env *env, int fd, const struct ucred *cred);
/* As conn_new(), for one end of a socketpair whose other end lanyardd
 * itself holds (the HTTP bridge, agent/http.c): CRED is the identity the
 * bridge gives its clients, and conn_fd() returns -1, so that no one asks
 * the kernel about a "peer" that is lanyardd (SO_PEERGROUPS would answer
 * with lanyardd's own groups). */
int conn_new_local(struct conn_env *env, int fd, const struct ucred *cred);
/* How many connections UID holds now. */
unsigned conn_env_user_count(const struct conn_env *env, uid_t uid);
/* The open connection of ENV whose conn_id() is ID, or NULL (closed, or
 * never was). */
struct conn *conn_env_find(const struct conn_env *env, uint64_t id);

/* --- for request handlers --------------------------------------------- */

/* Queue MSG (not consumed) as one line. Output is written before the loop
 * next polls. Returns 0; -EPIPE if C is closing; -EMSGSIZE if the line
 * alone would pass max_output (it is dropped, C stays); -ENOBUFS if C's
 * reader is too far behind (max_output, or past max_output_total by more
 * than 256 KiB), in which case C is dropped; -ENOMEM. */
int conn_send_json(struct conn *c, const json_t *msg);

/* Queue the concatenation of the N PARTS as one line (a newline is added):
 * compact JSON text the caller made. Returns as conn_send_json. */
int conn_send_text(struct conn *c, const struct iovec *parts, size_t n);

/* Reply to REQ (the request being handled) with {"id","ok":true} plus the
 * members of BODY (an object or NULL; consumed). Returns as conn_send_json,
 * or -EALREADY if REQ was already answered or is not C's current request. */
int conn_reply_ok(struct conn *c, const struct wire_request *req, json_t *body);

/* As conn_reply_ok(), with the body's members as compact JSON text: the
 * concatenation of the N PARTS, e.g. "\"instance\":{...}" (no braces; N 0
 * for none). The text is not checked: callers pass what a json_t dump
 * produced or text of the same form. */
int conn_reply_ok_text(struct conn *c, const struct wire_request *req, const struct iovec *parts,
                       size_t n);

/* Reply to REQ with an error CODE and a printf-formatted message. */
int conn_reply_error(struct conn *c, const struct wire_request *req, enum wire_code code,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Defer the reply to REQ: C processes no further request until
 * conn_release_ok()/conn_release_error(). If C closes first, CANCEL(DATA) is
 * called (once, before C is freed) unless CANCEL is NULL. Returns 0 or
 * -EALREADY if REQ was already answered. */
int conn_hold(struct conn *c, const struct wire_request *req, void (*cancel)(void *data),
              void *data);

/* Send the deferred reply and resume processing C's pipelined requests.
 * Returns as conn_reply_ok, -EALREADY if nothing is held. */
int conn_release_ok(struct conn *c, json_t *body);
int conn_release_ok_text(struct conn *c, const struct iovec *parts, size_t n);
int conn_release_error(struct conn *c, enum wire_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* What lives as long as a connection: its watches, its registrations. */
enum conn_att {
	CONN_ATT_WATCH,
	CONN_ATT_REGISTRATION,
	_CONN_ATT_MAX,
};

/* Attach DATA of KIND to C. DESTROY(DATA) runs when it is detached or C
 * closes. Returns the attachment id (1, 2, ... per connection, all kinds;
 * a watch's id is its own), or 0 on OOM (DATA then stays the caller's). A
 * connection with an attachment is never closed for idleness. */
uint64_t conn_attach(struct conn *c, enum conn_att kind, void *data, void (*destroy)(void *data));
/* The DATA of KIND attached under ID, or NULL. */
void *conn_attached(const struct conn *c, enum conn_att kind, uint64_t id);
/* Detach ID of KIND and run its destructor. Returns 0 or -ENOENT. */
int conn_detach(struct conn *c, enum conn_att kind, uint64_t id);
size_t conn_attached_count(const struct conn *c, enum conn_att kind);

/* The same for watches. */
static inline uint64_t conn_watch_add(struct conn *c, void *data, void (*destroy)(void *data))
{
	return conn_attach(c, CONN_ATT_WATCH, data, destroy);
}
static inline void *conn_watch_get(const struct conn *c, uint64_t id)
{
	return conn_attached(c, CONN_ATT_WATCH, id);
}
static inline int conn_watch_remove(struct conn *c, uint64_t id)
{
	return conn_detach(c, CONN_ATT_WATCH, id);
}
static inline size_t conn_watch_count(const struct conn *c)
{
	return conn_attached_count(c, CONN_ATT_WATCH);
}

/* Close C now, dropping unsent output. Destructors run before the next
 * poll; C must not be used after the current callback returns. */
void conn_close(struct conn *c);

/* Bytes of output C has not written yet. */
size_t conn_pending_output(const struct conn *c);
/* The longest reply C may be sent (max_output). */
size_t conn_max_output(const struct conn *c);

/* Unique id of C within its server (for logs). */
uint64_t conn_id(const struct conn *c);

/* clock_mono() when C's input was last read, or when its input resumed
 * after a held request or a pause: the arrival of the request being
 * handled, for its latency (a request waiting behind a held one is timed
 * from the release, as it could not be taken before). */
double conn_arrived(const struct conn *c);

/* C's socket (for getsockopt() on its peer); -1 for a conn_new_local()
 * connection, which has no peer to ask. */
int conn_fd(const struct conn *c);

/* C's peer (SO_PEERCRED, as it was at connect()). */
const struct ucred *conn_peer_cred(const struct conn *c);

/* The administrators, the one rule: root and the user lanyardd runs as.
 * Quotas per user do not apply to them, only the totals. */
static inline bool conn_uid_is_admin(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}
