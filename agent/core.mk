# SPDX-License-Identifier: MIT
# Build fragment for agent/'s pure core (TXT parsing, the instance cache,
# selection and ejection), included by the top Makefile.am. No Avahi, no
# sockets, no libev: unit tests link it alone.
noinst_LTLIBRARIES += agent/libcore.la
agent_libcore_la_SOURCES = \
	agent/txt.c agent/txt.h \
	agent/cache.c agent/cache.h agent/cache-addr.c \
	agent/health.c agent/health.h \
	agent/balance.c agent/balance.h
agent_libcore_la_LIBADD = $(M_LIBS)
