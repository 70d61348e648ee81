/* SPDX-License-Identifier: MIT */
/* libFuzzer target for lanyard doctor's readers of text from the host
 * (client/lanyard-doctor-avahi.c, client/lanyard-doctor-firewall.c): the
 * first byte picks the reader ('a' avahi-daemon.conf, 'n' nft JSON, '4'
 * iptables-save, '6' ip6tables-save), the rest is its input. Never
 * crashes or leaks; findings stay within their bounds. */
#include <string.h>

#include "client/lanyard-doctor-avahi.h"
#include "client/lanyard-doctor-firewall.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doctor_fw_report r = {0};
	struct doctor_avahi_conf c;
	const char *text = (const char *)data + 1;
	char err[128];

	if (size < 1)
		return 0;
	switch (data[0]) {
	case 'a':
		doctor_avahi_conf_init(&c);
		if (doctor_avahi_conf_parse(&c, text, size - 1, err, sizeof(err)) < 0)
			CHECK(strncmp(err, "line ", 5) == 0);
		/* list items: non-empty, trimmed, split at commas */
		for (char **p = c.allow_interfaces; p && *p; p++) {
			size_t n = strlen(*p);

			CHECK(n > 0 && !strchr(" \t", (*p)[0]) && !strchr(" \t", (*p)[n - 1]) &&
			      !strchr(*p, ','));
		}
		doctor_avahi_conf_clear(&c);
		return 0;
	case 'n':
		if (doctor_fw_nft(&r, text, size - 1, err, sizeof(err)) < 0)
			CHECK(r.n_hits == 0);
		break;
	case '4':
	case '6':
		CHECK(doctor_fw_iptables(&r, text, size - 1, data[0] == '6') == 0);
		break;
	default:
		return 0;
	}
	CHECK(r.rules >= r.not_followed);
	for (unsigned i = 0; i < r.n_hits && i < DOCTOR_FW_HITS_MAX; i++)
		CHECK(r.hits[i][0] && memchr(r.hits[i], '\0', sizeof(r.hits[i])));
	return 0;
}
