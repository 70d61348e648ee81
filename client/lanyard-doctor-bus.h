/* SPDX-License-Identifier: MIT */
/* Is avahi-daemon on the system bus? lanyard doctor asks the bus itself
 * (libdbus, each call with a time limit), apart from lanyardd's view. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* avahi-daemon's server states (AvahiServerState, avahi-core/core.h). */
enum {
	DOCTOR_AVAHI_INVALID = 0,
	DOCTOR_AVAHI_REGISTERING = 1,
	DOCTOR_AVAHI_RUNNING = 2,
	DOCTOR_AVAHI_COLLISION = 3,
	DOCTOR_AVAHI_FAILURE = 4,
};

/* What the system bus said. */
struct doctor_bus {
	char address[256]; /* the bus address used */
	bool reachable;    /* connected and said hello */
	bool owned;        /* org.freedesktop.Avahi has an owner */
	uint32_t pid;      /* the owner's process, 0 if unknown */
	char version[64];  /* its GetVersionString, "" if unknown */
	int state;         /* its GetState, -1 if unknown */
	char error[256];   /* why the last step failed, "" if none */
};

/* Ask the system bus ($DBUS_SYSTEM_BUS_ADDRESS, else the standard
 * socket) who owns org.freedesktop.Avahi, its pid, and avahi-daemon its
 * version and state; each call waits at most TIMEOUT_MS. Fills RET as
 * far as it got (its error says where it stopped). Returns 0: what
 * failed is in RET. */
int doctor_bus_avahi(int timeout_ms, struct doctor_bus *ret);
