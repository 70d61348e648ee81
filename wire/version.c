/* SPDX-License-Identifier: MIT */
/* Semantic-version parsing, precedence, and constraint matching (npm-like). */
#include "wire/version.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A version as written in a constraint: n leading numeric parts, the rest
 * absent or wildcards. */
struct partial {
	unsigned n;
	uint32_t v[3];
	char pre[WIRE_VERSION_PRE_MAX];
};

enum cmp_op { OP_EQ, OP_GT, OP_GE, OP_LT, OP_LE, OP_TILDE, OP_CARET };

static bool is_ident_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at *p into *ret (no overflow past UINT32_MAX); advances *p. */
static int parse_u32(const char **p, uint32_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (!is_digit(*s))
		return -EINVAL;
	while (is_digit(*s)) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
		s++;
	}
	*p = s;
	*ret = (uint32_t)v;
	return 0;
}

/* Dot-separated non-empty identifiers of [0-9A-Za-z-], up to END. Copies
 * into OUT (size WIRE_VERSION_PRE_MAX) if not NULL. */
static int parse_idents(const char *s, const char *end, char *out)
{
	size_t len = (size_t)(end - s);
	bool empty = true;

	if (len == 0 || (out && len >= WIRE_VERSION_PRE_MAX))
		return -EINVAL;
	for (const char *q = s; q < end; q++) {
		if (*q == '.') {
			if (empty)
				return -EINVAL;
			empty = true;
		} else if (is_ident_char(*q)) {
			empty = false;
		} else {
			return -EINVAL;
		}
	}
	if (empty)
		return -EINVAL;
	if (out) {
		memcpy(out, s, len);
		out[len] = '\0';
	}
	return 0;
}

/* Parse "-PRE" and "+BUILD" tails of S[0..end). */
static int parse_tail(const char *s, const char *end, char *pre)
{
	const char *plus = memchr(s, '+', (size_t)(end - s));

	pre[0] = '\0';
	if (plus) {
		if (parse_idents(plus + 1, end, NULL) < 0)
			return -EINVAL;
		end = plus;
	}
	if (s == end)
		return 0;
	if (*s != '-')
		return -EINVAL;
	return parse_idents(s + 1, end, pre);
}

static bool is_wild(char c)
{
	return c == 'x' || c == 'X' || c == '*';
}

/* Parse S[0..end) as a (possibly partial or wildcarded) version. */
static int parse_partial(const char *s, const char *end, struct partial *ret)
{
	bool wild = false;

	memset(ret, 0, sizeof(*ret));
	if (s < end && (*s == 'v' || *s == 'V'))
		s++;
	for (unsigned i = 0; i < 3; i++) {
		if (s >= end)
			return -EINVAL;
		if (is_wild(*s)) {
			wild = true;
			s++;
		} else if (wild) {
			return -EINVAL;
		} else {
			if (parse_u32(&s, &ret->v[i]) < 0 || s > end)
				return -EINVAL;
			ret->n++;
		}
		if (s == end || *s != '.')
			break;
		s++;
		if (i == 2)
			return -EINVAL;
	}
	if (s == end)
		return 0;
	/* A prerelease or build only follows a complete version. */
	if (ret->n != 3)
		return -EINVAL;
	return parse_tail(s, end, ret->pre);
}

int wire_version_parse(const char *s, struct wire_version *ret)
{
	struct partial p;

	if (!s || strlen(s) > WIRE_MAX_STRING)
		return -EINVAL;
	if (parse_partial(s, s + strlen(s), &p) < 0)
		return -EINVAL;
	/* A published version has no wildcards: "2" and "2.4" are fine. */
	for (const char *q = s; *q && *q != '-' && *q != '+'; q++)
		if (is_wild(*q))
			return -EINVAL;
	ret->major = p.v[0];
	ret->minor = p.v[1];
	ret->patch = p.v[2];
	memcpy(ret->pre, p.pre, sizeof(ret->pre));
	return 0;
}

static bool all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return len > 0;
}

/* Precedence of two prerelease strings (both non-empty), semver 2.0 §11. */
static int compare_pre(const char *a, const char *b)
{
	while (*a && *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		bool na = all_digits(a, la), nb = all_digits(b, lb);
		int r;

		if (na && nb) {
			/* Compare numerically without overflow: strip zeros, then length. */
			while (la > 1 && *a == '0')
				a++, la--;
			while (lb > 1 && *b == '0')
				b++, lb--;
			r = la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
		} else if (na != nb) {
			r = na ? -1 : 1;
		} else {
			r = memcmp(a, b, la < lb ? la : lb);
			if (r == 0 && la != lb)
				r = la < lb ? -1 : 1;
		}
		if (r != 0)
			return r < 0 ? -1 : 1;
		a += la;
		b += lb;
		if (*a == '.')
			a++;
		if (*b == '.')
			b++;
	}
	return *a ? 1 : (*b ? -1 : 0);
}

