/* SPDX-License-Identifier: MIT */
/* Tiny test assertions: failures print FILE:LINE, test_summary() returns the exit code. */
#pragma once

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Per test program counters (each test is one translation unit). */
static unsigned tap_checks __attribute__((unused));
static unsigned tap_failures __attribute__((unused));

static inline int tap_check(int ok, const char *file, int line, const char *expr)
{
	tap_checks++;
	if (!ok) {
		tap_failures++;
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
	}
	return ok;
}

static inline int tap_check_str(const char *a, const char *b, const char *file, int line,
                                const char *ea, const char *eb)
{
	int ok = (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);

	tap_checks++;
	if (!ok) {
		tap_failures++;
		fprintf(stderr, "%s:%d: %s == %s failed\n  got:      %s%s%s\n  expected: %s%s%s\n",
		        file, line, ea, eb, a ? "\"" : "", a ? a : "NULL", a ? "\"" : "",
		        b ? "\"" : "", b ? b : "NULL", b ? "\"" : "");
	}
	return ok;
}

static inline int tap_check_int(intmax_t a, intmax_t b, const char *file, int line, const char *ea,
                                const char *eb)
{
	tap_checks++;
	if (a != b) {
		tap_failures++;
		fprintf(stderr, "%s:%d: %s == %s failed: got %jd, expected %jd\n", file, line, ea,
		        eb, a, b);
	}
	return a == b;
}

static inline int tap_pass(void)
{
	tap_checks++;
	return 1;
}

static inline int tap_fail(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static inline int tap_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_checks++;
	tap_failures++;
	fprintf(stderr, "%s:%d: check failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 0;
}

/* Each returns non-zero when the check passed. */
#define CHECK(cond)        tap_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_STR_EQ(a, b) tap_check_str((a), (b), __FILE__, __LINE__, #a, #b)
#define CHECK_INT_EQ(a, b) tap_check_int((intmax_t)(a), (intmax_t)(b), __FILE__, __LINE__, #a, #b)
/* COND, reported with a printf-style message instead of its text; the
 * message arguments are evaluated only when COND fails. */
#define CHECK_MSG(cond, ...) ((cond) ? tap_pass() : tap_fail(__FILE__, __LINE__, __VA_ARGS__))
/* A failure without a condition, e.g. in a callback that must never run. */
#define FAIL(...) tap_fail(__FILE__, __LINE__, __VA_ARGS__)

/* Print a one-line summary; returns the exit code (0 all passed, 1 some failed). */
static inline int test_summary(void)
{
	printf("%u checks, %u failed\n", tap_checks, tap_failures);
	return tap_failures ? 1 : 0;
}
