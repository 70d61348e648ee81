/* SPDX-License-Identifier: MIT */
/* Selection's trust rule: the caps, floor and allow-list of agent.trust and
 * each service's trust, resolved per type and applied to an entry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "agent/balance-private.h"

static const struct btrust no_limit = {.max_weight = UINT16_MAX};

static void btrust_clear(struct btrust *t)
{
	free(t->type);
	free(t->nets);
	for (size_t i = 0; i < t->n_hosts; i++)
		free(t->hosts[i]);
	free(t->hosts);
}

static void trust_free(struct btrust *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		btrust_clear(&v[i]);
	free(v);
}

/* *RET from SVC's keys over AGENT's (SVC may be NULL), copied, for TYPE
 * (NULL: the default). Returns 0 or -ENOMEM (*RET then needs clearing). */
static int btrust_make(struct btrust *ret, const char *type, const struct cfg_trust *svc,
                       const struct cfg_trust *agent)
{
	const struct cfg_trust *from = svc && svc->has_from ? svc : agent->has_from ? agent : NULL;

	*ret = no_limit;
	if (svc && svc->has_max_weight)
		ret->max_weight = svc->max_weight;
	else if (agent->has_max_weight)
		ret->max_weight = agent->max_weight;
	if (svc && svc->has_min_priority)
		ret->min_priority = svc->min_priority;
	else if (agent->has_min_priority)
		ret->min_priority = agent->min_priority;
	if (type && !(ret->type = strdup(type)))
		return -ENOMEM;
	if (!from)
		return 0;
	ret->has_from = true;
	if (from->n_nets) {
		ret->nets = malloc(from->n_nets * sizeof(*ret->nets));
		if (!ret->nets)
			return -ENOMEM;
		memcpy(ret->nets, from->nets, from->n_nets * sizeof(*ret->nets));
		ret->n_nets = from->n_nets;
	}
	if (from->n_hosts && !(ret->hosts = calloc(from->n_hosts, sizeof(*ret->hosts))))
		return -ENOMEM;
	for (; ret->n_hosts < from->n_hosts; ret->n_hosts++)
		if (!(ret->hosts[ret->n_hosts] = strdup(from->hosts[ret->n_hosts])))
			return -ENOMEM;
	return 0;
}

static bool trust_given(const struct cfg_trust *t)
{
	return t->has_max_weight || t->has_min_priority || t->has_from;
}

int balance_set_trust(struct balance *b, const struct lanyard_config *cfg)
{
	size_t n = 1;
	struct btrust *v;

	for (size_t i = 0; i < cfg->n_services; i++)
		n += trust_given(&cfg->services[i].trust) && cfg->services[i].type;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (btrust_make(&v[0], NULL, NULL, &cfg->agent.trust) < 0)
		goto fail;
	n = 1;
	for (size_t i = 0; i < cfg->n_services; i++) {
		const struct cfg_service *s = &cfg->services[i];

		if (trust_given(&s->trust) && s->type &&
		    btrust_make(&v[n++], s->type, &s->trust, &cfg->agent.trust) < 0)
			goto fail;
	}
	trust_free(b->trust, b->n_trust);
	b->trust = v;
	b->n_trust = n;
	b->trust_gen++;
	return 0;
fail:
	trust_free(v, n);
	return -ENOMEM;
}

const struct btrust *btrust_for(const struct balance *b, const struct cache_type *t)
{
	const struct bsvc *s = t->user;

	if (s && s->trust && s->trust_gen == b->trust_gen)
		return s->trust;
	for (size_t i = 1; i < b->n_trust; i++)
		if (strcasecmp(b->trust[i].type, t->name) == 0)
			return &b->trust[i];
	return b->n_trust ? &b->trust[0] : &no_limit;
}

/* Host name item ITEM names HOST (an SRV target): equal but for case and
 * a trailing dot; an item of one label ("h2") names "h2.local". */
static bool host_match(const char *item, const char *host)
{
	size_t il = strlen(item), hl = strlen(host);

	if (hl > 1 && host[hl - 1] == '.')
		hl--;
	if (!strchr(item, '.'))
		return hl == il + 6 && strncasecmp(host, item, il) == 0 &&
		       strncasecmp(host + il, ".local", 6) == 0;
	return hl == il && strncasecmp(host, item, il) == 0;
}

/* Network N holds address A (an IPv6 zone does not matter). */
static bool net_has(const struct cfg_trust_net *n, const struct cache_addr *a)
{
	size_t full = n->prefix / 8u;
	unsigned rem = n->prefix % 8u;

	if (n->family != a->family || memcmp(n->addr, a->bytes, full) != 0)
		return false;
	return rem == 0 || ((n->addr[full] ^ a->bytes[full]) & (0xffu << (8 - rem)) & 0xffu) == 0;
}

/* trust.from allows E: its host is one of the names, or every address it
 * resolved to is inside one of the networks (so a consumer connects
 * nowhere else, whichever address it takes). */
static bool from_allows(const struct btrust *tr, const struct cache_entry *e)
{
	for (size_t i = 0; i < tr->n_hosts; i++)
		if (host_match(tr->hosts[i], e->host))
			return true;
	if (!tr->n_nets || !e->n_addrs)
		return false;
	for (size_t i = 0; i < e->n_addrs; i++) {
		size_t k = 0;

		while (k < tr->n_nets && !net_has(&tr->nets[k], &e->addrs[i]))
			k++;
		if (k == tr->n_nets)
			return false;
	}
	return true;
}

bool btrust_judge(const struct btrust *tr, const struct cache_entry *e, uint16_t *ret_w,
                  uint16_t *ret_p)
{
	*ret_w = e->txt->weight;
	*ret_p = e->txt->priority;
	if (e->local)
		return true;
	if (*ret_w > tr->max_weight)
		*ret_w = tr->max_weight;
	if (*ret_p < tr->min_priority)
		*ret_p = tr->min_priority;
	return !tr->has_from || from_allows(tr, e);
}

void btrust_free_all(struct balance *b)
{
	trust_free(b->trust, b->n_trust);
	b->trust = NULL;
	b->n_trust = 0;
}
