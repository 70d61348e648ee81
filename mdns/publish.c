/* SPDX-License-Identifier: MIT */
/* Publishing records on the backend thread: one Avahi entry group per
 * record key, collision renames, in-place TXT updates. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-client/publish.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>

#include "dnssd/name.h"
#include "mdns/browse.h"
#include "mdns/internal.h"
#include "mdns/publish.h"

#define RENAMES_MAX 32 /* consecutive collisions before giving up */

/* One record and its entry group. */
struct pub_rec {
	struct publish *p;
	struct dnssd_record *rec;
	char *cur;              /* current instance name (rec->instance or a rename) */
	AvahiStringList *txt;   /* rec->txt for Avahi (its list order is reversed) */
	AvahiEntryGroup *group; /* NULL until registered or after a client loss */
	bool committed;         /* the group holds our entries */
	AvahiIfIndex *ifidx;    /* where the service was added */
	size_t n_ifidx;
	unsigned renames;
	bool reported;
	enum mdns_pub_state last_state;
	char last_msg[192];
	struct pub_rec *prev, *next; /* in put order */
	struct pub_rec *hnext;       /* hash chain */
	uint32_t hash;
};

struct publish {
	struct mdns_core *c;
	struct pub_rec *first, *last;
	struct pub_rec **buckets;
	size_t n_buckets, n;
	struct pub_scope *scope;
};

/* ---- scope ---------------------------------------------------------------- */

void pub_scope_free(struct pub_scope *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_ifnames; i++)
		free(s->ifnames[i]);
	free(s->ifnames);
	free(s->domain);
	free(s);
}

struct pub_scope *pub_scope_new(const char *const *ifnames, size_t n, const char *domain)
{
	struct pub_scope *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (!dnssd_domain_is_local(domain) && !(s->domain = strdup(domain)))
		goto fail;
	if (n && !(s->ifnames = calloc(n, sizeof(*s->ifnames))))
		goto fail;
	for (; s->n_ifnames < n; s->n_ifnames++)
		if (!(s->ifnames[s->n_ifnames] = strdup(ifnames[s->n_ifnames])))
			goto fail;
	return s;
fail:
	pub_scope_free(s);
	return NULL;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool scope_equal(const struct pub_scope *a, const struct pub_scope *b)
{
	if (!str_eq(a->domain, b->domain) || a->n_ifnames != b->n_ifnames)
		return false;
	for (size_t i = 0; i < a->n_ifnames; i++)
		if (strcmp(a->ifnames[i], b->ifnames[i]) != 0)
			return false;
	return true;
}

/* ---- the table of records by key ------------------------------------------ */

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u;

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

static struct pub_rec *rec_find(const struct publish *p, const char *key)
{
	uint32_t h = key_hash(key);

	if (!p->n_buckets)
		return NULL;
	for (struct pub_rec *s = p->buckets[h & (p->n_buckets - 1)]; s; s = s->hnext)
		if (s->hash == h && strcmp(s->rec->key, key) == 0)
			return s;
	return NULL;
}

/* Room for one more record at load factor <= 1. */
static int table_reserve(struct publish *p)
{
	size_t n = p->n_buckets ? p->n_buckets * 2 : 64;
	struct pub_rec **b;

	if (p->n < p->n_buckets)
		return 0;
	b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (struct pub_rec *s = p->first; s; s = s->next) {
		s->hnext = b[s->hash & (n - 1)];
		b[s->hash & (n - 1)] = s;
	}
	free(p->buckets);
	p->buckets = b;
	p->n_buckets = n;
	return 0;
}

/* ---- reporting ------------------------------------------------------------- */

static void report(struct pub_rec *s, enum mdns_pub_state st, const char *msg)
{
	/* One report per real change: the agent logs each of them. */
	if (s->reported && s->last_state == st && st != MDNS_PUB_COLLISION &&
	    str_eq(s->last_msg, msg ? msg : ""))
		return;
	s->reported = true;
	s->last_state = st;
	snprintf(s->last_msg, sizeof(s->last_msg), "%s", msg ? msg : "");
	core_emit_pub_state(s->p->c, s->rec->key, st, s->cur, msg);
}

static void report_failed(struct pub_rec *s, const char *what, int avahi_err)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", what, avahi_strerror(avahi_err));
	report(s, MDNS_PUB_FAILED, msg);
}

