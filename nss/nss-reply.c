/* SPDX-License-Identifier: MIT */
/* The agent's resolve reply into addresses, and those into the caller's
 * buffer the way glibc's NSS expects (hostent, gaih_addrtuple). */
#include "nss/nss-query.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "wire/response.h"

/* Round N up to a multiple of the pointer alignment. */
#define ALIGN_UP(n) (((n) + _Alignof(void *) - 1) & ~(size_t)(_Alignof(void *) - 1))

/* A numeric address S of the protocol ("192.0.2.5", "2001:db8::1",
 * "fe80::1%2", the zone an interface index) into RET. False for anything
 * else. */
static bool addr_parse(const char *s, struct nss_addr *ret)
{
	char host[64];
	const char *pct = strchr(s, '%');
	size_t hlen = pct ? (size_t)(pct - s) : strlen(s);

	memset(ret, 0, sizeof(*ret));
	if (hlen == 0 || hlen >= sizeof(host))
		return false;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (!pct && inet_pton(AF_INET, host, ret->addr) == 1) {
		ret->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, host, ret->addr) != 1)
		return false;
	ret->family = AF_INET6;
	if (pct) {
		unsigned long v = 0;
		const char *p = pct + 1;

		if (*p < '0' || *p > '9')
			return false;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return false;
			v = v * 10 + (unsigned long)(*p - '0');
			if (v > UINT32_MAX)
				return false;
		}
		ret->scope = (uint32_t)v;
	}
	return true;
}

int nss_reply_parse(const char *line, size_t len, int af, struct nss_addrs *ret)
{
	struct wire_instance *in = NULL;
	struct wire_message msg;
	struct wire_err err;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (af != AF_INET && af != AF_INET6 && af != AF_UNSPEC)
		return -EAFNOSUPPORT;
	if (len > WIRE_MAX_LINE)
		return -EPROTO;
	r = wire_message_parse(line, len, &msg, &err);
	if (r < 0)
		return err.code == WIRE_INTERNAL ? -ENOMEM : -EPROTO;
	if (msg.kind != WIRE_MSG_RESPONSE) {
		r = -EPROTO;
		goto out;
	}
	if (!msg.ok) {
		switch (msg.error.code) {
		case WIRE_NOT_FOUND:
		case WIRE_BAD_REQUEST: /* the name asked for something invalid */
			r = -ENOENT;
			break;
		case WIRE_BUSY:
		case WIRE_UNAVAILABLE:
			r = -EAGAIN;
			break;
		default:
			r = -EPROTO;
			break;
		}
		goto out;
	}
	r = wire_instance_from_json(json_object_get(msg.root, WIRE_KEY_INSTANCE), &in, &err);
	if (r < 0) {
		r = r == -ENOMEM ? -ENOMEM : -EPROTO;
		goto out;
	}
	for (size_t i = 0; i < in->n_addresses && ret->n < NSS_ADDRS_MAX; i++) {
		struct nss_addr a;

		if (!addr_parse(in->addresses[i], &a))
			continue;
		if (af == AF_INET && a.family != AF_INET)
			continue;
		if (af == AF_INET6 && (a.family != AF_INET6 || a.scope != 0))
			continue;
		ret->a[ret->n++] = a;
	}
	r = ret->n > 0 ? 0 : -ENOENT;
out:
	free(in);
	wire_message_clear(&msg);
	return r;
}

/* Skip to the first pointer-aligned byte of *BUF; false when none is left. */
static bool align_buffer(char **buf, size_t *buflen)
{
	size_t pad = (size_t)(-(uintptr_t)*buf & (_Alignof(void *) - 1));

	if (*buflen < pad)
		return false;
	*buf += pad;
	*buflen -= pad;
	return true;
}

int nss_fill_hostent(const struct nss_addrs *a, const char *name, int af, struct hostent *h,
                     char *buf, size_t buflen, char **ret_canon)
{
	size_t alen = af == AF_INET6 ? 16 : 4, nlen = strlen(name) + 1, n = 0, need, idx;
	char **aliases, **list, *addrs;

	for (size_t i = 0; i < a->n; i++)
		n += a->a[i].family == af;
	if (n == 0 || (af != AF_INET && af != AF_INET6))
		return -ENOENT;
	/* name | aliases {NULL} | list {n pointers, NULL} | n addresses */
	need = ALIGN_UP(nlen) + sizeof(char *) + (n + 1) * sizeof(char *) + n * alen;
	if (!align_buffer(&buf, &buflen) || buflen < need)
		return -ERANGE;
	memcpy(buf, name, nlen);
	idx = ALIGN_UP(nlen);
	aliases = (char **)(void *)(buf + idx);
	aliases[0] = NULL;
	idx += sizeof(char *);
	list = (char **)(void *)(buf + idx);
	idx += (n + 1) * sizeof(char *);
	addrs = buf + idx;
	n = 0;
	for (size_t i = 0; i < a->n; i++) {
		if (a->a[i].family != af)
			continue;
		memcpy(addrs + n * alen, a->a[i].addr, alen);
		list[n] = addrs + n * alen;
		n++;
	}
	list[n] = NULL;
	h->h_name = buf;
	h->h_aliases = aliases;
	h->h_addrtype = af;
	h->h_length = (int)alen;
	h->h_addr_list = list;
	if (ret_canon)
		*ret_canon = buf;
	return 0;
}

int nss_fill_tuples(const struct nss_addrs *a, const char *name, struct gaih_addrtuple **pat,
                    char *buf, size_t buflen)
{
	size_t nlen = strlen(name) + 1, need;
	struct gaih_addrtuple *t;
	char *r_name;

	if (a->n == 0)
		return -ENOENT;
	/* tuples first (they want the alignment), then the name */
	need = a->n * sizeof(*t) + nlen;
	if (!align_buffer(&buf, &buflen) || buflen < need)
		return -ERANGE;
	t = (struct gaih_addrtuple *)(void *)buf;
	r_name = buf + a->n * sizeof(*t);
	memcpy(r_name, name, nlen);
	for (size_t i = 0; i < a->n; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].next = i + 1 < a->n ? &t[i + 1] : NULL;
		t[i].name = i == 0 ? r_name : NULL;
		t[i].family = a->a[i].family;
		memcpy(t[i].addr, a->a[i].addr, a->a[i].family == AF_INET6 ? 16 : 4);
		t[i].scopeid = a->a[i].scope;
	}
	/* glibc before 2.26 passed a tuple of its own to fill. */
	if (*pat)
		**pat = t[0];
	else
		*pat = t;
	return 0;
}
