/* SPDX-License-Identifier: MIT */
/* A browsed zone's DNS-SD records in a hash table keyed by (owner, type),
 * and the reading of AXFR and IXFR answers into it: the header checked by
 * hand, each message parsed by ldns, then a small state machine over the
 * answer records (RFC 1995 §4, RFC 5936 §2.2). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "wide/ldns-wrap.h"

#include "wide/zone.h"

#define HEADER_LEN 12
#define RDATA_MAX  8192 /* larger records are not kept (a TXT this long is no DNS-SD TXT) */

/* A record, in two chains: by the whole record (owner, type, rdata: adds
 * and deletes) and by its set (owner, type: lookups), so that the PTRs of
 * a type of 10 000 instances, one set, cost no more to add than others. */
struct node {
	struct node *next;           /* record chain */
	struct node *onext, **oprev; /* set chain, doubly linked */
	uint64_t hash, ohash;
	uint16_t owner_len, rdlen, type;
	uint8_t data[]; /* owner, then rdata */
};

struct wide_zone {
	struct node **buckets;  /* by record */
	struct node **obuckets; /* by set */
	size_t n_buckets, count;
	uint64_t seed;
	uint32_t serial;
	bool loaded;
	uint8_t origin[256];
	size_t origin_len;
};

enum xfr_state { X_START, X_FIRST, X_FULL, X_DEL, X_ADD, X_DONE };

static void lower(uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i] >= 'A' && b[i] <= 'Z')
			b[i] = (uint8_t)(b[i] + 32);
}

static uint64_t hash_of(const struct wide_zone *z, const uint8_t *owner, size_t len, uint16_t type)
{
	uint64_t h = z->seed ^ 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		uint8_t c =
		        owner[i] >= 'A' && owner[i] <= 'Z' ? (uint8_t)(owner[i] + 32) : owner[i];

		h = (h ^ c) * 0x100000001b3ull;
	}
	h = (h ^ type) * 0x100000001b3ull;
	h ^= h >> 33, h *= 0xff51afd7ed558ccdull, h ^= h >> 33;
	return h;
}

/* Where names are in TYPE's rdata: from this offset to the end (RDLEN:
 * none). They compare and hash without case. */
static size_t names_at(uint16_t type, size_t rdlen)
{
	return type == WIDE_RR_PTR ? 0 : type == WIDE_RR_SRV ? 6 : rdlen;
}

