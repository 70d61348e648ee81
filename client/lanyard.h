/* SPDX-License-Identifier: MIT */
/* liblanyard: the C API for asking the local lanyardd for service endpoints
 * over its Unix socket (pkg-config module "lanyard"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every function returns 0 (LANYARD_OK) or one of these negative codes; a
 * human message for the last failure on a handle is in lanyard_last_error(). */
enum lanyard_error {
	LANYARD_OK = 0,
	LANYARD_E_INVAL = -1,       /* invalid argument */
	LANYARD_E_NOMEM = -2,       /* out of memory */
	LANYARD_E_CONNECT = -3,     /* cannot connect to the agent's socket */
	LANYARD_E_IO = -4,          /* connection lost (watches ended) or I/O error */
	LANYARD_E_TIMEOUT = -5,     /* no answer within the handle's timeout */
	LANYARD_E_PROTOCOL = -6,    /* the agent sent something unexpected */
	LANYARD_E_UNREACHABLE = -7, /* lanyard_resolve_connect: every try failed */
	/* Errors reported by the agent (the "code" of an error response): */
	LANYARD_E_BAD_REQUEST = -10,
	LANYARD_E_UNKNOWN_OP = -11,
	LANYARD_E_NOT_FOUND = -12, /* no matching instance */
	LANYARD_E_TOO_LARGE = -13,
	LANYARD_E_BUSY = -14, /* the agent refuses more connections */
	LANYARD_E_INTERNAL = -15,
	LANYARD_E_UNAVAILABLE = -16, /* the agent cannot answer now (e.g. avahi down) */
	LANYARD_E_FORBIDDEN = -17,   /* not allowed for this user (e.g. maint) */
	LANYARD_E_CONFLICT = -18,    /* a registration clashes with a published service */
};

/* A static description of CODE ("not found", ...). Never NULL. */
const char *lanyard_strerror(int code);

/* One connection to lanyardd. Calls on a handle are serialised by a mutex,
 * so a handle may be shared by threads; a watching thread should have a
 * handle of its own, since lanyard_next_event() holds it while waiting. */
struct lanyard;

/* Connect to PATH; NULL means $LANYARD_SOCKET if set, else the default
 * (/run/lanyard/lanyard.sock unless configured otherwise). Returns 0 and a
 * handle in *ret, or LANYARD_E_CONNECT (errno tells why), LANYARD_E_INVAL
 * (path too long) or LANYARD_E_NOMEM, with *ret = NULL. If the agent
 * restarts, the next call reconnects by itself (watches are then lost). */
int lanyard_open(const char *path, struct lanyard **ret);

/* Close H and free it; NULL is fine. */
void lanyard_close(struct lanyard *h);

/* Message for the last failure on H ("" if none). Valid until the next
 * call on H. */
const char *lanyard_last_error(struct lanyard *h);

/* The last line received from the agent for H (a response or event), as
 * malloc'd JSON text the caller frees, or NULL. Used by `lanyard --json`. */
char *lanyard_last_response(struct lanyard *h);

/* Per-call timeout in milliseconds (default 5000); negative = no limit. */
void lanyard_set_timeout(struct lanyard *h, int timeout_ms);

enum lanyard_family {
	LANYARD_FAMILY_ANY = 0,
	LANYARD_FAMILY_IPV4,
	LANYARD_FAMILY_IPV6,
};

struct lanyard_txt_match {
	const char *key;
	const char *value;
};

/* Which instances to consider. Zero-initialise; every member is optional
 * (resolve and watch need service). Strings are UTF-8. */
struct lanyard_filter {
	const char *service;     /* "payments" or a DNS-SD type "_http._tcp" */
	const char *instance;    /* exact instance name */
	const char *version;     /* constraint: ">=2.0", "^2.4", "~2.4.1", "2.x" ... */
	const char *const *tags; /* all must be present */
	size_t n_tags;
	const struct lanyard_txt_match *txt; /* all must match */
	size_t n_txt;
	enum lanyard_family family;
	const char *domain; /* "local" (this LAN, mDNS) or a browsed zone */
};

/* One TXT attribute; value is NULL for a key without '=' and may hold
 * binary bytes (value_len counts them; it is NUL-terminated too). */
struct lanyard_txt {
	const char *key;
	const char *value;
	size_t value_len;
};

/* An endpoint. Allocated by the library, read-only for the caller; free
 * with lanyard_instance_free(). String arrays are also NULL-terminated. */
