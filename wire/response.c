/* SPDX-License-Identifier: MIT */
/* Response, error and event lines: building (daemon) and parsing (client). */
#include "wire/response.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/utf8.h"

static const char *const event_names[_WIRE_EVENT_MAX] = {
        [WIRE_EVENT_ADDED] = "added",
        [WIRE_EVENT_CHANGED] = "changed",
        [WIRE_EVENT_REMOVED] = "removed",
        [WIRE_EVENT_SNAPSHOT_END] = "snapshot_end",
        [WIRE_EVENT_REGISTRATION] = "registration",
};

const char *wire_event_name(enum wire_event_type t)
{
	if ((unsigned)t >= _WIRE_EVENT_MAX)
		return NULL;
	return event_names[t];
}

static json_t *response_head(const json_t *id, bool ok)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	if ((id && json_object_set(o, "id", (json_t *)id) < 0) ||
	    json_object_set_new(o, "ok", json_boolean(ok)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *wire_response_ok(const json_t *id, json_t *body)
{
	json_t *o = NULL;

	if (body && !json_is_object(body))
		goto fail;
	o = response_head(id, true);
	if (!o || (body && json_object_update(o, body) < 0))
		goto fail;
	json_decref(body);
	return o;
fail:
	json_decref(body);
	json_decref(o);
	return NULL;
}

/* A copy of MSG made valid UTF-8 (utf8_scrub). */
static char *sanitize(const char *msg)
{
	char *s = strdup(msg);

	if (s)
		utf8_scrub(s, strlen(s));
	return s;
}

json_t *wire_response_error(const json_t *id, enum wire_code code, const char *msg)
{
	json_t *o = response_head(id, false), *e = json_object();
	char *clean = sanitize(msg ? msg : "");

	if (!o || !e || !clean ||
	    json_object_set_new(e, "code", json_string(wire_code_name(code))) ||
	    json_object_set_new(e, "message", json_string(clean)) < 0 ||
	    json_object_set(o, "error", e) < 0) {
		json_decref(o);
		o = NULL;
	}
	json_decref(e);
	free(clean);
	return o;
}

json_t *wire_event_new(enum wire_event_type t, uint64_t watch, const struct wire_instance *inst)
{
	const char *name = wire_event_name(t);
	json_t *o = json_object();

	if (!o || !name || json_object_set_new(o, "event", json_string(name)) < 0 ||
	    json_object_set_new(o, "watch", json_integer((json_int_t)watch)) < 0 ||
	    (inst && json_object_set_new(o, "instance", wire_instance_to_json(inst)) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *wire_registration_event(uint64_t id, const char *instance, const char *state)
{
	return json_pack("{s:s,s:I,s:s,s:s}", "event", event_names[WIRE_EVENT_REGISTRATION],
	                 "registration", (json_int_t)id, "instance", instance, "state", state);
}

static int parse_error(json_t *e, struct wire_message *msg, struct wire_err *err)
{
	json_t *code = json_object_get(e, "code"), *m = json_object_get(e, "message");

	if (!json_is_object(e) || !json_is_string(code))
		return wire_err_set(err, WIRE_BAD_REQUEST, "error response without \"code\"");
	wire_code_from_name(json_string_value(code), &msg->error.code);
	if (msg->error.code == WIRE_OK)
		msg->error.code = WIRE_INTERNAL;
	snprintf(msg->error.msg, sizeof(msg->error.msg), "%s",
	         json_is_string(m) ? json_string_value(m) : wire_code_name(msg->error.code));
	return 0;
}

static int parse_event(json_t *root, struct wire_message *msg, struct wire_err *err)
{
	json_t *ev = json_object_get(root, "event"), *w = json_object_get(root, "watch");
	const char *name = json_string_value(ev);
	unsigned i;

	for (i = 0; name && i < _WIRE_EVENT_MAX; i++)
		if (strcmp(name, event_names[i]) == 0)
			break;
	if (!name || i == _WIRE_EVENT_MAX)
		return wire_err_set(err, WIRE_BAD_REQUEST, "unknown event");
	if (i == WIRE_EVENT_REGISTRATION) {
		json_t *id = json_object_get(root, "registration");

		msg->kind = WIRE_MSG_EVENT;
		msg->event = WIRE_EVENT_REGISTRATION;
		msg->instance = json_object_get(root, "instance");
		if (!json_is_integer(id) || json_integer_value(id) < 1 ||
		    !json_is_string(msg->instance))
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "registration event without \"registration\" or "
			                    "\"instance\"");
		msg->registration = (uint64_t)json_integer_value(id);
		return 0;
	}
	if (!json_is_integer(w) || json_integer_value(w) < 0)
		return wire_err_set(err, WIRE_BAD_REQUEST, "event without a \"watch\" id");
	msg->kind = WIRE_MSG_EVENT;
	msg->event = (enum wire_event_type)i;
	msg->watch = (uint64_t)json_integer_value(w);
	msg->instance = json_object_get(root, "instance");
	msg->reason = json_string_value(json_object_get(root, "reason"));
	if (msg->event != WIRE_EVENT_SNAPSHOT_END && !json_is_object(msg->instance))
		return wire_err_set(err, WIRE_BAD_REQUEST, "event without an \"instance\"");
	return 0;
}

int wire_message_parse(const char *line, size_t len, struct wire_message *msg, struct wire_err *err)
{
	json_error_t jerr;
	json_t *ok;
	int r;

	memset(msg, 0, sizeof(*msg));
	if (len > WIRE_MAX_RESPONSE_LINE)
		return wire_err_set(err, WIRE_TOO_LARGE, "response line longer than %d bytes",
		                    WIRE_MAX_RESPONSE_LINE);
	msg->root = json_loadb(line, len, 0, &jerr);
	if (!msg->root)
		return wire_err_set(err, WIRE_BAD_REQUEST, "malformed JSON from daemon: %s",
		                    jerr.text);
	if (!json_is_object(msg->root)) {
		r = wire_err_set(err, WIRE_BAD_REQUEST, "line from daemon is not an object");
		goto fail;
	}
	if (json_object_get(msg->root, "event")) {
		r = parse_event(msg->root, msg, err);
		if (r < 0)
			goto fail;
		return 0;
	}
	msg->kind = WIRE_MSG_RESPONSE;
	msg->id = json_object_get(msg->root, "id");
	ok = json_object_get(msg->root, "ok");
	if (!json_is_boolean(ok)) {
		r = wire_err_set(err, WIRE_BAD_REQUEST, "response without \"ok\"");
		goto fail;
	}
	msg->ok = json_is_true(ok);
	if (!msg->ok) {
		r = parse_error(json_object_get(msg->root, "error"), msg, err);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	wire_message_clear(msg);
	return r;
}

void wire_message_clear(struct wire_message *msg)
{
	json_decref(msg->root);
	memset(msg, 0, sizeof(*msg));
}
