/* SPDX-License-Identifier: MIT */
/* The agent's network-facing keys: agent.http (config/http.c) from
 * in-memory documents, and agent.wide_area (config/wide-area.c,
 * config/tsig-key.c) from files written into a temporary directory; the
 * values and the exact messages checked. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "config/config.h"
#include "tests/unit/tap.h"

/* Load YAML text; the config (NULL on error) and its messages joined by '|'. */
static struct lanyard_config *load_text(const char *yaml, char *msgs, size_t size)
{
	struct lanyard_config *cfg = NULL;
	struct cfg_diags d = {0};

	msgs[0] = '\0';
	cfg_load_buffer("h.yaml", yaml, strlen(yaml), &cfg, &d);
	for (size_t i = 0; i < d.n; i++) {
		if (i)
			strncat(msgs, "|", size - strlen(msgs) - 1);
		strncat(msgs, d.items[i].text, size - strlen(msgs) - 1);
	}
	cfg_diags_clear(&d);
	return cfg;
}

/* agent.http: off by default, defaults when on, loopback unless
 * allow_remote (then a warning), every key's bounds. */
static void test_http_keys(void)
{
	struct lanyard_config *cfg;
	char m[1024];

	cfg = load_text("agent: {socket: /run/x.sock}\n", m, sizeof(m));
	if (CHECK(cfg)) {
		CHECK(!cfg->agent.http.enabled);
		CHECK_INT_EQ(cfg->agent.http.max_connections, 64);
		CHECK_INT_EQ(cfg->agent.http.max_body, 16384);
		CHECK_INT_EQ(cfg->agent.http.idle_timeout_ms, 30000);
		CHECK_INT_EQ(cfg->agent.http.metrics_max_services, 100);
		CHECK(!cfg->agent.http.allow_report && !cfg->agent.http.cors_origin);
	}
	cfg_free(cfg);

	/* Empty, true: on, on 127.0.0.1:8787. */
	cfg = load_text("agent:\n  http:\n", m, sizeof(m));
	if (CHECK(cfg) && CHECK(cfg->agent.http.enabled) &&
	    CHECK_INT_EQ(cfg->agent.http.n_listen, 1))
		CHECK_STR_EQ(cfg->agent.http.listen[0], "127.0.0.1:8787");
	cfg_free(cfg);
	cfg = load_text("agent: {http: true}\n", m, sizeof(m));
	CHECK(cfg && cfg->agent.http.enabled && cfg->agent.http.n_listen == 1);
	cfg_free(cfg);
	cfg = load_text("agent: {http: false}\n", m, sizeof(m));
	CHECK(cfg && !cfg->agent.http.enabled);
	cfg_free(cfg);

	cfg = load_text("agent:\n  http:\n    listen: [\"127.0.0.2:80\", \"[::1]:8787\"]\n"
	                "    max_connections: 8\n    max_body: 1024\n    idle_timeout: 5s\n"
	                "    cors_origin: \"https://grafana.example\"\n    allow_report: yes\n"
	                "    metrics_max_services: 0\n",
	                m, sizeof(m));
	CHECK_STR_EQ(m, "");
	if (CHECK(cfg) && CHECK_INT_EQ(cfg->agent.http.n_listen, 2)) {
		const struct cfg_http *h = &cfg->agent.http;

		CHECK_STR_EQ(h->listen[1], "[::1]:8787");
		CHECK_INT_EQ(h->max_connections, 8);
		CHECK_INT_EQ(h->max_body, 1024);
		CHECK_INT_EQ(h->idle_timeout_ms, 5000);
		CHECK_STR_EQ(h->cors_origin, "https://grafana.example");
		CHECK(h->allow_report);
		CHECK_INT_EQ(h->metrics_max_services, 0);
	}
	cfg_free(cfg);

	/* Not loopback: an error, unless allow_remote (then a warning). */
	cfg = load_text("agent: {http: {listen: \"0.0.0.0:8787\"}}\n", m, sizeof(m));
	CHECK(cfg == NULL);
	CHECK_STR_EQ(m, "h.yaml:1:24: 'listen': '0.0.0.0:8787' is not a loopback address: the "
	                "HTTP interface has no authentication; set 'allow_remote: true' to serve "
	                "it to the network");
	cfg = load_text("agent: {http: {listen: \"[2001:db8::1]:80\", allow_remote: true}}\n", m,
	                sizeof(m));
	CHECK(cfg != NULL);
	CHECK_STR_EQ(m, "h.yaml:1:24: warning: 'listen': '[2001:db8::1]:80' is not a loopback "
	                "address: anyone who can reach it can read this agent's view of the LAN "
	                "(no authentication)");
	cfg_free(cfg);

	/* Malformed values. */
	cfg = load_text("agent:\n  http:\n    listen: [\"localhost:80\", \"127.0.0.1\", "
	                "\"127.0.0.1:0\", \"::1:80\", \"[::1]80\", \"127.0.0.1:1\", "
	                "\"127.0.0.1:1\"]\n"
	                "    max_connections: 0\n    max_body: 10\n    idle_timeout: 90m\n"
	                "    cors_origin: \"a, b\"\n    allow_report: maybe\n    colour: red\n",
	                m, sizeof(m));
	CHECK(cfg == NULL);
	CHECK(strstr(m, "'localhost:80': not a numeric IPv4 address") != NULL);
	CHECK(strstr(m, "'127.0.0.1': expected \"address:port\"") != NULL);
	CHECK(strstr(m, "'127.0.0.1:0': the port is out of range (1-65535)") != NULL);
	CHECK(strstr(m, "'::1:80': an IPv6 address goes in brackets") != NULL);
	CHECK(strstr(m, "'[::1]80': expected \"[IPv6 address]:port\"") != NULL);
	CHECK(strstr(m, "'127.0.0.1:1' is given twice") != NULL);
	CHECK(strstr(m, "'max_connections'") != NULL);
	CHECK(strstr(m, "'max_body'") != NULL);
	CHECK(strstr(m, "'idle_timeout': '90m' is out of range (1s-1h)") != NULL);
	CHECK(strstr(m, "'cors_origin': 'a, b' is not one origin") != NULL);
	CHECK(strstr(m, "'allow_report'") != NULL);
	CHECK(strstr(m, "unknown key 'colour' in 'http'") != NULL);
	cfg_free(cfg);

	/* The same-listeners rule a reload uses. */
	{
		struct lanyard_config *a =
		        load_text("agent: {http: {listen: \"127.0.0.1:1\"}}\n", m, sizeof(m));
		struct lanyard_config *b =
		        load_text("agent: {http: {listen: \"127.0.0.1:1\", cors_origin: \"*\"}}\n",
		                  m, sizeof(m));
		struct lanyard_config *c =
		        load_text("agent: {http: {listen: \"127.0.0.1:2\"}}\n", m, sizeof(m));

		if (CHECK(a && b && c)) {
			CHECK(cfg_http_same_listeners(&a->agent.http, &b->agent.http));
			CHECK(!cfg_http_same_listeners(&a->agent.http, &c->agent.http));
		}
		cfg_free(a);
		cfg_free(b);
		cfg_free(c);
	}
}