int wire_version_compare(const struct wire_version *a, const struct wire_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	if (!a->pre[0] || !b->pre[0])
		return a->pre[0] ? -1 : (b->pre[0] ? 1 : 0);
	return compare_pre(a->pre, b->pre);
}

static void set_version(struct wire_version *v, uint32_t ma, uint32_t mi, uint32_t pa,
                        const char *pre)
{
	v->major = ma;
	v->minor = mi;
	v->patch = pa;
	strcpy(v->pre, pre);
}

/* Tighten R's lower bound to V (inclusive or not). */
static void add_lo(struct wire_version_range *r, uint32_t ma, uint32_t mi, uint32_t pa,
                   const char *pre, bool inclusive)
{
	struct wire_version v;
	int c;

	set_version(&v, ma, mi, pa, pre);
	c = r->lo.set ? wire_version_compare(&v, &r->lo.v) : 1;
	if (c > 0 || (c == 0 && !inclusive)) {
		r->lo.set = true;
		r->lo.inclusive = inclusive;
		r->lo.v = v;
	}
}

/* Tighten R's upper bound. An increment that would overflow means "no bound". */
static void add_hi(struct wire_version_range *r, uint64_t ma, uint64_t mi, uint64_t pa,
                   const char *pre, bool inclusive)
{
	struct wire_version v;
	int c;

	if (ma > UINT32_MAX || mi > UINT32_MAX || pa > UINT32_MAX)
		return;
	set_version(&v, (uint32_t)ma, (uint32_t)mi, (uint32_t)pa, pre);
	c = r->hi.set ? wire_version_compare(&v, &r->hi.v) : -1;
	if (c < 0 || (c == 0 && !inclusive)) {
		r->hi.set = true;
		r->hi.inclusive = inclusive;
		r->hi.v = v;
	}
}

/* "<X.Y.Z-0": below every prerelease of X.Y.Z. */
static void add_below(struct wire_version_range *r, uint64_t ma, uint64_t mi, uint64_t pa)
{
	add_hi(r, ma, mi, pa, "0", false);
}

static int apply(struct wire_version_range *r, enum cmp_op op, const struct partial *p)
{
	uint64_t ma = p->v[0], mi = p->v[1], pa = p->v[2];

	if (p->pre[0] && r->n_pre_ok < WIRE_RANGE_MAX_CMP) {
		r->pre_ok[r->n_pre_ok].major = p->v[0];
		r->pre_ok[r->n_pre_ok].minor = p->v[1];
		r->pre_ok[r->n_pre_ok].patch = p->v[2];
		r->n_pre_ok++;
	}
	switch (op) {
	case OP_EQ:
		if (p->n == 3) {
			add_lo(r, p->v[0], p->v[1], p->v[2], p->pre, true);
			add_hi(r, ma, mi, pa, p->pre, true);
			return 0;
		}
		/* A partial "=2.4" is the range 2.4.x, as "~2.4". */
		__attribute__((fallthrough));
	case OP_TILDE:
		add_lo(r, p->v[0], p->v[1], p->v[2], p->pre, true);
		if (p->n >= 2)
			add_below(r, ma, mi + 1, 0);
		else if (p->n == 1)
			add_below(r, ma + 1, 0, 0);
		return 0;
	case OP_CARET:
		add_lo(r, p->v[0], p->v[1], p->v[2], p->pre, true);
		if (p->n == 0)
			return 0;
		if (ma > 0 || p->n == 1)
			add_below(r, ma + 1, 0, 0);
		else if (mi > 0 || p->n == 2)
			add_below(r, 0, mi + 1, 0);
		else
			add_below(r, 0, 0, pa + 1);
		return 0;
	case OP_GE:
		add_lo(r, p->v[0], p->v[1], p->v[2], p->pre, true);
		return 0;
	case OP_GT:
		if (p->n == 0)
			return -EINVAL;
		if (p->n == 3) {
			add_lo(r, p->v[0], p->v[1], p->v[2], p->pre, false);
		} else if (p->n == 2) {
			if (mi == UINT32_MAX)
				return -EINVAL;
			add_lo(r, p->v[0], p->v[1] + 1, 0, "", true);
		} else {
			if (ma == UINT32_MAX)
				return -EINVAL;
			add_lo(r, p->v[0] + 1, 0, 0, "", true);
		}
		return 0;
	case OP_LT:
		if (p->n == 0)
			return -EINVAL;
		if (p->n == 3 && p->pre[0])
			add_hi(r, ma, mi, pa, p->pre, false);
		else
			add_below(r, ma, mi, pa);
		return 0;
	case OP_LE:
		if (p->n == 3)
			add_hi(r, ma, mi, pa, p->pre, true);
		else if (p->n == 2)
			add_below(r, ma, mi + 1, 0);
		else if (p->n == 1)
			add_below(r, ma + 1, 0, 0);
		return 0;
	}
	return -EINVAL;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

/* Read an operator at *p. */
static enum cmp_op parse_op(const char **p)
{
	const char *s = *p;
	enum cmp_op op = OP_EQ;

	if (s[0] == '>' && s[1] == '=')
		op = OP_GE, s += 2;
	else if (s[0] == '<' && s[1] == '=')
		op = OP_LE, s += 2;
	else if (s[0] == '=' && s[1] == '=')
		op = OP_EQ, s += 2;
	else if (s[0] == '~' && s[1] == '>')
		op = OP_TILDE, s += 2;
	else if (s[0] == '>')
		op = OP_GT, s++;
	else if (s[0] == '<')
		op = OP_LT, s++;
	else if (s[0] == '=')
		op = OP_EQ, s++;
	else if (s[0] == '~')
		op = OP_TILDE, s++;
	else if (s[0] == '^')
		op = OP_CARET, s++;
	*p = s;
	return op;
}

/* Parse one range S[0..end) into R. */
static int parse_range(const char *s, const char *end, struct wire_version_range *r,
                       const char *whole, struct wire_err *err)
{
	unsigned n_cmp = 0;

	memset(r, 0, sizeof(*r));
	for (;;) {
		const char *start, *vend;
		struct partial p;
		enum cmp_op op;

		while (s < end && is_sep(*s))
			s++;
		if (s >= end)
			return 0;
		start = s;
		op = parse_op(&s);
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		vend = s;
		while (vend < end && !is_sep(*vend))
			vend++;
		if (++n_cmp > WIRE_RANGE_MAX_CMP)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "version constraint \"%s\": more than %d comparators "
			                    "in one range",
			                    whole, WIRE_RANGE_MAX_CMP);
		if (parse_partial(s, vend, &p) < 0 || apply(r, op, &p) < 0)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "version constraint \"%s\": cannot parse \"%.*s\"",
			                    whole, (int)(vend - start), start);
		s = vend;
	}
}

