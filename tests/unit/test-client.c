/* SPDX-License-Identifier: MIT */
/* Unit tests of liblanyard (client/) against a fake agent built from
 * agent/server with canned answers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "client/lanyard.h"
#include "tests/unit/test-client-fake.h"
#include "tests/unit/tap.h"

static char sock[128];
static uint16_t alive_port;

/* The request the fake agent saw, from the last response's "seen". */
static json_t *last_seen(struct lanyard *h)
{
	char *line = lanyard_last_response(h);
	json_t *j = line ? json_loads(line, 0, NULL) : NULL, *seen;

	free(line);
	seen = json_incref(json_object_get(j, "seen"));
	json_decref(j);
	return seen;
}

static void test_open(void)
{
	struct lanyard *h = (struct lanyard *)1;

	CHECK(lanyard_open("/nonexistent/lanyard.sock", &h) == LANYARD_E_CONNECT);
	CHECK(errno == ENOENT && h == NULL);
	setenv("LANYARD_SOCKET", sock, 1);
	CHECK(lanyard_open(NULL, &h) == 0 && h != NULL);
	lanyard_close(h);
	setenv("LANYARD_SOCKET", "/nonexistent/x.sock", 1);
	CHECK(lanyard_open(NULL, &h) == LANYARD_E_CONNECT);
	unsetenv("LANYARD_SOCKET");
	{
		char longpath[200];

		memset(longpath, 'a', sizeof(longpath) - 1);
		longpath[sizeof(longpath) - 1] = '\0';
		CHECK(lanyard_open(longpath, &h) == LANYARD_E_INVAL);
	}
	lanyard_close(NULL);
	CHECK(strcmp(lanyard_strerror(LANYARD_E_NOT_FOUND), "not found") == 0);
	CHECK(strcmp(lanyard_strerror(12345), "unknown error") == 0);
}

static void test_list(struct lanyard *h)
{
	static const char *const tags[] = {"eu", "ssd"};
	static const struct lanyard_txt_match txt[] = {{"path", "/v2"}};
	struct lanyard_filter f = {.service = "payments",
	                           .instance = "payments@hosta",
	                           .version = "^2.4",
	                           .tags = tags,
	                           .n_tags = 2,
	                           .txt = txt,
	                           .n_txt = 1,
	                           .family = LANYARD_FAMILY_IPV4};
	struct lanyard_instance_list *list = NULL;
	const struct lanyard_instance *a;
	json_t *seen, *want;

	CHECK(lanyard_list(h, &f, &list) == 0);
	seen = last_seen(h);
	want = json_loads(
	        "{\"op\":\"list\",\"service\":\"payments\",\"instance\":\"payments@hosta\","
	        "\"version\":\"^2.4\",\"tags\":[\"eu\",\"ssd\"],\"txt\":{\"path\":\"/v2\"},"
	        "\"family\":\"ipv4\"}",
	        0, NULL);
	CHECK(json_equal(seen, want));
	json_decref(seen);
	json_decref(want);
	CHECK(list && list->n == 2);
	if (!list || list->n != 2)
		return;
	a = list->items[0];
	CHECK(strcmp(a->instance, "payments@hosta") == 0 && strcmp(a->service, "payments") == 0);
	CHECK(strcmp(a->type, "_payments._tcp") == 0 && strcmp(a->domain, "local") == 0);
	CHECK(a->n_addresses == 1 && strcmp(a->addresses[0], "127.0.0.1") == 0 &&
	      a->addresses[1] == NULL);
	CHECK(a->port == alive_port && a->weight == 5 && a->priority == 0 && a->local);
	CHECK(strcmp(a->version, "2.4.1") == 0 && a->n_tags == 1 && strcmp(a->tags[0], "eu") == 0);
	CHECK(a->n_interfaces == 1 && strcmp(a->interfaces[0], "lo") == 0);
	CHECK(a->first_seen == 1700000000.25 && a->last_changed == 1700000001.5);
	CHECK(a->n_txt == 2 && strcmp(a->txt[0].key, "path") == 0 &&
	      strcmp(a->txt[0].value, "/v2") == 0);
	CHECK(strcmp(a->txt[1].key, "bin") == 0 && a->txt[1].value_len == 2 &&
	      memcmp(a->txt[1].value, "\x01\xfe", 2) == 0);
	CHECK(list->items[1]->version == NULL && !list->items[1]->local);
	lanyard_instance_list_free(list);

	/* No filter at all, and an empty answer. */
	CHECK(lanyard_list(h, NULL, &list) == 0 && list->n == 2);
	seen = last_seen(h);
	CHECK(json_object_size(seen) == 1);
	json_decref(seen);
	lanyard_instance_list_free(list);
	f = (struct lanyard_filter){.service = "none"};
	CHECK(lanyard_list(h, &f, &list) == 0 && list->n == 0);
	lanyard_instance_list_free(list);

	/* Invalid input is refused before anything is sent. */
	f = (struct lanyard_filter){.version = ">=banana"};
	CHECK(lanyard_list(h, &f, &list) == LANYARD_E_INVAL && list == NULL);
	CHECK(strstr(lanyard_last_error(h), "banana") != NULL);
	f = (struct lanyard_filter){.service = "bad\xff"};
	CHECK(lanyard_list(h, &f, &list) == LANYARD_E_INVAL);
	f = (struct lanyard_filter){.n_tags = 1};
	CHECK(lanyard_list(h, &f, &list) == LANYARD_E_INVAL);
}

