/* SPDX-License-Identifier: MIT */
/* `iptables-save` and `ip6tables-save` text read against an mDNS packet
 * (lanyard doctor): the base chains of each table, their rules' options
 * and targets. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/lanyard-doctor-fw.h"

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
			lo = *t ? fw_port_of(t) : 0;
			hi = colon[1] ? fw_port_of(colon + 1) : 65535;
		} else {
			lo = hi = fw_port_of(t);
		}
		if (lo == -1 || hi == -1)
			return FW_MAYBE;
		if (lo >= 0 && hi >= 0 && lo <= FW_MDNS_PORT && FW_MDNS_PORT <= hi)
			return FW_YES;
	}
	return FW_NO;
}

/* A list of addresses "A[/LEN|/MASK],..." of family FAM holds mDNS's group? */
static enum fw_m addrs_hold(const char *list, int fam)
{
	const unsigned char *a = fam ? fw_mdns6 : fw_mdns4;
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
		if (!fw_addr_of(t, fam, net)) {
			if (!fw_addr_of(t, !fam, net))
				m = FW_MAYBE; /* a host name */
			continue;
		}
		if (slash && fw_addr_of(slash, fam, mask)) {
			for (unsigned k = 0; k < max / 8; k++)
				if ((a[k] & mask[k]) != (net[k] & mask[k]))
					in = false;
		} else {
			in = fw_prefix_holds(a, net,
			                     slash ? (unsigned)strtoul(slash, NULL, 10) : max, max);
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
				out->verdict = FW_V_DROP;
			else if (strcmp(a, "ACCEPT") == 0)
				out->verdict = FW_V_ACCEPT;
			else if (!one_of(a, pass_targets))
				out->verdict = FW_V_OTHER;
			return; /* the rest are the target's options */
		}
		if (strcmp(o, "-g") == 0 || strcmp(o, "--goto") == 0) {
			out->verdict = FW_V_OTHER;
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
			m = fw_invert(m);
		neg = false;
		fw_note(out, m, specific);
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
			fw_chain_rule(r, &c, out, what);
		}
		fw_chain_end(r, &c);
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
