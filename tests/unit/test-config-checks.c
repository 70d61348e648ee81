/* SPDX-License-Identifier: MIT */
/* Unit tests of services' health checks in the configuration (config/checks.c): defaults, every
 * rule with its FILE:LINE:COL message, the missing-program warning, what counts as the same check
 * across a reload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "dnssd/utf8.h"
#include "tests/unit/tap.h"

/* Load TEXT from memory; returns the config or NULL, messages in *d. */
static struct lanyard_config *load(const char *text, struct cfg_diags *d)
{
	struct lanyard_config *cfg = NULL;

	cfg_load_buffer("mem.yaml", text, strlen(text), &cfg, d);
	return cfg;
}

/* Load TEXT, expecting success and no messages. */
static struct lanyard_config *load_ok(const char *text)
{
	struct cfg_diags d = {0};
	struct lanyard_config *cfg = load(text, &d);

	CHECK_MSG(cfg != NULL, "not loaded:\n%s", text);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "unexpected: %s\n", d.items[i].text);
	CHECK_INT_EQ(d.n, 0);
	cfg_diags_clear(&d);
	return cfg;
}

/* Load TEXT, expecting failure with exactly the message MSG. */
static void load_fails(const char *text, const char *msg)
{
	struct cfg_diags d = {0};
	struct lanyard_config *cfg = load(text, &d);

	CHECK_MSG(cfg == NULL, "loaded:\n%s", text);
	CHECK_INT_EQ(d.n, 1);
	CHECK_STR_EQ(d.n ? d.items[0].text : NULL, msg);
	cfg_free(cfg);
	cfg_diags_clear(&d);
}

/* One service "s" on port 1 whose checks list is CHECKS (flow YAML), which
 * must fail with MSG at the first character of AT (its first occurrence
 * in CHECKS). */
static void check_fails(const char *checks, const char *at, const char *msg)
{
	static const char head[] = "services: [{name: s, port: 1, checks: ";
	const char *p = strstr(checks, at);
	char text[1024], full[1024];

	if (!CHECK_MSG(p, "'%s' is not in %s", at, checks))
		return;
	snprintf(text, sizeof(text), "%s%s}]", head, checks);
	snprintf(full, sizeof(full), "mem.yaml:1:%zu: %s", sizeof(head) + (size_t)(p - checks),
	         msg);
	load_fails(text, full);
}

/* The example of the issue, with programs that exist. */
static void test_example_and_defaults(void)
{
	struct lanyard_config *cfg = load_ok("services:\n"
	                                     "  - name: payments\n"
	                                     "    port: 8443\n"
	                                     "    checks:\n"
	                                     "      - tcp: 127.0.0.1:8443\n"
	                                     "      - http: http://127.0.0.1:8443/healthz\n"
	                                     "        interval: 2s\n"
	                                     "        timeout: 1s\n"
	                                     "      - exec: [/bin/sh, -c, 'exit 0']\n"
	                                     "      - ttl: 15s\n"
	                                     "      - tcp: '[::1]:80'\n"
	                                     "        interval: 200ms\n"
	                                     "        rise: 1\n"
	                                     "        fall: 100\n"
	                                     "      - http: https://db.example:8443/h?x=1#f\n"
	                                     "        tls_skip_verify: true\n"
	                                     "      - exec: [sh]\n"
	                                     "      - tcp: localhost:1\n");
	const struct cfg_check *c;

	if (!CHECK(cfg) || !CHECK_INT_EQ(cfg->services[0].n_checks, 8))
		goto out;
	c = cfg->services[0].checks;
	/* tcp: defaults 1s, 500ms, 2, 2 */
	CHECK_INT_EQ(c[0].kind, CFG_CHECK_TCP);
	CHECK_STR_EQ(c[0].target, "127.0.0.1:8443");
	CHECK_INT_EQ(c[0].interval_ms, 1000);
	CHECK_INT_EQ(c[0].timeout_ms, 500);
	CHECK_INT_EQ(c[0].rise, 2);
	CHECK_INT_EQ(c[0].fall, 2);
	CHECK_INT_EQ(c[0].line, 5);
	CHECK_INT_EQ(c[0].addr.ss_family, AF_INET);
	/* http with its own timing */
	CHECK_INT_EQ(c[1].kind, CFG_CHECK_HTTP);
	CHECK_STR_EQ(c[1].url, "http://127.0.0.1:8443/healthz");
	CHECK_INT_EQ(c[1].interval_ms, 2000);
	CHECK_INT_EQ(c[1].timeout_ms, 1000);
	CHECK(!c[1].tls_skip_verify);
	/* exec: the argument list, shown joined */
	CHECK_INT_EQ(c[2].kind, CFG_CHECK_EXEC);
	CHECK_INT_EQ(c[2].argc, 3);
	CHECK_STR_EQ(c[2].argv[2], "exit 0");
	CHECK(c[2].argv[3] == NULL);
	CHECK_STR_EQ(c[2].target, "/bin/sh -c exit 0");
	/* ttl: no interval or timeout; rise and fall 1 */
	CHECK_INT_EQ(c[3].kind, CFG_CHECK_TTL);
	CHECK_INT_EQ(c[3].ttl_ms, 15000);
	CHECK_INT_EQ(c[3].rise, 1);
	CHECK_INT_EQ(c[3].fall, 1);
	CHECK(c[3].target == NULL);
	/* an interval under 500ms is the default timeout */
	CHECK_INT_EQ(c[4].addr.ss_family, AF_INET6);
	CHECK_INT_EQ(c[4].interval_ms, 200);
	CHECK_INT_EQ(c[4].timeout_ms, 200);
	CHECK_INT_EQ(c[4].rise, 1);
	CHECK_INT_EQ(c[4].fall, 100);
	CHECK(c[5].tls_skip_verify);
	CHECK_STR_EQ(c[6].argv[0], "sh");
	CHECK_INT_EQ(c[7].addr.ss_family, AF_INET);
	CHECK_STR_EQ(cfg_check_kind_name(CFG_CHECK_EXEC), "exec");
	CHECK(cfg_check_kind_name(_CFG_CHECK_KIND_MAX) == NULL);
out:
	cfg_free(cfg);

	/* null or empty: no checks */
	cfg = load_ok("services: [{name: a, port: 1, checks: }, {name: b, port: 2, checks: []}]");
	if (CHECK(cfg))
		CHECK(cfg->services[0].n_checks == 0 && cfg->services[1].n_checks == 0);
	cfg_free(cfg);
}

