/* SPDX-License-Identifier: MIT */
/* What one run of a health check (a probe: tcp, http, exec) reports to the
 * checks engine, and how. */
#pragma once

#include <stddef.h>

/* How much of a check's output is kept: an exec check's stdout and stderr,
 * an http response's body, a ttl report's text. */
#define CHECK_OUTPUT_MAX 4096

/* One result: exec exit 0, 2xx, connected, "pass"; exec exit 1, "warn";
 * anything else. */
enum check_result {
	CHECK_PASS,
	CHECK_WARN,
	CHECK_FAIL,
	_CHECK_RESULT_MAX,
};

/* Called once per run, from the event loop and never from within the
 * probe's start function, with LEN bytes of OUTPUT (text for people, not
 * NUL-terminated, may be empty). The probe is finished when it is called:
 * the callback may free it. */
typedef void (*check_done_fn)(void *userdata, enum check_result result, const char *output,
                              size_t len);

/* "pass", "warn", "fail"; NULL when out of range. */
const char *check_result_name(enum check_result r);
