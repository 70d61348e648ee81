/* SPDX-License-Identifier: MIT */
/* DNS exchanges on non-blocking sockets: UDP with retransmission, TCP
 * (two-byte length framing, RFC 1035 §4.2.2) after a truncated answer,
 * each phase under a deadline. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnssd/clock.h"
#include "wide/xfer.h"

#ifndef XFER_UDP_RETRY_S
#define XFER_UDP_RETRY_S 1.0 /* between two sends over UDP */
#endif
#define XFER_UDP_SENDS 3
#define XFER_TCP_S     5.0   /* the whole TCP exchange; a transfer: each message */
#define XFER_STREAM_S  120.0 /* a whole zone transfer */

struct wide_xfer {
	struct ev_loop *loop;
	struct sockaddr_storage server;
	socklen_t server_len;
	uint8_t *msg; /* two length bytes, then the message */
	size_t len;   /* of the message */
	const struct wide_xfer_ops *ops;
	void *ud;
	int fd;
	bool tcp;
	unsigned sends;
	size_t out;      /* TCP: bytes written (of len + 2) */
	uint8_t *in;     /* TCP: length bytes, then the answer */
	size_t got;      /* TCP: bytes read */
	double deadline; /* clock_mono() by which a transfer must end */
	ev_io io;
	ev_timer timer;
};

static void xfer_close(struct wide_xfer *x)
{
	ev_io_stop(x->loop, &x->io);
	ev_timer_stop(x->loop, &x->timer);
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
}

/* Contract in xfer.h. */
void wide_xfer_free(struct wide_xfer *x)
{
	if (!x)
		return;
	xfer_close(x);
	free(x->msg);
	free(x->in);
	free(x);
}

/* End with ERR (or the answer); X may be freed by the callback. */
static void finish(struct wide_xfer *x, int err, const uint8_t *answer, size_t len)
{
	xfer_close(x);
	x->ops->done(x->ud, err, answer, len);
}

static int open_socket(struct wide_xfer *x, int type)
{
	int fd = socket(x->server.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&x->server, x->server_len) < 0 && errno != EINPROGRESS) {
		int r = -errno;

		close(fd);
		return r;
	}
	x->fd = fd;
	return 0;
}

static void udp_send(struct wide_xfer *x)
{
	x->sends++;
	/* A lost or refused send is the same as a lost answer: the timer
	 * sends again; ICMP errors come back on the next recv. */
	(void)send(x->fd, x->msg + 2, x->len, MSG_NOSIGNAL);
	ev_timer_set(&x->timer, XFER_UDP_RETRY_S, 0.);
	ev_timer_start(x->loop, &x->timer);
}

static int start_tcp(struct wide_xfer *x)
{
	int r;

	xfer_close(x);
	x->tcp = true;
	x->out = 0;
	x->got = 0;
	if (!x->in && !(x->in = malloc(WIDE_ANSWER_MAX + 2)))
		return -ENOMEM;
	if ((r = open_socket(x, SOCK_STREAM)) < 0)
		return r;
	ev_io_set(&x->io, x->fd, EV_WRITE);
	ev_io_start(x->loop, &x->io);
	ev_timer_set(&x->timer, XFER_TCP_S, 0.);
	ev_timer_start(x->loop, &x->timer);
	return 0;
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct wide_xfer *x = w->data;

	(void)loop, (void)revents;
	if (!x->tcp && x->sends < XFER_UDP_SENDS)
		udp_send(x);
	else
		finish(x, -ETIMEDOUT, NULL, 0);
}

static void udp_readable(struct wide_xfer *x)
{
	uint8_t buf[WIDE_ANSWER_MAX];

	for (;;) {
		ssize_t n = recv(x->fd, buf, sizeof(buf), 0);
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* ECONNREFUSED from an ICMP: nobody listens (yet) */
			finish(x, -errno, NULL, 0);
			return;
		}
		r = x->ops->accept(x->ud, buf, (size_t)n);
		if (r == WIDE_XFER_ANSWER) {
			finish(x, 0, buf, (size_t)n);
			return;
		}
		if (r == WIDE_XFER_TRUNCATED) {
			if ((r = start_tcp(x)) < 0)
				finish(x, r, NULL, 0);
			return;
		}
	}
}

