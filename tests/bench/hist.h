/* SPDX-License-Identifier: MIT */
/* A log-linear latency histogram (1 ns resolution below 256 ns,
 * then under 0.8%, over the whole uint64_t range)
 * for the load generator: O(1) record, percentiles at the end. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 7 /* 128 sub-buckets per power of two */
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS + 1) << HIST_SUB_BITS)

struct hist {
	uint64_t count;
	uint64_t min, max; /* ns */
	double sum;        /* ns, for the mean */
	uint64_t b[HIST_BUCKETS];
};

/* Empty H. */
void hist_init(struct hist *h);

/* Count one sample of NS nanoseconds. */
void hist_add(struct hist *h, uint64_t ns);

/* Add every sample of SRC to DST. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The value (ns) below which a fraction Q (0..1) of the samples lie: the
 * midpoint of the bucket holding that rank, clamped to [min, max]. 0 when
 * H is empty. */
uint64_t hist_quantile(const struct hist *h, double q);
