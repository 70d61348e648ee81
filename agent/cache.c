/* SPDX-License-Identifier: MIT */
/* The instance cache: entries keyed by (name, type, domain), grouped by type, with sightings. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/cache-addr.h"
#include "agent/cache.h"
#include "dnssd/name.h"
#include "dnssd/utf8.h"

/* An intrusive chained hash table; nodes keep their chain link and hash at
 * the offsets given. */
struct htab {
	void **b;
	size_t mask; /* buckets - 1; buckets is a power of two */
	size_t n;
	size_t next_off, hash_off;
};

struct cache {
	struct cache_params p;
	struct htab entries, types, services;
	struct cache_type *types_first;
	uint64_t gen_counter, id_counter;
	struct cache_stats st;
	cache_event_fn event;
	void *event_ud;
	cache_release_fn release_entry, release_type;
	void *release_ud;
	bool busy; /* inside the event callback */
};

#define NEXT(h, node) (*(void **)((char *)(node) + (h)->next_off))
#define HASH(h, node) (*(uint64_t *)((char *)(node) + (h)->hash_off))

/* ---- SipHash-1-3 over ASCII-lowercased bytes --------------------------- */

struct sip {
	uint64_t v0, v1, v2, v3, m;
	unsigned mlen;
	uint64_t total;
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(struct sip *s)
{
	s->v0 += s->v1, s->v1 = ROTL(s->v1, 13), s->v1 ^= s->v0, s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3, s->v3 = ROTL(s->v3, 16), s->v3 ^= s->v2;
	s->v0 += s->v3, s->v3 = ROTL(s->v3, 21), s->v3 ^= s->v0;
	s->v2 += s->v1, s->v1 = ROTL(s->v1, 17), s->v1 ^= s->v2, s->v2 = ROTL(s->v2, 32);
}

static void sip_init(struct sip *s, const uint8_t key[16])
{
	uint64_t k0 = 0, k1 = 0;
	for (int i = 7; i >= 0; i--) {
		k0 = (k0 << 8) | key[i];
		k1 = (k1 << 8) | key[8 + i];
	}
	*s = (struct sip){.v0 = k0 ^ 0x736f6d6570736575ULL,
	                  .v1 = k1 ^ 0x646f72616e646f6dULL,
	                  .v2 = k0 ^ 0x6c7967656e657261ULL,
	                  .v3 = k1 ^ 0x7465646279746573ULL};
}

static void sip_str(struct sip *s, const char *str)
{
	/* The NUL is fed too, so ("ab","c") and ("a","bc") differ. */
	for (const unsigned char *p = (const unsigned char *)str;; p++) {
		unsigned c = dnssd_lower(*p);
		s->m |= (uint64_t)c << (8 * s->mlen);
		s->total++;
		if (++s->mlen == 8) {
			s->v3 ^= s->m;
			sip_round(s);
			s->v0 ^= s->m;
			s->m = 0, s->mlen = 0;
		}
		if (!*p)
			break;
	}
}

static uint64_t sip_final(struct sip *s)
{
	uint64_t b = (s->total << 56) | s->m;
	s->v3 ^= b;
	sip_round(s);
	s->v0 ^= b;
	s->v2 ^= 0xff;
	sip_round(s), sip_round(s), sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static uint64_t hash1(const struct cache *c, const char *a)
{
	struct sip s;
	sip_init(&s, c->p.hash_key);
	sip_str(&s, a);
	return sip_final(&s);
}

static uint64_t hash_key(const struct cache *c, const char *name, const char *type,
                         const char *domain)
{
	struct sip s;
	sip_init(&s, c->p.hash_key);
	sip_str(&s, name), sip_str(&s, type), sip_str(&s, domain);
	return sip_final(&s);
}

/* ---- hash table ---------------------------------------------------------- */

static int ht_init(struct htab *h, size_t next_off, size_t hash_off)
{
	*h = (struct htab){.mask = 15, .next_off = next_off, .hash_off = hash_off};
	h->b = calloc(16, sizeof(void *));
	return h->b ? 0 : -ENOMEM;
}

/* Make room for one more node (load factor <= 1). */
static int ht_reserve(struct cache *c, struct htab *h)
{
	if (h->n < h->mask + 1)
		return 0;
	size_t nb = (h->mask + 1) * 2;
	void **b = calloc(nb, sizeof(void *));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i <= h->mask; i++) {
		for (void *node = h->b[i], *next; node; node = next) {
			next = NEXT(h, node);
			size_t k = HASH(h, node) & (nb - 1);
			NEXT(h, node) = b[k];
			b[k] = node;
		}
	}
	c->st.bytes += (nb - h->mask - 1) * sizeof(void *);
	free(h->b);
	h->b = b;
	h->mask = nb - 1;
	return 0;
}

static void ht_insert(struct htab *h, void *node)
{
	void **slot = &h->b[HASH(h, node) & h->mask];
	NEXT(h, node) = *slot;
	*slot = node;
	h->n++;
}

static void ht_remove(struct htab *h, void *node)
{
	for (void **p = &h->b[HASH(h, node) & h->mask]; *p; p = &NEXT(h, *p)) {
		if (*p == node) {
			*p = NEXT(h, node);
			h->n--;
			return;
		}
	}
}

/* ---- names --------------------------------------------------------------- */

/* The one rule for the names LAN data brings into the cache (instance,
 * type, domain and host names): at most CACHE_NAME_MAX bytes of UTF-8
 * without NUL. Everything rendered from the cache (list, resolve, watch
 * events, snapshots) puts them in JSON strings, which must be UTF-8, so a
 * sighting that breaks it is refused here, whole, and counted
 * (CACHE_DROP_INVALID): one bad record can never make an answer fail.
 * avahi-daemon already refuses such names, but the cache does not rely on
 * its feeder. TXT needs no check here: txt_parse() keeps keys that are
 * printable ASCII only, and flags values that are not UTF-8 (shown as
 * base64). */
static bool text_ok(const char *s, bool may_be_empty)
{
	size_t n;

	if (!s)
		return may_be_empty;
	n = strnlen(s, CACHE_NAME_MAX + 1);
	return (n > 0 || may_be_empty) && n <= CACHE_NAME_MAX && utf8_valid(s, n);
}

static bool name_ok(const char *s)
{
	return text_ok(s, false);
}

/* ---- lookups ------------------------------------------------------------- */

struct cache_entry *cache_find(const struct cache *c, const char *name, const char *type,
                               const char *domain)
{
	if (!name || !type)
		return NULL;
	if (!domain)
		domain = "local";
	uint64_t h = hash_key(c, name, type, domain);
	for (struct cache_entry *e = c->entries.b[h & c->entries.mask]; e; e = e->hnext)
		if (e->hash == h && !strcasecmp(e->name, name) &&
		    !strcasecmp(e->type->name, type) && !strcasecmp(e->domain, domain))
			return e;
	return NULL;
}

struct cache_type *cache_find_type(const struct cache *c, const char *type)
{
	if (!type)
		return NULL;
	uint64_t h = hash1(c, type);
	for (struct cache_type *t = c->types.b[h & c->types.mask]; t; t = t->hnext)
		if (t->hash == h && !strcasecmp(t->name, type))
			return t;
	return NULL;
}

struct cache_type *cache_find_service(const struct cache *c, const char *service)
{
	if (!service)
		return NULL;
	uint64_t h = hash1(c, service);
	for (struct cache_type *t = c->services.b[h & c->services.mask]; t; t = t->snext)
		if (t->shash == h && !strcasecmp(t->service, service))
			return t;
	return NULL;
}

struct cache_type *cache_service_next(const struct cache_type *t)
{
	for (struct cache_type *o = t->snext; o; o = o->snext)
		if (o->shash == t->shash && !strcasecmp(o->service, t->service))
			return o;
	return NULL;
}

struct cache_type *cache_first_type(const struct cache *c)
{
	return c->types_first;
}

/* ---- life cycle ---------------------------------------------------------- */

struct cache *cache_new(const struct cache_params *p)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (p)
		c->p = *p;
	if (!c->p.max_instances)
		c->p.max_instances = CACHE_DEFAULT_MAX;
	if (!c->p.max_per_type)
		c->p.max_per_type = c->p.max_instances / 2 ? c->p.max_instances / 2 : 1;
	if (ht_init(&c->entries, offsetof(struct cache_entry, hnext),
	            offsetof(struct cache_entry, hash)) < 0 ||
	    ht_init(&c->types, offsetof(struct cache_type, hnext),
	            offsetof(struct cache_type, hash)) < 0 ||
	    ht_init(&c->services, offsetof(struct cache_type, snext),
	            offsetof(struct cache_type, shash)) < 0)
		goto fail;
	c->st.bytes = sizeof(*c) + 3 * 16 * sizeof(void *);
	return c;
fail:
	cache_free(c);
	return NULL;
}

