/* SPDX-License-Identifier: MIT */
/* One entry of services: turned into a validated struct cfg_service (private to config/). */
#pragma once

#include "config/config.h"
#include "config/node.h"

/* Validate service mapping NODE of file F and append it to CFG->services.
 * HOST is the label "%h" expands to. Every problem is recorded in F; the
 * service is appended (possibly incomplete) whenever its name is valid, so
 * later duplicates are still found; CFG is only usable if F has no errors.
 * Returns 0 or -ENOMEM. */
int cfg_service_parse(struct cfg_file *f, yaml_node_t *node, struct lanyard_config *cfg,
                      const char *host);

/* Free what S owns (not S itself). */
void cfg_service_clear(struct cfg_service *s);
