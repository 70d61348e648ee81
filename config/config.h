/* SPDX-License-Identifier: MIT */
/* The validated configuration: YAML as plain C structs (no libyaml type leaves config/). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnssd/duration.h"
#include "dnssd/name.h"

enum cfg_log_level {
	CFG_LOG_ERROR,
	CFG_LOG_WARNING,
	CFG_LOG_INFO,
	CFG_LOG_DEBUG,
};

/* The protocol label of a service's type, as dnssd/ numbers it. */
enum cfg_protocol {
	CFG_PROTO_TCP = DNSSD_PROTO_TCP,
	CFG_PROTO_UDP = DNSSD_PROTO_UDP,
};

/* Selection policies (issue 5); names on the wire and in YAML are the
 * lower-case words of cfg_policy_name(). */
enum cfg_policy {
	CFG_POLICY_ROUND_ROBIN,
	CFG_POLICY_WEIGHTED,
	CFG_POLICY_RANDOM,
	CFG_POLICY_WEIGHTED_RANDOM,
	CFG_POLICY_HASH,
	CFG_POLICY_P2C,
	CFG_POLICY_LEAST_LOADED,
	_CFG_POLICY_MAX,
};

/* One TXT pair. value == NULL means a key without '=' (RFC 6763 §6.4);
 * value_len counts bytes of value (values are NUL-terminated too). */
struct cfg_txt {
	char *key;
	char *value;
	size_t value_len;
};

/* The kinds of health check a service may carry (docs/config.md, "checks"). */
enum cfg_check_kind {
	CFG_CHECK_TCP,
	CFG_CHECK_HTTP,
	CFG_CHECK_EXEC,
	CFG_CHECK_TTL,
	_CFG_CHECK_KIND_MAX,
};

/* A network of a trust allow-list: FAMILY (AF_INET or AF_INET6) address
 * ADDR whose first PREFIX bits count (the others are zero). */
struct cfg_trust_net {
	uint8_t family;
	uint8_t prefix;
	uint8_t addr[16];
};

/* trust: how much data from peers may steer the selection of a service
 * (services[].trust, or agent.trust for every service): caps on the TXT
 * weight and priority peers publish, and an allow-list of where their
 * instances may come from. Instances published by this lanyardd are never
 * affected. A key not given leaves it to agent.trust, then to no limit
 * (docs/config.md, "trust"). */
struct cfg_trust {
	bool has_max_weight;
	uint16_t max_weight; /* peers' weight above it counts as it */
	bool has_min_priority;
	uint16_t min_priority; /* peers' priority below it (better) counts as it */
	bool has_from;         /* an allow-list is given (empty: no peer at all) */
	struct cfg_trust_net *nets;
	size_t n_nets;
	char **hosts; /* host names, as SRV targets are compared; no trailing dot */
	size_t n_hosts;
};

/* One health check of a service, validated. */
struct cfg_check {
	enum cfg_check_kind kind;
	/* What it checks, for status and logs: "127.0.0.1:8443" (tcp), the URL
	 * (http), the command line (exec: argv joined by spaces, cut at 255
	 * bytes); NULL for ttl. */
	char *target;
	struct sockaddr_storage addr; /* tcp: numeric address and port */
	socklen_t addr_len;
	char *url;            /* http: an http:// or https:// URL */
	bool tls_skip_verify; /* http: do not verify the server's certificate */
	char **argv;          /* exec: program and arguments, NULL-terminated */
	size_t argc;
	uint64_t ttl_ms;      /* ttl: longest time between two reports */
	uint64_t interval_ms; /* tcp, http, exec: default 1s */
	uint64_t timeout_ms;  /* tcp, http, exec: default min(500ms, interval) */
	unsigned rise;        /* passes to become passing: default 2 (ttl: 1) */
	unsigned fall;        /* failures to become critical: default 2 (ttl: 1) */
	unsigned line;        /* where it was declared, in its service's file */
};

struct cfg_service {
	char *name; /* a service name (dnssd_check_service_name()), validated */
	char *type; /* "_payments._tcp" (default _<name>._<protocol>) */
	enum cfg_protocol protocol;
	uint16_t port;     /* 1-65535 */
	char *instance;    /* template, "%h" = host name; default "<name>@%h" */
	char *version;     /* the version grammar (dnssd/version.h), or NULL */
	uint16_t weight;   /* default 1 */
	uint16_t priority; /* default 0 */
	char **tags;
	size_t n_tags;
	char **subtypes; /* full subtype labels as declared, e.g. "_api" */
	size_t n_subtypes;
	bool has_policy;
	enum cfg_policy policy;
	/* The complete TXT record to publish, in order: version (if set),
	 * weight, priority, tags (comma-joined, if any), then the user's txt:
	 * pairs in file order. Its wire size leaves TXT_OVERLAY_RESERVE of
	 * TXT_PUBLISH_MAX (dnssd/txt.h) free for the agent's overlays. */
	struct cfg_txt *txt;
	size_t n_txt;
	struct cfg_check *checks; /* health checks; none = always announced */
	size_t n_checks;
	struct cfg_trust trust; /* consumer side: what peers' instances may do */
	char *file;             /* where it was declared, for messages */
	unsigned line;
};

