/* SPDX-License-Identifier: MIT */
/* Log-linear latency histogram: exact below 256 ns, then 128 buckets per
 * power of two. */
#include "tests/bench/hist.h"

#include <string.h>

#define SUB (1u << HIST_SUB_BITS)

static size_t bucket_of(uint64_t v)
{
	unsigned msb;

	if (v < 2 * SUB)
		return (size_t)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - HIST_SUB_BITS; /* v >> shift is in [SUB, 2 SUB) */
	return ((size_t)shift << HIST_SUB_BITS) + (size_t)(v >> shift);
}

/* Lowest value and width of bucket I. */
static void bucket_range(size_t i, uint64_t *lo, uint64_t *width)
{
	if (i < 2 * SUB) {
		*lo = i;
		*width = 1;
		return;
	}
	unsigned shift = (unsigned)(i >> HIST_SUB_BITS) - 1;
	uint64_t mant = (i & (SUB - 1)) + SUB;
	*lo = mant << shift;
	*width = (uint64_t)1 << shift;
}

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_add(struct hist *h, uint64_t ns)
{
	size_t i = bucket_of(ns);

	if (i >= HIST_BUCKETS)
		i = HIST_BUCKETS - 1;
	h->b[i]++;
	if (h->count == 0 || ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	h->count++;
	h->sum += (double)ns;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	for (size_t i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	/* The smallest value with at least ceil(q * count) samples at or below it. */
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t lo, width, v;

			bucket_range(i, &lo, &width);
			v = lo + width / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}
