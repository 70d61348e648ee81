/* SPDX-License-Identifier: MIT */
/* <ldns/ldns.h> the only way wide/ includes it: after <stdbool.h>. Without
 * it ldns's common.h defines _Bool as signed char, and a flag test like
 * `b = flags & 0x200` silently becomes false. */
#pragma once

#include <stdbool.h>

#include <ldns/ldns.h>
