# SPDX-License-Identifier: MIT
# Build fragment for agent/page/, included by the top Makefile.am: the live
# page served at GET / (agent/page/index.html), compiled into lanyardd as
# agent/page/page-data.c by agent/page/embed.sh (POSIX sh, sed, awk,
# sha256sum, base64), which also fills in the page's CSP hashes. The
# generated file lives in the build directory (srcdir may be read-only).
EXTRA_DIST += agent/page/index.html agent/page/embed.sh docs/page.png
CLEANFILES += agent/page/page-data.c

agent/page/page-data.c: $(srcdir)/agent/page/index.html $(srcdir)/agent/page/embed.sh
	$(AM_V_GEN)$(MKDIR_P) agent/page && \
	$(SHELL) $(srcdir)/agent/page/embed.sh $(srcdir)/agent/page/index.html $@.tmp && \
	mv -f $@.tmp $@

# lanyardd serves it (agent/http-page.c, in agent/libagent.la).
nodist_agent_libagent_la_SOURCES = agent/page/page-data.c

# The page as compiled in: a document, ASCII, its CSP filled in, nothing
# fetched from elsewhere (tests/unit/test-http-page.c).
check_PROGRAMS += tests/unit/test-http-page
TESTS += tests/unit/test-http-page
tests_unit_test_http_page_SOURCES = tests/unit/test-http-page.c tests/unit/tap.h \
	agent/http-page.c agent/http-page.h agent/page/page-data.h
nodist_tests_unit_test_http_page_SOURCES = agent/page/page-data.c
