/* SPDX-License-Identifier: MIT */
/* The consumer socket's operations, answered from the cache and the selector.
 * A request naming a service that is not browsed yet starts its browse and
 * is held (the connection's later requests wait behind it) until the first
 * pass settles or agent.browse_timeout passes. resolve is agent/ops-resolve.c. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/checks.h"
#include "agent/discover.h"
#include "agent/log.h"
#include "agent/metrics.h"
#include "agent/ops-private.h"
#include "agent/ops.h"
#include "agent/peers.h"
#include "agent/present.h"
#include "agent/pubset.h"
#include "agent/register.h"
#include "agent/watch.h"
#include "dnssd/clock.h"
#include "wire/response.h"

/* A request held while its service's first browse runs. */
struct held {
	struct agent *agent;
	struct conn *conn;
	struct wire_request req; /* deep copy */
	struct discover_wait *wait;
	double started; /* clock_mono() at arrival, for the latency */
};

/* An operation: 0 with *ret_body (NULL for none) to send, 1 when it sent
 * the reply itself (as a release when HELD), or negative with ERR set. */
typedef int (*op_fn)(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                     json_t **ret_body, struct wire_err *err);

/* --- list ----------------------------------------------------------------- */

/* Room for an instance's "health" and "registration" beyond its text. */
#define LIST_EXTRA 256

/* Would the list for F be longer than LIMIT bytes? Counted from the
 * instances' cached text before anything is built, so that a request for
 * too much costs a scan, not the reply. */
static bool list_too_long(struct agent *a, const struct wire_filter *f, size_t limit)
{
	size_t total = 64;

	for (struct cache_type *t = cache_first_type(a->cache); t; t = t->next) {
		if (!present_type_match(t, f))
			continue;
		for (struct cache_entry *e = t->first; e; e = e->next) {
			size_t len;

			if (!present_match(e, f))
				continue;
			if (!present_instance_text(e, &len))
				len = 0;
			total += len + LIST_EXTRA;
			if (total > limit)
				return true;
		}
	}
	return false;
}

static int op_list(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                   json_t **ret_body, struct wire_err *err)
{
	struct peer *pr = op_peer(a, c);
	double now = now_of(a);
	size_t limit = conn_max_output(c);
	json_t *arr;

	if (list_too_long(a, &req->filter, limit))
		return wire_err_set(err, WIRE_TOO_LARGE,
		                    "the list would be longer than %zu bytes "
		                    "(agent.limits.output_per_connection): narrow it with filters, "
		                    "or watch, which streams",
		                    limit);
	arr = json_array();
	if (!arr)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	for (struct cache_type *t = cache_first_type(a->cache); t; t = t->next) {
		if (!present_type_match(t, &req->filter))
			continue;
		for (struct cache_entry *e = t->first; e; e = e->next) {
			if (!present_match(e, &req->filter))
				continue;
			json_t *inst = present_instance(e, a->balance, now);

			if (pr)
				peer_handed(pr, e->id, now);
			const struct pubset_owner *owner =
			        e->local ? pubset_owner_of(a->pubset, t->name, e->name) : NULL;

			if (inst)
				present_only_family(inst, req->filter.family);
			/* This host's registrations say whose they are. */
			if (inst && owner &&
			    json_object_set_new(inst, "registration",
			                        json_pack("{s:I,s:I,s:I,s:I}", "id",
			                                  (json_int_t)owner->id, "uid",
			                                  (json_int_t)owner->uid, "gid",
			                                  (json_int_t)owner->gid, "pid",
			                                  (json_int_t)owner->pid)) < 0) {
				json_decref(inst);
				inst = NULL;
			}
			if (json_array_append_new(arr, inst) < 0) {
				json_decref(arr);
				return wire_err_set(err, WIRE_INTERNAL, "out of memory");
			}
		}
	}
	*ret_body = json_pack("{s:o}", WIRE_KEY_INSTANCES, arr);
	return *ret_body ? 0 : wire_err_set(err, WIRE_INTERNAL, "out of memory");
}

/* --- services ------------------------------------------------------------- */

