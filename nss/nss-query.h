/* SPDX-License-Identifier: MIT */
/* The NSS module's names and answers: "v2.eu.payments.lanyard" into a
 * resolve request, the agent's reply into addresses, and those into the
 * caller's hostent or gaih_addrtuple buffer (docs/nss.md). */
#pragma once

#include <netdb.h>
#include <nss.h>
#include <stddef.h>
#include <stdint.h>

#include "dnssd/name.h"

/* The one suffix the module answers for (compared case-insensitively). */
#define NSS_SUFFIX "lanyard"
/* Longest name looked at, in bytes, without a trailing '.' (RFC 1035). */
#define NSS_NAME_MAX 253
/* Most selector labels (tags) in one name: the protocol's filter limit. */
#define NSS_TAGS_MAX 64
/* Room for a version constraint "MAJOR.MINOR.PATCH" of 9-digit numbers. */
#define NSS_VERSION_SIZE 32
/* Most addresses handed to the caller from one pick. */
#define NSS_ADDRS_MAX 16

/* What a name under .lanyard asks for. Pointers point into text. */
struct nss_query {
	char text[NSS_NAME_MAX + 1]; /* the name's labels, NUL-separated */
	const char *service;
	char version[NSS_VERSION_SIZE]; /* "" when the name selects none */
	const char *tags[NSS_TAGS_MAX];
	size_t n_tags;
};

/* One address of the pick, in network byte order. */
struct nss_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint32_t scope; /* IPv6 zone (interface index), 0 when none */
};

struct nss_addrs {
	size_t n;
	struct nss_addr a[NSS_ADDRS_MAX];
};

/* Split NAME ("[SELECTOR.]...SERVICE.lanyard[.]") into RET: SERVICE is a
 * service name (dnssd_check_service_name()), each SELECTOR either
 * "v<N>[-<N>[-<N>]]" (the version constraint "N[.N[.N]]", at most one) or
 * any other DNS label (a tag). Returns 0; -ENOENT when NAME is not under
 * .lanyard (the caller must not ask the agent); -EINVAL when it is but
 * selects nothing valid. */
int nss_name_parse(const char *name, struct nss_query *ret);

/* The resolve request line for Q ('\n'-terminated, malloc'd, length in
 * *RET_LEN) restricted to AF (AF_INET: "ipv4", AF_INET6: "ipv6", AF_UNSPEC:
 * any family). Returns 0, -EINVAL when the protocol's own rules reject Q
 * (the version constraint), -EAFNOSUPPORT for another AF, or -ENOMEM. */
int nss_request_line(const struct nss_query *q, int af, char **ret, size_t *ret_len);

/* Parse the agent's reply LINE (LEN bytes, no newline; any bytes at all)
 * into RET: the addresses of the picked instance that AF can carry —
 * AF_INET: IPv4; AF_INET6: IPv6 without a zone (a hostent has no scope);
 * AF_UNSPEC: both, zones as scope ids (gethostbyname4_r) — at most
 * NSS_ADDRS_MAX, in the agent's order. Returns 0 with RET->n >= 1;
 * -ENOENT when nothing matches (not_found, bad_request, or no address of
 * AF); -EAGAIN when the agent is busy or unavailable; -EPROTO for any
 * other reply; -ENOMEM. */
int nss_reply_parse(const char *line, size_t len, int af, struct nss_addrs *ret);

/* Lay out the addresses of family AF in A as a hostent named NAME in BUF
 * of BUFLEN bytes (any alignment): the name, no aliases, the addresses.
 * *RET_CANON (if not NULL) gets the name in BUF. Returns 0, -ENOENT when A
 * has no address of AF, or -ERANGE when BUF is too small. */
int nss_fill_hostent(const struct nss_addrs *a, const char *name, int af, struct hostent *h,
                     char *buf, size_t buflen, char **ret_canon);

/* Lay out every address of A as a gaih_addrtuple list named NAME in BUF
 * of BUFLEN bytes (any alignment), into *PAT (or copied into **PAT when
 * the caller preallocated one, as old glibc did). Returns 0, -ENOENT when A
 * is empty, or -ERANGE when BUF is too small. */
int nss_fill_tuples(const struct nss_addrs *a, const char *name, struct gaih_addrtuple **pat,
                    char *buf, size_t buflen);
