/* SPDX-License-Identifier: MIT */
/* Percent-decoding and query strings of the HTTP interface, and the one
 * socket request each API call stands for: the HTTP side names the
 * members, the socket's parser (wire/request.c) judges them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http-query.h"

unsigned http_status_of(enum wire_code code)
{
	static const unsigned status[_WIRE_CODE_MAX] = {
	        [WIRE_OK] = 200,        [WIRE_BAD_REQUEST] = 400, [WIRE_UNKNOWN_OP] = 400,
	        [WIRE_NOT_FOUND] = 404, [WIRE_TOO_LARGE] = 413,   [WIRE_BUSY] = 429,
	        [WIRE_INTERNAL] = 500,  [WIRE_UNAVAILABLE] = 503, [WIRE_FORBIDDEN] = 403,
	        [WIRE_CONFLICT] = 409,
	};

	return (unsigned)code < _WIRE_CODE_MAX ? status[code] : 500;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_unescape(const char *s, size_t len, bool plus_space, char **ret)
{
	char *out = malloc(len + 1), *o = out;

	*ret = NULL;
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3) {
				free(out);
				return -EINVAL;
			}
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return -EINVAL;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '\0') {
			free(out);
			return -EINVAL;
		} else {
			*o++ = plus_space && c == '+' ? ' ' : c;
		}
	}
	*o = '\0';
	*ret = out;
	return 0;
}

void http_query_clear(struct http_query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->params[i].name);
		free(q->params[i].value);
	}
	free(q->params);
	*q = (struct http_query){0};
}

int http_query_parse(const char *s, size_t len, struct http_query *ret, char *err, size_t errlen)
{
	size_t i = 0;

	*ret = (struct http_query){0};
	while (i < len) {
		const char *pair = s + i, *amp = memchr(pair, '&', len - i), *eq;
		size_t plen = amp ? (size_t)(amp - pair) : len - i;
		struct http_param p = {0};
		int r;

		i += plen + 1;
		if (plen == 0)
			continue;
		if (ret->n == HTTP_QUERY_MAX_PARAMS) {
			snprintf(err, errlen, "more than %d query parameters",
			         HTTP_QUERY_MAX_PARAMS);
			return -EINVAL;
		}
		eq = memchr(pair, '=', plen);
		r = http_unescape(pair, eq ? (size_t)(eq - pair) : plen, true, &p.name);
		if (r == 0)
			r = eq ? http_unescape(eq + 1, plen - (size_t)(eq - pair) - 1, true,
			                       &p.value)
			       : http_unescape("", 0, true, &p.value);
		if (r == 0 && !*p.name)
			r = -EINVAL;
		if (r < 0) {
			free(p.name);
			free(p.value);
			if (r == -ENOMEM)
				snprintf(err, errlen, "out of memory");
			else
				snprintf(err, errlen,
				         "query parameter %zu: a bad percent-escape, a NUL byte or "
				         "an empty name",
				         ret->n + 1);
			return r;
		}
		if (ret->n % 8 == 0) {
			struct http_param *n = realloc(ret->params, (ret->n + 8) * sizeof(*n));

			if (!n) {
				free(p.name);
				free(p.value);
				snprintf(err, errlen, "out of memory");
				return -ENOMEM;
			}
			ret->params = n;
		}
		ret->params[ret->n++] = p;
	}
	return 0;
}

/* Parameters that become one string member of the same name. */
static const char *const string_params[] = {"instance", "version", "family", "domain",
                                            "policy",   "key",     "prefer"};

/* Set NAME to string V in O, refusing a second one; 0 or -EINVAL/-ENOMEM. */
static int set_once(json_t *o, const char *name, const char *v, struct wire_err *err)
{
	json_t *s;

	if (json_object_get(o, name))
		return wire_err_set(err, WIRE_BAD_REQUEST, "query parameter \"%s\" given twice",
		                    name);
	s = json_string(v);
	if (!s)
		return wire_err_set(err, WIRE_BAD_REQUEST,
		                    "query parameter \"%s\" is not valid UTF-8", name);
	if (json_object_set_new(o, name, s) < 0)
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	return 0;
}

/* Add one "tag" or "txt" parameter P to O. */
static int add_list(json_t *o, const struct http_param *p, struct wire_err *err)
{
	bool tag = strcmp(p->name, "tag") == 0;
	const char *member = tag ? "tags" : "txt";
	json_t *c = json_object_get(o, member), *v;

	if (!c) {
		c = tag ? json_array() : json_object();
		if (!c || json_object_set_new(o, member, c) < 0)
			return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	}
	if (tag) {
		v = json_string(p->value);
		if (!v)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "query parameter \"tag\" is not valid UTF-8");
		return json_array_append_new(c, v) < 0
		               ? wire_err_set(err, WIRE_INTERNAL, "out of memory")
		               : 0;
	} else {
		const char *eq = strchr(p->value, '=');
		char *key;

		if (!eq)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "query parameter \"txt\" must be KEY=VALUE");
		key = strndup(p->value, (size_t)(eq - p->value));
		if (!key)
			return wire_err_set(err, WIRE_INTERNAL, "out of memory");
		v = json_string(eq + 1);
		/* A key that is not UTF-8 is refused by jansson's setter. */
		if (!v || json_object_get(c, key) || json_object_set_new(c, key, v) < 0) {
			bool twice = v && json_object_get(c, key);

			free(key);
			if (twice)
				json_decref(v);
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    twice ? "txt key given twice"
			                          : "query parameter \"txt\" is not valid UTF-8");
		}
		free(key);
		return 0;
	}
}

int http_query_request(enum wire_op op, const char *service, const struct http_query *q,
                       json_t **ret, struct wire_err *err)
{
	const char *name = wire_op_name(op);
	json_t *o = json_object();
	int r = 0;

	*ret = NULL;
	if (!o || !name || json_object_set_new(o, "op", json_string(name)) < 0) {
		json_decref(o);
		return wire_err_set(err, WIRE_INTERNAL, "out of memory");
	}
	if (service && (r = set_once(o, "service", service, err)) < 0)
		goto fail;
	for (size_t i = 0; i < q->n; i++) {
		const struct http_param *p = &q->params[i];
		bool known = false;

		if (strcmp(p->name, "tag") == 0 || strcmp(p->name, "txt") == 0) {
			r = add_list(o, p, err);
			if (r < 0)
				goto fail;
			continue;
		}
		for (size_t j = 0; j < sizeof(string_params) / sizeof(*string_params); j++)
			if (strcmp(p->name, string_params[j]) == 0)
				known = true;
		if (!known) {
			char shown[64];
			size_t k;

			/* The name in the message, printable ASCII only. */
			for (k = 0; p->name[k] && k < sizeof(shown) - 1; k++)
				shown[k] = p->name[k] > ' ' && p->name[k] < 0x7f ? p->name[k] : '?';
			shown[k] = '\0';
			r = wire_err_set(err, WIRE_BAD_REQUEST, "unknown query parameter \"%s\"",
			                 shown);
			goto fail;
		}
		r = set_once(o, p->name, p->value, err);
		if (r < 0)
			goto fail;
	}
	*ret = o;
	return 0;
fail:
	json_decref(o);
	return r;
}
