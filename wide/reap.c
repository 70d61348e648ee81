/* SPDX-License-Identifier: MIT */
/* One reaping round at a time, one exchange at a time: the index PTR
 * _hosts._lanyard.<zone>, each other host's heartbeat TXT, and for a host
 * whose heartbeat is older than 3 x its own refresh, its manifest, then a
 * signed update deleting its records on condition that the heartbeat is
 * still the one read (so a host that came back is left alone); then, for
 * each type of its instances, the conditional delete of the type's
 * _services PTR when no PTR is left at the type. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "wide/answer.h"
#include "wide/heartbeat.h"
#include "wide/msg.h"
#include "wide/reap.h"
#include "wide/xfer.h"

#define HOSTS_MAX    256
#define MANIFEST_MAX 256

enum step { IDLE, INDEX, HEARTBEAT, MANIFEST, REAP, TIDY };

struct wide_reaper {
	struct ev_loop *loop;
	const struct wide_settings *s;
	enum step step;
	struct wide_xfer *x;
	struct wide_msg msg;
	struct wide_rdata hosts[HOSTS_MAX]; /* the index: X._lanyard.<zone> */
	size_t n_hosts, next;               /* next host to look at */
	char victim[64];
	struct wide_rdata hb; /* the victim's heartbeat as read */
	struct wide_rdata names[MANIFEST_MAX];
	size_t n_names;
	size_t tidy_next;                    /* the next of names whose type to tidy */
	struct wide_rdata got[MANIFEST_MAX]; /* the last answer's records */
	size_t n_got;
	int rcode;
	uint64_t reaped;
};

static void step_next(struct wide_reaper *r);
static const struct wide_xfer_ops reaper_ops;

static uint16_t new_id(void)
{
	uint16_t id = 0;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		id = (uint16_t)rand();
	return id;
}

static struct wide_key key_of(const struct wide_settings *s)
{
	return (struct wide_key){.name = s->key_name, .alg = s->key_alg, .secret = s->key_secret};
}

static void end_round(struct wide_reaper *r)
{
	wide_xfer_free(r->x);
	r->x = NULL;
	wide_msg_clear(&r->msg);
	r->step = IDLE;
}

static int on_accept(void *ud, const uint8_t *answer, size_t len)
{
	struct wide_reaper *r = ud;

	if (r->step == REAP || r->step == TIDY) {
		struct wide_key k = key_of(r->s);
		struct wide_answer a;

		if (wide_answer_read(answer, len, &r->msg, &k, &a) < 0)
			return WIDE_XFER_IGNORE;
		r->rcode = a.ok ? 0 : a.rcode ? a.rcode : -1;
		return a.truncated ? WIDE_XFER_TRUNCATED : WIDE_XFER_ANSWER;
	}
	if (wide_answer_rdata(answer, len, &r->msg, r->step == HEARTBEAT ? 16 : 12, r->got,
	                      MANIFEST_MAX, &r->n_got, &r->rcode) < 0)
		return WIDE_XFER_IGNORE;
	return len >= 4 && (answer[2] & 0x02) ? WIDE_XFER_TRUNCATED : WIDE_XFER_ANSWER;
}

/* The first label of wire name NAME as a C string into BUF (64 bytes):
 * false when it has a NUL byte or a dot (not a host label of ours). */
static bool first_label(const struct wide_rdata *name, char *buf)
{
	size_t l = name->len ? name->data[0] : 0;

	if (l == 0 || l > 63 || l + 1 > name->len || memchr(name->data + 1, '\0', l) ||
	    memchr(name->data + 1, '.', l))
		return false;
	memcpy(buf, name->data + 1, l);
	buf[l] = '\0';
	return true;
}

/* Whether heartbeat TXT HB is older than 3 x its own refresh at NOW. */
static bool stale(const struct wide_rdata *hb, uint64_t now)
{
	uint64_t deadline;

	return wide_heartbeat_deadline(hb->data, hb->len, &deadline, NULL) && now > deadline;
}

/* The wire name of NAME's type (NAME without its first label) in *RET,
 * *RET_LEN; false for a subtype owner or a malformed name. */
static bool type_of(const struct wide_rdata *name, const uint8_t **ret, size_t *ret_len)
{
	size_t skip = name->len ? 1u + name->data[0] : 0;

	if (!skip || skip >= name->len || name->data[skip] == 0 ||
	    (name->data[skip] == 4 && skip + 5 <= name->len &&
	     memcmp(name->data + skip + 1, "_sub", 4) == 0))
		return false;
	*ret = name->data + skip;
	*ret_len = name->len - skip;
	return true;
}

/* Send the tidy of the next type of the reaped host's manifest not tidied
 * yet in this round (the _services PTR goes only if no PTR is left at the
 * type: RFC 2136 checks prerequisites before the update, so this cannot
 * be part of the deletion itself), or end the round. */
