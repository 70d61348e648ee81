/* SPDX-License-Identifier: MIT */
/* DNS-SD naming rules: service names, types, subtypes, instance names and templates, domains. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dnssd/name.h"
#include "dnssd/utf8.h"

#define EXPECTED_TYPE "expected _<name>._tcp or _<name>._udp"

static const char *const proto_names[] = {
        [DNSSD_PROTO_TCP] = "tcp",
        [DNSSD_PROTO_UDP] = "udp",
};

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The service-name rule on S[0..len): names, and the middle of types. */
static const char *check_name_span(const char *s, size_t len)
{
	bool letter = false;

	if (len < 1 || len > DNSSD_SERVICE_NAME_MAX)
		return "a service name has 1-15 characters";
	for (size_t i = 0; i < len; i++) {
		if (is_letter(s[i]))
			letter = true;
		else if (!is_digit(s[i]) && s[i] != '-')
			return "a service name uses only letters, digits and '-'";
	}
	if (s[0] == '-' || s[len - 1] == '-')
		return "a service name cannot start or end with '-'";
	for (size_t i = 0; i + 1 < len; i++)
		if (s[i] == '-' && s[i + 1] == '-')
			return "a service name cannot contain '--'";
	if (!letter)
		return "a service name needs at least one letter";
	return NULL;
}

/* Contract in name.h. */
const char *dnssd_proto_name(enum dnssd_proto p)
{
	if ((unsigned)p >= sizeof(proto_names) / sizeof(*proto_names))
		return NULL;
	return proto_names[p];
}

/* Contract in name.h. */
const char *dnssd_check_service_name(const char *s)
{
	return check_name_span(s, strlen(s));
}

/* Contract in name.h. */
const char *dnssd_check_type(const char *s, enum dnssd_proto *ret_proto)
{
	const char *dot = strchr(s, '.');
	enum dnssd_proto proto;
	const char *why;

	if (s[0] != '_' || !dot)
		return EXPECTED_TYPE;
	if (strcasecmp(dot, "._tcp") == 0)
		proto = DNSSD_PROTO_TCP;
	else if (strcasecmp(dot, "._udp") == 0)
		proto = DNSSD_PROTO_UDP;
	else
		return EXPECTED_TYPE;
	why = check_name_span(s + 1, (size_t)(dot - s - 1));
	if (why)
		return why;
	if (ret_proto)
		*ret_proto = proto;
	return NULL;
}

/* Contract in name.h. */
const char *dnssd_check_service(const char *s)
{
	return s[0] == '_' ? dnssd_check_type(s, NULL) : dnssd_check_service_name(s);
}

/* Contract in name.h. */
int dnssd_type_service(const char *type, char *buf, size_t size)
{
	size_t len;

	if (dnssd_check_type(type, NULL))
		return -EINVAL;
	len = (size_t)(strchr(type, '.') - type - 1);
	if (len >= size)
		return -ENOBUFS;
	memcpy(buf, type + 1, len);
	buf[len] = '\0';
	return (int)len;
}

/* "_" NAME (NL bytes, a checked service name) "._" PNAME into BUF, without
 * printf: resolve builds two per request. */
static int put_type(const char *name, size_t nl, const char *pname, char *buf, size_t size)
{
	size_t pl = strlen(pname);

	if (nl + pl + 3 >= size)
		return -ENOBUFS;
	buf[0] = '_';
	memcpy(buf + 1, name, nl);
	memcpy(buf + 1 + nl, "._", 2);
	memcpy(buf + 3 + nl, pname, pl + 1);
	return (int)(nl + pl + 3);
}

/* Contract in name.h. */
int dnssd_make_type(const char *name, enum dnssd_proto proto, char *buf, size_t size)
{
	const char *pname = dnssd_proto_name(proto);

	if (!pname || dnssd_check_service_name(name))
		return -EINVAL;
	return put_type(name, strlen(name), pname, buf, size);
}

/* Contract in name.h. */
int dnssd_service_types(const char *service, char ret[2][DNSSD_TYPE_SIZE])
{
	size_t len;

	if (!service || dnssd_check_service(service))
		return -EINVAL;
	len = strlen(service);
	if (service[0] == '_') {
		/* a valid type is at most 21 bytes */
		memcpy(ret[0], service, len + 1);
		return 1;
	}
	/* checked once above, for both */
	if (put_type(service, len, proto_names[DNSSD_PROTO_TCP], ret[0], DNSSD_TYPE_SIZE) < 0 ||
	    put_type(service, len, proto_names[DNSSD_PROTO_UDP], ret[1], DNSSD_TYPE_SIZE) < 0)
		return -EINVAL;
	return 2;
}

