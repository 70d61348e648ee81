/* SPDX-License-Identifier: MIT */
/* Browsing a zone without a server: AXFR and IXFR answers built with ldns
 * fed to wide/zone.c (whole, split over messages, incremental, an IXFR
 * answered in full, up to date, errors, another id, records outside the
 * zone), and the instances wide/derive.c finds in the result (SRV, TXT,
 * addresses, a stale heartbeat's host left out, ours). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wide/ldns-wrap.h"

#include "tests/unit/tap.h"
#include "wide/answer.h"
#include "wide/derive.h"
#include "wide/msg.h"
#include "wide/zone.h"

#define Z  "lan-a.sd.example"
#define ID 0x4242

/* An answer to query ID whose answer section is the RRs of TEXT (one per
 * line, in zone file syntax), in wire format (*LEN bytes). */
static uint8_t *answer(uint16_t id, int rcode, const char *const *rrs, size_t n, size_t *len)
{
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *wire = NULL;

	ldns_pkt_set_id(p, id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = NULL;

		if (ldns_rr_new_frm_str(&rr, rrs[i], 60, NULL, NULL) != LDNS_STATUS_OK) {
			fprintf(stderr, "bad RR in test: %s\n", rrs[i]);
			abort();
		}
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	if (ldns_pkt2wire(&wire, p, len) != LDNS_STATUS_OK)
		abort();
	ldns_pkt_free(p);
	return wire;
}

static int feed(struct wide_zone *z, struct wide_zone_xfr *x, uint16_t id, const char *const *rrs,
                size_t n)
{
	size_t len;
	uint8_t *w = answer(id, 0, rrs, n, &len);
	int r = wide_zone_xfr_feed(z, x, w, len);

	free(w);
	return r;
}

#define SOA(serial) Z ". 60 IN SOA ns." Z ". admin." Z ". " #serial " 60 60 3600 30"
#define N(a)        (sizeof(a) / sizeof(*(a)))

static const char *const full[] = {
        SOA(10),
        Z ". 60 IN NS ns." Z ".",
        "ns." Z ". 60 IN A 192.0.2.53",
        "_payments._tcp." Z ". 30 IN PTR payments\\@h2._payments._tcp." Z ".",
        "_api._sub._payments._tcp." Z ". 30 IN PTR payments\\@h2._payments._tcp." Z ".",
        "payments\\@h2._payments._tcp." Z ". 30 IN SRV 0 0 8443 h2." Z ".",
        "payments\\@h2._payments._tcp." Z ". 30 IN TXT \"weight=1\" \"path=/v1\"",
        "H2." Z ". 30 IN A 192.0.2.12",
        "h2." Z ". 30 IN AAAA 2001:db8::12",
        "_ledger._tcp." Z ". 30 IN PTR Ledger\\032one._ledger._tcp." Z ".",
        "ledger\\032one._ledger._tcp." Z ". 30 IN SRV 0 0 5432 h3." Z ".",
        "h3." Z ". 30 IN A 192.0.2.13",
        "h3._lanyard." Z ". 30 IN TXT \"t=1000\" \"r=30\"",
        "h2._lanyard." Z ". 30 IN TXT \"t=1100\" \"r=30\"",
        "_services._dns-sd._udp." Z ". 300 IN PTR _payments._tcp." Z ".",
        /* no address: left out */
        "_gone._tcp." Z ". 30 IN PTR x._gone._tcp." Z ".",
        "x._gone._tcp." Z ". 30 IN SRV 0 0 1 nowhere." Z ".",
        /* a PTR naming another type's instance: left out */
        "_odd._tcp." Z ". 30 IN PTR payments\\@h2._payments._tcp." Z ".",
        /* outside the zone: not kept */
        "_payments._tcp.elsewhere.example. 30 IN PTR x._payments._tcp.elsewhere.example.",
        SOA(10),
};

static const struct wide_found *find(const struct wide_derived *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].name, name) == 0)
			return &d->v[i];
	return NULL;
}

