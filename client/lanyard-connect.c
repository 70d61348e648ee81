/* SPDX-License-Identifier: MIT */
/* lanyard_resolve_connect(): resolve, connect over TCP, report the outcome,
 * and move on to the next pick when an endpoint is unreachable. */
#include "client/lanyard-private.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TRIES 3

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Connect to one numeric ADDR:PORT within TIMEOUT_MS. Returns a blocking
 * fd or -errno. */
static int tcp_connect(const char *addr, uint16_t port, enum lanyard_family family, int timeout_ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	struct pollfd pfd;
	char portstr[8];
	socklen_t len = sizeof(int);
	int fd, r, soerr = 0;

	hints.ai_family = family == LANYARD_FAMILY_IPV4   ? AF_INET
	                  : family == LANYARD_FAMILY_IPV6 ? AF_INET6
	                                                  : AF_UNSPEC;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	if (getaddrinfo(addr, portstr, &hints, &ai) != 0 || !ai)
		return -EAFNOSUPPORT;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (r < 0 && errno == EINPROGRESS) {
		pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
		do
			r = poll(&pfd, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			soerr = ETIMEDOUT;
		else if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
		r = soerr ? -1 : 0;
		errno = soerr;
	}
	if (r < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		r = -errno;
		close(fd);
		goto out;
	}
	r = fd;
out:
	freeaddrinfo(ai);
	return r;
}

int lanyard_resolve_connect(struct lanyard *h, const struct lanyard_filter *f, const char *policy,
                            const char *key, unsigned flags, unsigned max_tries, int *ret_fd,
                            struct lanyard_instance **ret_inst)
{
	enum lanyard_family family = f ? f->family : LANYARD_FAMILY_ANY;
	char last[WIRE_MSG_MAX] = "no endpoint tried";
	int timeout;

	*ret_fd = -1;
	if (ret_inst)
		*ret_inst = NULL;
	if (max_tries == 0)
		max_tries = DEFAULT_TRIES;
	/* The handle stays unlocked while connecting, so other threads may use it. */
	for (unsigned t = 0; t < max_tries; t++) {
		struct lanyard_instance *in;
		int r;

		pthread_mutex_lock(&h->lock);
		timeout = h->timeout_ms;
		r = client_resolve_unlocked(h, f, policy, key, flags, &in);
		pthread_mutex_unlock(&h->lock);
		if (r < 0)
			return r;
		for (size_t i = 0; i < in->n_addresses; i++) {
			double start = mono_ms();
			int fd = tcp_connect(in->addresses[i], in->port, family, timeout);

			if (fd >= 0) {
				/* Feedback is best effort: the connection is what matters. */
				pthread_mutex_lock(&h->lock);
				client_report_unlocked(h, in->service, in->instance, true,
				                       mono_ms() - start);
				h->err[0] = '\0';
				pthread_mutex_unlock(&h->lock);
				*ret_fd = fd;
				if (ret_inst)
					*ret_inst = in;
				else
					lanyard_instance_free(in);
				return 0;
			}
			snprintf(last, sizeof(last), "%s (%s port %u): %s", in->instance,
			         in->addresses[i], (unsigned)in->port, strerror(-fd));
		}
		if (in->n_addresses == 0)
			snprintf(last, sizeof(last), "%s has no address", in->instance);
		pthread_mutex_lock(&h->lock);
		client_report_unlocked(h, in->service, in->instance, false, -1);
		pthread_mutex_unlock(&h->lock);
		lanyard_instance_free(in);
	}
	pthread_mutex_lock(&h->lock);
	client_fail(h, LANYARD_E_UNREACHABLE, "no endpoint reachable after %u tries; last: %s",
	            max_tries, last);
	pthread_mutex_unlock(&h->lock);
	return LANYARD_E_UNREACHABLE;
}
