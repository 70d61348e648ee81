/* SPDX-License-Identifier: MIT */
/* Request parsing and validation (daemon side) and request building (client side). */
#include "wire/request.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/txt.h"
#include "wire/request-scan.h"

static const char *const op_names[_WIRE_OP_MAX] = {
        [WIRE_OP_RESOLVE] = "resolve",       [WIRE_OP_LIST] = "list",
        [WIRE_OP_SERVICES] = "services",     [WIRE_OP_STATUS] = "status",
        [WIRE_OP_WATCH] = "watch",           [WIRE_OP_UNWATCH] = "unwatch",
        [WIRE_OP_REPORT] = "report",         [WIRE_OP_CHECK] = "check",
        [WIRE_OP_MAINT] = "maint",           [WIRE_OP_REGISTER] = "register",
        [WIRE_OP_DEREGISTER] = "deregister",
};

static const char *const check_status_names[] = {
        [WIRE_CHECK_PASS] = "pass",
        [WIRE_CHECK_WARN] = "warn",
        [WIRE_CHECK_FAIL] = "fail",
        NULL,
};

/* Which request fields each op accepts (besides "op" and "id"). */
enum field {
	F_SERVICE = 1 << 0,
	F_INSTANCE = 1 << 1,
	F_VERSION = 1 << 2,
	F_TAGS = 1 << 3,
	F_TXT = 1 << 4,
	F_FAMILY = 1 << 5,
	F_POLICY = 1 << 6,
	F_KEY = 1 << 7,
	F_PREFER = 1 << 8,
	F_RESULT = 1 << 9,
	F_LATENCY = 1 << 10,
	F_WATCH = 1 << 11,
	F_STATUS = 1 << 12,
	F_OUTPUT = 1 << 13,
	F_STATE = 1 << 14,
	F_REASON = 1 << 15,
	F_DECL = 1 << 16,         /* register's "service": an object */
	F_REGISTRATION = 1 << 17, /* deregister's "registration" */
	F_DOMAIN = 1 << 18,
};

#define F_FILTER (F_SERVICE | F_INSTANCE | F_VERSION | F_TAGS | F_TXT | F_FAMILY | F_DOMAIN)

static const unsigned op_fields[_WIRE_OP_MAX] = {
        [WIRE_OP_RESOLVE] = F_FILTER | F_POLICY | F_KEY | F_PREFER,
        [WIRE_OP_LIST] = F_FILTER,
        [WIRE_OP_SERVICES] = 0,
        [WIRE_OP_STATUS] = 0,
        [WIRE_OP_WATCH] = F_FILTER,
        [WIRE_OP_UNWATCH] = F_WATCH,
        [WIRE_OP_REPORT] = F_SERVICE | F_INSTANCE | F_RESULT | F_LATENCY,
        [WIRE_OP_CHECK] = F_SERVICE | F_STATUS | F_OUTPUT,
        [WIRE_OP_MAINT] = F_SERVICE | F_STATE | F_REASON,
        [WIRE_OP_REGISTER] = F_DECL,
        [WIRE_OP_DEREGISTER] = F_REGISTRATION,
};

static const struct {
	const char *name;
	enum field f;
} field_names[] = {
        {"service", F_SERVICE}, {"instance", F_INSTANCE}, {"version", F_VERSION},
        {"tags", F_TAGS},       {"txt", F_TXT},           {"family", F_FAMILY},
        {"domain", F_DOMAIN},   {"policy", F_POLICY},     {"key", F_KEY},
        {"prefer", F_PREFER},   {"result", F_RESULT},     {"latency_ms", F_LATENCY},
        {"watch", F_WATCH},     {"status", F_STATUS},     {"registration", F_REGISTRATION},
        {"output", F_OUTPUT},   {"state", F_STATE},       {"reason", F_REASON},
};

/* Largest integer a double carries exactly; ids beyond it are refused. */
#define MAX_WATCH_ID   (UINT64_C(1) << 53)
#define MAX_LATENCY_MS 1e9

const char *wire_op_name(enum wire_op op)
{
	if ((unsigned)op >= _WIRE_OP_MAX)
		return NULL;
	return op_names[op];
}

const char *wire_check_status_name(enum wire_check_status st)
{
	if ((unsigned)st > WIRE_CHECK_FAIL)
		return NULL;
	return check_status_names[st];
}

