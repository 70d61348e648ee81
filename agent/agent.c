/* SPDX-License-Identifier: MIT */
/* The lanyardd context: wires the configuration, the mDNS layer and the
 * signal handlers to one libev loop, and applies reloads. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <net/if.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/balance.h"
#include "agent/cache.h"
#include "agent/checks.h"
#include "agent/discover.h"
#include "agent/http.h"
#include "agent/load.h"
#include "agent/log.h"
#include "agent/metrics.h"
#include "agent/loopwatch.h"
#include "agent/ops.h"
#include "agent/peers.h"
#include "agent/privs.h"
#include "agent/probe.h"
#include "agent/pubset.h"
#include "agent/register.h"
#include "agent/server.h"
#include "agent/watch.h"
#include "agent/wide-area.h"
#include "dnssd/clock.h"
#include "dnssd/name.h"
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
	if (state != a->avahi_state)
		metrics_avahi_state(a->metrics, state);
	a->avahi_state = state;
	discover_on_client_state(a->discover, state);
}

static void on_instance(void *userdata, enum mdns_instance_event ev,
                        const struct mdns_instance *inst)
{
	struct agent *a = userdata;

	metrics_mdns_event(a->metrics, ev);
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

/* A lanyard host's liveness changed: worth a line when it takes
 * instances away or brings them back. */
static void on_host_state(void *userdata, const char *host, int ifindex, enum mdns_host_state state,
                          size_t n)
{
	(void)userdata;
	char ifname[IF_NAMESIZE] = "";

	if (!if_indextoname((unsigned)ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "%d", ifindex);
	switch (state) {
	case MDNS_HOST_DOWN:
		log_info("host \"%s\" stopped answering on %s: %zu sighting%s withheld", host,
		         ifname, n, n == 1 ? "" : "s");
		break;
	case MDNS_HOST_UP:
		if (n)
			log_info("host \"%s\" answers again on %s: %zu sighting%s back", host,
			         ifname, n, n == 1 ? "" : "s");
		else
			log_debug("host \"%s\" runs lanyardd on %s", host, ifname);
		break;
	case MDNS_HOST_LEFT:
		log_debug("host \"%s\": lanyardd left %s", host, ifname);
		break;
	}
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
	prober_on_cache_event(a->prober, ev, e, changes);
	watches_on_cache_event(a->watches, ev, e);
}

static void on_pub_state(void *userdata, const char *key, enum mdns_pub_state state,
                         const char *instance, const char *msg)
{
	struct agent *a = userdata;
	enum cfg_log_level level = CFG_LOG_INFO;

	if (state == MDNS_PUB_COLLISION)
		level = CFG_LOG_WARNING;
	else if (state == MDNS_PUB_FAILED)
		level = CFG_LOG_ERROR;
	log_msg(level, "%s: %s%s%s%s%s%s", key, pubset_state_name(state), instance ? " as \"" : "",
	        instance ? instance : "", instance ? "\"" : "", msg ? ": " : "", msg ? msg : "");
	pubset_on_state(a->pubset, key, state, instance, msg);
	registry_on_state(a->registry, key, state, instance);
}

static const struct mdns_callbacks agent_mdns_callbacks = {
        .client_state = on_client_state,
        .pub_state = on_pub_state,
        .instance = on_instance,
        .browse_state = on_browse_state,
        .type_found = on_type_found,
        .host_state = on_host_state,
};

static void apply_log_level(const struct agent *a)
{
	log_set_level(a->opts.verbose ? CFG_LOG_DEBUG : a->cfg->agent.log_level);
}

/* Descriptors kept out of the consumers' reach: avahi's D-Bus connection,
 * health checks, probes, the configuration and the log. */
#define FD_RESERVE 64
/* Connections when the descriptor limit is higher: each costs memory. */
#define CONNS_MAX 16384

/* The socket's limits: agent.limits, and as many connections as the
 * descriptor limit leaves after what the agent needs for itself. */
static void socket_limits(const struct lanyard_config *cfg, struct server_limits *l)
{
	const struct cfg_limits *c = &cfg->agent.limits;
	struct rlimit rl;
	uint64_t room = 1024;

	server_limits_default(l);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		uint64_t keep = FD_RESERVE +
		                (cfg->agent.probe.enabled ? cfg->agent.probe.max_endpoints : 0);

		room = rl.rlim_cur > keep + 16 ? rl.rlim_cur - keep : 16;
	} else {
		room = CONNS_MAX;
	}
	l->max_conns = (unsigned)(room < CONNS_MAX ? room : CONNS_MAX);
	if (c->connections && c->connections < l->max_conns)
		l->max_conns = c->connections;
	l->max_conns_per_user = c->connections_per_user;
	l->max_output = (size_t)c->output_per_connection;
	l->max_output_total = (size_t)c->output_total;
}

