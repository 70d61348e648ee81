/* SPDX-License-Identifier: MIT */
/* The HTTP interface's request decoding, pure: percent-decoding, query
 * strings, and the socket request an HTTP request stands for. No I/O, no
 * state; tests/unit/test-http-query.c and tests/fuzz/fuzz-http-query.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "wire/request.h"

/* At most this many name=value pairs in one query string. */
#define HTTP_QUERY_MAX_PARAMS 128

struct http_param {
	char *name;
	char *value; /* "" for a bare "name" */
};

struct http_query {
	struct http_param *params;
	size_t n;
};

/* The HTTP status of an answer with socket code CODE: the one table
 * (docs/http.md). WIRE_OK is 200; out-of-range codes are 500. */
unsigned http_status_of(enum wire_code code);

/* Percent-decode the LEN bytes at S into a new NUL-terminated string in
 * *RET (the caller frees it); '+' is a space when PLUS_SPACE (query
 * strings). Returns 0, -EINVAL for a '%' not followed by two hex digits or
 * a decoded NUL byte, or -ENOMEM. */
int http_unescape(const char *s, size_t len, bool plus_space, char **ret);

/* Split and decode query string S (LEN bytes, without the '?') into *RET
 * (initialised here; release with http_query_clear(), also on failure).
 * Empty pairs ("a=1&&b=2") are skipped. Returns 0, -EINVAL with a message
 * in ERR (bad escape, empty name, too many pairs) or -ENOMEM. */
int http_query_parse(const char *s, size_t len, struct http_query *ret, char *err, size_t errlen);

void http_query_clear(struct http_query *q);

/* The socket request (docs/protocol.md) for operation OP on SERVICE (NULL:
 * none) with query Q, without "id": instance, version, family, policy, key
 * and prefer are strings given at most once, tag may repeat (-> "tags"),
 * txt=KEY=VALUE may repeat (-> "txt"). Which members OP accepts, and their
 * values, are the socket's to check. Returns 0 with a new object in *RET,
 * or -EINVAL with ERR set (WIRE_BAD_REQUEST: a parameter OP does not take,
 * one given twice, a txt without '=', text that is not UTF-8), or -ENOMEM
 * (WIRE_INTERNAL). */
int http_query_request(enum wire_op op, const char *service, const struct http_query *q,
                       json_t **ret, struct wire_err *err);