const char *wire_family_name(enum wire_family f)
{
	return f == WIRE_FAMILY_IPV4 ? "ipv4" : f == WIRE_FAMILY_IPV6 ? "ipv6" : "any";
}

/* Contract in request.h. */
void wire_request_init(struct wire_request *req)
{
	/* All but the version constraint's ranges: read only below n_ranges
	 * (0 here), they are 83% of the struct, which is reset twice per
	 * request. */
	const size_t from = offsetof(struct wire_request, filter.constraint.ranges),
	             to = from + sizeof(req->filter.constraint.ranges);

	memset(req, 0, from);
	memset((char *)req + to, 0, sizeof(*req) - to);
}

/* Contract in request.h. */
void wire_filter_clear(struct wire_filter *f)
{
	free(f->service);
	free(f->instance);
	free(f->domain);
	free(f->version);
	for (size_t i = 0; i < f->n_tags; i++)
		free(f->tags[i]);
	free(f->tags);
	for (size_t i = 0; i < f->n_txt; i++) {
		free(f->txt[i].key);
		free(f->txt[i].value);
	}
	free(f->txt);
	memset(f, 0, sizeof(*f));
}

/* Contract in request.h. */
void wire_request_clear(struct wire_request *req)
{
	json_decref(req->id);
	if (req->borrowed) {
		wire_request_init(req);
		return;
	}
	wire_filter_clear(&req->filter);
	free(req->policy);
	free(req->key);
	free(req->text);
	free(req->decl);
	wire_request_init(req);
}

/* A copy of S into *RET (NULL stays NULL); false on OOM. */
static bool dup_opt(const char *s, char **ret)
{
	*ret = s ? strdup(s) : NULL;
	return !s || *ret;
}

/* Contract in request.h. */
int wire_filter_copy(const struct wire_filter *src, struct wire_filter *dst)
{
	*dst = (struct wire_filter){.constraint = src->constraint, .family = src->family};
	if (!dup_opt(src->service, &dst->service) || !dup_opt(src->instance, &dst->instance) ||
	    !dup_opt(src->domain, &dst->domain) || !dup_opt(src->version, &dst->version))
		goto fail;
	if (src->tags) {
		dst->tags = calloc(src->n_tags + 1, sizeof(*dst->tags));
		if (!dst->tags)
			goto fail;
		for (; dst->n_tags < src->n_tags; dst->n_tags++)
			if (!dup_opt(src->tags[dst->n_tags], &dst->tags[dst->n_tags]))
				goto fail;
	}
	if (src->txt) {
		dst->txt = calloc(src->n_txt + 1, sizeof(*dst->txt));
		if (!dst->txt)
			goto fail;
		for (; dst->n_txt < src->n_txt; dst->n_txt++) {
			struct wire_kv *kv = &dst->txt[dst->n_txt];

			if (!dup_opt(src->txt[dst->n_txt].key, &kv->key) ||
			    !dup_opt(src->txt[dst->n_txt].value, &kv->value)) {
				dst->n_txt++; /* free the half-copied pair */
				goto fail;
			}
		}
	}
	return 0;
fail:
	wire_filter_clear(dst);
	return -ENOMEM;
}

/* Contract in request.h. */
int wire_request_copy(const struct wire_request *src, struct wire_request *dst)
{
	wire_request_init(dst);
	dst->op = src->op;
	dst->prefer_local = src->prefer_local;
	dst->prefer_any_domain = src->prefer_any_domain;
	dst->result_ok = src->result_ok;
	dst->has_latency = src->has_latency;
	dst->latency_ms = src->latency_ms;
	dst->watch = src->watch;
	dst->check_status = src->check_status;
	dst->maint_on = src->maint_on;
	dst->registration = src->registration;
	if (src->id)
		dst->id = json_incref(src->id);
	if (wire_filter_copy(&src->filter, &dst->filter) < 0 ||
	    !dup_opt(src->policy, &dst->policy) || !dup_opt(src->key, &dst->key) ||
	    !dup_opt(src->text, &dst->text) || !dup_opt(src->decl, &dst->decl)) {
		wire_request_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

static int oom(struct wire_err *err)
{
	wire_err_set(err, WIRE_INTERNAL, "out of memory");
	return -ENOMEM;
}

/* Contract in request.h. */
int wire_filter_set_version(struct wire_filter *f, const char *s, struct wire_err *err)
{
	char why[WIRE_MSG_MAX];
	char *copy;

	if (!s)
		return wire_err_set(err, WIRE_BAD_REQUEST, "missing version constraint");
	if (strlen(s) > WIRE_MAX_STRING)
		return wire_err_set(err, WIRE_BAD_REQUEST,
		                    "version constraint longer than %d bytes", WIRE_MAX_STRING);
	if (constraint_parse(s, &f->constraint, why, sizeof(why)) < 0)
		return wire_err_set(err, WIRE_BAD_REQUEST, "version constraint \"%.64s\": %s", s,
		                    why);
	copy = strdup(s);
	if (!copy)
		return oom(err);
	free(f->version);
	f->version = copy;
	return 0;
}

/* A string of 1..MAX bytes without control characters; copied to *ret. */
static int get_string(json_t *v, const char *what, size_t max, char **ret, struct wire_err *err)
{
	const char *s;
	size_t len;

	if (!json_is_string(v))
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"%s\" must be a string", what);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0)
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"%s\" must not be empty", what);
	if (len > max)
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"%s\" is longer than %zu bytes", what,
		                    max);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"%s\" contains a control character", what);
	*ret = strndup(s, len);
	return *ret ? 0 : oom(err);
}

