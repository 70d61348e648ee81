/* SPDX-License-Identifier: MIT */
/* The published set: entries from the declared services with their
 * overlays, turned into dnssd records and synced to the backend. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/pubset.h"
#include "dnssd/name.h"
#include "dnssd/txt.h"

/* One entry of the set: its inputs, the record last sent, and what the
 * backend said of it. */
struct pub_entry {
	char *key;     /* "svc:<name>" */
	char *service; /* service name, for status */
	char *type;
	unsigned port;
	struct dnssd_record *base; /* the declared record, before overlays; NULL if invalid */
	char *invalid;             /* why no record could be built */
	struct dnssd_record *sent; /* what the backend has; NULL: nothing */
	bool dirty;                /* inputs changed since the last sync */
	bool retry;                /* put again at the next sync if it FAILED */
	enum mdns_pub_state state; /* the backend's last report */
	char *instance;            /* its current instance name */
	char *msg;                 /* its last message, or the invalid reason */
	enum txt_health health;    /* from its checks */
	char *health_why;          /* which check is critical */
	bool maint;                /* withdrawn by hand */
	char *maint_reason;
	bool registered;           /* a runtime registration: kept by set_declared */
	struct pubset_owner owner; /* its registrant */
	struct pub_entry *next;
};

struct pubset {
	struct pubset_backend be;
	struct pub_entry *entries; /* declaration order */
	char **gone;               /* keys to delete at the next sync */
	size_t n_gone;
	char *load; /* load= overlay, or NULL */
};

const char *pubset_state_name(enum mdns_pub_state s)
{
	switch (s) {
	case MDNS_PUB_PENDING:
		return "pending";
	case MDNS_PUB_REGISTERING:
		return "registering";
	case MDNS_PUB_ESTABLISHED:
		return "established";
	case MDNS_PUB_COLLISION:
		return "collision";
	case MDNS_PUB_FAILED:
		return "failed";
	}
	return "unknown";
}

static void entry_free(struct pub_entry *e)
{
	if (!e)
		return;
	free(e->key);
	free(e->service);
	free(e->type);
	record_free(e->base);
	free(e->invalid);
	record_free(e->sent);
	free(e->instance);
	free(e->msg);
	free(e->health_why);
	free(e->maint_reason);
	free(e);
}

struct pubset *pubset_new(const struct pubset_backend *backend)
{
	struct pubset *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->be = *backend;
	return ps;
}

void pubset_free(struct pubset *ps)
{
	if (!ps)
		return;
	while (ps->entries) {
		struct pub_entry *e = ps->entries;

		ps->entries = e->next;
		entry_free(e);
	}
	for (size_t i = 0; i < ps->n_gone; i++)
		free(ps->gone[i]);
	free(ps->gone);
	free(ps->load);
	free(ps);
}

/* The declared record of SVC into *ret, or -EINVAL with the reason in
 * *ret_why (a static string or one in WHY). */
static int declared_record(const struct cfg_service *svc, const char *key, const char *host,
                           struct dnssd_record **ret, char *why, size_t whylen)
{
	char instance[DNSSD_INSTANCE_MAX + 1];
	const char *reason = NULL;
	ssize_t n;
	int r;

	*ret = NULL;
	n = dnssd_instance_expand(svc->instance, host, instance, sizeof(instance));
	if (n < 0) {
		snprintf(why, whylen, "instance '%s' with host name '%s': %s", svc->instance, host,
		         n == -ENOBUFS ? "longer than 63 bytes" : "invalid template");
		return -EINVAL;
	}
	r = record_new(key, instance, svc->type, svc->port, ret, &reason);
	for (size_t i = 0; r == 0 && i < svc->n_subtypes; i++)
		r = record_add_subtype(*ret, svc->subtypes[i], &reason);
	for (size_t i = 0; r == 0 && i < svc->n_txt; i++)
		r = record_add_txt(*ret, svc->txt[i].key, svc->txt[i].value, svc->txt[i].value_len,
		                   &reason);
	if (r == -ENOMEM) {
		record_free(*ret);
		*ret = NULL;
		return r;
	}
	if (r < 0) {
		snprintf(why, whylen, "%s", reason ? reason : "invalid record");
		record_free(*ret);
		*ret = NULL;
		return -EINVAL;
	}
	return 0;
}

/* An entry for SVC under KEY (NULL: its declared key, "svc:<name>"). */
static struct pub_entry *entry_new(const struct cfg_service *svc, const char *host, const char *key)
{
	struct pub_entry *e = calloc(1, sizeof(*e));
	char why[256], skey[DNSSD_SERVICE_NAME_MAX + 8];
	int r;

