/* SPDX-License-Identifier: MIT */
/* A fake lanyardd for the client tests (see test-client-fake.h). */
#include "tests/unit/test-client-fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/response.h"

struct fake {
	struct ev_loop *loop;
	uint16_t alive_port;
	unsigned resolves;
	json_t *reports; /* every report request, as JSON */
	json_t *managed; /* every check and maint request, as JSON */
};

struct fake_watch {
	ev_timer timer;
	struct ev_loop *loop;
	struct conn *c;
	uint64_t id;
};

static const char *const addr_local[] = {"127.0.0.1"};
static const char *const tags_eu[] = {"eu"};
static const char *const ifaces[] = {"lo"};

static void instance(struct fake *f, bool alive, const char *version, struct wire_instance *in,
                     struct wire_txt *txt)
{
	static const char raw[] = {'b', 'i', 'n', '=', 1, (char)0xfe};

	memset(in, 0, sizeof(*in));
	in->instance = alive ? "payments@hosta" : "payments@hostb";
	in->service = "payments";
	in->type = "_payments._tcp";
	in->domain = "local";
	in->host = alive ? "hosta.local" : "hostb.local";
	in->addresses = addr_local;
	in->n_addresses = 1;
	in->port = alive ? f->alive_port : 1;
	wire_txt_split("path=/v2", 8, &txt[0]);
	wire_txt_split(raw, sizeof(raw), &txt[1]);
	in->txt = txt;
	in->n_txt = 2;
	in->version = version;
	in->weight = alive ? 5 : 1;
	in->priority = alive ? 0 : 1;
	in->tags = tags_eu;
	in->n_tags = alive ? 1 : 0;
	in->interfaces = ifaces;
	in->n_interfaces = 1;
	in->local = alive;
	in->first_seen = 1700000000.25;
	in->last_changed = 1700000001.5;
}

static json_t *instance_json(struct fake *f, bool alive, const char *version)
{
	struct wire_instance in;
	struct wire_txt txt[2];

	instance(f, alive, version, &in, txt);
	return wire_instance_to_json(&in);
}

/* A bare instance of SERVICE, for the exec and fanout tests. */
static json_t *bare_json(const char *name, const char *service, const char *host, uint16_t port,
                         const char *const *addrs, size_t n_addrs)
{
	struct wire_instance in = {0};
	char type[64];

	snprintf(type, sizeof(type), "_%s._tcp", service);
	in.instance = name;
	in.service = service;
	in.type = type;
	in.domain = "local";
	in.host = host;
	in.addresses = addrs;
	in.n_addresses = n_addrs;
	in.port = port;
	in.weight = 1;
	return wire_instance_to_json(&in);
}

static const char *const addr_v4[] = {"127.0.0.1"};
static const char *const addr_v6_v4[] = {"::1", "127.0.0.1"};
static const char *const addr_zoned[] = {"fe80::1%2"};

/* list "fan" (3, out of name order, one with a zoned address only, one
 * without host), "fanhostile", "sticky"; NULL for other services. */
static json_t *exec_list(const char *svc)
{
	if (strcmp(svc, "fan") == 0)
		return json_pack("[ooo]", bare_json("fan@c", "fan", NULL, 1003, addr_v4, 1),
		                 bare_json("fan@a", "fan", "a.local", 1001, addr_v6_v4, 2),
		                 bare_json("fan@b", "fan", "b.local", 1002, addr_zoned, 1));
	if (strcmp(svc, "fanhostile") == 0)
		return json_pack("[o]", bare_json("evil\x1b[2J\nforged", "fanhostile", "e.local",
		                                  1004, addr_v4, 1));
	if (strcmp(svc, "sticky") == 0)
		return json_pack("[oo]", bare_json("sticky@a", "sticky", "a.local", 1, addr_v4, 1),
		                 bare_json("sticky@b", "sticky", "b.local", 2, addr_v4, 1));
	return NULL;
}

static void send_event(struct fake *f, struct conn *c, enum wire_event_type t, uint64_t id,
                       const char *version)
{
	struct wire_instance in;
	struct wire_txt txt[2];
	json_t *ev;

	instance(f, true, version, &in, txt);
	ev = wire_event_new(t, id, t == WIRE_EVENT_SNAPSHOT_END ? NULL : &in);
	conn_send_json(c, ev);
	json_decref(ev);
}

static void watch_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fake_watch *fw = (struct fake_watch *)w;
	struct fake *f = w->data;

	send_event(f, fw->c, WIRE_EVENT_CHANGED, fw->id, "2.5.0");
	send_event(f, fw->c, WIRE_EVENT_REMOVED, fw->id, "2.5.0");
}

static void watch_destroy(void *data)
{
	struct fake_watch *fw = data;

	ev_timer_stop(fw->loop, &fw->timer);
	free(fw);
}