void cache_set_max_instances(struct cache *c, size_t max)
{
	c->p.max_instances = max ? max : CACHE_DEFAULT_MAX;
	c->p.max_per_type = c->p.max_instances / 2 ? c->p.max_instances / 2 : 1;
}

void cache_set_event_cb(struct cache *c, cache_event_fn fn, void *userdata)
{
	c->event = fn;
	c->event_ud = userdata;
}

void cache_set_release(struct cache *c, cache_release_fn entry_fn, cache_release_fn type_fn,
                       void *userdata)
{
	c->release_entry = entry_fn;
	c->release_type = type_fn;
	c->release_ud = userdata;
}

static size_t entry_size(const struct cache_entry *e)
{
	return sizeof(*e) + strlen(e->name) + strlen(e->domain) + 2 + strlen(e->host) + 1 +
	       e->cap * (sizeof(struct cache_sighting) + sizeof(struct cache_addr)) + e->txt->size;
}

static void emit(struct cache *c, enum cache_event ev, const struct cache_entry *e,
                 unsigned changes)
{
	if (!c->event)
		return;
	c->busy = true;
	c->event(c->event_ud, ev, e, changes);
	c->busy = false;
}

static void type_touch(struct cache *c, struct cache_type *t)
{
	t->generation = ++c->gen_counter;
}

