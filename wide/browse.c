/* SPDX-License-Identifier: MIT */
/* One browsed zone: a repeating timer asks the server for the zone's SOA
 * over UDP; a serial other than the copy's starts a transfer over TCP into
 * the copy; after each transfer, and when a heartbeat runs out, the
 * instances are derived again and handed to the caller. One exchange at a
 * time; failures wait for the next poll. */
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
#include "wide/browse.h"
#include "wide/derive.h"
#include "wide/xfer.h"
#include "wide/zone.h"

#define SOA_TYPE 6
/* A failing server is asked again after the poll period, doubling up to
 * BACKOFF_POLLS periods and never beyond BACKOFF_MAX_S: a SOA query is one
 * small datagram, and a server that came back should be caught up within
 * seconds, not a minute. */
#define BACKOFF_POLLS 4.0
#define BACKOFF_MAX_S 60.0

struct wide_browse {
	struct ev_loop *loop;
	char *zone, *self, *key_name, *key_alg, *key_secret;
	struct sockaddr_storage server;
	socklen_t server_len;
	void (*on_set)(void *ud, const struct wide_found *v, size_t n);
	void *ud;
	double poll_s;

	struct wide_zone *z;
	struct wide_derived d;
	ev_timer poll;

	/* the exchange in flight */
	struct wide_xfer *x;
	struct wide_msg msg;
	bool transferring; /* else a SOA poll */
	struct wide_zone_xfr zx;
	uint32_t polled; /* the serial the SOA answer gave */
	bool soa_ok;     /* the SOA answer gave one */
	int soa_rcode;
	int xfr_err;       /* the transfer's own error, from accept() */
	void *chain;       /* signed transfers: the MAC the next message's chains to */
	unsigned xfr_msgs; /* messages of the transfer read */
	double seen_wall;  /* wall clock of the last answer: the copy was current then */

	uint64_t polls, transfers, full_transfers, failures;
	double backoff;      /* after failures: seconds between tries, 0 none */
	double next_try;     /* clock_mono() before which no poll goes out */
	double last_success; /* clock_mono(), 0 never */
	char last_error[160];
};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t new_id(void)
{
	uint16_t id = 0;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		id = (uint16_t)rand();
	return id;
}

static void end_exchange(struct wide_browse *b)
{
	wide_xfer_free(b->x);
	b->x = NULL;
	wide_msg_clear(&b->msg);
	wide_xfr_chain_free(b->chain);
	b->chain = NULL;
}

/* WHAT failed with ERR (a negative errno) or the server's RCODE (0 none). */
static void fail(struct wide_browse *b, const char *what, int err, int rcode)
{
	const char *rc = rcode ? wide_rcode_name(rcode) : NULL;
	double cap = b->poll_s * BACKOFF_POLLS;

	b->failures++;
	/* a server that keeps failing is not asked at every poll */
	if (cap > BACKOFF_MAX_S)
		cap = BACKOFF_MAX_S;
	b->backoff = b->backoff ? b->backoff * 2 : b->poll_s;
	if (b->backoff > cap)
		b->backoff = cap;
	b->next_try = clock_mono() + b->backoff;
	if (rc)
		snprintf(b->last_error, sizeof(b->last_error), "%s: the server answered %s", what,
		         rc);
	else if (err == -EBADMSG)
		snprintf(b->last_error, sizeof(b->last_error),
		         "%s: the answer is not signed with the key", what);
	else
		snprintf(b->last_error, sizeof(b->last_error), "%s: %s", what, strerror(-err));
	end_exchange(b);
}

/* Derive the instances as of the copy's last confirmation and hand them
 * over. */
static void publish(struct wide_browse *b)
{
	if (wide_derive(b->z, b->self, b->seen_wall, &b->d) < 0) {
		snprintf(b->last_error, sizeof(b->last_error), "out of memory");
		return;
	}
	b->on_set(b->ud, b->d.v, b->d.n);
}

static void answered(struct wide_browse *b)
{
	b->backoff = 0;
	b->next_try = 0;
	b->last_success = clock_mono();
	b->seen_wall = wall_now();
	b->last_error[0] = '\0';
}

