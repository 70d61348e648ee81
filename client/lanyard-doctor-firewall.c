/* SPDX-License-Identifier: MIT */
/* Does the packet filter drop mDNS? nft's JSON and iptables-save's text,
 * read chain by chain against an mDNS packet (lanyard doctor). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "client/lanyard-doctor-firewall.h"

#define MDNS_PORT 5353

/* What one match says of an mDNS packet. */
enum fw_m {
	FW_YES,   /* holds for it */
	FW_NO,    /* does not: the rule is not about it */
	FW_MAYBE, /* cannot tell (an interface, a source, a named set...) */
	FW_NONE,  /* not a match at all (a counter, a comment, a module name) */
};

enum fw_verdict {
	V_NONE,   /* the rule does not decide: the next one is read */
	V_ACCEPT, /* accept */
	V_DROP,   /* drop or reject */
	V_OTHER,  /* jump, goto, return, queue: not followed */
};

/* One rule for one address family. */
struct fw_rule {
	bool no;       /* a match excludes the packet */
	bool maybe;    /* a match cannot be decided */
	bool specific; /* a match names mDNS: port 5353 or its group */
	enum fw_verdict verdict;
};

/* A base chain being read. fam[0] IPv4, fam[1] IPv6. */
struct fw_chain {
	bool fam[2];
	bool accepted[2];       /* a rule accepts the packet: what follows cannot drop it */
	bool maybe_accepted[2]; /* a rule may accept it, or sends it elsewhere */
	bool policy_drop;
	char where[160];
};

static const unsigned char mdns4[4] = {224, 0, 0, 251};
static const unsigned char mdns6[16] = {0xff, 0x02, [15] = 0xfb};

static void note(struct fw_rule *r, enum fw_m m, bool specific)
{
	if (m == FW_NO)
		r->no = true;
	else if (m == FW_MAYBE)
		r->maybe = true;
	else if (m == FW_YES && specific)
		r->specific = true;
}

static enum fw_m invert(enum fw_m m)
{
	return m == FW_YES ? FW_NO : m == FW_NO ? FW_YES : m;
}

static void add_hit(struct doctor_fw_report *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void add_hit(struct doctor_fw_report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n_hits < DOCTOR_FW_HITS_MAX) {
		va_start(ap, fmt);
		vsnprintf(r->hits[r->n_hits], sizeof(r->hits[0]), fmt, ap);
		va_end(ap);
	}
	r->n_hits++;
}

static const char *families(unsigned bits)
{
	return bits == 3 ? "IPv4, IPv6" : bits == 1 ? "IPv4" : "IPv6";
}

/* Take OUT (the rule for IPv4 and for IPv6) into chain C; WHAT describes
 * the rule in a finding. */
static void chain_rule(struct doctor_fw_report *r, struct fw_chain *c, const struct fw_rule out[2],
                       const char *what)
{
	unsigned hit = 0;

	r->rules++;
	if (out[0].verdict == V_OTHER || out[1].verdict == V_OTHER)
		r->not_followed++;
	for (int f = 0; f < 2; f++) {
		const struct fw_rule *x = &out[f];

		if (!c->fam[f] || c->accepted[f] || x->no)
			continue;
		switch (x->verdict) {
		case V_DROP:
			if (!x->maybe || x->specific)
				hit |= 1u << f;
			break;
		case V_ACCEPT:
			if (x->maybe)
				c->maybe_accepted[f] = true;
			else
				c->accepted[f] = true;
			break;
		case V_OTHER:
			c->maybe_accepted[f] = true;
			break;
		case V_NONE:
			break;
		}
	}
	if (hit)
		add_hit(r, "%s: %s (%s)", c->where, what, families(hit));
}

static void chain_end(struct doctor_fw_report *r, const struct fw_chain *c)
{
	unsigned hit = 0;

	for (int f = 0; f < 2; f++)
		if (c->fam[f] && c->policy_drop && !c->accepted[f] && !c->maybe_accepted[f])
			hit |= 1u << f;
	if (hit)
		add_hit(r, "%s: policy drop, and no rule before it accepts mDNS (%s)", c->where,
		        families(hit));
}

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