/* E's content changed at NOW: its generation and its type's move. */
static void entry_touch(struct cache *c, struct cache_entry *e, double now)
{
	e->last_changed = now;
	type_touch(c, e->type);
	e->generation = e->type->generation;
}

static void type_free(struct cache *c, struct cache_type *t)
{
	if (t->user && c->release_type)
		c->release_type(c->release_ud, t->user);
	c->st.bytes -= sizeof(*t) + strlen(t->name) + strlen(t->service) + 2;
	free(t);
}

static void entry_free(struct cache *c, struct cache_entry *e)
{
	if (e->user && c->release_entry)
		c->release_entry(c->release_ud, e->user);
	c->st.bytes -= entry_size(e);
	free(e->text);
	txt_free(e->txt);
	free((char *)e->host);
	free(e->sightings);
	free(e);
}

const char *cache_gone_name(enum cache_gone why)
{
	switch (why) {
	case CACHE_GONE_WITHDRAWN:
		return "withdrawn";
	case CACHE_GONE_HOST_DOWN:
		return "host_down";
	case CACHE_GONE_STALE:
		return "stale";
	case CACHE_GONE_RELEASED:
		return "released";
	}
	return "withdrawn";
}

/* Unlink and free E (after its REMOVED event, which reads WHY in
 * E->gone), and its type if now empty. */
static void entry_remove(struct cache *c, struct cache_entry *e, enum cache_gone why)
{
	struct cache_type *t = e->type;
	e->gone = (uint8_t)why;
	emit(c, CACHE_EVENT_REMOVED, e, 0);
	ht_remove(&c->entries, e);
	if (e->prev)
		e->prev->next = e->next;
	else
		t->first = e->next;
	if (e->next)
		e->next->prev = e->prev;
	t->n_entries--;
	type_touch(c, t);
	entry_free(c, e);
	c->st.instances--;
	c->st.removed++;
	if (t->n_entries)
		return;
	ht_remove(&c->types, t);
	ht_remove(&c->services, t);
	if (t->prev)
		t->prev->next = t->next;
	else
		c->types_first = t->next;
	if (t->next)
		t->next->prev = t->prev;
	c->st.types--;
	type_free(c, t);
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	for (struct cache_type *t = c->types_first, *tn; t; t = tn) {
		tn = t->next;
		for (struct cache_entry *e = t->first, *en; e; e = en) {
			en = e->next;
			entry_free(c, e);
		}
		type_free(c, t);
	}
	free(c->entries.b);
	free(c->types.b);
	free(c->services.b);
	free(c);
}

/* ---- sightings ------------------------------------------------------------ */

static struct cache_sighting *find_sighting(struct cache_entry *e, int ifindex, int family)
{
	for (size_t i = 0; i < e->n_sightings; i++)
		if (e->sightings[i].ifindex == ifindex && e->sightings[i].family == family)
			return &e->sightings[i];
	return NULL;
}

