/* SPDX-License-Identifier: MIT */
/* Per-connection I/O of the socket server: lines in, bounded and in order,
 * the connection's life (idle and slow-reader timeouts, attachments, users)
 * and writing; what is queued for writing is conn-reply.c's. */
#include "agent/conn.h"
#include "agent/conn-private.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dnssd/clock.h"
#include "wire/response.h"

#define IN_MIN_CAP   4096
#define OUT_KEEP_CAP (64 * 1024) /* larger output buffers are freed once empty */
#define IN_KEEP_CAP  (16 * 1024)

static struct conn_user *user_find(const struct conn_env *env, uid_t uid)
{
	for (size_t i = 0; i < env->n_users; i++)
		if (env->users[i].uid == uid)
			return &env->users[i];
	return NULL;
}

unsigned conn_env_user_count(const struct conn_env *env, uid_t uid)
{
	const struct conn_user *u = user_find(env, uid);

	return u ? u->n : 0;
}

struct conn *conn_env_find(const struct conn_env *env, uint64_t id)
{
	for (struct conn *c = env->all; c; c = c->next)
		if (c->id == id)
			return c->state == CONN_DEAD ? NULL : c;
	return NULL;
}

static int user_add(struct conn_env *env, uid_t uid)
{
	struct conn_user *u = user_find(env, uid);

	if (!u) {
		if (env->n_users == env->cap_users) {
			size_t cap = env->cap_users ? env->cap_users * 2 : 8;
			struct conn_user *a = realloc(env->users, cap * sizeof(*a));

			if (!a)
				return -ENOMEM;
			env->users = a;
			env->cap_users = cap;
		}
		u = &env->users[env->n_users++];
		*u = (struct conn_user){.uid = uid};
	}
	u->n++;
	return 0;
}

static void user_del(struct conn_env *env, uid_t uid)
{
	struct conn_user *u = user_find(env, uid);

	if (u && --u->n == 0)
		*u = env->users[--env->n_users];
}

void conn_schedule(struct conn *c)
{
	struct conn_env *env = c->env;

	if (!c->pending) {
		c->pending = true;
		c->pending_next = env->pending;
		env->pending = c;
	}
	ev_prepare_start(env->loop, &env->prepare);
}

void conn_close(struct conn *c)
{
	if (c->state == CONN_DEAD)
		return;
	c->state = CONN_DEAD;
	ev_io_stop(c->env->loop, &c->rio);
	ev_io_stop(c->env->loop, &c->wio);
	ev_timer_stop(c->env->loop, &c->idle);
	close(c->fd);
	c->fd = -1;
	c->env->stats.conns_current--;
	c->env->stats.output_bytes -= conn_pending(c);
	c->out_off = c->out_len = 0;
	user_del(c->env, c->cred.uid);
	conn_schedule(c);
}

/* Unlink and free a dead connection, running its destructors. */
static void conn_destroy(struct conn *c)
{
	struct conn_env *env = c->env;

	if (c->held && c->hold_cancel)
		c->hold_cancel(c->hold_data);
	json_decref(c->held_id);
	while (c->watches) {
		struct conn_watch *w = c->watches;

		c->watches = w->next;
		if (w->destroy)
			w->destroy(w->data);
		free(w);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		env->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->in);
	free(c->out);
	free(c);
}

uint64_t conn_attach(struct conn *c, enum conn_att kind, void *data, void (*destroy)(void *data))
{
	struct conn_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return 0;
	w->kind = kind;
	w->id = ++c->next_watch;
	w->data = data;
	w->destroy = destroy;
	w->next = c->watches;
	c->watches = w;
	c->n_att[kind]++;
	return w->id;
}

void *conn_attached(const struct conn *c, enum conn_att kind, uint64_t id)
{
	for (const struct conn_watch *w = c->watches; w; w = w->next)
		if (w->id == id && w->kind == kind)
			return w->data;
	return NULL;
}

int conn_detach(struct conn *c, enum conn_att kind, uint64_t id)
{
	for (struct conn_watch **p = &c->watches; *p; p = &(*p)->next) {
		struct conn_watch *w = *p;

		if (w->id != id || w->kind != kind)
			continue;
		*p = w->next;
		c->n_att[kind]--;
		if (w->destroy)
			w->destroy(w->data);
		free(w);
		return 0;
	}
	return -ENOENT;
}

size_t conn_attached_count(const struct conn *c, enum conn_att kind)
{
	return c->n_att[kind];
}

size_t conn_pending_output(const struct conn *c)
{
	return conn_pending(c);
}

size_t conn_max_output(const struct conn *c)
{
	return c->env->limits.max_output;
}

uint64_t conn_id(const struct conn *c)
{
	return c->id;
}

double conn_arrived(const struct conn *c)
{
	return c->arrived;
}

int conn_fd(const struct conn *c)
{
	return c->synthetic ? -1 : c->fd;
}

