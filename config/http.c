/* SPDX-License-Identifier: MIT */
/* The agent.http block: listen addresses (loopback unless allow_remote),
 * connection and body bounds, CORS and the report switch, validated into a
 * struct cfg_http. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/http.h"

#define HTTP_LISTEN_MAX 16 /* items of one listen: list */

/* Contract in config.h. */
void cfg_http_clear(struct cfg_http *h)
{
	cfg_strv_free(h->listen, h->n_listen);
	free(h->cors_origin);
	*h = (struct cfg_http){0};
}

/* Contract in config.h. */
const char *cfg_http_parse_listen(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len,
                                  bool *ret_loopback)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *port, *hs;
	size_t hlen;
	unsigned long p = 0;

	memset(ret, 0, sizeof(*ret));
	*ret_len = 0;
	*ret_loopback = false;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return "expected \"[IPv6 address]:port\"";
		hs = s + 1;
		hlen = (size_t)(close - hs);
		port = close + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return "expected \"address:port\"";
		if (memchr(s, ':', (size_t)(colon - s)))
			return "an IPv6 address goes in brackets: \"[::1]:8787\"";
		hs = s;
		hlen = (size_t)(colon - s);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return "not a numeric IPv4 or IPv6 address";
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
		return "the port is not a number";
	for (const char *c = port; *c; c++)
		p = p * 10 + (unsigned long)(*c - '0');
	if (p < 1 || p > 65535)
		return "the port is out of range (1-65535)";
	if (s[0] != '[') {
		struct sockaddr_in *sin = (struct sockaddr_in *)ret;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return "not a numeric IPv4 address";
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*ret_len = sizeof(*sin);
		*ret_loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return "not a numeric IPv6 address";
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*ret_len = sizeof(*sin6);
		*ret_loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	return NULL;
}

/* Contract in config.h. */
bool cfg_http_same_listeners(const struct cfg_http *a, const struct cfg_http *b)
{
	if (a->enabled != b->enabled || a->n_listen != b->n_listen ||
	    a->max_connections != b->max_connections || a->idle_timeout_ms != b->idle_timeout_ms)
		return false;
	for (size_t i = 0; i < a->n_listen; i++)
		if (strcmp(a->listen[i], b->listen[i]) != 0)
			return false;
	return true;
}

/* One listen address V at node AT into H; non-loopback ones need allow_remote. */
static void add_listen(struct cfg_file *f, const yaml_node_t *at, const char *v, struct cfg_http *h)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool loopback;
	char q[CFG_QUOTE_MAX];
	const char *why = cfg_http_parse_listen(v, &ss, &len, &loopback);

	if (why) {
		cfg_error(f, at, "'listen': %s: %s", cfg_quote(v, strlen(v), q), why);
		return;
	}
	for (size_t i = 0; i < h->n_listen; i++)
		if (strcmp(h->listen[i], v) == 0) {
			cfg_error(f, at, "'listen': %s is given twice", cfg_quote(v, strlen(v), q));
			return;
		}
	if (!loopback && !h->allow_remote)
		cfg_error(f, at,
		          "'listen': %s is not a loopback address: the HTTP interface has no "
		          "authentication; set 'allow_remote: true' to serve it to the network",
		          cfg_quote(v, strlen(v), q));
	else if (!loopback)
		cfg_warning(f, at,
		            "'listen': %s is not a loopback address: anyone who can reach it can "
		            "read this agent's view of the LAN (no authentication)",
		            cfg_quote(v, strlen(v), q));
	cfg_push_str(f, &h->listen, &h->n_listen, v);
}

static void parse_listen(struct cfg_file *f, const struct cfg_field *fld, struct cfg_http *h)
{
	enum cfg_kind k = cfg_node_kind(fld->value);

	if (k == CFG_KIND_STRING) {
		const char *v = cfg_field_string(f, fld);

		if (v)
			add_listen(f, fld->value, v, h);
		return;
	}
	if (!cfg_field_list(f, fld))
		return;
	if (cfg_list_len(fld->value) > HTTP_LISTEN_MAX) {
		cfg_error(f, fld->value, "'listen': more than %d items", HTTP_LISTEN_MAX);
		return;
	}
	for (size_t i = 0; i < cfg_list_len(fld->value); i++) {
		yaml_node_t *item = cfg_list_item(f, fld->value, i);
		const char *v = cfg_item_string(f, "listen", item);

		if (v)
			add_listen(f, item, v, h);
	}
}

