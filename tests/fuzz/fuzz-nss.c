/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the NSS module's parsers (nss/): the agent's reply
 * line into addresses and those into a caller's buffer of any size, or a
 * host name into a query and its request. Input: byte 0 picks the mode
 * (0 getaddrinfo, 1 IPv4 hostent, 2 IPv6 hostent, 3 a name), byte 1 the
 * buffer size (times 4), the rest is the reply or the name. The buffers
 * are exactly that size, so ASan sees any write past them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nss/nss-query.h"
#include "tests/fuzz/fuzz.h"
#include "wire/request.h"

/* A name: parse it; a query must make a request the agent accepts. */
static void fuzz_name(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1), *line = NULL;
	struct wire_request req;
	struct wire_err err;
	struct nss_query q;
	size_t len;
	int r;

	if (!name)
		return;
	memcpy(name, data, size);
	name[size] = '\0';
	r = nss_name_parse(name, &q);
	CHECK(r == 0 || r == -ENOENT || r == -EINVAL);
	if (r == 0) {
		CHECK(q.service && strlen(q.service) >= 1 && strlen(q.service) <= 15);
		CHECK(q.n_tags <= NSS_TAGS_MAX);
		r = nss_request_line(&q, AF_INET, &line, &len);
		CHECK(r == 0 || r == -EINVAL);
		if (r == 0) {
			CHECK(len > 0 && line[len - 1] == '\n');
			CHECK(wire_request_parse(line, len - 1, &req, &err) == 0);
			CHECK(req.op == WIRE_OP_RESOLVE &&
			      strcmp(req.filter.service, q.service) == 0);
			CHECK(req.filter.n_tags == q.n_tags);
			wire_request_clear(&req);
		}
		free(line);
	}
	free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int afs[3] = {AF_UNSPEC, AF_INET, AF_INET6};
	struct nss_addrs a;
	size_t buflen;
	char *buf;
	int mode, r;

	if (size < 2)
		return 0;
	mode = data[0] & 3;
	buflen = (size_t)data[1] * 4;
	data += 2;
	size -= 2;
	if (mode == 3) {
		fuzz_name(data, size);
		return 0;
	}
	r = nss_reply_parse((const char *)data, size, afs[mode], &a);
	CHECK(r == 0 || r == -ENOENT || r == -EAGAIN || r == -EPROTO);
	if (r < 0)
		return 0;
	CHECK(a.n >= 1 && a.n <= NSS_ADDRS_MAX);
	for (size_t i = 0; i < a.n; i++) {
		CHECK(a.a[i].family == AF_INET || a.a[i].family == AF_INET6);
		if (afs[mode] != AF_UNSPEC)
			CHECK(a.a[i].family == afs[mode] && a.a[i].scope == 0);
	}
	buf = malloc(buflen ? buflen : 1);
	if (!buf)
		return 0;
	if (mode == 0) {
		struct gaih_addrtuple *pat = NULL;
		size_t n = 0;

		r = nss_fill_tuples(&a, "payments.lanyard", &pat, buf, buflen);
		CHECK(r == 0 || r == -ERANGE);
		for (struct gaih_addrtuple *t = r == 0 ? pat : NULL; t; t = t->next)
			n++;
		CHECK(r < 0 || n == a.n);
	} else {
		struct hostent h;

		r = nss_fill_hostent(&a, "payments.lanyard", afs[mode], &h, buf, buflen, NULL);
		CHECK(r == 0 || r == -ERANGE);
		if (r == 0) {
			size_t n = 0;

			while (h.h_addr_list[n])
				n++;
			CHECK(n == a.n && h.h_aliases[0] == NULL);
		}
	}
	free(buf);
	return 0;
}