/* Free text of at most MAX bytes (may be empty) into *ret: any character
 * but NUL, or (LINE) no control character at all. */
static int get_text(json_t *v, const char *what, size_t max, bool line, char **ret,
                    struct wire_err *err)
{
	const char *s;
	size_t len;

	if (!json_is_string(v))
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"%s\" must be a string", what);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > max)
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"%s\" is longer than %zu bytes", what,
		                    max);
	if (strlen(s) != len)
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"%s\" contains a NUL character", what);
	for (size_t i = 0; line && i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"%s\" contains a control character", what);
	free(*ret);
	*ret = strndup(s, len);
	return *ret ? 0 : oom(err);
}

static int get_tags(json_t *v, struct wire_filter *f, struct wire_err *err)
{
	size_t i;
	json_t *t;

	if (!json_is_array(v))
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"tags\" must be an array of strings");
	if (json_array_size(v) > WIRE_MAX_ITEMS)
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"tags\" has more than %d entries",
		                    WIRE_MAX_ITEMS);
	f->tags = calloc(json_array_size(v) + 1, sizeof(char *));
	if (!f->tags)
		return oom(err);
	json_array_foreach(v, i, t)
	{
		int r = get_string(t, "tags[]", WIRE_MAX_NAME, &f->tags[i], err);

		if (r < 0)
			return r;
		f->n_tags++;
	}
	return 0;
}

static int get_txt(json_t *v, struct wire_filter *f, struct wire_err *err)
{
	const char *k;
	json_t *val;

	if (!json_is_object(v))
		return wire_err_set(err, WIRE_BAD_REQUEST,
		                    "\"txt\" must be an object of string values");
	if (json_object_size(v) > WIRE_MAX_ITEMS)
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"txt\" has more than %d entries",
		                    WIRE_MAX_ITEMS);
	f->txt = calloc(json_object_size(v) + 1, sizeof(*f->txt));
	if (!f->txt)
		return oom(err);
	json_object_foreach(v, k, val)
	{
		struct wire_kv *kv = &f->txt[f->n_txt];

		if (strlen(k) > WIRE_MAX_NAME || txt_check_key(k, strlen(k)))
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"txt\" key \"%.64s\" is not a valid TXT key", k);
		if (!json_is_string(val))
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"txt\" value for \"%s\" must be a string", k);
		if (json_string_length(val) > WIRE_MAX_STRING)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"txt\" value for \"%s\" is longer than %d bytes", k,
			                    WIRE_MAX_STRING);
		kv->key = strdup(k);
		kv->value = strdup(json_string_value(val));
		f->n_txt++;
		if (!kv->key || !kv->value)
			return oom(err);
	}
	return 0;
}

/* Contract in request-scan.h. */
const char *const wire_family_choices[] = {"any", "ipv4", "ipv6", NULL};
const char *const wire_prefer_choices[] = {"local", "lan", "any", NULL};

/* Contract in request-scan.h. */
bool wire_choice(const char *s, size_t len, const char *const *choices, unsigned *ret)
{
	for (unsigned i = 0; choices[i]; i++)
		if (strlen(choices[i]) == len && memcmp(s, choices[i], len) == 0) {
			*ret = i;
			return true;
		}
	return false;
}

/* Contract in request-scan.h. */
bool wire_policy_name_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

