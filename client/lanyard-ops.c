/* SPDX-License-Identifier: MIT */
/* liblanyard operations (list, resolve, report, services, status, watch)
 * and the mapping between wire/ structs and the public ones. */
#include "client/lanyard-private.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A public instance and the wire block its pointers borrow from. */
struct instance_box {
	struct lanyard_instance pub; /* first: the public pointer is the box */
	struct wire_instance *w;
	struct lanyard_txt txt[];
};

struct service_box {
	struct lanyard_service_list pub;
	struct wire_service *w;
};

void lanyard_instance_free(struct lanyard_instance *inst)
{
	struct instance_box *b = (struct instance_box *)inst;

	if (!b)
		return;
	free(b->w);
	free(b);
}

void lanyard_instance_list_free(struct lanyard_instance_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++)
		lanyard_instance_free(list->items[i]);
	free(list->items);
	free(list);
}

void lanyard_service_list_free(struct lanyard_service_list *list)
{
	struct service_box *b = (struct service_box *)list;

	if (!b)
		return;
	free(b->pub.items);
	free(b->w);
	free(b);
}

void lanyard_event_free(struct lanyard_event *ev)
{
	if (!ev)
		return;
	lanyard_instance_free(ev->instance);
	free(ev->reason);
	free(ev->renamed);
	free(ev);
}

