/* SPDX-License-Identifier: MIT */
/* The common request shape, read without jansson's lexer (the resolve hot
 * path); see request-scan.h. */
#include <stdbool.h>
#include <string.h>

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

		if (!scan_plain_string(&s, &k, &klen) || klen > WIRE_MAX_NAME)
			goto fail;
		memcpy(key, k, klen);
		key[klen] = '\0';
		skip_ws(&s);
		if (!scan_word(&s, ":", 1))
			goto fail;
		skip_ws(&s);
		if (json_object_get(root, key) || !(v = scan_value(&s)) ||
		    json_object_set_new_nocheck(root, key, v) < 0)
			goto fail;
		skip_ws(&s);
		if (scan_word(&s, "}", 1))
			break;
		if (!scan_word(&s, ",", 1))
			goto fail;
		skip_ws(&s);
	}
done:
	skip_ws(&s);
	if (s.p == s.end)
		return root;
fail:
	json_decref(root);
	return NULL;
}