/* Pick the next alternative name after a collision and report it. Returns
 * false once the rename budget is spent (the record is then FAILED). */
static bool rec_rename(struct pub_rec *s, bool remote)
{
	char msg[192], alt[DNSSD_INSTANCE_MAX + 1], *cur;

	if (++s->renames > RENAMES_MAX) {
		snprintf(msg, sizeof(msg), "instance name '%s' still collides after %d renames",
		         s->cur, RENAMES_MAX);
		report(s, MDNS_PUB_FAILED, msg);
		return false;
	}
	if (dnssd_instance_alternative(s->cur, alt, sizeof(alt)) < 0) {
		report(s, MDNS_PUB_FAILED, "no alternative to an invalid instance name");
		return false;
	}
	snprintf(msg, sizeof(msg), "instance name '%s' is already %s; renamed to '%s'", s->cur,
	         remote ? "in use on the network" : "registered on this host", alt);
	cur = strdup(alt);
	if (!cur) {
		/* The old name stays: it is retried at the next registration. */
		report(s, MDNS_PUB_FAILED, "out of memory");
		return false;
	}
	free(s->cur);
	s->cur = cur;
	report(s, MDNS_PUB_COLLISION, msg);
	return true;
}

/* ---- registration ----------------------------------------------------------- */

/* The record's TXT as Avahi's list; NULL for an empty record too. */
static int build_txt(struct pub_rec *s)
{
	const uint8_t *str;
	size_t off = 0, len;

	avahi_string_list_free(s->txt);
	s->txt = NULL;
	while (record_txt_next(s->rec, &off, &str, &len)) {
		/* Prepending: Avahi serialises its list in reverse, so the
		 * wire order is the record's. */
		AvahiStringList *n = avahi_string_list_add_arbitrary(s->txt, str, len);

		if (!n)
			return -ENOMEM;
		s->txt = n;
	}
	return 0;
}

