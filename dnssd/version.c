/* SPDX-License-Identifier: MIT */
/* Versions: the one grammar, semver 2.0 precedence, and npm-like constraint matching. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dnssd/version.h"

#define EXPECTED "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]"

/* A version as written: N leading numeric parts, then absent parts or
 * wildcards (constraints only). */
struct written {
	unsigned n;
	bool wild; /* a part was x, X or * */
	bool tail; /* -PRERELEASE or +BUILD was given */
	uint32_t v[3];
	char pre[DNSSD_VERSION_PRE_MAX];
};

enum cmp_op { OP_EQ, OP_GT, OP_GE, OP_LT, OP_LE, OP_TILDE, OP_CARET };

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static bool is_wild(char c)
{
	return c == 'x' || c == 'X' || c == '*';
}

/* A number at *P (before END): digits, no leading zero, at most 9 digits. */
static const char *parse_number(const char **p, const char *end, uint32_t *ret)
{
	const char *s = *p;
	uint32_t v = 0;
	size_t n = 0;

	while (s + n < end && is_digit(s[n]))
		n++;
	if (n == 0)
		return EXPECTED;
	if (n > 1 && s[0] == '0')
		return "a number has a leading zero";
	if (n > 9)
		return "a number has more than 9 digits";
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (uint32_t)(s[i] - '0');
	*p = s + n;
	*ret = v;
	return NULL;
}

/* Dot-separated identifiers S[0..end): non-empty, of [0-9A-Za-z-]; in a
 * prerelease (PRE) numeric ones have no leading zero. */
static const char *check_idents(const char *s, const char *end, bool pre)
{
	for (const char *p = s;;) {
		const char *q = p;
		bool numeric = true;

		for (; q < end && *q != '.'; q++) {
			if (!is_ident_char(*q))
				return pre ? "a prerelease identifier uses characters other than "
				             "[0-9A-Za-z-]"
				           : "a build identifier uses characters other than "
				             "[0-9A-Za-z-]";
			numeric = numeric && is_digit(*q);
		}
		if (q == p)
			return pre ? "a prerelease identifier is empty"
			           : "a build identifier is empty";
		if (pre && numeric && q - p > 1 && *p == '0')
			return "a number has a leading zero";
		if (q == end)
			return NULL;
		p = q + 1;
	}
}

/* The grammar of version.h on S[0..end), wildcards allowed when WILD_OK. */
static const char *parse_written(const char *s, const char *end, bool wild_ok, struct written *ret)
{
	const char *p = s, *why;

	memset(ret, 0, sizeof(*ret));
	for (unsigned i = 0; i < 3; i++) {
		if (p < end && wild_ok && is_wild(*p)) {
			ret->wild = true;
			p++;
		} else if (ret->wild) {
			return EXPECTED; /* "2.x.3" */
		} else {
			why = parse_number(&p, end, &ret->v[i]);
			if (why)
				return why;
			ret->n++;
		}
		if (p == end || *p != '.')
			break;
		if (i == 2)
			return EXPECTED;
		p++;
	}
	if (p < end && *p == '-') {
		const char *pre = p + 1, *pe = memchr(pre, '+', (size_t)(end - pre));

		pe = pe ? pe : end;
		why = check_idents(pre, pe, true);
		if (why)
			return why;
		if ((size_t)(pe - pre) >= DNSSD_VERSION_PRE_MAX)
			return "a prerelease is longer than 63 bytes";
		memcpy(ret->pre, pre, (size_t)(pe - pre));
		ret->tail = true;
		p = pe;
	}
	if (p < end && *p == '+') {
		why = check_idents(p + 1, end, false);
		if (why)
			return why;
		ret->tail = true;
		p = end;
	}
	if (p != end)
		return EXPECTED;
	if (ret->wild && ret->tail)
		return "a version with a wildcard has no prerelease or build";
	return NULL;
}