static bool declared_type(const struct agent *a, const char *type)
{
	for (size_t i = 0; i < a->cfg->n_services; i++)
		if (strcasecmp(a->cfg->services[i].type, type) == 0)
			return true;
	return false;
}

static int op_services(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                       json_t **ret_body, struct wire_err *err)
{
	json_t *arr = json_array();

	if (!arr)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	for (struct cache_type *t = cache_first_type(a->cache); t; t = t->next) {
		struct wire_service s = {
		        .service = t->service,
		        .type = t->name,
		        .instances = (uint32_t)t->n_entries,
		        .local = declared_type(a, t->name),
		};

		if (json_array_append_new(arr, wire_service_to_json(&s)) < 0) {
			json_decref(arr);
			return wire_err_set(err, WIRE_INTERNAL, "out of memory");
		}
	}
	*ret_body = json_pack("{s:o}", WIRE_KEY_SERVICES, arr);
	return *ret_body ? 0 : wire_err_set(err, WIRE_INTERNAL, "out of memory");
}

/* --- status --------------------------------------------------------------- */

static int op_status(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                     json_t **ret_body, struct wire_err *err)
{
	json_t *st = agent_status_json(a);

	if (!st)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	*ret_body = json_pack("{s:o}", WIRE_KEY_STATUS, st);
	return *ret_body ? 0 : wire_err_set(err, WIRE_INTERNAL, "out of memory");
}

/* --- watch / unwatch ------------------------------------------------------ */

static int op_watch(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                    json_t **ret_body, struct wire_err *err)
{
	const struct cfg_limits *l = &a->cfg->agent.limits;
	struct peer *pr = op_peer(a, c);
	uint64_t id;

	if (conn_watch_count(c) >= l->watches_per_connection)
		return wire_err_set(err, WIRE_BUSY,
		                    "this connection has %u watches "
		                    "(agent.limits.watches_per_connection)",
		                    l->watches_per_connection);
	if (!pr)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	if (!conn_uid_is_admin(pr->uid) && pr->watches >= l->watches_per_user)
		return wire_err_set(err, WIRE_BUSY,
		                    "uid %u has %u watches (agent.limits.watches_per_user)",
		                    (unsigned)pr->uid, l->watches_per_user);
	if (watches_add(a->watches, c, &req->filter, pr, &id) < 0)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	*ret_body = json_pack("{s:I}", WIRE_KEY_WATCH, (json_int_t)id);
	if (!*ret_body) {
		conn_watch_remove(c, id);
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	}
	return 0;
}

static int op_unwatch(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                      json_t **ret_body, struct wire_err *err)
{
	if (conn_watch_remove(c, req->watch) < 0)
		return wire_err_set(err, WIRE_NOT_FOUND, "no watch %llu on this connection",
		                    (unsigned long long)req->watch);
	*ret_body = NULL;
	return 0;
}

/* --- report ---------------------------------------------------------------- */

static struct cache_entry *find_instance(struct agent *a, const struct wire_filter *f)
{
	for (struct cache_type *t = cache_first_type(a->cache); t; t = t->next) {
		struct cache_entry *e;

		if (!present_type_match(t, f))
			continue;
		e = cache_find(a->cache, f->instance, t->name, NULL);
		if (e)
			return e;
	}
	return NULL;
}

/* A report steers every consumer's picks: from an administrator, or from
 * a user allowed to report (op_auth) about an endpoint they were handed
 * lately, within their rate. */
static int op_report(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                     json_t **ret_body, struct wire_err *err)
{
	struct cache_entry *e = find_instance(a, &req->filter);
	struct peer *pr = op_peer(a, c);
	double now = now_of(a);

	if (!e)
		return wire_err_set(err, WIRE_NOT_FOUND, "no instance \"%s\" in the cache",
		                    req->filter.instance);
	if (!pr)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	if (!conn_uid_is_admin(pr->uid)) {
		if (!peer_was_handed(pr, e->id, now))
			return wire_err_set(err, WIRE_FORBIDDEN,
			                    "\"%s\" was not handed to uid %u in the last %.0f s: "
			                    "only endpoints one was given may be reported",
			                    req->filter.instance, (unsigned)pr->uid,
			                    PEERS_HANDED_S);
		if (!peer_take_report(pr, a->cfg->agent.report.per_second, now))
			return wire_err_set(err, WIRE_BUSY,
			                    "uid %u reports more than %u a second "
			                    "(agent.report.per_second)",
			                    (unsigned)pr->uid, a->cfg->agent.report.per_second);
	}
	if (balance_report(a->balance, e, req->result_ok, req->has_latency ? req->latency_ms : -1,
	                   now) < 0)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	*ret_body = NULL;
	return 0;
}