static void test_targets(void)
{
	/* host:port */
	check_fails("[{tcp: 127.0.0.1}]", "127", "'tcp': '127.0.0.1': expected HOST:PORT");
	check_fails("[{tcp: 'db.example:5432'}]", "'db",
	            "'tcp': 'db.example:5432': the host must be a numeric address "
	            "or localhost (tcp checks do not look names up)");
	check_fails("[{tcp: '127.0.0.1:0'}]", "'127",
	            "'tcp': '127.0.0.1:0': the port must be a number from 1 to 65535");
	check_fails("[{tcp: '127.0.0.1:65536'}]", "'127",
	            "'tcp': '127.0.0.1:65536': the "
	            "port must be a number from 1 to 65535");
	check_fails("[{tcp: '127.0.0.1:8x'}]", "'127",
	            "'tcp': '127.0.0.1:8x': the port must be a number from 1 to 65535");
	check_fails("[{tcp: ':80'}]", "':80'", "'tcp': ':80': the host is missing");
	check_fails("[{tcp: '::1:80'}]", "'::1",
	            "'tcp': '::1:80': an IPv6 address goes in "
	            "brackets, as in [::1]:8443");
	check_fails("[{tcp: '[::1]80'}]", "'[::1]80'", "'tcp': '[::1]80': expected HOST:PORT");
	check_fails("[{tcp: '[::1:80'}]", "'[::1:80'",
	            "'tcp': '[::1:80': an IPv6 address in brackets lacks its ']'");
	check_fails("[{tcp: '[1.2.3.4]:80'}]", "'[1.2",
	            "'tcp': '[1.2.3.4]:80': not an IPv6 address in the brackets");
	check_fails("[{tcp: 8443}]", "8443", "'tcp': '8443': expected HOST:PORT");
	check_fails("[{tcp: [a, b]}]", "[a, b]", "'tcp': expected a string, got a list");

	/* URLs */
	check_fails("[{http: 'ftp://h/'}]", "'ftp",
	            "'http': 'ftp://h/': expected an http:// or https:// URL");
	check_fails("[{http: '127.0.0.1:80/h'}]", "'127",
	            "'http': '127.0.0.1:80/h': expected an http:// or https:// URL");
	check_fails("[{http: 'http:///h'}]", "'http", "'http': 'http:///h': the URL has no host");
	check_fails("[{http: 'http://:80/'}]", "'http",
	            "'http': 'http://:80/': the URL has no host");
	check_fails("[{http: 'http://h:0/'}]", "'http",
	            "'http': 'http://h:0/': the port must "
	            "be a number from 1 to 65535");
	check_fails("[{http: 'http://h:/'}]", "'http",
	            "'http': 'http://h:/': the port must "
	            "be a number from 1 to 65535");
	check_fails("[{http: 'http://a b/'}]", "'http",
	            "'http': 'http://a b/': contains a space, a control or a "
	            "non-ASCII character (percent-encode it)");
	check_fails("[{http: 'http://h\xc3\xa9/'}]", "'http",
	            "'http': 'http://h\xc3\xa9/': contains a space, a control or a "
	            "non-ASCII character (percent-encode it)");
	check_fails("[{http: 'http://a!b/'}]", "'http",
	            "'http': 'http://a!b/': the host has a character other than "
	            "letters, digits, '.', '-' and '_'");
	check_fails("[{http: 'http://[::1/'}]", "'http",
	            "'http': 'http://[::1/': the host is not an IPv6 address in "
	            "brackets");
	check_fails("[{http: 'http://[::1]x/'}]", "'http",
	            "'http': 'http://[::1]x/': the host is not an IPv6 address in "
	            "brackets");
	/* user info, an IPv6 host, a query: fine */
	cfg_free(load_ok("services: [{name: s, port: 1, checks: [{http: 'http://u:p@[::1]:8/a?b'}, "
	                 "{http: 'HTTPS://Example.COM'}]}]"));

	/* exec */
	check_fails("[{exec: '/bin/true --x'}]", "'/bin/true",
	            "'exec': expected a list [program, arguments...] (no shell is "
	            "used), got a string");
	check_fails("[{exec: []}]", "[]", "'exec': the list is empty: it needs a program");
	check_fails("[{exec: ['']}]", "''", "'exec': the program cannot be empty");
	check_fails("[{exec: [bin/check]}]", "bin/check",
	            "'exec': 'bin/check' is a relative path: give an absolute path, "
	            "or a command name looked up in PATH");
	check_fails("[{exec: [/bin/sh, [x]]}]", "[x]",
	            "'exec' item: expected a string, got a list");

	/* ttl */
	check_fails("[{ttl: 500ms}]", "500ms", "'ttl': '500ms' is out of range (1s-1440m)");
	check_fails("[{ttl: soon}]", "soon",
	            "'ttl': expected a duration such as 500ms, 2s "
	            "or 1m, got 'soon'");
}

