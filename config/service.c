/* SPDX-License-Identifier: MIT */
/* One entry of services: validated into a struct cfg_service with its full TXT record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/checks.h"
#include "config/service.h"
#include "config/trust.h"
#include "dnssd/name.h"
#include "dnssd/txt.h"
#include "dnssd/utf8.h"
#include "dnssd/version.h"

/* Bounds that keep the pairwise checks below cheap. */
#define MAX_SERVICES 4096
#define MAX_SUBTYPES 64
/* A service's own TXT: what the agent's overlays leave of the publish limit. */
#define TXT_BUDGET (TXT_PUBLISH_MAX - TXT_OVERLAY_RESERVE)

enum {
	F_NAME,
	F_TYPE,
	F_PROTOCOL,
	F_PORT,
	F_INSTANCE,
	F_VERSION,
	F_WEIGHT,
	F_PRIORITY,
	F_TAGS,
	F_TXT,
	F_SUBTYPES,
	F_POLICY,
	F_CHECKS,
	F_TRUST,
	N_FIELDS,
};

/* Work state for one service: the struct being built and where things are. */
struct svc_state {
	struct cfg_file *f;
	struct cfg_service s;
	struct cfg_field fl[N_FIELDS];
	size_t txt_size; /* wire size so far: sum of 1 + strlen of each string */
};

/* Contract in service.h. */
void cfg_service_clear(struct cfg_service *s)
{
	free(s->name);
	free(s->type);
	free(s->instance);
	free(s->version);
	cfg_strv_free(s->tags, s->n_tags);
	cfg_strv_free(s->subtypes, s->n_subtypes);
	for (size_t i = 0; i < s->n_txt; i++) {
		free(s->txt[i].key);
		free(s->txt[i].value);
	}
	free(s->txt);
	cfg_checks_free(s->checks, s->n_checks);
	cfg_trust_clear(&s->trust);
	free(s->file);
	*s = (struct cfg_service){0};
}

/* Append one TXT string (VALUE NULL = key only) to the service's list. */
static void push_txt(struct svc_state *st, const char *key, const char *value, size_t vlen)
{
	struct cfg_service *s = &st->s;
	struct cfg_txt *t = realloc(s->txt, (s->n_txt + 1) * sizeof(*t));

	if (!t) {
		st->f->oom = true;
		return;
	}
	s->txt = t;
	t = &s->txt[s->n_txt];
	*t = (struct cfg_txt){.key = cfg_strndup(st->f, key, strlen(key))};
	if (value) {
		t->value = cfg_strndup(st->f, value, vlen);
		t->value_len = vlen;
	}
	s->n_txt++;
	st->txt_size += 1 + strlen(key) + (value ? 1 + vlen : 0);
}

static void parse_name_type(struct svc_state *st, const yaml_node_t *node)
{
	const char *const protos[] = {dnssd_proto_name(DNSSD_PROTO_TCP),
	                              dnssd_proto_name(DNSSD_PROTO_UDP)};
	char type[DNSSD_TYPE_SIZE];
	struct cfg_file *f = st->f;
	struct cfg_field *fl = st->fl;
	bool proto_set = false;
	const char *v, *why;
	char q[CFG_QUOTE_MAX];
	unsigned u;

	if (!fl[F_NAME].key) {
		cfg_error(f, node, "service is missing required key 'name'");
	} else if ((v = cfg_field_string(f, &fl[F_NAME]))) {
		why = dnssd_check_service_name(v);
		if (why)
			cfg_error(f, fl[F_NAME].value, "'name': %s is not a valid service name: %s",
			          cfg_quote(v, strlen(v), q), why);
		else
			st->s.name = cfg_strndup(f, v, strlen(v));
	}
	if (fl[F_PROTOCOL].key && cfg_field_enum(f, &fl[F_PROTOCOL], protos, 2, &u)) {
		st->s.protocol = (enum cfg_protocol)u;
		proto_set = true;
	}
	if (fl[F_TYPE].key) {
		enum dnssd_proto tp;

		if (!(v = cfg_field_string(f, &fl[F_TYPE])))
			return;
		why = dnssd_check_type(v, &tp);
		if (why)
			cfg_error(f, fl[F_TYPE].value,
			          "'type': %s is not a valid DNS-SD service type: %s",
			          cfg_quote(v, strlen(v), q), why);
		else if (proto_set && (enum cfg_protocol)tp != st->s.protocol)
			cfg_error(f, fl[F_TYPE].value, "'type': %s does not match 'protocol: %s'",
			          cfg_quote(v, strlen(v), q), protos[st->s.protocol]);
		else {
			st->s.type = cfg_strndup(f, v, strlen(v));
			st->s.protocol = (enum cfg_protocol)tp;
		}
	} else if (st->s.name) {
		int n = dnssd_make_type(st->s.name, (enum dnssd_proto)st->s.protocol, type,
		                        sizeof(type));

		if (n > 0) /* a valid name always makes a type */
			st->s.type = cfg_strndup(f, type, (size_t)n);
	}
}

