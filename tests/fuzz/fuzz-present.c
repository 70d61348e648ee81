/* SPDX-License-Identifier: MIT */
/* libFuzzer target for what the agent makes of hostile LAN records: cache
 * entries built through the cache's own API (agent/cache.h) from arbitrary
 * names, host, TXT bytes and addresses, then shown by agent/present.c and
 * wire/instance.c. Neither may crash; what they return must dump to JSON
 * that parses back (the text form as the object form), and that a client
 * (wire_instance_from_json()) accepts.
 * Today names that are not UTF-8 reach the cache, and the serialisers
 * return NULL for them (the agent answers "internal"); the checks say so
 * where they would tighten once the cache refuses them. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cache.h"
#include "agent/present.h"
#include "tests/fuzz/fuzz.h"
#include "wire/instance.h"

#define MAX_TXT     8
#define MAX_RECORDS 6

/* The bytes left to read. */
struct in {
	const uint8_t *p;
	size_t left;
};

static uint8_t byte(struct in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* A length byte, then as many bytes (or fewer, at the end): a new
 * NUL-terminated string, cut at its first NUL as a C API would. */
static char *str(struct in *in)
{
	size_t n = byte(in);
	char *s;

	if (n > in->left)
		n = in->left;
	s = strndup((const char *)in->p, n);
	CHECK(s);
	in->p += n;
	in->left -= n;
	return s;
}

/* J dumps, and parses back the same. */
static void check_dump(const json_t *j)
{
	char *text = json_dumps(j, WIRE_DUMP_FLAGS);
	json_t *back;

	CHECK(text);
	back = json_loads(text, 0, NULL);
	CHECK(back && json_equal(back, j));
	json_decref(back);
	free(text);
}

/* What a client makes of instance object O: accepted, and the same again. */
static void check_client(const json_t *o)
{
	struct wire_instance *wi = NULL;
	struct wire_err err;
	json_t *again;

	CHECK(wire_instance_from_json(o, &wi, &err) == 0);
	again = wire_instance_to_json(wi);
	CHECK(again);
	json_decref(again);
	free(wi);
}

static void check_entry(struct cache_entry *e)
{
	json_t *o = present_instance(e, NULL, 0), *id = present_instance_id(e), *t;
	const char *text;
	size_t len;
	char *whole;

	/* The cache refuses names that are not UTF-8: whatever it holds can
	 * be shown (an "internal" error for one bad entry is gone). */
	CHECK(o && id);
	check_dump(o);
	check_client(o);
	check_dump(id);
	text = present_instance_text(e, &len);
	CHECK(text);
	/* The text form: the object form without "stale", "down", its brace. */
	whole = malloc(len + 2);
	CHECK(whole);
	memcpy(whole, text, len);
	memcpy(whole + len, "}", 2);
	t = json_loads(whole, 0, NULL);
	CHECK(t);
	json_object_del(o, "stale");
	json_object_del(o, "down");
	CHECK(json_equal(t, o));
	/* Cached: the same text again. */
	CHECK(present_instance_text(e, &len) == text);
	json_decref(t);
	free(whole);
	json_decref(o);
	json_decref(id);
}

/* The serialiser alone, with the raw strings of one record. */
static void check_wire(const char *name, const char *host, const char *type,
                       const uint8_t *const *txt, const size_t *txt_len, size_t n_txt)
{
	struct wire_txt wt[MAX_TXT];
	size_t n = 0;
	const char *addrs[] = {host, "192.0.2.1"}, *tags[] = {name, host};
	struct wire_instance wi = {
	        .instance = name,
	        .service = type,
	        .type = type,
	        .domain = "local",
	        .host = host,
	        .addresses = addrs,
	        .n_addresses = 2,
	        .tags = tags,
	        .n_tags = 2,
	        .version = host,
	};
	json_t *o;

	for (size_t i = 0; i < n_txt; i++)
		if (wire_txt_split(txt[i], txt_len[i], &wt[n]) == 0)
			n++;
	wi.txt = wt;
	wi.n_txt = n;
	o = wire_instance_to_json(&wi);
	/* NULL: a string that is not UTF-8 (the contract); else valid JSON. */
	if (o) {
		check_dump(o);
		json_decref(o);
	}
}

static const char *const types[] = {"_http._tcp", "_payments._tcp", "_ipp._tcp", "_dns-sd._udp"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	struct cache *c = cache_new(NULL);
	double now = 1700000000.0;

	CHECK(c);
	for (int r = 0; r < MAX_RECORDS && in.left > 0; r++) {
		uint8_t how = byte(&in);
		char *name = str(&in), *host = str(&in), *type = NULL;
		int sightings = 1 + (how & 3);

		if (how & 0x80)
			type = str(&in);
		for (int k = 0; k < sightings; k++) {
			uint8_t b = byte(&in);
			struct mdns_instance s = {
			        .name = name,
			        .type = type ? type : types[(how >> 2) & 3],
			        .domain = b & 0x40 ? "local" : NULL,
			        .host = b & 0x20 ? NULL : host,
			        .ifindex = 1 + (b & 3),
			        .family = b & 4 ? AF_INET6 : AF_INET,
			        .local = b & 8,
			};
			const uint8_t *txt[MAX_TXT];
			size_t txt_len[MAX_TXT], n_txt = byte(&in) % (MAX_TXT + 1);
			char *txt_str[MAX_TXT];

			if (s.family == AF_INET6) {
				struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s.addr;

				a->sin6_family = AF_INET6;
				for (int i = 0; i < 16; i++)
					a->sin6_addr.s6_addr[i] = byte(&in);
				a->sin6_scope_id = b & 0x10 ? 0 : byte(&in);
			} else {
				struct sockaddr_in *a = (struct sockaddr_in *)&s.addr;
				uint32_t v = 0;

				a->sin_family = AF_INET;
				for (int i = 0; i < 4; i++)
					v = v << 8 | byte(&in);
				a->sin_addr.s_addr = htonl(v);
			}
			s.port = (uint16_t)(byte(&in) << 8 | byte(&in));
			for (size_t i = 0; i < n_txt; i++) {
				/* TXT strings are binary: NUL bytes kept. */
				size_t n = byte(&in);

				if (n > in.left)
					n = in.left;
				txt_str[i] = malloc(n ? n : 1);
				CHECK(txt_str[i]);
				memcpy(txt_str[i], in.p, n);
				in.p += n;
				in.left -= n;
				txt[i] = (const uint8_t *)txt_str[i];
				txt_len[i] = n;
			}
			s.txt = txt;
			s.txt_len = txt_len;
			s.n_txt = n_txt;
			(void)cache_upsert(c, &s, now + k);
			if (k == 0)
				check_wire(name, host, s.type, txt, txt_len, n_txt);
			for (size_t i = 0; i < n_txt; i++)
				free(txt_str[i]);
		}
		if (how & 0x40) {
			struct cache_entry *e =
			        cache_find(c, name, type ? type : types[(how >> 2) & 3], NULL);

			if (e)
				cache_set_down(c, e, true, now);
		}
		free(name);
		free(host);
		free(type);
	}
	for (struct cache_type *t = cache_first_type(c); t; t = t->next)
		for (struct cache_entry *e = t->first; e; e = e->next)
			check_entry(e);
	cache_free(c);
	return 0;
}