/* S as a port: a number, or a service name ("mdns"); -1 if neither. */
static long port_of(const char *s)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!errno && !*end && v >= 0 && v <= 65535)
		return v;
	return strcasecmp(s, "mdns") == 0 ? MDNS_PORT : -2; /* -2: another service */
}

/* Parse S as an address of family FAM into A; false if it is not one. */
static bool addr_of(const char *s, int fam, unsigned char *a)
{
	return inet_pton(fam ? AF_INET6 : AF_INET, s, a) == 1;
}

static bool prefix_holds(const unsigned char *a, const unsigned char *net, unsigned len,
                         unsigned max)
{
	if (len > max)
		return false;
	for (unsigned i = 0; i < len; i++) {
		unsigned mask = 0x80u >> (i % 8);

		if ((a[i / 8] & mask) != (net[i / 8] & mask))
			return false;
	}
	return true;
}

static enum fw_m value_holds(const struct want *w, const json_t *v);

/* LO <= the packet's value <= HI. */
static enum fw_m range_holds(const struct want *w, const json_t *lo, const json_t *hi)
{
	if (w->kind == WANT_PORT && json_is_integer(lo) && json_is_integer(hi))
		return json_integer_value(lo) <= MDNS_PORT && MDNS_PORT <= json_integer_value(hi)
		               ? FW_YES
		               : FW_NO;
	if (w->kind == WANT_ADDR && json_is_string(lo) && json_is_string(hi)) {
		unsigned char a[16], b[16];
		const unsigned char *m = w->fam ? mdns6 : mdns4;
		size_t n = w->fam ? 16 : 4;

		if (!addr_of(json_string_value(lo), w->fam, a) ||
		    !addr_of(json_string_value(hi), w->fam, b))
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
			    !addr_of(json_string_value(a), w->fam, net))
				return FW_MAYBE;
			return prefix_holds(w->fam ? mdns6 : mdns4, net,
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
			return json_integer_value(v) == MDNS_PORT ? FW_YES : FW_NO;
		if (json_is_string(v))
			return port_of(json_string_value(v)) == MDNS_PORT ? FW_YES : FW_NO;
		return FW_MAYBE;
	case WANT_ADDR: {
		unsigned char a[16];

		if (!json_is_string(v))
			return FW_MAYBE;
		if (addr_of(json_string_value(v), w->fam, a))
			return memcmp(a, w->fam ? mdns6 : mdns4, w->fam ? 16 : 4) == 0 ? FW_YES
			                                                               : FW_NO;
		/* an address of the other family is not the packet's */
		return addr_of(json_string_value(v), !w->fam, a) ? FW_NO : FW_MAYBE;
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
		return invert(value_holds(w, right));
	if (w->kind != WANT_PORT || !json_is_integer(right))
		return FW_MAYBE;
	n = (long)json_integer_value(right);
	if (strcmp(op, "<") == 0)
		return MDNS_PORT < n ? FW_YES : FW_NO;
	if (strcmp(op, ">") == 0)
		return MDNS_PORT > n ? FW_YES : FW_NO;
	if (strcmp(op, "<=") == 0)
		return MDNS_PORT <= n ? FW_YES : FW_NO;
	if (strcmp(op, ">=") == 0)
		return MDNS_PORT >= n ? FW_YES : FW_NO;
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
	note(out, r, specific);
}

static void nft_verdict(struct fw_rule *out, enum fw_verdict v)
{
	if (out->verdict == V_NONE)
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
		nft_verdict(out, V_OTHER);
		return;
	}
	json_array_foreach(data, i, pair)
	{
		const json_t *to = json_array_get(pair, 1);

		if (value_holds(&w, json_array_get(pair, 0)) != FW_YES)
			continue;
		if (json_object_get(to, "accept"))
			nft_verdict(out, V_ACCEPT);
		else if (json_object_get(to, "drop") || json_object_get(to, "reject"))
			nft_verdict(out, V_DROP);
		else
			nft_verdict(out, V_OTHER);
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

		if (out->verdict != V_NONE)
			break; /* nothing after a verdict is evaluated */
		json_object_foreach(st, key, val)
		{
			if (strcmp(key, "match") == 0) {
				nft_match(val, fam, out);
			} else if (strcmp(key, "accept") == 0) {
				nft_verdict(out, V_ACCEPT);
			} else if (strcmp(key, "drop") == 0 || strcmp(key, "reject") == 0) {
				nft_verdict(out, V_DROP);
			} else if (strcmp(key, "jump") == 0 || strcmp(key, "goto") == 0 ||
			           strcmp(key, "return") == 0 || strcmp(key, "queue") == 0) {
				nft_verdict(out, V_OTHER);
			} else if (strcmp(key, "vmap") == 0) {
				nft_vmap(val, out);
			} else if (strcmp(key, "xt") == 0) {
				/* iptables-nft's extensions nft cannot translate */
				const char *type = jstr(val, "type"), *name = jstr(val, "name");

				if (type && strcmp(type, "match") == 0)
					note(out, FW_MAYBE, false);
				else if (type && strcmp(type, "target") == 0 && name &&
				         (strcmp(name, "REJECT") == 0 || strcmp(name, "DROP") == 0))
					nft_verdict(out, V_DROP);
			} else if (strcmp(key, "limit") == 0 || strcmp(key, "quota") == 0 ||
			           strcmp(key, "ct count") == 0) {
				note(out, FW_MAYBE, false); /* holds for some packets only */
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
			chain_rule(r, &c, out, what);
		}
		chain_end(r, &c);
	}
	json_decref(root);
	return 0;
}

/* ---- iptables-save -------------------------------------------------------- */

/* Split LINE in place into at most MAX tokens (double quotes group, a
 * backslash escapes inside them). Returns the count. */
static size_t tokens(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		char *w;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		tok[n++] = w = p;
		if (*p == '"') {
			p++;
			while (*p && *p != '"') {
				if (*p == '\\' && p[1])
					p++;
				*w++ = *p++;
			}
			if (*p)
				p++;
		} else {
			while (*p && !isspace((unsigned char)*p))
				*w++ = *p++;
			if (*p)
				p++;
		}
		*w = '\0';
	}
	return n;
}

/* A list "A,B:C,..." of ports or port ranges holds 5353? */
static enum fw_m ports_hold(const char *list)
{
	char buf[256], *save = NULL, *t;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');
		long lo, hi;