static void parse_instance(struct svc_state *st, const char *host)
{
	struct cfg_file *f = st->f;
	struct cfg_field *fld = &st->fl[F_INSTANCE];
	char exp[DNSSD_INSTANCE_MAX + 1];
	char q[CFG_QUOTE_MAX], qh[CFG_QUOTE_MAX];
	char def[32];
	const char *v, *why;
	const yaml_node_t *at = fld->value;
	ssize_t n;

	if (fld->key) {
		if (!(v = cfg_field_string(f, fld)))
			return;
		if (!*v) {
			cfg_error(f, at, "'instance': cannot be empty");
			return;
		}
		if (!utf8_text(v, strlen(v))) {
			cfg_error(f, at, "'instance': %s must be printable UTF-8 text",
			          cfg_quote(v, strlen(v), q));
			return;
		}
	} else if (st->s.name) {
		snprintf(def, sizeof(def), "%s@%%h", st->s.name);
		v = def;
		at = st->fl[F_NAME].value;
	} else {
		return;
	}
	n = dnssd_instance_expand(v, host, exp, sizeof(exp));
	if (n == -EINVAL) {
		cfg_error(f, at,
		          "'instance': %s has a '%%' that is neither %%h (host name) nor %%%%",
		          cfg_quote(v, strlen(v), q));
		return;
	}
	if (n < 0) {
		if (strstr(v, "%h"))
			cfg_error(f, at,
			          "%s %s is longer than %d bytes once %%h is replaced by the host "
			          "name %s%s",
			          fld->key ? "'instance':" : "the default instance",
			          cfg_quote(v, strlen(v), q), DNSSD_INSTANCE_MAX,
			          cfg_quote(host, strlen(host), qh),
			          fld->key ? "" : "; set 'instance'");
		else
			cfg_error(f, at, "'instance': %s is longer than %d bytes",
			          cfg_quote(v, strlen(v), q), DNSSD_INSTANCE_MAX);
		return;
	}
	why = dnssd_check_instance(exp, (size_t)n);
	if (why) {
		/* only an odd host name can spoil a valid template */
		cfg_error(f, at, "'instance': %s expands to %s: %s", cfg_quote(v, strlen(v), q),
		          cfg_quote(exp, (size_t)n, qh), why);
		return;
	}
	st->s.instance = cfg_strndup(f, v, strlen(v));
}

/* Whether one of the N strings of V equals S by CMP (strcmp, strcasecmp). */
static bool strv_has(char *const *v, size_t n, const char *s,
                     int (*cmp)(const char *, const char *))
{
	for (size_t i = 0; i < n; i++)
		if (cmp(v[i], s) == 0)
			return true;
	return false;
}

