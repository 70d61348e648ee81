/* SPDX-License-Identifier: MIT */
/* Unit tests of config/ helpers: durations, names, compare(), in-memory loads, and that config
 * applies the dnssd/ rules as the other layers do. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/check.h"
#include "config/config.h"
#include "dnssd/name.h"
#include "dnssd/txt.h"
#include "dnssd/version.h"
#include "tests/unit/tap.h"

static void test_durations(void)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} good[] = {
	        {"500ms", 500}, {"2s", 2000}, {"1m", 60000},  {"250", 250},
	        {"0", 0},       {"0s", 0},    {"007s", 7000}, {"18446744073709551615", UINT64_MAX},
	};
	static const char *const bad[] = {
	        "",
	        "ms",
	        "s",
	        "1h",
	        "-1s",
	        "1.5s",
	        " 1s",
	        "1 s",
	        "1S",
	        "1sm",
	        "1ms ",
	        "+1s",
	        "18446744073709551616",
	        "18446744073709552s",
	        "0x10",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		uint64_t ms = 12345;

		if (!CHECK_INT_EQ(duration_parse(good[i].s, &ms), 0))
			fprintf(stderr, "  for '%s'\n", good[i].s);
		CHECK(ms == good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		uint64_t ms = 12345;

		if (!CHECK_INT_EQ(duration_parse(bad[i], &ms), -EINVAL))
			fprintf(stderr, "  for '%s'\n", bad[i]);
		CHECK_INT_EQ(ms, 12345);
	}
	CHECK_INT_EQ(duration_parse(NULL, NULL), -EINVAL);
}

static void test_edit_distance(void)
{
	CHECK_INT_EQ(cfg_edit_distance("port", "port"), 0);
	CHECK_INT_EQ(cfg_edit_distance("sokcet", "socket"), 1); /* a swap */
	CHECK_INT_EQ(cfg_edit_distance("Port", "port"), 0);
	CHECK_INT_EQ(cfg_edit_distance("", "tags"), 4);
	CHECK_INT_EQ(cfg_edit_distance("log-level", "log_level"), 1);
	CHECK_INT_EQ(cfg_edit_distance("kitten", "sitting"), 3);
}

static void test_names_enums(void)
{
	enum cfg_policy p;

	for (int i = 0; i < _CFG_POLICY_MAX; i++) {
		const char *n = cfg_policy_name((enum cfg_policy)i);

		if (!CHECK(n))
			continue;
		CHECK_INT_EQ(cfg_policy_from_name(n, &p), 0);
		CHECK_INT_EQ(p, i);
	}
	CHECK_STR_EQ(cfg_policy_name(CFG_POLICY_WEIGHTED_RANDOM), "weighted_random");
	CHECK_STR_EQ(cfg_policy_name(CFG_POLICY_LEAST_LOADED), "least_loaded");
	CHECK(cfg_policy_name(_CFG_POLICY_MAX) == NULL);
	CHECK_INT_EQ(cfg_policy_from_name("Round_Robin", &p), -EINVAL);
	CHECK_INT_EQ(cfg_policy_from_name("", &p), -EINVAL);
	CHECK_INT_EQ(cfg_policy_from_name(NULL, &p), -EINVAL);
	CHECK_STR_EQ(cfg_log_level_name(CFG_LOG_ERROR), "error");
	CHECK_STR_EQ(cfg_log_level_name(CFG_LOG_WARNING), "warning");
	CHECK_STR_EQ(cfg_log_level_name(CFG_LOG_INFO), "info");
	CHECK_STR_EQ(cfg_log_level_name(CFG_LOG_DEBUG), "debug");
	CHECK(cfg_log_level_name((enum cfg_log_level)7) == NULL);
	cfg_free(NULL);
	cfg_diags_clear(NULL);
}

/* Load TEXT from memory; returns the config or NULL, messages in *d. */
static struct lanyard_config *load(const char *text, struct cfg_diags *d)
{
	struct lanyard_config *cfg = NULL;

	cfg_load_buffer("mem.yaml", text, strlen(text), &cfg, d);
	return cfg;
}

/* Load TEXT, expecting success and no messages. */
static struct lanyard_config *load_ok(const char *text)
{
	struct cfg_diags d = {0};
	struct lanyard_config *cfg = load(text, &d);

	CHECK(cfg != NULL);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "unexpected: %s\n", d.items[i].text);
	CHECK_INT_EQ(d.n, 0);
	cfg_diags_clear(&d);
	return cfg;
}

