/* SPDX-License-Identifier: MIT */
/* The fast path of wire_request_parse() (wire/request-scan.c); not for
 * other layers. */
#pragma once

#include <stddef.h>

#include <jansson.h>

/* The object json_loadb() makes of LINE when LINE is one flat object whose
 * keys and string values are printable ASCII without escapes and whose
 * other values are integers, true, false or null, without duplicate keys:
 * nearly every request. NULL for anything else (and on OOM): the caller
 * then runs json_loadb(), which also words the errors. */
json_t *wire_load_simple(const char *line, size_t len);
