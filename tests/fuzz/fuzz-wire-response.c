/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the client-side parser of the daemon's lines
 * (responses, errors, events, instances, services). */
#include <stdlib.h>

#include "wire/response.h"
#include "tests/fuzz/fuzz.h"

/* Instance objects must print and re-parse to the same thing. */
static void check_instance(const json_t *o)
{
	struct wire_instance *a = NULL, *b = NULL;
	struct wire_err err;
	json_t *ja, *jb;

	if (wire_instance_from_json(o, &a, &err) < 0)
		return;
	ja = wire_instance_to_json(a);
	if (!ja || wire_instance_from_json(ja, &b, &err) < 0)
		abort();
	jb = wire_instance_to_json(b);
	/* Timestamps are rounded to milliseconds when printed. */
	json_object_del(ja, "first_seen");
	json_object_del(ja, "last_changed");
	json_object_del(jb, "first_seen");
	json_object_del(jb, "last_changed");
	if (!jb || !json_equal(ja, jb))
		abort();
	json_decref(ja);
	json_decref(jb);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_message m;
	struct wire_err err;
	struct wire_service *s = NULL;
	const json_t *v;
	size_t i, n;

	if (wire_message_parse((const char *)data, size, &m, &err) < 0)
		return 0;
	if (m.instance)
		check_instance(m.instance);
	if ((v = json_object_get(m.root, WIRE_KEY_INSTANCE)))
		check_instance(v);
	json_array_foreach(json_object_get(m.root, WIRE_KEY_INSTANCES), i, v) check_instance(v);
	if (wire_services_from_json(json_object_get(m.root, WIRE_KEY_SERVICES), &s, &n, &err) == 0)
		free(s);
	wire_message_clear(&m);
	return 0;
}
