/* SPDX-License-Identifier: MIT */
/* The unicast DNS backend: what should be in the zone (each key's wanted
 * record, the host's addresses) against what the server confirmed, and a
 * loop that sends one signed update at a time to close the gap, backing
 * off after failures. */
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "dnssd/clock.h"
#include "wide/answer.h"
#include "wide/hostaddr.h"
#include "wide/internal.h"
#include "wide/reap.h"
#include "wide/settings.h"
#include "wide/wide.h"
#include "wide/xfer.h"

#ifndef WIDE_BACKOFF_MIN_S
#define WIDE_BACKOFF_MIN_S 1.0
#endif
#define WIDE_BACKOFF_MAX_S 60.0
#define WIDE_RACES_MAX     3 /* prerequisite failures in a row before backing off */

/* Contract in internal.h. */
void wide_entry_free(struct wide_entry *e)
{
	if (!e)
		return;
	free(e->key);
	free(e->base);
	record_free(e->want);
	record_free(e->have);
	free(e);
}

/* Contract in internal.h. */
struct wide_key wide_key_of(const struct wide *w)
{
	return (struct wide_key){
	        .name = w->set.key_name, .alg = w->set.key_alg, .secret = w->set.key_secret};
}

/* Contract in internal.h. */
uint16_t wide_new_id(struct wide *w)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		id = ++w->next_id;
	return id;
}

/* Contract in internal.h. */
void wide_read_addrs(struct wide *w)
{
	int n = wide_host_addrs((const char *const *)w->set.ifaces, w->set.n_ifaces, w->addrs,
	                        WIDE_ADDRS_MAX);

	/* an error keeps the last reading */
	if (n >= 0)
		w->n_addrs = (size_t)n;
}

