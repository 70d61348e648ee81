/* SPDX-License-Identifier: MIT */
/* fanout --merge json (see lanyard-merge.h). */
#include "client/lanyard-merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENDPOINTS "_endpoints"

struct merge {
	json_t *merged;   /* key -> array of values */
	json_t *answered; /* [{instance, address, port}] */
	json_t *failed;   /* [{instance, address, port, why}] */
};

/* Contract in lanyard-merge.h. */
json_t *merge_parse(const char *out, size_t len, char *why, size_t why_size)
{
	static const char *const type_names[] = {
	        [JSON_ARRAY] = "an array", [JSON_STRING] = "a string",  [JSON_INTEGER] = "a number",
	        [JSON_REAL] = "a number",  [JSON_TRUE] = "true",        [JSON_FALSE] = "false",
	        [JSON_NULL] = "null",      [JSON_OBJECT] = "an object",
	};
	json_error_t err;
	size_t blank = 0;
	json_t *j;

	while (blank < len && out[blank] && strchr(" \t\r\n", out[blank]))
		blank++;
	if (blank == len) {
		snprintf(why, why_size, "no output");
		return NULL;
	}
	j = json_loadb(out, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
	if (!j) {
		/* jansson quotes the text near the error: keep it printable ASCII. */
		for (char *c = err.text; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
		snprintf(why, why_size, "output is not JSON: %s (line %d)", err.text, err.line);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(why, why_size, "output is %s, not a JSON object",
		         type_names[json_typeof(j)]);
		json_decref(j);
		return NULL;
	}
	return j;
}

/* Contract in lanyard-merge.h. */
struct merge *merge_new(void)
{
	struct merge *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->merged = json_object();
	m->answered = json_array();
	m->failed = json_array();
	if (!m->merged || !m->answered || !m->failed) {
		merge_free(m);
		return NULL;
	}
	return m;
}

/* Contract in lanyard-merge.h. */
void merge_free(struct merge *m)
{
	if (!m)
		return;
	json_decref(m->merged);
	json_decref(m->answered);
	json_decref(m->failed);
	free(m);
}

/* {"instance", "address", "port"} of EP, plus "why" if not NULL. */
static json_t *endpoint_json(const struct merge_endpoint *ep, const char *why)
{
	json_t *o = json_pack("{s:s,s:s?,s:i}", "instance", ep->instance, "address", ep->address,
	                      "port", (int)ep->port);

	if (o && why && json_object_set_new(o, "why", json_string(why)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Contract in lanyard-merge.h. */
int merge_add(struct merge *m, const struct merge_endpoint *ep, json_t *obj)
{
	const char *key;
	json_t *v, *e;

	if (!json_is_object(obj))
		return -EINVAL;
	e = endpoint_json(ep, NULL);
	if (!e)
		return -EINVAL;
	json_object_foreach(obj, key, v)
	{
		json_t *arr;

		if (strcmp(key, ENDPOINTS) == 0)
			continue;
		arr = json_object_get(m->merged, key);
		if (!arr) {
			arr = json_array();
			if (!arr || json_object_set_new(m->merged, key, arr) < 0) {
				json_decref(e);
				return -ENOMEM;
			}
		}
		if (json_array_append(arr, v) < 0) {
			json_decref(e);
			return -ENOMEM;
		}
	}
	return json_array_append_new(m->answered, e) < 0 ? -ENOMEM : 0;
}

/* Contract in lanyard-merge.h. */
int merge_add_failure(struct merge *m, const struct merge_endpoint *ep, const char *why)
{
	json_t *e = endpoint_json(ep, why ? why : "failed");

	if (!e)
		return -EINVAL;
	return json_array_append_new(m->failed, e) < 0 ? -ENOMEM : 0;
}

/* Contract in lanyard-merge.h. */
json_t *merge_result(const struct merge *m)
{
	json_t *out = json_copy(m->merged);

	if (!out || json_object_set_new(out, ENDPOINTS,
	                                json_pack("{s:O,s:O}", "answered", m->answered, "failed",
	                                          m->failed)) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}