/* agent.probe: active TCP probing of the endpoints this host's consumers
 * resolved lately (agent/probe.c). */
struct cfg_probe {
	bool enabled;           /* the key is present (and not false) */
	uint64_t interval_ms;   /* between two probes of one endpoint, default 1s */
	uint64_t timeout_ms;    /* connect timeout, default 500ms, at most the interval */
	unsigned fall;          /* consecutive failures to mark it down, default 2 */
	unsigned rise;          /* consecutive successes to bring it back, default 1 */
	uint64_t window_ms;     /* probed while handed out within this, default 1m */
	unsigned max_endpoints; /* probed at once, default 256 */
};

/* agent.register: who may register services at run time, and how many. */
struct cfg_register {
	char **allow; /* user or group names; none: root, lanyardd's user and
	                 the members of socket_group */
	size_t n_allow;
	unsigned max_per_connection; /* default 64 */
	unsigned max;                /* default 4096 */
};

/* agent.report: who may report outcomes (they steer every consumer's picks). */
struct cfg_report {
	char **allow; /* user or group names; none: as cfg_register's */
	size_t n_allow;
	unsigned per_second; /* reports per user and second (token bucket), default 50 */
};

/* agent.limits: what one consumer may hold (docs/security.md). 0 in
 * connections means "derived from RLIMIT_NOFILE". */
struct cfg_limits {
	unsigned connections;            /* all users, default 0 (derived) */
	unsigned connections_per_user;   /* default 128 */
	unsigned watches_per_connection; /* default 64 */
	unsigned watches_per_user;       /* default 256 */
	unsigned browses_per_user;       /* on-demand browses started, default 64 */
	uint64_t output_per_connection;  /* pending reply bytes, default 4 MiB */
	uint64_t output_total;           /* pending reply bytes of all connections, 64 MiB */
};

/* agent.http: the optional HTTP interface (agent/http.c, docs/http.md). */
struct cfg_http {
	bool enabled;  /* the key is present (and not false) */
	char **listen; /* "127.0.0.1:8787", "[::1]:8787"; default the first */
	size_t n_listen;
	bool allow_remote;             /* non-loopback listen addresses allowed */
	unsigned max_connections;      /* HTTP connections at once, default 64 */
	uint64_t max_body;             /* request body bytes, default 16 KiB */
	uint64_t idle_timeout_ms;      /* an idle HTTP connection is closed, default 30s */
	char *cors_origin;             /* Access-Control-Allow-Origin; NULL = no CORS */
	bool allow_report;             /* POST /v1/report, default false */
	unsigned metrics_max_services; /* per-type series in /metrics, default 100 */
};

/* Parse an agent.http listen address, "ADDR:PORT" or "[ADDR6]:PORT" (a
 * numeric address, port 1-65535), into *RET (a struct sockaddr_in or
 * sockaddr_in6 of *RET_LEN bytes). *RET_LOOPBACK says it is 127.0.0.0/8
 * or ::1. Returns NULL, or why S is not one. */
const char *cfg_http_parse_listen(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len,
                                  bool *ret_loopback);

/* Whether A and B listen the same way (addresses, connection cap, idle
 * timeout): if not, a reload restarts the HTTP listeners. */
bool cfg_http_same_listeners(const struct cfg_http *a, const struct cfg_http *b);

/* Free what H owns and zero it. */
void cfg_http_clear(struct cfg_http *h);
/* A TSIG algorithm (RFC 8945) of a key file. */
enum cfg_tsig_alg {
	CFG_TSIG_HMAC_MD5,
	CFG_TSIG_HMAC_SHA1,
	CFG_TSIG_HMAC_SHA256,
	CFG_TSIG_HMAC_SHA512,
	_CFG_TSIG_ALG_MAX,
};

/* A TSIG key as read from its key file (config/tsig-key.h). */
struct cfg_tsig_key {
	char *name; /* a domain name, without a trailing dot */
	enum cfg_tsig_alg alg;
	char *secret; /* base64, as in the file, checked */
};

/* agent.wide_area: DNS-SD over unicast DNS (docs/wide-area.md). */
struct cfg_wide_area {
	bool enabled;                   /* the key is present */
	char *zone;                     /* where this host publishes; no trailing dot; NULL:
	                                   browse only */
	struct sockaddr_storage server; /* where updates go (port default 53) */
	socklen_t server_len;
	char *server_text;       /* as written, for status and logs */
	char *tsig_key_path;     /* NULL: updates are not signed */
	struct cfg_tsig_key key; /* read from tsig_key_path at load */
	char **browse;           /* zones whose instances are cached, no trailing dot */
	size_t n_browse;
	/* where browse queries and zone transfers go; browse_server_len 0:
	 * to server */
	struct sockaddr_storage browse_server;
	socklen_t browse_server_len;
	char *browse_server_text;
	uint64_t refresh_ms; /* default 30s */
	uint64_t poll_ms;    /* SOA poll of each browsed zone, default 2s */
};