static void test_resolve(struct lanyard *h)
{
	struct lanyard_filter f = {.service = "payments"};
	struct lanyard_instance *in = NULL;
	json_t *seen, *want;
	char *st = NULL;

	CHECK(lanyard_resolve(h, &f, "hash", "user-1", LANYARD_PREFER_LOCAL, &in) == 0);
	CHECK(in && in->port == alive_port && strcmp(in->host, "hosta.local") == 0);
	lanyard_instance_free(in);

	f.service = "missing";
	CHECK(lanyard_resolve(h, &f, NULL, NULL, 0, &in) == LANYARD_E_NOT_FOUND && in == NULL);
	CHECK(strcmp(lanyard_last_error(h), "no instance of \"missing\"") == 0);
	CHECK(lanyard_resolve(h, NULL, NULL, NULL, 0, &in) == LANYARD_E_INVAL);

	CHECK(lanyard_report(h, "payments", "payments@hosta", false, 12.5) == 0);
	CHECK(lanyard_report(h, NULL, "payments@hostb", true, -1) == 0);
	CHECK(lanyard_report(h, NULL, NULL, true, -1) == LANYARD_E_INVAL);
	CHECK(lanyard_status(h, &st) == 0);
	seen = st ? json_loads(st, 0, NULL) : NULL;
	want = json_loads(
	        "{\"reports\":[{\"op\":\"report\",\"service\":\"payments\","
	        "\"instance\":\"payments@hosta\",\"result\":\"fail\",\"latency_ms\":12.5},"
	        "{\"op\":\"report\",\"instance\":\"payments@hostb\",\"result\":\"ok\"}],"
	        "\"agent\":\"fake\",\"managed\":[]}",
	        0, NULL);
	CHECK(json_equal(seen, want));
	json_decref(seen);
	json_decref(want);
	free(st);
}