static int xfr_accept(void *ud, const uint8_t *answer, size_t len)
{
	struct wide_browse *b = ud;
	struct wide_key k = {.name = b->key_name, .alg = b->key_alg, .secret = b->key_secret};
	int r;

	/* a signed transfer: nothing unsigned goes into the zone */
	if (b->key_name && wide_xfr_verify(answer, len, &k, &b->chain, b->xfr_msgs == 0) < 0) {
		b->xfr_err = -EBADMSG;
		return WIDE_XFER_ANSWER;
	}
	b->xfr_msgs++;
	r = wide_zone_xfr_feed(b->z, &b->zx, answer, len);

	if (r == -EINVAL)
		return WIDE_XFER_IGNORE;
	if (r == 0)
		return WIDE_XFER_MORE;
	b->xfr_err = r < 0 ? r : 0;
	return WIDE_XFER_ANSWER;
}

static void xfr_done(void *ud, int err, const uint8_t *answer, size_t len)
{
	struct wide_browse *b = ud;

	(void)answer, (void)len;
	if (!err)
		err = b->xfr_err;
	if (err) {
		wide_zone_xfr_abort(b->z, &b->zx);
		fail(b, "zone transfer", err, b->zx.rcode);
		return;
	}
	b->transfers++;
	b->full_transfers += b->zx.full;
	end_exchange(b);
	answered(b);
	publish(b);
}

static const struct wide_xfer_ops xfr_ops = {.accept = xfr_accept, .done = xfr_done};

/* Start a transfer: the changes since the copy's serial when INCREMENTAL
 * and there is a copy, else the whole zone. */
static void start_transfer(struct wide_browse *b, bool incremental)
{
	struct wide_key k = {.name = b->key_name, .alg = b->key_alg, .secret = b->key_secret};
	uint16_t id = new_id();
	char err[96];
	int r;

	incremental = incremental && wide_zone_loaded(b->z);
	r = wide_msg_xfr(b->zone, incremental ? wide_zone_serial(b->z) : 0, &k, id, &b->msg, err,
	                 sizeof(err));
	if (r < 0) {
		b->failures++;
		snprintf(b->last_error, sizeof(b->last_error), "zone transfer: %s",
		         r == -EINVAL ? err : strerror(-r));
		return;
	}
	wide_zone_xfr_begin(b->z, &b->zx, id, incremental);
	b->xfr_err = 0;
	b->xfr_msgs = 0;
	b->chain = b->msg.mac; /* the query's MAC, which the answer chains to */
	b->msg.mac = NULL;
	b->transferring = true;
	r = wide_xfer_start_tcp(b->loop, (struct sockaddr *)&b->server, b->server_len, b->msg.wire,
	                        b->msg.len, &xfr_ops, b, &b->x);
	if (r < 0) {
		wide_zone_xfr_abort(b->z, &b->zx);
		fail(b, "zone transfer", r, 0);
	}
}

/* Whether serial A is after B (RFC 1982 arithmetic). */
static bool serial_newer(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/* The SOA's serial: after its two names, RDATA's first four bytes. */
static bool soa_serial(const struct wide_rdata *rd, uint32_t *ret)
{
	size_t o = 0;

	for (int names = 0; names < 2; names++) {
		while (o < rd->len && rd->data[o])
			o += 1u + rd->data[o];
		if (o >= rd->len)
			return false;
		o++;
	}
	if (o + 4 > rd->len)
		return false;
	*ret = (uint32_t)rd->data[o] << 24 | (uint32_t)rd->data[o + 1] << 16 |
	       (uint32_t)rd->data[o + 2] << 8 | rd->data[o + 3];
	return true;
}

static int soa_accept(void *ud, const uint8_t *answer, size_t len)
{
	struct wide_browse *b = ud;
	struct wide_rdata rd;
	size_t n;

	if (wide_answer_rdata(answer, len, &b->msg, SOA_TYPE, &rd, 1, &n, &b->soa_rcode) < 0)
		return WIDE_XFER_IGNORE;
	b->soa_ok = b->soa_rcode == 0 && n > 0 && soa_serial(&rd, &b->polled);
	return WIDE_XFER_ANSWER;
}

static void soa_done(void *ud, int err, const uint8_t *answer, size_t len)
{
	struct wide_browse *b = ud;

	(void)answer, (void)len;
	if (err || !b->soa_ok) {
		fail(b, "SOA query", err ? err : -EPROTO, err ? 0 : b->soa_rcode);
		return;
	}
	end_exchange(b);
	if (wide_zone_loaded(b->z) && b->polled == wide_zone_serial(b->z)) {
		answered(b);
		/* the copy is current: a heartbeat may have run out since */
		if (b->d.next_stale && b->seen_wall >= b->d.next_stale)
			publish(b);
		return;
	}
	/* a serial behind the copy's (a zone restored without its journal, a
	 * secondary behind another): IXFR cannot go back, fetch it whole */
	start_transfer(b,
	               !wide_zone_loaded(b->z) || serial_newer(b->polled, wide_zone_serial(b->z)));
}

static const struct wide_xfer_ops soa_ops = {.accept = soa_accept, .done = soa_done};

static void on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct wide_browse *b = w->data;
	uint8_t name[256];
	size_t nl;
	int r;

	(void)loop, (void)revents;
	if (b->x)
		return; /* the last exchange is still going */
	if (b->next_try && clock_mono() < b->next_try)
		return; /* backing off after failures */
	b->polls++;
	b->transferring = false;
	b->soa_ok = false;
	b->soa_rcode = 0;
	if (wide_name(NULL, NULL, b->zone, name, &nl) < 0)
		r = -EINVAL;
	else
		r = wide_msg_query(NULL, name, nl, SOA_TYPE, new_id(), &b->msg);
	if (r < 0) {
		fail(b, "SOA query", r, 0);
		return;
	}
	r = wide_xfer_start(b->loop, (struct sockaddr *)&b->server, b->server_len, b->msg.wire,
	                    b->msg.len, &soa_ops, b, &b->x);
	if (r < 0)
		fail(b, "SOA query", r, 0);
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*oom = true;
	return d;
}