/* --- check, maint: this host's declared services --------------------------- */

/* These two change what this host announces: check comes from a
 * service's own process (a declared service's: a user who may publish; a
 * registration's: its owner); maint is for root or lanyardd's user
 * (op_auth below). */

/* The configuration's generation, for peer_allowed()'s answers. */
static unsigned cfg_gen(const struct agent *a)
{
	return a->reloads + 1;
}

/* May C's peer publish on this host (agent.register.allow)? */
static bool may_publish(struct agent *a, struct conn *c)
{
	const struct cfg_agent *ag = &a->cfg->agent;
	const struct ucred *cr = conn_peer_cred(c);
	struct peer *pr = op_peer(a, c);

	return pr && peer_allowed(pr, PEER_PUBLISH, cfg_gen(a), ag->reg.allow, ag->reg.n_allow,
	                          ag->socket_group, conn_fd(c), cr->gid);
}

static int op_check(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                    json_t **ret_body, struct wire_err *err)
{
	static const enum check_result results[] = {
	        [WIRE_CHECK_PASS] = CHECK_PASS,
	        [WIRE_CHECK_WARN] = CHECK_WARN,
	        [WIRE_CHECK_FAIL] = CHECK_FAIL,
	};
	const char *svc = req->filter.service, *out = req->text ? req->text : "";

	if (!cfg_find_service(a->cfg, svc)) {
		uid_t uid = conn_peer_cred(c)->uid;
		int r;

		/* A runtime registration's ttl check, then. */
		r = registry_report(a->registry, svc, uid, results[req->check_status], out,
		                    strlen(out));
		if (r == -EPERM)
			return wire_err_set(err, WIRE_FORBIDDEN,
			                    "\"%s\" is registered by another user than uid %u", svc,
			                    (unsigned)uid);
		if (r < 0)
			return wire_err_set(
			        err, WIRE_NOT_FOUND,
			        "no declared or registered service \"%s\" with a ttl check", svc);
		*ret_body = NULL;
		return 0;
	}
	if (!may_publish(a, c))
		return wire_err_set(
		        err, WIRE_FORBIDDEN,
		        "check of declared service \"%s\": for root, lanyardd's user and "
		        "agent.register.allow (or agent.socket_group)",
		        svc);
	if (checks_report(a->checks, svc, results[req->check_status], out, strlen(out)) < 0)
		return wire_err_set(err, WIRE_NOT_FOUND, "service \"%s\" declares no ttl check",
		                    svc);
	*ret_body = NULL;
	return 0;
}

/* --- register, deregister: services for the life of a connection ----------- */

static int op_register(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                       json_t **ret_body, struct wire_err *err)
{
	return registry_register(a->registry, c, req, ret_body, err) < 0 ? -EINVAL : 0;
}

static int op_deregister(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                         json_t **ret_body, struct wire_err *err)
{
	if (registry_deregister(a->registry, c, req->registration, err) < 0)
		return -ENOENT;
	*ret_body = NULL;
	return 0;
}

static int op_maint(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
                    json_t **ret_body, struct wire_err *err)
{
	const struct cfg_service *s = cfg_find_service(a->cfg, req->filter.service);
	char key[DNSSD_SERVICE_NAME_MAX + 8];
	int r;

	if (!s || pubset_service_key(s->name, key, sizeof(key)) < 0)
		return wire_err_set(err, WIRE_NOT_FOUND, "no declared service \"%s\"",
		                    req->filter.service);
	r = pubset_set_maint(a->pubset, key, req->maint_on,
	                     req->text && *req->text ? req->text : NULL);
	if (r == -ENOENT)
		return wire_err_set(err, WIRE_NOT_FOUND, "no declared service \"%s\"",
		                    req->filter.service);
	if (r < 0)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	if (req->maint_on)
		log_info("service \"%s\": maintenance on, reason \"%s\"", s->name,
		         req->text ? req->text : "");
	else
		log_info("service \"%s\": maintenance off", s->name);
	agent_publish(a);
	*ret_body = NULL;
	return 0;
}

