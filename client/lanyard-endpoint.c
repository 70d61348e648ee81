/* SPDX-License-Identifier: MIT */
/* For consumers that run something against an endpoint: placeholders
 * expanded from an instance (lanyard_expand) and a pick that steers clear
 * of instances that already failed (lanyard_resolve_except). */
#include "client/lanyard-private.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rank of a numeric address, lower is better: the agent's order
 * (agent/cache-addr.c), global before scoped, then IPv4 before IPv6. */
static int address_rank(const char *a)
{
	char buf[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	bool v6 = strchr(a, ':') != NULL, scoped;

	if (v6) {
		size_t n = strcspn(a, "%");

		scoped = a[n] == '%';
		if (!scoped && n < sizeof(buf)) {
			memcpy(buf, a, n);
			buf[n] = '\0';
			scoped = inet_pton(AF_INET6, buf, &a6) == 1 && IN6_IS_ADDR_LINKLOCAL(&a6);
		}
	} else {
		scoped = strncmp(a, "169.254.", 8) == 0;
	}
	return (scoped ? 2 : 0) + (v6 ? 1 : 0);
}

/* The address of IN to connect to with FAMILY, or NULL. */
static const char *best_address(const struct lanyard_instance *in, enum lanyard_family family)
{
	const char *best = NULL;

	for (size_t i = 0; i < in->n_addresses; i++) {
		const char *a = in->addresses[i];
		bool v6 = strchr(a, ':') != NULL;

		if (family != LANYARD_FAMILY_ANY && (family == LANYARD_FAMILY_IPV6) != v6)
			continue;
		if (!best || address_rank(a) < address_rank(best))
			best = a;
	}
	return best;
}

/* Growing output of lanyard_expand(). */
struct text {
	char *s;
	size_t len, cap;
	bool oom;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 64;
		char *p;

		while (cap < t->len + n + 1)
			cap *= 2;
		p = realloc(t->s, cap);
		if (!p) {
			t->oom = true;
			return;
		}
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

/* The value of placeholder NAME (LEN bytes, without braces) for IN into
 * BUF (for the port); NULL when IN lacks it, or *known = false when NAME
 * is no placeholder. */
static const char *value_of(const struct lanyard_instance *in, enum lanyard_family family,
                            const char *name, size_t len, char buf[8], bool *known)
{
	*known = true;
	if (len == 7 && memcmp(name, "address", 7) == 0)
		return best_address(in, family);
	if (len == 4 && memcmp(name, "port", 4) == 0) {
		snprintf(buf, 8, "%u", (unsigned)in->port);
		return buf;
	}
	if (len == 4 && memcmp(name, "host", 4) == 0)
		return in->host;
	if (len == 8 && memcmp(name, "instance", 8) == 0)
		return in->instance;
	if (len == 7 && memcmp(name, "service", 7) == 0)
		return in->service ? in->service : in->type;
	*known = false;
	return NULL;
}

int lanyard_expand(const struct lanyard_instance *in, enum lanyard_family family, const char *tmpl,
                   char **ret)
{
	struct text t = {0};
	const char *p = tmpl;

	if (!ret)
		return LANYARD_E_INVAL;
	*ret = NULL;
	if (!in || !tmpl)
		return LANYARD_E_INVAL;
	text_add(&t, "", 0);
	while (*p) {
		const char *open = strchr(p, '{'), *close, *v;
		char port[8];
		bool known;

		if (!open) {
			text_add(&t, p, strlen(p));
			break;
		}
		text_add(&t, p, (size_t)(open - p));
		close = strchr(open + 1, '}');
		/* The innermost candidate: in "{{port}}" the name starts at the
		 * last '{' before the '}'. */
		if (close) {
			const char *o = open;

			for (const char *q = open + 1; q < close; q++)
				if (*q == '{')
					o = q;
			text_add(&t, open, (size_t)(o - open));
			open = o;
		}
		v = close ? value_of(in, family, open + 1, (size_t)(close - open - 1), port, &known)
		          : NULL;
		if (!close || !known) {
			text_add(&t, open, 1);
			p = open + 1;
			continue;
		}
		if (!v) {
			free(t.s);
			return LANYARD_E_NOT_FOUND;
		}
		text_add(&t, v, strlen(v));
		p = close + 1;
	}
	if (t.oom) {
		free(t.s);
		return LANYARD_E_NOMEM;
	}
	*ret = t.s;
	return 0;
}

static bool excepted(const char *name, const char *const *except, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (except[i] && strcmp(except[i], name) == 0)
			return true;
	return false;
}

int lanyard_resolve_except(struct lanyard *h, const struct lanyard_filter *f, const char *policy,
                           const char *key, unsigned flags, const char *const *except,
                           size_t n_except, struct lanyard_instance **ret)
{
	enum lanyard_family family = f ? f->family : LANYARD_FAMILY_ANY;
	struct lanyard_instance *pick = NULL;
	struct lanyard_instance_list *list;
	size_t best = SIZE_MAX;
	int r;

	if (!ret)
		return LANYARD_E_INVAL;
	*ret = NULL;
	if (!h)
		return LANYARD_E_INVAL;
	if (n_except && !except) {
		pthread_mutex_lock(&h->lock);
		r = client_fail(h, LANYARD_E_INVAL, "no names to except");
		pthread_mutex_unlock(&h->lock);
		return r;
	}
	for (size_t t = 0; t <= n_except; t++) {
		struct lanyard_instance *in;

		r = lanyard_resolve(h, f, policy, key, flags, &in);
		if (r < 0) {
			lanyard_instance_free(pick);
			return r;
		}
		if (!excepted(in->instance, except, n_except)) {
			lanyard_instance_free(pick);
			*ret = in;
			return 0;
		}
		lanyard_instance_free(pick);
		pick = in;
	}
	/* The agent kept answering excepted instances: is there another? */
	if (lanyard_list(h, f, &list) < 0) {
		*ret = pick; /* best effort: the agent's pick */
		return 0;
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct lanyard_instance *in = list->items[i], *b;

		if (excepted(in->instance, except, n_except) || !best_address(in, family))
			continue;
		b = best == SIZE_MAX ? NULL : list->items[best];
		if (!b || in->priority < b->priority ||
		    (in->priority == b->priority && in->weight > b->weight))
			best = i;
	}
	if (best != SIZE_MAX) {
		lanyard_instance_free(pick);
		pick = list->items[best];
		list->items[best] = NULL;
	}
	lanyard_instance_list_free(list);
	*ret = pick;
	return 0;
}