struct cfg_agent {
	char *socket;         /* default LANYARD_DEFAULT_SOCKET */
	unsigned socket_mode; /* default 0660 */
	char *socket_group;   /* NULL = unchanged */
	char *user;           /* agent.user: whom to run as once the socket is made
	                         (started as root); NULL = stay as started */
	char *domain;         /* default "local" */
	char **interfaces;    /* empty = every interface avahi uses */
	size_t n_interfaces;
	bool browse_all; /* browse: all */
	char **browse;   /* DNS-SD types or service names, as declared */
	size_t n_browse;
	unsigned max_instances;       /* default 10000 */
	enum cfg_policy policy;       /* default round_robin */
	enum cfg_log_level log_level; /* default info */
	char *include;                /* directory of *.yaml service files, or NULL */
	uint64_t browse_timeout_ms;   /* first on-demand browse wait, default 1s */
	uint64_t browse_idle_ms;      /* on-demand browse released after this idle, default 10m */
	bool publish_load;            /* add load=<1-min loadavg per CPU> to TXT, default false */
	uint64_t load_interval_ms;    /* least time between two load updates, default 10s */
	struct cfg_probe probe;
	struct cfg_register reg;
	struct cfg_report report;
	struct cfg_limits limits;
	struct cfg_trust trust; /* default of every service's trust */
	struct cfg_http http;
	struct cfg_wide_area wide_area;
};

struct lanyard_config {
	char *path;
	struct cfg_agent agent;
	struct cfg_service *services;
	size_t n_services;
};

/* Diagnostics collected while loading: each line is "FILE:LINE:COL: message"
 * (errors) or "FILE:LINE:COL: warning: message". */
struct cfg_diag {
	bool is_error;
	char *text;
};

struct cfg_diags {
	struct cfg_diag *items;
	size_t n;
	size_t n_errors;
};

/* Load and validate PATH (and the *.yaml files of agent.include). On success
 * returns 0 and stores a new config in *ret (free with cfg_free()); on any
 * error returns a negative errno (-EINVAL for invalid content) and *ret is
 * NULL. Every independent problem is appended to diags (caller owns it; free
 * with cfg_diags_clear()); warnings may be appended on success too. */
int cfg_load(const char *path, struct lanyard_config **ret, struct cfg_diags *diags);

/* Same for an in-memory document; NAME is used in messages. No include. */
int cfg_load_buffer(const char *name, const char *buf, size_t len, struct lanyard_config **ret,
                    struct cfg_diags *diags);

/* One service from TEXT (LEN bytes): a YAML or JSON mapping with the keys
 * of a services: item, checked by the same rules (NAME in the messages,
 * "NAME:LINE:COL: ..."). On success *ret holds a config with exactly that
 * service and no agent section. Returns 0, -EINVAL (messages in DIAGS) or
 * -ENOMEM. */
int cfg_load_service(const char *name, const char *text, size_t len, struct lanyard_config **ret,
                     struct cfg_diags *diags);

void cfg_free(struct lanyard_config *cfg);
/* Free what W owns and zero it. */
void cfg_wide_area_clear(struct cfg_wide_area *w);
/* "hmac-sha256" and the like; NULL when out of range. */
const char *cfg_tsig_alg_name(enum cfg_tsig_alg a);
/* Free what T owns and zero it. */
void cfg_trust_clear(struct cfg_trust *t);
void cfg_diags_clear(struct cfg_diags *diags);

/* How two declarations of the same service name differ. */
enum cfg_service_diff {
	CFG_SERVICE_SAME,     /* nothing that is published changed */
	CFG_SERVICE_TXT_ONLY, /* only the TXT record changed: update in place */
	CFG_SERVICE_CHANGED,  /* type, port, instance, subtypes...: republish */
};
enum cfg_service_diff cfg_service_compare(const struct cfg_service *a, const struct cfg_service *b);

/* Whether A and B check the same thing (kind and target: address, URL,
 * command line; any two ttl checks): a check that stays the same keeps its
 * state across a reload, whatever its interval, timeout, rise and fall. */
bool cfg_check_same_target(const struct cfg_check *a, const struct cfg_check *b);

/* "tcp", "http", "exec", "ttl"; NULL when out of range. */
const char *cfg_check_kind_name(enum cfg_check_kind k);

/* Look up a service by name (case-insensitively); NULL if absent. */
const struct cfg_service *cfg_find_service(const struct lanyard_config *cfg, const char *name);

/* Policy names <-> enum. cfg_policy_from_name returns -EINVAL if unknown. */
const char *cfg_policy_name(enum cfg_policy p);
int cfg_policy_from_name(const char *name, enum cfg_policy *ret);

const char *cfg_log_level_name(enum cfg_log_level l);
