/* SPDX-License-Identifier: MIT */
/* DNS-SD TXT records (RFC 6763 §6): the rules for what lanyard publishes (keys,
 * limits, well-known keys, overlays) and the parser of untrusted records. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnssd/version.h"

#define TXT_STRING_MAX 255 /* one TXT string on the wire */
/* The most a TXT record lanyard publishes may hold, wire bytes with the
 * length bytes: larger ones have crashed avahi-daemon (CVE-2023-38469). */
#define TXT_PUBLISH_MAX 1300
#define TXT_KEY_ADVISED 9    /* RFC 6763 §6.4: keys should be no longer */
#define TXT_RECORD_MAX  8192 /* wire bytes kept of a received record */
#define TXT_PAIRS_MAX   255  /* key=value pairs kept per record */
#define TXT_TAGS_MAX    64   /* tags kept from the tags= key */

/* The largest load overlay value (txt_format_load() clamps to it) and the
 * longest overlay strings the agent may add at run time. */
#define TXT_LOAD_MAX       9999.99
#define TXT_LOAD_LONGEST   "load=9999.99"
#define TXT_HEALTH_LONGEST "health=critical"
/* Wire bytes kept free for the overlays: one load= and one health= string,
 * each with its length byte (sizeof counts a NUL in its place), 29 in all.
 * A service's own TXT gets the rest of TXT_PUBLISH_MAX. */
#define TXT_OVERLAY_RESERVE (sizeof(TXT_LOAD_LONGEST) + sizeof(TXT_HEALTH_LONGEST))

/* lanyard's well-known keys: the first four are set from service fields,
 * load and health are overlays the agent adds at run time. */
enum txt_known {
	TXT_KNOWN_VERSION,
	TXT_KNOWN_WEIGHT,
	TXT_KNOWN_PRIORITY,
	TXT_KNOWN_TAGS,
	TXT_KNOWN_LOAD,
	TXT_KNOWN_HEALTH,
	_TXT_KNOWN_MAX,
};

/* The values of the health= overlay. */
enum txt_health {
	TXT_HEALTH_PASSING,
	TXT_HEALTH_WARNING,
	TXT_HEALTH_CRITICAL,
	_TXT_HEALTH_MAX,
};

/* One key=value string. */
struct txt_pair {
	const char *key;   /* as received (case kept), NUL-terminated */
	const char *value; /* NULL for a key without '='; else value_len bytes + NUL */
	uint8_t key_len;
	uint8_t value_len;
	bool utf8; /* value is valid UTF-8 containing no NUL byte */
};

/* A parsed TXT record: one allocation, immutable once built. What is not
 * valid is left out (strings, pairs) or left at its default (well-known
 * keys); the raw strings keep everything that fit. */
struct txt {
	/* The kept strings in record order, DNS wire format (a length byte,
	 * then the bytes). Empty strings and over-long ones are not kept. */
	const uint8_t *raw;
	size_t raw_len;
	size_t n_raw;
	/* Valid pairs in record order, duplicates removed. */
	const struct txt_pair *pairs;
	size_t n_pairs;
	/* Well-known keys. */
	const char *version; /* NULL when absent or not text */
	bool version_ok;     /* version follows the version grammar: parsed into semver */
	struct dnssd_version semver;
	uint16_t weight;   /* default 1 */
	uint16_t priority; /* default 0 */
	bool has_load;
	double load;
	const char *const *tags; /* trimmed, non-empty, in order */
	size_t n_tags;
	size_t size; /* bytes allocated for this record */
};

/* TXT key of LEN bytes at KEY: non-empty printable ASCII (0x20-0x7E)
 * without '=' (RFC 6763 §6.4). Returns NULL when valid, otherwise a
 * static reason without a trailing period. Length is not limited here. */
const char *txt_check_key(const char *key, size_t len);

/* The key of K ("version", ...); NULL when out of range. */
const char *txt_known_name(enum txt_known k);

/* Which well-known key the LEN bytes at KEY are (compared
 * case-insensitively): its enum txt_known value, or -1. */
int txt_known_find(const char *key, size_t len);

/* "passing", "warning" or "critical"; NULL when out of range. */
const char *txt_health_name(enum txt_health h);

/* The load overlay's value: LOAD clamped to 0..TXT_LOAD_MAX (NaN is 0),
 * printed with two decimals ("%.2f") into BUF of SIZE bytes. Returns its
 * length, at most that of TXT_LOAD_LONGEST without "load=", or -ENOBUFS. */
int txt_format_load(double load, char *buf, size_t size);

/* Parse N strings (STRS[i] has LENS[i] bytes; binary-safe, NULL allowed
 * when the length is 0) into a new record in *ret (free with txt_free()).
 * N may be 0. Never fails on content: what is invalid is skipped.
 * Returns 0, or -ENOMEM with *ret NULL. */
int txt_parse(const uint8_t *const *strs, const size_t *lens, size_t n, struct txt **ret);

/* Free T; txt_free(NULL) is fine. */
void txt_free(struct txt *t);

/* True when parsing STRS would keep exactly the raw strings of T: cheap,
 * allocation-free change detection. T may be NULL (then: nothing kept). */
bool txt_equal_raw(const struct txt *t, const uint8_t *const *strs, const size_t *lens, size_t n);

/* Pair for KEY (compared case-insensitively), or NULL. */
const struct txt_pair *txt_get(const struct txt *t, const char *key);

/* True when TAG is one of T's tags (exact, case-sensitive). */
bool txt_has_tag(const struct txt *t, const char *tag);

/* Step through the raw strings: start with *offset = 0; each call returns
 * true and sets *ret_str and *ret_len to the next string, false at the end. */
bool txt_raw_next(const struct txt *t, size_t *offset, const uint8_t **ret_str, size_t *ret_len);