		if (colon) {
			*colon = '\0';
			lo = *t ? port_of(t) : 0;
			hi = colon[1] ? port_of(colon + 1) : 65535;
		} else {
			lo = hi = port_of(t);
		}
		if (lo == -1 || hi == -1)
			return FW_MAYBE;
		if (lo >= 0 && hi >= 0 && lo <= MDNS_PORT && MDNS_PORT <= hi)
			return FW_YES;
	}
	return FW_NO;
}

/* A list of addresses "A[/LEN|/MASK],..." of family FAM holds mDNS's group? */
static enum fw_m addrs_hold(const char *list, int fam)
{
	const unsigned char *a = fam ? mdns6 : mdns4;
	const unsigned max = fam ? 128 : 32;
	char buf[512], *save = NULL, *t;
	enum fw_m m = FW_NO;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(t, '/');
		unsigned char net[16], mask[16];
		bool in = true;

		if (slash)
			*slash++ = '\0';
		if (!addr_of(t, fam, net)) {
			if (!addr_of(t, !fam, net))
				m = FW_MAYBE; /* a host name */
			continue;
		}
		if (slash && addr_of(slash, fam, mask)) {
			for (unsigned k = 0; k < max / 8; k++)
				if ((a[k] & mask[k]) != (net[k] & mask[k]))
					in = false;
		} else {
			in = prefix_holds(a, net, slash ? (unsigned)strtoul(slash, NULL, 10) : max,
			                  max);
		}
		if (in)
			return FW_YES;
	}
	return m;
}

/* Any comma-separated word of LIST is one of WORDS (without case)? */
static enum fw_m words_hold(const char *list, const char *const *words)
{
	char buf[256], *save = NULL, *t;

	snprintf(buf, sizeof(buf), "%s", list);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		for (const char *const *p = words; *p; p++)
			if (strcasecmp(t, *p) == 0)
				return FW_YES;
	return FW_NO;
}

