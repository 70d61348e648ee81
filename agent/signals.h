/* SPDX-License-Identifier: MIT */
/* Signal handling for lanyardd: TERM/INT stop the loop, HUP reloads. */
#pragma once

struct agent;
struct agent_signals;

/* Install libev signal watchers for A on its loop. Returns NULL on OOM. */
struct agent_signals *agent_signals_new(struct agent *a);
void agent_signals_free(struct agent_signals *s);
