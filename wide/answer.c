/* SPDX-License-Identifier: MIT */
/* Answers to DNS UPDATE: the header read by hand (bounded, before any
 * parsing), the rest by ldns's wire parser, and the TSIG MAC checked
 * against the query's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wide/ldns-wrap.h"

#include "wide/answer.h"

#define HEADER_LEN 12

static const char *const rcode_names[] = {
        [0] = "NOERROR", [1] = "FORMERR", [2] = "SERVFAIL", [3] = "NXDOMAIN",
        [4] = "NOTIMP",  [5] = "REFUSED", [6] = "YXDOMAIN", [7] = "YXRRSET",
        [8] = "NXRRSET", [9] = "NOTAUTH", [10] = "NOTZONE",
};

static const char *tsig_error_name(int e)
{
	switch (e) {
	case 16:
		return "BADSIG";
	case 17:
		return "BADKEY";
	case 18:
		return "BADTIME";
	case 22:
		return "BADTRUNC";
	}
	return NULL;
}

/* Contract in answer.h. */
const char *wide_rcode_name(int rcode)
{
	if (rcode < 0 || (size_t)rcode >= sizeof(rcode_names) / sizeof(*rcode_names))
		return NULL;
	return rcode_names[rcode];
}

/* Contract in answer.h. */
int wide_answer_rdata(const uint8_t *wire, size_t len, const struct wide_msg *q, uint16_t type,
                      struct wide_rdata *ret, size_t max, size_t *ret_n, int *ret_rcode)
{
	ldns_pkt *pkt = NULL;
	ldns_rr_list *an;
	ldns_rr *question;
	unsigned flags;

	*ret_n = 0;
	*ret_rcode = 0;
	if (len < HEADER_LEN)
		return -EINVAL;
	flags = (unsigned)wire[2] << 8 | wire[3];
	if (((unsigned)wire[0] << 8 | wire[1]) != q->id || !(flags & 0x8000) ||
	    ((flags >> 11) & 0xf) != LDNS_PACKET_QUERY)
		return -EINVAL;
	*ret_rcode = (int)(flags & 0xf);
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return -EINVAL;
	question = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	an = ldns_pkt_answer(pkt);
	for (size_t i = 0; question && i < ldns_rr_list_rr_count(an) && *ret_n < max; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		struct wide_rdata *out = &ret[*ret_n];

		if (ldns_rr_get_type(rr) != type ||
		    ldns_dname_compare(ldns_rr_owner(rr), ldns_rr_owner(question)) != 0)
			continue;
		out->len = 0;
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			ldns_rdf *f = ldns_rr_rdf(rr, j);
			size_t fl = ldns_rdf_size(f);

			if (out->len + fl > sizeof(out->data)) {
				out->len = 0;
				break;
			}
			memcpy(out->data + out->len, ldns_rdf_data(f), fl);
			out->len += fl;
		}
		if (out->len)
			(*ret_n)++;
	}
	ldns_pkt_free(pkt);
	return 0;
}