struct lanyard_instance {
	const char *instance;         /* "payments@hostb" */
	const char *service;          /* "payments" (may be NULL) */
	const char *type;             /* "_payments._tcp" */
	const char *domain;           /* "local" (may be NULL) */
	const char *host;             /* "hostb.local" (may be NULL) */
	const char *const *addresses; /* numeric; IPv6 link-local as "fe80::1%2" (zone = ifindex) */
	size_t n_addresses;
	uint16_t port;
	const struct lanyard_txt *txt;
	size_t n_txt;
	const char *version; /* NULL if not published */
	uint32_t weight;
	uint32_t priority;
	const char *const *tags;
	size_t n_tags;
	const char *const *interfaces;
	size_t n_interfaces;
	bool local;        /* published by this host */
	double first_seen; /* unix seconds */
	double last_changed;
};

void lanyard_instance_free(struct lanyard_instance *inst);

struct lanyard_instance_list {
	size_t n;
	struct lanyard_instance **items;
};

void lanyard_instance_list_free(struct lanyard_instance_list *list);

/* Every instance matching F (NULL = all). An empty list is success. */
int lanyard_list(struct lanyard *h, const struct lanyard_filter *f,
                 struct lanyard_instance_list **ret);

/* resolve flags */
#define LANYARD_PREFER_LOCAL 0x1u /* prefer instances published by this host */
/* Browsed zones' instances compete with this LAN's (by default this LAN's
 * go first while one is usable). */
#define LANYARD_ANY_DOMAIN 0x2u

/* One balanced pick among the instances matching F (F->service required).
 * POLICY overrides the service's policy ("round_robin", "weighted",
 * "random", "weighted_random", "hash", "p2c", "least_loaded"; NULL = the
 * configured one); KEY is the consistent-hash key (NULL = none).
 * LANYARD_E_NOT_FOUND if nothing matches. */
int lanyard_resolve(struct lanyard *h, const struct lanyard_filter *f, const char *policy,
                    const char *key, unsigned flags, struct lanyard_instance **ret);

/* Tell the agent how using INSTANCE (of SERVICE, which may be NULL) went;
 * LATENCY_MS < 0 means unknown. Feeds outlier ejection and p2c. */
int lanyard_report(struct lanyard *h, const char *service, const char *instance, bool ok,
                   double latency_ms);

/* Resolve, then open a TCP connection to the pick (trying each of its
 * addresses allowed by F->family). A pick that cannot be reached is
 * reported as failed and the next pick is tried, up to MAX_TRIES picks
 * (0 = 3); a success is reported with its connect latency. Returns 0 and
 * a connected blocking socket in *ret_fd (the caller closes it), the
 * resolve error, or LANYARD_E_UNREACHABLE. RET_INST may be NULL; else it
 * receives the instance connected to. */
int lanyard_resolve_connect(struct lanyard *h, const struct lanyard_filter *f, const char *policy,
                            const char *key, unsigned flags, unsigned max_tries, int *ret_fd,
                            struct lanyard_instance **ret_inst);

/* Like lanyard_resolve(), but steering clear of the instances named in
 * EXCEPT (N_EXCEPT names, e.g. those that already failed for this caller)
 * while another instance matches F: the agent is asked up to N_EXCEPT + 1
 * times (each answer counts as a pick for its policy), then, if it kept
 * answering excepted ones (a hash key, say), the first other match of
 * lanyard_list() in order of priority, then weight (the list does not
 * skip ejected instances). When every match is excepted, the agent's pick
 * is returned anyway. LANYARD_E_NOT_FOUND if nothing matches. */
int lanyard_resolve_except(struct lanyard *h, const struct lanyard_filter *f, const char *policy,
                           const char *key, unsigned flags, const char *const *except,
                           size_t n_except, struct lanyard_instance **ret);

/* TMPL with each placeholder replaced by the value for endpoint IN:
 * {address} (the address to connect to: among those FAMILY allows, IPv4
 * before IPv6, global before link-local, as the agent ranks them; an IPv6
 * link-local one keeps its zone, "fe80::1%2"), {port}, {host}, {instance}
 * and {service} (the service name, else the DNS-SD type). Any other text
 * is copied as it is, "{other}" and "{{" included: there is no escape.
 * Values come from the LAN: pass the result as one argument of a program,
 * never to a shell. Returns 0 and a malloc'd string in *ret (the caller
 * frees it), LANYARD_E_NOT_FOUND if TMPL names a value IN lacks (no
 * address of FAMILY, no host name), LANYARD_E_INVAL or LANYARD_E_NOMEM. */
int lanyard_expand(const struct lanyard_instance *in, enum lanyard_family family, const char *tmpl,
                   char **ret);

struct lanyard_service {
	const char *service; /* "payments" */
	const char *type;    /* "_payments._tcp" */
	uint32_t instances;  /* cached instances */
	bool local;          /* declared by this host */
};

struct lanyard_service_list {
	size_t n;
	struct lanyard_service *items;
};

void lanyard_service_list_free(struct lanyard_service_list *list);

/* Every service the agent knows. */
int lanyard_services(struct lanyard *h, struct lanyard_service_list **ret);

/* The agent's status object as malloc'd JSON text (free() it); its members
 * are described in lanyard's protocol documentation. */