/* Contract in browse.h. */
int wide_browse_new(struct ev_loop *loop, const struct wide_browse_params *p,
                    struct wide_browse **ret, char *err, size_t errlen)
{
	struct wide_browse *b;
	bool oom = false;

	*ret = NULL;
	if (!p->zone || !p->server || p->server_len > sizeof(b->server) || !p->on_set ||
	    p->poll_s <= 0) {
		snprintf(err, errlen, "incomplete browse parameters");
		return -EINVAL;
	}
	if (!(b = calloc(1, sizeof(*b))))
		return -ENOMEM;
	b->loop = loop;
	b->zone = dup_or_null(p->zone, &oom);
	b->self = dup_or_null(p->self, &oom);
	b->key_name = dup_or_null(p->key.name, &oom);
	b->key_alg = dup_or_null(p->key.alg, &oom);
	b->key_secret = dup_or_null(p->key.secret, &oom);
	memcpy(&b->server, p->server, p->server_len);
	b->server_len = p->server_len;
	b->on_set = p->on_set;
	b->ud = p->ud;
	b->poll_s = p->poll_s;
	if (oom || !(b->z = wide_zone_new(p->zone))) {
		snprintf(err, errlen, oom ? "out of memory" : "\"%s\" is not a zone name", p->zone);
		wide_browse_free(b);
		return oom ? -ENOMEM : -EINVAL;
	}
	ev_timer_init(&b->poll, on_poll, 0., p->poll_s);
	b->poll.data = b;
	ev_timer_start(loop, &b->poll);
	*ret = b;
	return 0;
}

/* Contract in browse.h. */
bool wide_browse_host_stale(const struct wide_browse *b, const char *host)
{
	for (size_t i = 0; i < b->d.n_stale; i++)
		if (strcasecmp(b->d.stale[i], host) == 0)
			return true;
	return false;
}

/* Contract in browse.h. */
void wide_browse_get_status(const struct wide_browse *b, struct wide_browse_status *ret)
{
	*ret = (struct wide_browse_status){
	        .zone = b->zone,
	        .state = b->last_error[0]         ? "failing"
	                 : wide_zone_loaded(b->z) ? "current"
	                                          : "loading",
	        .serial = wide_zone_serial(b->z),
	        .records = wide_zone_count(b->z),
	        .instances = b->d.n,
	        .stale_hosts = b->d.n_stale,
	        .polls = b->polls,
	        .transfers = b->transfers,
	        .full_transfers = b->full_transfers,
	        .failures = b->failures,
	        .last_error = b->last_error,
	        .since_success = b->last_success ? clock_mono() - b->last_success : -1,
	};
}

/* Contract in browse.h. */
void wide_browse_free(struct wide_browse *b)
{
	if (!b)
		return;
	ev_timer_stop(b->loop, &b->poll);
	if (b->x && b->transferring)
		wide_zone_xfr_abort(b->z, &b->zx);
	end_exchange(b);
	wide_derived_clear(&b->d);
	wide_zone_free(b->z);
	free(b->zone);
	free(b->self);
	free(b->key_name);
	free(b->key_alg);
	if (b->key_secret)
		explicit_bzero(b->key_secret, strlen(b->key_secret));
	free(b->key_secret);
	free(b);
}
