/* SPDX-License-Identifier: MIT */
/* Syntax checks for service names, DNS-SD types, versions, TXT keys and instance templates. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "config/check.h"

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_lower(c) || is_digit(c) || (c >= 'A' && c <= 'Z');
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* The name rule on S[0..len): shared by names and the middle of types. */
static const char *check_name_span(const char *s, size_t len)
{
	bool letter = false;

	if (len < 1 || len > 15)
		return "a service name has 1-15 characters";
	for (size_t i = 0; i < len; i++) {
		if (is_lower(s[i]))
			letter = true;
		else if (!is_digit(s[i]) && s[i] != '-')
			return "a service name uses only lower-case letters, digits and '-'";
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

/* Contract in check.h. */
const char *cfg_check_service_name(const char *s)
{
	return check_name_span(s, strlen(s));
}

/* Contract in check.h. */
const char *cfg_check_service_type(const char *s, enum cfg_protocol *ret_proto)
{
	const char *dot;
	enum cfg_protocol proto;
	const char *why;

	if (s[0] != '_' || !(dot = strchr(s, '.')))
		return "expected _<name>._tcp or _<name>._udp";
	if (strcmp(dot, "._tcp") == 0)
		proto = CFG_PROTO_TCP;
	else if (strcmp(dot, "._udp") == 0)
		proto = CFG_PROTO_UDP;
	else
		return "expected _<name>._tcp or _<name>._udp";
	why = check_name_span(s + 1, (size_t)(dot - s - 1));
	if (why)
		return why;
	if (ret_proto)
		*ret_proto = proto;
	return NULL;
}

/* A numeric field of a version: digits, no leading zero, at most 9 digits. */
static const char *check_number(const char *s, size_t len)
{
	if (len == 0)
		return "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE]";
	for (size_t i = 0; i < len; i++)
		if (!is_digit(s[i]))
			return "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE]";
	if (len > 1 && s[0] == '0')
		return "a number has a leading zero";
	if (len > 9)
		return "a number has more than 9 digits";
	return NULL;
}

/* Contract in check.h. */
const char *cfg_check_version(const char *s)
{
	const char *end = s + strcspn(s, "-");
	const char *p = s;
	const char *why;
	int fields = 0;

	/* MAJOR[.MINOR[.PATCH]] */
	for (;;) {
		size_t n = strcspn(p, ".-");

		if (p + n > end)
			n = (size_t)(end - p);
		why = check_number(p, n);
		if (why)
			return why;
		fields++;
		p += n;
		if (p == end)
			break;
		if (fields == 3)
			return "expected MAJOR[.MINOR[.PATCH]][-PRERELEASE]";
		p++; /* '.' */
	}
	if (*end == '\0')
		return NULL;

	/* -PRERELEASE: dot-separated identifiers */
	p = end + 1;
	for (;;) {
		size_t n = strcspn(p, ".");
		bool numeric = n > 0;

		if (n == 0)
			return "a prerelease identifier is empty";
		for (size_t i = 0; i < n; i++) {
			if (!is_alnum(p[i]) && p[i] != '-')
				return "a prerelease identifier uses characters other than "
				       "[0-9A-Za-z-]";
			if (!is_digit(p[i]))
				numeric = false;
		}
		if (numeric && n > 1 && p[0] == '0')
			return "a number has a leading zero";
		p += n;
		if (*p == '\0')
			return NULL;
		p++;
	}
}

/* Length in bytes of the UTF-8 sequence at S (at most LEFT bytes), 0 if
 * invalid; stores the code point. */
static size_t utf8_decode(const unsigned char *s, size_t left, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t n;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2, cp = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3, cp = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*ret_cp = cp;
	return n;
}

/* Contract in check.h. */
bool cfg_text_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
			return false;
		i += n;
	}
	return true;
}

/* Contract in check.h. */
const char *cfg_check_subtype(const char *s)
{
	size_t len = strlen(s);

	if (s[0] != '_' || len < 2 || len > 63)
		return "a subtype is '_' followed by a label, 2-63 bytes in all";
	if (strpbrk(s, ".\\"))
		return "a subtype cannot contain '.' or '\\'";
	if (!cfg_text_valid(s, len))
		return "a subtype must be printable UTF-8";
	return NULL;
}

/* Contract in check.h. */
const char *cfg_check_txt_key(const char *s)
{
	if (s[0] == '\0')
		return "a TXT key cannot be empty";
	for (const char *p = s; *p; p++) {
		if (*p == '=')
			return "a TXT key cannot contain '='";
		if (*p < 0x20 || *p > 0x7E)
			return "a TXT key uses printable ASCII only";
	}
	return NULL;
}

/* Contract in check.h. */
ssize_t cfg_instance_expand(const char *tmpl, const char *host, char *buf, size_t size)
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

/* Contract in check.h. */
int cfg_host_label(char *buf, size_t size)
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

/* Contract in check.h. */
size_t cfg_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[65][65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = to_lower(a[i - 1]) == to_lower(b[j - 1]) ? 0 : 1;
			size_t best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && to_lower(a[i - 1]) == to_lower(b[j - 2]) &&
			    to_lower(a[i - 2]) == to_lower(b[j - 1]) && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}