/* Contract in version.h. */
int version_parse(const char *s, size_t len, struct dnssd_version *ret, const char **ret_why)
{
	struct written w;
	const char *why = s ? parse_written(s, s + len, false, &w) : EXPECTED;

	if (why) {
		if (ret_why)
			*ret_why = why;
		return -EINVAL;
	}
	ret->major = w.v[0];
	ret->minor = w.v[1];
	ret->patch = w.v[2];
	memcpy(ret->pre, w.pre, sizeof(ret->pre));
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
			/* Without leading zeros, the longer number is the larger. */
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
	/* More identifiers rank higher. */
	return *a ? 1 : (*b ? -1 : 0);
}

/* Contract in version.h. */
int version_compare(const struct dnssd_version *a, const struct dnssd_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->patch != b->patch)
		return a->patch < b->patch ? -1 : 1;
	/* A release ranks above its prereleases. */
	if (!a->pre[0] || !b->pre[0])
		return a->pre[0] ? -1 : (b->pre[0] ? 1 : 0);
	return compare_pre(a->pre, b->pre);
}

static struct dnssd_version make(uint32_t ma, uint32_t mi, uint32_t pa, const char *pre)
{
	struct dnssd_version v = {.major = ma, .minor = mi, .patch = pa};

	snprintf(v.pre, sizeof(v.pre), "%s", pre);
	return v;
}

/* Tighten R's lower bound to V. */
static void add_lo(struct dnssd_version_range *r, struct dnssd_version v, bool inclusive)
{
	int c = r->lo.set ? version_compare(&v, &r->lo.v) : 1;

	if (c > 0 || (c == 0 && !inclusive))
		r->lo = (struct dnssd_version_bound){.set = true, .inclusive = inclusive, .v = v};
}

/* Tighten R's upper bound to V. */
static void add_hi(struct dnssd_version_range *r, struct dnssd_version v, bool inclusive)
{
	int c = r->hi.set ? version_compare(&v, &r->hi.v) : -1;

	if (c < 0 || (c == 0 && !inclusive))
		r->hi = (struct dnssd_version_bound){.set = true, .inclusive = inclusive, .v = v};
}

/* "<X.Y.Z-0": below every prerelease of X.Y.Z. Numbers have at most 9
 * digits, so the callers' increments cannot wrap. */
static void add_below(struct dnssd_version_range *r, uint32_t ma, uint32_t mi, uint32_t pa)
{
	add_hi(r, make(ma, mi, pa, "0"), false);
}

