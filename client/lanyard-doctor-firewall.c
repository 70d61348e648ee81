/* SPDX-License-Identifier: MIT */
/* Does the packet filter drop mDNS? The chain walk shared by lanyard
 * doctor's readers of nft JSON (lanyard-doctor-nft.c) and iptables-save
 * text (lanyard-doctor-iptables.c), and the mDNS packet's values. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/lanyard-doctor-fw.h"

const unsigned char fw_mdns4[4] = {224, 0, 0, 251};
const unsigned char fw_mdns6[16] = {0xff, 0x02, [15] = 0xfb};

/* Contract in lanyard-doctor-fw.h. */
void fw_note(struct fw_rule *r, enum fw_m m, bool specific)
{
	if (m == FW_NO)
		r->no = true;
	else if (m == FW_MAYBE)
		r->maybe = true;
	else if (m == FW_YES && specific)
		r->specific = true;
}

/* Contract in lanyard-doctor-fw.h. */
enum fw_m fw_invert(enum fw_m m)
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

/* Contract in lanyard-doctor-fw.h. */
void fw_chain_rule(struct doctor_fw_report *r, struct fw_chain *c, const struct fw_rule out[2],
                   const char *what)
{
	unsigned hit = 0;

	r->rules++;
	if (out[0].verdict == FW_V_OTHER || out[1].verdict == FW_V_OTHER)
		r->not_followed++;
	for (int f = 0; f < 2; f++) {
		const struct fw_rule *x = &out[f];

		if (!c->fam[f] || c->accepted[f] || x->no)
			continue;
		switch (x->verdict) {
		case FW_V_DROP:
			if (!x->maybe || x->specific)
				hit |= 1u << f;
			break;
		case FW_V_ACCEPT:
			if (x->maybe)
				c->maybe_accepted[f] = true;
			else
				c->accepted[f] = true;
			break;
		case FW_V_OTHER:
			c->maybe_accepted[f] = true;
			break;
		case FW_V_NONE:
			break;
		}
	}
	if (hit)
		add_hit(r, "%s: %s (%s)", c->where, what, families(hit));
}

/* Contract in lanyard-doctor-fw.h. */
void fw_chain_end(struct doctor_fw_report *r, const struct fw_chain *c)
{
	unsigned hit = 0;

	for (int f = 0; f < 2; f++)
		if (c->fam[f] && c->policy_drop && !c->accepted[f] && !c->maybe_accepted[f])
			hit |= 1u << f;
	if (hit)
		add_hit(r, "%s: policy drop, and no rule before it accepts mDNS (%s)", c->where,
		        families(hit));
}

/* Contract in lanyard-doctor-fw.h. */
long fw_port_of(const char *s)
{
	char *end;
	long v;

	if (!*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!errno && !*end && v >= 0 && v <= 65535)
		return v;
	return strcasecmp(s, "mdns") == 0 ? FW_MDNS_PORT : -2; /* -2: another service */
}

/* Contract in lanyard-doctor-fw.h. */
bool fw_addr_of(const char *s, int fam, unsigned char *a)
{
	return inet_pton(fam ? AF_INET6 : AF_INET, s, a) == 1;
}

/* Contract in lanyard-doctor-fw.h. */
bool fw_prefix_holds(const unsigned char *a, const unsigned char *net, unsigned len, unsigned max)
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
