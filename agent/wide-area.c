/* SPDX-License-Identifier: MIT */
/* The agent's side of DNS-SD over unicast DNS: agent.wide_area turned into
 * the backend's settings, the backend's lifetime across reloads, and its
 * status object. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/log.h"
#include "agent/pubset.h"
#include "agent/wide-area.h"
#include "agent/wide-browse.h"
#include "config/config.h"
#include "dnssd/name.h"
#include "wide/wide.h"

/* Longest blocking wait for the server when deleting at shutdown or at a
 * move to another zone or server. */
#define WITHDRAW_S 2.0

static void agent_wide_withdraw(struct agent *a);

/* Updates started failing, or go through again: one line each way. */
static void on_state(void *ud, bool failing, const char *why)
{
	(void)ud;
	if (failing)
		log_warning("wide area: updates fail: %s; retrying with back-off", why);
	else
		log_info("wide area: updates go through again");
}

/* An instance name was another host's in the zone: said once per rename. */
static void on_renamed(void *ud, const char *type, const char *instance, const char *published)
{
	(void)ud;
	log_warning("wide area: instance name \"%s\" of %s is another host's in the zone; "
	            "published as \"%s\"",
	            instance, type, published);
}

static void params_of(struct agent *a, const struct cfg_wide_area *c,
                      const struct lanyard_config *cfg, const char *host, struct wide_params *p)
{
	*p = (struct wide_params){
	        .zone = c->zone,
	        .server = (const struct sockaddr *)&c->server,
	        .server_len = c->server_len,
	        .server_text = c->server_text,
	        .host = host,
	        .interfaces = (const char *const *)cfg->agent.interfaces,
	        .n_interfaces = cfg->agent.n_interfaces,
	        .refresh_ms = c->refresh_ms,
	        .on_state = on_state,
	        .on_renamed = on_renamed,
	        .ud = a,
	};
	if (c->key.name)
		p->key = (struct wide_key){.name = c->key.name,
		                           .alg = cfg_tsig_alg_name(c->key.alg),
		                           .secret = c->key.secret};
}

static int replay_put(void *ctx, const struct dnssd_record *r)
{
	return wide_put(ctx, r);
}

/* Contract in wide-area.h. */
int agent_wide_apply(struct agent *a, const struct lanyard_config *cfg)
{
	const struct cfg_wide_area *c = &cfg->agent.wide_area;
	char host[DNSSD_INSTANCE_MAX + 1], err[256];
	struct wide_params p;
	int r;

	r = agent_wide_browse_apply(a, cfg);
	if (r < 0)
		log_error("wide area: cannot browse every zone: %s", strerror(-r));
	if (!c->enabled || !c->zone) {
		if (a->wide) {
			log_info("wide area: %s: deleting this host's records",
			         c->enabled ? "no 'zone' any more" : "agent.wide_area removed");
			agent_wide_withdraw(a);
		}
		return 0;
	}
	if (dnssd_host_label(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	params_of(a, c, cfg, host, &p);
	if (a->wide) {
		r = wide_reconfigure(a->wide, &p, WITHDRAW_S, err, sizeof(err));
		if (r == 1)
			log_info("wide area: now publishing in \"%s\" through %s", c->zone,
			         c->server_text);
		else if (r < 0 && r != -ENOMEM && r != -EINVAL)
			log_warning("wide area: moved to \"%s\", but the old records were not all "
			            "deleted: %s",
			            c->zone, err);
		else if (r < 0)
			log_error("wide area: cannot apply the new settings: %s", err);
		return r < 0 && (r == -ENOMEM || r == -EINVAL) ? r : 0;
	}
	r = wide_new(a->loop, &p, &a->wide, err, sizeof(err));
	if (r < 0) {
		log_error("wide area: cannot start: %s", err);
		return r;
	}
	log_info("wide area: publishing in \"%s\" through %s as \"%s\"%s", c->zone, c->server_text,
	         host, c->key.name ? "" : " (unsigned updates)");
	if (a->pubset && (r = pubset_replay(a->pubset, replay_put, a->wide)) < 0)
		log_error("wide area: cannot queue the published set: %s", strerror(-r));
	return 0;
}

/* Contract in wide-area.h. */
int agent_wide_put(struct agent *a, const struct dnssd_record *r)
{
	return a->wide ? wide_put(a->wide, r) : 0;
}

/* Contract in wide-area.h. */
int agent_wide_delete(struct agent *a, const char *key)
{
	return a->wide ? wide_delete(a->wide, key) : 0;
}

/* Delete what was published (bounded wait) and stop publishing. */
static void agent_wide_withdraw(struct agent *a)
{
	char err[256];

	if (!a->wide)
		return;
	if (wide_withdraw(a->wide, WITHDRAW_S, err, sizeof(err)) < 0)
		log_warning("wide area: records left in the zone: %s", err);
	else
		log_info("wide area: this host's records deleted");
	wide_free(a->wide);
	a->wide = NULL;
}

/* Contract in wide-area.h. */
void agent_wide_stop(struct agent *a)
{
	agent_wide_browse_stop(a);
	agent_wide_withdraw(a);
}

/* Contract in wide-area.h. */
json_t *agent_wide_status(const struct agent *a)
{
	struct wide_status st;
	struct wide_renamed rn;
	json_t *v, *zones, *renamed;

	if (!a->wide && !a->wide_zones)
		return json_null();
	if (!(zones = agent_wide_browse_status(a)))
		return NULL;
	if (!a->wide)
		return json_pack("{s:n,s:o}", "state", "browse", zones);
	renamed = json_array();
	for (size_t i = 0; renamed && wide_get_renamed(a->wide, i, &rn); i++)
		json_array_append_new(renamed, json_pack("{s:s,s:s,s:s,s:b}", "type", rn.type,
		                                         "instance", rn.instance, "published",
		                                         rn.published, "confirmed", rn.confirmed));
	wide_get_status(a->wide, &st);
	v = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:s?,s:s?,s:o,s:o,s:I}", "state",
	              st.state, "zone", st.zone, "server", st.server, "records",
	              (json_int_t)st.records, "published", (json_int_t)st.published, "pending",
	              (json_int_t)st.pending, "addresses", (json_int_t)st.addresses, "updates",
	              (json_int_t)st.updates, "failures", (json_int_t)st.failures, "failing",
	              (int)st.failing, "last_answer", st.last_answer[0] ? st.last_answer : NULL,
	              "last_error", st.last_error[0] ? st.last_error : NULL, "since_success",
	              st.since_success < 0 ? json_null() : json_real(st.since_success), "retry_in",
	              st.retry_in < 0 ? json_null() : json_real(st.retry_in), "reaped",
	              (json_int_t)st.reaped);
	if (!v || !renamed) {
		json_decref(renamed);
		json_decref(zones);
		json_decref(v);
		return NULL;
	}
	/* (json_object_set_new() takes the value even when it fails) */
	if (json_object_set_new(v, "renamed", renamed) < 0) {
		json_decref(zones);
		json_decref(v);
		return NULL;
	}
	if (json_object_set_new(v, "browse", zones) < 0) {
		json_decref(v);
		return NULL;
	}
	return v;
}
