/* SPDX-License-Identifier: MIT */
/* Loads the YAML files of tests/data/config and checks the config and the exact messages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config/config.h"
#include "dnssd/txt.h"
#include "tests/unit/tap.h"

/* Load FILE (relative to tests/data/config) and check the return value and
 * that the messages are exactly EXPECTED, in order (NULL-terminated). */
static void expect_load(const char *file, int expected_r, const char *const *expected)
{
	struct lanyard_config *cfg = (void *)1;
	struct cfg_diags d = {0};
	size_t n = 0;
	int r;

	r = cfg_load(file, &cfg, &d);
	if (!CHECK_INT_EQ(r, expected_r))
		fprintf(stderr, "  while loading %s\n", file);
	CHECK(r == 0 ? cfg != NULL : cfg == NULL);
	while (expected[n])
		n++;
	for (size_t i = 0; i < n || i < d.n; i++)
		CHECK_STR_EQ(i < d.n ? d.items[i].text : NULL, i < n ? expected[i] : NULL);
	cfg_free(cfg);
	cfg_diags_clear(&d);
}

#define EXPECT(file, r, ...) expect_load(file, r, (const char *const[]){__VA_ARGS__, NULL})
#define EXPECT_OK(file)      expect_load(file, 0, (const char *const[]){NULL})

static struct lanyard_config *load_ok(const char *file)
{
	struct lanyard_config *cfg = NULL;
	struct cfg_diags d = {0};

	CHECK_INT_EQ(cfg_load(file, &cfg, &d), 0);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "unexpected: %s\n", d.items[i].text);
	CHECK_INT_EQ(d.n, 0);
	cfg_diags_clear(&d);
	return cfg;
}

static void check_txt(const struct cfg_service *s, size_t i, const char *key, const char *value)
{
	if (!CHECK(i < s->n_txt))
		return;
	CHECK_STR_EQ(s->txt[i].key, key);
	CHECK_STR_EQ(s->txt[i].value, value);
	CHECK_INT_EQ(s->txt[i].value_len, value ? strlen(value) : 0);
}

