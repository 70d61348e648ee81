/* SPDX-License-Identifier: MIT */
/* Browsing and resolving: one service browser per type, one resolver kept
 * open per (interface, protocol, instance), reported as instance events. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <avahi-client/lookup.h>
#include <avahi-common/address.h>
#include <avahi-common/domain.h>
#include <avahi-common/error.h>

#include "mdns/browse.h"
#include "mdns/internal.h"

#define TYPES_MAX     512    /* browse: all on a hostile LAN stays bounded */
#define DEFAULT_MAX   100000 /* instances (= open resolvers) */
#define TXT_ITEMS_MAX 1024   /* reported TXT strings per instance */
#define RETRY_S       5.0    /* re-try browsers/resolvers Avahi refused */
/* Resolvers opened per loop iteration. avahi_service_resolver_new() is a
 * blocking D-Bus round trip: opening thousands at once (a host announcing
 * 2 000 services) stalled the consumer socket for seconds. */
#define OPEN_BATCH   16
#define TYPE_LEN_MAX 255

struct br_type;

/* One instance on one (interface, protocol), with its open resolver. */
struct br_inst {
	struct br_inst *hnext;       /* hash bucket chain */
	struct br_inst *prev, *next; /* in its type's list */
	struct br_type *t;
	AvahiServiceResolver *r; /* NULL: Avahi refused it; retried */
	AvahiIfIndex ifindex;
	AvahiProtocol proto;
	uint32_t hash;
	struct br_inst *qprev, *qnext; /* in the queue of resolvers to open */
	bool queued;
	bool reported; /* an UPSERT was sent, so a REMOVE is owed */
	bool awaited;  /* its first result gates the type's settled state */
	bool local;
	char *domain;
	char name[]; /* instance name */
};

struct br_type {
	struct browse *b;
	char *type;
	AvahiServiceBrowser *sb; /* NULL while not running */
	struct br_inst *insts;
	size_t awaiting;    /* instances found before ALL_FOR_NOW, unresolved */
	bool all_for_now;   /* the browser's first pass is done */
	bool settled;       /* reported settled */
	bool type_reported; /* type_found sent */
	struct br_type *next;
};

struct browse {
	struct mdns *m;
	struct br_type *types, **types_tail;
	size_t n_types;
	bool all;
	AvahiServiceTypeBrowser *stb;
	struct br_inst **buckets;
	size_t n_buckets, n_inst, n_unresolved, dropped, max;
	ev_timer retry;
	struct br_inst *queue, *queue_tail; /* resolvers to open, oldest first */
	ev_check open_check;                /* opens a batch after each poll */
	ev_idle open_idle;                  /* keeps the poll from blocking meanwhile */
};

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 16777619u;
	}
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
	return fnv(h, domain, strlen(domain));
}

static struct br_inst *inst_find(struct browse *b, struct br_type *t, AvahiIfIndex ifi,
                                 AvahiProtocol proto, const char *name, const char *domain)
{
	uint32_t h;

	if (!b->n_buckets)
		return NULL;
	h = inst_hash(t, ifi, proto, name, domain);
	for (struct br_inst *i = b->buckets[h & (b->n_buckets - 1)]; i; i = i->hnext)
		if (i->hash == h && i->t == t && i->ifindex == ifi && i->proto == proto &&
		    strcmp(i->name, name) == 0 && strcmp(i->domain, domain) == 0)
			return i;
	return NULL;
}

/* Keep the load factor at most 1 so lookups stay O(1) at 100k entries. */
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

static void start_retry(struct browse *b)
{
	if (!ev_is_active(&b->retry)) {
		ev_timer_set(&b->retry, RETRY_S, 0.);
		ev_timer_start(b->m->loop, &b->retry);
	}
}

static void maybe_settle(struct br_type *t)
{
	struct mdns *m = t->b->m;

	if (t->settled || !t->all_for_now || t->awaiting > 0)
		return;
	t->settled = true;
	if (m->cb.browse_state)
		m->cb.browse_state(m->userdata, t->type, true);
}