/* lanyard_check() and lanyard_maint(): what they send, and their errors. */
static void test_check_maint(struct lanyard *h)
{
	char big[4098], *st = NULL;
	json_t *root, *seen, *want;

	CHECK_INT_EQ(lanyard_check(h, "payments", LANYARD_CHECK_WARN, "slow\nreally"), 0);
	CHECK_INT_EQ(lanyard_check(h, "payments", LANYARD_CHECK_PASS, NULL), 0);
	CHECK_INT_EQ(lanyard_maint(h, "payments", true, "disk swap"), 0);
	CHECK_INT_EQ(lanyard_maint(h, "payments", false, NULL), 0);
	/* not declared there (or no ttl check): not found, with the agent's message */
	CHECK_INT_EQ(lanyard_check(h, "web", LANYARD_CHECK_PASS, NULL), LANYARD_E_NOT_FOUND);
	CHECK_STR_EQ(lanyard_last_error(h), "no declared service \"web\"");
	CHECK_INT_EQ(lanyard_maint(h, "web", true, NULL), LANYARD_E_NOT_FOUND);
	/* refused before sending */
	CHECK_INT_EQ(lanyard_check(h, NULL, LANYARD_CHECK_PASS, NULL), LANYARD_E_INVAL);
	CHECK_INT_EQ(lanyard_check(h, "payments", (enum lanyard_check_status)3, NULL),
	             LANYARD_E_INVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT_EQ(lanyard_check(h, "payments", LANYARD_CHECK_PASS, big), LANYARD_E_INVAL);
	big[4096] = '\0';
	CHECK_INT_EQ(lanyard_check(h, "payments", LANYARD_CHECK_PASS, big), 0);
	CHECK_INT_EQ(lanyard_maint(h, NULL, true, NULL), LANYARD_E_INVAL);
	big[1025] = '\0';
	CHECK_INT_EQ(lanyard_maint(h, "payments", true, big), LANYARD_E_INVAL);
	/* the agent refuses what the wire refuses */
	CHECK_INT_EQ(lanyard_maint(h, "payments", true, "two\nlines"), LANYARD_E_BAD_REQUEST);

	CHECK(lanyard_status(h, &st) == 0);
	root = st ? json_loads(st, 0, NULL) : NULL;
	seen = json_object_get(root, "managed");
	want = json_loads("[{\"op\":\"check\",\"service\":\"payments\",\"status\":\"warn\","
	                  "\"output\":\"slow\\nreally\"},"
	                  "{\"op\":\"check\",\"service\":\"payments\",\"status\":\"pass\"},"
	                  "{\"op\":\"maint\",\"service\":\"payments\",\"state\":\"on\","
	                  "\"reason\":\"disk swap\"},"
	                  "{\"op\":\"maint\",\"service\":\"payments\",\"state\":\"off\"}]",
	                  0, NULL);
	/* the 4096-byte report came after those */
	CHECK(json_array_size(seen) == 5);
	json_array_remove(seen, 4);
	CHECK(json_equal(seen, want));
	json_decref(want);
	json_decref(root);
	free(st);
}

static void test_services(struct lanyard *h)
{
	struct lanyard_service_list *list = NULL;

	CHECK(lanyard_services(h, &list) == 0);
	CHECK(list && list->n == 2 && strcmp(list->items[0].service, "payments") == 0 &&
	      list->items[0].instances == 2 && list->items[0].local &&
	      strcmp(list->items[1].type, "_http._tcp") == 0 && !list->items[1].local);
	lanyard_service_list_free(list);
}

static void test_watch(struct lanyard *h)
{
	struct lanyard_filter f = {.service = "payments"};
	struct lanyard_event *ev = NULL;
	uint64_t id = 0;
	char *st = NULL;

	CHECK(lanyard_watch(h, &f, &id) == 0 && id == 1);
	/* A call while events arrive: the events wait in the queue. */
	CHECK(lanyard_status(h, &st) == 0);
	free(st);
	CHECK(lanyard_next_event(h, 1000, &ev) == 0);
	CHECK(ev && ev->type == LANYARD_EVENT_ADDED && ev->watch == 1 && ev->instance &&
	      strcmp(ev->instance->version, "2.4.1") == 0);
	lanyard_event_free(ev);
	CHECK(lanyard_next_event(h, 1000, &ev) == 0);
	CHECK(ev && ev->type == LANYARD_EVENT_SNAPSHOT_END && ev->instance == NULL);
	lanyard_event_free(ev);
	CHECK(lanyard_next_event(h, 1000, &ev) == 0);
	CHECK(ev && ev->type == LANYARD_EVENT_CHANGED &&
	      strcmp(ev->instance->version, "2.5.0") == 0);
	lanyard_event_free(ev);
	CHECK(lanyard_next_event(h, 1000, &ev) == 0);
	CHECK(ev && ev->type == LANYARD_EVENT_REMOVED);
	lanyard_event_free(ev);
	CHECK(lanyard_next_event(h, 100, &ev) == LANYARD_E_TIMEOUT && ev == NULL);
	CHECK(lanyard_fd(h) >= 0);
	CHECK(lanyard_unwatch(h, id) == 0);
	CHECK(lanyard_unwatch(h, id) == LANYARD_E_NOT_FOUND);
}

static void test_timeout(struct lanyard *h)
{
	struct lanyard_filter f = {.service = "slow"};
	struct lanyard_instance *in = NULL;
	struct lanyard_instance_list *list = NULL;

	lanyard_set_timeout(h, 200);
	CHECK(lanyard_resolve(h, &f, NULL, NULL, 0, &in) == LANYARD_E_TIMEOUT);
	/* The next call uses a fresh connection, not the late answer. */
	lanyard_set_timeout(h, 5000);
	CHECK(lanyard_list(h, NULL, &list) == 0 && list->n == 2);
	lanyard_instance_list_free(list);
}

static int listen_tcp(uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("tcp listener");
		exit(1);
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_resolve_connect(struct lanyard *h)
{
	struct lanyard_filter f = {.service = "flaky"};
	struct lanyard_instance *in = NULL;
	char *st = NULL;
	json_t *j, *reports;
	int fd = -1;

	/* First pick refuses (port 1), the second accepts. */
	CHECK(lanyard_resolve_connect(h, &f, NULL, NULL, 0, 3, &fd, &in) == 0);
	CHECK(fd >= 0 && in && in->port == alive_port);
	if (fd >= 0)
		close(fd);
	lanyard_instance_free(in);
	CHECK(lanyard_status(h, &st) == 0);
	j = st ? json_loads(st, 0, NULL) : NULL;
	reports = json_object_get(j, "reports");
	/* Two reports from test_resolve, then fail for hostb, ok for hosta. */
	CHECK(json_array_size(reports) == 4);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(reports, 2), "instance")),
	             "payments@hostb") == 0);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(reports, 2), "result")),
	             "fail") == 0);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(reports, 3), "result")),
	             "ok") == 0);
	CHECK(json_is_number(json_object_get(json_array_get(reports, 3), "latency_ms")));
	json_decref(j);
	free(st);

	/* One try that lands on the refusing endpoint gives up. */
	CHECK(lanyard_resolve_connect(h, &f, NULL, NULL, 0, 1, &fd, NULL) == LANYARD_E_UNREACHABLE);
	CHECK(fd == -1 && strstr(lanyard_last_error(h), "payments@hostb") != NULL);
	f.service = "missing";
	CHECK(lanyard_resolve_connect(h, &f, NULL, NULL, 0, 0, &fd, NULL) == LANYARD_E_NOT_FOUND);
}

