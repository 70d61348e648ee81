/* SPDX-License-Identifier: MIT */
/* The lanyardd context: wires the configuration, the mDNS layer and the
 * signal handlers to one libev loop, and applies reloads. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/log.h"
#include "agent/notify.h"
#include "agent/signals.h"

static const char *client_state_name(enum mdns_client_state s)
{
	switch (s) {
	case MDNS_CLIENT_CONNECTING:
		return "connecting";
	case MDNS_CLIENT_REGISTERING:
		return "registering";
	case MDNS_CLIENT_RUNNING:
		return "running";
	case MDNS_CLIENT_COLLISION:
		return "collision";
	case MDNS_CLIENT_FAILURE:
		return "failure";
	}
	return "unknown";
}

static const char *pub_state_name(enum mdns_pub_state s)
{
	switch (s) {
	case MDNS_PUB_PENDING:
		return "pending";
	case MDNS_PUB_REGISTERING:
		return "registering";
	case MDNS_PUB_ESTABLISHED:
		return "established";
	case MDNS_PUB_COLLISION:
		return "collision";
	case MDNS_PUB_FAILED:
		return "failed";
	}
	return "unknown";
}

void agent_log_diags(const struct cfg_diags *diags)
{
	for (size_t i = 0; i < diags->n; i++) {
		if (diags->items[i].is_error)
			log_error("%s", diags->items[i].text);
		else
			log_warning("%s", diags->items[i].text);
	}
}

static void on_client_state(void *userdata, enum mdns_client_state state, const char *msg)
{
	struct agent *a = userdata;
	enum cfg_log_level level = CFG_LOG_INFO;

	if (state == a->avahi_state && !msg)
		return;
	if (state == MDNS_CLIENT_FAILURE || state == MDNS_CLIENT_COLLISION)
		level = CFG_LOG_WARNING;
	log_msg(level, "avahi: %s%s%s", client_state_name(state), msg ? ": " : "", msg ? msg : "");
	a->avahi_state = state;
}

static struct agent_pub *pub_find(struct agent *a, const char *service)
{
	for (size_t i = 0; i < a->n_pubs; i++)
		if (strcmp(a->pubs[i].service, service) == 0)
			return &a->pubs[i];
	return NULL;
}

static struct agent_pub *pub_get(struct agent *a, const char *service)
{
	struct agent_pub *p = pub_find(a, service), *n;

	if (p)
		return p;
	n = realloc(a->pubs, (a->n_pubs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	a->pubs = n;
	p = &a->pubs[a->n_pubs];
	*p = (struct agent_pub){.service = strdup(service)};
	if (!p->service)
		return NULL;
	a->n_pubs++;
	return p;
}

/* Forget services that the running configuration no longer declares. */
static void pubs_prune(struct agent *a)
{
	size_t j = 0;

	for (size_t i = 0; i < a->n_pubs; i++) {
		if (cfg_find_service(a->cfg, a->pubs[i].service)) {
			a->pubs[j++] = a->pubs[i];
		} else {
			free(a->pubs[i].service);
			free(a->pubs[i].instance);
		}
	}
	a->n_pubs = j;
}

static void on_pub_state(void *userdata, const char *service, enum mdns_pub_state state,
                         const char *instance, const char *msg)
{
	struct agent *a = userdata;
	struct agent_pub *p = pub_get(a, service);
	enum cfg_log_level level = CFG_LOG_INFO;

	if (state == MDNS_PUB_COLLISION || state == MDNS_PUB_FAILED)
		level = state == MDNS_PUB_FAILED ? CFG_LOG_ERROR : CFG_LOG_WARNING;
	else if (p && p->state == state && instance && p->instance &&
	         strcmp(p->instance, instance) == 0)
		level = CFG_LOG_DEBUG;
	log_msg(level, "service \"%s\": %s as \"%s\"%s%s", service, pub_state_name(state),
	        instance ? instance : "", msg ? ": " : "", msg ? msg : "");
	if (!p)
		return;
	p->state = state;
	if (instance && (!p->instance || strcmp(p->instance, instance) != 0)) {
		char *dup = strdup(instance);

		if (dup) {
			free(p->instance);
			p->instance = dup;
		}
	}
}

static const struct mdns_callbacks agent_mdns_callbacks = {
        .client_state = on_client_state,
        .pub_state = on_pub_state,
};

static void apply_log_level(const struct agent *a)
{
	log_set_level(a->opts.verbose ? CFG_LOG_DEBUG : a->cfg->agent.log_level);
}

int agent_init(struct agent *a, struct ev_loop *loop, const struct agent_options *opts,
               struct lanyard_config *cfg, char *err, size_t errlen)
{
	int r;

	*a = (struct agent){.loop = loop, .opts = *opts, .cfg = cfg};
	apply_log_level(a);

	a->signals = agent_signals_new(a);
	if (!a->signals) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->mdns = mdns_new(loop, &agent_mdns_callbacks, a, err, errlen);
	if (!a->mdns)
		return -EIO;
	r = mdns_publish(a->mdns, a->cfg);
	if (r < 0) {
		snprintf(err, errlen, "cannot publish services: %s", strerror(-r));
		return r;
	}
	log_info("started with %zu service(s) from %s", cfg->n_services, cfg->path);
	return 0;
}

int agent_run(struct agent *a)
{
	notify_send("READY=1");
	ev_run(a->loop, 0);
	notify_send("STOPPING=1");
	return a->exit_code;
}

int agent_reload(struct agent *a)
{
	struct cfg_diags diags = {0};
	struct lanyard_config *ncfg = NULL;
	int r;

	notify_send("RELOADING=1");
	r = cfg_load(a->opts.config_path, &ncfg, &diags);
	notify_send("READY=1");
	agent_log_diags(&diags);
	cfg_diags_clear(&diags);
	if (r < 0) {
		a->reload_failures++;
		log_error("reload failed: keeping the running configuration");
		return r;
	}
	if (strcmp(ncfg->agent.socket, a->cfg->agent.socket) != 0 && !a->opts.socket_path)
		log_warning("agent.socket changed to \"%s\": takes effect at restart",
		            ncfg->agent.socket);

	r = mdns_publish(a->mdns, ncfg);
	if (r < 0) {
		a->reload_failures++;
		log_error("reload failed: cannot publish: %s", strerror(-r));
		cfg_free(ncfg);
		return r;
	}
	cfg_free(a->cfg);
	a->cfg = ncfg;
	pubs_prune(a);
	apply_log_level(a);
	a->reloads++;
	log_info("reloaded %s: %zu service(s)", a->cfg->path, a->cfg->n_services);
	return 0;
}

void agent_done(struct agent *a)
{
	/* Goodbyes first, while the loop can still flush them to the bus. */
	mdns_free(a->mdns);
	a->mdns = NULL;
	agent_signals_free(a->signals);
	a->signals = NULL;
	for (size_t i = 0; i < a->n_pubs; i++) {
		free(a->pubs[i].service);
		free(a->pubs[i].instance);
	}
	free(a->pubs);
	a->pubs = NULL;
	a->n_pubs = 0;
	cfg_free(a->cfg);
	a->cfg = NULL;
}
