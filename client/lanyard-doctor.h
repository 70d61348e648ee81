/* SPDX-License-Identifier: MIT */
/* What the parts of lanyard doctor share: the findings, and what the
 * checks learnt for the checks after them (client/lanyard-doctor.c runs
 * them; client/lanyard-doctor-host.c holds the host's). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "client/lanyard-doctor-avahi.h"
#include "client/lanyard-doctor-bus.h"

enum doctor_status {
	DOCTOR_OK,      /* as it should be */
	DOCTOR_INFO,    /* worth knowing, not wrong */
	DOCTOR_PROBLEM, /* something to fix: lanyard doctor exits 1 */
};

/* One line of lanyard doctor's output. */
struct doctor_finding {
	const char *check; /* a static name: "agent", "firewall"... */
	enum doctor_status status;
	char *message; /* what was found (may hold strings from outside) */
	char *hint;    /* what to do, or NULL */
};

struct lanyard_config;

struct doctor {
	struct doctor_finding *items;
	size_t n;
	bool oom; /* a finding was lost for lack of memory */

	/* Learnt on the way, for later checks. */
	int timeout_ms;
	const char *socket_path;
	int connect_errno;          /* why lanyardd could not be reached, 0 if it was */
	json_t *status;             /* lanyardd's status object, or NULL */
	struct lanyard_config *cfg; /* the configuration checked, if valid */
	struct doctor_bus bus;
	struct doctor_avahi_conf avahi; /* avahi-daemon's settings as read */
	const char *avahi_path;         /* the avahi-daemon.conf read */
	char *avahi_note;               /* how it was read, for messages (or NULL) */
};

/* Add a finding of CHECK with STATUS and a message made from FMT. Returns
 * it (to add a hint), or NULL when out of memory (D->oom is then set;
 * doctor_hint(NULL, ...) does nothing). */
struct doctor_finding *doctor_add(struct doctor *d, const char *check, enum doctor_status status,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Set the hint of F (what to do) from FMT. */
void doctor_hint(struct doctor_finding *f, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Read the file at PATH, at most MAX bytes, into *RET (NUL-terminated;
 * the caller frees it) and *RET_LEN. Returns 0, -EFBIG past MAX, or
 * -errno. */
int doctor_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* The host's checks (client/lanyard-doctor-host.c), each adding one
 * finding to D. */

/* Interfaces up with multicast: agent.interfaces, else those
 * avahi-daemon may use (D->avahi). */
void doctor_check_interfaces(struct doctor *d);

/* Rules of nft and iptables-save / ip6tables-save that drop mDNS. */
void doctor_check_firewall(struct doctor *d);

/* The hosts: line of /etc/nsswitch.conf (always ok or info). */
void doctor_check_nss(struct doctor *d);

/* The wall clock set, and synchronised (adjtimex). */
void doctor_check_clock(struct doctor *d);
