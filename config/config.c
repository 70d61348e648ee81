/* SPDX-License-Identifier: MIT */
/* Loading a lanyard config: files and include directories, durations, lookups. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config/loader.h"
#include "config/node.h"
#include "config/service.h"
#include "dnssd/name.h"

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
	free(cfg->agent.user);
	free(cfg->agent.domain);
	cfg_strv_free(cfg->agent.interfaces, cfg->agent.n_interfaces);
	cfg_strv_free(cfg->agent.browse, cfg->agent.n_browse);
	cfg_strv_free(cfg->agent.reg.allow, cfg->agent.reg.n_allow);
	cfg_strv_free(cfg->agent.report.allow, cfg->agent.report.n_allow);
	free(cfg->agent.include);
	cfg_trust_clear(&cfg->agent.trust);
	cfg_http_clear(&cfg->agent.http);
	cfg_wide_area_clear(&cfg->agent.wide_area);
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
	cfg->agent.report.per_second = 50;
	cfg->agent.limits = (struct cfg_limits){
	        .connections_per_user = 128,
	        .watches_per_connection = 64,
	        .watches_per_user = 256,
	        .browses_per_user = 64,
	        .output_per_connection = 4 * 1024 * 1024,
	        .output_total = 64 * 1024 * 1024,
	};
	cfg->agent.http = (struct cfg_http){
	        .max_connections = 64,
	        .max_body = 16 * 1024,
	        .idle_timeout_ms = 30000,
	        .metrics_max_services = 100,
	};
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
		cfg_parse_agent(ld, &f, &fl[1]);
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
