/* SPDX-License-Identifier: MIT */
/* Prometheus metrics: request counters and latency histograms kept as
 * requests are answered, the rest read at scrape time from the same
 * objects the status operation shows (agent_status_json(), the cache),
 * so that /metrics and `lanyard status` cannot disagree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/cache.h"
#include "agent/metrics.h"
#include "wire/wire.h"

/* Upper bounds of the latency buckets, seconds (+Inf implied). */
static const double buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                 0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};
#define N_BUCKETS (sizeof(buckets) / sizeof(*buckets))

/* Operations counted: the socket's, and one for out-of-range ones. */
#define N_OPS (_WIRE_OP_MAX + 1)

/* HTTP statuses counted one by one; others count as "other". */
static const unsigned http_statuses[] = {200, 400, 403, 404, 405, 409, 413, 415, 429, 500, 503};
#define N_STATUSES (sizeof(http_statuses) / sizeof(*http_statuses))

struct metrics {
	uint64_t requests[N_OPS][_WIRE_CODE_MAX];
	uint64_t hist[N_OPS][N_BUCKETS + 1]; /* per bucket, not cumulative; last = +Inf */
	double sum[N_OPS];
	uint64_t http[N_STATUSES + 1];
	uint64_t avahi_running;  /* times the client reached RUNNING */
	uint64_t mdns_events[2]; /* UPSERT, REMOVE */
};

struct metrics *metrics_new(void)
{
	return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
	free(m);
}

void metrics_request(struct metrics *m, enum wire_op op, enum wire_code outcome, double seconds)
{
	size_t o = (unsigned)op < _WIRE_OP_MAX ? (size_t)op : _WIRE_OP_MAX, b;

	if (!m)
		return;
	if ((unsigned)outcome >= _WIRE_CODE_MAX)
		outcome = WIRE_INTERNAL;
	if (seconds < 0)
		seconds = 0;
	m->requests[o][outcome]++;
	for (b = 0; b < N_BUCKETS && seconds > buckets[b]; b++)
		;
	m->hist[o][b]++;
	m->sum[o] += seconds;
}

void metrics_http(struct metrics *m, unsigned status)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < N_STATUSES && http_statuses[i] != status; i++)
		;
	m->http[i]++;
}

void metrics_avahi_state(struct metrics *m, enum mdns_client_state state)
{
	if (m && state == MDNS_CLIENT_RUNNING)
		m->avahi_running++;
}

void metrics_mdns_event(struct metrics *m, enum mdns_instance_event ev)
{
	if (m)
		m->mdns_events[ev == MDNS_INSTANCE_REMOVE]++;
}

/* --- rendering ------------------------------------------------------------ */

/* S as a label value: backslash, double quote and newline escaped (the
 * exposition format's rule); other bytes as they are (LAN names are UTF-8). */
