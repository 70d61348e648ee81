/* SPDX-License-Identifier: MIT */
/* The browsed zones: each browser's instance set turned into cache
 * sightings (one per address family), diffed against what the zone handed
 * the cache last time, so that what left the zone leaves the cache and
 * what changed is upserted. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent.h"
#include "agent/cache.h"
#include "agent/log.h"
#include "agent/wide-browse.h"
#include "config/config.h"
#include "dnssd/name.h"
#include "wide/browse.h"

#define TXT_STRINGS_MAX 256

/* A sighting this zone handed to the cache. */
struct wkey {
	char *name, *type, *host;
	int family;
};

struct wzone {
	struct agent *a;
	char *zone;
	char *sig; /* the settings it was made with, for reloads (holds the secret) */
	struct wide_browse *b;
	struct wkey *keys; /* sorted by key_cmp */
	size_t n_keys;
	uint64_t drops;
	struct wzone *next;
};

static int key_cmp(const void *x, const void *y)
{
	const struct wkey *a = x, *b = y;
	int r = strcmp(a->type, b->type);

	if (!r)
		r = strcmp(a->name, b->name);
	return r ? r : a->family - b->family;
}

static void keys_free(struct wkey *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(k[i].name);
		free(k[i].type);
		free(k[i].host);
	}
	free(k);
}

/* The sighting of F for FAMILY as the cache takes it. */
static void sighting(const struct wzone *z, const struct wide_found *f, int family,
                     const uint8_t **txt, size_t *txt_len, size_t n_txt, struct mdns_instance *s)
{
	*s = (struct mdns_instance){
	        .name = f->name,
	        .type = f->type,
	        .domain = z->zone,
	        .host = f->host,
	        .ifindex = CACHE_IFINDEX_DNS,
	        .family = family,
	        .port = f->port,
	        .txt = txt,
	        .txt_len = txt_len,
	        .n_txt = n_txt,
	        .local = f->ours,
	        .ours = f->ours,
	};
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&s->addr;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, f->addr4, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&s->addr;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, f->addr6, 16);
	}
}

/* F's TXT rdata as strings (empty ones dropped). */
static size_t txt_split(const struct wide_found *f, const uint8_t **v, size_t *len)
{
	size_t n = 0;

	for (size_t o = 0; o < f->txt_len && n < TXT_STRINGS_MAX;) {
		size_t l = f->txt[o];

		if (o + 1 + l > f->txt_len)
			break;
		if (l) {
			v[n] = f->txt + o + 1;
			len[n++] = l;
		}
		o += 1 + l;
	}
	return n;
}

static void upsert(struct wzone *z, const struct wide_found *f, int family, double now)
{
	static const uint8_t *txt[TXT_STRINGS_MAX];
	static size_t txt_len[TXT_STRINGS_MAX];
	struct mdns_instance s;
	size_t n = txt_split(f, txt, txt_len);
	int r;

	sighting(z, f, family, txt, txt_len, n, &s);
	r = cache_upsert(z->a->cache, &s, now);
	if ((r == CACHE_DROPPED || r < 0) && z->drops++ % 1000 == 0)
		log_warning("wide area: \"%s\": dropped \"%s\" (%s): %s", z->zone, f->name, f->type,
		            r == CACHE_DROPPED ? "instance limit reached (agent.max_instances)"
		                               : strerror(-r));
}

