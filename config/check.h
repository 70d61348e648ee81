/* SPDX-License-Identifier: MIT */
/* "Did you mean" hints for misspelt config keys (the DNS-SD rules themselves live in dnssd/). */
#pragma once

#include <stddef.h>

/* Optimal-string-alignment distance between A and B (an adjacent swap costs
 * 1), computed case-insensitively; strings longer than 64 bytes give
 * SIZE_MAX. Used for "did you mean" hints. */
size_t cfg_edit_distance(const char *a, const char *b);
