/* SPDX-License-Identifier: MIT */
/* lanyard-loadgen's HTTP client (--http): keep-alive HTTP/1.1 GETs over TCP
 * to lanyardd's HTTP interface, replies framed by Content-Length. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "tests/bench/loadgen.h"

/* A request is LOADGEN_HTTP_HEAD, the path, LOADGEN_HTTP_TAIL. A loopback
 * listener answers only a Host naming it (docs/http.md). */
#define LOADGEN_HTTP_HEAD "GET "
#define LOADGEN_HTTP_TAIL " HTTP/1.1\r\nHost: localhost\r\n\r\n"

/* A connected TCP socket (TCP_NODELAY) to ADDR_PORT ("IPv4:PORT"), or -1
 * with the reason printed on stderr. The caller owns the fd. */
int loadgen_http_connect(const char *addr_port);

/* The complete HTTP responses at the start of C's input: each is counted
 * (status 200: ok) through loadgen_on_response(), *RET_START set past the
 * last. Returns how many; *RET_START is SIZE_MAX when C failed (a response
 * without Content-Length). */
unsigned loadgen_http_replies(struct gen *g, struct lconn *c, uint64_t now, size_t *ret_start);
