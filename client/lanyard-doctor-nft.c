/* SPDX-License-Identifier: MIT */
/* `nft -j list ruleset` read against an mDNS packet (lanyard doctor):
 * base chains of the hooks it goes through, their rules' matches and
 * verdicts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "client/lanyard-doctor-fw.h"

static bool hook_relevant(const char *hook)
{
	static const char *const hooks[] = {"input",       "output",  "prerouting",
	                                    "postrouting", "ingress", "egress"};

	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (strcmp(hook, hooks[i]) == 0)
			return true;
	return false;
}

/* ---- values ------------------------------------------------------------ */

/* The packet's value that a match compares. */
enum want_kind { WANT_PORT, WANT_ADDR, WANT_WORD };

struct want {
	enum want_kind kind;
	int fam;                  /* WANT_ADDR: 0 IPv4, 1 IPv6 */
	const char *const *words; /* WANT_WORD: the packet's, NULL-terminated */
	long num;                 /* WANT_WORD: the same as a number, or -1 */
};

static enum fw_m value_holds(const struct want *w, const json_t *v);

/* LO <= the packet's value <= HI. */
static enum fw_m range_holds(const struct want *w, const json_t *lo, const json_t *hi)
{
	if (w->kind == WANT_PORT && json_is_integer(lo) && json_is_integer(hi))
		return json_integer_value(lo) <= FW_MDNS_PORT &&
		                       FW_MDNS_PORT <= json_integer_value(hi)
		               ? FW_YES
		               : FW_NO;
	if (w->kind == WANT_ADDR && json_is_string(lo) && json_is_string(hi)) {
		unsigned char a[16], b[16];
		const unsigned char *m = w->fam ? fw_mdns6 : fw_mdns4;
		size_t n = w->fam ? 16 : 4;

		if (!fw_addr_of(json_string_value(lo), w->fam, a) ||
		    !fw_addr_of(json_string_value(hi), w->fam, b))
			return FW_MAYBE;
		return memcmp(a, m, n) <= 0 && memcmp(m, b, n) <= 0 ? FW_YES : FW_NO;
	}
	return FW_MAYBE;
}

/* Any element of the array ELEMS holds. */
static enum fw_m any_holds(const struct want *w, const json_t *elems)
{
	enum fw_m m = FW_NO;
	size_t i;
	json_t *e;

	json_array_foreach(elems, i, e)
	{
		enum fw_m x = value_holds(w, e);

		if (x == FW_YES)
			return FW_YES;
		if (x == FW_MAYBE)
			m = FW_MAYBE;
	}
	return m;
}

/* Does V (a value, "@set", a set, a range, a prefix) hold the packet's value? */
static enum fw_m value_holds(const struct want *w, const json_t *v)
{
	const json_t *x;

	if (json_is_array(v))
		return any_holds(w, v);
	if (json_is_object(v)) {
		if ((x = json_object_get(v, "set")))
			return json_is_array(x) ? any_holds(w, x) : value_holds(w, x);
		if ((x = json_object_get(v, "elem")))
			return value_holds(w, json_object_get(x, "val"));
		if ((x = json_object_get(v, "range")) && json_array_size(x) == 2)
			return range_holds(w, json_array_get(x, 0), json_array_get(x, 1));
		if ((x = json_object_get(v, "prefix")) && w->kind == WANT_ADDR) {
			const json_t *a = json_object_get(x, "addr"),
			             *l = json_object_get(x, "len");
			unsigned char net[16];

			if (!json_is_string(a) || !json_is_integer(l) ||
			    json_integer_value(l) < 0 ||
			    !fw_addr_of(json_string_value(a), w->fam, net))
				return FW_MAYBE;
			return fw_prefix_holds(w->fam ? fw_mdns6 : fw_mdns4, net,
			                       (unsigned)json_integer_value(l), w->fam ? 128 : 32)
			               ? FW_YES
			               : FW_NO;
		}
		return FW_MAYBE;
	}
	if (json_is_string(v) && json_string_value(v)[0] == '@')
		return FW_MAYBE; /* a named set: not read */
	switch (w->kind) {
	case WANT_PORT:
		if (json_is_integer(v))
			return json_integer_value(v) == FW_MDNS_PORT ? FW_YES : FW_NO;
		if (json_is_string(v))
			return fw_port_of(json_string_value(v)) == FW_MDNS_PORT ? FW_YES : FW_NO;
		return FW_MAYBE;
	case WANT_ADDR: {
		unsigned char a[16];

		if (!json_is_string(v))
			return FW_MAYBE;
		if (fw_addr_of(json_string_value(v), w->fam, a))
			return memcmp(a, w->fam ? fw_mdns6 : fw_mdns4, w->fam ? 16 : 4) == 0
			               ? FW_YES
			               : FW_NO;
		/* an address of the other family is not the packet's */
		return fw_addr_of(json_string_value(v), !w->fam, a) ? FW_NO : FW_MAYBE;
	}
	case WANT_WORD:
		if (json_is_integer(v))
			return w->num >= 0 && json_integer_value(v) == w->num ? FW_YES : FW_NO;
		if (json_is_string(v)) {
			for (const char *const *p = w->words; *p; p++)
				if (strcasecmp(json_string_value(v), *p) == 0)
					return FW_YES;
			return FW_NO;
		}
		return FW_MAYBE;
	}
	return FW_MAYBE;
}