/* Contract in name.h. */
const char *dnssd_check_subtype(const char *s)
{
	size_t len = strlen(s);

	if (s[0] != '_' || len < 2 || len > DNSSD_INSTANCE_MAX)
		return "a subtype is '_' followed by a label, 2-63 bytes in all";
	if (strpbrk(s, ".\\"))
		return "a subtype cannot contain '.' or '\\'";
	if (!utf8_text(s, len))
		return "a subtype must be printable UTF-8";
	return NULL;
}

/* Contract in name.h. */
const char *dnssd_check_instance(const char *s, size_t len)
{
	if (len == 0)
		return "an instance name cannot be empty";
	if (len > DNSSD_INSTANCE_MAX)
		return "an instance name is longer than 63 bytes";
	if (!utf8_text(s, len))
		return "an instance name must be printable UTF-8 text";
	return NULL;
}

/* Contract in name.h. */
ssize_t dnssd_instance_alternative(const char *name, char *buf, size_t size)
{
	size_t len = strlen(name), base = len, digits;
	unsigned long n = 2;
	const char *mark = NULL;
	char num[16];
	int nlen;

	if (dnssd_check_instance(name, len))
		return -EINVAL;
	for (const char *p = strstr(name, " #"); p; p = strstr(p + 2, " #"))
		mark = p;
	if (mark) {
		digits = len - (size_t)(mark + 2 - name);
		if (digits >= 1 && digits <= 9 && mark[2] != '0' &&
		    strspn(mark + 2, "0123456789") == digits) {
			n = strtoul(mark + 2, NULL, 10) + 1;
			base = (size_t)(mark - name);
		}
	}
	nlen = snprintf(num, sizeof(num), " #%lu", n);
	if (nlen < 0)
		return -EINVAL;
	if (base + (size_t)nlen > DNSSD_INSTANCE_MAX)
		base = utf8_cut(name, DNSSD_INSTANCE_MAX - (size_t)nlen);
	if (base + (size_t)nlen + 1 > size)
		return -ENOBUFS;
	memcpy(buf, name, base);
	memcpy(buf + base, num, (size_t)nlen + 1);
	return (ssize_t)(base + (size_t)nlen);
}

/* Contract in name.h. */
ssize_t dnssd_instance_expand(const char *tmpl, const char *host, char *buf, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return -ENOBUFS;
	for (const char *p = tmpl; *p; p++) {
		const char *add = p;
		size_t len = 1;

		if (*p == '%') {
			p++;
			if (*p == 'h') {
				add = host;
				len = strlen(host);
			} else if (*p != '%') {
				return -EINVAL;
			}
		}
		if (len >= size - n)
			return -ENOBUFS;
		memcpy(buf + n, add, len);
		n += len;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

/* Contract in name.h. */
int dnssd_host_label(char *buf, size_t size)
{
	char host[256];
	size_t len;

	if (size == 0)
		return -ENOBUFS;
	if (gethostname(host, sizeof(host)) < 0)
		return -errno;
	host[sizeof(host) - 1] = '\0';
	len = strcspn(host, ".");
	if (len >= size)
		len = size - 1;
	memcpy(buf, host, len);
	buf[len] = '\0';
	return 0;
}

/* Contract in name.h. */
const char *dnssd_check_domain(const char *s)
{
	size_t len = strlen(s), label = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > DNSSD_DOMAIN_MAX)
		return "a domain name has 1-253 bytes";
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return "a domain name cannot have an empty label";
			label = 0;
			continue;
		}
		if (!is_letter(c) && !is_digit(c) && c != '-' && c != '_')
			return "a domain name uses only letters, digits, '-', '_' and '.'";
		if (++label > 63)
			return "a domain label has more than 63 bytes";
	}
	return label > 0 ? NULL : "a domain name cannot have an empty label";
}

bool dnssd_domain_is_local(const char *s)
{
	return !s || !*s || strcasecmp(s, "local") == 0 || strcasecmp(s, "local.") == 0;
}
