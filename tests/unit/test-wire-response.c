/* SPDX-License-Identifier: MIT */
/* Unit tests of instance objects, responses and events (wire/instance.c,
 * wire/response.c): build -> print -> parse round trips. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/response.h"
#include "tests/unit/tap.h"

static const char *const addrs[] = {"192.0.2.5", "fe80::1%eth0"};
static const char *const tags[] = {"eu", "ssd"};
static const char *const ifaces[] = {"eth0"};

static void sample(struct wire_instance *in, struct wire_txt *txt)
{
	static const char raw[] = {'p', 'k', '=', (char)0xff, 0, 'x'};

	memset(in, 0, sizeof(*in));
	in->instance = "payments@hostb";
	in->service = "payments";
	in->type = "_payments._tcp";
	in->domain = "local";
	in->host = "hostb.local";
	in->addresses = addrs;
	in->n_addresses = 2;
	in->port = 8443;
	CHECK(wire_txt_split("version=2.4.1", 13, &txt[0]) == 0);
	CHECK(wire_txt_split("flag", 4, &txt[1]) == 0);
	CHECK(wire_txt_split("empty=", 6, &txt[2]) == 0);
	CHECK(wire_txt_split(raw, sizeof(raw), &txt[3]) == 0);
	CHECK(wire_txt_split("version=9.9.9", 13, &txt[4]) == 0); /* repeated: ignored */
	CHECK(wire_txt_split("note=caf\xc3\xa9", 10, &txt[5]) == 0);
	in->txt = txt;
	in->n_txt = 6;
	in->version = "2.4.1";
	in->weight = 5;
	in->priority = 1;
	in->tags = tags;
	in->n_tags = 2;
	in->interfaces = ifaces;
	in->n_interfaces = 1;
	in->local = true;
	in->first_seen = 1700000000.1234;
	in->last_changed = 1700000100.5;
}

static const struct wire_txt *find_txt(const struct wire_instance *in, const char *key)
{
	for (size_t i = 0; i < in->n_txt; i++)
		if (strcmp(in->txt[i].key, key) == 0)
			return &in->txt[i];
	return NULL;
}

static void test_txt_split(void)
{
	struct wire_txt t;

	CHECK(wire_txt_split("a=b=c", 5, &t) == 0 && t.key_len == 1 && t.value_len == 3 &&
	      memcmp(t.value, "b=c", 3) == 0);
	CHECK(wire_txt_split("=b", 2, &t) == -EINVAL);
	CHECK(wire_txt_split("", 0, &t) == -EINVAL);
	CHECK(wire_txt_split("k\x01y=v", 5, &t) == -EINVAL);
	CHECK(wire_txt_split("k\xc3\xa9=v", 5, &t) == -EINVAL);
}

static void test_instance_round_trip(void)
{
	struct wire_txt txt[6];
	struct wire_instance in, *out = NULL;
	struct wire_err err;
	json_t *j, *j2, *back;
	const struct wire_txt *t;
	char *text;

	sample(&in, txt);
	j = wire_instance_to_json(&in);
	CHECK(j != NULL);
	if (!j)
		return;
	text = json_dumps(j, WIRE_DUMP_FLAGS);
	CHECK(strstr(text, "\"txt\":{\"version\":\"2.4.1\",\"flag\":null,\"empty\":\"\","
	                   "\"note\":\"caf\xc3\xa9\"},\"txt_raw\":{\"pk\":\"/wB4\"}") != NULL);
	CHECK(strstr(text, "\"first_seen\":1700000000.123,") != NULL);
	CHECK(strstr(text, "\"last_changed\":1700000100.5}") != NULL);
	back = json_loads(text, 0, NULL);
	CHECK(wire_instance_from_json(back, &out, &err) == 0);
	if (out) {
		CHECK(strcmp(out->instance, "payments@hostb") == 0);
		CHECK(strcmp(out->type, "_payments._tcp") == 0);
		CHECK(out->n_addresses == 2 && strcmp(out->addresses[1], "fe80::1%eth0") == 0);
		CHECK(out->addresses[2] == NULL);
		CHECK(out->port == 8443 && out->weight == 5 && out->priority == 1 && out->local);
		CHECK(out->n_tags == 2 && strcmp(out->tags[0], "eu") == 0);
		CHECK(out->n_interfaces == 1 && strcmp(out->interfaces[0], "eth0") == 0);
		CHECK(strcmp(out->version, "2.4.1") == 0);
		CHECK(out->n_txt == 5);
		t = find_txt(out, "flag");
		CHECK(t && t->value == NULL);
		t = find_txt(out, "empty");
		CHECK(t && t->value && t->value_len == 0);
		t = find_txt(out, "pk");
		CHECK(t && t->value_len == 3 && memcmp(t->value, "\xff\0x", 3) == 0);
		t = find_txt(out, "version");
		CHECK(t && strcmp(t->value, "2.4.1") == 0);
		CHECK(out->first_seen > 1700000000.12 && out->first_seen < 1700000000.13);
		/* ... and printing the parsed copy gives the same object. */
		j2 = wire_instance_to_json(out);
		CHECK(json_equal(j, j2));
		json_decref(j2);
	}
	free(out);
	free(text);
	json_decref(back);
	json_decref(j);
}

