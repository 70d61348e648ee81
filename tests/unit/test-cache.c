/* SPDX-License-Identifier: MIT */
/* Unit tests for agent/cache: sightings, limits, lookups, events, stale sweeps, memory. */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cache.h"
#include "tests/unit/tap.h"

/* A sighting under construction: strings are NUL-terminated, TXT too. */
struct sight {
	struct mdns_instance in;
	const uint8_t *txt[8];
	size_t txt_len[8];
};

static struct mdns_instance *mk(struct sight *s, const char *name, const char *type, int ifindex,
                                int family, const char *ip, uint16_t port, const char *txt)
{
	memset(s, 0, sizeof(*s));
	s->in.name = name;
	s->in.type = type;
	s->in.domain = "local";
	s->in.host = "hostb.local";
	s->in.ifindex = ifindex;
	s->in.family = family;
	s->in.port = port;
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->in.addr;
		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&s->in.addr;
		a->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &a->sin_addr);
	}
	/* txt: strings separated by '|' */
	for (const char *p = txt; p && *p && s->in.n_txt < 8;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		s->txt[s->in.n_txt] = (const uint8_t *)p;
		s->txt_len[s->in.n_txt++] = l;
		p += l + (bar ? 1 : 0);
	}
	s->in.txt = s->txt;
	s->in.txt_len = s->txt_len;
	return &s->in;
}

struct events {
	int added, changed, removed;
	unsigned last_changes;
	int last_gone; /* cache_entry.gone of the last REMOVED event */
	char last_name[64];
	struct cache *c;
	int busy_result;
};

static void on_event(void *ud, enum cache_event ev, const struct cache_entry *e, unsigned ch)
{
	struct events *r = ud;
	struct sight s;
	if (ev == CACHE_EVENT_ADDED)
		r->added++;
	else if (ev == CACHE_EVENT_CHANGED)
		r->changed++, r->last_changes = ch;
	else
		r->removed++, r->last_gone = e->gone;
	snprintf(r->last_name, sizeof(r->last_name), "%s", e->name);
	r->busy_result =
	        cache_upsert(r->c, mk(&s, "x", "_x._tcp", 1, AF_INET, "192.0.2.9", 1, ""), 0);
}

static void test_upsert_and_events(void)
{
	struct cache *c = cache_new(NULL);
	struct events ev = {.c = c};
	struct sight s;
	cache_set_event_cb(c, on_event, &ev);

	CHECK(cache_upsert(c,
	                   mk(&s, "api@a", "_payments._tcp", 2, AF_INET, "192.0.2.1", 8080,
	                      "version=1.2.3|weight=5"),
	                   1.0) == CACHE_ADDED);
	CHECK(ev.added == 1 && strcmp(ev.last_name, "api@a") == 0 && ev.busy_result == -EBUSY);
	struct cache_entry *e = cache_find(c, "API@A", "_Payments._TCP", NULL);
	CHECK(e && strcmp(e->name, "api@a") == 0 && strcmp(e->type->service, "payments") == 0);
	CHECK(e && e->port == 8080 && e->txt->weight == 5 && e->n_addrs == 1 && !e->local);
	CHECK(e && e->first_seen == 1.0 && e->last_changed == 1.0 &&
	      strcmp(e->host, "hostb.local") == 0);
	uint64_t gen = e->type->generation;

	/* same again: unchanged, generation kept */
	CHECK(cache_upsert(c,
	                   mk(&s, "api@a", "_payments._tcp", 2, AF_INET, "192.0.2.1", 8080,
	                      "version=1.2.3|weight=5"),
	                   2.0) == CACHE_UNCHANGED);
	CHECK(e->type->generation == gen && ev.changed == 0 && e->last_changed == 1.0);

	/* TXT change */
	CHECK(cache_upsert(c,
	                   mk(&s, "Api@A", "_payments._tcp", 2, AF_INET, "192.0.2.1", 8080,
	                      "version=1.2.4|weight=5"),
	                   3.0) == CACHE_CHANGED);
	CHECK(ev.changed == 1 && ev.last_changes == CACHE_CH_TXT && e->type->generation > gen);
	CHECK(strcmp(e->txt->version, "1.2.4") == 0 && e->last_changed == 3.0);
	CHECK(strcmp(e->name, "api@a") == 0); /* the key keeps its first spelling */

	/* port and host */
	mk(&s, "api@a", "_payments._tcp", 2, AF_INET, "192.0.2.1", 9090, "version=1.2.4|weight=5");
	s.in.host = "hostc.local";
	s.in.ours = true;
	CHECK(cache_upsert(c, &s.in, 4.0) == CACHE_CHANGED);
	CHECK(ev.last_changes == (CACHE_CH_PORT | CACHE_CH_HOST | CACHE_CH_LOCAL));
	CHECK(e->port == 9090 && strcmp(e->host, "hostc.local") == 0 && e->local);

	/* address change on the same sighting */
	CHECK(cache_upsert(c,
	                   mk(&s, "api@a", "_payments._tcp", 2, AF_INET, "192.0.2.7", 9090,
	                      "version=1.2.4|weight=5"),
	                   5.0) == CACHE_CHANGED);
	CHECK(ev.last_changes == (CACHE_CH_ADDRS | CACHE_CH_HOST | CACHE_CH_LOCAL));
	char buf[64];
	CHECK(strcmp(cache_addr_format(&e->addrs[0], buf, sizeof(buf)), "192.0.2.7") == 0);

	CHECK(cache_remove_sighting(c, "api@a", "_payments._tcp", "local", 2, AF_INET,
	                            CACHE_GONE_HOST_DOWN, 6.0) == CACHE_REMOVED);
	CHECK(ev.removed == 1 && ev.last_gone == CACHE_GONE_HOST_DOWN);
	CHECK(strcmp(cache_gone_name(CACHE_GONE_HOST_DOWN), "host_down") == 0);
	CHECK(ev.removed == 1 && !cache_find(c, "api@a", "_payments._tcp", NULL));
	CHECK(!cache_find_type(c, "_payments._tcp") && !cache_find_service(c, "payments"));
	cache_free(c);
}