static void parse_tags(struct svc_state *st)
{
	struct cfg_file *f = st->f;
	struct cfg_field *fld = &st->fl[F_TAGS];
	size_t joined = 0;
	char q[CFG_QUOTE_MAX];

	if (!fld->key || !cfg_field_list(f, fld))
		return;
	for (size_t i = 0; i < cfg_list_len(fld->value); i++) {
		yaml_node_t *item = cfg_list_item(f, fld->value, i);
		const char *v = cfg_item_string(f, "tags", item);

		if (!v)
			continue;
		if (!*v) {
			cfg_error(f, item, "'tags' item: a tag cannot be empty");
			continue;
		}
		if (strchr(v, ',')) {
			cfg_error(f, item,
			          "'tags' item: %s contains ',' (tags are joined with ',')",
			          cfg_quote(v, strlen(v), q));
			continue;
		}
		if (!utf8_text(v, strlen(v))) {
			cfg_error(f, item, "'tags' item: %s must be printable UTF-8 text",
			          cfg_quote(v, strlen(v), q));
			continue;
		}
		joined += (joined ? 1 : 0) + strlen(v);
		if (joined > TXT_STRING_MAX - strlen("tags=")) {
			cfg_error(f, fld->value, "'tags': \"tags=...\" is longer than %d bytes",
			          TXT_STRING_MAX);
			return;
		}
		if (strv_has(st->s.tags, st->s.n_tags, v, strcmp))
			cfg_warning(f, item, "'tags' item: duplicate tag %s",
			            cfg_quote(v, strlen(v), q));
		else if (!cfg_push_str(f, &st->s.tags, &st->s.n_tags, v))
			return;
	}
}

static void parse_subtypes(struct svc_state *st)
{
	struct cfg_file *f = st->f;
	struct cfg_field *fld = &st->fl[F_SUBTYPES];
	char q[CFG_QUOTE_MAX];

	if (!fld->key || !cfg_field_list(f, fld))
		return;
	if (cfg_list_len(fld->value) > MAX_SUBTYPES) {
		cfg_error(f, fld->value, "'subtypes': more than %d subtypes", MAX_SUBTYPES);
		return;
	}
	for (size_t i = 0; i < cfg_list_len(fld->value); i++) {
		yaml_node_t *item = cfg_list_item(f, fld->value, i);
		const char *v = cfg_item_string(f, "subtypes", item);
		const char *why;

		if (!v)
			continue;
		why = dnssd_check_subtype(v);
		if (why) {
			cfg_error(f, item, "'subtypes' item: %s is not a valid subtype: %s",
			          cfg_quote(v, strlen(v), q), why);
			continue;
		}
		if (strv_has(st->s.subtypes, st->s.n_subtypes, v, strcasecmp))
			cfg_error(f, item, "'subtypes' item: duplicate subtype %s",
			          cfg_quote(v, strlen(v), q));
		else if (!cfg_push_str(f, &st->s.subtypes, &st->s.n_subtypes, v))
			return;
	}
}

