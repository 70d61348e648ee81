/* SPDX-License-Identifier: MIT */
/* The agent section of a lanyard config: socket, browsing, policy,
 * logging, include, load, probing, registration and http keys, and the names of
 * policies and log levels. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "config/config.h"
#include "config/loader.h"
#include "config/node.h"
#include "config/http.h"
#include "config/trust.h"
#include "config/wide-area.h"
#include "dnssd/name.h"

static const char *const policy_names[_CFG_POLICY_MAX] = {
        [CFG_POLICY_ROUND_ROBIN] = "round_robin",
        [CFG_POLICY_WEIGHTED] = "weighted",
        [CFG_POLICY_RANDOM] = "random",
        [CFG_POLICY_WEIGHTED_RANDOM] = "weighted_random",
        [CFG_POLICY_HASH] = "hash",
        [CFG_POLICY_P2C] = "p2c",
        [CFG_POLICY_LEAST_LOADED] = "least_loaded",
};

static const char *const log_level_names[] = {
        [CFG_LOG_ERROR] = "error",
        [CFG_LOG_WARNING] = "warning",
        [CFG_LOG_INFO] = "info",
        [CFG_LOG_DEBUG] = "debug",
};

#define BROWSE_TIMEOUT_MAX_MS 60000
#define BROWSE_IDLE_MAX_MS    86400000
#define MAX_INSTANCES_MAX     10000000

enum {
	A_SOCKET,
	A_SOCKET_MODE,
	A_SOCKET_GROUP,
	A_USER,
	A_DOMAIN,
	A_INTERFACES,
	A_BROWSE,
	A_BROWSE_TIMEOUT,
	A_BROWSE_IDLE,
	A_MAX_INSTANCES,
	A_POLICY,
	A_LOG_LEVEL,
	A_INCLUDE,
	A_PUBLISH_LOAD,
	A_LOAD_INTERVAL,
	A_PROBE,
	A_REGISTER,
	A_REPORT,
	A_LIMITS,
	A_TRUST,
	A_HTTP,
	A_WIDE_AREA,
	N_AGENT_FIELDS,
};

/* Contract in config.h. */
const char *cfg_policy_name(enum cfg_policy p)
{
	if ((unsigned)p >= _CFG_POLICY_MAX)
		return NULL;
	return policy_names[p];
}

