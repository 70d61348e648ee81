/* SPDX-License-Identifier: MIT */
/* fanout --merge json: each endpoint's output, one JSON object, merged
 * key by key into one object whose values are arrays of the endpoints'
 * values, with "_endpoints" saying who answered and who failed. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The most output kept of one endpoint, and of all of them together. */
#define MERGE_OUTPUT_MAX (1024 * 1024)
#define MERGE_TOTAL_MAX  (64 * 1024 * 1024)

/* Where an output came from, as "_endpoints" lists it. */
struct merge_endpoint {
	const char *instance;
	const char *address; /* NULL: none */
	uint16_t port;
};

/* OUT (LEN bytes) as one JSON object (surrounding white space allowed,
 * duplicate keys not), a new reference; or NULL with why in WHY (plain
 * ASCII: "no output", "output is an array, not a JSON object", "output
 * is not JSON: ..."). */
json_t *merge_parse(const char *out, size_t len, char *why, size_t why_size);

struct merge;

/* An empty merge; NULL on OOM. merge_free(NULL) is fine. */
struct merge *merge_new(void);
void merge_free(struct merge *m);

/* Add the object OBJ that EP answered (OBJ is not stolen). Endpoints are
 * added in the order their values are to appear. A member "_endpoints"
 * of OBJ is ignored: the name is the merge's own. Returns 0, -EINVAL (OBJ
 * is not an object, or text is not UTF-8) or -ENOMEM. */
int merge_add(struct merge *m, const struct merge_endpoint *ep, json_t *obj);

/* Note that EP failed, and WHY. Returns 0, -EINVAL or -ENOMEM. */
int merge_add_failure(struct merge *m, const struct merge_endpoint *ep, const char *why);

/* The merged object, a new reference (NULL on OOM): every key any
 * endpoint answered, in order of first appearance, with the array of its
 * values in endpoint order (an endpoint without the key adds nothing, so
 * arrays may differ in length; values are kept as they were, nested or
 * not), then "_endpoints": {"answered": [{"instance", "address", "port"}
 * ...], "failed": [{"instance", "address", "port", "why"} ...]}. */
json_t *merge_result(const struct merge *m);
