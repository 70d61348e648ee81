/* SPDX-License-Identifier: MIT */
/* Publishing declared services: one Avahi entry group per service, with
 * collision renames, in-place TXT updates and diffing against a new config. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>

#include "mdns/internal.h"
#include "mdns/publish.h"

#define INSTANCE_MAX  63 /* bytes in one DNS label */
#define TXT_ITEM_MAX  255
#define TXT_TOTAL_MAX 1300
#define RENAMES_MAX   32 /* consecutive collisions before giving up */
/* Entry groups registered per loop iteration: each takes blocking D-Bus
 * round trips, and an agent declaring hundreds of services must keep
 * answering its consumers meanwhile. */
#define REGISTER_BATCH 8

/* One declared service and its entry group. */
struct pub_svc {
	struct publish *p;
	struct pub_spec *spec;
	char *base;             /* template expanded with the host name */
	char *cur;              /* current instance name (base or a rename) */
	AvahiEntryGroup *group; /* NULL until registered or after a client loss */
	bool committed;         /* group holds our entries */
	bool queued;            /* waiting for its turn to register */
	AvahiIfIndex *ifidx;    /* where the service was added */
	size_t n_ifidx;
	unsigned renames;
	bool reported;
	enum mdns_pub_state last_state;
	char last_msg[192];
	struct pub_svc *next;
};

struct publish {
	struct mdns *m;
	struct pub_svc *svcs;
	char *domain; /* NULL = avahi's default ("local") */
	char **ifnames;
	size_t n_ifnames;
	size_t n_queued;
	ev_check reg_check; /* registers a batch after each poll */
	ev_idle reg_idle;   /* keeps the poll from blocking meanwhile */
};

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void free_strv(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Deep copy of N strings; *ret is NULL when N is 0. */
static int copy_strv(char *const *v, size_t n, char ***ret)
{
	char **c;

	*ret = NULL;
	if (n == 0)
		return 0;
	c = calloc(n, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		c[i] = strdup(v[i] ? v[i] : "");
		if (!c[i]) {
			free_strv(c, i);
			return -ENOMEM;
		}
	}
	*ret = c;
	return 0;
}

static bool strv_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!str_eq(a[i], b[i]))
			return false;
	return true;
}

static bool txt_key_ok(const char *k)
{
	if (!k || !*k)
		return false;
	for (; *k; k++)
		if (*k < 0x20 || *k > 0x7e || *k == '=')
			return false;
	return true;
}

/* Build the Avahi TXT list from the config pairs, checking the limits that
 * keep oversized records away from avahi-daemon. */
static int build_txt(const struct cfg_service *svc, struct pub_spec *s)
{
	size_t total = 0;
	char msg[160];

	msg[0] = '\0';
	for (size_t i = 0; i < svc->n_txt; i++) {
		const struct cfg_txt *t = &svc->txt[i];
		size_t len;
		AvahiStringList *n;

		if (!txt_key_ok(t->key)) {
			snprintf(msg, sizeof(msg),
			         "TXT key #%zu is empty or not printable ASCII without '='", i + 1);
			break;
		}
		len = strlen(t->key) + (t->value ? 1 + t->value_len : 0);
		if (len > TXT_ITEM_MAX) {
			snprintf(msg, sizeof(msg), "TXT entry '%s' is %zu bytes (at most %d)",
			         t->key, len, TXT_ITEM_MAX);
			break;
		}
		total += 1 + len;
		if (t->value)
			n = avahi_string_list_add_pair_arbitrary(
			        s->txt, t->key, (const uint8_t *)t->value, t->value_len);
		else
			n = avahi_string_list_add(s->txt, t->key);
		if (!n)
			return -ENOMEM;
		s->txt = n;
	}
	if (!msg[0] && total > TXT_TOTAL_MAX)
		snprintf(msg, sizeof(msg), "TXT record is %zu bytes (at most %d)", total,
		         TXT_TOTAL_MAX);
	if (msg[0]) {
		s->invalid = strdup(msg);
		if (!s->invalid)
			return -ENOMEM;
	}
	return 0;
}