static void test_good_full(void)
{
	struct lanyard_config *cfg = load_ok("good-full.yaml");
	const struct cfg_service *s;

	if (!CHECK(cfg))
		return;
	CHECK_STR_EQ(cfg->path, "good-full.yaml");
	CHECK_STR_EQ(cfg->agent.socket, "/run/lanyard/test.sock");
	CHECK_INT_EQ(cfg->agent.socket_mode, 0640);
	CHECK_STR_EQ(cfg->agent.socket_group, "lanyard");
	CHECK_STR_EQ(cfg->agent.domain, "local");
	CHECK_INT_EQ(cfg->agent.n_interfaces, 2);
	if (cfg->agent.n_interfaces == 2) {
		CHECK_STR_EQ(cfg->agent.interfaces[0], "eth0");
		CHECK_STR_EQ(cfg->agent.interfaces[1], "wlan0");
	}
	CHECK(!cfg->agent.browse_all);
	CHECK_INT_EQ(cfg->agent.n_browse, 2);
	if (cfg->agent.n_browse == 2) {
		CHECK_STR_EQ(cfg->agent.browse[0], "_http._tcp");
		CHECK_STR_EQ(cfg->agent.browse[1], "payments");
	}
	CHECK_INT_EQ(cfg->agent.browse_timeout_ms, 1500);
	CHECK_INT_EQ(cfg->agent.max_instances, 5000);
	CHECK_INT_EQ(cfg->agent.policy, CFG_POLICY_P2C);
	CHECK_INT_EQ(cfg->agent.log_level, CFG_LOG_DEBUG);
	/* relative include: relative to the main file's directory */
	CHECK_STR_EQ(cfg->agent.include, "services.d");

	/* 3 services of the main file, then the include dir's in name order */
	CHECK_INT_EQ(cfg->n_services, 5);
	if (cfg->n_services != 5)
		goto out;
	s = &cfg->services[0];
	CHECK_STR_EQ(s->name, "payments");
	CHECK_STR_EQ(s->type, "_payments._tcp");
	CHECK_INT_EQ(s->protocol, CFG_PROTO_TCP);
	CHECK_INT_EQ(s->port, 8443);
	CHECK_STR_EQ(s->instance, "payments@%h");
	CHECK_STR_EQ(s->version, "2.4.1");
	CHECK_INT_EQ(s->weight, 10);
	CHECK_INT_EQ(s->priority, 1);
	CHECK_INT_EQ(s->n_tags, 2);
	CHECK_INT_EQ(s->n_subtypes, 2);
	if (s->n_subtypes == 2) {
		CHECK_STR_EQ(s->subtypes[0], "_api");
		CHECK_STR_EQ(s->subtypes[1], "_billing");
	}
	CHECK(s->has_policy);
	CHECK_INT_EQ(s->policy, CFG_POLICY_WEIGHTED);
	CHECK_STR_EQ(s->file, "good-full.yaml");
	CHECK_INT_EQ(s->line, 16);
	/* the full TXT list, in the documented order */
	CHECK_INT_EQ(s->n_txt, 7);
	check_txt(s, 0, "version", "2.4.1");
	check_txt(s, 1, "weight", "10");
	check_txt(s, 2, "priority", "1");
	check_txt(s, 3, "tags", "eu,primary");
	check_txt(s, 4, "path", "/v2");
	check_txt(s, 5, "secure", NULL);
	check_txt(s, 6, "empty", "");

	s = &cfg->services[1];
	CHECK_STR_EQ(s->name, "web");
	CHECK_STR_EQ(s->type, "_http._tcp");
	CHECK_STR_EQ(s->instance, "web@%h");
	CHECK_STR_EQ(s->version, "2.4"); /* a YAML float, taken as written */
	CHECK(!s->has_policy);
	CHECK_INT_EQ(s->n_txt, 4);
	check_txt(s, 0, "version", "2.4");
	check_txt(s, 1, "weight", "1");
	check_txt(s, 2, "priority", "0");
	check_txt(s, 3, "path", "/");

	s = &cfg->services[2];
	CHECK_STR_EQ(s->name, "dns");
	CHECK_STR_EQ(s->type, "_dns._udp");
	CHECK_INT_EQ(s->protocol, CFG_PROTO_UDP);
	CHECK(s->version == NULL);
	CHECK_INT_EQ(s->n_tags, 0);
	CHECK_INT_EQ(s->n_txt, 2);

	s = &cfg->services[3];
	CHECK_STR_EQ(s->name, "cache");
	CHECK_STR_EQ(s->file, "services.d/10-cache.yaml");
	CHECK_INT_EQ(s->line, 3);
	CHECK_INT_EQ(s->n_txt, 3);
	check_txt(s, 1, "priority", "0");
	check_txt(s, 2, "tags", "redis");

	s = &cfg->services[4];
	CHECK_STR_EQ(s->name, "metrics");
	CHECK_STR_EQ(s->type, "_prometheus._tcp");
	CHECK_INT_EQ(s->weight, 0);

	CHECK(cfg_find_service(cfg, "cache") == &cfg->services[3]);
	CHECK(cfg_find_service(cfg, "nope") == NULL);
	CHECK(cfg_find_service(NULL, "cache") == NULL);
out:
	cfg_free(cfg);
}

static void test_defaults(void)
{
	const char *files[] = {"empty.yaml", "null-sections.yaml", "empty-services.yaml"};

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		struct lanyard_config *cfg = load_ok(files[i]);

		if (!CHECK(cfg))
			continue;
		CHECK_STR_EQ(cfg->agent.socket, LANYARD_DEFAULT_SOCKET);
		CHECK_INT_EQ(cfg->agent.socket_mode, 0660);
		CHECK(cfg->agent.socket_group == NULL);
		CHECK_STR_EQ(cfg->agent.domain, "local");
		CHECK_INT_EQ(cfg->agent.n_interfaces, 0);
		CHECK(!cfg->agent.browse_all);
		CHECK_INT_EQ(cfg->agent.n_browse, 0);
		CHECK_INT_EQ(cfg->agent.browse_timeout_ms, 1000);
		CHECK_INT_EQ(cfg->agent.max_instances, 10000);
		CHECK_INT_EQ(cfg->agent.policy, CFG_POLICY_ROUND_ROBIN);
		CHECK_INT_EQ(cfg->agent.log_level, CFG_LOG_INFO);
		CHECK(cfg->agent.include == NULL);
		CHECK(!cfg->agent.publish_load);
		CHECK_INT_EQ(cfg->agent.load_interval_ms, 10000);
		CHECK_INT_EQ(cfg->n_services, 0);
		cfg_free(cfg);
	}
}

static void test_load_keys(void)
{
	struct lanyard_config *cfg = load_ok("load.yaml");

	if (!cfg)
		return;
	CHECK(cfg->agent.publish_load);
	CHECK_INT_EQ(cfg->agent.load_interval_ms, 30000);
	cfg_free(cfg);
	EXPECT("err-load.yaml", -EINVAL,
	       "err-load.yaml:2:17: 'publish_load': 'sometimes' is not one of false, true, no, "
	       "yes, off, on",
	       "err-load.yaml:3:18: 'load_interval': '100ms' is out of range (1s-1h)",
	       "err-load.yaml:7:11: 'txt': key 'load' is set by lanyardd from this host's load "
	       "(see agent.publish_load)");
}

