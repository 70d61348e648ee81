/* SPDX-License-Identifier: MIT */
/* From a zone's records to its DNS-SD instances: names are walked label by
 * label in wire form (bounded), the heartbeats read first so that a dead
 * host's instances are left out before anyone reaps them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnssd/name.h"
#include "wide/derive.h"
#include "wide/heartbeat.h"

#define LABELS_MAX 8 /* above the origin: instance, service, proto, and no more */

/* Wire name N (LEN bytes) split above ORIGIN: the offsets of its labels
 * before the origin. Returns how many, or -1 when N is not under ORIGIN or
 * has more than LABELS_MAX of them. */
static int split(const uint8_t *n, size_t len, size_t origin_len, size_t *off)
{
	size_t o = 0;
	int k = 0;

	while (o < len && len - o > origin_len) {
		if (n[o] == 0 || k == LABELS_MAX)
			return -1;
		off[k++] = o;
		o += 1u + n[o];
	}
	return o == len - origin_len ? k : -1;
}

static bool label_is(const uint8_t *l, const char *s)
{
	size_t sl = strlen(s);

	return l[0] == sl && strncasecmp((const char *)l + 1, s, sl) == 0;
}

/* The dotted form of wire name N (LEN bytes) without its root, into BUF
 * (at least 256 bytes); false when a label holds a dot or a NUL (no text
 * form we could hand out unambiguously). */
static bool dotted(const uint8_t *n, size_t len, char *buf)
{
	size_t o = 0, k = 0;

	while (o < len && n[o]) {
		size_t l = n[o];

		if (o + 1 + l > len || memchr(n + o + 1, '.', l) || memchr(n + o + 1, 0, l))
			return false;
		if (k)
			buf[k++] = '.';
		memcpy(buf + k, n + o + 1, l);
		k += l;
		o += 1 + l;
	}
	buf[k] = '\0';
	return k > 0;
}

struct hb {
	char host[64];
	uint64_t deadline, t;
};

struct ctx {
	const struct wide_zone *z;
	const uint8_t *origin;
	size_t origin_len;
	const char *self;
	double now;
	struct hb *hbs;
	size_t n_hbs;
	uint64_t freshest; /* the newest heartbeat's time */
	struct wide_derived *d;
	size_t cap;
	int err;
};

/* A heartbeat TXT at <host>._lanyard.<zone>. */
static void on_txt(void *ud, const struct wide_rr *rr)
{
	struct ctx *c = ud;
	size_t off[LABELS_MAX];
	uint64_t deadline, t;

	if (c->n_hbs == WIDE_DERIVE_HOSTS_MAX ||
	    split(rr->owner, rr->owner_len, c->origin_len, off) != 2 ||
	    !label_is(rr->owner + off[1], "_lanyard") || rr->owner[0] >= sizeof(c->hbs->host) ||
	    !wide_heartbeat_deadline(rr->rdata, rr->rdlen, &deadline, &t))
		return;
	struct hb *h = &c->hbs[c->n_hbs++];

	memcpy(h->host, rr->owner + 1, rr->owner[0]);
	h->host[rr->owner[0]] = '\0';
	h->deadline = deadline;
	h->t = t;
	if (t > c->freshest)
		c->freshest = t;
}

static int hb_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct hb *)a)->host, ((const struct hb *)b)->host);
}

/* LABEL's heartbeat (the heartbeats sorted by host), or NULL. */
static const struct hb *hb_of(const struct ctx *c, const char *label)
{
	struct hb key;

	snprintf(key.host, sizeof(key.host), "%s", label);
	return bsearch(&key, c->hbs, c->n_hbs, sizeof(*c->hbs), hb_cmp);
}

static bool is_stale(const struct ctx *c, const struct hb *h)
{
	return h && c->now > (double)h->deadline;
}

