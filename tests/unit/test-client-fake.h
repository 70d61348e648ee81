/* SPDX-License-Identifier: MIT */
/* A fake lanyardd for the client tests: agent/server with canned answers,
 * run in a forked child. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "tests/unit/server-child.h"

/* Serve on PATH; resolve "payments" answers 127.0.0.1:ALIVE_PORT, resolve
 * "flaky" alternates between 127.0.0.1:1 (refused) and that. Returns the
 * child's pid once it listens; server_child_stop() stops it. For exec and
 * fanout: list "fan" has fan@a (::1 and 127.0.0.1, port 1001), fan@b
 * (fe80::1%2 only, 1002) and fan@c (no host, 1003), in the order c a b;
 * "fanhostile" one instance named with a terminal escape; resolve
 * "sticky" always answers sticky@a (port 1) though list "sticky" also has
 * sticky@b (port 2). Reports are kept, for status to show. */
pid_t fake_start(const char *path, uint16_t alive_port);
