/* SPDX-License-Identifier: MIT */
/* The unicast DNS publishing backend (DNS-SD over unicast DNS, RFC 6763
 * with RFC 2136 updates signed with TSIG): takes the published set's puts
 * and deletes, like mdns/, and keeps a DNS zone in step with them on the
 * caller's libev loop, one update at a time, retrying failures with
 * back-off. It never sees the configuration. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnssd/record.h"
#include "wide/msg.h"

struct ev_loop;
struct wide;

/* Where and how to publish; every pointer is read during the call only. */
struct wide_params {
	const char *zone; /* no trailing dot */
	const struct sockaddr *server;
	socklen_t server_len;
	const char *server_text;       /* for status */
	const char *host;              /* this host's label: SRV target <host>.<zone> */
	struct wide_key key;           /* key.name NULL: unsigned */
	const char *const *interfaces; /* whose addresses to publish; none: all */
	size_t n_interfaces;
	uint64_t refresh_ms; /* addresses re-read, longest back-off */
	/* Told when updates start failing (FAILING true, WHY the first
	 * failure) and when they go through again (WHY NULL); not for every
	 * retry. May be NULL. Must not call back into the backend. */
	void (*on_state)(void *ud, bool failing, const char *why);
	/* Told once when an instance goes into the zone under another name
	 * than asked for (INSTANCE of TYPE was another host's: published as
	 * PUBLISHED). May be NULL. Must not call back into the backend. */
	void (*on_renamed)(void *ud, const char *type, const char *instance, const char *published);
	void *ud;
};

/* What status shows. Strings belong to the backend, valid until its next
 * call or event. */
struct wide_status {
	const char *state; /* "synced", "updating", "failing" */
	const char *zone, *server;
	size_t records;    /* service instances in the set */
	size_t published;  /* of them, confirmed by the server as they are */
	size_t pending;    /* changes not yet confirmed (host addresses count one) */
	size_t addresses;  /* host addresses published */
	uint64_t reaped;   /* dead hosts whose records this agent deleted */
	uint64_t updates;  /* updates the server accepted */
	uint64_t failures; /* updates that failed (timeout, refused, bad signature) */
	unsigned failing;  /* consecutive failures now */
	const char *
	        last_answer; /* the server's last answer ("NOERROR", "NOTAUTH (BADSIG)"), "" none */
	const char *last_error; /* why the last failed update failed, "" none */
	double since_success;   /* seconds since the last accepted update, -1: never */
	double retry_in;        /* seconds to the next try after a failure, -1: none */
};

/* A backend publishing under P, idle until the first put (the host's
 * addresses are published with the first instance). Returns 0 with it in
 * *RET, -EINVAL (P unusable: ERR says why) or -ENOMEM. */
int wide_new(struct ev_loop *loop, const struct wide_params *p, struct wide **ret, char *err,
             size_t errlen);

/* Publish R (copied) under R->key, replacing what that key had. Returns 0
 * or -ENOMEM. The update goes out from the loop. */
int wide_put(struct wide *w, const struct dnssd_record *r);

/* Withdraw KEY's records. Returns 0 (also for an unknown key) or -ENOMEM. */
int wide_delete(struct wide *w, const char *key);

/* Apply P. When the zone, server, key, host or interfaces change, what
 * was published is first deleted under the old settings (blocking, at
 * most TIMEOUT_S seconds) and then published under the new ones. Returns
 * 0 (only the refresh period changed, or nothing), 1 (moved), a negative
 * errno when the old records could not all be deleted (moved anyway; ERR
 * says why), or -ENOMEM / -EINVAL (unchanged; ERR says why). */
int wide_reconfigure(struct wide *w, const struct wide_params *p, double timeout_s, char *err,
                     size_t errlen);

/* Delete everything published (instances and the host's addresses),
 * blocking at most TIMEOUT_S seconds: for clean shutdown. Afterwards the
 * backend sends nothing more. Returns 0, or a negative errno with ERR
 * saying what was left behind. */
int wide_withdraw(struct wide *w, double timeout_s, char *err, size_t errlen);

/* Fill *RET. */
void wide_get_status(const struct wide *w, struct wide_status *ret);

/* An instance renamed because its name was another host's in the zone.
 * Strings belong to the backend, valid until its next call or event. */
struct wide_renamed {
	const char *key;       /* the record's key */
	const char *type;      /* "_web._tcp" */
	const char *instance;  /* the name asked for */
	const char *published; /* the name claimed instead ("web #2") */
	bool confirmed;        /* the server holds it under that name */
};

/* The I-th renamed instance (from 0) into *RET; false past the last. */
bool wide_get_renamed(const struct wide *w, size_t i, struct wide_renamed *ret);

/* Stop and free everything, sending nothing (call wide_withdraw() first
 * for a clean shutdown). NULL is fine. */
void wide_free(struct wide *w);
