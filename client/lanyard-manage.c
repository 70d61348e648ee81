/* SPDX-License-Identifier: MIT */
/* liblanyard operations on this host's own declared services: ttl check reports and maintenance. */
#include "client/lanyard-private.h"

#include <stdlib.h>
#include <string.h>

#include "dnssd/utf8.h"

/* Send REQ (filled with OP, SERVICE and TEXT here) and wait for its ok. */
static int call_simple(struct lanyard *h, struct wire_request *req, enum wire_op op,
                       const char *service, const char *text)
{
	struct wire_message msg = {0};
	int r;

	req->op = op;
	req->filter.service = strdup(service);
	req->text = text ? strdup(text) : NULL;
	if (!req->filter.service || (text && !req->text))
		r = client_fail(h, LANYARD_E_NOMEM, "out of memory");
	else
		r = client_call(h, req, &msg);
	wire_message_clear(&msg);
	wire_request_clear(req);
	return r;
}

int lanyard_check(struct lanyard *h, const char *service, enum lanyard_check_status status,
                  const char *output)
{
	static const enum wire_check_status map[] = {
	        [LANYARD_CHECK_PASS] = WIRE_CHECK_PASS,
	        [LANYARD_CHECK_WARN] = WIRE_CHECK_WARN,
	        [LANYARD_CHECK_FAIL] = WIRE_CHECK_FAIL,
	};
	struct wire_request req;
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	wire_request_init(&req);
	if (!service || (unsigned)status > LANYARD_CHECK_FAIL) {
		r = client_fail(h, LANYARD_E_INVAL, "check needs a service and pass, warn or fail");
	} else if (output && strlen(output) > WIRE_MAX_OUTPUT) {
		r = client_fail(h, LANYARD_E_INVAL, "check output longer than %d bytes",
		                WIRE_MAX_OUTPUT);
	} else {
		/* A program's output need not be UTF-8: the report must still go. */
		char *clean = output ? strdup(output) : NULL;

		if (output && !clean) {
			r = client_fail(h, LANYARD_E_NOMEM, "out of memory");
		} else {
			if (clean)
				utf8_scrub(clean, strlen(clean));
			req.check_status = map[status];
			r = call_simple(h, &req, WIRE_OP_CHECK, service, clean);
		}
		free(clean);
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

int lanyard_maint(struct lanyard *h, const char *service, bool on, const char *reason)
{
	struct wire_request req;
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	wire_request_init(&req);
	if (!service) {
		r = client_fail(h, LANYARD_E_INVAL, "maint needs a service");
	} else if (reason && strlen(reason) > WIRE_MAX_STRING) {
		r = client_fail(h, LANYARD_E_INVAL, "maintenance reason longer than %d bytes",
		                WIRE_MAX_STRING);
	} else {
		req.maint_on = on;
		r = call_simple(h, &req, WIRE_OP_MAINT, service, reason);
	}
	pthread_mutex_unlock(&h->lock);
	return r;
}

int lanyard_register(struct lanyard *h, const char *service_json, uint64_t *ret_id,
                     char **ret_instance)
{
	struct wire_request req;
	struct wire_message msg = {0};
	json_t *id, *inst;
	int r;

	if (ret_instance)
		*ret_instance = NULL;
	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	wire_request_init(&req);
	req.op = WIRE_OP_REGISTER;
	if (!service_json || strlen(service_json) > WIRE_MAX_DECL) {
		r = client_fail(h, LANYARD_E_INVAL, "register needs a service of at most %d bytes",
		                WIRE_MAX_DECL);
	} else if (!(req.decl = strdup(service_json))) {
		r = client_fail(h, LANYARD_E_NOMEM, "out of memory");
	} else {
		r = client_call(h, &req, &msg);
		id = r == 0 ? json_object_get(msg.root, "registration") : NULL;
		inst = r == 0 ? json_object_get(msg.root, "instance") : NULL;
		if (r == 0 && (!json_is_integer(id) || !json_is_string(inst)))
			r = client_fail(h, LANYARD_E_PROTOCOL,
			                "register: no registration in the answer");
		if (r == 0) {
			*ret_id = (uint64_t)json_integer_value(id);
			if (ret_instance && !(*ret_instance = strdup(json_string_value(inst))))
				r = client_fail(h, LANYARD_E_NOMEM, "out of memory");
		}
	}
	wire_message_clear(&msg);
	wire_request_clear(&req);
	pthread_mutex_unlock(&h->lock);
	return r;
}

int lanyard_deregister(struct lanyard *h, uint64_t id)
{
	struct wire_request req;
	struct wire_message msg = {0};
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	wire_request_init(&req);
	req.op = WIRE_OP_DEREGISTER;
	req.registration = id;
	r = client_call(h, &req, &msg);
	wire_message_clear(&msg);
	wire_request_clear(&req);
	pthread_mutex_unlock(&h->lock);
	return r;
}