static void tcp_io(struct wide_xfer *x, int revents)
{
	if (revents & EV_WRITE) {
		ssize_t n = send(x->fd, x->msg + x->out, x->len + 2 - x->out, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK) {
			finish(x, -errno, NULL, 0);
			return;
		}
		if (n > 0)
			x->out += (size_t)n;
		if (x->out == x->len + 2) {
			ev_io_stop(x->loop, &x->io);
			ev_io_set(&x->io, x->fd, EV_READ);
			ev_io_start(x->loop, &x->io);
		}
		return;
	}
	for (;;) {
		size_t want = x->got < 2 ? 2 : 2 + ((size_t)x->in[0] << 8 | x->in[1]);
		ssize_t n;

		if (x->got == want && want > 2) {
			int r = x->ops->accept(x->ud, x->in + 2, want - 2);

			if (r == WIDE_XFER_IGNORE) {
				finish(x, -EPROTO, NULL, 0);
				return;
			}
			if (r == WIDE_XFER_MORE) {
				/* a zone transfer: the next message within 5 s,
				 * the whole within XFER_STREAM_S; back to the
				 * loop between messages */
				double left = x->deadline - clock_mono();

				if (left <= 0) {
					finish(x, -ETIMEDOUT, NULL, 0);
					return;
				}
				x->got = 0;
				ev_timer_stop(x->loop, &x->timer);
				ev_timer_set(&x->timer, left < XFER_TCP_S ? left : XFER_TCP_S, 0.);
				ev_timer_start(x->loop, &x->timer);
				return;
			}
			finish(x, 0, x->in + 2, want - 2);
			return;
		}
		n = recv(x->fd, x->in + x->got, want - x->got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			finish(x, n == 0 ? -ECONNRESET : -errno, NULL, 0);
			return;
		}
		x->got += (size_t)n;
	}
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct wide_xfer *x = w->data;

	(void)loop;
	if (x->tcp)
		tcp_io(x, revents);
	else
		udp_readable(x);
}

static int start(struct ev_loop *loop, const struct sockaddr *server, socklen_t server_len,
                 const uint8_t *msg, size_t len, const struct wide_xfer_ops *ops, void *ud,
                 bool tcp, struct wide_xfer **ret)
{
	struct wide_xfer *x;
	int r;

	*ret = NULL;
	if (len == 0 || len > 65535 || server_len > sizeof(x->server))
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->loop = loop;
	x->fd = -1;
	memcpy(&x->server, server, server_len);
	x->server_len = server_len;
	x->ops = ops;
	x->ud = ud;
	x->len = len;
	x->msg = malloc(len + 2);
	if (!x->msg) {
		free(x);
		return -ENOMEM;
	}
	x->msg[0] = (uint8_t)(len >> 8);
	x->msg[1] = (uint8_t)len;
	memcpy(x->msg + 2, msg, len);
	ev_io_init(&x->io, on_io, -1, EV_READ);
	x->io.data = x;
	ev_timer_init(&x->timer, on_timer, 0., 0.);
	x->timer.data = x;
	x->deadline = clock_mono() + XFER_STREAM_S;
	if (tcp) {
		r = start_tcp(x);
	} else if ((r = open_socket(x, SOCK_DGRAM)) == 0) {
		ev_io_set(&x->io, x->fd, EV_READ);
		ev_io_start(loop, &x->io);
		udp_send(x);
	}
	if (r < 0) {
		wide_xfer_free(x);
		return r;
	}
	*ret = x;
	return 0;
}

/* Contract in xfer.h. */
int wide_xfer_start(struct ev_loop *loop, const struct sockaddr *server, socklen_t server_len,
                    const uint8_t *msg, size_t len, const struct wide_xfer_ops *ops, void *ud,
                    struct wide_xfer **ret)
{
	return start(loop, server, server_len, msg, len, ops, ud, false, ret);
}

/* Contract in xfer.h. */
int wide_xfer_start_tcp(struct ev_loop *loop, const struct sockaddr *server, socklen_t server_len,
                        const uint8_t *msg, size_t len, const struct wide_xfer_ops *ops, void *ud,
                        struct wide_xfer **ret)
{
	return start(loop, server, server_len, msg, len, ops, ud, true, ret);
}

/* Contract in xfer.h. */
int wide_xfer_sync(const struct sockaddr *server, socklen_t server_len, const uint8_t *msg,
                   size_t len, double timeout_s, const struct wide_xfer_ops *ops, void *ud)
{
	double deadline = clock_mono() + timeout_s, next_send = 0;
	static uint8_t buf[WIDE_ANSWER_MAX];
	int fd = socket(server->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r = -ETIMEDOUT;

	if (fd < 0)
		return -errno;
	if (connect(fd, server, server_len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		double now = clock_mono();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;
		int ms;

		if (now >= deadline)
			break;
		if (now >= next_send) {
			(void)send(fd, msg, len, MSG_NOSIGNAL);
			next_send = now + 0.5;
		}
		ms = (int)(((next_send < deadline ? next_send : deadline) - now) * 1000) + 1;
		if (poll(&p, 1, ms) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			continue; /* ECONNREFUSED: maybe it starts; until the deadline */
		if (ops->accept(ud, buf, (size_t)n) != WIDE_XFER_IGNORE) {
			r = 0;
			break;
		}
	}
	close(fd);
	return r;
}
