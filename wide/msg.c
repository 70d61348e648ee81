/* SPDX-License-Identifier: MIT */
/* Building and signing DNS UPDATE messages with ldns (its wire conversion
 * and TSIG only: the sockets are ours). Names are built label by label in
 * wire format, so instance names with dots, spaces or UTF-8 need no
 * escaping. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wide/ldns-wrap.h"

#include "wide/msg.h"

#define TSIG_FUDGE    300
#define NAME_WIRE_MAX 255

/* A name in wire format, built from labels then a dotted suffix. */
struct name {
	uint8_t b[NAME_WIRE_MAX];
	size_t len;
	bool bad;
};

static void name_label(struct name *n, const char *s, size_t len)
{
	if (len == 0 || len > 63 || n->len + 1 + len > NAME_WIRE_MAX - 1) {
		n->bad = true;
		return;
	}
	n->b[n->len++] = (uint8_t)len;
	memcpy(n->b + n->len, s, len);
	n->len += len;
}

/* Append the labels of dotted name S (no escapes: zone and type syntax). */
static void name_dotted(struct name *n, const char *s)
{
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t len = dot ? (size_t)(dot - s) : strlen(s);

		name_label(n, s, len);
		s += len;
		if (*s == '.')
			s++;
	}
}

/* The finished name as an ldns dname, or NULL (too long, or OOM). */
static ldns_rdf *name_rdf(struct name *n)
{
	if (n->bad || n->len + 1 > NAME_WIRE_MAX)
		return NULL;
	n->b[n->len] = 0;
	return ldns_dname_new_frm_data((uint16_t)(n->len + 1), n->b);
}

/* LABEL (may be NULL) . SUFFIX1 (may be NULL) . SUFFIX2 */
static ldns_rdf *make_name(const char *label, const char *mid, const char *zone)
{
	struct name n = {.len = 0};

	if (label)
		name_label(&n, label, strlen(label));
	if (mid)
		name_dotted(&n, mid);
	name_dotted(&n, zone);
	return name_rdf(&n);
}

