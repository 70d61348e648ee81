/* SPDX-License-Identifier: MIT */
/* Browsing and resolving on the backend thread, within avahi-daemon's
 * per-client object budget: one browser per type; every sighting resolved
 * by a short-lived resolver (a few at a time); one resolver per instance
 * kept open while the budget allows, so its changes arrive live; the
 * sightings without one resolved again every REFRESH_S. */
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

#define DEFAULT_MAX   100000 /* sightings tracked */
#define TXT_ITEMS_MAX 1024   /* reported TXT strings per instance */
#define RETRY_S       5.0    /* re-try browsers and resolvers that failed */
/* Short-lived resolvers open at once: bounds the objects they take and the
 * queries a storm of new instances sends. */
#define INFLIGHT_MAX 16
/* Objects left free beyond INFLIGHT_MAX, for entry groups and browsers. */
#define OBJECTS_MARGIN 16
/* A sighting without a kept resolver is resolved again this often, so its
 * changes arrive at most this late. A short-lived resolver freed at its
 * answer costs two D-Bus round trips and no mDNS query while avahi-daemon
 * holds the records (it withdraws the query, sent 100 ms late, of a
 * resolver already freed); past their TTL (SRV 120 s) one query round. */
#define REFRESH_S 30.0
/* ...but at most this many refreshes a second: with thousands of sightings
 * the period grows (10 000 sightings: 200 s) rather than the load. */
#define REFRESH_PER_S 50.0
/* Kept resolvers at most, whatever the budget: each costs avahi-daemon
 * about 4 KiB and makes it query the LAN (1, 2, 4... s after it opens,
 * then SRV every ~100 s); measured, 4 096 of them kept six avahi-daemons
 * busy. Past this, sightings are refreshed instead. */
#define KEPT_MAX 1024

enum inst_state {
	INST_IDLE,      /* no resolver (resolved_at > 0 once resolved) */
	INST_QUEUED,    /* waiting for a short-lived resolver */
	INST_RESOLVING, /* a short-lived resolver is open */
	INST_KEPT,      /* a resolver is kept open for changes */
};

struct br_type;

/* One sighting: an instance on one (interface, protocol). */
struct br_inst {
	struct br_inst *hnext;         /* hash chain */
	struct br_inst *prev, *next;   /* in its type's list */
	struct br_inst *qprev, *qnext; /* in the resolve queue or the refresh list */
	struct br_type *t;
	AvahiServiceResolver *r;
	double resolved_at; /* last FOUND, ev_now(); 0 = never */
	AvahiIfIndex ifindex;
	AvahiProtocol proto;
	uint32_t hash;
	uint8_t state;   /* enum inst_state */
	bool in_refresh; /* on the refresh list (qprev/qnext) */
	bool reported;   /* an UPSERT was sent, so a REMOVE is owed */
	bool awaited;    /* its first result gates the type's settled state */
	bool local;
	char *domain; /* NULL: "local" */
	char name[];  /* instance name */
};

struct br_type {
	struct browse *b;
	char *type;
	AvahiServiceBrowser *sb; /* NULL while not running */
	struct br_inst *insts;
	size_t awaiting;  /* sightings found before ALL_FOR_NOW, unresolved */
	bool all_for_now; /* the browser's first pass is done */
	bool settled;     /* reported settled */
	struct br_type *next;
};

/* A FIFO of sightings linked through qprev/qnext. */
struct br_list {
	struct br_inst *head, *tail;
	size_t n;
};

struct browse {
	struct mdns_core *c;
	struct br_type *types;
	bool all;
	AvahiServiceTypeBrowser *stb;
	struct br_inst **buckets;
	size_t n_buckets, n_inst, dropped, max;
	size_t inflight, kept, failed;
	struct br_list queue;   /* to resolve, oldest first */
	struct br_list refresh; /* resolved without a kept resolver, oldest first */
	double refreshed_at;    /* the last refresh round (ev_now) */
	ev_timer retry;
	ev_timer refresh_timer;
};

static void pump(struct browse *b);

bool browse_type_ok(const char *type)
{
	return type && dnssd_check_type(type, NULL) == NULL;
}

