/* SPDX-License-Identifier: MIT */
/* Parse untrusted DNS-SD TXT records (RFC 6763 §6) into one compact allocation. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/txt.h"

/* What the first pass learned about the input. */
struct txt_plan {
	size_t n_raw, raw_len;
	size_t pair_idx[TXT_PAIRS_MAX]; /* input index of each pair string */
	size_t n_pairs;
	size_t cooked_len; /* key\0[value\0] of every pair */
	size_t tags_len;   /* bytes of the tag copies */
	size_t n_tags;
	uint32_t flags;
};

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool key_equal(const uint8_t *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

/* Key length of string S (bytes before the first '='), or 0 if the key is
 * empty or not printable ASCII. */
static size_t key_len_of(const uint8_t *s, size_t len)
{
	const uint8_t *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;
	for (size_t i = 0; i < klen; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return klen;
}

bool txt_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* UTF-8 text usable as a C string: valid and NUL-free. */
static bool is_text(const uint8_t *s, size_t len)
{
	return !memchr(s, 0, len) && txt_utf8_valid(s, len);
}

/* A decimal 0-65535 with nothing else around it. */
static bool parse_u16(const uint8_t *s, size_t len, uint16_t *ret)
{
	uint32_t v = 0;
	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*ret = (uint16_t)v;
	return true;
}

/* A plain decimal number >= 0: digits, optional fraction, optional
 * exponent. No signs, spaces, hex, inf or nan. */
static bool parse_load(const uint8_t *s, size_t len, double *ret)
{
	char buf[64];
	size_t i = 0, digits = 0;
	if (len == 0 || len >= sizeof(buf))
		return false;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp_digits = 0;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, exp_digits++;
		if (exp_digits == 0)
			return false;
	}
	if (i != len)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	double v = strtod(buf, NULL);
	if (!isfinite(v))
		return false;
	*ret = v;
	return true;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Walk the comma-separated tags in VALUE: calls back with each trimmed,
 * non-empty tag, at most TXT_TAGS_MAX of them. Returns the count, and sets
 * *too_many when tags were dropped. */
static size_t each_tag(const uint8_t *v, size_t len, bool *too_many,
                       void (*fn)(void *ud, const uint8_t *tag, size_t tlen), void *ud)
{
	size_t n = 0, i = 0;
	while (i <= len) {
		size_t start = i;
		while (i < len && v[i] != ',')
			i++;
		size_t a = start, b = i;
		while (a < b && is_space(v[a]))
			a++;
		while (b > a && is_space(v[b - 1]))
			b--;
		if (b > a) {
			if (n == TXT_TAGS_MAX) {
				*too_many = true;
				break;
			}
			fn(ud, v + a, b - a);
			n++;
		}
		i++; /* past the comma (or the end) */
	}
	return n;
}

static void count_tag(void *ud, const uint8_t *tag, size_t tlen)
{
	*(size_t *)ud += tlen + 1;
}

struct tag_fill {
	const char **ptrs;
	char *out;
	size_t n;
};

static void fill_tag(void *ud, const uint8_t *tag, size_t tlen)
{
	struct tag_fill *f = ud;
	memcpy(f->out, tag, tlen);
	f->out[tlen] = '\0';
	f->ptrs[f->n++] = f->out;
	f->out += tlen + 1;
}

/* First pass: decide what is kept and how much room it needs. */
static void plan_record(struct txt_plan *p, const uint8_t *const *strs, const size_t *lens,
                        size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *s = strs[i];
		size_t len = lens[i];
		if (len == 0)
			continue;
		if (len > TXT_STRING_MAX) {
			p->flags |= TXT_F_TOO_LONG;
			continue;
		}
		if (p->raw_len + 1 + len > TXT_RECORD_MAX) {
			p->flags |= TXT_F_TRUNCATED;
			break;
		}
		p->raw_len += 1 + len;
		p->n_raw++;

		size_t klen = key_len_of(s, len);
		if (klen == 0) {
			p->flags |= TXT_F_BAD_KEY;
			continue;
		}
		bool dup = false;
		for (size_t k = 0; k < p->n_pairs && !dup; k++) {
			size_t j = p->pair_idx[k];
			dup = key_equal(s, klen, (const char *)strs[j],
			                key_len_of(strs[j], lens[j]));
		}
		if (dup) {
			p->flags |= TXT_F_DUP_KEY;
			continue;
		}
		if (p->n_pairs == TXT_PAIRS_MAX) {
			p->flags |= TXT_F_TOO_MANY;
			continue;
		}
		p->pair_idx[p->n_pairs++] = i;
		p->cooked_len += klen + 1 + (klen < len ? len - klen - 1 + 1 : 0);
	}
}

/* Fill the well-known fields of T from its (already copied) pairs. */
static void parse_well_known(struct txt *t, struct tag_fill *tags)
{
	const struct txt_pair *pr;

	pr = txt_get(t, "version");
	if (pr) {
		if (pr->value && pr->utf8) {
			t->version = pr->value;
			t->semver_ok = txt_semver_parse(pr->value, pr->value_len, &t->semver) == 0;
		}
		if (!t->semver_ok)
			t->flags |= TXT_F_BAD_VERSION;
	}
	pr = txt_get(t, "weight");
	if (pr && !(pr->value && parse_u16((const uint8_t *)pr->value, pr->value_len, &t->weight)))
		t->flags |= TXT_F_BAD_WEIGHT;
	pr = txt_get(t, "priority");
	if (pr &&
	    !(pr->value && parse_u16((const uint8_t *)pr->value, pr->value_len, &t->priority)))
		t->flags |= TXT_F_BAD_PRIORITY;
	pr = txt_get(t, "load");
	if (pr) {
		t->has_load = pr->value &&
		              parse_load((const uint8_t *)pr->value, pr->value_len, &t->load);
		if (!t->has_load)
			t->flags |= TXT_F_BAD_LOAD;
	}
	pr = txt_get(t, "tags");
	if (pr && pr->value && pr->utf8) {
		bool too_many = false;
		t->n_tags = each_tag((const uint8_t *)pr->value, pr->value_len, &too_many, fill_tag,
		                     tags);
		t->tags = tags->ptrs;
		if (too_many)
			t->flags |= TXT_F_TOO_MANY;
	} else if (pr) {
		t->flags |= TXT_F_BAD_TAGS;
	}
}

/* Room the tags of the planned record need (pointers and bytes). */
static void plan_tags(struct txt_plan *p, const uint8_t *const *strs, const size_t *lens)
{
	for (size_t k = 0; k < p->n_pairs; k++) {
		const uint8_t *s = strs[p->pair_idx[k]];
		size_t len = lens[p->pair_idx[k]];
		if (len <= 5 || !key_equal(s, 4, "tags", 4) || s[4] != '=')
			continue;
		if (is_text(s + 5, len - 5)) {
			bool too_many = false;
			p->n_tags = each_tag(s + 5, len - 5, &too_many, count_tag, &p->tags_len);
		}
		return;
	}
}

int txt_parse(const uint8_t *const *strs, const size_t *lens, size_t n, struct txt **ret)
{
	struct txt_plan *p = calloc(1, sizeof(*p));
	struct txt *t = NULL;
	*ret = NULL;
	if (!p)
		return -ENOMEM;
	plan_record(p, strs, lens, n);
	plan_tags(p, strs, lens);

	size_t size = sizeof(*t) + p->n_pairs * sizeof(struct txt_pair) +
	              p->n_tags * sizeof(char *) + p->raw_len + p->cooked_len + p->tags_len;
	t = calloc(1, size);
	if (!t) {
		free(p);
		return -ENOMEM;
	}
	struct txt_pair *pairs = (struct txt_pair *)(t + 1);
	const char **tag_ptrs = (const char **)(pairs + p->n_pairs);
	uint8_t *raw = (uint8_t *)(tag_ptrs + p->n_tags);
	char *cooked = (char *)raw + p->raw_len;
	struct tag_fill tags = {.ptrs = tag_ptrs, .out = cooked + p->cooked_len};

	t->size = size;
	t->weight = 1;
	t->flags = p->flags;
	t->raw = raw;
	t->raw_len = p->raw_len;
	t->n_raw = p->n_raw;
	for (size_t i = 0, kept = 0; i < n && kept < p->n_raw; i++) {
		if (lens[i] == 0 || lens[i] > TXT_STRING_MAX)
			continue;
		*raw++ = (uint8_t)lens[i];
		memcpy(raw, strs[i], lens[i]);
		raw += lens[i];
		kept++;
	}
	for (size_t k = 0; k < p->n_pairs; k++) {
		const uint8_t *s = strs[p->pair_idx[k]];
		size_t len = lens[p->pair_idx[k]];
		size_t klen = key_len_of(s, len);
		struct txt_pair *pr = &pairs[k];
		memcpy(cooked, s, klen);
		cooked[klen] = '\0';
		pr->key = cooked;
		pr->key_len = (uint8_t)klen;
		cooked += klen + 1;
		if (klen < len) {
			size_t vlen = len - klen - 1;
			memcpy(cooked, s + klen + 1, vlen);
			cooked[vlen] = '\0';
			pr->value = cooked;
			pr->value_len = (uint8_t)vlen;
			pr->utf8 = is_text(s + klen + 1, vlen);
			cooked += vlen + 1;
		}
	}
	t->pairs = pairs;
	t->n_pairs = p->n_pairs;
	parse_well_known(t, &tags);
	free(p);
	*ret = t;
	return 0;
}

int txt_parse_wire(const uint8_t *wire, size_t len, struct txt **ret)
{
	/* A record of LEN bytes holds at most LEN strings. */
	size_t cap = len ? len : 1;
	const uint8_t **strs = malloc(cap * sizeof(*strs));
	size_t *lens = malloc(cap * sizeof(*lens));
	size_t n = 0;
	int r = -ENOMEM;
	*ret = NULL;
	if (!strs || !lens)
		goto fail;
	for (size_t off = 0; off < len; n++) {
		size_t l = wire[off++];
		if (l > len - off)
			l = len - off;
		strs[n] = wire + off;
		lens[n] = l;
		off += l;
	}
	r = txt_parse(strs, lens, n, ret);
fail:
	free(strs);
	free(lens);
	return r;
}

void txt_free(struct txt *t)
{
	free(t);
}

bool txt_equal_raw(const struct txt *t, const uint8_t *const *strs, const size_t *lens, size_t n)
{
	size_t off = 0, budget = 0;
	const uint8_t *raw = t ? t->raw : NULL;
	size_t raw_len = t ? t->raw_len : 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = lens[i];
		if (len == 0 || len > TXT_STRING_MAX)
			continue;
		if (budget + 1 + len > TXT_RECORD_MAX)
			break;
		budget += 1 + len;
		if (off >= raw_len || raw[off] != len || raw_len - off - 1 < len ||
		    memcmp(raw + off + 1, strs[i], len) != 0)
			return false;
		off += 1 + len;
	}
	return off == raw_len;
}