static bool one_of(const char *s, const char *const *list)
{
	for (const char *const *p = list; *p; p++)
		if (strcmp(s, *p) == 0)
			return true;
	return false;
}

/* Targets that do not end a rule's evaluation: the next rule is read. */
static const char *const pass_targets[] = {
        "LOG",      "NFLOG",     "MARK", "CONNMARK", "CT",          "NOTRACK", "TRACE", "TCPMSS",
        "DSCP",     "TOS",       "TTL",  "HL",       "CLASSIFY",    "AUDIT",   "SET",   "ULOG",
        "CHECKSUM", "IDLETIMER", "LED",  "SECMARK",  "CONNSECMARK", NULL};

/* TOK[0..N) of one "-A CHAIN ..." line, for family FAM. */
static void ipt_rule(char **tok, size_t n, int fam, struct fw_rule *out)
{
	static const char *const udp_all[] = {"udp", "17", "all", "0", NULL};
	static const char *const multicast_type[] = {"MULTICAST", NULL};
	static const char *const state_new[] = {"NEW", "UNTRACKED", NULL};
	bool neg = false;

	*out = (struct fw_rule){0};
	for (size_t i = 2; i < n; i++) {
		const char *o = tok[i], *a;
		enum fw_m m = FW_MAYBE;
		bool specific = false;

		if (strcmp(o, "!") == 0) {
			neg = true;
			continue;
		}
		if (o[0] != '-')
			continue; /* a further value of an option not known here */
		a = i + 1 < n ? tok[i + 1] : "";
		if (strcmp(a, "!") == 0 && i + 2 < n) { /* old style: --dport ! 53 */
			neg = !neg;
			a = tok[++i + 1];
		}
		if (strcmp(o, "-j") == 0 || strcmp(o, "--jump") == 0) {
			if (strcmp(a, "DROP") == 0 || strcmp(a, "REJECT") == 0)
				out->verdict = V_DROP;
			else if (strcmp(a, "ACCEPT") == 0)
				out->verdict = V_ACCEPT;
			else if (!one_of(a, pass_targets))
				out->verdict = V_OTHER;
			return; /* the rest are the target's options */
		}
		if (strcmp(o, "-g") == 0 || strcmp(o, "--goto") == 0) {
			out->verdict = V_OTHER;
			return;
		}
		if (strcmp(o, "-p") == 0 || strcmp(o, "--protocol") == 0) {
			m = words_hold(a, udp_all);
		} else if (strcmp(o, "-d") == 0 || strcmp(o, "--destination") == 0) {
			m = addrs_hold(a, fam);
			specific = true;
		} else if (strcmp(o, "-s") == 0 || strcmp(o, "--source") == 0) {
			m = strcmp(a, "0.0.0.0/0") == 0 || strcmp(a, "::/0") == 0 ? FW_YES
			                                                          : FW_MAYBE;
		} else if (strcmp(o, "-i") == 0 || strcmp(o, "--in-interface") == 0 ||
		           strcmp(o, "-o") == 0 || strcmp(o, "--out-interface") == 0) {
			m = strcmp(a, "lo") == 0 ? FW_NO : strcmp(a, "+") == 0 ? FW_YES : FW_MAYBE;
			if (neg && m == FW_NO) {
				m = FW_YES; /* "! -i lo": every other interface */
				neg = false;
			} else if (neg) {
				m = FW_MAYBE;
				neg = false;
			}
		} else if (strcmp(o, "--dport") == 0 || strcmp(o, "--destination-port") == 0 ||
		           strcmp(o, "--sport") == 0 || strcmp(o, "--source-port") == 0 ||
		           strcmp(o, "--dports") == 0 || strcmp(o, "--destination-ports") == 0 ||
		           strcmp(o, "--sports") == 0 || strcmp(o, "--source-ports") == 0 ||
		           strcmp(o, "--ports") == 0) {
			m = ports_hold(a);
			specific = true;
		} else if (strcmp(o, "--state") == 0 || strcmp(o, "--ctstate") == 0) {
			m = words_hold(a, state_new);
		} else if (strcmp(o, "--pkt-type") == 0) {
			m = strcasecmp(a, "multicast") == 0 ? FW_YES : FW_NO;
		} else if (strcmp(o, "--dst-type") == 0) {
			m = words_hold(a, multicast_type);
		} else if (strcmp(o, "-m") == 0 || strcmp(o, "--match") == 0 ||
		           strcmp(o, "--comment") == 0) {
			m = FW_NONE;
		} else if (strcmp(o, "-c") == 0 || strcmp(o, "--set-counters") == 0) {
			m = FW_NONE;
			i++; /* two values */
		}
		if (neg)
			m = invert(m);
		neg = false;
		note(out, m, specific);
		if (i + 1 < n && tok[i + 1][0] != '-' && strcmp(tok[i + 1], "!") != 0)
			i++; /* the option's value */
	}
}