/* An RR at OWNER (taken) of TYPE and CLASS with TTL, no rdata yet. */
static ldns_rr *rr_new(ldns_rdf *owner, ldns_rr_type type, ldns_rr_class cls, uint32_t ttl)
{
	ldns_rr *rr;

	if (!owner)
		return NULL;
	rr = ldns_rr_new();
	if (!rr) {
		ldns_rdf_deep_free(owner);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	return rr;
}

/* Push RDF (taken) onto RR; false (RDF freed) on failure. */
static bool rr_push(ldns_rr *rr, ldns_rdf *rdf)
{
	if (!rdf)
		return false;
	if (!ldns_rr_push_rdf(rr, rdf)) {
		ldns_rdf_deep_free(rdf);
		return false;
	}
	return true;
}

/* Append RR (taken) to LIST; false on failure (RR freed). */
static bool list_push(ldns_rr_list *list, ldns_rr *rr)
{
	if (!rr)
		return false;
	if (!ldns_rr_list_push_rr(list, rr)) {
		ldns_rr_free(rr);
		return false;
	}
	return true;
}

/* A PTR OWNER -> TARGET (both taken) of class CLS. */
static ldns_rr *ptr_rr(ldns_rdf *owner, ldns_rdf *target, ldns_rr_class cls, uint32_t ttl)
{
	ldns_rr *rr = rr_new(owner, LDNS_RR_TYPE_PTR, cls, ttl);

	if (!rr) {
		ldns_rdf_deep_free(target);
		return NULL;
	}
	if (!rr_push(rr, target)) {
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/* Delete R's records: its PTR and subtype PTRs (those RRs only: other
 * hosts' instances share the owner names) and every RRset at its name;
 * LOST (the name is another host's now): only its manifest line. */
static bool delete_record(ldns_rr_list *up, const struct wide_where *w,
                          const struct dnssd_record *r, bool lost)
{
	const char *zone = w->zone;

	/* its line in the host's manifest (subtype lines stay: shared hints) */
	if (!list_push(up, ptr_rr(make_name(w->host, "_lanyard", zone),
	                          make_name(r->instance, r->type, zone), LDNS_RR_CLASS_NONE, 0)))
		return false;
	if (lost)
		return true;
	if (!list_push(up, ptr_rr(make_name(NULL, r->type, zone),
	                          make_name(r->instance, r->type, zone), LDNS_RR_CLASS_NONE, 0)))
		return false;
	for (size_t i = 0; i < r->n_subtypes; i++) {
		struct name n = {.len = 0};

		name_label(&n, r->subtypes[i], strlen(r->subtypes[i]));
		name_dotted(&n, "_sub");
		name_dotted(&n, r->type);
		name_dotted(&n, zone);
		if (!list_push(up, ptr_rr(name_rdf(&n), make_name(r->instance, r->type, zone),
		                          LDNS_RR_CLASS_NONE, 0)))
			return false;
	}
	return list_push(up, rr_new(make_name(r->instance, r->type, zone), LDNS_RR_TYPE_ANY,
	                            LDNS_RR_CLASS_ANY, 0));
}

/* An SRV at OWNER (taken) of class IN with TTL and rdata PORT, TARGET
 * (taken); priority and weight 0. */
static ldns_rr *srv_rr(ldns_rdf *owner, uint32_t ttl, uint16_t port, ldns_rdf *target)
{
	ldns_rr *rr = rr_new(owner, LDNS_RR_TYPE_SRV, LDNS_RR_CLASS_IN, ttl);

	if (!rr) {
		ldns_rdf_deep_free(target);
		return NULL;
	}
	if (!rr_push(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0)) ||
	    !rr_push(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0)) ||
	    !rr_push(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, port)) ||
	    !rr_push(rr, target)) {
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/* The prerequisites of change C: OLD's SRV still ours, NEW's name as read. */
static bool prerequisites(ldns_rr_list *pre, const struct wide_where *w,
                          const struct wide_change *c)
{
	const char *zone = w->zone;
	const struct dnssd_record *r = c->new;

	/* value-dependent (RFC 2136 §2.4.2): class IN, TTL 0, the whole RRset */
	if (c->old && !c->old_lost &&
	    !list_push(pre, srv_rr(make_name(c->old->instance, c->old->type, zone), 0, c->old->port,
	                           make_name(w->host, NULL, zone))))
		return false;
	if (!r)
		return true;
	switch (c->claim) {
	case WIDE_CLAIM_NONE:
		return true;
	case WIDE_CLAIM_FREE: /* "name is not in use": NONE ANY */
		return list_push(pre, rr_new(make_name(r->instance, r->type, zone),
		                             LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_NONE, 0));
	case WIDE_CLAIM_NO_SRV: /* "RRset does not exist": NONE SRV */
		return list_push(pre, rr_new(make_name(r->instance, r->type, zone),
		                             LDNS_RR_TYPE_SRV, LDNS_RR_CLASS_NONE, 0));
	case WIDE_CLAIM_OURS:
		if (c->n_srv == 0)
			return false;
		for (size_t i = 0; i < c->n_srv; i++) {
			const struct wide_rdata *d = &c->srv[i];
			ldns_rr *rr;

			if (d->len <= 6)
				return false;
			rr = rr_new(make_name(r->instance, r->type, zone), LDNS_RR_TYPE_SRV,
			            LDNS_RR_CLASS_IN, 0);
			if (!rr)
				return false;
			if (!rr_push(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16, 2, d->data)) ||
			    !rr_push(rr,
			             ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16, 2, d->data + 2)) ||
			    !rr_push(rr,
			             ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16, 2, d->data + 4)) ||
			    !rr_push(rr, ldns_dname_new_frm_data((uint16_t)(d->len - 6),
			                                         d->data + 6))) {
				ldns_rr_free(rr);
				return false;
			}
			if (!list_push(pre, rr))
				return false;
		}
		return true;
	case WIDE_CLAIM_TAKEN:
		break;
	}
	return false;
}

