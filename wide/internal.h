/* SPDX-License-Identifier: MIT */
/* The unicast DNS backend's state, shared by its files (wide.c: the
 * update loop; leave.c: the bounded blocking withdrawal); private to
 * wide/. */
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
	struct dnssd_record *want; /* NULL: delete */
	struct dnssd_record *have; /* what the server confirmed; NULL: nothing */
	bool bad;                  /* want cannot be expressed in DNS: skipped */
	bool in_flight;
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
	char *sending_gone_type; /* a type the update in flight may leave empty */
	bool sending_tidy;       /* the update in flight is tidy[0]'s */
	char **tidy;             /* types whose _services PTR may go, in order */
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
