/* SPDX-License-Identifier: MIT */
/* libFuzzer target for zone transfers read while browsing (wide/zone.c)
 * and the instances derived from the result (wide/derive.c): the input is
 * a TCP stream of answers (two length bytes, then a message); the first
 * message's id is taken as the query's so that the rest is parsed. Each
 * completed transfer is followed by an incremental one on the same zone.
 * Each message's TSIG is also checked, as for a signed transfer (the
 * checker parses hostile input too). Never crashes or leaks; every
 * instance derived is complete. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "wide/answer.h"
#include "wide/derive.h"
#include "wide/zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wide_zone *z = wide_zone_new("lan-a.sd.example");
	struct wide_derived d = {0};
	struct wide_zone_xfr x;
	uint16_t id = size >= 4 ? (uint16_t)(data[2] << 8 | data[3]) : 0;
	static const struct wide_key key = {
	        .name = "upd", .alg = "hmac-sha256", .secret = "c2VjcmV0LXNlY3JldA=="};
	struct wide_msg q;
	void *chain = NULL;
	char err[64];
	bool first = true;

	if (!z)
		return 0;
	if (wide_msg_xfr("lan-a.sd.example", 0, &key, id, &q, err, sizeof(err)) == 0) {
		chain = q.mac; /* what the answer's first MAC chains to */
		q.mac = NULL;
		wide_msg_clear(&q);
	}
	wide_zone_xfr_begin(z, &x, id, true);
	for (size_t off = 0; off + 2 <= size;) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		int r;

		off += 2;
		if (len > size - off)
			len = size - off;
		if (chain) {
			CHECK(wide_xfr_verify(data + off, len, &key, &chain, first) != -ENOMEM);
			first = false;
		}
		r = wide_zone_xfr_feed(z, &x, data + off, len);
		off += len;
		CHECK(r == 1 || r == 0 || r == -EINVAL || r == -EPROTO || r == -EFBIG);
		if (r == 1 || r == -EPROTO || r == -EFBIG) {
			CHECK(r != 1 || wide_zone_loaded(z));
			CHECK(wide_derive(z, "h2", 1000, &d) == 0);
			for (size_t i = 0; i < d.n; i++) {
				CHECK(d.v[i].name && d.v[i].type && d.v[i].host);
				CHECK(d.v[i].has4 || d.v[i].has6);
				CHECK(strlen(d.v[i].name) > 0 && strlen(d.v[i].name) < 64);
				CHECK(d.v[i].type[0] == '_');
			}
			wide_zone_xfr_begin(z, &x, id, true);
		}
	}
	wide_xfr_chain_free(chain);
	wide_zone_xfr_abort(z, &x);
	wide_derived_clear(&d);
	wide_zone_free(z);
	return 0;
}
