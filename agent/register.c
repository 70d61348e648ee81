/* SPDX-License-Identifier: MIT */
/* Runtime registrations; see register.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/checks.h"
#include "agent/conn.h"
#include "agent/log.h"
#include "agent/peers.h"
#include "agent/pubset.h"
#include "agent/register.h"
#include "dnssd/name.h"
#include "wire/request.h"
#include "wire/response.h"

struct registration {
	struct registry *rg;
	struct conn *conn;
	uint64_t att; /* its attachment id on conn */
	struct pubset_owner owner;
	char key[32];                /* "reg:<id>" */
	struct lanyard_config *decl; /* the one service */
	char *instance;              /* as answered (status has the final one) */
	struct checks *checks;       /* its health checks, or NULL */
	struct registration *prev, *next;
};

struct registry {
	struct agent *a;
	struct registration *all;
	size_t n;
	uint64_t next_id;
};

struct registry *registry_new(struct agent *a)
{
	struct registry *rg = calloc(1, sizeof(*rg));

	if (rg)
		rg->a = a;
	return rg;
}

void registry_free(struct registry *rg)
{
	/* Connections (and with them every registration) are gone by now;
	 * what is left is freed without a word to the LAN. */
	while (rg && rg->all) {
		struct registration *r = rg->all;

		rg->all = r->next;
		checks_free(r->checks);
		cfg_free(r->decl);
		free(r->instance);
		free(r);
	}
	free(rg);
}

size_t registry_count(const struct registry *rg)
{
	return rg ? rg->n : 0;
}

/* ---- who may ---------------------------------------------------------------- */

/* Whether the peer (UID, GID on socket FD) may register: root and
 * lanyardd's user always; then agent.register.allow, or, without it, the
 * members of agent.socket_group. */
static bool may_register(const struct lanyard_config *cfg, int fd, uid_t uid, gid_t gid)
{
	return peers_allowed(cfg->agent.reg.allow, cfg->agent.reg.n_allow, cfg->agent.socket_group,
	                     fd, uid, gid);
}

/* ---- registrations -------------------------------------------------------------- */

/* The connection is gone, or deregister: withdraw R (goodbyes). */
static void registration_destroy(void *data)
{
	struct registration *r = data;
	struct registry *rg = r->rg;

	if (pubset_unregister(rg->a->pubset, r->key) < 0)
		log_warning("registration %llu: cannot withdraw: out of memory",
		            (unsigned long long)r->owner.id);
	else
		log_info("registration %llu (\"%s\", pid %ld) withdrawn",
		         (unsigned long long)r->owner.id, r->decl->services[0].name,
		         (long)r->owner.pid);
	agent_publish(rg->a);
	if (r->prev)
		r->prev->next = r->next;
	else
		rg->all = r->next;
	if (r->next)
		r->next->prev = r->prev;
	rg->n--;
	checks_free(r->checks);
	cfg_free(r->decl);
	free(r->instance);
	free(r);
}

/* Its checks say: announce, withdraw, warn. */
static void on_health(void *userdata, const char *service, enum txt_health health, const char *why)
{
	struct registration *r = userdata;

	if (pubset_set_health(r->rg->a->pubset, r->key, health, why) == -ENOMEM)
		log_warning("registration %llu: cannot record its health: out of memory",
		            (unsigned long long)r->owner.id);
}

static void on_sync(void *userdata)
{
	struct registration *r = userdata;

	agent_publish(r->rg->a);
}

static const struct checks_callbacks reg_checks = {.health = on_health, .sync = on_sync};

/* The first message of DIAGS without its "NAME:LINE:COL: " position. */
static const char *first_message(const struct cfg_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const char *t = d->items[i].text, *p = t;

		if (!d->items[i].is_error)
			continue;
		for (int colons = 0; *p && colons < 3; p++)
			if (*p == ':')
				colons++;
		return *p == ' ' ? p + 1 : t;
	}
	return "invalid service";
}

