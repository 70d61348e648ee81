/* SPDX-License-Identifier: MIT */
/* A zone's DNS-SD instances from its records (RFC 6763 over unicast DNS):
 * every PTR at _type._tcp|_udp.<zone> whose target is an instance of that
 * type, with the target's SRV, TXT and its host's A/AAAA; instances whose
 * host has a lanyard heartbeat (docs/wide-area.md) older than three of its
 * refresh periods are left out. Private to wide/. No I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "wide/browse.h"
#include "wide/zone.h"

/* Most instances taken from one zone; the cache bounds them further. */
#define WIDE_DERIVE_MAX 50000
/* Most heartbeats looked at in one zone. */
#define WIDE_DERIVE_HOSTS_MAX 4096

struct wide_derived {
	struct wide_found *v;
	size_t n;
	char **stale; /* hosts (SRV target form) left out, sorted */
	size_t n_stale;
	/* wall-clock time at which the next fresh heartbeat turns stale, 0
	 * none: derive again then */
	double next_stale;
};

/* The instances of Z as of wall-clock time NOW into *RET (cleared
 * first). SELF: this host's label in Z, or NULL. Returns 0 or -ENOMEM. */
int wide_derive(const struct wide_zone *z, const char *self, double now, struct wide_derived *ret);

/* Free what D holds and zero it. */
void wide_derived_clear(struct wide_derived *d);