static void test_probe_keys(void)
{
	struct lanyard_config *cfg = load_ok("probe.yaml");

	if (cfg) {
		CHECK(cfg->agent.probe.enabled);
		CHECK_INT_EQ(cfg->agent.probe.interval_ms, 2000);
		CHECK_INT_EQ(cfg->agent.probe.timeout_ms, 1000);
		CHECK_INT_EQ(cfg->agent.probe.fall, 3);
		CHECK_INT_EQ(cfg->agent.probe.rise, 2);
		CHECK_INT_EQ(cfg->agent.probe.window_ms, 300000);
		CHECK_INT_EQ(cfg->agent.probe.max_endpoints, 100);
		cfg_free(cfg);
	}
	/* An empty value turns it on with the defaults; off turns it off. */
	if ((cfg = load_ok("probe-empty.yaml"))) {
		CHECK(cfg->agent.probe.enabled);
		CHECK_INT_EQ(cfg->agent.probe.interval_ms, 1000);
		CHECK_INT_EQ(cfg->agent.probe.timeout_ms, 500);
		CHECK_INT_EQ(cfg->agent.probe.fall, 2);
		CHECK_INT_EQ(cfg->agent.probe.rise, 1);
		CHECK_INT_EQ(cfg->agent.probe.window_ms, 60000);
		CHECK_INT_EQ(cfg->agent.probe.max_endpoints, 256);
		cfg_free(cfg);
	}
	/* A short interval takes the default timeout down with it. */
	if ((cfg = load_ok("probe-short.yaml"))) {
		CHECK_INT_EQ(cfg->agent.probe.interval_ms, 200);
		CHECK_INT_EQ(cfg->agent.probe.timeout_ms, 200);
		cfg_free(cfg);
	}
	if ((cfg = load_ok("probe-off.yaml"))) {
		CHECK(!cfg->agent.probe.enabled);
		cfg_free(cfg);
	}
	EXPECT("err-probe.yaml", -EINVAL,
	       "err-probe.yaml:4:14: 'probe': the timeout (2000ms) must not exceed the interval "
	       "(1000ms)",
	       "err-probe.yaml:5:11: 'fall': 0 is out of range (1-100)",
	       "err-probe.yaml:6:5: unknown key 'windw' in 'probe' (did you mean 'window'?)");
	EXPECT("err-probe-list.yaml", -EINVAL,
	       "err-probe-list.yaml:2:10: 'probe': expected a mapping or true/false, got a list");
}

/* What register validates, and how it says so: the same rules and words
 * as a services: item of a file. */
static void test_load_service(void)
{
	static const struct {
		const char *yaml, *json;
	} cases[] = {
	        {"services:\n  - {name: web, port: x}\n", "{\"name\":\"web\",\"port\":\"x\"}"},
	        {"services:\n  - {name: B_D, port: 1}\n", "{\"name\":\"B_D\",\"port\":1}"},
	        {"services:\n  - {name: web, port: 1, colour: red}\n",
	         "{\"name\":\"web\",\"port\":1,\"colour\":\"red\"}"},
	        {"services:\n  - {name: web, port: 1, version: nope}\n",
	         "{\"name\":\"web\",\"port\":1,\"version\":\"nope\"}"},
	};
	struct lanyard_config *cfg;
	struct cfg_diags d1 = {0}, d2 = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(cfg_load_buffer("f", cases[i].yaml, strlen(cases[i].yaml), &cfg, &d1) ==
		      -EINVAL);
		CHECK(cfg_load_service("register", cases[i].json, strlen(cases[i].json), &cfg,
		                       &d2) == -EINVAL);
		/* The message after "NAME:LINE:COL: " is the same. */
		if (CHECK(d1.n >= 1 && d2.n >= 1)) {
			const char *a = strstr(d1.items[0].text, ": "),
			           *b = strstr(d2.items[0].text, ": ");
			CHECK(a && b && strcmp(a, b) == 0);
			if (a && b && strcmp(a, b))
				fprintf(stderr, "  yaml: %s\n  json: %s\n", d1.items[0].text,
				        d2.items[0].text);
		}
		cfg_diags_clear(&d1);
		cfg_diags_clear(&d2);
	}
	const char *ok = "{\"name\":\"web\",\"port\":8080}";
	CHECK(cfg_load_service("register", ok, strlen(ok), &cfg, &d2) == 0);
	CHECK(cfg && cfg->n_services == 1 && cfg->services[0].port == 8080);
	cfg_free(cfg);
	cfg_diags_clear(&d2);
}

