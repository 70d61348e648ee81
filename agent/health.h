/* SPDX-License-Identifier: MIT */
/* Outlier ejection of one endpoint: consecutive failures eject it for a back-off that grows. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

enum health_reason {
	HEALTH_OK,
	HEALTH_FAILURES, /* consecutive failures reported by consumers */
};

struct health_params {
	unsigned max_failures; /* consecutive failures that eject; default 5 */
	double base_s;         /* first ejection; default 30 s */
	double max_s;          /* back-off cap, and the healthy time that resets it; 300 s */
};

/* Per-endpoint state; all zeros is a healthy endpoint. */
struct health {
	uint32_t failures;         /* consecutive failed reports */
	uint32_t ejections;        /* ejections in a row: the back-off exponent */
	double ejected_until;      /* 0 = never ejected */
	enum health_reason reason; /* of the latest ejection */
};

void health_params_default(struct health_params *p);

/* Count one report at NOW: a success resets the failure count; the
 * max_failures-th failure in a row ejects (unless already ejected).
 * Returns true when this report ejected the endpoint. */
bool health_report(struct health *h, const struct health_params *p, bool ok, double now);

bool health_ejected(const struct health *h, double now);

/* Seconds until the ejection ends; 0 when not ejected. */
double health_time_left(const struct health *h, double now);

/* "ok", "failures". */
const char *health_reason_name(enum health_reason r);