static void test_multi_sighting(void)
{
	struct cache *c = cache_new(NULL);
	struct events ev = {0};
	struct sight s;
	cache_set_event_cb(c, on_event, &ev);
	ev.c = c;
	CHECK(cache_upsert(c, mk(&s, "db", "_pg._tcp", 2, AF_INET, "192.0.2.1", 5432, ""), 0) ==
	      CACHE_ADDED);
	/* same address seen on another interface */
	CHECK(cache_upsert(c, mk(&s, "db", "_pg._tcp", 3, AF_INET, "192.0.2.1", 5432, ""), 0) ==
	      CACHE_CHANGED);
	CHECK(ev.last_changes == CACHE_CH_IFACES);
	/* an IPv6 link-local address over IPv6 on interface 2 */
	CHECK(cache_upsert(c, mk(&s, "db", "_pg._tcp", 2, AF_INET6, "fe80::1", 5432, ""), 0) ==
	      CACHE_CHANGED);
	CHECK(ev.last_changes == (CACHE_CH_IFACES | CACHE_CH_ADDRS));
	struct cache_entry *e = cache_find(c, "db", "_pg._tcp", "local");
	char buf[64];
	CHECK(e && e->n_sightings == 3 && e->n_addrs == 2);
	CHECK(e && strcmp(cache_addr_format(&e->addrs[1], buf, sizeof(buf)), "fe80::1%2") == 0);
	CHECK(e && e->addrs[1].family == AF_INET6 && e->addrs[1].scope_id == 2 && e->port == 5432);

	CHECK(cache_remove_sighting(c, "db", "_pg._tcp", NULL, 9, AF_INET, CACHE_GONE_WITHDRAWN,
	                            1) == -ENOENT);
	CHECK(cache_remove_sighting(c, "nope", "_pg._tcp", NULL, 2, AF_INET, CACHE_GONE_WITHDRAWN,
	                            1) == -ENOENT);
	CHECK(cache_remove_sighting(c, "db", "_pg._tcp", NULL, 2, AF_INET, CACHE_GONE_WITHDRAWN,
	                            1) == CACHE_CHANGED);
	CHECK(ev.last_changes == CACHE_CH_IFACES && e->n_addrs == 2); /* still seen on 3 */
	CHECK(cache_remove_sighting(c, "db", "_pg._tcp", NULL, 2, AF_INET6, CACHE_GONE_WITHDRAWN,
	                            1) == CACHE_CHANGED);
	CHECK(ev.last_changes == (CACHE_CH_IFACES | CACHE_CH_ADDRS) && e->n_addrs == 1);
	CHECK(cache_remove_sighting(c, "db", "_pg._tcp", NULL, 3, AF_INET, CACHE_GONE_WITHDRAWN,
	                            1) == CACHE_REMOVED);
	CHECK(ev.last_gone == CACHE_GONE_WITHDRAWN);
	CHECK(ev.added == 1 && ev.changed == 4 && ev.removed == 1);

	/* the sighting cap */
	for (int i = 0; i < CACHE_MAX_SIGHTINGS; i++)
		CHECK(cache_upsert(c, mk(&s, "db", "_pg._tcp", 10 + i, AF_INET, "192.0.2.1", 1, ""),
		                   0) >= 0);
	CHECK(cache_upsert(c, mk(&s, "db", "_pg._tcp", 99, AF_INET, "192.0.2.1", 1, ""), 0) ==
	      CACHE_DROPPED);
	struct cache_stats st;
	cache_get_stats(c, &st);
	CHECK(st.dropped[CACHE_DROP_SIGHTINGS] == 1 && st.instances == 1);
	cache_free(c);
}