/* --- dispatch -------------------------------------------------------------- */

static const op_fn op_table[_WIRE_OP_MAX] = {
        [WIRE_OP_RESOLVE] = op_resolve,       [WIRE_OP_LIST] = op_list,
        [WIRE_OP_SERVICES] = op_services,     [WIRE_OP_STATUS] = op_status,
        [WIRE_OP_WATCH] = op_watch,           [WIRE_OP_UNWATCH] = op_unwatch,
        [WIRE_OP_REPORT] = op_report,         [WIRE_OP_CHECK] = op_check,
        [WIRE_OP_MAINT] = op_maint,           [WIRE_OP_REGISTER] = op_register,
        [WIRE_OP_DEREGISTER] = op_deregister,
};

/* Who may do what, beyond reaching the socket (its mode and group): the
 * one authorisation table, docs/protocol.md "Who may do what". */
enum op_auth {
	AUTH_ANY,    /* whoever may connect (quotas apply) */
	AUTH_REPORT, /* root, lanyardd's user, agent.report.allow (or
	                agent.socket_group); then op_report's own rules */
	AUTH_ADMIN,  /* root, or lanyardd's own user */
};
static const enum op_auth op_auth[_WIRE_OP_MAX] = {
        [WIRE_OP_REPORT] = AUTH_REPORT, [WIRE_OP_MAINT] = AUTH_ADMIN,
        /* register and check: who may publish, decided in op_register
         * (agent.register.allow) and op_check (and a registration's owner). */
};

static int authorise(struct agent *a, struct conn *c, const struct wire_request *req,
                     struct wire_err *err)
{
	const struct ucred *cr = conn_peer_cred(c);
	const struct cfg_report *rp = &a->cfg->agent.report;

	switch (op_auth[req->op]) {
	case AUTH_ANY:
		return 0;
	case AUTH_REPORT: {
		struct peer *pr = op_peer(a, c);

		if (pr && peer_allowed(pr, PEER_REPORT, cfg_gen(a), rp->allow, rp->n_allow,
		                       a->cfg->agent.socket_group, conn_fd(c), cr->gid))
			return 0;
		return wire_err_set(err, WIRE_FORBIDDEN,
		                    "uid %u may not report (agent.report.allow)",
		                    (unsigned)cr->uid);
	}
	case AUTH_ADMIN:
		if (conn_uid_is_admin(cr->uid))
			return 0;
		break;
	}
	return wire_err_set(err, WIRE_FORBIDDEN, "%s is for root or lanyardd's user, not uid %u",
	                    wire_op_name(req->op), (unsigned)cr->uid);
}

/* Count REQ, answered with OUTCOME, that arrived at STARTED: the one
 * place requests are counted (GET /metrics). */
static void count(struct agent *a, const struct wire_request *req, enum wire_code outcome,
                  double started)
{
	metrics_request(a->metrics, req->op, outcome, clock_mono() - started);
}

/* Run REQ; reply directly, or (HELD) release the held reply. Returns the
 * outcome: WIRE_OK or the error code sent. */
static enum wire_code run_op(struct agent *a, struct conn *c, const struct wire_request *req,
                             bool held)
{
	struct wire_err err = {0};
	json_t *body = NULL;
	uint64_t watch_id = 0;
	int r;

	r = authorise(a, c, req, &err);
	if (r == 0)
		r = op_table[req->op](a, c, req, held, &body, &err);
	if (r == 1)
		return WIRE_OK;
	if (r < 0) {
		if (held)
			conn_release_error(c, err.code, "%s", err.msg);
		else
			conn_reply_error(c, req, err.code, "%s", err.msg);
		return err.code;
	}
	if (req->op == WIRE_OP_WATCH)
		watch_id = (uint64_t)json_integer_value(json_object_get(body, WIRE_KEY_WATCH));
	if (held)
		r = conn_release_ok(c, body);
	else
		r = conn_reply_ok(c, req, body);
	/* A watch's snapshot follows its reply, so the consumer knows the id first. */
	if (watch_id && r == 0)
		watches_snapshot(a->watches, c, watch_id);
	return WIRE_OK;
}