/* Contract in request-scan.h. */
void wire_request_set_prefer(struct wire_request *req, unsigned choice)
{
	req->prefer_local = choice == 0;
	req->prefer_any_domain = choice == 2;
}

static int get_policy(json_t *v, char **ret, struct wire_err *err)
{
	int r = get_string(v, "policy", WIRE_MAX_POLICY, ret, err);

	if (r < 0)
		return r;
	if (!wire_policy_name_ok(*ret, strlen(*ret)))
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"policy\" \"%s\" is not a policy name",
		                    *ret);
	return 0;
}

/* Is V one of the strings in CHOICES (NULL-terminated)? Index in *ret. */
static int get_choice(json_t *v, const char *what, const char *const *choices, unsigned *ret,
                      struct wire_err *err)
{
	const char *s = json_string_value(v);

	if (s && wire_choice(s, strlen(s), choices, ret))
		return 0;
	if (!s)
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"%s\" must be a string", what);
	return wire_err_set(err, WIRE_BAD_REQUEST, "\"%s\" has unknown value \"%.64s\"", what, s);
}

static int get_field(enum field f, json_t *v, struct wire_request *req, struct wire_err *err)
{
	static const char *const results[] = {"fail", "ok", NULL};
	static const char *const states[] = {"off", "on", NULL};
	unsigned idx = 0;
	int r;

	switch (f) {
	case F_SERVICE:
		return get_string(v, "service", WIRE_MAX_NAME, &req->filter.service, err);
	case F_INSTANCE:
		return get_string(v, "instance", WIRE_MAX_NAME, &req->filter.instance, err);
	case F_DOMAIN:
		return get_string(v, "domain", WIRE_MAX_NAME, &req->filter.domain, err);
	case F_VERSION:
		if (!json_is_string(v))
			return wire_err_set(err, WIRE_BAD_REQUEST, "\"version\" must be a string");
		return wire_filter_set_version(&req->filter, json_string_value(v), err);
	case F_TAGS:
		return get_tags(v, &req->filter, err);
	case F_TXT:
		return get_txt(v, &req->filter, err);
	case F_FAMILY:
		r = get_choice(v, "family", wire_family_choices, &idx, err);
		req->filter.family = (enum wire_family)idx;
		return r;
	case F_POLICY:
		return get_policy(v, &req->policy, err);
	case F_KEY:
		if (!json_is_string(v))
			return wire_err_set(err, WIRE_BAD_REQUEST, "\"key\" must be a string");
		if (json_string_length(v) > WIRE_MAX_STRING)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"key\" is longer than %d bytes", WIRE_MAX_STRING);
		req->key = strdup(json_string_value(v));
		return req->key ? 0 : oom(err);
	case F_PREFER:
		r = get_choice(v, "prefer", wire_prefer_choices, &idx, err);
		if (r == 0)
			wire_request_set_prefer(req, idx);
		return r;
	case F_RESULT:
		r = get_choice(v, "result", results, &idx, err);
		req->result_ok = idx == 1;
		return r;
	case F_LATENCY:
		if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
		    json_number_value(v) < 0 || json_number_value(v) > MAX_LATENCY_MS)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"latency_ms\" must be a number from 0 to %g",
			                    MAX_LATENCY_MS);
		req->has_latency = true;
		req->latency_ms = json_number_value(v);
		return 0;
	case F_WATCH:
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    (uint64_t)json_integer_value(v) > MAX_WATCH_ID)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"watch\" must be a positive integer watch id");
		req->watch = (uint64_t)json_integer_value(v);
		return 0;
	case F_STATUS:
		r = get_choice(v, "status", check_status_names, &idx, err);
		req->check_status = (enum wire_check_status)idx;
		return r;
	case F_OUTPUT:
		return get_text(v, "output", WIRE_MAX_OUTPUT, false, &req->text, err);
	case F_STATE:
		r = get_choice(v, "state", states, &idx, err);
		req->maint_on = idx == 1;
		return r;
	case F_REASON:
		return get_text(v, "reason", WIRE_MAX_STRING, true, &req->text, err);
	case F_DECL:
		if (!json_is_object(v))
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"service\" must be an object (a service as in the "
			                    "configuration)");
		req->decl = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!req->decl)
			return oom(err);
		if (strlen(req->decl) > WIRE_MAX_DECL)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"service\" is longer than %d bytes", WIRE_MAX_DECL);
		return 0;
	case F_REGISTRATION:
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    (uint64_t)json_integer_value(v) > MAX_WATCH_ID)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "\"registration\" must be a positive integer id");
		req->registration = (uint64_t)json_integer_value(v);
		return 0;
	}
	return wire_err_set(err, WIRE_INTERNAL, "unhandled field");
}

