/* SPDX-License-Identifier: MIT */
/* Runtime registrations (the register and deregister ops): a service
 * registered on a connection is published like a declared one, for as long
 * as that connection lives. Who may register, and how many, is
 * agent.register (docs/config.md); docs/protocol.md has the ops. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/check-probe.h"
#include "mdns/mdns.h"
#include "wire/wire.h"

struct agent;
struct conn;
struct registry;
struct wire_request;

/* The registrations of A's published set; NULL on OOM. */
struct registry *registry_new(struct agent *a);
/* Forget every registration (their connections are gone by then: call
 * after the server is freed). NULL is fine. */
void registry_free(struct registry *rg);

/* REQ (register) from C: authorise, validate, publish. Returns 0 with
 * *RET_BODY ({"registration":ID,"instance":NAME}), or -1 with ERR set. */
int registry_register(struct registry *rg, struct conn *c, const struct wire_request *req,
                      json_t **ret_body, struct wire_err *err);
/* Withdraw registration ID of C. Returns 0, or -1 with ERR set
 * (not_found: no such registration on this connection). */
int registry_deregister(struct registry *rg, struct conn *c, uint64_t id, struct wire_err *err);

/* A ttl check report from UID for the registrations named SERVICE (the
 * check op, from any connection of the user who registered them, or an
 * administrator). Returns 0, -ENOENT when none has a ttl check, -EPERM
 * when those that have belong to other users. */
int registry_report(struct registry *rg, const char *service, uid_t uid, enum check_result result,
                    const char *output, size_t len);

/* The checks of registration ID for status (an empty array without). */
json_t *registry_checks_status(const struct registry *rg, uint64_t id);

/* The backend's news of entry KEY: a registration whose instance was
 * renamed (a collision) tells its connection with a "registration" event. */
void registry_on_state(struct registry *rg, const char *key, enum mdns_pub_state state,
                       const char *instance);

/* Registrations now. */
size_t registry_count(const struct registry *rg);
