/* SPDX-License-Identifier: MIT */
/* Syntax checks for the names and strings a lanyard config declares (no I/O, no libyaml). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/config.h"

/* Longest instance name after expansion (DNS label, RFC 6763 §4.1.1). */
#define CFG_INSTANCE_MAX 63
/* Longest single TXT string and whole TXT record (AVAHI-NOTES.md). */
#define CFG_TXT_STRING_MAX 255
#define CFG_TXT_TOTAL_MAX  1300
/* RFC 6763 §6.4: keys should be no longer than this. */
#define CFG_TXT_KEY_ADVISED 9

/* Each check returns NULL when S is valid, otherwise a static, human-readable
 * reason (no trailing period) that callers put after "...: ". */

/* Service name (RFC 6763 §7.2, RFC 6335 §5.1): 1-15 of [a-z0-9-], at least
 * one letter, no leading/trailing '-', no "--". */
const char *cfg_check_service_name(const char *s);

/* DNS-SD service type "_<name>._tcp" or "_<name>._udp"; on success stores the
 * protocol in *ret_proto (may be NULL). */
const char *cfg_check_service_type(const char *s, enum cfg_protocol *ret_proto);

/* Version: MAJOR[.MINOR[.PATCH]][-PRERELEASE], numbers without leading zeros,
 * PRERELEASE dot-separated identifiers of [0-9A-Za-z-] (numeric ones without
 * leading zeros, as in SemVer 2.0). */
const char *cfg_check_version(const char *s);

/* Subtype "_<label>", label 1-63 bytes of printable UTF-8 without '.' or '\'. */
const char *cfg_check_subtype(const char *s);

/* TXT key: non-empty printable ASCII (0x20-0x7E) without '='. Length is not
 * limited here (the whole "key=value" string is). */
const char *cfg_check_txt_key(const char *s);

/* LEN bytes of valid UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF) without control characters (C0, DEL, C1) or NUL. */
bool cfg_text_valid(const char *s, size_t len);

/* Expand an instance template: "%h" becomes HOST, "%%" a single '%'. Writes
 * a NUL-terminated result into BUF of SIZE bytes. Returns the expanded length,
 * -EINVAL for any other '%' sequence, -ENOBUFS if it does not fit. */
ssize_t cfg_instance_expand(const char *tmpl, const char *host, char *buf, size_t size);

/* The host name an instance's "%h" stands for: the first label of
 * gethostname(), as avahi-daemon uses by default. Writes at most SIZE bytes
 * (NUL-terminated) into BUF; returns 0 or -errno. */
int cfg_host_label(char *buf, size_t size);

/* Optimal-string-alignment distance between A and B (an adjacent swap costs
 * 1), computed case-insensitively; strings longer than 64 bytes give
 * SIZE_MAX. Used for "did you mean" hints. */
size_t cfg_edit_distance(const char *a, const char *b);
