/* SPDX-License-Identifier: MIT */
/* The live page as compiled in from agent/page/index.html (agent/page/embed.sh). */
#ifndef LANYARD_PAGE_DATA_H
#define LANYARD_PAGE_DATA_H

#include <stddef.h>

/* The HTML document served at GET /, its CSP hashes filled in; not
 * NUL-terminated as far as http_page_html_len goes. */
extern const unsigned char http_page_html[];
extern const size_t http_page_html_len;

#endif
