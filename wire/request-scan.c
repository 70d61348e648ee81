/* SPDX-License-Identifier: MIT */
/* The common request shapes, read without jansson's lexer: a resolve
 * straight into the request without allocating (the hot path), any other
 * flat object into a jansson object; see request-scan.h. */
#include <stdbool.h>
#include <string.h>

#include "dnssd/version.h"
#include "wire/request-scan.h"
#include "wire/wire.h"

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* A string of printable ASCII without escapes: its body in *ret, *ret_len. */
static bool scan_plain_string(struct scan *s, const char **ret, size_t *ret_len)
{
	const char *q;

	if (s->p == s->end || *s->p != '"')
		return false;
	for (q = s->p + 1; q < s->end && *q != '"'; q++)
		if (*q < 0x20 || *q > 0x7e || *q == '\\')
			return false;
	if (q == s->end)
		return false;
	*ret = s->p + 1;
	*ret_len = (size_t)(q - s->p - 1);
	s->p = q + 1;
	return true;
}

static bool scan_word(struct scan *s, const char *w, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* The ':' between a key and its value, with the blanks around it. */
static bool scan_colon(struct scan *s)
{
	skip_ws(s);
	if (!scan_word(s, ":", 1))
		return false;
	skip_ws(s);
	return true;
}

/* After a member or an element: 1 at CLOSE (the object's '}' or the
 * array's ']'), 0 at a ',' (and the blanks after it), -1 for anything
 * else. */
static int scan_next(struct scan *s, const char *close)
{
	skip_ws(s);
	if (scan_word(s, close, 1))
		return 1;
	if (!scan_word(s, ",", 1))
		return -1;
	skip_ws(s);
	return 0;
}

/* A value of the simple shape as a new json_t, or NULL. */
static json_t *scan_value(struct scan *s)
{
	const char *v, *q;
	json_int_t i = 0;
	size_t n;

	if (s->p == s->end)
		return NULL;
	if (*s->p == '"')
		return scan_plain_string(s, &v, &n) ? json_stringn_nocheck(v, n) : NULL;
	if (scan_word(s, "true", 4))
		return json_true();
	if (scan_word(s, "false", 5))
		return json_false();
	if (scan_word(s, "null", 4))
		return json_null();
	/* An integer as JSON writes it (no leading zeros), at most 18 digits so
	 * it cannot overflow. Read by hand: the line need not end in a NUL. */
	q = s->p + (*s->p == '-');
	for (n = 0; q + n < s->end && q[n] >= '0' && q[n] <= '9'; n++)
		;
	if (n == 0 || n > 18 || (n > 1 && q[0] == '0') ||
	    (q + n < s->end && (q[n] == '.' || q[n] == 'e' || q[n] == 'E')))
		return NULL;
	for (size_t k = 0; k < n; k++)
		i = i * 10 + (q[k] - '0');
	if (*s->p == '-')
		i = -i;
	s->p = q + n;
	return json_integer(i);
}

/* Contract in request-scan.h. */
json_t *wire_load_simple(const char *line, size_t len)
{
	struct scan s = {line, line + len};
	json_t *root;

	skip_ws(&s);
	if (!scan_word(&s, "{", 1) || !(root = json_object()))
		return NULL;
	skip_ws(&s);
	if (s.p < s.end && *s.p == '}') {
		s.p++;
		goto done;
	}
	for (;;) {
		char key[WIRE_MAX_NAME + 1];
		const char *k;
		size_t klen;
		json_t *v;
		int next;

		if (!scan_plain_string(&s, &k, &klen) || klen > WIRE_MAX_NAME)
			goto fail;
		memcpy(key, k, klen);
		key[klen] = '\0';
		if (!scan_colon(&s) || json_object_get(root, key) || !(v = scan_value(&s)) ||
		    json_object_set_new_nocheck(root, key, v) < 0 ||
		    (next = scan_next(&s, "}")) < 0)
			goto fail;
		if (next)
			break;
	}
done:
	skip_ws(&s);
	if (s.p == s.end)
		return root;
fail:
	json_decref(root);
	return NULL;
}

/* --- resolve, without allocating ------------------------------------------ */

enum rkey {
	K_OP,
	K_ID,
	K_SERVICE,
	K_INSTANCE,
	K_DOMAIN,
	K_VERSION,
	K_TAGS,
	K_FAMILY,
	K_POLICY,
	K_KEY,
	K_PREFER,
	_K_MAX,
};

static const char *const rkey_names[_K_MAX + 1] = {
        [K_OP] = "op",           [K_ID] = "id",
        [K_SERVICE] = "service", [K_INSTANCE] = "instance",
        [K_DOMAIN] = "domain",   [K_VERSION] = "version",
        [K_TAGS] = "tags",       [K_FAMILY] = "family",
        [K_POLICY] = "policy",   [K_KEY] = "key",
        [K_PREFER] = "prefer",
};

/* Where the strings go: S's text, NUL-terminated. */
struct out {
	char *p, *end;
};

/* The LEN bytes at S, NUL-terminated, in O; NULL when they do not fit
 * (they always do: see struct wire_scratch). */
static char *put(struct out *o, const char *s, size_t len)
{
	char *r = o->p;

	if ((size_t)(o->end - o->p) < len + 1)
		return NULL;
	memcpy(r, s, len);
	r[len] = '\0';
	o->p += len + 1;
	return r;
}

/* A name: 1..WIRE_MAX_NAME bytes (a plain string has no control character). */
static char *put_name(struct out *o, const char *s, size_t len)
{
	return len >= 1 && len <= WIRE_MAX_NAME ? put(o, s, len) : NULL;
}

/* "tags": an array of names, at most WIRE_MAX_ITEMS. */
static bool scan_tags(struct scan *s, struct out *o, struct wire_filter *f, char **tags)
{
	const char *v;
	size_t n;

	if (!scan_word(s, "[", 1))
		return false;
	skip_ws(s);
	f->tags = tags;
	if (scan_word(s, "]", 1))
		return true;
	for (;;) {
		int next;

		if (f->n_tags == WIRE_MAX_ITEMS || !scan_plain_string(s, &v, &n) ||
		    !(tags[f->n_tags] = put_name(o, v, n)))
			return false;
		f->n_tags++;
		if ((next = scan_next(s, "]")) != 0)
			return next == 1;
	}
}

/* The value of K (a string for every key but "id" and "tags") into REQ;
 * false when it is not one wire_request_parse() would take as it is. */
static bool scan_field(struct scan *s, enum rkey k, struct out *o, struct wire_request *req,
                       char **tags, bool *is_resolve)
{
	struct wire_filter *f = &req->filter;
	const char *v;
	size_t n;
	unsigned idx;

	if (k == K_ID) {
		json_t *id = scan_value(s);

		if (!id || (json_is_string(id) && json_string_length(id) > WIRE_MAX_STRING)) {
			json_decref(id);
			return false;
		}
		req->id = id;
		return true;
	}
	if (k == K_TAGS)
		return scan_tags(s, o, f, tags);
	if (!scan_plain_string(s, &v, &n))
		return false;
	switch (k) {
	case K_OP:
		*is_resolve = n == 7 && memcmp(v, "resolve", 7) == 0;
		return *is_resolve;
	case K_SERVICE:
		return (f->service = put_name(o, v, n)) != NULL;
	case K_INSTANCE:
		return (f->instance = put_name(o, v, n)) != NULL;
	case K_DOMAIN:
		return (f->domain = put_name(o, v, n)) != NULL;
	case K_VERSION:
		if (n > WIRE_MAX_STRING || !(f->version = put(o, v, n)))
			return false;
		return constraint_parse(f->version, &f->constraint, NULL, 0) == 0;
	case K_FAMILY:
		if (!wire_choice(v, n, wire_family_choices, &idx))
			return false;
		f->family = (enum wire_family)idx;
		return true;
	case K_POLICY:
		return n >= 1 && n <= WIRE_MAX_POLICY && wire_policy_name_ok(v, n) &&
		       (req->policy = put(o, v, n)) != NULL;
	case K_KEY:
		return n <= WIRE_MAX_STRING && (req->key = put(o, v, n)) != NULL;
	case K_PREFER:
		if (!wire_choice(v, n, wire_prefer_choices, &idx))
			return false;
		wire_request_set_prefer(req, idx);
		return true;
	default:
		return false;
	}
}

/* Contract in request-scan.h. */
int wire_scan_resolve(const char *line, size_t len, struct wire_request *req,
                      struct wire_scratch *sc)
{
	struct scan s = {line, line + len};
	struct out o = {sc->text, sc->text + sizeof(sc->text)};
	unsigned seen = 0;
	bool is_resolve = false;

	wire_request_init(req);
	req->borrowed = true; /* what is put in SC is not freed */
	skip_ws(&s);
	if (!scan_word(&s, "{", 1))
		goto fail;
	for (;;) {
		const char *k;
		size_t klen;
		unsigned i;
		int next;

		skip_ws(&s);
		if (!scan_plain_string(&s, &k, &klen))
			goto fail;
		if (!wire_choice(k, klen, rkey_names, &i) || (seen & (1u << i)))
			goto fail; /* unknown or repeated: the full parser says which */
		seen |= 1u << i;
		if (!scan_colon(&s) ||
		    !scan_field(&s, (enum rkey)i, &o, req, sc->tags, &is_resolve) ||
		    (next = scan_next(&s, "}")) < 0)
			goto fail;
		if (next)
			break;
	}
	skip_ws(&s);
	if (s.p != s.end || !is_resolve || !req->filter.service)
		goto fail;
	req->op = WIRE_OP_RESOLVE;
	return 0;
fail:
	wire_request_clear(req);
	return -1;
}
