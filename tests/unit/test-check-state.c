/* SPDX-License-Identifier: MIT */
/* Unit tests of a health check's state machine (agent/check-state.c): the initial state, rise,
 * fall, warnings, counters. */
#include <limits.h>

#include "agent/check-state.h"
#include "tests/unit/tap.h"

/* Feed R to S N times; returns how many of them changed the state. */
static int feed(struct check_state *s, enum check_result r, int n, unsigned rise, unsigned fall)
{
	int changes = 0;

	for (int i = 0; i < n; i++)
		changes += check_state_feed(s, r, rise, fall);
	return changes;
}

static void test_initial(void)
{
	struct check_state s;

	check_state_init(&s);
	CHECK_INT_EQ(s.state, TXT_HEALTH_CRITICAL);
	CHECK_INT_EQ(s.passes, 0);
	CHECK_INT_EQ(s.failures, 0);
	/* failing from the start: stays critical, no change reported */
	CHECK_INT_EQ(feed(&s, CHECK_FAIL, 5, 2, 2), 0);
	CHECK_INT_EQ(s.state, TXT_HEALTH_CRITICAL);
	CHECK_INT_EQ(s.failures, 5);
}

static void test_rise(void)
{
	struct check_state s;

	check_state_init(&s);
	/* rise 3: two passes are not enough */
	CHECK(!check_state_feed(&s, CHECK_PASS, 3, 2));
	CHECK(!check_state_feed(&s, CHECK_PASS, 3, 2));
	CHECK_INT_EQ(s.state, TXT_HEALTH_CRITICAL);
	CHECK_INT_EQ(s.passes, 2);
	/* a failure in between starts the count again */
	CHECK(!check_state_feed(&s, CHECK_FAIL, 3, 2));
	CHECK_INT_EQ(s.passes, 0);
	CHECK_INT_EQ(s.failures, 1);
	CHECK_INT_EQ(feed(&s, CHECK_PASS, 2, 3, 2), 0);
	CHECK(check_state_feed(&s, CHECK_PASS, 3, 2));
	CHECK_INT_EQ(s.state, TXT_HEALTH_PASSING);
	CHECK_INT_EQ(s.passes, 3);
	CHECK_INT_EQ(s.failures, 0);

	/* rise 1: the first pass is enough */
	check_state_init(&s);
	CHECK(check_state_feed(&s, CHECK_PASS, 1, 1));
	CHECK_INT_EQ(s.state, TXT_HEALTH_PASSING);
}

static void test_fall(void)
{
	struct check_state s;

	check_state_init(&s);
	feed(&s, CHECK_PASS, 2, 2, 3);
	CHECK_INT_EQ(s.state, TXT_HEALTH_PASSING);
	/* fall 3: two failures keep it passing */
	CHECK_INT_EQ(feed(&s, CHECK_FAIL, 2, 2, 3), 0);
	CHECK_INT_EQ(s.state, TXT_HEALTH_PASSING);
	CHECK_INT_EQ(s.failures, 2);
	/* a pass resets the failures: flapping never goes critical */
	CHECK(!check_state_feed(&s, CHECK_PASS, 2, 3));
	CHECK_INT_EQ(s.failures, 0);
	for (int i = 0; i < 10; i++) {
		feed(&s, CHECK_FAIL, 2, 2, 3);
		feed(&s, CHECK_PASS, 1, 2, 3);
	}
	CHECK_INT_EQ(s.state, TXT_HEALTH_PASSING);
	/* the third failure in a row does */
	CHECK_INT_EQ(feed(&s, CHECK_FAIL, 2, 2, 3), 0);
	CHECK(check_state_feed(&s, CHECK_FAIL, 2, 3));
	CHECK_INT_EQ(s.state, TXT_HEALTH_CRITICAL);
	CHECK_INT_EQ(s.passes, 0);
	/* and back only after rise passes */
	CHECK(!check_state_feed(&s, CHECK_PASS, 2, 3));
	CHECK(check_state_feed(&s, CHECK_PASS, 2, 3));
	CHECK_INT_EQ(s.state, TXT_HEALTH_PASSING);
}

static void test_warning(void)
{
	struct check_state s;

	check_state_init(&s);
	/* warn results count towards rise; the state is then warning */
	CHECK(!check_state_feed(&s, CHECK_WARN, 2, 2));
	CHECK(check_state_feed(&s, CHECK_WARN, 2, 2));
	CHECK_INT_EQ(s.state, TXT_HEALTH_WARNING);
	/* a mix: the last result decides between warning and passing */
	check_state_init(&s);
	check_state_feed(&s, CHECK_WARN, 2, 2);
	CHECK(check_state_feed(&s, CHECK_PASS, 2, 2));
	CHECK_INT_EQ(s.state, TXT_HEALTH_PASSING);
	/* once announced, warning and passing follow each result at once */
	CHECK(check_state_feed(&s, CHECK_WARN, 2, 2));
	CHECK_INT_EQ(s.state, TXT_HEALTH_WARNING);
	CHECK(check_state_feed(&s, CHECK_PASS, 2, 2));
	CHECK_INT_EQ(s.state, TXT_HEALTH_PASSING);
	/* a warning is not a failure: it never counts towards fall */
	CHECK_INT_EQ(feed(&s, CHECK_WARN, 10, 2, 1), 1);
	CHECK_INT_EQ(s.state, TXT_HEALTH_WARNING);
	CHECK_INT_EQ(s.failures, 0);
	/* from warning, fall failures make it critical */
	CHECK(!check_state_feed(&s, CHECK_FAIL, 2, 2));
	CHECK(check_state_feed(&s, CHECK_FAIL, 2, 2));
	CHECK_INT_EQ(s.state, TXT_HEALTH_CRITICAL);
}

static void test_counters_saturate(void)
{
	struct check_state s;

	check_state_init(&s);
	s.passes = UINT_MAX - 1;
	s.state = TXT_HEALTH_PASSING;
	feed(&s, CHECK_PASS, 3, 2, 2);
	CHECK(s.passes == UINT_MAX);
	s.failures = UINT_MAX;
	s.passes = 0;
	feed(&s, CHECK_FAIL, 1, 2, 2);
	CHECK(s.failures == UINT_MAX);
	CHECK_INT_EQ(s.state, TXT_HEALTH_CRITICAL);
}

static void test_names(void)
{
	CHECK_STR_EQ(check_result_name(CHECK_PASS), "pass");
	CHECK_STR_EQ(check_result_name(CHECK_WARN), "warn");
	CHECK_STR_EQ(check_result_name(CHECK_FAIL), "fail");
	CHECK(check_result_name(_CHECK_RESULT_MAX) == NULL);
}

int main(void)
{
	test_initial();
	test_rise();
	test_fall();
	test_warning();
	test_counters_saturate();
	test_names();
	return test_summary();
}
