/* SPDX-License-Identifier: MIT */
/* The tcp health check: a non-blocking connect watched by ev_io, bounded by an ev_timer. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/check-tcp.h"

struct check_tcp {
	struct ev_loop *loop;
	int fd;
	ev_io io;
	ev_timer timer;
	int early_errno; /* connect() failed at once: reported from the timer */
	double timeout;
	check_done_fn done;
	void *userdata;
};

/* Stop watching and close; the probe is finished. */
static void stop(struct check_tcp *p)
{
	ev_io_stop(p->loop, &p->io);
	ev_timer_stop(p->loop, &p->timer);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

static void finish(struct check_tcp *p, enum check_result r, const char *text)
{
	check_done_fn done = p->done;
	void *userdata = p->userdata;

	stop(p);
	p->done = NULL;
	/* Last: DONE may free P. */
	done(userdata, r, text, strlen(text));
}

static void finish_errno(struct check_tcp *p, int err)
{
	char text[128];

	snprintf(text, sizeof(text), "connect: %s", strerror(err));
	finish(p, CHECK_FAIL, text);
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct check_tcp *p = w->data;
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err)
		finish_errno(p, err);
	else
		finish(p, CHECK_PASS, "connected");
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct check_tcp *p = w->data;
	char text[64];

	if (p->early_errno) {
		finish_errno(p, p->early_errno);
		return;
	}
	snprintf(text, sizeof(text), "connect: timed out after %.0f ms", p->timeout * 1000);
	finish(p, CHECK_FAIL, text);
}

int check_tcp_start(struct ev_loop *loop, const struct sockaddr *addr, socklen_t len,
                    double timeout, check_done_fn done, void *userdata, struct check_tcp **ret)
{
	struct check_tcp *p = calloc(1, sizeof(*p));
	int r;

	*ret = NULL;
	if (!p)
		return -ENOMEM;
	*p = (struct check_tcp){
	        .loop = loop, .timeout = timeout, .done = done, .userdata = userdata};
	p->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		r = -errno;
		free(p);
		return r;
	}
	ev_io_init(&p->io, on_writable, p->fd, EV_WRITE);
	p->io.data = p;
	ev_timer_init(&p->timer, on_timer, timeout, 0.);
	p->timer.data = p;
	if (connect(p->fd, addr, len) < 0 && errno != EINPROGRESS) {
		/* Refused at once (loopback): reported from the loop, like
		 * every other result. */
		p->early_errno = errno;
		ev_timer_set(&p->timer, 0., 0.);
	} else {
		/* Connected (at once, or later): the socket becomes writable. */
		ev_io_start(loop, &p->io);
	}
	ev_timer_start(loop, &p->timer);
	*ret = p;
	return 0;
}

void check_tcp_free(struct check_tcp *p)
{
	if (!p)
		return;
	stop(p);
	free(p);
}