static void test_browse_all(void)
{
	struct lanyard_config *cfg = load_ok("browse-all.yaml");

	if (CHECK(cfg)) {
		CHECK(cfg->agent.browse_all);
		CHECK_INT_EQ(cfg->agent.socket_mode, 0600); /* YAML int 0600 */
		CHECK_INT_EQ(cfg->agent.browse_timeout_ms, 250);
	}
	cfg_free(cfg);
	cfg = load_ok("browse-all-list.yaml");
	if (CHECK(cfg)) {
		CHECK(cfg->agent.browse_all);
		CHECK_INT_EQ(cfg->agent.n_browse, 0);
		CHECK_INT_EQ(cfg->agent.socket_mode, 0644);
		CHECK_INT_EQ(cfg->agent.browse_timeout_ms, 2000);
	}
	cfg_free(cfg);
}

/* trust: per service and agent-wide; each service keeps only what it
 * says (the agent's default is applied by selection). */
static void test_trust_keys(void)
{
	struct lanyard_config *cfg = load_ok("trust.yaml");
	const struct cfg_trust *a, *p, *l, *w;

	if (!cfg)
		return;
	a = &cfg->agent.trust;
	CHECK(a->has_max_weight && a->max_weight == 100 && !a->has_min_priority);
	CHECK(a->has_from && a->n_nets == 3 && a->n_hosts == 2);
	CHECK(a->n_nets == 3 && a->nets[0].family == AF_INET && a->nets[0].prefix == 24 &&
	      a->nets[0].addr[0] == 192 && a->nets[0].addr[2] == 2 && a->nets[0].addr[3] == 0);
	CHECK(a->n_nets == 3 && a->nets[1].family == AF_INET6 && a->nets[1].prefix == 32);
	CHECK(a->n_nets == 3 && a->nets[2].prefix == 32 && a->nets[2].addr[3] == 7);
	CHECK(a->n_hosts == 2 && strcmp(a->hosts[0], "h2") == 0 &&
	      strcmp(a->hosts[1], "h3.local") == 0);
	p = &cfg_find_service(cfg, "payments")->trust;
	CHECK(p->has_max_weight && p->max_weight == 10 && p->has_min_priority &&
	      p->min_priority == 5 && !p->has_from);
	l = &cfg_find_service(cfg, "ledger")->trust;
	CHECK(!l->has_max_weight && l->has_from && l->n_nets == 0 && l->n_hosts == 0);
	w = &cfg_find_service(cfg, "web")->trust;
	CHECK(!w->has_max_weight && !w->has_min_priority && !w->has_from);
	cfg_free(cfg);
	EXPECT("err-trust.yaml", -EINVAL,
	       "err-trust.yaml:2:10: 'trust': expected a mapping, got a list",
	       "err-trust.yaml:7:7: unknown key 'max_weigth' in 'trust' (did you mean "
	       "'max_weight'?)",
	       "err-trust.yaml:8:21: 'min_priority': -1 is out of range (0-65535)",
	       "err-trust.yaml:9:14: 'from' item: '192.0.2.0/33': the prefix length is out of "
	       "range (0-32)",
	       "err-trust.yaml:9:28: 'from' item: '2001:db8::/129': the prefix length is out of "
	       "range (0-128)",
	       "err-trust.yaml:9:46: 'from' item: '192.0.2': not an IPv4 or IPv6 address",
	       "err-trust.yaml:9:55: warning: 'from' item: '203.0.113.9/24' has bits set past "
	       "its prefix: read as 203.0.113.0/24",
	       "err-trust.yaml:9:71: 'from' item: 'bad host!' is neither an address, a network "
	       "nor a host name: a domain name uses only letters, digits, '-', '_' and '.'",
	       "err-trust.yaml:9:84: 'from' item: '10.0.0.0/x': the prefix length is not a "
	       "number",
	       "err-trust.yaml:13:19: 'max_weight': 70000 is out of range (0-65535)",
	       "err-trust.yaml:14:13: 'from': expected a list, got a string");
}