const struct ucred *conn_peer_cred(const struct conn *c)
{
	return &c->cred;
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* Parse and hand one line to the handler. */
static void dispatch(struct conn *c, const char *line, size_t len)
{
	struct conn_env *env = c->env;
	struct wire_request req;
	struct wire_err err;
	bool lend;
	int r;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (is_blank(line, len))
		return;
	env->stats.requests++;
	if (!env->scratch)
		env->scratch = malloc(sizeof(*env->scratch)); /* NULL: the full parser */
	lend = env->scratch && !env->scratch_busy; /* a nested dispatch must not reuse it */
	env->scratch_busy = env->scratch_busy || lend;
	r = lend ? wire_request_parse_scratch(line, len, &req, env->scratch, &err)
	         : wire_request_parse(line, len, &req, &err);
	if (r < 0) {
		conn_send_error(c, req.id, err.code, err.msg);
	} else {
		c->cur = &req;
		c->cur_answered = false;
		env->handler(env->userdata, c, &req);
		if (!c->cur_answered && c->state != CONN_DEAD)
			conn_send_error(c, req.id, WIRE_INTERNAL, "the request was not answered");
		c->cur = NULL;
	}
	wire_request_clear(&req);
	if (lend)
		env->scratch_busy = false;
}

/* A paused connection whose reader takes nothing for this long is dropped
 * as a slow reader: it holds its output and blocks its own requests. */
#define STALL_S 10.0

static bool congested(const struct conn *c)
{
	return c->out_len - c->out_off > OUT_HIGH;
}

/* Dispatch every complete buffered line while C is open, not held and not
 * congested. */
static void process_input(struct conn *c)
{
	size_t start = 0;

	while (c->state == CONN_OPEN && !c->held && !congested(c)) {
		size_t from = c->in_scanned > start ? c->in_scanned : start;
		char *nl = memchr(c->in + from, '\n', c->in_len - from);
		size_t end;

		if (!nl) {
			c->in_scanned = c->in_len;
			break;
		}
		end = (size_t)(nl - c->in);
		c->in_scanned = end + 1;
		dispatch(c, c->in + start, end - start);
		start = end + 1;
	}
	if (start > 0) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
		c->in_scanned = c->in_scanned > start ? c->in_scanned - start : 0;
	}
	if (c->in_len == 0 && c->in_cap > IN_KEEP_CAP) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

static size_t in_limit(const struct conn *c)
{
	return c->env->limits.max_line + 1; /* the line and its newline */
}

/* Process what was read, then decide whether to keep reading. */
static void conn_advance(struct conn *c)
{
	struct conn_env *env = c->env;

	process_input(c);
	if (c->state != CONN_OPEN)
		return;
	if (congested(c)) {
		/* Resumed by conn_flush() once the output drains; dropped if the
		 * reader stalls (idle_cb). */
		if (!c->paused) {
			c->paused = true;
			c->last_activity = clock_mono();
			c->idle.repeat = STALL_S;
			ev_timer_again(env->loop, &c->idle);
		}
		ev_io_stop(env->loop, &c->rio);
		return;
	}
	if (c->held) {
		if (c->peer_gone) {
			conn_close(c); /* nobody is left to read the held reply */
			return;
		}
		/* Keep reading while there is room, to notice a hang-up. */
		if (c->in_len >= in_limit(c) || c->read_eof)
			ev_io_stop(env->loop, &c->rio);
		else
			ev_io_start(env->loop, &c->rio);
		return;
	}
	if (c->read_eof) {
		/* A last line without newline still counts (e.g. printf | socat). */
		if (c->in_len > 0)
			dispatch(c, c->in, c->in_len);
		c->in_len = c->in_scanned = 0;
		if (c->state == CONN_OPEN)
			c->state = CONN_DRAINING;
		conn_schedule(c);
		return;
	}
	if (c->in_len >= in_limit(c)) {
		char msg[WIRE_MSG_MAX];

		env->stats.too_large++;
		snprintf(msg, sizeof(msg), "request line longer than %zu bytes",
		         env->limits.max_line);
		conn_send_error(c, NULL, WIRE_TOO_LARGE, msg);
		if (c->state == CONN_OPEN)
			c->state = CONN_DRAINING;
		ev_io_stop(env->loop, &c->rio);
		conn_schedule(c);
		return;
	}
	ev_io_start(env->loop, &c->rio);
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	ssize_t n;

	if (c->in_len == c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap * 2 : IN_MIN_CAP;
		char *p;

		if (c->in_cap >= in_limit(c)) {
			/* Full while a reply is held: wait for conn_release_*(). */
			ev_io_stop(loop, &c->rio);
			return;
		}

		if (cap > in_limit(c))
			cap = in_limit(c);
		p = realloc(c->in, cap);
		if (!p) {
			conn_close(c);
			return;
		}
		c->in = p;
		c->in_cap = cap;
	}
	n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_close(c); /* ECONNRESET and friends: the peer is gone */
		return;
	}
	if (n == 0) {
		/* EOF. After shutdown(SHUT_WR) the peer still reads: answer what
		 * it sent, then close. POLLHUP means it closed both ways. */
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};

		c->read_eof = true;
		c->peer_gone = poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR));
		ev_io_stop(loop, &c->rio);
	} else {
		c->in_len += (size_t)n;
		c->last_activity = c->arrived = clock_mono();
		c->activity_iter = ev_iteration(loop);
	}
	conn_advance(c);
}

