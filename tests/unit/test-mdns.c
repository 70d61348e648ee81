/* SPDX-License-Identifier: MIT */
/* Unit test of the mDNS backend without avahi-daemon: the client lifecycle
 * against no bus and a private dbus-daemon that comes and goes; events only
 * on the caller's loop; and the caller's loop running on while avahi (a
 * peer that never answers) stalls the backend thread. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <avahi-common/alternative.h>
#include <avahi-common/malloc.h>
#include <ev.h>

#include "dnssd/name.h"
#include "mdns/mdns.h"
#include "tests/unit/mdns-util.h"
#include "tests/unit/tap.h"

struct rec {
	unsigned n_client;
	enum mdns_client_state client[64];
	char client_msg[64][200];
	unsigned n_pub, n_pub_total;
	char pub[64][256]; /* "key state instance|msg" */
};

static void on_client(void *ud, enum mdns_client_state st, const char *msg)
{
	struct rec *r = ud;

	if (r->n_client < 64) {
		r->client[r->n_client] = st;
		snprintf(r->client_msg[r->n_client], sizeof(r->client_msg[0]), "%s",
		         msg ? msg : "");
		r->n_client++;
	}
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "client state %d: %s\n", (int)st, msg ? msg : "");
}

static void on_pub(void *ud, const char *key, enum mdns_pub_state st, const char *instance,
                   const char *msg)
{
	struct rec *r = ud;

	r->n_pub_total++;
	if (r->n_pub < 64)
		snprintf(r->pub[r->n_pub++], sizeof(r->pub[0]), "%s %d %s|%s", key, (int)st,
		         instance ? instance : "-", msg ? msg : "");
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "pub %s %d %s: %s\n", key, (int)st, instance ? instance : "-",
		        msg ? msg : "");
}

/* Run until the last client state report is ST and contains NEEDLE, up to
 * LIMIT s. */
static bool wait_client(struct ev_loop *loop, struct rec *r, enum mdns_client_state st,
                        const char *needle, double limit)
{
	return MT_WAIT(loop,
	               r->n_client > 0 && r->client[r->n_client - 1] == st &&
	                       strstr(r->client_msg[r->n_client - 1], needle),
	               limit);
}

static pid_t start_bus(const char *dir)
{
	char addr[300], sock[300];
	struct stat st;
	pid_t pid;

	snprintf(addr, sizeof(addr), "--address=unix:path=%s/bus", dir);
	snprintf(sock, sizeof(sock), "%s/bus", dir);
	unlink(sock);
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);
		dup2(devnull, 2);
		execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--nopidfile", addr,
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && pid > 0; i++) {
		if (stat(sock, &st) == 0)
			return pid;
		usleep(10000);
	}
	return -1;
}

