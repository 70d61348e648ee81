/* SPDX-License-Identifier: MIT */
/* Browsing on the backend thread: one service browser per type, the type
 * enumeration, the table of sightings ((type, interface, protocol,
 * instance)) that resolve.c resolves, and each type's settled state. */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <avahi-client/lookup.h>
#include <avahi-common/address.h>
#include <avahi-common/error.h>

#include "dnssd/name.h"
#include "mdns/browse.h"
#include "mdns/internal.h"
#include "mdns/liveness.h"
#include "mdns/resolve.h"
#include "mdns/sighting.h"

#define DEFAULT_MAX   100000 /* sightings tracked */
#define TXT_ITEMS_MAX 1024   /* reported TXT strings per instance */
#ifndef RETRY_S
#define RETRY_S 5.0 /* re-try browsers avahi-daemon refused */
#endif

struct browse {
	struct mdns_core *c;
	struct br_type *types;
	bool all;
	AvahiServiceTypeBrowser *stb;
	struct br_inst **buckets;
	size_t n_buckets, n_inst, n_reported, n_withheld, dropped, max;
	ev_timer retry;
};

bool browse_type_ok(const char *type)
{
	return type && dnssd_check_type(type, NULL) == NULL;
}

/* ---- the table of sightings ------------------------------------------------ */

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t k = 0; k < n; k++)
		h = (h ^ s[k]) * 16777619u;
	return h;
}

static uint32_t inst_hash(const struct br_type *t, AvahiIfIndex ifi, AvahiProtocol proto,
                          const char *name, const char *domain)
{
	uint32_t h = 2166136261u;

	h = fnv(h, &t, sizeof(t));
	h = fnv(h, &ifi, sizeof(ifi));
	h = fnv(h, &proto, sizeof(proto));
	h = fnv(h, name, strlen(name) + 1);
	return dnssd_domain_is_local(domain) ? h : fnv(h, domain, strlen(domain));
}

static bool domain_eq(const char *a, const char *b)
{
	if (dnssd_domain_is_local(a) || dnssd_domain_is_local(b))
		return dnssd_domain_is_local(a) && dnssd_domain_is_local(b);
	return strcasecmp(a, b) == 0;
}

static struct br_inst *inst_find(const struct browse *b, const struct br_type *t, AvahiIfIndex ifi,
                                 AvahiProtocol proto, const char *name, const char *domain)
{
	uint32_t h;

	if (!b->n_buckets)
		return NULL;
	h = inst_hash(t, ifi, proto, name, domain);
	for (struct br_inst *i = b->buckets[h & (b->n_buckets - 1)]; i; i = i->hnext)
		if (i->hash == h && i->t == t && i->ifindex == ifi && i->proto == proto &&
		    strcmp(i->name, name) == 0 && domain_eq(i->domain, domain))
			return i;
	return NULL;
}

/* Keep the load factor at most 1 so lookups stay O(1) at 100k sightings. */
static int table_grow(struct browse *b)
{
	size_t n = b->n_buckets ? b->n_buckets * 2 : 64;
	struct br_inst **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return -ENOMEM;
	for (size_t k = 0; k < b->n_buckets; k++) {
		struct br_inst *i = b->buckets[k], *next;

		for (; i; i = next) {
			next = i->hnext;
			i->hnext = nb[i->hash & (n - 1)];
			nb[i->hash & (n - 1)] = i;
		}
	}
	free(b->buckets);
	b->buckets = nb;
	b->n_buckets = n;
	return 0;
}

struct br_inst *sighting_sibling(const struct br_inst *i)
{
	return inst_find(i->t->b, i->t, i->ifindex,
	                 i->proto == AVAHI_PROTO_INET ? AVAHI_PROTO_INET6 : AVAHI_PROTO_INET,
	                 i->name, i->domain);
}

/* ---- settling ---------------------------------------------------------------- */

static void maybe_settle(struct br_type *t)
{
	if (t->settled || !t->all_for_now || t->awaiting > 0)
		return;
	t->settled = true;
	core_emit_browse_state(t->c, t->type, true);
}

/* I's first resolution is over (found or failed). */
static void settle_one(struct br_inst *i)
{
	if (!i->awaited)
		return;
	i->awaited = false;
	i->t->awaiting--;
	maybe_settle(i->t);
}

void sighting_failed(struct br_inst *i)
{
	settle_one(i);
}

/* ---- results ------------------------------------------------------------------ */