static void test_error_classes(void)
{
	EXPECT("err-yaml.yaml", -EINVAL,
	       "err-yaml.yaml:4:9: invalid YAML: did not find expected ',' or ']' (while parsing a "
	       "flow sequence at 3:11)");
	EXPECT("err-tab.yaml", -EINVAL,
	       "err-tab.yaml:3:1: invalid YAML: found a tab character that violates indentation "
	       "(while scanning a plain scalar at 2:11); tabs are not allowed for indentation");
	EXPECT("err-tab-start.yaml", -EINVAL,
	       "err-tab-start.yaml:2:1: invalid YAML: found character that cannot start any token; "
	       "tabs are not allowed for indentation");
	EXPECT("err-two-docs.yaml", -EINVAL,
	       "err-two-docs.yaml:3:1: only one YAML document is allowed in a file");
	EXPECT("err-root.yaml", -EINVAL,
	       "err-root.yaml:1:1: expected a mapping at the top level, got a list");
	EXPECT("err-types.yaml", -EINVAL,
	       "err-types.yaml:2:11: 'socket': expected a string, got a list",
	       "err-types.yaml:3:15: 'interfaces': expected a list, got a string",
	       "err-types.yaml:4:11: 'browse': expected a list, got a mapping",
	       "err-types.yaml:5:18: 'max_instances': expected an integer, got 'lots'",
	       "err-types.yaml:8:11: 'port': expected an integer, got 'http'",
	       "err-types.yaml:9:11: 'tags': expected a list, got a string",
	       "err-types.yaml:10:10: 'txt': expected a mapping, got a list",
	       "err-types.yaml:12:9: 'subtypes' item: expected a string, got a mapping",
	       "err-types.yaml:13:5: 'services' item: expected a mapping, got a string");
	EXPECT("err-unknown.yaml", -EINVAL,
	       "err-unknown.yaml:1:1: unknown key 'agnet' at the top level (did you mean 'agent'?)",
	       "err-unknown.yaml:4:3: unknown key 'sokcet' in 'agent' (did you mean 'socket'?)",
	       "err-unknown.yaml:5:3: unknown key 'log-level' in 'agent' (did you mean "
	       "'log_level'?)",
	       "err-unknown.yaml:6:3: unknown key 'colour' in 'agent'",
	       "err-unknown.yaml:9:5: unknown key 'prot' in service (did you mean 'port'?)",
	       "err-unknown.yaml:11:5: unknown key 'wieght' in service (did you mean 'weight'?)",
	       "err-unknown.yaml:12:5: unknown key 'comment' in service");
	EXPECT("err-range.yaml", -EINVAL,
	       "err-range.yaml:2:18: 'max_instances': 0 is out of range (1-10000000)",
	       "err-range.yaml:3:16: 'socket_mode': '01777' is out of range (0-0777)",
	       "err-range.yaml:4:19: 'browse_timeout': '2m' is out of range (0-60s)",
	       "err-range.yaml:7:11: 'port': 70000 is out of range (1-65535)",
	       "err-range.yaml:8:13: 'weight': -1 is out of range (0-65535)",
	       "err-range.yaml:9:15: 'priority': 65536 is out of range (0-65535)",
	       "err-range.yaml:11:11: 'port': 0 is out of range (1-65535)",
	       "err-range.yaml:12:13: 'weight': 99999999999999999999999 is out of range (0-65535)");
	EXPECT("err-names.yaml", -EINVAL,
	       "err-names.yaml:2:12: 'browse' item: '_HT_TP._tcp' is neither a service name nor a "
	       "DNS-SD type: a service name uses only letters, digits and '-'",
	       "err-names.yaml:2:25: 'browse' item: 'Pay_ment' is neither a service name nor a "
	       "DNS-SD type: a service name uses only letters, digits and '-'",
	       "err-names.yaml:2:35: 'browse' item: '_x._sctp' is neither a service name nor a "
	       "DNS-SD type: expected _<name>._tcp or _<name>._udp",
	       "err-names.yaml:4:11: 'name': 'Pay_ment' is not a valid service name: a service "
	       "name uses only letters, digits and '-'",
	       "err-names.yaml:6:11: 'name': '-web' is not a valid service name: a service name "
	       "cannot start or end with '-'",
	       "err-names.yaml:8:11: 'name': 'a--b' is not a valid service name: a service name "
	       "cannot contain '--'",
	       "err-names.yaml:10:11: 'name': 'sixteen-chars-xx' is not a valid service name: a "
	       "service name has 1-15 characters",
	       "err-names.yaml:12:11: 'name': '123' is not a valid service name: a service name "
	       "needs at least one letter",
	       "err-names.yaml:15:11: 'type': '_ok.tcp' is not a valid DNS-SD service type: "
	       "expected _<name>._tcp or _<name>._udp",
	       "err-names.yaml:18:11: 'type': '_dns._udp' does not match 'protocol: tcp'",
	       "err-names.yaml:23:16: 'subtypes' item: 'api' is not a valid subtype: a subtype is "
	       "'_' followed by a label, 2-63 bytes in all",
	       "err-names.yaml:23:21: 'subtypes' item: '_a.b' is not a valid subtype: a subtype "
	       "cannot contain '.' or '\\'",
	       "err-names.yaml:23:33: 'subtypes' item: duplicate subtype '_API'");
	EXPECT("err-dup-service.yaml", -EINVAL,
	       "err-dup-service.yaml:6:11: duplicate service name 'web' (first declared at "
	       "err-dup-service.yaml:2)");
	/* same type + same instance (DNS is case-insensitive) collide; the
	 * same instance under another type does not */
	EXPECT("err-dup-instance.yaml", -EINVAL,
	       "err-dup-instance.yaml:8:15: instance 'Front@%h' of type '_http._tcp' is already "
	       "used by service 'web' (err-dup-instance.yaml:2)");
	EXPECT("err-dup-keys.yaml", -EINVAL,
	       "err-dup-keys.yaml:3:3: duplicate key 'policy' (first at 2:3)",
	       "err-dup-keys.yaml:7:5: duplicate key 'port' (first at 6:5)",
	       "err-dup-keys.yaml:10:7: duplicate key 'path' (first at 9:7)");
	EXPECT("err-txt.yaml", -EINVAL,
	       "err-txt.yaml:5:7: 'txt': invalid key 'a=b': a TXT key cannot contain '='",
	       "err-txt.yaml:6:7: 'txt': invalid key '': a TXT key cannot be empty",
	       "err-txt.yaml:7:7: 'txt': key 'Weight' is set by lanyard; use the service's "
	       "'weight' key",
	       "err-txt.yaml:9:7: 'txt': key 'PATH' repeats 'path' (first at 8:7); TXT keys are "
	       "case-insensitive",
	       "err-txt.yaml:10:7: 'txt': invalid key 'caf\xc3\xa9': a TXT key uses printable "
	       "ASCII "
	       "only",
	       "err-txt.yaml:11:7: warning: 'txt': key 'description' is longer than 9 characters "
	       "(RFC 6763 advises)",
	       "err-txt.yaml:12:15: 'txt': the value of 'nested' must be a string or null, got a "
	       "mapping",
	       "err-txt.yaml:13:7: 'txt': the string for key 'big' is 260 bytes (max 255)",
	       "err-txt.yaml:14:7: 'txt': key 'health' is set by lanyardd from the service's "
	       "health");
	EXPECT("err-txt-size.yaml", -EINVAL,
	       "err-txt-size.yaml:4:5: 'txt': the TXT record is longer than 1271 bytes (1300, less "
	       "29 kept for lanyardd's load= and health=)",
	       "err-txt-size.yaml:13:11: 'tags': \"tags=...\" is longer than 255 bytes");
	EXPECT("err-semver.yaml", -EINVAL,
	       "err-semver.yaml:2:33: 'version': '01.2.3' is not a valid version: a number has a "
	       "leading zero",
	       "err-semver.yaml:3:33: 'version': '1.2.3.4' is not a valid version: expected "
	       "MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]",
	       "err-semver.yaml:4:33: 'version': '1.2.3+b_1' is not a valid version: a build "
	       "identifier uses characters other than [0-9A-Za-z-]",
	       "err-semver.yaml:5:33: 'version': '1.2.3-' is not a valid version: a prerelease "
	       "identifier is empty",
	       "err-semver.yaml:6:33: 'version': '1.2.3-rc..1' is not a valid version: a "
	       "prerelease "
	       "identifier is empty",
	       "err-semver.yaml:7:33: 'version': '1.2.3-rc.01' is not a valid version: a number "
	       "has "
	       "a leading zero",
	       "err-semver.yaml:8:33: 'version': 'v1.2' is not a valid version: expected "
	       "MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]",
	       "err-semver.yaml:9:33: 'version': '1.2.3-rc_1' is not a valid version: a prerelease "
	       "identifier uses characters other than [0-9A-Za-z-]",
	       "err-semver.yaml:10:33: 'version': '1234567890.0' is not a valid version: a number "
	       "has more than 9 digits");
	EXPECT("err-missing.yaml", -EINVAL,
	       "err-missing.yaml:2:5: service is missing required key 'port'",
	       "err-missing.yaml:3:5: service is missing required key 'name'",
	       "err-missing.yaml:4:5: service is missing required key 'name'",
	       "err-missing.yaml:4:5: service is missing required key 'port'");
	EXPECT("err-strings.yaml", -EINVAL,
	       "err-strings.yaml:2:11: 'socket': '/run/\\x00nul.sock' contains a NUL character",
	       "err-strings.yaml:3:16: 'socket_mode': expected an octal mode such as \"0660\", got "
	       "'rw-rw----'",
	       "err-strings.yaml:4:11: 'browse': expected a list or 'all', got 'some'",
	       "err-strings.yaml:5:19: 'browse_timeout': expected a duration such as 500ms, 2s or "
	       "1m, got '1h'",
	       "err-strings.yaml:9:15: 'instance': 'tab\\x09here' must be printable UTF-8 text",
	       "err-strings.yaml:10:12: 'tags' item: 'x\\x07' must be printable UTF-8 text",
	       "err-strings.yaml:13:15: 'instance': "
	       "'0123456789012345678901234567890123456789012345678901234567890123' is longer than "
	       "63 bytes",
	       "err-strings.yaml:16:15: 'instance': cannot be empty");
}

