/* SPDX-License-Identifier: MIT */
/* liblanyard handles: connecting, the request/response exchange with
 * timeouts and transparent reconnects, event queueing, error messages. */
#include "client/lanyard-private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000
#define READ_CHUNK         65536

const char *lanyard_strerror(int code)
{
	switch (code) {
	case LANYARD_OK:
		return "success";
	case LANYARD_E_INVAL:
		return "invalid argument";
	case LANYARD_E_NOMEM:
		return "out of memory";
	case LANYARD_E_CONNECT:
		return "cannot connect to the lanyard agent";
	case LANYARD_E_IO:
		return "connection to the lanyard agent lost";
	case LANYARD_E_TIMEOUT:
		return "timed out";
	case LANYARD_E_PROTOCOL:
		return "unexpected reply from the lanyard agent";
	case LANYARD_E_UNREACHABLE:
		return "no endpoint could be reached";
	case LANYARD_E_BAD_REQUEST:
		return "bad request";
	case LANYARD_E_UNKNOWN_OP:
		return "unknown operation";
	case LANYARD_E_NOT_FOUND:
		return "not found";
	case LANYARD_E_TOO_LARGE:
		return "request too large";
	case LANYARD_E_BUSY:
		return "agent busy";
	case LANYARD_E_INTERNAL:
		return "internal agent error";
	case LANYARD_E_UNAVAILABLE:
		return "agent unavailable";
	case LANYARD_E_FORBIDDEN:
		return "not allowed for this user";
	case LANYARD_E_CONFLICT:
		return "clashes with a published service";
	}
	return "unknown error";
}

int client_code_from_wire(enum wire_code code)
{
	switch (code) {
	case WIRE_OK:
		return LANYARD_OK;
	case WIRE_BAD_REQUEST:
		return LANYARD_E_BAD_REQUEST;
	case WIRE_UNKNOWN_OP:
		return LANYARD_E_UNKNOWN_OP;
	case WIRE_NOT_FOUND:
		return LANYARD_E_NOT_FOUND;
	case WIRE_TOO_LARGE:
		return LANYARD_E_TOO_LARGE;
	case WIRE_BUSY:
		return LANYARD_E_BUSY;
	case WIRE_UNAVAILABLE:
		return LANYARD_E_UNAVAILABLE;
	case WIRE_FORBIDDEN:
		return LANYARD_E_FORBIDDEN;
	case WIRE_CONFLICT:
		return LANYARD_E_CONFLICT;
	case WIRE_INTERNAL:
	default:
		return LANYARD_E_INTERNAL;
	}
}

int client_fail(struct lanyard *h, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return code;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static int remaining(int64_t deadline)
{
	int64_t r;

	if (deadline < 0)
		return -1;
	r = deadline - now_ms();
	return r < 0 ? 0 : (r > 1000000000 ? 1000000000 : (int)r);
}

static void disconnect(struct lanyard *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->rlen = h->rstart = h->rscan = 0;
	if (h->n_watches > 0)
		h->lost = true;
	h->n_watches = 0;
}

static int do_connect(struct lanyard *h)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = h->timeout_ms / 1000,
	                     .tv_usec = (h->timeout_ms % 1000) * 1000};
	int fd, e;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		client_fail(h, LANYARD_E_CONNECT, "socket: %s", strerror(e));
		errno = e;
		return LANYARD_E_CONNECT;
	}
	memcpy(sa.sun_path, h->path, strlen(h->path) + 1);
	/* A listener with a full backlog would block connect(): bound it. */
	if (h->timeout_ms > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		e = errno;
		close(fd);
		client_fail(h, LANYARD_E_CONNECT, "cannot connect to \"%s\": %s", h->path,
		            strerror(e));
		errno = e;
		return LANYARD_E_CONNECT;
	}
	h->fd = fd;
	h->ever_used = false;
	return 0;
}

int lanyard_open(const char *path, struct lanyard **ret)
{
	struct lanyard *h;
	int r, e;

	*ret = NULL;
	if (!path)
		path = secure_getenv("LANYARD_SOCKET");
	if (!path || !*path)
		path = LANYARD_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		errno = ENAMETOOLONG;
		return LANYARD_E_INVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return LANYARD_E_NOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->fd = -1;
	h->timeout_ms = DEFAULT_TIMEOUT_MS;
	h->next_id = 1;
	h->events_tail = &h->events;
	h->path = strdup(path);
	if (!h->path) {
		lanyard_close(h);
		return LANYARD_E_NOMEM;
	}
	r = do_connect(h);
	if (r < 0) {
		e = errno;
		lanyard_close(h);
		errno = e;
		return r;
	}
	*ret = h;
	return 0;
}

