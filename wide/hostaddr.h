/* SPDX-License-Identifier: MIT */
/* The addresses this host publishes under <host>.<zone>: its interfaces'
 * global IPv4 and IPv6 addresses (no loopback, no link-local). */
#pragma once

#include <stddef.h>

#include "wide/msg.h"

/* Up to MAX addresses into RET, sorted, of the interfaces named in
 * IFACES (N_IFACES of them; none: every interface). Returns how many, or
 * a negative errno. */
int wide_host_addrs(const char *const *ifaces, size_t n_ifaces, struct wide_addr *ret, size_t max);
