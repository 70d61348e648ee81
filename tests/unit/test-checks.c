/* SPDX-License-Identifier: MIT */
/* Unit tests of the checks engine (agent/checks.c) on a real loop: each service's health from its
 * checks, ttl reports and expiry, what a reload keeps and what it resets, status, cancelling. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/checks.h"
#include "config/config.h"
#include "tests/unit/tap.h"

#define DEADLINE_S 20.0
#define MAX_EVENTS 256

static struct ev_loop *loop;

/* What the engine told the agent, in order. */
static struct {
	struct {
		char service[64];
		enum txt_health health;
		char why[256]; /* "" for NULL */
	} v[MAX_EVENTS];
	int n;
	int syncs;
} ev_log;

static void on_health(void *userdata, const char *service, enum txt_health health, const char *why)
{
	if (ev_log.n >= MAX_EVENTS)
		return;
	snprintf(ev_log.v[ev_log.n].service, sizeof(ev_log.v[0].service), "%s", service);
	ev_log.v[ev_log.n].health = health;
	snprintf(ev_log.v[ev_log.n].why, sizeof(ev_log.v[0].why), "%s", why ? why : "");
	ev_log.n++;
}

static void on_sync(void *userdata)
{
	ev_log.syncs++;
}

static const struct checks_callbacks callbacks = {.health = on_health, .sync = on_sync};

static void log_reset(void)
{
	ev_log.n = 0;
	ev_log.syncs = 0;
}

/* Check that event I is SERVICE going HEALTH with WHY ("" for none; NULL:
 * not checked). */
static void expect_event(int i, const char *service, enum txt_health health, const char *why)
{
	if (!CHECK_MSG(i < ev_log.n, "no event %d (%d events)", i, ev_log.n))
		return;
	CHECK_STR_EQ(ev_log.v[i].service, service);
	CHECK_STR_EQ(txt_health_name(ev_log.v[i].health), txt_health_name(health));
	if (why)
		CHECK_STR_EQ(ev_log.v[i].why, why);
}

static void on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
}

