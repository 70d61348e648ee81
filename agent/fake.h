/* SPDX-License-Identifier: MIT */
/* A test-only browse source: synthetic instances put straight into the cache,
 * so benchmarks and tests can fill it without a LAN. */
#pragma once

struct agent;

/* If $LANYARD_TEST_FAKE_INSTANCES is "N" or "N:TYPES", add N instances spread
 * over TYPES types (default 1) named _fake0._tcp, _fake1._tcp... (service
 * names fake0, fake1...), instance "fake-K", address 192.0.2.(K % 250 + 1),
 * port 10000 + K % 50000, weight K % 3 + 1. Returns how many were added (0
 * if the variable is unset) or a negative errno for a malformed value. */
int fake_populate(struct agent *a);