/* Recompute E's unique addresses, local and stale flags from its sightings;
 * returns the CACHE_CH_ bits that changed. */
static unsigned derive(struct cache_entry *e)
{
	struct cache_addr tmp[CACHE_MAX_SIGHTINGS];
	unsigned ch = 0;
	uint8_t m = cache_addrs_unique(e->sightings, e->n_sightings, tmp);
	if (!cache_addrs_equal(tmp, m, e->addrs, e->n_addrs)) {
		memcpy(e->addrs, tmp, m * sizeof(*tmp));
		e->n_addrs = m;
		ch |= CACHE_CH_ADDRS;
	}
	bool local = false, stale = e->n_sightings > 0;
	for (size_t i = 0; i < e->n_sightings; i++) {
		local = local || e->sightings[i].ours;
		stale = stale && e->sightings[i].stale;
	}
	if (local != e->local)
		ch |= CACHE_CH_LOCAL;
	e->local = local;
	e->stale = stale;
	return ch;
}

/* Room for CAP sightings and addresses in one block. */
static int grow_sightings(struct cache *c, struct cache_entry *e, uint8_t cap)
{
	size_t one = sizeof(struct cache_sighting) + sizeof(struct cache_addr);
	struct cache_sighting *s = malloc(cap * one);
	if (!s)
		return -ENOMEM;
	struct cache_addr *a = (struct cache_addr *)(s + cap);
	if (e->sightings) {
		memcpy(s, e->sightings, e->n_sightings * sizeof(*s));
		memcpy(a, e->addrs, e->n_addrs * sizeof(*a));
	}
	free(e->sightings);
	c->st.bytes += (cap - e->cap) * one;
	e->sightings = s, e->addrs = a, e->cap = cap;
	return 0;
}

/* ---- upsert -------------------------------------------------------------- */

static int drop(struct cache *c, enum cache_drop why)
{
	c->st.dropped[why]++;
	return why == CACHE_DROP_INVALID ? -EINVAL : CACHE_DROPPED;
}

static struct cache_type *type_new(struct cache *c, const char *name, uint64_t h)
{
	char svc[DNSSD_SERVICE_NAME_MAX + 1];
	int sl = dnssd_type_service(name, svc, sizeof(svc)); /* checked by cache_upsert() */
	size_t nl = strlen(name);
	struct cache_type *t = calloc(1, sizeof(*t) + nl + 1 + (size_t)sl + 1);
	if (!t)
		return NULL;
	char *p = (char *)(t + 1);
	memcpy(p, name, nl + 1);
	t->name = p;
	memcpy(p + nl + 1, svc, (size_t)sl + 1);
	t->service = p + nl + 1;
	t->hash = h;
	t->shash = hash1(c, svc);
	return t;
}

static int entry_add(struct cache *c, const struct mdns_instance *s, const char *domain,
                     const struct cache_addr *addr, uint64_t h, double now)
{
	struct cache_type *t = cache_find_type(c, s->type), *new_type = NULL;
	struct cache_entry *e = NULL;
	size_t nl = strlen(s->name), dl = strlen(domain);

	if (c->st.instances >= c->p.max_instances)
		return drop(c, CACHE_DROP_TOTAL);
	if (t && t->n_entries >= c->p.max_per_type)
		return drop(c, CACHE_DROP_TYPE);
	if (ht_reserve(c, &c->entries) < 0 || ht_reserve(c, &c->types) < 0 ||
	    ht_reserve(c, &c->services) < 0)
		return -ENOMEM;
	if (!t) {
		t = new_type = type_new(c, s->type, hash1(c, s->type));
		if (!t)
			return -ENOMEM;
	}
	e = calloc(1, sizeof(*e) + nl + dl + 2);
	if (!e)
		goto fail;
	char *p = (char *)(e + 1);
	memcpy(p, s->name, nl + 1);
	memcpy(p + nl + 1, domain, dl + 1);
	e->name = p, e->domain = p + nl + 1;
	e->host = strdup(s->host ? s->host : "");
	if (!e->host || txt_parse(s->txt, s->txt_len, s->n_txt, &e->txt) < 0 ||
	    grow_sightings(c, e, 1) < 0)
		goto fail;
	e->sightings[0] = (struct cache_sighting){s->ifindex, s->family, s->ours, false, *addr};
	e->n_sightings = 1;
	derive(e);
	e->type = t;
	e->port = s->port;
	e->first_seen = e->last_changed = now;
	e->id = ++c->id_counter;
	e->hash = h;

	if (new_type) {
		ht_insert(&c->types, t);
		ht_insert(&c->services, t);
		t->next = c->types_first;
		if (t->next)
			t->next->prev = t;
		c->types_first = t;
		c->st.types++;
		c->st.bytes += sizeof(*t) + strlen(t->name) + strlen(t->service) + 2;
	}
	ht_insert(&c->entries, e);
	e->next = t->first;
	if (e->next)
		e->next->prev = e;
	t->first = e;
	t->n_entries++;
	type_touch(c, t);
	c->st.instances++;
	c->st.added++;
	c->st.bytes += entry_size(e) -
	               e->cap * (sizeof(struct cache_sighting) + sizeof(struct cache_addr));
	emit(c, CACHE_EVENT_ADDED, e, 0);
	return CACHE_ADDED;
fail:
	if (e) {
		c->st.bytes -= e->cap * (sizeof(struct cache_sighting) + sizeof(struct cache_addr));
		txt_free(e->txt);
		free((char *)e->host);
		free(e->sightings);
		free(e);
	}
	free(new_type);
	return -ENOMEM;
}

