/* SPDX-License-Identifier: MIT */
/* agent.wide_area: zone, server, TSIG key file, browse zones, refresh;
 * private to config/. */
#pragma once

#include "config/config.h"
#include "config/node.h"

/* Validate the wide_area mapping of field FLD of file F into *W (cleared
 * first). DIR is the main file's directory ("" = cwd) that a relative
 * tsig_key path is read from; NULL (an in-memory document) checks the
 * path's syntax only and reads no file. Every problem is recorded in F;
 * on OOM f->oom is set. */
void cfg_wide_area_parse(struct cfg_file *f, const struct cfg_field *fld, const char *dir,
                         struct cfg_wide_area *w);
