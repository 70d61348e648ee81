/* SPDX-License-Identifier: MIT */
/* Unit tests of the live page as compiled in (agent/http-page.c, agent/page/embed.sh): one
 * ASCII HTML document, its CSP hashes filled in, nothing loaded from elsewhere. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "agent/http-page.h"
#include "tests/unit/tap.h"

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
	static const char *const tail = "</html>\n";
	static const char *const forbidden[] = {
	        "@STYLE_HASH@", "@SCRIPT_HASH@", "'unsafe-inline'",    "'unsafe-eval'",
	        "innerHTML",    "outerHTML",     "insertAdjacentHTML", "document.write",
	        "eval(",        "src=\"http",    "href=\"http",        "<script src",
	        "url(",         "@import",
	};

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

	/* One inline style and one inline script, each allowed by its hash. */
	CHECK_INT_EQ(count(s, len, "<style>"), 1);
	CHECK_INT_EQ(count(s, len, "<script>"), 1);
	CHECK_INT_EQ(count(s, len, "<script"), 1);
	CHECK_INT_EQ(count(s, len, "http-equiv=\"Content-Security-Policy\""), 1);
	CHECK_INT_EQ(count(s, len, "default-src 'none'"), 1);
	CHECK_INT_EQ(count(s, len, "style-src 'sha256-"), 1);
	CHECK_INT_EQ(count(s, len, "script-src 'sha256-"), 1);
	CHECK_INT_EQ(count(s, len, "name=\"viewport\""), 1);
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		CHECK_MSG(count(s, len, forbidden[i]) == 0, "the page holds \"%s\"", forbidden[i]);

	/* The hooks the browser test and the docs rely on. */
	CHECK_INT_EQ(count(s, len, "id=\"filter\""), 1);
	CHECK_INT_EQ(count(s, len, "id=\"status\""), 1);
	CHECK_INT_EQ(count(s, len, "new EventSource('/v1/watch')"), 1);
	CHECK_INT_EQ(count(s, len, "fetch('/v1/status'"), 1);
	return test_summary();
}
