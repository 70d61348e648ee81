/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any byte string through cfg_load_buffer() (YAML parse and validation). */
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "tests/fuzz/fuzz.h"

/* Contract: libFuzzer entry point; must not crash, leak or hang for any input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lanyard_config *cfg = NULL;
	struct cfg_diags diags = {0};

	if (size > 64 * 1024)
		return 0;
	if (cfg_load_buffer("fuzz.yaml", (const char *)data, size, &cfg, &diags) == 0) {
		/* exercise the helpers on whatever was accepted */
		for (size_t i = 0; i < cfg->n_services; i++)
			(void)cfg_service_compare(&cfg->services[i], &cfg->services[0]);
		if (cfg->n_services)
			(void)cfg_find_service(cfg, cfg->services[0].name);
	}
	cfg_free(cfg);
	cfg_diags_clear(&diags);
	return 0;
}
