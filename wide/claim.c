/* SPDX-License-Identifier: MIT */
/* Claiming an instance name before a first publication there: read its
 * SRV (an unsigned query, like the reaper's), then publish on the
 * prerequisite that it is still as read; another host's SRV there renames
 * the instance as avahi-daemon does ("name #2") and reads again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnssd/name.h"
#include "wide/internal.h"

#define RENAMES_MAX 32 /* as mdns/publish.c: consecutive renames before giving up */
#define TYPE_SRV    33

/* Contract in internal.h. */
bool wide_claim_needed(const struct wide_entry *e)
{
	return e->want &&
	       (!e->have || e->lost || strcasecmp(e->have->instance, e->want->instance) ||
	        strcasecmp(e->have->type, e->want->type));
}

/* Contract in internal.h. */
int wide_entry_name(struct wide_entry *e, const char *name)
{
	char *copy = strdup(name);

	if (!copy)
		return -ENOMEM;
	free(e->want->instance);
	e->want->instance = copy;
	e->claim_read = false;
	e->rename_told = false;
	return 0;
}

static int on_accept(void *ud, const uint8_t *answer, size_t len)
{
	struct wide *w = ud;

	if (wide_answer_rdata(answer, len, &w->msg, TYPE_SRV, w->got_srv, WIDE_CLAIM_SRV_MAX + 1,
	                      &w->n_got, &w->got_rcode) < 0)
		return WIDE_XFER_IGNORE;
	return len >= 4 && (answer[2] & 0x02) ? WIDE_XFER_TRUNCATED : WIDE_XFER_ANSWER;
}

/* Another host holds E's name: take the next alternative, or give up. */
static void rename_entry(struct wide *w, struct wide_entry *e)
{
	char alt[DNSSD_INSTANCE_MAX + 1];

	if (++e->renames > RENAMES_MAX ||
	    dnssd_instance_alternative(e->want->instance, alt, sizeof(alt)) < 0) {
		e->bad = true;
		snprintf(w->last_error, sizeof(w->last_error),
		         "instance name \"%.63s\" still taken after %d renames", e->base,
		         RENAMES_MAX);
		return;
	}
	if (wide_entry_name(e, alt) < 0)
		wide_failed(w, "out of memory");
}

static void on_done(void *ud, int err, const uint8_t *answer, size_t len)
{
	struct wide *w = ud;
	struct wide_entry *e = w->sending_entry;
	struct wide_where where = {.zone = w->set.zone, .host = w->set.host};
	char why[160];
	uint8_t name[256];
	size_t name_len;
	int verdict;

	(void)answer, (void)len;
	wide_xfer_free(w->xfer);
	w->xfer = NULL;
	wide_msg_clear(&w->msg);
	w->sending_entry = NULL;
	w->reading = false;
	e->in_flight = false;
	/* deleted (wide_pump() drops it) or renamed by a put meanwhile: the
	 * answer is about another name */
	if (!e->want ||
	    wide_name(e->want->instance, e->want->type, w->set.zone, name, &name_len) < 0 ||
	    name_len != w->read_name.len || memcmp(name, w->read_name.data, name_len) != 0) {
		wide_pump(w);
		return;
	}
	if (err < 0) {
		snprintf(why, sizeof(why), "%s",
		         err == -ETIMEDOUT ? "no answer from the server" : strerror(-err));
		wide_set_aside(w, e);
		wide_failed(w, why);
		return;
	}
	verdict = wide_claim_judge(&where, w->got_rcode, w->got_srv, w->n_got);
	if (verdict < 0) {
		const char *rname = wide_rcode_name(w->got_rcode);

		snprintf(why, sizeof(why), "reading \"%.63s\": the server answered %s",
		         e->want->instance, rname ? rname : "an unknown RCODE");
		wide_set_aside(w, e);
		wide_failed(w, why);
		return;
	}
	if (verdict == WIDE_CLAIM_TAKEN) {
		rename_entry(w, e);
	} else {
		e->claim = (enum wide_claim_kind)verdict;
		e->claim_read = true;
		e->n_srv = verdict == WIDE_CLAIM_OURS ? w->n_got : 0;
		memcpy(e->srv, w->got_srv, e->n_srv * sizeof(*e->srv));
	}
	wide_pump(w);
}

static const struct wide_xfer_ops read_ops = {.accept = on_accept, .done = on_done};

/* Contract in internal.h. */
void wide_claim_read(struct wide *w, struct wide_entry *e)
{
	uint8_t *name = w->read_name.data;
	size_t len;
	int r;

	if (wide_name(e->want->instance, e->want->type, w->set.zone, name, &len) < 0) {
		e->bad = true;
		snprintf(w->last_error, sizeof(w->last_error), "%.40s: \"%.63s\" does not fit DNS",
		         e->key, e->want->instance);
		wide_pump(w);
		return;
	}
	r = wide_msg_query(NULL, name, len, TYPE_SRV, wide_new_id(w), &w->msg);
	if (r == 0)
		r = wide_xfer_start(w->loop, (struct sockaddr *)&w->set.server, w->set.server_len,
		                    w->msg.wire, w->msg.len, &read_ops, w, &w->xfer);
	if (r < 0) {
		wide_msg_clear(&w->msg);
		wide_failed(w, strerror(-r));
		return;
	}
	w->read_name.len = len;
	w->n_got = 0;
	w->got_rcode = 0;
	e->in_flight = true;
	w->sending_entry = e;
	w->reading = true;
}