static void test_instance_errors(void)
{
	static const char *const bad[] = {
	        "[]",
	        "{\"type\":\"_a._tcp\",\"port\":1,\"addresses\":[]}",
	        "{\"instance\":\"i\",\"type\":\"_a._tcp\",\"port\":70000,\"addresses\":[]}",
	        "{\"instance\":\"i\",\"type\":\"_a._tcp\",\"port\":1}",
	        "{\"instance\":\"i\",\"type\":\"_a._tcp\",\"port\":1,\"addresses\":[1]}",
	        "{\"instance\":\"i\",\"type\":\"_a._tcp\",\"port\":1,\"addresses\":[],\"txt\":{"
	        "\"a\":1}}",
	        "{\"instance\":\"i\",\"type\":\"_a._tcp\",\"port\":1,\"addresses\":[],"
	        "\"txt_raw\":{\"a\":\"abc\"}}",
	        "{\"instance\":\"i\",\"type\":\"_a._tcp\",\"port\":1,\"addresses\":[],\"local\":1}",
	        "{\"instance\":\"i\",\"type\":\"_a._tcp\",\"port\":1,\"addresses\":[],\"weight\":-"
	        "1}",
	};
	struct wire_instance *out;
	struct wire_err err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);

		CHECK(j != NULL);
		if (!CHECK_MSG(wire_instance_from_json(j, &out, &err) == -EINVAL && out == NULL,
		               "accepted %s", bad[i]))
			free(out);
		json_decref(j);
	}
	/* Minimal instance with defaults; unknown members are ignored. */
	{
		json_t *j = json_loads("{\"instance\":\"i\",\"type\":\"_a._tcp\",\"port\":1,"
		                       "\"addresses\":[],\"future\":{\"x\":1}}",
		                       0, NULL);

		CHECK(wire_instance_from_json(j, &out, &err) == 0);
		CHECK(out && out->weight == 1 && out->priority == 0 && !out->local &&
		      out->version == NULL && out->n_txt == 0 && out->n_addresses == 0);
		free(out);
		json_decref(j);
	}
}

static struct wire_message parse_line(const char *line, int want)
{
	struct wire_message m;
	struct wire_err err;
	int r = wire_message_parse(line, strlen(line), &m, &err);

	CHECK_MSG(r == want, "%s: r=%d (%s)", line, r, err.msg);
	return m;
}

static void test_responses(void)
{
	json_t *id = json_string("req-1"), *body, *msg;
	struct wire_message m;
	char *line;
	size_t len;

	body = json_pack("{s:i}", "watch", 4);
	msg = wire_response_ok(id, body);
	line = wire_dump_line(msg, &len);
	CHECK(strcmp(line, "{\"id\":\"req-1\",\"ok\":true,\"watch\":4}\n") == 0);
	CHECK(len == strlen(line));
	m = parse_line(line, 0);
	CHECK(m.kind == WIRE_MSG_RESPONSE && m.ok && json_equal(m.id, id));
	CHECK(json_integer_value(json_object_get(m.root, "watch")) == 4);
	wire_message_clear(&m);
	free(line);
	json_decref(msg);

	CHECK(wire_response_ok(id, json_array()) == NULL);

	msg = wire_response_error(NULL, WIRE_NOT_FOUND, "no instance of \"x\" \xff");
	line = wire_dump_line(msg, NULL);
	CHECK(strcmp(line, "{\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":"
	                   "\"no instance of \\\"x\\\" ?\"}}\n") == 0);
	m = parse_line(line, 0);
	CHECK(!m.ok && m.id == NULL && m.error.code == WIRE_NOT_FOUND &&
	      strcmp(m.error.msg, "no instance of \"x\" ?") == 0);
	wire_message_clear(&m);
	free(line);
	json_decref(msg);

	m = parse_line("{\"ok\":false,\"error\":{\"code\":\"from_the_future\",\"message\":\"m\"}}",
	               0);
	CHECK(m.error.code == WIRE_INTERNAL && strcmp(m.error.msg, "m") == 0);
	wire_message_clear(&m);
	m = parse_line("{\"ok\":false,\"error\":{\"code\":\"ok\"}}", 0);
	CHECK(m.error.code == WIRE_INTERNAL);
	wire_message_clear(&m);

	m = parse_line("{\"id\":1}", -EINVAL);
	CHECK(m.root == NULL);
	m = parse_line("{\"ok\":false}", -EINVAL);
	m = parse_line("nope", -EINVAL);
	m = parse_line("[true]", -EINVAL);
	m = parse_line("{\"event\":\"exploded\",\"watch\":1}", -EINVAL);
	m = parse_line("{\"event\":\"added\",\"watch\":1}", -EINVAL);
	m = parse_line("{\"event\":\"added\",\"instance\":{}}", -EINVAL);
	json_decref(id);
}