static int get_id(json_t *v, struct wire_request *req, struct wire_err *err)
{
	if (json_is_object(v) || json_is_array(v))
		return wire_err_set(err, WIRE_BAD_REQUEST,
		                    "\"id\" must be a string, number, boolean or null");
	if (json_is_string(v) && json_string_length(v) > WIRE_MAX_STRING)
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"id\" is longer than %d bytes",
		                    WIRE_MAX_STRING);
	req->id = json_incref(v);
	return 0;
}

static int parse_object(json_t *root, struct wire_request *req, struct wire_err *err)
{
	json_t *v, *op;
	const char *k, *name;
	unsigned i;

	v = json_object_get(root, "id");
	if (v && get_id(v, req, err) < 0)
		return -EINVAL;
	op = json_object_get(root, "op");
	if (!op)
		return wire_err_set(err, WIRE_BAD_REQUEST, "missing \"op\"");
	if (!json_is_string(op))
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"op\" must be a string");
	name = json_string_value(op);
	for (i = 0; i < _WIRE_OP_MAX; i++)
		if (strcmp(name, op_names[i]) == 0)
			break;
	if (i == _WIRE_OP_MAX)
		return wire_err_set(err, WIRE_UNKNOWN_OP, "unknown op \"%.64s\"", name);
	req->op = (enum wire_op)i;

	json_object_foreach(root, k, v)
	{
		enum field f = 0;
		int r;

		if (strcmp(k, "op") == 0 || strcmp(k, "id") == 0)
			continue;
		for (size_t j = 0; j < sizeof(field_names) / sizeof(field_names[0]); j++)
			if (strcmp(k, field_names[j].name) == 0)
				f = field_names[j].f;
		/* register's "service" is a whole service, not a name */
		if (req->op == WIRE_OP_REGISTER && f == F_SERVICE)
			f = F_DECL;
		if (!(f & op_fields[req->op]))
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "unknown field \"%.64s\" for op \"%s\"", k, name);
		r = get_field(f, v, req, err);
		if (r < 0)
			return r;
	}

	if (req->op == WIRE_OP_RESOLVE && !req->filter.service)
		return wire_err_set(err, WIRE_BAD_REQUEST, "resolve needs \"service\"");
	if (req->op == WIRE_OP_REPORT && !req->filter.instance)
		return wire_err_set(err, WIRE_BAD_REQUEST, "report needs \"instance\"");
	if (req->op == WIRE_OP_REPORT && !json_object_get(root, "result"))
		return wire_err_set(err, WIRE_BAD_REQUEST, "report needs \"result\"");
	if (req->op == WIRE_OP_UNWATCH && req->watch == 0)
		return wire_err_set(err, WIRE_BAD_REQUEST, "unwatch needs \"watch\"");
	if ((req->op == WIRE_OP_CHECK || req->op == WIRE_OP_MAINT) && !req->filter.service)
		return wire_err_set(err, WIRE_BAD_REQUEST, "%s needs \"service\"", name);
	if (req->op == WIRE_OP_CHECK && !json_object_get(root, "status"))
		return wire_err_set(err, WIRE_BAD_REQUEST, "check needs \"status\"");
	if (req->op == WIRE_OP_MAINT && !json_object_get(root, "state"))
		return wire_err_set(err, WIRE_BAD_REQUEST, "maint needs \"state\"");
	if (req->op == WIRE_OP_REGISTER && !req->decl)
		return wire_err_set(err, WIRE_BAD_REQUEST, "register needs \"service\"");
	if (req->op == WIRE_OP_DEREGISTER && req->registration == 0)
		return wire_err_set(err, WIRE_BAD_REQUEST, "deregister needs \"registration\"");
	return 0;
}

