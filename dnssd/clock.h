/* SPDX-License-Identifier: MIT */
/* The one clock for durations: monotonic seconds, which a step of the wall
 * clock (NTP, an operator's date) never moves. Wall time is only for
 * timestamps shown to people. */
#pragma once

/* Seconds on CLOCK_MONOTONIC (an arbitrary origin; only differences mean
 * anything). */
double clock_mono(void);

/* Seconds since the Epoch on CLOCK_REALTIME, for displayed timestamps. */
double clock_wall(void);