int registry_register(struct registry *rg, struct conn *c, const struct wire_request *req,
                      json_t **ret_body, struct wire_err *err)
{
	const struct lanyard_config *cfg = rg->a->cfg;
	struct cfg_diags diags = {0};
	struct registration *r;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char host[DNSSD_INSTANCE_MAX + 1], inst[DNSSD_INSTANCE_MAX + 1];
	const char *why;
	int fd = conn_fd(c), e;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return wire_err_set(err, WIRE_FORBIDDEN, "register: cannot tell who is asking");
	if (!may_register(cfg, fd, cred.uid, cred.gid))
		return wire_err_set(err, WIRE_FORBIDDEN,
		                    "uid %u may not register services (agent.register.allow)",
		                    (unsigned)cred.uid);
	if (conn_attached_count(c, CONN_ATT_REGISTRATION) >= cfg->agent.reg.max_per_connection)
		return wire_err_set(err, WIRE_BUSY, "at most %u registrations per connection",
		                    cfg->agent.reg.max_per_connection);
	if (rg->n >= cfg->agent.reg.max)
		return wire_err_set(err, WIRE_BUSY, "at most %u registrations in all",
		                    cfg->agent.reg.max);

	r = calloc(1, sizeof(*r));
	if (!r)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	e = cfg_load_service("register", req->decl, strlen(req->decl), &r->decl, &diags);
	if (e < 0) {
		if (e == -ENOMEM)
			wire_err_set(err, WIRE_INTERNAL, "out of memory");
		else
			wire_err_set(err, WIRE_BAD_REQUEST, "%s", first_message(&diags));
		cfg_diags_clear(&diags);
		free(r);
		return -1;
	}
	cfg_diags_clear(&diags);
	const struct cfg_service *svc = &r->decl->services[0];

	if (dnssd_host_label(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	if (dnssd_instance_expand(svc->instance, host, inst, sizeof(inst)) < 0) {
		wire_err_set(err, WIRE_BAD_REQUEST,
		             "'instance': '%s' is too long with host name '%s'", svc->instance,
		             host);
		goto fail;
	}
	why = pubset_clash(rg->a->pubset, svc->name, svc->type, inst);
	if (why) {
		wire_err_set(err, WIRE_CONFLICT, "%s (\"%s\", %s)", why, inst, svc->type);
		goto fail;
	}
	r->rg = rg;
	r->conn = c;
	r->owner = (struct pubset_owner){
	        .id = ++rg->next_id, .uid = cred.uid, .gid = cred.gid, .pid = cred.pid};
	snprintf(r->key, sizeof(r->key), "reg:%llu", (unsigned long long)r->owner.id);
	r->instance = strdup(inst);
	if (!r->instance) {
		wire_err_set(err, WIRE_INTERNAL, "out of memory");
		goto fail;
	}
	e = pubset_register(rg->a->pubset, r->key, svc, host, &r->owner, &why);
	if (e < 0) {
		wire_err_set(err, e == -EINVAL ? WIRE_BAD_REQUEST : WIRE_INTERNAL, "%s",
		             e == -EINVAL ? why : "out of memory");
		goto fail;
	}
	/* Checks run as for a declared service: critical (withdrawn) until
	 * they have passed rise times. */
	if (svc->n_checks && (!(r->checks = checks_new(rg->a->loop, &reg_checks, r)) ||
	                      checks_apply(r->checks, r->decl) < 0)) {
		pubset_unregister(rg->a->pubset, r->key);
		wire_err_set(err, WIRE_INTERNAL, "out of memory");
		goto fail;
	}
	r->att = conn_attach(c, CONN_ATT_REGISTRATION, r, registration_destroy);
	if (!r->att) {
		pubset_unregister(rg->a->pubset, r->key);
		wire_err_set(err, WIRE_INTERNAL, "out of memory");
		goto fail;
	}
	r->next = rg->all;
	if (r->next)
		r->next->prev = r;
	rg->all = r;
	rg->n++;
	agent_publish(rg->a);
	log_info("registration %llu: \"%s\" as \"%s\" port %u for uid %u pid %ld",
	         (unsigned long long)r->owner.id, svc->name, inst, (unsigned)svc->port,
	         (unsigned)cred.uid, (long)cred.pid);
	*ret_body =
	        json_pack("{s:I,s:s}", "registration", (json_int_t)r->owner.id, "instance", inst);
	return 0;
fail:
	checks_free(r->checks);
	free(r->instance);
	cfg_free(r->decl);
	free(r);
	return -1;
}

int registry_report(struct registry *rg, const char *service, uid_t uid, enum check_result result,
                    const char *output, size_t len)
{
	int found = -ENOENT;

	/* Every registration of that name with a ttl check hears it, from
	 * the user who registered it (or an administrator). */
	for (struct registration *r = rg->all; r; r = r->next) {
		if (!r->checks || strcmp(r->decl->services[0].name, service) != 0)
			continue;
		if (r->owner.uid != uid && !conn_uid_is_admin(uid)) {
			if (found == -ENOENT)
				found = -EPERM;
			continue;
		}
		if (checks_report(r->checks, service, result, output, len) == 0)
			found = 0;
	}
	return found;
}

json_t *registry_checks_status(const struct registry *rg, uint64_t id)
{
	for (const struct registration *r = rg->all; r; r = r->next)
		if (r->owner.id == id)
			return r->checks ? checks_status(r->checks, r->decl->services[0].name)
			                 : json_array();
	return json_array();
}

int registry_deregister(struct registry *rg, struct conn *c, uint64_t id, struct wire_err *err)
{
	for (struct registration *r = rg->all; r; r = r->next) {
		if (r->owner.id != id || r->conn != c)
			continue;
		conn_detach(c, CONN_ATT_REGISTRATION, r->att); /* withdraws it */
		return 0;
	}
	return wire_err_set(err, WIRE_NOT_FOUND, "no registration %llu on this connection",
	                    (unsigned long long)id);
}

void registry_on_state(struct registry *rg, const char *key, enum mdns_pub_state state,
                       const char *instance)
{
	if (!rg || strncmp(key, "reg:", 4) != 0 || !instance)
		return;
	for (struct registration *r = rg->all; r; r = r->next) {
		json_t *ev;
		char *dup;

		if (strcmp(r->key, key) != 0)
			continue;
		if (r->instance && strcmp(r->instance, instance) == 0)
			return;
		/* Renamed (a collision on the LAN): tell the registrant. */
		dup = strdup(instance);
		if (!dup)
			return;
		free(r->instance);
		r->instance = dup;
		ev = wire_registration_event(r->owner.id, instance, pubset_state_name(state));
		if (ev)
			conn_send_json(r->conn, ev);
		json_decref(ev);
		return;
	}
}
