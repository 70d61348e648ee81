/* SPDX-License-Identifier: MIT */
/* The heartbeat TXT's two strings, read with bounds. */
#include <stdlib.h>
#include <string.h>

#include "wide/heartbeat.h"

/* Contract in heartbeat.h. */
bool wide_heartbeat_deadline(const uint8_t *hb, size_t len, uint64_t *ret, uint64_t *ret_time)
{
	unsigned long long t = 0, rf = 0;
	bool have_t = false, have_r = false;

	for (size_t off = 0; off < len;) {
		size_t l = hb[off];
		char s[64];

		if (off + 1 + l > len)
			return false;
		if (l < sizeof(s)) {
			memcpy(s, hb + off + 1, l);
			s[l] = '\0';
			if (strncmp(s, "t=", 2) == 0 && strspn(s + 2, "0123456789") == l - 2 &&
			    l > 2 && l < 2 + 20)
				t = strtoull(s + 2, NULL, 10), have_t = true;
			else if (strncmp(s, "r=", 2) == 0 && strspn(s + 2, "0123456789") == l - 2 &&
			         l > 2 && l < 2 + 6)
				rf = strtoull(s + 2, NULL, 10), have_r = true;
		}
		off += 1 + l;
	}
	if (!have_t || !have_r || rf == 0 || t > UINT64_MAX / 2)
		return false;
	if (rf > WIDE_HEARTBEAT_REFRESH_CAP_S)
		rf = WIDE_HEARTBEAT_REFRESH_CAP_S;
	*ret = t + 3 * rf;
	if (ret_time)
		*ret_time = t;
	return true;
}