/* The browser's news: the zone's whole instance set. */
static void on_set(void *ud, const struct wide_found *v, size_t n)
{
	struct wzone *z = ud;
	double now = ev_now(z->a->loop);
	struct wkey *keys = calloc(2 * n + 1, sizeof(*keys));
	size_t k = 0, i = 0, j = 0;

	if (!keys) {
		log_error("wide area: \"%s\": out of memory", z->zone);
		return;
	}
	for (size_t x = 0; x < n; x++)
		for (int fam = 0; fam < 2; fam++) {
			if (!(fam ? v[x].has6 : v[x].has4))
				continue;
			keys[k] = (struct wkey){strdup(v[x].name), strdup(v[x].type),
			                        strdup(v[x].host), fam ? AF_INET6 : AF_INET};
			if (!keys[k].name || !keys[k].type || !keys[k].host) {
				keys_free(keys, k + 1);
				log_error("wide area: \"%s\": out of memory", z->zone);
				return;
			}
			k++;
		}
	qsort(keys, k, sizeof(*keys), key_cmp);
	/* what left the zone leaves the cache: a dead host's as host_down */
	while (i < z->n_keys) {
		int c = j < k ? key_cmp(&z->keys[i], &keys[j]) : -1;

		if (c > 0) {
			j++;
			continue;
		}
		if (c < 0) {
			const struct wkey *o = &z->keys[i];
			enum cache_gone why = wide_browse_host_stale(z->b, o->host)
			                              ? CACHE_GONE_HOST_DOWN
			                              : CACHE_GONE_WITHDRAWN;

			cache_remove_sighting(z->a->cache, o->name, o->type, z->zone,
			                      CACHE_IFINDEX_DNS, o->family, why, now);
		} else {
			j++;
		}
		i++;
	}
	for (size_t x = 0; x < n; x++) {
		if (v[x].has4)
			upsert(z, &v[x], AF_INET, now);
		if (v[x].has6)
			upsert(z, &v[x], AF_INET6, now);
	}
	keys_free(z->keys, z->n_keys);
	z->keys = keys;
	z->n_keys = k;
}

/* Take every sighting Z handed out out of the cache. */
static void zone_release(struct wzone *z)
{
	double now = ev_now(z->a->loop);

	for (size_t i = 0; i < z->n_keys; i++)
		cache_remove_sighting(z->a->cache, z->keys[i].name, z->keys[i].type, z->zone,
		                      CACHE_IFINDEX_DNS, z->keys[i].family, CACHE_GONE_RELEASED,
		                      now);
	keys_free(z->keys, z->n_keys);
	z->keys = NULL;
	z->n_keys = 0;
}

static void sig_free(char *sig)
{
	if (sig)
		explicit_bzero(sig, strlen(sig)); /* it holds the key's secret */
	free(sig);
}

static void zone_free(struct wzone *z)
{
	wide_browse_free(z->b);
	zone_release(z);
	free(z->zone);
	sig_free(z->sig);
	free(z);
}

/* Everything that makes a browser: a reload keeps the zone when it is the same. */
static char *signature(const struct cfg_wide_area *c, const char *zone, const char *self)
{
	char *s = NULL;
	const struct sockaddr_storage *srv = c->browse_server_len ? &c->browse_server : &c->server;
	char addr[INET6_ADDRSTRLEN] = "";
	unsigned port = 0;

	if (srv->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)srv;

		inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		port = ntohs(sin->sin_port);
	} else if (srv->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)srv;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6->sin6_port);
	}
	if (asprintf(&s, "%s|%s|%u|%s|%s|%s|%llu", zone, addr, port, c->key.name ? c->key.name : "",
	             c->key.secret ? c->key.secret : "", self ? self : "",
	             (unsigned long long)c->poll_ms) < 0)
		return NULL;
	return s;
}

static int zone_new(struct agent *a, const struct cfg_wide_area *c, const char *zone,
                    const char *self, char *sig, struct wzone **ret)
{
	struct wzone *z = calloc(1, sizeof(*z));
	struct wide_browse_params p = {
	        .zone = zone,
	        .server = (const struct sockaddr *)(c->browse_server_len ? &c->browse_server
	                                                                 : &c->server),
	        .server_len = c->browse_server_len ? c->browse_server_len : c->server_len,
	        .self = self,
	        .poll_s = (double)c->poll_ms / 1000.0,
	        .on_set = on_set,
	};
	char err[128];
	int r;

	if (!z || !(z->zone = strdup(zone))) {
		free(z);
		return -ENOMEM;
	}
	z->a = a;
	z->sig = sig;
	p.ud = z;
	if (c->key.name)
		p.key = (struct wide_key){.name = c->key.name,
		                          .alg = cfg_tsig_alg_name(c->key.alg),
		                          .secret = c->key.secret};
	r = wide_browse_new(a->loop, &p, &z->b, err, sizeof(err));
	if (r < 0) {
		log_error("wide area: cannot browse \"%s\": %s", zone,
		          r == -EINVAL ? err : strerror(-r));
		free(z->zone);
		free(z);
		return r;
	}
	*ret = z;
	return 0;
}

