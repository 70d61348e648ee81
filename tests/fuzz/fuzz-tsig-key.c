/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the TSIG key file parser (config/tsig-key.c): never
 * crashes, and a key it accepts has a domain name, a known algorithm and a
 * base64 secret. */
#include <string.h>

#include "config/tsig-key.h"
#include "dnssd/name.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_tsig_key k;
	char err[128];
	int r = cfg_tsig_key_parse((const char *)data, size, &k, err, sizeof(err));

	if (r < 0) {
		CHECK(k.name == NULL && k.secret == NULL);
		CHECK(strlen(err) < sizeof(err) && err[0] != '\0');
		return 0;
	}
	CHECK(k.name && dnssd_check_domain(k.name) == NULL);
	CHECK(cfg_tsig_alg_name(k.alg) != NULL);
	CHECK(k.secret && strlen(k.secret) % 4 == 0 && strlen(k.secret) > 0);
	cfg_tsig_key_clear(&k);
	return 0;
}