static void queue_remove(struct br_inst *i)
{
	struct browse *b = i->t->b;

	if (i->qprev)
		i->qprev->qnext = i->qnext;
	else
		b->queue = i->qnext;
	if (i->qnext)
		i->qnext->qprev = i->qprev;
	else
		b->queue_tail = i->qprev;
	i->qprev = i->qnext = NULL;
	i->queued = false;
	if (!b->queue) {
		ev_check_stop(b->m->loop, &b->open_check);
		ev_idle_stop(b->m->loop, &b->open_idle);
	}
}

/* Open I's resolver soon: a few per loop iteration, so that a flood of new
 * instances never stops the loop (and the consumer socket) for long. */
static void queue_add(struct br_inst *i)
{
	struct browse *b = i->t->b;

	i->queued = true;
	i->qprev = b->queue_tail;
	if (b->queue_tail)
		b->queue_tail->qnext = i;
	else
		b->queue = i;
	b->queue_tail = i;
	ev_check_start(b->m->loop, &b->open_check);
	ev_idle_start(b->m->loop, &b->open_idle);
}

/* Unlink and free I; its resolver too if FREE_AVAHI (else the client is
 * already gone with it). */
static void inst_drop(struct br_inst *i, bool free_avahi)
{
	struct browse *b = i->t->b;
	struct br_inst **pp = &b->buckets[i->hash & (b->n_buckets - 1)];

	if (i->queued)
		queue_remove(i); /* not opened yet: neither a resolver nor unresolved */
	else if (!i->r)
		b->n_unresolved--;
	if (i->r && free_avahi)
		avahi_service_resolver_free(i->r);
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

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex ifi, AvahiProtocol proto,
                       AvahiResolverEvent ev, const char *name, const char *type,
                       const char *domain, const char *host, const AvahiAddress *a, uint16_t port,
                       AvahiStringList *txt, AvahiLookupResultFlags flags, void *userdata)
{
	struct br_inst *i = userdata;
	struct br_type *t = i->t;
	struct mdns *m = t->b->m;

	if (ev == AVAHI_RESOLVER_FOUND && a && m->cb.instance) {
		struct mdns_instance mi = {0};
		const uint8_t **items = NULL;
		size_t *lens = NULL, n = 0;

		for (AvahiStringList *l = txt; l && n < TXT_ITEMS_MAX; l = l->next)
			n++;
		if (n) {
			items = calloc(n, sizeof(*items));
			lens = calloc(n, sizeof(*lens));
		}
		if (!n || (items && lens)) {
			/* A resolver's list iterates in record (wire) order. */
			n = 0;
			for (AvahiStringList *l = txt; l && n < TXT_ITEMS_MAX; l = l->next) {
				items[n] = l->text;
				lens[n++] = l->size;
			}
			mi.name = i->name;
			mi.type = t->type;
			mi.domain = i->domain;
			mi.host = host ? host : "";
			mi.ifindex = ifi;
			mi.family = avahi_proto_to_af(a->proto);
			addr_from_avahi(a, ifi, &mi.addr);
			mi.port = port;
			mi.txt = items;
			mi.txt_len = lens;
			mi.n_txt = n;
			mi.local = i->local || (flags & AVAHI_LOOKUP_RESULT_LOCAL);
			i->reported = true;
			m->cb.instance(m->userdata, MDNS_INSTANCE_UPSERT, &mi);
		}
		free(items);
		free(lens);
	}
	/* A resolver that failed before it ever found the instance (a
	 * timeout, typically while avahi-daemon is swamped) is opened again
	 * later: one that has found it keeps running for updates. Removal
	 * comes from the browser. */
	if (ev == AVAHI_RESOLVER_FAILURE && !i->reported) {
		avahi_service_resolver_free(r);
		i->r = NULL;
		t->b->n_unresolved++;
		start_retry(t->b);
	}
	if (i->awaited) {
		i->awaited = false;
		t->awaiting--;
		maybe_settle(t);
	}
}

