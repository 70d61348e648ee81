/* SPDX-License-Identifier: MIT */
/* Does a host's packet filter drop mDNS? lanyard doctor's reading of
 * `nft -j list ruleset` and `iptables-save` / `ip6tables-save` text. Pure:
 * rules in, findings out.
 *
 * The packets asked about are mDNS's own: UDP from port 5353 to port 5353
 * of 224.0.0.251 (IPv4) or ff02::fb (IPv6), not part of a known
 * connection (conntrack state new). Only the base chains of the hooks
 * such packets go through on this host are read (input, output,
 * prerouting, postrouting; ingress and egress of netdev), rule by rule
 * in order, without following jumps. A rule is taken to drop mDNS when
 * its verdict is drop or reject and every match in it holds for such a
 * packet, or when it names mDNS itself (port 5353, 224.0.0.251, ff02::fb)
 * whatever its other matches (an interface, a source). A chain whose
 * policy is drop drops mDNS unless a rule before its end accepts such a
 * packet, may accept it (a match this reading cannot decide, such as an
 * interface or a source), or jumps elsewhere. A match that excludes the
 * packet (tcp, another port or address, ct state established) puts the
 * rule out of the question. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define DOCTOR_FW_HITS_MAX 4

/* What was read and what was found. Several sources may add to one report. */
struct doctor_fw_report {
	unsigned tables;       /* tables read */
	unsigned chains;       /* base chains of the hooks above read */
	unsigned rules;        /* rules of those chains read */
	unsigned not_followed; /* jumps and gotos to other chains, not followed */
	unsigned n_hits;       /* rules and chain policies that drop mDNS */
	/* The first DOCTOR_FW_HITS_MAX of them, each "WHERE: WHAT (IPv4)"
	 * (e.g. "nft table inet f chain input handle 4: drop (IPv4, IPv6)"). */
	char hits[DOCTOR_FW_HITS_MAX][256];
};

/* Read the JSON of `nft -j list ruleset` (LEN bytes of TEXT) into R.
 * Returns 0, or -EINVAL with why in ERR (ERRLEN bytes) when TEXT is not
 * such JSON; -ENOMEM. */
int doctor_fw_nft(struct doctor_fw_report *r, const char *text, size_t len, char *err,
                  size_t errlen);

/* Read the output of `iptables-save` (IPV6 false) or `ip6tables-save`
 * (IPV6 true), LEN bytes of TEXT, into R. Lines it does not know are
 * skipped. Returns 0 or -ENOMEM. */
int doctor_fw_iptables(struct doctor_fw_report *r, const char *text, size_t len, bool ipv6);
