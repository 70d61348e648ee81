/* SPDX-License-Identifier: MIT */
/* The live page served at GET /: a placeholder until the page lands. */
#include "agent/http-page.h"

static const unsigned char page[] =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>lanyard</title></head><body><h1>lanyard</h1>"
        "<p>The live page is not built yet: see <a href=\"/v1/status\">/v1/status</a>, "
        "<a href=\"/v1/services\">/v1/services</a> and <a href=\"/metrics\">/metrics</a>.</p>"
        "</body></html>\n";

void http_page_index(const unsigned char **body, size_t *len)
{
	*body = page;
	*len = sizeof(page) - 1;
}