static bool addrs_equal(const struct wide_addr *a, size_t na, const struct wide_addr *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static bool entry_pending(const struct wide_entry *e)
{
	if (e->bad)
		return false;
	if (!e->want)
		return e->have != NULL;
	return !e->have || e->lost || record_compare(e->have, e->want) != RECORD_SAME ||
	       strcmp(e->have->instance, e->want->instance) != 0;
}

static bool host_pending(const struct wide *w)
{
	return w->host_wanted && (!w->host_synced || !addrs_equal(w->addrs, w->n_addrs,
	                                                          w->have_addrs, w->n_have_addrs));
}

/* Contract in internal.h. */
void wide_failed(struct wide *w, const char *why)
{
	double cap = w->set.refresh_s < WIDE_BACKOFF_MAX_S ? w->set.refresh_s : WIDE_BACKOFF_MAX_S;

	w->failures++;
	snprintf(w->last_error, sizeof(w->last_error), "%s", why);
	if (w->failing++ == 0 && w->set.on_state)
		w->set.on_state(w->set.ud, true, w->last_error);
	w->backoff = w->backoff ? w->backoff * 2 : WIDE_BACKOFF_MIN_S;
	if (w->backoff > cap)
		w->backoff = cap;
	ev_timer_set(&w->retry, w->backoff, 0.);
	ev_timer_start(w->loop, &w->retry);
}

/* Whether an entry publishes, or may still have, an instance of TYPE. */
static bool type_in_use(const struct wide *w, const char *type)
{
	for (const struct wide_entry *e = w->entries; e; e = e->next)
		if ((e->want && strcasecmp(e->want->type, type) == 0) ||
		    (e->have && strcasecmp(e->have->type, type) == 0))
			return true;
	return false;
}

/* Contract in internal.h. */
void wide_tidy_add(struct wide *w, const char *type)
{
	char **v;

	for (size_t i = 0; i < w->n_tidy; i++)
		if (strcasecmp(w->tidy[i], type) == 0)
			return;
	v = realloc(w->tidy, (w->n_tidy + 1) * sizeof(*v));
	if (!v)
		return;
	w->tidy = v;
	if ((w->tidy[w->n_tidy] = strdup(type)))
		w->n_tidy++;
}

/* Contract in internal.h. */
void wide_tidy_drop_first(struct wide *w)
{
	if (!w->n_tidy)
		return;
	free(w->tidy[0]);
	memmove(w->tidy, w->tidy + 1, --w->n_tidy * sizeof(*w->tidy));
}

/* Whether the answer is RCODE with a good signature (or none needed). */
static bool answered(const struct wide *w, int rcode)
{
	return w->answer.rcode == rcode && w->answer.tsig_error == 0 && !w->answer.truncated &&
	       (!w->set.key_name || w->answer.signed_ok);
}

/* A tidy update's answer: done when the server deleted the PTR or says
 * the type is still in use (YXRRSET), with a good signature. */
static bool tidy_answer_ok(const struct wide *w)
{
	return w->answer.ok || answered(w, 7);
}

/* A prerequisite of E's update failed (YXDOMAIN, YXRRSET, NXRRSET): the
 * name is read again; what was ours may not be any more. True when it
 * is handled; false after too many in a row (then a failure). */
static bool raced(struct wide *w, struct wide_entry *e)
{
	if (!answered(w, 6) && !answered(w, 7) && !answered(w, 8))
		return false;
	if (w->sending_owned)
		e->lost = true;
	e->claim_read = false;
	return ++e->races <= WIDE_RACES_MAX;
}

/* Told once per name: E is published under a rename. */
static void tell_renamed(struct wide *w, struct wide_entry *e)
{
	if (!e->want || e->rename_told || strcmp(e->base, e->want->instance) == 0)
		return;
	e->rename_told = true;
	if (w->set.on_renamed)
		w->set.on_renamed(w->set.ud, e->want->type, e->base, e->want->instance);
}

/* Contract in internal.h. */
void wide_set_aside(struct wide *w, struct wide_entry *e)
{
	if (w->sending_hb) {
		w->hb_deferred = true;
	} else if (w->sending_tidy) {
		if (w->n_tidy > 1) {
			char *first = w->tidy[0];

			memmove(w->tidy, w->tidy + 1, (w->n_tidy - 1) * sizeof(*w->tidy));
			w->tidy[w->n_tidy - 1] = first;
		}
	} else if (!e) {
		w->host_deferred = true;
	} else if (e->next) {
		struct wide_entry **pp = &w->entries;

		while (*pp != e)
			pp = &(*pp)->next;
		*pp = e->next;
		while (*pp)
			pp = &(*pp)->next;
		*pp = e;
		e->next = NULL;
	}
}

/* An update went through: the failing streak, if any, is over. */
static void succeeded(struct wide *w)
{
	w->updates++;
	if (w->failing && w->set.on_state)
		w->set.on_state(w->set.ud, false, NULL);
	w->failing = 0;
	w->backoff = 0;
	w->last_success = clock_mono();
}

/* Drop the entries whose deletion is confirmed. */
static void drop_deleted(struct wide *w)
{
	for (struct wide_entry **pp = &w->entries; *pp;) {
		struct wide_entry *x = *pp;

		if (!x->want && !x->have && !x->in_flight) {
			*pp = x->next;
			wide_entry_free(x);
		} else {
			pp = &x->next;
		}
	}
}

/* The update in flight ended (ERR, or w->answer). */
static void on_done(void *ud, int err, const uint8_t *answer, size_t len)
{
	struct wide *w = ud;
	struct wide_entry *e = w->sending_entry;
	char why[160];

	(void)answer, (void)len;
	wide_xfer_free(w->xfer);
	w->xfer = NULL;
	wide_msg_clear(&w->msg);
	if (e)
		e->in_flight = false;
	if (err < 0) {
		snprintf(why, sizeof(why), "%s",
		         err == -ETIMEDOUT ? "no answer from the server" : strerror(-err));
		wide_set_aside(w, e);
		wide_failed(w, why);
	} else {
		snprintf(w->last_answer, sizeof(w->last_answer), "%s", w->answer.text);
		if (w->sending_hb && w->answer.ok) {
			succeeded(w);
			w->hb_fresh = true;
			w->hb_deferred = false;
			w->hb_due = false;
		} else if (w->sending_tidy && tidy_answer_ok(w)) {
			succeeded(w);
			wide_tidy_drop_first(w);
		} else if (e && !w->answer.ok && raced(w, e)) {
			/* read again at once: not a failure of the server */
		} else if (!w->answer.ok) {
			snprintf(why, sizeof(why), "the server answered %s", w->answer.text);
			wide_set_aside(w, e);
			wide_failed(w, why);
		} else if (e) {
			succeeded(w);
			record_free(e->have);
			e->have = w->sending;
			w->sending = NULL;
			e->lost = false;
			e->claim_read = false;
			e->races = 0;
			if (e->have)
				tell_renamed(w, e);
			if (w->sending_gone_type && !type_in_use(w, w->sending_gone_type))
				wide_tidy_add(w, w->sending_gone_type);
		} else {
			succeeded(w);
			memcpy(w->have_addrs, w->sending_addrs, sizeof(w->have_addrs));
			w->n_have_addrs = w->n_sending_addrs;
			w->host_synced = true;
			w->host_deferred = false;
		}
	}
	record_free(w->sending);
	w->sending = NULL;
	w->sending_entry = NULL;
	w->sending_tidy = false;
	w->sending_hb = false;
	w->sending_owned = false;
	free(w->sending_gone_type);
	w->sending_gone_type = NULL;
	wide_pump(w);
}

static int on_accept(void *ud, const uint8_t *answer, size_t len)
{
	struct wide *w = ud;
	struct wide_key k = wide_key_of(w);
	struct wide_answer a;

	if (wide_answer_read(answer, len, &w->msg, &k, &a) < 0)
		return WIDE_XFER_IGNORE;
	/* kept either way: a truncated answer that ends the exchange (over
	 * TCP) must read as a failure, not as the previous answer */
	w->answer = a;
	return a.truncated ? WIDE_XFER_TRUNCATED : WIDE_XFER_ANSWER;
}

const struct wide_xfer_ops wide_update_ops = {.accept = on_accept, .done = on_done};

static void send_msg(struct wide *w)
{
	int r = wide_xfer_start(w->loop, (struct sockaddr *)&w->set.server, w->set.server_len,
	                        w->msg.wire, w->msg.len, &wide_update_ops, w, &w->xfer);

	if (r < 0) {
		if (w->sending_entry)
			w->sending_entry->in_flight = false;
		w->sending_entry = NULL;
		record_free(w->sending);
		w->sending = NULL;
		free(w->sending_gone_type);
		w->sending_gone_type = NULL;
		w->sending_tidy = false;
		w->sending_hb = false;
		w->sending_owned = false;
		wide_msg_clear(&w->msg);
		wide_failed(w, strerror(-r));
	}
}

/* Send the host's addresses as they are now. */
static void send_host(struct wide *w)
{
	struct wide_where where = {.zone = w->set.zone, .host = w->set.host};
	struct wide_key k = wide_key_of(w);
	char err[160];
	int r;

	memcpy(w->sending_addrs, w->addrs, sizeof(w->addrs));
	w->n_sending_addrs = w->n_addrs;
	r = wide_msg_host(&where, w->addrs, w->n_addrs, &k, wide_new_id(w), &w->msg, err,
	                  sizeof(err));
	if (r < 0) {
		wide_failed(w, r == -ENOMEM ? "out of memory" : err);
		return;
	}
	w->sending_entry = NULL;
	send_msg(w);
}

/* Send this host's heartbeat, stamped now. */
static void send_heartbeat(struct wide *w)
{
	struct wide_where where = {.zone = w->set.zone, .host = w->set.host};
	struct wide_key k = wide_key_of(w);
	char err[160];
	int r = wide_msg_heartbeat(&where, (uint64_t)time(NULL), (unsigned)w->set.refresh_s, &k,
	                           wide_new_id(w), &w->msg, err, sizeof(err));

	if (r < 0) {
		wide_failed(w, r == -ENOMEM ? "out of memory" : err);
		return;
	}
	w->sending_entry = NULL;
	w->sending_hb = true;
	send_msg(w);
}

/* Contract in internal.h. */
void wide_pump(struct wide *w)
{
	struct wide_where where = {.zone = w->set.zone, .host = w->set.host};
	struct wide_key k = wide_key_of(w);
	char err[160];
	int r;

	if (w->xfer || w->withdrawn || ev_is_active(&w->retry))
		return;
	/* the SRV targets' addresses first, unless they just failed */
	if (host_pending(w) && !w->host_deferred) {
		send_host(w);
		return;
	}
	/* A first heartbeat before the instances: a reaper that read the one
	 * a crashed run of this host left must not delete what this run
	 * publishes (its update's prerequisite fails once this one is in). */
	if (w->hb_due && w->host_wanted && !w->hb_fresh && !w->hb_deferred) {
		send_heartbeat(w);
		return;
	}
	drop_deleted(w);
	for (struct wide_entry *e = w->entries; e; e = e->next) {
		struct wide_change c = {.old = e->have, .old_lost = e->lost, .new = e->want};

		if (!entry_pending(e))
			continue;
		if (wide_claim_needed(e)) {
			/* the old name goes first, on its own: each update then
			 * carries one prerequisite, and a failure says which */
			if (e->have && !e->lost) {
				c.new = NULL;
			} else if (!e->claim_read) {
				wide_claim_read(w, e);
				return;
			} else {
				c.claim = e->claim;
				c.srv = e->srv;
				c.n_srv = e->n_srv;
			}
		}
		if (c.new && !(w->sending = record_copy(c.new))) {
			wide_failed(w, "out of memory");
			return;
		}
		r = wide_msg_record(&where, &c, &k, wide_new_id(w), &w->msg, err, sizeof(err));
		if (r == -EINVAL) {
			e->bad = true;
			record_free(w->sending);
			w->sending = NULL;
			if (snprintf(w->last_error, sizeof(w->last_error), "%.40s: %.100s", e->key,
			             err) < 0)
				w->last_error[0] = '\0';
			continue;
		}
		if (r < 0) {
			record_free(w->sending);
			w->sending = NULL;
			wide_failed(w, "out of memory");
			return;
		}
		w->sending_owned = c.old && !c.old_lost;
		if (e->have && (!c.new || strcasecmp(e->have->type, c.new->type) != 0))
			w->sending_gone_type = strdup(e->have->type); /* OOM: not tidied */
		e->in_flight = true;
		w->sending_entry = e;
		send_msg(w);
		return;
	}
	/* last, the _services PTRs of types this host stopped publishing */
	while (w->n_tidy) {
		if (type_in_use(w, w->tidy[0])) {
			wide_tidy_drop_first(w);
			continue;
		}
		r = wide_msg_tidy(&where, w->tidy[0], &k, wide_new_id(w), &w->msg, err,
		                  sizeof(err));
		if (r == -EINVAL) {
			wide_tidy_drop_first(w);
			continue;
		}
		if (r < 0) {
			wide_failed(w, "out of memory");
			return;
		}
		w->sending_entry = NULL;
		w->sending_tidy = true;
		send_msg(w);
		return;
	}
	/* later heartbeats last: reapers elsewhere read them (docs/wide-area.md) */
	if (w->hb_due && w->host_wanted) {
		send_heartbeat(w);
		return;
	}
	if (host_pending(w))
		send_host(w);
}

static void on_retry(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop, (void)revents;
	wide_pump(t->data);
}

static void on_refresh(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct wide *w = t->data;

	(void)loop, (void)revents;
	wide_read_addrs(w);
	w->hb_due = true;
	wide_pump(w);
	if (!w->withdrawn)
		wide_reaper_round(w->reaper);
}

/* Contract in wide.h. */
int wide_new(struct ev_loop *loop, const struct wide_params *p, struct wide **ret, char *err,
             size_t errlen)
{
	struct wide *w = calloc(1, sizeof(*w));
	int r;

	*ret = NULL;
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->loop = loop;
	ev_timer_init(&w->retry, on_retry, 0., 0.);
	w->retry.data = w;
	ev_timer_init(&w->refresh, on_refresh, 0., 0.);
	w->refresh.data = w;
	r = wide_settings_set(&w->set, p, err, errlen);
	if (r < 0) {
		wide_free(w);
		return r;
	}
	w->reaper = wide_reaper_new(loop, &w->set);
	if (!w->reaper) {
		snprintf(err, errlen, "out of memory");
		wide_free(w);
		return -ENOMEM;
	}
	w->hb_due = true;
	wide_read_addrs(w);
	ev_timer_set(&w->refresh, w->set.refresh_s, w->set.refresh_s);
	ev_timer_start(loop, &w->refresh);
	*ret = w;
	return 0;
}

static struct wide_entry *find(struct wide *w, const char *key)
{
	for (struct wide_entry *e = w->entries; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Contract in wide.h. */
int wide_put(struct wide *w, const struct dnssd_record *r)
{
	struct wide_entry *e = find(w, r->key);
	struct dnssd_record *copy = record_copy(r);
	const struct dnssd_record *cur = e ? (e->want ? e->want : e->have) : NULL;
	char *name = NULL;

	if (!copy)
		return -ENOMEM;
	/* the same base name and type keep the name claimed for them (a
	 * rename); another starts afresh */
	if (cur && strcmp(e->base, r->instance) == 0 && strcasecmp(cur->type, r->type) == 0)
		name = strdup(cur->instance);
	else
		name = strdup(r->instance);
	if (!name) {
		record_free(copy);
		return -ENOMEM;
	}
	if (!e) {
		struct wide_entry **pp = &w->entries;

		e = calloc(1, sizeof(*e));
		if (!e || !(e->key = strdup(r->key))) {
			free(e);
			free(name);
			record_free(copy);
			return -ENOMEM;
		}
		while (*pp) /* keep the set's order */
			pp = &(*pp)->next;
		*pp = e;
	}
	if (!e->base || strcmp(e->base, r->instance) != 0 || strcmp(name, r->instance) == 0) {
		char *base = strdup(r->instance);

		if (!base) {
			free(name);
			record_free(copy);
			return -ENOMEM;
		}
		free(e->base);
		e->base = base;
		e->renames = 0;
		e->rename_told = false;
	}
	free(copy->instance);
	copy->instance = name;
	if (!e->want || strcmp(e->want->instance, name) != 0 ||
	    strcasecmp(e->want->type, copy->type) != 0)
		e->claim_read = false;
	record_free(e->want);
	e->want = copy;
	e->bad = false;
	w->host_wanted = true;
	/* a change is tried at once, even while backing off */
	ev_timer_stop(w->loop, &w->retry);
	wide_pump(w);
	return 0;
}

/* Contract in wide.h. */
int wide_delete(struct wide *w, const char *key)
{
	struct wide_entry *e = find(w, key);

	if (!e)
		return 0;
	record_free(e->want);
	e->want = NULL;
	e->bad = false;
	if (!e->have && !e->in_flight) {
		struct wide_entry **pp = &w->entries;

		while (*pp != e)
			pp = &(*pp)->next;
		*pp = e->next;
		wide_entry_free(e);
		return 0;
	}
	wide_pump(w);
	return 0;
}

/* Contract in wide.h. */
void wide_get_status(const struct wide *w, struct wide_status *ret)
{
	*ret = (struct wide_status){
	        .zone = w->set.zone,
	        .server = w->set.server_text,
	        .updates = w->updates,
	        .failures = w->failures,
	        .failing = w->failing,
	        .last_answer = w->last_answer,
	        .last_error = w->last_error,
	        .since_success = w->last_success ? clock_mono() - w->last_success : -1,
	        .retry_in = ev_is_active(&w->retry)
	                            ? ev_timer_remaining(w->loop, (ev_timer *)&w->retry)
	                            : -1,
	        .addresses = w->host_synced ? w->n_have_addrs : 0,
	        .reaped = wide_reaper_reaped(w->reaper),
	};
	for (const struct wide_entry *e = w->entries; e; e = e->next) {
		if (e->want)
			ret->records++;
		if (e->want && e->have && !entry_pending(e))
			ret->published++;
		if (entry_pending(e) || e->bad)
			ret->pending++;
	}
	if (host_pending(w))
		ret->pending++;
	ret->pending += w->n_tidy;
	ret->state = w->failing ? "failing" : ret->pending || w->xfer ? "updating" : "synced";
}

/* Contract in wide.h. */
bool wide_get_renamed(const struct wide *w, size_t i, struct wide_renamed *ret)
{
	for (const struct wide_entry *e = w->entries; e; e = e->next) {
		if (!e->want || strcmp(e->base, e->want->instance) == 0 || i--)
			continue;
		*ret = (struct wide_renamed){.key = e->key,
		                             .type = e->want->type,
		                             .instance = e->base,
		                             .published = e->want->instance,
		                             .confirmed = e->have && !entry_pending(e)};
		return true;
	}
	return false;
}

/* Contract in wide.h. */
void wide_free(struct wide *w)
{
	if (!w)
		return;
	wide_xfer_free(w->xfer);
	wide_msg_clear(&w->msg);
	ev_timer_stop(w->loop, &w->retry);
	ev_timer_stop(w->loop, &w->refresh);
	while (w->entries) {
		struct wide_entry *e = w->entries;

		w->entries = e->next;
		wide_entry_free(e);
	}
	wide_reaper_free(w->reaper);
	record_free(w->sending);
	free(w->sending_gone_type);
	while (w->n_tidy)
		wide_tidy_drop_first(w);
	free(w->tidy);
	wide_settings_clear(&w->set);
	free(w);
}
