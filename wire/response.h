/* SPDX-License-Identifier: MIT */
/* Lines from the daemon: responses ({"id","ok",...}), errors and watch
 * events; built on the daemon side, parsed on the client side. */
#pragma once

#include "wire/instance.h"
#include "wire/wire.h"

/* Longest line a client accepts from the daemon (a list of many instances
 * is one line). */
#define WIRE_MAX_RESPONSE_LINE (256 * 1024 * 1024)

/* Members of a successful response, by op (see docs/protocol.md):
 *   resolve  {"instance": {...}}       list     {"instances": [{...}, ...]}
 *   services {"services": [{...}]}     status   {"status": {...}}
 *   watch    {"watch": <id>}           unwatch, report: nothing more */
#define WIRE_KEY_INSTANCE  "instance"
#define WIRE_KEY_INSTANCES "instances"
#define WIRE_KEY_SERVICES  "services"
#define WIRE_KEY_STATUS    "status"
#define WIRE_KEY_WATCH     "watch"

enum wire_event_type {
	WIRE_EVENT_ADDED,
	WIRE_EVENT_CHANGED,
	WIRE_EVENT_REMOVED,
	WIRE_EVENT_SNAPSHOT_END,
	WIRE_EVENT_REGISTRATION, /* a registration's instance was renamed */
	_WIRE_EVENT_MAX,
};

/* "added", "changed", "removed", "snapshot_end", "registration"; NULL if
 * out of range. */
const char *wire_event_name(enum wire_event_type t);

/* {"id":ID,"ok":true} plus the members of BODY (an object, or NULL), which
 * is consumed (its reference is stolen). ID may be NULL (no "id" member).
 * Returns a new reference or NULL on OOM / a non-object BODY. */
json_t *wire_response_ok(const json_t *id, json_t *body);

/* {"id":ID,"ok":false,"error":{"code":CODE,"message":MSG}}. Invalid UTF-8
 * in MSG is replaced with '?'. Returns a new reference or NULL on OOM. */
json_t *wire_response_error(const json_t *id, enum wire_code code, const char *msg);

/* {"event":T,"watch":WATCH,"instance":{...}}; INST is NULL for
 * snapshot_end (then no "instance"). A removed event needs only the
 * identifying members of INST to be set. NULL on OOM. */
json_t *wire_event_new(enum wire_event_type t, uint64_t watch, const struct wire_instance *inst);

/* {"event":"registration","registration":ID,"instance":INSTANCE,
 * "state":STATE}: registration ID is now published as INSTANCE. NULL on
 * OOM. */
json_t *wire_registration_event(uint64_t id, const char *instance, const char *state);

enum wire_msg_kind {
	WIRE_MSG_RESPONSE,
	WIRE_MSG_EVENT,
};

/* A parsed line from the daemon. Pointers borrow from root. */
struct wire_message {
	enum wire_msg_kind kind;
	json_t *root;               /* owned */
	const json_t *id;           /* response id, NULL if absent */
	bool ok;                    /* responses */
	struct wire_err error;      /* responses with ok == false */
	enum wire_event_type event; /* events */
	uint64_t watch;             /* events (0 for registration) */
	const json_t *instance;     /* events: an object; for registration the
	                               new instance name (a string) */
	uint64_t registration;      /* registration events */
	const char *reason;         /* removed events: why, or NULL */
};

/* Parse LINE (LEN bytes, no newline) from the daemon into MSG. Unknown
 * members are ignored; unknown error codes become WIRE_INTERNAL (message
 * kept). Returns 0, or -EINVAL with ERR set (MSG cleared). */
int wire_message_parse(const char *line, size_t len, struct wire_message *msg,
                       struct wire_err *err);

/* Release MSG->root and zero MSG. */
void wire_message_clear(struct wire_message *msg);