/* One file with many independent problems: all of them are reported. */
static void test_many_errors(void)
{
	EXPECT("err-many.yaml", -EINVAL,
	       "err-many.yaml:3:11: 'socket': 'relative.sock' is not an absolute path",
	       "err-many.yaml:4:11: 'policy': 'round-robin' is not one of round_robin, weighted, "
	       "random, weighted_random, hash, p2c, least_loaded (did you mean 'round_robin'?)",
	       "err-many.yaml:5:14: 'log_level': 'verbose' is not one of error, warning, info, "
	       "debug",
	       "err-many.yaml:6:11: 'domain': 'bad..domain' is not a valid domain name: a domain "
	       "name cannot have an empty label",
	       "err-many.yaml:7:17: 'socket_group': 'a b' is not a valid group name",
	       "err-many.yaml:8:12: 'browse': 'all' cannot be combined with other entries",
	       "err-many.yaml:9:22: 'interfaces' item: 'this-name-is-too-long0' is not a valid "
	       "interface name",
	       "err-many.yaml:9:48: 'interfaces' item: 'a/b' is not a valid interface name",
	       "err-many.yaml:13:15: 'instance': 'web %x' has a '%' that is neither %h (host name) "
	       "nor %%",
	       "err-many.yaml:14:12: 'tags' item: a tag cannot be empty",
	       "err-many.yaml:14:16: 'tags' item: 'a,b' contains ',' (tags are joined with ',')",
	       "err-many.yaml:16:11: 'port': 99999 is out of range (1-65535)",
	       "err-many.yaml:17:15: 'protocol': 'sctp' is not one of tcp, udp (did you mean "
	       "'tcp'?)",
	       "err-many.yaml:18:13: 'policy': 'fastest' is not one of round_robin, weighted, "
	       "random, weighted_random, hash, p2c, least_loaded",
	       "err-many.yaml:19:11: duplicate service name 'web' (first declared at "
	       "err-many.yaml:11)");
}

