/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the request parser: never crashes, every accepted
 * request survives parse -> print -> parse unchanged, and the resolve path
 * (wire_request_parse_scratch) gives the same request or error. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wire/request.h"
#include "wire/response.h"
#include "tests/fuzz/fuzz.h"

/* The scratch path on DATA: the same as wire_request_parse()'s R, ERR, A. */
static void check_scratch(const uint8_t *data, size_t size, int r, const struct wire_err *err,
                          const struct wire_request *a)
{
	static struct wire_scratch sc;
	struct wire_request s;
	struct wire_err serr = {0};
	json_t *ja, *js;

	if (wire_request_parse_scratch((const char *)data, size, &s, &sc, &serr) != r)
		abort();
	if (r < 0) {
		if (serr.code != err->code || strcmp(serr.msg, err->msg) != 0)
			abort();
	} else {
		ja = wire_request_to_json(a);
		js = wire_request_to_json(&s);
		if (!ja || !js || !json_equal(ja, js) ||
		    a->filter.constraint.n_ranges != s.filter.constraint.n_ranges)
			abort();
		json_decref(ja);
		json_decref(js);
	}
	if ((a->id || s.id) && !json_equal(a->id, s.id))
		abort();
	wire_request_clear(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_request a, b;
	struct wire_err err;
	json_t *ja = NULL, *jb = NULL, *e;
	char *line = NULL;
	size_t len;
	int r = wire_request_parse((const char *)data, size, &a, &err);

	check_scratch(data, size, r, &err, &a);
	if (r < 0) {
		if (err.code != WIRE_BAD_REQUEST && err.code != WIRE_UNKNOWN_OP &&
		    err.code != WIRE_TOO_LARGE)
			abort();
		/* The daemon must always be able to answer with an error. */
		e = wire_response_error(a.id, err.code, err.msg);
		if (!e)
			abort();
		json_decref(e);
		wire_request_clear(&a);
		return 0;
	}
	ja = wire_request_to_json(&a);
	line = ja ? wire_dump_line(ja, &len) : NULL;
	if (!line || wire_request_parse(line, len - 1, &b, &err) < 0)
		abort();
	jb = wire_request_to_json(&b);
	/* Latencies are printed with 16 digits: equal up to rounding. */
	if (a.has_latency != b.has_latency ||
	    fabs(a.latency_ms - b.latency_ms) > 1e-12 * fabs(a.latency_ms) + 1e-300)
		abort();
	json_object_del(ja, "latency_ms");
	json_object_del(jb, "latency_ms");
	json_object_del(ja, "id");
	json_object_del(jb, "id");
	if (!jb || !json_equal(ja, jb))
		abort();
	free(line);
	json_decref(ja);
	json_decref(jb);
	wire_request_clear(&a);
	wire_request_clear(&b);
	return 0;
}
