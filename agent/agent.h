/* SPDX-License-Identifier: MIT */
/* The lanyardd context: one event loop, the running configuration, and the
 * layers wired to it (mDNS publishing, browsing, cache, consumer socket). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "config/config.h"
#include "mdns/mdns.h"

struct ev_loop;
struct balance;
struct cache;
struct checks;
struct discover;
struct http;
struct metrics;
struct loopwatch;
struct pubset;
struct server;
struct watches;
struct wide;
struct wzone;

struct agent;

/* Test hooks: built into the test binary lanyardd-test only (agent/test-hooks.c);
 * the installed lanyardd passes none. */
struct agent_hooks {
	/* Put synthetic instances into the cache before the socket opens;
	 * returns how many, or a negative errno. */
	int (*populate)(struct agent *a);
	/* The load figure to publish instead of /proc/loadavg's; 0 or -errno. */
	int (*load_sample)(double *ret);
};

struct agent_options {
	const char *config_path;
	const char *socket_path;         /* --socket, overrides agent.socket; NULL = config */
	bool verbose;                    /* -v: debug logging whatever the config says */
	const struct agent_hooks *hooks; /* NULL in lanyardd */
};

struct prober;

struct agent {
	struct ev_loop *loop;
	struct agent_options opts;
	struct lanyard_config *cfg;
	struct mdns *mdns;
	struct cache *cache;
	struct balance *balance;
	struct discover *discover;
	struct watches *watches;
	struct server *server;
	enum mdns_client_state avahi_state;
	double started;        /* clock_mono(), for uptime */
	struct pubset *pubset; /* what this host publishes */
	struct loopwatch *loopwatch;
	unsigned reloads; /* successful reloads */
	unsigned reload_failures;
	int exit_code;
	struct agent_signals *signals;
	struct agent_load *load;
	struct prober *prober;     /* agent.probe */
	struct checks *checks;     /* the declared services' health checks */
	struct registry *registry; /* runtime registrations */
	struct peers *peers;       /* per-user quotas and report records */
	struct metrics *metrics;   /* counters for GET /metrics */
	struct http *http;         /* agent.http; NULL when off */
	struct wide *wide;         /* agent.wide_area: the unicast DNS backend, or NULL */
	struct wzone *wide_zones;  /* agent.wide_area.browse: the browsed zones */
};

/* Build the agent from an already loaded configuration (ownership of CFG
 * moves to the agent, also on failure). Returns 0 or negative errno; a
 * message is stored in err. */
int agent_init(struct agent *a, struct ev_loop *loop, const struct agent_options *opts,
               struct lanyard_config *cfg, char *err, size_t errlen);

/* Run the loop until SIGTERM/SIGINT; returns the process exit code. */
int agent_run(struct agent *a);

/* Re-read the configuration file; on any error keep the running one and log
 * every problem. Returns 0 if the new configuration is in force. */
int agent_reload(struct agent *a);

/* Send the published set's changes to the backends (after a change to its
 * inputs, e.g. the load overlay); failures are logged and retried at the
 * next call. */
void agent_publish(struct agent *a);

/* Withdraw everything and free all the agent holds (safe on a half-built agent). */
void agent_done(struct agent *a);

/* The status operation's object: agent, avahi, publishing, browsing, cache,
 * connections. NULL on OOM. (agent/status.c) */
json_t *agent_status_json(const struct agent *a);

/* Name of an avahi client state, for logs and status. */
const char *agent_client_state_name(enum mdns_client_state s);

/* Log a config diagnostics list, each line at error or warning level. */
void agent_log_diags(const struct cfg_diags *diags);