/* OP applied to what RIGHT holds. */
static enum fw_m with_op(const char *op, const struct want *w, const json_t *right)
{
	long n;

	if (!op || strcmp(op, "==") == 0 || strcmp(op, "in") == 0)
		return value_holds(w, right);
	if (strcmp(op, "!=") == 0)
		return fw_invert(value_holds(w, right));
	if (w->kind != WANT_PORT || !json_is_integer(right))
		return FW_MAYBE;
	n = (long)json_integer_value(right);
	if (strcmp(op, "<") == 0)
		return FW_MDNS_PORT < n ? FW_YES : FW_NO;
	if (strcmp(op, ">") == 0)
		return FW_MDNS_PORT > n ? FW_YES : FW_NO;
	if (strcmp(op, "<=") == 0)
		return FW_MDNS_PORT <= n ? FW_YES : FW_NO;
	if (strcmp(op, ">=") == 0)
		return FW_MDNS_PORT >= n ? FW_YES : FW_NO;
	return FW_MAYBE;
}

/* ---- nft ---------------------------------------------------------------- */

static const char *const udp_words[] = {"udp", NULL};
static const char *const new_words[] = {"new", "untracked", NULL};
static const char *const multicast_words[] = {"multicast", NULL};
static const char *const ipv4_words[] = {"ipv4", NULL};
static const char *const ipv6_words[] = {"ipv6", NULL};