/* Check one user TXT pair; returns false if it must not be added. */
static bool check_txt_pair(struct svc_state *st, const yaml_node_t *map, yaml_node_pair_t *pair,
                           const yaml_node_t *key, const yaml_node_t *value)
{
	struct cfg_file *f = st->f;
	const char *k = cfg_node_text(key);
	size_t klen = cfg_node_len(key);
	enum cfg_kind vk = cfg_node_kind(value);
	char q[CFG_QUOTE_MAX], q2[CFG_QUOTE_MAX];
	const char *why = txt_check_key(k, klen);
	int known;
	size_t len;

	if (why) {
		cfg_error(f, key, "'txt': invalid key %s: %s", cfg_quote(k, klen, q), why);
		return false;
	}
	known = txt_known_find(k, klen);
	if (known == TXT_KNOWN_LOAD) {
		cfg_error(f, key,
		          "'txt': key %s is set by lanyardd from this host's load "
		          "(see agent.publish_load)",
		          cfg_quote(k, klen, q));
		return false;
	}
	if (known == TXT_KNOWN_HEALTH) {
		cfg_error(f, key, "'txt': key %s is set by lanyardd from the service's health",
		          cfg_quote(k, klen, q));
		return false;
	}
	if (known >= 0) {
		cfg_error(f, key, "'txt': key %s is set by lanyard; use the service's '%s' key",
		          cfg_quote(k, klen, q), txt_known_name((enum txt_known)known));
		return false;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
		const yaml_node_t *prev = yaml_document_get_node(&f->doc, p->key);
		const char *pk = cfg_node_text(prev);

		if (strcasecmp(pk, k) != 0 || strlen(pk) != cfg_node_len(prev))
			continue;
		if (strcmp(pk, k) == 0)
			cfg_error(f, key, "duplicate key %s (first at %zu:%zu)",
			          cfg_quote(k, klen, q), prev->start_mark.line + 1,
			          prev->start_mark.column + 1);
		else
			cfg_error(f, key,
			          "'txt': key %s repeats %s (first at %zu:%zu); TXT keys are "
			          "case-insensitive",
			          cfg_quote(k, klen, q), cfg_quote(pk, strlen(pk), q2),
			          prev->start_mark.line + 1, prev->start_mark.column + 1);
		return false;
	}
	if (vk == CFG_KIND_LIST || vk == CFG_KIND_MAP) {
		cfg_error(f, value, "'txt': the value of %s must be a string or null, got %s",
		          cfg_quote(k, klen, q), cfg_kind_name(vk));
		return false;
	}
	len = klen + (vk == CFG_KIND_NULL ? 0 : 1 + cfg_node_len(value));
	if (len > TXT_STRING_MAX) {
		cfg_error(f, key, "'txt': the string for key %s is %zu bytes (max %d)",
		          cfg_quote(k, klen, q), len, TXT_STRING_MAX);
		return false;
	}
	if (klen > TXT_KEY_ADVISED)
		cfg_warning(f, key, "'txt': key %s is longer than %d characters (RFC 6763 advises)",
		            cfg_quote(k, klen, q), TXT_KEY_ADVISED);
	return true;
}

static void parse_txt(struct svc_state *st, const yaml_node_t *node)
{
	struct cfg_file *f = st->f;
	struct cfg_field *fld = &st->fl[F_TXT];
	enum cfg_kind k = cfg_node_kind(fld->value);
	const yaml_node_t *map = fld->value;

	if (!fld->key || k == CFG_KIND_NULL)
		return;
	if (k != CFG_KIND_MAP) {
		cfg_error(f, map, "'txt': expected a mapping, got %s", cfg_kind_name(k));
		return;
	}
	/* each pair takes at least 2 bytes: more cannot fit (and would make the
	 * pairwise key check slow) */
	if (map->data.mapping.pairs.top - map->data.mapping.pairs.start >
	    (ptrdiff_t)TXT_BUDGET / 2) {
		cfg_error(f, map, "'txt': more than %d pairs", (int)TXT_BUDGET / 2);
		return;
	}
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(&f->doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(&f->doc, pair->value);

		if (key->type != YAML_SCALAR_NODE) {
			cfg_error(f, key, "'txt': expected a key name, got %s",
			          cfg_kind_name(cfg_node_kind(key)));
			continue;
		}
		if (!check_txt_pair(st, map, pair, key, value))
			continue;
		if (cfg_node_kind(value) == CFG_KIND_NULL)
			push_txt(st, cfg_node_text(key), NULL, 0);
		else
			push_txt(st, cfg_node_text(key), cfg_node_text(value), cfg_node_len(value));
		if (st->txt_size > TXT_BUDGET) {
			cfg_error(f, fld->key,
			          "'txt': the TXT record is longer than %d bytes (%d, less %d kept "
			          "for lanyardd's load= and health=)",
			          (int)TXT_BUDGET, TXT_PUBLISH_MAX, (int)TXT_OVERLAY_RESERVE);
			return;
		}
	}
}

