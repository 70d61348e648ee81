/* SPDX-License-Identifier: MIT */
/* The DNS UPDATE messages (RFC 2136) the unicast DNS backend sends: a
 * service instance's records, the host's addresses, and their removal,
 * TSIG-signed (RFC 8945), in wire format. No I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnssd/record.h"

/* TTL of every record published, in seconds: short, so that resolvers
 * forget a withdrawn or crashed host's records soon. */
#define WIDE_TTL 30
/* TTL of the shared _services._dns-sd._udp PTR records. */
#define WIDE_SERVICES_TTL 300
/* Most addresses published for the host. */
#define WIDE_ADDRS_MAX 16

/* A TSIG key: NAME a domain name, ALG "hmac-sha256" and the like, SECRET
 * base64. A NULL name: messages are not signed. */
struct wide_key {
	const char *name;
	const char *alg;
	const char *secret;
};

/* One address of the host (AF_INET or AF_INET6). */
struct wide_addr {
	int family;
	uint8_t addr[16];
};

/* Where the records go: ZONE (no trailing dot), the host's label HOST
 * (its SRV target is HOST.ZONE). */
struct wide_where {
	const char *zone;
	const char *host;
};

/* A message ready to send: WIRE (LEN bytes, owned), its ID, and the MAC
 * of its signature that the answer's must chain to (opaque; NULL when not
 * signed). */
struct wide_msg {
	uint8_t *wire;
	size_t len;
	uint16_t id;
	void *mac;
};

/* A record's data in wire format (a name: uncompressed; TXT: its
 * length-prefixed strings). */
struct wide_rdata {
	uint8_t data[256];
	size_t len;
};

/* What a read of an instance name's SRV found, before a first
 * publication there: the prerequisite (RFC 2136 §2.4) the update then
 * carries, or the verdict that another host has it. */
enum wide_claim_kind {
	WIDE_CLAIM_NONE,   /* no prerequisite: the name is already ours */
	WIDE_CLAIM_FREE,   /* NXDOMAIN: "name is not in use" (else YXDOMAIN) */
	WIDE_CLAIM_NO_SRV, /* the name, no SRV: "SRV RRset does not exist" (else YXRRSET) */
	WIDE_CLAIM_OURS,   /* SRV targets HOST.ZONE only: "SRV RRset exists, exactly as
	                    * read" (else NXRRSET) */
	WIDE_CLAIM_TAKEN,  /* another host's SRV: rename (no update) */
};

/* Most SRV records a read keeps (we publish one). */
#define WIDE_CLAIM_SRV_MAX 4

/* What an update changes: OLD replaced by NEW (either may be NULL, not
 * both). OLD's records are deleted on condition that its SRV is still
 * exactly the one this host published (0 0 PORT HOST.ZONE; else
 * NXRRSET); OLD_LOST: the name is no longer ours, only our manifest line
 * for it goes, unconditionally. NEW's records are added on condition
 * CLAIM (for WIDE_CLAIM_OURS, with the SRV rdata read: SRV, N_SRV). */
struct wide_change {
	const struct dnssd_record *old;
	bool old_lost;
	const struct dnssd_record *new;
	enum wide_claim_kind claim;
	const struct wide_rdata *srv;
	size_t n_srv;
};

/* An update making change C: OLD's PTR, subtype PTRs and everything at
 * its instance name are deleted; NEW's PTR, subtype PTRs, SRV (target
 * HOST.ZONE), TXT and its type's _services._dns-sd._udp PTR are added,
 * after deleting what was at its instance name (ours: the prerequisites
 * said so). Signed with KEY, ID as given. Returns 0, -EINVAL (a name does
 * not fit DNS, or C asks for a prerequisite it cannot: message in ERR) or
 * -ENOMEM. */
int wide_msg_record(const struct wide_where *w, const struct wide_change *c,
                    const struct wide_key *key, uint16_t id, struct wide_msg *ret, char *err,
                    size_t errlen);

