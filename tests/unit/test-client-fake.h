/* SPDX-License-Identifier: MIT */
/* A fake lanyardd for the client tests: agent/server with canned answers,
 * run in a forked child. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "tests/unit/server-child.h"

/* Serve on PATH; resolve "payments" answers 127.0.0.1:ALIVE_PORT, resolve
 * "flaky" alternates between 127.0.0.1:1 (refused) and that. Returns the
 * child's pid once it listens; server_child_stop() stops it. */
pid_t fake_start(const char *path, uint16_t alive_port);
