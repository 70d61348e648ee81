/* SPDX-License-Identifier: MIT */
/* lanyard-loadgen's raw-line mode (--raw): a fixed request line such as
 * Redis's inline "GET key\r\n", replies framed as RESP. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "tests/bench/loadgen.h"

/* What ends a request line in raw mode (Redis's inline protocol). */
#define LOADGEN_RESP_EOL "\r\n"

/* The complete RESP replies at the start of C's input, each counted
 * through loadgen_on_response(): a simple string ("+...\r\n"), an integer
 * (":...\r\n") or a bulk string ("$N\r\n<N bytes>\r\n") is a success; an
 * error ("-...\r\n") or a nil ("$-1\r\n": the key is missing) is an error
 * reply. *RET_START is set past the last. Returns how many; *RET_START is
 * SIZE_MAX when C failed (bytes that are none of these, e.g. an array). */
unsigned loadgen_resp_replies(struct gen *g, struct lconn *c, uint64_t now, size_t *ret_start);
