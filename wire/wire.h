/* SPDX-License-Identifier: MIT */
/* The consumer socket's message format: limits, error codes and shared helpers
 * used by both lanyardd and liblanyard (see docs/protocol.md). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Longest request or response line in bytes, newline excluded. */
#define WIRE_MAX_LINE (64 * 1024)
/* Longest name-like string (service, instance, type, host, tag, TXT key). */
#define WIRE_MAX_NAME 255
/* Longest free-form string (version constraint, hash key, TXT value). */
#define WIRE_MAX_STRING 1024
/* Most tags / TXT pairs in one filter. */
#define WIRE_MAX_ITEMS 64
/* Size of a message buffer in struct wire_err. */
#define WIRE_MSG_MAX 256

/* Flags every sender uses with json_dumps()/json_dumpb(): one compact line;
 * 16 significant digits keep millisecond timestamps readable. */
#define WIRE_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(16))

/* Stable error codes; their names are the "code" strings on the wire. */
enum wire_code {
	WIRE_OK = 0,
	WIRE_BAD_REQUEST,
	WIRE_UNKNOWN_OP,
	WIRE_NOT_FOUND,
	WIRE_TOO_LARGE,
	WIRE_BUSY,
	WIRE_INTERNAL,
	WIRE_UNAVAILABLE,
	WIRE_FORBIDDEN, /* the peer's credentials do not allow the operation */
	WIRE_CONFLICT,  /* a registration clashes with a published service */
	_WIRE_CODE_MAX,
};

/* A failure with its wire code and a human message (always NUL-terminated). */
struct wire_err {
	enum wire_code code;
	char msg[WIRE_MSG_MAX];
};

/* "bad_request" etc.; "ok" for WIRE_OK; "internal" for out-of-range values. */
const char *wire_code_name(enum wire_code code);

/* Map a code string back; unknown strings give WIRE_INTERNAL and return -EINVAL. */
int wire_code_from_name(const char *name, enum wire_code *ret);

/* Fill ERR (if not NULL) with CODE and a printf-formatted message; returns
 * -EINVAL, the value parsers return for invalid input. */
int wire_err_set(struct wire_err *err, enum wire_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Serialise MSG as one compact line followed by '\n'. Returns a malloc'd
 * NUL-terminated string (length in *ret_len if not NULL), or NULL on OOM. */
char *wire_dump_line(const json_t *msg, size_t *ret_len);