static void put_label(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *op_label(size_t o)
{
	return o < _WIRE_OP_MAX ? wire_op_name((enum wire_op)o) : "unknown";
}

static void render_requests(FILE *f, const struct metrics *m)
{
	head(f, "lanyard_requests_total", "counter",
	     "Socket and HTTP API requests answered, by operation and outcome (ok or the error "
	     "code).");
	for (size_t o = 0; o < N_OPS; o++)
		for (int c = 0; c < _WIRE_CODE_MAX; c++)
			if (m->requests[o][c] || (c == WIRE_OK && o < _WIRE_OP_MAX))
				fprintf(f,
				        "lanyard_requests_total{op=\"%s\",outcome=\"%s\"} %llu\n",
				        op_label(o), wire_code_name((enum wire_code)c),
				        (unsigned long long)m->requests[o][c]);
	head(f, "lanyard_request_duration_seconds", "histogram",
	     "Time from a request's arrival to its answer (a request held for a first browse "
	     "included).");
	for (size_t o = 0; o < _WIRE_OP_MAX; o++) {
		uint64_t cum = 0;

		for (size_t b = 0; b <= N_BUCKETS; b++) {
			cum += m->hist[o][b];
			if (b < N_BUCKETS)
				fprintf(f,
				        "lanyard_request_duration_seconds_bucket{op=\"%s\",le=\"%"
				        "g\"} "
				        "%llu\n",
				        op_label(o), buckets[b], (unsigned long long)cum);
			else
				fprintf(f,
				        "lanyard_request_duration_seconds_bucket{op=\"%s\",le=\"+"
				        "Inf\"} "
				        "%llu\n",
				        op_label(o), (unsigned long long)cum);
		}
		fprintf(f, "lanyard_request_duration_seconds_sum{op=\"%s\"} %.9f\n", op_label(o),
		        m->sum[o]);
		fprintf(f, "lanyard_request_duration_seconds_count{op=\"%s\"} %llu\n", op_label(o),
		        (unsigned long long)cum);
	}
	head(f, "lanyard_http_responses_total", "counter", "HTTP responses, by status code.");
	for (size_t i = 0; i <= N_STATUSES; i++) {
		if (i < N_STATUSES)
			fprintf(f, "lanyard_http_responses_total{code=\"%u\"} %llu\n",
			        http_statuses[i], (unsigned long long)m->http[i]);
		else
			fprintf(f, "lanyard_http_responses_total{code=\"other\"} %llu\n",
			        (unsigned long long)m->http[i]);
	}
}

/* Types with more instances first, then by type name (and service): the
 * types kept under metrics_max_services do not depend on the order in
 * which the LAN showed them. */
static int type_cmp(const void *x, const void *y)
{
	const struct cache_type *a = *(struct cache_type *const *)x;
	const struct cache_type *b = *(struct cache_type *const *)y;
	int c;

	if (a->n_entries != b->n_entries)
		return a->n_entries > b->n_entries ? -1 : 1;
	c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->service, b->service);
}

/* The cache's instances per type: the MAX types with the most instances
 * (ties by name), the rest under type="_other". -ENOMEM or 0. */
static int render_cache(FILE *f, const struct agent *a, unsigned max)
{
	struct cache_stats st;
	struct cache_type **types;
	size_t n = 0, other = 0, other_types = 0;
	static const char *const drop_names[_CACHE_DROP_MAX] = {
	        [CACHE_DROP_TOTAL] = "total_limit",
	        [CACHE_DROP_TYPE] = "type_limit",
	        [CACHE_DROP_SIGHTINGS] = "sightings_limit",
	        [CACHE_DROP_INVALID] = "invalid",
	};

	cache_get_stats(a->cache, &st);
	head(f, "lanyard_cache_instances", "gauge",
	     "Instances in the cache, by service and DNS-SD type (the "
	     "agent.http.metrics_max_services types with the most instances, ties by "
	     "name; the rest under type=\"_other\").");
	for (struct cache_type *t = cache_first_type(a->cache); t; t = t->next)
		n++;
	types = malloc((n ? n : 1) * sizeof(*types));
	if (!types)
		return -ENOMEM;
	n = 0;
	for (struct cache_type *t = cache_first_type(a->cache); t; t = t->next)
		types[n++] = t;
	qsort(types, n, sizeof(*types), type_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct cache_type *t = types[i];

		if (i >= max) {
			other += t->n_entries;
			other_types++;
			continue;
		}
		fputs("lanyard_cache_instances{service=\"", f);
		put_label(f, t->service);
		fputs("\",type=\"", f);
		put_label(f, t->name);
		fprintf(f, "\"} %zu\n", t->n_entries);
	}
	free(types);
	if (other_types)
		fprintf(f, "lanyard_cache_instances{service=\"_other\",type=\"_other\"} %zu\n",
		        other);
	head(f, "lanyard_cache_types", "gauge", "DNS-SD types in the cache.");
	fprintf(f, "lanyard_cache_types %zu\n", st.types);
	head(f, "lanyard_cache_bytes", "gauge", "Heap bytes the cache holds.");
	fprintf(f, "lanyard_cache_bytes %zu\n", st.bytes);
	head(f, "lanyard_cache_events_total", "counter",
	     "Instances added to, changed in and removed from the cache.");
	fprintf(f, "lanyard_cache_events_total{event=\"added\"} %llu\n",
	        (unsigned long long)st.added);
	fprintf(f, "lanyard_cache_events_total{event=\"changed\"} %llu\n",
	        (unsigned long long)st.changed);
	fprintf(f, "lanyard_cache_events_total{event=\"removed\"} %llu\n",
	        (unsigned long long)st.removed);
	head(f, "lanyard_cache_dropped_total", "counter",
	     "Sightings the cache refused, by reason.");
	for (int i = 0; i < _CACHE_DROP_MAX; i++)
		fprintf(f, "lanyard_cache_dropped_total{reason=\"%s\"} %llu\n", drop_names[i],
		        (unsigned long long)st.dropped[i]);
	return 0;
}

