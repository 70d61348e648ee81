/* SPDX-License-Identifier: MIT */
/* Publishing records on the backend thread: one Avahi entry group per
 * record key, with collision renames and in-place TXT updates. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "dnssd/record.h"

struct mdns_core;
struct publish;

/* Where records are published (a copy of struct mdns_scope). */
struct pub_scope {
	char **ifnames; /* none: every interface */
	size_t n_ifnames;
	char *domain; /* NULL: avahi's default ("local") */
};

/* Copy a scope; "local"/"local."/"" domains become NULL. NULL on OOM. */
struct pub_scope *pub_scope_new(const char *const *ifnames, size_t n, const char *domain);
void pub_scope_free(struct pub_scope *s);

/* The interfaces of scope SC as a new array of indexes in *RET (free()
 * it): AVAHI_IF_UNSPEC alone for "every interface"; names that do not
 * exist (now) are left out. Returns the count (0: none exists) or
 * -ENOMEM. */
int pub_scope_ifindexes(const struct pub_scope *sc, int **ret);

/* The scope P publishes on now. */
const struct pub_scope *publish_scope(const struct publish *p);

/* The publishing half of C (which owns it); NULL on out-of-memory. */
struct publish *publish_new(struct mdns_core *c);
/* Withdraw (goodbye) and free every record. publish_free(NULL) is fine. */
void publish_free(struct publish *p);

/* Publish R (ownership taken) under R->key: see mdns_put(). */
void publish_put(struct publish *p, struct dnssd_record *r);
/* Withdraw the record KEY, if any. */
void publish_delete(struct publish *p, const char *key);
/* Publish on scope S (ownership taken) from now on; re-registers every
 * record when it differs from the current one, and then returns true. */
bool publish_set_scope(struct publish *p, struct pub_scope *s);

/* The client reached RUNNING: register everything not registered. */
void publish_client_running(struct publish *p);
/* Host name being (re)probed: reset every group; re-registered on RUNNING. */
void publish_client_reset(struct publish *p);
/* The client is gone (its groups with it): forget every group pointer. */
void publish_client_lost(struct publish *p);
