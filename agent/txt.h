/* SPDX-License-Identifier: MIT */
/* DNS-SD TXT records (RFC 6763 §6): untrusted raw strings in, one compact owned struct out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TXT_STRING_MAX 255  /* one TXT string on the wire */
#define TXT_RECORD_MAX 8192 /* wire bytes kept per record (length bytes included) */
#define TXT_PAIRS_MAX  255  /* key=value pairs kept per record */
#define TXT_TAGS_MAX   64   /* tags kept from the tags= key */

/* Why a record was not taken exactly as received (struct txt.flags). */
enum txt_flag {
	TXT_F_TRUNCATED = 1u << 0,    /* over TXT_RECORD_MAX: later strings dropped */
	TXT_F_TOO_LONG = 1u << 1,     /* a string over TXT_STRING_MAX was skipped */
	TXT_F_BAD_KEY = 1u << 2,      /* a string with an empty or non-printable key was skipped */
	TXT_F_DUP_KEY = 1u << 3,      /* a repeated key was ignored (the first wins) */
	TXT_F_TOO_MANY = 1u << 4,     /* over TXT_PAIRS_MAX pairs or TXT_TAGS_MAX tags */
	TXT_F_BAD_VERSION = 1u << 5,  /* version= present but not text (absent) or not semver */
	TXT_F_BAD_WEIGHT = 1u << 6,   /* weight= present but not 0-65535: default used */
	TXT_F_BAD_PRIORITY = 1u << 7, /* priority= present but not 0-65535: default used */
	TXT_F_BAD_TAGS = 1u << 8,     /* tags= not UTF-8 text: no tags */
	TXT_F_BAD_LOAD = 1u << 9,     /* load= not a finite number >= 0: no load */
};

/* One key=value string. */
struct txt_pair {
	const char *key;   /* as received (case kept), NUL-terminated */
	const char *value; /* NULL for a key without '='; else value_len bytes + NUL */
	uint8_t key_len;
	uint8_t value_len;
	bool utf8; /* value is valid UTF-8 containing no NUL byte */
};

/* A parsed semantic version (semver.org 2.0.0); pre points into the text. */
struct txt_semver {
	uint64_t major, minor, patch;
	const char *pre; /* pre-release identifiers without the '-', or NULL */
	size_t pre_len;  /* up to '+' or the end */
};

/* A parsed TXT record: one allocation, immutable once built. */
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
	bool semver_ok;      /* version parsed as semver into semver */
	struct txt_semver semver;
	uint16_t weight;   /* default 1 */
	uint16_t priority; /* default 0 */
	bool has_load;
	double load;
	const char *const *tags; /* trimmed, non-empty, in order */
	size_t n_tags;
	uint32_t flags; /* enum txt_flag bits */
	size_t size;    /* bytes allocated for this record */
};

/* Parse N strings (STRS[i] has LENS[i] bytes; binary-safe, NULL allowed
 * when the length is 0) into a new record in *ret (free with txt_free()).
 * N may be 0. Never fails on content: problems are skipped and flagged.
 * Returns 0, or -ENOMEM with *ret NULL. */
int txt_parse(const uint8_t *const *strs, const size_t *lens, size_t n, struct txt **ret);

/* Parse a record in DNS wire format (length-prefixed strings), e.g.
 * txt->raw. A length byte running past the end takes what is left. */
int txt_parse_wire(const uint8_t *wire, size_t len, struct txt **ret);

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

/* True when the LEN bytes at S are valid UTF-8 (no overlongs, surrogates
 * or code points above U+10FFFF). */
bool txt_utf8_valid(const uint8_t *s, size_t len);

/* Parse LEN bytes of S as a semantic version ("1.2.3", "1.2.3-rc.1+b5").
 * ret->pre points into S. Returns 0 or -EINVAL. */
int txt_semver_parse(const char *s, size_t len, struct txt_semver *ret);

/* Semver precedence: negative, 0 or positive as A is below, equal to or
 * above B (build metadata ignored). */
int txt_semver_cmp(const struct txt_semver *a, const struct txt_semver *b);