static void stop_pid(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static struct dnssd_record *record(const char *key, const char *instance, uint16_t port)
{
	struct dnssd_record *r = NULL;

	if (record_new(key, instance, "_lytest._tcp", port, &r, NULL) < 0 ||
	    record_add_txt(r, "version", "1.2", 3, NULL) < 0) {
		record_free(r);
		return NULL;
	}
	return r;
}

static void test_lifecycle(void)
{
	char dir[] = "/tmp/test-mdns-XXXXXX", env[300], err[128], sock[300];
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct mdns_callbacks cb = {.client_state = on_client, .pub_state = on_pub};
	struct rec *r = calloc(1, sizeof(*r));
	struct dnssd_record *a = record("svc:a", "a@host", 80);
	struct mdns *m;
	pid_t bus;
	unsigned n;

	CHECK(a != NULL);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(env, sizeof(env), "unix:path=%s/bus", dir);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", env, 1);

	m = mdns_new(loop, &cb, r, err, sizeof(err));
	CHECK(m != NULL);
	CHECK(mdns_client_state(m) == MDNS_CLIENT_CONNECTING);
	CHECK(mdns_put(m, a) == 0);
	/* Events come on the loop only, never from inside a call: once the
	 * thread has produced some (its pending count, read without running
	 * the loop), none has been delivered while this loop did not run. */
	{
		struct mdns_stats st = {0};

		for (int i = 0; i < 2000; i++) { /* 20 s */
			mdns_get_stats(m, &st);
			if (st.events_pending > 0)
				break;
			usleep(10000);
		}
		CHECK(st.events_pending > 0);
	}
	CHECK(r->n_client == 0 && r->n_pub == 0);

	/* No bus at all: it keeps trying, and says so once. */
	CHECK(wait_client(loop, r, MDNS_CLIENT_CONNECTING, "cannot reach", 10.0));
	CHECK(MT_WAIT(loop, r->n_pub >= 1, 10.0));
	CHECK(r->n_pub >= 1 && strncmp(r->pub[0], "svc:a 0 a@host", 14) == 0); /* PENDING */
	n = r->n_client;
	mt_run_for(loop, 1.5);
	CHECK(r->n_client == n); /* retries are not reported again */
	/* The same record again: nothing to do, nothing reported. */
	n = r->n_pub;
	CHECK(mdns_put(m, a) == 0);
	mt_run_for(loop, 0.2);
	CHECK(r->n_pub == n);

	snprintf(sock, sizeof(sock), "%s/bus", dir);
	if (access("/usr/bin/dbus-daemon", X_OK) == 0) {
		/* A bus without avahi-daemon: the NO_FAIL client waits. */
		bus = start_bus(dir);
		CHECK(bus > 0);
		CHECK(wait_client(loop, r, MDNS_CLIENT_CONNECTING, "waiting for avahi", 10.0));
		/* The bus goes away: failure, then retrying. */
		stop_pid(bus);
		CHECK(wait_client(loop, r, MDNS_CLIENT_CONNECTING, "cannot reach", 10.0));
		CHECK(r->n_client >= 2 && r->client[r->n_client - 2] == MDNS_CLIENT_FAILURE);
		/* And comes back: reconnected (a retry a second). */
		bus = start_bus(dir);
		CHECK(bus > 0);
		CHECK(wait_client(loop, r, MDNS_CLIENT_CONNECTING, "waiting for avahi", 10.0));
		/* Withdrawing a record never registered is fine; freeing with
		 * commands still queued too. */
		CHECK(mdns_delete(m, "svc:a") == 0);
		CHECK(mdns_delete(m, "svc:unknown") == 0);
		CHECK(mdns_browse(m, "_lytest._tcp") == 0);
		mdns_free(m);
		stop_pid(bus);
	} else {
		fprintf(stderr, "dbus-daemon not installed: bus part skipped\n");
		mdns_free(m);
	}
	record_free(a);
	unlink(sock);
	rmdir(dir);
	free(r);
	ev_loop_destroy(loop);
}

static void test_arguments(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	char err[128];
	struct mdns *m;

	setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/bus", 1);
	CHECK(mdns_new(NULL, NULL, NULL, err, sizeof(err)) == NULL && strstr(err, "loop"));
	m = mdns_new(loop, NULL, NULL, err, sizeof(err));
	CHECK(m != NULL);
	CHECK(mdns_browse(m, "payments") == -EINVAL);
	CHECK(mdns_browse(m, "_x._sctp") == -EINVAL);
	CHECK(mdns_unbrowse(m, "_a b._tcp") == -EINVAL);
	CHECK(mdns_browse(m, "_payments._tcp") == 0);
	mdns_free(m);
	mdns_free(NULL);
	ev_loop_destroy(loop);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(*(unsigned *)w->data)++;
}

/* avahi "swamped": every call to it blocks. The caller's loop must not. */
static void test_stall(void)
{
	char dir[] = "/tmp/test-mdns-XXXXXX", env[300], err[128], line[64], helper[512];
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct mdns_callbacks cb = {.client_state = on_client, .pub_state = on_pub};
	struct rec *r = calloc(1, sizeof(*r));
	const char *bdir = getenv("top_builddir");
	struct mdns_stats st;
	unsigned ticks = 0;
	ev_timer tick;
	struct mdns *m;
	ev_tstamp t0;
	pid_t bus, hole;
	int fds[2];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(env, sizeof(env), "unix:path=%s/bus", dir);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", env, 1);
	bus = start_bus(dir);
	CHECK(bus > 0);
	/* The black hole owns org.freedesktop.Avahi before the client looks. */
	snprintf(helper, sizeof(helper), "%s/tests/unit/dbus-blackhole", bdir ? bdir : ".");
	CHECK(pipe(fds) == 0);
	hole = fork();
	if (hole == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(helper, helper, env, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	CHECK(f && fgets(line, sizeof(line), f) && strcmp(line, "ready\n") == 0);

	m = mdns_new(loop, &cb, r, err, sizeof(err));
	CHECK(m != NULL);
	/* The backend thread's first call to "avahi" never returns... */
	CHECK(f && fgets(line, sizeof(line), f) && strncmp(line, "called ", 7) == 0);
	printf("# the backend waits on %s", line + 7);
	/* ...and meanwhile 500 records and a browse are queued at once... */
	t0 = ev_time();
	for (int i = 0; i < 500; i++) {
		char key[32], inst[32];
		struct dnssd_record *rec;

		snprintf(key, sizeof(key), "svc:s%d", i);
		snprintf(inst, sizeof(inst), "s%d@host", i);
		rec = record(key, inst, (uint16_t)(1000 + i));
		CHECK(rec && mdns_put(m, rec) == 0);
		record_free(rec);
	}
	CHECK(mdns_browse(m, "_lytest._tcp") == 0);
	printf("# 500 puts queued in %.1f ms\n", (ev_time() - t0) * 1000);
	/* ...the caller's loop keeps running its timers (blocked: 0 ticks),
	 * while the backend thread cannot take a single command. */
	ev_timer_init(&tick, tick_cb, 0.01, 0.01);
	tick.data = &ticks;
	ev_timer_start(loop, &tick);
	mt_run_for(loop, 1.5);
	ev_timer_stop(loop, &tick);
	mdns_get_stats(m, &st);
	printf("# %u ticks of 10 ms in 1.5 s while avahi stalls; %zu commands pending\n", ticks,
	       st.commands_pending);
	CHECK(ticks >= 30);
	CHECK(st.commands_pending == 501);
	CHECK(r->n_pub_total == 0);
	/* The peer goes: the blocked call fails at once, the client retries,
	 * and every record is reported pending (no avahi-daemon). */
	stop_pid(hole);
	if (f)
		fclose(f);
	CHECK(MT_WAIT(loop, r->n_pub_total >= 500, 10.0));
	t0 = ev_time();
	mdns_free(m);
	printf("# mdns_free took %.1f ms\n", (ev_time() - t0) * 1000);
	stop_pid(bus);
	snprintf(helper, sizeof(helper), "%s/bus", dir);
	unlink(helper);
	rmdir(dir);
	free(r);
	ev_loop_destroy(loop);
}

/* Run TEST in a child: libdbus reads DBUS_SYSTEM_BUS_ADDRESS once per
 * process, and each test has its own bus. The child's checks count as
 * one: pass or fail. */
/* dnssd_instance_alternative(), which mDNS and unicast DNS renames call,
 * picks the name avahi_alternative_service_name() does. */
static void test_alternative_as_avahi(void)
{
	static const char *const names[] = {
	        "web",
	        "web #2",
	        "web #9",
	        "a #1 #41",
	        "web #0",
	        "web #",
	        "web #2x",
	        "web#2",
	        "Caf\xc3\xa9 #7",
	        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx #99",
	        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9xx",
	};
	char buf[DNSSD_INSTANCE_MAX + 1];

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		char *a = avahi_alternative_service_name(names[i]);

		CHECK(a != NULL);
		CHECK(dnssd_instance_alternative(names[i], buf, sizeof(buf)) > 0);
		if (a && !CHECK_STR_EQ(buf, a))
			fprintf(stderr, "# after \"%s\"\n", names[i]);
		avahi_free(a);
	}
}

static void in_child(const char *name, void (*test)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		test();
		exit(test_summary());
	}
	CHECK_MSG(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	                  WEXITSTATUS(status) == 0,
	          "%s failed in its child process", name);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_alternative_as_avahi();
	in_child("test_arguments", test_arguments);
	in_child("test_lifecycle", test_lifecycle);
	if (access("/usr/bin/dbus-daemon", X_OK) == 0)
		in_child("test_stall", test_stall);
	else
		fprintf(stderr, "dbus-daemon not installed: stall test skipped\n");
	return test_summary();
}
