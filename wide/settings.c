/* SPDX-License-Identifier: MIT */
/* The backend's own copy of its parameters (strings duplicated, the secret
 * wiped when freed) and the test for "same place" that decides whether a
 * reconfiguration moves what was published. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wide/settings.h"

/* Contract in settings.h. */
void wide_settings_clear(struct wide_settings *s)
{
	free(s->zone);
	free(s->host);
	free(s->server_text);
	free(s->key_name);
	free(s->key_alg);
	if (s->key_secret) {
		explicit_bzero(s->key_secret, strlen(s->key_secret));
		free(s->key_secret);
	}
	for (size_t i = 0; i < s->n_ifaces; i++)
		free(s->ifaces[i]);
	free(s->ifaces);
	s->zone = s->host = s->server_text = NULL;
	s->key_name = s->key_alg = s->key_secret = NULL;
	s->ifaces = NULL;
	s->n_ifaces = 0;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	if (!p)
		*oom = true;
	return p;
}

/* Contract in settings.h. */
int wide_settings_set(struct wide_settings *s, const struct wide_params *p, char *err,
                      size_t errlen)
{
	struct wide_settings n = {0};
	bool oom = false;

	if (!p->zone || !p->host || !p->server || p->server_len > sizeof(n.server) ||
	    (p->key.name && (!p->key.alg || !p->key.secret))) {
		snprintf(err, errlen, "incomplete wide-area settings");
		return -EINVAL;
	}
	n.zone = dup_or_null(p->zone, &oom);
	n.host = dup_or_null(p->host, &oom);
	n.server_text = dup_or_null(p->server_text ? p->server_text : "", &oom);
	n.key_name = dup_or_null(p->key.name, &oom);
	n.key_alg = dup_or_null(p->key.name ? p->key.alg : NULL, &oom);
	n.key_secret = dup_or_null(p->key.name ? p->key.secret : NULL, &oom);
	if (p->n_interfaces) {
		n.ifaces = calloc(p->n_interfaces, sizeof(*n.ifaces));
		if (!n.ifaces)
			oom = true;
		for (size_t i = 0; n.ifaces && i < p->n_interfaces; i++, n.n_ifaces++)
			n.ifaces[i] = dup_or_null(p->interfaces[i], &oom);
	}
	if (oom) {
		wide_settings_clear(&n);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(&n.server, p->server, p->server_len);
	n.server_len = p->server_len;
	n.on_state = p->on_state;
	n.on_renamed = p->on_renamed;
	n.ud = p->ud;
	n.refresh_s = (double)p->refresh_ms / 1000.;
	if (n.refresh_s < 1.)
		n.refresh_s = 1.;
	wide_settings_clear(s);
	*s = n;
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Contract in settings.h. */
bool wide_settings_same(const struct wide_settings *s, const struct wide_params *p)
{
	if (!str_eq(s->zone, p->zone) || !str_eq(s->host, p->host) ||
	    !str_eq(s->key_name, p->key.name) ||
	    (p->key.name &&
	     (!str_eq(s->key_alg, p->key.alg) || !str_eq(s->key_secret, p->key.secret))) ||
	    s->server_len != p->server_len || memcmp(&s->server, p->server, p->server_len) != 0 ||
	    s->n_ifaces != p->n_interfaces)
		return false;
	for (size_t i = 0; i < s->n_ifaces; i++)
		if (!str_eq(s->ifaces[i], p->interfaces[i]))
			return false;
	return true;
}
