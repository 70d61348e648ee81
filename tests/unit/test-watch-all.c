/* SPDX-License-Identifier: MIT */
/* Unit test for a watch without "service" (GET /v1/watch): its snapshot
 * has every cached instance of every type, and later events of every type
 * reach it, while a watch of one type on the same connection sees that
 * type only. agent/watch.c over a real cache and a connection of the
 * socket server on a socketpair. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>
#include <jansson.h>

#include "agent/cache.h"
#include "agent/server.h"
#include "agent/watch.h"
#include "dnssd/clock.h"
#include "tests/unit/tap.h"

static void upsert(struct cache *c, const char *name, const char *type)
{
	struct mdns_instance in = {.name = name,
	                           .type = type,
	                           .domain = "local",
	                           .host = "hostb.local",
	                           .ifindex = 1,
	                           .family = AF_INET,
	                           .port = 8080};
	struct sockaddr_in *a = (struct sockaddr_in *)&in.addr;

	a->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &a->sin_addr);
	CHECK_MSG(cache_upsert(c, &in, 1.0) == CACHE_ADDED, "upsert %s %s", name, type);
}

static void on_event(void *userdata, enum cache_event ev, const struct cache_entry *e,
                     unsigned changes)
{
	(void)changes;
	watches_on_cache_event(userdata, ev, e);
}

static void no_requests(void *userdata, struct conn *c, const struct wire_request *req)
{
	(void)userdata;
	conn_reply_error(c, req, WIRE_BAD_REQUEST, "not in this test");
}

/* Event lines read so far from the watcher's end. */
struct reader {
	int fd;
	char buf[1 << 16];
	size_t len;
};

/* Run the loop and read until a line containing WANT arrives (5 s
 * deadline); returns a copy of the lines read before and with it, or NULL. */
static char *read_until(struct ev_loop *loop, struct reader *r, const char *want)
{
	double end = clock_mono() + 5.0;

	while (clock_mono() < end) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		char *hit;

		ev_run(loop, EVRUN_NOWAIT);
		if (poll(&p, 1, 10) == 1) {
			ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);

			if (n > 0)
				r->len += (size_t)n;
			r->buf[r->len] = '\0';
		}
		hit = strstr(r->buf, want);
		if (hit) {
			char *nl = strchr(hit, '\n'), *out;

			if (!nl)
				continue;
			out = strndup(r->buf, (size_t)(nl + 1 - r->buf));
			memmove(r->buf, nl + 1, r->len - (size_t)(nl + 1 - r->buf));
			r->len -= (size_t)(nl + 1 - r->buf);
			r->buf[r->len] = '\0';
			return out;
		}
	}
	return NULL;
}

/* Lines of TEXT that are events of watch ID of kind EV for TYPE. */
static int count(const char *text, uint64_t id, const char *ev, const char *type)
{
	int n = 0;

	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		json_t *o = json_loadb(l, nl ? (size_t)(nl - l) : strlen(l), 0, NULL);

		if (o && (uint64_t)json_integer_value(json_object_get(o, "watch")) == id &&
		    strcmp(json_string_value(json_object_get(o, "event")) ?: "", ev) == 0 &&
		    (!type || strcmp(json_string_value(json_object_get(
		                             json_object_get(o, "instance"), "type"))
		                             ?: "",
		                     type) == 0))
			n++;
		json_decref(o);
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

int main(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct cache *cache = cache_new(NULL);
	struct watches *ws = watches_new(loop, cache);
	struct conn_env env;
	struct reader rd = {0};
	struct wire_filter all = {0}, one = {.service = (char *)"_a._tcp"};
	const struct ucred cred = {.pid = 1, .uid = 65534, .gid = 65534};
	uint64_t id_all = 0, id_one = 0;
	struct conn *c;
	char *text;
	char snap_end[64];
	int sv[2];

	if (!loop || !cache || !ws || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 99;
	cache_set_event_cb(cache, on_event, ws);
	upsert(cache, "a1", "_a._tcp");
	upsert(cache, "a2", "_a._tcp");
	upsert(cache, "b1", "_b._udp");
	upsert(cache, "c1", "_c._tcp");

	conn_env_init(&env, loop);
	server_limits_default(&env.limits);
	env.handler = no_requests;
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	CHECK_INT_EQ(conn_new(&env, sv[1], &cred), 0);
	c = env.all;
	rd.fd = sv[0];

	/* The watch of everything: every instance of every type in its snapshot. */
	CHECK_INT_EQ(watches_add(ws, c, &all, NULL, &id_all), 0);
	CHECK_INT_EQ(watches_snapshot(ws, c, id_all), 0);
	snprintf(snap_end, sizeof(snap_end), "\"snapshot_end\",\"watch\":%llu",
	         (unsigned long long)id_all);
	text = read_until(loop, &rd, snap_end);
	CHECK_MSG(text != NULL, "no snapshot_end for the watch of everything");
	CHECK_INT_EQ(count(text, id_all, "added", NULL), 4);
	CHECK_INT_EQ(count(text, id_all, "added", "_a._tcp"), 2);
	CHECK_INT_EQ(count(text, id_all, "added", "_b._udp"), 1);
	CHECK_INT_EQ(count(text, id_all, "added", "_c._tcp"), 1);
	free(text);

	/* A watch of one type beside it. */
	CHECK_INT_EQ(watches_add(ws, c, &one, NULL, &id_one), 0);
	CHECK_INT_EQ(watches_snapshot(ws, c, id_one), 0);
	snprintf(snap_end, sizeof(snap_end), "\"snapshot_end\",\"watch\":%llu",
	         (unsigned long long)id_one);
	text = read_until(loop, &rd, snap_end);
	CHECK_MSG(text != NULL, "no snapshot_end for the watch of _a._tcp");
	CHECK_INT_EQ(count(text, id_one, "added", "_a._tcp"), 2);
	CHECK_INT_EQ(count(text, id_one, "added", NULL), 2);
	free(text);

	/* A new type later: the watch of everything hears of it, the other not. */
	upsert(cache, "d1", "_d._tcp");
	text = read_until(loop, &rd, "\"d1\"");
	CHECK_MSG(text != NULL, "no event for an instance of a new type");
	CHECK_INT_EQ(count(text, id_all, "added", "_d._tcp"), 1);
	CHECK_INT_EQ(count(text, id_one, "added", NULL), 0);
	free(text);

	/* A removal of one of _a._tcp: both hear it. */
	CHECK_INT_EQ(cache_remove_sighting(cache, "a1", "_a._tcp", NULL, 1, AF_INET,
	                                   CACHE_GONE_WITHDRAWN, 2.0),
	             CACHE_REMOVED);
	snprintf(snap_end, sizeof(snap_end), "\"removed\",\"watch\":%llu",
	         (unsigned long long)id_all);
	text = read_until(loop, &rd, snap_end);
	CHECK_MSG(text != NULL, "no removed event for the watch of everything");
	if (text && count(text, id_one, "removed", NULL) == 0) {
		free(text);
		snprintf(snap_end, sizeof(snap_end), "\"removed\",\"watch\":%llu",
		         (unsigned long long)id_one);
		text = read_until(loop, &rd, snap_end);
		CHECK_MSG(text != NULL, "no removed event for the watch of _a._tcp");
	}
	free(text);

	conn_env_fini(&env);
	close(sv[0]);
	watches_free(ws);
	cache_free(cache);
	ev_loop_destroy(loop);
	return test_summary();
}
