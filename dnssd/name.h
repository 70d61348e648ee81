/* SPDX-License-Identifier: MIT */
/* DNS-SD naming rules (RFC 6763, RFC 6335): service names and types, subtypes,
 * instance names and their templates, domains. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Longest service name, in characters (RFC 6335 §5.1). */
#define DNSSD_SERVICE_NAME_MAX 15
/* Longest instance name and subtype, in bytes: one DNS label (RFC 6763 §4.1.1). */
#define DNSSD_INSTANCE_MAX 63
/* Room for a type "_<service name>._tcp" and its NUL. */
#define DNSSD_TYPE_SIZE 32
/* Longest domain name in bytes, without a trailing '.'. */
#define DNSSD_DOMAIN_MAX 253

enum dnssd_proto {
	DNSSD_PROTO_TCP,
	DNSSD_PROTO_UDP,
};

/* Every dnssd_check_* returns NULL when its input is valid, otherwise a
 * static, human-readable reason without a trailing period, which callers
 * put after "...: ". Service names and types compare case-insensitively
 * everywhere (DNS does); the checks accept either case. */

/* C (a byte) in lower case: names compare case-insensitively over ASCII
 * only (RFC 4343 §3), whatever the locale. */
static inline unsigned dnssd_lower(unsigned c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* "tcp" or "udp"; NULL for an out-of-range value. */
const char *dnssd_proto_name(enum dnssd_proto p);

/* Service name, RFC 6335 §5.1: 1-15 characters of US-ASCII letters (either
 * case), digits and '-', at least one letter, no leading or trailing '-',
 * no "--". */
const char *dnssd_check_service_name(const char *s);

/* Service type "_<service name>._tcp" or "_<service name>._udp" (the
 * protocol label in either case); on success stores the protocol in
 * *ret_proto when RET_PROTO is not NULL. */
const char *dnssd_check_type(const char *s, enum dnssd_proto *ret_proto);

/* What a consumer or agent.browse names: a service type when S starts with
 * '_', otherwise a service name. */
const char *dnssd_check_service(const char *s);

/* The service label of TYPE ("_payments._tcp" -> "payments") into BUF of
 * SIZE bytes, NUL-terminated. Returns its length; -EINVAL when TYPE is not
 * a valid type, -ENOBUFS when BUF is too small. */
int dnssd_type_service(const char *type, char *buf, size_t size);

/* The type of service name NAME over PROTO ("_payments._tcp") into BUF of
 * SIZE bytes. Returns its length; -EINVAL when NAME is not a valid service
 * name or PROTO is out of range, -ENOBUFS when BUF is too small. */
int dnssd_make_type(const char *name, enum dnssd_proto proto, char *buf, size_t size);

/* The types a consumer's SERVICE stands for: a service name gives its _tcp
 * and _udp types (returns 2), a type gives itself (returns 1); anything
 * else returns -EINVAL. */
int dnssd_service_types(const char *service, char ret[2][DNSSD_TYPE_SIZE]);

/* Subtype "_<label>": 2-63 bytes in all, printable UTF-8 text without '.'
 * or '\'. */
const char *dnssd_check_subtype(const char *s);

/* Instance name of LEN bytes: 1-63 bytes of printable UTF-8 text
 * (utf8_text()). */
const char *dnssd_check_instance(const char *s, size_t len);

/* The name to try after instance name NAME collided, by avahi-daemon's
 * rule (avahi_alternative_service_name()): "NAME #2", then "NAME #3"...
 * (a trailing " #N", N a decimal number without leading zero, is
 * incremented; one of more than 9 digits counts as text), the base cut at
 * a UTF-8 character boundary so that the result fits 63 bytes. Into BUF
 * of SIZE bytes (DNSSD_INSTANCE_MAX + 1 is always enough). Returns its
 * length; -EINVAL when NAME is not a valid instance name, -ENOBUFS when
 * BUF is too small. mDNS and unicast DNS renames both call it. */
ssize_t dnssd_instance_alternative(const char *name, char *buf, size_t size);

/* Expand instance template TMPL: "%h" becomes HOST, "%%" a single '%'.
 * Writes the NUL-terminated result into BUF of SIZE bytes. Returns the
 * expanded length; -EINVAL for any other '%', -ENOBUFS when it does not
 * fit (pass DNSSD_INSTANCE_MAX + 1 to bound it to an instance name). */
ssize_t dnssd_instance_expand(const char *tmpl, const char *host, char *buf, size_t size);

/* The host name "%h" stands for: the first label of gethostname(), as
 * avahi-daemon uses by default, cut to SIZE - 1 bytes, into BUF
 * (NUL-terminated). Returns 0 or -errno (-ENOBUFS when SIZE is 0). */
int dnssd_host_label(char *buf, size_t size);

/* Domain name such as "local" or "example.com." (one trailing '.' allowed):
 * 1-253 bytes, labels of 1-63 letters, digits, '-' and '_'. */
const char *dnssd_check_domain(const char *s);

/* True for mDNS's own domain: NULL, "", "local" or "local." (any case). */
bool dnssd_domain_is_local(const char *s);