static void test_keys_and_timing(void)
{
	/* exactly one kind per check */
	check_fails("[{tcp: '127.0.0.1:1', http: 'http://h/'}]", "http",
	            "check has both 'tcp' and 'http': one kind per check");
	check_fails("[{ttl: 2s, exec: [sh]}]", "exec",
	            "check has both 'exec' and 'ttl': one kind per check");
	check_fails("[{interval: 1s}]", "{", "check needs one of 'tcp', 'http', 'exec' or 'ttl'");
	check_fails("[{}]", "{", "check needs one of 'tcp', 'http', 'exec' or 'ttl'");
	/* unknown keys, with a hint */
	check_fails("[{tcp: '127.0.0.1:1', colour: red}]", "colour",
	            "unknown key 'colour' in check");
	check_fails("[{tcp: '127.0.0.1:1', intervall: 2s}]", "intervall",
	            "unknown key 'intervall' in check (did you mean 'interval'?)");
	check_fails("[{tcp: '127.0.0.1:1', tcp: '127.0.0.1:2'}]", "tcp: '127.0.0.1:2'",
	            "duplicate key 'tcp' (first at 1:41)");
	/* the shape */
	check_fails("{tcp: '127.0.0.1:1'}", "{", "'checks': expected a list, got a mapping");
	check_fails("[tcp]", "tcp", "'checks' item: expected a mapping, got a string");

	/* timing */
	check_fails("[{tcp: '127.0.0.1:1', timeout: 2s}]", "2s",
	            "'timeout': 2s is longer than the interval (1s)");
	check_fails("[{tcp: '127.0.0.1:1', interval: 300ms, timeout: 301ms}]", "301ms",
	            "'timeout': 301ms is longer than the interval (300ms)");
	cfg_free(load_ok("services: [{name: s, port: 1, checks: [{tcp: '127.0.0.1:1', interval: "
	                 "300ms, timeout: 300ms}]}]"));
	check_fails("[{tcp: '127.0.0.1:1', interval: 50ms}]", "50ms",
	            "'interval': '50ms' is out of range (100ms-60m)");
	check_fails("[{tcp: '127.0.0.1:1', interval: 2h}]", "2h",
	            "'interval': expected a duration such as 500ms, 2s or 1m, got "
	            "'2h'");
	check_fails("[{tcp: '127.0.0.1:1', timeout: 5ms}]", "5ms",
	            "'timeout': '5ms' is out of range (10ms-60m)");
	check_fails("[{tcp: '127.0.0.1:1', rise: 0}]", "0}", "'rise': 0 is out of range (1-100)");
	check_fails("[{tcp: '127.0.0.1:1', fall: 101}]", "101",
	            "'fall': 101 is out of range (1-100)");
	check_fails("[{ttl: 10s, interval: 1s}]", "interval",
	            "'interval' does not apply to a ttl check");
	check_fails("[{ttl: 10s, timeout: 1s}]", "timeout",
	            "'timeout' does not apply to a ttl check");
	check_fails("[{tcp: '127.0.0.1:1', tls_skip_verify: true}]", "tls_skip_verify",
	            "'tls_skip_verify' applies to http checks only");
	check_fails("[{http: 'https://h/', tls_skip_verify: maybe}]", "maybe",
	            "'tls_skip_verify': 'maybe' is not one of false, true, no, "
	            "yes, off, on");
	/* one ttl check per service: reports would not know which */
	check_fails("[{ttl: 10s}, {ttl: 20s}]", "ttl: 20s",
	            "a service has at most one ttl check (the first is at 1:41)");
}