static void test_full(void)
{
	struct wide_zone *z = wide_zone_new(Z);
	struct wide_zone_xfr x;
	struct wide_derived d = {0};
	const struct wide_found *f;

	/* split over three messages, as a server streams a large zone */
	wide_zone_xfr_begin(z, &x, ID, true);
	CHECK(!x.from);
	CHECK_INT_EQ(feed(z, &x, ID, full, 5), 0);
	CHECK_INT_EQ(feed(z, &x, ID + 1, full + 5, 3), -EINVAL); /* another id: not ours */
	CHECK(!wide_zone_loaded(z));
	CHECK_INT_EQ(feed(z, &x, ID, full + 5, 9), 0);
	CHECK_INT_EQ(feed(z, &x, ID, full + 14, N(full) - 14), 1);
	CHECK(x.full);
	CHECK(wide_zone_loaded(z));
	CHECK_INT_EQ(wide_zone_serial(z), 10);
	/* NS and SOA are not kept, nor the record outside the zone */
	CHECK_INT_EQ(wide_zone_count(z), N(full) - 4);

	/* at 1000 + 3 x 30 s h3's heartbeat is still good */
	CHECK_INT_EQ(wide_derive(z, "h2", 1050, &d), 0);
	CHECK_INT_EQ(d.n, 2);
	f = find(&d, "payments@h2");
	if (CHECK(f)) {
		CHECK_STR_EQ(f->type, "_payments._tcp");
		CHECK_STR_EQ(f->host, "h2." Z);
		CHECK_INT_EQ(f->port, 8443);
		CHECK(f->has4 && f->has6 && f->ours);
		CHECK(f->addr4[3] == 12 && f->addr6[15] == 0x12);
		CHECK_INT_EQ(f->txt_len, 18);
		CHECK(f->txt_len == 18 && memcmp(f->txt, "\x08weight=1\x08path=/v1", 18) == 0);
	}
	f = find(&d, "Ledger one");
	if (CHECK(f)) {
		CHECK(f->has4 && !f->has6 && !f->ours);
		CHECK_INT_EQ(f->txt_len, 0);
	}
	CHECK_INT_EQ(d.next_stale, 1000 + 90 + 1);
	CHECK_INT_EQ(d.n_stale, 0);

	/* later, h3's heartbeat is stale: its instance is left out */
	CHECK_INT_EQ(wide_derive(z, NULL, 1091, &d), 0);
	CHECK_INT_EQ(d.n, 1);
	CHECK(find(&d, "payments@h2") && !find(&d, "payments@h2")->ours);
	CHECK_INT_EQ(d.n_stale, 1);
	CHECK_STR_EQ(d.n_stale ? d.stale[0] : NULL, "h3." Z);

	/* much later, nothing moved (the primary is down, the secondary serves
	 * what it has): age counts from the newest heartbeat, h2's, which is
	 * not stale against itself */
	CHECK_INT_EQ(wide_derive(z, NULL, 5000, &d), 0);
	CHECK_INT_EQ(d.n, 1);
	CHECK(find(&d, "payments@h2") != NULL);
	wide_derived_clear(&d);
	wide_zone_free(z);
}

static void test_incremental(void)
{
	struct wide_zone *z = wide_zone_new(Z);
	struct wide_zone_xfr x;
	struct wide_derived d = {0};
	static const char *const inc[] = {
	        SOA(12),
	        SOA(10),
	        "payments\\@h2._payments._tcp." Z ". 30 IN TXT \"weight=1\" \"path=/v1\"",
	        SOA(11),
	        "payments\\@h2._payments._tcp." Z ". 30 IN TXT \"path=/v2\"",
	        SOA(11),
	        /* names in rdata compare without case */
	        "_ledger._tcp." Z ". 30 IN PTR LEDGER\\032one._ledger._tcp." Z ".",
	        SOA(12),
	        "h3._lanyard." Z ". 30 IN TXT \"t=5000\" \"r=30\"",
	        SOA(12),
	};
	static const char *const uptodate[] = {SOA(12)};
	static const char *const refused_full[] = {SOA(20), "h9." Z ". 30 IN A 192.0.2.99",
	                                           SOA(20)};

	wide_zone_xfr_begin(z, &x, ID, true);
	CHECK_INT_EQ(feed(z, &x, ID, full, N(full)), 1);

	/* an increment from 10 to 12 in two steps */
	wide_zone_xfr_begin(z, &x, ID, true);
	CHECK_INT_EQ(x.from, 10);
	CHECK_INT_EQ(feed(z, &x, ID, inc, 6), 0);
	CHECK_INT_EQ(feed(z, &x, ID, inc + 6, N(inc) - 6), 1);
	CHECK(!x.full);
	CHECK_INT_EQ(wide_zone_serial(z), 12);
	CHECK_INT_EQ(wide_derive(z, NULL, 1050, &d), 0);
	CHECK_INT_EQ(d.n, 1); /* the ledger's PTR went */
	if (CHECK(d.n == 1)) {
		CHECK_STR_EQ(d.v[0].name, "payments@h2");
		CHECK(d.v[0].txt_len == 9 && memcmp(d.v[0].txt, "\x08path=/v2", 9) == 0);
	}

	/* up to date: the server answers with its SOA alone */
	wide_zone_xfr_begin(z, &x, ID, true);
	CHECK_INT_EQ(feed(z, &x, ID, uptodate, 1), 1);
	CHECK_INT_EQ(wide_zone_serial(z), 12);
	CHECK_INT_EQ(wide_zone_count(z), N(full) - 4 - 1 + 1);

	/* an IXFR answered in full (no journal): the zone is replaced */
	wide_zone_xfr_begin(z, &x, ID, true);
	CHECK_INT_EQ(feed(z, &x, ID, refused_full, N(refused_full)), 1);
	CHECK(x.full);
	CHECK_INT_EQ(wide_zone_serial(z), 20);
	CHECK_INT_EQ(wide_zone_count(z), 1);

	/* an increment cut off in the middle unloads the copy */
	wide_zone_xfr_begin(z, &x, ID, true);
	CHECK_INT_EQ(x.from, 20);
	{
		static const char *const part[] = {SOA(21), SOA(20),
		                                   "h9." Z ". 30 IN A 192.0.2.99"};

		CHECK_INT_EQ(feed(z, &x, ID, part, N(part)), 0);
	}
	wide_zone_xfr_abort(z, &x);
	CHECK(!wide_zone_loaded(z));
	wide_zone_xfr_begin(z, &x, ID, true);
	CHECK_INT_EQ(x.from, 0); /* the next one is full */
	wide_zone_xfr_abort(z, &x);

	wide_derived_clear(&d);
	wide_zone_free(z);
}