int pub_scope_ifindexes(const struct pub_scope *sc, int **ret)
{
	int n = 0;
	AvahiIfIndex *v = calloc(sc->n_ifnames ? sc->n_ifnames : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (sc->n_ifnames == 0)
		v[n++] = AVAHI_IF_UNSPEC;
	for (size_t i = 0; i < sc->n_ifnames; i++) {
		unsigned idx = if_nametoindex(sc->ifnames[i]);

		if (idx > 0)
			v[n++] = (AvahiIfIndex)idx;
	}
	*ret = v;
	return n;
}

const struct pub_scope *publish_scope(const struct publish *p)
{
	return p->scope;
}

/* Resolve the scope's interface names; none means all. */
static int rec_ifaces(struct pub_rec *s)
{
	AvahiIfIndex *v;
	int n = pub_scope_ifindexes(s->p->scope, &v);

	if (n < 0)
		return n;
	free(s->ifidx);
	s->ifidx = v;
	s->n_ifidx = (size_t)n;
	return 0;
}

/* Add the service and its subtypes on every interface. Returns 0 or an
 * Avahi error code. */
static int rec_add(struct pub_rec *s)
{
	const struct dnssd_record *r = s->rec;
	struct mdns_core *c = s->p->c;
	const char *domain = s->p->scope->domain;
	char sub[256];
	int e;

	for (size_t i = 0; i < s->n_ifidx; i++) {
		core_call(c, 0);
		e = avahi_entry_group_add_service_strlst(s->group, s->ifidx[i], AVAHI_PROTO_UNSPEC,
		                                         0, s->cur, r->type, domain, NULL, r->port,
		                                         s->txt);
		if (e < 0)
			return e;
		for (size_t j = 0; j < r->n_subtypes; j++) {
			if ((size_t)snprintf(sub, sizeof(sub), "%s._sub.%s", r->subtypes[j],
			                     r->type) >= sizeof(sub))
				return AVAHI_ERR_INVALID_SERVICE_SUBTYPE;
			core_call(c, 0);
			e = avahi_entry_group_add_service_subtype(s->group, s->ifidx[i],
			                                          AVAHI_PROTO_UNSPEC, 0, s->cur,
			                                          r->type, domain, sub);
			if (e < 0)
				return e;
		}
	}
	return 0;
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *userdata);

static void rec_reset(struct pub_rec *s)
{
	if (s->group && s->committed) {
		core_call(s->p->c, 0);
		avahi_entry_group_reset(s->group);
	}
	s->committed = false;
}

/* A new entry group for S, counted; NULL if avahi-daemon refused it. */
static AvahiEntryGroup *group_new(struct pub_rec *s)
{
	struct mdns_core *c = s->p->c;
	AvahiEntryGroup *g;

	core_call(c, 1);
	g = avahi_entry_group_new(c->client, group_cb, s);
	if (!g)
		core_call(c, -1);
	return g;
}

/* Create, fill and commit S's entry group, if the client runs. */
static void rec_register(struct pub_rec *s)
{
	struct mdns_core *c = s->p->c;
	int e;

	if (!core_running(c)) {
		report(s, MDNS_PUB_PENDING, NULL);
		return;
	}
	if (!s->group) {
		/* Our own records come before kept resolvers. */
		browse_make_room(c->br, 1);
		s->group = group_new(s);
		if (!s->group && avahi_client_errno(c->client) == AVAHI_ERR_TOO_MANY_OBJECTS &&
		    core_refused(c) && browse_make_room(c->br, 1) > 0)
			s->group = group_new(s);
		if (!s->group) {
			report_failed(s, "cannot create entry group",
			              avahi_client_errno(c->client));
			return;
		}
	}
	if (rec_ifaces(s) < 0) {
		report(s, MDNS_PUB_FAILED, "out of memory");
		return;
	}
	if (s->n_ifidx == 0) {
		report(s, MDNS_PUB_FAILED, "none of the configured interfaces exists");
		return;
	}
	for (;;) {
		e = rec_add(s);
		if (e == 0)
			break;
		core_call(c, 0);
		avahi_entry_group_reset(s->group);
		if (e != AVAHI_ERR_COLLISION) {
			report_failed(s, "cannot add service", e);
			return;
		}
		if (!rec_rename(s, false))
			return;
	}
	core_call(c, 0);
	e = avahi_entry_group_commit(s->group);
	if (e < 0) {
		core_call(c, 0);
		avahi_entry_group_reset(s->group);
		report_failed(s, "cannot commit entry group", e);
		return;
	}
	s->committed = true;
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *userdata)
{
	struct pub_rec *s = userdata;

	if (s->group != g)
		return; /* a callback from inside avahi_entry_group_new() */
	switch (state) {
	case AVAHI_ENTRY_GROUP_REGISTERING:
		report(s, MDNS_PUB_REGISTERING, NULL);
		break;
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		s->renames = 0;
		report(s, MDNS_PUB_ESTABLISHED, NULL);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		core_call(s->p->c, 0);
		avahi_entry_group_reset(g);
		s->committed = false;
		if (rec_rename(s, true))
			rec_register(s);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		/* Retried on the next RUNNING or put. */
		s->committed = false;
		report_failed(s, "entry group failed",
		              avahi_client_errno(avahi_entry_group_get_client(g)));
		break;
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
		break;
	}
}

/* Withdraw and register again with the current record. */
static void rec_reregister(struct pub_rec *s)
{
	rec_reset(s);
	s->reported = false; /* the agent hears of the new registration */
	rec_register(s);
}

/* Push the new TXT to every (interface, protocol) the service was added
 * on, without re-probing; fall back to re-registering. */
static void rec_update_txt(struct pub_rec *s)
{
	struct mdns_core *c = s->p->c;
	int e = 0;

	if (!s->group || !s->committed || !core_running(c)) {
		if (!s->committed)
			rec_register(s);
		return; /* the new TXT goes out with the next registration */
	}
	for (size_t i = 0; i < s->n_ifidx && e == 0; i++) {
		core_call(c, 0);
		e = avahi_entry_group_update_service_txt_strlst(
		        s->group, s->ifidx[i], AVAHI_PROTO_UNSPEC, 0, s->cur, s->rec->type,
		        s->p->scope->domain, s->txt);
	}
	if (e < 0)
		rec_reregister(s);
}

/* Unlink S from P and free it; its group goes with a goodbye. */
static void rec_free(struct pub_rec *s)
{
	struct publish *p = s->p;
	struct pub_rec **pp = &p->buckets[s->hash & (p->n_buckets - 1)];

	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	if (s->prev)
		s->prev->next = s->next;
	else
		p->first = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		p->last = s->prev;
	p->n--;
	if (s->group) {
		core_call(p->c, -1);
		avahi_entry_group_free(s->group);
	}
	record_free(s->rec);
	avahi_string_list_free(s->txt);
	free(s->cur);
	free(s->ifidx);
	free(s);
}

/* ---- commands ---------------------------------------------------------------- */

/* Report that R could not be taken (out of memory): nothing else can. */
static void put_failed(struct publish *p, struct dnssd_record *r)
{
	core_emit_pub_state(p->c, r->key, MDNS_PUB_FAILED, r->instance, "out of memory");
	record_free(r);
}

void publish_put(struct publish *p, struct dnssd_record *r)
{
	struct pub_rec *s = rec_find(p, r->key);
	struct dnssd_record *old;
	enum record_diff d;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s || table_reserve(p) < 0 || !(s->cur = strdup(r->instance))) {
			free(s);
			put_failed(p, r);
			return;
		}
		s->p = p;
		s->rec = r;
		s->hash = key_hash(r->key);
		s->hnext = p->buckets[s->hash & (p->n_buckets - 1)];
		p->buckets[s->hash & (p->n_buckets - 1)] = s;
		s->prev = p->last;
		if (p->last)
			p->last->next = s;
		else
			p->first = s;
		p->last = s;
		p->n++;
		if (build_txt(s) < 0)
			report(s, MDNS_PUB_FAILED, "out of memory");
		else
			rec_register(s);
		return;
	}
	d = record_compare(s->rec, r);
	if (d == RECORD_SAME && !(s->reported && s->last_state == MDNS_PUB_FAILED)) {
		record_free(r);
		return;
	}
	old = s->rec;
	s->rec = r;
	if (build_txt(s) < 0) {
		report(s, MDNS_PUB_FAILED, "out of memory");
		record_free(old);
		return;
	}
	if (strcmp(old->instance, r->instance) != 0) {
		/* A new base name: earlier renames no longer apply. */
		char *cur = strdup(r->instance);

		if (cur) {
			free(s->cur);
			s->cur = cur;
			s->renames = 0;
		}
	}
	record_free(old);
	if (d == RECORD_TXT_ONLY)
		rec_update_txt(s);
	else
		rec_reregister(s);
}

