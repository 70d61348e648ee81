/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the HTTP interface's decoding (agent/http-query.c):
 * input "SERVICE?QUERY" (no '?': a query alone), the first byte picking
 * the operation. Never crashes; what decodes is no longer than its input
 * and holds no NUL; a request built from it is either refused as
 * bad_request or is one line the socket's parser reads without an
 * internal error. */
#include <errno.h>
#include <string.h>

#include "agent/http-query.h"
#include "wire/response.h"
#include "tests/fuzz/fuzz.h"

static const enum wire_op ops[] = {WIRE_OP_RESOLVE, WIRE_OP_LIST, WIRE_OP_WATCH, WIRE_OP_SERVICES,
                                   WIRE_OP_STATUS};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1, *qm;
	struct http_query q;
	struct wire_err err = {0};
	struct wire_request req;
	char msg[WIRE_MSG_MAX], *service = NULL, *line;
	enum wire_op op;
	json_t *o = NULL;
	size_t n, len;
	int r;

	if (size < 1)
		return 0;
	op = ops[data[0] % (sizeof(ops) / sizeof(*ops))];
	n = size - 1;
	qm = memchr(s, '?', n);
	if (qm) {
		r = http_unescape(s, (size_t)(qm - s), false, &service);
		CHECK(r == 0 || r == -EINVAL);
		CHECK(r < 0 || strlen(service) <= (size_t)(qm - s));
		if (r < 0)
			return 0;
		n -= (size_t)(qm - s) + 1;
		s = qm + 1;
	}
	r = http_query_parse(s, n, &q, msg, sizeof(msg));
	CHECK(r == 0 || r == -EINVAL);
	for (size_t i = 0; r == 0 && i < q.n; i++) {
		CHECK(*q.params[i].name);
		CHECK(strlen(q.params[i].name) + strlen(q.params[i].value) <= n);
	}
	if (r == 0) {
		r = http_query_request(op, service, &q, &o, &err);
		CHECK(r == 0 || (r == -EINVAL && err.code == WIRE_BAD_REQUEST));
	}
	if (o) {
		line = wire_dump_line(o, &len);
		CHECK(line != NULL);
		if (wire_request_parse(line, len - 1, &req, &err) < 0)
			CHECK(err.code == WIRE_BAD_REQUEST || err.code == WIRE_TOO_LARGE);
		else
			CHECK(req.op == op);
		wire_request_clear(&req);
		free(line);
		json_decref(o);
	}
	http_query_clear(&q);
	free(service);
	return 0;
}
