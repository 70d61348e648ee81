/* SPDX-License-Identifier: MIT */
/* What the consumer socket's operations share across their files
 * (agent/ops.c, agent/ops-resolve.c). Not a public interface. */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "agent/agent.h"
#include "agent/conn.h"
#include "agent/peers.h"
#include "dnssd/clock.h"
#include "wire/request.h"
#include "wire/response.h"

/* Selection's clock: ejections and outstanding-pick decay are durations. */
static inline double now_of(const struct agent *a)
{
	(void)a;
	return clock_mono();
}

/* The record of C's user; NULL on OOM (then nothing is counted for them). */
static inline struct peer *op_peer(struct agent *a, struct conn *c)
{
	return peers_get(a->peers, conn_peer_cred(c)->uid);
}

/* ---- agent/ops-resolve.c ---- */

/* resolve: one balanced pick of REQ's service, sent as the reply (or, when
 * HELD, as the held request's release). See ops.c's op_fn. */
int op_resolve(struct agent *a, struct conn *c, const struct wire_request *req, bool held,
               json_t **ret_body, struct wire_err *err);
