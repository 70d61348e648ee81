/* SPDX-License-Identifier: MIT */
/* The unicast DNS backend's messages (wide/msg.c) parsed back with ldns:
 * the update's sections, names with dots and UTF-8 kept as one label, the
 * TSIG signature; and answers (wide/answer.c): ours, signed or not,
 * truncated, another id, garbage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wide/ldns-wrap.h"

#include "dnssd/record.h"
#include "tests/unit/tap.h"
#include "wide/answer.h"
#include "wide/msg.h"

#define SECRET "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg=="

static const struct wide_key key = {.name = "upd", .alg = "hmac-sha256", .secret = SECRET};
static const struct wide_where where = {.zone = "lan-a.sd.example", .host = "h1"};

static struct dnssd_record *make_record(const char *instance, uint16_t port)
{
	struct dnssd_record *r = NULL;
	const char *why;

	CHECK_INT_EQ(record_new("svc:web", instance, "_web._tcp", port, &r, &why), 0);
	if (!r)
		return NULL;
	CHECK_INT_EQ(record_add_subtype(r, "_api", &why), 0);
	CHECK_INT_EQ(record_add_txt(r, "path", "/v2", 3, &why), 0);
	CHECK_INT_EQ(record_add_txt(r, "flag", NULL, 0, &why), 0);
	return r;
}

/* The RR of SECTION (its text form contains WANT). */
static bool has_rr(const ldns_rr_list *l, const char *want)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(l, i));
		bool ok = s && strstr(s, want);

		free(s);
		if (ok)
			return true;
	}
	return false;
}

static void dump(const ldns_rr_list *l)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(l, i));

		fprintf(stderr, "  %s", s ? s : "?\n");
		free(s);
	}
}

static void test_put(void)
{
	struct dnssd_record *r = make_record("Web server. 1 é", 8080);
	struct wide_msg m;
	ldns_pkt *p = NULL;
	char err[128];
	ldns_rr_list *up;

	if (!r)
		return;
	CHECK_INT_EQ(wide_msg_record(&where, &(struct wide_change){.new = r}, &key, 4242, &m, err,
	                             sizeof(err)),
	             0);
	CHECK(m.mac != NULL && m.id == 4242);
	CHECK_INT_EQ(ldns_wire2pkt(&p, m.wire, m.len), LDNS_STATUS_OK);
	if (!p)
		goto out;
	CHECK_INT_EQ(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
	CHECK_INT_EQ(ldns_pkt_id(p), 4242);
	CHECK(ldns_pkt_tsig(p) != NULL);
	CHECK(ldns_pkt_tsig_verify(p, m.wire, m.len, "upd.", SECRET, NULL));
	up = ldns_pkt_authority(p);
	if (!CHECK(has_rr(up, "Web\\032server\\.\\0321\\032\\195\\169._web._tcp.lan-a.sd."
	                      "example.\t0\tANY\tANY")) ||
	    !CHECK(has_rr(up, "\tSRV\t0 0 8080 h1.lan-a.sd.example.")) ||
	    !CHECK(has_rr(up, "\tTXT\t\"path=/v2\" \"flag\"")) ||
	    !CHECK(has_rr(up, "_web._tcp.lan-a.sd.example.\t30\tIN\tPTR\tWeb\\032server")) ||
	    !CHECK(has_rr(up, "_api._sub._web._tcp.lan-a.sd.example.\t30\tIN\tPTR")) ||
	    !CHECK(has_rr(up, "_services._dns-sd._udp.lan-a.sd.example.\t300\tIN\tPTR\t_web._tcp."
	                      "lan-a.sd.example.")))
		dump(up);
	/* the host's manifest: the instance and the subtype owner */
	if (!CHECK(has_rr(up, "h1._lanyard.lan-a.sd.example.\t30\tIN\tPTR\tWeb\\032server")) ||
	    !CHECK(has_rr(up, "h1._lanyard.lan-a.sd.example.\t30\tIN\tPTR\t_api._sub._web._tcp.")))
		dump(up);
	CHECK_INT_EQ(ldns_rr_list_rr_count(up), 8);
	ldns_pkt_free(p);
	p = NULL;
	wide_msg_clear(&m);

	/* withdrawal: the PTRs by value, everything at the name */
	CHECK_INT_EQ(wide_msg_record(&where, &(struct wide_change){.old = r}, NULL, 7, &m, err,
	                             sizeof(err)),
	             0);
	CHECK(m.mac == NULL);
	CHECK_INT_EQ(ldns_wire2pkt(&p, m.wire, m.len), LDNS_STATUS_OK);
	if (!p)
		goto out;
	CHECK(ldns_pkt_tsig(p) == NULL);
	up = ldns_pkt_authority(p);
	if (!CHECK(has_rr(up, "_web._tcp.lan-a.sd.example.\t0\tNONE\tPTR\tWeb")) ||
	    !CHECK(has_rr(up, "_api._sub._web._tcp.lan-a.sd.example.\t0\tNONE\tPTR")) ||
	    !CHECK(!has_rr(up, "_services")))
		dump(up);
	if (!CHECK(has_rr(up, "h1._lanyard.lan-a.sd.example.\t0\tNONE\tPTR\tWeb")))
		dump(up);
	CHECK_INT_EQ(ldns_rr_list_rr_count(up), 4);
	/* only while the SRV there is still ours, exactly */
	if (!CHECK(has_rr(ldns_pkt_answer(p), "Web\\032server\\.\\0321\\032\\195\\169._web._tcp."
	                                      "lan-a.sd.example.\t0\tIN\tSRV\t0 0 8080 h1.lan-a.sd."
	                                      "example.")))
		dump(ldns_pkt_answer(p));
	CHECK_INT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 1);
out:
	ldns_pkt_free(p);
	wide_msg_clear(&m);
	record_free(r);
}

