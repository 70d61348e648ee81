/* SPDX-License-Identifier: MIT */
/* How the agent shows cache entries to consumers: filters and instance objects. */
#include <net/if.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent/present.h"
#include "dnssd/name.h"
#include "wire/instance.h"

bool present_type_match(const struct cache_type *t, const struct wire_filter *f)
{
	if (!f->service || !*f->service)
		return true;
	if (dnssd_check_type(f->service, NULL) == NULL)
		return strcasecmp(t->name, f->service) == 0;
	return strcasecmp(t->service, f->service) == 0;
}

static bool txt_value_is(const struct txt *t, const char *key, const char *value)
{
	const struct txt_pair *p = txt_get(t, key);
	size_t len = strlen(value);

	if (!p || !p->value)
		return false;
	return p->value_len == len && memcmp(p->value, value, len) == 0;
}

static bool has_family(const struct cache_entry *e, enum wire_family fam)
{
	int want = fam == WIRE_FAMILY_IPV4 ? AF_INET : AF_INET6;

	for (size_t i = 0; i < e->n_addrs; i++)
		if (e->addrs[i].family == want)
			return true;
	return false;
}

bool present_match(const struct cache_entry *e, const struct wire_filter *f)
{
	if (f->service && *f->service && !present_type_match(e->type, f))
		return false;
	return present_match_in_type(e, f);
}

bool present_match_in_type(const struct cache_entry *e, const struct wire_filter *f)
{
	if (f->instance && strcasecmp(e->name, f->instance) != 0)
		return false;
	if (f->domain && strcasecmp(e->domain, f->domain) != 0)
		return false;
	if (f->version &&
	    !(e->txt->version_ok && constraint_match(&f->constraint, &e->txt->semver)))
		return false;
	for (size_t i = 0; i < f->n_tags; i++)
		if (!txt_has_tag(e->txt, f->tags[i]))
			return false;
	for (size_t i = 0; i < f->n_txt; i++)
		if (!txt_value_is(e->txt, f->txt[i].key, f->txt[i].value))
			return false;
	if (f->family != WIRE_FAMILY_ANY && !has_family(e, f->family))
		return false;
	return true;
}

/* TAG then the C string STR with its NUL at *N in BUF, if it fits. */
static bool key_put(char *buf, size_t cap, size_t *n, char tag, const char *str)
{
	size_t len = strlen(str);

	if (cap - *n < len + 2)
		return false;
	buf[(*n)++] = tag;
	memcpy(buf + *n, str, len + 1);
	*n += len + 1;
	return true;
}

/* Strings hold no NUL: after its tag, each one ends at the next NUL. */
size_t present_filter_key(const struct wire_filter *f, char *buf, size_t cap)
{
	char fam[2] = {(char)('0' + f->family), 0};
	size_t n = 0;
	bool ok = key_put(buf, cap, &n, 'f', fam);

	if (f->instance)
		ok = ok && key_put(buf, cap, &n, 'i', f->instance);
	if (f->domain)
		ok = ok && key_put(buf, cap, &n, 'd', f->domain);
	if (f->version) /* the constraint is parsed from it */
		ok = ok && key_put(buf, cap, &n, 'v', f->version);
	for (size_t i = 0; ok && i < f->n_tags; i++)
		ok = key_put(buf, cap, &n, 't', f->tags[i]);
	for (size_t i = 0; ok && i < f->n_txt; i++)
		ok = key_put(buf, cap, &n, 'k', f->txt[i].key) &&
		     key_put(buf, cap, &n, '=', f->txt[i].value);
	return ok ? n : 0;
}

/* Every string the instance object borrows, on the stack of its builder. */
struct present_buf {
	char addr_text[CACHE_MAX_SIGHTINGS][64];
	const char *addrs[CACHE_MAX_SIGHTINGS];
	char if_text[CACHE_MAX_SIGHTINGS][IF_NAMESIZE + 16];
	const char *ifaces[CACHE_MAX_SIGHTINGS];
	struct wire_txt txt[TXT_PAIRS_MAX];
};

static size_t present_ifaces(const struct cache_entry *e, struct present_buf *pb)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_sightings && n < CACHE_MAX_SIGHTINGS; i++) {
		char name[IF_NAMESIZE];
		size_t j;

		if (e->sightings[i].ifindex == CACHE_IFINDEX_DNS)
			snprintf(name, sizeof(name), "dns"); /* a browsed zone */
		else if (!if_indextoname((unsigned)e->sightings[i].ifindex, name))
			snprintf(name, sizeof(name), "%d", e->sightings[i].ifindex);
		for (j = 0; j < n; j++)
			if (strcmp(pb->if_text[j], name) == 0)
				break;
		if (j < n)
			continue; /* IPv4 and IPv6 sightings on one interface */
		snprintf(pb->if_text[n], sizeof(pb->if_text[n]), "%s", name);
		pb->ifaces[n] = pb->if_text[n];
		n++;
	}
	return n;
}

static json_t *health_json(const struct balance_status *st)
{
	return json_pack("{s:b,s:s,s:f,s:I,s:f,s:f}", "ejected", st->ejected, "reason",
	                 health_reason_name(st->reason), "time_left", st->time_left, "failures",
	                 (json_int_t)st->failures, "outstanding", st->outstanding, "latency_ms",
	                 st->latency_ms);
}