static json_int_t int_of(const json_t *o, const char *path1, const char *path2)
{
	const json_t *v = json_object_get(o, path1);

	if (path2)
		v = json_object_get(v, path2);
	return json_integer_value(v);
}

static void render_avahi(FILE *f, const struct metrics *m, const json_t *st)
{
	static const char *const states[] = {"connecting", "registering", "running", "collision",
	                                     "failure"};
	const char *now = json_string_value(json_object_get(json_object_get(st, "avahi"), "state"));

	head(f, "lanyard_avahi_state", "gauge",
	     "The avahi-daemon client's state: 1 for the current one.");
	for (size_t i = 0; i < sizeof(states) / sizeof(*states); i++)
		fprintf(f, "lanyard_avahi_state{state=\"%s\"} %d\n", states[i],
		        now && strcmp(now, states[i]) == 0);
	head(f, "lanyard_avahi_connected", "gauge", "1 while the avahi-daemon client runs.");
	fprintf(f, "lanyard_avahi_connected %d\n", now && strcmp(now, "running") == 0);
	head(f, "lanyard_avahi_reconnects_total", "counter",
	     "Times the avahi-daemon client came back to running after the first time.");
	fprintf(f, "lanyard_avahi_reconnects_total %llu\n",
	        (unsigned long long)(m->avahi_running ? m->avahi_running - 1 : 0));
	head(f, "lanyard_mdns_events_total", "counter",
	     "Browse results received from avahi-daemon: instances found or changed, and "
	     "gone.");
	fprintf(f, "lanyard_mdns_events_total{event=\"upsert\"} %llu\n",
	        (unsigned long long)m->mdns_events[0]);
	fprintf(f, "lanyard_mdns_events_total{event=\"remove\"} %llu\n",
	        (unsigned long long)m->mdns_events[1]);
}

static void render_browsing(FILE *f, const json_t *st, unsigned max)
{
	const json_t *b = json_object_get(st, "browsing"), *t;
	size_t i;

	head(f, "lanyard_browse_up", "gauge", "1 while browsing works (avahi-daemon reachable).");
	fprintf(f, "lanyard_browse_up %d\n", json_is_true(json_object_get(b, "up")));
	head(f, "lanyard_browse_type_settled", "gauge",
	     "Per browsed type (at most agent.http.metrics_max_services): 1 once its first pass "
	     "is done.");
	json_array_foreach(json_object_get(b, "types"), i, t)
	{
		if (i >= max)
			break;
		fputs("lanyard_browse_type_settled{type=\"", f);
		put_label(f, json_string_value(json_object_get(t, "type")));
		fprintf(f, "\"} %d\n", json_is_true(json_object_get(t, "settled")));
	}
	head(f, "lanyard_browse_types", "gauge", "Types browsed.");
	fprintf(f, "lanyard_browse_types %zu\n", json_array_size(json_object_get(b, "types")));
	head(f, "lanyard_mdns_hosts", "gauge",
	     "Hosts running lanyardd whose presence is watched, by state.");
	fprintf(f, "lanyard_mdns_hosts{state=\"up\"} %lld\n",
	        (long long)int_of(b, "hosts_up", NULL));
	fprintf(f, "lanyard_mdns_hosts{state=\"down\"} %lld\n",
	        (long long)int_of(b, "hosts_down", NULL));
}