/* The whole record's hash, from its set's. */
static uint64_t hash_rr(uint64_t ohash, uint16_t type, const uint8_t *rdata, size_t rdlen)
{
	uint64_t h = ohash ^ 0x9e3779b97f4a7c15ull;
	size_t from = names_at(type, rdlen);

	for (size_t i = 0; i < rdlen; i++) {
		uint8_t c = rdata[i];

		if (i >= from && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		h = (h ^ c) * 0x100000001b3ull;
	}
	h ^= h >> 33, h *= 0xff51afd7ed558ccdull, h ^= h >> 33;
	return h;
}

static bool owner_eq(const struct node *n, const uint8_t *owner, size_t len)
{
	if (n->owner_len != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c =
		        owner[i] >= 'A' && owner[i] <= 'Z' ? (uint8_t)(owner[i] + 32) : owner[i];

		if (n->data[i] != c)
			return false;
	}
	return true;
}

/* Contract in zone.h. */
struct wide_zone *wide_zone_new(const char *origin)
{
	struct wide_zone *z = calloc(1, sizeof(*z));
	ldns_rdf *name = NULL;

	if (!z)
		return NULL;
	if (ldns_str2rdf_dname(&name, origin) != LDNS_STATUS_OK || ldns_rdf_size(name) > 255) {
		ldns_rdf_deep_free(name);
		free(z);
		return NULL;
	}
	z->origin_len = ldns_rdf_size(name);
	memcpy(z->origin, ldns_rdf_data(name), z->origin_len);
	lower(z->origin, z->origin_len);
	ldns_rdf_deep_free(name);
	if (getrandom(&z->seed, sizeof(z->seed), GRND_NONBLOCK) != (ssize_t)sizeof(z->seed))
		z->seed = (uint64_t)(uintptr_t)z;
	return z;
}

static void clear(struct wide_zone *z)
{
	for (size_t i = 0; i < z->n_buckets; i++)
		for (struct node *n = z->buckets[i], *next; n; n = next) {
			next = n->next;
			free(n);
		}
	free(z->buckets);
	free(z->obuckets);
	z->buckets = z->obuckets = NULL;
	z->n_buckets = z->count = 0;
}

/* Contract in zone.h. */
void wide_zone_free(struct wide_zone *z)
{
	if (!z)
		return;
	clear(z);
	free(z);
}

/* Contract in zone.h. */
bool wide_zone_loaded(const struct wide_zone *z)
{
	return z->loaded;
}

/* Contract in zone.h. */
uint32_t wide_zone_serial(const struct wide_zone *z)
{
	return z->serial;
}

/* Contract in zone.h. */
size_t wide_zone_count(const struct wide_zone *z)
{
	return z->count;
}

/* Contract in zone.h. */
const uint8_t *wide_zone_origin(const struct wide_zone *z, size_t *ret_len)
{
	*ret_len = z->origin_len;
	return z->origin;
}

static struct wide_rr rr_of(const struct node *n)
{
	return (struct wide_rr){.owner = n->data,
	                        .rdata = n->data + n->owner_len,
	                        .owner_len = n->owner_len,
	                        .rdlen = n->rdlen,
	                        .type = n->type};
}

/* Contract in zone.h. */
void wide_zone_each(const struct wide_zone *z, uint16_t type,
                    void (*fn)(void *ud, const struct wide_rr *rr), void *ud)
{
	for (size_t i = 0; i < z->n_buckets; i++)
		for (const struct node *n = z->buckets[i]; n; n = n->next)
			if (!type || n->type == type) {
				struct wide_rr rr = rr_of(n);

				fn(ud, &rr);
			}
}

/* Contract in zone.h. */
size_t wide_zone_find(const struct wide_zone *z, const uint8_t *owner, size_t owner_len,
                      uint16_t type, struct wide_rr *ret, size_t max)
{
	size_t k = 0;

	if (!z->n_buckets)
		return 0;
	uint64_t h = hash_of(z, owner, owner_len, type);

	for (const struct node *n = z->obuckets[h & (z->n_buckets - 1)]; n; n = n->onext)
		if (n->ohash == h && n->type == type && owner_eq(n, owner, owner_len)) {
			if (k < max)
				ret[k] = rr_of(n);
			k++;
		}
	return k;
}

/* Put N at the head of its set's chain in OB (NB buckets). */
static void set_link(struct node **ob, size_t nb, struct node *n)
{
	struct node **head = &ob[n->ohash & (nb - 1)];

	n->onext = *head;
	if (*head)
		(*head)->oprev = &n->onext;
	n->oprev = head;
	*head = n;
}

static int grow(struct wide_zone *z)
{
	size_t nb = z->n_buckets ? z->n_buckets * 2 : 64;
	struct node **b = calloc(nb, sizeof(*b)), **ob = calloc(nb, sizeof(*ob));

	if (!b || !ob) {
		free(b);
		free(ob);
		return -ENOMEM;
	}
	for (size_t i = 0; i < z->n_buckets; i++)
		for (struct node *n = z->buckets[i], *next; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
			set_link(ob, nb, n);
		}
	free(z->buckets);
	free(z->obuckets);
	z->buckets = b;
	z->obuckets = ob;
	z->n_buckets = nb;
	return 0;
}

/* Whether N's rdata is RDATA: names in it compare without case (RFC 4343). */
static bool rdata_eq(const struct node *n, const uint8_t *rdata, size_t rdlen)
{
	const uint8_t *a = n->data + n->owner_len;
	size_t from = names_at(n->type, rdlen);

	if (n->rdlen != rdlen)
		return false;
	for (size_t i = 0; i < rdlen; i++) {
		uint8_t x = a[i], y = rdata[i];

		if (i >= from) {
			x = x >= 'A' && x <= 'Z' ? (uint8_t)(x + 32) : x;
			y = y >= 'A' && y <= 'Z' ? (uint8_t)(y + 32) : y;
		}
		if (x != y)
			return false;
	}
	return true;
}

/* The node equal to (OWNER, TYPE, RDATA) whose record hash is H, and the
 * link pointing at it. */
static struct node **lookup(struct wide_zone *z, const uint8_t *owner, size_t owner_len,
                            uint16_t type, const uint8_t *rdata, size_t rdlen, uint64_t h)
{
	if (!z->n_buckets)
		return NULL;
	for (struct node **p = &z->buckets[h & (z->n_buckets - 1)]; *p; p = &(*p)->next) {
		struct node *n = *p;

		if (n->hash == h && n->type == type && owner_eq(n, owner, owner_len) &&
		    rdata_eq(n, rdata, rdlen))
			return p;
	}
	return NULL;
}

static int zone_add(struct wide_zone *z, const uint8_t *owner, size_t owner_len, uint16_t type,
                    const uint8_t *rdata, size_t rdlen)
{
	uint64_t oh = hash_of(z, owner, owner_len, type), h = hash_rr(oh, type, rdata, rdlen);
	struct node *n;

	if (lookup(z, owner, owner_len, type, rdata, rdlen, h))
		return 0; /* a set holds a record once */
	if (z->count >= WIDE_ZONE_MAX_RRS)
		return -EFBIG;
	if (z->count >= z->n_buckets && grow(z) < 0)
		return -ENOMEM;
	n = malloc(sizeof(*n) + owner_len + rdlen);
	if (!n)
		return -ENOMEM;
	n->hash = h;
	n->ohash = oh;
	n->owner_len = (uint16_t)owner_len;
	n->rdlen = (uint16_t)rdlen;
	n->type = type;
	memcpy(n->data, owner, owner_len);
	lower(n->data, owner_len);
	memcpy(n->data + owner_len, rdata, rdlen);
	n->next = z->buckets[h & (z->n_buckets - 1)];
	z->buckets[h & (z->n_buckets - 1)] = n;
	set_link(z->obuckets, z->n_buckets, n);
	z->count++;
	return 0;
}

static void zone_del(struct wide_zone *z, const uint8_t *owner, size_t owner_len, uint16_t type,
                     const uint8_t *rdata, size_t rdlen)
{
	uint64_t oh = hash_of(z, owner, owner_len, type);
	struct node **p =
	        lookup(z, owner, owner_len, type, rdata, rdlen, hash_rr(oh, type, rdata, rdlen));
	struct node *n;

	if (!p)
		return;
	n = *p;
	*p = n->next;
	*n->oprev = n->onext;
	if (n->onext)
		n->onext->oprev = n->oprev;
	free(n);
	z->count--;
}

/* Whether wire name N (LEN bytes) is ORIGIN or under it. */
static bool in_zone(const struct wide_zone *z, const uint8_t *n, size_t len)
{
	size_t off = 0;

	while (off < len && len - off > z->origin_len) {
		if (n[off] == 0)
			return false;
		off += 1u + n[off];
	}
	if (off >= len || len - off != z->origin_len)
		return false;
	for (size_t i = 0; i < z->origin_len; i++) {
		uint8_t c = n[off + i] >= 'A' && n[off + i] <= 'Z' ? (uint8_t)(n[off + i] + 32)
		                                                   : n[off + i];

		if (c != z->origin[i])
			return false;
	}
	return true;
}

/* RR's rdata in wire form (names uncompressed: ldns expanded them). */
static size_t rdata_of(const ldns_rr *rr, uint8_t *buf, size_t max)
{
	size_t len = 0;

	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		size_t fl = ldns_rdf_size(f);

		if (fl > max - len)
			return SIZE_MAX;
		memcpy(buf + len, ldns_rdf_data(f), fl);
		len += fl;
	}
	return len;
}

