/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/present over hostile LAN data: whatever a peer
 * announces, every cached entry renders as valid JSON (regression: a name
 * that was not UTF-8 made jansson refuse the instance object, and list,
 * resolve and watch answered "internal"). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/balance.h"
#include "agent/cache.h"
#include "agent/present.h"
#include "tests/unit/tap.h"

#define TYPE "_payments._tcp"

/* Upsert one sighting with the given names and N TXT strings. */
static int upsert(struct cache *c, const char *name, const char *host, const char *domain,
                  const char *const *txt, size_t n)
{
	const uint8_t *strs[300];
	size_t lens[300];
	struct mdns_instance in = {.name = name,
	                           .type = TYPE,
	                           .domain = domain,
	                           .host = host,
	                           .ifindex = 1,
	                           .family = AF_INET,
	                           .port = 443};
	struct sockaddr_in *a = (struct sockaddr_in *)&in.addr;

	a->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.9", &a->sin_addr);
	for (size_t i = 0; i < n && i < 300; i++) {
		strs[i] = (const uint8_t *)txt[i];
		lens[i] = strlen(txt[i]);
	}
	in.txt = strs, in.txt_len = lens, in.n_txt = n;
	return cache_upsert(c, &in, 1.0);
}

/* Every entry of C renders (list's object, resolve's cached text, watch's
 * id object) as JSON that parses back; returns how many entries did. */
static size_t render_all(struct cache *c, struct balance *b)
{
	size_t ok = 0;

	for (struct cache_type *t = cache_first_type(c); t; t = t->next) {
		for (struct cache_entry *e = t->first; e; e = e->next) {
			json_t *o = present_instance(e, b, 2.0), *id = present_instance_id(e),
			       *back;
			size_t len = 0;
			const char *text = present_instance_text(e, &len);
			char *dump = o ? json_dumps(o, JSON_COMPACT) : NULL, *whole = NULL;

			CHECK(o != NULL);
			CHECK(id != NULL);
			CHECK(text != NULL);
			back = dump ? json_loads(dump, 0, NULL) : NULL;
			CHECK(back != NULL);
			CHECK(back && strcmp(json_string_value(json_object_get(back, "instance")),
			                     e->name) == 0);
			/* resolve's text is the object without its closing brace */
			if (text && (whole = malloc(len + 2))) {
				memcpy(whole, text, len);
				memcpy(whole + len, "}", 2);
				json_t *w = json_loads(whole, 0, NULL);
				CHECK(w != NULL);
				json_decref(w);
			}
			ok += o && id && text && back;
			free(whole);
			free(dump);
			json_decref(back);
			json_decref(id);
			json_decref(o);
		}
	}
	return ok;
}

static void test_hostile_names(void)
{
	struct cache *c = cache_new(NULL);
	struct balance *b = balance_new(NULL, c);
	struct cache_stats st;
	static const char *const plain[] = {"weight=1"};

	/* Valid UTF-8, with what a terminal or a JSON writer must escape. */
	CHECK(upsert(c, "\x1b[31mred\x1b[0m \"q\" \\ \t@h", "h.local", "local", plain, 1) ==
	      CACHE_ADDED);
	CHECK(upsert(c, "caf\xc3\xa9 \xe2\x98\x83@h", "h.local", "local", plain, 1) == CACHE_ADDED);
	/* Not UTF-8: refused at insertion, counted. */
	CHECK(upsert(c, "pay\xffments@h", "h.local", "local", plain, 1) == -EINVAL);
	CHECK(upsert(c, "overlong \xc0\xaf@h", "h.local", "local", plain, 1) == -EINVAL);
	CHECK(upsert(c, "surrogate \xed\xa0\x80@h", "h.local", "local", plain, 1) == -EINVAL);
	CHECK(upsert(c, "cut \xe2\x98@h", "h.local", "local", plain, 1) == -EINVAL);
	CHECK(upsert(c, "badhost@h", "h\xc3.local", "local", plain, 1) == -EINVAL);
	CHECK(upsert(c, "baddomain@h", "h.local", "ex\xfe.org", plain, 1) == -EINVAL);
	cache_get_stats(c, &st);
	CHECK_INT_EQ(st.dropped[CACHE_DROP_INVALID], 6);
	CHECK_INT_EQ(st.instances, 2);
	CHECK(!cache_find(c, "pay\xffments@h", TYPE, NULL));
	/* Removing what was never kept is harmless. */
	CHECK(cache_remove_sighting(c, "pay\xffments@h", TYPE, NULL, 1, AF_INET,
	                            CACHE_GONE_WITHDRAWN, 3.0) == -ENOENT);
	CHECK_INT_EQ(render_all(c, b), 2);
	balance_free(b);
	cache_free(c);
}

