/* SPDX-License-Identifier: MIT */
/* Test hooks of lanyardd-test (never linked into lanyardd): synthetic
 * instances straight into the cache, and a load figure read from a file, so
 * benchmarks and tests need no LAN for them. */
#pragma once

#include "agent/agent.h"

/* The hooks, driven by the environment:
 * - LANYARD_TEST_FAKE_INSTANCES="N" or "N:TYPES": N instances spread over
 *   TYPES types (default 1) named _fake0._tcp, _fake1._tcp... (services
 *   fake0, fake1...), instance "fake-K", address 192.0.2.(K % 250 + 1), port
 *   10000 + K % 50000, weight K % 3 + 1, version 1.(K % 10).0;
 * - LANYARD_LOAD_FILE: the first number of that file is the load figure, as
 *   it is (not divided by the CPUs). */
extern const struct agent_hooks test_hooks;