void lanyard_close(struct lanyard *h)
{
	if (!h)
		return;
	disconnect(h);
	while (h->events) {
		struct queued_line *q = h->events;

		h->events = q->next;
		free(q);
	}
	free(h->rbuf);
	free(h->last_line);
	free(h->path);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

const char *lanyard_last_error(struct lanyard *h)
{
	return h ? h->err : "";
}

char *lanyard_last_response(struct lanyard *h)
{
	char *s;

	pthread_mutex_lock(&h->lock);
	s = h->last_line ? strdup(h->last_line) : NULL;
	pthread_mutex_unlock(&h->lock);
	return s;
}

void lanyard_set_timeout(struct lanyard *h, int timeout_ms)
{
	pthread_mutex_lock(&h->lock);
	h->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
	pthread_mutex_unlock(&h->lock);
}

int lanyard_fd(struct lanyard *h)
{
	int fd;

	pthread_mutex_lock(&h->lock);
	fd = h->fd;
	pthread_mutex_unlock(&h->lock);
	return fd;
}

/* Wait for EVENTS on H's fd until DEADLINE. 1 ready, 0 timeout, <0 error. */
static int wait_fd(struct lanyard *h, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = h->fd, .events = events};
	int r;

	do
		r = poll(&pfd, 1, remaining(deadline));
	while (r < 0 && errno == EINTR);
	return r;
}

static int write_all(struct lanyard *h, const char *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		ssize_t n = send(h->fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (wait_fd(h, POLLOUT, deadline) == 0)
				return client_fail(h, LANYARD_E_TIMEOUT,
				                   "timed out sending to \"%s\"", h->path);
		} else {
			return client_fail(h, LANYARD_E_IO, "cannot send to \"%s\": %s", h->path,
			                   strerror(errno));
		}
	}
	return 0;
}

int client_read_line(struct lanyard *h, int timeout_ms, char **ret, size_t *ret_len)
{
	int64_t deadline = deadline_after(timeout_ms);

	*ret = NULL;
	if (h->fd < 0)
		return client_fail(h, LANYARD_E_IO, "not connected to \"%s\"", h->path);
	for (;;) {
		char *nl = h->rbuf ? memchr(h->rbuf + h->rscan, '\n', h->rlen - h->rscan) : NULL;
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - (h->rbuf + h->rstart));
			char *line = malloc(len + 1);

			if (!line)
				return client_fail(h, LANYARD_E_NOMEM, "out of memory");
			memcpy(line, h->rbuf + h->rstart, len);
			line[len] = '\0';
			h->rstart = h->rscan = (size_t)(nl - h->rbuf) + 1;
			*ret = line;
			*ret_len = len;
			return 0;
		}
		h->rscan = h->rlen;
		if (h->rlen - h->rstart > WIRE_MAX_RESPONSE_LINE) {
			disconnect(h);
			return client_fail(h, LANYARD_E_PROTOCOL, "line from the agent too long");
		}
		if (h->rstart > 0) {
			memmove(h->rbuf, h->rbuf + h->rstart, h->rlen - h->rstart);
			h->rlen -= h->rstart;
			h->rscan -= h->rstart;
			h->rstart = 0;
		}
		if (h->rcap - h->rlen < READ_CHUNK) {
			size_t cap = h->rcap * 2 > h->rlen + READ_CHUNK ? h->rcap * 2
			                                                : h->rlen + READ_CHUNK;
			char *p = realloc(h->rbuf, cap);

			if (!p)
				return client_fail(h, LANYARD_E_NOMEM, "out of memory");
			h->rbuf = p;
			h->rcap = cap;
		}
		n = recv(h->fd, h->rbuf + h->rlen, h->rcap - h->rlen, 0);
		if (n > 0) {
			h->rlen += (size_t)n;
		} else if (n == 0) {
			disconnect(h);
			return client_fail(h, LANYARD_E_IO, "the agent closed the connection");
		} else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			int w = wait_fd(h, POLLIN, deadline);

			if (w == 0)
				return client_fail(h, LANYARD_E_TIMEOUT,
				                   "no answer from \"%s\" within %d ms", h->path,
				                   timeout_ms);
		} else {
			int e = errno;

			disconnect(h);
			return client_fail(h, LANYARD_E_IO, "cannot read from \"%s\": %s", h->path,
			                   strerror(e));
		}
	}
}