/* Contract in config.h. */
int cfg_policy_from_name(const char *name, enum cfg_policy *ret)
{
	for (int i = 0; name && i < _CFG_POLICY_MAX; i++) {
		if (strcmp(name, policy_names[i]) == 0) {
			*ret = (enum cfg_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Contract in config.h. */
const char *cfg_log_level_name(enum cfg_log_level l)
{
	if ((unsigned)l > CFG_LOG_DEBUG)
		return NULL;
	return log_level_names[l];
}

/* Replace *SLOT by a copy of S. */
static void set_str(struct cfg_file *f, char **slot, const char *s)
{
	char *p = cfg_strndup(f, s, strlen(s));

	if (!p)
		return;
	free(*slot);
	*slot = p;
}

/* Group name or number: 1-32 of [A-Za-z0-9_.-], optionally ending in '$'. */
static bool valid_group(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 32 || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '$' && i == len - 1)
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* Interface name as the kernel accepts it (dev_valid_name()). */
static bool valid_ifname(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= ' ' || s[i] == 0x7F)
			return false;
	return true;
}

/* A duration field within LO_MS..HI_MS (RANGE says so in the message);
 * *RET_MS is left alone unless the value fits. */
static void field_duration(struct cfg_file *f, const struct cfg_field *fld, uint64_t lo_ms,
                           uint64_t hi_ms, const char *range, uint64_t *ret_ms)
{
	const char *v = cfg_field_string(f, fld);
	char q[CFG_QUOTE_MAX];
	uint64_t n;

	if (!v)
		return;
	if (duration_parse(v, &n) < 0)
		cfg_error(f, fld->value,
		          "'%s': expected a duration such as 500ms, 2s or 1m, got %s", fld->name,
		          cfg_quote(v, strlen(v), q));
	else if (n < lo_ms || n > hi_ms)
		cfg_error(f, fld->value, "'%s': %s is out of range (%s)", fld->name,
		          cfg_quote(v, strlen(v), q), range);
	else
		*ret_ms = n;
}

static void parse_socket(struct loader *ld, struct cfg_file *f, struct cfg_field *fl)
{
	const struct sockaddr_un *sun = NULL;
	const char *v;
	char q[CFG_QUOTE_MAX];

	if (fl[A_SOCKET].key && (v = cfg_field_string(f, &fl[A_SOCKET]))) {
		if (v[0] != '/')
			cfg_error(f, fl[A_SOCKET].value, "'socket': %s is not an absolute path",
			          cfg_quote(v, strlen(v), q));
		else if (strlen(v) >= sizeof(sun->sun_path))
			cfg_error(f, fl[A_SOCKET].value,
			          "'socket': the path is %zu bytes (max %zu)", strlen(v),
			          sizeof(sun->sun_path) - 1);
		else
			set_str(f, &ld->cfg->agent.socket, v);
	}
	if (fl[A_SOCKET_MODE].key && (v = cfg_field_string(f, &fl[A_SOCKET_MODE]))) {
		const char *p = v;
		unsigned long mode = 0;

		if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
			p += 2;
		if (*p == '\0' || strspn(p, "01234567") != strlen(p)) {
			cfg_error(f, fl[A_SOCKET_MODE].value,
			          "'socket_mode': expected an octal mode such as \"0660\", got %s",
			          cfg_quote(v, strlen(v), q));
		} else {
			for (; *p && mode <= 0777; p++)
				mode = mode * 8 + (unsigned long)(*p - '0');
			if (mode > 0777)
				cfg_error(f, fl[A_SOCKET_MODE].value,
				          "'socket_mode': %s is out of range (0-0777)",
				          cfg_quote(v, strlen(v), q));
			else
				ld->cfg->agent.socket_mode = (unsigned)mode;
		}
	}
	if (fl[A_SOCKET_GROUP].key && (v = cfg_field_string(f, &fl[A_SOCKET_GROUP]))) {
		if (!valid_group(v))
			cfg_error(f, fl[A_SOCKET_GROUP].value,
			          "'socket_group': %s is not a valid group name",
			          cfg_quote(v, strlen(v), q));
		else
			set_str(f, &ld->cfg->agent.socket_group, v);
	}
	if (fl[A_USER].key && (v = cfg_field_string(f, &fl[A_USER]))) {
		if (!valid_group(v))
			cfg_error(f, fl[A_USER].value, "'user': %s is not a valid user name",
			          cfg_quote(v, strlen(v), q));
		else
			set_str(f, &ld->cfg->agent.user, v);
	}
}

static void parse_browse(struct loader *ld, struct cfg_file *f, struct cfg_field *fld)
{
	struct cfg_agent *a = &ld->cfg->agent;
	enum cfg_kind k = cfg_node_kind(fld->value);
	char q[CFG_QUOTE_MAX];

	if (k == CFG_KIND_STRING) {
		const char *v = cfg_node_text(fld->value);

		if (strcmp(v, "all") == 0)
			a->browse_all = true;
		else
			cfg_error(f, fld->value, "'browse': expected a list or 'all', got %s",
			          cfg_quote(v, cfg_node_len(fld->value), q));
		return;
	}
	if (!cfg_field_list(f, fld))
		return;
	for (size_t i = 0; i < cfg_list_len(fld->value); i++) {
		yaml_node_t *item = cfg_list_item(f, fld->value, i);
		const char *v = cfg_item_string(f, "browse", item);
		const char *why;

		if (!v)
			continue;
		if (strcmp(v, "all") == 0) {
			if (cfg_list_len(fld->value) > 1)
				cfg_error(f, item,
				          "'browse': 'all' cannot be combined with other entries");
			else
				a->browse_all = true;
			continue;
		}
		why = dnssd_check_service(v);
		if (why)
			cfg_error(
			        f, item,
			        "'browse' item: %s is neither a service name nor a DNS-SD type: %s",
			        cfg_quote(v, strlen(v), q), why);
		else if (!cfg_push_str(f, &a->browse, &a->n_browse, v))
			return;
	}
}

/* agent.include: resolve against the main file's directory and check it. */
static void parse_include(struct loader *ld, struct cfg_file *f, struct cfg_field *fld)
{
	const char *v = cfg_field_string(f, fld);
	char q[CFG_QUOTE_MAX];
	char *path;
	struct stat st;

	if (!v)
		return;
	if (!*v) {
		cfg_error(f, fld->value, "'include': cannot be empty");
		return;
	}
	if (!ld->dir || v[0] == '/' || !ld->dir[0]) {
		set_str(f, &ld->cfg->agent.include, v);
	} else {
		const char *sep = ld->dir[strlen(ld->dir) - 1] == '/' ? "" : "/";

		if (asprintf(&path, "%s%s%s", ld->dir, sep, v) < 0) {
			f->oom = true;
			return;
		}
		free(ld->cfg->agent.include);
		ld->cfg->agent.include = path;
	}
	path = ld->cfg->agent.include;
	if (!ld->dir || !path)
		return;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			cfg_warning(f, fld->value, "'include': directory %s does not exist",
			            cfg_quote(path, strlen(path), q));
		else
			cfg_error(f, fld->value, "'include': cannot use %s: %s",
			          cfg_quote(path, strlen(path), q), strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		cfg_error(f, fld->value, "'include': %s is not a directory",
		          cfg_quote(path, strlen(path), q));
	} else {
		ld->include_ok = true;
	}
}

/* agent.probe: a mapping (defaults for what it leaves out), true/false,
 * or empty (on, defaults). */
static void parse_probe(struct cfg_file *f, const struct cfg_field *probe, struct cfg_probe *p)
{
	enum { P_INTERVAL, P_TIMEOUT, P_FALL, P_RISE, P_WINDOW, P_MAX, N_PROBE_FIELDS };
	struct cfg_field fl[N_PROBE_FIELDS] = {
	        [P_INTERVAL] = {.name = "interval"}, [P_TIMEOUT] = {.name = "timeout"},
	        [P_FALL] = {.name = "fall"},         [P_RISE] = {.name = "rise"},
	        [P_WINDOW] = {.name = "window"},     [P_MAX] = {.name = "max_endpoints"},
	};
	static const char *const bool_names[] = {"false", "true", "no", "yes", "off", "on"};
	enum cfg_kind k = cfg_node_kind(probe->value);
	uint64_t n;
	unsigned u;

	if (k == CFG_KIND_NULL) {
		p->enabled = true;
		return;
	}
	if (k == CFG_KIND_STRING) {
		if (cfg_field_enum(f, probe, bool_names, sizeof(bool_names) / sizeof(*bool_names),
		                   &u))
			p->enabled = u % 2 == 1;
		return;
	}
	if (k != CFG_KIND_MAP) {
		cfg_error(f, probe->value, "'probe': expected a mapping or true/false, got %s",
		          cfg_kind_name(k));
		return;
	}
	p->enabled = true;
	cfg_map_fields(f, probe->value, fl, N_PROBE_FIELDS, "in 'probe'");
	if (fl[P_INTERVAL].key)
		field_duration(f, &fl[P_INTERVAL], 100, 60000, "100ms-1m", &p->interval_ms);
	if (fl[P_TIMEOUT].key)
		field_duration(f, &fl[P_TIMEOUT], 10, 60000, "10ms-1m", &p->timeout_ms);
	if (fl[P_FALL].key && cfg_field_uint(f, &fl[P_FALL], 1, 100, &n))
		p->fall = (unsigned)n;
	if (fl[P_RISE].key && cfg_field_uint(f, &fl[P_RISE], 1, 100, &n))
		p->rise = (unsigned)n;
	if (fl[P_WINDOW].key)
		field_duration(f, &fl[P_WINDOW], 1000, 86400000, "1s-1d", &p->window_ms);
	if (fl[P_MAX].key && cfg_field_uint(f, &fl[P_MAX], 1, 65536, &n))
		p->max_endpoints = (unsigned)n;
	if (p->timeout_ms > p->interval_ms && !fl[P_TIMEOUT].key)
		p->timeout_ms = p->interval_ms; /* a short interval, the default timeout */
	else if (p->timeout_ms > p->interval_ms)
		cfg_error(f, fl[P_TIMEOUT].value,
		          "'probe': the timeout (%llums) must not exceed the interval (%llums)",
		          (unsigned long long)p->timeout_ms, (unsigned long long)p->interval_ms);
}

/* An 'allow' list of user or group names into *RET_V / *RET_N. */
static void parse_allow(struct cfg_file *f, const struct cfg_field *fld, char ***ret_v,
                        size_t *ret_n)
{
	char q[CFG_QUOTE_MAX];

	if (!cfg_field_list(f, fld))
		return;
	for (size_t i = 0; i < cfg_list_len(fld->value); i++) {
		yaml_node_t *item = cfg_list_item(f, fld->value, i);
		const char *v = cfg_item_string(f, "allow", item);

		if (!v)
			continue;
		if (!valid_group(v))
			cfg_error(f, item, "'allow' item: %s is not a user or group name",
			          cfg_quote(v, strlen(v), q));
		else if (!cfg_push_str(f, ret_v, ret_n, v))
			break;
	}
}

/* agent.register: {allow: [names], max_per_connection: N, max: N}. */
static void parse_register(struct cfg_file *f, const struct cfg_field *reg, struct cfg_register *r)
{
	enum { R_ALLOW, R_MAX_CONN, R_MAX, N_REG_FIELDS };
	struct cfg_field fl[N_REG_FIELDS] = {
	        [R_ALLOW] = {.name = "allow"},
	        [R_MAX_CONN] = {.name = "max_per_connection"},
	        [R_MAX] = {.name = "max"},
	};
	enum cfg_kind k = cfg_node_kind(reg->value);
	uint64_t n;

	if (k == CFG_KIND_NULL)
		return;
	if (k != CFG_KIND_MAP) {
		cfg_error(f, reg->value, "'register': expected a mapping, got %s",
		          cfg_kind_name(k));
		return;
	}
	cfg_map_fields(f, reg->value, fl, N_REG_FIELDS, "in 'register'");
	if (fl[R_ALLOW].key)
		parse_allow(f, &fl[R_ALLOW], &r->allow, &r->n_allow);
	if (fl[R_MAX_CONN].key && cfg_field_uint(f, &fl[R_MAX_CONN], 1, 4096, &n))
		r->max_per_connection = (unsigned)n;
	if (fl[R_MAX].key && cfg_field_uint(f, &fl[R_MAX], 1, 65536, &n))
		r->max = (unsigned)n;
}

/* agent.report: {allow: [names], per_second: N}. */
static void parse_report(struct cfg_file *f, const struct cfg_field *rep, struct cfg_report *r)
{
	enum { RP_ALLOW, RP_RATE, N_REPORT_FIELDS };
	struct cfg_field fl[N_REPORT_FIELDS] = {
	        [RP_ALLOW] = {.name = "allow"},
	        [RP_RATE] = {.name = "per_second"},
	};
	enum cfg_kind k = cfg_node_kind(rep->value);
	uint64_t n;

	if (k == CFG_KIND_NULL)
		return;
	if (k != CFG_KIND_MAP) {
		cfg_error(f, rep->value, "'report': expected a mapping, got %s", cfg_kind_name(k));
		return;
	}
	cfg_map_fields(f, rep->value, fl, N_REPORT_FIELDS, "in 'report'");
	if (fl[RP_ALLOW].key)
		parse_allow(f, &fl[RP_ALLOW], &r->allow, &r->n_allow);
	if (fl[RP_RATE].key && cfg_field_uint(f, &fl[RP_RATE], 1, 100000, &n))
		r->per_second = (unsigned)n;
}

/* agent.limits: per-user and per-connection quotas (docs/security.md). */
static void parse_limits(struct cfg_file *f, const struct cfg_field *lim, struct cfg_limits *l)
{
	enum {
		L_CONNS,
		L_CONNS_USER,
		L_WATCH_CONN,
		L_WATCH_USER,
		L_BROWSE_USER,
		L_OUT,
		L_OUT_ALL,
		N_LIMIT_FIELDS
	};
	struct cfg_field fl[N_LIMIT_FIELDS] = {
	        [L_CONNS] = {.name = "connections"},
	        [L_CONNS_USER] = {.name = "connections_per_user"},
	        [L_WATCH_CONN] = {.name = "watches_per_connection"},
	        [L_WATCH_USER] = {.name = "watches_per_user"},
	        [L_BROWSE_USER] = {.name = "browses_per_user"},
	        [L_OUT] = {.name = "output_per_connection"},
	        [L_OUT_ALL] = {.name = "output_total"},
	};
	enum cfg_kind k = cfg_node_kind(lim->value);
	uint64_t n;

	if (k == CFG_KIND_NULL)
		return;
	if (k != CFG_KIND_MAP) {
		cfg_error(f, lim->value, "'limits': expected a mapping, got %s", cfg_kind_name(k));
		return;
	}
	cfg_map_fields(f, lim->value, fl, N_LIMIT_FIELDS, "in 'limits'");
	if (fl[L_CONNS].key && cfg_field_uint(f, &fl[L_CONNS], 1, 1u << 20, &n))
		l->connections = (unsigned)n;
	if (fl[L_CONNS_USER].key && cfg_field_uint(f, &fl[L_CONNS_USER], 1, 1u << 20, &n))
		l->connections_per_user = (unsigned)n;
	if (fl[L_WATCH_CONN].key && cfg_field_uint(f, &fl[L_WATCH_CONN], 1, 65536, &n))
		l->watches_per_connection = (unsigned)n;
	if (fl[L_WATCH_USER].key && cfg_field_uint(f, &fl[L_WATCH_USER], 1, 1u << 20, &n))
		l->watches_per_user = (unsigned)n;
	if (fl[L_BROWSE_USER].key && cfg_field_uint(f, &fl[L_BROWSE_USER], 1, 4096, &n))
		l->browses_per_user = (unsigned)n;
	if (fl[L_OUT].key)
		cfg_field_uint(f, &fl[L_OUT], 65536, 1ull << 30, &l->output_per_connection);
	if (fl[L_OUT_ALL].key)
		cfg_field_uint(f, &fl[L_OUT_ALL], 65536, 1ull << 34, &l->output_total);
	if (l->output_total < l->output_per_connection)
		cfg_error(f, lim->value,
		          "'limits': output_total (%llu) is smaller than output_per_connection "
		          "(%llu)",
		          (unsigned long long)l->output_total,
		          (unsigned long long)l->output_per_connection);
}

void cfg_parse_agent(struct loader *ld, struct cfg_file *f, const struct cfg_field *agent)
{
	struct cfg_field fl[N_AGENT_FIELDS] = {
	        [A_SOCKET] = {.name = "socket"},
	        [A_SOCKET_MODE] = {.name = "socket_mode"},
	        [A_SOCKET_GROUP] = {.name = "socket_group"},
	        [A_USER] = {.name = "user"},
	        [A_DOMAIN] = {.name = "domain"},
	        [A_INTERFACES] = {.name = "interfaces"},
	        [A_BROWSE] = {.name = "browse"},
	        [A_BROWSE_TIMEOUT] = {.name = "browse_timeout"},
	        [A_BROWSE_IDLE] = {.name = "browse_idle"},
	        [A_MAX_INSTANCES] = {.name = "max_instances"},
	        [A_POLICY] = {.name = "policy"},
	        [A_LOG_LEVEL] = {.name = "log_level"},
	        [A_INCLUDE] = {.name = "include"},
	        [A_PUBLISH_LOAD] = {.name = "publish_load"},
	        [A_LOAD_INTERVAL] = {.name = "load_interval"},
	        [A_PROBE] = {.name = "probe"},
	        [A_REGISTER] = {.name = "register"},
	        [A_REPORT] = {.name = "report"},
	        [A_LIMITS] = {.name = "limits"},
	        [A_TRUST] = {.name = "trust"},
	        [A_HTTP] = {.name = "http"},
	        [A_WIDE_AREA] = {.name = "wide_area"},
	};

	static const char *const bool_names[] = {"false", "true", "no", "yes", "off", "on"};
	struct cfg_agent *a = &ld->cfg->agent;
	enum cfg_kind k = cfg_node_kind(agent->value);
	char q[CFG_QUOTE_MAX];
	const char *v;
	uint64_t n;
	unsigned u;

	if (k == CFG_KIND_NULL)
		return;
	if (k != CFG_KIND_MAP) {
		cfg_error(f, agent->value, "'agent': expected a mapping, got %s", cfg_kind_name(k));
		return;
	}
	cfg_map_fields(f, agent->value, fl, N_AGENT_FIELDS, "in 'agent'");
	parse_socket(ld, f, fl);
	if (fl[A_DOMAIN].key && (v = cfg_field_string(f, &fl[A_DOMAIN]))) {
		const char *why = dnssd_check_domain(v);

		if (why)
			cfg_error(f, fl[A_DOMAIN].value,
			          "'domain': %s is not a valid domain name: %s",
			          cfg_quote(v, strlen(v), q), why);
		else
			set_str(f, &a->domain, v);
	}
	if (fl[A_INTERFACES].key && cfg_field_list(f, &fl[A_INTERFACES])) {
		for (size_t i = 0; i < cfg_list_len(fl[A_INTERFACES].value); i++) {
			yaml_node_t *item = cfg_list_item(f, fl[A_INTERFACES].value, i);

			if (!(v = cfg_item_string(f, "interfaces", item)))
				continue;
			if (!valid_ifname(v))
				cfg_error(f, item,
				          "'interfaces' item: %s is not a valid interface name",
				          cfg_quote(v, strlen(v), q));
			else if (!cfg_push_str(f, &a->interfaces, &a->n_interfaces, v))
				break;
		}
	}
	if (fl[A_BROWSE].key)
		parse_browse(ld, f, &fl[A_BROWSE]);
	if (fl[A_BROWSE_TIMEOUT].key)
		field_duration(f, &fl[A_BROWSE_TIMEOUT], 0, BROWSE_TIMEOUT_MAX_MS, "0-60s",
		               &a->browse_timeout_ms);
	if (fl[A_BROWSE_IDLE].key)
		field_duration(f, &fl[A_BROWSE_IDLE], 1000, BROWSE_IDLE_MAX_MS, "1s-1d",
		               &a->browse_idle_ms);
	if (fl[A_MAX_INSTANCES].key &&
	    cfg_field_uint(f, &fl[A_MAX_INSTANCES], 1, MAX_INSTANCES_MAX, &n))
		a->max_instances = (unsigned)n;
	if (fl[A_POLICY].key && cfg_field_enum(f, &fl[A_POLICY], policy_names, _CFG_POLICY_MAX, &u))
		a->policy = (enum cfg_policy)u;
	if (fl[A_LOG_LEVEL].key &&
	    cfg_field_enum(f, &fl[A_LOG_LEVEL], log_level_names,
	                   sizeof(log_level_names) / sizeof(*log_level_names), &u))
		a->log_level = (enum cfg_log_level)u;
	if (fl[A_INCLUDE].key)
		parse_include(ld, f, &fl[A_INCLUDE]);
	if (fl[A_PUBLISH_LOAD].key && cfg_field_enum(f, &fl[A_PUBLISH_LOAD], bool_names,
	                                             sizeof(bool_names) / sizeof(*bool_names), &u))
		a->publish_load = u % 2 == 1;
	if (fl[A_LOAD_INTERVAL].key)
		field_duration(f, &fl[A_LOAD_INTERVAL], 1000, 3600000, "1s-1h",
		               &a->load_interval_ms);
	if (fl[A_PROBE].key)
		parse_probe(f, &fl[A_PROBE], &a->probe);
	if (fl[A_REGISTER].key)
		parse_register(f, &fl[A_REGISTER], &a->reg);
	if (fl[A_REPORT].key)
		parse_report(f, &fl[A_REPORT], &a->report);
	if (fl[A_LIMITS].key)
		parse_limits(f, &fl[A_LIMITS], &a->limits);
	if (fl[A_TRUST].key)
		cfg_trust_parse(f, &fl[A_TRUST], &a->trust);
	if (fl[A_HTTP].key) {
		uint64_t total;

		cfg_http_parse(f, &fl[A_HTTP], &a->http);
		/* Every HTTP client is uid 65534 on the socket: one quota. */
		total = (uint64_t)a->http.n_listen * a->http.max_connections;
		if (a->http.enabled && a->limits.connections_per_user &&
		    total > a->limits.connections_per_user)
			cfg_warning(
			        f, fl[A_HTTP].value,
			        "'http': %zu listen address(es) of max_connections %u make %llu "
			        "HTTP connections, more than agent.limits.connections_per_user "
			        "(%u), which all HTTP clients share as uid 65534: past it, "
			        "requests are answered 429 busy",
			        a->http.n_listen, a->http.max_connections,
			        (unsigned long long)total, a->limits.connections_per_user);
	}
	if (fl[A_WIDE_AREA].key)
		cfg_wide_area_parse(f, &fl[A_WIDE_AREA], ld->dir, &a->wide_area);
}
