/* SPDX-License-Identifier: MIT */
/* Tests of the lanyard command (client/lanyard.c) against the fake agent:
 * output formats and exit codes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "tests/unit/test-client-fake.h"
#include "tests/unit/tap.h"

static char sock[128];
static char bin[512];

struct result {
	int status;
	char out[65536];
	char err[4096];
};

/* Run "lanyard ARGS" (shell syntax) and capture stdout, stderr and status. */
static void run(struct result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void run(struct result *r, const char *fmt, ...)
{
	char args[1024], cmd[2048], errfile[] = "/tmp/test-client-cli.XXXXXX";
	int efd = mkstemp(errfile);
	va_list ap;
	FILE *p;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s 2>%s", bin, args, errfile);
	p = popen(cmd, "r");
	n = fread(r->out, 1, sizeof(r->out) - 1, p);
	r->out[n] = '\0';
	st = pclose(p);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	n = (size_t)read(efd, r->err, sizeof(r->err) - 1);
	r->err[n > sizeof(r->err) ? 0 : n] = '\0';
	close(efd);
	unlink(errfile);
}

static void test_list(void)
{
	struct result r;
	json_t *j;

	run(&r, "--socket %s list payments --tag eu --txt path=/v2 --family ipv4 --version '^2.4'",
	    sock);
	CHECK(r.status == 0);
	CHECK(strncmp(r.out, "INSTANCE", 8) == 0);
	CHECK(strstr(r.out, "payments@hosta  payments  127.0.0.1") != NULL);
	CHECK(strstr(r.out, "payments@hostb") != NULL);

	run(&r, "list --json --socket %s", sock);
	CHECK(r.status == 0);
	j = json_loads(r.out, 0, NULL);
	CHECK(json_is_true(json_object_get(j, "ok")) &&
	      json_array_size(json_object_get(j, "instances")) == 2);
	CHECK(strchr(r.out, '\n') == r.out + strlen(r.out) - 1); /* one line */
	json_decref(j);

	/* Names from the LAN reach the terminal escaped. */
	run(&r, "--socket %s list hostile", sock);
	CHECK(r.status == 0 && strstr(r.out, "evil\\x1b[2J\\x0aforged  payments"));
	CHECK(!strchr(r.out, '\x1b'));

	run(&r, "--socket %s list none", sock);
	CHECK(r.status == 3 && r.out[0] == '\0' && strstr(r.err, "no matching instance"));

	run(&r, "--socket %s list --policy p2c", sock);
	CHECK(r.status == 2 && strstr(r.err, "not valid for list"));
	run(&r, "--socket %s list --family ipx", sock);
	CHECK(r.status == 2);
	run(&r, "--socket %s list --txt novalue", sock);
	CHECK(r.status == 2 && strstr(r.err, "KEY=VALUE"));
	run(&r, "--socket %s list a b", sock);
	CHECK(r.status == 2);
}

static void test_resolve(uint16_t port)
{
	struct result r;
	char want[64];

	run(&r, "--socket %s resolve payments --policy hash --key k --prefer-local", sock);
	snprintf(want, sizeof(want), "127.0.0.1 %u\n", (unsigned)port);
	CHECK(r.status == 0 && strcmp(r.out, want) == 0);
	run(&r, "--socket %s --json resolve payments", sock);
	CHECK(r.status == 0 && strstr(r.out, "\"ok\":true,\"instance\":{"));
	run(&r, "--socket %s resolve missing", sock);
	CHECK(r.status == 3 && strstr(r.err, "no instance of \"missing\""));
	run(&r, "--socket %s --json resolve missing", sock);
	CHECK(r.status == 3 && strstr(r.out, "\"code\":\"not_found\""));
	run(&r, "--socket %s resolve", sock);
	CHECK(r.status == 2);
}

static void test_other(void)
{
	struct result r;

	run(&r, "--socket %s report payments@hosta fail --latency 3.5 --service payments", sock);
	CHECK(r.status == 0 && r.out[0] == '\0');
	run(&r, "--socket %s report payments@hosta maybe", sock);
	CHECK(r.status == 2);
	run(&r, "--socket %s status", sock);
	CHECK(r.status == 0 && strstr(r.out, "\"agent\": \"fake\"") &&
	      strstr(r.out, "\"latency_ms\": 3.5"));
	run(&r, "--json --socket %s status", sock);
	CHECK(r.status == 0 && strncmp(r.out, "{\"ok\":true,\"status\":{", 21) == 0);
	run(&r, "--socket %s services", sock);
	CHECK(r.status == 0 && strstr(r.out, "SERVICE ") &&
	      strstr(r.out, "payments  _payments._tcp          2  yes"));
	run(&r, "--help");
	CHECK(r.status == 0 && strncmp(r.out, "Usage: lanyard", 14) == 0);
	run(&r, "frobnicate");
	CHECK(r.status == 2 && strstr(r.err, "unknown command"));
	run(&r, "%s", "");
	CHECK(r.status == 2 && strstr(r.err, "missing command"));
	run(&r, "--socket /nonexistent/sock status");
	CHECK(r.status == 1 && strstr(r.err, "cannot connect to /nonexistent/sock"));
	run(&r, "--timeout abc status");
	CHECK(r.status == 2);

	setenv("LANYARD_SOCKET", sock, 1);
	run(&r, "services --json");
	CHECK(r.status == 0 && strstr(r.out, "\"services\":["));
	unsetenv("LANYARD_SOCKET");
}

/* check and maint: arguments, exit codes. */
static void test_check_maint(void)
{
	struct result r;

	run(&r, "--socket %s check payments pass --output 'all good'", sock);
	CHECK(r.status == 0 && r.out[0] == '\0' && r.err[0] == '\0');
	run(&r, "--socket %s --json check payments warn", sock);
	CHECK(r.status == 0 && strcmp(r.out, "{\"ok\":true}\n") == 0);
	run(&r, "--socket %s check web fail", sock);
	CHECK(r.status == 3 && strstr(r.err, "no declared service \"web\""));
	run(&r, "--socket %s check payments maybe", sock);
	CHECK(r.status == 2 && strstr(r.err, "usage: lanyard check SERVICE pass|warn|fail"));
	run(&r, "--socket %s check payments", sock);
	CHECK(r.status == 2);
	run(&r, "--socket %s check payments pass --reason x", sock);
	CHECK(r.status == 2);
	run(&r, "--socket %s maint payments on --reason 'disk swap'", sock);
	CHECK(r.status == 0 && r.out[0] == '\0');
	run(&r, "--socket %s maint payments off", sock);
	CHECK(r.status == 0);
	run(&r, "--socket %s maint web on", sock);
	CHECK(r.status == 3 && strstr(r.err, "no declared service \"web\""));
	run(&r, "--socket %s maint payments later", sock);
	CHECK(r.status == 2 && strstr(r.err, "usage: lanyard maint SERVICE on|off"));
	run(&r, "--socket %s maint payments on --output x", sock);
	CHECK(r.status == 2);
	run(&r, "--socket %s status", sock);
	CHECK(strstr(r.out, "\"reason\": \"disk swap\"") &&
	      strstr(r.out, "\"output\": \"all good\""));
	run(&r, "--help");
	CHECK(strstr(r.out, "check SERVICE pass|warn|fail [--output TEXT]") &&
	      strstr(r.out, "maint SERVICE on|off [--reason TEXT]"));
}

/* Run "lanyard ARGS" in the background until its output has a line
 * matching LAST (a grep pattern; at most 30 s), then SIGTERM it. r->out is
 * the output, then "exit N" with how it ended: still running when the
 * signal came is "exit 143". */
static void run_watch(struct result *r, const char *args, const char *last)
{
	char out[] = "/tmp/test-client-cli-watch.XXXXXX";
	int fd = mkstemp(out);

	close(fd);
	run(r,
	    "%s >%s & pid=$!; i=0; "
	    "while ! grep -q '%s' %s && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; "
	    "kill -TERM $pid; wait $pid 2>/dev/null; echo \"exit $?\" >>%s; cat %s",
	    args, out, last, out, out, out);
	unlink(out);
}

static void test_watch(void)
{
	char args[256];
	struct result r;

	/* watch runs until it is killed: still running after the fake's last
	 * event (removed). */
	snprintf(args, sizeof(args), "--socket %s watch payments", sock);
	run_watch(&r, args, "^removed ");
	CHECK(strstr(r.out, "added    payments@hosta 127.0.0.1 port"));
	CHECK(strstr(r.out, "-- snapshot_end --\n"));
	CHECK(strstr(r.out, "changed  payments@hosta") && strstr(r.out, "version 2.5.0"));
	CHECK(strstr(r.out, "removed  payments@hosta"));
	CHECK(strstr(r.out, "\nexit 143\n"));
	snprintf(args, sizeof(args), "--socket %s --json watch", sock);
	run_watch(&r, args, "\"event\":\"removed\"");
	CHECK(strncmp(r.out, "{\"ok\":true,\"watch\":1}\n{\"event\":\"added\",\"watch\":1,", 49) ==
	      0);
	CHECK(strstr(r.out, "\nexit 143\n"));
}

int main(void)
{
	const char *top = getenv("top_builddir");
	char dir[] = "/tmp/test-cli.XXXXXX";
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/client/lanyard", top ? top : ".");
	if (access(bin, X_OK) < 0) {
		fprintf(stderr, "%s not built\n", bin);
		return 77;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/lanyard.sock", dir);
	/* resolve answers this port; nothing needs to listen on it here. */
	pid = fake_start(sock, 40999);

	test_list();
	test_resolve(40999);
	test_other();
	test_check_maint();
	test_watch();

	CHECK(server_child_stop(pid) == 0);
	rmdir(dir);
	return test_summary();
}