static void open_resolver(struct br_inst *i)
{
	struct browse *b = i->t->b;

	i->r = avahi_service_resolver_new(b->m->client, i->ifindex, i->proto, i->name, i->t->type,
	                                  i->domain, i->proto, 0, resolve_cb, i);
	if (i->r)
		return;
	/* Usually avahi-daemon's objects-per-client-max: try again later. */
	b->n_unresolved++;
	if (i->awaited) {
		i->awaited = false;
		i->t->awaiting--;
	}
	start_retry(b);
}

static void report_remove(struct br_inst *i)
{
	struct mdns *m = i->t->b->m;
	struct mdns_instance mi = {0};

	if (!i->reported || !m->cb.instance)
		return;
	mi.name = i->name;
	mi.type = i->t->type;
	mi.domain = i->domain;
	mi.ifindex = i->ifindex;
	mi.family = avahi_proto_to_af(i->proto);
	m->cb.instance(m->userdata, MDNS_INSTANCE_REMOVE, &mi);
}

/* The type's browser is gone (client lost or browser failed). */
static void type_lost(struct br_type *t, bool free_avahi)
{
	struct mdns *m = t->b->m;

	while (t->insts)
		inst_drop(t->insts, free_avahi);
	if (t->sb && free_avahi)
		avahi_service_browser_free(t->sb);
	t->sb = NULL;
	t->all_for_now = false;
	t->settled = false;
	t->awaiting = 0;
	/* Not REMOVEs: the instances may well still exist; the cache marks
	 * them stale until this type settles again. */
	if (m->cb.browse_state)
		m->cb.browse_state(m->userdata, t->type, false);
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
	i->domain = strdup(domain);
	if (!i->domain) {
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
	queue_add(i);
}

static void open_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct browse *b = w->data;

	for (int n = 0; n < OPEN_BATCH && b->queue; n++) {
		struct br_inst *i = b->queue;

		queue_remove(i);
		open_resolver(i);
	}
}

static void open_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	/* Nothing to do: being active keeps ev_run from blocking while the
	 * queue is not empty; open_check_cb does the work. */
}

static void browse_cb(AvahiServiceBrowser *sb, AvahiIfIndex ifi, AvahiProtocol proto,
                      AvahiBrowserEvent ev, const char *name, const char *type, const char *domain,
                      AvahiLookupResultFlags flags, void *userdata)
{
	struct br_type *t = userdata;
	struct br_inst *i;

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

/* Open the browser for T if the client runs. Returns -EINVAL if Avahi
 * rejects the type, else 0 (other failures are retried). */
static int type_start(struct br_type *t)
{
	struct browse *b = t->b;

	if (t->sb || !mdns_running(b->m))
		return 0;
	t->sb = avahi_service_browser_new(b->m->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
	                                  t->type, NULL, 0, browse_cb, t);
	if (t->sb)
		return 0;
	if (avahi_client_errno(b->m->client) == AVAHI_ERR_INVALID_SERVICE_TYPE)
		return -EINVAL;
	start_retry(b);
	return 0;
}

static struct br_type *type_find(struct browse *b, const char *type)
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
	if (t->sb)
		avahi_service_browser_free(t->sb);
	free(t->type);
	free(t);
}

int browse_add(struct browse *b, const char *type)
{
	struct br_type *t, **pp;
	size_t len;

	if (!type)
		return -EINVAL;
	len = strlen(type);
	if (len == 0 || len > TYPE_LEN_MAX ||
	    !(avahi_is_valid_service_type_generic(type) || avahi_is_valid_service_subtype(type)))
		return -EINVAL;
	if (type_find(b, type))
		return 0;
	if (b->n_types >= TYPES_MAX)
		return -E2BIG;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->type = strdup(type))) {
		free(t);
		return -ENOMEM;
	}
	t->b = b;
	*b->types_tail = t;
	b->types_tail = &t->next;
	b->n_types++;
	if (type_start(t) == 0)
		return 0;
	/* Rejected by Avahi: unlink (it is the tail). */
	for (pp = &b->types; *pp != t; pp = &(*pp)->next)
		;
	*pp = NULL;
	b->types_tail = pp;
	b->n_types--;
	type_free(t);
	return -EINVAL;
}