/* Load TEXT, expecting failure with exactly the message MSG. */
static void load_fails(const char *text, const char *msg)
{
	struct cfg_diags d = {0};
	struct lanyard_config *cfg = load(text, &d);

	CHECK(cfg == NULL);
	CHECK_INT_EQ(d.n, 1);
	CHECK_STR_EQ(d.n ? d.items[0].text : NULL, msg);
	cfg_free(cfg);
	cfg_diags_clear(&d);
}

/* One rule, one answer: a version config accepts is one the TXT parser
 * parses and a constraint matches, and the other way round. */
static void test_versions_agree(void)
{
	static const struct {
		const char *v;
		bool ok;
	} cases[] = {
	        {"1.2", true},   {"1.2.3+build", true}, {"1.0.0+b.7", true}, {"2", true},
	        {"v1.2", false}, {"1.2.3.4", false},    {"01.2", false},     {"1.2.3-", false},
	};
	struct dnssd_constraint any;

	CHECK_INT_EQ(constraint_parse("*", &any, NULL, 0), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char yaml[128], pair[64];
		const uint8_t *strs[1] = {(const uint8_t *)pair};
		size_t lens[1];
		struct lanyard_config *cfg = NULL;
		struct cfg_diags d = {0};
		struct txt *t = NULL;

		snprintf(yaml, sizeof(yaml), "services: [{name: web, port: 80, version: '%s'}]",
		         cases[i].v);
		cfg_load_buffer("mem.yaml", yaml, strlen(yaml), &cfg, &d);
		CHECK_MSG((cfg != NULL) == cases[i].ok, "config and \"%s\"", cases[i].v);
		lens[0] = (size_t)snprintf(pair, sizeof(pair), "version=%s", cases[i].v);
		if (CHECK(txt_parse(strs, lens, 1, &t) == 0))
			CHECK_MSG(t->version_ok == cases[i].ok, "TXT parser and \"%s\"",
			          cases[i].v);
		CHECK_MSG(constraint_match_text(&any, cases[i].v, strlen(cases[i].v)) ==
		                  cases[i].ok,
		          "constraint matcher and \"%s\"", cases[i].v);
		txt_free(t);
		cfg_free(cfg);
		cfg_diags_clear(&d);
	}
}

/* Service names and types compare case-insensitively (RFC 6335). */
static void test_names_case(void)
{
	struct lanyard_config *cfg;

	cfg = load_ok(
	        "agent: {browse: [_HTTP._TCP, Payments]}\n"
	        "services: [{name: Payments, port: 80}, {name: api, type: _API._Udp, port: 81}]");
	if (CHECK(cfg) && CHECK(cfg->n_services == 2)) {
		CHECK_STR_EQ(cfg->services[0].type, "_Payments._tcp");
		CHECK_INT_EQ(cfg->services[1].protocol, CFG_PROTO_UDP);
		CHECK(cfg_find_service(cfg, "payments") == &cfg->services[0]);
	}
	cfg_free(cfg);
	load_fails("services: [{name: web, port: 80}, {name: WEB, port: 81}]",
	           "mem.yaml:1:42: duplicate service name 'WEB' (first declared at mem.yaml:1)");
	load_fails("services: [{name: a, port: 1, instance: x}, {name: b, type: _A._TCP, port: 2, "
	           "instance: X}]",
	           "mem.yaml:1:89: instance 'X' of type '_A._TCP' is already used by service 'a' "
	           "(mem.yaml:1)");
}

static enum cfg_service_diff diff(const char *a, const char *b)
{
	struct lanyard_config *x = load_ok(a), *y = load_ok(b);
	enum cfg_service_diff r = 99;

	if (x && y && x->n_services == 1 && y->n_services == 1)
		r = cfg_service_compare(&x->services[0], &y->services[0]);
	cfg_free(x);
	cfg_free(y);
	return r;
}

