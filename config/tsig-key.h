/* SPDX-License-Identifier: MIT */
/* The TSIG key file of agent.wide_area.tsig_key: BIND's key format
 * `key "name" { algorithm hmac-sha256; secret "base64"; };`, parsed from
 * a buffer with no I/O (the file is read by config/wide-area.c). */
#pragma once

#include <stddef.h>

#include "config/config.h"

/* Longest key file read, in bytes. */
#define CFG_TSIG_FILE_MAX 65536
/* Longest secret, decoded, in bytes (a SHA-512 HMAC key is 64). */
#define CFG_TSIG_SECRET_MAX 512

/* Parse the key file text BUF (LEN bytes, not NUL-terminated, untrusted)
 * into *RET (zeroed first; free with cfg_tsig_key_clear()). The file
 * holds exactly one key block; '#', '//' and C comments are skipped; the
 * algorithm defaults to hmac-sha256. Returns 0, -EINVAL with
 * "LINE:COL: why" in ERR (ERRLEN bytes), or -ENOMEM. */
int cfg_tsig_key_parse(const char *buf, size_t len, struct cfg_tsig_key *ret, char *err,
                       size_t errlen);

/* Free what K owns and zero it. */
void cfg_tsig_key_clear(struct cfg_tsig_key *k);