static void test_events(void)
{
	struct wire_txt txt[6];
	struct wire_instance in, *out = NULL;
	struct wire_message m;
	struct wire_err err;
	json_t *ev;
	char *line;

	sample(&in, txt);
	ev = wire_event_new(WIRE_EVENT_CHANGED, 3, &in);
	line = wire_dump_line(ev, NULL);
	{
		const char *head = "{\"event\":\"changed\",\"watch\":3,\"instance\":{";

		CHECK(strncmp(line, head, strlen(head)) == 0);
	}
	m = parse_line(line, 0);
	CHECK(m.kind == WIRE_MSG_EVENT && m.event == WIRE_EVENT_CHANGED && m.watch == 3);
	CHECK(wire_instance_from_json(m.instance, &out, &err) == 0);
	CHECK(out && strcmp(out->host, "hostb.local") == 0);
	free(out);
	wire_message_clear(&m);
	free(line);
	json_decref(ev);

	ev = wire_event_new(WIRE_EVENT_SNAPSHOT_END, 3, NULL);
	line = wire_dump_line(ev, NULL);
	CHECK(strcmp(line, "{\"event\":\"snapshot_end\",\"watch\":3}\n") == 0);
	m = parse_line(line, 0);
	CHECK(m.kind == WIRE_MSG_EVENT && m.event == WIRE_EVENT_SNAPSHOT_END && !m.instance);
	wire_message_clear(&m);
	free(line);
	json_decref(ev);
	CHECK(wire_event_new(_WIRE_EVENT_MAX, 1, NULL) == NULL);

	/* A registration renamed after a collision. */
	ev = wire_registration_event(7, "web #2", "collision");
	line = wire_dump_line(ev, NULL);
	CHECK(strcmp(line, "{\"event\":\"registration\",\"registration\":7,\"instance\":\"web "
	                   "#2\",\"state\":\"collision\"}\n") == 0);
	m = parse_line(line, 0);
	CHECK(m.kind == WIRE_MSG_EVENT && m.event == WIRE_EVENT_REGISTRATION &&
	      m.registration == 7 && json_is_string(m.instance));
	wire_message_clear(&m);
	free(line);
	json_decref(ev);
	parse_line("{\"event\":\"registration\",\"registration\":0,\"instance\":\"x\"}", -EINVAL);
	parse_line("{\"event\":\"registration\",\"registration\":3,\"instance\":{}}", -EINVAL);
}

static void test_services(void)
{
	struct wire_service s[2] = {{"payments", "_payments._tcp", 3, true},
	                            {"http", "_http._tcp", 0, false}};
	struct wire_service *out;
	struct wire_err err;
	size_t n;
	json_t *a = json_array();

	json_array_append_new(a, wire_service_to_json(&s[0]));
	json_array_append_new(a, wire_service_to_json(&s[1]));
	CHECK(wire_services_from_json(a, &out, &n, &err) == 0);
	CHECK(n == 2 && strcmp(out[0].service, "payments") == 0 && out[0].instances == 3 &&
	      out[0].local && strcmp(out[1].type, "_http._tcp") == 0 && !out[1].local);
	free(out);
	json_array_append_new(a, json_string("x"));
	CHECK(wire_services_from_json(a, &out, &n, &err) == -EINVAL && out == NULL);
	json_decref(a);
}

int main(void)
{
	test_txt_split();
	test_instance_round_trip();
	test_instance_errors();
	test_responses();
	test_events();
	test_services();
	return test_summary();
}