static bool kept_type(uint16_t t)
{
	return t == WIDE_RR_A || t == WIDE_RR_PTR || t == WIDE_RR_TXT || t == WIDE_RR_AAAA ||
	       t == WIDE_RR_SRV;
}

/* Add or delete RR in Z, when it is a kept type inside the zone. */
static int apply(struct wide_zone *z, const ldns_rr *rr, bool add)
{
	static uint8_t rdata[RDATA_MAX];
	const ldns_rdf *owner = ldns_rr_owner(rr);
	uint16_t type = (uint16_t)ldns_rr_get_type(rr);
	size_t rdlen;

	if (!kept_type(type) || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || !owner ||
	    !in_zone(z, ldns_rdf_data(owner), ldns_rdf_size(owner)))
		return 0;
	rdlen = rdata_of(rr, rdata, sizeof(rdata));
	if (rdlen == SIZE_MAX)
		return 0;
	if (!add) {
		zone_del(z, ldns_rdf_data(owner), ldns_rdf_size(owner), type, rdata, rdlen);
		return 0;
	}
	return zone_add(z, ldns_rdf_data(owner), ldns_rdf_size(owner), type, rdata, rdlen);
}

/* The serial of SOA record RR, false when it is not one of this zone. */
static bool soa_serial(const struct wide_zone *z, const ldns_rr *rr, uint32_t *ret)
{
	const ldns_rdf *owner = ldns_rr_owner(rr), *s;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) < 3 || !owner ||
	    ldns_rdf_size(owner) != z->origin_len ||
	    !in_zone(z, ldns_rdf_data(owner), z->origin_len))
		return false;
	s = ldns_rr_rdf(rr, 2);
	if (!s || ldns_rdf_size(s) != 4)
		return false;
	*ret = ldns_rdf2native_int32(s);
	return true;
}

/* Contract in zone.h. */
void wide_zone_xfr_begin(struct wide_zone *z, struct wide_zone_xfr *x, uint16_t id,
                         bool incremental)
{
	*x = (struct wide_zone_xfr){.id = id, .state = X_START};
	if (incremental && z->loaded && z->serial)
		x->from = z->serial;
}

