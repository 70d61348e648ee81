/* SPDX-License-Identifier: MIT */
/* Requests on the consumer socket: one JSON object per line parsed into a
 * validated struct (daemon side) and built from that struct (client side). */
#pragma once

#include "dnssd/version.h"
#include "wire/wire.h"

enum wire_op {
	WIRE_OP_RESOLVE,
	WIRE_OP_LIST,
	WIRE_OP_SERVICES,
	WIRE_OP_STATUS,
	WIRE_OP_WATCH,
	WIRE_OP_UNWATCH,
	WIRE_OP_REPORT,
	WIRE_OP_CHECK,
	WIRE_OP_MAINT,
	WIRE_OP_REGISTER,
	WIRE_OP_DEREGISTER,
	_WIRE_OP_MAX,
};

/* The "status" of a check report (a declared service's ttl check). */
enum wire_check_status {
	WIRE_CHECK_PASS,
	WIRE_CHECK_WARN,
	WIRE_CHECK_FAIL,
};

/* Longest "service" object of a register request, as JSON text. */
#define WIRE_MAX_DECL 16384

/* Longest check "output" and maintenance "reason", in bytes. */
#define WIRE_MAX_OUTPUT 4096

enum wire_family {
	WIRE_FAMILY_ANY,
	WIRE_FAMILY_IPV4,
	WIRE_FAMILY_IPV6,
};

/* One "txt" filter pair: the instance's TXT value for KEY must equal VALUE. */
struct wire_kv {
	char *key;
	char *value;
};

/* Filters of list, resolve and watch. Every member is optional (NULL/0).
 * A member added here is one that present_match_in_type(),
 * present_filter_key() (agent/present.c) and resolve_plain()
 * (agent/ops-resolve.c) must each read. */
struct wire_filter {
	char *service;  /* service name ("payments") or DNS-SD type ("_http._tcp") */
	char *instance; /* exact instance name */
	char *domain;   /* exact domain: "local" (mDNS) or a browsed zone */
	char *version;  /* constraint text, parsed into constraint */
	struct dnssd_constraint constraint;
	char **tags; /* all must be present */
	size_t n_tags;
	struct wire_kv *txt; /* all must match */
	size_t n_txt;
	enum wire_family family;
};

/* A parsed request. Strings are malloc'd and owned by the struct (or, when
 * BORROWED, point into the wire_scratch it was parsed with); release with
 * wire_request_clear() either way. Which members are meaningful depends on op:
 *   list, watch:  filter
 *   resolve:      filter (service required), policy, key, prefer_local,
 *                 prefer_any_domain
 *   report:       filter.instance (required), filter.service, result_ok,
 *                 has_latency/latency_ms
 *   unwatch:      watch
 *   check:        filter.service (required), check_status (required),
 *                 text (the output, optional)
 *   maint:        filter.service (required), maint_on (required),
 *                 text (the reason, optional)
 *   register:     decl (required: the "service" object, compact JSON text,
 *                 validated by the agent as a configuration service)
 *   deregister:   registration (required)
 *   services, status: nothing */
struct wire_request {
	enum wire_op op;
	json_t *id; /* echoed in the response; a held reference, NULL if absent */
	struct wire_filter filter;
	char *policy;           /* policy name, checked for shape only: agent maps it */
	char *key;              /* consistent-hash key */
	bool prefer_local;      /* "prefer": "local" */
	bool prefer_any_domain; /* "prefer": "any" (default "lan": domain local first) */
	bool result_ok;
	bool has_latency;
	double latency_ms;
	uint64_t watch;
	enum wire_check_status check_status;
	bool maint_on;
	char *text;            /* check: "output"; maint: "reason"; NULL if absent */
	char *decl;            /* register: the "service" object as JSON text */
	uint64_t registration; /* deregister */
	bool borrowed;         /* strings in a wire_scratch: not freed, copy to keep */
};

/* Room for the strings of a request parsed without allocation: every
 * string of a line fits in its length (each had at least two quotes). */
struct wire_scratch {
	char text[WIRE_MAX_LINE + 1];
	char *tags[WIRE_MAX_ITEMS + 1];
};

/* "resolve" etc.; NULL for out-of-range values. */
const char *wire_op_name(enum wire_op op);
/* "pass", "warn", "fail"; NULL for out-of-range values. */
const char *wire_check_status_name(enum wire_check_status s);
/* "ipv4", "ipv6", or "any". */
const char *wire_family_name(enum wire_family f);

/* Zero REQ so wire_request_clear() is safe on it: every member but the
 * version constraint's ranges, which count for nothing while its
 * n_ranges is 0 (they are most of the struct). */
void wire_request_init(struct wire_request *req);

/* Free everything REQ owns and reset it (wire_request_init()); safe on
 * an initialised or half-filled request. */
void wire_request_clear(struct wire_request *req);

/* Deep-copy SRC into DST (for a request that outlives its handler call);
 * DST's previous contents are not freed. Returns 0, or -ENOMEM with DST
 * cleared. */
int wire_request_copy(const struct wire_request *src, struct wire_request *dst);

/* Set F's version filter from constraint text S (dnssd/version.h grammar,
 * at most WIRE_MAX_STRING bytes): parsed into F->constraint, copied into
 * F->version (a previous one is freed). Returns 0, -EINVAL with ERR set
 * (WIRE_BAD_REQUEST), or -ENOMEM (ERR: WIRE_INTERNAL). */
int wire_filter_set_version(struct wire_filter *f, const char *s, struct wire_err *err);

/* Deep-copy filter SRC into DST; DST's previous contents are not freed.
 * Returns 0, or -ENOMEM with DST cleared. */
int wire_filter_copy(const struct wire_filter *src, struct wire_filter *dst);

/* Free everything F owns and zero it. */
void wire_filter_clear(struct wire_filter *f);

/* Parse one request LINE of LEN bytes (without its newline) into REQ
 * (initialised here). Returns 0, or -EINVAL with ERR set: WIRE_TOO_LARGE
 * for LEN > WIRE_MAX_LINE, WIRE_UNKNOWN_OP for an unknown "op",
 * WIRE_BAD_REQUEST for anything else malformed (bad JSON, wrong types,
 * unknown or missing fields). On failure REQ->id is still set when the line
 * carried a usable id, so the error can echo it; always call
 * wire_request_clear(). -ENOMEM (ERR: WIRE_INTERNAL) on allocation failure. */
int wire_request_parse(const char *line, size_t len, struct wire_request *req,
                       struct wire_err *err);

/* wire_request_parse(), except that a resolve request of the common shape
 * (one flat object: keys and string values of printable ASCII without
 * escapes, a string, integer, boolean or null "id", "tags" an array of
 * such strings, no "txt") is parsed without allocating (but for a string
 * or integer id): REQ->borrowed, its strings in S, valid until S is parsed
 * into again. The result, and every error, is wire_request_parse()'s. */
int wire_request_parse_scratch(const char *line, size_t len, struct wire_request *req,
                               struct wire_scratch *s, struct wire_err *err);

/* Build the JSON object for REQ (client side, and for round-trip tests).
 * Returns a new reference, or NULL on OOM or an invalid op. */
json_t *wire_request_to_json(const struct wire_request *req);