const struct txt_pair *txt_get(const struct txt *t, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; t && i < t->n_pairs; i++)
		if (key_equal((const uint8_t *)t->pairs[i].key, t->pairs[i].key_len, key, klen))
			return &t->pairs[i];
	return NULL;
}

bool txt_has_tag(const struct txt *t, const char *tag)
{
	for (size_t i = 0; t && i < t->n_tags; i++)
		if (strcmp(t->tags[i], tag) == 0)
			return true;
	return false;
}

bool txt_raw_next(const struct txt *t, size_t *offset, const uint8_t **ret_str, size_t *ret_len)
{
	if (!t || *offset >= t->raw_len)
		return false;
	size_t len = t->raw[*offset];
	*ret_str = t->raw + *offset + 1;
	*ret_len = len;
	*offset += 1 + len;
	return true;
}

/* A numeric identifier: digits, no leading zero unless it is "0". */
static bool semver_num(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;
	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

static bool semver_ident_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-';
}

/* Dot-separated non-empty identifiers of [0-9A-Za-z-]; numeric ones in
 * a pre-release must not have leading zeros. */
static bool semver_idents(const char *s, size_t len, bool pre)
{
	size_t i = 0;
	if (len == 0)
		return false;
	while (i <= len) {
		size_t start = i;
		bool numeric = true;
		while (i < len && s[i] != '.') {
			if (!semver_ident_char(s[i]))
				return false;
			numeric = numeric && s[i] >= '0' && s[i] <= '9';
			i++;
		}
		if (i == start)
			return false;
		if (pre && numeric && i - start > 1 && s[start] == '0')
			return false;
		i++;
	}
	return true;
}