	if (!e)
		return NULL;
	if (!key && pubset_service_key(svc->name, skey, sizeof(skey)) < 0)
		goto fail;
	if (!(e->key = strdup(key ? key : skey)))
		goto fail;
	e->service = strdup(svc->name);
	e->type = strdup(svc->type);
	e->port = svc->port;
	if (!e->service || !e->type)
		goto fail;
	r = declared_record(svc, e->key, host, &e->base, why, sizeof(why));
	if (r == -ENOMEM)
		goto fail;
	if (r < 0 && !(e->invalid = strdup(why)))
		goto fail;
	e->dirty = true;
	return e;
fail:
	entry_free(e);
	return NULL;
}

static struct pub_entry **entry_slot(struct pub_entry **list, const char *key)
{
	for (; *list; list = &(*list)->next)
		if (strcmp((*list)->key, key) == 0)
			return list;
	return NULL;
}

static bool same_base(const struct pub_entry *a, const struct pub_entry *b)
{
	if (!a->base || !b->base)
		return !a->base && !b->base && a->invalid && b->invalid &&
		       strcmp(a->invalid, b->invalid) == 0;
	return record_compare(a->base, b->base) == RECORD_SAME;
}

int pubset_set_declared(struct pubset *ps, const struct lanyard_config *cfg, const char *host)
{
	struct pub_entry *fresh = NULL, **tail = &fresh, *e, **slot;
	char **gone;
	size_t n_gone = 0;

	/* Every allocation first, so that a failure changes nothing. */
	for (size_t i = 0; i < cfg->n_services; i++) {
		e = entry_new(&cfg->services[i], host, NULL);
		if (!e)
			goto oom;
		*tail = e;
		tail = &e->next;
	}
	for (e = ps->entries; e; e = e->next)
		n_gone++;
	gone = realloc(ps->gone, (ps->n_gone + n_gone + 1) * sizeof(*gone));
	if (!gone)
		goto oom;
	ps->gone = gone;

	/* Keep what the backend knows of entries that stay. */
	for (e = fresh; e; e = e->next) {
		struct pub_entry *old;

		slot = entry_slot(&ps->entries, e->key);
		if (!slot)
			continue;
		old = *slot;
		*slot = old->next;
		e->sent = old->sent;
		old->sent = NULL;
		e->state = old->state;
		e->instance = old->instance;
		old->instance = NULL;
		if (!e->invalid) {
			e->msg = old->msg;
			old->msg = NULL;
		}
		e->health = old->health;
		e->health_why = old->health_why;
		old->health_why = NULL;
		e->maint = old->maint;
		e->maint_reason = old->maint_reason;
		old->maint_reason = NULL;
		e->dirty = !same_base(e, old) || old->dirty;
		entry_free(old);
	}
	/* Registrations stay, after the declared services; what is left of
	 * the old declared entries leaves the set. */
	for (slot = &ps->entries; *slot;) {
		e = *slot;
		if (!e->registered) {
			slot = &e->next;
			continue;
		}
		*slot = e->next;
		e->next = NULL;
		*tail = e;
		tail = &e->next;
	}
	while (ps->entries) {
		e = ps->entries;
		ps->entries = e->next;
		if (e->sent) {
			ps->gone[ps->n_gone++] = e->key;
			e->key = NULL;
		}
		entry_free(e);
	}
	ps->entries = fresh;
	return 0;
oom:
	while (fresh) {
		e = fresh;
		fresh = e->next;
		entry_free(e);
	}
	return -ENOMEM;
}

int pubset_register(struct pubset *ps, const char *key, const struct cfg_service *svc,
                    const char *host, const struct pubset_owner *owner, const char **ret_why)
{
	struct pub_entry *e, **tail;

	*ret_why = NULL;
	if (entry_slot(&ps->entries, key))
		return -EEXIST;
	e = entry_new(svc, host, key);
	if (!e)
		return -ENOMEM;
	if (e->invalid) {
		static char why[256];

		snprintf(why, sizeof(why), "%s", e->invalid);
		*ret_why = why;
		entry_free(e);
		return -EINVAL;
	}
	e->registered = true;
	e->owner = *owner;
	for (tail = &ps->entries; *tail; tail = &(*tail)->next)
		;
	*tail = e;
	return 0;
}

int pubset_unregister(struct pubset *ps, const char *key)
{
	struct pub_entry **slot = entry_slot(&ps->entries, key), *e;
	char **gone;

	if (!slot || !(*slot)->registered)
		return -ENOENT;
	e = *slot;
	if (e->sent) {
		gone = realloc(ps->gone, (ps->n_gone + 1) * sizeof(*gone));
		if (!gone)
			return -ENOMEM;
		ps->gone = gone;
		ps->gone[ps->n_gone++] = e->key;
		e->key = NULL;
	}
	*slot = e->next;
	entry_free(e);
	return 0;
}