int cache_upsert(struct cache *c, const struct mdns_instance *s, double now)
{
	const char *domain = s->domain ? s->domain : "local";
	struct cache_addr addr;
	char svc[DNSSD_SERVICE_NAME_MAX + 1];

	if (c->busy)
		return -EBUSY;
	if (!name_ok(s->name) || !name_ok(s->type) || !name_ok(domain) || !text_ok(s->host, true) ||
	    dnssd_type_service(s->type, svc, sizeof(svc)) < 0 || cache_addr_from(s, &addr) < 0 ||
	    (s->n_txt && (!s->txt || !s->txt_len)))
		return drop(c, CACHE_DROP_INVALID);

	uint64_t h = hash_key(c, s->name, s->type, domain);
	struct cache_entry *e = cache_find(c, s->name, s->type, domain);
	if (!e)
		return entry_add(c, s, domain, &addr, h, now);

	/* Allocate everything first so that -ENOMEM leaves the entry as it was. */
	struct cache_sighting *sg = find_sighting(e, s->ifindex, s->family);
	struct txt *txt = NULL;
	char *host = NULL;
	const char *new_host = s->host ? s->host : "";
	if (!sg && e->n_sightings >= CACHE_MAX_SIGHTINGS)
		return drop(c, CACHE_DROP_SIGHTINGS);
	if (!txt_equal_raw(e->txt, s->txt, s->txt_len, s->n_txt) &&
	    txt_parse(s->txt, s->txt_len, s->n_txt, &txt) < 0)
		return -ENOMEM;
	if (strcmp(e->host, new_host) != 0 && !(host = strdup(new_host)))
		goto oom;
	if (!sg && e->n_sightings == e->cap &&
	    grow_sightings(c, e,
	                   (uint8_t)(e->cap < CACHE_MAX_SIGHTINGS / 2 ? e->cap * 2
	                                                              : CACHE_MAX_SIGHTINGS)) < 0)
		goto oom;

	unsigned ch = 0;
	bool was_stale = e->stale;
	if (!sg) {
		sg = &e->sightings[e->n_sightings++];
		*sg = (struct cache_sighting){s->ifindex, s->family, s->ours, false, addr};
		ch |= CACHE_CH_IFACES;
	} else {
		sg->addr = addr;
		sg->ours = s->ours;
		sg->stale = false;
	}
	ch |= derive(e);
	if (txt) {
		c->st.bytes += txt->size - e->txt->size;
		txt_free(e->txt);
		e->txt = txt;
		ch |= CACHE_CH_TXT;
	}
	if (host) {
		c->st.bytes += strlen(host) - strlen(e->host);
		free((char *)e->host);
		e->host = host;
		ch |= CACHE_CH_HOST;
	}
	if (e->port != s->port) {
		e->port = s->port;
		ch |= CACHE_CH_PORT;
	}
	if (!ch) {
		/* Seen again after a browse restart: no event, but what
		 * selection derived from the type (stale entries last) moves. */
		if (was_stale != e->stale)
			type_touch(c, e->type);
		return CACHE_UNCHANGED;
	}
	entry_touch(c, e, now);
	c->st.changed++;
	emit(c, CACHE_EVENT_CHANGED, e, ch);
	return CACHE_CHANGED;
oom:
	txt_free(txt);
	free(host);
	return -ENOMEM;
}