static bool add_record(ldns_rr_list *up, const struct wide_where *w, const struct dnssd_record *r)
{
	const char *zone = w->zone;
	ldns_rr *rr;
	size_t off = 0;
	const uint8_t *s;
	size_t slen;
	bool any = false;

	/* whatever a previous run of this host left at the name */
	if (!list_push(up, rr_new(make_name(r->instance, r->type, zone), LDNS_RR_TYPE_ANY,
	                          LDNS_RR_CLASS_ANY, 0)))
		return false;
	if (!list_push(up, srv_rr(make_name(r->instance, r->type, zone), WIDE_TTL, r->port,
	                          make_name(w->host, NULL, zone))))
		return false;
	rr = rr_new(make_name(r->instance, r->type, zone), LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN,
	            WIDE_TTL);
	if (!rr)
		return false;
	while (record_txt_next(r, &off, &s, &slen)) {
		uint8_t buf[256];

		buf[0] = (uint8_t)slen;
		memcpy(buf + 1, s, slen);
		if (!rr_push(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, slen + 1, buf))) {
			ldns_rr_free(rr);
			return false;
		}
		any = true;
	}
	/* RFC 6763 §6.1: an empty TXT is one empty string */
	if (!any && !rr_push(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, 1, "\0"))) {
		ldns_rr_free(rr);
		return false;
	}
	if (!list_push(up, rr))
		return false;
	if (!list_push(up,
	               ptr_rr(make_name(NULL, r->type, zone), make_name(r->instance, r->type, zone),
	                      LDNS_RR_CLASS_IN, WIDE_TTL)))
		return false;
	for (size_t i = 0; i < r->n_subtypes; i++) {
		struct name n = {.len = 0};

		name_label(&n, r->subtypes[i], strlen(r->subtypes[i]));
		name_dotted(&n, "_sub");
		name_dotted(&n, r->type);
		name_dotted(&n, zone);
		if (!list_push(up, ptr_rr(name_rdf(&n), make_name(r->instance, r->type, zone),
		                          LDNS_RR_CLASS_IN, WIDE_TTL)))
			return false;
	}
	/* the host's manifest: what a reaper deletes if this host dies */
	if (!list_push(up,
	               ptr_rr(make_name(w->host, "_lanyard", zone),
	                      make_name(r->instance, r->type, zone), LDNS_RR_CLASS_IN, WIDE_TTL)))
		return false;
	for (size_t i = 0; i < r->n_subtypes; i++) {
		struct name n = {.len = 0};

		name_label(&n, r->subtypes[i], strlen(r->subtypes[i]));
		name_dotted(&n, "_sub");
		name_dotted(&n, r->type);
		name_dotted(&n, zone);
		if (!list_push(up, ptr_rr(make_name(w->host, "_lanyard", zone), name_rdf(&n),
		                          LDNS_RR_CLASS_IN, WIDE_TTL)))
			return false;
	}
	return list_push(up, ptr_rr(make_name(NULL, "_services._dns-sd._udp", zone),
	                            make_name(NULL, r->type, zone), LDNS_RR_CLASS_IN,
	                            WIDE_SERVICES_TTL));
}

/* "hmac-sha256" -> "hmac-sha256." as ldns names algorithms. */
static const char *ldns_alg(const char *alg)
{
	if (strcmp(alg, "hmac-md5") == 0)
		return "hmac-md5.sig-alg.reg.int.";
	if (strcmp(alg, "hmac-sha1") == 0)
		return "hmac-sha1.";
	if (strcmp(alg, "hmac-sha512") == 0)
		return "hmac-sha512.";
	if (strcmp(alg, "hmac-sha256") == 0)
		return "hmac-sha256.";
	return NULL;
}

/* The update of zone W->zone with the records of UP, signed, into RET. */
/* Give PKT its ID, sign it with KEY (none: unsigned) and put its wire
 * form in RET; PKT is freed. */
static int seal(ldns_pkt *pkt, const struct wide_key *key, uint16_t id, struct wide_msg *ret,
                char *err, size_t errlen)
{
	ldns_status st;
	int r = -ENOMEM;

	ldns_pkt_set_id(pkt, id);
	ldns_pkt_set_rd(pkt, false);
	if (key && key->name) {
		char kname[NAME_WIRE_MAX + 2];
		const char *alg = ldns_alg(key->alg);

		if (!alg) {
			snprintf(err, errlen, "TSIG algorithm \"%s\" is not supported", key->alg);
			r = -EINVAL;
			goto fail;
		}
		snprintf(kname, sizeof(kname), "%s.", key->name);
		st = ldns_pkt_tsig_sign(pkt, kname, key->secret, TSIG_FUDGE, alg, NULL);
		if (st != LDNS_STATUS_OK) {
			snprintf(err, errlen, "cannot sign: %s", ldns_get_errorstr_by_id(st));
			r = -EINVAL;
			goto fail;
		}
		ret->mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(pkt), 3));
		if (!ret->mac)
			goto fail;
	}
	if (ldns_pkt2wire(&ret->wire, pkt, &ret->len) != LDNS_STATUS_OK) {
		ret->wire = NULL;
		goto fail;
	}
	ret->id = id;
	ldns_pkt_free(pkt);
	return 0;