/* Write TEXT to DIR/NAME with MODE. */
static void put_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!CHECK(f))
		return;
	fputs(text, f);
	fclose(f);
	CHECK(chmod(path, mode) == 0);
}

/* agent.wide_area, with key files written into a temporary directory:
 * the key is read relative to the main file, a world-readable key is a
 * warning, a broken one an error at the tsig_key value. */
static void test_wide_area(void)
{
	char dir[] = "/tmp/test-config-wide.XXXXXX", path[600];
	struct lanyard_config *cfg = NULL;
	struct cfg_diags d = {0};
	const struct cfg_wide_area *w;

	if (!CHECK(mkdtemp(dir)))
		return;
	put_file(dir, "good.key",
	         "key \"upd\" {\n\talgorithm hmac-sha512;\n\tsecret \"c2VjcmV0\";\n};\n", 0600);
	put_file(dir, "open.key", "key upd { secret \"c2VjcmV0\"; };\n", 0644);
	put_file(dir, "bad.key", "key upd {\n  secret \"c2VjcmV0\"\n};\n", 0600);
	put_file(dir, "good.yaml",
	         "agent:\n  wide_area:\n    zone: lan-a.sd.example.\n"
	         "    server: \"[2001:db8::53]:5353\"\n    tsig_key: good.key\n"
	         "    browse: [lan-a.sd.example., lan-b.sd.example]\n    refresh: 10s\n",
	         0644);
	snprintf(path, sizeof(path), "%s/good.yaml", dir);
	CHECK_INT_EQ(cfg_load(path, &cfg, &d), 0);
	CHECK_INT_EQ(d.n, 0);
	if (cfg) {
		w = &cfg->agent.wide_area;
		CHECK(w->enabled);
		CHECK_STR_EQ(w->zone, "lan-a.sd.example");
		CHECK_STR_EQ(w->server_text, "[2001:db8::53]:5353");
		CHECK(w->server.ss_family == AF_INET6 &&
		      ntohs(((struct sockaddr_in6 *)&w->server)->sin6_port) == 5353);
		CHECK_STR_EQ(w->key.name, "upd");
		CHECK_INT_EQ(w->key.alg, CFG_TSIG_HMAC_SHA512);
		CHECK_STR_EQ(w->key.secret, "c2VjcmV0");
		CHECK_INT_EQ(w->n_browse, 2);
		CHECK_STR_EQ(w->n_browse == 2 ? w->browse[1] : NULL, "lan-b.sd.example");
		CHECK_INT_EQ(w->refresh_ms, 10000);
	}
	cfg_free(cfg);
	cfg_diags_clear(&d);

	put_file(dir, "bad.yaml",
	         "agent:\n  wide_area:\n    zone: bad!.example\n"
	         "    server: 192.0.2.53:99999\n    tsig_key: bad.key\n"
	         "    refresh: 500ms\n    ttl: 3\n",
	         0644);
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	CHECK_INT_EQ(cfg_load(path, &cfg, &d), -EINVAL);
	CHECK_INT_EQ(d.n, 5);
	for (size_t i = 0; i < d.n; i++) {
		static const char *const want[] = {
		        ":3:11: 'zone': 'bad!.example' is not a valid zone name: a domain",
		        ":4:13: 'server': '192.0.2.53:99999': the port is out of range (1-65535)",
		        ":5:15: 'tsig_key': '",
		        ":6:14: 'refresh': '500ms' is out of range (1s-1h)",
		        ":7:5: unknown key 'ttl' in 'wide_area'",
		};
		const char *t = d.items[i].text;

		CHECK_MSG(i < 5 && strstr(t, want[i]), "message %zu: %s", i, t);
	}
	CHECK(d.n == 5 && strstr(d.items[2].text, "bad.key':3:1: expected ';' after the secret"));
	cfg_diags_clear(&d);

	put_file(dir, "open.yaml",
	         "agent:\n  wide_area:\n    zone: z.example\n    server: 192.0.2.53\n"
	         "    tsig_key: open.key\n",
	         0644);
	snprintf(path, sizeof(path), "%s/open.yaml", dir);
	CHECK_INT_EQ(cfg_load(path, &cfg, &d), 0);
	CHECK_INT_EQ(d.n, 1);
	CHECK(d.n == 1 && !d.items[0].is_error &&
	      strstr(d.items[0].text, ":5:15: warning: 'tsig_key': '") &&
	      strstr(d.items[0].text, "open.key' is readable by every user"));
	if (cfg) {
		CHECK_INT_EQ(cfg->agent.wide_area.key.alg, CFG_TSIG_HMAC_SHA256);
		CHECK_INT_EQ(ntohs(((struct sockaddr_in *)&cfg->agent.wide_area.server)->sin_port),
		             53);
		CHECK_INT_EQ(cfg->agent.wide_area.refresh_ms, 30000);
	}
	cfg_free(cfg);
	cfg_diags_clear(&d);

	put_file(dir, "none.yaml", "agent:\n  wide_area:\n    tsig_key: /nonexistent/k\n", 0644);
	snprintf(path, sizeof(path), "%s/none.yaml", dir);
	CHECK_INT_EQ(cfg_load(path, &cfg, &d), -EINVAL);
	CHECK_INT_EQ(d.n, 3);
	CHECK(d.n == 3 &&
	      strstr(d.items[0].text, ":3:5: 'wide_area': 'zone' or 'browse' is required"));
	CHECK(d.n == 3 && strstr(d.items[1].text, ":3:5: 'wide_area': 'server' is required"));
	CHECK(d.n == 3 && strstr(d.items[2].text, ":3:15: 'tsig_key': cannot read "
	                                          "'/nonexistent/k': No such file or directory"));
	cfg_diags_clear(&d);

	for (const char *const *n =
	             (const char *const[]){"good.key", "open.key", "bad.key", "good.yaml",
	                                   "bad.yaml", "open.yaml", "none.yaml", NULL};
	     *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	rmdir(dir);
}

/* Browsing: browse_server and poll, no zone (browse only), "local" refused. */
static void test_wide_browse(void)
{
	char dir[] = "/tmp/test-config-wide.XXXXXX", path[600];
	struct lanyard_config *cfg = NULL;
	struct cfg_diags d = {0};
	const struct cfg_wide_area *w;

	if (!CHECK(mkdtemp(dir)))
		return;
	put_file(dir, "browse.yaml",
	         "agent:\n  wide_area:\n    server: 192.0.2.53\n"
	         "    browse_server: \"198.51.100.53:5300\"\n    browse: [lan-b.sd.example]\n"
	         "    poll: 500ms\n",
	         0644);
	snprintf(path, sizeof(path), "%s/browse.yaml", dir);
	CHECK_INT_EQ(cfg_load(path, &cfg, &d), 0);
	CHECK_INT_EQ(d.n, 0); /* no key and no zone: nothing to sign, no warning */
	if (cfg) {
		w = &cfg->agent.wide_area;
		CHECK(w->enabled && !w->zone);
		CHECK_INT_EQ(w->poll_ms, 500);
		CHECK_STR_EQ(w->browse_server_text, "198.51.100.53:5300");
		CHECK(w->browse_server.ss_family == AF_INET &&
		      ntohs(((struct sockaddr_in *)&w->browse_server)->sin_port) == 5300);
		CHECK_INT_EQ(w->n_browse, 1);
	}
	cfg_free(cfg);
	cfg = NULL;
	cfg_diags_clear(&d);

	put_file(dir, "default.yaml",
	         "agent:\n  wide_area:\n    zone: z.example\n    server: 192.0.2.53\n", 0644);
	snprintf(path, sizeof(path), "%s/default.yaml", dir);
	CHECK_INT_EQ(cfg_load(path, &cfg, &d), 0);
	if (cfg) {
		CHECK_INT_EQ(cfg->agent.wide_area.poll_ms, 2000);
		CHECK_INT_EQ(cfg->agent.wide_area.browse_server_len, 0);
	}
	cfg_free(cfg);
	cfg_diags_clear(&d);

	put_file(dir, "bad.yaml",
	         "agent:\n  wide_area:\n    server: 192.0.2.53\n    browse: [local, z.example, "
	         "Z.example.]\n"
	         "    browse_server: nameserver.example\n    poll: 100ms\n",
	         0644);
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	CHECK_INT_EQ(cfg_load(path, &cfg, &d), -EINVAL);
	CHECK_INT_EQ(d.n, 4);
	for (size_t i = 0; i < d.n; i++) {
		static const char *const want[] = {
		        ":5:20: 'browse_server': 'nameserver.example': not an IPv4 or IPv6 address",
		        ":4:14: 'browse' item: \"local\" is mDNS's domain",
		        ":4:32: 'browse' item: \"Z.example\" is listed twice",
		        ":6:11: 'poll': '100ms' is out of range (200ms-1h)",
		};
		bool found = false;

		for (size_t j = 0; j < 4; j++)
			found = found || strstr(d.items[i].text, want[j]);
		CHECK_MSG(found, "message %zu: %s", i, d.items[i].text);
	}
	cfg_diags_clear(&d);
	for (const char *const *n =
	             (const char *const[]){"browse.yaml", "default.yaml", "bad.yaml", NULL};
	     *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	test_http_keys();
	test_wide_area();
	test_wide_browse();
	return test_summary();
}