static void render_publishing(FILE *f, const json_t *st, unsigned max)
{
	static const char *const states[] = {"pending", "registering", "established", "collision",
	                                     "failed"};
	const json_t *pub = json_object_get(st, "publishing"), *e, *k;
	size_t i, j;

	head(f, "lanyard_publish_state", "gauge",
	     "This host's published services (at most agent.http.metrics_max_services): 1 for "
	     "the current state.");
	json_array_foreach(pub, i, e)
	{
		const char *now = json_string_value(json_object_get(e, "state"));

		if (i >= max)
			break;
		for (size_t s = 0; s < sizeof(states) / sizeof(*states); s++) {
			fputs("lanyard_publish_state{service=\"", f);
			put_label(f, json_string_value(json_object_get(e, "service")));
			fprintf(f, "\",state=\"%s\"} %d\n", states[s],
			        now && strcmp(now, states[s]) == 0);
		}
	}
	head(f, "lanyard_publish_announced", "gauge",
	     "1 when a published service is announced (its checks pass, no maintenance).");
	json_array_foreach(pub, i, e)
	{
		if (i >= max)
			break;
		fputs("lanyard_publish_announced{service=\"", f);
		put_label(f, json_string_value(json_object_get(e, "service")));
		fprintf(f, "\"} %d\n", json_is_true(json_object_get(e, "announced")));
	}
	head(f, "lanyard_check_state", "gauge",
	     "Health checks of this host's services: 1 for the current state.");
	json_array_foreach(pub, i, e)
	{
		if (i >= max)
			break;
		json_array_foreach(json_object_get(e, "checks"), j, k)
		{
			static const char *const hs[] = {"passing", "warning", "critical"};
			const char *now = json_string_value(json_object_get(k, "state"));

			for (size_t s = 0; s < sizeof(hs) / sizeof(*hs); s++) {
				fputs("lanyard_check_state{service=\"", f);
				put_label(f, json_string_value(json_object_get(e, "service")));
				fprintf(f, "\",check=\"%zu\",kind=\"", j);
				put_label(f, json_string_value(json_object_get(k, "kind")));
				fprintf(f, "\",state=\"%s\"} %d\n", hs[s],
				        now && strcmp(now, hs[s]) == 0);
			}
		}
	}
	head(f, "lanyard_check_duration_seconds", "gauge",
	     "How long each health check's last run took.");
	json_array_foreach(pub, i, e)
	{
		if (i >= max)
			break;
		json_array_foreach(json_object_get(e, "checks"), j, k)
		{
			const json_t *d = json_object_get(k, "duration_ms");

			if (!json_is_number(d))
				continue;
			fputs("lanyard_check_duration_seconds{service=\"", f);
			put_label(f, json_string_value(json_object_get(e, "service")));
			fprintf(f, "\",check=\"%zu\",kind=\"", j);
			put_label(f, json_string_value(json_object_get(k, "kind")));
			fprintf(f, "\"} %.6f\n", json_number_value(d) / 1000.0);
		}
	}
}