const struct pubset_owner *pubset_owner_of(const struct pubset *ps, const char *type,
                                           const char *instance)
{
	for (const struct pub_entry *e = ps->entries; e; e = e->next)
		if (e->registered && strcasecmp(e->type, type) == 0 && e->instance &&
		    strcmp(e->instance, instance) == 0)
			return &e->owner;
	return NULL;
}

const char *pubset_clash(const struct pubset *ps, const char *name, const char *type,
                         const char *instance)
{
	for (const struct pub_entry *e = ps->entries; e; e = e->next) {
		if (!e->registered && strcasecmp(e->service, name) == 0)
			return "a declared service has that name";
		if (e->base && strcasecmp(e->type, type) == 0 &&
		    strcasecmp(e->base->instance, instance) == 0)
			return e->registered ? "another registration has that type and instance"
			                     : "a declared service has that type and instance";
	}
	return NULL;
}

int pubset_set_load(struct pubset *ps, const char *value)
{
	char *v = NULL;

	if (value && !(v = strdup(value)))
		return -ENOMEM;
	if ((v && ps->load && strcmp(v, ps->load) == 0) || (!v && !ps->load)) {
		free(v);
		return 0;
	}
	free(ps->load);
	ps->load = v;
	for (struct pub_entry *e = ps->entries; e; e = e->next)
		e->dirty = true;
	return 0;
}

/* E's record as published: the declared one plus the overlays. */
static int compute(const struct pubset *ps, const struct pub_entry *e, struct dnssd_record **ret)
{
	const char *why = NULL, *health = txt_health_name(TXT_HEALTH_WARNING);
	int r = 0;

	*ret = record_copy(e->base);
	if (!*ret)
		return -ENOMEM;
	/* Config keeps room for the overlays (TXT_OVERLAY_RESERVE): a failure
	 * here is a bug, reported as the entry's state. */
	if (ps->load)
		r = record_add_txt(*ret, txt_known_name(TXT_KNOWN_LOAD), ps->load, strlen(ps->load),
		                   &why);
	if (r == 0 && e->health == TXT_HEALTH_WARNING)
		r = record_add_txt(*ret, txt_known_name(TXT_KNOWN_HEALTH), health, strlen(health),
		                   &why);
	if (r < 0) {
		record_free(*ret);
		*ret = NULL;
	}
	return r;
}

/* Why E is not announced now, or NULL when it is (or should be). */
static const char *withheld(const struct pub_entry *e)
{
	if (e->invalid)
		return e->invalid;
	if (e->maint)
		return "maintenance";
	if (e->health == TXT_HEALTH_CRITICAL)
		return "check critical";
	return NULL;
}

static void set_str(char **slot, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		return; /* keep the old text rather than none */
	free(*slot);
	*slot = d;
}

/* E cannot be published (WHY): withdraw what the backend has of it.
 * FAILED is a publishing failure; a withheld entry (checks, maintenance)
 * is PENDING. Returns 0 or the backend's error. */
static int withdraw(struct pubset *ps, struct pub_entry *e, const char *why, bool failed)
{
	int r;

	e->state = failed ? MDNS_PUB_FAILED : MDNS_PUB_PENDING;
	set_str(&e->msg, why);
	if (e->sent) {
		r = ps->be.del(ps->be.ctx, e->key);
		if (r < 0)
			return r;
		record_free(e->sent);
		e->sent = NULL;
	}
	e->dirty = false;
	return 0;
}

/* Sync one entry; 0 or the backend's error. */
static int sync_entry(struct pubset *ps, struct pub_entry *e)
{
	struct dnssd_record *rec = NULL;
	bool retry = e->retry && e->state == MDNS_PUB_FAILED && e->sent;
	int r;

	e->retry = false;
	if (!e->dirty && !retry)
		return 0;
	if (e->invalid)
		return withdraw(ps, e, e->invalid, true);
	if (withheld(e))
		return withdraw(ps, e, NULL, false);
	r = compute(ps, e, &rec);
	if (r == -ENOMEM)
		return r;
	if (r < 0) /* not what is declared: withdrawn rather than stale */
		return withdraw(ps, e, "no room left in the TXT record for lanyard's overlays",
		                true);
	if (!e->sent)
		e->state = MDNS_PUB_PENDING; /* until the backend says more */
	if (e->sent && !retry && record_compare(e->sent, rec) == RECORD_SAME) {
		record_free(rec);
		e->dirty = false;
		return 0;
	}
	r = ps->be.put(ps->be.ctx, rec);
	if (r < 0) {
		record_free(rec);
		return r;
	}
	record_free(e->sent);
	e->sent = rec;
	e->dirty = false;
	if (retry)
		e->state = MDNS_PUB_PENDING;
	return 0;
}

