/* SPDX-License-Identifier: MIT */
/* The NSS module's exchange with lanyardd: non-blocking connect, send and
 * read under one CLOCK_MONOTONIC deadline. */
#include "nss/nss-agent.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int64_t nss_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Wait until FD is ready for EVENTS or DEADLINE_NS passes. ppoll() takes
 * the remaining time to the nanosecond; a signal handler of the host
 * program interrupting it costs a new wait, not the deadline. Returns 0,
 * -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline_ns)
{
	struct pollfd pfd = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline_ns - nss_now_ns();
		struct timespec ts;
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		ts.tv_sec = (time_t)(left / 1000000000);
		ts.tv_nsec = (long)(left % 1000000000);
		r = ppoll(&pfd, 1, &ts, NULL);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int do_connect(const char *path, int64_t deadline_ns)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t plen = strlen(path);
	int fd, r;

	if (plen >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, plen + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	/* A Unix stream connect does not go in progress: a full backlog is
	 * EAGAIN at once. EINPROGRESS is handled anyway, as for any socket. */
	r = -errno;
	if (r == -EINPROGRESS || r == -EINTR) {
		socklen_t len = sizeof(int);
		int soerr = 0;

		r = wait_fd(fd, POLLOUT, deadline_ns);
		if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
		if (r == 0 && soerr == 0)
			return fd;
		if (r == 0)
			r = -soerr;
	}
	close(fd);
	return r;
}

int nss_agent_exchange(const char *path, const char *req, size_t len, int64_t deadline_ns,
                       char *buf, size_t size, size_t *ret_len)
{
	size_t sent = 0, got = 0;
	int fd, r;

	*ret_len = 0;
	if (size == 0)
		return -EMSGSIZE;
	buf[0] = '\0';
	fd = do_connect(path, deadline_ns);
	if (fd < 0)
		return fd;
	while (sent < len) {
		ssize_t n = send(fd, req + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n >= 0) {
			sent += (size_t)n;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR) {
			r = -errno;
			goto out;
		}
		r = wait_fd(fd, POLLOUT, deadline_ns);
		if (r < 0)
			goto out;
	}
	for (;;) {
		char *nl;
		ssize_t n;

		if (got == size - 1) {
			r = -EMSGSIZE;
			goto out;
		}
		n = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT);
		if (n == 0) {
			r = -EPROTO;
			goto out;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				r = -errno;
				goto out;
			}
			r = wait_fd(fd, POLLIN, deadline_ns);
			if (r < 0)
				goto out;
			continue;
		}
		nl = memchr(buf + got, '\n', (size_t)n);
		got += (size_t)n;
		if (nl) {
			got = (size_t)(nl - buf);
			if (got > 0 && buf[got - 1] == '\r')
				got--;
			break;
		}
	}
	buf[got] = '\0';
	*ret_len = got;
	r = 0;
out:
	close(fd);
	return r;
}
