/* SPDX-License-Identifier: MIT */
/* lanyard-loadgen's shared state: the options, the connections and the run,
 * and what a reply parser (one file per wire protocol) reports back. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/bench/hist.h"

struct opts {
	const char *socket;
	const char *http; /* "ADDR:PORT" of the HTTP interface, instead of the socket */
	bool raw;         /* the socket speaks RESP: raw request lines, RESP replies */
	unsigned clients;
	unsigned pipeline;
	double duration; /* seconds; 0 with requests set: until REQUESTS are answered */
	double warmup;   /* seconds before measuring */
	uint64_t requests;
	const char *request; /* template; "%K" becomes 0..services-1 */
	unsigned services;
	double rate; /* requests/s per connection; 0 = as fast as answered */
	bool quiet;
};

struct lconn {
	int fd;
	bool dead;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_off, out_len, out_cap;
	bool want_out;  /* EPOLLOUT armed */
	uint64_t *sent; /* ring of send times (ns) of the requests in flight */
	unsigned head, inflight;
	unsigned due;     /* paced (--rate): answered, next request not sent yet */
	uint64_t next_at; /* paced: when the next request may go (ns) */
};

struct gen {
	struct opts o;
	int ep;
	struct lconn *conns;
	char **lines; /* request lines with their end (newline, CR LF, HTTP head) */
	size_t *line_len;
	unsigned n_lines, next_line;
	uint64_t issued;               /* requests written (or queued) since measuring */
	uint64_t measure_from, end_at; /* ns */
	bool measuring;                /* past the warm-up */
	double cpu0;                   /* our CPU time when measuring began */
	bool stopping;                 /* no new requests */
	/* measured, between measure_from and the end */
	uint64_t done, errors, conn_failures;
	uint64_t bytes; /* reply bytes, framing included */
	struct hist h;
	bool shown_error;
};

/* One complete reply of LEN bytes (framing included) at R on C, answering C's oldest request
 * in flight; OK says it is a success. Counts it (latency, bytes, errors)
 * when it arrives after the warm-up; an unsolicited reply is an error. */
void loadgen_on_response(struct gen *g, struct lconn *c, const char *r, size_t len, bool ok,
                         uint64_t now);

/* C is lost (WHY says how): its requests in flight count as errors, its fd
 * is closed and C is marked dead. Idempotent. */
void loadgen_conn_fail(struct gen *g, struct lconn *c, const char *why);