fail:
	ldns_pkt_free(pkt);
	wide_msg_clear(ret);
	return r;
}

static int finish(const struct wide_where *w, const ldns_rr_list *pre, ldns_rr_list *up,
                  const struct wide_key *key, uint16_t id, struct wide_msg *ret, char *err,
                  size_t errlen)
{
	ldns_rdf *zone = make_name(NULL, NULL, w->zone);
	ldns_pkt *pkt;

	if (!zone) {
		snprintf(err, errlen, "the zone name does not fit DNS");
		return -EINVAL;
	}
	pkt = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, pre, up, NULL);
	if (!pkt)
		return -ENOMEM;
	return seal(pkt, key, id, ret, err, errlen);
}

/* Contract in msg.h. */
int wide_msg_xfr(const char *zone, uint32_t serial, const struct wide_key *key, uint16_t id,
                 struct wide_msg *ret, char *err, size_t errlen)
{
	ldns_rdf *name = make_name(NULL, NULL, zone);
	ldns_pkt *pkt;

	*ret = (struct wide_msg){0};
	if (!name) {
		snprintf(err, errlen, "the zone name does not fit DNS");
		return -EINVAL;
	}
	pkt = ldns_pkt_query_new(name, serial ? LDNS_RR_TYPE_IXFR : LDNS_RR_TYPE_AXFR,
	                         LDNS_RR_CLASS_IN, 0);
	if (!pkt) {
		ldns_rdf_deep_free(name);
		return -ENOMEM;
	}
	if (serial) {
		/* RFC 1995: the client's SOA, with its serial, in the authority
		 * section; the other fields are not looked at. */
		ldns_rr *soa =
		        rr_new(make_name(NULL, NULL, zone), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
		bool ok = soa != NULL;

		for (int i = 0; ok && i < 2; i++)
			ok = rr_push(soa, make_name(NULL, NULL, zone));
		ok = ok && rr_push(soa, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32, serial));
		for (int i = 0; ok && i < 4; i++)
			ok = rr_push(soa, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 0));
		if (!ok || !ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, soa)) {
			ldns_rr_free(soa);
			ldns_pkt_free(pkt);
			return -ENOMEM;
		}
	}
	return seal(pkt, key, id, ret, err, errlen);
}

/* Contract in msg.h. */
int wide_msg_record(const struct wide_where *w, const struct wide_change *c,
                    const struct wide_key *key, uint16_t id, struct wide_msg *ret, char *err,
                    size_t errlen)
{
	ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
	bool ok;
	int r = -ENOMEM;

	*ret = (struct wide_msg){0};
	if (!pre || !up)
		goto out;
	ok = prerequisites(pre, w, c) && (!c->old || delete_record(up, w, c->old, c->old_lost)) &&
	     (!c->new || add_record(up, w, c->new));
	if (!ok) {
		/* a name too long for DNS, or out of memory: tell them apart */
		ldns_rdf *probe = make_name(NULL, NULL, w->zone);

		if (!probe)
			goto out;
		ldns_rdf_deep_free(probe);
		snprintf(err, errlen, "does not fit DNS: a name of \"%s\" under \"%s\"",
		         c->new   ? c->new->instance
		         : c->old ? c->old->instance
		                  : "",
		         w->zone);
		r = -EINVAL;
		goto out;
	}
	r = finish(w, pre, up, key, id, ret, err, errlen);
out:
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return r;
}

/* Contract in msg.h. */
int wide_msg_host(const struct wide_where *w, const struct wide_addr *addrs, size_t n,
                  const struct wide_key *key, uint16_t id, struct wide_msg *ret, char *err,
                  size_t errlen)
{
	ldns_rr_list *up = ldns_rr_list_new();
	bool ok;
	int r;

	*ret = (struct wide_msg){0};
	if (!up)
		return -ENOMEM;
	ok = list_push(up, rr_new(make_name(w->host, NULL, w->zone), LDNS_RR_TYPE_A,
	                          LDNS_RR_CLASS_ANY, 0)) &&
	     list_push(up, rr_new(make_name(w->host, NULL, w->zone), LDNS_RR_TYPE_AAAA,
	                          LDNS_RR_CLASS_ANY, 0));
	for (size_t i = 0; ok && i < n; i++) {
		bool v4 = addrs[i].family == AF_INET;
		ldns_rr *rr =
		        rr_new(make_name(w->host, NULL, w->zone),
		               v4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN, WIDE_TTL);

		if (!rr) {
			ok = false;
		} else if (!rr_push(rr,
		                    ldns_rdf_new_frm_data(v4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
		                                          v4 ? 4 : 16, addrs[i].addr))) {
			ldns_rr_free(rr);
			ok = false;
		} else {
			ok = list_push(up, rr);
		}
	}
	if (!ok) {
		ldns_rr_list_deep_free(up);
		snprintf(err, errlen, "does not fit DNS: host \"%.64s\" under \"%s\"", w->host,
		         w->zone);
		return -EINVAL;
	}
	r = finish(w, NULL, up, key, id, ret, err, errlen);
	ldns_rr_list_deep_free(up);
	return r;
}

