/* SPDX-License-Identifier: MIT */
/* Outlier ejection of one endpoint from consecutive failures, with growing back-off. */
#include <math.h>

#include "agent/health.h"

void health_params_default(struct health_params *p)
{
	*p = (struct health_params){.max_failures = 5, .base_s = 30, .max_s = 300};
}

/* Eject now for REASON: min(base_s * 2^n, max_s), n = the ejections in a
 * row before this one (reset after max_s healthy). */
static void health_eject(struct health *h, const struct health_params *p, enum health_reason reason,
                         double now)
{
	/* A long enough healthy spell forgives earlier ejections. */
	if (h->ejected_until > 0 && now - h->ejected_until >= p->max_s)
		h->ejections = 0;
	double d = ldexp(p->base_s, (int)(h->ejections < 30 ? h->ejections : 30));
	if (d > p->max_s)
		d = p->max_s;
	if (h->ejections < UINT32_MAX)
		h->ejections++;
	h->ejected_until = now + d;
	h->reason = reason;
	h->failures = 0;
}

bool health_report(struct health *h, const struct health_params *p, bool ok, double now)
{
	if (ok) {
		h->failures = 0;
		return false;
	}
	if (h->failures < UINT32_MAX)
		h->failures++;
	if (health_ejected(h, now) || h->failures < p->max_failures)
		return false;
	health_eject(h, p, HEALTH_FAILURES, now);
	return true;
}

bool health_ejected(const struct health *h, double now)
{
	return now < h->ejected_until;
}

double health_time_left(const struct health *h, double now)
{
	return health_ejected(h, now) ? h->ejected_until - now : 0;
}

const char *health_reason_name(enum health_reason r)
{
	switch (r) {
	case HEALTH_FAILURES:
		return "failures";
	case HEALTH_OK:
		break;
	}
	return "ok";
}