static void render_server(FILE *f, const json_t *st)
{
	const json_t *s = json_object_get(st, "server");
	const json_t *ej = json_object_get(st, "ejected"), *e;
	size_t i, failures = 0;

	head(f, "lanyard_connections_open", "gauge",
	     "Socket connections open (HTTP connections' socket sides included).");
	fprintf(f, "lanyard_connections_open %lld\n", (long long)int_of(s, "connections", NULL));
	head(f, "lanyard_connections_total", "counter", "Socket connections accepted.");
	fprintf(f, "lanyard_connections_total %lld\n",
	        (long long)int_of(s, "connections_total", NULL));
	head(f, "lanyard_connections_refused_total", "counter",
	     "Socket connections refused at a connection limit.");
	fprintf(f, "lanyard_connections_refused_total %lld\n",
	        (long long)int_of(s, "rejected_busy", NULL));
	head(f, "lanyard_connections_closed_total", "counter",
	     "Socket connections closed by the agent, by reason.");
	fprintf(f, "lanyard_connections_closed_total{reason=\"slow_reader\"} %lld\n",
	        (long long)int_of(s, "dropped_slow", NULL));
	fprintf(f, "lanyard_connections_closed_total{reason=\"idle\"} %lld\n",
	        (long long)int_of(s, "timed_out", NULL));
	fprintf(f, "lanyard_connections_closed_total{reason=\"too_large\"} %lld\n",
	        (long long)int_of(s, "too_large", NULL));
	head(f, "lanyard_watches", "gauge", "Watches open.");
	fprintf(f, "lanyard_watches %lld\n", (long long)int_of(s, "watches", NULL));
	json_array_foreach(ej, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "reason")) ?: "", "failures") == 0)
			failures++;
	}
	head(f, "lanyard_ejected_endpoints", "gauge",
	     "Endpoints set aside by outlier ejection now, by reason.");
	fprintf(f, "lanyard_ejected_endpoints{reason=\"failures\"} %zu\n", failures);
	head(f, "lanyard_probe_down_endpoints", "gauge", "Endpoints agent.probe marks down now.");
	fprintf(f, "lanyard_probe_down_endpoints %lld\n", (long long)int_of(st, "probing", "down"));
	head(f, "lanyard_reloads_total", "counter", "Configuration reloads, by result.");
	fprintf(f, "lanyard_reloads_total{result=\"ok\"} %lld\n",
	        (long long)int_of(st, "agent", "reloads"));
	fprintf(f, "lanyard_reloads_total{result=\"failed\"} %lld\n",
	        (long long)int_of(st, "agent", "reload_failures"));
}

/* RSS and CPU time from /proc/self/stat (fields 14, 15 and 24). */
static void render_process(FILE *f)
{
	char buf[1024], *p;
	unsigned long utime = 0, stime = 0;
	long rss = 0, tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	FILE *in = fopen("/proc/self/stat", "re");
	size_t n = in ? fread(buf, 1, sizeof(buf) - 1, in) : 0;

	if (in)
		fclose(in);
	buf[n] = '\0';
	/* After the command name, which may hold spaces and parentheses. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
	                 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d "
	                 "%*d %*u %*u %ld",
	                 &utime, &stime, &rss) != 3)
		return;
	head(f, "process_cpu_seconds_total", "counter", "User and system CPU time, seconds.");
	fprintf(f, "process_cpu_seconds_total %.2f\n",
	        tick > 0 ? (double)(utime + stime) / (double)tick : 0.0);
	head(f, "process_resident_memory_bytes", "gauge", "Resident memory, bytes.");
	fprintf(f, "process_resident_memory_bytes %ld\n", rss * page);
}

int metrics_render(const struct agent *a, char **ret, size_t *ret_len)
{
	unsigned max = a->cfg->agent.http.metrics_max_services;
	json_t *st = agent_status_json(a);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	*ret = NULL;
	*ret_len = 0;
	if (!st || !a->metrics)
		goto fail;
	f = open_memstream(&buf, &len);
	if (!f)
		goto fail;
	head(f, "lanyard_build_info", "gauge", "lanyardd's version.");
	fprintf(f, "lanyard_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	head(f, "lanyard_uptime_seconds", "gauge", "Seconds since lanyardd started.");
	fprintf(f, "lanyard_uptime_seconds %.3f\n",
	        json_number_value(json_object_get(json_object_get(st, "agent"), "uptime")));
	render_requests(f, a->metrics);
	if (render_cache(f, a, max) < 0) {
		fclose(f);
		goto fail;
	}
	render_avahi(f, a->metrics, st);
	render_browsing(f, st, max);
	render_publishing(f, st, max);
	render_server(f, st);
	render_process(f);
	if (fclose(f) != 0 || !buf)
		goto fail;
	json_decref(st);
	*ret = buf;
	*ret_len = len;
	return 0;
fail:
	free(buf);
	json_decref(st);
	return -ENOMEM;
}