/* agent.limits, again (a reload). */
static void apply_socket_limits(struct agent *a)
{
	struct server_limits limits;

	socket_limits(a->cfg, &limits);
	server_set_limits(a->server, &limits);
}

/* The consumer socket, as configured (agent.socket or --socket). */
static int agent_listen(struct agent *a, char *err, size_t errlen)
{
	const struct cfg_agent *c = &a->cfg->agent;
	struct server_limits limits;

	socket_limits(a->cfg, &limits);
	log_info("socket: at most %u connections, %u per user", limits.max_conns,
	         limits.max_conns_per_user);
	return server_new(a->loop, c->socket, (mode_t)c->socket_mode, c->socket_group, &limits,
	                  ops_handle, a, &a->server, err, errlen);
}

/* The published set goes to both backends: mDNS and, when configured,
 * unicast DNS (agent/wide-area.c). */
static int backend_put_both(void *ctx, const struct dnssd_record *r)
{
	struct agent *a = ctx;
	int ret = mdns_put(a->mdns, r), ret_wide = agent_wide_put(a, r);

	/* each backend gets it whatever the other says (a put again is a no-op) */
	return ret < 0 ? ret : ret_wide;
}

static int backend_del_both(void *ctx, const char *key)
{
	struct agent *a = ctx;
	int ret = mdns_delete(a->mdns, key), ret_wide = agent_wide_delete(a, key);

	return ret < 0 ? ret : ret_wide;
}

/* The backend's bound on sightings for CFG's max_instances: an instance is
 * seen once per interface and protocol (two on one dual-stack interface);
 * room for four each. */
static size_t sightings_max(const struct lanyard_config *cfg)
{
	return (size_t)cfg->agent.max_instances * 4;
}

/* Publish on the configuration's interfaces and domain. */
static int apply_scope(struct agent *a, const struct lanyard_config *cfg)
{
	struct mdns_scope scope = {
	        .interfaces = (const char *const *)cfg->agent.interfaces,
	        .n_interfaces = cfg->agent.n_interfaces,
	        .domain = cfg->agent.domain,
	};

	return mdns_set_scope(a->mdns, &scope);
}

