/* SPDX-License-Identifier: MIT */
/* Loading a lanyard config: files and include directories, the agent section, lookups and names. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/config.h"
#include "config/node.h"
#include "config/service.h"
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

/* State shared by the files of one load. */
struct loader {
	struct lanyard_config *cfg;
	struct cfg_diags *diags;
	char host[64];   /* what "%h" expands to */
	char *dir;       /* main file's directory ("" = cwd), NULL: no includes */
	bool include_ok; /* agent.include names an existing directory */
	size_t n_errors; /* over all files */
};

enum {
	A_SOCKET,
	A_SOCKET_MODE,
	A_SOCKET_GROUP,
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

/* Contract in config.h. */
int cfg_parse_duration(const char *s, uint64_t *ret_ms)
{
	uint64_t v = 0, mult;
	const char *p = s;

	if (!s || *p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (*p == '\0' || strcmp(p, "ms") == 0)
		mult = 1;
	else if (strcmp(p, "s") == 0)
		mult = 1000;
	else if (strcmp(p, "m") == 0)
		mult = 60000;
	else
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*ret_ms = v * mult;
	return 0;
}

const char *cfg_format_duration(uint64_t ms, char *buf, size_t size)
{
	if (ms && ms % 60000 == 0)
		snprintf(buf, size, "%llum", (unsigned long long)(ms / 60000));
	else if (ms && ms % 1000 == 0)
		snprintf(buf, size, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, size, "%llums", (unsigned long long)ms);
	return buf;
}

/* Contract in config.h. */
const struct cfg_service *cfg_find_service(const struct lanyard_config *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	for (size_t i = 0; i < cfg->n_services; i++)
		if (strcasecmp(cfg->services[i].name, name) == 0)
			return &cfg->services[i];
	return NULL;
}

/* Contract in config.h. */
void cfg_free(struct lanyard_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->agent.socket);
	free(cfg->agent.socket_group);
	free(cfg->agent.domain);
	cfg_strv_free(cfg->agent.interfaces, cfg->agent.n_interfaces);
	cfg_strv_free(cfg->agent.browse, cfg->agent.n_browse);
	cfg_strv_free(cfg->agent.reg.allow, cfg->agent.reg.n_allow);
	free(cfg->agent.include);
	for (size_t i = 0; i < cfg->n_services; i++)
		cfg_service_clear(&cfg->services[i]);
	free(cfg->services);
	free(cfg);
}

/* Contract in config.h. */
void cfg_diags_clear(struct cfg_diags *diags)
{
	if (!diags)
		return;
	for (size_t i = 0; i < diags->n; i++)
		free(diags->items[i].text);
	free(diags->items);
	*diags = (struct cfg_diags){0};
}

static struct lanyard_config *config_new(const char *path)
{
	struct lanyard_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->path = strdup(path);
	cfg->agent.socket = strdup(LANYARD_DEFAULT_SOCKET);
	cfg->agent.domain = strdup("local");
	cfg->agent.socket_mode = 0660;
	cfg->agent.max_instances = 10000;
	cfg->agent.policy = CFG_POLICY_ROUND_ROBIN;
	cfg->agent.log_level = CFG_LOG_INFO;
	cfg->agent.browse_timeout_ms = 1000;
	cfg->agent.browse_idle_ms = 600000;
	cfg->agent.publish_load = false;
	cfg->agent.load_interval_ms = 10000;
	cfg->agent.reg.max_per_connection = 64;
	cfg->agent.reg.max = 4096;
	cfg->agent.probe = (struct cfg_probe){
	        .interval_ms = 1000,
	        .timeout_ms = 500,
	        .fall = 2,
	        .rise = 1,
	        .window_ms = 60000,
	        .max_endpoints = 256,
	};
	if (!cfg->path || !cfg->agent.socket || !cfg->agent.domain) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
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
	if (cfg_parse_duration(v, &n) < 0)
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
	char q[CFG_QUOTE_MAX];
	uint64_t n;