/* Every independent problem is reported, each where it is; a bad check
 * does not hide the others, nor the service's other keys. */
static void test_many_problems(void)
{
	struct cfg_diags d = {0};
	struct lanyard_config *cfg = load("services:\n"
	                                  "  - name: s\n"
	                                  "    port: 0\n"
	                                  "    checks:\n"
	                                  "      - tcp: nowhere\n"
	                                  "      - http: http://ok/\n"
	                                  "        timeout: 3s\n"
	                                  "      - exec: [/nonexistent/lanyard-check]\n"
	                                  "      - ttl: 1\n",
	                                  &d);

	CHECK(cfg == NULL);
	CHECK_INT_EQ(d.n, 5);
	CHECK_INT_EQ(d.n_errors, 4);
	if (d.n == 5) {
		CHECK_STR_EQ(d.items[0].text, "mem.yaml:3:11: 'port': 0 is out of range (1-65535)");
		CHECK_STR_EQ(d.items[1].text,
		             "mem.yaml:5:14: 'tcp': 'nowhere': expected HOST:PORT");
		CHECK_STR_EQ(d.items[2].text,
		             "mem.yaml:7:18: 'timeout': 3s is longer than the interval (1s)");
		CHECK_STR_EQ(d.items[3].text, "mem.yaml:8:16: warning: 'exec': program "
		                              "'/nonexistent/lanyard-check' does not exist");
		CHECK_STR_EQ(d.items[4].text,
		             "mem.yaml:9:14: 'ttl': '1' is out of range (1s-1440m)");
	}
	cfg_diags_clear(&d);
}

/* The 1-based column of the first TOKEN in the one-line TEXT. */
static int col_of(const char *text, const char *token)
{
	const char *p = strstr(text, token);

	return p ? (int)(p - text) + 1 : 0;
}

/* A missing or unusable program is a warning: it may be installed by the
 * time the check runs (which then fails, saying why). */
static void test_missing_program_warns(void)
{
	char plain[] = "/tmp/lanyard-not-exec.XXXXXX", text[512], msg[4][256];
	int fd = mkstemp(plain); /* mode 0600: not executable, even for root */
	struct lanyard_config *cfg;
	struct cfg_diags d = {0};

	if (!CHECK(fd >= 0))
		return;
	close(fd);
	snprintf(text, sizeof(text),
	         "services: [{name: s, port: 1, checks: [{exec: [/nonexistent/check, -v]}, "
	         "{exec: [no-such-lanyard-check]}, {exec: ['%s']}, {exec: [/tmp]}]}]",
	         plain);
	snprintf(msg[0], sizeof(msg[0]),
	         "mem.yaml:1:%d: warning: 'exec': program '/nonexistent/check' does not exist",
	         col_of(text, "/nonexistent"));
	snprintf(msg[1], sizeof(msg[1]),
	         "mem.yaml:1:%d: warning: 'exec': command 'no-such-lanyard-check' is not found in "
	         "PATH",
	         col_of(text, "no-such"));
	snprintf(msg[2], sizeof(msg[2]),
	         "mem.yaml:1:%d: warning: 'exec': program '%s' is not an executable file",
	         col_of(text, "'/tmp/lanyard"), plain);
	snprintf(msg[3], sizeof(msg[3]),
	         "mem.yaml:1:%d: warning: 'exec': program '/tmp' is not an executable file",
	         col_of(text, "/tmp]"));
	cfg = load(text, &d);
	if (CHECK(cfg))
		CHECK_INT_EQ(cfg->services[0].n_checks, 4);
	CHECK_INT_EQ(d.n_errors, 0);
	if (CHECK_INT_EQ(d.n, 4))
		for (int i = 0; i < 4; i++)
			CHECK_STR_EQ(d.items[i].text, msg[i]);
	cfg_free(cfg);
	cfg_diags_clear(&d);
	unlink(plain);
}