/* What the service's trust does to E (docs/config.md, "trust"):
 * "untrusted" when trust.from leaves it out of every pick, "capped" with
 * the weight and priority selection uses when a cap changed them. */
static int add_trust(json_t *o, const struct cache_entry *e, const struct balance_status *st)
{
	if (!st->trusted && json_object_set_new(o, "untrusted", json_true()) < 0)
		return -1;
	if (st->weight == e->txt->weight && st->priority == e->txt->priority)
		return 0;
	return json_object_set_new(
	        o, "capped",
	        json_pack("{s:i,s:i}", "weight", (int)st->weight, "priority", (int)st->priority));
}

/* The provider's own health from TXT health= ("warning" from a lanyardd
 * whose checks warn), as "check": it says nothing of this agent's
 * ejection, which is "health". Not UTF-8: left out. */
static int add_check(json_t *o, const struct cache_entry *e)
{
	const struct txt_pair *p = txt_get(e->txt, txt_known_name(TXT_KNOWN_HEALTH));

	if (!p || !p->value || !p->utf8)
		return 0;
	return json_object_set_new(o, "check", json_stringn(p->value, p->value_len));
}

/* The instance object of E without "stale" and "health". */
static json_t *instance_base(const struct cache_entry *e)
{
	struct present_buf pb;
	json_t *o;
	struct wire_instance wi = {
	        .instance = e->name,
	        .service = e->type->service,
	        .type = e->type->name,
	        .domain = e->domain,
	        .host = e->host,
	        .port = e->port,
	        .version = e->txt->version,
	        .weight = e->txt->weight,
	        .priority = e->txt->priority,
	        .tags = e->txt->tags,
	        .n_tags = e->txt->n_tags,
	        .local = e->local,
	        .first_seen = e->first_seen,
	        .last_changed = e->last_changed,
	};

	/* Best first, so a client taking the first address connects well. */
	for (int rank = 0; rank < 4; rank++) {
		for (size_t i = 0; i < e->n_addrs && wi.n_addresses < CACHE_MAX_SIGHTINGS; i++) {
			size_t n = wi.n_addresses;

			if (cache_addr_rank(&e->addrs[i]) != rank)
				continue;
			pb.addrs[n] = cache_addr_format(&e->addrs[i], pb.addr_text[n],
			                                sizeof(pb.addr_text[n]));
			wi.n_addresses++;
		}
	}
	wi.addresses = pb.addrs;
	for (size_t i = 0; i < e->txt->n_pairs && i < TXT_PAIRS_MAX; i++) {
		const struct txt_pair *p = &e->txt->pairs[i];

		pb.txt[i] = (struct wire_txt){p->key, p->key_len, p->value, p->value_len};
		wi.n_txt++;
	}
	wi.txt = pb.txt;
	wi.n_interfaces = present_ifaces(e, &pb);
	wi.interfaces = pb.ifaces;
	o = wire_instance_to_json(&wi);
	if (o && add_check(o, e) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *present_instance(const struct cache_entry *e, const struct balance *b, double now)
{
	json_t *o = instance_base(e);

	if (!o)
		return NULL;
	if (e->stale && json_object_set_new(o, "stale", json_true()) < 0)
		goto fail;
	if (e->down && json_object_set_new(o, "down", json_true()) < 0)
		goto fail;
	if (b) {
		struct balance_status st;

		balance_status(b, e, now, &st);
		if (add_trust(o, e, &st) < 0 ||
		    json_object_set_new(o, "health", health_json(&st)) < 0)
			goto fail;
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

const char *present_instance_text(struct cache_entry *e, size_t *ret_len)
{
	json_t *o;
	char *text;
	size_t len;

	if (e->text && e->text_gen == e->generation) {
		*ret_len = e->text_len;
		return e->text;
	}
	o = instance_base(e);
	text = o ? json_dumps(o, WIRE_DUMP_FLAGS) : NULL;
	json_decref(o);
	if (!text)
		return NULL;
	len = strlen(text);
	if (len < 2 || text[len - 1] != '}') {
		free(text);
		return NULL;
	}
	free(e->text);
	e->text = text;
	e->text_len = len - 1; /* without the closing brace */
	e->text_gen = e->generation;
	*ret_len = e->text_len;
	return e->text;
}

json_t *present_instance_id(const struct cache_entry *e)
{
	/* The entry is intact until its REMOVED event returns: its last
	 * values, not placeholders. */
	return instance_base(e);
}

void present_only_family(json_t *inst, enum wire_family fam)
{
	json_t *addrs = json_object_get(inst, "addresses");
	size_t i = 0;

	if (fam == WIRE_FAMILY_ANY || !json_is_array(addrs))
		return;
	while (i < json_array_size(addrs)) {
		const char *s = json_string_value(json_array_get(addrs, i));
		bool v6 = s && strchr(s, ':');

		if (v6 != (fam == WIRE_FAMILY_IPV6))
			json_array_remove(addrs, i);
		else
			i++;
	}
}