/* ---- lists ------------------------------------------------------------------ */

static void list_remove(struct br_list *l, struct br_inst *i)
{
	if (i->qprev)
		i->qprev->qnext = i->qnext;
	else
		l->head = i->qnext;
	if (i->qnext)
		i->qnext->qprev = i->qprev;
	else
		l->tail = i->qprev;
	i->qprev = i->qnext = NULL;
	l->n--;
}

static void list_append(struct br_list *l, struct br_inst *i)
{
	i->qnext = NULL;
	i->qprev = l->tail;
	if (l->tail)
		l->tail->qnext = i;
	else
		l->head = i;
	l->tail = i;
	l->n++;
}

/* ---- the table of sightings -------------------------------------------------- */

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t k = 0; k < n; k++)
		h = (h ^ s[k]) * 16777619u;
	return h;
}

static bool is_local_domain(const char *d)
{
	return !d || strcasecmp(d, "local") == 0 || strcasecmp(d, "local.") == 0;
}

static uint32_t inst_hash(const struct br_type *t, AvahiIfIndex ifi, AvahiProtocol proto,
                          const char *name, const char *domain)
{
	uint32_t h = 2166136261u;

	h = fnv(h, &t, sizeof(t));
	h = fnv(h, &ifi, sizeof(ifi));
	h = fnv(h, &proto, sizeof(proto));
	h = fnv(h, name, strlen(name) + 1);
	return is_local_domain(domain) ? h : fnv(h, domain, strlen(domain));
}

static bool domain_eq(const char *a, const char *b)
{
	if (is_local_domain(a) || is_local_domain(b))
		return is_local_domain(a) && is_local_domain(b);
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

/* ---- resolvers ------------------------------------------------------------------ */

static void start_retry(struct browse *b)
{
	if (!ev_is_active(&b->retry)) {
		ev_timer_set(&b->retry, RETRY_S, 0.);
		ev_timer_start(b->c->loop, &b->retry);
	}
}

/* Close I's resolver, if any; I becomes idle. */
static void resolver_close(struct br_inst *i)
{
	struct browse *b = i->t->b;

	if (i->r) {
		core_call(b->c, -1);
		avahi_service_resolver_free(i->r);
		i->r = NULL;
	}
	if (i->state == INST_RESOLVING)
		b->inflight--;
	else if (i->state == INST_KEPT)
		b->kept--;
	i->state = INST_IDLE;
}

/* Take I off whichever list it is on. */
static void unlist(struct br_inst *i)
{
	struct browse *b = i->t->b;

	if (i->state == INST_QUEUED) {
		list_remove(&b->queue, i);
		i->state = INST_IDLE;
	} else if (i->in_refresh) {
		list_remove(&b->refresh, i);
		i->in_refresh = false;
	}
}

/* Resolve I soon (a few at a time, in order). */
static void enqueue(struct br_inst *i)
{
	struct browse *b = i->t->b;

	if (i->state != INST_IDLE)
		return;
	unlist(i);
	i->state = INST_QUEUED;
	list_append(&b->queue, i);
}

/* The sighting of I's instance on the same interface with the other
 * protocol, or NULL. */
static struct br_inst *sibling(const struct br_inst *i)
{
	return inst_find(i->t->b, i->t, i->ifindex,
	                 i->proto == AVAHI_PROTO_INET ? AVAHI_PROTO_INET6 : AVAHI_PROTO_INET,
	                 i->name, i->domain ? i->domain : "local");
}

/* I was resolved and has no kept resolver: resolve it again later, unless
 * its sibling's kept resolver tells of changes. */
static void schedule_refresh(struct br_inst *i)
{
	struct browse *b = i->t->b;
	struct br_inst *o = sibling(i);

	unlist(i);
	if (o && o->state == INST_KEPT)
		return;
	i->in_refresh = true;
	list_append(&b->refresh, i);
	if (!ev_is_active(&b->refresh_timer)) {
		ev_timer_set(&b->refresh_timer, i->resolved_at + REFRESH_S - ev_now(b->c->loop),
		             0.);
		ev_timer_start(b->c->loop, &b->refresh_timer);
	}
}

static void refresh_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct browse *b = w->data;
	double now = ev_now(loop), since = now - b->refreshed_at;
	/* The rate cap: what the time since the last round allows, at most a
	 * second's worth. */
	size_t budget = (size_t)(REFRESH_PER_S * (since < 1.0 ? since : 1.0)) + 1;
	struct br_inst *i;

	b->refreshed_at = now;
	while ((i = b->refresh.head) && i->resolved_at + REFRESH_S <= now && budget > 0) {
		list_remove(&b->refresh, i);
		i->in_refresh = false;
		enqueue(i);
		budget--;
	}
	if (i) {
		double next = i->resolved_at + REFRESH_S - now;

		ev_timer_set(w, next > 0.1 ? next : 0.1, 0.);
		ev_timer_start(loop, w);
	}
	pump(b);
}