static void test_compare(void)
{
	const char *base = "services: [{name: web, port: 80, version: 1.0, weight: 2, priority: 1,"
	                   " tags: [a, b], txt: {path: /}, subtypes: [_a, _b], policy: hash}]";

	CHECK_INT_EQ(diff(base, base), CFG_SERVICE_SAME);
	/* policy is not published */
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 2, "
	                        "priority: 1, tags: [a, b], txt: {path: /}, subtypes: [_a, _b]}]"),
	             CFG_SERVICE_SAME);
	/* subtype order does not matter */
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 2, "
	                        "priority: 1, tags: [a, b], txt: {path: /}, subtypes: [_b, _a]}]"),
	             CFG_SERVICE_SAME);
	/* TXT-only changes */
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.1, weight: 2, "
	                        "priority: 1, tags: [a, b], txt: {path: /}, subtypes: [_a, _b]}]"),
	             CFG_SERVICE_TXT_ONLY);
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 3, "
	                        "priority: 1, tags: [a, b], txt: {path: /}, subtypes: [_a, _b]}]"),
	             CFG_SERVICE_TXT_ONLY);
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 2, "
	                        "priority: 0, tags: [a, b], txt: {path: /}, subtypes: [_a, _b]}]"),
	             CFG_SERVICE_TXT_ONLY);
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 2, "
	                        "priority: 1, tags: [b, a], txt: {path: /}, subtypes: [_a, _b]}]"),
	             CFG_SERVICE_TXT_ONLY);
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 2, "
	                        "priority: 1, tags: [a, b], txt: {path: /x}, subtypes: [_a, _b]}]"),
	             CFG_SERVICE_TXT_ONLY);
	CHECK_INT_EQ(diff("services: [{name: web, port: 80, txt: {k: }}]",
	                  "services: [{name: web, port: 80, txt: {k: ''}}]"),
	             CFG_SERVICE_TXT_ONLY);
	CHECK_INT_EQ(diff("services: [{name: web, port: 80}]",
	                  "services: [{name: web, port: 80, version: 1}]"),
	             CFG_SERVICE_TXT_ONLY);
	/* republishing changes */
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 81, version: 1.0, weight: 2, "
	                        "priority: 1, tags: [a, b], txt: {path: /}, subtypes: [_a, _b]}]"),
	             CFG_SERVICE_CHANGED);
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 2, "
	                        "priority: 1, tags: [a, b], txt: {path: /}, subtypes: [_a]}]"),
	             CFG_SERVICE_CHANGED);
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 2, "
	                        "priority: 1, tags: [a, b], txt: {path: /}, subtypes: [_a, _c]}]"),
	             CFG_SERVICE_CHANGED);
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 2, "
	                        "priority: 1, tags: [a, b], txt: {path: /}, subtypes: [_a, _b], "
	                        "instance: 'www@%h'}]"),
	             CFG_SERVICE_CHANGED);
	CHECK_INT_EQ(diff(base, "services: [{name: web, port: 80, version: 1.0, weight: 2, "
	                        "priority: 1, tags: [a, b], txt: {path: /}, subtypes: [_a, _b], "
	                        "type: _http._tcp}]"),
	             CFG_SERVICE_CHANGED);
	CHECK_INT_EQ(diff("services: [{name: web, port: 80}]",
	                  "services: [{name: web, port: 80, protocol: udp}]"),
	             CFG_SERVICE_CHANGED);
	CHECK_INT_EQ(cfg_service_compare(NULL, NULL), CFG_SERVICE_SAME);
}