void publish_delete(struct publish *p, const char *key)
{
	struct pub_rec *s = rec_find(p, key);

	if (s)
		rec_free(s);
}

bool publish_set_scope(struct publish *p, struct pub_scope *sc)
{
	bool same = scope_equal(p->scope, sc);

	pub_scope_free(p->scope);
	p->scope = sc;
	if (same)
		return false;
	for (struct pub_rec *s = p->first; s; s = s->next)
		rec_reregister(s);
	return true;
}

/* ---- life cycle -------------------------------------------------------------- */

struct publish *publish_new(struct mdns_core *c)
{
	struct publish *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->c = c;
	p->scope = pub_scope_new(NULL, 0, NULL);
	if (!p->scope) {
		free(p);
		return NULL;
	}
	return p;
}

void publish_free(struct publish *p)
{
	if (!p)
		return;
	while (p->first)
		rec_free(p->first);
	free(p->buckets);
	pub_scope_free(p->scope);
	free(p);
}

void publish_client_running(struct publish *p)
{
	for (struct pub_rec *s = p->first; s; s = s->next)
		if (!s->committed)
			rec_register(s);
}

void publish_client_reset(struct publish *p)
{
	for (struct pub_rec *s = p->first; s; s = s->next) {
		rec_reset(s);
		report(s, MDNS_PUB_PENDING, "host name being registered");
	}
}

void publish_client_lost(struct publish *p)
{
	for (struct pub_rec *s = p->first; s; s = s->next) {
		bool had = s->group != NULL;

		/* The client frees its groups itself. */
		s->group = NULL;
		s->committed = false;
		if (had)
			report(s, MDNS_PUB_PENDING, "connection to avahi-daemon lost");
	}
}