/* A tidy update for the type named TYPE (taken). */
static int tidy(const struct wide_where *w, ldns_rdf *type, const struct wide_key *key, uint16_t id,
                struct wide_msg *ret, char *err, size_t errlen)
{
	ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_rdf *again = ldns_rdf_clone(type);
	/* "RRset does not exist": class NONE, TTL 0, no rdata */
	ldns_rr *cond = rr_new(type, LDNS_RR_TYPE_PTR, LDNS_RR_CLASS_NONE, 0);
	ldns_rr *del = ptr_rr(make_name(NULL, "_services._dns-sd._udp", w->zone), again,
	                      LDNS_RR_CLASS_NONE, 0);
	int r = -ENOMEM;

	*ret = (struct wide_msg){0};
	if (!pre || !up) {
		ldns_rr_free(cond);
		ldns_rr_free(del);
		goto out;
	}
	if (!list_push(pre, cond) || !list_push(up, del)) {
		if (!ldns_rr_list_rr_count(pre))
			ldns_rr_free(del);
		snprintf(err, errlen, "does not fit DNS: a type under \"%s\"", w->zone);
		r = -EINVAL;
		goto out;
	}
	r = finish(w, pre, up, key, id, ret, err, errlen);
out:
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return r;
}

/* Contract in msg.h. */
int wide_msg_tidy(const struct wide_where *w, const char *type, const struct wide_key *key,
                  uint16_t id, struct wide_msg *ret, char *err, size_t errlen)
{
	ldns_rdf *t = make_name(NULL, type, w->zone);

	if (!t) {
		*ret = (struct wide_msg){0};
		snprintf(err, errlen, "does not fit DNS: type \"%s\" under \"%s\"", type, w->zone);
		return -EINVAL;
	}
	return tidy(w, t, key, id, ret, err, errlen);
}

/* Contract in msg.h. */
int wide_msg_tidy_name(const struct wide_where *w, const uint8_t *type, size_t len,
                       const struct wide_key *key, uint16_t id, struct wide_msg *ret, char *err,
                       size_t errlen)
{
	ldns_rdf *t =
	        len && len <= NAME_WIRE_MAX ? ldns_dname_new_frm_data((uint16_t)len, type) : NULL;

	if (!t) {
		*ret = (struct wide_msg){0};
		snprintf(err, errlen, "not a type name");
		return -EINVAL;
	}
	return tidy(w, t, key, id, ret, err, errlen);
}

/* Contract in msg.h. */
int wide_msg_heartbeat(const struct wide_where *w, uint64_t now, unsigned refresh_s,
                       const struct wide_key *key, uint16_t id, struct wide_msg *ret, char *err,
                       size_t errlen)
{
	ldns_rr_list *up = ldns_rr_list_new();
	char t[32], rf[32];
	uint8_t buf[2][33];
	ldns_rr *rr = NULL;
	int r = -ENOMEM;

	*ret = (struct wide_msg){0};
	if (!up)
		return -ENOMEM;
	buf[0][0] = (uint8_t)snprintf(t, sizeof(t), "t=%llu", (unsigned long long)now);
	memcpy(buf[0] + 1, t, buf[0][0]);
	buf[1][0] = (uint8_t)snprintf(rf, sizeof(rf), "r=%u", refresh_s);
	memcpy(buf[1] + 1, rf, buf[1][0]);
	if (!list_push(up, rr_new(make_name(w->host, "_lanyard", w->zone), LDNS_RR_TYPE_TXT,
	                          LDNS_RR_CLASS_ANY, 0)))
		goto fail;
	rr = rr_new(make_name(w->host, "_lanyard", w->zone), LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN,
	            WIDE_TTL);
	if (!rr)
		goto fail;
	if (!rr_push(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, buf[0][0] + 1u, buf[0])) ||
	    !rr_push(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, buf[1][0] + 1u, buf[1]))) {
		ldns_rr_free(rr);
		goto fail;
	}
	if (!list_push(up, rr) || !list_push(up, ptr_rr(make_name(NULL, "_hosts._lanyard", w->zone),
	                                                make_name(w->host, "_lanyard", w->zone),
	                                                LDNS_RR_CLASS_IN, WIDE_TTL)))
		goto fail;
	r = finish(w, NULL, up, key, id, ret, err, errlen);
	ldns_rr_list_deep_free(up);
	return r;