static void addr_from_avahi(const AvahiAddress *a, AvahiIfIndex ifi, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->proto == AVAHI_PROTO_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = a->data.ipv4.address;
	} else if (a->proto == AVAHI_PROTO_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->data.ipv6.address, 16);
		/* A link-local address is only usable with its interface. */
		if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
			s6->sin6_scope_id = (uint32_t)ifi;
	}
}

void sighting_found(struct br_inst *i, AvahiIfIndex ifi, const char *host, const AvahiAddress *a,
                    uint16_t port, AvahiStringList *txt, AvahiLookupResultFlags flags)
{
	const uint8_t *items[TXT_ITEMS_MAX];
	size_t lens[TXT_ITEMS_MAX], n = 0;
	struct mdns_instance mi = {
	        .name = i->name,
	        .type = i->t->type,
	        .domain = i->domain ? i->domain : "local",
	        .host = host ? host : "",
	        .ifindex = ifi,
	        .family = avahi_proto_to_af(a->proto),
	        .port = port,
	        .local = i->local || (flags & AVAHI_LOOKUP_RESULT_LOCAL),
	        /* avahi-daemon sets OUR_OWN on each resolver result whose SRV
	         * belongs to an entry group of this same D-Bus client
	         * (avahi_dbus_is_our_own_service()); every record lanyardd
	         * publishes goes through that client. */
	        .ours = (flags & AVAHI_LOOKUP_RESULT_OUR_OWN) != 0,
	};

	/* A resolver's list iterates in record (wire) order. */
	for (AvahiStringList *l = txt; l && n < TXT_ITEMS_MAX; l = l->next, n++) {
		items[n] = l->text;
		lens[n] = l->size;
	}
	mi.txt = items;
	mi.txt_len = lens;
	mi.n_txt = n;
	addr_from_avahi(a, ifi, &mi.addr);
	/* Liveness goes by host: anything announced from this host needs
	 * no watching, whoever published it. */
	if (liveness_found(i->t->c->lv, i, mi.local ? NULL : mi.host)) {
		/* Its host is down: not reported (any more) until it answers
		 * again, nor resolved meanwhile. */
		sighting_withhold(i);
		settle_one(i);
		return;
	}
	if (i->withheld)
		i->t->b->n_withheld--;
	i->withheld = false;
	if (!i->reported)
		i->t->b->n_reported++;
	i->reported = true;
	core_emit_instance(i->t->c, MDNS_INSTANCE_UPSERT, &mi);
	settle_one(i);
}

/* Report I removed, for WHY (enum mdns_gone), if it was reported. */
static void report_remove(struct br_inst *i, enum mdns_gone why)
{
	struct mdns_instance mi = {
	        .name = i->name,
	        .type = i->t->type,
	        .domain = i->domain ? i->domain : "local",
	        .ifindex = i->ifindex,
	        .family = avahi_proto_to_af(i->proto),
	        .gone = (uint8_t)why,
	};

	if (i->reported)
		core_emit_instance(i->t->c, MDNS_INSTANCE_REMOVE, &mi);
}

void sighting_withhold(struct br_inst *i)
{
	struct browse *b = i->t->b;

	report_remove(i, MDNS_GONE_HOST_DOWN);
	if (i->reported)
		b->n_reported--;
	i->reported = false;
	if (!i->withheld)
		b->n_withheld++;
	i->withheld = true;
	resolve_park(b->c->res, i);
}

void sighting_release(struct br_inst *i)
{
	/* Reported again when its resolution comes (still withheld till
	 * then, in case the host goes down again first). */
	resolve_soon(i->t->c->res, i);
}

/* ---- sightings ------------------------------------------------------------------ */

/* Unlink and free I (see resolve_remove() for WHY). */
static void inst_drop(struct br_inst *i, enum resolve_gone why)
{
	struct browse *b = i->t->b;
	struct br_inst **pp = &b->buckets[i->hash & (b->n_buckets - 1)];

	/* While I is still in the table: its sibling is found. */
	resolve_remove(b->c->res, i, why);
	liveness_drop(b->c->lv, i);
	while (*pp != i)
		pp = &(*pp)->hnext;
	*pp = i->hnext;
	if (i->prev)
		i->prev->next = i->next;
	else
		i->t->insts = i->next;
	if (i->next)
		i->next->prev = i->prev;
	if (i->awaited)
		i->t->awaiting--;
	if (i->reported)
		b->n_reported--;
	if (i->withheld)
		b->n_withheld--;
	b->n_inst--;
	free(i->domain);
	free(i);
}