struct pub_spec *pub_spec_new(const struct cfg_service *svc)
{
	struct pub_spec *s;
	char buf[64];

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->name = strdup(svc->name ? svc->name : "");
	if (svc->type) {
		s->type = strdup(svc->type);
	} else {
		snprintf(buf, sizeof(buf), "_%s._%s", svc->name ? svc->name : "",
		         svc->protocol == CFG_PROTO_UDP ? "udp" : "tcp");
		s->type = strdup(buf);
	}
	s->port = svc->port;
	if (svc->instance) {
		s->instance = strdup(svc->instance);
	} else {
		snprintf(buf, sizeof(buf), "%s@%%h", svc->name ? svc->name : "");
		s->instance = strdup(buf);
	}
	if (!s->name || !s->type || !s->instance)
		goto fail;
	if (copy_strv(svc->subtypes, svc->n_subtypes, &s->subtypes) < 0)
		goto fail;
	s->n_subtypes = svc->n_subtypes;
	if (build_txt(svc, s) < 0)
		goto fail;
	return s;
fail:
	pub_spec_free(s);
	return NULL;
}

void pub_spec_free(struct pub_spec *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->type);
	free(s->instance);
	free_strv(s->subtypes, s->n_subtypes);
	avahi_string_list_free(s->txt);
	free(s->invalid);
	free(s);
}

enum cfg_service_diff pub_spec_compare(const struct pub_spec *a, const struct pub_spec *b)
{
	if (!str_eq(a->type, b->type) || a->port != b->port || !str_eq(a->instance, b->instance) ||
	    !strv_eq(a->subtypes, a->n_subtypes, b->subtypes, b->n_subtypes) ||
	    !str_eq(a->invalid, b->invalid))
		return CFG_SERVICE_CHANGED;
	if (!avahi_string_list_equal(a->txt, b->txt))
		return CFG_SERVICE_TXT_ONLY;
	return CFG_SERVICE_SAME;
}

char *pub_expand_instance(const char *tmpl, const char *host)
{
	size_t hl = strlen(host), n = 0, cap = INSTANCE_MAX + 1;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	/* Stop one byte past the limit so the cut below sees whether a
	 * multi-byte character straddles it. */
	for (const char *t = tmpl; *t && n <= INSTANCE_MAX; t++) {
		if (t[0] == '%' && t[1] == 'h') {
			for (size_t i = 0; i < hl && n <= INSTANCE_MAX; i++)
				out[n++] = host[i];
			t++;
		} else if (t[0] == '%' && t[1] == '%') {
			out[n++] = '%';
			t++;
		} else {
			out[n++] = *t;
		}
	}
	if (n > INSTANCE_MAX) {
		n = INSTANCE_MAX;
		/* out[n] is the first byte cut off: if it continues a UTF-8
		 * sequence, drop the whole character. */
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80)
			n--;
	}
	out[n] = '\0';
	return out;
}

static void report(struct pub_svc *s, enum mdns_pub_state st, const char *msg)
{
	struct mdns *m = s->p->m;

	/* One report per real change: agent logs each of them. */
	if (s->reported && s->last_state == st && st != MDNS_PUB_COLLISION &&
	    str_eq(s->last_msg, msg ? msg : ""))
		return;
	s->reported = true;
	s->last_state = st;
	snprintf(s->last_msg, sizeof(s->last_msg), "%s", msg ? msg : "");
	if (m->cb.pub_state)
		m->cb.pub_state(m->userdata, s->spec->name, st, s->cur, msg);
}

static void report_failed(struct pub_svc *s, const char *what, int avahi_err)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", what, avahi_strerror(avahi_err));
	report(s, MDNS_PUB_FAILED, msg);
}

/* Pick the next alternative name after a collision and report it. Returns
 * false once the rename budget is spent (the service is then FAILED). */
static bool svc_rename(struct pub_svc *s, bool remote)
{
	char msg[192], *alt;

	if (++s->renames > RENAMES_MAX) {
		snprintf(msg, sizeof(msg), "instance name '%s' still collides after %d renames",
		         s->cur, RENAMES_MAX);
		report(s, MDNS_PUB_FAILED, msg);
		return false;
	}
	alt = avahi_alternative_service_name(s->cur);
	if (!alt) {
		report(s, MDNS_PUB_FAILED, "out of memory picking an alternative name");
		return false;
	}
	snprintf(msg, sizeof(msg), "instance name '%s' is already %s; renamed to '%s'", s->cur,
	         remote ? "in use on the network" : "registered on this host", alt);
	free(s->cur);
	s->cur = strdup(alt);
	avahi_free(alt);
	if (!s->cur) {
		report(s, MDNS_PUB_FAILED, "out of memory");
		return false;
	}
	report(s, MDNS_PUB_COLLISION, msg);
	return true;
}

