/* SPDX-License-Identifier: MIT */
/* What the files of config/ share while loading (not for other layers). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "config/node.h"

/* State shared by the files of one load. */
struct loader {
	struct lanyard_config *cfg;
	struct cfg_diags *diags;
	char host[64];   /* what "%h" expands to */
	char *dir;       /* main file's directory ("" = cwd), NULL: no includes */
	bool include_ok; /* agent.include names an existing directory */
	size_t n_errors; /* over all files */
};

/* Parse the agent: section AGENT of F into LD's config (config/agent.c). */
void cfg_parse_agent(struct loader *ld, struct cfg_file *f, const struct cfg_field *agent);
