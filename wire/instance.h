/* SPDX-License-Identifier: MIT */
/* The instance object of list/resolve responses and watch events, and the
 * services entry: C struct <-> JSON, both directions. */
#pragma once

#include "wire/wire.h"

/* One TXT attribute. value == NULL means a key without '=' (RFC 6763 §6.4).
 * When serialising, key/value need not be NUL-terminated; parsed ones are. */
struct wire_txt {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
};

/* An endpoint as the daemon describes it. When serialising, every pointer
 * is borrowed (the caller may fill it from its own storage); an instance
 * returned by wire_instance_from_json() is one heap block: free() it. */
struct wire_instance {
	const char *instance;         /* "payments@hostb" */
	const char *service;          /* "payments" */
	const char *type;             /* "_payments._tcp" */
	const char *domain;           /* "local" */
	const char *host;             /* "hostb.local" */
	const char *const *addresses; /* "192.0.2.5", "fe80::1%eth0" */
	size_t n_addresses;
	uint16_t port;
	const struct wire_txt *txt;
	size_t n_txt;
	const char *version; /* NULL if not published */
	uint32_t weight;
	uint32_t priority;
	const char *const *tags;
	size_t n_tags;
	const char *const *interfaces;
	size_t n_interfaces;
	bool local;                      /* published by this host */
	double first_seen, last_changed; /* unix seconds */
};

/* One entry of the services response. */
struct wire_service {
	const char *service; /* "payments" */
	const char *type;    /* "_payments._tcp" */
	uint32_t instances;  /* instances currently cached */
	bool local;          /* declared by this host */
};

/* Split one raw TXT string "key=value" (or "key") of LEN bytes into RET,
 * borrowing from S. Returns 0, or -EINVAL if the key is not a TXT key
 * (txt_check_key()) or is longer than WIRE_MAX_NAME (such attributes are
 * to be ignored). */
int wire_txt_split(const void *s, size_t len, struct wire_txt *ret);

/* The JSON object for INST: values that are UTF-8 without NUL go to "txt"
 * (null for a key without value), others base64-encoded to "txt_raw"; a
 * repeated key after the first and keys that are not TXT keys
 * (txt_check_key(), or longer than WIRE_MAX_NAME) are skipped (RFC 6763
 * §6.4). Returns a new reference, or NULL on OOM or a non-UTF-8 string. */
json_t *wire_instance_to_json(const struct wire_instance *inst);

/* Parse an instance object (client side). Unknown members are ignored for
 * forward compatibility; "instance", "type", "port" and "addresses" are
 * required. Returns 0 and a single heap block in *ret (free()), or -EINVAL
 * with ERR set, or -ENOMEM. */
int wire_instance_from_json(const json_t *o, struct wire_instance **ret, struct wire_err *err);

/* The JSON object for one services entry; NULL on OOM. */
json_t *wire_service_to_json(const struct wire_service *s);

/* Parse a services array into one heap block of *ret_n entries (free()). */
int wire_services_from_json(const json_t *a, struct wire_service **ret, size_t *ret_n,
                            struct wire_err *err);
