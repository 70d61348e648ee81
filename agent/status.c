/* SPDX-License-Identifier: MIT */
/* The status operation's object: what an operator needs to see at a glance. */
#include <ev.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/balance.h"
#include "agent/cache.h"
#include "agent/checks.h"
#include "agent/discover.h"
#include "agent/loopwatch.h"
#include "agent/peers.h"
#include "agent/probe.h"
#include "agent/pubset.h"
#include "agent/register.h"
#include "agent/server.h"
#include "agent/watch.h"
#include "agent/wide-area.h"
#include "dnssd/clock.h"

static json_t *cache_json(const struct agent *a)
{
	struct cache_stats st;

	cache_get_stats(a->cache, &st);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I}}", "instances",
	                 (json_int_t)st.instances, "types", (json_int_t)st.types, "bytes",
	                 (json_int_t)st.bytes, "max_instances",
	                 (json_int_t)a->cfg->agent.max_instances, "added", (json_int_t)st.added,
	                 "changed", (json_int_t)st.changed, "removed", (json_int_t)st.removed,
	                 "dropped", "total_limit", (json_int_t)st.dropped[CACHE_DROP_TOTAL],
	                 "type_limit", (json_int_t)st.dropped[CACHE_DROP_TYPE], "sightings_limit",
	                 (json_int_t)st.dropped[CACHE_DROP_SIGHTINGS], "invalid",
	                 (json_int_t)st.dropped[CACHE_DROP_INVALID]);
}

/* Endpoints set aside by outlier ejection, with why and for how long. */
static json_t *ejected_json(const struct agent *a)
{
	double now = clock_mono(); /* for balance_status(): durations */
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	for (struct cache_type *t = cache_first_type(a->cache); t; t = t->next) {
		for (struct cache_entry *e = t->first; e; e = e->next) {
			struct balance_status st;

			balance_status(a->balance, e, now, &st);
			if (!st.ejected)
				continue;
			if (json_array_append_new(
			            arr, json_pack("{s:s,s:s,s:s,s:f,s:i,s:i}", "instance", e->name,
			                           "type", t->name, "reason",
			                           health_reason_name(st.reason), "time_left",
			                           st.time_left, "failures", (int)st.failures,
			                           "ejections", (int)st.ejections)) < 0) {
				json_decref(arr);
				return NULL;
			}
		}
	}
	return arr;
}

static json_t *server_json(const struct agent *a)
{
	struct server_stats st = {0};
	json_t *o;

	if (a->server)
		server_get_stats(a->server, &st);
	o = server_stats_to_json(&st);
	if (o && (json_object_set_new(o, "watches",
	                              json_integer((json_int_t)watches_count(a->watches))) < 0 ||
	          json_object_set_new(o, "watch_bytes",
	                              json_integer((json_int_t)watches_bytes(a->watches))) < 0 ||
	          json_object_set_new(o, "users", json_integer((json_int_t)peers_count(a->peers))) <
	                  0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The browse layer's own counters, added to "browsing". */
static json_t *browsing_json(const struct agent *a)
{
	json_t *o = discover_status(a->discover);
	struct mdns_stats st = {0};

	if (!o)
		return NULL;
	if (a->mdns)
		mdns_get_stats(a->mdns, &st);
	if (json_object_set_new(o, "sightings", json_integer((json_int_t)st.instances)) < 0 ||
	    json_object_set_new(o, "unresolved", json_integer((json_int_t)st.unresolved)) < 0 ||
	    json_object_set_new(o, "sightings_dropped", json_integer((json_int_t)st.dropped)) < 0 ||
	    json_object_set_new(o, "resolvers", json_integer((json_int_t)st.resolvers)) < 0 ||
	    json_object_set_new(o, "resolvers_kept", json_integer((json_int_t)st.kept)) < 0 ||
	    json_object_set_new(o, "queued", json_integer((json_int_t)st.queued)) < 0 ||
	    json_object_set_new(o, "failed", json_integer((json_int_t)st.failed)) < 0 ||
	    json_object_set_new(o, "resolves", json_integer((json_int_t)st.resolves)) < 0 ||
	    json_object_set_new(o, "hosts", json_integer((json_int_t)st.hosts)) < 0 ||
	    json_object_set_new(o, "hosts_up", json_integer((json_int_t)st.hosts_up)) < 0 ||
	    json_object_set_new(o, "hosts_down", json_integer((json_int_t)st.hosts_down)) < 0 ||
	    json_object_set_new(o, "withheld", json_integer((json_int_t)st.withheld)) < 0 ||
	    json_object_set_new(o, "presence", json_boolean(st.presence)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The avahi backend: connection state, the objects it holds against
 * avahi-daemon's per-client budget, and its queues. */
static json_t *avahi_json(const struct agent *a)
{
	struct mdns_stats st = {0};

	if (a->mdns)
		mdns_get_stats(a->mdns, &st);
	return json_pack("{s:s,s:I,s:o,s:I,s:I,s:I,s:I}", "state",
	                 agent_client_state_name(a->avahi_state), "objects", (json_int_t)st.objects,
	                 "objects_max",
	                 st.objects_max ? json_integer((json_int_t)st.objects_max) : json_null(),
	                 "calls", (json_int_t)st.avahi_calls, "commands_pending",
	                 (json_int_t)st.commands_pending, "events_pending",
	                 (json_int_t)st.events_pending, "events_lost", (json_int_t)st.events_lost);
}

/* agent.probe: the endpoints probed and marked down. */
static json_t *probing_json(const struct agent *a)
{
	struct prober_stats st;

	prober_get_stats(a->prober, &st);
	return json_pack("{s:b,s:I,s:I,s:I,s:I,s:I}", "enabled", st.enabled, "endpoints",
	                 (json_int_t)st.endpoints, "down", (json_int_t)st.down, "probes",
	                 (json_int_t)st.probes, "failures", (json_int_t)st.failures, "full",
	                 (json_int_t)st.full);
}

/* The published set's entries, each with the state of its checks. */
static json_t *publishing_json(const struct agent *a)
{
	json_t *arr = pubset_status(a->pubset), *o;
	size_t i;

	if (!arr)
		return NULL;
	json_array_foreach(arr, i, o)
	{
		const char *svc = json_string_value(json_object_get(o, "service"));
		json_t *reg = json_object_get(o, "registration");
		json_t *checks = reg                ? registry_checks_status(a->registry,
		                                                             (uint64_t)json_integer_value(
		                                                                     json_object_get(reg, "id")))
		                 : svc && a->checks ? checks_status(a->checks, svc)
		                                    : json_array();

		if (json_object_set_new(o, "checks", checks) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *agent_status_json(const struct agent *a)
{
	return json_pack("{s:{s:s,s:i,s:s,s:s,s:f,s:i,s:i,s:s},s:o*,s:o*,s:o*,s:o*,s:o*,s:o*,s:o*,"
	                 "s:o*,s:o*}",
	                 "agent", "version", PACKAGE_VERSION, "pid", (int)getpid(), "config",
	                 a->cfg->path, "socket", a->server ? server_path(a->server) : "", "uptime",
	                 clock_mono() - a->started, "reloads", (int)a->reloads, "reload_failures",
	                 (int)a->reload_failures, "policy", cfg_policy_name(a->cfg->agent.policy),
	                 "avahi", avahi_json(a), "publishing", publishing_json(a), "browsing",
	                 browsing_json(a), "cache", cache_json(a), "server", server_json(a),
	                 "ejected", ejected_json(a), "loop", loopwatch_status(a->loopwatch),
	                 "probing", probing_json(a), "wide_area", agent_wide_status(a));
}
