/* SPDX-License-Identifier: MIT */
/* A browsed zone's records, as far as DNS-SD needs them (PTR, SRV, TXT, A,
 * AAAA and the zone's serial), kept up to date from zone transfers: a full
 * one (AXFR, RFC 5936) or the changes since a serial (IXFR, RFC 1995), read
 * message by message as they arrive. The input is untrusted: every count is
 * bounded, and a transfer that does not parse leaves the zone marked for a
 * full transfer. No I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most records kept for one zone (10 000 instances take about 45 000). */
#define WIDE_ZONE_MAX_RRS 200000

enum { WIDE_RR_A = 1, WIDE_RR_PTR = 12, WIDE_RR_TXT = 16, WIDE_RR_AAAA = 28, WIDE_RR_SRV = 33 };

/* One record: OWNER in wire format, lower-cased (OWNER_LEN bytes), its
 * TYPE, and RDATA in wire format with names uncompressed (RDLEN bytes). */
struct wide_rr {
	const uint8_t *owner;
	const uint8_t *rdata;
	uint16_t owner_len, rdlen, type;
};

struct wide_zone;

/* An empty zone for ORIGIN (no trailing dot). NULL on OOM or a bad name. */
struct wide_zone *wide_zone_new(const char *origin);
void wide_zone_free(struct wide_zone *z);

/* Whether a transfer went through; the serial it brought. */
bool wide_zone_loaded(const struct wide_zone *z);
uint32_t wide_zone_serial(const struct wide_zone *z);
size_t wide_zone_count(const struct wide_zone *z);

/* The origin in wire format, lower-cased (LEN in *RET_LEN). */
const uint8_t *wide_zone_origin(const struct wide_zone *z, size_t *ret_len);

/* Call FN for every record of TYPE (0: every record), in no order. */
void wide_zone_each(const struct wide_zone *z, uint16_t type,
                    void (*fn)(void *ud, const struct wide_rr *rr), void *ud);

/* The records of TYPE at OWNER (wire format, any case): up to MAX into
 * RET. Returns how many there are (may exceed MAX). */
size_t wide_zone_find(const struct wide_zone *z, const uint8_t *owner, size_t owner_len,
                      uint16_t type, struct wide_rr *ret, size_t max);

/* One transfer into a zone: begin, feed each message of the answer as it
 * comes, until feed says it is complete. */
struct wide_zone_xfr {
	uint16_t id;             /* of the query: answers with another id are refused */
	uint32_t from;           /* IXFR: the serial asked from; 0 for AXFR */
	uint32_t to;             /* the serial the answer brings */
	unsigned state;          /* private */
	size_t rrs;              /* records read so far */
	bool full;               /* the answer is the whole zone (AXFR, or IXFR answered so) */
	struct wide_zone *fresh; /* a full transfer is read here, then swapped in */
	int rcode;               /* an error answer's RCODE */
};

/* Begin a transfer answering query ID: incremental from the zone's serial
 * when INCREMENTAL and the zone is loaded, else full. */
void wide_zone_xfr_begin(struct wide_zone *z, struct wide_zone_xfr *x, uint16_t id,
                         bool incremental);

/* Read one message (WIRE, LEN bytes) of the answer. Returns 1 when the
 * transfer is complete (the zone is at x->to), 0 when more messages are
 * needed, -EINVAL for a message that is not part of this answer (another
 * id, not a response: ignore it), -EPROTO for a malformed or inconsistent
 * answer or an error RCODE (x->rcode), -EFBIG past WIDE_ZONE_MAX_RRS kept
 * (or four times as many read),
 * -ENOMEM. After -EPROTO, -EFBIG or -ENOMEM the transfer is over and the
 * zone is unloaded: its records stay until the next transfer, a full one. */
int wide_zone_xfr_feed(struct wide_zone *z, struct wide_zone_xfr *x, const uint8_t *wire,
                       size_t len);

/* End a transfer that did not complete (an error, a timeout): a partly
 * applied increment unloads the zone. */
void wide_zone_xfr_abort(struct wide_zone *z, struct wide_zone_xfr *x);
