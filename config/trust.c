/* SPDX-License-Identifier: MIT */
/* The trust block: max_weight, min_priority and the from allow-list
 * (networks and host names), validated into a struct cfg_trust. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "config/trust.h"
#include "dnssd/name.h"

#define TRUST_FROM_MAX 256 /* items of one from: list */

/* Contract in config.h. */
void cfg_trust_clear(struct cfg_trust *t)
{
	free(t->nets);
	cfg_strv_free(t->hosts, t->n_hosts);
	*t = (struct cfg_trust){0};
}

/* Whether V reads as an address rather than a host name: it has a '/' or
 * a ':', or only digits and dots (a mistyped IPv4 address is not a name). */
static bool looks_numeric(const char *v)
{
	if (strpbrk(v, "/:"))
		return true;
	return strspn(v, "0123456789.") == strlen(v);
}

/* "ADDR" or "ADDR/PREFIX" into *RET. Returns NULL, or why it is not a
 * network. *RET_MASKED says host bits past the prefix were set (and are
 * now cleared). */
static const char *parse_net(const char *v, struct cfg_trust_net *ret, bool *ret_masked)
{
	const char *slash = strchr(v, '/');
	size_t alen = slash ? (size_t)(slash - v) : strlen(v);
	char buf[INET6_ADDRSTRLEN];
	unsigned max, prefix;

	*ret = (struct cfg_trust_net){0};
	*ret_masked = false;
	if (alen == 0 || alen >= sizeof(buf))
		return "not an IPv4 or IPv6 address";
	memcpy(buf, v, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, ret->addr) == 1)
		ret->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, buf, ret->addr) == 1)
		ret->family = AF_INET6, max = 128;
	else
		return "not an IPv4 or IPv6 address";
	prefix = max;
	if (slash) {
		const char *p = slash + 1;

		if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 3)
			return "the prefix length is not a number";
		prefix = (unsigned)atoi(p);
		if (prefix > max)
			return ret->family == AF_INET ? "the prefix length is out of range (0-32)"
			                              : "the prefix length is out of range (0-128)";
	}
	ret->prefix = (uint8_t)prefix;
	for (unsigned bit = prefix; bit < max; bit++) {
		uint8_t m = (uint8_t)(0x80u >> (bit % 8));

		if (ret->addr[bit / 8] & m) {
			*ret_masked = true;
			ret->addr[bit / 8] &= (uint8_t)~m;
		}
	}
	return NULL;
}

static void parse_from(struct cfg_file *f, const struct cfg_field *fld, struct cfg_trust *t)
{
	char q[CFG_QUOTE_MAX];

	if (!cfg_field_list(f, fld))
		return;
	if (cfg_list_len(fld->value) > TRUST_FROM_MAX) {
		cfg_error(f, fld->value, "'from': more than %d items", TRUST_FROM_MAX);
		return;
	}
	t->has_from = true;
	for (size_t i = 0; i < cfg_list_len(fld->value); i++) {
		yaml_node_t *item = cfg_list_item(f, fld->value, i);
		const char *v = cfg_item_string(f, "from", item), *why;
		size_t len;

		if (!v)
			continue;
		len = strlen(v);
		if (looks_numeric(v)) {
			struct cfg_trust_net net, *nets;
			bool masked;

			if ((why = parse_net(v, &net, &masked))) {
				cfg_error(f, item, "'from' item: %s: %s", cfg_quote(v, len, q),
				          why);
				continue;
			}
			if (masked) {
				char a[INET6_ADDRSTRLEN];

				inet_ntop(net.family, net.addr, a, sizeof(a));
				cfg_warning(f, item,
				            "'from' item: %s has bits set past its prefix: read as "
				            "%s/%u",
				            cfg_quote(v, len, q), a, net.prefix);
			}
			nets = realloc(t->nets, (t->n_nets + 1) * sizeof(*nets));
			if (!nets) {
				f->oom = true;
				return;
			}
			t->nets = nets;
			t->nets[t->n_nets++] = net;
			continue;
		}
		if ((why = dnssd_check_domain(v))) {
			cfg_error(f, item,
			          "'from' item: %s is neither an address, a network nor a host "
			          "name: %s",
			          cfg_quote(v, len, q), why);
			continue;
		}
		if (len > 1 && v[len - 1] == '.')
			len--;
		if (!cfg_push_str(f, &t->hosts, &t->n_hosts, v))
			return;
		t->hosts[t->n_hosts - 1][len] = '\0';
	}
}

/* Contract in trust.h. */
void cfg_trust_parse(struct cfg_file *f, const struct cfg_field *fld, struct cfg_trust *t)
{
	enum { T_MAX_WEIGHT, T_MIN_PRIORITY, T_FROM, N_TRUST_FIELDS };
	struct cfg_field fl[N_TRUST_FIELDS] = {
	        [T_MAX_WEIGHT] = {.name = "max_weight"},
	        [T_MIN_PRIORITY] = {.name = "min_priority"},
	        [T_FROM] = {.name = "from"},
	};
	enum cfg_kind k = cfg_node_kind(fld->value);
	uint64_t n;

	cfg_trust_clear(t);
	if (k == CFG_KIND_NULL)
		return;
	if (k != CFG_KIND_MAP) {
		cfg_error(f, fld->value, "'trust': expected a mapping, got %s", cfg_kind_name(k));
		return;
	}
	cfg_map_fields(f, fld->value, fl, N_TRUST_FIELDS, "in 'trust'");
	if (fl[T_MAX_WEIGHT].key && cfg_field_uint(f, &fl[T_MAX_WEIGHT], 0, 65535, &n)) {
		t->has_max_weight = true;
		t->max_weight = (uint16_t)n;
	}
	if (fl[T_MIN_PRIORITY].key && cfg_field_uint(f, &fl[T_MIN_PRIORITY], 0, 65535, &n)) {
		t->has_min_priority = true;
		t->min_priority = (uint16_t)n;
	}
	if (fl[T_FROM].key)
		parse_from(f, &fl[T_FROM], t);
}
