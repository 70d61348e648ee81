/* SPDX-License-Identifier: MIT */
/* libFuzzer target for reading an instance name before claiming it
 * (wide/answer.c, wide_claim_judge(); wide/msg.c, the prerequisite made of
 * what was read): whatever reaches the socket, read as the answer to the
 * SRV query for a name (the input's first two bytes overwrite the query's
 * id so that the rest is parsed). Never crashes; a verdict is one of
 * five; "ours" only for SRV records that target this host, and then the
 * update with the value-dependent prerequisite builds. */
#include <errno.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "wide/answer.h"
#include "wide/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wide_key key = {
	        .name = "upd", .alg = "hmac-sha256", .secret = "c2VjcmV0LXNlY3JldA=="};
	static const struct wide_where where = {.zone = "z.example", .host = "h"};
	struct wide_rdata srv[WIDE_CLAIM_SRV_MAX + 1];
	struct wide_msg q, m;
	uint8_t name[256];
	size_t len, n;
	int rcode, verdict;
	char err[128];

	if (size < 2 || wide_name("shop", "_web._tcp", where.zone, name, &len) < 0 ||
	    wide_msg_query(&where, name, len, 33, 0, &q) < 0)
		return 0;
	q.id = (uint16_t)(data[0] << 8 | data[1]);
	if (wide_answer_rdata(data, size, &q, 33, srv, WIDE_CLAIM_SRV_MAX + 1, &n, &rcode) == 0) {
		CHECK(n <= WIDE_CLAIM_SRV_MAX + 1);
		verdict = wide_claim_judge(&where, rcode, srv, n);
		CHECK(verdict == -EPROTO || verdict == WIDE_CLAIM_FREE ||
		      verdict == WIDE_CLAIM_NO_SRV || verdict == WIDE_CLAIM_OURS ||
		      verdict == WIDE_CLAIM_TAKEN);
		CHECK((verdict == -EPROTO) == (rcode != 0 && rcode != 3));
		if (verdict == WIDE_CLAIM_OURS) {
			struct dnssd_record *r = NULL;

			CHECK(n >= 1 && n <= WIDE_CLAIM_SRV_MAX);
			if (record_new("k", "shop", "_web._tcp", 80, &r, NULL) == 0) {
				struct wide_change c = {
				        .new = r, .claim = WIDE_CLAIM_OURS, .srv = srv, .n_srv = n};
				int e = wide_msg_record(&where, &c, &key, 1, &m, err, sizeof(err));

				CHECK(e == 0 || e == -ENOMEM);
				wide_msg_clear(&m);
			}
			record_free(r);
		}
	}
	wide_msg_clear(&q);
	return 0;
}
