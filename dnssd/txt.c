/* SPDX-License-Identifier: MIT */
/* TXT rules (keys, well-known keys, overlays) and the parser of untrusted TXT records. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/name.h"
#include "dnssd/txt.h"
#include "dnssd/utf8.h"

static const char *const known_names[_TXT_KNOWN_MAX] = {
        [TXT_KNOWN_VERSION] = "version",   [TXT_KNOWN_WEIGHT] = "weight",
        [TXT_KNOWN_PRIORITY] = "priority", [TXT_KNOWN_TAGS] = "tags",
        [TXT_KNOWN_LOAD] = "load",         [TXT_KNOWN_HEALTH] = "health",
};

static const char *const health_names[_TXT_HEALTH_MAX] = {
        [TXT_HEALTH_PASSING] = "passing",
        [TXT_HEALTH_WARNING] = "warning",
        [TXT_HEALTH_CRITICAL] = "critical",
};

/* What the first pass learned about the input. */
struct txt_plan {
	size_t n_raw, raw_len;
	size_t pair_idx[TXT_PAIRS_MAX]; /* input index of each pair string */
	size_t n_pairs;
	size_t cooked_len; /* key\0[value\0] of every pair */
	size_t tags_len;   /* bytes of the tag copies */
	size_t n_tags;
};

static bool key_equal(const uint8_t *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (dnssd_lower(a[i]) != dnssd_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* Contract in txt.h. */
const char *txt_check_key(const char *key, size_t len)
{
	if (len == 0)
		return "a TXT key cannot be empty";
	for (size_t i = 0; i < len; i++) {
		if (key[i] == '=')
			return "a TXT key cannot contain '='";
		if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] > 0x7E)
			return "a TXT key uses printable ASCII only";
	}
	return NULL;
}

/* Contract in txt.h. */
const char *txt_known_name(enum txt_known k)
{
	if ((unsigned)k >= _TXT_KNOWN_MAX)
		return NULL;
	return known_names[k];
}

/* Contract in txt.h. */
int txt_known_find(const char *key, size_t len)
{
	for (int k = 0; k < _TXT_KNOWN_MAX; k++)
		if (key_equal((const uint8_t *)key, len, known_names[k], strlen(known_names[k])))
			return k;
	return -1;
}

/* Contract in txt.h. */
const char *txt_health_name(enum txt_health h)
{
	if ((unsigned)h >= _TXT_HEALTH_MAX)
		return NULL;
	return health_names[h];
}

/* Contract in txt.h. */
int txt_format_load(double load, char *buf, size_t size)
{
	int n;

	if (!(load > 0)) /* NaN too */
		load = 0;
	if (load > TXT_LOAD_MAX)
		load = TXT_LOAD_MAX;
	n = snprintf(buf, size, "%.2f", load);
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return n;
}

/* Key length of string S (bytes before the first '='), or 0 when the key
 * is not a valid TXT key: such strings are not pairs. */
static size_t key_len_of(const uint8_t *s, size_t len)
{
	const uint8_t *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;

	return txt_check_key((const char *)s, klen) ? 0 : klen;
}

