/* SPDX-License-Identifier: MIT */
/* This host's presence on the backend thread: two TXT records at
 * "_lanyard-alive.<host name>.local" that peers' liveness (liveness.h)
 * watches. The heartbeat has a TTL of a few seconds, so a peer's
 * avahi-daemon asks for it again at 80% of that and drops it when no
 * answer comes; the anchor, in the same RRset with a longer TTL, outlives
 * the heartbeat when the host dies but goes with it in a goodbye, which
 * tells a stop from a death. The same pair sits at two more names that
 * peers query only while the host is down, each with a querier of its
 * own, so that a healed host answers within seconds. docs/operations.md
 * has the traffic. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mdns_core;
struct presence;

#define PRESENCE_KEYS          3           /* names: the watched one, two to probe */
#define PRESENCE_HEARTBEAT     "heartbeat" /* the heartbeat's one TXT string */
#define PRESENCE_ANCHOR        "anchor"    /* the anchor's */
#define PRESENCE_HEARTBEAT_TTL 4           /* s: a dead host expires within ~4.1 s */
/* s: outlives the heartbeat by ~2 s, yet is past half its TTL when the
 * heartbeat is refreshed (at 80% of 4 s), so that refresh queries carry
 * no known answer: avahi-daemon drops its own query when it hears another
 * host ask the same without known answers, and one query per host and
 * refresh serves every watcher. */
#define PRESENCE_ANCHOR_TTL 6

/* What a presence TXT record (RDATA, SIZE bytes, wire format) is. */
enum presence_kind {
	PRESENCE_OTHER,
	PRESENCE_IS_HEARTBEAT,
	PRESENCE_IS_ANCHOR,
};
enum presence_kind presence_classify(const void *rdata, size_t size);

/* The presence name KEY (< PRESENCE_KEYS) of HOST into BUF:
 * "_lanyard-alive.HOST" for 0, "_lanyard-alive-a.HOST" and
 * "_lanyard-alive-b.HOST" for the probes. False when it is not a valid
 * domain name (dnssd_check_domain: too long, escaped characters), does
 * not fit in BUF, or HOST is empty. */
bool presence_name(unsigned key, const char *host, char *buf, size_t len);

/* The presence of C's host; NULL on OOM. */
struct presence *presence_new(struct mdns_core *c);
/* Withdraw (goodbye) and free. NULL is fine. */
void presence_free(struct presence *p);

/* True while the records are registered. P may be NULL. */
bool presence_published(const struct presence *p);

/* The client runs: publish under the (maybe new) host name. */
void presence_client_running(struct presence *p);
/* The host name is being (re)probed: withdraw until RUNNING. */
void presence_client_reset(struct presence *p);
/* The publishing scope (agent.interfaces, publish_scope()) changed:
 * publish again on its interfaces. */
void presence_rescope(struct presence *p);
/* The client is gone with the group. */
void presence_client_lost(struct presence *p);