int wire_constraint_parse(const char *s, struct wire_constraint *ret, struct wire_err *err)
{
	size_t len = s ? strlen(s) : 0;
	const char *p = s, *end = s + len;

	memset(ret, 0, sizeof(*ret));
	if (!s)
		return wire_err_set(err, WIRE_BAD_REQUEST, "missing version constraint");
	if (len > WIRE_MAX_STRING)
		return wire_err_set(err, WIRE_BAD_REQUEST,
		                    "version constraint longer than %d bytes", WIRE_MAX_STRING);
	for (;;) {
		const char *bar = p;
		int r;

		while (bar < end && !(bar[0] == '|' && bar + 1 < end && bar[1] == '|'))
			bar++;
		if (ret->n_ranges == WIRE_CONSTRAINT_MAX_RANGES)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "version constraint \"%s\": more than %d alternatives",
			                    s, WIRE_CONSTRAINT_MAX_RANGES);
		r = parse_range(p, bar, &ret->ranges[ret->n_ranges], s, err);
		if (r < 0)
			return r;
		if (memchr(p, '|', (size_t)(bar - p)))
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "version constraint \"%s\": stray '|'", s);
		ret->n_ranges++;
		if (bar >= end)
			return 0;
		p = bar + 2;
	}
}

static bool in_range(const struct wire_version_range *r, const struct wire_version *v)
{
	int c;

	if (r->lo.set) {
		c = wire_version_compare(v, &r->lo.v);
		if (c < 0 || (c == 0 && !r->lo.inclusive))
			return false;
	}
	if (r->hi.set) {
		c = wire_version_compare(v, &r->hi.v);
		if (c > 0 || (c == 0 && !r->hi.inclusive))
			return false;
	}
	if (!v->pre[0])
		return true;
	for (unsigned i = 0; i < r->n_pre_ok; i++)
		if (r->pre_ok[i].major == v->major && r->pre_ok[i].minor == v->minor &&
		    r->pre_ok[i].patch == v->patch)
			return true;
	return false;
}

bool wire_constraint_match(const struct wire_constraint *c, const struct wire_version *v)
{
	for (unsigned i = 0; i < c->n_ranges; i++)
		if (in_range(&c->ranges[i], v))
			return true;
	return false;
}

bool wire_version_match(const struct wire_constraint *c, const char *version)
{
	struct wire_version v;

	if (!version || wire_version_parse(version, &v) < 0)
		return false;
	return wire_constraint_match(c, &v);
}