static void handle_resolve(struct fake *f, struct conn *c, const struct wire_request *req)
{
	const char *svc = req->filter.service;

	if (strcmp(svc, "slow") == 0) {
		conn_hold(c, req, NULL, NULL); /* never answered */
	} else if (strcmp(svc, "payments") == 0) {
		struct wire_instance in;
		struct wire_txt txt[2];

		instance(f, true, "2.4.1", &in, txt);
		conn_reply_ok(c, req, json_pack("{s:o}", "instance", wire_instance_to_json(&in)));
	} else if (strcmp(svc, "sticky") == 0) {
		/* Like a hash policy: always the same pick, whatever failed. */
		conn_reply_ok(c, req,
		              json_pack("{s:o}", "instance",
		                        bare_json("sticky@a", "sticky", "a.local", 1, addr_v4, 1)));
	} else if (strcmp(svc, "flaky") == 0) {
		bool alive = f->resolves++ % 2 == 1;

		conn_reply_ok(c, req,
		              json_pack("{s:o}", "instance", instance_json(f, alive, NULL)));
	} else {
		conn_reply_error(c, req, WIRE_NOT_FOUND, "no instance of \"%s\"", svc);
	}
}

static void handler(void *userdata, struct conn *c, const struct wire_request *req)
{
	struct fake *f = userdata;
	struct fake_watch *fw;
	json_t *list;
	json_t *seen = wire_request_to_json(req);

	json_object_del(seen, "id");
	switch (req->op) {
	case WIRE_OP_LIST:
		if (req->filter.service && (list = exec_list(req->filter.service))) {
			conn_reply_ok(c, req, json_pack("{s:o}", "instances", list));
		} else if (req->filter.service && strcmp(req->filter.service, "none") == 0) {
			conn_reply_ok(c, req, json_pack("{s:[],s:O}", "instances", "seen", seen));
		} else if (req->filter.service && strcmp(req->filter.service, "hostile") == 0) {
			/* A name from a hostile LAN: a terminal escape and a newline. */
			json_t *in = instance_json(f, true, "2.4.1");

			json_object_set_new(in, "instance", json_string("evil\x1b[2J\nforged"));
			conn_reply_ok(c, req,
			              json_pack("{s:[o],s:O}", "instances", in, "seen", seen));
		} else
			conn_reply_ok(c, req,
			              json_pack("{s:[oo],s:O}", "instances",
			                        instance_json(f, true, "2.4.1"),
			                        instance_json(f, false, NULL), "seen", seen));
		break;
	case WIRE_OP_RESOLVE:
		handle_resolve(f, c, req);
		break;
	case WIRE_OP_REPORT:
		json_array_append(f->reports, seen);
		conn_reply_ok(c, req, NULL);
		break;
	case WIRE_OP_CHECK:
	case WIRE_OP_MAINT:
		/* this host declares payments, with a ttl check */
		if (strcmp(req->filter.service, "payments") == 0) {
			json_array_append(f->managed, seen);
			conn_reply_ok(c, req, NULL);
		} else {
			conn_reply_error(c, req, WIRE_NOT_FOUND, "no declared service \"%s\"",
			                 req->filter.service);
		}
		break;
	case WIRE_OP_SERVICES:
		conn_reply_ok(c, req,
		              json_pack("{s:[{s:s,s:s,s:i,s:b},{s:s,s:s,s:i,s:b}]}", "services",
		                        "service", "payments", "type", "_payments._tcp",
		                        "instances", 2, "local", 1, "service", "http", "type",
		                        "_http._tcp", "instances", 0, "local", 0));
		break;
	case WIRE_OP_STATUS:
		conn_reply_ok(c, req,
		              json_pack("{s:{s:O,s:s,s:O}}", "status", "reports", f->reports,
		                        "agent", "fake", "managed", f->managed));
		break;
	case WIRE_OP_WATCH:
		fw = calloc(1, sizeof(*fw));
		fw->c = c;
		fw->loop = f->loop;
		fw->id = conn_watch_add(c, fw, watch_destroy);
		ev_timer_init(&fw->timer, watch_timer_cb, 0.05, 0);
		fw->timer.data = f;
		ev_timer_start(f->loop, &fw->timer);
		conn_reply_ok(c, req, json_pack("{s:I}", "watch", (json_int_t)fw->id));
		send_event(f, c, WIRE_EVENT_ADDED, fw->id, "2.4.1");
		send_event(f, c, WIRE_EVENT_SNAPSHOT_END, fw->id, NULL);
		break;
	case WIRE_OP_UNWATCH:
		if (conn_watch_remove(c, req->watch) < 0)
			conn_reply_error(c, req, WIRE_NOT_FOUND, "no such watch");
		else
			conn_reply_ok(c, req, NULL);
		break;
	default:
		conn_reply_error(c, req, WIRE_UNKNOWN_OP, "not here");
	}
	json_decref(seen);
}

static void fake_setup(void *userdata, struct ev_loop *loop, struct server *srv)
{
	struct fake *f = userdata;

	f->loop = loop;
	f->reports = json_array();
	f->managed = json_array();
}

static void fake_teardown(void *userdata)
{
	struct fake *f = userdata;

	json_decref(f->reports);
	json_decref(f->managed);
}

static const struct server_child_ops fake_ops = {
        .handler = handler, .setup = fake_setup, .teardown = fake_teardown};

/* Contract in test-client-fake.h. */
pid_t fake_start(const char *path, uint16_t alive_port)
{
	struct fake f = {.alive_port = alive_port};

	return server_child_start(path, 0600, NULL, &fake_ops, &f);
}
