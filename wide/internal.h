/* SPDX-License-Identifier: MIT */
/* The unicast DNS backend's state, shared by its files (wide.c: the
 * update loop; claim.c: reading a name before taking it; leave.c: the
 * bounded blocking withdrawal); private to wide/. */
#pragma once

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "dnssd/record.h"
#include "wide/answer.h"
#include "wide/msg.h"
#include "wide/settings.h"
#include "wide/xfer.h"

struct wide_reaper;

struct wide_entry {
	char *key;
	char *base;                /* the instance name asked for; want->instance may be a rename */
	struct dnssd_record *want; /* NULL: delete; its instance: the name claimed in the zone */
	struct dnssd_record *have; /* what the server confirmed; NULL: nothing */
	bool lost;                 /* have's name turned out not to be ours (NXRRSET) */
	bool bad;                  /* want cannot be expressed in DNS: skipped */
	bool in_flight;
	/* the claim of want's name (docs/wide-area.md, "Collisions") */
	bool claim_read;                               /* claim holds what a read just found */
	enum wide_claim_kind claim;                    /* the prerequisite to send */
	struct wide_rdata srv[WIDE_CLAIM_SRV_MAX + 1]; /* WIDE_CLAIM_OURS: the SRV read */
	size_t n_srv;
	unsigned renames; /* since the last base name */
	unsigned races;   /* prerequisite failures in a row */
	bool rename_told; /* on_renamed ran for want's name */
	struct wide_entry *next;
};

struct wide {
	struct ev_loop *loop;
	struct wide_settings set; /* a copy of the parameters */

	struct wide_entry *entries;
	struct wide_addr addrs[WIDE_ADDRS_MAX]; /* wanted */
	size_t n_addrs;
	struct wide_addr have_addrs[WIDE_ADDRS_MAX];
	size_t n_have_addrs;
	bool host_synced;   /* have_addrs is what the server holds */
	bool host_wanted;   /* something published: the addresses are wanted too */
	bool host_deferred; /* its last update failed: the others go first */
	bool withdrawn;     /* wide_withdraw() ran: send nothing more */
	bool hb_due;        /* the heartbeat is to be refreshed */
	bool sending_hb;    /* the update in flight is the heartbeat */
	bool hb_fresh;      /* a heartbeat went through under these settings */
	bool hb_deferred;   /* the last heartbeat failed: the others go first */
	struct wide_reaper *reaper;

	/* the update in flight */
	struct wide_xfer *xfer;
	struct wide_msg msg;
	struct wide_answer answer;
	struct wide_entry *sending_entry; /* NULL: the host's addresses */
	struct dnssd_record *sending;
	char *sending_gone_type;     /* a type the update in flight may leave empty */
	bool sending_tidy;           /* the update in flight is tidy[0]'s */
	bool sending_owned;          /* it requires the old SRV to be ours (no NXRRSET) */
	bool reading;                /* the exchange in flight reads sending_entry's SRV */
	struct wide_rdata read_name; /* the name it reads */
	struct wide_rdata got_srv[WIDE_CLAIM_SRV_MAX + 1]; /* what that read found */
	size_t n_got;
	int got_rcode;
	char **tidy; /* types whose _services PTR may go, in order */
	size_t n_tidy;
	struct wide_addr sending_addrs[WIDE_ADDRS_MAX];
	size_t n_sending_addrs;

	ev_timer retry;
	ev_timer refresh;
	double backoff;
	uint16_t next_id;

	uint64_t updates, failures;
	unsigned failing;
	double last_success; /* clock_mono(), 0: never */
	char last_answer[64];
	char last_error[160];
};

/* The callbacks of an update's exchange (answers read as w->answer). */
extern const struct wide_xfer_ops wide_update_ops;

/* Free E and what it owns. NULL is fine. */
void wide_entry_free(struct wide_entry *e);

/* W's TSIG key as the message builders take it (strings W owns). */
struct wide_key wide_key_of(const struct wide *w);

/* A fresh message id. */
uint16_t wide_new_id(struct wide *w);

/* Re-read the host's addresses into w->addrs (an error keeps the last). */
void wide_read_addrs(struct wide *w);

/* Queue TYPE's _services PTR for a conditional delete (OOM: left alone). */
void wide_tidy_add(struct wide *w, const char *type);

/* Drop the first queued tidy. */
void wide_tidy_drop_first(struct wide *w);

/* Start the next update, if any is due and none is in flight. */
void wide_pump(struct wide *w);

/* Count a failure (WHY), tell on_state on the first, back off. */
void wide_failed(struct wide *w, const char *why);

/* After a failure the item in flight (E, or the heartbeat, a tidy, the
 * addresses) goes last, so that one name the server refuses does not
 * hold back the others. */
void wide_set_aside(struct wide *w, struct wide_entry *e);

/* Start reading the SRV at E's wanted name (claim.c); the answer sets
 * E's claim, renames E, or counts a failure, then pumps. */
void wide_claim_read(struct wide *w, struct wide_entry *e);

/* Whether E's update needs a claim: its name is not confirmed ours. */
bool wide_claim_needed(const struct wide_entry *e);

/* Make NAME (copied) E's wanted instance name. Returns 0 or -ENOMEM. */
int wide_entry_name(struct wide_entry *e, const char *name);