static const char *apply(struct dnssd_version_range *r, enum cmp_op op, const struct written *w)
{
	uint32_t ma = w->v[0], mi = w->v[1], pa = w->v[2];
	struct dnssd_version v = make(ma, mi, pa, w->pre);

	if (w->pre[0] && r->n_pre_ok < DNSSD_RANGE_MAX_CMP) {
		r->pre_ok[r->n_pre_ok].major = ma;
		r->pre_ok[r->n_pre_ok].minor = mi;
		r->pre_ok[r->n_pre_ok].patch = pa;
		r->n_pre_ok++;
	}
	switch (op) {
	case OP_EQ:
		if (w->n == 3) {
			add_lo(r, v, true);
			add_hi(r, v, true);
			return NULL;
		}
		/* A partial "=2.4" is the range 2.4.x, as "~2.4". */
		__attribute__((fallthrough));
	case OP_TILDE:
		add_lo(r, v, true);
		if (w->n >= 2)
			add_below(r, ma, mi + 1, 0);
		else if (w->n == 1)
			add_below(r, ma + 1, 0, 0);
		return NULL;
	case OP_CARET:
		add_lo(r, v, true);
		if (w->n == 0)
			return NULL;
		if (ma > 0 || w->n == 1)
			add_below(r, ma + 1, 0, 0);
		else if (mi > 0 || w->n == 2)
			add_below(r, 0, mi + 1, 0);
		else
			add_below(r, 0, 0, pa + 1);
		return NULL;
	case OP_GE:
		add_lo(r, v, true);
		return NULL;
	case OP_GT:
		if (w->n == 0)
			return "a comparison needs a version";
		if (w->n == 3)
			add_lo(r, v, false);
		else if (w->n == 2)
			add_lo(r, make(ma, mi + 1, 0, ""), true);
		else
			add_lo(r, make(ma + 1, 0, 0, ""), true);
		return NULL;
	case OP_LT:
		if (w->n == 0)
			return "a comparison needs a version";
		if (w->n == 3 && w->pre[0])
			add_hi(r, v, false);
		else
			add_below(r, ma, mi, pa);
		return NULL;
	case OP_LE:
		if (w->n == 3)
			add_hi(r, v, true);
		else if (w->n == 2)
			add_below(r, ma, mi + 1, 0);
		else if (w->n == 1)
			add_below(r, ma + 1, 0, 0);
		return NULL;
	}
	return EXPECTED;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

/* Read an operator at *p. */
static enum cmp_op parse_op(const char **p)
{
	static const struct {
		const char *text;
		enum cmp_op op;
	} ops[] = {
	        /* two-character operators first */
	        {">=", OP_GE}, {"<=", OP_LE}, {"==", OP_EQ},   {"~>", OP_TILDE}, {">", OP_GT},
	        {"<", OP_LT},  {"=", OP_EQ},  {"~", OP_TILDE}, {"^", OP_CARET},
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++) {
		size_t n = strlen(ops[i].text);

		if (strncmp(*p, ops[i].text, n) == 0) {
			*p += n;
			return ops[i].op;
		}
	}
	return OP_EQ;
}

/* Parse one range S[0..end) into R. */
static int parse_range(const char *s, const char *end, struct dnssd_version_range *r, char *err,
                       size_t errlen)
{
	unsigned n_cmp = 0;

	memset(r, 0, sizeof(*r));
	for (;;) {
		const char *start, *vend, *why;
		struct written w;
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
		if (++n_cmp > DNSSD_RANGE_MAX_CMP) {
			snprintf(err, errlen, "more than %d comparators in one range",
			         DNSSD_RANGE_MAX_CMP);
			return -EINVAL;
		}
		why = parse_written(s, vend, true, &w);
		if (!why) {
			/* A prerelease or build names one version: 1.2-rc.1 is 1.2.0-rc.1. */
			if (w.tail)
				w.n = 3;
			why = apply(r, op, &w);
		}
		if (why) {
			snprintf(err, errlen, "cannot parse \"%.*s\": %s", (int)(vend - start),
			         start, why);
			return -EINVAL;
		}
		s = vend;
	}
}

/* Contract in version.h. */
int constraint_parse(const char *s, struct dnssd_constraint *ret, char *err, size_t errlen)
{
	const char *p = s, *end;
	char dummy[1];

	memset(ret, 0, sizeof(*ret));
	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!s) {
		snprintf(err, errlen, "missing version constraint");
		return -EINVAL;
	}
	end = s + strlen(s);
	for (;;) {
		const char *bar = p;

		while (bar < end && !(bar[0] == '|' && bar + 1 < end && bar[1] == '|'))
			bar++;
		if (ret->n_ranges == DNSSD_CONSTRAINT_MAX_RANGES) {
			snprintf(err, errlen, "more than %d alternatives",
			         DNSSD_CONSTRAINT_MAX_RANGES);
			return -EINVAL;
		}
		if (parse_range(p, bar, &ret->ranges[ret->n_ranges], err, errlen) < 0)
			return -EINVAL;
		if (memchr(p, '|', (size_t)(bar - p))) {
			snprintf(err, errlen, "stray '|'");
			return -EINVAL;
		}
		ret->n_ranges++;
		if (bar >= end)
			return 0;
		p = bar + 2;
	}
}

static bool in_range(const struct dnssd_version_range *r, const struct dnssd_version *v)
{
	int c;

	if (r->lo.set) {
		c = version_compare(v, &r->lo.v);
		if (c < 0 || (c == 0 && !r->lo.inclusive))
			return false;
	}
	if (r->hi.set) {
		c = version_compare(v, &r->hi.v);
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

/* Contract in version.h. */
bool constraint_match(const struct dnssd_constraint *c, const struct dnssd_version *v)
{
	for (unsigned i = 0; i < c->n_ranges; i++)
		if (in_range(&c->ranges[i], v))
			return true;
	return false;
}

/* Contract in version.h. */
bool constraint_match_text(const struct dnssd_constraint *c, const char *s, size_t len)
{
	struct dnssd_version v;

	if (!s || version_parse(s, len, &v, NULL) < 0)
		return false;
	return constraint_match(c, &v);
}
