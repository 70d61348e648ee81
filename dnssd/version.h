/* SPDX-License-Identifier: MIT */
/* The one version grammar (published versions, the TXT parser, the wire's
 * version filter) and version constraints (">=2.0", "^2.4", "~2.4.1", "2.x",
 * ">=1.2 <2 || >=3"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSSD_VERSION_PRE_MAX       64 /* prerelease bytes, NUL included */
#define DNSSD_CONSTRAINT_MAX_RANGES 4  /* alternatives joined by "||" */
#define DNSSD_RANGE_MAX_CMP         4  /* comparators in one alternative */

/* A parsed version; build metadata is not kept (it does not rank). */
struct dnssd_version {
	uint32_t major, minor, patch;
	char pre[DNSSD_VERSION_PRE_MAX]; /* "" for a release */
};

struct dnssd_version_bound {
	bool set;
	bool inclusive;
	struct dnssd_version v;
};

/* One conjunction of comparators, reduced to an interval. A version with
 * a prerelease only matches when a comparator named a prerelease of the
 * same MAJOR.MINOR.PATCH (the npm rule), listed in pre_ok. */
struct dnssd_version_range {
	struct dnssd_version_bound lo, hi;
	unsigned n_pre_ok;
	struct {
		uint32_t major, minor, patch;
	} pre_ok[DNSSD_RANGE_MAX_CMP];
};

/* A disjunction ("||") of ranges. An empty constraint or "*" is one
 * unbounded range. */
struct dnssd_constraint {
	unsigned n_ranges;
	struct dnssd_version_range ranges[DNSSD_CONSTRAINT_MAX_RANGES];
};

/* Parse the LEN bytes at S as MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]:
 * no leading 'v'; numbers without leading zeros, at most 9 digits, missing
 * MINOR and PATCH are 0; PRERELEASE dot-separated non-empty identifiers of
 * [0-9A-Za-z-], numeric ones without leading zeros, at most 63 bytes;
 * BUILD dot-separated non-empty identifiers of [0-9A-Za-z-]. Returns 0 with
 * the version in *ret, or -EINVAL with a static reason (no trailing period)
 * in *ret_why when RET_WHY is not NULL; *ret is then unspecified. */
int version_parse(const char *s, size_t len, struct dnssd_version *ret, const char **ret_why);

/* Precedence (semver 2.0 §11): negative, 0 or positive as A ranks below,
 * equal to or above B. */
int version_compare(const struct dnssd_version *a, const struct dnssd_version *b);

/* Parse constraint S. Comparators: =V, ==V, V, >V, >=V, <V, <=V, ~V, ~>V,
 * ^V, where V is a version of the grammar above or a partial one (2, 2.4),
 * possibly ending in wildcards (2.x, 2.4.*, *, X); a V with -PRERELEASE or
 * +BUILD names one version (missing parts are 0). Comparators separated by
 * spaces or commas are ANDed, "||" ORs ranges. Returns 0, or -EINVAL with
 * a message (no trailing period) in ERR of ERRLEN bytes (ERR may be NULL). */
int constraint_parse(const char *s, struct dnssd_constraint *ret, char *err, size_t errlen);

/* Does version V satisfy C? */
bool constraint_match(const struct dnssd_constraint *c, const struct dnssd_version *v);

/* Does the published version of LEN bytes at S satisfy C? A NULL or
 * unparsable version never matches. */
bool constraint_match_text(const struct dnssd_constraint *c, const char *s, size_t len);