/* The pair of well-known key K, or NULL. */
static const struct txt_pair *get_known(const struct txt *t, enum txt_known k)
{
	return txt_get(t, known_names[k]);
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
 * non-empty tag, at most TXT_TAGS_MAX of them (later ones are dropped).
 * Returns the count. */
static size_t each_tag(const uint8_t *v, size_t len,
                       void (*fn)(void *ud, const uint8_t *tag, size_t tlen), void *ud)
{
	size_t n = 0, i = 0;
	while (i <= len && n < TXT_TAGS_MAX) {
		size_t start = i;
		while (i < len && v[i] != ',')
			i++;
		size_t a = start, b = i;
		while (a < b && is_space(v[a]))
			a++;
		while (b > a && is_space(v[b - 1]))
			b--;
		if (b > a) {
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

/* First pass: decide what is kept and how much room it needs. Empty and
 * over-long strings are skipped, strings past TXT_RECORD_MAX dropped; of
 * the kept ones, those with an invalid key, a repeated key (the first
 * wins) or past TXT_PAIRS_MAX are not pairs. */
static void plan_record(struct txt_plan *p, const uint8_t *const *strs, const size_t *lens,
                        size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *s = strs[i];
		size_t len = lens[i];
		if (len == 0 || len > TXT_STRING_MAX)
			continue;
		if (p->raw_len + 1 + len > TXT_RECORD_MAX)
			break;
		p->raw_len += 1 + len;
		p->n_raw++;

		size_t klen = key_len_of(s, len);
		bool dup = false;
		if (klen == 0)
			continue;
		for (size_t k = 0; k < p->n_pairs && !dup; k++) {
			size_t j = p->pair_idx[k];
			dup = key_equal(s, klen, (const char *)strs[j],
			                key_len_of(strs[j], lens[j]));
		}
		if (dup || p->n_pairs == TXT_PAIRS_MAX)
			continue;
		p->pair_idx[p->n_pairs++] = i;
		p->cooked_len += klen + 1 + (klen < len ? len - klen - 1 + 1 : 0);
	}
}

/* Fill the well-known fields of T from its (already copied) pairs; an
 * invalid value leaves its field at the default. */
static void parse_well_known(struct txt *t, struct tag_fill *tags)
{
	const struct txt_pair *pr;

	pr = get_known(t, TXT_KNOWN_VERSION);
	if (pr && pr->value && pr->utf8) {
		t->version = pr->value;
		t->version_ok = version_parse(pr->value, pr->value_len, &t->semver, NULL) == 0;
	}
	pr = get_known(t, TXT_KNOWN_WEIGHT);
	if (pr && pr->value)
		parse_u16((const uint8_t *)pr->value, pr->value_len, &t->weight);
	pr = get_known(t, TXT_KNOWN_PRIORITY);
	if (pr && pr->value)
		parse_u16((const uint8_t *)pr->value, pr->value_len, &t->priority);
	pr = get_known(t, TXT_KNOWN_LOAD);
	if (pr && pr->value)
		t->has_load = parse_load((const uint8_t *)pr->value, pr->value_len, &t->load);
	pr = get_known(t, TXT_KNOWN_TAGS);
	if (pr && pr->value && pr->utf8) {
		t->n_tags = each_tag((const uint8_t *)pr->value, pr->value_len, fill_tag, tags);
		t->tags = tags->ptrs;
	}
}

/* Room the tags of the planned record need (pointers and bytes). */
static void plan_tags(struct txt_plan *p, const uint8_t *const *strs, const size_t *lens)
{
	const char *tags = known_names[TXT_KNOWN_TAGS];
	size_t tl = strlen(tags);

	for (size_t k = 0; k < p->n_pairs; k++) {
		const uint8_t *s = strs[p->pair_idx[k]];
		size_t len = lens[p->pair_idx[k]];
		if (len <= tl || !key_equal(s, tl, tags, tl) || s[tl] != '=')
			continue;
		if (utf8_valid(s + tl + 1, len - tl - 1))
			p->n_tags = each_tag(s + tl + 1, len - tl - 1, count_tag, &p->tags_len);
		return;
	}
}

/* Contract in txt.h. */
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
			pr->utf8 = utf8_valid(s + klen + 1, vlen);
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

/* Contract in txt.h. */
void txt_free(struct txt *t)
{
	free(t);
}

/* Contract in txt.h. */
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

/* Contract in txt.h. */
const struct txt_pair *txt_get(const struct txt *t, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = 0; t && i < t->n_pairs; i++)
		if (key_equal((const uint8_t *)t->pairs[i].key, t->pairs[i].key_len, key, klen))
			return &t->pairs[i];
	return NULL;
}

/* Contract in txt.h. */
bool txt_has_tag(const struct txt *t, const char *tag)
{
	for (size_t i = 0; t && i < t->n_tags; i++)
		if (strcmp(t->tags[i], tag) == 0)
			return true;
	return false;
}

/* Contract in txt.h. */
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