static void test_errors(void)
{
	struct wide_zone *z = wide_zone_new(Z);
	struct wide_zone_xfr x;
	size_t len;
	uint8_t *w;
	static const char *const no_soa[] = {"h9." Z ". 30 IN A 192.0.2.99"};
	static const char *const other_soa[] = {SOA(3), "h9." Z ". 30 IN A 192.0.2.99", SOA(4)};
	static const char *const trailing[] = {SOA(3), SOA(3), "h9." Z ". 30 IN A 192.0.2.99"};

	/* NOTAUTH (a transfer the server's ACL refuses) */
	wide_zone_xfr_begin(z, &x, ID, true);
	w = answer(ID, 9, NULL, 0, &len);
	CHECK_INT_EQ(wide_zone_xfr_feed(z, &x, w, len), -EPROTO);
	CHECK_INT_EQ(x.rcode, 9);
	free(w);
	CHECK(!wide_zone_loaded(z));

	wide_zone_xfr_begin(z, &x, ID, false);
	CHECK_INT_EQ(feed(z, &x, ID, no_soa, 1), -EPROTO);
	wide_zone_xfr_begin(z, &x, ID, false);
	CHECK_INT_EQ(feed(z, &x, ID, other_soa, N(other_soa)), -EPROTO);
	wide_zone_xfr_begin(z, &x, ID, false);
	CHECK_INT_EQ(feed(z, &x, ID, trailing, N(trailing)), -EPROTO);
	CHECK(!wide_zone_loaded(z));

	/* short, not a response, garbage */
	wide_zone_xfr_begin(z, &x, ID, false);
	CHECK_INT_EQ(wide_zone_xfr_feed(z, &x, (const uint8_t *)"\x42\x42", 2), -EINVAL);
	{
		uint8_t q[12] = {0x42, 0x42};

		CHECK_INT_EQ(wide_zone_xfr_feed(z, &x, q, sizeof(q)), -EINVAL);
		q[2] = 0x80;
		q[5] = 9; /* nine questions that are not there */
		CHECK_INT_EQ(wide_zone_xfr_feed(z, &x, q, sizeof(q)), -EPROTO);
	}
	wide_zone_xfr_abort(z, &x);
	wide_zone_free(z);
}