/* Chains packets to or from this host go through, whatever the table. */
static bool ipt_base_chain(const char *name)
{
	return strcmp(name, "INPUT") == 0 || strcmp(name, "OUTPUT") == 0 ||
	       strcmp(name, "PREROUTING") == 0 || strcmp(name, "POSTROUTING") == 0;
}

#define IPT_TOKENS_MAX 128

/* Read table TABLE's rules LINES[0..N) (each a copy to tokenise) into R. */
static void ipt_table(struct doctor_fw_report *r, const char *table, char **lines, size_t n,
                      char **policies, size_t n_policies, bool ipv6)
{
	const char *tool = ipv6 ? "ip6tables" : "iptables";

	for (size_t p = 0; p < n_policies; p++) {
		struct fw_chain c = {0};
		char name[64], policy[16];

		if (sscanf(policies[p], ":%63s %15s", name, policy) != 2 || !ipt_base_chain(name))
			continue;
		c.fam[ipv6] = true;
		c.policy_drop = strcmp(policy, "DROP") == 0;
		snprintf(c.where, sizeof(c.where), "%s -t %s chain %s", tool, table, name);
		r->chains++;
		for (size_t i = 0; i < n; i++) {
			char copy[1024], *tok[IPT_TOKENS_MAX], what[200];
			struct fw_rule out[2] = {{0}, {0}};
			size_t nt;

			snprintf(copy, sizeof(copy), "%s", lines[i]);
			nt = tokens(copy, tok, IPT_TOKENS_MAX);
			if (nt < 2 || strcmp(tok[1], name) != 0)
				continue;
			ipt_rule(tok, nt, ipv6, &out[ipv6]);
			snprintf(what, sizeof(what), "\"%.180s\"", lines[i]);
			chain_rule(r, &c, out, what);
		}
		chain_end(r, &c);
	}
}

static int push(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strndup(s, len)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

static void drop_all(char **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(v[i]);
	*n = 0;
}

/* Contract in lanyard-doctor-firewall.h. */
int doctor_fw_iptables(struct doctor_fw_report *r, const char *text, size_t len, bool ipv6)
{
	const char *p = text, *end = text + len;
	char **rules = NULL, **policies = NULL, table[64] = "";
	size_t n_rules = 0, n_policies = 0;
	int ret = 0;

	while (p < end && ret == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && p[0] == '*') {
			snprintf(table, sizeof(table), "%.*s", (int)(n - 1 < 63 ? n - 1 : 63),
			         p + 1);
			drop_all(rules, &n_rules);
			drop_all(policies, &n_policies);
			r->tables++;
		} else if (n > 0 && p[0] == ':') {
			ret = push(&policies, &n_policies, p, n);
		} else if (n > 3 && strncmp(p, "-A ", 3) == 0) {
			ret = push(&rules, &n_rules, p, n);
		} else if (n >= 6 && strncmp(p, "COMMIT", 6) == 0) {
			ipt_table(r, table, rules, n_rules, policies, n_policies, ipv6);
			drop_all(rules, &n_rules);
			drop_all(policies, &n_policies);
		}
		p += n + (nl ? 1 : 0);
	}
	drop_all(rules, &n_rules);
	drop_all(policies, &n_policies);
	free(rules);
	free(policies);
	return ret;
}