static void tidy_next(struct wide_reaper *r)
{
	struct wide_where w = {.zone = r->s->zone, .host = r->s->host};
	struct wide_key k = key_of(r->s);
	char err[128];

	while (r->tidy_next < r->n_names) {
		const uint8_t *t, *u;
		size_t tl, ul, i = r->tidy_next++;
		bool seen = false;

		if (!type_of(&r->names[i], &t, &tl))
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = type_of(&r->names[j], &u, &ul) && ul == tl && memcmp(u, t, tl) == 0;
		if (seen)
			continue;
		wide_msg_clear(&r->msg);
		r->step = TIDY;
		if (wide_msg_tidy_name(&w, t, tl, &k, new_id(), &r->msg, err, sizeof(err)) < 0)
			continue;
		if (wide_xfer_start(r->loop, (const struct sockaddr *)&r->s->server,
		                    r->s->server_len, r->msg.wire, r->msg.len, &reaper_ops, r,
		                    &r->x) < 0)
			break;
		return;
	}
	end_round(r);
}

/* Start the query for NAME / TYPE, or end the round. */
static void ask(struct wide_reaper *r, enum step step, const uint8_t *name, size_t len,
                uint16_t type)
{
	struct wide_where w = {.zone = r->s->zone, .host = r->s->host};
	wide_msg_clear(&r->msg);
	r->step = step;
	r->n_got = 0;
	if (wide_msg_query(&w, name, len, type, new_id(), &r->msg) < 0 ||
	    wide_xfer_start(r->loop, (const struct sockaddr *)&r->s->server, r->s->server_len,
	                    r->msg.wire, r->msg.len, &reaper_ops, r, &r->x) < 0)
		end_round(r);
}

static void on_done(void *ud, int err, const uint8_t *answer, size_t len)
{
	struct wide_reaper *r = ud;

	(void)answer, (void)len;
	wide_xfer_free(r->x);
	r->x = NULL;
	if (err < 0) {
		end_round(r);
		return;
	}
	switch (r->step) {
	case INDEX:
		memcpy(r->hosts, r->got, r->n_got * sizeof(*r->got));
		r->n_hosts = r->n_got;
		r->next = 0;
		step_next(r);
		break;
	case HEARTBEAT:
		if (r->n_got == 1 && stale(&r->got[0], (uint64_t)time(NULL))) {
			r->hb = r->got[0];
			ask(r, MANIFEST, r->hosts[r->next - 1].data, r->hosts[r->next - 1].len, 12);
		} else {
			step_next(r);
		}
		break;
	case MANIFEST: {
		struct wide_where w = {.zone = r->s->zone, .host = r->s->host};
		struct wide_key k = key_of(r->s);
		char err_text[128];

		memcpy(r->names, r->got, r->n_got * sizeof(*r->got));
		r->n_names = r->n_got;
		wide_msg_clear(&r->msg);
		r->step = REAP;
		if (wide_msg_reap(&w, r->victim, r->hb.data, r->hb.len, r->names, r->n_names, &k,
		                  new_id(), &r->msg, err_text, sizeof(err_text)) < 0 ||
		    wide_xfer_start(r->loop, (const struct sockaddr *)&r->s->server,
		                    r->s->server_len, r->msg.wire, r->msg.len, &reaper_ops, r,
		                    &r->x) < 0)
			end_round(r);
		break;
	}
	case REAP:
		if (r->rcode != 0) {
			end_round(r);
			break;
		}
		r->reaped++;
		r->tidy_next = 0;
		tidy_next(r); /* then the round ends: at most one host per round */
		break;
	case TIDY: /* done either way: YXRRSET says the type is still in use */
		tidy_next(r);
		break;
	case IDLE:
		break;
	}
}

static const struct wide_xfer_ops reaper_ops = {.accept = on_accept, .done = on_done};

/* Look at the next host of the index other than this one, or end. */
static void step_next(struct wide_reaper *r)
{
	while (r->next < r->n_hosts) {
		struct wide_rdata *h = &r->hosts[r->next++];

		if (!first_label(h, r->victim) || strcmp(r->victim, r->s->host) == 0)
			continue;
		ask(r, HEARTBEAT, h->data, h->len, 16);
		return;
	}
	end_round(r);
}

/* Contract in reap.h. */
struct wide_reaper *wide_reaper_new(struct ev_loop *loop, const struct wide_settings *s)
{
	struct wide_reaper *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->loop = loop;
	r->s = s;
	return r;
}

/* Contract in reap.h. */
void wide_reaper_round(struct wide_reaper *r)
{
	uint8_t name[256];
	size_t len;

	if (r->step != IDLE)
		return;
	if (wide_name(NULL, "_hosts._lanyard", r->s->zone, name, &len) < 0)
		return;
	ask(r, INDEX, name, len, 12);
}

/* Contract in reap.h. */
void wide_reaper_stop(struct wide_reaper *r)
{
	if (r)
		end_round(r);
}

/* Contract in reap.h. */
uint64_t wide_reaper_reaped(const struct wide_reaper *r)
{
	return r ? r->reaped : 0;
}

/* Contract in reap.h. */
void wide_reaper_free(struct wide_reaper *r)
{
	if (!r)
		return;
	end_round(r);
	free(r);
}