static void test_limits_and_invalid(void)
{
	struct cache_params p = {.max_instances = 10};
	struct cache *c = cache_new(&p);
	struct sight s;
	char name[32];
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		CHECK(cache_upsert(c, mk(&s, name, "_a._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0) ==
		      (i < 5 ? CACHE_ADDED : CACHE_DROPPED));
	}
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		CHECK(cache_upsert(c, mk(&s, name, "_b._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0) ==
		      (i < 5 ? CACHE_ADDED : CACHE_DROPPED));
	}
	CHECK(cache_upsert(c, mk(&s, "c", "_c._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0) ==
	      CACHE_DROPPED);
	/* existing entries still update at the limit */
	CHECK(cache_upsert(c, mk(&s, "a0", "_a._tcp", 1, AF_INET, "192.0.2.2", 1, ""), 0) ==
	      CACHE_CHANGED);
	struct mdns_instance *in = mk(&s, "", "_a._tcp", 1, AF_INET, "192.0.2.1", 1, "");
	CHECK(cache_upsert(c, in, 0) == -EINVAL);
	in = mk(&s, "x", "tcp", 1, AF_INET, "192.0.2.1", 1, "");
	CHECK(cache_upsert(c, in, 0) == -EINVAL);
	in = mk(&s, "x", "_._tcp", 1, AF_INET, "192.0.2.1", 1, "");
	CHECK(cache_upsert(c, in, 0) == -EINVAL);
	in = mk(&s, "x", "_a._tcp", 1, AF_INET, "192.0.2.1", 1, "");
	in->addr.ss_family = AF_UNIX;
	CHECK(cache_upsert(c, in, 0) == -EINVAL);
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	in = mk(&s, longname, "_a._tcp", 1, AF_INET, "192.0.2.1", 1, "");
	CHECK(cache_upsert(c, in, 0) == -EINVAL);
	/* a type dnssd_check_type() refuses is an invalid sighting (the
	 * cache once took any label of up to 63 bytes) */
	in = mk(&s, "x", "_a_b._tcp", 1, AF_INET, "192.0.2.1", 1, "");
	CHECK(cache_upsert(c, in, 0) == -EINVAL);
	in = mk(&s, "x", "_abcdefghijklmnop._tcp", 1, AF_INET, "192.0.2.1", 1, "");
	CHECK(cache_upsert(c, in, 0) == -EINVAL);
	in = mk(&s, "x", "_a._sctp", 1, AF_INET, "192.0.2.1", 1, "");
	CHECK(cache_upsert(c, in, 0) == -EINVAL);

	struct cache_stats st;
	cache_get_stats(c, &st);
	CHECK(st.instances == 10 && st.types == 2);
	CHECK(st.dropped[CACHE_DROP_TYPE] == 1 && st.dropped[CACHE_DROP_TOTAL] == 2);
	CHECK(st.dropped[CACHE_DROP_INVALID] == 8 && st.added == 10 && st.changed == 1);
	/* A reload raises the bound: what was refused fits now, per-type share
	 * included (regression: max_instances was fixed at creation). */
	cache_set_max_instances(c, 20);
	CHECK(cache_upsert(c, mk(&s, "c", "_c._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0) ==
	      CACHE_ADDED);
	CHECK(cache_upsert(c, mk(&s, "a5", "_a._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0) ==
	      CACHE_ADDED);
	/* ...and lowers it: the entries held stay, new ones are refused. */
	cache_set_max_instances(c, 4);
	CHECK(cache_upsert(c, mk(&s, "d", "_d._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0) ==
	      CACHE_DROPPED);
	CHECK(cache_find(c, "a5", "_a._tcp", NULL) != NULL);
	CHECK(cache_upsert(c, mk(&s, "a0", "_a._tcp", 1, AF_INET, "192.0.2.3", 1, ""), 0) ==
	      CACHE_CHANGED);

	cache_free(c);

	p = (struct cache_params){.max_instances = 1};
	c = cache_new(&p);
	CHECK(cache_upsert(c, mk(&s, "a", "_a._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0) ==
	      CACHE_ADDED);
	CHECK(cache_upsert(c, mk(&s, "b", "_b._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0) ==
	      CACHE_DROPPED);
	cache_free(c);
}

static void test_lookups_and_generations(void)
{
	struct cache *c = cache_new(NULL);
	struct sight s;
	CHECK(cache_upsert(c, mk(&s, "a", "_dns._udp", 1, AF_INET, "192.0.2.1", 53, ""), 0) == 1);
	CHECK(cache_upsert(c, mk(&s, "b", "_dns._tcp", 1, AF_INET, "192.0.2.1", 53, ""), 0) == 1);
	CHECK(cache_upsert(c, mk(&s, "c", "_dns._tcp", 1, AF_INET, "192.0.2.1", 53, ""), 0) == 1);
	CHECK(cache_upsert(c, mk(&s, "d", "_web._tcp", 1, AF_INET, "192.0.2.1", 80, ""), 0) == 1);
	struct cache_type *tcp = cache_find_type(c, "_dns._tcp"),
	                  *udp = cache_find_type(c, "_dns._udp");
	CHECK(tcp && udp && tcp->n_entries == 2 && udp->n_entries == 1);
	struct cache_type *t = cache_find_service(c, "DNS");
	CHECK(t == tcp || t == udp);
	struct cache_type *o = t ? cache_service_next(t) : NULL;
	CHECK(o && o != t && (o == tcp || o == udp) && !cache_service_next(o));
	CHECK(!cache_find_service(c, "dn") && !cache_find_type(c, "_dns"));

	int types = 0, entries = 0;
	for (struct cache_type *i = cache_first_type(c); i; i = i->next, types++)
		for (struct cache_entry *e = i->first; e; e = e->next, entries++)
			CHECK(e->type == i);
	CHECK(types == 3 && entries == 4);

	/* generations: per type, unique, fresh after a type is recreated */
	uint64_t g_tcp = tcp->generation, g_udp = udp->generation;
	CHECK(g_tcp != g_udp);
	CHECK(cache_upsert(c, mk(&s, "b", "_dns._tcp", 1, AF_INET, "192.0.2.2", 53, ""), 0) ==
	      CACHE_CHANGED);
	CHECK(tcp->generation > g_tcp && udp->generation == g_udp);
	uint64_t g_web = cache_find_type(c, "_web._tcp")->generation;
	CHECK(cache_clear_type(c, "_web._tcp", 1) == 1 && !cache_find_type(c, "_web._tcp"));
	CHECK(cache_upsert(c, mk(&s, "d", "_web._tcp", 1, AF_INET, "192.0.2.1", 80, ""), 0) == 1);
	CHECK(cache_find_type(c, "_web._tcp")->generation > g_web);
	CHECK(cache_clear_type(c, "_dns._tcp", 1) == 2 && cache_clear_type(c, "_dns._tcp", 1) == 0);
	cache_free(c);
}

static void test_stale(void)
{
	struct cache *c = cache_new(NULL);
	struct events ev = {.c = c};
	struct sight s;
	cache_set_event_cb(c, on_event, &ev);
	cache_upsert(c, mk(&s, "a", "_x._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0);
	cache_upsert(c, mk(&s, "a", "_x._tcp", 2, AF_INET, "192.0.2.1", 1, ""), 0);
	cache_upsert(c, mk(&s, "b", "_x._tcp", 1, AF_INET, "192.0.2.2", 1, ""), 0);
	cache_upsert(c, mk(&s, "c", "_y._tcp", 1, AF_INET, "192.0.2.3", 1, ""), 0);
	CHECK(cache_mark_stale(c, "_x._tcp") == 2);
	CHECK(cache_find(c, "a", "_x._tcp", NULL)->stale &&
	      !cache_find(c, "c", "_y._tcp", NULL)->stale);
	/* a is seen again on interface 1 only; b is not seen again */
	int changed = ev.changed;
	CHECK(cache_upsert(c, mk(&s, "a", "_x._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 1) ==
	      CACHE_UNCHANGED);
	CHECK(ev.changed == changed && !cache_find(c, "a", "_x._tcp", NULL)->stale);
	CHECK(cache_sweep_stale(c, "_x._tcp", 2) == 1);
	struct cache_entry *a = cache_find(c, "a", "_x._tcp", NULL);
	CHECK(a && a->n_sightings == 1 && a->sightings[0].ifindex == 1);
	CHECK(!cache_find(c, "b", "_x._tcp", NULL) && cache_find(c, "c", "_y._tcp", NULL));
	CHECK(ev.last_gone == CACHE_GONE_STALE);
	CHECK(ev.changed == changed + 1 && ev.last_changes == CACHE_CH_IFACES);
	/* all types */
	CHECK(cache_mark_stale(c, NULL) == 2);
	CHECK(cache_sweep_stale(c, NULL, 3) == 2);
	CHECK(!cache_first_type(c));
	cache_free(c);
}

static int released_entries, released_types;

static void rel_entry(void *ud, void *user)
{
	released_entries++;
	free(user);
}

static void rel_type(void *ud, void *user)
{
	released_types++;
	free(user);
}

static void test_user_slots(void)
{
	struct cache *c = cache_new(NULL);
	struct sight s;
	cache_set_release(c, rel_entry, rel_type, NULL);
	cache_upsert(c, mk(&s, "a", "_x._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0);
	cache_upsert(c, mk(&s, "b", "_x._tcp", 1, AF_INET, "192.0.2.1", 1, ""), 0);
	struct cache_entry *a = cache_find(c, "a", "_x._tcp", NULL);
	a->user = malloc(8);
	a->type->user = malloc(8);
	cache_find(c, "b", "_x._tcp", NULL)->user = malloc(8);
	cache_remove_sighting(c, "a", "_x._tcp", NULL, 1, AF_INET, CACHE_GONE_WITHDRAWN, 1);
	CHECK(released_entries == 1 && released_types == 0);
	cache_free(c); /* b and the type */
	CHECK(released_entries == 2 && released_types == 1);
}

/* 100 000 typical instances over 200 types: every one findable, and the
 * memory per instance within the 2 KiB target. */
static void test_scale_and_memory(void)
{
	enum { N = 100000, TYPES = 200 };
	struct cache_params p = {.max_instances = N, .max_per_type = N};
	for (int i = 0; i < 16; i++)
		p.hash_key[i] = (uint8_t)(i * 37 + 11);
	struct mallinfo2 before = mallinfo2();
	struct cache *c = cache_new(&p);
	struct sight s;
	char name[64], type[32], host[64], ip[32];
	const char *txt = "version=2.14.1|weight=10|priority=0|tags=eu-west,canary,blue|"
	                  "region=eu-west-1|path=/api/v2|load=0.42";
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "service-%d@host-%05d", i % TYPES, i);
		snprintf(type, sizeof(type), "_service-%d._tcp", i % TYPES);
		snprintf(host, sizeof(host), "host-%05d.local", i);
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		mk(&s, name, type, 2, AF_INET, ip, 8080, txt);
		s.in.host = host;
		if (cache_upsert(c, &s.in, 0) != CACHE_ADDED) {
			CHECK(!"upsert failed");
			break;
		}
	}
	struct mallinfo2 after = mallinfo2();
	struct cache_stats st;
	cache_get_stats(c, &st);
	CHECK(st.instances == N && st.types == TYPES);
	int found = 0;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "SERVICE-%d@host-%05d", i % TYPES, i);
		snprintf(type, sizeof(type), "_service-%d._tcp", i % TYPES);
		found += cache_find(c, name, type, NULL) != NULL;
	}
	CHECK(found == N);
	CHECK(cache_find_type(c, "_service-7._tcp")->n_entries == N / TYPES);
	CHECK(cache_find_service(c, "service-7") == cache_find_type(c, "_service-7._tcp"));
	double own = (double)st.bytes / N;
	double heap = (double)(after.uordblks - before.uordblks) / N;
	printf("memory per instance: %.0f bytes requested by the cache, %.0f bytes of heap "
	       "(mallinfo2; 0 under a sanitizer)\n",
	       own, heap);
	CHECK(own <= 2048);
	CHECK(after.uordblks <= before.uordblks || heap <= 2048);
	cache_free(c);
}

int main(void)
{
	test_upsert_and_events();
	test_multi_sighting();
	test_limits_and_invalid();
	test_lookups_and_generations();
	test_stale();
	test_user_slots();
	test_scale_and_memory();
	return test_summary();
}