int txt_semver_parse(const char *s, size_t len, struct txt_semver *ret)
{
	uint64_t part[3];
	size_t i = 0;
	for (int k = 0; k < 3; k++) {
		size_t start = i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (!semver_num(s + start, i - start, &part[k]))
			return -EINVAL;
		if (k < 2) {
			if (i >= len || s[i] != '.')
				return -EINVAL;
			i++;
		}
	}
	const char *pre = NULL;
	size_t pre_len = 0;
	if (i < len && s[i] == '-') {
		size_t start = ++i;
		while (i < len && s[i] != '+')
			i++;
		if (!semver_idents(s + start, i - start, true))
			return -EINVAL;
		pre = s + start;
		pre_len = i - start;
	}
	if (i < len && s[i] == '+') {
		i++;
		if (!semver_idents(s + i, len - i, false))
			return -EINVAL;
		i = len;
	}
	if (i != len)
		return -EINVAL;
	*ret = (struct txt_semver){part[0], part[1], part[2], pre, pre_len};
	return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

int txt_semver_cmp(const struct txt_semver *a, const struct txt_semver *b)
{
	int r = cmp_u64(a->major, b->major);
	if (!r)
		r = cmp_u64(a->minor, b->minor);
	if (!r)
		r = cmp_u64(a->patch, b->patch);
	if (r || (!a->pre && !b->pre))
		return r;
	if (!a->pre || !b->pre) /* a release ranks above its pre-releases */
		return a->pre ? -1 : 1;
	size_t i = 0, j = 0;
	while (i < a->pre_len && j < b->pre_len) {
		size_t ie = i, je = j;
		bool an = true, bn = true;
		while (ie < a->pre_len && a->pre[ie] != '.')
			an = an && a->pre[ie] >= '0' && a->pre[ie] <= '9', ie++;
		while (je < b->pre_len && b->pre[je] != '.')
			bn = bn && b->pre[je] >= '0' && b->pre[je] <= '9', je++;
		if (an && bn) { /* numerically: no leading zeros, so length first */
			r = cmp_u64(ie - i, je - j);
			if (!r)
				r = memcmp(a->pre + i, b->pre + j, ie - i);
		} else if (an != bn) {
			r = an ? -1 : 1;
		} else {
			size_t l = ie - i < je - j ? ie - i : je - j;
			r = memcmp(a->pre + i, b->pre + j, l);
			if (!r)
				r = cmp_u64(ie - i, je - j);
		}
		if (r)
			return r < 0 ? -1 : 1;
		i = ie + 1, j = je + 1;
	}
	/* more identifiers rank higher */
	return cmp_u64(a->pre_len > i ? 1 : 0, b->pre_len > j ? 1 : 0);
}
