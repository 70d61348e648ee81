/* SPDX-License-Identifier: MIT */
/* Tests of exec and fanout: liblanyard's lanyard_expand() and
 * lanyard_resolve_except(), the lanyard command's exec and fanout against
 * the fake agent (outputs, exit codes, reports, argument errors), and the
 * docs/examples/exec-pick.c program. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "client/lanyard.h"
#include "tests/unit/test-client-fake.h"
#include "tests/unit/tap.h"

struct result {
	int status;
	char out[65536];
	char err[8192];
};

static char sock[128];
static char dir[64];
static char cli[1024]; /* "[CLI_WRAPPER] BIN --socket SOCK" */
static char example[512];
static struct result scratch;

/* Run the shell command line FMT and capture stdout, stderr and status. */
static void run(struct result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void run(struct result *r, const char *fmt, ...)
{
	char cmd[4096], errfile[] = "/tmp/test-client-exec.XXXXXX";
	int efd = mkstemp(errfile);
	va_list ap;
	size_t n, len;
	FILE *p;
	int st;

	va_start(ap, fmt);
	len = (size_t)vsnprintf(cmd, sizeof(cmd) - 64, fmt, ap);
	va_end(ap);
	CHECK(len < sizeof(cmd) - 64);
	snprintf(cmd + strlen(cmd), 64, " 2>%s", errfile);
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

/* The reports the fake agent has received so far (a new reference). */
static json_t *reports(void)
{
	struct result r;
	json_t *j, *a;

	run(&r, "%s --json status", cli);
	j = json_loads(r.out, 0, NULL);
	a = json_incref(json_object_get(json_object_get(j, "status"), "reports"));
	json_decref(j);
	CHECK(json_is_array(a));
	return a ? a : json_array();
}

/* Report I of A as "instance ok|fail", latency checked. */
static const char *report_text(json_t *a, size_t i, char *buf, size_t size)
{
	json_t *o = json_array_get(a, i);
	json_t *lat = json_object_get(o, "latency_ms");

	snprintf(buf, size, "%s %s%s", json_string_value(json_object_get(o, "instance")),
	         json_string_value(json_object_get(o, "result")),
	         json_is_number(lat) && json_number_value(lat) >= 0 ? "" : " (no latency)");
	return buf;
}

/* The reports after the first FROM, as "inst result" lines sorted. */
static char *reports_since(size_t from)
{
	json_t *a = reports();
	size_t n = json_array_size(a);
	char **lines = calloc(n + 1, sizeof(char *)), buf[256], *out = calloc(1, 4096);

	for (size_t i = from; i < n; i++)
		lines[i - from] = strdup(report_text(a, i, buf, sizeof(buf)));
	for (size_t i = 0; i + 1 < n - from && n > from; i++)
		for (size_t j = i + 1; j < n - from; j++)
			if (strcmp(lines[i], lines[j]) > 0) {
				char *t = lines[i];

				lines[i] = lines[j];
				lines[j] = t;
			}
	for (size_t i = 0; i + from < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
		free(lines[i]);
	}
	free(lines);
	json_decref(a);
	return out;
}

static size_t n_reports(void)
{
	json_t *a = reports();
	size_t n = json_array_size(a);

	json_decref(a);
	return n;
}

/* ---- liblanyard ----------------------------------------------------------- */

static void check_expand(const struct lanyard_instance *in, enum lanyard_family fam,
                         const char *tmpl, const char *want)
{
	char *got = NULL;
	int r = lanyard_expand(in, fam, tmpl, &got);

	CHECK_MSG(r == 0, "lanyard_expand(\"%s\") = %d", tmpl, r);
	CHECK_STR_EQ(got, want);
	free(got);
}

static void test_expand(void)
{
	static const char *const addrs[] = {"fe80::1%2", "169.254.3.4", "2001:db8::1", "192.0.2.5"};
	static const char *const v6ll[] = {"fe80::7%3", "fe80::8"};
	struct lanyard_instance in = {.instance = "web@h1 (2)",
	                              .service = "web",
	                              .type = "_web._tcp",
	                              .host = "h1.local",
	                              .addresses = addrs,
	                              .n_addresses = 4,
	                              .port = 8080};
	char *got = (char *)"untouched";

	/* The address the agent would hand out: IPv4 first, global first. */
	check_expand(&in, LANYARD_FAMILY_ANY, "{address}", "192.0.2.5");
	check_expand(&in, LANYARD_FAMILY_IPV4, "{address}", "192.0.2.5");
	check_expand(&in, LANYARD_FAMILY_IPV6, "{address}", "2001:db8::1");
	in.n_addresses = 2;
	check_expand(&in, LANYARD_FAMILY_ANY, "{address}", "169.254.3.4");
	in.n_addresses = 1;
	/* A link-local address keeps its zone. */
	check_expand(&in, LANYARD_FAMILY_ANY, "{address}", "fe80::1%2");
	check_expand(&in, LANYARD_FAMILY_IPV6, "x[{address}]:{port}", "x[fe80::1%2]:8080");
	CHECK_INT_EQ(lanyard_expand(&in, LANYARD_FAMILY_IPV4, "{address}", &got),
	             LANYARD_E_NOT_FOUND);
	CHECK(got == NULL);
	in.addresses = v6ll;
	in.n_addresses = 2;
	check_expand(&in, LANYARD_FAMILY_ANY, "{address}", "fe80::7%3");
	in.addresses = addrs;
	in.n_addresses = 4;

	check_expand(&in, LANYARD_FAMILY_ANY, "{address}:{port}", "192.0.2.5:8080");
	check_expand(&in, LANYARD_FAMILY_ANY, "{host} {instance} {service}",
	             "h1.local web@h1 (2) web");
	check_expand(&in, LANYARD_FAMILY_ANY, "--url=http://{host}:{port}/x?a={port}",
	             "--url=http://h1.local:8080/x?a=8080");
	/* Only the five names are placeholders; there is no escape. */
	check_expand(&in, LANYARD_FAMILY_ANY, "{foo} {Port} {}{ port}", "{foo} {Port} {}{ port}");
	check_expand(&in, LANYARD_FAMILY_ANY, "{{port}}", "{8080}");
	check_expand(&in, LANYARD_FAMILY_ANY, "{{{port}", "{{8080");
	check_expand(&in, LANYARD_FAMILY_ANY, "{port", "{port");
	check_expand(&in, LANYARD_FAMILY_ANY, "port}", "port}");
	check_expand(&in, LANYARD_FAMILY_ANY, "{", "{");
	check_expand(&in, LANYARD_FAMILY_ANY, "", "");
	check_expand(&in, LANYARD_FAMILY_ANY, "{\"port\":{port},\"a\":{\"b\":1}}",
	             "{\"port\":8080,\"a\":{\"b\":1}}");
	check_expand(&in, LANYARD_FAMILY_ANY, "{{.State}}", "{{.State}}");
	/* Values are not expanded again. */
	in.instance = "{port}";
	check_expand(&in, LANYARD_FAMILY_ANY, "{instance}", "{port}");

	in.service = NULL;
	check_expand(&in, LANYARD_FAMILY_ANY, "{service}", "_web._tcp");
	in.host = NULL;
	got = (char *)"untouched";
	CHECK_INT_EQ(lanyard_expand(&in, LANYARD_FAMILY_ANY, "{hostname} {host}", &got),
	             LANYARD_E_NOT_FOUND);
	CHECK(got == NULL);
	check_expand(&in, LANYARD_FAMILY_ANY, "{hostname}", "{hostname}");
	in.n_addresses = 0;
	CHECK_INT_EQ(lanyard_expand(&in, LANYARD_FAMILY_ANY, "{address}", &got),
	             LANYARD_E_NOT_FOUND);
	CHECK_INT_EQ(lanyard_expand(NULL, LANYARD_FAMILY_ANY, "x", &got), LANYARD_E_INVAL);
	CHECK_INT_EQ(lanyard_expand(&in, LANYARD_FAMILY_ANY, NULL, &got), LANYARD_E_INVAL);
	CHECK_INT_EQ(lanyard_expand(&in, LANYARD_FAMILY_ANY, "x", NULL), LANYARD_E_INVAL);
}

static void test_resolve_except(void)
{
	struct lanyard_filter f = {.service = "sticky"};
	const char *except[] = {"sticky@a", "sticky@b"};
	struct lanyard_instance *in = NULL;
	struct lanyard *h;

	if (!CHECK(lanyard_open(sock, &h) == 0))
		return;
	/* The agent always answers sticky@a: the list has another. */
	CHECK(lanyard_resolve_except(h, &f, NULL, NULL, 0, except, 1, &in) == 0 && in &&
	      strcmp(in->instance, "sticky@b") == 0 && in->port == 2);
	lanyard_instance_free(in);
	CHECK(lanyard_resolve_except(h, &f, NULL, NULL, 0, NULL, 0, &in) == 0 && in &&
	      strcmp(in->instance, "sticky@a") == 0);
	lanyard_instance_free(in);
	/* Every match excepted: the agent's pick anyway. */
	CHECK(lanyard_resolve_except(h, &f, NULL, NULL, 0, except, 2, &in) == 0 && in &&
	      strcmp(in->instance, "sticky@a") == 0);
	lanyard_instance_free(in);
	/* flaky alternates between payments@hostb and payments@hosta. */
	f.service = "flaky";
	for (int i = 0; i < 4; i++) {
		const char *dead[] = {"payments@hostb"};

		CHECK(lanyard_resolve_except(h, &f, NULL, NULL, 0, dead, 1, &in) == 0 && in &&
		      strcmp(in->instance, "payments@hosta") == 0);
		lanyard_instance_free(in);
	}
	f.service = "missing";
	in = (struct lanyard_instance *)&f;
	CHECK_INT_EQ(lanyard_resolve_except(h, &f, NULL, NULL, 0, except, 1, &in),
	             LANYARD_E_NOT_FOUND);
	CHECK(in == NULL);
	CHECK(strstr(lanyard_last_error(h), "no instance of \"missing\""));
	CHECK_INT_EQ(lanyard_resolve_except(h, &f, NULL, NULL, 0, NULL, 1, &in), LANYARD_E_INVAL);
	CHECK_INT_EQ(lanyard_resolve_except(NULL, &f, NULL, NULL, 0, NULL, 0, &in),
	             LANYARD_E_INVAL);
	lanyard_close(h);
}

/* ---- lanyard exec ------------------------------------------------------- */

static void test_exec(uint16_t port)
{
	struct result r;
	char want[256], *rep;
	size_t before;

	snprintf(want, sizeof(want), "127.0.0.1|%u|hosta.local|payments@hosta|payments", port);
	before = n_reports();
	run(&r,
	    "%s exec payments -- printf '%%s|%%s|%%s|%%s|%%s' {address} {port} {host} "
	    "{instance} {service}",
	    cli);
	CHECK(r.status == 0);
	CHECK_STR_EQ(r.out, want);
	CHECK_STR_EQ(r.err, "");
	rep = reports_since(before);
	CHECK_STR_EQ(rep, "payments@hosta ok\n");
	free(rep);

	/* The environment; a LANYARD_PORT inherited is replaced. */
	run(&r,
	    "LANYARD_PORT=9 LANYARD_X=kept %s exec payments --tag eu -- sh -c 'printf "
	    "\"%%s|%%s|%%s|%%s|%%s|%%s\" \"$LANYARD_ADDRESS\" \"$LANYARD_PORT\" \"$LANYARD_HOST\" "
	    "\"$LANYARD_INSTANCE\" \"$LANYARD_SERVICE\" \"$LANYARD_X\"'",
	    cli);
	CHECK(r.status == 0);
	CHECK_STR_EQ(r.out, strcat(want, "|kept"));

	/* Unknown placeholders and doubled braces are left alone; options
	 * after -- belong to the command. */
	run(&r,
	    "%s exec payments -- printf '%%s %%s %%s %%s' '{{port}}' '{foo}' '{port' "
	    "--policy=x{port}y",
	    cli);
	snprintf(want, sizeof(want), "{%u} {foo} {port --policy=x%uy", port, port);
	CHECK(r.status == 0);
	CHECK_STR_EQ(r.out, want);

	/* The command's status, reported as a failure. */
	before = n_reports();
	run(&r, "%s exec payments -- sh -c 'exit 7'", cli);
	CHECK_INT_EQ(r.status, 7);
	CHECK_STR_EQ(r.err, ""); /* no retries: nothing to say */
	rep = reports_since(before);
	CHECK_STR_EQ(rep, "payments@hosta fail\n");
	free(rep);
	run(&r, "%s exec payments -- sh -c 'kill -USR1 $$'", cli);
	CHECK_INT_EQ(r.status, 128 + 10);

	/* A command that cannot run is not the endpoint's fault. (Under
	 * valgrind, posix_spawn cannot tell: the child exits 127.) */
	before = n_reports();
	run(&r, "%s exec payments -- /nonexistent/program {port}", cli);
	CHECK_INT_EQ(r.status, 127);
	if (!getenv("CLI_WRAPPER")) {
		CHECK(strstr(r.err, "cannot run '/nonexistent/program'"));
		run(&r, "%s exec payments -- /dev/null", cli);
		CHECK_INT_EQ(r.status, 126);
		CHECK_INT_EQ(n_reports(), before);
	}

	/* lanyard gets SIGTERM: passed on, nothing reported, no retry. */
	before = n_reports();
	run(&r, "%s exec sticky --retries 3 -- sh -c 'kill -TERM $PPID; exec sleep 10'", cli);
	CHECK_INT_EQ(r.status, 128 + 15);
	CHECK_INT_EQ(n_reports(), before);

	/* Nothing to run against; usage errors. */
	run(&r, "%s exec missing -- true", cli);
	CHECK(r.status == 3 && strstr(r.err, "no instance of \"missing\""));
	run(&r, "%s exec payments true", cli);
	CHECK(r.status == 2 && strstr(r.err, "'--' must come before the COMMAND"));
	run(&r, "%s exec payments --", cli);
	CHECK(r.status == 2 && strstr(r.err, "no COMMAND after '--'"));
	run(&r, "%s exec -- true", cli);
	CHECK(r.status == 2 && strstr(r.err, "usage: lanyard exec SERVICE"));
	run(&r, "%s exec a b -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s exec payments --retries x -- true", cli);
	CHECK(r.status == 2 && strstr(r.err, "invalid --retries 'x'"));
	run(&r, "%s exec payments --retries -1 -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s exec payments --retries 101 -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s exec payments --retries 1.5 -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s exec payments --parallel 2 -- true", cli);
	CHECK(r.status == 2 && strstr(r.err, "option '--parallel' not valid for exec"));
	run(&r, "%s exec payments --merge json -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s --json exec payments -- true", cli);
	CHECK(r.status == 2 && strstr(r.err, "--json is not valid for exec"));
}

static void test_exec_retries(void)
{
	struct result r;
	char *rep;
	size_t before = n_reports();

	/* sticky@a fails; the next pick is another instance although the
	 * agent keeps answering sticky@a. */
	run(&r, "%s exec sticky --retries 1 -- sh -c 'test \"$LANYARD_PORT\" = 2'", cli);
	CHECK_INT_EQ(r.status, 0);
	CHECK(strstr(r.err, "lanyard: exec: sticky@a (127.0.0.1:1): exit status 1; trying "
	                    "another pick (1 of 1)"));
	rep = reports_since(before);
	CHECK_STR_EQ(rep, "sticky@a fail\nsticky@b ok\n");
	free(rep);

	/* Every try fails: each is reported, the last status is lanyard's. */
	before = n_reports();
	run(&r, "%s exec sticky --retries 2 -- sh -c 'exit 4'", cli);
	CHECK_INT_EQ(r.status, 4);
	rep = reports_since(before);
	CHECK_STR_EQ(rep, "sticky@a fail\nsticky@a fail\nsticky@b fail\n");
	free(rep);
	CHECK(strstr(r.err, "(2 of 2)") && !strstr(r.err, "(3 of"));

	/* Without --retries, one try. */
	before = n_reports();
	run(&r, "%s exec sticky -- false", cli);
	CHECK_INT_EQ(r.status, 1);
	CHECK_INT_EQ(n_reports(), before + 1);

	/* The example program does the same with the library. */
	before = n_reports();
	run(&r, "LANYARD_SOCKET=%s %s sticky sh -c 'test {port} = 2 && echo {instance}'", sock,
	    example);
	CHECK_INT_EQ(r.status, 0);
	CHECK_STR_EQ(r.out, "sticky@b\n");
	rep = reports_since(before);
	CHECK_STR_EQ(rep, "sticky@a fail\nsticky@b ok\n");
	free(rep);
	run(&r, "LANYARD_SOCKET=%s %s missing true", sock, example);
	CHECK_INT_EQ(r.status, 3);
	run(&r, "%s", example);
	CHECK_INT_EQ(r.status, 2);
}

/* ---- lanyard fanout -------------------------------------------------------- */

static void test_fanout(void)
{
	static const char head[] = "fan@a: {\"port\":1001,\"i\":\"fan@a\"}\n"
	                           "fan@b: {\"port\":1002,\"i\":\"fan@b\"}\n"
	                           "fan@c: {\"port\":1003,\"i\":\"fan@c\"}\n"
	                           "INSTANCE  ADDRESS           RESULT  TIME\n"
	                           "fan@a     127.0.0.1:1001    ok      ";
	struct result r;
	char *rep;
	size_t before = n_reports();

	/* Outputs prefixed by instance (in name order), then the summary. */
	run(&r,
	    "%s fanout fan --parallel 1 -- printf '{\"port\":%%s,\"i\":\"%%s\"}' {port} "
	    "{instance}",
	    cli);
	CHECK_INT_EQ(r.status, 0);
	CHECK_MSG(strncmp(r.out, head, strlen(head)) == 0, "got:\n%s", r.out);
	CHECK(strstr(r.out, "\nfan@b     [fe80::1%2]:1002  ok      "));
	CHECK(strstr(r.out, "\nfan@c     127.0.0.1:1003    ok      "));
	CHECK_STR_EQ(r.err, "");
	rep = reports_since(before);
	CHECK_STR_EQ(rep, "fan@a ok\nfan@b ok\nfan@c ok\n");
	free(rep);

	/* --merge json: one object on stdout, the summary on stderr. */
	run(&r,
	    "%s fanout fan --merge json -- printf '{\"port\":%%s,\"i\":\"%%s\"}' {port} "
	    "{instance}",
	    cli);
	CHECK_INT_EQ(r.status, 0);
	CHECK_STR_EQ(r.out, "{\"port\":[1001,1002,1003],\"i\":[\"fan@a\",\"fan@b\",\"fan@c\"],"
	                    "\"_endpoints\":{\"answered\":["
	                    "{\"instance\":\"fan@a\",\"address\":\"127.0.0.1\",\"port\":1001},"
	                    "{\"instance\":\"fan@b\",\"address\":\"fe80::1%2\",\"port\":1002},"
	                    "{\"instance\":\"fan@c\",\"address\":\"127.0.0.1\",\"port\":1003}],"
	                    "\"failed\":[]}}\n");
	CHECK(strncmp(r.err, "INSTANCE  ADDRESS", 17) == 0);

	/* Keys missing here and there, nested values, a failure, output that
	 * is no object. */
	before = n_reports();
	run(&r,
	    "%s fanout fan --merge json -- sh -c 'case $LANYARD_PORT in "
	    "1001) echo \"{\\\"x\\\":1,\\\"n\\\":{\\\"deep\\\":[1,2]}}\";; "
	    "1002) echo \"[1]\";; 1003) echo \"{\\\"x\\\":3}\"; exit 0;; esac'",
	    cli);
	CHECK_INT_EQ(r.status, 1);
	CHECK_STR_EQ(r.out, "{\"x\":[1,3],\"n\":[{\"deep\":[1,2]}],"
	                    "\"_endpoints\":{\"answered\":["
	                    "{\"instance\":\"fan@a\",\"address\":\"127.0.0.1\",\"port\":1001},"
	                    "{\"instance\":\"fan@c\",\"address\":\"127.0.0.1\",\"port\":1003}],"
	                    "\"failed\":["
	                    "{\"instance\":\"fan@b\",\"address\":\"fe80::1%2\",\"port\":1002,"
	                    "\"why\":\"output is an array, not a JSON object\"}]}}\n");
	CHECK(strstr(r.err, "fan@b     [fe80::1%2]:1002  output is an array, not a JSON object  "));
	rep = reports_since(before);
	CHECK_STR_EQ(rep, "fan@a ok\nfan@b fail\nfan@c ok\n");
	free(rep);

	/* A failed command; its status in the summary and in _endpoints. */
	run(&r, "%s fanout fan --merge json -- sh -c 'echo {}; test $LANYARD_PORT != 1003'", cli);
	CHECK_INT_EQ(r.status, 1);
	CHECK(strstr(r.out, "\"failed\":[{\"instance\":\"fan@c\",\"address\":\"127.0.0.1\","
	                    "\"port\":1003,\"why\":\"exit status 1\"}]"));
	CHECK(strstr(r.err, "\nfan@c     127.0.0.1:1003    exit status 1  "));
	run(&r, "%s fanout fan -- sh -c 'test $LANYARD_PORT != 1002'", cli);
	CHECK_INT_EQ(r.status, 1);
	CHECK(strstr(r.out, "\nfan@b     [fe80::1%2]:1002  exit status 1  "));

	/* Output past 1 MiB fails the merge. */
	run(&r, "%s fanout fan --merge json --instance fan@a -- head -c 1048577 /dev/zero", cli);
	CHECK_INT_EQ(r.status, 1);
	CHECK(strstr(r.out, "\"why\":\"output over 1048576 bytes\""));

	/* A value a command needs and an endpoint lacks: that endpoint is
	 * not run (fan@c has no host, fan@b no IPv4 address). */
	before = n_reports();
	run(&r, "%s fanout fan -- echo {host}", cli);
	CHECK_INT_EQ(r.status, 1);
	CHECK(strstr(r.out, "fan@a: a.local\nfan@b: b.local\n") ||
	      strstr(r.out, "fan@b: b.local\nfan@a: a.local\n"));
	CHECK(strstr(r.out, "\nfan@c     127.0.0.1:1003    not run: no value for a placeholder "
	                    "(no such address or no host name)  -\n"));
	run(&r, "%s fanout fan --family ipv4 -- echo {address}", cli);
	CHECK_INT_EQ(r.status, 1);
	CHECK(strstr(r.out, "\nfan@b     -:1002          not run: "));
	rep = reports_since(before);
	CHECK_STR_EQ(rep, "fan@a ok\nfan@a ok\nfan@b ok\nfan@c ok\n");
	free(rep);
	run(&r, "%s fanout fan --family ipv6 -- echo {address}", cli);
	CHECK(strstr(r.out, "fan@a: ::1\n") && strstr(r.out, "fan@b: fe80::1%2\n"));

	/* A program that cannot run: said once, nothing reported. */
	before = n_reports();
	run(&r, "%s fanout fan --parallel 1 -- /nonexistent/program", cli);
	CHECK_INT_EQ(r.status, 1);
	if (getenv("CLI_WRAPPER"))
		return; /* (see test_exec) */
	CHECK(strstr(r.err, "cannot run '/nonexistent/program': No such file or directory\n"));
	CHECK(strstr(r.out, "not run: No such file or directory"));
	CHECK(strstr(r.out, "not run: cannot run"));
	CHECK_INT_EQ(n_reports(), before);
}

/* Names from the LAN reach the terminal escaped, and JSON encoded. */
static void test_fanout_hostile(void)
{
	struct result r;

	run(&r, "%s fanout fanhostile -- echo hi", cli);
	CHECK_INT_EQ(r.status, 0);
	CHECK(strstr(r.out, "evil\\x1b[2J\\x0aforged: hi\n"));
	CHECK(strstr(r.out, "\nevil\\x1b[2J\\x0aforged  127.0.0.1:1004  ok  "));
	CHECK(!strchr(r.out, '\x1b'));
	/* (A name pasted into JSON text would not be JSON: no placeholder here.) */
	run(&r, "%s fanout fanhostile --merge json -- echo '{\"a\":1}'", cli);
	CHECK_INT_EQ(r.status, 0);
	CHECK(strstr(r.out, "{\"a\":[1],"));
	CHECK(strstr(r.out, "\"instance\":\"evil\\u001B[2J\\nforged\""));
	CHECK(!strchr(r.out, '\x1b') && !strchr(r.err, '\x1b'));
	CHECK(strstr(r.err, "\nevil\\x1b[2J\\x0aforged  "));
}

/* Commands run side by side, at most --parallel at once, each within --timeout. */
static void test_fanout_processes(void)
{
	struct result r;
	char file[128], buf[256] = "";
	FILE *f;
	int pid = 0;

	/* --parallel 1: one after the other. */
	snprintf(file, sizeof(file), "%s/order", dir);
	run(&r,
	    "%s fanout fan --parallel 1 -- sh -c 'echo start >> %s; sleep 0.05; echo end >> %s'",
	    cli, file, file);
	CHECK_INT_EQ(r.status, 0);
	f = fopen(file, "r");
	CHECK(f && fread(buf, 1, sizeof(buf) - 1, f) > 0);
	if (f)
		fclose(f);
	CHECK_STR_EQ(buf, "start\nend\nstart\nend\nstart\nend\n");

	/* --parallel 3: each waits (up to 10 s) until all three have started. */
	run(&r,
	    "%s fanout fan --parallel 3 -- sh -c 'touch %s/b.$LANYARD_PORT; i=0; "
	    "while [ $(ls %s | grep -c ^b) -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); "
	    "done; "
	    "[ $(ls %s | grep -c ^b) -ge 3 ]'",
	    cli, dir, dir, dir);
	CHECK_INT_EQ(r.status, 0);

	/* --timeout: fan@c's command and the child it left in the background
	 * are killed with their process group. */
	snprintf(file, sizeof(file), "%s/bg", dir);
	run(&r,
	    "%s fanout fan --timeout 500ms -- sh -c 'if [ $LANYARD_PORT = 1003 ]; then sleep 60 & "
	    "echo $! > %s; sleep 60; fi; echo done'",
	    cli, file);
	CHECK_INT_EQ(r.status, 1);
	CHECK(strstr(r.out, "fan@a: done\n") && strstr(r.out, "fan@b: done\n"));
	CHECK(strstr(r.out, "\nfan@c     127.0.0.1:1003    timed out  "));
	f = fopen(file, "r");
	CHECK(f && fscanf(f, "%d", &pid) == 1 && pid > 0);
	if (f)
		fclose(f);
	if (pid > 0) {
		char path[64], stat[256] = "";
		bool gone = false;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		/* Killed at once; its reaping (by init) may take a moment. */
		for (int i = 0; i < 100 && !gone; i++) {
			FILE *s = fopen(path, "r");
			size_t n = s ? fread(stat, 1, sizeof(stat) - 1, s) : 0;

			stat[n] = '\0';
			if (s)
				fclose(s);
			gone = !s || strstr(stat, ") Z ") || strstr(stat, ") X ");
			if (!gone)
				usleep(20000);
		}
		CHECK_MSG(gone, "background child %d of a timed-out command still runs", pid);
		if (!gone)
			kill(pid, SIGKILL);
	}
	/* lanyard gets SIGTERM: its commands too; nothing reported, nothing
	 * more started. */
	{
		size_t before = n_reports();

		run(&r, "%s fanout fan --parallel 1 -- sh -c 'kill -TERM $PPID; exec sleep 10'",
		    cli);
		CHECK_INT_EQ(r.status, 128 + 15);
		CHECK(strstr(r.out, "\nfan@a     127.0.0.1:1001    interrupted           "));
		CHECK(strstr(r.out, "\nfan@b     [fe80::1%2]:1002  not run: interrupted  -\n"));
		CHECK_INT_EQ(n_reports(), before);
	}
	/* --timeout 0 is no limit; a global --timeout stays the agent's. */
	run(&r, "%s --timeout 3000 fanout fan --timeout 0 -- true", cli);
	CHECK_INT_EQ(r.status, 0);
}

static void test_fanout_args(void)
{
	struct result r;

	run(&r, "%s fanout none -- true", cli);
	CHECK(r.status == 3 && strstr(r.err, "no matching instance"));
	run(&r, "%s fanout fan --parallel 0 -- true", cli);
	CHECK(r.status == 2 && strstr(r.err, "invalid --parallel '0'"));
	run(&r, "%s fanout fan --parallel 257 -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s fanout fan --merge xml -- true", cli);
	CHECK(r.status == 2 && strstr(r.err, "--merge wants json"));
	run(&r, "%s fanout fan --timeout 5x -- true", cli);
	CHECK(r.status == 2 && strstr(r.err, "invalid --timeout '5x'"));
	run(&r, "%s fanout fan --timeout -1s -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s fanout fan --retries 1 -- true", cli);
	CHECK(r.status == 2 && strstr(r.err, "option '--retries' not valid for fanout"));
	run(&r, "%s fanout fan --policy p2c -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s fanout -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s fanout fan true", cli);
	CHECK(r.status == 2);
	run(&r, "%s --json fanout fan -- true", cli);
	CHECK(r.status == 2);
	run(&r, "%s --help", cli);
	CHECK(r.status == 0 && strstr(r.out, "  exec SERVICE [FILTERS]") &&
	      strstr(r.out,
	             "  fanout SERVICE [FILTERS] [--parallel N] [--timeout D] [--merge json]"));
}

int main(void)
{
	const char *top = getenv("top_builddir");
	char bin[512];
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/client/lanyard", top ? top : ".");
	snprintf(example, sizeof(example), "%s/tests/example-exec-pick", top ? top : ".");
	if (access(bin, X_OK) < 0 || access(example, X_OK) < 0) {
		fprintf(stderr, "%s or %s not built\n", bin, example);
		return 77;
	}
	snprintf(dir, sizeof(dir), "/tmp/test-exec.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/lanyard.sock", dir);
	/* CLI_WRAPPER (e.g. tests/valgrind-wrap) runs the command under it. */
	snprintf(cli, sizeof(cli), "%s%s%s --socket %s",
	         getenv("CLI_WRAPPER") ? getenv("CLI_WRAPPER") : "",
	         getenv("CLI_WRAPPER") ? " " : "", bin, sock);
	/* resolve "payments" answers this port; nothing listens on it. */
	pid = fake_start(sock, 40998);

	test_expand();
	test_resolve_except();
	test_exec(40998);
	test_exec_retries();
	test_fanout();
	test_fanout_hostile();
	test_fanout_processes();
	test_fanout_args();

	CHECK(server_child_stop(pid) == 0);
	run(&scratch, "rm -rf %s", dir);
	return test_summary();
}