/* Contract in zone.h. */
void wide_zone_xfr_abort(struct wide_zone *z, struct wide_zone_xfr *x)
{
	if (x->state == X_DEL || x->state == X_ADD) {
		/* part of an increment went in: what the zone holds is no
		 * version of it */
		z->loaded = false;
		z->serial = 0;
	}
	wide_zone_free(x->fresh);
	x->fresh = NULL;
	x->state = X_DONE;
}

/* The transfer is complete: a full one replaces the zone's records. */
static int complete(struct wide_zone *z, struct wide_zone_xfr *x)
{
	if (x->fresh) {
		clear(z);
		z->buckets = x->fresh->buckets;
		z->obuckets = x->fresh->obuckets;
		z->n_buckets = x->fresh->n_buckets;
		z->count = x->fresh->count;
		z->seed = x->fresh->seed;
		x->fresh->buckets = x->fresh->obuckets = NULL;
		x->fresh->n_buckets = x->fresh->count = 0;
		wide_zone_free(x->fresh);
		x->fresh = NULL;
	}
	z->serial = x->to;
	z->loaded = true;
	x->state = X_DONE;
	return 1;
}

static int start_full(struct wide_zone *z, struct wide_zone_xfr *x)
{
	x->fresh = calloc(1, sizeof(*x->fresh));
	if (!x->fresh)
		return -ENOMEM;
	memcpy(x->fresh->origin, z->origin, z->origin_len);
	x->fresh->origin_len = z->origin_len;
	x->fresh->seed = z->seed;
	x->state = X_FULL;
	x->full = true;
	return 0;
}

/* One answer record. Returns 1 (complete), 0 or a negative errno. */
static int step(struct wide_zone *z, struct wide_zone_xfr *x, const ldns_rr *rr)
{
	uint32_t serial;
	bool soa = soa_serial(z, rr, &serial);
	int r;

	/* records not kept count too: a stream of them is no zone we want */
	if (++x->rrs > WIDE_ZONE_MAX_RRS * 4)
		return -EFBIG;
	switch ((enum xfr_state)x->state) {
	case X_START:
		if (!soa)
			return -EPROTO;
		x->to = serial;
		x->state = X_FIRST;
		return 0;
	case X_FIRST:
		if (soa && x->from && serial == x->from && serial != x->to) {
			x->state = X_DEL;
			return 0;
		}
		if (soa && serial != x->to)
			return -EPROTO;
		if (soa) { /* a full transfer of a zone holding only its SOA */
			x->full = true;
			clear(z);
			return complete(z, x);
		}
		if ((r = start_full(z, x)) < 0)
			return r;
		return apply(x->fresh, rr, true);
	case X_FULL:
		if (soa)
			return serial == x->to ? complete(z, x) : -EPROTO;
		return apply(x->fresh, rr, true);
	case X_DEL:
		if (soa) {
			x->state = X_ADD;
			return 0;
		}
		return apply(z, rr, false);
	case X_ADD:
		if (soa && serial == x->to)
			return complete(z, x);
		if (soa) {
			x->state = X_DEL;
			return 0;
		}
		return apply(z, rr, true);
	case X_DONE:
		break;
	}
	return -EPROTO;
}

/* Contract in zone.h. */
int wide_zone_xfr_feed(struct wide_zone *z, struct wide_zone_xfr *x, const uint8_t *wire,
                       size_t len)
{
	ldns_pkt *pkt = NULL;
	ldns_rr_list *an;
	unsigned flags;
	int r = 0;

	if (len < HEADER_LEN)
		return -EINVAL;
	flags = (unsigned)wire[2] << 8 | wire[3];
	if (((unsigned)wire[0] << 8 | wire[1]) != x->id || !(flags & 0x8000) ||
	    ((flags >> 11) & 0xf) != LDNS_PACKET_QUERY)
		return -EINVAL;
	if (x->state == X_DONE)
		return -EPROTO;
	if ((flags & 0xf) != 0) {
		x->rcode = (int)(flags & 0xf);
		r = -EPROTO;
		goto fail;
	}
	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK) {
		r = -EPROTO;
		goto fail;
	}
	an = ldns_pkt_answer(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		if (r == 1) { /* records after the closing SOA */
			r = -EPROTO;
			break;
		}
		r = step(z, x, ldns_rr_list_rr(an, i));
		if (r < 0)
			break;
	}
	/* RFC 1995 §2: a single SOA at our serial means we are up to date */
	if (r == 0 && x->state == X_FIRST && x->from && x->to == x->from)
		r = complete(z, x);
	ldns_pkt_free(pkt);
	if (r >= 0)
		return r;
fail:
	wide_zone_xfr_abort(z, x);
	/* whatever it got to, the next transfer is a full one */
	z->loaded = false;
	z->serial = 0;
	return r;
}
