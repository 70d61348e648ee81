# SPDX-License-Identifier: MIT
# Build fragment for config/, included by the top Makefile.am.
noinst_LTLIBRARIES += config/libcfg.la
config_libcfg_la_SOURCES = \
	config/config.c config/config.h config/loader.h \
	config/agent.c \
	config/check.c config/check.h \
	config/node.c config/node.h \
	config/service.c config/service.h \
	config/checks.c config/checks.h \
	config/trust.c config/trust.h \
	config/http.c config/http.h \
	config/tsig-key.c config/tsig-key.h \
	config/wide-area.c config/wide-area.h
config_libcfg_la_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
config_libcfg_la_LIBADD = dnssd/libdnssd.la $(YAML_LIBS)