static void test_includes(const char *top)
{
	struct lanyard_config *cfg;
	struct cfg_diags d = {0};

	EXPECT("inc-bad.yaml", -EINVAL,
	       "inc-bad.d/a.yaml:1:1: unknown key 'agent' in an included file, which may only hold "
	       "'services'",
	       "inc-bad.d/a.yaml:3:1: unknown key 'service' in an included file, which may only "
	       "hold 'services' (did you mean 'services'?)",
	       "inc-bad.d/a.yaml:7:11: duplicate service name 'web' (first declared at "
	       "inc-bad.yaml:4)",
	       "inc-bad.d/b.yaml:4:1: invalid YAML: did not find expected ',' or ']' (while "
	       "parsing a flow sequence at 3:11)",
	       "inc-bad.d/c.yaml:1:1: expected a mapping at the top level, got a list");
	EXPECT("inc-notdir.yaml", -EINVAL,
	       "inc-notdir.yaml:2:12: 'include': 'good-full.yaml' is not a directory");

	/* a missing include directory is only a warning */
	CHECK_INT_EQ(cfg_load("inc-missing.yaml", &cfg, &d), 0);
	CHECK_INT_EQ(d.n, 1);
	CHECK_INT_EQ(d.n_errors, 0);
	if (d.n == 1) {
		CHECK(!d.items[0].is_error);
		CHECK_STR_EQ(d.items[0].text,
		             "inc-missing.yaml:2:12: warning: 'include': directory "
		             "'does-not-exist.d' does not exist");
	}
	if (CHECK(cfg)) {
		CHECK_INT_EQ(cfg->n_services, 1);
		CHECK_STR_EQ(cfg->agent.include, "does-not-exist.d");
	}
	cfg_free(cfg);
	cfg_diags_clear(&d);

	/* an absolute main path: include is joined to its directory */
	{
		char *path = NULL;

		if (CHECK(asprintf(&path, "%s/tests/data/config/good-full.yaml", top) > 0)) {
			cfg = load_ok(path);
			if (CHECK(cfg)) {
				CHECK_INT_EQ(cfg->n_services, 5);
				CHECK(strstr(cfg->agent.include, "/tests/data/config/services.d"));
				if (cfg->n_services == 5)
					CHECK(strstr(
					        cfg->services[4].file,
					        "/tests/data/config/services.d/20-metrics.yaml"));
			}
			cfg_free(cfg);
		}
		free(path);
	}
}

