/* SPDX-License-Identifier: MIT */
/* Test hooks of lanyardd-test: synthetic instances and a load figure from a file. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/cache.h"
#include "agent/discover.h"
#include "agent/load.h"
#include "agent/test-hooks.h"

#define FAKE_MAX 10000000UL

static int populate(struct agent *a)
{
	const char *env = getenv("LANYARD_TEST_FAKE_INSTANCES");
	unsigned long n, types = 1;
	char *end;
	int added = 0;

	if (!env || !*env)
		return 0;
	n = strtoul(env, &end, 10);
	if (*end == ':')
		types = strtoul(end + 1, &end, 10);
	if (*end || n == 0 || n > FAKE_MAX || types == 0 || types > n)
		return -EINVAL;

	for (unsigned long k = 0; k < n; k++) {
		char name[32], type[32], host[32], weight[16], version[24];
		const uint8_t *txt[3];
		size_t txt_len[3];
		struct sockaddr_in *sin;
		struct mdns_instance inst = {
		        .name = name,
		        .type = type,
		        .domain = "local",
		        .host = host,
		        .ifindex = 1,
		        .family = AF_INET,
		        .port = (uint16_t)(10000 + k % 50000),
		        .txt = txt,
		        .txt_len = txt_len,
		        .n_txt = 3,
		};

		snprintf(name, sizeof(name), "fake-%lu", k);
		snprintf(type, sizeof(type), "_fake%lu._tcp", k % types);
		snprintf(host, sizeof(host), "fake%lu.local", k % 250);
		snprintf(weight, sizeof(weight), "weight=%lu", k % 3 + 1);
		snprintf(version, sizeof(version), "version=1.%lu.0", k % 10);
		txt[0] = (const uint8_t *)version;
		txt[1] = (const uint8_t *)weight;
		txt[2] = (const uint8_t *)"tags=fake,bench";
		for (int i = 0; i < 3; i++)
			txt_len[i] = strlen((const char *)txt[i]);
		sin = (struct sockaddr_in *)&inst.addr;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(0xC0000200u | (uint32_t)(k % 250 + 1)); /* 192.0.2.x */
		if (cache_upsert(a->cache, &inst, ev_now(a->loop)) == CACHE_ADDED)
			added++;
		if (k < types)
			discover_mark_settled(a->discover, type);
	}
	return added;
}

static int load_sample(double *ret)
{
	const char *path = getenv("LANYARD_LOAD_FILE");

	if (!path || !*path)
		return -ENOENT;
	return agent_load_read(path, ret);
}

const struct agent_hooks test_hooks = {
        .populate = populate,
        .load_sample = load_sample,
};