/* At most 32 checks per service. */
static void test_too_many_checks(void)
{
	char text[2048];
	size_t len =
	        (size_t)snprintf(text, sizeof(text), "services: [{name: s, port: 1, checks: [");

	for (int i = 0; i < 33; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s{tcp: '127.0.0.1:%d'}",
		                        i ? ", " : "", i + 1);
	snprintf(text + len, sizeof(text) - len, "]}]");
	load_fails(text, "mem.yaml:1:39: 'checks': more than 32 checks");
}

/* The first check of a one-service configuration made of CHECKS. */
static struct lanyard_config *one(const char *checks)
{
	char text[512];

	snprintf(text, sizeof(text), "services: [{name: s, port: 1, checks: [%s]}]", checks);
	return load_ok(text);
}

static int same(const char *a, const char *b)
{
	struct lanyard_config *x = one(a), *y = one(b);
	int r = -1;

	if (x && y)
		r = cfg_check_same_target(&x->services[0].checks[0], &y->services[0].checks[0]);
	cfg_free(x);
	cfg_free(y);
	return r;
}

/* What stays the same check across a reload: kind and target only. */
static void test_same_target(void)
{
	CHECK_INT_EQ(same("{tcp: '127.0.0.1:1'}", "{tcp: '127.0.0.1:1', interval: 5s, rise: 9}"),
	             1);
	CHECK_INT_EQ(same("{tcp: 'localhost:1'}", "{tcp: '127.0.0.1:1'}"), 1);
	CHECK_INT_EQ(same("{tcp: '127.0.0.1:1'}", "{tcp: '127.0.0.1:2'}"), 0);
	CHECK_INT_EQ(same("{tcp: '127.0.0.1:1'}", "{tcp: '[::1]:1'}"), 0);
	CHECK_INT_EQ(same("{http: 'http://h/a'}", "{http: 'http://h/a', timeout: 100ms}"), 1);
	CHECK_INT_EQ(same("{http: 'http://h/a'}", "{http: 'http://h/b'}"), 0);
	CHECK_INT_EQ(same("{exec: [sh, -c, x]}", "{exec: [sh, -c, x], fall: 5}"), 1);
	CHECK_INT_EQ(same("{exec: [sh, -c, x]}", "{exec: [sh, -c, y]}"), 0);
	CHECK_INT_EQ(same("{exec: [sh, -c]}", "{exec: [sh, -c, '']}"), 0);
	CHECK_INT_EQ(same("{ttl: 10s}", "{ttl: 20s}"), 1);
	CHECK_INT_EQ(same("{tcp: '127.0.0.1:1'}", "{http: 'http://127.0.0.1:1/'}"), 0);
}

/* A long command line is cut for people between characters: status and
 * its JSON need well-formed UTF-8. */
static void test_long_target_utf8(void)
{
	char yaml[2048], arg[600];
	size_t n = 0;

	/* 240 ASCII bytes, then two-byte characters across the cut. */
	while (n < 240)
		arg[n++] = 'a';
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(arg + n, sizeof(arg) - n, "\xc3\xa9");
	arg[n] = '\0';
	snprintf(yaml, sizeof(yaml),
	         "services:\n  - name: x\n    port: 1\n    checks:\n      - exec: [/bin/echo, "
	         "\"%s\"]\n",
	         arg);
	for (int shift = 0; shift < 2; shift++) {
		struct lanyard_config *cfg;

		if (shift)
			memmove(yaml + 80, yaml + 79, strlen(yaml + 79) + 1); /* one byte more */
		cfg = load_ok(yaml);
		if (!cfg)
			continue;
		const char *t = cfg->services[0].checks[0].target;
		CHECK(strlen(t) <= 255 && utf8_valid(t, strlen(t)));
		CHECK(strcmp(t + strlen(t) - 3, "...") == 0);
		cfg_free(cfg);
	}
}

int main(void)
{
	test_example_and_defaults();
	test_long_target_utf8();
	test_targets();
	test_keys_and_timing();
	test_many_problems();
	test_missing_program_warns();
	test_too_many_checks();
	test_same_target();
	return test_summary();
}
