/* SPDX-License-Identifier: MIT */
/* The fast paths of wire_request_parse() (wire/request-scan.c) and the
 * rules they share with it (wire/request.c); not for other layers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "wire/request.h"

/* Longest "policy" name. */
#define WIRE_MAX_POLICY 32

/* The values of "family" and "prefer", in the order of enum wire_family
 * and of wire_request_set_prefer()'s CHOICE; NULL-terminated. */
extern const char *const wire_family_choices[];
extern const char *const wire_prefer_choices[];

/* Are the LEN bytes at S one of CHOICES (NULL-terminated)? Its index in
 * *RET. */
bool wire_choice(const char *s, size_t len, const char *const *choices, unsigned *ret);

/* Are the LEN bytes at S all [a-z0-9_-] (a policy name's shape)? */
bool wire_policy_name_ok(const char *s, size_t len);

/* Set REQ's "prefer" from wire_prefer_choices[CHOICE]. */
void wire_request_set_prefer(struct wire_request *req, unsigned choice);

/* The object json_loadb() makes of LINE when LINE is one flat object whose
 * keys and string values are printable ASCII without escapes and whose
 * other values are integers, true, false or null, without duplicate keys:
 * nearly every request. NULL for anything else (and on OOM): the caller
 * then runs json_loadb(), which also words the errors. */
json_t *wire_load_simple(const char *line, size_t len);

/* A valid resolve request of the shape wire_request_parse_scratch()
 * describes, parsed into REQ (initialised here) with its strings in S:
 * 0. -1 for anything else, REQ then initialised: wire_request_parse()
 * decides, and words the error. */
int wire_scan_resolve(const char *line, size_t len, struct wire_request *req,
                      struct wire_scratch *s);