static void test_query(void)
{
	struct wide_msg m;
	ldns_pkt *p = NULL;
	char err[128];
	static const struct wide_key key = {.name = "upd",
	                                    .alg = "hmac-sha256",
	                                    .secret =
	                                            "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="};

	CHECK_INT_EQ(wide_msg_xfr(Z, 77, &key, ID, &m, err, sizeof(err)), 0);
	if (CHECK(ldns_wire2pkt(&p, m.wire, m.len) == LDNS_STATUS_OK)) {
		ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
		ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_authority(p), 0);

		CHECK(q && ldns_rr_get_type(q) == LDNS_RR_TYPE_IXFR);
		CHECK(soa && ldns_rr_get_type(soa) == LDNS_RR_TYPE_SOA &&
		      ldns_rdf2native_int32(ldns_rr_rdf(soa, 2)) == 77);
		CHECK(ldns_pkt_tsig(p) != NULL);
		CHECK_INT_EQ(ldns_pkt_id(p), ID);
		ldns_pkt_free(p);
	}
	wide_msg_clear(&m);
	p = NULL;
	CHECK_INT_EQ(wide_msg_xfr(Z, 0, NULL, ID, &m, err, sizeof(err)), 0);
	if (CHECK(ldns_wire2pkt(&p, m.wire, m.len) == LDNS_STATUS_OK)) {
		ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);

		CHECK(q && ldns_rr_get_type(q) == LDNS_RR_TYPE_AXFR);
		CHECK(!ldns_pkt_tsig(p) && ldns_pkt_nscount(p) == 0);
		ldns_pkt_free(p);
	}
	wide_msg_clear(&m);
}

/* A transfer's answer signed message by message (RFC 8945 §5.3.1) is
 * taken; unsigned, tampered with, another key's, or out of chain is not. */
static void test_signed(void)
{
	static const struct wide_key key = {.name = "upd",
	                                    .alg = "hmac-sha256",
	                                    .secret =
	                                            "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="};
	static const struct wide_key other = {.name = "upd",
	                                      .alg = "hmac-sha256",
	                                      .secret = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXIh"};
	static const char *const m1[] = {SOA(5), "h9." Z ". 30 IN A 192.0.2.99"};
	static const char *const m2[] = {"h8." Z ". 30 IN A 192.0.2.98", SOA(5)};
	struct wide_msg q;
	uint8_t *w[2] = {NULL, NULL}, *bad = NULL;
	size_t len[2] = {0, 0}, bad_len = 0;
	ldns_rdf *mac;
	char err[128];
	void *chain;

	if (!CHECK_INT_EQ(wide_msg_xfr(Z, 0, &key, ID, &q, err, sizeof(err)), 0))
		return;
	/* the server's side: the first message chains to the query's MAC, the
	 * second to the first's, with the timers only */
	mac = ldns_rdf_clone(q.mac);
	for (int i = 0; i < 2; i++) {
		ldns_pkt *p = NULL;
		size_t l;
		uint8_t *u = answer(ID, 0, i ? m2 : m1, 2, &l);

		ldns_wire2pkt(&p, u, l);
		free(u);
		CHECK(ldns_pkt_tsig_sign_next(p, "upd.", key.secret, 300, "hmac-sha256.", mac, i) ==
		      LDNS_STATUS_OK);
		ldns_rdf_deep_free(mac);
		mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
		ldns_pkt2wire(&w[i], p, &len[i]);
		ldns_pkt_free(p);
	}
	ldns_rdf_deep_free(mac);

	chain = ldns_rdf_clone(q.mac);
	CHECK_INT_EQ(wide_xfr_verify(w[0], len[0], &key, &chain, true), 0);
	CHECK_INT_EQ(wide_xfr_verify(w[1], len[1], &key, &chain, false), 0);
	wide_xfr_chain_free(chain);

	/* out of order: the second one does not chain to the query */
	chain = ldns_rdf_clone(q.mac);
	CHECK_INT_EQ(wide_xfr_verify(w[1], len[1], &key, &chain, true), -EBADMSG);
	wide_xfr_chain_free(chain);
	/* another key */
	chain = ldns_rdf_clone(q.mac);
	CHECK_INT_EQ(wide_xfr_verify(w[0], len[0], &other, &chain, true), -EBADMSG);
	wide_xfr_chain_free(chain);
	/* one record changed after signing */
	chain = ldns_rdf_clone(q.mac);
	w[0][len[0] - 80] ^= 1;
	CHECK_INT_EQ(wide_xfr_verify(w[0], len[0], &key, &chain, true), -EBADMSG);
	wide_xfr_chain_free(chain);
	/* unsigned */
	bad = answer(ID, 0, m1, 2, &bad_len);
	chain = ldns_rdf_clone(q.mac);
	CHECK_INT_EQ(wide_xfr_verify(bad, bad_len, &key, &chain, true), -EBADMSG);
	wide_xfr_chain_free(chain);
	free(bad);
	free(w[0]);
	free(w[1]);
	wide_msg_clear(&q);
}

int main(void)
{
	test_full();
	test_incremental();
	test_errors();
	test_query();
	test_signed();
	return test_summary();
}
