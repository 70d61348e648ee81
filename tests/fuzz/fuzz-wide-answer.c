/* SPDX-License-Identifier: MIT */
/* libFuzzer target for answers to DNS UPDATE (wide/answer.c): whatever
 * reaches the backend's socket, read as the answer to a fixed signed
 * query (the input's first two bytes overwrite the query's id so that
 * the rest is parsed): never crashes, and only a NOERROR signed with the
 * key is ok; and as the answer to the reaper's PTR and TXT queries. */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "wide/answer.h"
#include "wide/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wide_key key = {
	        .name = "upd", .alg = "hmac-sha256", .secret = "c2VjcmV0LXNlY3JldA=="};
	static const struct wide_where where = {.zone = "z.example", .host = "h"};
	static const struct wide_addr a = {.family = 2, .addr = {192, 0, 2, 1}};
	struct wide_answer ans;
	struct wide_msg q;
	char err[64];

	if (size < 2 || wide_msg_host(&where, &a, 1, &key, 0, &q, err, sizeof(err)) < 0)
		return 0;
	q.id = (uint16_t)(data[0] << 8 | data[1]);
	if (wide_answer_read(data, size, &q, &key, &ans) == 0) {
		CHECK(!ans.ok || (ans.rcode == 0 && ans.signed_ok && !ans.truncated));
		CHECK(strlen(ans.text) < sizeof(ans.text));
	}
	/* the same bytes as the answer to one of the reaper's queries */
	for (uint16_t type = 12; type <= 16; type += 4) {
		struct wide_rdata out[8];
		size_t n;
		int rcode;

		if (wide_answer_rdata(data, size, &q, type, out, 8, &n, &rcode) == 0) {
			CHECK(n <= 8 && rcode >= 0 && rcode <= 15);
			for (size_t i = 0; i < n; i++)
				CHECK(out[i].len > 0 && out[i].len <= sizeof(out[i].data));
		}
	}
	wide_msg_clear(&q);
	return 0;
}