static size_t kept_budget(const struct browse *b)
{
	size_t max = b->c->objects_max;

	if (max == OBJECTS_UNKNOWN)
		return SIZE_MAX;
	return max > INFLIGHT_MAX + OBJECTS_MARGIN ? max - INFLIGHT_MAX - OBJECTS_MARGIN : 0;
}

/* May I keep its resolver open? One per instance and interface: the IPv4
 * sighting's, or the IPv6 one's when there is no IPv4 sighting; and only
 * while the object budget has room. */
static bool may_keep(const struct br_inst *i)
{
	const struct browse *b = i->t->b;

	if (b->kept >= KEPT_MAX || b->c->objects > kept_budget(b))
		return false;
	if (i->proto == AVAHI_PROTO_INET)
		return true;
	return !inst_find(b, i->t, i->ifindex, AVAHI_PROTO_INET, i->name,
	                  i->domain ? i->domain : "local");
}

static void settle_one(struct br_inst *i);

/* Close I's kept resolver: I and its sibling are refreshed from now on. */
static void demote(struct br_inst *i)
{
	struct br_inst *o = sibling(i);

	resolver_close(i);
	schedule_refresh(i);
	if (o && o->state == INST_IDLE && o->reported && !o->in_refresh)
		schedule_refresh(o);
}

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

/* Send I's resolver result up. */
static void report_found(struct br_inst *i, AvahiIfIndex ifi, const char *host,
                         const AvahiAddress *a, uint16_t port, AvahiStringList *txt,
                         AvahiLookupResultFlags flags)
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
	i->reported = true;
	core_emit_instance(i->t->b->c, MDNS_INSTANCE_UPSERT, &mi);
}

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex ifi, AvahiProtocol proto,
                       AvahiResolverEvent ev, const char *name, const char *type,
                       const char *domain, const char *host, const AvahiAddress *a, uint16_t port,
                       AvahiStringList *txt, AvahiLookupResultFlags flags, void *userdata)
{
	struct br_inst *i = userdata;
	struct browse *b = i->t->b;

	if (r != i->r)
		return; /* from inside avahi_service_resolver_new() */
	if (ev == AVAHI_RESOLVER_FOUND && a) {
		report_found(i, ifi, host, a, port, txt, flags);
		i->resolved_at = ev_now(b->c->loop);
		if (i->state == INST_KEPT) {
			/* A change: the other protocol's sighting may have
			 * changed too (port, host, TXT). */
			struct br_inst *o = sibling(i);

			if (o && o->state == INST_IDLE && o->reported)
				enqueue(o);
		} else if (i->state == INST_RESOLVING && may_keep(i)) {
			b->inflight--;
			i->state = INST_KEPT;
			b->kept++;
		} else if (i->state == INST_RESOLVING) {
			resolver_close(i);
			schedule_refresh(i);
		}
	} else if (ev == AVAHI_RESOLVER_FAILURE && i->state == INST_RESOLVING) {
		/* A timeout, typically while avahi-daemon is swamped: try again
		 * later. A kept resolver that fails (the records expired) stays:
		 * it reports the instance again if it comes back, and removal
		 * comes from the browser. */
		resolver_close(i);
		if (i->reported) {
			schedule_refresh(i);
		} else {
			b->failed++;
			start_retry(b);
		}
	}
	settle_one(i);
	pump(b);
}

