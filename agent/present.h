/* SPDX-License-Identifier: MIT */
/* How the agent shows cache entries to consumers: request filters applied to
 * entries, and entries turned into the wire's instance objects. */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "agent/balance.h"
#include "agent/cache.h"
#include "wire/request.h"

/* True when entry E passes every filter set in F. */
bool present_match(const struct cache_entry *e, const struct wire_filter *f);

/* The same, but for F's service (E is of a type F's service names:
 * resolve's candidates). */
bool present_match_in_type(const struct cache_entry *e, const struct wire_filter *f);

/* The bytes that identify F's verdicts in present_match_in_type(): equal
 * keys, equal filters (every member it reads, in order). Into BUF;
 * returns the length, or 0 when the key would not fit in CAP bytes. */
size_t present_filter_key(const struct wire_filter *f, char *buf, size_t cap);

/* True when type T can hold entries matching F's service filter (NULL or
 * empty service matches every type). */
bool present_type_match(const struct cache_type *t, const struct wire_filter *f);

/* The instance object for E. With B, the entry's selection state at NOW is
 * added under "health" (ejected, reason, seconds left, outstanding picks,
 * latency EWMA). Returns a new reference or NULL on OOM. */
json_t *present_instance(const struct cache_entry *e, const struct balance *b, double now);

/* E's instance object as present_instance(E, NULL, 0) would print it
 * compactly, without "stale" and without its closing brace, so that members
 * can follow. Built when E changed since the last call (its generation), else taken
 * from E. Returns the text (owned by E; *ret_len bytes, not NUL-terminated)
 * or NULL on OOM. */
const char *present_instance_text(struct cache_entry *e, size_t *ret_len);

/* With a family filter, keep only INST's addresses of that family (the
 * filter already skipped instances that have none). */
void present_only_family(json_t *inst, enum wire_family fam);

/* E as a "removed" event shows it: its last values, without health or
 * stale marks. */
json_t *present_instance_id(const struct cache_entry *e);