/* An update making HOST.ZONE's A and AAAA records exactly ADDRS (N of
 * them; none deletes them). Returns as wide_msg_record(). */
int wide_msg_host(const struct wide_where *w, const struct wide_addr *addrs, size_t n,
                  const struct wide_key *key, uint16_t id, struct wide_msg *ret, char *err,
                  size_t errlen);

/* An update deleting TYPE's PTR under _services._dns-sd._udp.ZONE on
 * condition that no PTR is left at TYPE.ZONE (RFC 2136 prerequisite "RRset
 * does not exist"): the last instance of a type in the zone, whoever
 * published it, takes the type's entry along. The server answers YXRRSET
 * when the type is still in use. Returns as wide_msg_record(). */
int wide_msg_tidy(const struct wide_where *w, const char *type, const struct wide_key *key,
                  uint16_t id, struct wide_msg *ret, char *err, size_t errlen);

/* wide_msg_tidy() for the type whose wire name is TYPE (LEN bytes, under
 * the zone): for the reaper, which reads types off a manifest. */
int wide_msg_tidy_name(const struct wide_where *w, const uint8_t *type, size_t len,
                       const struct wide_key *key, uint16_t id, struct wide_msg *ret, char *err,
                       size_t errlen);

/* This host's heartbeat: the TXT at HOST._lanyard.ZONE becomes exactly
 * "t=NOW" (wall-clock seconds) "r=REFRESH_S", and HOST._lanyard.ZONE is
 * in the index PTR _hosts._lanyard.ZONE. Returns as wide_msg_record(). */
int wide_msg_heartbeat(const struct wide_where *w, uint64_t now, unsigned refresh_s,
                       const struct wide_key *key, uint16_t id, struct wide_msg *ret, char *err,
                       size_t errlen);

/* Leaving: delete HOST.ZONE's addresses, everything at HOST._lanyard.ZONE
 * (heartbeat, manifest) and its line in the index. */
int wide_msg_leave(const struct wide_where *w, const struct wide_key *key, uint16_t id,
                   struct wide_msg *ret, char *err, size_t errlen);

/* A query (no recursion wanted) for NAME (wire format, LEN bytes) of
 * TYPE. Returns 0, -EINVAL or -ENOMEM. */
int wide_msg_query(const struct wide_where *w, const uint8_t *name, size_t len, uint16_t type,
                   uint16_t id, struct wide_msg *ret);

/* LABEL (may be NULL) . MID (dotted, may be NULL) . ZONE in wire format
 * into BUF (256 bytes), its length in *LEN. Returns 0 or -EINVAL. */
int wide_name(const char *label, const char *mid, const char *zone, uint8_t *buf, size_t *len);

/* Delete dead host VICTIM's records on condition that its heartbeat TXT is
 * still exactly HB (HB_LEN bytes of rdata, as read): every instance of
 * its manifest NAMES (N; their type PTRs by value, everything at their
 * names, their PTRs at the manifest's subtype owners), its addresses,
 * heartbeat, manifest and index line. The server answers NXRRSET when the
 * host refreshed since. Returns as wide_msg_record(). */
int wide_msg_reap(const struct wide_where *w, const char *victim, const uint8_t *hb, size_t hb_len,
                  const struct wide_rdata *names, size_t n, const struct wide_key *key, uint16_t id,
                  struct wide_msg *ret, char *err, size_t errlen);

/* A zone transfer query for ZONE: IXFR from SERIAL (the client's SOA in
 * the authority section, RFC 1995), or AXFR when SERIAL is 0; signed with
 * KEY. Returns as wide_msg_record(). */
int wide_msg_xfr(const char *zone, uint32_t serial, const struct wide_key *key, uint16_t id,
                 struct wide_msg *ret, char *err, size_t errlen);

/* Free what M owns and zero it. */
void wide_msg_clear(struct wide_msg *m);
