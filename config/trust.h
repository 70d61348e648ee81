/* SPDX-License-Identifier: MIT */
/* The trust block (services[].trust, agent.trust): caps on what peers'
 * TXT may claim and an allow-list of where their instances may come from;
 * private to config/. */
#pragma once

#include "config/config.h"
#include "config/node.h"

/* Validate the trust mapping of field FLD of file F into *T (zeroed
 * first; a null value leaves it so). Every problem is recorded in F; on
 * OOM f->oom is set. */
void cfg_trust_parse(struct cfg_file *f, const struct cfg_field *fld, struct cfg_trust *t);
