/* SPDX-License-Identifier: MIT */
/* lanyard-loadgen's HTTP client: TCP connections and Content-Length framing. */
#include "tests/bench/loadgen-http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

int loadgen_http_connect(const char *addr_port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	const char *colon = strrchr(addr_port, ':');
	char addr[64];
	int fd, one = 1;

	if (!colon || (size_t)(colon - addr_port) >= sizeof(addr)) {
		fprintf(stderr, "lanyard-loadgen: --http wants ADDR:PORT\n");
		return -1;
	}
	memcpy(addr, addr_port, (size_t)(colon - addr_port));
	addr[colon - addr_port] = '\0';
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "lanyard-loadgen: --http: \"%s\" is not an IPv4 address\n", addr);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		fprintf(stderr, "lanyard-loadgen: connect %s: %s\n", addr_port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

unsigned loadgen_http_replies(struct gen *g, struct lconn *c, uint64_t now, size_t *ret_start)
{
	unsigned answered = 0;
	size_t start = 0;

	for (;;) {
		const char *h = c->in + start, *end, *cl;
		size_t avail = c->in_len - start, head, body;

		end = memmem(h, avail, "\r\n\r\n", 4);
		if (!end)
			break;
		head = (size_t)(end - h) + 4;
		cl = NULL;
		for (const char *p = h; p < end; p++)
			if ((p == h || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0)
				cl = p + 15;
		if (!cl) {
			loadgen_conn_fail(g, c, "a response without Content-Length");
			*ret_start = SIZE_MAX;
			return answered;
		}
		body = (size_t)strtoul(cl, NULL, 10);
		if (avail < head + body)
			break;
		loadgen_on_response(g, c, h, head + body,
		                    avail >= 12 && memcmp(h + 9, "200", 3) == 0, now);
		start += head + body;
		answered++;
	}
	*ret_start = start;
	return answered;
}