/* The sample shipped in docs/ must stay valid. */
static void test_docs_example(const char *top)
{
	struct lanyard_config *cfg = NULL;
	struct cfg_diags d = {0};
	char *path = NULL;

	if (!CHECK(asprintf(&path, "%s/docs/examples/lanyard.yaml", top) > 0))
		return;
	CHECK_INT_EQ(cfg_load(path, &cfg, &d), 0);
	CHECK_INT_EQ(d.n_errors, 0);
	if (CHECK(cfg)) {
		CHECK_INT_EQ(cfg->n_services, 3);
		CHECK(cfg_find_service(cfg, "payments") != NULL);
	}
	cfg_free(cfg);
	cfg_diags_clear(&d);
	free(path);
}

static void test_read_errors(void)
{
	EXPECT("no-such-file.yaml", -ENOENT,
	       "no-such-file.yaml: cannot read: No such file or directory");
	EXPECT("services.d", -EISDIR, "services.d: cannot read: Is a directory");
}

/* Regression: the load= overlay pushed a TXT of up to 1300 bytes over the
 * limit at run time and the service was withdrawn. A service's own TXT now
 * leaves TXT_OVERLAY_RESERVE of TXT_PUBLISH_MAX free for load= and health=. */
static void test_txt_overlay_reserve(void)
{
	const size_t own = 1 + strlen("weight=1") + 1 + strlen("priority=0");
	char yaml[2048];
	size_t budget = TXT_PUBLISH_MAX - TXT_OVERLAY_RESERVE;

	CHECK_INT_EQ(TXT_OVERLAY_RESERVE, 29);
	/* five user strings filling the record to SIZE wire bytes: just under
	 * the budget, then past it but under the old limit of 1300 */
	for (size_t size = budget - 1; size <= budget + 20; size += 21) {
		struct lanyard_config *cfg = NULL;
		struct cfg_diags d = {0};
		size_t n = (size_t)snprintf(yaml, sizeof(yaml),
		                            "services:\n- name: web\n  port: 80\n"
		                            "  txt:\n");
		size_t left = size - own;

		for (int i = 0; i < 5; i++) {
			/* wire bytes of this string: a fifth, the last one the rest */
			size_t wire = i < 4 ? (size - own) / 5 : left;

			n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "    k%d: '%0*d'\n", i,
			                      (int)(wire - 1 - 3), 0); /* length byte, "kN=" */
			left -= wire;
		}
		CHECK_INT_EQ(size > 1271 && size <= 1300, size == budget + 20);
		cfg_load_buffer("mem.yaml", yaml, n, &cfg, &d);
		if (size <= budget) {
			CHECK(cfg != NULL && d.n == 0);
		} else {
			CHECK(cfg == NULL);
			CHECK_STR_EQ(
			        d.n ? d.items[0].text : NULL,
			        "mem.yaml:4:3: 'txt': the TXT record is longer than 1271 bytes "
			        "(1300, less 29 kept for lanyardd's load= and health=)");
		}
		cfg_free(cfg);
		cfg_diags_clear(&d);
	}
}

int main(void)
{
	char *top = realpath(getenv("top_srcdir") ? getenv("top_srcdir") : ".", NULL);
	char *dir = NULL;
	int r;

	if (!top) {
		perror("top_srcdir");
		return 1;
	}
	test_docs_example(top);
	if (asprintf(&dir, "%s/tests/data/config", top) < 0 || chdir(dir) < 0) {
		fprintf(stderr, "cannot enter %s\n", dir ? dir : top);
		free(dir);
		free(top);
		return 1;
	}
	free(dir);
	test_good_full();
	test_defaults();
	test_browse_all();
	test_load_keys();
	test_probe_keys();
	test_trust_keys();
	test_load_service();
	test_error_classes();
	test_many_errors();
	test_includes(top);
	test_read_errors();
	test_txt_overlay_reserve();
	r = test_summary();
	free(top);
	return r;
}
