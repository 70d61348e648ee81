/* SPDX-License-Identifier: MIT */
/* One record of the published set: a DNS-SD service instance exactly as the
 * agent decided to publish it, the unit every publishing backend (mdns/, a
 * unicast DNS backend) takes as puts and deletes keyed by a stable key. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Built only through record_new() and record_add_*(), so a record is valid
 * by construction: a backend publishes it as it is. Read-only to backends. */
struct dnssd_record {
	char *key;      /* stable identity chosen by the agent, e.g. "svc:payments" */
	char *instance; /* final instance name: 1-63 bytes of printable UTF-8 */
	char *type;     /* "_payments._tcp" */
	uint16_t port;
	char **subtypes; /* "_api" labels, in declaration order */
	size_t n_subtypes;
	uint8_t *txt; /* TXT rdata in DNS wire format (length-prefixed strings) */
	size_t txt_len;
};

/* How two records with the same key differ, for a backend's update. */
enum record_diff {
	RECORD_SAME,
	RECORD_TXT_ONLY, /* update the TXT in place, no re-probing */
	RECORD_CHANGED,  /* instance, type, port or subtypes: withdraw and re-add */
};

/* A new record without subtypes or TXT into *ret. Returns 0, -EINVAL with a
 * static reason in *ret_why (may be NULL) when KEY is empty, INSTANCE is
 * not a valid instance name or TYPE not a DNS-SD service type, or
 * -ENOMEM. */
int record_new(const char *key, const char *instance, const char *type, uint16_t port,
               struct dnssd_record **ret, const char **ret_why);

/* Free R and everything it owns; record_free(NULL) is fine. */
void record_free(struct dnssd_record *r);

/* A deep copy of R, or NULL on OOM. */
struct dnssd_record *record_copy(const struct dnssd_record *r);

/* Add subtype SUB ("_api"). Returns 0, -EINVAL (not a valid subtype, or a
 * duplicate) with a reason in *ret_why, or -ENOMEM. */
int record_add_subtype(struct dnssd_record *r, const char *sub, const char **ret_why);

/* Append the TXT string KEY=VALUE (VALUE NULL: "KEY" alone, RFC 6763 §6.4;
 * VLEN bytes, binary-safe). Returns 0; -EINVAL with a reason when the key
 * is invalid or already present (case-insensitively), or the string is
 * over TXT_STRING_MAX; -E2BIG when the record would pass TXT_PUBLISH_MAX;
 * -ENOMEM. R is unchanged on failure. */
int record_add_txt(struct dnssd_record *r, const char *key, const void *value, size_t vlen,
                   const char **ret_why);

/* Step through R's TXT strings: start with *offset = 0; each call returns
 * true with the next string in *ret_str / *ret_len, false at the end. */
bool record_txt_next(const struct dnssd_record *r, size_t *offset, const uint8_t **ret_str,
                     size_t *ret_len);

/* How B differs from A (their keys are not compared). */
enum record_diff record_compare(const struct dnssd_record *a, const struct dnssd_record *b);