/* Contract in answer.h. */
int wide_answer_read(const uint8_t *wire, size_t len, const struct wide_msg *q,
                     const struct wide_key *key, struct wide_answer *ret)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *tsig;
	const char *rname, *tname;
	unsigned flags;
	bool want_sig = key && key->name && q->mac;

	*ret = (struct wide_answer){0};
	if (len < HEADER_LEN)
		return -EINVAL;
	flags = (unsigned)wire[2] << 8 | wire[3];
	if (((unsigned)wire[0] << 8 | wire[1]) != q->id || !(flags & 0x8000) ||
	    ((flags >> 11) & 0xf) != LDNS_PACKET_UPDATE)
		return -EINVAL;
	ret->rcode = (int)(flags & 0xf);
	ret->truncated = (flags & 0x0200) != 0;
	if (!ret->truncated && ldns_wire2pkt(&pkt, wire, len) == LDNS_STATUS_OK) {
		tsig = ldns_pkt_tsig(pkt);
		if (tsig && ldns_rr_rd_count(tsig) >= 6 && ldns_rr_rdf(tsig, 5) &&
		    ldns_rdf_size(ldns_rr_rdf(tsig, 5)) == 2)
			ret->tsig_error = ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
		if (tsig && want_sig && ret->tsig_error == 0) {
			char kname[300];

			snprintf(kname, sizeof(kname), "%s.", key->name);
			ret->signed_ok = ldns_pkt_tsig_verify(pkt, wire, len, kname, key->secret,
			                                      (const ldns_rdf *)q->mac);
			/* ldns 1.8 takes the TSIG RR off the packet while it checks
			 * and, when the MAC cannot be computed (an algorithm it does
			 * not know), returns without putting it back: found by
			 * fuzz-wide-answer as a leak. Put it back for ldns_pkt_free. */
			if (!ldns_pkt_tsig(pkt))
				ldns_pkt_set_tsig(pkt, tsig);
		}
		ldns_pkt_free(pkt);
	}
	rname = wide_rcode_name(ret->rcode);
	tname = tsig_error_name(ret->tsig_error);
	if (rname)
		snprintf(ret->text, sizeof(ret->text), "%s", rname);
	else
		snprintf(ret->text, sizeof(ret->text), "RCODE %d", ret->rcode);
	if (tname || ret->tsig_error) {
		size_t n = strlen(ret->text);

		if (tname)
			snprintf(ret->text + n, sizeof(ret->text) - n, " (%s)", tname);
		else
			snprintf(ret->text + n, sizeof(ret->text) - n, " (TSIG error %d)",
			         ret->tsig_error);
	}
	ret->ok = ret->rcode == 0 && ret->tsig_error == 0 && !ret->truncated &&
	          (!want_sig || ret->signed_ok);
	if (ret->rcode == 0 && !ret->truncated && want_sig && !ret->signed_ok) {
		size_t n = strlen(ret->text);

		snprintf(ret->text + n, sizeof(ret->text) - n, ", answer not signed by the key");
	}
	return 0;
}

/* Whether wire names A and B (LEN bytes each) are equal, ASCII case
 * aside (RFC 4343). */
static bool name_eq(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* Contract in answer.h. */
int wide_claim_judge(const struct wide_where *w, int rcode, const struct wide_rdata *srv, size_t n)
{
	uint8_t own[256];
	size_t own_len;

	if (rcode == 3)
		return WIDE_CLAIM_FREE;
	if (rcode != 0)
		return -EPROTO;
	if (n == 0)
		return WIDE_CLAIM_NO_SRV;
	if (n > WIDE_CLAIM_SRV_MAX || wide_name(w->host, NULL, w->zone, own, &own_len) < 0)
		return WIDE_CLAIM_TAKEN;
	for (size_t i = 0; i < n; i++) {
		/* priority, weight, port, then the target: exactly our name
		 * (labels compared byte by byte: the lengths line up) */
		if (srv[i].len != 6 + own_len || !name_eq(srv[i].data + 6, own, own_len))
			return WIDE_CLAIM_TAKEN;
	}
	return WIDE_CLAIM_OURS;
}

/* Contract in answer.h. */
int wide_xfr_verify(const uint8_t *wire, size_t len, const struct wide_key *key, void **chain,
                    bool first)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *tsig;
	ldns_rdf *mac = NULL;
	char kname[300];
	bool ok = false;

	if (!key || !key->name || !*chain || ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return -EBADMSG;
	tsig = ldns_pkt_tsig(pkt);
	if (tsig && ldns_rr_rd_count(tsig) >= 6 && ldns_rr_rdf(tsig, 3) && ldns_rr_rdf(tsig, 5) &&
	    ldns_rdf_size(ldns_rr_rdf(tsig, 5)) == 2 &&
	    ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5)) == 0) {
		snprintf(kname, sizeof(kname), "%s.", key->name);
		ok = ldns_pkt_tsig_verify_next(pkt, wire, len, kname, key->secret,
		                               (const ldns_rdf *)*chain, first ? 0 : 1);
		/* (see wide_answer_read: ldns may leave the TSIG RR off the packet) */
		if (!ldns_pkt_tsig(pkt))
			ldns_pkt_set_tsig(pkt, tsig);
		if (ok && !(mac = ldns_rdf_clone(ldns_rr_rdf(tsig, 3))))
			ok = false;
	}
	ldns_pkt_free(pkt);
	if (!ok)
		return -EBADMSG;
	ldns_rdf_deep_free(*chain);
	*chain = mac;
	return 0;
}

/* Contract in answer.h. */
void wide_xfr_chain_free(void *chain)
{
	ldns_rdf_deep_free(chain);
}