/* ---- removal ------------------------------------------------------------- */

/* Drop sighting I of E; E goes with its last sighting. */
static int drop_sighting(struct cache *c, struct cache_entry *e, size_t i, enum cache_gone why,
                         double now)
{
	if (e->n_sightings == 1) {
		entry_remove(c, e, why);
		return CACHE_REMOVED;
	}
	memmove(&e->sightings[i], &e->sightings[i + 1],
	        (e->n_sightings - i - 1) * sizeof(*e->sightings));
	e->n_sightings--;
	unsigned ch = CACHE_CH_IFACES | derive(e);
	entry_touch(c, e, now);
	c->st.changed++;
	emit(c, CACHE_EVENT_CHANGED, e, ch);
	return CACHE_CHANGED;
}

int cache_remove_sighting(struct cache *c, const char *name, const char *type, const char *domain,
                          int ifindex, int family, enum cache_gone why, double now)
{
	if (c->busy)
		return -EBUSY;
	struct cache_entry *e = cache_find(c, name, type, domain);
	struct cache_sighting *sg = e ? find_sighting(e, ifindex, family) : NULL;
	if (!sg)
		return -ENOENT;
	return drop_sighting(c, e, (size_t)(sg - e->sightings), why, now);
}

int cache_set_down(struct cache *c, struct cache_entry *e, bool down, double now)
{
	if (c->busy)
		return -EBUSY;
	if (e->down == down)
		return CACHE_UNCHANGED;
	e->down = down;
	entry_touch(c, e, now);
	c->st.changed++;
	emit(c, CACHE_EVENT_CHANGED, e, CACHE_CH_DOWN);
	return CACHE_CHANGED;
}

/* The types that TYPE names: one, or all when NULL. */
#define FOR_TYPES(c, type, t, tn)                                                                  \
	for (struct cache_type *t = (type) ? cache_find_type(c, type) : (c)->types_first,          \
	                       *tn = t ? t->next : NULL;                                           \
	     t; t = (type) ? NULL : tn, tn = t ? t->next : NULL)

int cache_mark_stale(struct cache *c, const char *type)
{
	int n = 0;
	if (c->busy)
		return -EBUSY;
	FOR_TYPES(c, type, t, tn)
	{
		for (struct cache_entry *e = t->first; e; e = e->next) {
			bool all = true;

			for (size_t i = 0; i < e->n_sightings; i++) {
				if (e->sightings[i].ifindex == CACHE_IFINDEX_DNS)
					all = false;
				else
					e->sightings[i].stale = true;
			}
			if (e->stale != all)
				type_touch(c, t);
			e->stale = all;
			n += all;
		}
	}
	return n;
}

int cache_sweep_stale(struct cache *c, const char *type, double now)
{
	int n = 0;
	if (c->busy)
		return -EBUSY;
	FOR_TYPES(c, type, t, tn)
	{
		for (struct cache_entry *e = t->first, *en; e; e = en) {
			en = e->next;
			if (e->stale) {
				entry_remove(c, e, CACHE_GONE_STALE);
				n++;
				continue;
			}
			size_t kept = 0;
			for (size_t i = 0; i < e->n_sightings; i++)
				if (!e->sightings[i].stale)
					e->sightings[kept++] = e->sightings[i];
			if (kept == e->n_sightings)
				continue;
			e->n_sightings = (uint8_t)kept;
			unsigned ch = CACHE_CH_IFACES | derive(e);
			entry_touch(c, e, now);
			c->st.changed++;
			emit(c, CACHE_EVENT_CHANGED, e, ch);
		}
	}
	return n;
}

int cache_clear_type(struct cache *c, const char *type, double now)
{
	int n = 0;
	if (c->busy)
		return -EBUSY;
	struct cache_type *t = cache_find_type(c, type);
	struct cache_entry *e = t ? t->first : NULL;
	while (e) {
		/* The type is freed with its last entry. */
		bool last = t->n_entries == 1;
		struct cache_entry *next = e->next;
		if (cache_entry_from_dns(e)) {
			e = next;
			continue;
		}
		entry_remove(c, e, CACHE_GONE_RELEASED);
		n++;
		if (last)
			break;
		e = next;
	}
	return n;
}

void cache_get_stats(const struct cache *c, struct cache_stats *ret)
{
	*ret = c->st;
}