struct thread_arg {
	struct lanyard *h;
	int errors;
};

static void *resolver(void *p)
{
	struct thread_arg *a = p;
	struct lanyard_filter f = {.service = "payments"};

	for (int i = 0; i < 200; i++) {
		struct lanyard_instance *in = NULL;

		if (lanyard_resolve(a->h, &f, NULL, NULL, 0, &in) != 0 || !in ||
		    strcmp(in->instance, "payments@hosta") != 0)
			a->errors++;
		lanyard_instance_free(in);
	}
	return NULL;
}

/* One handle shared by threads: every call gets its own answer. */
static void test_threads(struct lanyard *h)
{
	pthread_t t[4];
	struct thread_arg a[4];

	for (int i = 0; i < 4; i++) {
		a[i] = (struct thread_arg){h, 0};
		pthread_create(&t[i], NULL, resolver, &a[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(a[i].errors == 0);
	}
}

/* The agent restarts: plain calls reconnect by themselves, watchers hear
 * that their watches are gone. */
static void test_restart(pid_t *pid)
{
	struct lanyard *h, *w;
	struct lanyard_instance_list *list = NULL;
	struct lanyard_event *ev = NULL;
	struct lanyard_filter f = {.service = "payments"};

	CHECK(lanyard_open(sock, &h) == 0);
	CHECK(lanyard_open(sock, &w) == 0);
	CHECK(lanyard_list(h, NULL, &list) == 0);
	lanyard_instance_list_free(list);
	CHECK(lanyard_watch(w, &f, NULL) == 0);
	for (int i = 0; i < 4; i++) {
		CHECK(lanyard_next_event(w, 1000, &ev) == 0);
		lanyard_event_free(ev);
	}
	CHECK(server_child_stop(*pid) == 0);
	*pid = fake_start(sock, alive_port);
	CHECK(lanyard_list(h, NULL, &list) == 0 && list && list->n == 2);
	lanyard_instance_list_free(list);
	CHECK(lanyard_next_event(w, 1000, &ev) == LANYARD_E_IO);
	CHECK(strstr(lanyard_last_error(w), "closed") != NULL);
	/* ... and may watch again. */
	CHECK(lanyard_watch(w, &f, NULL) == 0);
	CHECK(lanyard_next_event(w, 1000, &ev) == 0 && ev->type == LANYARD_EVENT_ADDED);
	lanyard_event_free(ev);
	lanyard_close(h);
	lanyard_close(w);
}

int main(void)
{
	char dir[] = "/tmp/test-client.XXXXXX";
	struct lanyard *h;
	int tcp;
	pid_t pid;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/lanyard.sock", dir);
	tcp = listen_tcp(&alive_port);
	pid = fake_start(sock, alive_port);

	test_open();
	if (lanyard_open(sock, &h) != 0) {
		fprintf(stderr, "cannot open %s\n", sock);
		return 1;
	}
	test_list(h);
	test_resolve(h);
	test_check_maint(h);
	test_services(h);
	test_watch(h);
	test_timeout(h);
	test_resolve_connect(h);
	test_threads(h);
	lanyard_close(h);
	test_restart(&pid);

	CHECK(server_child_stop(pid) == 0);
	close(tcp);
	unlink(sock);
	rmdir(dir);
	return test_summary();
}
