/* SPDX-License-Identifier: MIT */
/* The lanyardd context: wires the configuration, the mDNS layer and the
 * signal handlers to one libev loop, and applies reloads. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "agent/agent.h"
#include "agent/balance.h"
#include "agent/cache.h"
#include "agent/discover.h"
#include "agent/fake.h"
#include "agent/load.h"
#include "agent/log.h"
#include "agent/ops.h"
#include "agent/server.h"
#include "agent/watch.h"
#include "agent/notify.h"
#include "agent/signals.h"

const char *agent_client_state_name(enum mdns_client_state s)
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

const char *agent_pub_state_name(enum mdns_pub_state s)
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
	log_msg(level, "avahi: %s%s%s", agent_client_state_name(state), msg ? ": " : "",
	        msg ? msg : "");
	a->avahi_state = state;
	discover_on_client_state(a->discover, state);
}

static void on_instance(void *userdata, enum mdns_instance_event ev,
                        const struct mdns_instance *inst)
{
	struct agent *a = userdata;

	discover_on_instance(a->discover, ev, inst);
}

static void on_browse_state(void *userdata, const char *type, bool settled)
{
	struct agent *a = userdata;

	discover_on_browse_state(a->discover, type, settled);
}

static void on_type_found(void *userdata, const char *type)
{
	struct agent *a = userdata;

	discover_on_type_found(a->discover, type);
}

static void on_cache_event(void *userdata, enum cache_event ev, const struct cache_entry *e,
                           unsigned changes)
{
	struct agent *a = userdata;

	log_debug("cache: %s \"%s\" (%s)",
	          ev == CACHE_EVENT_ADDED     ? "added"
	          : ev == CACHE_EVENT_CHANGED ? "changed"
	                                      : "removed",
	          e->name, e->type->name);
	watches_on_cache_event(a->watches, ev, e);
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
	log_msg(level, "service \"%s\": %s%s%s%s%s%s", service, agent_pub_state_name(state),
	        instance ? " as \"" : "", instance ? instance : "", instance ? "\"" : "",
	        msg ? ": " : "", msg ? msg : "");
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
        .instance = on_instance,
        .browse_state = on_browse_state,
        .type_found = on_type_found,
};

static void apply_log_level(const struct agent *a)
{
	log_set_level(a->opts.verbose ? CFG_LOG_DEBUG : a->cfg->agent.log_level);
}

/* The consumer socket, as configured (agent.socket or --socket). */
static int agent_listen(struct agent *a, char *err, size_t errlen)
{
	const struct cfg_agent *c = &a->cfg->agent;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	char *slash;

	/* /run/lanyard may not exist yet (no systemd RuntimeDirectory): make
	 * the socket's own directory, not a whole path. */
	snprintf(dir, sizeof(dir), "%s", c->socket);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			log_warning("cannot create \"%s\": %s", dir, strerror(errno));
	}
	return server_new(a->loop, c->socket, (mode_t)c->socket_mode, c->socket_group, NULL,
	                  ops_handle, a, &a->server, err, errlen);
}

int agent_init(struct agent *a, struct ev_loop *loop, const struct agent_options *opts,
               struct lanyard_config *cfg, char *err, size_t errlen)
{
	struct cache_params cp = {.max_instances = cfg->agent.max_instances};
	int r;

	*a = (struct agent){.loop = loop, .opts = *opts, .cfg = cfg, .started = ev_time()};
	apply_log_level(a);

	/* Random hash keys: a peer must not be able to craft colliding names. */
	if (getrandom(cp.hash_key, sizeof(cp.hash_key), 0) != (ssize_t)sizeof(cp.hash_key)) {
		snprintf(err, errlen, "getrandom failed");
		return -EIO;
	}
	a->signals = agent_signals_new(a);
	a->cache = cache_new(&cp);
	a->balance = a->cache ? balance_new(NULL, a->cache) : NULL;
	a->discover = a->cache ? discover_new(loop, a->cache) : NULL;
	a->watches = watches_new();
	if (!a->signals || !a->cache || !a->balance || !a->discover || !a->watches) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cache_set_event_cb(a->cache, on_cache_event, a);

	r = fake_populate(a);
	if (r < 0) {
		snprintf(err, errlen, "LANYARD_TEST_FAKE_INSTANCES: expected N or N:TYPES");
		return r;
	}
	if (r > 0)
		log_warning("test mode: %d fake instance(s) in the cache", r);

	r = agent_listen(a, err, errlen);
	if (r < 0)
		return r;

	a->mdns = mdns_new(loop, &agent_mdns_callbacks, a, err, errlen);
	if (!a->mdns)
		return -EIO;
	discover_set_mdns(a->discover, a->mdns);
	a->load = agent_load_new(a);
	if (!a->load) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = discover_configure(a->discover, a->cfg);
	if (r < 0)
		log_warning("cannot browse every configured type: %s", strerror(-r));
	r = mdns_publish(a->mdns, a->cfg);
	if (r < 0) {
		snprintf(err, errlen, "cannot publish services: %s", strerror(-r));
		return r;
	}
	log_info("started with %zu service(s) from %s, socket %s", cfg->n_services, cfg->path,
	         cfg->agent.socket);
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

	r = agent_load_apply(a->load, ncfg);
	if (r >= 0)
		r = mdns_publish(a->mdns, ncfg);
	if (r < 0) {
		a->reload_failures++;
		log_error("reload failed: cannot publish: %s", strerror(-r));
		cfg_free(ncfg);
		return r;
	}
	cfg_free(a->cfg);
	a->cfg = ncfg;
	r = discover_configure(a->discover, a->cfg);
	if (r < 0)
		log_warning("cannot browse every configured type: %s", strerror(-r));
	pubs_prune(a);
	agent_load_reconfigure(a->load);
	apply_log_level(a);
	a->reloads++;
	log_info("reloaded %s: %zu service(s)", a->cfg->path, a->cfg->n_services);
	return 0;
}

void agent_done(struct agent *a)
{
	/* Consumers first (their held requests cancel their browse waits),
	 * then goodbyes, while the bus connection is still up. */
	server_free(a->server);
	a->server = NULL;
	agent_load_free(a->load);
	a->load = NULL;
	discover_set_mdns(a->discover, NULL);
	mdns_free(a->mdns);
	a->mdns = NULL;
	discover_free(a->discover);
	a->discover = NULL;
	watches_free(a->watches);
	a->watches = NULL;
	balance_free(a->balance);
	a->balance = NULL;
	cache_free(a->cache);
	a->cache = NULL;
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
