/* SPDX-License-Identifier: MIT */
/* Unit test of the mDNS layer without avahi-daemon: instance names, the
 * published-spec diff, TXT limits, and the client lifecycle against no bus
 * and a private dbus-daemon that comes and goes. */
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

#include <ev.h>

#include "mdns/mdns.h"
#include "mdns/publish.h"
#include "tests/unit/mdns-util.h"
#include "tests/unit/tap.h"

static void test_expand(void)
{
	char *s;
	char longhost[80];

	s = pub_expand_instance("payments@%h", "hosta");
	CHECK_STR_EQ(s, "payments@hosta");
	free(s);
	s = pub_expand_instance("%h-%h 100%% %x%", "h");
	CHECK_STR_EQ(s, "h-h 100% %x%");
	free(s);
	/* Truncated to 63 bytes. */
	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	s = pub_expand_instance("x@%h", longhost);
	CHECK(s && strlen(s) == 63);
	free(s);
	/* ...never inside a UTF-8 character: 61 ASCII + "é" (2 bytes) = 63
	 * fits; 62 ASCII + "é" would straddle and drops the whole "é". */
	s = pub_expand_instance(
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9z", "");
	CHECK(s && strlen(s) == 63 && (unsigned char)s[62] == 0xa9);
	free(s);
	s = pub_expand_instance(
	        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9z", "");
	CHECK(s && strlen(s) == 62 && s[61] == 'a');
	free(s);
}

/* A hand-built service, as config/ would produce it. */
struct svc_fixture {
	struct cfg_service svc;
	struct cfg_txt txt[4];
	char *subtypes[2];
};

static void fixture(struct svc_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->txt[0] = (struct cfg_txt){"version", "1.2.0", 5};
	f->txt[1] = (struct cfg_txt){"weight", "1", 1};
	f->txt[2] = (struct cfg_txt){"blob", "a\0b", 3}; /* binary-safe */
	f->txt[3] = (struct cfg_txt){"flag", NULL, 0};   /* bare key */
	f->subtypes[0] = "_api";
	f->svc.name = "payments";
	f->svc.type = "_payments._tcp";
	f->svc.port = 8080;
	f->svc.instance = "payments@%h";
	f->svc.subtypes = f->subtypes;
	f->svc.n_subtypes = 1;
	f->svc.txt = f->txt;
	f->svc.n_txt = 4;
}

static void test_spec(void)
{
	struct svc_fixture f, g;
	struct pub_spec *a, *b;
	uint8_t wire[512];
	size_t n;
	static const uint8_t expect[] = "\x0dversion=1.2.0\x08weight=1\x08"
	                                "blob=a\0b\x04"
	                                "flag";

	fixture(&f);
	a = pub_spec_new(&f.svc);
	CHECK(a && !a->invalid);
	/* Wire order is declaration order; bare keys stay bare. */
	n = avahi_string_list_serialize(a->txt, wire, sizeof(wire));
	CHECK(n == sizeof(expect) - 1 && memcmp(wire, expect, n) == 0);

	fixture(&g);
	b = pub_spec_new(&g.svc);
	CHECK(pub_spec_compare(a, b) == CFG_SERVICE_SAME);
	pub_spec_free(b);

	g.txt[1].value = "5";
	b = pub_spec_new(&g.svc);
	CHECK(pub_spec_compare(a, b) == CFG_SERVICE_TXT_ONLY);
	pub_spec_free(b);

	/* Order matters on the wire. */
	fixture(&g);
	g.txt[0] = f.txt[1];
	g.txt[1] = f.txt[0];
	b = pub_spec_new(&g.svc);
	CHECK(pub_spec_compare(a, b) == CFG_SERVICE_TXT_ONLY);
	pub_spec_free(b);

	fixture(&g);
	g.svc.n_txt = 3;
	b = pub_spec_new(&g.svc);
	CHECK(pub_spec_compare(a, b) == CFG_SERVICE_TXT_ONLY);
	pub_spec_free(b);

	fixture(&g);
	g.svc.port = 8081;
	b = pub_spec_new(&g.svc);
	CHECK(pub_spec_compare(a, b) == CFG_SERVICE_CHANGED);
	pub_spec_free(b);

	fixture(&g);
	g.svc.type = "_http._tcp";
	b = pub_spec_new(&g.svc);
	CHECK(pub_spec_compare(a, b) == CFG_SERVICE_CHANGED);
	pub_spec_free(b);

	fixture(&g);
	g.svc.instance = "pay on %h";
	b = pub_spec_new(&g.svc);
	CHECK(pub_spec_compare(a, b) == CFG_SERVICE_CHANGED);
	pub_spec_free(b);

	fixture(&g);
	g.subtypes[1] = "_v2";
	g.svc.n_subtypes = 2;
	b = pub_spec_new(&g.svc);
	CHECK(pub_spec_compare(a, b) == CFG_SERVICE_CHANGED);
	pub_spec_free(b);

	/* Things only the agent uses are not published: no difference. */
	fixture(&g);
	g.svc.has_policy = true;
	g.svc.policy = CFG_POLICY_HASH;
	g.svc.file = "other.yaml";
	b = pub_spec_new(&g.svc);
	CHECK(pub_spec_compare(a, b) == CFG_SERVICE_SAME);
	pub_spec_free(b);
	pub_spec_free(a);

	/* Defaults when config left fields empty. */
	fixture(&g);
	g.svc.type = NULL;
	g.svc.instance = NULL;
	g.svc.protocol = CFG_PROTO_UDP;
	b = pub_spec_new(&g.svc);
	CHECK_STR_EQ(b->type, "_payments._udp");
	CHECK_STR_EQ(b->instance, "payments@%h");
	pub_spec_free(b);
}

static void test_spec_limits(void)
{
	struct svc_fixture g;
	struct pub_spec *b;
	static char big[300];
	struct cfg_txt many[8];

	fixture(&g);
	g.txt[1].key = "we=ight";
	b = pub_spec_new(&g.svc);
	CHECK(b && b->invalid && strstr(b->invalid, "#2"));
	pub_spec_free(b);

	fixture(&g);
	g.txt[1].key = "";
	b = pub_spec_new(&g.svc);
	CHECK(b && b->invalid);
	pub_spec_free(b);

	/* 7 + 1 + 247 = 255 bytes is fine; 256 is not. */
	memset(big, 'v', sizeof(big) - 1);
	fixture(&g);
	g.txt[0].value = big;
	g.txt[0].value_len = 247;
	b = pub_spec_new(&g.svc);
	CHECK(b && !b->invalid);
	pub_spec_free(b);
	g.txt[0].value_len = 248;
	b = pub_spec_new(&g.svc);
	CHECK(b && b->invalid && strstr(b->invalid, "'version'"));
	pub_spec_free(b);

	/* Whole record over 1300 bytes. */
	fixture(&g);
	for (int i = 0; i < 8; i++)
		many[i] = (struct cfg_txt){"k", big, 200};
	g.svc.txt = many;
	g.svc.n_txt = 8;
	b = pub_spec_new(&g.svc);
	CHECK(b && b->invalid && strstr(b->invalid, "1300"));
	pub_spec_free(b);
}

/* ---- lifecycle without avahi-daemon ------------------------------------ */

struct rec {
	unsigned n_client;
	enum mdns_client_state client[64];
	char client_msg[64][200];
	unsigned n_pub;
	char pub[64][256]; /* "service state instance|msg" */
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

static void on_pub(void *ud, const char *service, enum mdns_pub_state st, const char *instance,
                   const char *msg)
{
	struct rec *r = ud;

	if (r->n_pub < 64)
		snprintf(r->pub[r->n_pub++], sizeof(r->pub[0]), "%s %d %s|%s", service, (int)st,
		         instance ? instance : "-", msg ? msg : "");
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "pub %s %d %s: %s\n", service, (int)st, instance ? instance : "-",
		        msg ? msg : "");
}

/* Run until the last client state report contains NEEDLE, up to LIMIT s. */
static bool wait_client(struct ev_loop *loop, struct rec *r, enum mdns_client_state st,
                        const char *needle, double limit)
{
	for (double t = 0; t < limit; t += 0.05) {
		if (r->n_client > 0 && r->client[r->n_client - 1] == st &&
		    strstr(r->client_msg[r->n_client - 1], needle))
			return true;
		mt_run_for(loop, 0.05);
	}
	return false;
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

static void stop_bus(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static void test_lifecycle(void)
{
	char dir[] = "/tmp/test-mdns-XXXXXX", env[300], err[128], sock[300];
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct mdns_callbacks cb = {.client_state = on_client, .pub_state = on_pub};
	struct rec *r = calloc(1, sizeof(*r));
	struct svc_fixture f[2];
	struct cfg_service svcs[2];
	struct lanyard_config cfg;
	struct mdns *m;
	bool have_bus;
	pid_t bus;
	unsigned n;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(env, sizeof(env), "unix:path=%s/bus", dir);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", env, 1);

	m = mdns_new(loop, &cb, r, err, sizeof(err));
	CHECK(m != NULL);
	/* Nothing is reported before the loop runs. */
	CHECK(r->n_client == 0);
	CHECK(mdns_client_state(m) == MDNS_CLIENT_CONNECTING);

	fixture(&f[0]);
	fixture(&f[1]);
	f[1].svc.name = "broken";
	f[1].txt[0].key = "bad=key";
	svcs[0] = f[0].svc;
	svcs[1] = f[1].svc;
	memset(&cfg, 0, sizeof(cfg));
	cfg.services = svcs;
	cfg.n_services = 2;
	CHECK(mdns_publish(m, &cfg) == 0);
	CHECK(r->n_pub == 2);
	CHECK(r->n_pub >= 1 && strncmp(r->pub[0], "payments 0 ", 11) == 0); /* PENDING */
	CHECK(r->n_pub >= 2 && strncmp(r->pub[1], "broken 4 ", 9) == 0 &&
	      strstr(r->pub[1], "TXT key #1")); /* FAILED, with the reason */
	CHECK(mdns_instance_name(m, "payments") == NULL);

	/* No bus at all: mdns_new succeeded, and it keeps trying. */
	CHECK(wait_client(loop, r, MDNS_CLIENT_CONNECTING, "cannot reach", 1.0));
	n = r->n_client;
	mt_run_for(loop, 1.5);
	CHECK(r->n_client == n); /* retries are not reported again */

	/* Same config again: nothing to do, nothing reported. */
	n = r->n_pub;
	CHECK(mdns_publish(m, &cfg) == 0);
	CHECK(r->n_pub == n);

	snprintf(sock, sizeof(sock), "%s/bus", dir);
	have_bus = access("/usr/bin/dbus-daemon", X_OK) == 0;
	if (have_bus) {
		/* A bus without avahi-daemon: NO_FAIL client waits. */
		bus = start_bus(dir);
		CHECK(bus > 0);
		CHECK(wait_client(loop, r, MDNS_CLIENT_CONNECTING, "waiting for avahi", 2.5));
		/* The bus goes away: failure, then retrying. */
		stop_bus(bus);
		CHECK(wait_client(loop, r, MDNS_CLIENT_CONNECTING, "cannot reach", 3.0));
		CHECK(r->n_client >= 2 && r->client[r->n_client - 2] == MDNS_CLIENT_FAILURE);
		/* And comes back: reconnected within 2 s. */
		bus = start_bus(dir);
		CHECK(bus > 0);
		CHECK(wait_client(loop, r, MDNS_CLIENT_CONNECTING, "waiting for avahi", 2.5));
		/* Publishing keeps working while pending; removing a service
		 * while never registered is fine. */
		cfg.n_services = 1;
		CHECK(mdns_publish(m, &cfg) == 0);
		mdns_free(m);
		stop_bus(bus);
	} else {
		fprintf(stderr, "dbus-daemon not installed: bus part skipped\n");
		mdns_free(m);
	}
	unlink(sock);
	rmdir(dir);
	free(r);
	ev_loop_destroy(loop);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_expand();
	test_spec();
	test_spec_limits();
	test_lifecycle();
	return test_summary();
}
