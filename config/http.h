/* SPDX-License-Identifier: MIT */
/* The agent.http block (the optional HTTP interface, docs/http.md);
 * private to config/. */
#pragma once

#include "config/config.h"
#include "config/node.h"

/* Where agent.http listens when it names no address. */
#define CFG_HTTP_DEFAULT_LISTEN "127.0.0.1:8787"

/* Validate the http value of field FLD of file F into *H (whose defaults
 * are set): a mapping, null (on, defaults) or true/false. Every problem is
 * recorded in F; on OOM f->oom is set. */
void cfg_http_parse(struct cfg_file *f, const struct cfg_field *fld, struct cfg_http *h);