/* Contract in wide-browse.h. */
int agent_wide_browse_apply(struct agent *a, const struct lanyard_config *cfg)
{
	const struct cfg_wide_area *c = &cfg->agent.wide_area;
	struct wzone *keep = NULL, **tail = &keep;
	char host[DNSSD_INSTANCE_MAX + 1];
	int ret = 0;

	if (dnssd_host_label(host, sizeof(host)) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	for (size_t i = 0; c->enabled && i < c->n_browse; i++) {
		const char *self = c->zone && strcasecmp(c->zone, c->browse[i]) == 0 ? host : NULL;
		char *sig = signature(c, c->browse[i], self);
		struct wzone **p, *z = NULL;
		int r;

		if (!sig) {
			ret = -ENOMEM;
			continue;
		}
		for (p = &a->wide_zones; *p; p = &(*p)->next)
			if (strcmp((*p)->sig, sig) == 0)
				break;
		if (*p) { /* unchanged: keep its copy and what it handed out */
			z = *p;
			*p = z->next;
			sig_free(sig);
		} else if ((r = zone_new(a, c, c->browse[i], self, sig, &z)) < 0) {
			sig_free(sig);
			ret = r;
			continue;
		} else {
			log_info("wide area: browsing \"%s\" through %s", c->browse[i],
			         c->browse_server_len ? c->browse_server_text : c->server_text);
			/* the same zone under other settings: the new browser takes
			 * over what the old one handed out, so that its first
			 * answer changes only what changed */
			for (p = &a->wide_zones; *p; p = &(*p)->next)
				if (strcasecmp((*p)->zone, z->zone) == 0) {
					z->keys = (*p)->keys, z->n_keys = (*p)->n_keys;
					(*p)->keys = NULL, (*p)->n_keys = 0;
					break;
				}
		}
		z->next = NULL;
		*tail = z;
		tail = &z->next;
	}
	agent_wide_browse_stop(a);
	a->wide_zones = keep;
	return ret;
}

/* Contract in wide-browse.h. */
void agent_wide_browse_stop(struct agent *a)
{
	while (a->wide_zones) {
		struct wzone *z = a->wide_zones;

		a->wide_zones = z->next;
		log_info("wide area: no longer browsing \"%s\"", z->zone);
		zone_free(z);
	}
}

/* Contract in wide-browse.h. */
json_t *agent_wide_browse_status(const struct agent *a)
{
	json_t *v = json_array();

	for (const struct wzone *z = a->wide_zones; v && z; z = z->next) {
		struct wide_browse_status st;

		wide_browse_get_status(z->b, &st);
		if (json_array_append_new(
		            v, json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s?,s:o}",
		                         "zone", st.zone, "state", st.state, "serial",
		                         (json_int_t)st.serial, "records", (json_int_t)st.records,
		                         "instances", (json_int_t)st.instances, "stale_hosts",
		                         (json_int_t)st.stale_hosts, "polls", (json_int_t)st.polls,
		                         "transfers", (json_int_t)st.transfers, "full_transfers",
		                         (json_int_t)st.full_transfers, "failures",
		                         (json_int_t)st.failures, "last_error",
		                         st.last_error[0] ? st.last_error : NULL, "since_success",
		                         st.since_success < 0 ? json_null()
		                                              : json_real(st.since_success))) < 0) {
			json_decref(v);
			return NULL;
		}
	}
	return v;
}