/* A paused connection whose output drained takes requests again. */
static void conn_unpause(struct conn *c)
{
	if (!c->paused || congested(c))
		return;
	c->paused = false;
	c->resume = true;
	conn_schedule(c);
}

/* Write pending output; start the write watcher only while some remains. */
static void conn_flush(struct conn *c)
{
	struct ev_loop *loop = c->env->loop;

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->out_off += (size_t)n;
			c->env->stats.output_bytes -= (size_t)n;
			/* a read in this loop iteration noted the time already */
			if (c->activity_iter != ev_iteration(loop)) {
				c->last_activity = clock_mono();
				c->activity_iter = ev_iteration(loop);
			}
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(loop, &c->wio);
			conn_unpause(c);
			return;
		} else {
			conn_close(c); /* EPIPE, ECONNRESET */
			return;
		}
	}
	c->out_off = c->out_len = 0;
	ev_io_stop(loop, &c->wio);
	conn_unpause(c);
	if (c->out_cap > OUT_KEEP_CAP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	if (c->state == CONN_DRAINING && !c->held)
		conn_close(c);
}

static void write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	conn_flush(w->data);
}

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = w->data;
	double now = clock_mono(), after;
	double limit = c->paused ? STALL_S : c->env->limits.idle_timeout;

	if (!c->paused && (c->watches || c->held))
		c->last_activity = now;
	if (limit <= 0) /* no idle timeout configured */
		return;
	after = c->last_activity + limit - now;
	if (after <= 0) {
		if (c->paused)
			c->env->stats.dropped_slow++;
		else
			c->env->stats.timed_out++;
		conn_close(c);
		return;
	}
	w->repeat = after;
	ev_timer_again(loop, w);
}

/* Before each poll: free dead connections, resume released ones, write output. */
static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct conn_env *env = w->data;

	while (env->pending) {
		struct conn *c = env->pending, *next;

		env->pending = NULL;
		for (; c; c = next) {
			next = c->pending_next;
			c->pending = false;
			if (c->state == CONN_DEAD) {
				conn_destroy(c);
				continue;
			}
			if (c->resume) {
				/* what was held back arrives now, for its latency */
				c->resume = false;
				c->arrived = clock_mono();
				conn_advance(c);
			}
			if (c->state != CONN_DEAD)
				conn_flush(c);
		}
	}
	ev_prepare_stop(loop, w);
}

void conn_env_init(struct conn_env *env, struct ev_loop *loop)
{
	memset(env, 0, sizeof(*env));
	env->loop = loop;
	ev_prepare_init(&env->prepare, prepare_cb);
	env->prepare.data = env;
}

void conn_env_fini(struct conn_env *env)
{
	if (!env->loop)
		return;
	env->pending = NULL;
	while (env->all) {
		struct conn *c = env->all;

		conn_close(c);
		conn_destroy(c);
	}
	env->pending = NULL;
	ev_prepare_stop(env->loop, &env->prepare);
	free(env->scratch);
	env->scratch = NULL;
	free(env->users);
	env->users = NULL;
	env->n_users = env->cap_users = 0;
}

int conn_new(struct conn_env *env, int fd, const struct ucred *cred)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c || user_add(env, cred->uid) < 0) {
		free(c);
		close(fd);
		return -ENOMEM;
	}
	c->env = env;
	c->cred = *cred;
	c->fd = fd;
	c->id = ++env->next_id;
	ev_io_init(&c->rio, read_cb, fd, EV_READ);
	c->rio.data = c;
	ev_io_init(&c->wio, write_cb, fd, EV_WRITE);
	c->wio.data = c;
	ev_init(&c->idle, idle_cb);
	c->idle.data = c;
	c->last_activity = c->arrived = clock_mono();
	if (env->limits.idle_timeout > 0) {
		c->idle.repeat = env->limits.idle_timeout;
		ev_timer_again(env->loop, &c->idle);
	}
	c->next = env->all;
	if (env->all)
		env->all->prev = c;
	env->all = c;
	env->stats.conns_current++;
	ev_io_start(env->loop, &c->rio);
	return 0;
}

int conn_new_local(struct conn_env *env, int fd, const struct ucred *cred)
{
	int r = conn_new(env, fd, cred);

	/* conn_new() put the new connection first on env->all. */
	if (r == 0)
		env->all->synthetic = true;
	return r;
}
