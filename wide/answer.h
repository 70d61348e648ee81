/* SPDX-License-Identifier: MIT */
/* Reading a DNS server's answer to an update: is it the answer to our
 * message, what did the server say, is it signed by our key. The input
 * is untrusted (anything that reaches our socket). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wide/msg.h"

/* What an answer said. */
struct wide_answer {
	int rcode;      /* header RCODE (0-15) */
	int tsig_error; /* the TSIG RR's error (16 BADSIG, 17 BADKEY, 18 BADTIME...), 0 none */
	bool truncated; /* TC: ask again over TCP */
	bool signed_ok; /* signed with the key, chained to the query's MAC */
	bool ok;        /* NOERROR and, when the query was signed, signed_ok */
	char text[64];  /* "NOERROR", "REFUSED", "NOTAUTH (BADSIG)", "NOERROR, answer not signed" */
};

/* Read WIRE (LEN bytes) as the answer to Q, which was signed with KEY
 * (NULL or a NULL name: unsigned). Returns 0 with *RET filled; -EINVAL
 * when it is not an answer to Q (too short, another id, not a response,
 * not an UPDATE): ignore it and keep waiting. */
int wide_answer_read(const uint8_t *wire, size_t len, const struct wide_msg *q,
                     const struct wide_key *key, struct wide_answer *ret);

/* Read WIRE (LEN bytes) as the answer to query Q for TYPE: up to MAX
 * records of TYPE at the question's name into RET (a name uncompressed,
 * a TXT its strings; larger ones are skipped), their count in *RET_N,
 * the RCODE in *RET_RCODE. Returns 0, or -EINVAL when it is not an
 * answer to Q (ignore it). */
int wide_answer_rdata(const uint8_t *wire, size_t len, const struct wide_msg *q, uint16_t type,
                      struct wide_rdata *ret, size_t max, size_t *ret_n, int *ret_rcode);

/* What the read of an instance name's SRV says (the answer's RCODE,
 * its N SRV records' rdata as wide_answer_rdata() gives them) for this
 * host W->host: WIDE_CLAIM_FREE, _NO_SRV, _OURS (every SRV, at most
 * WIDE_CLAIM_SRV_MAX, well-formed and targeting HOST.ZONE, case aside)
 * or _TAKEN (anything else there). -EPROTO for an RCODE other than
 * NOERROR and NXDOMAIN. The rdata is untrusted: read with bounds. */
int wide_claim_judge(const struct wide_where *w, int rcode, const struct wide_rdata *srv, size_t n);

/* Check the TSIG of one message of a zone transfer's answer (WIRE, LEN
 * bytes) signed with KEY, chained as RFC 8945 §5.3.1 says: the first to
 * the query's MAC, each next one to the MAC before it (*CHAIN: the query's
 * MAC at first, then the last one checked; owned by the caller, freed
 * with wide_xfr_chain_free()). Every message must be signed. Returns 0,
 * or -EBADMSG (unsigned, another key, a bad MAC, a TSIG error). */
int wide_xfr_verify(const uint8_t *wire, size_t len, const struct wide_key *key, void **chain,
                    bool first);

/* Free a chain (NULL is fine). */
void wide_xfr_chain_free(void *chain);

/* The name of RCODE ("REFUSED"), or NULL when it has none. */
const char *wide_rcode_name(int rcode);