/* Open a short-lived resolver for I; false if avahi refused it. */
static bool resolver_open(struct br_inst *i)
{
	struct browse *b = i->t->b;
	struct mdns_core *c = b->c;
	int e;

	core_call(c, 1);
	c->resolves++;
	i->state = INST_RESOLVING;
	b->inflight++;
	/* The address of the sighting's own protocol: an IPv4 sighting
	 * reports the A record, an IPv6 one the AAAA. */
	i->r = avahi_service_resolver_new(c->client, i->ifindex, i->proto, i->name, i->t->type,
	                                  i->domain, i->proto, 0, resolve_cb, i);
	if (i->r)
		return true;
	core_call(c, -1);
	b->inflight--;
	i->state = INST_IDLE;
	e = avahi_client_errno(c->client);
	if (e == AVAHI_ERR_TOO_MANY_OBJECTS && core_refused(c))
		browse_make_room(b, 0);
	return false;
}

/* Open resolvers for the queue, as many as fit. */
static void pump(struct browse *b)
{
	struct mdns_core *c = b->c;
	struct br_inst *i;

	if (!core_running(c))
		return;
	while ((i = b->queue.head) && b->inflight < INFLIGHT_MAX) {
		list_remove(&b->queue, i);
		i->state = INST_IDLE;
		if (!resolver_open(i)) {
			/* Over the budget: back in front, tried again later. */
			i->state = INST_QUEUED;
			i->qnext = b->queue.head;
			if (b->queue.head)
				b->queue.head->qprev = i;
			else
				b->queue.tail = i;
			b->queue.head = i;
			b->queue.n++;
			start_retry(b);
			return;
		}
	}
}

size_t browse_make_room(struct browse *b, size_t n)
{
	struct mdns_core *c = b->c;
	size_t freed = 0;

	if (!b || c->objects_max == OBJECTS_UNKNOWN)
		return 0;
	for (struct br_type *t = b->types; t; t = t->next) {
		for (struct br_inst *i = t->insts; i; i = i->next) {
			if (c->objects + n + INFLIGHT_MAX + OBJECTS_MARGIN <= c->objects_max &&
			    b->kept <= kept_budget(b))
				return freed;
			if (i->state != INST_KEPT)
				continue;
			demote(i);
			freed++;
		}
	}
	return freed;
}

/* ---- settling --------------------------------------------------------------------- */