	if (k == CFG_KIND_NULL)
		return;
	if (k != CFG_KIND_MAP) {
		cfg_error(f, reg->value, "'register': expected a mapping, got %s",
		          cfg_kind_name(k));
		return;
	}
	cfg_map_fields(f, reg->value, fl, N_REG_FIELDS, "in 'register'");
	if (fl[R_ALLOW].key && cfg_field_list(f, &fl[R_ALLOW])) {
		for (size_t i = 0; i < cfg_list_len(fl[R_ALLOW].value); i++) {
			yaml_node_t *item = cfg_list_item(f, fl[R_ALLOW].value, i);
			const char *v = cfg_item_string(f, "allow", item);

			if (!v)
				continue;
			if (!valid_group(v))
				cfg_error(f, item, "'allow' item: %s is not a user or group name",
				          cfg_quote(v, strlen(v), q));
			else if (!cfg_push_str(f, &r->allow, &r->n_allow, v))
				break;
		}
	}
	if (fl[R_MAX_CONN].key && cfg_field_uint(f, &fl[R_MAX_CONN], 1, 4096, &n))
		r->max_per_connection = (unsigned)n;
	if (fl[R_MAX].key && cfg_field_uint(f, &fl[R_MAX], 1, 65536, &n))
		r->max = (unsigned)n;
}

static void parse_agent(struct loader *ld, struct cfg_file *f, const struct cfg_field *agent)
{
	struct cfg_field fl[N_AGENT_FIELDS] = {
	        [A_SOCKET] = {.name = "socket"},
	        [A_SOCKET_MODE] = {.name = "socket_mode"},
	        [A_SOCKET_GROUP] = {.name = "socket_group"},
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
}

static int parse_services(struct loader *ld, struct cfg_file *f, const struct cfg_field *fld)
{
	if (!fld->key || !cfg_field_list(f, fld))
		return 0;
	for (size_t i = 0; i < cfg_list_len(fld->value); i++) {
		int r = cfg_service_parse(f, cfg_list_item(f, fld->value, i), ld->cfg, ld->host);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Read, check and merge one file; its messages go to ld->diags. MAIN: the
 * agent section is allowed (included files hold services only). */
static int load_text(struct loader *ld, const char *name, const char *buf, size_t len, bool main)
{
	struct cfg_field fl[] = {{.name = "services"}, {.name = "agent"}};
	struct cfg_file f;
	yaml_node_t *root;
	enum cfg_kind k;
	int r, k2;

	r = cfg_file_parse(&f, name, buf, len);
	if (r < 0)
		goto out;
	root = cfg_file_root(&f);
	k = cfg_node_kind(root);
	if (k == CFG_KIND_NULL)
		goto out;
	if (k != CFG_KIND_MAP) {
		cfg_error(&f, root, "expected a mapping at the top level, got %s",
		          cfg_kind_name(k));
		goto out;
	}
	cfg_map_fields(&f, root, fl, main ? 2 : 1,
	               main ? "at the top level"
	                    : "in an included file, which may only hold 'services'");
	if (main && fl[1].key)
		parse_agent(ld, &f, &fl[1]);
	r = parse_services(ld, &f, &fl[0]);
out:
	if (r == -EINVAL)
		r = 0; /* a YAML problem, recorded in f */
	ld->n_errors += f.n_errors;
	k2 = cfg_file_finish(&f, ld->diags);
	return r < 0 ? r : k2;
}

/* Read a whole regular file of at most CFG_MAX_FILE_SIZE bytes. */
static int read_file(const char *path, char **ret_buf, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto fail;
	}
	buf = malloc(CFG_MAX_FILE_SIZE + 1);
	if (!buf) {
		r = -ENOMEM;
		goto fail;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, CFG_MAX_FILE_SIZE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CFG_MAX_FILE_SIZE) {
			r = -EFBIG;
			goto fail;
		}
	}
	close(fd);
	*ret_buf = buf;
	*ret_len = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return r;
}

static int read_error(struct loader *ld, const char *path, int r)
{
	ld->n_errors++;
	if (r == -EFBIG)
		return cfg_diags_add(ld->diags, true, "%s: larger than %d bytes", path,
		                     CFG_MAX_FILE_SIZE);
	if (r == -EINVAL)
		return cfg_diags_add(ld->diags, true, "%s: not a regular file", path);
	return cfg_diags_add(ld->diags, true, "%s: cannot read: %s", path, strerror(-r));
}

static int yaml_entry(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".yaml") == 0;
}

static int entry_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Merge the services of every *.yaml file of agent.include, by name order. */
static int load_includes(struct loader *ld)
{
	const char *dir = ld->cfg->agent.include;
	struct dirent **list = NULL;
	int n, r = 0;

	n = scandir(dir, &list, yaml_entry, entry_cmp);
	if (n < 0) {
		ld->n_errors++;
		return cfg_diags_add(ld->diags, true, "%s: cannot read directory: %s", dir,
		                     strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		char *path = NULL, *buf = NULL;
		size_t len;

		if (r == 0 && asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			path = NULL;
			r = -ENOMEM;
		}
		if (r == 0) {
			int k = read_file(path, &buf, &len);

			r = k < 0 ? read_error(ld, path, k) : load_text(ld, path, buf, len, false);
		}
		free(buf);
		free(path);
		free(list[i]);
	}
	free(list);
	return r;
}

static void loader_init(struct loader *ld, struct lanyard_config *cfg, struct cfg_diags *diags)
{
	*ld = (struct loader){.cfg = cfg, .diags = diags};
	if (dnssd_host_label(ld->host, sizeof(ld->host)) < 0 || !ld->host[0])
		snprintf(ld->host, sizeof(ld->host), "localhost");
}

/* Contract in config.h. */
int cfg_load(const char *path, struct lanyard_config **ret, struct cfg_diags *diags)
{
	struct lanyard_config *cfg = NULL;
	struct loader ld;
	const char *slash;
	char *buf = NULL;
	size_t len;
	int r;

	*ret = NULL;
	r = read_file(path, &buf, &len);
	if (r < 0) {
		struct loader tmp = {.diags = diags};

		return read_error(&tmp, path, r) < 0 ? -ENOMEM : r;
	}
	cfg = config_new(path);
	if (!cfg) {
		r = -ENOMEM;
		goto fail;
	}
	loader_init(&ld, cfg, diags);
	slash = strrchr(path, '/');
	ld.dir = slash ? strndup(path, (size_t)(slash == path ? 1 : slash - path)) : strdup("");
	if (!ld.dir) {
		r = -ENOMEM;
		goto fail;
	}
	r = load_text(&ld, path, buf, len, true);
	if (r == 0 && ld.include_ok)
		r = load_includes(&ld);
	free(ld.dir);
	if (r == 0 && ld.n_errors)
		r = -EINVAL;
	if (r < 0)
		goto fail;
	free(buf);
	*ret = cfg;
	return 0;
fail:
	free(buf);
	cfg_free(cfg);
	return r;
}

/* Contract in config.h. */
int cfg_load_service(const char *name, const char *text, size_t len, struct lanyard_config **ret,
                     struct cfg_diags *diags)
{
	/* A one-item services: list; the item on a line of its own, so that
	 * positions in TEXT are its own, one line down. */
	static const char head[] = "services:\n- ";
	size_t hl = sizeof(head) - 1;
	char *buf;
	int r;

	*ret = NULL;
	buf = malloc(hl + len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, head, hl);
	memcpy(buf + hl, text, len);
	buf[hl + len] = '\0';
	r = cfg_load_buffer(name, buf, hl + len, ret, diags);
	free(buf);
	if (r == 0 && (*ret)->n_services != 1) {
		cfg_free(*ret);
		*ret = NULL;
		r = -EINVAL;
	}
	return r;
}

int cfg_load_buffer(const char *name, const char *buf, size_t len, struct lanyard_config **ret,
                    struct cfg_diags *diags)
{
	struct lanyard_config *cfg;
	struct loader ld;
	int r;

	*ret = NULL;
	cfg = config_new(name);
	if (!cfg)
		return -ENOMEM;
	loader_init(&ld, cfg, diags);
	r = load_text(&ld, name, buf, len, true);
	if (r == 0 && ld.n_errors)
		r = -EINVAL;
	if (r < 0) {
		cfg_free(cfg);
		return r;
	}
	*ret = cfg;
	return 0;
}