static void type_browser_cb(AvahiServiceTypeBrowser *stb, AvahiIfIndex ifi, AvahiProtocol proto,
                            AvahiBrowserEvent ev, const char *type, const char *domain,
                            AvahiLookupResultFlags flags, void *userdata)
{
	struct browse *b = userdata;
	struct mdns *m = b->m;
	struct br_type *t;

	if (ev == AVAHI_BROWSER_FAILURE) {
		avahi_service_type_browser_free(stb);
		b->stb = NULL;
		start_retry(b);
		return;
	}
	if (ev != AVAHI_BROWSER_NEW || !type)
		return;
	if (browse_add(b, type) < 0)
		return; /* bogus or one type too many: ignored */
	t = type_find(b, type);
	if (t && !t->type_reported) {
		t->type_reported = true;
		if (m->cb.type_found)
			m->cb.type_found(m->userdata, t->type);
	}
}

static void start_type_browser(struct browse *b)
{
	if (!b->all || b->stb || !mdns_running(b->m))
		return;
	b->stb = avahi_service_type_browser_new(b->m->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
	                                        NULL, 0, type_browser_cb, b);
	if (!b->stb)
		start_retry(b);
}

int browse_all(struct browse *b)
{
	b->all = true;
	start_type_browser(b);
	return 0;
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct browse *b = w->data;

	if (!mdns_running(b->m))
		return; /* everything restarts on RUNNING */
	start_type_browser(b);
	for (struct br_type *t = b->types; t; t = t->next) {
		type_start(t);
		if (!b->n_unresolved)
			continue;
		for (struct br_inst *i = t->insts; i; i = i->next) {
			if (i->r || i->queued)
				continue;
			b->n_unresolved--;
			queue_add(i); /* opened a few at a time; re-arms if refused */
		}
	}
}

struct browse *browse_new(struct mdns *m)
{
	struct browse *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->m = m;
	b->types_tail = &b->types;
	b->max = DEFAULT_MAX;
	ev_timer_init(&b->retry, retry_cb, RETRY_S, 0.);
	b->retry.data = b;
	ev_check_init(&b->open_check, open_check_cb);
	b->open_check.data = b;
	ev_idle_init(&b->open_idle, open_idle_cb);
	return b;
}

void browse_free(struct browse *b)
{
	struct br_type *t, *next;

	if (!b)
		return;
	ev_timer_stop(b->m->loop, &b->retry);
	ev_check_stop(b->m->loop, &b->open_check);
	ev_idle_stop(b->m->loop, &b->open_idle);
	if (b->stb)
		avahi_service_type_browser_free(b->stb);
	for (t = b->types; t; t = next) {
		next = t->next;
		type_free(t);
	}
	free(b->buckets);
	free(b);
}

void browse_set_max(struct browse *b, size_t max)
{
	b->max = max;
}

void browse_stats(const struct browse *b, size_t *ret_instances, size_t *ret_unresolved,
                  size_t *ret_dropped)
{
	if (ret_instances)
		*ret_instances = b->n_inst;
	if (ret_unresolved)
		*ret_unresolved = b->n_unresolved;
	if (ret_dropped)
		*ret_dropped = b->dropped;
}

void browse_client_running(struct browse *b)
{
	start_type_browser(b);
	for (struct br_type *t = b->types; t; t = t->next)
		type_start(t);
}

void browse_client_lost(struct browse *b)
{
	b->stb = NULL;
	ev_timer_stop(b->m->loop, &b->retry);
	for (struct br_type *t = b->types; t; t = t->next)
		type_lost(t, false);
}