fail:
	ldns_rr_list_deep_free(up);
	snprintf(err, errlen, "does not fit DNS: host \"%.64s\" under \"%s\"", w->host, w->zone);
	return -EINVAL;
}

/* Contract in msg.h. */
int wide_msg_leave(const struct wide_where *w, const struct wide_key *key, uint16_t id,
                   struct wide_msg *ret, char *err, size_t errlen)
{
	ldns_rr_list *up = ldns_rr_list_new();
	int r;

	*ret = (struct wide_msg){0};
	if (!up)
		return -ENOMEM;
	if (!list_push(up, rr_new(make_name(w->host, NULL, w->zone), LDNS_RR_TYPE_A,
	                          LDNS_RR_CLASS_ANY, 0)) ||
	    !list_push(up, rr_new(make_name(w->host, NULL, w->zone), LDNS_RR_TYPE_AAAA,
	                          LDNS_RR_CLASS_ANY, 0)) ||
	    !list_push(up, rr_new(make_name(w->host, "_lanyard", w->zone), LDNS_RR_TYPE_ANY,
	                          LDNS_RR_CLASS_ANY, 0)) ||
	    !list_push(up,
	               ptr_rr(make_name(NULL, "_hosts._lanyard", w->zone),
	                      make_name(w->host, "_lanyard", w->zone), LDNS_RR_CLASS_NONE, 0))) {
		ldns_rr_list_deep_free(up);
		snprintf(err, errlen, "does not fit DNS: host \"%.64s\" under \"%s\"", w->host,
		         w->zone);
		return -EINVAL;
	}
	r = finish(w, NULL, up, key, id, ret, err, errlen);
	ldns_rr_list_deep_free(up);
	return r;
}

/* Contract in msg.h. */
int wide_msg_query(const struct wide_where *w, const uint8_t *name, size_t len, uint16_t type,
                   uint16_t id, struct wide_msg *ret)
{
	ldns_rdf *q =
	        len && len <= NAME_WIRE_MAX ? ldns_dname_new_frm_data((uint16_t)len, name) : NULL;
	ldns_pkt *pkt;

	(void)w;
	*ret = (struct wide_msg){0};
	if (!q)
		return -EINVAL;
	pkt = ldns_pkt_query_new(q, (ldns_rr_type)type, LDNS_RR_CLASS_IN, 0);
	if (!pkt)
		return -ENOMEM;
	ldns_pkt_set_id(pkt, id);
	if (ldns_pkt2wire(&ret->wire, pkt, &ret->len) != LDNS_STATUS_OK) {
		ret->wire = NULL;
		ldns_pkt_free(pkt);
		return -ENOMEM;
	}
	ret->id = id;
	ldns_pkt_free(pkt);
	return 0;
}

/* Contract in msg.h. */
int wide_name(const char *label, const char *mid, const char *zone, uint8_t *buf, size_t *len)
{
	struct name n = {.len = 0};

	if (label)
		name_label(&n, label, strlen(label));
	if (mid)
		name_dotted(&n, mid);
	name_dotted(&n, zone);
	if (n.bad || n.len + 1 > NAME_WIRE_MAX)
		return -EINVAL;
	n.b[n.len++] = 0;
	memcpy(buf, n.b, n.len);
	*len = n.len;
	return 0;
}

/* The wire name NAME (LEN bytes) without its first label, or NULL. */
static ldns_rdf *parent_of(const uint8_t *name, size_t len, size_t skip)
{
	size_t off = 0;

	for (size_t i = 0; i < skip; i++) {
		if (off >= len || name[off] == 0)
			return NULL;
		off += 1u + name[off];
	}
	if (off >= len)
		return NULL;
	return ldns_dname_new_frm_data((uint16_t)(len - off), name + off);
}