/* Make CFG's declared services the declared part of the published set. */
static int declare(struct agent *a, const struct lanyard_config *cfg)
{
	char host[DNSSD_INSTANCE_MAX + 1];

	if (dnssd_host_label(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	return pubset_set_declared(a->pubset, cfg, host);
}

/* A service's checks changed its health: withheld while critical,
 * announced with health=warning while warning. */
static void on_check_health(void *userdata, const char *service, enum txt_health health,
                            const char *why)
{
	struct agent *a = userdata;
	char key[DNSSD_SERVICE_NAME_MAX + 8];
	int r;

	if (pubset_service_key(service, key, sizeof(key)) < 0)
		return;
	r = pubset_set_health(a->pubset, key, health, why);
	if (r < 0 && r != -ENOENT)
		log_warning("service \"%s\": cannot record its health: %s", service, strerror(-r));
}

static void on_check_sync(void *userdata)
{
	agent_publish(userdata);
}

static const struct checks_callbacks agent_checks_callbacks = {
        .health = on_check_health,
        .sync = on_check_sync,
};

/* Send what changed in the published set; on failure it is sent again at
 * the next sync. */
void agent_publish(struct agent *a)
{
	int r = pubset_sync(a->pubset);

	if (r < 0)
		log_warning("cannot publish: %s", strerror(-r));
}

int agent_init(struct agent *a, struct ev_loop *loop, const struct agent_options *opts,
               struct lanyard_config *cfg, char *err, size_t errlen)
{
	struct cache_params cp = {.max_instances = cfg->agent.max_instances};
	struct balance_params bp;
	struct pubset_backend be = {.put = backend_put_both, .del = backend_del_both};
	int r;

	*a = (struct agent){.loop = loop, .opts = *opts, .cfg = cfg, .started = clock_mono()};
	apply_log_level(a);

	/* Random hash keys: a peer must not be able to craft colliding names;
	 * a random seed: random picks must not move in lockstep across hosts. */
	balance_params_default(&bp);
	if (getrandom(cp.hash_key, sizeof(cp.hash_key), 0) != (ssize_t)sizeof(cp.hash_key) ||
	    getrandom(&bp.seed, sizeof(bp.seed), 0) != (ssize_t)sizeof(bp.seed)) {
		snprintf(err, errlen, "getrandom failed: %s", strerror(errno));
		return -EIO;
	}
	a->signals = agent_signals_new(a);
	a->loopwatch = loopwatch_new(loop);
	a->cache = cache_new(&cp);
	a->balance = a->cache ? balance_new(&bp, a->cache) : NULL;
	a->discover = a->cache ? discover_new(loop, a->cache) : NULL;
	a->watches = watches_new(loop, a->cache);
	a->prober = a->cache ? prober_new(loop, a->cache) : NULL;
	a->metrics = metrics_new();
	if (!a->metrics || !a->signals || !a->loopwatch || !a->cache || !a->balance ||
	    !a->discover || !a->watches || !a->prober ||
	    prober_configure(a->prober, &cfg->agent.probe) < 0 ||
	    balance_set_trust(a->balance, cfg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	cache_set_event_cb(a->cache, on_cache_event, a);

	if (opts->hooks && opts->hooks->populate) {
		r = opts->hooks->populate(a);
		if (r < 0) {
			snprintf(err, errlen, "test hook: cannot populate the cache: %s",
			         strerror(-r));
			return r;
		}
		log_warning("test mode: %d instance(s) put in the cache by a test hook", r);
	}

	r = agent_listen(a, err, errlen);
	if (r < 0)
		return r;
	/* Before dropping privileges: agent.http may name a port below 1024. */
	r = http_new(a, &a->http, err, errlen);
	if (r < 0)
		return r;
	r = privs_drop(cfg, server_path(a->server), err, errlen);
	if (r < 0)
		return r;
	if (r == 1)
		log_info("running as uid %u, gid %u", (unsigned)getuid(), (unsigned)getgid());
	else if (r == 2)
		log_warning("running as root: set agent.user (the packages' \"lanyard\", say) "
		            "to give root up once the socket is made");

	a->mdns = mdns_new(loop, &agent_mdns_callbacks, a, err, errlen);
	if (!a->mdns)
		return -EIO;
	be.ctx = a;
	a->pubset = pubset_new(&be);
	a->registry = registry_new(a);
	a->peers = peers_new();
	if (!a->pubset || !a->registry || !a->peers) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	discover_set_mdns(a->discover, a->mdns);
	r = mdns_set_max_instances(a->mdns, sightings_max(cfg));
	if (r >= 0)
		r = apply_scope(a, cfg);
	if (r >= 0)
		r = declare(a, cfg);
	if (r < 0) {
		snprintf(err, errlen, "cannot publish services: %s", strerror(-r));
		return r;
	}
	/* Before the first publish: a service with checks starts critical. */
	a->checks = checks_new(loop, &agent_checks_callbacks, a);
	if (!a->checks || checks_apply(a->checks, cfg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	a->load = agent_load_new(a);
	if (!a->load) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = discover_configure(a->discover, a->cfg);
	if (r < 0)
		log_warning("cannot browse every configured type: %s", strerror(-r));
	/* Before the first publish: the backend gets every put. */
	r = agent_wide_apply(a, cfg);
	if (r < 0) {
		snprintf(err, errlen, "cannot publish in the wide-area zone: %s", strerror(-r));
		return r;
	}
	agent_publish(a);
	log_info("started with %zu service(s) from %s, socket %s", cfg->n_services, cfg->path,
	         server_path(a->server));
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
	bool http_changed;
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
	r = declare(a, ncfg);
	if (r < 0) {
		a->reload_failures++;
		log_error("reload failed: %s: keeping the running configuration", strerror(-r));
		cfg_free(ncfg);
		return r;
	}
	/* From here on the new configuration is in force; each step that
	 * cannot be applied says so (docs/config.md lists what needs a
	 * restart). */
	if (strcmp(ncfg->agent.socket, a->cfg->agent.socket) != 0 && !a->opts.socket_path)
		log_warning("agent.socket changed to \"%s\": takes effect at restart",
		            ncfg->agent.socket);
	if (ncfg->agent.socket_mode != a->cfg->agent.socket_mode ||
	    (ncfg->agent.socket_group && a->cfg->agent.socket_group
	             ? strcmp(ncfg->agent.socket_group, a->cfg->agent.socket_group) != 0
	             : ncfg->agent.socket_group != a->cfg->agent.socket_group))
		log_warning("agent.socket_mode/socket_group changed: take effect at restart");
	if ((ncfg->agent.user && a->cfg->agent.user)
	            ? strcmp(ncfg->agent.user, a->cfg->agent.user) != 0
	            : ncfg->agent.user != a->cfg->agent.user)
		log_warning("agent.user changed: takes effect at restart");
	http_changed = !cfg_http_same_listeners(&a->cfg->agent.http, &ncfg->agent.http);
	cfg_free(a->cfg);
	a->cfg = ncfg;
	if (http_changed)
		http_restart(a);
	apply_socket_limits(a);
	apply_log_level(a);
	r = apply_scope(a, a->cfg);
	if (r >= 0)
		r = mdns_set_max_instances(a->mdns, sightings_max(a->cfg));
	if (r < 0)
		log_warning("cannot apply the avahi settings: %s", strerror(-r));
	cache_set_max_instances(a->cache, a->cfg->agent.max_instances);
	if (prober_configure(a->prober, &a->cfg->agent.probe) < 0)
		log_warning("cannot apply agent.probe: out of memory");
	if (balance_set_trust(a->balance, a->cfg) < 0)
		log_warning("cannot apply the new trust settings: out of memory");
	r = discover_configure(a->discover, a->cfg);
	if (r < 0)
		log_warning("cannot browse every configured type: %s", strerror(-r));
	agent_load_reconfigure(a->load);
	/* New services with checks are withheld before anything is sent. */
	r = checks_apply(a->checks, a->cfg);
	if (r < 0)
		log_warning("cannot apply the new health checks: %s", strerror(-r));
	pubset_retry_failed(a->pubset);
	agent_publish(a);
	/* After the publish: a backend that starts now replays the set as sent. */
	(void)agent_wide_apply(a, a->cfg);
	a->reloads++;
	log_info("reloaded %s: %zu service(s)", a->cfg->path, a->cfg->n_services);
	return 0;
}

void agent_done(struct agent *a)
{
	/* Consumers first (their held requests cancel their browse waits),
	 * then goodbyes, while the bus connection is still up. HTTP
	 * requests are socket connections: before the server. */
	http_free(a->http);
	a->http = NULL;
	server_free(a->server);
	a->server = NULL;
	/* The connections took their registrations along (goodbyes). */
	registry_free(a->registry);
	a->registry = NULL;
	peers_free(a->peers);
	a->peers = NULL;
	checks_free(a->checks);
	a->checks = NULL;
	agent_load_free(a->load);
	a->load = NULL;
	discover_set_mdns(a->discover, NULL);
	/* The zone's records deleted (a bounded wait for the DNS server). */
	agent_wide_stop(a);
	/* Goodbyes for everything published, then the backend thread ends. */
	mdns_free(a->mdns);
	a->mdns = NULL;
	discover_free(a->discover);
	a->discover = NULL;
	watches_free(a->watches);
	a->watches = NULL;
	prober_free(a->prober);
	a->prober = NULL;
	balance_free(a->balance);
	a->balance = NULL;
	cache_free(a->cache);
	a->cache = NULL;
	agent_signals_free(a->signals);
	a->signals = NULL;
	loopwatch_free(a->loopwatch);
	a->loopwatch = NULL;
	metrics_free(a->metrics);
	a->metrics = NULL;
	pubset_free(a->pubset);
	a->pubset = NULL;
	cfg_free(a->cfg);
	a->cfg = NULL;
}