int lanyard_status(struct lanyard *h, char **ret_json);

/* Start streaming changes of the instances matching F. First come "added"
 * events for every current match, then one "snapshot_end", then changes.
 * The watch id goes to *ret_watch (may be NULL). */
int lanyard_watch(struct lanyard *h, const struct lanyard_filter *f, uint64_t *ret_watch);

/* Stop watch WATCH. Events already queued may still be delivered. */
int lanyard_unwatch(struct lanyard *h, uint64_t watch);

enum lanyard_event_type {
	LANYARD_EVENT_ADDED,
	LANYARD_EVENT_CHANGED,
	LANYARD_EVENT_REMOVED,
	LANYARD_EVENT_SNAPSHOT_END,
	/* A registration made on this handle was renamed (a name collision
	 * on the LAN): registration and renamed are set, watch and instance
	 * are not. */
	LANYARD_EVENT_REGISTRATION,
};

struct lanyard_event {
	enum lanyard_event_type type;
	uint64_t watch;
	struct lanyard_instance *instance; /* NULL for snapshot_end */
	/* Removed events: why the instance went, as the daemon said it:
	 * "withdrawn" (goodbye or mDNS expiry), "host_down" (its host stopped
	 * answering), "stale", "released", "unmatched" (it no longer matches
	 * the filter); or NULL (other events, older daemons). An endpoint
	 * that agent.probe finds dead is not removed: a changed event shows
	 * it "down". */
	char *reason;
	uint64_t registration; /* LANYARD_EVENT_REGISTRATION: which */
	char *renamed;         /* LANYARD_EVENT_REGISTRATION: its instance now */
};

void lanyard_event_free(struct lanyard_event *ev);

/* Wait up to TIMEOUT_MS (negative = forever, 0 = poll) for the next watch
 * event. Returns 0 with *ret set, LANYARD_E_TIMEOUT, or LANYARD_E_IO if
 * the connection was lost (the watches are gone; watch again). Events that
 * arrive during other calls on H are queued; if more than 100000 pile up
 * unread, the connection is dropped (LANYARD_E_IO). */
int lanyard_next_event(struct lanyard *h, int timeout_ms, struct lanyard_event **ret);

/* File descriptor to poll() for readability before lanyard_next_event(),
 * or -1 if not connected. Queued events may exist even if it is not
 * readable: call lanyard_next_event(h, 0, ...) until LANYARD_E_TIMEOUT. */
int lanyard_fd(struct lanyard *h);

/* What a service says of itself, for its ttl check. */
enum lanyard_check_status {
	LANYARD_CHECK_PASS,
	LANYARD_CHECK_WARN,
	LANYARD_CHECK_FAIL,
};

/* Report STATUS for the ttl check of SERVICE, a service that this host's
 * agent declares with a `ttl:` check, with OUTPUT (NULL: none; at most
 * 4096 bytes of UTF-8) shown in the agent's status. The service is
 * withdrawn from the LAN when no pass or warn report comes within its ttl.
 * LANYARD_E_NOT_FOUND if the agent declares no such service or it has no
 * ttl check. */
int lanyard_check(struct lanyard *h, const char *service, enum lanyard_check_status status,
                  const char *output);

/* Maintenance of SERVICE, declared by this host's agent: ON withdraws it
 * from the LAN (goodbyes) until it is turned off or the agent restarts
 * (reloads keep it); REASON (NULL: none; at most 1024 bytes, no control
 * characters) is shown in the agent's status. LANYARD_E_NOT_FOUND if the
 * agent declares no such service. */
int lanyard_maint(struct lanyard *h, const char *service, bool on, const char *reason);

/* Register a service on this host's agent for as long as H's connection
 * lives: lanyard_close(), the process's exit or a lost connection
 * (LANYARD_E_IO from a later call) withdraws it, with goodbyes. SERVICE_JSON
 * is a JSON object with the keys of a services: item of lanyard.yaml
 * ({"name":"web","port":8080,"version":"1.2.0"}), checked by the same
 * rules. Sets *RET_ID and, when RET_INSTANCE is not NULL, *RET_INSTANCE
 * (the instance name; free() it). Returns 0, LANYARD_E_BAD_REQUEST (the
 * agent's message in lanyard_last_error()), LANYARD_E_FORBIDDEN (this user
 * may not register: agent.register), LANYARD_E_CONFLICT (a declared
 * service or another registration has that name), LANYARD_E_BUSY (the
 * agent's bounds), or another error. */
int lanyard_register(struct lanyard *h, const char *service_json, uint64_t *ret_id,
                     char **ret_instance);

/* Withdraw registration ID made on H. Returns 0, LANYARD_E_NOT_FOUND or
 * another error. */
int lanyard_deregister(struct lanyard *h, uint64_t id);

#ifdef __cplusplus
}
#endif