static void set_last_line(struct lanyard *h, const char *line, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return;
	memcpy(copy, line, len + 1);
	free(h->last_line);
	h->last_line = copy;
}

static int queue_event(struct lanyard *h, const char *line, size_t len)
{
	struct queued_line *q;

	if (h->n_events >= LANYARD_MAX_QUEUED_EVENTS) {
		disconnect(h);
		return client_fail(h, LANYARD_E_IO,
		                   "more than %d unread watch events; connection dropped",
		                   LANYARD_MAX_QUEUED_EVENTS);
	}
	q = malloc(sizeof(*q) + len + 1);
	if (!q)
		return client_fail(h, LANYARD_E_NOMEM, "out of memory");
	q->next = NULL;
	q->len = len;
	memcpy(q->line, line, len + 1);
	*h->events_tail = q;
	h->events_tail = &q->next;
	h->n_events++;
	return 0;
}

/* Read lines until the response to REQ; events are queued. */
static int await_response(struct lanyard *h, const struct wire_request *req, int64_t deadline,
                          struct wire_message *ret)
{
	for (;;) {
		struct wire_err werr;
		char *line;
		size_t len;
		int r;

		r = client_read_line(h, remaining(deadline), &line, &len);
		if (r == LANYARD_E_TIMEOUT) {
			/* A late answer would be taken for the next one's. */
			disconnect(h);
			return r;
		}
		if (r < 0)
			return r;
		if (wire_message_parse(line, len, ret, &werr) < 0) {
			free(line);
			disconnect(h);
			return client_fail(h, LANYARD_E_PROTOCOL, "%s", werr.msg);
		}
		set_last_line(h, line, len);
		if (ret->kind == WIRE_MSG_EVENT) {
			wire_message_clear(ret);
			r = queue_event(h, line, len);
			free(line);
			if (r < 0)
				return r;
			continue;
		}
		free(line);
		/* Errors the agent raises outside any request (busy, too_large)
		 * carry no id; anything else must answer this request. */
		if (ret->id ? !json_equal((json_t *)ret->id, req->id) : ret->ok) {
			wire_message_clear(ret);
			disconnect(h);
			return client_fail(h, LANYARD_E_PROTOCOL, "response out of order");
		}
		if (!ret->ok) {
			r = client_fail(h, client_code_from_wire(ret->error.code), "%s",
			                ret->error.msg);
			if (!ret->id)
				disconnect(h); /* the agent closes after such errors */
			wire_message_clear(ret);
			return r;
		}
		return 0;
	}
}

int client_call(struct lanyard *h, struct wire_request *req, struct wire_message *ret)
{
	memset(ret, 0, sizeof(*ret));
	h->err[0] = '\0';
	for (int attempt = 0;; attempt++) {
		int64_t deadline = deadline_after(h->timeout_ms);
		bool fresh;
		json_t *j;
		char *line;
		size_t len;
		int r;

		if (h->fd < 0) {
			r = do_connect(h);
			if (r < 0)
				return r;
		}
		fresh = !h->ever_used;
		json_decref(req->id);
		req->id = json_integer((json_int_t)h->next_id++);
		j = wire_request_to_json(req);
		line = j ? wire_dump_line(j, &len) : NULL;
		json_decref(j);
		if (!line)
			return client_fail(h, LANYARD_E_INVAL,
			                   "cannot encode the request (invalid UTF-8?)");
		r = write_all(h, line, len, deadline);
		free(line);
		if (r == 0) {
			h->ever_used = true;
			r = await_response(h, req, deadline, ret);
		}
		/* A connection that worked before and fails at once: the agent
		 * restarted. Reconnect and try once more. */
		if (r == LANYARD_E_IO && !fresh && attempt == 0) {
			disconnect(h);
			continue;
		}
		if (r == LANYARD_E_TIMEOUT || r == LANYARD_E_IO)
			disconnect(h);
		return r;
	}
}