/* Run the loop until event N exists or MAX_S seconds have passed. */
static bool run_until_events(int n, double max_s)
{
	ev_timer tick;
	double end = ev_time() + max_s;

	ev_timer_init(&tick, on_tick, 0.02, 0.02);
	ev_timer_start(loop, &tick);
	while (ev_log.n < n && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
	return ev_log.n >= n;
}

/* Run the loop for about S seconds. */
static void run_for(double s)
{
	ev_timer tick;
	double end = ev_time() + s;

	ev_timer_init(&tick, on_tick, 0.02, 0.02);
	ev_timer_start(loop, &tick);
	while (ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
}

/* A configuration from TEXT (printf format), which must be valid. */
static struct lanyard_config *config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct lanyard_config *config(const char *fmt, ...)
{
	struct lanyard_config *cfg = NULL;
	struct cfg_diags d = {0};
	char text[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cfg_load_buffer("mem.yaml", text, strlen(text), &cfg, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "config: %s\n", d.items[i].text);
	if (!cfg) {
		fprintf(stderr, "invalid test configuration:\n%s\n", text);
		exit(1);
	}
	cfg_diags_clear(&d);
	return cfg;
}

/* Apply a configuration made from FMT; returns checks_apply()'s result. */
static int apply(struct checks *cs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int apply(struct checks *cs, const char *fmt, ...)
{
	struct lanyard_config *cfg;
	char text[4096];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	cfg = config("%s", text);
	r = checks_apply(cs, cfg);
	cfg_free(cfg);
	return r;
}

/* Check I of SERVICE's status array, or NULL (its array is freed with
 * the next call). */
static json_t *status_of(struct checks *cs, const char *service, size_t i)
{
	static json_t *last;

	json_decref(last);
	last = cs ? checks_status(cs, service) : NULL;
	return last ? json_array_get(last, i) : NULL;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* --- listeners -------------------------------------------------------------- */

static int listener(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(*port)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		perror("listener");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* Accept and close whatever connects, so the backlog never fills. */
static void on_accept(struct ev_loop *l, ev_io *w, int revents)
{
	int c = accept(w->fd, NULL, NULL);

	if (c >= 0)
		close(c);
}

struct acceptor {
	int fd;
	ev_io io;
};

static void acceptor_start(struct acceptor *a, uint16_t *port)
{
	a->fd = listener(port);
	ev_io_init(&a->io, on_accept, a->fd, EV_READ);
	ev_io_start(loop, &a->io);
}

static void acceptor_stop(struct acceptor *a)
{
	ev_io_stop(loop, &a->io);
	close(a->fd);
	a->fd = -1;
}

/* --- tests ----------------------------------------------------------------- */

/* A ttl check: fed by reports, critical when they stop. */
static void test_ttl(void)
{
	struct checks *cs = checks_new(loop, &callbacks, NULL);
	json_t *o;

	if (!CHECK(cs))
		return;
	log_reset();
	CHECK_INT_EQ(apply(cs, "services:\n"
	                       "  - {name: pay, port: 1, checks: [{ttl: 1s}]}\n"
	                       "  - {name: plain, port: 2}\n"),
	             0);
	/* a new service with checks starts critical; the caller publishes */
	CHECK_INT_EQ(ev_log.n, 1);
	expect_event(0, "pay", TXT_HEALTH_CRITICAL, "check ttl 1s is critical: no report yet");
	CHECK_INT_EQ(ev_log.syncs, 0);

	/* a pass: passing at once (ttl checks rise and fall after 1 by
	 * default), published through sync() */
	log_reset();
	CHECK_INT_EQ(checks_report(cs, "pay", CHECK_PASS, "all good", 8), 0);
	CHECK_INT_EQ(ev_log.n, 1);
	expect_event(0, "pay", TXT_HEALTH_PASSING, "");
	CHECK_INT_EQ(ev_log.syncs, 1);
	o = status_of(cs, "pay", 0);
	CHECK_STR_EQ(jstr(o, "kind"), "ttl");
	CHECK_STR_EQ(jstr(o, "target"), "1s");
	CHECK_STR_EQ(jstr(o, "state"), "passing");
	CHECK_STR_EQ(jstr(o, "last_result"), "pass");
	CHECK_STR_EQ(jstr(o, "output"), "all good");
	CHECK_INT_EQ(jint(o, "passes"), 1);
	CHECK_INT_EQ(jint(o, "failures"), 0);
	CHECK_INT_EQ(jint(o, "ttl_ms"), 1000);
	CHECK_INT_EQ(jint(o, "rise"), 1);
	CHECK_INT_EQ(jint(o, "fall"), 1);
	CHECK(json_real_value(json_object_get(o, "expires_in")) > 0);
	CHECK(json_real_value(json_object_get(o, "expires_in")) <= 1.0);
	CHECK(json_is_number(json_object_get(o, "since")));
	CHECK(json_is_number(json_object_get(o, "last_run")));
	CHECK(json_object_get(o, "interval_ms") == NULL);

	/* the same again: nothing new to tell */
	log_reset();
	CHECK_INT_EQ(checks_report(cs, "PAY", CHECK_PASS, "", 0), 0);
	CHECK_INT_EQ(ev_log.n, 0);
	CHECK_INT_EQ(ev_log.syncs, 0);
	CHECK_INT_EQ(jint(status_of(cs, "pay", 0), "passes"), 2);

	/* warn, then fail, with their output in why */
	CHECK_INT_EQ(checks_report(cs, "pay", CHECK_WARN, "slow\nsecond line", 16), 0);
	expect_event(0, "pay", TXT_HEALTH_WARNING, "check ttl 1s is warning: slow");
	CHECK_STR_EQ(jstr(status_of(cs, "pay", 0), "output"), "slow\nsecond line");
	CHECK_INT_EQ(checks_report(cs, "pay", CHECK_FAIL, "down", 4), 0);
	expect_event(1, "pay", TXT_HEALTH_CRITICAL, "check ttl 1s is critical: down");
	CHECK_INT_EQ(ev_log.syncs, 2);

	/* no ttl check: not found */
	CHECK_INT_EQ(checks_report(cs, "plain", CHECK_PASS, "", 0), -ENOENT);
	CHECK_INT_EQ(checks_report(cs, "nope", CHECK_PASS, "", 0), -ENOENT);
	CHECK(status_of(cs, "plain", 0) == NULL);

	/* reports stop: critical once the ttl runs out */
	log_reset();
	CHECK_INT_EQ(checks_report(cs, "pay", CHECK_PASS, "", 0), 0);
	expect_event(0, "pay", TXT_HEALTH_PASSING, "");
	CHECK(run_until_events(2, DEADLINE_S));
	expect_event(1, "pay", TXT_HEALTH_CRITICAL,
	             "check ttl 1s is critical: no report within 1s");
	CHECK_INT_EQ(ev_log.syncs, 2);
	/* and passing again with the next report */
	CHECK_INT_EQ(checks_report(cs, "pay", CHECK_PASS, "", 0), 0);
	expect_event(2, "pay", TXT_HEALTH_PASSING, "");

	/* Output: at most the wire's 4096 bytes arrive; invalid UTF-8 and NUL
	 * become '?'. */
	CHECK_INT_EQ(checks_report(cs, "pay", CHECK_PASS, "a\0b\xff", 4), 0);
	CHECK_STR_EQ(jstr(status_of(cs, "pay", 0), "output"), "a?b?");

	status_of(NULL, NULL, 0);
	checks_free(cs);
	checks_free(NULL);
}

/* A tcp check on the loop: rise, fall, and what a reload keeps. */
static void test_tcp_and_reload(void)
{
	static const char base[] = "services:\n"
	                           "  - name: web\n"
	                           "    port: 80\n"
	                           "    checks:\n"
	                           "      - tcp: 127.0.0.1:%u\n"
	                           "        interval: 100ms\n"
	                           "        timeout: 100ms\n";
	struct checks *cs = checks_new(loop, &callbacks, NULL);
	struct acceptor acc;
	uint16_t port = 0, dead_port = 0;
	double since;
	json_t *o;
	int fd;

	if (!CHECK(cs))
		return;
	/* a port with nothing listening */
	fd = listener(&dead_port);
	close(fd);
	acceptor_start(&acc, &port);
	log_reset();
	CHECK_INT_EQ(apply(cs, base, port), 0);
	expect_event(0, "web", TXT_HEALTH_CRITICAL, NULL);
	CHECK(strstr(ev_log.v[0].why, "no result yet") != NULL);
	/* announced after rise (2) passes */
	CHECK(run_until_events(3, DEADLINE_S));
	CHECK_MSG(strstr(ev_log.v[1].why, "passed 1 of the 2 times needed") != NULL, "why: %s",
	          ev_log.v[1].why);
	expect_event(1, "web", TXT_HEALTH_CRITICAL, NULL);
	expect_event(2, "web", TXT_HEALTH_PASSING, "");
	o = status_of(cs, "web", 0);
	CHECK_STR_EQ(jstr(o, "kind"), "tcp");
	CHECK_STR_EQ(jstr(o, "state"), "passing");
	CHECK_STR_EQ(jstr(o, "output"), "connected");
	CHECK_INT_EQ(jint(o, "interval_ms"), 100);
	CHECK_INT_EQ(jint(o, "timeout_ms"), 100);
	CHECK(json_real_value(json_object_get(o, "duration_ms")) >= 0);
	/* a service whose checks have no ttl: reports are not found */
	CHECK_INT_EQ(checks_report(cs, "web", CHECK_PASS, "", 0), -ENOENT);
	since = json_real_value(json_object_get(o, "since"));

	/* A reload with the same checks: no news, state and since kept. */
	log_reset();
	CHECK_INT_EQ(apply(cs, base, port), 0);
	CHECK_INT_EQ(ev_log.n, 0);
	o = status_of(cs, "web", 0);
	CHECK_STR_EQ(jstr(o, "state"), "passing");
	CHECK(json_real_value(json_object_get(o, "since")) == since);
	CHECK(jint(o, "passes") >= 2);

	/* Other timing, rise and fall (and another service besides): the
	 * check is the same, its state is kept. */
	CHECK_INT_EQ(apply(cs,
	                   "services:\n"
	                   "  - {name: other, port: 81}\n"
	                   "  - name: web\n"
	                   "    port: 8080\n"
	                   "    checks:\n"
	                   "      - tcp: 127.0.0.1:%u\n"
	                   "        interval: 200ms\n"
	                   "        timeout: 150ms\n"
	                   "        rise: 5\n"
	                   "        fall: 3\n",
	                   port),
	             0);
	CHECK_INT_EQ(ev_log.n, 0);
	o = status_of(cs, "web", 0);
	CHECK_STR_EQ(jstr(o, "state"), "passing");
	CHECK_INT_EQ(jint(o, "interval_ms"), 200);
	CHECK_INT_EQ(jint(o, "rise"), 5);
	CHECK_INT_EQ(jint(o, "fall"), 3);
	CHECK(json_real_value(json_object_get(o, "since")) == since);
	run_for(0.5);
	CHECK_INT_EQ(ev_log.n, 0);

	/* The listener stops: critical after fall (3) failures, and why. */
	acceptor_stop(&acc);
	CHECK(run_until_events(1, DEADLINE_S));
	expect_event(0, "web", TXT_HEALTH_CRITICAL, NULL);
	CHECK_MSG(strstr(ev_log.v[0].why, "is critical: connect: Connection refused"), "why: %s",
	          ev_log.v[0].why);
	CHECK_INT_EQ(jint(status_of(cs, "web", 0), "failures"), 3);
	/* back: passing after rise (5) passes */
	log_reset();
	acceptor_start(&acc, &port);
	CHECK(run_until_events(1, DEADLINE_S));
	while (ev_log.n > 0 && ev_log.v[ev_log.n - 1].health != TXT_HEALTH_PASSING &&
	       run_until_events(ev_log.n + 1, DEADLINE_S))
		;
	CHECK_INT_EQ(ev_log.v[ev_log.n - 1].health, TXT_HEALTH_PASSING);
	CHECK_INT_EQ(jint(status_of(cs, "web", 0), "passes"), 5);

	/* A check added to a passing service starts critical and holds the
	 * service back until it rises too. */
	log_reset();
	CHECK_INT_EQ(apply(cs,
	                   "services:\n"
	                   "  - name: web\n"
	                   "    port: 80\n"
	                   "    checks:\n"
	                   "      - {tcp: '127.0.0.1:%u', interval: 100ms, timeout: 100ms}\n"
	                   "      - {exec: [/bin/sh, -c, 'exit 0'], interval: 100ms}\n",
	                   port),
	             0);
	CHECK_INT_EQ(ev_log.n, 1);
	expect_event(0, "web", TXT_HEALTH_CRITICAL,
	             "check exec /bin/sh -c exit 0 is critical: no result yet");
	CHECK_STR_EQ(jstr(status_of(cs, "web", 0), "state"), "passing");
	while (ev_log.n > 0 && ev_log.v[ev_log.n - 1].health != TXT_HEALTH_PASSING &&
	       run_until_events(ev_log.n + 1, DEADLINE_S))
		;
	CHECK_INT_EQ(ev_log.v[ev_log.n - 1].health, TXT_HEALTH_PASSING);

	/* A check whose target changed is a new check: critical. */
	log_reset();
	CHECK_INT_EQ(apply(cs, base, dead_port), 0);
	CHECK_INT_EQ(ev_log.n, 1);
	expect_event(0, "web", TXT_HEALTH_CRITICAL, NULL);
	CHECK_INT_EQ(jint(status_of(cs, "web", 0), "passes"), 0);

	/* Its checks gone, the service is passing (announced again). */
	log_reset();
	CHECK_INT_EQ(apply(cs, "services: [{name: web, port: 80}]"), 0);
	CHECK_INT_EQ(ev_log.n, 1);
	expect_event(0, "web", TXT_HEALTH_PASSING, "");
	CHECK(status_of(cs, "web", 0) == NULL);
	/* A service that left is not reported on. */
	CHECK_INT_EQ(apply(cs, base, port), 0);
	log_reset();
	CHECK_INT_EQ(apply(cs, "services: []"), 0);
	CHECK_INT_EQ(ev_log.n, 0);
	run_for(0.3);
	CHECK_INT_EQ(ev_log.n, 0);

	status_of(NULL, NULL, 0);
	acceptor_stop(&acc);
	checks_free(cs);
}

/* Regression: with timeout == interval, a run that hangs to its timeout
 * ends just after the next run came due, which was then skipped: a hanging
 * target was checked every other interval, taking twice as long to fall.
 * A quick check on the same interval counts the intervals. */
static void test_timeout_equals_interval(void)
{
	struct checks *cs = checks_new(loop, &callbacks, NULL);
	struct acceptor acc;
	uint16_t port = 0;
	double end = ev_time() + DEADLINE_S;
	long long ticks = 0, runs = 0;

	if (!CHECK(cs))
		return;
	acceptor_start(&acc, &port);
	CHECK_INT_EQ(apply(cs,
	                   "services:\n"
	                   "  - name: pair\n"
	                   "    port: 1\n"
	                   "    checks:\n"
	                   "      - {tcp: '127.0.0.1:%u', interval: 300ms, timeout: 100ms}\n"
	                   "      - {exec: [/bin/sh, -c, 'exec sleep 10'], interval: 300ms,\n"
	                   "         timeout: 300ms, fall: 100}\n",
	                   port),
	             0);
	while (ticks < 12 && ev_time() < end) {
		run_for(0.05);
		ticks = jint(status_of(cs, "pair", 0), "passes");
	}
	runs = jint(status_of(cs, "pair", 1), "failures");
	CHECK_MSG(ticks >= 12, "the tcp check ran %lld times", ticks);
	/* back to back: nearly one run per interval, not one every two */
	CHECK_MSG(runs * 10 >= (ticks - 1) * 7, "%lld timed-out runs in %lld intervals", runs,
	          ticks);
	CHECK_STR_EQ(jstr(status_of(cs, "pair", 1), "output"), "timed out after 300 ms");
	status_of(NULL, NULL, 0);
	acceptor_stop(&acc);
	checks_free(cs);
}

/* The pid in FILE, 0 if none yet. */
static pid_t pid_from(const char *file)
{
	FILE *f = fopen(file, "r");
	int pid = 0;

	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

static bool gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/* A running exec check of a service that leaves in a reload is killed,
 * with its group; so are those still running when the engine is freed. */
static void test_exec_cancelled(void)
{
	char dir[] = "/tmp/lanyard-checks.XXXXXX", file[64], file2[64];
	struct checks *cs = checks_new(loop, &callbacks, NULL);
	double end;
	pid_t pid = 0, pid2 = 0;

	if (!CHECK(cs) || !CHECK(mkdtemp(dir)))
		return;
	snprintf(file, sizeof(file), "%s/pid", dir);
	snprintf(file2, sizeof(file2), "%s/pid2", dir);
	log_reset();
	CHECK_INT_EQ(apply(cs,
	                   "services:\n"
	                   "  - name: slow\n"
	                   "    port: 1\n"
	                   "    checks:\n"
	                   "      - exec: [/bin/sh, -c, 'echo $$ > %s; exec sleep 100']\n"
	                   "        interval: 1m\n"
	                   "        timeout: 50s\n"
	                   "  - name: slow2\n"
	                   "    port: 2\n"
	                   "    checks:\n"
	                   "      - exec: [/bin/sh, -c, 'echo $$ > %s; exec sleep 100']\n"
	                   "        interval: 1m\n"
	                   "        timeout: 50s\n",
	                   file, file2),
	             0);
	end = ev_time() + DEADLINE_S;
	while ((!(pid = pid_from(file)) || !(pid2 = pid_from(file2))) && ev_time() < end)
		run_for(0.02);
	if (!CHECK_MSG(pid > 0 && pid2 > 0, "the exec checks did not start"))
		goto out;
	CHECK(!gone(pid) && !gone(pid2));
	/* slow leaves: its check is killed and reaped by the loop */
	CHECK_INT_EQ(apply(cs,
	                   "services:\n"
	                   "  - name: slow2\n"
	                   "    port: 2\n"
	                   "    checks:\n"
	                   "      - exec: [/bin/sh, -c, 'echo $$ > %s; exec sleep 100']\n"
	                   "        interval: 1m\n"
	                   "        timeout: 50s\n",
	                   file2),
	             0);
	end = ev_time() + DEADLINE_S;
	while (!gone(pid) && ev_time() < end)
		run_for(0.02);
	CHECK_MSG(gone(pid), "the check of a removed service lives on (pid %d)", (int)pid);
	CHECK(!gone(pid2));
	/* the engine goes: the last one is killed too */
	checks_free(cs);
	cs = NULL;
	end = ev_time() + DEADLINE_S;
	while (!gone(pid2) && ev_time() < end)
		run_for(0.02);
	CHECK_MSG(gone(pid2), "a check outlived the engine (pid %d)", (int)pid2);
out:
	checks_free(cs);
	unlink(file);
	unlink(file2);
	rmdir(dir);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(0);
	test_ttl();
	test_tcp_and_reload();
	test_timeout_equals_interval();
	test_exec_cancelled();
	ev_loop_destroy(loop);
	return test_summary();
}
