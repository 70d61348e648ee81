/* SPDX-License-Identifier: MIT */
/* Run a system tool and take its output (lanyard doctor reads nft and
 * iptables-save this way): no shell, a fixed environment, a time limit. */
#pragma once

#include <stddef.h>

/* Find PROG in $PATH, then in /usr/sbin and /sbin (where nft and
 * iptables-save live, often outside a user's PATH). Returns 0 with the
 * path in RET (SIZE bytes) or -ENOENT. */
int doctor_find_program(const char *prog, char *ret, size_t size);

/* Run the program at PATH with ARGV (NULL-terminated, argv[0] included),
 * stdin from /dev/null, environment PATH and LC_ALL=C only, for at most
 * TIMEOUT_MS (then SIGKILL). Its standard output, up to MAX_OUT bytes, is
 * in *RET_OUT (NUL-terminated, the caller frees it) and *RET_LEN; the
 * first line of its standard error in ERR (ERRLEN bytes, "" if none).
 * Returns its exit status (0-255, or 128 + the signal that killed it),
 * -ETIMEDOUT, -EFBIG (more output than MAX_OUT) or another -errno; on
 * error *RET_OUT is NULL. */
int doctor_run(const char *path, char *const argv[], int timeout_ms, size_t max_out, char **ret_out,
               size_t *ret_len, char *err, size_t errlen);