static void maybe_settle(struct br_type *t)
{
	if (t->settled || !t->all_for_now || t->awaiting > 0)
		return;
	t->settled = true;
	core_emit_browse_state(t->b->c, t->type, true);
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

/* ---- sightings ---------------------------------------------------------------------- */

/* Unlink and free I; its resolver too if FREE_AVAHI (else the client is
 * already gone with it). */
static void inst_drop(struct br_inst *i, bool free_avahi)
{
	struct browse *b = i->t->b;
	struct br_inst **pp = &b->buckets[i->hash & (b->n_buckets - 1)];

	struct br_inst *o = free_avahi && i->state == INST_KEPT ? sibling(i) : NULL;

	unlist(i);
	if (!free_avahi)
		i->r = NULL;
	resolver_close(i);
	/* Its sibling took changes from I's resolver: it needs its own. */
	if (o && o->state == INST_IDLE && o->reported)
		enqueue(o);
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
	b->n_inst--;
	free(i->domain);
	free(i);
}

static void report_remove(struct br_inst *i)
{
	struct mdns_instance mi = {
	        .name = i->name,
	        .type = i->t->type,
	        .domain = i->domain ? i->domain : "local",
	        .ifindex = i->ifindex,
	        .family = avahi_proto_to_af(i->proto),
	};

	if (i->reported)
		core_emit_instance(i->t->b->c, MDNS_INSTANCE_REMOVE, &mi);
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
	if (!is_local_domain(domain) && !(i->domain = strdup(domain))) {
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
	enqueue(i);
	pump(b);
}

/* ---- types --------------------------------------------------------------------------- */

/* The type's browser is gone (client lost or browser failed). */
static void type_lost(struct br_type *t, bool free_avahi)
{
	while (t->insts)
		inst_drop(t->insts, free_avahi);
	if (t->sb && free_avahi) {
		core_call(t->b->c, -1);
		avahi_service_browser_free(t->sb);
	}
	t->sb = NULL;
	t->all_for_now = false;
	t->settled = false;
	t->awaiting = 0;
	/* Not REMOVEs: the instances may well still exist; the cache marks
	 * them stale until this type settles again. */
	core_emit_browse_state(t->b->c, t->type, false);
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
		report_remove(i);
		inst_drop(i, true);
		maybe_settle(t);
		pump(t->b);
		break;
	case AVAHI_BROWSER_ALL_FOR_NOW:
		t->all_for_now = true;
		maybe_settle(t);
		break;
	case AVAHI_BROWSER_CACHE_EXHAUSTED:
		break;
	case AVAHI_BROWSER_FAILURE:
		type_lost(t, true);
		start_retry(t->b);
		break;
	}
}

/* Open the browser for T if the client runs; failures are retried. */
static void type_start(struct br_type *t)
{
	struct browse *b = t->b;
	struct mdns_core *c = b->c;

	if (t->sb || !core_running(c))
		return;
	core_call(c, 1);
	t->sb = avahi_service_browser_new(c->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, t->type,
	                                  NULL, 0, browse_cb, t);
	if (t->sb)
		return;
	core_call(c, -1);
	if (avahi_client_errno(c->client) == AVAHI_ERR_TOO_MANY_OBJECTS && core_refused(c))
		browse_make_room(b, 1);
	start_retry(b);
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
		inst_drop(t->insts, true);
	if (t->sb) {
		core_call(t->b->c, -1);
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
	t->next = b->types;
	b->types = t;
	type_start(t);
}

void browse_remove(struct browse *b, const char *type)
{
	for (struct br_type **pp = &b->types; *pp; pp = &(*pp)->next) {
		if (strcasecmp((*pp)->type, type) != 0)
			continue;
		struct br_type *t = *pp;

		*pp = t->next;
		type_free(t);
		pump(b);
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

	if (!core_running(b->c))
		return; /* everything restarts on RUNNING */
	start_type_browser(b);
	for (struct br_type *t = b->types; t; t = t->next) {
		type_start(t);
		if (!b->failed)
			continue;
		for (struct br_inst *i = t->insts; i; i = i->next) {
			if (i->state != INST_IDLE || i->reported || i->in_refresh)
				continue;
			b->failed--;
			enqueue(i);
		}
	}
	b->failed = 0;
	pump(b);
}

/* ---- life cycle ------------------------------------------------------------------------ */

struct browse *browse_new(struct mdns_core *c)
{
	struct browse *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->c = c;
	b->max = DEFAULT_MAX;
	ev_timer_init(&b->retry, retry_cb, RETRY_S, 0.);
	b->retry.data = b;
	ev_timer_init(&b->refresh_timer, refresh_cb, REFRESH_S, 0.);
	b->refresh_timer.data = b;
	return b;
}

void browse_free(struct browse *b)
{
	if (!b)
		return;
	ev_timer_stop(b->c->loop, &b->retry);
	ev_timer_stop(b->c->loop, &b->refresh_timer);
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

void browse_stats(const struct browse *b, struct mdns_stats *ret)
{
	if (!b)
		return;
	ret->instances = b->n_inst;
	ret->unresolved = b->queue.n + b->inflight + b->failed;
	ret->dropped = b->dropped;
	ret->resolvers = b->inflight + b->kept;
}

void browse_client_running(struct browse *b)
{
	start_type_browser(b);
	for (struct br_type *t = b->types; t; t = t->next)
		type_start(t);
	pump(b);
}

void browse_client_lost(struct browse *b)
{
	b->stb = NULL;
	ev_timer_stop(b->c->loop, &b->retry);
	for (struct br_type *t = b->types; t; t = t->next)
		type_lost(t, false);
	b->failed = 0;
}