static void held_free(struct held *h)
{
	wire_request_clear(&h->req);
	free(h);
}

static void held_cancel(void *data)
{
	struct held *h = data;

	discover_wait_cancel(h->wait);
	held_free(h);
}

static void held_ready(void *userdata, bool timed_out)
{
	struct held *h = userdata;

	h->wait = NULL;
	count(h->agent, &h->req, run_op(h->agent, h->conn, &h->req, true), h->started);
	held_free(h);
}

/* Does REQ name a service whose first browse must finish before answering? */
static bool needs_browse(const struct wire_request *req)
{
	switch (req->op) {
	case WIRE_OP_RESOLVE:
	case WIRE_OP_LIST:
	case WIRE_OP_WATCH:
		return req->filter.service && *req->filter.service;
	default:
		return false;
	}
}

void ops_handle(void *userdata, struct conn *c, const struct wire_request *req)
{
	struct agent *a = userdata;
	double timeout = (double)a->cfg->agent.browse_timeout_ms / 1000.0;
	struct discover_wait *wait = NULL;
	struct discover_quota q = {.max = a->cfg->agent.limits.browses_per_user};
	struct held *h = NULL;
	double started = conn_arrived(c);
	int r;

	if (req->op >= _WIRE_OP_MAX || !op_table[req->op]) {
		conn_reply_error(c, req, WIRE_UNKNOWN_OP, "unknown operation");
		count(a, req, WIRE_UNKNOWN_OP, started);
		return;
	}
	if (!needs_browse(req)) {
		count(a, req, run_op(a, c, req, false), started);
		return;
	}
	peers_sweep(a->peers, started);
	q.uid = conn_peer_cred(c)->uid;
	if (conn_uid_is_admin(q.uid))
		q.max = 0;
	/* Almost always the service has settled: ask first, and allocate the
	 * held request only when there is a browse to wait for. */
	r = discover_need(a->discover, req->filter.service, started, &q, timeout, held_ready, NULL,
	                  &wait);
	if (r == 0) {
		/* Wait again with the holder: same loop iteration, same deadline. */
		discover_wait_cancel(wait);
		h = malloc(sizeof(*h));
		if (!h) {
			conn_reply_error(c, req, WIRE_INTERNAL, "out of memory");
			count(a, req, WIRE_INTERNAL, started);
			return;
		}
		r = discover_need(a->discover, req->filter.service, started, &q, timeout,
		                  held_ready, h, &wait);
		if (r != 0)
			free(h);
	}
	if (r != 0) {
		enum wire_code outcome = r == -EINVAL ? WIRE_BAD_REQUEST : WIRE_BUSY;

		if (r == -EINVAL)
			conn_reply_error(c, req, WIRE_BAD_REQUEST,
			                 "\"%s\" is neither a service name nor a DNS-SD type",
			                 req->filter.service);
		else if (r == -EDQUOT)
			conn_reply_error(
			        c, req, WIRE_BUSY,
			        "cannot browse \"%s\": uid %u started %u browses on demand "
			        "(agent.limits.browses_per_user)",
			        req->filter.service, (unsigned)q.uid, q.max);
		else if (r < 0)
			conn_reply_error(c, req, WIRE_BUSY, "cannot browse \"%s\": %s",
			                 req->filter.service, strerror(-r));
		else
			outcome = run_op(a, c, req, false);
		count(a, req, outcome, started);
		return;
	}
	h->agent = a;
	h->conn = c;
	h->wait = wait;
	h->started = started;
	if (wire_request_copy(req, &h->req) < 0) {
		discover_wait_cancel(wait);
		free(h);
		conn_reply_error(c, req, WIRE_INTERNAL, "out of memory");
		count(a, req, WIRE_INTERNAL, started);
		return;
	}
	conn_hold(c, req, held_cancel, h);
}