/* Compute base and current names from the template and the host name; a
 * previous rename survives as long as the base is unchanged. */
static int svc_names(struct pub_svc *s)
{
	const char *host = avahi_client_get_host_name(s->p->m->client);
	char hbuf[256], *base;

	if (!host) {
		if (gethostname(hbuf, sizeof(hbuf) - 1) < 0)
			snprintf(hbuf, sizeof(hbuf), "localhost");
		hbuf[sizeof(hbuf) - 1] = '\0';
		host = hbuf;
	}
	base = pub_expand_instance(s->spec->instance, host);
	if (!base)
		return -ENOMEM;
	if (s->base && s->cur && strcmp(base, s->base) == 0) {
		free(base);
		return 0;
	}
	free(s->base);
	free(s->cur);
	s->base = base;
	s->cur = strdup(base);
	s->renames = 0;
	return s->cur ? 0 : -ENOMEM;
}

/* Resolve the configured interface names; an empty list means all. */
static int svc_ifaces(struct pub_svc *s)
{
	struct publish *p = s->p;
	size_t n = 0;
	AvahiIfIndex *v;

	v = calloc(p->n_ifnames ? p->n_ifnames : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (p->n_ifnames == 0) {
		v[n++] = AVAHI_IF_UNSPEC;
	} else {
		for (size_t i = 0; i < p->n_ifnames; i++) {
			unsigned idx = if_nametoindex(p->ifnames[i]);

			if (idx > 0)
				v[n++] = (AvahiIfIndex)idx;
		}
	}
	free(s->ifidx);
	s->ifidx = v;
	s->n_ifidx = n;
	return 0;
}

/* Add the service and its subtypes on every interface. Returns 0 or an
 * Avahi error code. */
static int svc_add(struct pub_svc *s)
{
	const struct pub_spec *sp = s->spec;
	char sub[256];
	int r;

	for (size_t i = 0; i < s->n_ifidx; i++) {
		r = avahi_entry_group_add_service_strlst(s->group, s->ifidx[i], AVAHI_PROTO_UNSPEC,
		                                         0, s->cur, sp->type, s->p->domain, NULL,
		                                         sp->port, sp->txt);
		if (r < 0)
			return r;
		for (size_t j = 0; j < sp->n_subtypes; j++) {
			if ((size_t)snprintf(sub, sizeof(sub), "%s._sub.%s", sp->subtypes[j],
			                     sp->type) >= sizeof(sub))
				return AVAHI_ERR_INVALID_SERVICE_SUBTYPE;
			r = avahi_entry_group_add_service_subtype(s->group, s->ifidx[i],
			                                          AVAHI_PROTO_UNSPEC, 0, s->cur,
			                                          sp->type, s->p->domain, sub);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *userdata);

static void svc_unqueue(struct pub_svc *s)
{
	struct publish *p = s->p;

	if (!s->queued)
		return;
	s->queued = false;
	if (--p->n_queued == 0) {
		ev_check_stop(p->m->loop, &p->reg_check);
		ev_idle_stop(p->m->loop, &p->reg_idle);
	}
}

/* Register S soon (a few per loop iteration) if the client runs, else mark
 * it pending. */
static void svc_register(struct pub_svc *s)
{
	struct publish *p = s->p;

	if (s->spec->invalid) {
		report(s, MDNS_PUB_FAILED, s->spec->invalid);
		return;
	}
	if (!mdns_running(p->m)) {
		report(s, MDNS_PUB_PENDING, NULL);
		return;
	}
	if (s->queued)
		return;
	s->queued = true;
	p->n_queued++;
	ev_check_start(p->m->loop, &p->reg_check);
	ev_idle_start(p->m->loop, &p->reg_idle);
}

/* Create, fill and commit S's entry group now. */
static void svc_register_now(struct pub_svc *s)
{
	struct mdns *m = s->p->m;
	int r;

	if (!mdns_running(m)) {
		report(s, MDNS_PUB_PENDING, NULL);
		return;
	}
	if (!s->group) {
		s->group = avahi_entry_group_new(m->client, group_cb, s);
		if (!s->group) {
			report_failed(s, "cannot create entry group",
			              avahi_client_errno(m->client));
			return;
		}
	}
	if (svc_names(s) < 0 || svc_ifaces(s) < 0) {
		report(s, MDNS_PUB_FAILED, "out of memory");
		return;
	}
	if (s->n_ifidx == 0) {
		report(s, MDNS_PUB_FAILED, "none of the configured interfaces exists");
		return;
	}
	for (;;) {
		r = svc_add(s);
		if (r == 0)
			break;
		avahi_entry_group_reset(s->group);
		if (r != AVAHI_ERR_COLLISION) {
			report_failed(s, "cannot add service", r);
			return;
		}
		if (!svc_rename(s, false))
			return;
	}
	r = avahi_entry_group_commit(s->group);
	if (r < 0) {
		avahi_entry_group_reset(s->group);
		report_failed(s, "cannot commit entry group", r);
		return;
	}
	s->committed = true;
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *userdata)
{
	struct pub_svc *s = userdata;

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
		avahi_entry_group_reset(g);
		s->committed = false;
		if (svc_rename(s, true))
			svc_register(s);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		/* Retried on the next RUNNING or mdns_publish(). */
		s->committed = false;
		report_failed(s, "entry group failed",
		              avahi_client_errno(avahi_entry_group_get_client(g)));
		break;
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
		break;
	}
}

/* Withdraw and re-add with the current spec (type, port, name... changed). */
static void svc_reregister(struct pub_svc *s)
{
	if (s->group && s->committed)
		avahi_entry_group_reset(s->group);
	s->committed = false;
	s->reported = false; /* the agent hears the new registration */
	svc_register(s);
}

/* Push the new TXT to every (interface, protocol) the service was added
 * on, without re-probing; fall back to re-registering. */
static void svc_update_txt(struct pub_svc *s)
{
	int r = 0;

	if (!s->group || !s->committed || !mdns_running(s->p->m)) {
		if (!s->committed)
			svc_register(s);
		return; /* used at the next registration */
	}
	for (size_t i = 0; i < s->n_ifidx && r == 0; i++)
		r = avahi_entry_group_update_service_txt_strlst(
		        s->group, s->ifidx[i], AVAHI_PROTO_UNSPEC, 0, s->cur, s->spec->type,
		        s->p->domain, s->spec->txt);
	if (r < 0)
		svc_reregister(s);
}

static void svc_free(struct pub_svc *s)
{
	if (!s)
		return;
	svc_unqueue(s);
	/* Freeing the group makes avahi-daemon send goodbye packets. */
	if (s->group)
		avahi_entry_group_free(s->group);
	pub_spec_free(s->spec);
	free(s->base);
	free(s->cur);
	free(s->ifidx);
	free(s);
}

static void reg_check_cb(struct ev_loop *loop, ev_check *w, int revents)
{
	struct publish *p = w->data;
	int n = 0;

	for (struct pub_svc *s = p->svcs; s && n < REGISTER_BATCH; s = s->next) {
		if (!s->queued)
			continue;
		svc_unqueue(s);
		svc_register_now(s);
		n++;
	}
}

static void reg_idle_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	/* Active only to keep ev_run from blocking while services wait. */
}

struct publish *publish_new(struct mdns *m)
{
	struct publish *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->m = m;
	ev_check_init(&p->reg_check, reg_check_cb);
	p->reg_check.data = p;
	ev_idle_init(&p->reg_idle, reg_idle_cb);
	return p;
}

void publish_free(struct publish *p)
{
	struct pub_svc *s, *n;

	if (!p)
		return;
	for (s = p->svcs; s; s = n) {
		n = s->next;
		svc_free(s);
	}
	ev_check_stop(p->m->loop, &p->reg_check);
	ev_idle_stop(p->m->loop, &p->reg_idle);
	free(p->domain);
	free_strv(p->ifnames, p->n_ifnames);
	free(p);
}

int publish_apply(struct publish *p, const struct lanyard_config *cfg)
{
	size_t n = cfg->n_services;
	struct pub_spec **specs = NULL;
	struct pub_svc **fresh = NULL, *old, *s, **tail, *head = NULL;
	const char *dom = cfg->agent.domain;
	char *domain = NULL, **ifnames = NULL;
	bool global_changed;
	int r = -ENOMEM;

	/* Phase 1: every allocation, so a failure changes nothing. */
	if (dom && (!*dom || strcmp(dom, "local") == 0 || strcmp(dom, "local.") == 0))
		dom = NULL;
	if (dom && !(domain = strdup(dom)))
		goto fail;
	if (copy_strv(cfg->agent.interfaces, cfg->agent.n_interfaces, &ifnames) < 0)
		goto fail;
	specs = calloc(n ? n : 1, sizeof(*specs));
	fresh = calloc(n ? n : 1, sizeof(*fresh));
	if (!specs || !fresh)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		specs[i] = pub_spec_new(&cfg->services[i]);
		fresh[i] = calloc(1, sizeof(**fresh));
		if (!specs[i] || !fresh[i])
			goto fail;
	}

	/* Phase 2: match by name; withdraw removed services first so their
	 * names are free for new ones. */
	global_changed = !str_eq(domain, p->domain) ||
	                 !strv_eq(ifnames, cfg->agent.n_interfaces, p->ifnames, p->n_ifnames);
	old = p->svcs;
	p->svcs = NULL;
	for (size_t i = 0; i < n; i++) {
		struct pub_svc **pp;

		for (pp = &old; *pp; pp = &(*pp)->next)
			if (strcmp((*pp)->spec->name, specs[i]->name) == 0)
				break;
		if (*pp) {
			s = *pp;
			*pp = s->next;
			s->next = NULL;
			free(fresh[i]);
			fresh[i] = s; /* reuse, marked below by a non-NULL spec */
		}
	}
	while (old) {
		s = old;
		old = s->next;
		svc_free(s);
	}
	free(p->domain);
	free_strv(p->ifnames, p->n_ifnames);
	p->domain = domain;
	p->ifnames = ifnames;
	p->n_ifnames = cfg->agent.n_interfaces;
	domain = NULL;
	ifnames = NULL;

	/* Phase 3: apply in declaration order. */
	tail = &head;
	for (size_t i = 0; i < n; i++) {
		s = fresh[i];
		*tail = s;
		tail = &s->next;
	}
	p->svcs = head;
	for (size_t i = 0; i < n; i++) {
		struct pub_spec *prev;
		enum cfg_service_diff d;

		s = fresh[i];
		if (!s->spec) {
			s->p = p;
			s->spec = specs[i];
			specs[i] = NULL;
			svc_register(s);
			continue;
		}
		d = global_changed ? CFG_SERVICE_CHANGED : pub_spec_compare(s->spec, specs[i]);
		if (d == CFG_SERVICE_SAME && s->reported && s->last_state == MDNS_PUB_FAILED &&
		    !s->spec->invalid)
			d = CFG_SERVICE_CHANGED; /* a reload retries what failed */
		if (d == CFG_SERVICE_SAME)
			continue;
		prev = s->spec;
		s->spec = specs[i];
		specs[i] = NULL;
		pub_spec_free(prev);
		if (d == CFG_SERVICE_TXT_ONLY)
			svc_update_txt(s);
		else
			svc_reregister(s);
	}
	free(fresh); /* its elements are owned by p->svcs now */
	fresh = NULL;
	r = 0;
fail:
	if (specs)
		for (size_t i = 0; i < n; i++)
			pub_spec_free(specs[i]);
	if (fresh)
		for (size_t i = 0; i < n; i++)
			if (fresh[i] && !fresh[i]->spec)
				free(fresh[i]);
	free(specs);
	free(fresh);
	free(domain);
	free_strv(ifnames, cfg->agent.n_interfaces);
	return r;
}

void publish_client_running(struct publish *p)
{
	for (struct pub_svc *s = p->svcs; s; s = s->next)
		if (!s->committed)
			svc_register(s);
}

void publish_client_reset(struct publish *p)
{
	for (struct pub_svc *s = p->svcs; s; s = s->next) {
		if (s->group && s->committed)
			avahi_entry_group_reset(s->group);
		s->committed = false;
		if (!s->spec->invalid)
			report(s, MDNS_PUB_PENDING, "host name being registered");
	}
}

void publish_client_lost(struct publish *p)
{
	for (struct pub_svc *s = p->svcs; s; s = s->next) {
		bool had = s->group != NULL;

		/* The client frees its groups itself. */
		s->group = NULL;
		s->committed = false;
		if (had && !s->spec->invalid)
			report(s, MDNS_PUB_PENDING, "connection to avahi-daemon lost");
	}
}

const char *publish_instance_name(const struct publish *p, const char *service)
{
	for (const struct pub_svc *s = p->svcs; s; s = s->next)
		if (strcmp(s->spec->name, service) == 0)
			return s->cur;
	return NULL;
}