static void test_buffers(void)
{
	struct lanyard_config *cfg;
	struct cfg_diags d = {0};
	char host[64], text[256], msg[512];
	size_t room;

	/* TXT values may hold any byte, NUL included */
	cfg = load_ok("services: [{name: web, port: 80, txt: {bin: \"a\\0b\"}}]");
	if (CHECK(cfg) && CHECK(cfg->n_services == 1) && CHECK(cfg->services[0].n_txt == 3)) {
		CHECK_INT_EQ(cfg->services[0].txt[2].value_len, 3);
		CHECK(memcmp(cfg->services[0].txt[2].value, "a\0b", 4) == 0);
	}
	cfg_free(cfg);

	/* no include processing for buffers; the path is kept as written */
	cfg = load_ok("agent: {include: services.d}\nservices: [{name: a, port: 1}]");
	if (CHECK(cfg)) {
		CHECK_STR_EQ(cfg->agent.include, "services.d");
		CHECK_INT_EQ(cfg->n_services, 1);
		CHECK_STR_EQ(cfg->path, "mem.yaml");
	}
	cfg_free(cfg);

	/* a null value is reported at its key */
	load_fails("services:\n  - name: web\n    port:\n",
	           "mem.yaml:3:5: 'port': expected an integer, got null");
	load_fails("agent: []\n", "mem.yaml:1:8: 'agent': expected a mapping, got a list");
	load_fails("services: {a: b}\n",
	           "mem.yaml:1:11: 'services': expected a list, got a mapping");
	load_fails("services: [{name: web, port: 80, type: _web._udp, protocol: tcp}]",
	           "mem.yaml:1:40: 'type': '_web._udp' does not match 'protocol: tcp'");
	/* invalid UTF-8 is a YAML problem, placed by byte offset */
	load_fails("services:\n  - name: w\xff\n", "mem.yaml:2:12: invalid YAML: invalid leading "
	                                           "UTF-8 octet (0xff)");
	load_fails("a: *x\n", "mem.yaml:1:4: invalid YAML: found undefined alias");

	/* the protocol follows the type when not given */
	cfg = load_ok("services: [{name: dns, type: _domain._udp, port: 53}]");
	if (CHECK(cfg) && CHECK(cfg->n_services == 1))
		CHECK_INT_EQ(cfg->services[0].protocol, CFG_PROTO_UDP);
	cfg_free(cfg);

	/* aliases are resolved */
	cfg = load_ok("services: [{name: web, port: 80, tags: &t [a, b]}, {name: api, port: 81, "
	              "tags: *t}]");
	if (CHECK(cfg) && CHECK(cfg->n_services == 2) && CHECK(cfg->services[1].n_tags == 2))
		CHECK_STR_EQ(cfg->services[1].tags[1], "b");
	cfg_free(cfg);

	/* %h counts against the 63 bytes with the real host name */
	CHECK_INT_EQ(dnssd_host_label(host, sizeof(host)), 0);
	room = DNSSD_INSTANCE_MAX - strlen(host);
	snprintf(text, sizeof(text), "services: [{name: web, port: 80, instance: '%.*s%%h'}]",
	         (int)room, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	cfg = load_ok(text);
	cfg_free(cfg);
	snprintf(text, sizeof(text), "services: [{name: web, port: 80, instance: '%.*s%%h'}]",
	         (int)room + 1, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	snprintf(msg, sizeof(msg),
	         "mem.yaml:1:%d: 'instance': '%.*s%%h' is longer than 63 bytes once %%h is "
	         "replaced by the host name '%s'",
	         (int)(strchr(text, '\'') - text + 1), (int)room + 1,
	         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", host);
	load_fails(text, msg);

	/* warnings alone do not fail a load */
	cfg = load("services: [{name: web, port: 80, tags: [a, a], txt: {description: x}}]", &d);
	CHECK(cfg != NULL);
	CHECK_INT_EQ(d.n, 2);
	CHECK_INT_EQ(d.n_errors, 0);
	CHECK_STR_EQ(d.n > 0 ? d.items[0].text : NULL,
	             "mem.yaml:1:44: warning: 'tags' item: duplicate tag 'a'");
	if (cfg && CHECK(cfg->n_services == 1))
		CHECK_INT_EQ(cfg->services[0].n_tags, 1);
	cfg_free(cfg);
	cfg_diags_clear(&d);
}

/* Very many problems: the list is capped with a final note. */
static void test_message_cap(void)
{
	size_t len = 0, cap = 300 * 16 + 1;
	char *text = malloc(cap);
	struct cfg_diags d = {0};
	struct lanyard_config *cfg;

	if (!CHECK(text))
		return;
	for (int i = 0; i < 300; i++)
		len += (size_t)snprintf(text + len, cap - len, "k%d: 1\n", i);
	cfg_load_buffer("many.yaml", text, len, &cfg, &d);
	CHECK(cfg == NULL);
	CHECK_INT_EQ(d.n, 201);
	CHECK_STR_EQ(d.n == 201 ? d.items[200].text : NULL,
	             "many.yaml: too many problems, only the first 200 are shown");
	CHECK_STR_EQ(d.n ? d.items[0].text : NULL,
	             "many.yaml:1:1: unknown key 'k0' at the top level");
	cfg_diags_clear(&d);
	free(text);
}

/* The service count is bounded (pairwise duplicate checks stay cheap). */
static void test_too_many_services(void)
{
	size_t len = 0, cap = 4097 * 40 + 16;
	char *text = malloc(cap);
	struct cfg_diags d = {0};
	struct lanyard_config *cfg;

	if (!CHECK(text))
		return;
	len += (size_t)snprintf(text, cap, "services:\n");
	for (int i = 0; i < 4097; i++)
		len += (size_t)snprintf(text + len, cap - len, "- {name: s%d, port: 1}\n", i);
	cfg_load_buffer("big.yaml", text, len, &cfg, &d);
	CHECK(cfg == NULL);
	CHECK_INT_EQ(d.n, 1);
	CHECK_STR_EQ(d.n ? d.items[0].text : NULL, "big.yaml:4098:3: too many services (max 4096)");
	cfg_diags_clear(&d);
	free(text);
}

int main(void)
{
	test_durations();
	test_versions_agree();
	test_names_case();
	test_edit_distance();
	test_names_enums();
	test_compare();
	test_buffers();
	test_message_cap();
	test_too_many_services();
	return test_summary();
}
