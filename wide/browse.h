/* SPDX-License-Identifier: MIT */
/* Browsing one zone over unicast DNS: poll its SOA serial, and when it
 * moved, bring the zone up to date with an incremental transfer (IXFR; a
 * full one the first time or when the server cannot do better), then tell
 * the caller the zone's DNS-SD instances: every PTR at _type._proto.<zone>,
 * with its SRV, TXT and the target's A/AAAA, leaving out the instances of
 * hosts whose lanyard heartbeat is stale. On the caller's libev loop. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wide/msg.h"

struct ev_loop;
struct wide_browse;

/* One instance in the zone. Strings are NUL-terminated, valid during the
 * callback; NAME is the instance label's bytes (dots, spaces and UTF-8
 * kept, never a NUL). */
struct wide_found {
	const char *name;
	const char *type; /* "_payments._tcp" */
	const char *host; /* the SRV target, no trailing dot */
	uint16_t port;
	const uint8_t *txt; /* TXT rdata: length-prefixed strings */
	size_t txt_len;
	bool has4, has6; /* its first IPv4 / IPv6 address */
	uint8_t addr4[4], addr6[16];
	bool ours; /* the SRV target is params.self in this zone */
};

struct wide_browse_params {
	const char *zone; /* no trailing dot */
	const struct sockaddr *server;
	socklen_t server_len;
	struct wide_key key; /* signs the transfers; name NULL: unsigned */
	const char *self;    /* this host's label when it publishes in this zone, else NULL */
	double poll_s;       /* SOA poll period */
	/* The zone's instances, all of them, after each change (also none);
	 * must not call back into the browser. */
	void (*on_set)(void *ud, const struct wide_found *v, size_t n);
	void *ud;
};

struct wide_browse_status {
	const char *zone;
	const char *state;  /* "loading", "current", "failing" */
	uint32_t serial;    /* of the copy held, 0 none */
	size_t records;     /* kept from the zone */
	size_t instances;   /* handed out */
	size_t stale_hosts; /* left out for a stale heartbeat */
	uint64_t polls, transfers, failures;
	uint64_t
	        full_transfers; /* of the transfers, whole zones (AXFR, or IXFR answered in full) */
	const char *last_error; /* "" none */
	double since_success;   /* seconds since the server last answered, -1 never */
};

/* Start browsing under P (copied); the first poll goes out at once.
 * Returns 0 with the browser in *RET, -EINVAL (ERR says why) or -ENOMEM. */
int wide_browse_new(struct ev_loop *loop, const struct wide_browse_params *p,
                    struct wide_browse **ret, char *err, size_t errlen);

/* Whether HOST (an SRV target, as in wide_found) was left out for a stale
 * heartbeat at the last change. */
bool wide_browse_host_stale(const struct wide_browse *b, const char *host);

/* Fill *RET; strings valid until the browser's next event. */
void wide_browse_get_status(const struct wide_browse *b, struct wide_browse_status *ret);

/* Stop and free (no callback). NULL is fine. */
void wide_browse_free(struct wide_browse *b);