/* Whether wire name NAME's label 2 (0-based 1) is "_sub". */
static bool is_subtype_owner(const uint8_t *name, size_t len)
{
	size_t off = name[0] + 1u;

	return name[0] && off + 5 <= len && name[off] == 4 &&
	       memcmp(name + off + 1, "_sub", 4) == 0;
}

/* Contract in msg.h. */
int wide_msg_reap(const struct wide_where *w, const char *victim, const uint8_t *hb, size_t hb_len,
                  const struct wide_rdata *names, size_t n, const struct wide_key *key, uint16_t id,
                  struct wide_msg *ret, char *err, size_t errlen)
{
	ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
	struct wide_where vw = {.zone = w->zone, .host = victim};
	ldns_rr *rr = NULL;
	size_t off = 0;
	int r = -ENOMEM;

	*ret = (struct wide_msg){0};
	if (!pre || !up)
		goto out;
	/* only while its heartbeat is still the stale one we read */
	rr = rr_new(make_name(victim, "_lanyard", w->zone), LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 0);
	if (!rr)
		goto bad;
	while (off < hb_len) {
		size_t l = 1u + hb[off];

		if (off + l > hb_len ||
		    !rr_push(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, l, hb + off))) {
			ldns_rr_free(rr);
			goto bad;
		}
		off += l;
	}
	if (!list_push(pre, rr))
		goto bad;
	for (size_t i = 0; i < n; i++) {
		const struct wide_rdata *inst = &names[i];

		if (is_subtype_owner(inst->data, inst->len))
			continue;
		/* an instance: its PTR at its type, everything at its name */
		if (!list_push(up, ptr_rr(parent_of(inst->data, inst->len, 1),
		                          ldns_dname_new_frm_data((uint16_t)inst->len, inst->data),
		                          LDNS_RR_CLASS_NONE, 0)) ||
		    !list_push(up, rr_new(ldns_dname_new_frm_data((uint16_t)inst->len, inst->data),
		                          LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_ANY, 0)))
			goto bad;
		/* its subtype PTRs, at the subtype owners of the same type */
		for (size_t j = 0; j < n; j++) {
			ldns_rdf *a, *b;
			bool same;

			if (!is_subtype_owner(names[j].data, names[j].len))
				continue;
			a = parent_of(names[j].data, names[j].len, 2);
			b = parent_of(inst->data, inst->len, 1);
			same = a && b && ldns_dname_compare(a, b) == 0;
			ldns_rdf_deep_free(a);
			ldns_rdf_deep_free(b);
			if (same &&
			    !list_push(up, ptr_rr(ldns_dname_new_frm_data((uint16_t)names[j].len,
			                                                  names[j].data),
			                          ldns_dname_new_frm_data((uint16_t)inst->len,
			                                                  inst->data),
			                          LDNS_RR_CLASS_NONE, 0)))
				goto bad;
		}
	}
	/* its addresses, heartbeat, manifest and line in the index */
	if (!list_push(up, rr_new(make_name(victim, NULL, w->zone), LDNS_RR_TYPE_A,
	                          LDNS_RR_CLASS_ANY, 0)) ||
	    !list_push(up, rr_new(make_name(victim, NULL, w->zone), LDNS_RR_TYPE_AAAA,
	                          LDNS_RR_CLASS_ANY, 0)) ||
	    !list_push(up, rr_new(make_name(victim, "_lanyard", w->zone), LDNS_RR_TYPE_ANY,
	                          LDNS_RR_CLASS_ANY, 0)) ||
	    !list_push(up, ptr_rr(make_name(NULL, "_hosts._lanyard", w->zone),
	                          make_name(victim, "_lanyard", w->zone), LDNS_RR_CLASS_NONE, 0)))
		goto bad;
	r = finish(&vw, pre, up, key, id, ret, err, errlen);
	goto out;
bad:
	snprintf(err, errlen, "cannot build the deletion of host \"%.64s\"", victim);
	r = -EINVAL;
out:
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return r;
}

/* Contract in msg.h. */
void wide_msg_clear(struct wide_msg *m)
{
	free(m->wire);
	ldns_rdf_deep_free(m->mac);
	*m = (struct wide_msg){0};
}
