/* SPDX-License-Identifier: MIT */
/* A health check's state machine: consecutive results against rise and fall. */
#include <limits.h>

#include "agent/check-state.h"

static const char *const result_names[_CHECK_RESULT_MAX] = {
        [CHECK_PASS] = "pass",
        [CHECK_WARN] = "warn",
        [CHECK_FAIL] = "fail",
};

const char *check_result_name(enum check_result r)
{
	if ((unsigned)r >= _CHECK_RESULT_MAX)
		return NULL;
	return result_names[r];
}

void check_state_init(struct check_state *s)
{
	*s = (struct check_state){.state = TXT_HEALTH_CRITICAL};
}

bool check_state_feed(struct check_state *s, enum check_result r, unsigned rise, unsigned fall)
{
	enum txt_health old = s->state;

	if (r == CHECK_FAIL) {
		s->passes = 0;
		if (s->failures < UINT_MAX)
			s->failures++;
		if (s->failures >= fall)
			s->state = TXT_HEALTH_CRITICAL;
	} else {
		s->failures = 0;
		if (s->passes < UINT_MAX)
			s->passes++;
		if (s->state != TXT_HEALTH_CRITICAL || s->passes >= rise)
			s->state = r == CHECK_WARN ? TXT_HEALTH_WARNING : TXT_HEALTH_PASSING;
	}
	return s->state != old;
}
