/* SPDX-License-Identifier: MIT */
/* Error-code names, message helpers and line serialisation shared by all wire/ files. */
#include "wire/wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[_WIRE_CODE_MAX] = {
        [WIRE_OK] = "ok",
        [WIRE_BAD_REQUEST] = "bad_request",
        [WIRE_UNKNOWN_OP] = "unknown_op",
        [WIRE_NOT_FOUND] = "not_found",
        [WIRE_TOO_LARGE] = "too_large",
        [WIRE_BUSY] = "busy",
        [WIRE_INTERNAL] = "internal",
        [WIRE_UNAVAILABLE] = "unavailable",
        [WIRE_FORBIDDEN] = "forbidden",
        [WIRE_CONFLICT] = "conflict",
};

const char *wire_code_name(enum wire_code code)
{
	if ((unsigned)code >= _WIRE_CODE_MAX)
		return "internal";
	return code_names[code];
}

int wire_code_from_name(const char *name, enum wire_code *ret)
{
	for (unsigned i = 0; i < _WIRE_CODE_MAX; i++)
		if (name && strcmp(name, code_names[i]) == 0) {
			*ret = (enum wire_code)i;
			return 0;
		}
	*ret = WIRE_INTERNAL;
	return -EINVAL;
}

int wire_err_set(struct wire_err *err, enum wire_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

char *wire_dump_line(const json_t *msg, size_t *ret_len)
{
	size_t len = json_dumpb(msg, NULL, 0, WIRE_DUMP_FLAGS);
	char *buf;

	if (len == 0)
		return NULL;
	buf = malloc(len + 2);
	if (!buf)
		return NULL;
	if (json_dumpb(msg, buf, len, WIRE_DUMP_FLAGS) != len) {
		free(buf);
		return NULL;
	}
	buf[len] = '\n';
	buf[len + 1] = '\0';
	if (ret_len)
		*ret_len = len + 1;
	return buf;
}