/* Contract in http.h. */
void cfg_http_parse(struct cfg_file *f, const struct cfg_field *fld, struct cfg_http *h)
{
	enum {
		H_LISTEN,
		H_ALLOW_REMOTE,
		H_MAX_CONNS,
		H_MAX_BODY,
		H_IDLE,
		H_CORS,
		H_REPORT,
		H_METRICS_MAX,
		N_HTTP_FIELDS
	};
	struct cfg_field fl[N_HTTP_FIELDS] = {
	        [H_LISTEN] = {.name = "listen"},
	        [H_ALLOW_REMOTE] = {.name = "allow_remote"},
	        [H_MAX_CONNS] = {.name = "max_connections"},
	        [H_MAX_BODY] = {.name = "max_body"},
	        [H_IDLE] = {.name = "idle_timeout"},
	        [H_CORS] = {.name = "cors_origin"},
	        [H_REPORT] = {.name = "allow_report"},
	        [H_METRICS_MAX] = {.name = "metrics_max_services"},
	};
	static const char *const bool_names[] = {"false", "true", "no", "yes", "off", "on"};
	const size_t n_bool = sizeof(bool_names) / sizeof(*bool_names);
	enum cfg_kind k = cfg_node_kind(fld->value);
	char q[CFG_QUOTE_MAX];
	const char *v;
	uint64_t n;
	unsigned u;

	if (k == CFG_KIND_STRING) {
		if (cfg_field_enum(f, fld, bool_names, n_bool, &u))
			h->enabled = u % 2 == 1;
		if (h->enabled)
			cfg_push_str(f, &h->listen, &h->n_listen, CFG_HTTP_DEFAULT_LISTEN);
		return;
	}
	if (k == CFG_KIND_NULL) {
		h->enabled = true;
		cfg_push_str(f, &h->listen, &h->n_listen, CFG_HTTP_DEFAULT_LISTEN);
		return;
	}
	if (k != CFG_KIND_MAP) {
		cfg_error(f, fld->value, "'http': expected a mapping or true/false, got %s",
		          cfg_kind_name(k));
		return;
	}
	h->enabled = true;
	cfg_map_fields(f, fld->value, fl, N_HTTP_FIELDS, "in 'http'");
	/* allow_remote first: it decides whether a listen address is an error. */
	if (fl[H_ALLOW_REMOTE].key &&
	    cfg_field_enum(f, &fl[H_ALLOW_REMOTE], bool_names, n_bool, &u))
		h->allow_remote = u % 2 == 1;
	if (fl[H_LISTEN].key)
		parse_listen(f, &fl[H_LISTEN], h);
	if (fl[H_MAX_CONNS].key && cfg_field_uint(f, &fl[H_MAX_CONNS], 1, 4096, &n))
		h->max_connections = (unsigned)n;
	if (fl[H_MAX_BODY].key)
		cfg_field_uint(f, &fl[H_MAX_BODY], 64, 1024 * 1024, &h->max_body);
	if (fl[H_IDLE].key && (v = cfg_field_string(f, &fl[H_IDLE]))) {
		if (duration_parse(v, &n) < 0)
			cfg_error(f, fl[H_IDLE].value,
			          "'idle_timeout': expected a duration such as 30s or 1m, got %s",
			          cfg_quote(v, strlen(v), q));
		else if (n < 1000 || n > 3600000)
			cfg_error(f, fl[H_IDLE].value, "'idle_timeout': %s is out of range (1s-1h)",
			          cfg_quote(v, strlen(v), q));
		else
			h->idle_timeout_ms = n;
	}
	if (fl[H_CORS].key && (v = cfg_field_string(f, &fl[H_CORS]))) {
		/* One origin or "*", as the header carries it; nothing that could
		 * split a header line. */
		bool ok = *v && strlen(v) <= 255;

		for (const char *c = v; ok && *c; c++)
			ok = (unsigned char)*c > ' ' && (unsigned char)*c < 0x7f && *c != ',';
		if (!ok) {
			cfg_error(f, fl[H_CORS].value,
			          "'cors_origin': %s is not one origin such as "
			          "\"https://grafana.example\" or \"*\"",
			          cfg_quote(v, strlen(v), q));
		} else {
			char *d = cfg_strndup(f, v, strlen(v));

			if (d) {
				free(h->cors_origin);
				h->cors_origin = d;
			}
		}
	}
	if (fl[H_REPORT].key && cfg_field_enum(f, &fl[H_REPORT], bool_names, n_bool, &u))
		h->allow_report = u % 2 == 1;
	if (fl[H_METRICS_MAX].key && cfg_field_uint(f, &fl[H_METRICS_MAX], 0, 100000, &n))
		h->metrics_max_services = (unsigned)n;
	if (!fl[H_LISTEN].key)
		cfg_push_str(f, &h->listen, &h->n_listen, CFG_HTTP_DEFAULT_LISTEN);
	else if (h->n_listen == 0 && cfg_node_kind(fl[H_LISTEN].value) != CFG_KIND_STRING &&
	         cfg_list_len(fl[H_LISTEN].value) == 0)
		cfg_error(f, cfg_field_pos(&fl[H_LISTEN]), "'listen': no address given");
}