/* Transport protocols an mDNS packet is not. */
static bool other_l4(const char *proto)
{
	static const char *const l4[] = {"tcp",  "sctp", "dccp", "icmp", "icmpv6", "udplite",
	                                 "igmp", "ah",   "esp",  "comp", NULL};

	for (const char *const *p = l4; *p; p++)
		if (strcmp(proto, *p) == 0)
			return true;
	return false;
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* One "match" statement of a rule, for family FAM. */
static void nft_match(const json_t *m, int fam, struct fw_rule *out)
{
	const char *op = jstr(m, "op");
	const json_t *left = json_object_get(m, "left"), *right = json_object_get(m, "right");
	const json_t *x;
	struct want w = {.kind = WANT_WORD, .fam = fam, .num = -1};
	enum fw_m r = FW_MAYBE;
	bool specific = false;

	if ((x = json_object_get(left, "payload"))) {
		const char *proto = jstr(x, "protocol"), *field = jstr(x, "field");

		if (!proto || !field) {
			r = FW_MAYBE; /* raw payload */
		} else if ((strcmp(proto, "udp") == 0 || strcmp(proto, "th") == 0) &&
		           (strcmp(field, "dport") == 0 || strcmp(field, "sport") == 0)) {
			w.kind = WANT_PORT;
			r = with_op(op, &w, right);
			specific = true;
		} else if (strcmp(proto, "ip") == 0 || strcmp(proto, "ip6") == 0) {
			/* an IPv4 header match never holds for an IPv6 packet */
			if ((strcmp(proto, "ip6") == 0) != (fam == 1)) {
				r = FW_NO;
			} else if (strcmp(field, "daddr") == 0) {
				w.kind = WANT_ADDR;
				r = with_op(op, &w, right);
				specific = true;
			} else if (strcmp(field, "protocol") == 0 ||
			           strcmp(field, "nexthdr") == 0) {
				w.words = udp_words;
				w.num = 17;
				r = with_op(op, &w, right);
			}
		} else if (other_l4(proto)) {
			r = FW_NO;
		}
	} else if ((x = json_object_get(left, "meta"))) {
		const char *key = jstr(x, "key");

		if (!key) {
			r = FW_MAYBE;
		} else if (strcmp(key, "l4proto") == 0) {
			w.words = udp_words;
			w.num = 17;
			r = with_op(op, &w, right);
		} else if (strcmp(key, "nfproto") == 0) {
			w.words = fam ? ipv6_words : ipv4_words;
			w.num = fam ? 10 : 2;
			r = with_op(op, &w, right);
		} else if (strcmp(key, "pkttype") == 0) {
			w.words = multicast_words;
			r = with_op(op, &w, right);
		} else if (strcmp(key, "iifname") == 0 || strcmp(key, "oifname") == 0) {
			/* mDNS is never on lo; any other interface may be its */
			bool lo = json_is_string(right) &&
			          strcmp(json_string_value(right), "lo") == 0;

			if (lo && (!op || strcmp(op, "==") == 0))
				r = FW_NO;
			else if (lo && strcmp(op, "!=") == 0)
				r = FW_YES;
		}
	} else if ((x = json_object_get(left, "ct"))) {
		if (jstr(x, "key") && strcmp(jstr(x, "key"), "state") == 0) {
			w.words = new_words;
			r = with_op(op, &w, right);
		}
	}
	fw_note(out, r, specific);
}

static void nft_verdict(struct fw_rule *out, enum fw_verdict v)
{
	if (out->verdict == FW_V_NONE)
		out->verdict = v;
}

/* A verdict map: "ct state vmap { established : accept, ... }" is read
 * for a new packet; a map on anything else sends it who knows where. */
static void nft_vmap(const json_t *v, struct fw_rule *out)
{
	const json_t *ct = json_object_get(json_object_get(v, "key"), "ct");
	const json_t *data = json_object_get(json_object_get(v, "data"), "set");
	const struct want w = {.kind = WANT_WORD, .words = new_words, .num = -1};
	size_t i;
	json_t *pair;

	if (!ct || !jstr(ct, "key") || strcmp(jstr(ct, "key"), "state") != 0 ||
	    !json_is_array(data)) {
		nft_verdict(out, FW_V_OTHER);
		return;
	}
	json_array_foreach(data, i, pair)
	{
		const json_t *to = json_array_get(pair, 1);

		if (value_holds(&w, json_array_get(pair, 0)) != FW_YES)
			continue;
		if (json_object_get(to, "accept"))
			nft_verdict(out, FW_V_ACCEPT);
		else if (json_object_get(to, "drop") || json_object_get(to, "reject"))
			nft_verdict(out, FW_V_DROP);
		else
			nft_verdict(out, FW_V_OTHER);
		return;
	}
	/* no entry for a new packet: this rule does not decide */
}

/* The statements of one rule, for family FAM. */
static void nft_rule(const json_t *expr, int fam, struct fw_rule *out)
{
	size_t i;
	json_t *st;

	*out = (struct fw_rule){0};
	json_array_foreach(expr, i, st)
	{
		const char *key;
		json_t *val;

		if (out->verdict != FW_V_NONE)
			break; /* nothing after a verdict is evaluated */
		json_object_foreach(st, key, val)
		{
			if (strcmp(key, "match") == 0) {
				nft_match(val, fam, out);
			} else if (strcmp(key, "accept") == 0) {
				nft_verdict(out, FW_V_ACCEPT);
			} else if (strcmp(key, "drop") == 0 || strcmp(key, "reject") == 0) {
				nft_verdict(out, FW_V_DROP);
			} else if (strcmp(key, "jump") == 0 || strcmp(key, "goto") == 0 ||
			           strcmp(key, "return") == 0 || strcmp(key, "queue") == 0) {
				nft_verdict(out, FW_V_OTHER);
			} else if (strcmp(key, "vmap") == 0) {
				nft_vmap(val, out);
			} else if (strcmp(key, "xt") == 0) {
				/* iptables-nft's extensions nft cannot translate */
				const char *type = jstr(val, "type"), *name = jstr(val, "name");

				if (type && strcmp(type, "match") == 0)
					fw_note(out, FW_MAYBE, false);
				else if (type && strcmp(type, "target") == 0 && name &&
				         (strcmp(name, "REJECT") == 0 || strcmp(name, "DROP") == 0))
					nft_verdict(out, FW_V_DROP);
			} else if (strcmp(key, "limit") == 0 || strcmp(key, "quota") == 0 ||
			           strcmp(key, "ct count") == 0) {
				fw_note(out, FW_MAYBE, false); /* holds for some packets only */
			}
			/* counter, log, mangle...: no say */
		}
	}
}

static const char *verdict_name(const json_t *expr)
{
	static const char *const names[] = {"accept", "drop", "reject", "jump",
	                                    "goto",   "vmap", "xt"};
	size_t i;
	json_t *st;

	json_array_foreach(expr, i,
	                   st) for (size_t k = 0; k < sizeof(names) / sizeof(names[0]);
	                            k++) if (json_object_get(st, names[k])) return names[k];
	return "no verdict";
}

static bool same(const json_t *a, const json_t *b, const char *key)
{
	const char *x = jstr(a, key), *y = jstr(b, key);

	return x && y && strcmp(x, y) == 0;
}

/* Contract in lanyard-doctor-firewall.h. */
int doctor_fw_nft(struct doctor_fw_report *r, const char *text, size_t len, char *err,
                  size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je), *list, *item, *item2;
	size_t i, j;

	list = json_object_get(root, "nftables");
	if (!json_is_array(list)) {
		snprintf(err, errlen, "not nft's JSON: %s",
		         root ? "no \"nftables\" array" : je.text);
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach(list, i, item)
	{
		const json_t *ch = json_object_get(item, "chain");
		const char *family, *hook;
		struct fw_chain c = {0};

		if (json_object_get(item, "table"))
			r->tables++;
		if (!ch || !(hook = jstr(ch, "hook")) || !hook_relevant(hook) ||
		    !(family = jstr(ch, "family")))
			continue;
		if (strcmp(family, "ip") == 0)
			c.fam[0] = true;
		else if (strcmp(family, "ip6") == 0)
			c.fam[1] = true;
		else if (strcmp(family, "inet") == 0 || strcmp(family, "netdev") == 0)
			c.fam[0] = c.fam[1] = true;
		else
			continue; /* arp, bridge */
		c.policy_drop = jstr(ch, "policy") && strcmp(jstr(ch, "policy"), "drop") == 0;
		snprintf(c.where, sizeof(c.where), "nft table %s %s chain %s", family,
		         jstr(ch, "table") ? jstr(ch, "table") : "?",
		         jstr(ch, "name") ? jstr(ch, "name") : "?");
		r->chains++;
		json_array_foreach(list, j, item2)
		{
			const json_t *rule = json_object_get(item2, "rule"), *expr;
			struct fw_rule out[2];
			char what[64];

			if (!rule || !same(rule, ch, "family") || !same(rule, ch, "table") ||
			    !jstr(ch, "name") || !jstr(rule, "chain") ||
			    strcmp(jstr(rule, "chain"), jstr(ch, "name")) != 0)
				continue;
			expr = json_object_get(rule, "expr");
			nft_rule(expr, 0, &out[0]);
			nft_rule(expr, 1, &out[1]);
			snprintf(what, sizeof(what), "rule handle %lld: %s",
			         (long long)json_integer_value(json_object_get(rule, "handle")),
			         verdict_name(expr));
			fw_chain_rule(r, &c, out, what);
		}
		fw_chain_end(r, &c);
	}
	json_decref(root);
	return 0;
}
