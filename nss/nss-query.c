/* SPDX-License-Identifier: MIT */
/* Names under .lanyard and the resolve request they stand for. */
#include "nss/nss-query.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dnssd/utf8.h"
#include "wire/request.h"

/* A DNS label: 1-63 bytes. Letters, digits and '-' are what host names
 * carry; the module does not judge further (a tag is the agent's
 * business), except that a tag is UTF-8 text without control characters
 * (utf8_text(), the rule the agent applies to tags). */
static bool label_ok(const char *s, size_t len)
{
	return len >= 1 && len <= 63 && utf8_text(s, len);
}

/* "v2", "v2-4", "v2-4-1" (either case of 'v') into "2", "2.4", "2.4.1" in
 * OUT. False when LABEL has another shape (then it is a tag). */
static bool version_label(const char *label, char out[NSS_VERSION_SIZE])
{
	size_t o = 0, digits = 0, parts = 1;

	if (label[0] != 'v' && label[0] != 'V')
		return false;
	for (const char *p = label + 1;; p++) {
		if (*p >= '0' && *p <= '9') {
			if (++digits > 9)
				return false;
			out[o++] = *p;
		} else if ((*p == '-' || *p == '\0') && digits > 0) {
			if (*p == '\0')
				break;
			if (++parts > 3)
				return false;
			out[o++] = '.';
			digits = 0;
		} else {
			return false;
		}
	}
	out[o] = '\0';
	return true;
}

int nss_name_parse(const char *name, struct nss_query *ret)
{
	size_t len = strlen(name), slen = strlen(NSS_SUFFIX), n_labels = 0;
	char *labels[NSS_NAME_MAX / 2 + 1];
	char *p;

	memset(ret, 0, sizeof(*ret));
	if (len > 0 && name[len - 1] == '.')
		len--;
	/* "x.lanyard" at least; the suffix is a whole label. */
	if (len < slen + 2 || name[len - slen - 1] != '.' ||
	    strncasecmp(name + len - slen, NSS_SUFFIX, slen) != 0)
		return -ENOENT;
	if (len > NSS_NAME_MAX)
		return -EINVAL;
	len -= slen + 1;
	memcpy(ret->text, name, len);
	ret->text[len] = '\0';
	for (p = ret->text;;) {
		char *dot = strchr(p, '.');

		if (dot)
			*dot = '\0';
		if (!label_ok(p, strlen(p)))
			return -EINVAL;
		labels[n_labels++] = p;
		if (!dot)
			break;
		p = dot + 1;
	}
	ret->service = labels[n_labels - 1];
	if (dnssd_check_service_name(ret->service))
		return -EINVAL;
	for (size_t i = 0; i + 1 < n_labels; i++) {
		char v[NSS_VERSION_SIZE];

		if (version_label(labels[i], v)) {
			if (ret->version[0])
				return -EINVAL;
			memcpy(ret->version, v, sizeof(v));
		} else {
			if (ret->n_tags == NSS_TAGS_MAX)
				return -EINVAL;
			ret->tags[ret->n_tags++] = labels[i];
		}
	}
	return 0;
}

int nss_request_line(const struct nss_query *q, int af, char **ret, size_t *ret_len)
{
	struct wire_request req;
	struct wire_err err;
	json_t *o = NULL;
	int r = -ENOMEM;

	*ret = NULL;
	wire_request_init(&req);
	req.op = WIRE_OP_RESOLVE;
	switch (af) {
	case AF_INET:
		req.filter.family = WIRE_FAMILY_IPV4;
		break;
	case AF_INET6:
		req.filter.family = WIRE_FAMILY_IPV6;
		break;
	case AF_UNSPEC:
		req.filter.family = WIRE_FAMILY_ANY;
		break;
	default:
		r = -EAFNOSUPPORT;
		goto fail;
	}
	req.filter.service = strdup(q->service);
	if (!req.filter.service)
		goto fail;
	if (q->version[0]) {
		r = wire_filter_set_version(&req.filter, q->version, &err);
		if (r < 0)
			goto fail;
		r = -ENOMEM;
	}
	if (q->n_tags > 0) {
		req.filter.tags = calloc(q->n_tags + 1, sizeof(char *));
		if (!req.filter.tags)
			goto fail;
		for (size_t i = 0; i < q->n_tags; i++) {
			req.filter.tags[i] = strdup(q->tags[i]);
			if (!req.filter.tags[i])
				goto fail;
			req.filter.n_tags++;
		}
	}
	o = wire_request_to_json(&req);
	if (!o)
		goto fail;
	*ret = wire_dump_line(o, ret_len);
	if (!*ret)
		goto fail;
	r = 0;
fail:
	json_decref(o);
	wire_request_clear(&req);
	return r;
}