static void test_hostile_txt(void)
{
	struct cache *c = cache_new(NULL);
	struct balance *b = balance_new(NULL, c);
	static char big[300][256];
	const char *txt[300];
	size_t n = 0;
	json_t *o, *raw;
	struct cache_entry *e;

	txt[n++] = "bin=\xff\xfe\x00";
	txt[n++] = "\xff\xfe=1";           /* key not printable ASCII: left out */
	txt[n++] = "esc=\x1b]0;title\x07"; /* control characters: escaped */
	txt[n++] = "version=\xff";         /* not text: no version */
	txt[n++] = "tags=a,\xff,b";        /* not UTF-8: no tags */
	txt[n++] = "health=\xc3";          /* not text: no "check" */
	txt[n++] = "weight=65535";
	for (int i = 0; i < 290; i++, n++) { /* as many 255-byte strings as fit */
		int k = snprintf(big[i], sizeof(big[i]), "k%03d=", i);

		memset(big[i] + k, i % 2 ? 'x' : 0xff, 255 - (size_t)k);
		big[i][255] = '\0';
		txt[n] = big[i];
	}
	CHECK(upsert(c, "txt@h", "h.local", "local", txt, n) == CACHE_ADDED);
	CHECK_INT_EQ(render_all(c, b), 1);
	e = cache_find(c, "txt@h", TYPE, NULL);
	o = e ? present_instance(e, b, 2.0) : NULL;
	raw = json_object_get(o, "txt_raw");
	CHECK(json_is_object(raw) && json_object_get(raw, "bin"));
	CHECK(json_is_null(json_object_get(o, "version")));
	CHECK(json_array_size(json_object_get(o, "tags")) == 0);
	CHECK(!json_object_get(o, "check"));
	CHECK(json_integer_value(json_object_get(o, "weight")) == 65535);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(o, "txt"), "esc")),
	             "\x1b]0;title\x07") == 0);
	json_decref(o);
	balance_free(b);
	cache_free(c);
}

/* Filter keys: filters that differ in any member present_match_in_type() reads
 * have different keys (strings cannot run into the next member); equal
 * ones, equal keys; one too long for the buffer, none. */
static void test_filter_keys(void)
{
	char *two[] = {"a", "b"}, *ab[] = {"ab"}, *a[] = {"a"}, *b_[] = {"b"};
	struct wire_kv kv = {"a", "b"}, kv2 = {"ab", ""};
	struct wire_filter f[] = {
	        {0},
	        {.family = WIRE_FAMILY_IPV4},
	        {.tags = two, .n_tags = 2},
	        {.tags = ab, .n_tags = 1},
	        {.tags = a, .n_tags = 1, .instance = "b"},
	        {.tags = a, .n_tags = 1, .domain = "b"},
	        {.tags = b_, .n_tags = 1, .version = "a"},
	        {.txt = &kv, .n_txt = 1},
	        {.txt = &kv2, .n_txt = 1},
	        {.version = "~1.2"},
	};
	struct wire_filter named = {.version = "~1.2", .service = "payments"};
	enum { N = sizeof(f) / sizeof(f[0]) };
	char keys[N][64], big[4096];
	size_t len[N];

	for (size_t i = 0; i < N; i++) {
		len[i] = present_filter_key(&f[i], keys[i], sizeof(keys[i]));
		CHECK(len[i] > 0);
		for (size_t j = 0; j < i; j++)
			CHECK_MSG(len[i] != len[j] || memcmp(keys[i], keys[j], len[i]) != 0,
			          "filters %zu and %zu have one key", i, j);
	}
	/* the service is not part of it: resolve keeps keys per type */
	CHECK_INT_EQ(present_filter_key(&named, big, sizeof(big)), len[N - 1]);
	CHECK(memcmp(big, keys[N - 1], len[N - 1]) == 0);
	CHECK_INT_EQ(present_filter_key(&f[2], big, sizeof(big)), len[2]);
	CHECK(memcmp(big, keys[2], len[2]) == 0);
	memset(big, 'x', 200);
	big[200] = 0;
	f[0].instance = big;
	CHECK_INT_EQ(present_filter_key(&f[0], keys[0], sizeof(keys[0])), 0);
}

/* Resolve's cached text is built again when its entry changes (a TXT
 * update, a sighting gone, down), not when another entry of its type
 * does (a service of thousands under churn would rebuild them all). */
static void test_text_per_entry(void)
{
	struct cache *c = cache_new(NULL);
	const char *v1[] = {"version=1.0.0"}, *v2[] = {"version=2.0.0"};
	struct cache_entry *a, *b;
	const char *ta, *tb;
	size_t len;

	CHECK(upsert(c, "a", "a.local", NULL, v1, 1) == CACHE_ADDED);
	CHECK(upsert(c, "b", "b.local", NULL, v1, 1) == CACHE_ADDED);
	a = cache_find(c, "a", TYPE, NULL), b = cache_find(c, "b", TYPE, NULL);
	ta = present_instance_text(a, &len);
	tb = present_instance_text(b, &len);
	CHECK(ta && tb);
	CHECK(upsert(c, "b", "b.local", NULL, v2, 1) == CACHE_CHANGED);
	CHECK(present_instance_text(a, &len) == ta); /* a's own text, kept */
	tb = present_instance_text(b, &len);
	CHECK(tb && memmem(tb, len, "\"2.0.0\"", 7) != NULL);
	CHECK(upsert(c, "a", "a.local", NULL, v2, 1) == CACHE_CHANGED);
	ta = present_instance_text(a, &len);
	CHECK(ta && memmem(ta, len, "\"2.0.0\"", 7) != NULL);
	CHECK(cache_set_down(c, a, true, 5.0) == CACHE_CHANGED);
	ta = present_instance_text(a, &len);
	CHECK(ta && memmem(ta, len, "\"last_changed\":5", 16) != NULL);
	cache_free(c);
}

int main(void)
{
	test_hostile_names();
	test_hostile_txt();
	test_filter_keys();
	test_text_per_entry();
	return test_summary();
}