/* version, weight, priority and tags strings, in that order. */
static void build_well_known_txt(struct svc_state *st)
{
	struct cfg_service *s = &st->s;
	char num[8];
	char tags[TXT_STRING_MAX + 1];
	size_t n = 0;

	if (s->version) {
		if (strlen(s->version) + strlen("version=") > TXT_STRING_MAX)
			cfg_error(st->f, st->fl[F_VERSION].value, "'version': longer than %d bytes",
			          (int)(TXT_STRING_MAX - strlen("version=")));
		else
			push_txt(st, txt_known_name(TXT_KNOWN_VERSION), s->version,
			         strlen(s->version));
	}
	snprintf(num, sizeof(num), "%u", (unsigned)s->weight);
	push_txt(st, txt_known_name(TXT_KNOWN_WEIGHT), num, strlen(num));
	snprintf(num, sizeof(num), "%u", (unsigned)s->priority);
	push_txt(st, txt_known_name(TXT_KNOWN_PRIORITY), num, strlen(num));
	if (s->n_tags == 0)
		return;
	for (size_t i = 0; i < s->n_tags; i++) {
		size_t len = strlen(s->tags[i]);

		/* parse_tags() bounded the joined length */
		if (i)
			tags[n++] = ',';
		memcpy(tags + n, s->tags[i], len);
		n += len;
	}
	push_txt(st, txt_known_name(TXT_KNOWN_TAGS), tags, n);
}

static void parse_fields(struct svc_state *st, const yaml_node_t *node, const char *host)
{
	struct cfg_file *f = st->f;
	struct cfg_field *fl = st->fl;
	const char *policies[_CFG_POLICY_MAX];
	const char *v, *why;
	char q[CFG_QUOTE_MAX];
	uint64_t n;
	unsigned u;

	parse_name_type(st, node);
	if (!fl[F_PORT].key)
		cfg_error(f, node, "service is missing required key 'port'");
	else if (cfg_field_uint(f, &fl[F_PORT], 1, 65535, &n))
		st->s.port = (uint16_t)n;
	parse_instance(st, host);
	if (fl[F_VERSION].key && (v = cfg_field_string(f, &fl[F_VERSION]))) {
		struct dnssd_version ver;

		if (version_parse(v, strlen(v), &ver, &why) < 0)
			cfg_error(f, fl[F_VERSION].value,
			          "'version': %s is not a valid version: %s",
			          cfg_quote(v, strlen(v), q), why);
		else
			st->s.version = cfg_strndup(f, v, strlen(v));
	}
	if (fl[F_WEIGHT].key && cfg_field_uint(f, &fl[F_WEIGHT], 0, 65535, &n))
		st->s.weight = (uint16_t)n;
	if (fl[F_PRIORITY].key && cfg_field_uint(f, &fl[F_PRIORITY], 0, 65535, &n))
		st->s.priority = (uint16_t)n;
	parse_tags(st);
	parse_subtypes(st);
	for (int i = 0; i < _CFG_POLICY_MAX; i++)
		policies[i] = cfg_policy_name((enum cfg_policy)i);
	if (fl[F_POLICY].key && cfg_field_enum(f, &fl[F_POLICY], policies, _CFG_POLICY_MAX, &u)) {
		st->s.policy = (enum cfg_policy)u;
		st->s.has_policy = true;
	}
	build_well_known_txt(st);
	parse_txt(st, node);
	cfg_checks_parse(f, &fl[F_CHECKS], &st->s.checks, &st->s.n_checks);
	if (fl[F_TRUST].key)
		cfg_trust_parse(f, &fl[F_TRUST], &st->s.trust);
}

/* Duplicate names and instances against the services already accepted;
 * returns true if S may be appended. */
static bool check_against(struct svc_state *st, const struct lanyard_config *cfg)
{
	const struct cfg_service *s = &st->s;
	const yaml_node_t *at;
	char q[CFG_QUOTE_MAX];

	if (!s->name)
		return false;
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct cfg_service *o = &cfg->services[i];

		if (strcasecmp(o->name, s->name) == 0) {
			cfg_error(st->f, st->fl[F_NAME].value,
			          "duplicate service name %s (first declared at %s:%u)",
			          cfg_quote(s->name, strlen(s->name), q), o->file, o->line);
			return false;
		}
	}
	if (!s->instance || !s->type)
		return true;
	at = st->fl[F_INSTANCE].key ? st->fl[F_INSTANCE].value : st->fl[F_NAME].value;
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct cfg_service *o = &cfg->services[i];

		if (o->instance && o->type && strcasecmp(o->type, s->type) == 0 &&
		    strcasecmp(o->instance, s->instance) == 0) {
			cfg_error(
			        st->f, at,
			        "instance %s of type '%s' is already used by service '%s' (%s:%u)",
			        cfg_quote(s->instance, strlen(s->instance), q), s->type, o->name,
			        o->file, o->line);
			break;
		}
	}
	return true;
}

