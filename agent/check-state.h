/* SPDX-License-Identifier: MIT */
/* The state machine of one health check: results in, passing, warning or
 * critical out, with rise and fall against flapping. */
#pragma once

#include <stdbool.h>

#include "agent/check-probe.h"
#include "dnssd/txt.h"

struct check_state {
	enum txt_health state; /* starts TXT_HEALTH_CRITICAL */
	unsigned passes;       /* consecutive pass or warn results */
	unsigned failures;     /* consecutive fail results */
};

/* A new check: critical, no results yet. */
void check_state_init(struct check_state *s);

/* Take result R. A critical check becomes passing (or warning, after a
 * warn result) once RISE results in a row were pass or warn; a passing or
 * warning check becomes critical once FALL results in a row were fail, and
 * follows pass and warn results at once otherwise (both keep the service
 * announced). Returns true when the state changed. */
bool check_state_feed(struct check_state *s, enum check_result r, unsigned rise, unsigned fall);
