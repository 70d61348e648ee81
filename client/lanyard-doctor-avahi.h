/* SPDX-License-Identifier: MIT */
/* avahi-daemon.conf read the way avahi-daemon reads it (its ini parser,
 * avahi-daemon/ini-file-parser.c): the settings lanyard doctor compares
 * with what lanyardd holds, and the interfaces avahi-daemon may use.
 * Pure: text in, values out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Where avahi-daemon reads its settings unless started with -f. */
#define DOCTOR_AVAHI_CONF_PATH "/etc/avahi/avahi-daemon.conf"

/* avahi-daemon's defaults (avahi-daemon/main.c, avahi-core/server.c). */
#define DOCTOR_AVAHI_OBJECTS_MAX_DEFAULT 1024
#define DOCTOR_AVAHI_CACHE_MAX_DEFAULT   4096

/* The [server] settings lanyard doctor looks at. */
struct doctor_avahi_conf {
	unsigned objects_per_client_max; /* browsers, resolvers, entry groups of one client */
	unsigned cache_entries_max;      /* per interface and protocol */
	bool objects_set;                /* given in a file (else the default) */
	bool cache_set;
	bool use_ipv4;
	bool use_ipv6;
	bool allow_point_to_point;
	char **allow_interfaces; /* NULL-terminated; NULL: every interface */
	char **deny_interfaces;  /* NULL-terminated or NULL */
};

/* C with avahi-daemon's defaults and no interface lists. */
void doctor_avahi_conf_init(struct doctor_avahi_conf *c);

/* Free what C owns and set it to the defaults again. */
void doctor_avahi_conf_clear(struct doctor_avahi_conf *c);

/* Apply the LEN bytes of TEXT, one avahi-daemon.conf (or a file of its
 * avahi-daemon.conf.d), to C: later settings override earlier ones, as
 * avahi-daemon applies them. Keys and group names are compared without
 * case and are not trimmed; a number must be all digits, as avahi-daemon's
 * strtoul() check wants. Returns 0; -EINVAL with "line N: why" in ERR
 * (ERRLEN bytes) when avahi-daemon would refuse to start with this file
 * (a line without '=' or outside a group, an unclosed group, a number it
 * cannot read), C then holding what came before; -ENOMEM. */
int doctor_avahi_conf_parse(struct doctor_avahi_conf *c, const char *text, size_t len, char *err,
                            size_t errlen);

/* True when avahi-daemon with C may use interface NAME: allowed (or no
 * allow-interfaces) and not denied, names compared without case as
 * avahi-core/iface.c does. */
bool doctor_avahi_conf_uses(const struct doctor_avahi_conf *c, const char *name);
