/* SPDX-License-Identifier: MIT */
/* avahi-daemon.conf as avahi-daemon reads it: the limits and interface
 * lists of its [server] group (lanyard doctor). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/lanyard-doctor-avahi.h"

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Contract in lanyard-doctor-avahi.h. */
void doctor_avahi_conf_init(struct doctor_avahi_conf *c)
{
	*c = (struct doctor_avahi_conf){
	        .objects_per_client_max = DOCTOR_AVAHI_OBJECTS_MAX_DEFAULT,
	        .cache_entries_max = DOCTOR_AVAHI_CACHE_MAX_DEFAULT,
	        .use_ipv4 = true,
	        .use_ipv6 = true,
	};
}

/* Contract in lanyard-doctor-avahi.h. */
void doctor_avahi_conf_clear(struct doctor_avahi_conf *c)
{
	strv_free(c->allow_interfaces);
	strv_free(c->deny_interfaces);
	doctor_avahi_conf_init(c);
}

/* avahi-daemon's is_yes(). */
static bool is_yes(const char *s)
{
	return *s == 'y' || *s == 'Y' || *s == '1' || *s == 't' || *s == 'T';
}

/* avahi-daemon's parse_unsigned(): strtoul(base 0), all of it, fitting. */
static int parse_unsigned(const char *s, unsigned *ret)
{
	unsigned long ul;
	char *e = NULL;

	errno = 0;
	ul = strtoul(s, &e, 0);
	if (!e || *e || errno || ul > UINT_MAX)
		return -EINVAL;
	*ret = (unsigned)ul;
	return 0;
}

/* Append the comma-separated names of VALUE (blanks around each trimmed,
 * empty ones skipped) to *V; an empty VALUE resets the list, as
 * avahi-daemon does. */
static int add_csv(char ***v, const char *value)
{
	size_t n = strv_len(*v);
	const char *t = value;

	if (*value == '\0') {
		strv_free(*v);
		*v = NULL;
		return 0;
	}
	for (;;) {
		size_t l = strcspn(t, ","), k = l;
		const char *s = t;
		char **nv;

		while (k > 0 && isblank((unsigned char)*s)) {
			s++;
			k--;
		}
		while (k > 0 && isblank((unsigned char)s[k - 1]))
			k--;
		if (k > 0) {
			nv = realloc(*v, (n + 2) * sizeof(*nv));
			if (!nv)
				return -ENOMEM;
			*v = nv;
			nv[n] = strndup(s, k);
			if (!nv[n])
				return -ENOMEM;
			nv[++n] = NULL;
		}
		t += l;
		if (*t == '\0')
			break;
		t++;
	}
	return 0;
}

static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "line %u: ", line);

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* One key=value of the [server] group. */
static int server_key(struct doctor_avahi_conf *c, const char *key, const char *value,
                      unsigned line, char *err, size_t errlen)
{
	unsigned *u = NULL;
	bool *set = NULL;

	if (strcasecmp(key, "objects-per-client-max") == 0) {
		u = &c->objects_per_client_max;
		set = &c->objects_set;
	} else if (strcasecmp(key, "cache-entries-max") == 0) {
		u = &c->cache_entries_max;
		set = &c->cache_set;
	} else if (strcasecmp(key, "use-ipv4") == 0) {
		c->use_ipv4 = is_yes(value);
	} else if (strcasecmp(key, "use-ipv6") == 0) {
		c->use_ipv6 = is_yes(value);
	} else if (strcasecmp(key, "allow-point-to-point") == 0) {
		c->allow_point_to_point = is_yes(value);
	} else if (strcasecmp(key, "allow-interfaces") == 0) {
		return add_csv(&c->allow_interfaces, value);
	} else if (strcasecmp(key, "deny-interfaces") == 0) {
		return add_csv(&c->deny_interfaces, value);
	}
	if (u) {
		unsigned v;

		if (parse_unsigned(value, &v) < 0)
			return fail(err, errlen, line, "invalid %s setting \"%s\"", key, value);
		*u = v;
		*set = true;
	}
	return 0;
}

/* Contract in lanyard-doctor-avahi.h. */
int doctor_avahi_conf_parse(struct doctor_avahi_conf *c, const char *text, size_t len, char *err,
                            size_t errlen)
{
	const char *p = text, *end = text + len;
	bool in_group = false, in_server = false;
	unsigned line = 0;
	int r = 0;

	if (errlen)
		err[0] = '\0';
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *ln = strndup(p, n), *s, *e;

		if (!ln)
			return -ENOMEM;
		line++;
		p += n + (nl ? 1 : 0);
		s = ln + strspn(ln, " \t");
		s[strcspn(s, "\r\n")] = '\0';
		if (*s == '#' || *s == '%' || *s == '\0') {
			/* a comment or an empty line */
		} else if (*s == '[') {
			e = strchr(s, ']');
			if (!e) {
				r = fail(err, errlen, line, "unclosed group header");
			} else {
				*e = '\0';
				in_group = true;
				in_server = strcasecmp(s + 1, "server") == 0;
			}
		} else if (!(e = strchr(s, '='))) {
			r = fail(err, errlen, line, "missing assignment");
		} else if (!in_group) {
			r = fail(err, errlen, line, "assignment outside a group");
		} else if (in_server) {
			*e = '\0';
			r = server_key(c, s, e + 1, line, err, errlen);
		}
		free(ln);
	}
	return r;
}

static bool listed(char *const *v, const char *name)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcasecmp(v[i], name) == 0)
			return true;
	return false;
}

/* Contract in lanyard-doctor-avahi.h. */
bool doctor_avahi_conf_uses(const struct doctor_avahi_conf *c, const char *name)
{
	if (c->allow_interfaces && !listed(c->allow_interfaces, name))
		return false;
	return !listed(c->deny_interfaces, name);
}