static int add_stale(struct wide_derived *d, const char *host)
{
	char **v;

	for (size_t i = 0; i < d->n_stale; i++)
		if (strcasecmp(d->stale[i], host) == 0)
			return 0;
	v = realloc(d->stale, (d->n_stale + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->stale = v;
	if (!(d->stale[d->n_stale] = strdup(host)))
		return -ENOMEM;
	d->n_stale++;
	return 0;
}

/* The SRV target's addresses, its heartbeat, whether it is ours. Returns
 * false when the instance is to be left out. */
static bool host_of(struct ctx *c, const uint8_t *target, size_t tlen, struct wide_found *f)
{
	struct wide_rr a[1];
	size_t off[LABELS_MAX];
	int k = split(target, tlen, c->origin_len, off);

	/* a host <label>.<zone>: its heartbeat says whether it lives */
	if (k == 1) {
		char label[64];

		memcpy(label, target + 1, target[0]);
		label[target[0]] = '\0';
		const struct hb *h = hb_of(c, label);

		if (is_stale(c, h)) {
			char host[256];

			if (dotted(target, tlen, host) && add_stale(c->d, host) < 0)
				c->err = -ENOMEM;
			return false;
		}
		if (h && (c->d->next_stale == 0 || (double)h->deadline < c->d->next_stale))
			c->d->next_stale = (double)h->deadline + 1;
		f->ours = c->self && strcasecmp(label, c->self) == 0;
	}
	if (wide_zone_find(c->z, target, tlen, WIDE_RR_A, a, 1) && a[0].rdlen == 4) {
		f->has4 = true;
		memcpy(f->addr4, a[0].rdata, 4);
	}
	if (wide_zone_find(c->z, target, tlen, WIDE_RR_AAAA, a, 1) && a[0].rdlen == 16) {
		f->has6 = true;
		memcpy(f->addr6, a[0].rdata, 16);
	}
	return f->has4 || f->has6;
}

static int push(struct wide_derived *d, size_t *cap, const struct wide_found *f, const char *type,
                const char *host)
{
	size_t nl = strlen(f->name), tl = strlen(type), hl = strlen(host);
	char *p;

	if (d->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct wide_found *v = realloc(d->v, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		*cap = nc;
	}
	p = malloc(nl + tl + hl + 3 + f->txt_len);
	if (!p)
		return -ENOMEM;
	struct wide_found *o = &d->v[d->n++];

	*o = *f;
	o->name = memcpy(p, f->name, nl + 1);
	o->type = memcpy(p + nl + 1, type, tl + 1);
	o->host = memcpy(p + nl + tl + 2, host, hl + 1);
	o->txt = (uint8_t *)p + nl + tl + hl + 3;
	if (f->txt_len)
		memcpy(p + nl + tl + hl + 3, f->txt, f->txt_len);
	return 0;
}

/* A PTR at _service._proto.<zone> naming an instance of that type. */
static void on_ptr(void *ud, const struct wide_rr *rr)
{
	struct ctx *c = ud;
	size_t off[LABELS_MAX], toff[LABELS_MAX];
	struct wide_rr srv[1], txt[1];
	struct wide_found f = {0};
	char name[64], type[130], host[256];
	const uint8_t *t = rr->rdata;
	size_t tlen = rr->rdlen;

	if (c->err || c->d->n >= WIDE_DERIVE_MAX ||
	    split(rr->owner, rr->owner_len, c->origin_len, off) != 2 ||
	    rr->owner[off[0] + 1] != '_' ||
	    !(label_is(rr->owner + off[1], "_tcp") || label_is(rr->owner + off[1], "_udp")))
		return;
	/* the target: <instance>.<the same type>.<zone> */
	if (split(t, tlen, c->origin_len, toff) != 3 || tlen - toff[1] != rr->owner_len ||
	    memchr(t + 1, 0, t[0]) || !dotted(rr->owner, rr->owner_len - c->origin_len, type))
		return;
	for (size_t i = toff[1]; i < tlen; i++) {
		uint8_t a = t[i] >= 'A' && t[i] <= 'Z' ? (uint8_t)(t[i] + 32) : t[i];

		if (a != rr->owner[i - toff[1]])
			return;
	}
	memcpy(name, t + 1, t[0]);
	name[t[0]] = '\0';
	if (dnssd_check_instance(name, t[0])) /* the rule mDNS names follow too */
		return;
	f.name = name;
	if (!wide_zone_find(c->z, t, tlen, WIDE_RR_SRV, srv, 1) || srv[0].rdlen < 7)
		return;
	f.port = (uint16_t)(srv[0].rdata[4] << 8 | srv[0].rdata[5]);
	if (!dotted(srv[0].rdata + 6, srv[0].rdlen - 6u, host) ||
	    !host_of(c, srv[0].rdata + 6, srv[0].rdlen - 6u, &f))
		return;
	if (wide_zone_find(c->z, t, tlen, WIDE_RR_TXT, txt, 1))
		f.txt = txt[0].rdata, f.txt_len = txt[0].rdlen;
	if (push(c->d, &c->cap, &f, type, host) < 0)
		c->err = -ENOMEM;
}

/* Contract in derive.h. */
int wide_derive(const struct wide_zone *z, const char *self, double now, struct wide_derived *ret)
{
	struct ctx c = {.z = z, .self = self, .now = now, .d = ret};

	wide_derived_clear(ret);
	c.origin = wide_zone_origin(z, &c.origin_len);
	c.hbs = malloc(WIDE_DERIVE_HOSTS_MAX * sizeof(*c.hbs));
	if (!c.hbs)
		return -ENOMEM;
	wide_zone_each(z, WIDE_RR_TXT, on_txt, &c);
	qsort(c.hbs, c.n_hbs, sizeof(*c.hbs), hb_cmp);
	/* Age is judged against the newest heartbeat in the zone (never later
	 * than NOW): a zone whose heartbeats all stopped (its primary down, the
	 * secondary serving what it has) loses nothing for age. */
	if (c.n_hbs && (double)c.freshest < c.now)
		c.now = (double)c.freshest;
	wide_zone_each(z, WIDE_RR_PTR, on_ptr, &c);
	free(c.hbs);
	if (c.err < 0)
		wide_derived_clear(ret);
	return c.err;
}

/* Contract in derive.h. */
void wide_derived_clear(struct wide_derived *d)
{
	for (size_t i = 0; i < d->n; i++)
		free((char *)d->v[i].name);
	free(d->v);
	for (size_t i = 0; i < d->n_stale; i++)
		free(d->stale[i]);
	free(d->stale);
	*d = (struct wide_derived){0};
}
