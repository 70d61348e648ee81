/* SPDX-License-Identifier: MIT */
/* The live page served at GET /: agent/page/index.html, compiled in by agent/page/embed.sh. */
#include <stddef.h>

#include "agent/http-page.h"
#include "agent/page/page-data.h"

void http_page_index(const unsigned char **body, size_t *len)
{
	*body = http_page_html;
	*len = http_page_html_len;
}