static void item_new(struct br_type *t, AvahiIfIndex ifi, AvahiProtocol proto, const char *name,
                     const char *domain, AvahiLookupResultFlags flags)
{
	struct browse *b = t->b;
	struct br_inst *i;
	size_t nl = strlen(name);

	if (inst_find(b, t, ifi, proto, name, domain))
		return;
	if (b->n_inst >= b->max) {
		b->dropped++;
		return;
	}
	if (b->n_inst >= b->n_buckets && table_grow(b) < 0)
		return;
	i = calloc(1, sizeof(*i) + nl + 1);
	if (!i)
		return;
	if (!dnssd_domain_is_local(domain) && !(i->domain = strdup(domain))) {
		free(i);
		return;
	}
	memcpy(i->name, name, nl + 1);
	i->t = t;
	i->ifindex = ifi;
	i->proto = proto;
	i->local = flags & AVAHI_LOOKUP_RESULT_LOCAL;
	i->hash = inst_hash(t, ifi, proto, name, domain);
	i->hnext = b->buckets[i->hash & (b->n_buckets - 1)];
	b->buckets[i->hash & (b->n_buckets - 1)] = i;
	i->next = t->insts;
	if (i->next)
		i->next->prev = i;
	t->insts = i;
	b->n_inst++;
	if (!t->all_for_now) {
		i->awaited = true;
		t->awaiting++;
	}
	resolve_add(b->c->res, i);
}

/* ---- types --------------------------------------------------------------------- */

static void start_retry(struct browse *b)
{
	if (!ev_is_active(&b->retry)) {
		ev_timer_set(&b->retry, RETRY_S, 0.);
		ev_timer_start(b->c->loop, &b->retry);
	}
}

/* The type's browser is gone (client lost or browser failed). */
static void type_lost(struct br_type *t, bool client_gone)
{
	while (t->insts)
		inst_drop(t->insts, client_gone ? RESOLVE_GONE_CLIENT : RESOLVE_GONE_TYPE);
	if (t->sb && !client_gone) {
		core_call(t->c, -1);
		avahi_service_browser_free(t->sb);
	}
	t->sb = NULL;
	t->all_for_now = false;
	t->settled = false;
	t->awaiting = 0;
	/* Not REMOVEs: the instances may well still exist; the cache marks
	 * them stale until this type settles again. */
	core_emit_browse_state(t->c, t->type, false);
}

static void browse_cb(AvahiServiceBrowser *sb, AvahiIfIndex ifi, AvahiProtocol proto,
                      AvahiBrowserEvent ev, const char *name, const char *type, const char *domain,
                      AvahiLookupResultFlags flags, void *userdata)
{
	struct br_type *t = userdata;
	struct br_inst *i;

	if (sb != t->sb)
		return; /* from inside avahi_service_browser_new() */
	switch (ev) {
	case AVAHI_BROWSER_NEW:
		if (name && domain)
			item_new(t, ifi, proto, name, domain, flags);
		break;
	case AVAHI_BROWSER_REMOVE:
		if (!name || !domain || !(i = inst_find(t->b, t, ifi, proto, name, domain)))
			break;
		report_remove(i, MDNS_GONE_WITHDRAWN);
		inst_drop(i, RESOLVE_GONE_ONE);
		maybe_settle(t);
		break;
	case AVAHI_BROWSER_ALL_FOR_NOW:
		t->all_for_now = true;
		maybe_settle(t);
		break;
	case AVAHI_BROWSER_CACHE_EXHAUSTED:
		break;
	case AVAHI_BROWSER_FAILURE:
		type_lost(t, false);
		start_retry(t->b);
		break;
	}
}

/* Open the browser for T if the client runs; failures are retried. */
static void type_start(struct br_type *t)
{
	struct mdns_core *c = t->c;

	if (t->sb || !core_running(c))
		return;
	core_call(c, 1);
	t->sb = avahi_service_browser_new(c->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, t->type,
	                                  NULL, 0, browse_cb, t);
	if (t->sb)
		return;
	core_call(c, -1);
	/* A browser comes before kept resolvers. */
	if (avahi_client_errno(c->client) == AVAHI_ERR_TOO_MANY_OBJECTS && core_refused(c))
		resolve_make_room(c->res, 1);
	start_retry(t->b);
}

