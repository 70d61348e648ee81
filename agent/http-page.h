/* SPDX-License-Identifier: MIT */
/* The live page of the HTTP interface (agent/http.c serves it). */
#pragma once

#include <stddef.h>

/* The live page served at GET / : one self-contained HTML document. */
void http_page_index(const unsigned char **body, size_t *len);
