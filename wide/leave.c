/* SPDX-License-Identifier: MIT */
/* Leaving a zone: deleting everything this host published, blocking for
 * at most a given time, at shutdown (wide_withdraw) and when the settings
 * move to another zone, server, key or host (wide_reconfigure). */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/clock.h"
#include "wide/internal.h"
#include "wide/reap.h"
#include "wide/wide.h"

/* Delete one record under the current settings, blocking until DEADLINE. */
static int sync_send(struct wide *w, struct wide_msg *m, double deadline)
{
	double left = deadline - clock_mono();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	w->msg = *m;
	r = wide_xfer_sync((struct sockaddr *)&w->set.server, w->set.server_len, m->wire, m->len,
	                   left, &wide_update_ops, w);
	w->msg = (struct wide_msg){0};
	if (r == 0 && !w->answer.ok)
		r = -EPERM;
	if (r == 0 || r == -EPERM)
		snprintf(w->last_answer, sizeof(w->last_answer), "%s", w->answer.text);
	return r;
}

/* Delete everything W may have published, blocking at most TIMEOUT_S. */
static int withdraw_all(struct wide *w, double timeout_s, char *err, size_t errlen)
{
	struct wide_where where = {.zone = w->set.zone, .host = w->set.host};
	struct wide_key k = wide_key_of(w);
	double deadline = clock_mono() + timeout_s;
	size_t left = 0;
	int r, first = 0;

	wide_xfer_free(w->xfer);
	w->xfer = NULL;
	wide_msg_clear(&w->msg);
	ev_timer_stop(w->loop, &w->retry);
	wide_reaper_stop(w->reaper);
	w->sending_hb = false;
	w->sending_owned = false;
	w->reading = false;
	w->hb_due = true; /* under new settings, a heartbeat first thing */
	w->hb_fresh = false;
	w->hb_deferred = false;
	for (struct wide_entry *e = w->entries; e; e = e->next) {
		const struct dnssd_record *old = e->have        ? e->have
		                                 : e->in_flight ? w->sending
		                                                : NULL;
		struct wide_change c;
		struct wide_msg m;

		e->in_flight = false;
		if (!old)
			continue;
		c = (struct wide_change){.old = old, .old_lost = old == e->have && e->lost};
		r = wide_msg_record(&where, &c, &k, wide_new_id(w), &m, err, errlen);
		if (r == 0) {
			r = sync_send(w, &m, deadline);
			wide_msg_clear(&m);
		}
		/* NXRRSET: the SRV there is not ours (any more): nothing to delete */
		if (r == -EPERM && w->answer.rcode == 8 && w->answer.tsig_error == 0 &&
		    (!k.name || w->answer.signed_ok))
			r = 0;
		if (r < 0) {
			left++;
			first = first ? first : r;
		} else {
			wide_tidy_add(w, old->type);
			record_free(e->have);
			e->have = NULL;
		}
	}
	/* best effort: a type left in use answers YXRRSET */
	while (w->n_tidy) {
		struct wide_msg m;

		if (wide_msg_tidy(&where, w->tidy[0], &k, wide_new_id(w), &m, err, errlen) == 0) {
			double left_s = deadline - clock_mono();

			w->msg = m;
			if (left_s > 0)
				(void)wide_xfer_sync((struct sockaddr *)&w->set.server,
				                     w->set.server_len, m.wire, m.len, left_s,
				                     &wide_update_ops, w);
			w->msg = (struct wide_msg){0};
			wide_msg_clear(&m);
		}
		wide_tidy_drop_first(w);
	}
	w->sending_entry = NULL;
	w->sending_tidy = false;
	free(w->sending_gone_type);
	w->sending_gone_type = NULL;
	record_free(w->sending);
	w->sending = NULL;
	if (w->host_wanted || w->host_synced) {
		struct wide_msg m;

		r = wide_msg_leave(&where, &k, wide_new_id(w), &m, err, errlen);
		if (r == 0) {
			r = sync_send(w, &m, deadline);
			wide_msg_clear(&m);
		}
		if (r < 0) {
			left++;
			first = first ? first : r;
		}
	}
	w->host_synced = false;
	w->n_have_addrs = 0;
	if (left)
		snprintf(err, errlen, "%zu deletion%s not confirmed by %s (%s)", left,
		         left == 1 ? "" : "s", w->set.server_text,
		         first == -EPERM       ? w->last_answer
		         : first == -ETIMEDOUT ? "no answer"
		                               : strerror(-first));
	return first;
}

/* Contract in wide.h. */
int wide_withdraw(struct wide *w, double timeout_s, char *err, size_t errlen)
{
	int r = withdraw_all(w, timeout_s, err, errlen);

	w->withdrawn = true;
	ev_timer_stop(w->loop, &w->refresh);
	return r;
}

/* Contract in wide.h. */
int wide_reconfigure(struct wide *w, const struct wide_params *p, double timeout_s, char *err,
                     size_t errlen)
{
	struct wide_settings n = {0};
	int r, moved;

	if (wide_settings_same(&w->set, p)) {
		double s = (double)p->refresh_ms / 1000.;

		if (s >= 1. && s != w->set.refresh_s) {
			w->set.refresh_s = s;
			ev_timer_stop(w->loop, &w->refresh);
			ev_timer_set(&w->refresh, s, s);
			ev_timer_start(w->loop, &w->refresh);
		}
		return 0;
	}
	/* the new settings first: on failure nothing has moved */
	r = wide_settings_set(&n, p, err, errlen);
	if (r < 0)
		return r;
	moved = withdraw_all(w, timeout_s, err, errlen);
	wide_settings_clear(&w->set);
	w->set = n;
	for (struct wide_entry **pp = &w->entries; *pp;) {
		struct wide_entry *e = *pp;

		record_free(e->have);
		e->have = NULL;
		e->bad = false;
		e->lost = false;
		e->races = 0;
		e->renames = 0;
		e->claim_read = false;
		/* a new zone, a new claim of the name asked for (OOM: the rename) */
		if (e->want && strcmp(e->want->instance, e->base) != 0)
			(void)wide_entry_name(e, e->base);
		if (!e->want) {
			*pp = e->next;
			wide_entry_free(e);
		} else {
			pp = &e->next;
		}
	}
	w->failing = 0;
	w->backoff = 0;
	w->withdrawn = false;
	w->host_deferred = false;
	ev_timer_stop(w->loop, &w->refresh);
	ev_timer_set(&w->refresh, w->set.refresh_s, w->set.refresh_s);
	ev_timer_start(w->loop, &w->refresh);
	wide_read_addrs(w);
	wide_pump(w);
	return moved < 0 ? moved : 1;
}