static struct br_type *type_find(const struct browse *b, const char *type)
{
	for (struct br_type *t = b->types; t; t = t->next)
		if (strcasecmp(t->type, type) == 0)
			return t;
	return NULL;
}

static void type_free(struct br_type *t)
{
	while (t->insts)
		inst_drop(t->insts, RESOLVE_GONE_TYPE);
	if (t->sb) {
		core_call(t->c, -1);
		avahi_service_browser_free(t->sb);
	}
	free(t->type);
	free(t);
}

void browse_add(struct browse *b, const char *type)
{
	struct br_type *t;

	if (type_find(b, type))
		return;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->type = strdup(type))) {
		free(t);
		return;
	}
	t->b = b;
	t->c = b->c;
	t->next = b->types;
	b->types = t;
	type_start(t);
}

void browse_remove(struct browse *b, const char *type)
{
	for (struct br_type **pp = &b->types; *pp; pp = &(*pp)->next) {
		struct br_type *t = *pp;

		if (strcasecmp(t->type, type) != 0)
			continue;
		*pp = t->next;
		type_free(t);
		return;
	}
}

static void type_browser_cb(AvahiServiceTypeBrowser *stb, AvahiIfIndex ifi, AvahiProtocol proto,
                            AvahiBrowserEvent ev, const char *type, const char *domain,
                            AvahiLookupResultFlags flags, void *userdata)
{
	struct browse *b = userdata;

	if (stb != b->stb)
		return;
	if (ev == AVAHI_BROWSER_FAILURE) {
		core_call(b->c, -1);
		avahi_service_type_browser_free(stb);
		b->stb = NULL;
		start_retry(b);
		return;
	}
	/* Bogus types from the LAN are not worth an event. */
	if (ev == AVAHI_BROWSER_NEW && browse_type_ok(type))
		core_emit_type_found(b->c, type);
}

static void start_type_browser(struct browse *b)
{
	struct mdns_core *c = b->c;

	if (!b->all || b->stb || !core_running(c))
		return;
	core_call(c, 1);
	b->stb = avahi_service_type_browser_new(c->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
	                                        NULL, 0, type_browser_cb, b);
	if (b->stb)
		return;
	core_call(c, -1);
	start_retry(b);
}

void browse_types(struct browse *b, bool on)
{
	b->all = on;
	if (on) {
		start_type_browser(b);
	} else if (b->stb) {
		core_call(b->c, -1);
		avahi_service_type_browser_free(b->stb);
		b->stb = NULL;
	}
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct browse *b = w->data;

	start_type_browser(b);
	for (struct br_type *t = b->types; t; t = t->next)
		type_start(t);
}

/* ---- life cycle ------------------------------------------------------------------- */

struct browse *browse_new(struct mdns_core *c)
{
	struct browse *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->c = c;
	b->max = DEFAULT_MAX;
	ev_timer_init(&b->retry, retry_cb, RETRY_S, 0.);
	b->retry.data = b;
	return b;
}

void browse_free(struct browse *b)
{
	if (!b)
		return;
	ev_timer_stop(b->c->loop, &b->retry);
	if (b->stb) {
		core_call(b->c, -1);
		avahi_service_type_browser_free(b->stb);
	}
	while (b->types) {
		struct br_type *t = b->types;

		b->types = t->next;
		type_free(t);
	}
	free(b->buckets);
	free(b);
}

void browse_set_max(struct browse *b, size_t max)
{
	b->max = max ? max : DEFAULT_MAX;
}

size_t browse_make_room(struct browse *b, size_t n)
{
	return b ? resolve_make_room(b->c->res, n) : 0;
}

void browse_stats(const struct browse *b, struct mdns_stats *ret)
{
	if (!b)
		return;
	ret->instances = b->n_inst;
	ret->unresolved = b->n_inst - b->n_reported - b->n_withheld;
	ret->withheld = b->n_withheld;
	ret->dropped = b->dropped;
	resolve_stats(b->c->res, ret);
}

void browse_client_running(struct browse *b)
{
	start_type_browser(b);
	for (struct br_type *t = b->types; t; t = t->next)
		type_start(t);
	resolve_client_running(b->c->res);
}

void browse_client_lost(struct browse *b)
{
	b->stb = NULL;
	ev_timer_stop(b->c->loop, &b->retry);
	resolve_client_lost(b->c->res);
	for (struct br_type *t = b->types; t; t = t->next)
		type_lost(t, true);
}
