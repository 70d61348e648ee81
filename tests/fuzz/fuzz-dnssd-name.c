/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the naming rules (dnssd/name.c, dnssd/utf8.c, the TXT
 * key rule): every check on arbitrary bytes, service types, instance
 * expansion and renaming, with the invariants that tie them together.
 * Input: a string, then optionally a NUL and the host name for "%h". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnssd/name.h"
#include "dnssd/txt.h"
#include "dnssd/utf8.h"
#include "tests/fuzz/fuzz.h"

static void check_types(const char *s)
{
	char t[2][DNSSD_TYPE_SIZE], label[DNSSD_TYPE_SIZE], again[DNSSD_TYPE_SIZE];
	enum dnssd_proto proto = DNSSD_PROTO_TCP;
	const char *why_type = dnssd_check_type(s, &proto);
	const char *why_name = dnssd_check_service_name(s);
	int n = dnssd_service_types(s, t);

	CHECK((dnssd_check_service(s) == NULL) == (s[0] == '_' ? !why_type : !why_name));
	CHECK(why_name || (strlen(s) >= 1 && strlen(s) <= DNSSD_SERVICE_NAME_MAX));
	CHECK(n == (dnssd_check_service(s) ? -EINVAL : s[0] == '_' ? 1 : 2));
	for (int i = 0; i < n; i++) {
		CHECK(strlen(t[i]) < DNSSD_TYPE_SIZE && !dnssd_check_type(t[i], NULL));
		CHECK(dnssd_type_service(t[i], label, sizeof(label)) > 0);
		if (n == 2)
			CHECK(strcmp(label, s) == 0);
	}
	if (!why_type) {
		int len = dnssd_type_service(s, label, sizeof(label));

		CHECK(len > 0 && (size_t)len <= DNSSD_SERVICE_NAME_MAX);
		CHECK(!dnssd_check_service_name(label));
		CHECK(dnssd_make_type(label, proto, again, sizeof(again)) == (int)strlen(s));
		CHECK(strcasecmp(again, s) == 0);
	} else {
		CHECK(dnssd_type_service(s, label, sizeof(label)) == -EINVAL);
	}
}

/* A rename of a valid name is a valid name, and another one. */
static void check_alternative(const char *s)
{
	char buf[DNSSD_INSTANCE_MAX + 1];
	ssize_t n = dnssd_instance_alternative(s, buf, sizeof(buf));

	CHECK((n > 0) == !dnssd_check_instance(s, strlen(s)));
	if (n > 0) {
		CHECK((size_t)n == strlen(buf) && !dnssd_check_instance(buf, (size_t)n));
		CHECK(strcmp(buf, s) != 0);
	}
}

static void check_expand(const char *tmpl, const char *host)
{
	char buf[DNSSD_INSTANCE_MAX + 1];
	ssize_t n = dnssd_instance_expand(tmpl, host, buf, sizeof(buf));

	CHECK(n >= 0 || n == -EINVAL || n == -ENOBUFS);
	if (n >= 0) {
		CHECK((size_t)n == strlen(buf) && n <= DNSSD_INSTANCE_MAX);
		if (utf8_text(tmpl, strlen(tmpl)) && utf8_text(host, strlen(host)) && n > 0)
			CHECK(!dnssd_check_instance(buf, (size_t)n));
	}
	if (!strchr(tmpl, '%'))
		CHECK(n == (strlen(tmpl) <= DNSSD_INSTANCE_MAX ? (ssize_t)strlen(tmpl) : -ENOBUFS));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char *host;
	size_t len;
	int k;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	len = strlen(s); /* up to the first NUL; the host name follows it */
	host = len < size ? s + len + 1 : "host";

	/* checks on raw bytes, NULs included */
	CHECK(!utf8_text((const char *)data, size) || utf8_valid(data, size));
	CHECK(!utf8_valid(data, size) || !memchr(data, 0, size));
	if (!dnssd_check_instance((const char *)data, size))
		CHECK(size >= 1 && size <= DNSSD_INSTANCE_MAX &&
		      utf8_text((const char *)data, size));
	if (!txt_check_key((const char *)data, size))
		CHECK(size > 0 && !memchr(data, '=', size) && !memchr(data, 0, size));
	k = txt_known_find((const char *)data, size);
	CHECK(k == -1 || strcasecmp(txt_known_name((enum txt_known)k), s) == 0);

	/* checks on the string */
	check_types(s);
	if (!dnssd_check_subtype(s))
		CHECK(s[0] == '_' && len >= 2 && len <= DNSSD_INSTANCE_MAX && !strchr(s, '.'));
	if (!dnssd_check_domain(s))
		CHECK(len >= 1 && len <= DNSSD_DOMAIN_MAX + 1 && !strstr(s, ".."));
	check_expand(s, host);
	check_alternative(s);
	free(s);
	return 0;
}
