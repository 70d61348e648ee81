/* SPDX-License-Identifier: MIT */
/* Records of the published set: built and checked once, compared for updates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnssd/name.h"
#include "dnssd/record.h"
#include "dnssd/txt.h"

static char *dup_str(const char *s)
{
	return s ? strdup(s) : NULL;
}

int record_new(const char *key, const char *instance, const char *type, uint16_t port,
               struct dnssd_record **ret, const char **ret_why)
{
	struct dnssd_record *r;
	const char *why = NULL;

	*ret = NULL;
	if (!key || !*key)
		why = "a record needs a key";
	else if (!instance || (why = dnssd_check_instance(instance, strlen(instance))))
		why = why ? why : "a record needs an instance name";
	else if (!type || (why = dnssd_check_type(type, NULL)))
		why = why ? why : "a record needs a service type";
	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->key = strdup(key);
	r->instance = strdup(instance);
	r->type = strdup(type);
	r->port = port;
	if (!r->key || !r->instance || !r->type) {
		record_free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

void record_free(struct dnssd_record *r)
{
	if (!r)
		return;
	free(r->key);
	free(r->instance);
	free(r->type);
	for (size_t i = 0; i < r->n_subtypes; i++)
		free(r->subtypes[i]);
	free(r->subtypes);
	free(r->txt);
	free(r);
}

struct dnssd_record *record_copy(const struct dnssd_record *r)
{
	struct dnssd_record *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->key = dup_str(r->key);
	c->instance = dup_str(r->instance);
	c->type = dup_str(r->type);
	c->port = r->port;
	if (!c->key || !c->instance || !c->type)
		goto fail;
	if (r->n_subtypes) {
		c->subtypes = calloc(r->n_subtypes, sizeof(*c->subtypes));
		if (!c->subtypes)
			goto fail;
		for (; c->n_subtypes < r->n_subtypes; c->n_subtypes++)
			if (!(c->subtypes[c->n_subtypes] = strdup(r->subtypes[c->n_subtypes])))
				goto fail;
	}
	if (r->txt_len) {
		c->txt = malloc(r->txt_len);
		if (!c->txt)
			goto fail;
		memcpy(c->txt, r->txt, r->txt_len);
		c->txt_len = r->txt_len;
	}
	return c;
fail:
	record_free(c);
	return NULL;
}

int record_add_subtype(struct dnssd_record *r, const char *sub, const char **ret_why)
{
	const char *why = sub ? dnssd_check_subtype(sub) : "a subtype cannot be empty";
	char **v, *s;

	for (size_t i = 0; !why && i < r->n_subtypes; i++)
		if (strcasecmp(r->subtypes[i], sub) == 0)
			why = "duplicate subtype";
	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	s = strdup(sub);
	v = s ? realloc(r->subtypes, (r->n_subtypes + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	r->subtypes = v;
	r->subtypes[r->n_subtypes++] = s;
	return 0;
}

bool record_txt_next(const struct dnssd_record *r, size_t *offset, const uint8_t **ret_str,
                     size_t *ret_len)
{
	size_t len;

	if (*offset >= r->txt_len)
		return false;
	len = r->txt[*offset];
	/* Built by record_add_txt(): a length never runs past the end. */
	*ret_str = r->txt + *offset + 1;
	*ret_len = len;
	*offset += 1 + len;
	return true;
}

/* Is KEY (KLEN bytes) the key of one of R's strings? Case-insensitive. */
static bool has_key(const struct dnssd_record *r, const char *key, size_t klen)
{
	const uint8_t *s;
	size_t off = 0, len;

	while (record_txt_next(r, &off, &s, &len)) {
		const uint8_t *eq = memchr(s, '=', len);
		size_t l = eq ? (size_t)(eq - s) : len;

		if (l == klen && strncasecmp((const char *)s, key, klen) == 0)
			return true;
	}
	return false;
}

int record_add_txt(struct dnssd_record *r, const char *key, const void *value, size_t vlen,
                   const char **ret_why)
{
	size_t klen = key ? strlen(key) : 0;
	size_t len = klen + (value ? 1 + vlen : 0);
	const char *why = key ? txt_check_key(key, klen) : "a TXT key cannot be empty";
	uint8_t *n;

	if (!why && len > TXT_STRING_MAX)
		why = "a TXT string is longer than 255 bytes";
	if (!why && has_key(r, key, klen))
		why = "duplicate TXT key (keys are case-insensitive)";
	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	if (r->txt_len + 1 + len > TXT_PUBLISH_MAX) {
		if (ret_why)
			*ret_why = "the TXT record would be longer than 1300 bytes";
		return -E2BIG;
	}
	n = realloc(r->txt, r->txt_len + 1 + len);
	if (!n)
		return -ENOMEM;
	r->txt = n;
	n += r->txt_len;
	*n++ = (uint8_t)len;
	memcpy(n, key, klen);
	if (value) {
		n[klen] = '=';
		memcpy(n + klen + 1, value, vlen);
	}
	r->txt_len += 1 + len;
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

enum record_diff record_compare(const struct dnssd_record *a, const struct dnssd_record *b)
{
	if (!str_eq(a->instance, b->instance) || strcasecmp(a->type, b->type) != 0 ||
	    a->port != b->port || a->n_subtypes != b->n_subtypes)
		return RECORD_CHANGED;
	/* Subtypes as a set: their order is not published. */
	for (size_t i = 0; i < a->n_subtypes; i++) {
		size_t j = 0;

		while (j < b->n_subtypes && strcasecmp(a->subtypes[i], b->subtypes[j]) != 0)
			j++;
		if (j == b->n_subtypes)
			return RECORD_CHANGED;
	}
	if (a->txt_len != b->txt_len || (a->txt_len && memcmp(a->txt, b->txt, a->txt_len) != 0))
		return RECORD_TXT_ONLY;
	return RECORD_SAME;
}
