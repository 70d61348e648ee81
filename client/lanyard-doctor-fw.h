/* SPDX-License-Identifier: MIT */
/* What lanyard doctor's two readers of packet filter rules share
 * (client/lanyard-doctor-nft.c, client/lanyard-doctor-iptables.c): the
 * walk of a base chain against an mDNS packet, as
 * client/lanyard-doctor-firewall.h describes it, and the packet's
 * values. */
#pragma once

#include <stdbool.h>

#include "client/lanyard-doctor-firewall.h"

#define FW_MDNS_PORT 5353

/* The mDNS groups: 224.0.0.251 and ff02::fb. */
extern const unsigned char fw_mdns4[4];
extern const unsigned char fw_mdns6[16];

/* What one match says of an mDNS packet. */
enum fw_m {
	FW_YES,   /* holds for it */
	FW_NO,    /* does not: the rule is not about it */
	FW_MAYBE, /* cannot tell (an interface, a source, a named set...) */
	FW_NONE,  /* not a match at all (a counter, a comment, a module name) */
};

enum fw_verdict {
	FW_V_NONE,   /* the rule does not decide: the next one is read */
	FW_V_ACCEPT, /* accept */
	FW_V_DROP,   /* drop or reject */
	FW_V_OTHER,  /* jump, goto, return, queue: not followed */
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

/* Take what match M says into R; SPECIFIC: the match names mDNS itself
 * (its port or group). */
void fw_note(struct fw_rule *r, enum fw_m m, bool specific);

/* M for the opposite test ("!=", "!"): yes and no swap. */
enum fw_m fw_invert(enum fw_m m);

/* Take one rule into chain C: OUT[0] what it is for an IPv4 mDNS packet,
 * OUT[1] for IPv6. A rule that drops mDNS is added to R's hits, WHAT
 * describing it. */
void fw_chain_rule(struct doctor_fw_report *r, struct fw_chain *c, const struct fw_rule out[2],
                   const char *what);

/* The end of chain C: its policy drops mDNS unless a rule accepted it,
 * may have, or sent it elsewhere. */
void fw_chain_end(struct doctor_fw_report *r, const struct fw_chain *c);

/* The port S names: a number, or "mdns" (5353); -2 for another service
 * name or number out of range, -1 for an empty S. */
long fw_port_of(const char *s);

/* Parse S as an address of family FAM (0 IPv4, 1 IPv6) into A (4 or 16
 * bytes); false if it is not one. */
bool fw_addr_of(const char *s, int fam, unsigned char *a);

/* The first LEN bits of A and NET are the same (false past MAX bits). */
bool fw_prefix_holds(const unsigned char *a, const unsigned char *net, unsigned len, unsigned max);
