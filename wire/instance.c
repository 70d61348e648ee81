/* SPDX-License-Identifier: MIT */
/* Instance and services-entry objects: serialisation (daemon) and parsing (client). */
#include "wire/instance.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnssd/txt.h"
#include "dnssd/utf8.h"

static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding; returns a malloc'd string or NULL. */
static char *b64_encode(const unsigned char *s, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		*o++ = b64_alphabet[(v >> 18) & 63];
		*o++ = b64_alphabet[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

/* Decode S (LEN bytes, padded) into OUT if not NULL; the decoded size goes
 * to *ret_len. Returns 0 or -EINVAL. */
static int b64_decode(const char *s, size_t len, unsigned char *out, size_t *ret_len)
{
	size_t n = 0;

	if (len % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		bool last = i + 4 == len;

		for (int j = 0; j < 4; j++)
			v[j] = b64_value(s[i + j]);
		if (v[0] < 0 || v[1] < 0)
			return -EINVAL;
		if (v[2] < 0 && !(last && s[i + 2] == '=' && s[i + 3] == '='))
			return -EINVAL;
		if (v[3] < 0 && !(last && s[i + 3] == '='))
			return -EINVAL;
		if (out)
			out[n] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		n++;
		if (v[2] >= 0) {
			if (out)
				out[n] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
			n++;
		}
		if (v[3] >= 0) {
			if (out)
				out[n] = (unsigned char)((v[2] & 3) << 6 | v[3]);
			n++;
		}
	}
	*ret_len = n;
	return 0;
}

int wire_txt_split(const void *s, size_t len, struct wire_txt *ret)
{
	const char *p = s, *eq = memchr(p, '=', len);
	size_t klen = eq ? (size_t)(eq - p) : len;

	if (klen > WIRE_MAX_NAME || txt_check_key(p, klen))
		return -EINVAL;
	ret->key = p;
	ret->key_len = klen;
	ret->value = eq ? eq + 1 : NULL;
	ret->value_len = eq ? len - klen - 1 : 0;
	return 0;
}

static bool put_str(json_t *o, const char *k, const char *s)
{
	return !s || json_object_set_new(o, k, json_string(s)) == 0;
}

static bool put_strv(json_t *o, const char *k, const char *const *v, size_t n)
{
	json_t *a = json_array();

	if (json_object_set_new(o, k, a) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0)
			return false;
	return true;
}

/* Millisecond precision keeps the printed timestamps short. */
static json_t *json_time(double t)
{
	return json_real(round(t * 1000.0) / 1000.0);
}

static bool put_txt(json_t *o, const struct wire_txt *txt, size_t n)
{
	json_t *plain = json_object(), *raw = NULL;
	bool ok = json_object_set_new(o, "txt", plain) == 0;

	for (size_t i = 0; ok && i < n; i++) {
		const struct wire_txt *t = &txt[i];
		char key[WIRE_MAX_NAME + 1];
		json_t *v;

		if (t->key_len > WIRE_MAX_NAME || txt_check_key(t->key, t->key_len))
			continue;
		memcpy(key, t->key, t->key_len);
		key[t->key_len] = '\0';
		if (json_object_get(plain, key) || (raw && json_object_get(raw, key)))
			continue;
		if (!t->value) {
			ok = json_object_set_new(plain, key, json_null()) == 0;
		} else if (utf8_valid(t->value, t->value_len)) {
			ok = json_object_set_new(plain, key,
			                         json_stringn(t->value, t->value_len)) == 0;
		} else {
			char *enc = b64_encode((const unsigned char *)t->value, t->value_len);

			if (!raw) {
				raw = json_object();
				ok = json_object_set_new(o, "txt_raw", raw) == 0;
			}
			v = enc ? json_string(enc) : NULL;
			free(enc);
			ok = ok && json_object_set_new(raw, key, v) == 0;
		}
	}
	return ok;
}

json_t *wire_instance_to_json(const struct wire_instance *in)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	ok = ok && put_str(o, "instance", in->instance) && put_str(o, "service", in->service) &&
	     put_str(o, "type", in->type) && put_str(o, "domain", in->domain) &&
	     put_str(o, "host", in->host) &&
	     put_strv(o, "addresses", in->addresses, in->n_addresses) &&
	     json_object_set_new(o, "port", json_integer(in->port)) == 0 &&
	     put_txt(o, in->txt, in->n_txt) &&
	     json_object_set_new(o, "version",
	                         in->version ? json_string(in->version) : json_null()) == 0 &&
	     json_object_set_new(o, "weight", json_integer(in->weight)) == 0 &&
	     json_object_set_new(o, "priority", json_integer(in->priority)) == 0 &&
	     put_strv(o, "tags", in->tags, in->n_tags) &&
	     put_strv(o, "interfaces", in->interfaces, in->n_interfaces) &&
	     json_object_set_new(o, "local", json_boolean(in->local)) == 0 &&
	     json_object_set_new(o, "first_seen", json_time(in->first_seen)) == 0 &&
	     json_object_set_new(o, "last_changed", json_time(in->last_changed)) == 0;
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Parsing lays everything out in one block. It runs twice: first with
 * base == NULL to measure, then to copy. */
struct arena {
	char *base;
	size_t used;
};

static void *arena_get(struct arena *a, size_t n, size_t align)
{
	size_t off = (a->used + align - 1) & ~(align - 1);

	a->used = off + n;
	return a->base ? a->base + off : NULL;
}

static const char *arena_str(struct arena *a, const char *s, size_t len)
{
	char *d = arena_get(a, len + 1, 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

static int get_str(const json_t *o, const char *k, bool required, const char **ret, struct arena *a,
                   struct wire_err *err)
{
	const json_t *v = json_object_get(o, k);

	*ret = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return wire_err_set(err, WIRE_BAD_REQUEST, "instance lacks \"%s\"", k);
		return 0;
	}
	if (!json_is_string(v))
		return wire_err_set(err, WIRE_BAD_REQUEST, "instance \"%s\" is not a string", k);
	*ret = arena_str(a, json_string_value(v), json_string_length(v));
	return 0;
}

static int get_strv(const json_t *o, const char *k, bool required, const char *const **ret,
                    size_t *ret_n, struct arena *a, struct wire_err *err)
{
	const json_t *v = json_object_get(o, k), *s;
	const char **out;
	size_t i;

	*ret = NULL;
	*ret_n = 0;
	if (!v && !required)
		return 0;
	if (!json_is_array(v))
		return wire_err_set(err, WIRE_BAD_REQUEST, "instance \"%s\" is not an array", k);
	out = arena_get(a, (json_array_size(v) + 1) * sizeof(char *), sizeof(char *));
	json_array_foreach(v, i, s)
	{
		const char *str;

		if (!json_is_string(s))
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "instance \"%s\" has a non-string entry", k);
		str = arena_str(a, json_string_value(s), json_string_length(s));
		if (out)
			out[i] = str;
	}
	if (out)
		out[i] = NULL;
	*ret = out;
	*ret_n = json_array_size(v);
	return 0;
}

static int get_uint(const json_t *o, const char *k, uint64_t max, uint64_t dflt, bool required,
                    uint64_t *ret, struct wire_err *err)
{
	const json_t *v = json_object_get(o, k);

	*ret = dflt;
	if (!v) {
		if (required)
			return wire_err_set(err, WIRE_BAD_REQUEST, "instance lacks \"%s\"", k);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return wire_err_set(err, WIRE_BAD_REQUEST,
		                    "instance \"%s\" is not an integer from 0 to %llu", k,
		                    (unsigned long long)max);
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_txt(const json_t *o, struct wire_instance *in, struct arena *a, struct wire_err *err)
{
	const json_t *plain = json_object_get(o, "txt"), *raw = json_object_get(o, "txt_raw"), *v;
	struct wire_txt *out;
	const char *k;
	size_t n = 0;

	if ((plain && !json_is_object(plain)) || (raw && !json_is_object(raw)))
		return wire_err_set(err, WIRE_BAD_REQUEST, "instance \"txt\" is not an object");
	out = arena_get(a, (json_object_size(plain) + json_object_size(raw) + 1) * sizeof(*out),
	                _Alignof(struct wire_txt));
	json_object_foreach((json_t *)plain, k, v)
	{
		struct wire_txt t = {.key_len = strlen(k)};

		if (!json_is_string(v) && !json_is_null(v))
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "instance \"txt\" value is not a string or null");
		t.key = arena_str(a, k, t.key_len);
		if (json_is_string(v)) {
			t.value_len = json_string_length(v);
			t.value = arena_str(a, json_string_value(v), t.value_len);
		}
		if (out)
			out[n] = t;
		n++;
	}
	json_object_foreach((json_t *)raw, k, v)
	{
		struct wire_txt t = {.key_len = strlen(k)};
		char *dec;

		if (!json_is_string(v) ||
		    b64_decode(json_string_value(v), json_string_length(v), NULL, &t.value_len) < 0)
			return wire_err_set(err, WIRE_BAD_REQUEST,
			                    "instance \"txt_raw\" value is not base64");
		t.key = arena_str(a, k, t.key_len);
		dec = arena_get(a, t.value_len + 1, 1);
		if (dec) {
			b64_decode(json_string_value(v), json_string_length(v),
			           (unsigned char *)dec, &t.value_len);
			dec[t.value_len] = '\0';
			out[n] = t;
			out[n].value = dec;
		}
		n++;
	}
	in->txt = out;
	in->n_txt = n;
	return 0;
}

static int get_time(const json_t *o, const char *k, double *ret, struct wire_err *err)
{
	const json_t *v = json_object_get(o, k);

	*ret = 0;
	if (!v)
		return 0;
	if (!json_is_number(v))
		return wire_err_set(err, WIRE_BAD_REQUEST, "instance \"%s\" is not a number", k);
	*ret = json_number_value(v);
	return 0;
}

static int fill_instance(const json_t *o, struct wire_instance *in, struct arena *a,
                         struct wire_err *err)
{
	const json_t *local = json_object_get(o, "local");
	uint64_t port, weight, prio;

	if (!json_is_object(o))
		return wire_err_set(err, WIRE_BAD_REQUEST, "instance is not an object");
	if (local && !json_is_boolean(local))
		return wire_err_set(err, WIRE_BAD_REQUEST, "instance \"local\" is not a boolean");
	if (get_str(o, "instance", true, &in->instance, a, err) < 0 ||
	    get_str(o, "service", false, &in->service, a, err) < 0 ||
	    get_str(o, "type", true, &in->type, a, err) < 0 ||
	    get_str(o, "domain", false, &in->domain, a, err) < 0 ||
	    get_str(o, "host", false, &in->host, a, err) < 0 ||
	    get_strv(o, "addresses", true, &in->addresses, &in->n_addresses, a, err) < 0 ||
	    get_uint(o, "port", UINT16_MAX, 0, true, &port, err) < 0 ||
	    get_txt(o, in, a, err) < 0 || get_str(o, "version", false, &in->version, a, err) < 0 ||
	    get_uint(o, "weight", UINT32_MAX, 1, false, &weight, err) < 0 ||
	    get_uint(o, "priority", UINT32_MAX, 0, false, &prio, err) < 0 ||
	    get_strv(o, "tags", false, &in->tags, &in->n_tags, a, err) < 0 ||
	    get_strv(o, "interfaces", false, &in->interfaces, &in->n_interfaces, a, err) < 0 ||
	    get_time(o, "first_seen", &in->first_seen, err) < 0 ||
	    get_time(o, "last_changed", &in->last_changed, err) < 0)
		return -EINVAL;
	in->port = (uint16_t)port;
	in->weight = (uint32_t)weight;
	in->priority = (uint32_t)prio;
	in->local = json_is_true(local);
	return 0;
}

int wire_instance_from_json(const json_t *o, struct wire_instance **ret, struct wire_err *err)
{
	struct arena a = {0};
	struct wire_instance dummy, *in;

	*ret = NULL;
	arena_get(&a, sizeof(*in), _Alignof(struct wire_instance));
	if (fill_instance(o, &dummy, &a, err) < 0)
		return -EINVAL;
	in = calloc(1, a.used);
	if (!in) {
		wire_err_set(err, WIRE_INTERNAL, "out of memory");
		return -ENOMEM;
	}
	a.base = (char *)in;
	a.used = 0;
	arena_get(&a, sizeof(*in), _Alignof(struct wire_instance));
	fill_instance(o, in, &a, err);
	*ret = in;
	return 0;
}

json_t *wire_service_to_json(const struct wire_service *s)
{
	json_t *o = json_object();

	if (!o || !put_str(o, "service", s->service) || !put_str(o, "type", s->type) ||
	    json_object_set_new(o, "instances", json_integer(s->instances)) < 0 ||
	    json_object_set_new(o, "local", json_boolean(s->local)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int fill_services(const json_t *arr, struct wire_service *out, struct arena *a,
                         struct wire_err *err)
{
	const json_t *o;
	size_t i;

	json_array_foreach(arr, i, o)
	{
		struct wire_service s = {0};
		uint64_t n;

		if (!json_is_object(o) || get_str(o, "service", false, &s.service, a, err) < 0 ||
		    get_str(o, "type", false, &s.type, a, err) < 0 ||
		    get_uint(o, "instances", UINT32_MAX, 0, false, &n, err) < 0)
			return wire_err_set(err, WIRE_BAD_REQUEST, "malformed services entry");
		s.instances = (uint32_t)n;
		s.local = json_is_true(json_object_get(o, "local"));
		if (out)
			out[i] = s;
	}
	return 0;
}

int wire_services_from_json(const json_t *arr, struct wire_service **ret, size_t *ret_n,
                            struct wire_err *err)
{
	struct arena a = {0};
	size_t head;

	*ret = NULL;
	*ret_n = 0;
	if (!json_is_array(arr))
		return wire_err_set(err, WIRE_BAD_REQUEST, "\"services\" is not an array");
	head = (json_array_size(arr) + 1) * sizeof(struct wire_service);
	arena_get(&a, head, _Alignof(struct wire_service));
	if (fill_services(arr, NULL, &a, err) < 0)
		return -EINVAL;
	a.base = calloc(1, a.used);
	if (!a.base) {
		wire_err_set(err, WIRE_INTERNAL, "out of memory");
		return -ENOMEM;
	}
	a.used = head;
	fill_services(arr, (struct wire_service *)a.base, &a, err);
	*ret = (struct wire_service *)a.base;
	*ret_n = json_array_size(arr);
	return 0;
}