int pubset_service_key(const char *service, char *buf, size_t size)
{
	int n = snprintf(buf, size, "svc:%s", service);

	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	/* Service names compare case-insensitively: so do their keys. */
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return n;
}

static struct pub_entry *entry_find(struct pubset *ps, const char *key)
{
	struct pub_entry **slot = entry_slot(&ps->entries, key);

	return slot ? *slot : NULL;
}

int pubset_set_health(struct pubset *ps, const char *key, enum txt_health health, const char *why)
{
	struct pub_entry *e = entry_find(ps, key);
	char *w = NULL;

	if (!e)
		return -ENOENT;
	if (why && !(w = strdup(why)))
		return -ENOMEM;
	free(e->health_why);
	e->health_why = w;
	if (e->health != health)
		e->dirty = true;
	e->health = health;
	return 0;
}

int pubset_set_maint(struct pubset *ps, const char *key, bool on, const char *reason)
{
	struct pub_entry *e = entry_find(ps, key);
	char *r = NULL;

	if (!e)
		return -ENOENT;
	if (on && reason && !(r = strdup(reason)))
		return -ENOMEM;
	free(e->maint_reason);
	e->maint_reason = r;
	if (e->maint != on)
		e->dirty = true;
	e->maint = on;
	return 0;
}

void pubset_retry_failed(struct pubset *ps)
{
	for (struct pub_entry *e = ps->entries; e; e = e->next)
		e->retry = true;
}

/* Contract in pubset.h. */
int pubset_replay(const struct pubset *ps, int (*put)(void *ctx, const struct dnssd_record *r),
                  void *ctx)
{
	for (const struct pub_entry *e = ps->entries; e; e = e->next) {
		int r = e->sent ? put(ctx, e->sent) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

int pubset_sync(struct pubset *ps)
{
	int r;

	/* Deletes first, so the names they free are there for new records. */
	while (ps->n_gone) {
		r = ps->be.del(ps->be.ctx, ps->gone[ps->n_gone - 1]);
		if (r < 0)
			return r;
		free(ps->gone[--ps->n_gone]);
	}
	for (struct pub_entry *e = ps->entries; e; e = e->next) {
		r = sync_entry(ps, e);
		if (r < 0)
			return r;
	}
	return 0;
}

void pubset_on_state(struct pubset *ps, const char *key, enum mdns_pub_state state,
                     const char *instance, const char *msg)
{
	struct pub_entry **slot = entry_slot(&ps->entries, key);
	struct pub_entry *e;

	if (!slot)
		return;
	e = *slot;
	if (!e->sent)
		return; /* a late report of a record withdrawn since */
	e->state = state;
	if (instance)
		set_str(&e->instance, instance);
	set_str(&e->msg, msg);
}

json_t *pubset_status(const struct pubset *ps)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	for (const struct pub_entry *e = ps->entries; e; e = e->next) {
		const char *why = withheld(e);
		bool announced = !why && e->state == MDNS_PUB_ESTABLISHED;
		json_t *o;

		if (!why && e->state == MDNS_PUB_FAILED)
			why = "publishing failed";
		else if (!why && e->state == MDNS_PUB_COLLISION)
			why = "name collision, being renamed";
		else if (!why && !announced)
			why = "being registered";
		if (why && e->health == TXT_HEALTH_CRITICAL && !e->invalid && !e->maint &&
		    e->health_why)
			why = e->health_why;
		o = json_pack("{s:s,s:s,s:i,s:b,s:s?,s:s,s:s?,s:s,s:s?,s:s?,s:o*}", "service",
		              e->service, "type", e->type, "port", (int)e->port, "announced",
		              announced, "why", announced ? NULL : why, "health",
		              txt_health_name(e->health), "maintenance",
		              e->maint ? (e->maint_reason ? e->maint_reason : "") : NULL, "state",
		              pubset_state_name(e->state), "instance", e->instance, "message",
		              e->state == MDNS_PUB_FAILED ? e->msg : NULL, "registration",
		              e->registered ? json_pack("{s:I,s:I,s:I,s:I}", "id",
		                                        (json_int_t)e->owner.id, "uid",
		                                        (json_int_t)e->owner.uid, "gid",
		                                        (json_int_t)e->owner.gid, "pid",
		                                        (json_int_t)e->owner.pid)
		                            : NULL);

		if (json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

size_t pubset_count(const struct pubset *ps)
{
	size_t n = 0;

	for (const struct pub_entry *e = ps->entries; e; e = e->next)
		n++;
	return n;
}