int wire_request_parse(const char *line, size_t len, struct wire_request *req, struct wire_err *err)
{
	json_error_t jerr;
	json_t *root;
	int r;

	wire_request_init(req);
	if (len > WIRE_MAX_LINE)
		return wire_err_set(err, WIRE_TOO_LARGE, "request line longer than %d bytes",
		                    WIRE_MAX_LINE);
	root = wire_load_simple(line, len);
	if (!root)
		root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root)
		return wire_err_set(err, WIRE_BAD_REQUEST, "malformed JSON at column %d: %s",
		                    jerr.column, jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return wire_err_set(err, WIRE_BAD_REQUEST, "a request must be a JSON object");
	}
	r = parse_object(root, req, err);
	json_decref(root);
	if (r < 0) {
		/* Keep only the id, so the error can still be matched to its request. */
		json_t *id = req->id;

		req->id = NULL;
		wire_request_clear(req);
		req->id = id;
	}
	return r;
}

/* Contract in request.h. */
int wire_request_parse_scratch(const char *line, size_t len, struct wire_request *req,
                               struct wire_scratch *s, struct wire_err *err)
{
	if (len <= WIRE_MAX_LINE && wire_scan_resolve(line, len, req, s) == 0)
		return 0;
	return wire_request_parse(line, len, req, err);
}

/* Add a string member if S is set; false on OOM. */
static bool put_str(json_t *o, const char *k, const char *s)
{
	return !s || json_object_set_new(o, k, json_string(s)) == 0;
}

static bool put_filter(json_t *o, const struct wire_filter *f)
{
	json_t *a;

	if (!put_str(o, "service", f->service) || !put_str(o, "instance", f->instance) ||
	    !put_str(o, "version", f->version) || !put_str(o, "domain", f->domain))
		return false;
	if (f->tags) {
		a = json_array();
		if (json_object_set_new(o, "tags", a) < 0)
			return false;
		for (size_t i = 0; i < f->n_tags; i++)
			if (json_array_append_new(a, json_string(f->tags[i])) < 0)
				return false;
	}
	if (f->txt) {
		a = json_object();
		if (json_object_set_new(o, "txt", a) < 0)
			return false;
		for (size_t i = 0; i < f->n_txt; i++)
			if (!put_str(a, f->txt[i].key, f->txt[i].value))
				return false;
	}
	if (f->family != WIRE_FAMILY_ANY && !put_str(o, "family", wire_family_name(f->family)))
		return false;
	return true;
}

json_t *wire_request_to_json(const struct wire_request *req)
{
	const char *name = wire_op_name(req->op);
	json_t *o = json_object();
	bool ok;

	if (!o || !name)
		goto fail;
	ok = json_object_set_new(o, "op", json_string(name)) == 0;
	if (ok && req->id)
		ok = json_object_set(o, "id", req->id) == 0;
	if (ok && (op_fields[req->op] & F_FILTER) == F_FILTER)
		ok = put_filter(o, &req->filter);
	switch (req->op) {
	case WIRE_OP_RESOLVE:
		ok = ok && put_str(o, "policy", req->policy) && put_str(o, "key", req->key) &&
		     (!req->prefer_local || put_str(o, "prefer", "local")) &&
		     (!req->prefer_any_domain || put_str(o, "prefer", "any"));
		break;
	case WIRE_OP_REPORT:
		ok = ok && put_str(o, "service", req->filter.service) &&
		     put_str(o, "instance", req->filter.instance) &&
		     put_str(o, "result", req->result_ok ? "ok" : "fail");
		if (ok && req->has_latency)
			ok = json_object_set_new(o, "latency_ms", json_real(req->latency_ms)) == 0;
		break;
	case WIRE_OP_UNWATCH:
		ok = ok &&
		     json_object_set_new(o, "watch", json_integer((json_int_t)req->watch)) == 0;
		break;
	case WIRE_OP_CHECK:
		ok = ok && put_str(o, "service", req->filter.service) &&
		     put_str(o, "status", wire_check_status_name(req->check_status)) &&
		     put_str(o, "output", req->text);
		break;
	case WIRE_OP_MAINT:
		ok = ok && put_str(o, "service", req->filter.service) &&
		     put_str(o, "state", req->maint_on ? "on" : "off") &&
		     put_str(o, "reason", req->text);
		break;
	case WIRE_OP_REGISTER: {
		json_t *d = req->decl ? json_loads(req->decl, 0, NULL) : NULL;

		if (!ok || !json_is_object(d)) {
			json_decref(d);
			ok = false;
		} else {
			ok = json_object_set_new(o, "service", d) == 0; /* takes D, even on error */
		}
		break;
	}
	case WIRE_OP_DEREGISTER:
		ok = ok && json_object_set_new(o, "registration",
		                               json_integer((json_int_t)req->registration)) == 0;
		break;
	default:
		break;
	}
	if (!ok)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}
