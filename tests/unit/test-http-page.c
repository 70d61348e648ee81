/* SPDX-License-Identifier: MIT */
/* Unit tests of the live page as compiled in (agent/http-page.c, agent/page/embed.sh): one
 * ASCII HTML document, its CSP hashes filled in, nothing loaded from elsewhere. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agent/http-page.h"
#include "tests/unit/tap.h"

/* SHA-256 (FIPS 180-4), small and slow: enough to check the page's CSP hashes;
 * its own checks against known digests come first in main(). */
static const uint32_t sha_k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       w[i - 7] + (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(v, h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		              ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		              ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));

		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += v[i];
}

/* "sha256-" and the base64 of the SHA-256 of the LEN bytes at DATA, as a
 * CSP source, into RET (at least 52 bytes). */
static void csp_hash(const char *data, size_t len, char *ret)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	unsigned char block[64], d[33] = {0};
	size_t i, n = 0;

	for (i = 0; i + 64 <= len; i += 64)
		sha256_block(h, (const unsigned char *)data + i);
	memcpy(block, data + i, len - i);
	n = len - i;
	block[n++] = 0x80;
	if (n > 56) {
		memset(block + n, 0, 64 - n);
		sha256_block(h, block);
		n = 0;
	}
	memset(block + n, 0, 56 - n);
	for (int j = 0; j < 8; j++)
		block[56 + j] = (unsigned char)((uint64_t)len * 8 >> (56 - 8 * j));
	sha256_block(h, block);
	for (int j = 0; j < 32; j++)
		d[j] = (unsigned char)(h[j / 4] >> (24 - 8 * (j % 4)));
	ret += sprintf(ret, "sha256-");
	for (int j = 0; j < 33; j += 3) {
		uint32_t v = (uint32_t)d[j] << 16 | (uint32_t)d[j + 1] << 8 | d[j + 2];

		*ret++ = b64[v >> 18 & 63];
		*ret++ = b64[v >> 12 & 63];
		*ret++ = j + 1 < 32 ? b64[v >> 6 & 63] : '=';
		*ret++ = j + 2 < 32 ? b64[v & 63] : '=';
	}
	*ret = '\0';
}

/* The CSP SOURCE ("script-src") of the page names the hash of the text of
 * its one TAG element. */
static void check_hash(const char *s, size_t len, const char *tag, const char *source)
{
	char open[16], close[16], want[64], csp[64];
	const char *a, *b, *c;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = memmem(s, len, open, strlen(open));
	b = a ? memmem(a, len - (size_t)(a - s), close, strlen(close)) : NULL;
	c = memmem(s, len, source, strlen(source));
	if (!CHECK_MSG(a && b && c, "no %s element or no %s", tag, source))
		return;
	a += strlen(open);
	csp_hash(a, (size_t)(b - a), want);
	c += strlen(source) + 2; /* " '" */
	snprintf(csp, sizeof(csp), "%.51s", c);
	CHECK_STR_EQ(csp, want);
}

/* Occurrences of NEEDLE in the LEN bytes at HAY. */
static size_t count(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++)
		if (memcmp(hay + i, needle, nl) == 0)
			n++;
	return n;
}

int main(void)
{
	const unsigned char *body = NULL;
	const char *s;
	size_t len = 0, bad = 0;
	char want[64];
	static const char *const tail = "</html>\n";
	static const char *const forbidden[] = {
	        "@STYLE_HASH@", "@SCRIPT_HASH@", "'unsafe-inline'",    "'unsafe-eval'",
	        "innerHTML",    "outerHTML",     "insertAdjacentHTML", "document.write",
	        "eval(",        "src=\"http",    "href=\"http",        "<script src",
	        "url(",         "@import",
	};

	/* FIPS 180-2 examples, and a message that needs a second padding block. */
	csp_hash("abc", 3, want);
	CHECK_STR_EQ(want, "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
	csp_hash("", 0, want);
	CHECK_STR_EQ(want, "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	csp_hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, want);
	CHECK_STR_EQ(want, "sha256-JI1qYdIGOLjlwCaTDD5gOaM85Flk/yFn9uzt1BnbBsE=");

	http_page_index(&body, &len);
	s = (const char *)body;
	CHECK(body != NULL);
	if (!body)
		return test_summary();
	CHECK(len > 4096);
	CHECK(len > 15 && memcmp(s, "<!DOCTYPE html>\n", 16) == 0);
	CHECK(len > strlen(tail) && memcmp(s + len - strlen(tail), tail, strlen(tail)) == 0);
	for (size_t i = 0; i < len; i++)
		if (!((body[i] >= 0x20 && body[i] < 0x7f) || body[i] == '\n' || body[i] == '\t'))
			bad++;
	CHECK_INT_EQ(bad, 0);

	/* One inline style and one inline script, each allowed by its hash
	 * (agent/page/embed.sh computed them with coreutils; checked here). */
	CHECK_INT_EQ(count(s, len, "<style>"), 1);
	CHECK_INT_EQ(count(s, len, "<script>"), 1);
	CHECK_INT_EQ(count(s, len, "<script"), 1);
	CHECK_INT_EQ(count(s, len, "http-equiv=\"Content-Security-Policy\""), 1);
	CHECK_INT_EQ(count(s, len, "default-src 'none'"), 1);
	CHECK_INT_EQ(count(s, len, "style-src 'sha256-"), 1);
	CHECK_INT_EQ(count(s, len, "script-src 'sha256-"), 1);
	CHECK_INT_EQ(count(s, len, "name=\"viewport\""), 1);
	check_hash(s, len, "style", "style-src");
	check_hash(s, len, "script", "script-src");
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		CHECK_MSG(count(s, len, forbidden[i]) == 0, "the page holds \"%s\"", forbidden[i]);

	/* The hooks the browser test and the docs rely on. */
	CHECK_INT_EQ(count(s, len, "id=\"filter\""), 1);
	CHECK_INT_EQ(count(s, len, "id=\"status\""), 1);
	CHECK_INT_EQ(count(s, len, "new EventSource('/v1/watch')"), 1);
	CHECK_INT_EQ(count(s, len, "fetch('/v1/status'"), 1);
	return test_summary();
}
