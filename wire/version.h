/* SPDX-License-Identifier: MIT */
/* Semantic versions and version constraints (">=2.0", "^2.4", "~2.4.1", "2.x",
 * ">=1.2 <2 || >=3") as used by the "version" filter. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "wire/wire.h"

#define WIRE_VERSION_PRE_MAX       64 /* prerelease text, NUL included */
#define WIRE_CONSTRAINT_MAX_RANGES 4
#define WIRE_RANGE_MAX_CMP         4

/* MAJOR.MINOR.PATCH[-PRE]; build metadata is dropped when parsing. */
struct wire_version {
	uint32_t major, minor, patch;
	char pre[WIRE_VERSION_PRE_MAX]; /* "" for a release */
};

struct wire_version_bound {
	bool set;
	bool inclusive;
	struct wire_version v;
};

/* One conjunction of comparators, reduced to an interval. Versions with a
 * prerelease only match when a comparator named a prerelease of the same
 * MAJOR.MINOR.PATCH (the npm rule), listed in pre_ok. */
struct wire_version_range {
	struct wire_version_bound lo, hi;
	unsigned n_pre_ok;
	struct {
		uint32_t major, minor, patch;
	} pre_ok[WIRE_RANGE_MAX_CMP];
};

/* A disjunction ("||") of ranges. An empty constraint or "*" is one
 * unbounded range. */
struct wire_constraint {
	unsigned n_ranges;
	struct wire_version_range ranges[WIRE_CONSTRAINT_MAX_RANGES];
};

/* Parse a version as published: optional leading 'v', MAJOR[.MINOR[.PATCH]]
 * (missing parts are 0), optional -PRERELEASE and +BUILD. Returns 0, or
 * -EINVAL if S is not such a version (then *ret is unspecified). */
int wire_version_parse(const char *s, struct wire_version *ret);

/* Semantic-version precedence: <0, 0 or >0. */
int wire_version_compare(const struct wire_version *a, const struct wire_version *b);

/* Parse constraint S (at most WIRE_MAX_STRING bytes). Comparators: =V, V,
 * >V, >=V, <V, <=V, ~V, ^V, with V possibly partial or wildcarded (2, 2.4,
 * 2.x, 2.4.*, *); comparators separated by spaces or commas are ANDed,
 * "||" ORs ranges. Returns 0, or -EINVAL with a message in ERR
 * (code WIRE_BAD_REQUEST). */
int wire_constraint_parse(const char *s, struct wire_constraint *ret, struct wire_err *err);

/* Does version V satisfy C? */
bool wire_constraint_match(const struct wire_constraint *c, const struct wire_version *v);

/* Does the published VERSION string satisfy C? A NULL or unparsable version
 * never matches. */
bool wire_version_match(const struct wire_constraint *c, const char *version);