static void test_host(void)
{
	struct wide_addr a[2] = {{.family = AF_INET, .addr = {192, 0, 2, 7}},
	                         {.family = AF_INET6, .addr = {0x20, 0x01, 0x0d, 0xb8, [15] = 7}}};
	struct wide_msg m;
	ldns_pkt *p = NULL;
	char err[128];

	CHECK_INT_EQ(wide_msg_host(&where, a, 2, &key, 1, &m, err, sizeof(err)), 0);
	CHECK_INT_EQ(ldns_wire2pkt(&p, m.wire, m.len), LDNS_STATUS_OK);
	if (p) {
		ldns_rr_list *up = ldns_pkt_authority(p);

		if (!CHECK(has_rr(up, "h1.lan-a.sd.example.\t0\tANY\tA\t")) ||
		    !CHECK(has_rr(up, "h1.lan-a.sd.example.\t0\tANY\tAAAA\t")) ||
		    !CHECK(has_rr(up, "h1.lan-a.sd.example.\t30\tIN\tA\t192.0.2.7")) ||
		    !CHECK(has_rr(up, "h1.lan-a.sd.example.\t30\tIN\tAAAA\t2001:db8::7")))
			dump(up);
	}
	ldns_pkt_free(p);
	wide_msg_clear(&m);
	/* a host label that does not fit */
	{
		char host[300];
		struct wide_where w2 = {.zone = "z.example", .host = host};

		memset(host, 'a', sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		CHECK_INT_EQ(wide_msg_host(&w2, a, 1, &key, 1, &m, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, "does not fit DNS") != NULL);
	}
}

/* An answer to Q with RCODE, signed with SECRET (NULL: unsigned), its
 * wire form into *RET / *RET_LEN. */
static void make_answer(const struct wide_msg *q, int rcode, const char *secret, bool tc,
                        uint8_t **ret, size_t *ret_len)
{
	ldns_pkt *p = NULL;

	CHECK_INT_EQ(ldns_wire2pkt(&p, q->wire, q->len), LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_tc(p, tc);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	ldns_rr_list_deep_free(ldns_pkt_authority(p));
	ldns_pkt_set_authority(p, ldns_rr_list_new());
	ldns_pkt_set_nscount(p, 0);
	ldns_rr_free(ldns_pkt_tsig(p));
	ldns_pkt_set_tsig(p, NULL);
	if (secret)
		CHECK_INT_EQ(ldns_pkt_tsig_sign(p, "upd.", secret, 300, "hmac-sha256.",
		                                (ldns_rdf *)q->mac),
		             LDNS_STATUS_OK);
	CHECK_INT_EQ(ldns_pkt2wire(ret, p, ret_len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
}

static void test_answers(void)
{
	struct wide_addr a = {.family = AF_INET, .addr = {192, 0, 2, 7}};
	struct wide_answer ans;
	struct wide_msg q;
	uint8_t *w = NULL;
	size_t len;
	char err[128];

	CHECK_INT_EQ(wide_msg_host(&where, &a, 1, &key, 99, &q, err, sizeof(err)), 0);
	make_answer(&q, 0, SECRET, false, &w, &len);
	CHECK_INT_EQ(wide_answer_read(w, len, &q, &key, &ans), 0);
	CHECK(ans.ok && ans.signed_ok && ans.rcode == 0);
	CHECK_STR_EQ(ans.text, "NOERROR");
	/* garbage, short, another id, the query itself: not an answer */
	CHECK_INT_EQ(wide_answer_read(w, 11, &q, &key, &ans), -EINVAL);
	w[1] ^= 1;
	CHECK_INT_EQ(wide_answer_read(w, len, &q, &key, &ans), -EINVAL);
	w[1] ^= 1;
	CHECK_INT_EQ(wide_answer_read(q.wire, q.len, &q, &key, &ans), -EINVAL);
	/* a flipped byte in the body: the signature fails */
	w[len - 20] ^= 0x40;
	CHECK_INT_EQ(wide_answer_read(w, len, &q, &key, &ans), 0);
	CHECK(!ans.ok && !ans.signed_ok);
	free(w);
	/* NOERROR without a signature is not accepted from a signed query */
	make_answer(&q, 0, NULL, false, &w, &len);
	CHECK_INT_EQ(wide_answer_read(w, len, &q, &key, &ans), 0);
	CHECK(!ans.ok);
	CHECK_STR_EQ(ans.text, "NOERROR, answer not signed by the key");
	free(w);
	/* signed with another key */
	make_answer(&q, 0, "b3RoZXIta2V5", false, &w, &len);
	CHECK_INT_EQ(wide_answer_read(w, len, &q, &key, &ans), 0);
	CHECK(!ans.ok);
	free(w);
	make_answer(&q, LDNS_RCODE_REFUSED, SECRET, false, &w, &len);
	CHECK_INT_EQ(wide_answer_read(w, len, &q, &key, &ans), 0);
	CHECK(!ans.ok && ans.rcode == 5);
	CHECK_STR_EQ(ans.text, "REFUSED");
	free(w);
	make_answer(&q, 0, SECRET, true, &w, &len);
	CHECK_INT_EQ(wide_answer_read(w, len, &q, &key, &ans), 0);
	CHECK(!ans.ok && ans.truncated);
	free(w);
	CHECK_STR_EQ(wide_rcode_name(9), "NOTAUTH");
	CHECK(wide_rcode_name(16) == NULL);
	wide_msg_clear(&q);
}

/* The heartbeat, leaving, and the conditional deletion of a dead host. */
static void test_heartbeat_reap(void)
{
	struct wide_rdata names[2];
	struct wide_msg m;
	ldns_pkt *p = NULL;
	char err[128];
	uint8_t hb[] = "\014t=1700000000\004r=30";
	size_t len;

	CHECK_INT_EQ(wide_msg_heartbeat(&where, 1700000000, 30, &key, 3, &m, err, sizeof(err)), 0);
	CHECK_INT_EQ(ldns_wire2pkt(&p, m.wire, m.len), LDNS_STATUS_OK);
	if (p) {
		ldns_rr_list *up = ldns_pkt_authority(p);

		if (!CHECK(has_rr(up, "h1._lanyard.lan-a.sd.example.\t0\tANY\tTXT")) ||
		    !CHECK(has_rr(up,
		                  "h1._lanyard.lan-a.sd.example.\t30\tIN\tTXT\t\"t=1700000000\" "
		                  "\"r=30\"")) ||
		    !CHECK(has_rr(up,
		                  "_hosts._lanyard.lan-a.sd.example.\t30\tIN\tPTR\th1._lanyard.")))
			dump(up);
	}
	ldns_pkt_free(p);
	p = NULL;
	wide_msg_clear(&m);

	CHECK_INT_EQ(
	        wide_name("web@h9", "_web._tcp", "lan-a.sd.example", names[0].data, &names[0].len),
	        0);
	CHECK_INT_EQ(wide_name("_api", "_sub._web._tcp", "lan-a.sd.example", names[1].data,
	                       &names[1].len),
	             0);
	len = sizeof(hb) - 1;
	CHECK_INT_EQ(wide_msg_reap(&where, "h9", hb, len, names, 2, &key, 4, &m, err, sizeof(err)),
	             0);
	CHECK_INT_EQ(ldns_wire2pkt(&p, m.wire, m.len), LDNS_STATUS_OK);
	if (p) {
		ldns_rr_list *pre = ldns_pkt_answer(p), *up = ldns_pkt_authority(p);

		if (!CHECK(has_rr(pre,
		                  "h9._lanyard.lan-a.sd.example.\t0\tIN\tTXT\t\"t=1700000000\" "
		                  "\"r=30\"")))
			dump(pre);
		if (!CHECK(has_rr(
		            up, "_web._tcp.lan-a.sd.example.\t0\tNONE\tPTR\tweb@h9._web._tcp.")) ||
		    !CHECK(has_rr(up, "web@h9._web._tcp.lan-a.sd.example.\t0\tANY\tANY")) ||
		    !CHECK(has_rr(
		            up, "_api._sub._web._tcp.lan-a.sd.example.\t0\tNONE\tPTR\tweb@h9.")) ||
		    !CHECK(has_rr(up, "h9.lan-a.sd.example.\t0\tANY\tA\t")) ||
		    !CHECK(has_rr(up, "h9._lanyard.lan-a.sd.example.\t0\tANY\tANY")) ||
		    !CHECK(has_rr(up,
		                  "_hosts._lanyard.lan-a.sd.example.\t0\tNONE\tPTR\th9._lanyard.")))
			dump(up);
	}
	ldns_pkt_free(p);
	wide_msg_clear(&m);
}

/* The SRV data "0 0 PORT" then the wire name of TARGET under the zone. */
static struct wide_rdata srv_rdata(uint16_t port, const char *target)
{
	struct wide_rdata d = {.data = {0, 0, 0, 0, (uint8_t)(port >> 8), (uint8_t)port}};
	size_t len;

	CHECK_INT_EQ(wide_name(target, NULL, "lan-a.sd.example", d.data + 6, &len), 0);
	d.len = 6 + len;
	return d;
}

/* Build change C, parse it back: the prerequisite and update sections. */
static ldns_pkt *change(const struct wide_change *c)
{
	struct wide_msg m;
	ldns_pkt *p = NULL;
	char err[128];

	if (!CHECK_INT_EQ(wide_msg_record(&where, c, &key, 5, &m, err, sizeof(err)), 0))
		return NULL;
	CHECK_INT_EQ(ldns_wire2pkt(&p, m.wire, m.len), LDNS_STATUS_OK);
	wide_msg_clear(&m);
	return p;
}

/* Collisions: what a read of the name says, and the prerequisite each
 * verdict puts on the update. */
static void test_claims(void)
{
	struct dnssd_record *r = make_record("shop", 8080), *r2 = make_record("shop #2", 8080);
	struct wide_rdata ours = srv_rdata(8080, "h1"), theirs = srv_rdata(80, "h2"),
	                  upper = srv_rdata(1, "H1"), two[2];
	struct wide_msg m;
	char err[128];
	ldns_pkt *p;

	if (!r || !r2)
		goto out;
	/* the verdicts */
	CHECK_INT_EQ(wide_claim_judge(&where, 3, NULL, 0), WIDE_CLAIM_FREE);
	CHECK_INT_EQ(wide_claim_judge(&where, 0, NULL, 0), WIDE_CLAIM_NO_SRV);
	CHECK_INT_EQ(wide_claim_judge(&where, 0, &ours, 1), WIDE_CLAIM_OURS);
	CHECK_INT_EQ(wide_claim_judge(&where, 0, &upper, 1), WIDE_CLAIM_OURS);
	CHECK_INT_EQ(wide_claim_judge(&where, 0, &theirs, 1), WIDE_CLAIM_TAKEN);
	two[0] = ours;
	two[1] = theirs;
	CHECK_INT_EQ(wide_claim_judge(&where, 0, two, 2), WIDE_CLAIM_TAKEN);
	two[1] = ours;
	two[1].len--; /* cut short */
	CHECK_INT_EQ(wide_claim_judge(&where, 0, two, 2), WIDE_CLAIM_TAKEN);
	CHECK_INT_EQ(wide_claim_judge(&where, 2, NULL, 0), -EPROTO);
	CHECK_INT_EQ(wide_claim_judge(&where, 5, NULL, 0), -EPROTO);

	/* a free name: "name is not in use" */
	p = change(&(struct wide_change){.new = r, .claim = WIDE_CLAIM_FREE});
	if (p &&
	    !CHECK(has_rr(ldns_pkt_answer(p), "shop._web._tcp.lan-a.sd.example.\t0\tNONE\tANY")))
		dump(ldns_pkt_answer(p));
	if (p)
		CHECK_INT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 1);
	ldns_pkt_free(p);
	/* the name without an SRV: "SRV RRset does not exist" */
	p = change(&(struct wide_change){.new = r, .claim = WIDE_CLAIM_NO_SRV});
	if (p &&
	    !CHECK(has_rr(ldns_pkt_answer(p), "shop._web._tcp.lan-a.sd.example.\t0\tNONE\tSRV")))
		dump(ldns_pkt_answer(p));
	ldns_pkt_free(p);
	/* our own SRV, left by a crash: exactly that RRset */
	p = change(&(struct wide_change){
	        .new = r, .claim = WIDE_CLAIM_OURS, .srv = &upper, .n_srv = 1});
	if (p &&
	    !CHECK(has_rr(ldns_pkt_answer(p), "shop._web._tcp.lan-a.sd.example.\t0\tIN\tSRV\t0 0 "
	                                      "1 H1.lan-a.sd.example.")))
		dump(ldns_pkt_answer(p));
	ldns_pkt_free(p);
	/* a later change of our own instance: our SRV as published */
	p = change(&(struct wide_change){.old = r, .new = r});
	if (p &&
	    !CHECK(has_rr(ldns_pkt_answer(p), "shop._web._tcp.lan-a.sd.example.\t0\tIN\tSRV\t0 0 "
	                                      "8080 h1.lan-a.sd.example.")))
		dump(ldns_pkt_answer(p));
	if (p)
		CHECK_INT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(p)), 1);
	ldns_pkt_free(p);
	/* the name was lost to another host: only our manifest line for it
	 * goes (not its PTR, the same value as the other host's), and the
	 * rename is claimed */
	p = change(&(struct wide_change){
	        .old = r, .old_lost = true, .new = r2, .claim = WIDE_CLAIM_FREE});
	if (p) {
		ldns_rr_list *pre = ldns_pkt_answer(p), *up = ldns_pkt_authority(p);

		CHECK_INT_EQ(ldns_rr_list_rr_count(pre), 1);
		if (!CHECK(has_rr(pre, "shop\\032#2._web._tcp.lan-a.sd.example.\t0\tNONE\tANY")) ||
		    !CHECK(has_rr(
		            up, "h1._lanyard.lan-a.sd.example.\t0\tNONE\tPTR\tshop._web._tcp.")) ||
		    !CHECK(!has_rr(up, "_web._tcp.lan-a.sd.example.\t0\tNONE\tPTR\tshop._web")) ||
		    !CHECK(!has_rr(up, "shop._web._tcp.lan-a.sd.example.\t0\tANY\tANY")) ||
		    !CHECK(has_rr(up, "\tSRV\t0 0 8080 h1.lan-a.sd.example.")))
			dump(up);
	}
	ldns_pkt_free(p);
	/* a verdict is not a prerequisite */
	CHECK_INT_EQ(wide_msg_record(&where,
	                             &(struct wide_change){.new = r, .claim = WIDE_CLAIM_TAKEN},
	                             &key, 5, &m, err, sizeof(err)),
	             -EINVAL);
	CHECK_INT_EQ(wide_msg_record(&where,
	                             &(struct wide_change){.new = r, .claim = WIDE_CLAIM_OURS},
	                             &key, 5, &m, err, sizeof(err)),
	             -EINVAL);
out:
	record_free(r);
	record_free(r2);
}

/* The reaper's tidy of a dead host's type, by wire name. */
static void test_tidy_name(void)
{
	uint8_t type[256];
	size_t len;
	struct wide_msg m;
	ldns_pkt *p = NULL;
	char err[128];

	CHECK_INT_EQ(wide_name(NULL, "_web._tcp", "lan-a.sd.example", type, &len), 0);
	CHECK_INT_EQ(wide_msg_tidy_name(&where, type, len, &key, 6, &m, err, sizeof(err)), 0);
	CHECK_INT_EQ(ldns_wire2pkt(&p, m.wire, m.len), LDNS_STATUS_OK);
	if (p &&
	    (!CHECK(has_rr(ldns_pkt_answer(p), "_web._tcp.lan-a.sd.example.\t0\tNONE\tPTR")) ||
	     !CHECK(has_rr(ldns_pkt_authority(p), "_services._dns-sd._udp.lan-a.sd.example.\t0"
	                                          "\tNONE\tPTR\t_web._tcp.lan-a.sd.example."))))
		dump(ldns_pkt_authority(p));
	ldns_pkt_free(p);
	wide_msg_clear(&m);
	CHECK_INT_EQ(wide_msg_tidy_name(&where, type, 0, &key, 6, &m, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	test_put();
	test_claims();
	test_tidy_name();
	test_heartbeat_reap();
	test_host();
	test_answers();
	return test_summary();
}