int client_instance_from_json(struct lanyard *h, const json_t *o, struct lanyard_instance **ret)
{
	struct wire_instance *w;
	struct instance_box *b;
	struct wire_err err;
	int r;

	*ret = NULL;
	r = wire_instance_from_json(o, &w, &err);
	if (r == -ENOMEM)
		return client_fail(h, LANYARD_E_NOMEM, "out of memory");
	if (r < 0)
		return client_fail(h, LANYARD_E_PROTOCOL, "%s", err.msg);
	b = calloc(1, sizeof(*b) + w->n_txt * sizeof(b->txt[0]));
	if (!b) {
		free(w);
		return client_fail(h, LANYARD_E_NOMEM, "out of memory");
	}
	b->w = w;
	b->pub = (struct lanyard_instance){
	        .instance = w->instance,
	        .service = w->service,
	        .type = w->type,
	        .domain = w->domain,
	        .host = w->host,
	        .addresses = w->addresses,
	        .n_addresses = w->n_addresses,
	        .port = w->port,
	        .txt = b->txt,
	        .n_txt = w->n_txt,
	        .version = w->version,
	        .weight = w->weight,
	        .priority = w->priority,
	        .tags = w->tags,
	        .n_tags = w->n_tags,
	        .interfaces = w->interfaces,
	        .n_interfaces = w->n_interfaces,
	        .local = w->local,
	        .first_seen = w->first_seen,
	        .last_changed = w->last_changed,
	};
	for (size_t i = 0; i < w->n_txt; i++) {
		b->txt[i].key = w->txt[i].key;
		b->txt[i].value = w->txt[i].value;
		b->txt[i].value_len = w->txt[i].value_len;
	}
	*ret = &b->pub;
	return 0;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

int client_fill_filter(struct lanyard *h, const struct lanyard_filter *f, struct wire_request *req)
{
	struct wire_filter *wf = &req->filter;
	struct wire_err err;
	bool oom = false;

	if (!f)
		return 0;
	if (f->family > LANYARD_FAMILY_IPV6 || (f->n_tags && !f->tags) || (f->n_txt && !f->txt))
		return client_fail(h, LANYARD_E_INVAL, "invalid filter");
	if (f->version && wire_filter_set_version(wf, f->version, &err) < 0)
		return client_fail(h, err.code == WIRE_INTERNAL ? LANYARD_E_NOMEM : LANYARD_E_INVAL,
		                   "%s", err.msg);
	wf->service = dup_or_null(f->service, &oom);
	wf->instance = dup_or_null(f->instance, &oom);
	wf->domain = dup_or_null(f->domain, &oom);
	wf->family = f->family == LANYARD_FAMILY_IPV4   ? WIRE_FAMILY_IPV4
	             : f->family == LANYARD_FAMILY_IPV6 ? WIRE_FAMILY_IPV6
	                                                : WIRE_FAMILY_ANY;
	if (f->n_tags) {
		wf->tags = calloc(f->n_tags, sizeof(char *));
		oom |= !wf->tags;
		for (size_t i = 0; wf->tags && i < f->n_tags; i++) {
			if (!f->tags[i])
				return client_fail(h, LANYARD_E_INVAL, "NULL tag in filter");
			wf->tags[i] = dup_or_null(f->tags[i], &oom);
			wf->n_tags++;
		}
	}
	if (f->n_txt) {
		wf->txt = calloc(f->n_txt, sizeof(*wf->txt));
		oom |= !wf->txt;
		for (size_t i = 0; wf->txt && i < f->n_txt; i++) {
			if (!f->txt[i].key || !f->txt[i].value)
				return client_fail(h, LANYARD_E_INVAL, "NULL TXT key or value");
			wf->txt[i].key = dup_or_null(f->txt[i].key, &oom);
			wf->txt[i].value = dup_or_null(f->txt[i].value, &oom);
			wf->n_txt++;
		}
	}
	return oom ? client_fail(h, LANYARD_E_NOMEM, "out of memory") : 0;
}

/* Call (H locked) and count watches on the current connection. */
static int call(struct lanyard *h, struct wire_request *req, struct wire_message *msg)
{
	int r = client_call(h, req, msg);

	if (r == 0 && req->op == WIRE_OP_WATCH)
		h->n_watches++;
	if (r == 0 && req->op == WIRE_OP_UNWATCH && h->n_watches > 0)
		h->n_watches--;
	return r;
}

static int do_list(struct lanyard *h, const struct lanyard_filter *f,
                   struct lanyard_instance_list **ret)
{
	struct lanyard_instance_list *list = NULL;
	struct wire_request req;
	struct wire_message msg = {0};
	const json_t *arr, *o;
	size_t i;
	int r;

	*ret = NULL;
	wire_request_init(&req);
	req.op = WIRE_OP_LIST;
	r = client_fill_filter(h, f, &req);
	if (r == 0)
		r = call(h, &req, &msg);
	if (r < 0)
		goto out;
	arr = json_object_get(msg.root, WIRE_KEY_INSTANCES);
	list = calloc(1, sizeof(*list));
	if (!list || !json_is_array(arr)) {
		r = list ? client_fail(h, LANYARD_E_PROTOCOL, "list response without instances")
		         : client_fail(h, LANYARD_E_NOMEM, "out of memory");
		goto out;
	}
	list->items = calloc(json_array_size(arr) + 1, sizeof(*list->items));
	if (!list->items) {
		r = client_fail(h, LANYARD_E_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(arr, i, o)
	{
		r = client_instance_from_json(h, o, &list->items[i]);
		if (r < 0)
			goto out;
		list->n++;
	}
	*ret = list;
	list = NULL;
out:
	lanyard_instance_list_free(list);
	wire_message_clear(&msg);
	wire_request_clear(&req);
	return r;
}

int client_resolve_unlocked(struct lanyard *h, const struct lanyard_filter *f, const char *policy,
                            const char *key, unsigned flags, struct lanyard_instance **ret)
{
	struct wire_request req;
	struct wire_message msg = {0};
	bool oom = false;
	int r;

	*ret = NULL;
	if (!f || !f->service)
		return client_fail(h, LANYARD_E_INVAL, "resolve needs a service");
	wire_request_init(&req);
	req.op = WIRE_OP_RESOLVE;
	req.policy = dup_or_null(policy, &oom);
	req.key = dup_or_null(key, &oom);
	req.prefer_local = flags & LANYARD_PREFER_LOCAL;
	req.prefer_any_domain = flags & LANYARD_ANY_DOMAIN;
	r = oom ? client_fail(h, LANYARD_E_NOMEM, "out of memory") : client_fill_filter(h, f, &req);
	if (r == 0)
		r = call(h, &req, &msg);
	if (r == 0)
		r = client_instance_from_json(h, json_object_get(msg.root, WIRE_KEY_INSTANCE), ret);
	wire_message_clear(&msg);
	wire_request_clear(&req);
	return r;
}

int client_report_unlocked(struct lanyard *h, const char *service, const char *instance, bool ok,
                           double latency_ms)
{
	struct wire_request req;
	struct wire_message msg = {0};
	bool oom = false;
	int r;

	if (!instance)
		return client_fail(h, LANYARD_E_INVAL, "report needs an instance");
	wire_request_init(&req);
	req.op = WIRE_OP_REPORT;
	req.filter.service = dup_or_null(service, &oom);
	req.filter.instance = dup_or_null(instance, &oom);
	req.result_ok = ok;
	req.has_latency = latency_ms >= 0 && isfinite(latency_ms);
	req.latency_ms = req.has_latency ? latency_ms : 0;
	r = oom ? client_fail(h, LANYARD_E_NOMEM, "out of memory") : call(h, &req, &msg);
	wire_message_clear(&msg);
	wire_request_clear(&req);
	return r;
}

static int do_services(struct lanyard *h, struct lanyard_service_list **ret)
{
	struct wire_request req;
	struct wire_message msg = {0};
	struct service_box *b = NULL;
	struct wire_service *w = NULL;
	struct wire_err err;
	size_t n = 0;
	int r;

	*ret = NULL;
	wire_request_init(&req);
	req.op = WIRE_OP_SERVICES;
	r = call(h, &req, &msg);
	if (r < 0)
		goto out;
	r = wire_services_from_json(json_object_get(msg.root, WIRE_KEY_SERVICES), &w, &n, &err);
	if (r < 0) {
		r = client_fail(h, r == -ENOMEM ? LANYARD_E_NOMEM : LANYARD_E_PROTOCOL, "%s",
		                err.msg);
		goto out;
	}
	b = calloc(1, sizeof(*b));
	if (b)
		b->pub.items = calloc(n + 1, sizeof(*b->pub.items));
	if (!b || !b->pub.items) {
		free(b);
		free(w);
		r = client_fail(h, LANYARD_E_NOMEM, "out of memory");
		goto out;
	}
	b->w = w;
	b->pub.n = n;
	for (size_t i = 0; i < n; i++)
		b->pub.items[i] = (struct lanyard_service){w[i].service, w[i].type, w[i].instances,
		                                           w[i].local};
	*ret = &b->pub;
out:
	wire_message_clear(&msg);
	wire_request_clear(&req);
	return r;
}

static int do_status(struct lanyard *h, char **ret_json)
{
	struct wire_request req;
	struct wire_message msg = {0};
	const json_t *st;
	int r;

	*ret_json = NULL;
	wire_request_init(&req);
	req.op = WIRE_OP_STATUS;
	r = call(h, &req, &msg);
	if (r == 0) {
		st = json_object_get(msg.root, WIRE_KEY_STATUS);
		*ret_json = st ? json_dumps(st, WIRE_DUMP_FLAGS) : NULL;
		if (!*ret_json)
			r = client_fail(h, st ? LANYARD_E_NOMEM : LANYARD_E_PROTOCOL,
			                "status response without status");
	}
	wire_message_clear(&msg);
	wire_request_clear(&req);
	return r;
}

static int do_watch(struct lanyard *h, const struct lanyard_filter *f, uint64_t *ret_watch)
{
	struct wire_request req;
	struct wire_message msg = {0};
	const json_t *w;
	int r;

	wire_request_init(&req);
	req.op = WIRE_OP_WATCH;
	r = client_fill_filter(h, f, &req);
	if (r == 0)
		r = call(h, &req, &msg);
	if (r == 0) {
		w = json_object_get(msg.root, WIRE_KEY_WATCH);
		if (!json_is_integer(w) || json_integer_value(w) < 1)
			r = client_fail(h, LANYARD_E_PROTOCOL, "watch response without an id");
		else if (ret_watch)
			*ret_watch = (uint64_t)json_integer_value(w);
	}
	wire_message_clear(&msg);
	wire_request_clear(&req);
	return r;
}

static int do_unwatch(struct lanyard *h, uint64_t watch)
{
	struct wire_request req;
	struct wire_message msg = {0};
	int r;

	wire_request_init(&req);
	req.op = WIRE_OP_UNWATCH;
	req.watch = watch;
	r = call(h, &req, &msg);
	wire_message_clear(&msg);
	wire_request_clear(&req);
	return r;
}

int lanyard_list(struct lanyard *h, const struct lanyard_filter *f,
                 struct lanyard_instance_list **ret)
{
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	r = do_list(h, f, ret);
	pthread_mutex_unlock(&h->lock);
	return r;
}

int lanyard_resolve(struct lanyard *h, const struct lanyard_filter *f, const char *policy,
                    const char *key, unsigned flags, struct lanyard_instance **ret)
{
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	r = client_resolve_unlocked(h, f, policy, key, flags, ret);
	pthread_mutex_unlock(&h->lock);
	return r;
}

int lanyard_report(struct lanyard *h, const char *service, const char *instance, bool ok,
                   double latency_ms)
{
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	r = client_report_unlocked(h, service, instance, ok, latency_ms);
	pthread_mutex_unlock(&h->lock);
	return r;
}

int lanyard_services(struct lanyard *h, struct lanyard_service_list **ret)
{
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	r = do_services(h, ret);
	pthread_mutex_unlock(&h->lock);
	return r;
}

int lanyard_status(struct lanyard *h, char **ret_json)
{
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	r = do_status(h, ret_json);
	pthread_mutex_unlock(&h->lock);
	return r;
}

int lanyard_watch(struct lanyard *h, const struct lanyard_filter *f, uint64_t *ret_watch)
{
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	r = do_watch(h, f, ret_watch);
	pthread_mutex_unlock(&h->lock);
	return r;
}

int lanyard_unwatch(struct lanyard *h, uint64_t watch)
{
	int r;

	pthread_mutex_lock(&h->lock);
	h->err[0] = '\0';
	r = do_unwatch(h, watch);
	pthread_mutex_unlock(&h->lock);
	return r;
}

/* Turn one event line into a public event. */
static int event_from_line(struct lanyard *h, const char *line, size_t len,
                           struct lanyard_event **ret)
{
	static const enum lanyard_event_type types[] = {
	        [WIRE_EVENT_ADDED] = LANYARD_EVENT_ADDED,
	        [WIRE_EVENT_CHANGED] = LANYARD_EVENT_CHANGED,
	        [WIRE_EVENT_REMOVED] = LANYARD_EVENT_REMOVED,
	        [WIRE_EVENT_SNAPSHOT_END] = LANYARD_EVENT_SNAPSHOT_END,
	        [WIRE_EVENT_REGISTRATION] = LANYARD_EVENT_REGISTRATION,
	};
	struct wire_message msg;
	struct wire_err err;
	struct lanyard_event *ev;
	int r = 0;

	if (wire_message_parse(line, len, &msg, &err) < 0)
		return client_fail(h, LANYARD_E_PROTOCOL, "%s", err.msg);
	if (msg.kind != WIRE_MSG_EVENT) {
		wire_message_clear(&msg);
		return client_fail(h, LANYARD_E_PROTOCOL, "response without a request");
	}
	ev = calloc(1, sizeof(*ev));
	if (!ev) {
		wire_message_clear(&msg);
		return client_fail(h, LANYARD_E_NOMEM, "out of memory");
	}
	ev->type = types[msg.event];
	ev->watch = msg.watch;
	if (msg.event == WIRE_EVENT_REGISTRATION) {
		ev->registration = msg.registration;
		if (!(ev->renamed = strdup(json_string_value(msg.instance))))
			r = client_fail(h, LANYARD_E_NOMEM, "out of memory");
	} else if (msg.instance) {
		r = client_instance_from_json(h, msg.instance, &ev->instance);
	}
	if (r == 0 && msg.reason && !(ev->reason = strdup(msg.reason)))
		r = client_fail(h, LANYARD_E_NOMEM, "out of memory");
	wire_message_clear(&msg);
	if (r < 0) {
		lanyard_event_free(ev);
		return r;
	}
	*ret = ev;
	return 0;
}

int lanyard_next_event(struct lanyard *h, int timeout_ms, struct lanyard_event **ret)
{
	char *line = NULL;
	size_t len;
	int r;

	*ret = NULL;
	pthread_mutex_lock(&h->lock);
	if (h->events) {
		struct queued_line *q = h->events;

		h->events = q->next;
		if (!h->events)
			h->events_tail = &h->events;
		h->n_events--;
		r = event_from_line(h, q->line, q->len, ret);
		free(q);
		goto out;
	}
	if (h->lost) {
		h->lost = false;
		r = client_fail(h, LANYARD_E_IO, "connection to the agent lost; watches ended");
		goto out;
	}
	r = client_read_line(h, timeout_ms, &line, &len);
	if (r == LANYARD_E_IO)
		h->lost = false; /* reported right now */
	if (r == 0) {
		free(h->last_line);
		h->last_line = strdup(line);
		r = event_from_line(h, line, len, ret);
	}
out:
	free(line);
	pthread_mutex_unlock(&h->lock);
	return r;
}