/* Contract in service.h. */
int cfg_service_parse(struct cfg_file *f, yaml_node_t *node, struct lanyard_config *cfg,
                      const char *host)
{
	struct svc_state st = {
	        .f = f,
	        .s = {.weight = 1, .protocol = CFG_PROTO_TCP},
	        .fl = {[F_NAME] = {.name = "name"},
	               [F_TYPE] = {.name = "type"},
	               [F_PROTOCOL] = {.name = "protocol"},
	               [F_PORT] = {.name = "port"},
	               [F_INSTANCE] = {.name = "instance"},
	               [F_VERSION] = {.name = "version"},
	               [F_WEIGHT] = {.name = "weight"},
	               [F_PRIORITY] = {.name = "priority"},
	               [F_TAGS] = {.name = "tags"},
	               [F_TXT] = {.name = "txt"},
	               [F_SUBTYPES] = {.name = "subtypes"},
	               [F_POLICY] = {.name = "policy"},
	               [F_CHECKS] = {.name = "checks"},
	               [F_TRUST] = {.name = "trust"}},
	};
	enum cfg_kind k = cfg_node_kind(node);
	struct cfg_service *p;

	if (k != CFG_KIND_MAP) {
		cfg_error(f, node, "'services' item: expected a mapping, got %s", cfg_kind_name(k));
		return 0;
	}
	if (cfg->n_services >= MAX_SERVICES) {
		cfg_error(f, node, "too many services (max %d)", MAX_SERVICES);
		return 0;
	}
	cfg_map_fields(f, node, st.fl, N_FIELDS, "in service");
	parse_fields(&st, node, host);
	st.s.file = cfg_strndup(f, f->name, strlen(f->name));
	st.s.line = (unsigned)node->start_mark.line + 1;
	if (f->oom || !check_against(&st, cfg))
		goto fail;
	p = realloc(cfg->services, (cfg->n_services + 1) * sizeof(*p));
	if (!p) {
		f->oom = true;
		goto fail;
	}
	cfg->services = p;
	p[cfg->n_services++] = st.s;
	return 0;
fail:
	cfg_service_clear(&st.s);
	return f->oom ? -ENOMEM : 0;
}

static int str_cmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b);
}

static bool same_subtypes(const struct cfg_service *a, const struct cfg_service *b)
{
	if (a->n_subtypes != b->n_subtypes)
		return false;
	for (size_t i = 0; i < a->n_subtypes; i++)
		if (!strv_has(b->subtypes, b->n_subtypes, a->subtypes[i], strcmp))
			return false;
	return true;
}

/* Contract in config.h. */
enum cfg_service_diff cfg_service_compare(const struct cfg_service *a, const struct cfg_service *b)
{
	if (a == b)
		return CFG_SERVICE_SAME;
	if (!a || !b)
		return CFG_SERVICE_CHANGED;
	if (str_cmp_null(a->type, b->type) || a->protocol != b->protocol || a->port != b->port ||
	    str_cmp_null(a->instance, b->instance) || !same_subtypes(a, b))
		return CFG_SERVICE_CHANGED;
	if (a->n_txt != b->n_txt)
		return CFG_SERVICE_TXT_ONLY;
	for (size_t i = 0; i < a->n_txt; i++) {
		const struct cfg_txt *x = &a->txt[i], *y = &b->txt[i];

		if (strcmp(x->key, y->key) != 0 || !x->value != !y->value ||
		    x->value_len != y->value_len ||
		    (x->value && memcmp(x->value, y->value, x->value_len) != 0))
			return CFG_SERVICE_TXT_ONLY;
	}
	return CFG_SERVICE_SAME;
}
