/* SPDX-License-Identifier: MIT */
/* A service's checks: list turned into validated struct cfg_check (private to config/). */
#pragma once

#include "config/config.h"
#include "config/node.h"

/* Validate FLD, the 'checks' key of a service (a list of mappings, or
 * null), into a new array in *RET of *RET_N checks (free with
 * cfg_checks_free()); invalid checks are left out. Every problem is
 * recorded in F (a missing exec program as a warning). Out of memory sets
 * F->oom. */
void cfg_checks_parse(struct cfg_file *f, const struct cfg_field *fld, struct cfg_check **ret,
                      size_t *ret_n);

/* Free the N checks of CHECKS and the array itself; NULL is fine. */
void cfg_checks_free(struct cfg_check *checks, size_t n);
